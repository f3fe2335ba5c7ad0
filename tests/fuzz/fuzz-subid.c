/* SPDX-License-Identifier: Apache-2.0 */
/* /etc/subuid and /etc/subgid are read from disk and may be hand-edited or corrupt. */
#include <string.h>

#include "fuzz.h"
#include "subid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ctr_subid s;

    ctr_subid_parse((const char *)data, size, "alice", 1000, &s);
    for (size_t i = 0; i < s.n_ranges; i++) {
        /* Every accepted range fits in 32-bit ids and is not empty. */
        if (s.ranges[i].count == 0 || s.ranges[i].start + s.ranges[i].count > 4294967295UL)
            __builtin_trap();
    }
    if (ctr_subid_total(&s) > 4294967295UL)
        __builtin_trap();
    ctr_subid_clear(&s);
    return 0;
}
