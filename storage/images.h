/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_STORAGE_IMAGES_H
#define CTR_STORAGE_IMAGES_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "store.h"

/*
 * Images and their layers in the store.
 *
 * On disk, ROOT/layers/HEX is the unpacked layer with diff id sha256:HEX, ready to stack as an
 * overlayfs lower directory.  A layer is unpacked into ROOT/layers/.staging/NAME (held with
 * flock(2) while it is written), renamed into place once its diff id is verified, and only
 * then recorded in the database: a row means a complete layer.  Files in layers belong to the
 * user's subordinate ids, so removing a layer directory is the caller's job, done inside the
 * store's user namespace.
 *
 * Pulls hold the layers lock shared; removing layers needs it exclusive, so a layer a running
 * pull has committed but not yet tied to an image is never collected.
 */

/* ROOT/layers/HEX for a valid digest; the caller frees. */
char *storage_layer_dir(const struct storage *s, const char *diff_id);

/* 1 if a complete layer with `diff_id` is recorded, 0 if not. */
int storage_layer_present(struct storage *s, const char *diff_id, struct ctr_error **err);

/*
 * A fresh, empty staging directory, locked by this process: *ret_lock_fd holds the lock and is
 * closed by the caller when the directory is committed or removed.
 */
int storage_layer_stage(struct storage *s, char **ret_path, int *ret_lock_fd,
                        struct ctr_error **err);

/*
 * Moves a verified staging directory into place as layer `diff_id` and records it.  Returns 0
 * when committed, 1 when a concurrent pull committed the same layer first (the staging
 * directory is then left for the caller to remove).
 */
int storage_layer_commit(struct storage *s, const char *staging, const char *diff_id, uint64_t size,
                         struct ctr_error **err);

/*
 * Takes the layers lock (exclusive or shared); with `wait` 0 returns 1 without blocking when
 * it is taken.  The lock lives as long as *ret_fd is open.
 */
int storage_layers_lock(struct storage *s, int exclusive, int wait, int *ret_fd,
                        struct ctr_error **err);

/*
 * Directories that hold no committed, recorded layer: staging directories no live process
 * holds (left by a kill -9), and layer directories without a row.  NULL-terminated; the
 * caller removes them (in the user namespace) and frees the list.
 */
int storage_layer_leftovers(struct storage *s, char ***ret_paths, struct ctr_error **err);

/* Diff ids of recorded layers that no image uses (NULL-terminated, caller frees). */
int storage_layers_unused(struct storage *s, char ***ret_diff_ids, struct ctr_error **err);

/* The sum of the recorded sizes of `diff_ids` (NULL-terminated), each counted once. */
int64_t storage_layers_size(struct storage *s, char *const *diff_ids, struct ctr_error **err);

/* Deletes the row of a layer whose directory the caller is about to remove. */
int storage_layer_forget(struct storage *s, const char *diff_id, struct ctr_error **err);

struct storage_image {
    char *id;              /* config digest, sha256:... */
    char *manifest_digest; /* of the platform manifest */
    char *os;
    char *architecture;
    char *variant;   /* may be NULL */
    int64_t size;    /* unpacked bytes of all layers */
    int64_t created; /* from the config, seconds since the epoch; 0 when unknown */
    int64_t added;
    char **names;    /* NULL-terminated, possibly empty (a dangling image) */
    char **diff_ids; /* NULL-terminated, base layer first */
    /* Loaded only by storage_image_lookup(): */
    char *manifest;
    size_t manifest_len;
    char *config;
    size_t config_len;
};

/*
 * Records an image whose layers are all committed, and gives it `name` (may be NULL), moving
 * the name from any image that had it.  Adding an image that exists just adds the name.
 */
int storage_image_add(struct storage *s, const struct storage_image *img, const char *name,
                      struct ctr_error **err);

/* Every image, newest first, without manifest and config. */
int storage_image_list(struct storage *s, struct storage_image ***ret, size_t *ret_n,
                       struct ctr_error **err);

/*
 * Finds an image by full name ("docker.io/library/busybox:latest"), full id, or an id prefix
 * (with or without "sha256:") that matches one image.  Not found: 0 and *ret NULL; an
 * ambiguous prefix is an error naming the candidates.
 */
int storage_image_lookup(struct storage *s, const char *key, struct storage_image **ret,
                         struct ctr_error **err);

/* Adds `name` to image `id` (moving it from any other image). */
int storage_image_tag(struct storage *s, const char *id, const char *name, struct ctr_error **err);

/* Removes `name`; 1 if it was there, 0 if not. */
int storage_image_untag(struct storage *s, const char *name, struct ctr_error **err);

/* Number of containers made from image `id`. */
int storage_image_users(struct storage *s, const char *id, struct ctr_error **err);

/*
 * Ids of the containers made from image `id` (NULL-terminated, caller frees), for rmi -f.
 */
int storage_image_containers(struct storage *s, const char *id, char ***ret_ids,
                             struct ctr_error **err);

/* Deletes image `id` and its names (its layers stay until collected). */
int storage_image_delete(struct storage *s, const char *id, struct ctr_error **err);

void storage_image_free(struct storage_image *img);
void storage_image_list_free(struct storage_image **list, size_t n);

#endif
