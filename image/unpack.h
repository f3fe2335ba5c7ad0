/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_IMAGE_UNPACK_H
#define CTR_IMAGE_UNPACK_H

#include <stdint.h>

#include "digest.h"
#include "error.h"

/*
 * Applies one image layer (a tar stream, possibly compressed) to an empty directory, in the
 * form overlayfs stacks as a lower layer when mounted with `userxattr` (as a user namespace
 * requires): an OCI whiteout `.wh.NAME` becomes a 0/0 character device NAME, an opaque marker
 * `.wh..wh..opq` becomes the xattr user.overlay.opaque="y" on its directory.
 *
 * Nothing in a layer may create, change or delete anything outside `dirfd`: every path is
 * resolved beneath it (openat2 RESOLVE_BENEATH/IN_ROOT semantics, symlinks never followed out),
 * `..` and absolute names are confined or refused, hardlinks must point at entries inside,
 * whiteouts name entries inside.  A layer that tries is refused with an error naming the entry.
 *
 * Meant to run inside the user namespace of the store (ctr_userns_spawn), so that owners in
 * the tar header are set as they are seen inside containers.
 */
enum image_unpack_compression {
    IMAGE_UNPACK_AUTO = 0, /* detect gzip / zstd / none from the bytes */
    IMAGE_UNPACK_NONE,
    IMAGE_UNPACK_GZIP,
    IMAGE_UNPACK_ZSTD,
};

struct image_unpack_opts {
    enum image_unpack_compression compression;
    /* Ids mapped in this namespace, from 0 up: an owner at or above is refused up front with a
     * message naming the id and the range (0 means no limit, e.g. as real root). */
    unsigned long max_uid;
    unsigned long max_gid;
};

struct image_unpack_result {
    char diff_id[IMAGE_DIGEST_MAX]; /* sha256 of the uncompressed tar stream */
    uint64_t size;                  /* bytes of file content written */
    unsigned skipped_devices;       /* device nodes a rootless unpack cannot create */
    unsigned skipped_xattrs;        /* xattrs the kernel refused (outside user.*) */
};

/*
 * Reads the layer from `input_fd` to its end and unpacks it into `dirfd`.  On failure the
 * directory holds a partial layer: the caller removes it.
 */
int image_unpack_layer(int input_fd, int dirfd, const struct image_unpack_opts *opts,
                       struct image_unpack_result *ret, struct ctr_error **err);

#endif
