/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_LIB_CLEANUP_H
#define CTR_LIB_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"

/*
 * Scope-bound cleanup (GCC/Clang `cleanup` attribute), as systemd and crun use it.
 * Initialise every cleanup variable where it is declared, and hand ownership over with
 * steal_pointer()/steal_fd() rather than nulling by hand.
 */
#define DEFINE_CLEANUP_FUNC(type, fn) \
    static inline void fn##p(type *p) \
    {                                 \
        if (*p)                       \
            fn(*p);                   \
    }

static inline void freep(void *p)
{
    free(*(void **)p);
}

static inline void closep(int *fd)
{
    /* close() must not clobber the errno a caller is about to report. */
    int saved = errno;

    if (*fd >= 0)
        close(*fd);
    errno = saved;
}

static inline void fclosep(FILE **f)
{
    if (*f != NULL)
        fclose(*f);
}

static inline void closedirp(DIR **d)
{
    if (*d != NULL)
        closedir(*d);
}

static inline void strv_free(char **v)
{
    if (v == NULL)
        return;
    for (char **p = v; *p != NULL; p++)
        free(*p);
    free(v);
}

static inline size_t strv_length(char *const *v)
{
    size_t n = 0;

    while (v != NULL && v[n] != NULL)
        n++;
    return n;
}

static inline int strv_contains(char *const *v, const char *s)
{
    for (; v != NULL && *v != NULL; v++) {
        if (strcmp(*v, s) == 0)
            return 1;
    }
    return 0;
}

static inline void strv_freep(char ***v)
{
    strv_free(*v);
}

static inline void ctr_error_freep(struct ctr_error **e)
{
    ctr_error_free(*e);
}

/* For types with a DEFINE_CLEANUP_FUNC: `cleanup_with(sqlite3_closep) sqlite3 *db = NULL;` */
#define cleanup_with(fn) __attribute__((cleanup(fn)))

#define cleanup_free   __attribute__((cleanup(freep)))
#define cleanup_close  __attribute__((cleanup(closep)))
#define cleanup_fclose __attribute__((cleanup(fclosep)))
#define cleanup_dir    __attribute__((cleanup(closedirp)))
#define cleanup_strv   __attribute__((cleanup(strv_freep)))
#define cleanup_error  __attribute__((cleanup(ctr_error_freep)))

static inline void *steal_pointer_impl(void *pp)
{
    void **p = pp;
    void *v = *p;

    *p = NULL;
    return v;
}

/* Returns *pp and sets *pp to NULL; typed by the macro so no cast is needed at call sites. */
#define steal_pointer(pp) ((__typeof__(*(pp)))steal_pointer_impl(pp))

static inline int steal_fd(int *fd)
{
    int v = *fd;

    *fd = -1;
    return v;
}

#endif
