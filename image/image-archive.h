/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_IMAGE_IMAGE_ARCHIVE_H
#define CTR_IMAGE_IMAGE_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"
#include "error.h"
#include "images.h"
#include "pull.h"

/*
 * Image archives: `ctr load` and `ctr save`.
 *
 * Two formats, both tar files (plain, or compressed with gzip or zstd when loading):
 *   - an OCI archive: an OCI image layout (oci-layout, index.json, blobs/ALG/HEX) in a tar, as
 *     `skopeo copy ... oci-archive:FILE` and `podman save --format oci-archive` write it.  Names
 *     come from the index entries' "org.opencontainers.image.ref.name" annotation (or
 *     containerd's "io.containerd.image.name").
 *   - a docker-archive, as `docker save` and `podman save` write it: manifest.json lists, for
 *     each image, its config member, its RepoTags and its layer members (uncompressed tars, or
 *     compressed ones that the config's diff_ids still prove).
 *
 * An archive to load is untrusted.  It is never extracted to disk: its members are read with
 * libarchive in two passes (the small JSON members into memory first, then the layers streamed
 * into the unpack helper that pulls use), member names that are absolute or contain ".." refuse
 * the archive, JSON members have size limits, every OCI blob is checked against its digest and
 * size, and every layer against its config's diff_id before it is committed.
 */

/* The third re-executed helper: writes an uncompressed tar of a layer directory to stdout. */
#define IMAGE_HELPER_TAR "ctr-tar-layer"

/* manifest.json of a docker-archive: a JSON array, of at most this many bytes. */
#define IMAGE_DOCKER_MANIFEST_MAX (4 << 20)

/* One image of a docker-archive's manifest.json.  Strings are owned. */
struct image_docker_item {
    char *config;     /* member name, cleaned by image_archive_member_clean() */
    char **repo_tags; /* normalised full names ("docker.io/library/busybox:latest"); never NULL */
    char **layers;    /* member names, cleaned, base layer first; never NULL */
    size_t n_layers;
};

struct image_docker_manifest {
    struct image_docker_item *items;
    size_t n_items;
};

/*
 * Parses manifest.json.  It must be a non-empty array of objects, each with a "Config" string,
 * a "Layers" array of strings (at most IMAGE_LAYERS_MAX) and an optional "RepoTags" array of
 * strings (or null); other keys ("Parent", "LayerSources") are ignored.  Member names are
 * cleaned and refused when absolute or climbing with ".."; each tag must be a valid reference
 * with a tag and no digest, and is normalised as Docker reads it ("busybox:1" is
 * "docker.io/library/busybox:1").  Fails with EBADMSG (EFBIG when too large).  The caller frees
 * *ret with image_docker_manifest_free().
 */
int image_docker_manifest_parse(const char *data, size_t len, struct image_docker_manifest **ret,
                                struct ctr_error **err);
void image_docker_manifest_free(struct image_docker_manifest *m);
DEFINE_CLEANUP_FUNC(struct image_docker_manifest *, image_docker_manifest_free)

/*
 * Cleans an archive member name into *ret (caller frees): leading "./" and "/" repeated, empty
 * and "." components and a trailing "/" dropped.  Fails with EXDEV for an absolute name or one
 * with a ".." component (archives are refused rather than confined: no tool writes these), and
 * EINVAL for an empty name or one with control characters.  "" (the archive's root) is
 * returned for "./".
 */
int image_archive_member_clean(const char *name, char **ret, struct ctr_error **err);

/*
 * The image name an OCI archive's ref.name annotation gives, as Podman reads it: a full
 * reference stays as it is, a name without a registry goes under "localhost/" (a bare tag such
 * as skopeo writes, "v1", becomes "localhost/v1:latest"), ":latest" is added when there is no
 * tag, and a digest beside a tag is dropped.  NULL with EINVAL when it is not a reference.
 */
char *image_archive_oci_name(const char *ref_name, struct ctr_error **err);

/* --- load --- */

enum image_load_event_kind {
    IMAGE_LOAD_LAYER_EXISTS, /* `digest` (a diff id) is already in the store */
    IMAGE_LOAD_LAYER_DONE,   /* `digest` unpacked: `bytes` of archive member */
    IMAGE_LOAD_WARNING,      /* `message` does not stop the load */
};

struct image_load_event {
    enum image_load_event_kind kind;
    const char *digest;
    int64_t bytes;
    const char *message;
};

struct image_load_opts {
    void (*progress)(void *arg, const struct image_load_event *ev);
    void *progress_arg;
};

/*
 * Loads every image of the archive open at `fd` (a seekable file, read from its start; `what`
 * names it in messages) into the store.  Layers already in the store are verified but not
 * unpacked again.  A failed load registers no image of the archive, and leaves no layer
 * half-written (layers committed before the failure stay, unused, until collected).  On
 * success *ret_names lists what was loaded (NULL-terminated, caller frees): each name of each
 * image, or "sha256:HEX" for an image without a name.
 */
int image_load(struct storage *s, const struct image_store_ns *ns, int fd, const char *what,
               const struct image_load_opts *opts, char ***ret_names, struct ctr_error **err);

/*
 * Copies `in_fd` to its end into a new anonymous file in `dir` (private to the user, gone when
 * closed), for input that cannot be read twice such as a pipe.  *ret_fd is the file, at 0.
 */
int image_archive_spool(int in_fd, const char *dir, int *ret_fd, struct ctr_error **err);

/* --- save --- */

enum image_archive_format {
    IMAGE_ARCHIVE_DOCKER = 0,
    IMAGE_ARCHIVE_OCI,
};

struct image_save_item {
    const struct storage_image *img; /* with its config (from storage_image_lookup()) */
    const char *name;                /* the name to record, or NULL (saved by id: none) */
};

/*
 * Writes `items` as one archive of `format`.  Layers are re-created as uncompressed tars from
 * the store (in the user namespace, by IMAGE_HELPER_TAR); when a re-created layer's digest is
 * not the diff id the config lists, the config is rewritten with the new diff ids and the
 * image gets a new id in the archive, as Podman's save does.  With `path`, the archive is
 * written to a hidden temporary file beside it and renamed over `path` only when complete, so
 * a failed save leaves no file; without, it is written to `fd`.
 */
int image_save(struct storage *s, const struct image_store_ns *ns,
               const struct image_save_item *items, size_t n_items,
               enum image_archive_format format, const char *path, int fd, struct ctr_error **err);

/* The entry point of IMAGE_HELPER_TAR DIR; returns the process exit status. */
int image_helper_tar_main(int argc, char **argv);

#endif
