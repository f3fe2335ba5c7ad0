/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_IMAGE_REGISTRY_H
#define CTR_IMAGE_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "error.h"

/*
 * A client for one registry (distribution HTTP API v2) over libcurl.
 *
 * - Auth: anonymous first; on 401 the WWW-Authenticate challenge decides: Basic with the
 *   user's credentials, or Bearer: a token fetched from the realm for the right scope
 *   ("repository:PATH:pull"), reused for that scope within the process.
 * - TLS verified by default.  An `insecure` registry (--tls-verify=false, or marked insecure in
 *   registries.conf) is spoken to over plain http:// directly, with no https attempt first: such
 *   registries are local test registries, and a fallback would only hide which one was used.
 *   `cert_dir` holds private CAs (*.crt, trusted in addition to the system's) and a client
 *   certificate (NAME.cert + NAME.key), as containers-certs.d(5) lays them out.
 * - "docker.io" is reached at registry-1.docker.io, where Docker Hub serves the API.
 * - Redirects (blob storage) are followed by hand: the Authorization header goes only to the
 *   registry's own host, never to another.
 * - Errors carry the registry's own error code and message ("MANIFEST_UNKNOWN: manifest
 *   unknown"); transient failures (connect errors, timeouts, 429, 5xx) are retried `retries`
 *   times with exponential backoff.
 *
 * One struct image_registry may be used by several threads at once (each call uses its own
 * curl handle; the token cache is locked).
 */
struct image_registry_opts {
    int insecure;         /* allow http:// and unverified TLS */
    const char *cert_dir; /* NULL: /etc/containers/certs.d/HOST and ~/.config/containers/... */
    const char *username; /* NULL: anonymous unless credentials are found in auth files */
    const char *password;
    const char *authfile; /* where to look up credentials; NULL: the default order */
    int retries;          /* retries of a transient failure; negative: the default, 3 */
    long timeout_s;       /* connect and low-speed timeout; 0: the default, 30 */
};

struct image_registry;

/*
 * A client for `domain` ("quay.io", "localhost:5000"); nothing is sent yet.  Without
 * opts->username the credentials come from image_creds_lookup(), and a malformed auth file is an
 * error here.  Fails also for an invalid domain or an unreadable cert dir.
 */
int image_registry_new(const char *domain, const struct image_registry_opts *opts,
                       struct image_registry **ret, struct ctr_error **err);
void image_registry_free(struct image_registry *r);

/* GET /v2/: checks the registry answers and the credentials work (ctr login). */
int image_registry_ping(struct image_registry *r, struct ctr_error **err);

/*
 * Fetches the manifest `reference` (a tag or a digest) of repository `path`, at most
 * `max` bytes, sending `accept` (NULL-terminated media types) as the Accept header.  Returns
 * the body (NUL-terminated, *ret_len excludes it; caller frees), its Content-Type without
 * parameters (or NULL; caller frees) and its sha256 digest.  When `reference` is a digest, the
 * body is verified against it.
 */
int image_registry_get_manifest(struct image_registry *r, const char *path, const char *reference,
                                const char *const *accept, size_t max, char **ret_body,
                                size_t *ret_len, char **ret_content_type,
                                char ret_digest[IMAGE_DIGEST_MAX], struct ctr_error **err);

/*
 * Streams blob `digest` of `path` to `sink`, verifying the digest (and `size`, when >= 0) as
 * it arrives.  The sink returns 0 to go on, -1 (with *err set) to abort.  A retry after bytes
 * reached the sink is not possible: a transient failure mid-stream fails the call, and the
 * caller starts the blob again.  On a digest mismatch the error names the blob and says the
 * registry sent different bytes.
 */
typedef int (*image_blob_sink)(void *arg, const void *data, size_t len, struct ctr_error **err);
int image_registry_get_blob(struct image_registry *r, const char *path, const char *digest,
                            int64_t size, image_blob_sink sink, void *arg, struct ctr_error **err);

/*
 * Credentials in the auth.json format Podman and Docker use ({"auths": {"HOST": {"auth":
 * base64("user:pass")}}}).  Lookup order: `authfile` when given, else
 * $XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json,
 * ~/.docker/config.json.  Found: 1 with *ret_user and *ret_pass set; none: 0.  Keys are hosts
 * ("quay.io", "localhost:5000"); Docker's URL keys ("https://index.docker.io/v1/" for docker.io)
 * match too, an exact key first.  A malformed file is an error naming it and the line:column.
 */
int image_creds_lookup(const char *authfile, const char *domain, char **ret_user, char **ret_pass,
                       struct ctr_error **err);

/*
 * Stores (0600, atomically: a new file renamed over the old) or removes credentials for
 * `domain` in `authfile`, or in the default $XDG_RUNTIME_DIR/containers/auth.json when NULL.
 * Other entries and unknown keys are kept.  Missing parent directories are created 0700 (the
 * default one must then be the user's own).  Remove returns 0 when there were none to remove, 1
 * when removed.
 */
int image_creds_store(const char *authfile, const char *domain, const char *user, const char *pass,
                      struct ctr_error **err);
int image_creds_remove(const char *authfile, const char *domain, struct ctr_error **err);
/* Removes every entry of "auths" (other keys stay); returns how many there were. */
int image_creds_remove_all(const char *authfile, struct ctr_error **err);

/* The default auth file path ($XDG_RUNTIME_DIR/containers/auth.json, or under /tmp's runtime
 * dir fallback); caller frees. */
char *image_creds_default_path(struct ctr_error **err);

#endif
