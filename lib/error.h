/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_LIB_ERROR_H
#define CTR_LIB_ERROR_H

#include <stdarg.h>

/*
 * The one error convention of ctr.
 *
 * Every fallible function takes `struct ctr_error **err` as its last argument and returns an
 * int (0 or positive on success, -1 on failure) or a pointer (NULL on failure).  It failed if
 * and only if it set *err; success leaves *err untouched.  The caller owns the error and frees
 * it with ctr_error_free() (or declares it cleanup_error).
 *
 * `code` is an errno value, or 0 when no errno applies.  `msg` is lowercase, has no trailing
 * period and quotes user strings in single quotes; ctr_error_wrap() prefixes context so the
 * user reads "pull 'alpine': fetch blob 'sha256:ab...': connection refused".
 */
struct ctr_error {
    int code;
    char *msg;
};

#define CTR_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Sets *err to a new error with `code` and a formatted message.  Returns -1. */
int ctr_error_set(struct ctr_error **err, int code, const char *fmt, ...) CTR_PRINTF(3, 4);
int ctr_error_setv(struct ctr_error **err, int code, const char *fmt, va_list ap) CTR_PRINTF(3, 0);

/* Like ctr_error_set() with code = errno, and ": strerror(errno)" appended.  Returns -1. */
int ctr_error_errno(struct ctr_error **err, const char *fmt, ...) CTR_PRINTF(2, 3);

/* Like ctr_error_errno() for an explicit errno value (e.g. a -errno return).  Returns -1. */
int ctr_error_errnum(struct ctr_error **err, int errnum, const char *fmt, ...) CTR_PRINTF(3, 4);

/*
 * Prefixes the message of the error already in *err with "context: ".  Keeps its code.
 * Returns -1 so a caller can `return ctr_error_wrap(err, "open '%s'", path);`.
 */
int ctr_error_wrap(struct ctr_error **err, const char *fmt, ...) CTR_PRINTF(2, 3);

/* Frees an error; NULL is fine. */
void ctr_error_free(struct ctr_error *e);

/* Moves the error out of *err (leaving NULL) and frees it: for errors a caller chooses to drop. */
void ctr_error_clear(struct ctr_error **err);

/* Debug builds check the convention; release builds compile these away. */
#ifdef CTR_DEBUG
void ctr_error_assert_failed(const char *file, int line, const char *what);
#define ctr_error_check(ret, err)                                                        \
    do {                                                                                 \
        if ((ret) < 0 && (err) != NULL && *(err) == NULL)                                \
            ctr_error_assert_failed(__FILE__, __LINE__, "-1 returned without an error"); \
    } while (0)
#else
#define ctr_error_check(ret, err) \
    do {                          \
    } while (0)
#endif

#endif
