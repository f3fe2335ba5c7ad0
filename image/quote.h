/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_IMAGE_QUOTE_H
#define CTR_IMAGE_QUOTE_H

#include <stddef.h>

#include "text.h"

/*
 * A copy of untrusted text fit to quote in an error message: at most IMAGE_QUOTE_MAX bytes and
 * then "...", so a 10 kB argument does not become a 10 kB error line, and every byte outside
 * printable ASCII replaced by '?', because a digest or a name can come from a registry or a
 * file and must not be able to send escape sequences to the user's terminal.  References are
 * ASCII by grammar, so nothing legitimate is lost.  The caller frees the result.
 */
#define IMAGE_QUOTE_MAX 80

/* The same with another limit, for text the user chose, such as a path. */
static inline char *image_quote_max(const char *s, size_t max)
{
    return ctr_quote(s, max);
}

static inline char *image_quote(const char *s)
{
    return image_quote_max(s, IMAGE_QUOTE_MAX);
}

#endif
