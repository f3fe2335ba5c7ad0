/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "xalloc.h"

char *ctr_quote(const char *s, size_t max)
{
    size_t len = strnlen(s, max + 1);
    size_t keep = len > max ? max : len;
    char *out = xmalloc(keep + 4);

    for (size_t i = 0; i < keep; i++) {
        unsigned char c = (unsigned char)s[i];

        out[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (len > keep) {
        memcpy(out + keep, "...", 3);
        keep += 3;
    }
    out[keep] = '\0';
    return out;
}

int ctr_parse_decimal(const char *s, size_t n, unsigned long max, unsigned long *ret)
{
    unsigned long v = 0;

    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned long d;

        if (s[i] < '0' || s[i] > '9')
            return -1;
        d = (unsigned long)(s[i] - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *ret = v;
    return 0;
}

static int needs_quotes(const char *word)
{
    if (word[0] == '\0' || strcmp(word, ";") == 0)
        return 1;
    for (const unsigned char *p = (const unsigned char *)word; *p; p++)
        if (*p <= ' ' || *p == 0x7f || *p == '"' || *p == '\'' || *p == '\\')
            return 1;
    return 0;
}

char *ctr_systemd_quote(const char *word, unsigned flags)
{
    int quote = needs_quotes(word);
    /* The longest a byte becomes is "\xNN"; then the quotes and the terminator. */
    char *out = xmalloc(strlen(word) * 4 + 3), *o = out;

    if (quote)
        *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)word; *p; p++) {
        unsigned char c = *p;

        if (c == '%' || (c == '$' && (flags & CTR_SYSTEMD_EXEC))) {
            *o++ = (char)c;
            *o++ = (char)c;
        } else if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c < ' ' || c == 0x7f) {
            if (!(flags & CTR_SYSTEMD_EXEC)) {
                free(out);
                return NULL;
            }
            *o++ = '\\';
            if (c == '\n') {
                *o++ = 'n';
            } else if (c == '\t') {
                *o++ = 't';
            } else {
                snprintf(o, 4, "x%02x", c);
                o += 3;
            }
        } else {
            *o++ = (char)c;
        }
    }
    if (quote)
        *o++ = '"';
    *o = '\0';
    return out;
}
