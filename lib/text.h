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

/*
 * One word of a systemd unit file line, written so that systemd reads back exactly `word`:
 * '%' doubled (specifiers are expanded everywhere), and in double quotes with '"' and '\'
 * escaped when it is empty or holds whitespace, quotes, backslashes, control characters or is
 * a lone ';' (a command separator).  CTR_SYSTEMD_EXEC is for Exec*= lines, which also take C
 * escapes (control characters become \n, \t, \xNN) and expand $VAR ('$' doubled); without
 * it, for lists such as RequiresMountsFor=, a control character cannot be written and NULL is
 * returned.  The caller frees.
 */
enum ctr_systemd_quote_flags {
    CTR_SYSTEMD_EXEC = 1 << 0,
};
char *ctr_systemd_quote(const char *word, unsigned flags);

#endif
