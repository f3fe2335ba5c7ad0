/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_LIB_MOUNTS_H
#define CTR_LIB_MOUNTS_H

#include "error.h"
#include "runtime.h"

/*
 * The container's filesystem, set up by the container's first process in its own mount
 * namespace (as root of its user namespace), before pivot_root.  Every target inside the root
 * is resolved with openat2(RESOLVE_IN_ROOT), so a symlink in an image cannot send a mount
 * outside it.
 */

/*
 * Mounts the root filesystem of `r` on r->merged: overlayfs, else (the kernel refused)
 * fuse-overlayfs, else a copy of the layers; a fallback sets *ret_warning (the caller frees)
 * naming what it costs.
 */
int ctr_mount_rootfs(const struct ctr_rootfs *r, char **ret_warning, struct ctr_error **err);

/*
 * Below the mounted root at `root`: /proc, /sys, /dev (with its devices, pts, shm, mqueue),
 * the generated /etc files, then the spec's volumes and tmpfs mounts in order.
 * `own_netns`: the container has its own network namespace (sysfs may be mounted afresh).
 */
int ctr_mount_container(const char *root, const struct ctr_rootfs *r, const struct ctr_spec *spec,
                        int own_netns, struct ctr_error **err);

/* Makes `root` the root directory and detaches the old one. */
int ctr_pivot_root(const char *root, struct ctr_error **err);

#endif
