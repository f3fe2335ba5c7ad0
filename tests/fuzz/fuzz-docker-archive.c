/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A docker-archive's manifest.json comes from an untrusted archive.  Whatever the parser
 * accepts must hold the promises of image-archive.h: member names relative and without "..",
 * tags normalised full names; every error must be safe to print on a terminal.  The same bytes
 * also go through the member-name cleaner and the OCI ref.name reader.
 */
#include <string.h>

#include "cleanup.h"
#include "fuzz.h"
#include "image-archive.h"
#include "xalloc.h"

static void check_error(int failed, struct ctr_error **err)
{
    if (!failed) {
        if (*err != NULL)
            __builtin_trap();
        return;
    }
    if (*err == NULL || (*err)->msg == NULL)
        __builtin_trap();
    for (const char *p = (*err)->msg; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            __builtin_trap();
    }
    ctr_error_clear(err);
}

static void check_member(const char *name)
{
    if (name == NULL || name[0] == '\0' || name[0] == '/' || strstr(name, "//") != NULL)
        __builtin_trap();
    for (const char *p = name; *p != '\0'; p += strcspn(p, "/"), p += *p == '/') {
        size_t n = strcspn(p, "/");

        if ((n == 2 && p[0] == '.' && p[1] == '.') || (n == 1 && p[0] == '.'))
            __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cleanup_error struct ctr_error *err = NULL;
    struct image_docker_manifest *m = NULL;
    cleanup_free char *text = xstrndup((const char *)data, size);
    cleanup_free char *clean = NULL, *name = NULL;
    int r;

    r = image_docker_manifest_parse((const char *)data, size, &m, &err);
    check_error(r < 0, &err);
    if (r == 0) {
        if (m->n_items == 0)
            __builtin_trap();
        for (size_t i = 0; i < m->n_items; i++) {
            check_member(m->items[i].config);
            if (m->items[i].layers == NULL || m->items[i].repo_tags == NULL)
                __builtin_trap();
            for (size_t k = 0; k < m->items[i].n_layers; k++)
                check_member(m->items[i].layers[k]);
            for (char **t = m->items[i].repo_tags; *t != NULL; t++) {
                if (strchr(*t, '/') == NULL || strchr(*t, '@') != NULL)
                    __builtin_trap();
            }
        }
        image_docker_manifest_free(m);
    }
    r = image_archive_member_clean(text, &clean, &err);
    check_error(r < 0, &err);
    if (r == 0 && clean[0] != '\0')
        check_member(clean);
    name = image_archive_oci_name(text, &err);
    check_error(name == NULL, &err);
    return 0;
}
