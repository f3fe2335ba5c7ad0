/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_IMAGE_DIGEST_H
#define CTR_IMAGE_DIGEST_H

#include <stddef.h>

#include "error.h"

/*
 * Content digests as the OCI image spec defines them ("algorithm:encoded").  ctr accepts
 * sha256 (64 lowercase hex digits) and sha512 (128): a digest from a reference, a manifest or
 * a registry is validated with image_digest_validate() before it is used anywhere, above all
 * in a path, so "sha256:../../x" can never name a file.
 */
#define IMAGE_DIGEST_MAX 136 /* "sha512:" + 128 hex + NUL, rounded up */

/* 0 if `s` is a valid sha256 or sha512 digest; -1 and a message naming `s` otherwise. */
int image_digest_validate(const char *s, struct ctr_error **err);

/* The encoded part ("ab12...") of a valid digest; NULL if `s` is not valid. */
const char *image_digest_hex(const char *s);

/* A streaming hash for one algorithm ("sha256" or "sha512"). */
struct image_hasher;

/* NULL with *err set for an unknown algorithm. */
struct image_hasher *image_hasher_new(const char *algorithm, struct ctr_error **err);
void image_hasher_update(struct image_hasher *h, const void *data, size_t len);
/* Writes "algorithm:hex" into `out` (IMAGE_DIGEST_MAX bytes); the hasher is finished. */
void image_hasher_final(struct image_hasher *h, char out[IMAGE_DIGEST_MAX]);
void image_hasher_free(struct image_hasher *h);

/*
 * A hasher for the algorithm of `expected` (a valid digest); image_hasher_verify() then finishes
 * it and fails with EBADMSG and "digest mismatch: expected X, got Y" when the content differs.
 */
struct image_hasher *image_hasher_for(const char *expected, struct ctr_error **err);
int image_hasher_verify(struct image_hasher *h, const char *expected, struct ctr_error **err);

/* One-shot: "algorithm:hex" of a buffer.  Fails only for an unknown algorithm. */
int image_digest_buffer(const char *algorithm, const void *data, size_t len,
                        char out[IMAGE_DIGEST_MAX], struct ctr_error **err);

#endif
