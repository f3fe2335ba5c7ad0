/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_LIB_USERNS_H
#define CTR_LIB_USERNS_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "subid.h"

/*
 * User-namespace id mappings and running code inside a new user namespace.  The privileged
 * part (writing a mapping beyond the user's own id) is done by the setuid newuidmap and
 * newgidmap; ctr has no setuid code of its own.
 */
struct ctr_idmap {
    unsigned long inside;
    unsigned long outside;
    unsigned long count;
};

struct ctr_idmaps {
    struct ctr_idmap *uid;
    size_t n_uid;
    struct ctr_idmap *gid;
    size_t n_gid;
};

/*
 * The rootless default, as Podman builds it: container 0 is the user's uid/gid, 1..N are the
 * subordinate ranges in file order.  With no ranges: the single-id mapping (and the caller
 * warns).  Fails only when the ranges cannot be combined (more than 340 of them, the kernel's
 * limit).
 */
int ctr_idmaps_rootless(uid_t uid, gid_t gid, const struct ctr_subid *subuid,
                        const struct ctr_subid *subgid, struct ctr_idmaps *ret,
                        struct ctr_error **err);

/* The number of ids mapped from 0 without a gap (0 when 0 is not mapped). */
unsigned long ctr_idmaps_contiguous(const struct ctr_idmap *m, size_t n);

void ctr_idmaps_clear(struct ctr_idmaps *m);

/*
 * Forks a child that unshares CLONE_NEWUSER (plus `extra_flags`, e.g. CLONE_NEWNS), waits
 * until the parent has written `maps` (newuidmap/newgidmap, or /proc/PID/uid_map directly for
 * a single mapping of the caller's own ids, with setgroups denied), becomes uid/gid 0 in the
 * namespace, and runs fn(arg); the child _exit()s with fn's return value.  Returns the child's
 * pid in *ret_pid once the child is running with its mapping; the caller reaps it
 * (ctr_waitpid).  On failure no child is left behind.  fds the child needs must not be
 * O_CLOEXEC-sensitive: fn runs in the forked child directly, no exec.
 */
int ctr_userns_spawn(const struct ctr_idmaps *maps, int extra_flags, int (*fn)(void *arg),
                     void *arg, pid_t *ret_pid, struct ctr_error **err);

/*
 * Writes `maps` as the uid and gid maps of `pid`, a process in a new user namespace: itself for
 * root or the single mapping of the caller's own ids (denying setgroups), else through the
 * setuid newuidmap and newgidmap, whose message becomes the error.
 */
int ctr_userns_write_maps(pid_t pid, const struct ctr_idmaps *maps, struct ctr_error **err);

/* Whether setgroups(2) is allowed in the caller's user namespace (a single-id map denies it). */
int ctr_setgroups_allowed(void);

/* Loads the calling user's rootless mapping from /etc/subuid and /etc/subgid. */
int ctr_idmaps_for_current_user(struct ctr_idmaps *ret, int *ret_has_ranges,
                                struct ctr_error **err);

#endif
