/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure parts of image archives: member names, the names images get, and a docker-archive's
 * manifest.json.  No I/O here, so the unit tests and the fuzz target reach all of it.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <jansson.h>

#include "image-archive.h"
#include "cleanup.h"
#include "manifest.h"
#include "quote.h"
#include "ref.h"
#include "xalloc.h"

/* As in manifest.c: bound the jansson tree before building it (see check_json_shape there). */
#define JSON_MAX_CONTAINERS (1 << 17)
#define JSON_MAX_DEPTH      32

int image_archive_member_clean(const char *name, char **ret, struct ctr_error **err)
{
    size_t len = strlen(name), out_len = 0;
    cleanup_free char *out = NULL;
    cleanup_free char *q = image_quote(name);
    const char *p = name;

    if (len == 0)
        return ctr_error_set(err, EINVAL, "an archive member has an empty name");
    if (len >= PATH_MAX)
        return ctr_error_set(err, EINVAL, "archive member '%s' has a name longer than %d bytes", q,
                             PATH_MAX - 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];

        if (c < 0x20 || c == 0x7f)
            return ctr_error_set(err, EINVAL,
                                 "archive member '%s' has a control character in "
                                 "its name",
                                 q);
    }
    /* An image archive has no business naming files outside itself: refused, not confined. */
    if (name[0] == '/')
        return ctr_error_set(err, EXDEV, "archive member '%s' has an absolute name", q);
    out = xmalloc(len + 1);
    while (*p != '\0') {
        size_t n = strcspn(p, "/");

        if (n == 2 && p[0] == '.' && p[1] == '.')
            return ctr_error_set(err, EXDEV, "archive member '%s' has a '..' in its name", q);
        if (n > 0 && !(n == 1 && p[0] == '.')) {
            if (out_len > 0)
                out[out_len++] = '/';
            memcpy(out + out_len, p, n);
            out_len += n;
        }
        p += n;
        while (*p == '/')
            p++;
    }
    out[out_len] = '\0';
    *ret = steal_pointer(&out);
    return 0;
}

char *image_archive_oci_name(const char *ref_name, struct ctr_error **err)
{
    cleanup_with(image_ref_freep) struct image_ref *ref = NULL;
    cleanup_strv char **names = NULL;
    char *local[] = {(char *)"localhost", NULL};

    if (image_ref_parse(ref_name, &ref, err) < 0)
        return NULL;
    if (ref->tag != NULL && ref->digest != NULL) {
        /* Podman keeps the tag of a tagged and digested name: a name is what a user types. */
        cleanup_free char *without = xstrndup(ref_name, strcspn(ref_name, "@"));

        return image_archive_oci_name(without, err);
    }
    if (!ref->short_name)
        return image_ref_format(ref);
    /* Not docker.io: a name without a registry was made locally (Podman's NormalizeName). */
    if (image_ref_candidates(ref_name, local, &names, err) < 0)
        return NULL;
    return xstrdup(names[0]);
}

/* --- docker-archive manifest.json --- */

static int check_shape(const char *data, size_t len, struct ctr_error **err)
{
    size_t containers = 0, depth = 0;
    int in_string = 0;

    for (size_t i = 0; i < len; i++) {
        if (in_string) {
            if (data[i] == '\\')
                i++;
            else if (data[i] == '"')
                in_string = 0;
            continue;
        }
        if (data[i] == '"') {
            in_string = 1;
        } else if (data[i] == '{' || data[i] == '[') {
            if (++depth > JSON_MAX_DEPTH || ++containers > JSON_MAX_CONTAINERS)
                return ctr_error_set(err, EBADMSG, "too deeply nested or too many JSON values");
        } else if ((data[i] == '}' || data[i] == ']') && depth > 0) {
            depth--;
        }
    }
    return 0;
}

void image_docker_manifest_free(struct image_docker_manifest *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n_items; i++) {
        free(m->items[i].config);
        strv_free(m->items[i].repo_tags);
        strv_free(m->items[i].layers);
    }
    free(m->items);
    free(m);
}

static json_t *field(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    return json_is_null(v) ? NULL : v;
}

static int parse_member(json_t *v, const char *where, char **ret, struct ctr_error **err)
{
    if (!json_is_string(v))
        return ctr_error_set(err, EBADMSG, "%s: not a string", where);
    if (image_archive_member_clean(json_string_value(v), ret, err) < 0)
        return ctr_error_wrap(err, "%s", where);
    if ((*ret)[0] == '\0') {
        free(steal_pointer(ret));
        return ctr_error_set(err, EBADMSG, "%s: names the archive itself", where);
    }
    return 0;
}

static int parse_tag(json_t *v, const char *where, char **ret, struct ctr_error **err)
{
    cleanup_with(image_ref_freep) struct image_ref *ref = NULL;

    if (!json_is_string(v))
        return ctr_error_set(err, EBADMSG, "%s: not a string", where);
    if (image_ref_parse(json_string_value(v), &ref, err) < 0)
        return ctr_error_wrap(err, "%s", where);
    if (ref->digest != NULL) {
        cleanup_free char *q = image_quote(json_string_value(v));

        return ctr_error_set(err, EBADMSG, "%s: '%s' has a digest, not a tag", where, q);
    }
    /* Docker's reading: a name without a registry is on docker.io. */
    *ret = image_ref_format(ref);
    return 0;
}

static int parse_item(json_t *j, size_t i, struct image_docker_item *it, struct ctr_error **err)
{
    json_t *layers, *tags;
    char where[64];
    size_t n_tags = 0;

    if (!json_is_object(j))
        return ctr_error_set(err, EBADMSG, "[%zu]: not an object", i);
    snprintf(where, sizeof(where), "[%zu].Config", i);
    if (field(j, "Config") == NULL)
        return ctr_error_set(err, EBADMSG, "%s: missing", where);
    if (parse_member(field(j, "Config"), where, &it->config, err) < 0)
        return -1;
    layers = field(j, "Layers");
    if (!json_is_array(layers))
        return ctr_error_set(err, EBADMSG, "[%zu].Layers: %s", i,
                             layers == NULL ? "missing" : "not an array");
    if (json_array_size(layers) > IMAGE_LAYERS_MAX)
        return ctr_error_set(err, EBADMSG, "[%zu].Layers: more than %d layers", i,
                             IMAGE_LAYERS_MAX);
    it->layers = xcalloc(json_array_size(layers) + 1, sizeof(char *));
    for (size_t k = 0; k < json_array_size(layers); k++) {
        snprintf(where, sizeof(where), "[%zu].Layers[%zu]", i, k);
        if (parse_member(json_array_get(layers, k), where, &it->layers[k], err) < 0)
            return -1;
        it->n_layers = k + 1;
    }
    tags = field(j, "RepoTags");
    if (tags != NULL && !json_is_array(tags))
        return ctr_error_set(err, EBADMSG, "[%zu].RepoTags: not an array", i);
    if (tags != NULL && json_array_size(tags) > IMAGE_INDEX_MAX)
        return ctr_error_set(err, EBADMSG, "[%zu].RepoTags: more than %d tags", i, IMAGE_INDEX_MAX);
    it->repo_tags = xcalloc(json_array_size(tags) + 1, sizeof(char *));
    for (size_t k = 0; k < json_array_size(tags); k++) {
        char *tag = NULL;

        snprintf(where, sizeof(where), "[%zu].RepoTags[%zu]", i, k);
        if (parse_tag(json_array_get(tags, k), where, &tag, err) < 0)
            return -1;
        /* "busybox:latest" and "docker.io/library/busybox:latest" are one name. */
        if (strv_contains(it->repo_tags, tag))
            free(tag);
        else
            it->repo_tags[n_tags++] = tag;
    }
    return 0;
}

static int parse_items(json_t *root, struct image_docker_manifest *m, struct ctr_error **err)
{
    if (!json_is_array(root))
        return ctr_error_set(err, EBADMSG, "not a JSON array");
    if (json_array_size(root) == 0)
        return ctr_error_set(err, EBADMSG, "lists no image");
    if (json_array_size(root) > IMAGE_INDEX_MAX)
        return ctr_error_set(err, EBADMSG, "more than %d images", IMAGE_INDEX_MAX);
    m->items = xcalloc(json_array_size(root), sizeof(*m->items));
    for (size_t i = 0; i < json_array_size(root); i++) {
        m->n_items = i + 1;
        if (parse_item(json_array_get(root, i), i, &m->items[i], err) < 0)
            return -1;
    }
    return 0;
}

int image_docker_manifest_parse(const char *data, size_t len, struct image_docker_manifest **ret,
                                struct ctr_error **err)
{
    cleanup_with(image_docker_manifest_freep) struct image_docker_manifest *m = NULL;
    json_auto_t *root = NULL;
    json_error_t jerr;

    if (len > IMAGE_DOCKER_MANIFEST_MAX)
        return ctr_error_set(err, EFBIG,
                             "invalid docker-archive manifest.json: %zu bytes is more than the "
                             "limit of %d",
                             len, IMAGE_DOCKER_MANIFEST_MAX);
    if (check_shape(data, len, err) < 0)
        return ctr_error_wrap(err, "invalid docker-archive manifest.json");
    root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        cleanup_free char *text = image_quote(jerr.text);

        return ctr_error_set(err, EBADMSG,
                             "invalid docker-archive manifest.json: invalid JSON at line %d, "
                             "column %d: %s",
                             jerr.line, jerr.column, text);
    }
    m = xzalloc(sizeof(*m));
    if (parse_items(root, m, err) < 0)
        return ctr_error_wrap(err, "invalid docker-archive manifest.json");
    *ret = steal_pointer(&m);
    return 0;
}
