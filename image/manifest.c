/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

#include <jansson.h>

#include "cleanup.h"
#include "ctrlog.h"
#include "digest.h"
#include "manifest.h"
#include "quote.h"
#include "xalloc.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * jansson spends about 225 bytes on an empty object and 40 on a number, so 4 MiB of "{}," would
 * become a 300 MiB tree.  Counting brackets and commas before parsing bounds the tree at a few
 * tens of MiB; a 10000-entry index needs about 4 containers and 10 values an entry.  The depth
 * limit is far above any real document (a config's deepest field is 4 levels down).
 */
#define JSON_MAX_CONTAINERS (1 << 17)
#define JSON_MAX_VALUES     (1 << 20)
#define JSON_MAX_DEPTH      64

/* Platform names are Go identifiers in practice; anything else is refused, not echoed. */
#define PLATFORM_NAME_MAX 64

static const struct {
    const char *media_type;
    enum image_manifest_kind kind;
} kinds[] = {
        {IMAGE_MEDIA_OCI_MANIFEST, IMAGE_KIND_OCI_MANIFEST},
        {IMAGE_MEDIA_DOCKER_MANIFEST, IMAGE_KIND_DOCKER_MANIFEST},
        {IMAGE_MEDIA_OCI_INDEX, IMAGE_KIND_OCI_INDEX},
        {IMAGE_MEDIA_DOCKER_LIST, IMAGE_KIND_DOCKER_LIST},
};

static const struct {
    const char *media_type;
    enum image_compression compression;
    int nondistributable;
} layer_types[] = {
        {"application/vnd.oci.image.layer.v1.tar", IMAGE_COMPRESSION_NONE, 0},
        {"application/vnd.oci.image.layer.v1.tar+gzip", IMAGE_COMPRESSION_GZIP, 0},
        {"application/vnd.oci.image.layer.v1.tar+zstd", IMAGE_COMPRESSION_ZSTD, 0},
        {"application/vnd.oci.image.layer.nondistributable.v1.tar", IMAGE_COMPRESSION_NONE, 1},
        {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", IMAGE_COMPRESSION_GZIP, 1},
        {"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", IMAGE_COMPRESSION_ZSTD, 1},
        {"application/vnd.docker.image.rootfs.diff.tar.gzip", IMAGE_COMPRESSION_GZIP, 0},
        {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", IMAGE_COMPRESSION_GZIP, 1},
        /* Not in Docker's schema 2 document, but containers/image writes it for uncompressed
         * layers (skopeo copies from containers-storage), so such images are on registries. */
        {"application/vnd.docker.image.rootfs.diff.tar", IMAGE_COMPRESSION_NONE, 0},
};

/* What a registry or a file server sends when it does not know the manifest's media type. */
static const char *const generic_types[] = {
        "application/json",
        "text/plain",
        "application/octet-stream",
        "binary/octet-stream",
};

static int schema1_error(struct ctr_error **err)
{
    /* Schema 1 has no config blob and no diff_ids, so its layers cannot be checked the way
     * ctr checks every other image; Docker itself has pushed schema 2 since 1.10. */
    return ctr_error_set(err, ENOTSUP,
                         "schema 1 (Docker's first manifest format) is not supported: the image "
                         "must be re-pushed with a current tool (docker, podman, buildah or "
                         "skopeo)");
}

/* "where.key: message", or "key: message" at the top level. */
static int CTR_PRINTF(4, 5) field_error(struct ctr_error **err, const char *where, const char *key,
                                        const char *fmt, ...)
{
    cleanup_free char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = xvasprintf(fmt, ap);
    va_end(ap);
    return ctr_error_set(err, EBADMSG, "%s%s%s: %s", where, *where != '\0' ? "." : "", key, msg);
}

static int check_json_shape(const char *data, size_t len, struct ctr_error **err)
{
    size_t containers = 0, values = 0, depth = 0;
    int in_string = 0;

    for (size_t i = 0; i < len; i++) {
        char c = data[i];

        if (in_string) {
            if (c == '\\')
                i++; /* an escaped quote does not end the string */
            else if (c == '"')
                in_string = 0;
            continue;
        }
        switch (c) {
        case '"':
            in_string = 1;
            break;
        case '{':
        case '[':
            if (++depth > JSON_MAX_DEPTH)
                return ctr_error_set(err, EBADMSG, "JSON nested more than %d levels deep",
                                     JSON_MAX_DEPTH);
            if (++containers > JSON_MAX_CONTAINERS)
                return ctr_error_set(err, EBADMSG, "more than %d JSON objects and arrays",
                                     JSON_MAX_CONTAINERS);
            break;
        case '}':
        case ']':
            if (depth > 0)
                depth--;
            break;
        case ',':
            if (++values > JSON_MAX_VALUES)
                return ctr_error_set(err, EBADMSG, "more than %d JSON values", JSON_MAX_VALUES);
            break;
        default:
            break;
        }
    }
    return 0;
}

/* The jansson adapter: a document that must be a JSON object, at most `max` bytes. */
static json_t *load_object(const char *data, size_t len, size_t max, struct ctr_error **err)
{
    json_error_t jerr;
    json_t *root;

    if (len > max) {
        ctr_error_set(err, EFBIG, "%zu bytes is more than the limit of %zu", len, max);
        return NULL;
    }
    if (check_json_shape(data, len, err) < 0)
        return NULL;
    /*
     * Duplicate keys are refused: when a registry's validator keeps the first and a client the
     * last, the document each of them checked is not the same one.
     */
    root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        cleanup_free char *text = image_quote(jerr.text);

        ctr_error_set(err, EBADMSG, "invalid JSON at line %d, column %d: %s", jerr.line,
                      jerr.column, text);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        ctr_error_set(err, EBADMSG, "not a JSON object");
        return NULL;
    }
    return root;
}

/* Member `key` of `obj`, or NULL when absent or null: the OCI spec equates the two. */
static json_t *member(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    return json_is_null(v) ? NULL : v;
}

static int get_string(json_t *obj, const char *where, const char *key, int required, char **ret,
                      struct ctr_error **err)
{
    json_t *v = member(obj, key);

    if (v == NULL) {
        if (required)
            return field_error(err, where, key, "missing");
        *ret = NULL;
        return 0;
    }
    if (!json_is_string(v))
        return field_error(err, where, key, "not a string");
    /* jansson refuses "\u0000" unless asked, so the C string is the whole value. */
    *ret = xstrdup(json_string_value(v));
    return 0;
}

/*
 * An array of strings into a NULL-terminated list; absent gives NULL.  The list is attached to
 * *ret as it fills, so the owner's destructor frees a half-built one.
 */
static int get_strv(json_t *obj, const char *where, const char *key, size_t max, char ***ret,
                    size_t *ret_n, struct ctr_error **err)
{
    json_t *v = member(obj, key);

    *ret = NULL;
    if (ret_n != NULL)
        *ret_n = 0;
    if (v == NULL)
        return 0;
    if (!json_is_array(v))
        return field_error(err, where, key, "not an array");
    if (json_array_size(v) > max)
        return field_error(err, where, key, "%zu entries, more than the limit of %zu",
                           json_array_size(v), max);
    *ret = xcalloc(json_array_size(v) + 1, sizeof(**ret));
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *e = json_array_get(v, i);

        if (!json_is_string(e))
            return field_error(err, where, key, "entry %zu is not a string", i);
        (*ret)[i] = xstrdup(json_string_value(e));
        if (ret_n != NULL)
            *ret_n = i + 1;
    }
    return 0;
}

/* A string-to-string map, in document order; absent gives none.  Attached as it fills. */
static int get_kv(json_t *obj, const char *where, const char *key, struct image_kv **ret,
                  size_t *ret_n, struct ctr_error **err)
{
    json_t *v = member(obj, key);

    *ret = NULL;
    *ret_n = 0;
    if (v == NULL)
        return 0;
    if (!json_is_object(v))
        return field_error(err, where, key, "not an object");
    *ret = xcalloc(json_object_size(v), sizeof(**ret));
    for (void *it = json_object_iter(v); it != NULL; it = json_object_iter_next(v, it)) {
        const char *k = json_object_iter_key(it);
        json_t *e = json_object_iter_value(it);

        if (!json_is_string(e)) {
            cleanup_free char *q = image_quote(k);

            return field_error(err, where, key, "value of '%s' is not a string", q);
        }
        (*ret)[*ret_n].key = xstrdup(k);
        (*ret)[*ret_n].value = xstrdup(json_string_value(e));
        (*ret_n)++;
    }
    return 0;
}

static void kv_free(struct image_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

const char *image_kv_get(const struct image_kv *kv, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(kv[i].key, key) == 0)
            return kv[i].value;
    }
    return NULL;
}

const char *image_descriptor_annotation(const struct image_descriptor *d, const char *key)
{
    return image_kv_get(d->annotations, d->n_annotations, key);
}

/* RFC 6838 section 4.2: type "/" subtype, each a letter or digit then restricted chars. */
static int valid_media_type_part(const char *s, size_t n)
{
    if (n == 0 || n > 127)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

        if (!alnum && (i == 0 || strchr("!#$&-^_.+", c) == NULL))
            return 0;
    }
    return 1;
}

static int valid_media_type(const char *s)
{
    const char *slash = strchr(s, '/');

    return slash != NULL && valid_media_type_part(s, (size_t)(slash - s)) &&
           valid_media_type_part(slash + 1, strlen(slash + 1));
}

static int valid_platform_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > PLATFORM_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int get_platform_name(json_t *obj, const char *where, const char *key, int required,
                             char **ret, struct ctr_error **err)
{
    if (get_string(obj, where, key, required, ret, err) < 0)
        return -1;
    if (*ret != NULL && !valid_platform_name(*ret)) {
        cleanup_free char *q = image_quote(*ret);

        return field_error(err, where, key, "invalid name '%s'", q);
    }
    return 0;
}

void image_platform_clear(struct image_platform *p)
{
    if (p == NULL)
        return;
    free(p->os);
    free(p->architecture);
    free(p->variant);
    free(p->os_version);
    strv_free(p->os_features);
    strv_free(p->features);
    memset(p, 0, sizeof(*p));
}

static int parse_platform(json_t *j, const char *where, struct image_platform *p,
                          struct ctr_error **err)
{
    if (!json_is_object(j))
        return ctr_error_set(err, EBADMSG, "%s: not an object", where);
    if (get_platform_name(j, where, "os", 1, &p->os, err) < 0 ||
        get_platform_name(j, where, "architecture", 1, &p->architecture, err) < 0 ||
        get_platform_name(j, where, "variant", 0, &p->variant, err) < 0 ||
        get_string(j, where, "os.version", 0, &p->os_version, err) < 0 ||
        get_strv(j, where, "os.features", SIZE_MAX, &p->os_features, NULL, err) < 0 ||
        get_strv(j, where, "features", SIZE_MAX, &p->features, NULL, err) < 0)
        return -1;
    return 0;
}

static void descriptor_clear(struct image_descriptor *d)
{
    free(d->media_type);
    free(d->digest);
    strv_free(d->urls);
    image_platform_clear(d->platform);
    free(d->platform);
    kv_free(d->annotations, d->n_annotations);
}

static int kind_of(const char *s, size_t n, enum image_manifest_kind *ret)
{
    for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
        if (strlen(kinds[i].media_type) == n && strncasecmp(s, kinds[i].media_type, n) == 0) {
            *ret = kinds[i].kind;
            return 0;
        }
    }
    return -1;
}

static int is_schema1(const char *s, size_t n)
{
    return (strlen(IMAGE_MEDIA_DOCKER_SCHEMA1) == n &&
            strncasecmp(s, IMAGE_MEDIA_DOCKER_SCHEMA1, n) == 0) ||
           (strlen(IMAGE_MEDIA_DOCKER_SCHEMA1_S) == n &&
            strncasecmp(s, IMAGE_MEDIA_DOCKER_SCHEMA1_S, n) == 0);
}

int image_manifest_kind_is_index(enum image_manifest_kind kind)
{
    return kind == IMAGE_KIND_OCI_INDEX || kind == IMAGE_KIND_DOCKER_LIST;
}

const char *image_manifest_kind_media_type(enum image_manifest_kind kind)
{
    for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
        if (kinds[i].kind == kind)
            return kinds[i].media_type;
    }
    return "unknown";
}

static const char *kind_noun(enum image_manifest_kind kind)
{
    return image_manifest_kind_is_index(kind) ? "an image index" : "an image manifest";
}

enum role {
    ROLE_CONFIG,
    ROLE_LAYER,
    ROLE_ENTRY,
};

static int64_t size_limit(enum role role, const char *media_type)
{
    enum image_manifest_kind kind = 0;

    if (role == ROLE_CONFIG)
        return IMAGE_CONFIG_MAX;
    if (role == ROLE_ENTRY && kind_of(media_type, strlen(media_type), &kind) == 0)
        return IMAGE_MANIFEST_MAX;
    return IMAGE_BLOB_MAX;
}

static int check_urls(char **urls, const char *where, struct ctr_error **err)
{
    for (size_t i = 0; urls != NULL && urls[i] != NULL; i++) {
        /* A foreign layer's URL is fetched like a blob; file: or ftp: URLs must never be. */
        if (strncasecmp(urls[i], "https://", 8) != 0 && strncasecmp(urls[i], "http://", 7) != 0) {
            cleanup_free char *q = image_quote(urls[i]);

            return field_error(err, where, "urls", "'%s' is not an http or https URL", q);
        }
    }
    return 0;
}

static int check_role(struct image_descriptor *d, const char *where, enum role role,
                      struct ctr_error **err)
{
    cleanup_free char *q = NULL;

    if (role == ROLE_LAYER) {
        for (size_t i = 0; i < ARRAY_SIZE(layer_types); i++) {
            if (strcmp(d->media_type, layer_types[i].media_type) == 0) {
                d->compression = layer_types[i].compression;
                d->nondistributable = layer_types[i].nondistributable;
                return 0;
            }
        }
        q = image_quote(d->media_type);
        return ctr_error_set(err, ENOTSUP,
                             "%s: unsupported layer media type '%s': ctr unpacks tar layers, "
                             "uncompressed or compressed with gzip or zstd",
                             where, q);
    }
    if (role == ROLE_CONFIG && strcmp(d->media_type, IMAGE_MEDIA_OCI_CONFIG) != 0 &&
        strcmp(d->media_type, IMAGE_MEDIA_DOCKER_CONFIG) != 0) {
        q = image_quote(d->media_type);
        return ctr_error_set(err, ENOTSUP,
                             "%s: media type '%s' is not a container image config: the manifest "
                             "describes an artifact, not an image ctr can run",
                             where, q);
    }
    return 0;
}

static int parse_descriptor(json_t *j, const char *where, enum role role,
                            struct image_descriptor *d, struct ctr_error **err)
{
    json_t *size, *platform;
    int64_t limit;

    if (!json_is_object(j))
        return ctr_error_set(err, EBADMSG, "%s: not an object", where);
    /* The digest first: it names blobs on disk, so nothing may see it before it is checked. */
    if (get_string(j, where, "digest", 1, &d->digest, err) < 0)
        return -1;
    if (image_digest_validate(d->digest, err) < 0)
        return ctr_error_wrap(err, "%s.digest", where);
    if (get_string(j, where, "mediaType", 1, &d->media_type, err) < 0)
        return -1;
    if (!valid_media_type(d->media_type)) {
        cleanup_free char *q = image_quote(d->media_type);

        return field_error(err, where, "mediaType", "invalid media type '%s'", q);
    }
    size = member(j, "size");
    if (size == NULL)
        return field_error(err, where, "size", "missing");
    /* jansson keeps numbers with a fraction or exponent as reals, and refuses integers that do
     * not fit json_int_t (long long), so a real here is "1.5" or "1e3". */
    if (!json_is_integer(size))
        return field_error(err, where, "size", "not an integer");
    d->size = json_integer_value(size);
    if (d->size < 0)
        return field_error(err, where, "size", "%" PRId64 " is negative", d->size);
    limit = size_limit(role, d->media_type);
    if (d->size > limit)
        return field_error(err, where, "size", "%" PRId64 " is more than the limit of %" PRId64,
                           d->size, limit);
    if (get_strv(j, where, "urls", SIZE_MAX, &d->urls, NULL, err) < 0 ||
        check_urls(d->urls, where, err) < 0)
        return -1;
    if (get_kv(j, where, "annotations", &d->annotations, &d->n_annotations, err) < 0)
        return -1;
    platform = member(j, "platform");
    if (platform != NULL) {
        cleanup_free char *pwhere = xasprintf("%s.platform", where);

        d->platform = xzalloc(sizeof(*d->platform));
        if (parse_platform(platform, pwhere, d->platform, err) < 0)
            return -1;
    }
    return check_role(d, where, role, err);
}

static int is_generic_type(const char *s, size_t n)
{
    for (size_t i = 0; i < ARRAY_SIZE(generic_types); i++) {
        if (strlen(generic_types[i]) == n && strncasecmp(s, generic_types[i], n) == 0)
            return 1;
    }
    return 0;
}

/*
 * The kind the Content-Type names: 0 and *ret_kind = 0 when it names none (absent, empty or
 * generic), -1 for schema 1 and for types that are not manifests at all.
 */
static int header_kind(const char *content_type, enum image_manifest_kind *ret_kind,
                       struct ctr_error **err)
{
    const char *s = content_type, *end;

    *ret_kind = 0;
    if (s == NULL)
        return 0;
    /* Parameters (";charset=utf-8") and blanks around the type do not change it. */
    while (*s == ' ' || *s == '\t')
        s++;
    end = s + strcspn(s, ";");
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (end == s || is_generic_type(s, (size_t)(end - s)))
        return 0;
    if (is_schema1(s, (size_t)(end - s)))
        return schema1_error(err);
    if (kind_of(s, (size_t)(end - s), ret_kind) < 0) {
        cleanup_free char *q = image_quote(content_type);

        return ctr_error_set(err, ENOTSUP, "unsupported manifest media type '%s'", q);
    }
    return 0;
}

/* The kind of `root`, given what the Content-Type said (0 for nothing). */
static int detect(enum image_manifest_kind from_header, json_t *root,
                  enum image_manifest_kind *ret_kind, struct ctr_error **err)
{
    enum image_manifest_kind from_body = 0, kind;
    json_t *version, *media_type;
    int has_index, has_image;

    version = member(root, "schemaVersion");
    /* Schema 1 first: its other fields would only produce a misleading complaint. */
    if (json_is_integer(version) && json_integer_value(version) == 1)
        return schema1_error(err);
    media_type = member(root, "mediaType");
    if (media_type != NULL) {
        const char *s = json_string_value(media_type);

        if (s == NULL)
            return field_error(err, "", "mediaType", "not a string");
        if (is_schema1(s, strlen(s)))
            return schema1_error(err);
        if (kind_of(s, strlen(s), &from_body) < 0) {
            cleanup_free char *q = image_quote(s);

            return ctr_error_set(err, ENOTSUP, "unsupported manifest media type '%s'", q);
        }
    }
    if (version == NULL)
        return field_error(err, "", "schemaVersion", "missing");
    if (!json_is_integer(version))
        return field_error(err, "", "schemaVersion", "not an integer");
    if (json_integer_value(version) != 2)
        return field_error(err, "", "schemaVersion", "%lld is not supported (expected 2)",
                           (long long)json_integer_value(version));
    if (from_header != 0 && from_body != 0 && from_header != from_body)
        return ctr_error_set(err, EBADMSG,
                             "the registry sent Content-Type '%s' for a document whose "
                             "mediaType is '%s'",
                             image_manifest_kind_media_type(from_header),
                             image_manifest_kind_media_type(from_body));
    /*
     * CVE-2021-41190: a document with both shapes and no mediaType was read as a manifest by
     * some tools and as an index by others, so the same digest could mean two images.
     */
    has_index = member(root, "manifests") != NULL;
    has_image = member(root, "config") != NULL || member(root, "layers") != NULL;
    if (has_index && has_image)
        return ctr_error_set(err, EBADMSG,
                             "ambiguous document: it has both 'manifests' and 'config' or "
                             "'layers'");
    kind = from_header != 0 ? from_header : from_body;
    if (kind == 0 && has_index)
        kind = IMAGE_KIND_OCI_INDEX;
    else if (kind == 0 && has_image)
        kind = IMAGE_KIND_OCI_MANIFEST;
    if (kind == 0)
        return ctr_error_set(err, EBADMSG,
                             "not a manifest or an index: no media type, and neither "
                             "'manifests' nor 'config' and 'layers'");
    if (image_manifest_kind_is_index(kind) ? has_image : has_index)
        return ctr_error_set(err, EBADMSG, "%s must not have '%s'", kind_noun(kind),
                             has_image ? "config' or 'layers" : "manifests");
    *ret_kind = kind;
    return 0;
}

/* Loads a manifest document and tells its kind; the header is judged before the body is read. */
static json_t *load_manifest(const char *content_type, const char *data, size_t len,
                             enum image_manifest_kind *ret_kind, struct ctr_error **err)
{
    enum image_manifest_kind from_header = 0;
    json_auto_t *root = NULL;

    if (header_kind(content_type, &from_header, err) < 0)
        return NULL;
    root = load_object(data, len, IMAGE_MANIFEST_MAX, err);
    if (root == NULL || detect(from_header, root, ret_kind, err) < 0)
        return NULL;
    return steal_pointer(&root);
}

int image_manifest_detect(const char *content_type, const char *data, size_t len,
                          enum image_manifest_kind *ret_kind, struct ctr_error **err)
{
    json_auto_t *root = load_manifest(content_type, data, len, ret_kind, err);

    if (root == NULL)
        return ctr_error_wrap(err, "invalid manifest");
    return 0;
}

/* Like load_manifest(), and the document must be of the family (index or not) asked for. */
static json_t *load_family(const char *content_type, const char *data, size_t len, int index,
                           enum image_manifest_kind *ret_kind, struct ctr_error **err)
{
    enum image_manifest_kind kind = 0;
    json_auto_t *root = load_manifest(content_type, data, len, &kind, err);

    if (root == NULL)
        return NULL;
    if (image_manifest_kind_is_index(kind) != index) {
        ctr_error_set(err, EBADMSG, "expected %s, got %s (%s)",
                      index ? "an image index" : "an image manifest", kind_noun(kind),
                      image_manifest_kind_media_type(kind));
        return NULL;
    }
    *ret_kind = kind;
    return steal_pointer(&root);
}

void image_manifest_free(struct image_manifest *m)
{
    if (m == NULL)
        return;
    descriptor_clear(&m->config);
    for (size_t i = 0; i < m->n_layers; i++)
        descriptor_clear(&m->layers[i]);
    free(m->layers);
    kv_free(m->annotations, m->n_annotations);
    free(m);
}

void image_index_free(struct image_index *ix)
{
    if (ix == NULL)
        return;
    for (size_t i = 0; i < ix->n_manifests; i++)
        descriptor_clear(&ix->manifests[i]);
    free(ix->manifests);
    kv_free(ix->annotations, ix->n_annotations);
    free(ix);
}

/* A required array of at most `max` entries. */
static json_t *get_array(json_t *obj, const char *key, size_t max, struct ctr_error **err)
{
    json_t *v = member(obj, key);

    if (v == NULL) {
        field_error(err, "", key, "missing");
        return NULL;
    }
    if (!json_is_array(v)) {
        field_error(err, "", key, "not an array");
        return NULL;
    }
    if (json_array_size(v) > max) {
        field_error(err, "", key, "%zu entries, more than the limit of %zu", json_array_size(v),
                    max);
        return NULL;
    }
    return v;
}

static int parse_manifest(json_t *root, struct image_manifest *m, struct ctr_error **err)
{
    json_t *config = member(root, "config"), *layers;

    if (config == NULL)
        return field_error(err, "", "config", "missing");
    if (parse_descriptor(config, "config", ROLE_CONFIG, &m->config, err) < 0)
        return -1;
    layers = get_array(root, "layers", IMAGE_LAYERS_MAX, err);
    if (layers == NULL)
        return -1;
    m->layers = xcalloc(json_array_size(layers), sizeof(*m->layers));
    for (size_t i = 0; i < json_array_size(layers); i++) {
        json_t *e = json_array_get(layers, i);
        cleanup_free char *where = xasprintf("layers[%zu]", i);

        /* Counted before parsing, so the destructor frees a half-parsed descriptor too. */
        m->n_layers = i + 1;
        if (parse_descriptor(e, where, ROLE_LAYER, &m->layers[i], err) < 0)
            return -1;
    }
    return get_kv(root, "", "annotations", &m->annotations, &m->n_annotations, err);
}

struct image_manifest *image_manifest_parse(const char *content_type, const char *data, size_t len,
                                            struct ctr_error **err)
{
    cleanup_with(image_manifest_freep) struct image_manifest *m = NULL;
    enum image_manifest_kind kind = 0;
    json_auto_t *root = load_family(content_type, data, len, 0, &kind, err);

    if (root == NULL) {
        ctr_error_wrap(err, "invalid image manifest");
        return NULL;
    }
    m = xzalloc(sizeof(*m));
    m->kind = kind;
    if (parse_manifest(root, m, err) < 0) {
        ctr_error_wrap(err, "invalid image manifest");
        return NULL;
    }
    return steal_pointer(&m);
}

static int parse_index(json_t *root, struct image_index *ix, struct ctr_error **err)
{
    json_t *manifests = get_array(root, "manifests", IMAGE_INDEX_MAX, err);

    if (manifests == NULL)
        return -1;
    ix->manifests = xcalloc(json_array_size(manifests), sizeof(*ix->manifests));
    for (size_t i = 0; i < json_array_size(manifests); i++) {
        json_t *e = json_array_get(manifests, i);
        cleanup_free char *where = xasprintf("manifests[%zu]", i);

        ix->n_manifests = i + 1;
        if (parse_descriptor(e, where, ROLE_ENTRY, &ix->manifests[i], err) < 0)
            return -1;
    }
    return get_kv(root, "", "annotations", &ix->annotations, &ix->n_annotations, err);
}

struct image_index *image_index_parse(const char *content_type, const char *data, size_t len,
                                      struct ctr_error **err)
{
    cleanup_with(image_index_freep) struct image_index *ix = NULL;
    enum image_manifest_kind kind = 0;
    json_auto_t *root = load_family(content_type, data, len, 1, &kind, err);

    if (root == NULL) {
        ctr_error_wrap(err, "invalid image index");
        return NULL;
    }
    ix = xzalloc(sizeof(*ix));
    ix->kind = kind;
    if (parse_index(root, ix, err) < 0) {
        ctr_error_wrap(err, "invalid image index");
        return NULL;
    }
    return steal_pointer(&ix);
}

/* --- image config --- */

int image_time_parse(const char *s, time_t *ret, struct ctr_error **err)
{
    cleanup_free char *q = NULL;
    int64_t t, nsec;

    if (ctr_parse_rfc3339_sec(s, strlen(s), &t, &nsec) < 0) {
        q = image_quote(s);
        return ctr_error_set(err, EBADMSG,
                             "invalid time '%s': expected RFC 3339, like '2024-05-01T12:00:00Z'",
                             q);
    }
    /* Year 1 is before a 32-bit time_t's range. */
    if ((int64_t)(time_t)t != t) {
        q = image_quote(s);
        return ctr_error_set(err, ERANGE, "time '%s' is out of range", q);
    }
    *ret = (time_t)t;
    return 0;
}

void image_config_free(struct image_config *c)
{
    if (c == NULL)
        return;
    free(c->architecture);
    free(c->os);
    free(c->variant);
    free(c->user);
    strv_free(c->env);
    strv_free(c->entrypoint);
    strv_free(c->cmd);
    free(c->working_dir);
    free(c->exposed_ports);
    strv_free(c->volumes);
    kv_free(c->labels, c->n_labels);
    free(c->stop_signal);
    strv_free(c->diff_ids);
    free(c);
}

/* "80/tcp", "53/udp", "132/sctp" or "8080" (tcp), as Docker writes EXPOSE into the config. */
static int parse_port(const char *s, struct image_port *ret)
{
    const char *slash = strchr(s, '/');
    const char *proto = slash != NULL ? slash + 1 : "tcp";
    size_t digits = slash != NULL ? (size_t)(slash - s) : strlen(s);
    unsigned long port = 0;

    if (digits == 0 || digits > 5)
        return -1;
    for (size_t i = 0; i < digits; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        port = port * 10 + (unsigned long)(s[i] - '0');
    }
    if (port == 0 || port > 65535)
        return -1;
    if (strcasecmp(proto, "tcp") != 0 && strcasecmp(proto, "udp") != 0 &&
        strcasecmp(proto, "sctp") != 0)
        return -1;
    ret->port = (uint16_t)port;
    for (size_t i = 0; proto[i] != '\0'; i++)
        ret->protocol[i] = (char)(proto[i] | 0x20);
    ret->protocol[strlen(proto)] = '\0';
    return 0;
}

/* A Go map[string]struct{}: each value an object (or null), the keys are what counts. */
static int check_set(json_t *set, const char *key, struct ctr_error **err)
{
    if (!json_is_object(set))
        return field_error(err, "config", key, "not an object");
    for (void *it = json_object_iter(set); it != NULL; it = json_object_iter_next(set, it)) {
        const char *k = json_object_iter_key(it);
        json_t *v = json_object_iter_value(it);

        if (!json_is_object(v) && !json_is_null(v)) {
            cleanup_free char *q = image_quote(k);

            return field_error(err, "config", key, "value of '%s' is not an object", q);
        }
    }
    return 0;
}

static int parse_ports(json_t *cfg, struct image_config *c, struct ctr_error **err)
{
    json_t *ports = member(cfg, "ExposedPorts");

    if (ports == NULL)
        return 0;
    if (check_set(ports, "ExposedPorts", err) < 0)
        return -1;
    c->exposed_ports = xcalloc(json_object_size(ports), sizeof(*c->exposed_ports));
    for (void *it = json_object_iter(ports); it != NULL; it = json_object_iter_next(ports, it)) {
        const char *k = json_object_iter_key(it);

        if (parse_port(k, &c->exposed_ports[c->n_exposed_ports]) < 0) {
            cleanup_free char *q = image_quote(k);

            return field_error(err, "config", "ExposedPorts",
                               "invalid port '%s': expected PORT[/tcp|udp|sctp]", q);
        }
        c->n_exposed_ports++;
    }
    return 0;
}

static int parse_volumes(json_t *cfg, struct image_config *c, struct ctr_error **err)
{
    json_t *volumes = member(cfg, "Volumes");
    size_t n = 0;

    if (volumes == NULL)
        return 0;
    if (check_set(volumes, "Volumes", err) < 0)
        return -1;
    c->volumes = xcalloc(json_object_size(volumes) + 1, sizeof(*c->volumes));
    for (void *it = json_object_iter(volumes); it != NULL; it = json_object_iter_next(volumes, it))
        c->volumes[n++] = xstrdup(json_object_iter_key(it));
    return 0;
}

static int parse_exec_config(json_t *cfg, struct image_config *c, struct ctr_error **err)
{
    if (!json_is_object(cfg))
        return field_error(err, "", "config", "not an object");
    if (get_string(cfg, "config", "User", 0, &c->user, err) < 0 ||
        get_strv(cfg, "config", "Env", SIZE_MAX, &c->env, NULL, err) < 0 ||
        get_strv(cfg, "config", "Entrypoint", SIZE_MAX, &c->entrypoint, NULL, err) < 0 ||
        get_strv(cfg, "config", "Cmd", SIZE_MAX, &c->cmd, NULL, err) < 0 ||
        get_string(cfg, "config", "WorkingDir", 0, &c->working_dir, err) < 0 ||
        parse_ports(cfg, c, err) < 0 || parse_volumes(cfg, c, err) < 0 ||
        get_kv(cfg, "config", "Labels", &c->labels, &c->n_labels, err) < 0 ||
        get_string(cfg, "config", "StopSignal", 0, &c->stop_signal, err) < 0)
        return -1;
    return 0;
}

static int parse_rootfs(json_t *root, struct image_config *c, struct ctr_error **err)
{
    json_t *rootfs = member(root, "rootfs");
    cleanup_free char *type = NULL;

    if (rootfs == NULL)
        return field_error(err, "", "rootfs", "missing");
    if (!json_is_object(rootfs))
        return field_error(err, "", "rootfs", "not an object");
    if (get_string(rootfs, "rootfs", "type", 1, &type, err) < 0)
        return -1;
    /* The spec: implementations MUST fail on an unknown type rather than guess. */
    if (strcmp(type, "layers") != 0) {
        cleanup_free char *q = image_quote(type);

        return ctr_error_set(err, ENOTSUP, "rootfs.type: '%s' is not supported (expected 'layers')",
                             q);
    }
    if (member(rootfs, "diff_ids") == NULL)
        return field_error(err, "rootfs", "diff_ids", "missing");
    if (get_strv(rootfs, "rootfs", "diff_ids", IMAGE_LAYERS_MAX, &c->diff_ids, &c->n_diff_ids,
                 err) < 0)
        return -1;
    for (size_t i = 0; i < c->n_diff_ids; i++) {
        if (image_digest_validate(c->diff_ids[i], err) < 0)
            return ctr_error_wrap(err, "rootfs.diff_ids[%zu]", i);
    }
    return 0;
}

static int parse_history(json_t *root, struct image_config *c, struct ctr_error **err)
{
    json_t *history = member(root, "history");

    if (history == NULL)
        return 0;
    if (!json_is_array(history))
        return field_error(err, "", "history", "not an array");
    for (size_t i = 0; i < json_array_size(history); i++) {
        json_t *e = json_array_get(history, i), *empty;

        if (!json_is_object(e))
            return ctr_error_set(err, EBADMSG, "history[%zu]: not an object", i);
        empty = member(e, "empty_layer");
        if (empty != NULL && !json_is_boolean(empty))
            return ctr_error_set(err, EBADMSG, "history[%zu].empty_layer: not a boolean", i);
        c->n_history++;
        if (!json_is_true(empty))
            c->n_history_layers++;
    }
    return 0;
}

static int parse_config(json_t *root, struct image_config *c, struct ctr_error **err)
{
    cleanup_free char *created = NULL;
    json_t *cfg;

    if (get_platform_name(root, "", "architecture", 1, &c->architecture, err) < 0 ||
        get_platform_name(root, "", "os", 1, &c->os, err) < 0 ||
        get_platform_name(root, "", "variant", 0, &c->variant, err) < 0 ||
        get_string(root, "", "created", 0, &created, err) < 0)
        return -1;
    if (created != NULL) {
        if (image_time_parse(created, &c->created, err) < 0)
            return ctr_error_wrap(err, "created");
        c->has_created = 1;
    }
    cfg = member(root, "config");
    if (cfg != NULL && parse_exec_config(cfg, c, err) < 0)
        return -1;
    if (parse_rootfs(root, c, err) < 0)
        return -1;
    return parse_history(root, c, err);
}

struct image_config *image_config_parse(const char *data, size_t len, struct ctr_error **err)
{
    cleanup_with(image_config_freep) struct image_config *c = NULL;
    json_auto_t *root = load_object(data, len, IMAGE_CONFIG_MAX, err);

    if (root == NULL) {
        ctr_error_wrap(err, "invalid image config");
        return NULL;
    }
    c = xzalloc(sizeof(*c));
    if (parse_config(root, c, err) < 0) {
        ctr_error_wrap(err, "invalid image config");
        return NULL;
    }
    return steal_pointer(&c);
}

int image_config_check_manifest(const struct image_config *c, const struct image_manifest *m,
                                struct ctr_error **err)
{
    /* diff_ids pair with layers by position; a count mismatch means the wrong config. */
    if (c->n_diff_ids != m->n_layers)
        return ctr_error_set(err, EBADMSG,
                             "the image config lists %zu layers (rootfs.diff_ids) but the "
                             "manifest has %zu",
                             c->n_diff_ids, m->n_layers);
    return 0;
}

/* --- platforms --- */

static const struct {
    const char *alias;
    const char *name;
} arch_aliases[] = {
        {"x86_64", "amd64"}, {"x86-64", "amd64"}, {"aarch64", "arm64"}, {"i386", "386"},
        {"i486", "386"},     {"i586", "386"},     {"i686", "386"},
};

static void lowercase(char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s + ('a' - 'A'));
    }
}

void image_platform_normalize(struct image_platform *p)
{
    lowercase(p->os);
    lowercase(p->architecture);
    lowercase(p->variant);
    for (size_t i = 0; p->architecture != NULL && i < ARRAY_SIZE(arch_aliases); i++) {
        if (strcmp(p->architecture, arch_aliases[i].alias) == 0) {
            free(p->architecture);
            p->architecture = xstrdup(arch_aliases[i].name);
            break;
        }
    }
    /* "arm64/8" is how some people write v8. */
    if (p->variant != NULL && p->variant[0] >= '0' && p->variant[0] <= '9') {
        char *v = xasprintf("v%s", p->variant);

        free(p->variant);
        p->variant = v;
    }
}

/* Fills `p` from "OS/ARCH[/VARIANT]"; -1 if `s` is not that (the caller clears `p`). */
static int split_platform(const char *s, struct image_platform *p)
{
    char **fields[] = {&p->os, &p->architecture, &p->variant};
    size_t n = 0;

    for (;;) {
        size_t len = strcspn(s, "/");

        if (n == ARRAY_SIZE(fields))
            return -1;
        *fields[n] = xstrndup(s, len);
        if (!valid_platform_name(*fields[n]))
            return -1;
        n++;
        if (s[len] == '\0')
            break;
        s += len + 1;
    }
    return n >= 2 ? 0 : -1;
}

int image_platform_parse(const char *s, struct image_platform *ret, struct ctr_error **err)
{
    struct image_platform p = {0};

    if (split_platform(s, &p) < 0) {
        cleanup_free char *q = image_quote(s);

        image_platform_clear(&p);
        return ctr_error_set(err, EINVAL,
                             "invalid platform '%s': expected OS/ARCH[/VARIANT], like "
                             "'linux/arm64/v8'",
                             q);
    }
    image_platform_normalize(&p);
    *ret = p;
    return 0;
}

int image_platform_from_machine(const char *machine, struct image_platform *ret,
                                struct ctr_error **err)
{
    static const struct {
        const char *machine;
        const char *arch;
        const char *variant;
    } machines[] = {
            {"x86_64", "amd64", NULL},    {"aarch64", "arm64", "v8"},
            {"arm64", "arm64", "v8"},     {"i386", "386", NULL},
            {"i486", "386", NULL},        {"i586", "386", NULL},
            {"i686", "386", NULL},        {"ppc64le", "ppc64le", NULL},
            {"ppc64", "ppc64", NULL},     {"s390x", "s390x", NULL},
            {"riscv64", "riscv64", NULL}, {"loongarch64", "loong64", NULL},
    };
    struct image_platform p = {0};

    for (size_t i = 0; i < ARRAY_SIZE(machines); i++) {
        if (strcmp(machine, machines[i].machine) == 0) {
            p.architecture = xstrdup(machines[i].arch);
            p.variant = machines[i].variant != NULL ? xstrdup(machines[i].variant) : NULL;
            break;
        }
    }
    /* 32-bit ARM names its ISA version: armv5tel, armv6l, armv7l, armv8l (arm64 in 32-bit). */
    if (p.architecture == NULL && strncmp(machine, "armv", 4) == 0 && machine[4] >= '5' &&
        machine[4] <= '8') {
        p.architecture = xstrdup("arm");
        p.variant = xasprintf("v%c", machine[4]);
    }
    if (p.architecture == NULL) {
        cleanup_free char *q = image_quote(machine);

        return ctr_error_set(err, ENOTSUP, "unsupported machine architecture '%s'", q);
    }
    p.os = xstrdup("linux");
    *ret = p;
    return 0;
}

int image_platform_host(struct image_platform *ret, struct ctr_error **err)
{
    struct utsname u;

    if (uname(&u) < 0)
        return ctr_error_errno(err, "uname");
    return image_platform_from_machine(u.machine, ret, err);
}

char *image_platform_format(const struct image_platform *p)
{
    const char *os = p->os != NULL ? p->os : "?";
    const char *arch = p->architecture != NULL ? p->architecture : "?";

    if (p->variant != NULL)
        return xasprintf("%s/%s/%s", os, arch, p->variant);
    return xasprintf("%s/%s", os, arch);
}

/* "v7" -> 700, "v8.2" -> 802; -1 for anything else. */
static int variant_level(const char *v)
{
    int major = 0, minor = 0, digits = 0;

    if (*v++ != 'v')
        return -1;
    for (; *v >= '0' && *v <= '9'; v++, digits++)
        major = major * 10 + (*v - '0');
    if (digits == 0 || digits > 2)
        return -1;
    if (*v == '.') {
        v++;
        for (digits = 0; *v >= '0' && *v <= '9'; v++, digits++)
            minor = minor * 10 + (*v - '0');
        if (digits == 0 || digits > 2)
            return -1;
    }
    return *v == '\0' ? major * 100 + minor : -1;
}

/*
 * The variant an architecture means when none is written, as Docker and containerd read it:
 * arm64 is v8, amd64 the baseline v1, and 32-bit arm v7.  -1 when variants are not levels.
 */
static int default_level(const char *arch)
{
    if (strcmp(arch, "arm64") == 0)
        return 800;
    if (strcmp(arch, "arm") == 0)
        return 700;
    if (strcmp(arch, "amd64") == 0)
        return 100;
    return -1;
}

static int platform_level(const char *arch, const char *variant)
{
    if (default_level(arch) < 0)
        return -1;
    return variant != NULL ? variant_level(variant) : default_level(arch);
}

static int is_attestation(const struct image_descriptor *d)
{
    const char *type = image_descriptor_annotation(d, "vnd.docker.reference.type");

    if (type != NULL && strcmp(type, "attestation-manifest") == 0)
        return 1;
    return strcmp(d->platform->os, "unknown") == 0 &&
           strcmp(d->platform->architecture, "unknown") == 0;
}

/* An entry that names an image for a real platform. */
static int selectable(const struct image_descriptor *d)
{
    enum image_manifest_kind kind = 0;

    if (d->platform == NULL || kind_of(d->media_type, strlen(d->media_type), &kind) < 0 ||
        image_manifest_kind_is_index(kind))
        return 0;
    return !is_attestation(d);
}

static int same_string(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* At most this many platforms are named in an error, so a hostile index cannot make it huge. */
#define AVAILABLE_MAX 32

/* "linux/amd64, linux/arm/v7": the distinct platforms an index offers, in its order. */
static char *available_platforms(const struct image_index *ix)
{
    cleanup_strv char **names = xcalloc(AVAILABLE_MAX + 1, sizeof(*names));
    cleanup_free char *list = NULL;
    size_t n = 0, more = 0;

    for (size_t i = 0; i < ix->n_manifests; i++) {
        cleanup_free char *name = NULL;
        int seen = 0;

        if (!selectable(&ix->manifests[i]))
            continue;
        name = image_platform_format(ix->manifests[i].platform);
        for (size_t j = 0; j < n && !seen; j++)
            seen = strcmp(names[j], name) == 0;
        if (seen)
            continue;
        if (n == AVAILABLE_MAX)
            more++;
        else
            names[n++] = steal_pointer(&name);
    }
    if (n == 0)
        return xstrdup("none");
    list = xstrdup(names[0]);
    for (size_t j = 1; j < n; j++) {
        char *longer = xasprintf("%s, %s", list, names[j]);

        free(list);
        list = longer;
    }
    if (more > 0) {
        char *longer = xasprintf("%s and %zu more", list, more);

        free(list);
        list = longer;
    }
    return steal_pointer(&list);
}

const struct image_descriptor *image_index_select(const struct image_index *ix,
                                                  const struct image_platform *want,
                                                  const char *ref, unsigned flags,
                                                  struct ctr_error **err)
{
    const struct image_descriptor *best = NULL;
    int want_level, best_level = -1, compatible;
    cleanup_free char *wanted = NULL, *available = NULL, *q = NULL;

    if (want->os == NULL || want->architecture == NULL) {
        ctr_error_set(err, EINVAL, "no platform to select an image for");
        return NULL;
    }
    if (want->variant == NULL) {
        want_level = default_level(want->architecture);
        compatible = 1;
    } else {
        want_level = platform_level(want->architecture, want->variant);
        compatible = (flags & IMAGE_SELECT_COMPATIBLE) != 0;
    }
    for (size_t i = 0; i < ix->n_manifests; i++) {
        const struct image_descriptor *d = &ix->manifests[i];
        int level;

        if (!selectable(d) || strcmp(d->platform->os, want->os) != 0 ||
            strcmp(d->platform->architecture, want->architecture) != 0)
            continue;
        if (want_level < 0) {
            /* Variants that are not levels can only be compared as names. */
            if (same_string(d->platform->variant, want->variant))
                return d;
            continue;
        }
        level = platform_level(d->platform->architecture, d->platform->variant);
        if (level < 0)
            continue;
        if (!compatible && level == want_level)
            return d;
        /* Among the variants the machine runs, the newest; the first of equals. */
        if (compatible && level <= want_level && level > best_level) {
            best = d;
            best_level = level;
        }
    }
    if (best != NULL)
        return best;
    wanted = image_platform_format(want);
    available = available_platforms(ix);
    if (ref == NULL) {
        ctr_error_set(err, ENOENT, "no image for %s in the index: available: %s", wanted,
                      available);
        return NULL;
    }
    q = image_quote(ref);
    ctr_error_set(err, ENOENT, "no image for %s in '%s': available: %s", wanted, q, available);
    return NULL;
}
