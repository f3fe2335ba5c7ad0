/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_LIB_SECURITY_H
#define CTR_LIB_SECURITY_H

#include <linux/filter.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

/*
 * The container process's last steps before execve, in this order: the LSM settings for the
 * exec (AppArmor profile, SELinux label), no_new_privs, the bounding set reduced to the
 * container's capabilities, the switch to the container's user, then its capability sets
 * (a root user keeps the container's set as permitted and effective; any other user starts
 * with none, as in Podman) and the seccomp filter.  Without no_new_privs the filter is loaded
 * first, while CAP_SYS_ADMIN still allows it.
 */

/* A compiled seccomp filter: classic BPF instructions. */
struct ctr_bpf {
    struct sock_filter *insns;
    size_t len; /* 0: no filter (unconfined) */
};
void ctr_bpf_clear(struct ctr_bpf *b);

/*
 * The seccomp filter `sec` asks for (none for unconfined), compiled by libseccomp, or read
 * from `cache_dir` (may be NULL) where an earlier compile of the same filter by the same ctr
 * binary left it.
 */
int ctr_security_prepare(const struct ctr_security_spec *sec, const char *cache_dir,
                         struct ctr_bpf *ret, struct ctr_error **err);

/*
 * Carries out the steps above; `become_user(arg)` switches groups, gid and uid (to `uid`).
 * Runs in the container's first process, root of its user namespace, single-threaded.
 */
int ctr_security_apply(const struct ctr_security_spec *sec, const struct ctr_bpf *filter, uid_t uid,
                       int (*become_user)(void *arg, struct ctr_error **err), void *arg,
                       struct ctr_error **err);

#endif
