/* SPDX-License-Identifier: Apache-2.0 */
/* WWW-Authenticate comes from any registry a user names: hostile input by default. */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "fuzz.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct image_auth_challenges c;
    struct ctr_error *err = NULL;
    char *h = xstrndup((const char *)data, size);

    if (image_auth_parse(h, &c, &err) == 0) {
        /* Every parsed challenge has a non-empty lowercase scheme. */
        for (size_t i = 0; i < c.n; i++) {
            if (c.items[i].scheme[0] == '\0')
                __builtin_trap();
            image_auth_param(&c.items[i], "realm");
        }
    } else if (err == NULL) {
        __builtin_trap();
    }
    ctr_error_free(err);
    image_auth_challenges_clear(&c);
    free(h);
    return 0;
}
