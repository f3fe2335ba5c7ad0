/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_LIB_RUNTIME_H
#define CTR_LIB_RUNTIME_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"
#include "userns.h"

/*
 * Starting a container: ctr forks the container itself, no external OCI runtime.  The child
 * is cloned into new user, mount, pid, uts, ipc, cgroup (and, unless the network is "host" or
 * joined, net) namespaces; the parent writes its id maps; the child mounts its root filesystem
 * (overlayfs over the image's layers), /proc, /sys, /dev and the generated /etc files,
 * pivots into it, becomes the container's user and execs the process.
 */
struct ctr_rootfs {
    char **lowerdirs;  /* absolute layer directories, top first; may be empty */
    const char *upper; /* per-container overlay upper and work directories */
    const char *work;
    const char *merged;  /* the mount point (an empty directory) */
    const char *empty;   /* an empty directory: the lower layer of an image without layers */
    const char *etc_dir; /* holds the generated hosts, hostname and resolv.conf */
    /*
     * When the kernel refuses the overlay mount: fuse-overlayfs when it is installed (and not
     * `no_fuse`), else the layers are copied into `upper` once (`copied` names the marker
     * file) and that directory is the root.
     */
    int no_fuse;
    const char *copied;
    int force_fallback; /* tests: behave as if the kernel refused overlayfs */
};

struct ctr_start {
    const struct ctr_spec *spec;
    const struct ctr_idmaps *maps; /* the container's, or with inner_maps the user's default */
    /*
     * When the container's root is not the user: the container's maps as ids of `maps`'s
     * namespace (0 the user, 1.. the subordinate ids).  The store is then mounted from a
     * namespace with `maps` and the container gets one nested in it.
     */
    const struct ctr_idmaps *inner_maps;
    struct ctr_rootfs rootfs;
    int stdio[3];         /* the process's stdin, stdout, stderr; -1 is /dev/null */
    int kill_with_parent; /* SIGKILL the container when the starting thread dies */
    /* Called (in the caller) with each warning of the start, e.g. a slower fallback. */
    void (*warn)(void *arg, const char *msg);
    void *warn_arg;
    const char *cache_dir; /* compiled seccomp filters are kept here (may be NULL) */
    int init_fd;           /* --init: a sealed memfd holding ctr-monitor (run as ctr-init), or -1 */
    /*
     * Called in the caller once the container's init `pid` exists with its namespaces, before
     * anything of the container runs: where its network helper is started.  May be NULL.
     */
    int (*network)(void *arg, pid_t pid, struct ctr_error **err);
    void *network_arg;
    /*
     * --network container:NAME or ns:PATH: the network namespace to join, or -1 (a new one,
     * or none of its own for spec->network "host"); see struct ctr_netns.  Not owned.  With
     * join_userns_fd (-1 when unused) the container joins that user namespace, the network
     * namespace's owner, instead of making one: `maps` is not written and inner_maps must be
     * NULL.
     */
    int join_netns_fd;
    int join_userns_fd;
};

/*
 * A network namespace a container can join, as ctr_netns_open() found it.
 *
 * Joining a network namespace takes CAP_SYS_ADMIN in the user namespace that owns it.  One of
 * another container (and any other made in a user namespace of the caller's) is owned by that
 * user namespace, in which the caller has every capability: the container joins it too, as
 * Podman's rootless containers do, since its own new one would be a child of the caller's
 * without any capability over the network namespace.  One owned by the caller's own user
 * namespace (`ip netns add`) can only be joined with CAP_SYS_ADMIN there, which is root's; the
 * container then gets its own user namespace as usual.  The caller's own network namespace
 * (userns_fd -1) is shared as "host" shares it: ctr_container_start() tells it apart.
 */
struct ctr_netns {
    int netns_fd;  /* the network namespace, O_CLOEXEC */
    int userns_fd; /* its owning user namespace when that is not the caller's (to join), or -1 */
};

/*
 * Opens the network namespace at `path` (/proc/PID/ns/net, or a file an nsfs file is mounted
 * on) and checks that the caller can make a container join it.  Writes *ret only on success;
 * ctr_netns_clear() closes its fds.  Fails with the open's errno ("open '/x': No such file or
 * directory"), EINVAL when `path` is not a network namespace ("'/proc/self/ns/mnt' is not a
 * network namespace"), EPERM when joining it is not permitted (owned by a user namespace
 * outside the caller's, by another user's, or by the caller's own without CAP_SYS_ADMIN).
 */
int ctr_netns_open(const char *path, struct ctr_netns *ret, struct ctr_error **err);

/* Closes what *n holds and sets its fds to -1; safe on a cleared one. */
void ctr_netns_clear(struct ctr_netns *n);

/*
 * Starts the container and returns once its process has been executed (the exec succeeded) or
 * setup failed.  On success *ret_pid is the container's init as the caller's pid namespace
 * sees it (the caller's child: it reaps it), and with spec->tty *ret_pty is the master side of
 * the container's terminal (the slave is the process's stdin, stdout and stderr), else -1.
 *
 * On failure nothing is left: the child is killed and reaped, and since every mount was made
 * in the child's own mount namespace, no mount survives it.  The error's code tells why:
 * ENOENT when the command was not found, EACCES when it could not be invoked (permission,
 * not an executable), anything else (never those two) for a failed setup step, which the
 * message names ("mount overlay on '...': Invalid argument"); ctr_start_failure_of() sorts
 * them.
 */
int ctr_container_start(const struct ctr_start *start, pid_t *ret_pid, int *ret_pty,
                        struct ctr_error **err);

/* How ctr_container_start() reports a process that could not be executed. */
enum ctr_start_failure {
    CTR_START_SETUP,         /* a setup step failed (exit 125) */
    CTR_START_NOT_FOUND,     /* the command does not exist (exit 127) */
    CTR_START_CANNOT_INVOKE, /* it exists but cannot be executed (exit 126) */
};
enum ctr_start_failure ctr_start_failure_of(const struct ctr_error *err);

/*
 * Running another process in a running container (ctr exec): joins the namespaces of `pid`
 * (its user namespace first, so the rest may be joined with its privileges), becomes `user`
 * (resolved in the container's /etc/passwd), enters `cwd` and executes argv with env.  The
 * same contract as ctr_container_start(): returns once exec succeeded, with the process's pid
 * (the caller's child) and its terminal's master when `tty`.
 */
struct ctr_exec {
    pid_t pid; /* the container's init */
    char **argv;
    char **env;
    const char *cwd;
    const char *user;
    const char *hostname;                     /* for $HOSTNAME when env lacks it */
    const struct ctr_security_spec *security; /* the container's: caps, seccomp, no_new_privs */
    const char *cache_dir;                    /* as in struct ctr_start */
    int tty;
    int stdio[3];
};
int ctr_container_exec(const struct ctr_exec *x, pid_t *ret_pid, int *ret_pty,
                       struct ctr_error **err);

/*
 * The process with `pid` exited with wait status `status`: its exit code as a shell reports it
 * (the code, or 128 + the signal number).
 */
int ctr_exit_code(int status);

#endif
