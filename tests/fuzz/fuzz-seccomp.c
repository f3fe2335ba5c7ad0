/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A seccomp profile comes from the user (--security-opt seccomp=FILE) and often from the web.
 * Every input must either build a filter or fail with an error, never both or neither; the
 * filter is exported too, so libseccomp sees what the plan turned into.
 */
#include <fcntl.h>
#include <unistd.h>

#include "cleanup.h"
#include "fuzz.h"
#include "scmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t caps[] = {0, UINT64_C(1) << 21 /* CAP_SYS_ADMIN */, ~UINT64_C(0)};

    if (size > CTR_SECCOMP_PROFILE_MAX)
        return 0;
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
        struct ctr_error *err = NULL;
        scmp_filter_ctx ctx = NULL;
        int rc = ctr_seccomp_from_json((const char *)data, size, "fuzz.json", caps[i], &ctx, &err);

        if (rc < 0) {
            if (rc != -1 || err == NULL || err->msg == NULL || ctx != NULL)
                __builtin_trap();
            ctr_error_clear(&err);
            /* The profile is the same for every mask until a capability is looked at. */
            continue;
        }
        if (rc != 0 || err != NULL || ctx == NULL)
            __builtin_trap();
        {
            cleanup_close int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

            if (fd >= 0 && seccomp_export_bpf(ctx, fd) < 0)
                __builtin_trap();
        }
        seccomp_release(ctx);
    }
    return 0;
}
