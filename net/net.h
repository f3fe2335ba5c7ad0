/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_NET_NET_H
#define CTR_NET_NET_H

/* The user-mode network helpers ctr can drive, in order of preference (Podman 5's order). */
enum net_helper_kind {
    NET_HELPER_PASTA,
    NET_HELPER_SLIRP4NETNS,
    NET_HELPER_COUNT,
};

struct net_helper_info {
    const char *name;    /* "pasta", "slirp4netns" */
    const char *package; /* the Debian package that ships it */
    char *path;          /* NULL when not installed */
    char *version;       /* first line of its --version output, or NULL */
};

/* Looks each helper up in $PATH and asks it for its version.  Never fails. */
void net_helpers_detect(struct net_helper_info ret[NET_HELPER_COUNT]);
void net_helpers_clear(struct net_helper_info info[NET_HELPER_COUNT]);

#endif
