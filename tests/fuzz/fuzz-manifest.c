/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Manifests, indexes and configs come from registries and archives: any byte string may
 * arrive.  Each input goes to every parser; whatever they accept must hold the promises of
 * manifest.h, and every error message must be safe to print on a terminal.
 */
#include <string.h>

#include "cleanup.h"
#include "digest.h"
#include "fuzz.h"
#include "manifest.h"
#include "xalloc.h"

static const char *const content_types[] = {
        NULL,
        IMAGE_MEDIA_OCI_MANIFEST,
        IMAGE_MEDIA_DOCKER_MANIFEST,
        IMAGE_MEDIA_OCI_INDEX,
        IMAGE_MEDIA_DOCKER_LIST,
        "application/json; charset=utf-8",
};

static const char *const platforms[] = {
        "linux/amd64", "linux/arm64", "linux/arm/v6", "linux/arm", "linux/riscv64",
};

/* Consumes the error, trapping on a missing one or on bytes a terminal would interpret. */
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

static void check_descriptor(const struct image_descriptor *d, int64_t max)
{
    cleanup_error struct ctr_error *err = NULL;

    if (d->media_type == NULL || d->digest == NULL || d->size < 0 || d->size > max ||
        image_digest_validate(d->digest, &err) < 0)
        __builtin_trap();
    for (size_t i = 0; d->urls != NULL && d->urls[i] != NULL; i++) {
        if (strncmp(d->urls[i], "http", 4) != 0 && strncmp(d->urls[i], "HTTP", 4) != 0)
            __builtin_trap();
    }
    if (d->platform != NULL && (d->platform->os == NULL || d->platform->architecture == NULL))
        __builtin_trap();
}

static void fuzz_index(const char *content_type, const char *data, size_t size)
{
    cleanup_error struct ctr_error *err = NULL;
    struct image_index *ix = image_index_parse(content_type, data, size, &err);

    check_error(ix == NULL, &err);
    if (ix == NULL)
        return;
    if (ix->n_manifests > IMAGE_INDEX_MAX || !image_manifest_kind_is_index(ix->kind))
        __builtin_trap();
    for (size_t i = 0; i < ix->n_manifests; i++)
        check_descriptor(&ix->manifests[i], IMAGE_BLOB_MAX);
    for (size_t i = 0; i < sizeof(platforms) / sizeof(platforms[0]); i++) {
        for (unsigned flags = 0; flags <= IMAGE_SELECT_COMPATIBLE; flags++) {
            struct image_platform want = {0};
            const struct image_descriptor *d;

            if (image_platform_parse(platforms[i], &want, &err) < 0)
                __builtin_trap();
            d = image_index_select(ix, &want, "fuzz", flags, &err);
            check_error(d == NULL, &err);
            if (d != NULL && (d->platform == NULL || strcmp(d->platform->os, want.os) != 0 ||
                              strcmp(d->platform->architecture, want.architecture) != 0))
                __builtin_trap();
            image_platform_clear(&want);
        }
    }
    image_index_free(ix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *content_type =
            content_types[size % (sizeof(content_types) / sizeof(*content_types))];
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *str = xstrndup(text, size);
    struct image_manifest *m;
    struct image_config *c;
    struct image_platform p = {0};
    enum image_manifest_kind kind;
    time_t t;

    check_error(image_manifest_detect(content_type, text, size, &kind, &err) < 0, &err);

    m = image_manifest_parse(content_type, text, size, &err);
    check_error(m == NULL, &err);
    if (m != NULL) {
        if (m->n_layers > IMAGE_LAYERS_MAX || image_manifest_kind_is_index(m->kind))
            __builtin_trap();
        check_descriptor(&m->config, IMAGE_CONFIG_MAX);
        for (size_t i = 0; i < m->n_layers; i++)
            check_descriptor(&m->layers[i], IMAGE_BLOB_MAX);
    }

    fuzz_index(NULL, text, size);
    fuzz_index(content_type, text, size);

    c = image_config_parse(text, size, &err);
    check_error(c == NULL, &err);
    if (c != NULL) {
        if (c->diff_ids == NULL || c->n_diff_ids > IMAGE_LAYERS_MAX || c->os == NULL ||
            c->architecture == NULL)
            __builtin_trap();
        for (size_t i = 0; i < c->n_diff_ids; i++) {
            if (image_digest_validate(c->diff_ids[i], &err) < 0)
                __builtin_trap();
        }
        for (size_t i = 0; i < c->n_exposed_ports; i++) {
            if (c->exposed_ports[i].port == 0)
                __builtin_trap();
        }
        if (m != NULL)
            check_error(image_config_check_manifest(c, m, &err) < 0, &err);
    }
    image_config_free(c);
    image_manifest_free(m);

    /* The small parsers get the raw text too. */
    check_error(image_time_parse(str, &t, &err) < 0, &err);
    if (image_platform_parse(str, &p, &err) == 0) {
        cleanup_free char *s = image_platform_format(&p);

        if (strchr(s, '/') == NULL)
            __builtin_trap();
        image_platform_clear(&p);
    } else {
        check_error(1, &err);
    }
    if (image_platform_from_machine(str, &p, &err) == 0)
        image_platform_clear(&p);
    else
        check_error(1, &err);
    return 0;
}
