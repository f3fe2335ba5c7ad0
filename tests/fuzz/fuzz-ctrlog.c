/* SPDX-License-Identifier: Apache-2.0 */
/* Log files outlive crashes and disks filling up: `ctr logs` parses whatever is in them. */
#include <string.h>

#include "ctrlog.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    struct ctr_logline l;
    int64_t ns;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

        if (ctr_logline_parse(p, len, &l) == 0) {
            char prefix[CTR_LOGLINE_PREFIX_MAX];
            size_t n = ctr_logline_prefix(prefix, l.ns, l.stream, l.partial);
            struct ctr_logline again;

            /* The data stays inside the line, and the prefix written back parses the same. */
            if (l.data < p || l.data + l.len != p + len || n == 0 || n >= sizeof(prefix))
                __builtin_trap();
            if (ctr_logline_parse(prefix, n, &again) < 0 || again.ns != l.ns ||
                again.stream != l.stream || again.partial != l.partial || again.len != 0)
                __builtin_trap();
        }
        if (ctr_parse_rfc3339(p, len, &ns) == 0) {
            char prefix[CTR_LOGLINE_PREFIX_MAX];
            int64_t back;

            /* Every accepted time formats and parses back to itself. */
            ctr_logline_prefix(prefix, ns, CTR_LOG_STDOUT, 0);
            if (ctr_parse_rfc3339(prefix, 30, &back) < 0 || back != ns)
                __builtin_trap();
        }
        p += len + 1;
    }
    return 0;
}
