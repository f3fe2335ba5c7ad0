/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An image's /etc/passwd and /etc/group come from whoever built it.  The input is the passwd
 * text, a NUL, the group text, and optionally a NUL and a user spec of its own.
 */
#include <string.h>

#include "cleanup.h"
#include "fuzz.h"
#include "passwd.h"
#include "xalloc.h"

static void check(const char *spec, const char *passwd, const char *group)
{
    struct ctr_error *err = NULL;
    struct ctr_user u;

    if (ctr_user_resolve(spec, passwd, group, &u, &err) < 0) {
        if (err == NULL)
            __builtin_trap();
        ctr_error_clear(&err);
        return;
    }
    if (err != NULL || u.home == NULL || u.uid == (uid_t)-1 || u.gid == (gid_t)-1 ||
        u.n_groups > 65536 || (u.n_groups > 0) != (u.groups != NULL))
        __builtin_trap();
    for (size_t i = 0; i < u.n_groups; i++) {
        /* Sorted, no repeats, no primary group, no (gid_t)-1. */
        if (u.groups[i] == u.gid || u.groups[i] == (gid_t)-1 ||
            (i > 0 && u.groups[i - 1] >= u.groups[i]))
            __builtin_trap();
    }
    ctr_user_clear(&u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const specs[] = {
            NULL,         "root", "0",         "1000", "nobody", "www-data:www-data",
            "1000:staff", "0:0",  "alice:100",
    };
    cleanup_free char *copy = xmalloc(size + 2);
    const char *passwd = copy, *group = NULL, *spec = NULL;
    size_t n;

    /* Two terminators, so the text after the last NUL is a string even when empty. */
    memcpy(copy, data, size);
    copy[size] = copy[size + 1] = '\0';
    n = strlen(passwd);
    if (n < size) {
        group = copy + n + 1;
        n += 1 + strlen(group);
        if (n < size)
            spec = copy + n + 1;
    }
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
        check(specs[i], passwd, group);
        check(specs[i], NULL, group);
    }
    if (spec != NULL)
        check(spec, passwd, group);
    return 0;
}
