/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_IMAGE_MANIFEST_H
#define CTR_IMAGE_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cleanup.h"
#include "error.h"

/*
 * Image manifests, indexes and configs: the OCI image spec's JSON documents and Docker's
 * schema 2 equivalents.  All of it comes from registries and archives, so nothing here is
 * trusted: the parsers take a byte buffer and its length, check sizes before parsing, reject
 * duplicate keys and wrong types, and validate every digest before it lands in a struct.
 * A struct these parsers return holds only values that passed those checks.
 *
 * Errors are "invalid image manifest: layers[2].size: -1 is negative" and the like, with
 * code EBADMSG for malformed content (EINVAL for a malformed digest, from
 * image_digest_validate()), EFBIG for oversized input, ENOTSUP for formats ctr does not handle
 * (schema 1, unknown layer types, artifacts) and ENOENT when no index entry fits the platform.
 * Strings from the document are quoted with image_quote(), so a message is safe to print.
 */

#define IMAGE_MEDIA_OCI_MANIFEST     "application/vnd.oci.image.manifest.v1+json"
#define IMAGE_MEDIA_OCI_INDEX        "application/vnd.oci.image.index.v1+json"
#define IMAGE_MEDIA_OCI_CONFIG       "application/vnd.oci.image.config.v1+json"
#define IMAGE_MEDIA_DOCKER_MANIFEST  "application/vnd.docker.distribution.manifest.v2+json"
#define IMAGE_MEDIA_DOCKER_LIST      "application/vnd.docker.distribution.manifest.list.v2+json"
#define IMAGE_MEDIA_DOCKER_CONFIG    "application/vnd.docker.container.image.v1+json"
#define IMAGE_MEDIA_DOCKER_SCHEMA1   "application/vnd.docker.distribution.manifest.v1+json"
#define IMAGE_MEDIA_DOCKER_SCHEMA1_S "application/vnd.docker.distribution.manifest.v1+prettyjws"

/* The Accept header for a manifest GET: every kind the parsers take, indexes first. */
#define IMAGE_MANIFEST_ACCEPT                                                        \
    IMAGE_MEDIA_OCI_INDEX ", " IMAGE_MEDIA_DOCKER_LIST ", " IMAGE_MEDIA_OCI_MANIFEST \
                          ", " IMAGE_MEDIA_DOCKER_MANIFEST

/*
 * Size limits.  The distribution spec has registries accept manifests of at least 4 MiB, and
 * nothing real comes near it; configs carry history and labels, so they get twice that.  The
 * caller stops a download at these sizes and the parsers refuse longer input too.
 */
#define IMAGE_MANIFEST_MAX (4 << 20)
#define IMAGE_CONFIG_MAX   (8 << 20)
/*
 * The largest blob size a descriptor may claim: beyond any real layer, and small enough that
 * the sum over IMAGE_LAYERS_MAX layers (2^50) cannot overflow int64_t.
 */
#define IMAGE_BLOB_MAX (INT64_C(1) << 40)
/* Twice the 500 lower layers overlayfs can stack (OVL_MAX_STACK): room to spare, and a bound. */
#define IMAGE_LAYERS_MAX 1000
#define IMAGE_INDEX_MAX  10000

/* The annotation an OCI layout's index.json uses for the tag of each image. */
#define IMAGE_ANNOTATION_REF_NAME "org.opencontainers.image.ref.name"

enum image_manifest_kind {
    IMAGE_KIND_OCI_MANIFEST = 1,
    IMAGE_KIND_DOCKER_MANIFEST,
    IMAGE_KIND_OCI_INDEX,
    IMAGE_KIND_DOCKER_LIST,
};

enum image_compression {
    IMAGE_COMPRESSION_NONE = 0,
    IMAGE_COMPRESSION_GZIP,
    IMAGE_COMPRESSION_ZSTD,
};

/* One key and value of an annotation or label map, in document order. */
struct image_kv {
    char *key;
    char *value;
};

/* Strings are owned by the struct; NULL means absent (or JSON null, which the spec equates). */
struct image_platform {
    char *os;
    char *architecture;
    char *variant;
    char *os_version;   /* "os.version" */
    char **os_features; /* "os.features", NULL-terminated */
    char **features;
};

struct image_descriptor {
    char *media_type;
    char *digest; /* valid per image_digest_validate() */
    int64_t size; /* 0 .. IMAGE_BLOB_MAX, and at most the limit for its kind */
    char **urls;  /* NULL-terminated http(s) URLs, or NULL */
    struct image_platform *platform;
    struct image_kv *annotations;
    size_t n_annotations;
    /* Set for layers only: how the blob is compressed, and whether it is a foreign (Docker)
     * or non-distributable (OCI) layer, which a registry may not hold and `urls` may name. */
    enum image_compression compression;
    int nondistributable;
};

struct image_manifest {
    enum image_manifest_kind kind; /* IMAGE_KIND_OCI_MANIFEST or IMAGE_KIND_DOCKER_MANIFEST */
    struct image_descriptor config;
    struct image_descriptor *layers; /* base layer first */
    size_t n_layers;
    struct image_kv *annotations;
    size_t n_annotations;
};

struct image_index {
    enum image_manifest_kind kind; /* IMAGE_KIND_OCI_INDEX or IMAGE_KIND_DOCKER_LIST */
    struct image_descriptor *manifests;
    size_t n_manifests;
    struct image_kv *annotations;
    size_t n_annotations;
};

struct image_port {
    uint16_t port;    /* 1..65535 */
    char protocol[8]; /* "tcp", "udp" or "sctp" */
};

/* What ctr needs from an image config.  String lists are NULL-terminated. */
struct image_config {
    char *architecture;
    char *os;
    char *variant; /* NULL when absent */
    int has_created;
    time_t created;
    char *user;        /* NULL when absent */
    char **env;        /* NULL when absent */
    char **entrypoint; /* NULL when absent or null; an empty list for [] */
    char **cmd;        /* likewise */
    char *working_dir; /* NULL when absent */
    struct image_port *exposed_ports;
    size_t n_exposed_ports;
    char **volumes; /* the keys of "Volumes", unchecked paths; NULL when absent */
    struct image_kv *labels;
    size_t n_labels;
    char *stop_signal; /* as written ("SIGTERM", "15"); NULL when absent */
    char **diff_ids;   /* valid digests, base layer first; never NULL */
    size_t n_diff_ids;
    size_t n_history;        /* entries of "history" */
    size_t n_history_layers; /* those not marked "empty_layer" */
};

/*
 * The kind of a manifest document.  `content_type` is the registry's Content-Type (parameters
 * and case ignored) or NULL, e.g. for a file from an archive; a generic type such as
 * application/json counts as NULL.  Then the body's "mediaType" decides, then its shape
 * ("manifests" for an index, "config" and "layers" for a manifest).  A header that disagrees
 * with "mediaType", or a body with both shapes, is an error (CVE-2021-41190); so is Docker
 * schema 1, with a message saying to re-push the image.
 */
int image_manifest_detect(const char *content_type, const char *data, size_t len,
                          enum image_manifest_kind *ret_kind, struct ctr_error **err);

/* Whether `kind` is an index (OCI index or Docker manifest list). */
int image_manifest_kind_is_index(enum image_manifest_kind kind);
/* The media type string of `kind` (a static string). */
const char *image_manifest_kind_media_type(enum image_manifest_kind kind);

/*
 * Parse a manifest or an index, detecting the kind as image_manifest_detect() does; the
 * document must be of the family asked for.  Layers must have a known media type: skipping
 * one, as the spec allows for unknown types, would build a different filesystem than the
 * image's author made.  The config must be an image config, not an artifact's.  The caller
 * frees the result with image_manifest_free() / image_index_free(); NULL on error.
 */
struct image_manifest *image_manifest_parse(const char *content_type, const char *data, size_t len,
                                            struct ctr_error **err);
struct image_index *image_index_parse(const char *content_type, const char *data, size_t len,
                                      struct ctr_error **err);
void image_manifest_free(struct image_manifest *m);
void image_index_free(struct image_index *ix);
DEFINE_CLEANUP_FUNC(struct image_manifest *, image_manifest_free)
DEFINE_CLEANUP_FUNC(struct image_index *, image_index_free)

/* The value of annotation `key` on `d`, or NULL. */
const char *image_descriptor_annotation(const struct image_descriptor *d, const char *key);
/* The value of `key` in a key/value list, or NULL. */
const char *image_kv_get(const struct image_kv *kv, size_t n, const char *key);

/*
 * Parses an image config (application/vnd.oci.image.config.v1+json or Docker's container
 * config): architecture and os are required, rootfs must be of type "layers" with valid
 * diff_ids, and "created" must be RFC 3339 when present.  The caller frees the result with
 * image_config_free(); NULL on error.
 */
struct image_config *image_config_parse(const char *data, size_t len, struct ctr_error **err);
void image_config_free(struct image_config *c);
DEFINE_CLEANUP_FUNC(struct image_config *, image_config_free)

/* Fails unless the config lists one diff_id for each layer of the manifest. */
int image_config_check_manifest(const struct image_config *c, const struct image_manifest *m,
                                struct ctr_error **err);

/*
 * Parses an RFC 3339 date-time ("2024-05-01T12:00:00Z", "...12:00:00.123456789+02:00") into
 * seconds since the epoch, dropping fractions of a second.  Years before 1 are refused.
 */
int image_time_parse(const char *s, time_t *ret, struct ctr_error **err);

/*
 * Platforms.  Names are Go's GOOS/GOARCH as the OCI spec uses them ("linux", "amd64", "arm64",
 * "arm" with variant "v7").  image_platform_parse() reads "OS/ARCH[/VARIANT]" for --platform;
 * a caller applying --os/--arch/--variant replaces the fields (with xstrdup) and calls
 * image_platform_normalize().  The parse, from_machine and host functions fill a caller's
 * struct only on success; the caller clears it with image_platform_clear().
 */
int image_platform_parse(const char *s, struct image_platform *ret, struct ctr_error **err);
/* The platform of a uname(2) machine name ("x86_64" -> linux/amd64, "armv7l" -> linux/arm/v7). */
int image_platform_from_machine(const char *machine, struct image_platform *ret,
                                struct ctr_error **err);
/* The platform of this host, from uname(2). */
int image_platform_host(struct image_platform *ret, struct ctr_error **err);
/* Lowercases, turns architecture aliases (x86_64, aarch64, i686) into Go's names, "8" into "v8". */
void image_platform_normalize(struct image_platform *p);
/* "os/arch[/variant]"; the caller frees it. */
char *image_platform_format(const struct image_platform *p);
void image_platform_clear(struct image_platform *p);

enum image_select_flags {
    /*
     * Take `want->variant` as what the machine can run rather than an exact request, and
     * accept older variants of the same architecture (a v7 ARM runs v6 and v5 binaries).  For
     * the host's own platform; without it a requested variant must match exactly.
     */
    IMAGE_SELECT_COMPATIBLE = 1 << 0,
};

/*
 * The index entry to pull for `want`.  OS and architecture must match.  A requested variant
 * must match exactly (a missing arm64 variant counts as v8, amd64 as v1, arm as v7, as
 * Docker and containerd read them); with no variant, the architecture's usual one is preferred
 * and older ones accepted (arm: v7, then v6, then v5).  Entries that are attestations
 * (BuildKit's "vnd.docker.reference.type" annotation, or platform unknown/unknown), nested
 * indexes and entries without a platform are skipped.  On failure the message lists the
 * platforms the index offers: "no image for linux/arm64 in 'ref': available: linux/amd64,
 * linux/arm/v7".  `ref` names the image in that message and may be NULL.  The result points
 * into `ix`.
 */
const struct image_descriptor *image_index_select(const struct image_index *ix,
                                                  const struct image_platform *want,
                                                  const char *ref, unsigned flags,
                                                  struct ctr_error **err);

#endif
