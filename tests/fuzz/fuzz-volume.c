/* SPDX-License-Identifier: Apache-2.0 */
/*
 * -v, --tmpfs, --stop-signal, --env-file lines and paths: command-line text, but also image
 * config values (StopSignal, Env, WorkingDir) that come from a registry.
 */
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fuzz.h"
#include "spec.h"
#include "xalloc.h"

static const char *lookup(const char *key)
{
    return strcmp(key, "HOME") == 0 ? "/root" : NULL;
}

/* A normalised absolute path: "/" or "/a/b" with no empty, "." or ".." component. */
static void check_normal(const char *p)
{
    if (p[0] != '/')
        __builtin_trap();
    if (strcmp(p, "/") == 0)
        return;
    for (const char *c = p; *c != '\0';) {
        const char *s = ++c;
        size_t n;

        while (*c != '\0' && *c != '/')
            c++;
        n = (size_t)(c - s);
        if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
            __builtin_trap();
    }
}

static void check_mount(const struct ctr_mount_spec *m)
{
    check_normal(m->destination);
    if (strcmp(m->destination, "/") == 0)
        __builtin_trap();
    if (m->kind == CTR_MOUNT_BIND) {
        if (m->source == NULL || m->data != NULL)
            __builtin_trap();
        check_normal(m->source);
    } else if (m->source != NULL) {
        __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cleanup_free char *s = xstrndup((const char *)data, size);
    struct ctr_error *err = NULL;
    struct ctr_mount_spec m;
    char *out = NULL;
    int sig;

    if (ctr_parse_volume(s, &m, &err) == 0) {
        check_mount(&m);
        ctr_mount_spec_clear(&m);
    }
    ctr_error_clear(&err);
    if (ctr_parse_tmpfs(s, &m, &err) == 0) {
        check_mount(&m);
        ctr_mount_spec_clear(&m);
    }
    ctr_error_clear(&err);

    sig = ctr_parse_signal(s, &err);
    if (sig >= 0) {
        const char *name = ctr_signal_name(sig);

        if (sig < 1 || sig > 64 || err != NULL)
            __builtin_trap();
        /* Every name given parses back to its number. */
        if (name != NULL && ctr_parse_signal(name, &err) != sig)
            __builtin_trap();
    } else if (err == NULL) {
        __builtin_trap();
    }
    ctr_error_clear(&err);

    if (ctr_parse_env_line(s, lookup, &out, &err) == 0) {
        if (out != NULL && (strchr(out, '=') == NULL || out[0] == '='))
            __builtin_trap();
        free(out);
    }
    ctr_error_clear(&err);

    out = ctr_path_normalise(s, &err);
    if (out != NULL) {
        cleanup_free char *again = NULL;

        check_normal(out);
        /* Normalising is idempotent. */
        again = ctr_path_normalise(out, &err);
        if (again == NULL || strcmp(again, out) != 0)
            __builtin_trap();
        free(out);
    }
    ctr_error_clear(&err);
    return 0;
}
