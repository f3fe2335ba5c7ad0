/* SPDX-License-Identifier: Apache-2.0 */
/* ctr.conf is hand-edited: any bytes must give a configuration or one error, never a crash. */
#include <string.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ctr_config c = {0};
    struct ctr_error *err = NULL;

    if (ctr_config_parse("fuzz.conf", (const char *)data, size, &c, &err) < 0) {
        /* Failure comes with a message naming the file and leaves the output empty. */
        if (err == NULL || strncmp(err->msg, "fuzz.conf:", 10) != 0 || c.root != NULL)
            __builtin_trap();
        ctr_error_free(err);
        return 0;
    }
    if (err != NULL)
        __builtin_trap();
    /* What was accepted is what the checks promise. */
    if ((c.root != NULL && c.root[0] != '/') || (c.runroot != NULL && c.runroot[0] != '/'))
        __builtin_trap();
    if (c.pull != NULL && strcmp(c.pull, "missing") != 0 && strcmp(c.pull, "always") != 0 &&
        strcmp(c.pull, "never") != 0)
        __builtin_trap();
    if ((c.network != NULL) != (c.network_line != 0))
        __builtin_trap();
    ctr_config_clear(&c);
    return 0;
}
