/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_LIB_PASSWD_H
#define CTR_LIB_PASSWD_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/*
 * The container's user, resolved from the image's own /etc/passwd and /etc/group (never the
 * host's NSS): untrusted files, parsed defensively.  Used inside the container's mount
 * namespace after pivot_root, so the paths are the container's.
 */
struct ctr_user {
    uid_t uid;
    gid_t gid;
    gid_t *groups; /* supplementary groups from /etc/group (the primary gid not repeated) */
    size_t n_groups;
    char *home; /* from /etc/passwd, "/" when unknown */
    char *name; /* NULL when the user was given by number and has no entry */
};

/*
 * Resolves `spec` ("NAME", "UID", "NAME:GROUP", "UID:GID", "UID:GROUP", NULL or "" for root)
 * against `passwd` and `group`, the contents of /etc/passwd and /etc/group (either may be
 * NULL when the file is missing), as moby/sys/user's GetExecUser does.  A numeric user is
 * always a uid, and one with no entry is accepted with gid = the given group or 0 (as Podman
 * does); the same holds for a numeric group.  A name that is not found is an error naming it
 * and the file ("unable to find user 'www': no matching entry in the image's /etc/passwd; ...").
 * ":GID" (no user), more than one ':' and ids past 4294967294 are errors; "NAME:" is "NAME".
 * Malformed lines, comments and ids that do not fit in 32 bits are skipped; the first valid
 * entry that matches wins.  Supplementary groups are every group whose member list names the
 * user (when the user has a name), with or without an explicit group, as Docker and Podman do
 * since CVE-2022-36109/CVE-2022-2989; sorted, without repeats.  More than 65536 of them is an
 * error.  *ret is written only on success; free it with ctr_user_clear().
 */
int ctr_user_resolve(const char *spec, const char *passwd, const char *group, struct ctr_user *ret,
                     struct ctr_error **err);
/* Frees what *u owns and zeroes it; NULL is fine. */
void ctr_user_clear(struct ctr_user *u);

#endif
