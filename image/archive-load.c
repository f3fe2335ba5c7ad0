/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctr load: images from an OCI archive or a docker-archive into the store.
 *
 * The archive is untrusted and possibly compressed, and a tar stream has no index, so it is
 * read twice, never extracted:
 *   1. Every member's name is checked (absolute names and ".." refuse the archive, a name may
 *      appear once), and members that are small and look like JSON are kept in memory, up to a
 *      total limit.  That is all the metadata there is: index.json, manifests and configs, or
 *      manifest.json and configs.  A truncated archive fails here, before anything is written.
 *   2. The archive is read again and each layer member is streamed through a hasher into the
 *      unpack helper that pulls use (in the user's namespace), into a staging directory that is
 *      committed only once its diff id matches the config.  OCI blobs must also match their
 *      descriptor's digest and size; a docker-archive has no layer digests, so its diff ids are
 *      the proof.  Layers already in the store are hashed but not unpacked again.
 * Images are registered only after every layer of every image in the archive has passed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "archive-members.h"
#include "image-archive.h"
#include "cleanup.h"
#include "fsutil.h"
#include "digest.h"
#include "manifest.h"
#include "quote.h"
#include "spawn.h"
#include "xalloc.h"

#define READ_BUF (128 * 1024)

DEFINE_CLEANUP_FUNC(struct archive *, archive_read_free)
DEFINE_CLEANUP_FUNC(struct image_hasher *, image_hasher_free)

struct load_layer {
    char *member;  /* the member holding the data */
    char *diff_id; /* what the config says */
    char *digest;  /* OCI: what the manifest says; NULL in a docker-archive */
    int64_t size;  /* of the member */
    int unpack;    /* not in the store: unpack it (the first layer of its diff id) */
    int seen;
    char got[IMAGE_DIGEST_MAX]; /* the digest of the member's bytes */
    enum image_compression compression;
};

struct load_image {
    char *manifest;
    size_t manifest_len;
    char manifest_digest[IMAGE_DIGEST_MAX];
    char *config;
    size_t config_len;
    char id[IMAGE_DIGEST_MAX];
    struct image_config *c;
    size_t *layers; /* indexes into loader.layers, one per diff id */
    char **names;
};

struct loader {
    struct storage *s;
    const struct image_store_ns *ns;
    const struct image_load_opts *opts;
    struct image_members m;
    struct load_layer *layers;
    size_t n_layers;
    struct load_image *images;
    size_t n_images;
    unsigned skipped_devices;
};

static void emit(struct loader *l, enum image_load_event_kind kind, const char *digest,
                 int64_t bytes, const char *message)
{
    struct image_load_event ev = {kind, digest, bytes, message};

    if (l->opts != NULL && l->opts->progress != NULL)
        l->opts->progress(l->opts->progress_arg, &ev);
}

/* The libarchive adapter. */
static char *blob_member(const char *digest)
{
    return xasprintf("blobs/%.*s/%s", (int)strcspn(digest, ":"), digest, image_digest_hex(digest));
}

/* An OCI blob that is JSON, checked against its descriptor. */
static int get_blob(struct loader *l, const struct image_descriptor *d, size_t max,
                    const char **ret, size_t *ret_len, struct ctr_error **err)
{
    cleanup_free char *name = blob_member(d->digest);
    cleanup_with(image_hasher_freep) struct image_hasher *h = NULL;

    if (image_members_json(&l->m, name, max, ret, ret_len, err) < 0)
        return -1;
    if ((int64_t)*ret_len != d->size)
        return ctr_error_set(err, EBADMSG, "blob '%s' is %zu bytes, but its descriptor says %lld",
                             d->digest, *ret_len, (long long)d->size);
    h = image_hasher_for(d->digest, err);
    if (h == NULL)
        return -1;
    image_hasher_update(h, *ret, *ret_len);
    if (image_hasher_verify(h, d->digest, err) < 0)
        return ctr_error_wrap(err, "blob '%s'", d->digest);
    return 0;
}

/* The layer for `member` with `diff_id`, added once per member. */
static int add_layer(struct loader *l, const char *member, const char *diff_id,
                     const struct image_descriptor *d, size_t *ret, struct ctr_error **err)
{
    struct image_member *m = image_members_resolve(&l->m, member, err);
    struct load_layer *ly;

    if (m == NULL)
        return -1;
    if (d != NULL && m->size != d->size)
        return ctr_error_set(err, EBADMSG,
                             "blob '%s' is %lld bytes in the archive, but the manifest says %lld",
                             d->digest, (long long)m->size, (long long)d->size);
    for (size_t i = 0; i < l->n_layers; i++) {
        if (strcmp(l->layers[i].member, m->name) != 0)
            continue;
        if (strcmp(l->layers[i].diff_id, diff_id) != 0) {
            cleanup_free char *q = image_quote(m->name);

            return ctr_error_set(err, EBADMSG,
                                 "archive member '%s' is given two diff ids, '%s' and '%s'", q,
                                 l->layers[i].diff_id, diff_id);
        }
        *ret = i;
        return 0;
    }
    l->layers = xreallocarray(l->layers, l->n_layers + 1, sizeof(*l->layers));
    ly = &l->layers[l->n_layers];
    *ly = (struct load_layer){.member = xstrdup(m->name),
                              .diff_id = xstrdup(diff_id),
                              .digest = d ? xstrdup(d->digest) : NULL,
                              .size = m->size};
    *ret = l->n_layers++;
    return 0;
}

static void add_names(struct load_image *img, char *const *names)
{
    for (; names != NULL && *names != NULL; names++) {
        size_t n = strv_length(img->names);

        if (strv_contains(img->names, *names))
            continue;
        img->names = xreallocarray(img->names, n + 2, sizeof(char *));
        img->names[n] = xstrdup(*names);
        img->names[n + 1] = NULL;
    }
}

/*
 * Adds an image (config bytes and parsed config, manifest bytes if known), or only its names
 * when the archive lists it twice.  `layers` gives the member of each layer.
 */
static int add_image(struct loader *l, const char *config, size_t config_len,
                     const struct image_manifest *m, const char *manifest, size_t manifest_len,
                     const char *manifest_digest, char *const *layers, char *const *names,
                     struct ctr_error **err)
{
    cleanup_with(image_config_freep) struct image_config *c = NULL;
    struct load_image *img;
    char id[IMAGE_DIGEST_MAX];

    if (image_digest_buffer("sha256", config, config_len, id, err) < 0)
        return -1;
    for (size_t i = 0; i < l->n_images; i++) {
        if (strcmp(l->images[i].id, id) == 0) {
            add_names(&l->images[i], names);
            return 0;
        }
    }
    c = image_config_parse(config, config_len, err);
    if (c == NULL)
        return ctr_error_wrap(err, "config '%s'", id);
    if (c->n_diff_ids != strv_length(layers))
        return ctr_error_set(err, EBADMSG,
                             "config '%s' lists %zu layers (rootfs.diff_ids) but the archive "
                             "has %zu for it",
                             id, c->n_diff_ids, strv_length(layers));
    l->images = xreallocarray(l->images, l->n_images + 1, sizeof(*l->images));
    img = &l->images[l->n_images++];
    *img = (struct load_image){.config = xmalloc(config_len + 1), .config_len = config_len};
    memcpy(img->config, config, config_len);
    img->config[config_len] = '\0';
    snprintf(img->id, sizeof(img->id), "%s", id);
    img->names = xcalloc(1, sizeof(char *));
    add_names(img, names);
    img->layers = xcalloc(c->n_diff_ids + 1, sizeof(size_t));
    img->c = steal_pointer(&c);
    if (manifest != NULL) {
        img->manifest = xstrndup(manifest, manifest_len);
        img->manifest_len = manifest_len;
        snprintf(img->manifest_digest, sizeof(img->manifest_digest), "%s", manifest_digest);
    }
    for (size_t i = 0; i < img->c->n_diff_ids; i++) {
        if (add_layer(l, layers[i], img->c->diff_ids[i], m ? &m->layers[i] : NULL, &img->layers[i],
                      err) < 0)
            return -1;
    }
    return 0;
}

/* The names an index.json entry gives (none, or one). */
static int oci_names(const struct image_descriptor *d, char ***ret, struct ctr_error **err)
{
    /* BuildKit and containerd write the full name here and only the tag in ref.name. */
    const char *full = image_descriptor_annotation(d, "io.containerd.image.name");
    const char *ref = full ? full : image_descriptor_annotation(d, IMAGE_ANNOTATION_REF_NAME);
    char *name;

    *ret = xcalloc(2, sizeof(char *));
    if (ref == NULL || ref[0] == '\0')
        return 0;
    name = image_archive_oci_name(ref, err);
    if (name == NULL)
        return ctr_error_wrap(err, "the image name in index.json");
    (*ret)[0] = name;
    return 0;
}

static int plan_oci_entry(struct loader *l, const struct image_descriptor *entry,
                          struct ctr_error **err)
{
    cleanup_with(image_index_freep) struct image_index *nested = NULL;
    cleanup_with(image_manifest_freep) struct image_manifest *m = NULL;
    cleanup_strv char **names = NULL, **layers = NULL;
    const struct image_descriptor *d = entry;
    const char *data, *config;
    size_t len, config_len;

    if (oci_names(entry, &names, err) < 0)
        return -1;
    if (strcmp(d->media_type, IMAGE_MEDIA_OCI_INDEX) == 0 ||
        strcmp(d->media_type, IMAGE_MEDIA_DOCKER_LIST) == 0) {
        struct image_platform host = {0};

        if (get_blob(l, d, IMAGE_MANIFEST_MAX, &data, &len, err) < 0)
            return -1;
        nested = image_index_parse(d->media_type, data, len, err);
        if (nested == NULL || image_platform_host(&host, err) < 0)
            return -1;
        d = image_index_select(nested, &host, names[0], IMAGE_SELECT_COMPATIBLE, err);
        image_platform_clear(&host);
        if (d == NULL)
            return -1;
    }
    if (get_blob(l, d, IMAGE_MANIFEST_MAX, &data, &len, err) < 0)
        return -1;
    m = image_manifest_parse(d->media_type, data, len, err);
    if (m == NULL)
        return ctr_error_wrap(err, "manifest '%s'", d->digest);
    if (get_blob(l, &m->config, IMAGE_CONFIG_MAX, &config, &config_len, err) < 0)
        return -1;
    layers = xcalloc(m->n_layers + 1, sizeof(char *));
    for (size_t i = 0; i < m->n_layers; i++)
        layers[i] = blob_member(m->layers[i].digest);
    return add_image(l, config, config_len, m, data, len, d->digest, layers, names, err);
}

static int plan_oci(struct loader *l, struct ctr_error **err)
{
    cleanup_with(image_index_freep) struct image_index *ix = NULL;
    const char *data;
    size_t len;

    if (image_members_json(&l->m, "index.json", IMAGE_MANIFEST_MAX, &data, &len, err) < 0)
        return -1;
    ix = image_index_parse(NULL, data, len, err);
    if (ix == NULL)
        return ctr_error_wrap(err, "index.json");
    if (ix->n_manifests == 0)
        return ctr_error_set(err, EBADMSG, "index.json lists no image");
    for (size_t i = 0; i < ix->n_manifests; i++) {
        if (plan_oci_entry(l, &ix->manifests[i], err) < 0)
            return ctr_error_wrap(err, "index.json manifests[%zu]", i);
    }
    return 0;
}

static int plan_docker(struct loader *l, struct ctr_error **err)
{
    cleanup_with(image_docker_manifest_freep) struct image_docker_manifest *dm = NULL;
    const char *data;
    size_t len;

    if (image_members_json(&l->m, "manifest.json", IMAGE_DOCKER_MANIFEST_MAX, &data, &len, err) <
                0 ||
        image_docker_manifest_parse(data, len, &dm, err) < 0)
        return -1;
    for (size_t i = 0; i < dm->n_items; i++) {
        const struct image_docker_item *it = &dm->items[i];

        if (image_members_json(&l->m, it->config, IMAGE_CONFIG_MAX, &data, &len, err) < 0 ||
            add_image(l, data, len, NULL, NULL, 0, NULL, it->layers, it->repo_tags, err) < 0)
            return ctr_error_wrap(err, "manifest.json [%zu]", i);
    }
    return 0;
}

/* Which layers to unpack: those not in the store, each diff id once. */
static int plan_unpack(struct loader *l, struct ctr_error **err)
{
    for (size_t i = 0; i < l->n_layers; i++) {
        struct load_layer *ly = &l->layers[i];
        int r = storage_layer_present(l->s, ly->diff_id, err), dup = 0;

        if (r < 0)
            return -1;
        for (size_t k = 0; k < i && !dup; k++)
            dup = l->layers[k].unpack && strcmp(l->layers[k].diff_id, ly->diff_id) == 0;
        ly->unpack = r == 0 && !dup;
        if (r == 1)
            emit(l, IMAGE_LOAD_LAYER_EXISTS, ly->diff_id, 0, NULL);
    }
    return 0;
}

/* --- pass 2: the layers --- */

/* An unpack helper started on a staging directory. */
struct unpacking {
    char *staging;
    int lock;
    int data_w;
    int res_r;
    pid_t pid;
};

static int start_unpack(struct loader *l, struct unpacking *u, struct ctr_error **err)
{
    cleanup_close int data_r = -1, res_w = -1;
    char max_uid[24], max_gid[24];
    int fds[2];

    if (storage_layer_stage(l->s, &u->staging, &u->lock, err) < 0)
        return -1;
    if (pipe2(fds, O_CLOEXEC) < 0)
        return ctr_error_errno(err, "pipe");
    data_r = fds[0];
    u->data_w = fds[1];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return ctr_error_errno(err, "pipe");
    u->res_r = fds[0];
    res_w = fds[1];
    snprintf(max_uid, sizeof(max_uid), "%lu", l->ns->max_uid);
    snprintf(max_gid, sizeof(max_gid), "%lu", l->ns->max_gid);
    {
        char *argv[] = {(char *)IMAGE_HELPER_UNPACK, u->staging, max_uid, max_gid, NULL};

        return image_store_spawn(l->ns, argv, data_r, -1, res_w, &u->pid, err);
    }
}

/* Ends the helper; on success with `r` 0, checks its diff id and commits the layer. */
static int finish_unpack(struct loader *l, struct load_layer *ly, struct unpacking *u, int r,
                         struct ctr_error **err)
{
    char result[1024], diff_id[IMAGE_DIGEST_MAX];
    unsigned long long size = 0;
    unsigned devices = 0, xattrs = 0;
    int status, committed = 0;

    if (u->data_w >= 0)
        close(steal_fd(&u->data_w));
    if (u->pid > 0) {
        image_helper_read_result(u->res_r, result, sizeof(result));
        if (r < 0)
            kill(u->pid, SIGKILL);
        status = ctr_waitpid(u->pid);
        if (strncmp(result, "error ", 6) == 0) {
            /* The unpacker refusing an entry explains a broken pipe better. */
            ctr_error_clear(err);
            r = ctr_error_set(err, EINVAL, "%s", result + 6);
        } else if (r == 0 && (status != 0 || sscanf(result, "ok %135s %llu %u %u", diff_id, &size,
                                                    &devices, &xattrs) != 4)) {
            r = ctr_error_set(err, EIO, "the layer unpacker failed (wait status %d)", status);
        } else if (r == 0 && strcmp(diff_id, ly->diff_id) != 0) {
            r = ctr_error_set(err, EBADMSG,
                              "unpacks to diff id '%s', but the image config says '%s'", diff_id,
                              ly->diff_id);
        }
    }
    if (r == 0 && ly->unpack) {
        r = storage_layer_commit(l->s, u->staging, ly->diff_id, size, err);
        committed = r == 0;
        if (r > 0)
            r = 0;
        l->skipped_devices += devices;
    }
    if (u->staging != NULL && !committed) {
        struct ctr_error *rm_err = NULL;

        /* Nothing half-written stays: a failed, duplicate or check-only layer goes. */
        if (image_store_remove_tree(l->ns, u->staging, &rm_err) < 0)
            ctr_error_free(rm_err);
    }
    if (u->res_r >= 0)
        close(steal_fd(&u->res_r));
    if (u->lock >= 0)
        close(steal_fd(&u->lock));
    free(steal_pointer(&u->staging));
    return r;
}

static enum image_compression sniff(const unsigned char *p, size_t n)
{
    if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
        return IMAGE_COMPRESSION_GZIP;
    if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
        return IMAGE_COMPRESSION_ZSTD;
    return IMAGE_COMPRESSION_NONE;
}

/*
 * Streams the current member, layer `ly`, through the hasher and (when it is to be unpacked, or
 * is a compressed docker-archive layer whose diff id only unpacking can prove) the unpacker.
 */
static int stream_layer(struct loader *l, struct archive *a, struct load_layer *ly,
                        struct ctr_error **err)
{
    cleanup_with(image_hasher_freep) struct image_hasher *h =
            ly->digest ? image_hasher_for(ly->digest, err) : image_hasher_new("sha256", err);
    struct unpacking u = {.lock = -1, .data_w = -1, .res_r = -1};
    int64_t total = 0;
    int r = 0, first = 1, feeding = 0;

    if (h == NULL)
        return -1;
    for (;;) {
        const void *buf = NULL;
        size_t size = 0;
        la_int64_t off;
        int ar = archive_read_data_block(a, &buf, &size, &off);

        if (ar == ARCHIVE_EOF && !first)
            break;
        if (ar < ARCHIVE_WARN) {
            r = image_members_fail(err, a);
            break;
        }
        if (first) {
            first = 0;
            ly->compression = sniff(buf, size);
            feeding =
                    ly->unpack || (ly->digest == NULL && ly->compression != IMAGE_COMPRESSION_NONE);
            if (feeding && (r = start_unpack(l, &u, err)) < 0)
                break;
        }
        if (ar == ARCHIVE_EOF)
            break;
        image_hasher_update(h, buf, size);
        total += (int64_t)size;
        /* A write error means the unpacker stopped: its result says why. */
        if (feeding && size > 0 && ctr_write_all(u.data_w, buf, size) < 0) {
            r = ctr_error_errno(err, "feed the layer to the unpacker");
            break;
        }
    }
    if (r == 0 && total != ly->size)
        r = ctr_error_set(err, EBADMSG, "%lld bytes where the archive header says %lld",
                          (long long)total, (long long)ly->size);
    if (r == 0 && ly->digest != NULL)
        r = image_hasher_verify(h, ly->digest, err);
    if (r == 0 && ly->digest == NULL) {
        image_hasher_final(h, ly->got);
        /* An uncompressed docker-archive layer is its own diff id. */
        if (!feeding && strcmp(ly->got, ly->diff_id) != 0)
            r = ctr_error_set(err, EBADMSG,
                              "its content has diff id '%s', but the image config says '%s'",
                              ly->got, ly->diff_id);
    } else if (r == 0) {
        snprintf(ly->got, sizeof(ly->got), "%s", ly->digest);
    }
    if (feeding)
        r = finish_unpack(l, ly, &u, r, err);
    if (r < 0) {
        cleanup_free char *q = image_quote(ly->member);

        return ctr_error_wrap(err, "layer '%s'", q);
    }
    if (ly->unpack)
        emit(l, IMAGE_LOAD_LAYER_DONE, ly->diff_id, total, NULL);
    return 0;
}

static int load_layers(struct loader *l, struct ctr_error **err)
{
    cleanup_with(archive_read_freep) struct archive *a = NULL;
    struct archive_entry *ae;
    int r;

    if (l->n_layers == 0)
        return 0;
    a = image_members_open(&l->m, err);
    if (a == NULL)
        return -1;
    while ((r = archive_read_next_header(a, &ae)) != ARCHIVE_EOF) {
        cleanup_free char *name = NULL;
        const char *raw = archive_entry_pathname(ae);

        if (r < ARCHIVE_WARN)
            return image_members_fail(err, a);
        if (raw == NULL || archive_entry_filetype(ae) != AE_IFREG ||
            archive_entry_hardlink(ae) != NULL)
            continue;
        if (image_archive_member_clean(raw, &name, err) < 0)
            return -1;
        for (size_t i = 0; i < l->n_layers; i++) {
            struct load_layer *ly = &l->layers[i];

            if (strcmp(ly->member, name) != 0)
                continue;
            if (ly->seen)
                return ctr_error_set(err, EBADMSG, "'%s' changed while it was read", l->m.what);
            ly->seen = 1;
            if (stream_layer(l, a, ly, err) < 0)
                return -1;
            break;
        }
    }
    for (size_t i = 0; i < l->n_layers; i++) {
        if (!l->layers[i].seen)
            return ctr_error_set(err, EBADMSG, "'%s' changed while it was read", l->m.what);
    }
    return 0;
}

/* --- registering --- */

/* A docker-archive has no manifest: one that describes its layers as they were. */
static void make_manifest(struct loader *l, struct load_image *img)
{
    static const char *const types[] = {
            [IMAGE_COMPRESSION_NONE] = "application/vnd.oci.image.layer.v1.tar",
            [IMAGE_COMPRESSION_GZIP] = "application/vnd.oci.image.layer.v1.tar+gzip",
            [IMAGE_COMPRESSION_ZSTD] = "application/vnd.oci.image.layer.v1.tar+zstd",
    };
    json_auto_t *m =
            json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[]}", "schemaVersion", 2, "mediaType",
                      IMAGE_MEDIA_OCI_MANIFEST, "config", "mediaType", IMAGE_MEDIA_OCI_CONFIG,
                      "digest", img->id, "size", (json_int_t)img->config_len, "layers");
    json_t *layers = json_object_get(m, "layers");

    for (size_t i = 0; i < img->c->n_diff_ids; i++) {
        const struct load_layer *ly = &l->layers[img->layers[i]];

        json_array_append_new(layers,
                              json_pack("{s:s, s:s, s:I}", "mediaType", types[ly->compression],
                                        "digest", ly->got, "size", (json_int_t)ly->size));
    }
    img->manifest = json_dumps(m, JSON_COMPACT);
    if (img->manifest == NULL)
        abort();
    img->manifest_len = strlen(img->manifest);
    {
        /* sha256 is always known, so this cannot fail. */
        cleanup_error struct ctr_error *err = NULL;

        image_digest_buffer("sha256", img->manifest, img->manifest_len, img->manifest_digest, &err);
    }
}

static int register_images(struct loader *l, char ***ret_names, struct ctr_error **err)
{
    cleanup_strv char **out = xcalloc(1, sizeof(char *));
    size_t n_out = 0;

    for (size_t i = 0; i < l->n_images; i++) {
        struct load_image *li = &l->images[i];
        struct storage_image img = {0};

        if (li->manifest == NULL)
            make_manifest(l, li);
        img.id = li->id;
        img.manifest_digest = li->manifest_digest;
        img.manifest = li->manifest;
        img.manifest_len = li->manifest_len;
        img.config = li->config;
        img.config_len = li->config_len;
        img.os = li->c->os;
        img.architecture = li->c->architecture;
        img.variant = li->c->variant;
        img.created = li->c->has_created ? (int64_t)li->c->created : 0;
        img.diff_ids = li->c->diff_ids;
        img.size = storage_layers_size(l->s, li->c->diff_ids, err);
        if (img.size < 0)
            return -1;
        for (size_t k = 0; k == 0 || li->names[k] != NULL; k++) {
            const char *name = li->names[k];

            if (storage_image_add(l->s, &img, name, err) < 0)
                return -1;
            out = xreallocarray(out, n_out + 2, sizeof(char *));
            out[n_out++] = name ? xstrdup(name) : xstrdup(li->id);
            out[n_out] = NULL;
            if (name == NULL)
                break;
        }
    }
    *ret_names = steal_pointer(&out);
    return 0;
}

static int load(struct loader *l, char ***ret_names, struct ctr_error **err)
{
    cleanup_close int lock = -1;
    int oci;

    if (image_members_index(&l->m, err) < 0)
        return -1;
    /* Docker 25 writes both; the OCI layout is the one with digests for every blob. */
    oci = image_members_find(&l->m, "index.json") != NULL &&
          image_members_find(&l->m, "oci-layout") != NULL;
    if (!oci && image_members_find(&l->m, "manifest.json") == NULL)
        return ctr_error_set(err, EINVAL,
                             "'%s' is neither an OCI archive (no oci-layout and index.json) nor "
                             "a docker-archive (no manifest.json)",
                             l->m.what);
    if ((oci ? plan_oci(l, err) : plan_docker(l, err)) < 0)
        return -1;
    /* Shared, as pulls hold it: what is committed here is not collected before it is used. */
    if (storage_layers_lock(l->s, 0, 1, &lock, err) < 0 || plan_unpack(l, err) < 0 ||
        load_layers(l, err) < 0)
        return -1;
    if (l->skipped_devices > 0) {
        cleanup_free char *msg =
                xasprintf("skipped %u device node(s): a rootless store cannot create them",
                          l->skipped_devices);

        emit(l, IMAGE_LOAD_WARNING, NULL, 0, msg);
    }
    return register_images(l, ret_names, err);
}

int image_load(struct storage *s, const struct image_store_ns *ns, int fd, const char *what,
               const struct image_load_opts *opts, char ***ret_names, struct ctr_error **err)
{
    struct loader l = {.s = s, .ns = ns, .opts = opts, .m = {.fd = fd, .what = what}};
    int r;

    r = load(&l, ret_names, err);
    image_members_clear(&l.m);
    for (size_t i = 0; i < l.n_layers; i++) {
        free(l.layers[i].member);
        free(l.layers[i].diff_id);
        free(l.layers[i].digest);
    }
    free(l.layers);
    for (size_t i = 0; i < l.n_images; i++) {
        free(l.images[i].manifest);
        free(l.images[i].config);
        image_config_free(l.images[i].c);
        free(l.images[i].layers);
        strv_free(l.images[i].names);
    }
    free(l.images);
    if (r < 0)
        return ctr_error_wrap(err, "load '%s'", what);
    return 0;
}

int image_archive_spool(int in_fd, const char *dir, int *ret_fd, struct ctr_error **err)
{
    cleanup_free char *buf = xmalloc(READ_BUF);
    cleanup_close int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
        cleanup_free char *tmpl = xasprintf("%s/.ctr-load-XXXXXX", dir);

        fd = mkostemp(tmpl, O_CLOEXEC);
        if (fd >= 0)
            unlink(tmpl);
    }
    if (fd < 0)
        return ctr_error_errno(err, "create a temporary file in '%s'", dir);
    for (;;) {
        ssize_t n = read(in_fd, buf, READ_BUF);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ctr_error_errno(err, "read the archive from standard input");
        if (n == 0)
            break;
        if (ctr_write_all(fd, buf, (size_t)n) < 0)
            return ctr_error_errno(err, "write a temporary copy of the archive");
    }
    if (lseek(fd, 0, SEEK_SET) < 0)
        return ctr_error_errno(err, "rewind the temporary copy of the archive");
    *ret_fd = steal_fd(&fd);
    return 0;
}
