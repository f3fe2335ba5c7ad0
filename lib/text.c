/* SPDX-License-Identifier: Apache-2.0 */
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
