/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_LIB_TEXT_H
#define CTR_LIB_TEXT_H

#include <stddef.h>

/*
 * Untrusted text (from the command line or an image) made fit to quote in a message: printable
 * ASCII only (anything else becomes '?'), and at most `max` bytes, then "...".  The caller
 * frees.
 */
char *ctr_quote(const char *s, size_t max);

/*
 * Strict decimal: digits only, at least one, no sign or space, at most `max` whatever the
 * leading zeros.  0 and *ret set, or -1.
 */
int ctr_parse_decimal(const char *s, size_t n, unsigned long max, unsigned long *ret);

#endif
