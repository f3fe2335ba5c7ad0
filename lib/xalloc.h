/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_LIB_XALLOC_H
#define CTR_LIB_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Allocators that abort with a message on out-of-memory instead of returning NULL: ctr is a
 * short-lived CLI, and threading ENOMEM through every caller buys nothing but untested paths.
 */
void *xmalloc(size_t size);
void *xzalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
/* Resizes p to an array of n elements of `size` bytes, checking the multiplication. */
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Appends a copy of `s` to the NULL-terminated vector *v (NULL is an empty one). */
void strv_push(char ***v, const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
