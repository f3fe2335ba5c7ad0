/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_LIB_PROBE_H
#define CTR_LIB_PROBE_H

#include <sys/types.h>

#include "error.h"
#include "subid.h"

/*
 * What this host lets an unprivileged user do, found by trying it (forking children that
 * create namespaces and mount), never by guessing from version numbers.  Used by `ctr info`.
 *
 * Every check fills `ok` (1 works, 0 does not) and, when it does not work, `problem` (what is
 * wrong, lowercase, no period) and `fix` (the command an administrator runs, or NULL).
 */
struct ctr_check {
    int ok;
    char *problem;
    char *fix;
};

struct ctr_idmap_tool {
    char *path;          /* NULL when not installed */
    int setuid_or_fcaps; /* setuid root, or carries file capabilities */
    /* It really wrote a mapping for a child user namespace: the user's own id plus the first
     * range, or the own id alone when the user has no range (a missing range is not this
     * check's problem; the caller reports it from the subid data). */
    struct ctr_check check;
};

struct ctr_probe {
    char *kernel_release; /* uname -r */
    char *kernel_version; /* uname -v */
    char *machine;        /* uname -m */

    struct ctr_check userns;       /* unshare(CLONE_NEWUSER) works for this user */
    long max_user_namespaces;      /* /proc/sys/user/max_user_namespaces, -1 unknown */
    int unprivileged_userns_clone; /* Debian's kernel.unprivileged_userns_clone, -1 absent */

    struct ctr_idmap_tool newuidmap, newgidmap;

    struct ctr_check overlay; /* overlayfs mounts inside a user namespace */
    int overlay_userxattr;    /* the mount needed (and took) the userxattr option */

    struct ctr_check seccomp; /* seccomp filters can be installed */
    char *libseccomp_version; /* "2.5.4" */
    unsigned seccomp_api;     /* seccomp_api_get() */

    int cgroup_version;        /* 2 unified, 1 legacy or hybrid, 0 unknown */
    int cgroup_hybrid;         /* v1 with a cgroup2 hierarchy at /sys/fs/cgroup/unified */
    char *cgroup_path;         /* this process's cgroup (v2 path), or NULL */
    char **cgroup_controllers; /* available in that cgroup (NULL-terminated, maybe empty) */
    char **cgroup_delegated;   /* of those, the ones the user may configure (own subtree) */
};

/*
 * Probes the host.  `scratch` is an existing private directory the probe may create and remove
 * entries in (for the overlay test); `uid`/`gid` are the user's, `subuid`/`subgid` their ranges
 * (used to test newuidmap/newgidmap with a real mapping).  Fails only on internal errors
 * (fork, pipe, creating or removing the test directory in `scratch`); a missing feature is
 * reported in *ret, not as an error.  *ret is zeroed first; the caller frees it with
 * ctr_probe_clear(), also after a failure.
 */
int ctr_probe_host(const char *scratch, uid_t uid, gid_t gid, const struct ctr_subid *subuid,
                   const struct ctr_subid *subgid, struct ctr_probe *ret, struct ctr_error **err);

void ctr_probe_clear(struct ctr_probe *p);

/* libcap's version as built against ("2.66"). */
const char *ctr_libcap_version(void);

#endif
