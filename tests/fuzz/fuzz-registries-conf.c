/* SPDX-License-Identifier: Apache-2.0 */
/* registries.conf is hand-edited, and may be copied from anywhere. */
#include <string.h>

#include "cleanup.h"
#include "fuzz.h"
#include "ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cleanup_with(image_registries_conf_freep) struct image_registries_conf *c = NULL;
    cleanup_error struct ctr_error *err = NULL;

    if (image_registries_conf_parse((const char *)data, size, "fuzz.conf", &c, &err) < 0) {
        if (err == NULL || c != NULL || strncmp(err->msg, "'fuzz.conf' line ", 17) != 0)
            __builtin_trap();
        return 0;
    }
    if (err != NULL || c->search == NULL)
        __builtin_trap();
    /* Everything accepted is a host a reference can name, and usable as a search registry. */
    for (char **s = c->search; *s != NULL; s++) {
        if (image_ref_validate_domain(*s, &err) < 0)
            __builtin_trap();
    }
    for (size_t i = 0; i < c->n_registries; i++) {
        if (c->registries[i].location == NULL ||
            image_ref_validate_domain(c->registries[i].location, &err) < 0 ||
            image_registries_conf_insecure(c, c->registries[i].location) !=
                    c->registries[i].insecure)
            __builtin_trap();
    }
    return 0;
}
