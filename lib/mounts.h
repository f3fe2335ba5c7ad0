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
/*
 * The two halves of it: the kernel's filesystems (/proc, /sys, /dev), which only a process in
 * the container's namespaces may mount, and the host's paths (generated /etc files, volumes),
 * which only a process that can reach them may mount.  With a user namespace whose root is
 * not the user (--userns, --uidmap) they are mounted by different processes.
 */
int ctr_mount_kernel(const char *root, const struct ctr_spec *spec, int own_netns,
                     struct ctr_error **err);
int ctr_mount_paths(const char *root, const struct ctr_rootfs *r, const struct ctr_spec *spec,
                    struct ctr_error **err);
int ctr_mount_container(const char *root, const struct ctr_rootfs *r, const struct ctr_spec *spec,
                        int own_netns, struct ctr_error **err);

/*
 * The security mounts, last before pivot_root: the read-only and masked paths (a path the
 * image lacks is skipped), and with --read-only the root itself read-only (plus tmpfs on /tmp,
 * /var/tmp and /run unless --read-only-tmpfs=false; /dev/shm is one already).
 */
int ctr_mount_security(const char *root, const struct ctr_security_spec *sec,
                       struct ctr_error **err);

/* Makes `root` the root directory and detaches the old one. */
int ctr_pivot_root(const char *root, struct ctr_error **err);

#endif
