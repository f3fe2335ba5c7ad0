/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_IMAGE_DL_H
#define CTR_IMAGE_DL_H

/*
 * libcurl, libarchive and libcrypto, loaded on first use rather than at exec.
 *
 * Only the image commands (pull, load, save, login, logout, run of a missing image) use them,
 * yet linking them makes every exec map some 40 libraries: Debian's libcurl alone pulls in
 * gnutls, ldap, kerberos and ssh2 and costs about 8 ms per exec, which `ctr ps` and `ctr run`
 * cannot afford.  So ctr does not link them: dl-curl.c, dl-archive.c and dl-crypto.c define
 * every library function ctr calls, with the prototype from the library's own header, and
 * each definition forwards to the real function, looked up in the library the first time it
 * is called.  The rest of ctr calls the libraries as if they were linked.
 *
 * A library that cannot be loaded, or lacks a function, ends the process with status 125
 * (CTR_EXIT_ERROR) and one line on stderr naming the package to install.  This is the one
 * place where library code exits: a function such as archive_entry_pathname() or
 * curl_slist_append() has no way to report the failure, and a host without the library
 * cannot run any image command anyway.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* One lazily loaded library. */
struct image_dl {
    const char *name;            /* "libcurl", for the message */
    const char *soname;          /* what dlopen() loads: CTR_SONAME_* from image/CMakeLists.txt */
    const char *package;         /* the Debian package that ships it */
    void (*setup)(void *handle); /* run once after loading (curl_global_init), or NULL */
    pthread_once_t once;
    void *handle;
};

static inline void __attribute__((noreturn)) image_dl_fail(const struct image_dl *dl)
{
    const char *why = dlerror();

    fprintf(stderr, "ctr: cannot load %s (%s): %s; install Debian's %s package\n", dl->name,
            dl->soname, why ? why : "unknown error", dl->package);
    exit(125);
}

static inline void image_dl_open(struct image_dl *dl)
{
    /* RTLD_LOCAL: the library's symbols must not satisfy lookups of any other library. */
    dl->handle = dlopen(dl->soname, RTLD_NOW | RTLD_LOCAL);
    if (dl->handle == NULL)
        image_dl_fail(dl);
    if (dl->setup != NULL)
        dl->setup(dl->handle);
}

/* The address of `sym` in the library; loads it first if needed. */
static inline void *image_dl_sym(struct image_dl *dl, void (*open_once)(void), const char *sym)
{
    void *p;

    pthread_once(&dl->once, open_once);
    dlerror();
    p = dlsym(dl->handle, sym);
    if (p == NULL)
        image_dl_fail(dl);
    return p;
}

/*
 * Declares the library `lib` of a dl-*.c file: a loader run once per process, and
 * lib_dl_sym(name) for the macros below.
 */
#define DL_LIBRARY(lib, name, soname, package, setup)                                          \
    static struct image_dl lib##_dl = {name, soname, package, setup, PTHREAD_ONCE_INIT, NULL}; \
    static void lib##_dl_open(void)                                                            \
    {                                                                                          \
        image_dl_open(&lib##_dl);                                                              \
    }                                                                                          \
    static inline void *lib##_dl_sym(const char *sym)                                          \
    {                                                                                          \
        return image_dl_sym(&lib##_dl, lib##_dl_open, sym);                                    \
    }

/*
 * The real `name` of `lib`, typed as the header declares it, resolved on first use.  Threads
 * racing on the first call each store the same address, so the race is benign.
 */
#define DL_REAL(lib, name)                                                 \
    __extension__({                                                        \
        static __typeof__(name) *real_;                                    \
        __typeof__(name) *fn_ = __atomic_load_n(&real_, __ATOMIC_ACQUIRE); \
        if (fn_ == NULL) {                                                 \
            fn_ = (__typeof__(name) *)lib##_dl_sym(#name);                 \
            __atomic_store_n(&real_, fn_, __ATOMIC_RELEASE);               \
        }                                                                  \
        fn_;                                                               \
    })

/*
 * Defines `ret name params` as a call of the real function with `args`.  The name is in
 * parentheses so that a function-like macro of the same name (curl's type checks) stays out.
 */
#define DL_FUNC(lib, ret, name, params, args) \
    ret(name) params                          \
    {                                         \
        return DL_REAL(lib, name) args;       \
    }

/* The same for a function returning void. */
#define DL_VOID(lib, name, params, args) \
    void(name) params                    \
    {                                    \
        DL_REAL(lib, name) args;         \
    }

#endif
