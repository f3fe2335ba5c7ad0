/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "xalloc.h"

#ifdef CTR_DEBUG
void ctr_error_assert_failed(const char *file, int line, const char *what)
{
    fprintf(stderr, "ctr: internal error at %s:%d: %s\n", file, line, what);
    abort();
}
#endif

static void set_error(struct ctr_error **err, int code, char *msg)
{
    struct ctr_error *e;

    if (err == NULL) {
        free(msg);
        return;
    }
#ifdef CTR_DEBUG
    /* Setting an error over an unhandled one loses the first: the bug class crun keeps fixing. */
    if (*err != NULL)
        ctr_error_assert_failed(__FILE__, __LINE__, "error set twice");
#endif
    ctr_error_free(*err);
    e = xmalloc(sizeof(*e));
    e->code = code;
    e->msg = msg;
    *err = e;
}

int ctr_error_setv(struct ctr_error **err, int code, const char *fmt, va_list ap)
{
    set_error(err, code, xvasprintf(fmt, ap));
    return -1;
}

int ctr_error_set(struct ctr_error **err, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ctr_error_setv(err, code, fmt, ap);
    va_end(ap);
    return -1;
}

static int CTR_PRINTF(3, 0)
        set_errnum(struct ctr_error **err, int errnum, const char *fmt, va_list ap)
{
    char *what = xvasprintf(fmt, ap);
    char *msg = xasprintf("%s: %s", what, strerror(errnum));

    free(what);
    set_error(err, errnum, msg);
    return -1;
}

int ctr_error_errno(struct ctr_error **err, const char *fmt, ...)
{
    int errnum = errno;
    va_list ap;

    va_start(ap, fmt);
    set_errnum(err, errnum, fmt, ap);
    va_end(ap);
    return -1;
}

int ctr_error_errnum(struct ctr_error **err, int errnum, const char *fmt, ...)
{
    va_list ap;

    if (errnum < 0)
        errnum = -errnum;
    va_start(ap, fmt);
    set_errnum(err, errnum, fmt, ap);
    va_end(ap);
    return -1;
}

int ctr_error_wrap(struct ctr_error **err, const char *fmt, ...)
{
    char *prefix, *msg;
    va_list ap;

    if (err == NULL || *err == NULL) {
#ifdef CTR_DEBUG
        ctr_error_assert_failed(__FILE__, __LINE__, "wrap without an error");
#endif
        return -1;
    }
    va_start(ap, fmt);
    prefix = xvasprintf(fmt, ap);
    va_end(ap);
    msg = xasprintf("%s: %s", prefix, (*err)->msg);
    free(prefix);
    free((*err)->msg);
    (*err)->msg = msg;
    return -1;
}

void ctr_error_free(struct ctr_error *e)
{
    if (e == NULL)
        return;
    free(e->msg);
    free(e);
}

void ctr_error_clear(struct ctr_error **err)
{
    if (err == NULL)
        return;
    ctr_error_free(*err);
    *err = NULL;
}
