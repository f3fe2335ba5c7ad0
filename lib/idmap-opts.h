/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_LIB_IDMAP_OPTS_H
#define CTR_LIB_IDMAP_OPTS_H

#include <stddef.h>

#include "error.h"
#include "userns.h"

/*
 * The id maps a container gets from Podman's --userns, --uidmap and --gidmap, computed from the
 * user's rootless maps (ctr_idmaps_rootless: id 0 of the user's namespace is the user's own id,
 * 1.. the subordinate ids in /etc/subuid order).  Podman calls the user's namespace the
 * "intermediate" one; ctr has no such namespace at run time but composes the two steps, so the
 * container's namespace is created straight from host ids.
 */
enum ctr_userns_mode {
    CTR_USERNS_DEFAULT, /* container 0 = the user, 1.. = the subordinate ids */
    CTR_USERNS_KEEP_ID, /* the user keeps their own id inside */
    CTR_USERNS_NOMAP,   /* only the subordinate ids, the user's own id is not mapped */
    CTR_USERNS_HOST,    /* no user namespace: only for root */
};

struct ctr_userns_opts {
    enum ctr_userns_mode mode;
    unsigned long keep_uid, keep_gid; /* keep-id:uid=,gid=: the ids the user gets inside */
    int has_keep_uid, has_keep_gid;
};

/*
 * Parses --userns: "" or NULL (the default), "keep-id", "keep-id:uid=UID,gid=GID" (either or
 * both), "nomap" or "host".  "auto", "private", "ns:" and "container:" are refused (ENOTSUP) as
 * not supported.  Errors (EINVAL) quote the bad part.  Fills *ret on success.
 */
int ctr_userns_parse(const char *arg, struct ctr_userns_opts *ret, struct ctr_error **err);

/*
 * Parses one --uidmap or --gidmap CONTAINER:HOST:SIZE into *ret (inside = CONTAINER, outside =
 * HOST, count = SIZE).  HOST is, as in rootless Podman, an id of the user's namespace: 0 is the
 * user's own id, 1.. the subordinate ids in order.  Decimal numbers only; SIZE at least 1 and
 * neither range past 4294967294.  Errors (EINVAL) quote the argument and name the bad field;
 * the caller adds the flag ("--uidmap: ...").
 */
int ctr_idmap_parse(const char *arg, struct ctr_idmap *ret, struct ctr_error **err);

/*
 * The container's uid and gid maps (inside = container id, outside = host id) from the user's
 * rootless maps `user` (inside = id of the user's namespace, outside = host id), the real
 * `uid`/`gid`, the --userns options and the --uidmap/--gidmap lists (n may be 0; with only one
 * list given it serves both, as in Podman).
 *   - default: `user` itself;
 *   - keep-id: Podman's layout, with U = the user's uid (or keep-id's uid=): container 0..U-1
 *     are the first U subordinate ids, U is the user, U+1.. the remaining subordinate ids;
 *   - nomap: container 0.. are the subordinate ids only;
 *   - host: refused (EPERM) unless uid is 0, which gets the identity map of every id (the caller
 *     may as well not create a user namespace);
 *   - --uidmap/--gidmap: each range of the user's namespace is translated through `user`,
 *     possibly into several host ranges; a range the user's namespace does not cover is refused
 *     (ERANGE) saying how many ids it needs and how many the user has.
 * --userns other than the default with --uidmap/--gidmap, overlapping container ranges and
 * ranges of the user's namespace used twice are refused (EINVAL); more than 340 extents in a map
 * (the kernel's limit) is E2BIG.  Each map is sorted by container id, and pieces that continue
 * each other within one extent of `user` are merged: never across extents, as newuidmap accepts
 * the user's own id only as a mapping of its own.  Nothing of *ret is set on failure; on success
 * the caller frees it with ctr_idmaps_clear().
 */
int ctr_idmaps_for_container(const struct ctr_idmaps *user, unsigned long uid, unsigned long gid,
                             const struct ctr_userns_opts *opts, const struct ctr_idmap *uidmap,
                             size_t n_uidmap, const struct ctr_idmap *gidmap, size_t n_gidmap,
                             struct ctr_idmaps *ret, struct ctr_error **err);

#endif
