/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_IMAGE_ARCHIVE_MEMBERS_H
#define CTR_IMAGE_ARCHIVE_MEMBERS_H

#include <stddef.h>
#include <stdint.h>

#include <archive.h>

#include "error.h"

/* Internal to ctr load (archive-load.c, archive-members.c): the member table of an archive. */

enum image_member_kind {
    MEMBER_FILE,
    MEMBER_HARDLINK,
    MEMBER_SYMLINK,
    MEMBER_OTHER,
};

struct image_member {
    char *name; /* cleaned by image_archive_member_clean() */
    enum image_member_kind kind;
    char *target; /* hardlink: a cleaned member name; symlink: the raw target */
    int64_t size;
    char *data; /* the content, when small and JSON-like; else NULL */
    size_t len;
};

struct image_members {
    int fd;           /* the archive, seekable; set by the caller */
    const char *what; /* names it in messages; set by the caller */
    char *buf;
    int read_failed;
    struct image_member *list; /* sorted by name, each name once */
    size_t n;
    size_t kept; /* bytes of JSON kept */
};

/* The libarchive adapter: "read the archive: MESSAGE".  Returns -1. */
int image_members_fail(struct ctr_error **err, struct archive *a);

/*
 * A reader at the start of the archive (tar; plain, gzip or zstd, decompressed in-process).  The
 * caller frees it with archive_read_free().
 */
struct archive *image_members_open(struct image_members *l, struct ctr_error **err);

/*
 * Pass 1: reads the whole archive, refusing bad names (absolute, "..") and names that appear
 * twice, and keeps regular members of at most IMAGE_CONFIG_MAX bytes that start like JSON (at
 * most 256 MiB of them).  A truncated or corrupt archive fails here.
 */
int image_members_index(struct image_members *l, struct ctr_error **err);

/* The member called `name`, or NULL. */
struct image_member *image_members_find(struct image_members *l, const char *name);

/* The regular member `name` leads to through hard and symbolic links that stay inside. */
struct image_member *image_members_resolve(struct image_members *l, const char *name,
                                           struct ctr_error **err);

/* The content of JSON member `name` (kept by pass 1), at most `max` bytes; owned by `l`. */
int image_members_json(struct image_members *l, const char *name, size_t max, const char **ret,
                       size_t *ret_len, struct ctr_error **err);

void image_members_clear(struct image_members *l);

#endif
