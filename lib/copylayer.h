/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_LIB_COPYLAYER_H
#define CTR_LIB_COPYLAYER_H

#include "error.h"

/*
 * Applies layer directory `src` (unpacked for overlayfs: whiteouts are 0/0 character devices,
 * opaque directories carry user.overlay.opaque=y) on top of `dst`, as overlayfs would show the
 * two stacked: whiteouts remove, opaque directories replace, everything else is copied with
 * its owner, mode, times, xattrs and hardlinks.  The fallback when the kernel refuses an
 * overlay mount; it runs as root of the container's user namespace, so owners are kept.
 * Symlinks are never followed.
 */
int ctr_copy_layer(const char *src, const char *dst, struct ctr_error **err);

#endif
