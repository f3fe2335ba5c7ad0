/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --sdnotify: systemd's readiness protocol for a container started under a Type=notify unit.
 * systemd names its socket in $NOTIFY_SOCKET and, by default (NotifyAccess=main), listens only
 * to the unit's main process: ctr in the foreground, ctr-monitor once `ctr run -d` handed it
 * that role with MAINPID= and exited.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "fsutil.h"
#include "sdnotify.h"
#include "xalloc.h"

/* Where the container finds its socket: Podman's (crun's) place. */
#define NOTIFY_DIR_IN_CONTAINER    "/run/notify"
#define NOTIFY_SOCKET_IN_CONTAINER NOTIFY_DIR_IN_CONTAINER "/notify.sock"

/*
 * $NOTIFY_SOCKET as ctr was started with it.  It is taken out of ctr's environment at the first
 * start, so that no process ctr starts (network helpers, fuse-overlayfs, the monitor and what
 * it runs) inherits it: only the container in container mode gets a socket, its own.
 */
static const char *notify_target(void)
{
    static char *target;
    static int taken;

    if (!taken) {
        const char *v = getenv("NOTIFY_SOCKET");

        taken = 1;
        if (v != NULL && v[0] != '\0')
            target = xstrdup(v);
        unsetenv("NOTIFY_SOCKET");
    }
    return target;
}

static char *notify_dir(const char *runroot, const char *id)
{
    return xasprintf("%s/notify/%s", runroot, id);
}

void container_notify_remove(const char *runroot, const char *id)
{
    cleanup_free char *dir = notify_dir(runroot, id);
    cleanup_error struct ctr_error *ignored = NULL;

    ctr_remove_tree_at(AT_FDCWD, dir, &ignored);
}

/* The container's socket: RUNROOT/notify/ID/notify.sock, bound afresh. */
static int make_socket(const struct storage *s, const char *id, struct container_notify *n,
                       struct ctr_error **err)
{
    cleanup_free char *parent = xasprintf("%s/notify", s->runroot);
    cleanup_error struct ctr_error *ignored = NULL;
    cleanup_close int dirfd = -1;

    if (ctr_mkdir_private(parent, geteuid(), err) < 0)
        return -1;
    n->dir = notify_dir(s->runroot, id);
    /* What a start that was killed left. */
    ctr_remove_tree_at(AT_FDCWD, n->dir, &ignored);
    /* The runtime directory is the user's alone (0700): this one is for the container's users,
     * whatever their ids, as the socket is. */
    if (mkdir(n->dir, 0755) < 0 || chmod(n->dir, 0755) < 0 ||
        (dirfd = open(n->dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return ctr_error_errno(err, "create '%s'", n->dir);
    n->fd = ctr_sd_notify_listen_at(dirfd, "notify.sock");
    if (n->fd < 0 || fchmodat(dirfd, "notify.sock", 0777, 0) < 0)
        return ctr_error_errno(err, "create the container's notification socket in '%s'", n->dir);
    return 0;
}

static int has_mount(const struct ctr_spec *spec, const char *destination)
{
    for (size_t i = 0; i < spec->n_mounts; i++)
        if (strcmp(spec->mounts[i].destination, destination) == 0)
            return 1;
    return 0;
}

int container_notify_prepare(const struct storage *s, const char *id, struct ctr_spec *spec,
                             struct container_notify *ret, struct ctr_error **err)
{
    struct container_notify n = {.mode = spec->sdnotify, .target = notify_target(), .fd = -1};
    struct ctr_mount_spec *m;

    if (n.target == NULL || n.mode != CTR_SDNOTIFY_CONTAINER) {
        *ret = n;
        return 0;
    }
    if (make_socket(s, id, &n, err) < 0) {
        container_notify_clear(&n);
        container_notify_remove(s->runroot, id);
        return ctr_error_wrap(err, "--sdnotify=container");
    }
    /*
     * --read-only puts a tmpfs on /run after every mount, which would hide the socket: the
     * tmpfs comes first instead, as a mount of this start, and is then left alone.
     */
    if (spec->security.read_only && spec->security.read_only_tmpfs && !has_mount(spec, "/run")) {
        spec->mounts = xreallocarray(spec->mounts, spec->n_mounts + 1, sizeof(*spec->mounts));
        spec->mounts[spec->n_mounts++] = (struct ctr_mount_spec){
                .kind = CTR_MOUNT_TMPFS,
                .destination = xstrdup("/run"),
                .data = xstrdup("mode=755"),
                .flags = MS_NOSUID | MS_NODEV,
        };
    }
    /* The socket's directory, as a volume of this start only (the stored spec is unchanged):
     * the last mount, so no volume hides it. */
    spec->mounts = xreallocarray(spec->mounts, spec->n_mounts + 1, sizeof(*spec->mounts));
    m = &spec->mounts[spec->n_mounts++];
    *m = (struct ctr_mount_spec){
            .kind = CTR_MOUNT_BIND,
            .source = xstrdup(n.dir),
            .destination = xstrdup(NOTIFY_DIR_IN_CONTAINER),
            .flags = MS_NOSUID | MS_NODEV | MS_NOEXEC,
    };
    ctr_env_set(&spec->env, "NOTIFY_SOCKET=" NOTIFY_SOCKET_IN_CONTAINER, NULL);
    *ret = n;
    return 0;
}

static void send_message(const struct container_notify *n, const char *msg)
{
    if (ctr_sd_notify(n->target, msg, strlen(msg)) < 0)
        fprintf(stderr, "ctr: warning: notify systemd through '%s': %s (carrying on)\n", n->target,
                strerror(errno));
}

void container_notify_started(const struct container_notify *n, pid_t mainpid)
{
    char msg[64];

    if (n->target == NULL)
        return;
    if (n->mode == CTR_SDNOTIFY_CONMON) {
        snprintf(msg, sizeof(msg), "MAINPID=%ld\nREADY=1", (long)mainpid);
        send_message(n, msg);
    } else if (n->mode == CTR_SDNOTIFY_CONTAINER && mainpid != getpid()) {
        /* The monitor stays when we exit: it becomes the main process before it relays the
         * container's READY=1, which systemd would otherwise refuse from it. */
        snprintf(msg, sizeof(msg), "MAINPID=%ld", (long)mainpid);
        send_message(n, msg);
    }
}

void container_notify_clear(struct container_notify *n)
{
    if (n->fd >= 0)
        close(n->fd);
    free(n->dir);
    memset(n, 0, sizeof(*n));
    n->fd = -1;
}
