/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctr save: images from the store into a docker-archive or an OCI archive.
 *
 * The store keeps layers unpacked, not their original tars, so each layer is tarred again by
 * IMAGE_HELPER_TAR inside the user namespace and hashed here on the way.  Those bytes are rarely
 * the bytes the image was built with, so the diff ids usually change; the config is then
 * rewritten with the new ones (everything else in it kept) and the image has a new id in the
 * archive, which is what Podman's save does too.  The re-created tar is deterministic, so
 * saving an image that was loaded from ctr's own archive keeps its id.
 *
 * Layers are written uncompressed in both formats (application/vnd.oci.image.layer.v1.tar in an
 * OCI archive): digest and diff id are then one hash, the save is bound by disk speed rather
 * than by gzip, and an archive is usually compressed as a whole if at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "image-archive.h"
#include "cleanup.h"
#include "fsutil.h"
#include "digest.h"
#include "manifest.h"
#include "spawn.h"
#include "xalloc.h"

#define COPY_BUF (128 * 1024)

#define MEDIA_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"

DEFINE_CLEANUP_FUNC(struct archive *, archive_write_free)
DEFINE_CLEANUP_FUNC(struct archive_entry *, archive_entry_free)
DEFINE_CLEANUP_FUNC(struct image_hasher *, image_hasher_free)

/* A layer of the store and what it became in the archive. */
struct saved_layer {
    char *diff_id; /* in the store */
    char digest[IMAGE_DIGEST_MAX];
    int64_t size;
};

/* One image as written: a config (possibly rewritten) and every name it is saved under. */
struct saved_image {
    const struct storage_image *img;
    char *config;
    size_t config_len;
    char id[IMAGE_DIGEST_MAX];
    char **names;
};

struct saver {
    struct storage *s;
    const struct image_store_ns *ns;
    enum image_archive_format format;
    struct archive *a;
    struct saved_layer *layers;
    size_t n_layers;
    struct saved_image *images;
    size_t n_images;
    char *buf;
};

static int write_fail(struct archive *a, const char *what, struct ctr_error **err)
{
    const char *s = archive_error_string(a);
    int code = archive_errno(a);

    return ctr_error_set(err, code > 0 ? code : EIO, "write the archive member '%s': %s", what,
                         s != NULL ? s : "unknown libarchive error");
}

/*
 * A member of the archive: 0644 (directories 0755), mtime 0 so that a save is reproducible, and
 * owned by the user, as skopeo writes archives: tools that unpack an OCI archive to read it
 * (skopeo, as an ordinary user) fail to chown what they create to anyone else.
 */
static int begin_member(struct saver *sv, const char *name, int dir, int64_t size,
                        struct ctr_error **err)
{
    cleanup_with(archive_entry_freep) struct archive_entry *ae = archive_entry_new();

    if (ae == NULL)
        abort();
    archive_entry_set_pathname(ae, name);
    archive_entry_set_filetype(ae, dir ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(ae, dir ? 0755 : 0644);
    archive_entry_set_uid(ae, geteuid());
    archive_entry_set_gid(ae, getegid());
    archive_entry_set_size(ae, size);
    archive_entry_set_mtime(ae, 0, 0);
    if (archive_write_header(sv->a, ae) != ARCHIVE_OK)
        return write_fail(sv->a, name, err);
    return 0;
}

static int write_buffer(struct saver *sv, const char *name, const char *data, size_t len,
                        struct ctr_error **err)
{
    if (begin_member(sv, name, 0, (int64_t)len, err) < 0)
        return -1;
    if (len > 0 && archive_write_data(sv->a, data, len) != (la_ssize_t)len)
        return write_fail(sv->a, name, err);
    return 0;
}

static char *blob_name(enum image_archive_format format, const char *digest, const char *suffix)
{
    if (format == IMAGE_ARCHIVE_OCI)
        return xasprintf("blobs/sha256/%s", image_digest_hex(digest));
    return xasprintf("%s%s", image_digest_hex(digest), suffix);
}

/* A file in `dir` that disappears when closed (unnamed where the filesystem allows). */
static int anonymous_file(const char *dir, struct ctr_error **err)
{
    cleanup_free char *tmpl = NULL;
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

    if (fd >= 0)
        return fd;
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
        return ctr_error_errno(err, "create a temporary file in '%s'", dir);
    tmpl = xasprintf("%s/.ctr-tmp-XXXXXX", dir);
    fd = mkostemp(tmpl, O_CLOEXEC);
    if (fd < 0)
        return ctr_error_errno(err, "create a temporary file in '%s'", dir);
    unlink(tmpl);
    return fd;
}

/* Tars layer `diff_id` (in the user namespace) into `tmp`, hashing it: digest and size. */
static int tar_layer(struct saver *sv, const char *diff_id, int tmp, struct saved_layer *out,
                     struct ctr_error **err)
{
    cleanup_free char *dir = storage_layer_dir(sv->s, diff_id);
    cleanup_with(image_hasher_freep) struct image_hasher *h = image_hasher_new("sha256", err);
    cleanup_close int out_r = -1, out_w = -1, res_r = -1, res_w = -1;
    char *argv[] = {(char *)IMAGE_HELPER_TAR, dir, NULL};
    char result[1024];
    int fds[2], status, r = 0;
    pid_t pid;

    if (h == NULL)
        return -1;
    if (pipe2(fds, O_CLOEXEC) < 0)
        return ctr_error_errno(err, "pipe");
    out_r = fds[0];
    out_w = fds[1];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return ctr_error_errno(err, "pipe");
    res_r = fds[0];
    res_w = fds[1];
    if (image_store_spawn(sv->ns, argv, -1, out_w, res_w, &pid, err) < 0)
        return -1;
    close(steal_fd(&out_w));
    close(steal_fd(&res_w));
    out->size = 0;
    for (;;) {
        ssize_t n = read(out_r, sv->buf, COPY_BUF);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = ctr_error_errno(err, "read the layer tar");
            break;
        }
        if (n == 0)
            break;
        image_hasher_update(h, sv->buf, (size_t)n);
        if (ctr_write_all(tmp, sv->buf, (size_t)n) < 0) {
            r = ctr_error_errno(err, "write a temporary copy of the layer");
            break;
        }
        out->size += n;
    }
    if (r < 0)
        kill(pid, SIGKILL);
    close(steal_fd(&out_r));
    image_helper_read_result(res_r, result, sizeof(result));
    status = ctr_waitpid(pid);
    if (r < 0)
        return ctr_error_wrap(err, "layer '%s'", diff_id);
    if (strncmp(result, "error ", 6) == 0)
        return ctr_error_set(err, EIO, "layer '%s': %s", diff_id, result + 6);
    if (status != 0 || strncmp(result, "ok", 2) != 0)
        return ctr_error_set(err, EIO, "layer '%s': the tar helper failed (wait status %d)",
                             diff_id, status);
    image_hasher_final(h, out->digest);
    return 0;
}

/* Re-creates layer `diff_id` once per archive and writes it as a member. */
static const struct saved_layer *save_layer(struct saver *sv, const char *diff_id,
                                            struct ctr_error **err)
{
    cleanup_free char *name = NULL;
    cleanup_close int tmp = -1;
    struct saved_layer *l;
    int64_t left;
    int r;

    for (size_t i = 0; i < sv->n_layers; i++) {
        if (strcmp(sv->layers[i].diff_id, diff_id) == 0)
            return &sv->layers[i];
    }
    r = storage_layer_present(sv->s, diff_id, err);
    if (r <= 0) {
        if (r == 0)
            ctr_error_set(err, ENOENT, "layer '%s' is not in the store", diff_id);
        return NULL;
    }
    /* The store's root, not the runtime dir: a layer can be larger than a tmpfs. */
    tmp = anonymous_file(sv->s->root, err);
    if (tmp < 0)
        return NULL;
    sv->layers = xreallocarray(sv->layers, sv->n_layers + 1, sizeof(*sv->layers));
    l = &sv->layers[sv->n_layers];
    memset(l, 0, sizeof(*l));
    if (tar_layer(sv, diff_id, tmp, l, err) < 0)
        return NULL;
    l->diff_id = xstrdup(diff_id);
    sv->n_layers++;
    /* Two store layers can tar to the same bytes (both empty, say): one member then. */
    for (size_t i = 0; i + 1 < sv->n_layers; i++) {
        if (strcmp(sv->layers[i].digest, l->digest) == 0)
            return l;
    }
    name = blob_name(sv->format, l->digest, ".tar");
    if (lseek(tmp, 0, SEEK_SET) < 0) {
        ctr_error_errno(err, "rewind the temporary layer");
        return NULL;
    }
    if (begin_member(sv, name, 0, l->size, err) < 0)
        return NULL;
    for (left = l->size; left > 0;) {
        ssize_t n = read(tmp, sv->buf, left < COPY_BUF ? (size_t)left : COPY_BUF);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ctr_error_errno(err, "read the temporary layer");
            return NULL;
        }
        if (archive_write_data(sv->a, sv->buf, (size_t)n) != n) {
            write_fail(sv->a, name, err);
            return NULL;
        }
        left -= n;
    }
    return l;
}

/* The config with `diff_ids` in place of the stored ones (the same bytes when they agree). */
static int make_config(struct saved_image *si, char *const *diff_ids, struct ctr_error **err)
{
    const struct storage_image *img = si->img;
    json_auto_t *root = NULL;
    json_t *rootfs, *ids;
    json_error_t jerr;
    int same = strv_length(diff_ids) == strv_length(img->diff_ids);

    for (size_t i = 0; same && diff_ids[i] != NULL; i++)
        same = strcmp(diff_ids[i], img->diff_ids[i]) == 0;
    if (same) {
        si->config = xmalloc(img->config_len + 1);
        memcpy(si->config, img->config, img->config_len);
        si->config_len = img->config_len;
        snprintf(si->id, sizeof(si->id), "%s", img->id);
        return 0;
    }
    root = json_loadb(img->config, img->config_len, 0, &jerr);
    rootfs = root != NULL ? json_object_get(root, "rootfs") : NULL;
    if (!json_is_object(rootfs))
        return ctr_error_set(err, EBADMSG, "the stored config of '%s' has no rootfs", img->id);
    ids = json_array();
    for (size_t i = 0; diff_ids[i] != NULL; i++)
        json_array_append_new(ids, json_string(diff_ids[i]));
    json_object_set_new(rootfs, "diff_ids", ids);
    si->config = json_dumps(root, JSON_COMPACT);
    if (si->config == NULL)
        abort();
    si->config_len = strlen(si->config);
    return image_digest_buffer("sha256", si->config, si->config_len, si->id, err);
}

static int save_image(struct saver *sv, struct saved_image *si, struct ctr_error **err)
{
    size_t n = strv_length(si->img->diff_ids);
    cleanup_strv char **ids = xcalloc(n + 1, sizeof(char *));
    cleanup_free char *name = NULL;

    for (size_t i = 0; i < n; i++) {
        const struct saved_layer *l = save_layer(sv, si->img->diff_ids[i], err);

        if (l == NULL)
            return -1;
        /* A copy: sv->layers moves as it grows. */
        ids[i] = xstrdup(l->digest);
    }
    if (make_config(si, ids, err) < 0)
        return -1;
    for (size_t i = 0; i < sv->n_images; i++) {
        if (&sv->images[i] != si && sv->images[i].config != NULL &&
            strcmp(sv->images[i].id, si->id) == 0)
            return 0; /* written for an earlier item */
    }
    name = blob_name(sv->format, si->id, ".json");
    return write_buffer(sv, name, si->config, si->config_len, err);
}

/* The layer of the archive that store layer `diff_id` became. */
static const struct saved_layer *find_layer(const struct saver *sv, const char *diff_id)
{
    for (size_t i = 0; i < sv->n_layers; i++) {
        if (strcmp(sv->layers[i].diff_id, diff_id) == 0)
            return &sv->layers[i];
    }
    abort(); /* save_image() made every one */
}

static int write_json(struct saver *sv, const char *name, json_t *doc, char *ret_digest,
                      struct ctr_error **err)
{
    cleanup_free char *text = json_dumps(doc, JSON_COMPACT);

    if (text == NULL)
        abort();
    if (ret_digest != NULL &&
        image_digest_buffer("sha256", text, strlen(text), ret_digest, err) < 0)
        return -1;
    return write_buffer(sv, name, text, strlen(text), err);
}

static int write_docker_manifest(struct saver *sv, struct ctr_error **err)
{
    json_auto_t *doc = json_array();

    for (size_t i = 0; i < sv->n_images; i++) {
        const struct saved_image *si = &sv->images[i];
        cleanup_free char *config = NULL;
        json_t *layers, *tags;

        if (si->names == NULL)
            continue; /* merged into an earlier image with the same id */
        config = xasprintf("%s.json", image_digest_hex(si->id));
        layers = json_array();
        tags = json_array();
        for (char **d = si->img->diff_ids; *d != NULL; d++) {
            cleanup_free char *member =
                    xasprintf("%s.tar", image_digest_hex(find_layer(sv, *d)->digest));

            json_array_append_new(layers, json_string(member));
        }
        for (char **nm = si->names; *nm != NULL; nm++)
            json_array_append_new(tags, json_string(*nm));
        json_array_append_new(doc, json_pack("{s:s, s:o, s:o}", "Config", config, "RepoTags", tags,
                                             "Layers", layers));
    }
    return write_json(sv, "manifest.json", doc, NULL, err);
}

static int write_oci_index(struct saver *sv, struct ctr_error **err)
{
    json_auto_t *index = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType",
                                   IMAGE_MEDIA_OCI_INDEX, "manifests");
    json_t *entries = json_object_get(index, "manifests");

    for (size_t i = 0; i < sv->n_images; i++) {
        const struct saved_image *si = &sv->images[i];
        json_auto_t *m = NULL;
        json_t *layers = json_array(), *platform;
        cleanup_free char *name = NULL, *text = NULL;
        char digest[IMAGE_DIGEST_MAX];

        if (si->names == NULL)
            continue;
        for (char **d = si->img->diff_ids; *d != NULL; d++) {
            const struct saved_layer *l = find_layer(sv, *d);

            json_array_append_new(layers,
                                  json_pack("{s:s, s:s, s:I}", "mediaType", MEDIA_OCI_LAYER,
                                            "digest", l->digest, "size", (json_int_t)l->size));
        }
        m = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2, "mediaType",
                      IMAGE_MEDIA_OCI_MANIFEST, "config", "mediaType", IMAGE_MEDIA_OCI_CONFIG,
                      "digest", si->id, "size", (json_int_t)si->config_len, "layers", layers);
        text = json_dumps(m, JSON_COMPACT);
        if (text == NULL)
            abort();
        if (image_digest_buffer("sha256", text, strlen(text), digest, err) < 0)
            return -1;
        name = blob_name(IMAGE_ARCHIVE_OCI, digest, "");
        if (write_buffer(sv, name, text, strlen(text), err) < 0)
            return -1;
        platform =
                json_pack("{s:s, s:s}", "architecture", si->img->architecture, "os", si->img->os);
        if (si->img->variant != NULL)
            json_object_set_new(platform, "variant", json_string(si->img->variant));
        /* One entry per name, as an OCI layout tags images; one without for a nameless one. */
        for (size_t k = 0; k == 0 || si->names[k] != NULL; k++) {
            json_t *e = json_pack("{s:s, s:s, s:I, s:O}", "mediaType", IMAGE_MEDIA_OCI_MANIFEST,
                                  "digest", digest, "size", (json_int_t)strlen(text), "platform",
                                  platform);

            if (si->names[k] != NULL)
                json_object_set_new(e, "annotations",
                                    json_pack("{s:s}", IMAGE_ANNOTATION_REF_NAME, si->names[k]));
            json_array_append_new(entries, e);
            if (si->names[k] == NULL)
                break;
        }
        json_decref(platform);
    }
    return write_json(sv, "index.json", index, NULL, err);
}

/* Gathers the items: one saved image per id, with the names it is saved under. */
static void plan(struct saver *sv, const struct image_save_item *items, size_t n)
{
    sv->images = xcalloc(n, sizeof(*sv->images));
    for (size_t i = 0; i < n; i++) {
        struct saved_image *si = NULL;

        for (size_t k = 0; k < sv->n_images && si == NULL; k++) {
            if (strcmp(sv->images[k].img->id, items[i].img->id) == 0)
                si = &sv->images[k];
        }
        if (si == NULL) {
            si = &sv->images[sv->n_images++];
            si->img = items[i].img;
            si->names = xcalloc(1, sizeof(char *));
        }
        if (items[i].name != NULL && !strv_contains(si->names, items[i].name)) {
            size_t k = strv_length(si->names);

            si->names = xreallocarray(si->names, k + 2, sizeof(char *));
            si->names[k] = xstrdup(items[i].name);
            si->names[k + 1] = NULL;
        }
    }
}

static int save_all(struct saver *sv, const struct image_save_item *items, size_t n,
                    struct ctr_error **err)
{
    static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";

    plan(sv, items, n);
    if (sv->format == IMAGE_ARCHIVE_OCI &&
        (write_buffer(sv, "oci-layout", layout, strlen(layout), err) < 0 ||
         begin_member(sv, "blobs/", 1, 0, err) < 0 ||
         begin_member(sv, "blobs/sha256/", 1, 0, err) < 0))
        return -1;
    for (size_t i = 0; i < sv->n_images; i++) {
        if (save_image(sv, &sv->images[i], err) < 0)
            return -1;
    }
    /* Two stored images can become one (same config once re-tarred): merge their names. */
    for (size_t i = 0; i < sv->n_images; i++) {
        for (size_t k = 0; k < i && sv->images[i].names != NULL; k++) {
            struct saved_image *a = &sv->images[k], *b = &sv->images[i];

            if (a->names == NULL || strcmp(a->id, b->id) != 0)
                continue;
            for (char **nm = b->names; *nm != NULL; nm++) {
                size_t len = strv_length(a->names);

                a->names = xreallocarray(a->names, len + 2, sizeof(char *));
                a->names[len] = steal_pointer(nm);
                a->names[len + 1] = NULL;
            }
            free(steal_pointer(&b->names));
        }
    }
    if (sv->format == IMAGE_ARCHIVE_OCI)
        return write_oci_index(sv, err);
    return write_docker_manifest(sv, err);
}

static int save_to_fd(struct saver *sv, const struct image_save_item *items, size_t n, int fd,
                      struct ctr_error **err)
{
    cleanup_with(archive_write_freep) struct archive *a = archive_write_new();
    cleanup_close int lock = -1;
    int r;

    if (a == NULL)
        abort();
    if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        archive_write_add_filter_none(a) != ARCHIVE_OK ||
        archive_write_open_fd(a, fd) != ARCHIVE_OK)
        return write_fail(a, "(start)", err);
    sv->a = a;
    /* Shared, as a pull holds it: layers are not collected while they are read. */
    if (storage_layers_lock(sv->s, 0, 1, &lock, err) < 0)
        return -1;
    r = save_all(sv, items, n, err);
    if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
        r = write_fail(a, "(end)", err);
    return r;
}

/* Links the anonymous `fd` in as `path`, atomically replacing what was there. */
static int publish(int fd, const char *dir, const char *path, struct ctr_error **err)
{
    cleanup_free char *proc = xasprintf("/proc/self/fd/%d", fd);
    cleanup_free char *tmp = xasprintf("%s/.ctr-save-%d", dir, (int)getpid());

    if (fsync(fd) < 0)
        return ctr_error_errno(err, "write '%s'", path);
    unlink(tmp);
    if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) < 0)
        return ctr_error_errno(err, "create '%s'", path);
    if (rename(tmp, path) < 0) {
        int e = errno;

        unlink(tmp);
        return ctr_error_errnum(err, e, "create '%s'", path);
    }
    return 0;
}

static int save_to_path(struct saver *sv, const struct image_save_item *items, size_t n,
                        const char *path, struct ctr_error **err)
{
    cleanup_free char *copy = xstrdup(path);
    const char *dir = dirname(copy);
    cleanup_free char *named = NULL;
    cleanup_close int fd = -1;
    struct stat st;
    int r;

    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return ctr_error_set(err, EISDIR, "'%s' is a directory", path);
    /* Unnamed until complete: a failed or even a killed save leaves nothing behind. */
    fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
        return ctr_error_errno(err, "create an archive in '%s'", dir);
    if (fd < 0) {
        /* A filesystem without O_TMPFILE: a hidden name, removed on failure. */
        named = xasprintf("%s/.ctr-save-XXXXXX", dir);
        fd = mkostemp(named, O_CLOEXEC);
        if (fd < 0)
            return ctr_error_errno(err, "create an archive in '%s'", dir);
    }
    r = save_to_fd(sv, items, n, fd, err);
    if (r == 0 && named == NULL)
        return publish(fd, dir, path, err);
    if (r == 0 && fsync(fd) < 0)
        r = ctr_error_errno(err, "write '%s'", path);
    if (r == 0 && rename(named, path) < 0)
        r = ctr_error_errno(err, "create '%s'", path);
    if (r < 0 && named != NULL)
        unlink(named);
    return r;
}

int image_save(struct storage *s, const struct image_store_ns *ns,
               const struct image_save_item *items, size_t n_items,
               enum image_archive_format format, const char *path, int fd, struct ctr_error **err)
{
    struct saver sv = {.s = s, .ns = ns, .format = format, .buf = xmalloc(COPY_BUF)};
    int r;

    if (n_items == 0)
        return ctr_error_set(err, EINVAL, "no image to save");
    r = path != NULL ? save_to_path(&sv, items, n_items, path, err)
                     : save_to_fd(&sv, items, n_items, fd, err);
    for (size_t i = 0; i < sv.n_layers; i++)
        free(sv.layers[i].diff_id);
    free(sv.layers);
    for (size_t i = 0; i < sv.n_images; i++) {
        free(sv.images[i].config);
        strv_free(sv.images[i].names);
    }
    free(sv.images);
    free(sv.buf);
    return r;
}
