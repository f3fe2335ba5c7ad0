/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "fsutil.h"
#include "helper.h"
#include "ports.h"
#include "idmap-opts.h"
#include "images.h"
#include "proc.h"
#include "runtime.h"
#include "spawn.h"
#include "xalloc.h"

DEFINE_CLEANUP_FUNC(struct storage_image *, storage_image_free)

/* A detached container's log is rotated when it reaches this size (one old file is kept). */
#define LOG_MAX_BYTES (8 << 20)

int container_start_failure_status(const struct ctr_error *err)
{
    switch (ctr_start_failure_of(err)) {
    case CTR_START_NOT_FOUND:
        return CTR_EXIT_NOT_FOUND;
    case CTR_START_CANNOT_INVOKE:
        return CTR_EXIT_CANNOT_INVOKE;
    default:
        return CTR_EXIT_ERROR;
    }
}

char *container_monitor_path(struct ctr_error **err)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    char *dir, *path;

    if (n < 0) {
        ctr_error_errno(err, "find ctr's own binary");
        return NULL;
    }
    self[n] = '\0';
    dir = strrchr(self, '/');
    *dir = '\0';
    path = xasprintf("%s/ctr-monitor", self);
    if (access(path, X_OK) == 0)
        return path;
    free(path);
    path = xasprintf("%s/../libexec/ctr/ctr-monitor", self);
    if (access(path, X_OK) == 0)
        return path;
    free(path);
    ctr_error_set(err, ENOENT,
                  "ctr-monitor is not installed beside ctr ('%s') or in '%s/../libexec/ctr': "
                  "reinstall ctr",
                  self, self);
    return NULL;
}

/* Maps stored as "INSIDE:HOST:COUNT" (--userns, --uidmap, --gidmap were computed at create). */
static int stored_maps(char **text, struct ctr_idmap **ret, size_t *ret_n, struct ctr_error **err)
{
    size_t n = strv_length(text);
    struct ctr_idmap *m = xcalloc(n, sizeof(*m));

    for (size_t i = 0; i < n; i++)
        if (ctr_idmap_parse(text[i], &m[i], err) < 0) {
            free(m);
            return ctr_error_wrap(err, "the container's stored id map");
        }
    *ret = m;
    *ret_n = n;
    return 0;
}

/* The user namespace mapping: the user's ranges; real root keeps the host's ids. */
static int container_maps(const struct ctr_security_spec *sec, struct ctr_idmaps *ret,
                          struct ctr_error **err)
{
    int has_ranges;

    if (sec->uid_map != NULL && sec->gid_map != NULL) {
        if (stored_maps(sec->uid_map, &ret->uid, &ret->n_uid, err) < 0 ||
            stored_maps(sec->gid_map, &ret->gid, &ret->n_gid, err) < 0)
            return -1;
        return 0;
    }

    if (geteuid() == 0) {
        ret->uid = xcalloc(1, sizeof(*ret->uid));
        ret->gid = xcalloc(1, sizeof(*ret->gid));
        ret->uid[0] = (struct ctr_idmap){0, 0, 4294967295UL};
        ret->gid[0] = (struct ctr_idmap){0, 0, 4294967295UL};
        ret->n_uid = ret->n_gid = 1;
        return 0;
    }
    if (ctr_idmaps_for_current_user(ret, &has_ranges, err) < 0)
        return -1;
    if (!has_ranges)
        fprintf(stderr, "ctr: warning: you have no subordinate id ranges: the container gets "
                        "only your own id, as root (see 'ctr info')\n");
    return 0;
}

/* Everything ctr_container_start needs besides the stdio. */
struct plan {
    struct ctr_spec spec;
    struct ctr_idmaps maps;
    struct container_dirs dirs;
    char **lowerdirs;
    char *copied;
    char *cache_dir;
    struct ctr_idmaps inner; /* see nest_maps() */
    int init_fd;
    const char *name;
    struct net_options net;
    struct net_port *ports;
    size_t n_ports;
    struct net_helper helper;
    struct ctr_netns join; /* --network container: or ns:, else fds -1 */
    char *net_owner_dir;   /* container:NAME: the directory of that container */
    struct ctr_start start;
    struct container_notify notify; /* --sdnotify */
};

static void print_warning(void *arg, const char *msg)
{
    (void)arg;
    fprintf(stderr, "ctr: warning: %s\n", msg);
}

static void plan_clear(struct plan *p)
{
    ctr_spec_clear(&p->spec);
    ctr_idmaps_clear(&p->maps);
    container_dirs_clear(&p->dirs);
    strv_free(p->lowerdirs);
    free(p->copied);
    free(p->cache_dir);
    ctr_idmaps_clear(&p->inner);
    if (p->init_fd >= 0)
        close(p->init_fd);
    net_options_clear(&p->net);
    ctr_netns_clear(&p->join);
    free(p->net_owner_dir);
    free(p->ports);
    /* Whoever keeps the container released or handed over the helper by now. */
    free(p->helper.netns_link);
    container_notify_clear(&p->notify);
    memset(p, 0, sizeof(*p));
}

/* Host ids of a map re-expressed as ids of the user's namespace `user` (split as needed). */
static int to_user_ids(const struct ctr_idmap *user, size_t n_user, const struct ctr_idmap *m,
                       size_t n, struct ctr_idmap **ret, size_t *ret_n, struct ctr_error **err)
{
    struct ctr_idmap *out = NULL;
    size_t n_out = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned long inside = m[i].inside, host = m[i].outside, left = m[i].count;

        while (left > 0) {
            size_t k;

            for (k = 0; k < n_user; k++)
                if (host >= user[k].outside && host - user[k].outside < user[k].count)
                    break;
            if (k == n_user) {
                free(out);
                return ctr_error_set(err, ERANGE,
                                     "host id %lu of the container's map is not one of yours",
                                     host);
            }
            unsigned long avail = user[k].count - (host - user[k].outside);
            unsigned long take = avail < left ? avail : left;

            out = xreallocarray(out, n_out + 1, sizeof(*out));
            out[n_out++] =
                    (struct ctr_idmap){inside, user[k].inside + (host - user[k].outside), take};
            inside += take;
            host += take;
            left -= take;
        }
    }
    *ret = out;
    *ret_n = n_out;
    return 0;
}

/*
 * When the container's root is not the user, the maps become nested: the store is mounted from
 * the user's own namespace (p->maps), the container gets p->inner in it.
 */
static int nest_maps(struct plan *p, struct ctr_error **err)
{
    struct ctr_idmaps user = {0};
    int has_ranges;

    if (p->maps.n_uid == 0 || geteuid() == 0)
        return 0;
    for (size_t i = 0; i < p->maps.n_uid; i++)
        if (p->maps.uid[i].inside == 0 && p->maps.uid[i].outside == geteuid()) {
            for (size_t j = 0; j < p->maps.n_gid; j++)
                if (p->maps.gid[j].inside == 0 && p->maps.gid[j].outside == getegid())
                    return 0;
        }
    if (ctr_idmaps_for_current_user(&user, &has_ranges, err) < 0)
        return -1;
    if (to_user_ids(user.uid, user.n_uid, p->maps.uid, p->maps.n_uid, &p->inner.uid,
                    &p->inner.n_uid, err) < 0 ||
        to_user_ids(user.gid, user.n_gid, p->maps.gid, p->maps.n_gid, &p->inner.gid,
                    &p->inner.n_gid, err) < 0) {
        ctr_idmaps_clear(&user);
        return -1;
    }
    ctr_idmaps_clear(&p->maps);
    p->maps = user;
    p->start.inner_maps = &p->inner;
    /* Its root is not the user: what it wrote in the runtime directory would not be ours. */
    p->start.cache_dir = NULL;
    return 0;
}

/*
 * --init: ctr-monitor copied into a sealed memfd, which the container's PID 1 executes as
 * ctr-init.  Sealed, nothing can write it; a memfd, nothing on the host is reachable through
 * /proc/1/exe.
 */
static int init_copy(struct ctr_error **err)
{
    cleanup_free char *path = container_monitor_path(err);
    cleanup_close int in = -1;
    int fd;
    char buf[65536];
    ssize_t n;

    if (path == NULL)
        return -1;
    in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return ctr_error_errno(err, "open '%s'", path);
    fd = memfd_create("ctr-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return ctr_error_errno(err, "copy '%s' for --init", path);
    while ((n = read(in, buf, sizeof(buf))) > 0)
        if (ctr_write_all(fd, buf, (size_t)n) < 0)
            break;
    if (n != 0 || fchmod(fd, 0555) < 0 ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
        close(fd);
        return ctr_error_errno(err, "copy '%s' for --init", path);
    }
    return fd;
}

/*
 * The network: the helper is started once the container's namespaces exist and before
 * anything in them runs; the /etc files then get the addresses it gives.
 */
static int start_network(void *arg, pid_t pid, struct ctr_error **err)
{
    struct plan *p = arg;

    if (p->net_owner_dir != NULL)
        return container_write_etc_shared(&p->dirs, &p->spec, p->name, p->net_owner_dir, err);
    if (net_helper_start(&p->net, pid, p->ports, p->n_ports, &p->helper, err) < 0)
        return -1;
    if (container_write_etc(&p->dirs, &p->spec, p->name, p->helper.dns, p->helper.host_address,
                            err) < 0) {
        net_helper_stop(&p->helper);
        return -1;
    }
    return 0;
}

/*
 * --network container:NAME and ns:PATH: the network namespace to join, opened and checked now
 * (see struct ctr_netns).  Another container's is reached through its running init, whose
 * user namespace comes with it; its files give this one's /etc/hosts and /etc/resolv.conf.
 */
static int plan_join(struct storage *s, struct plan *p, struct ctr_error **err)
{
    struct storage_container owner = {0};
    cleanup_free char *path = NULL;
    int r = -1;

    if (p->net.mode == NET_MODE_CONTAINER) {
        if (storage_container_find(s, p->net.target, &owner, err) < 0) {
            if ((*err)->code != ENOENT)
                return -1;
            ctr_error_clear(err);
            return ctr_error_set(err, ESRCH,
                                 "the container whose network namespace '%s' joins (%.12s) was "
                                 "removed",
                                 p->name, p->net.target);
        }
        if (owner.state != STORAGE_CONTAINER_RUNNING ||
            !ctr_proc_alive(owner.pid, owner.pid_start)) {
            ctr_error_set(err, ESRCH, "container '%s' is not running: start it first", owner.name);
            goto out;
        }
        path = xasprintf("/proc/%d/ns/net", (int)owner.pid);
    }
    if (ctr_netns_open(path ? path : p->net.target, &p->join, err) < 0) {
        if (owner.name != NULL)
            ctr_error_wrap(err, "join the network namespace of container '%s'", owner.name);
        goto out;
    }
    /* The pid could have been reused between the check and the open. */
    if (owner.name != NULL && !ctr_proc_alive(owner.pid, owner.pid_start)) {
        ctr_error_set(err, ESRCH, "container '%s' is not running: start it first", owner.name);
        goto out;
    }
    if (p->join.userns_fd >= 0 && p->net.mode == NET_MODE_NS && p->spec.security.uid_map != NULL) {
        ctr_error_set(err, EINVAL,
                      "--userns, --uidmap and --gidmap cannot be used with --network '%s': the "
                      "container joins the user namespace that owns that network namespace",
                      p->spec.network);
        goto out;
    }
    p->start.join_netns_fd = p->join.netns_fd;
    p->start.join_userns_fd = p->join.userns_fd;
    if (owner.id != NULL)
        p->net_owner_dir = xasprintf("%s/containers/%s", s->root, owner.id);
    r = 0;
out:
    storage_container_clear(&owner);
    return r;
}

/* --network and -p: parsed, and the host ports checked free, before anything starts. */
static int plan_network(struct storage *s, struct plan *p, struct ctr_error **err)
{
    size_t n = strv_length(p->spec.ports);
    int joined;

    if (net_options_parse(p->spec.network ? p->spec.network : "", &p->net, err) < 0)
        return -1;
    joined = p->net.mode == NET_MODE_NS || p->net.mode == NET_MODE_CONTAINER;
    if (joined && plan_join(s, p, err) < 0)
        return -1;
    p->ports = xcalloc(n ? n : 1, sizeof(*p->ports));
    for (size_t i = 0; i < n; i++)
        if (net_port_parse(p->spec.ports[i], &p->ports[i], err) < 0)
            return -1;
    p->n_ports = n;
    if (n > 0 && (joined || p->net.mode == NET_MODE_NONE || p->net.mode == NET_MODE_HOST))
        return ctr_error_set(err, EINVAL,
                             "-p needs a network helper: --network '%s' publishes no ports",
                             p->spec.network);
    if (n > 0 && net_ports_reserve(p->ports, n, err) < 0)
        return -1;
    p->start.network = start_network;
    p->start.network_arg = p;
    return 0;
}

static int plan_init(struct storage *s, const struct storage_container *c, struct plan *p,
                     struct ctr_error **err)
{
    cleanup_with(storage_image_freep) struct storage_image *img = NULL;
    const char *fallback = getenv("CTR_OVERLAY_FALLBACK");
    size_t n;

    p->init_fd = -1;
    p->start.init_fd = -1;
    p->notify.fd = -1;
    p->join = (struct ctr_netns){.netns_fd = -1, .userns_fd = -1};
    p->start.join_netns_fd = p->start.join_userns_fd = -1;
    p->helper = (struct net_helper)NET_HELPER_INIT;
    p->name = c->name;
    if (container_spec(c, &p->spec, err) < 0)
        return -1;
    if (p->spec.init && (p->init_fd = p->start.init_fd = init_copy(err)) < 0)
        return -1;
    if (c->image_id == NULL || storage_image_lookup(s, c->image_id, &img, err) < 0 || img == NULL) {
        if (err && *err)
            return -1;
        return ctr_error_set(err, ENOENT, "container '%s': its image was removed", c->name);
    }
    n = strv_length(img->diff_ids);
    p->lowerdirs = xcalloc(n + 1, sizeof(char *));
    /* overlayfs lists the top layer first. */
    for (size_t i = 0; i < n; i++)
        p->lowerdirs[i] = storage_layer_dir(s, img->diff_ids[n - 1 - i]);
    if (plan_network(s, p, err) < 0)
        return -1;
    /* Joining another user namespace, the container has no maps of its own to write. */
    if (p->start.join_userns_fd < 0 && container_maps(&p->spec.security, &p->maps, err) < 0)
        return -1;
    container_dirs_init(&p->dirs, s, c->id);
    p->copied = xasprintf("%s/copied", p->dirs.dir);
    p->start.spec = &p->spec;
    p->start.warn = print_warning;
    p->cache_dir = xasprintf("%s/seccomp", s->runroot);
    p->start.cache_dir = p->cache_dir;
    p->start.maps = &p->maps;
    p->start.rootfs = (struct ctr_rootfs){
            .lowerdirs = p->lowerdirs,
            .upper = p->dirs.upper,
            .work = p->dirs.work,
            .merged = p->dirs.merged,
            .empty = p->dirs.empty,
            .etc_dir = p->dirs.dir,
            .copied = p->copied,
    };
    if (p->spec.security.uid_map != NULL && p->start.join_userns_fd < 0 && nest_maps(p, err) < 0)
        return -1;
    /* It has the maps of the container it joins (copied at create): whose root may not be us. */
    if (p->spec.security.uid_map != NULL && p->start.join_userns_fd >= 0)
        p->start.cache_dir = NULL;
    /* pasta's namespace link lives in the user's runtime directory, not in /tmp. */
    p->net.run_dir = s->runroot;
    /*
     * CTR_OVERLAY_FALLBACK=fuse|copy acts as if the kernel refused overlayfs: for tests, and
     * for a kernel whose overlayfs misbehaves in a user namespace.
     */
    if (fallback != NULL && fallback[0] != '\0') {
        cleanup_free char *fuse = NULL;

        if (strcmp(fallback, "copy") == 0) {
            p->start.rootfs.no_fuse = 1;
        } else if (strcmp(fallback, "fuse") != 0) {
            return ctr_error_set(err, EINVAL,
                                 "CTR_OVERLAY_FALLBACK='%s': use 'fuse' or 'copy' (or unset it)",
                                 fallback);
        } else if ((fuse = ctr_find_program("fuse-overlayfs")) == NULL) {
            return ctr_error_set(err, ENOENT,
                                 "CTR_OVERLAY_FALLBACK=fuse, but fuse-overlayfs is not installed");
        }
        p->start.rootfs.force_fallback = 1;
    }
    return 0;
}

static int start_foreground(struct ctr_ctx *ctx, struct storage_container *c, struct plan *p,
                            int *ret_status, struct ctr_error **err)
{
    struct storage *s = ctx->store;
    cleanup_close int pty = -1;
    uint64_t pid_start = 0, self_start = 0;
    cleanup_error struct ctr_error *ignored = NULL;
    struct attach_container ac = {
            .stop_signal = p->spec.stop_signal,
            .stop_timeout = p->spec.stop_timeout,
            .notify_fd = p->notify.fd,
            .notify_target = p->notify.target,
    };
    static const int quiet[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    struct sigaction saved[sizeof(quiet) / sizeof(quiet[0])];
    int status = 0, code, recorded = 0;
    pid_t pid;

    p->start.stdio[0] = p->spec.interactive ? STDIN_FILENO : -1;
    p->start.stdio[1] = STDOUT_FILENO;
    p->start.stdio[2] = STDERR_FILENO;
    p->start.kill_with_parent = 1;
    attach_block_signals();
    if (ctr_container_start(&p->start, &pid, &pty, err) < 0) {
        attach_unblock_signals();
        net_helper_stop(&p->helper);
        return -1;
    }
    if (ctr_proc_start_time(pid, &pid_start, &ignored) < 0)
        ctr_error_clear(&ignored);
    if (ctr_proc_start_time(getpid(), &self_start, &ignored) < 0)
        ctr_error_clear(&ignored);
    if (storage_container_set_running(s, c->id, pid, pid_start, getpid(), self_start, err) < 0) {
        kill(pid, SIGKILL);
        ctr_waitpid(pid);
        attach_unblock_signals();
        return -1;
    }
    /* ctr stays the container's parent: it is the process systemd watches. */
    container_notify_started(&p->notify, getpid());
    if (attach_wait_container(pid, pty, p->spec.interactive, &ac, &status, err) < 0) {
        kill(pid, SIGKILL);
        status = ctr_waitpid(pid);
        ctr_error_check(-1, err);
    }
    if (p->notify.dir != NULL)
        container_notify_remove(s->runroot, c->id);
    /*
     * The container is gone.  A signal now (systemd stopping the unit meanwhile, a second
     * Ctrl-C) must not cut the clean-up short: a half-removed --rm container would be left.
     */
    for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++)
        sigaction(quiet[i], &(struct sigaction){.sa_handler = SIG_IGN}, &saved[i]);
    attach_unblock_signals();
    net_helper_release(&p->helper);
    if (p->helper.pid > 0)
        ctr_waitpid(p->helper.pid);
    code = ctr_exit_code(status);
    if (p->spec.remove) {
        struct storage_container fresh = {0};

        if (storage_container_set_exited(s, c->id, pid, code, &ignored) < 0)
            ctr_error_clear(&ignored);
        if (storage_container_find(s, c->id, &fresh, &ignored) == 0) {
            if (container_remove(ctx, &fresh, 1, &ignored) < 0)
                fprintf(stderr, "ctr: warning: %s\n", ignored->msg);
            storage_container_clear(&fresh);
        }
    } else {
        recorded = storage_container_set_exited(s, c->id, pid, code, err);
    }
    /* What a restarted run (its helpers, its monitor) inherits: the signals as they were. */
    for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++)
        sigaction(quiet[i], &saved[i], NULL);
    if (recorded < 0) {
        return -1;
    } else if (!p->spec.remove && p->spec.restart != CTR_RESTART_NO &&
               container_restart_policy(ctx, c->id, pid, code, &ignored) < 0) {
        /*
         * As with Docker and Podman, the policy applies in the foreground too: ctr exits with
         * the container's status, and the container goes on in the background under a monitor.
         */
        fprintf(stderr, "ctr: warning: restart container '%s': %s\n", c->name, ignored->msg);
    }
    *ret_status = code;
    return 0;
}

/* The report of the forked starter of a detached container. */
struct report {
    int ok;
    pid_t pid;
    int failure; /* the error's code when !ok */
    char msg[1000];
};

/*
 * The forked starter: a session of its own, the container with pipes (or a terminal) for its
 * output, a report to ctr, then, once ctr recorded the container as running, exec of
 * ctr-monitor, which inherits the container as its child.
 */
static _Noreturn void starter(struct plan *p, const char **monitor_argv, int report_fd, int go_fd)
{
    struct ctr_error *e = NULL;
    struct report r = {0};
    int out[2] = {-1, -1}, errp[2] = {-1, -1}, pty = -1, null;
    char byte, pid_text[16], notify_text[16];

    setsid();
    null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (!p->spec.tty && (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)) {
        ctr_error_errno(&e, "create the container's output pipes");
        goto fail;
    }
    p->start.stdio[0] = -1;
    p->start.stdio[1] = out[1];
    p->start.stdio[2] = errp[1];
    p->start.kill_with_parent = 1;
    if (ctr_container_start(&p->start, &r.pid, &pty, &e) < 0)
        goto fail;
    /*
     * The monitor keeps the network helper: slirp4netns's exit pipe stays open across its
     * exec; pasta's namespace link is removed by ctr-container-exited (its path is noted in
     * the container's directory).
     */
    if (p->helper.exit_fd >= 0)
        fcntl(p->helper.exit_fd, F_SETFD, 0);
    if (p->helper.netns_link != NULL) {
        cleanup_free char *note = xasprintf("%s/netns-link", p->dirs.dir);
        cleanup_close int fd = open(note, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        if (fd < 0 || ctr_write_all(fd, p->helper.netns_link, strlen(p->helper.netns_link)) < 0)
            ctr_error_errno(&e, "note the network helper's link");
        if (e != NULL) {
            net_helper_stop(&p->helper);
            kill(r.pid, SIGKILL);
            goto fail;
        }
    }
    r.ok = 1;
    if (ctr_write_all(report_fd, &r, sizeof(r)) < 0)
        _exit(1);
    close(report_fd);
    /* ctr writes the row first, so the exit the monitor records always follows it. */
    if (read(go_fd, &byte, 1) != 1)
        _exit(1); /* ctr failed: the container dies with us (PDEATHSIG) */
    /* The container's notification socket, inherited above the output fds (not O_CLOEXEC). */
    snprintf(notify_text, sizeof(notify_text), "%d",
             p->notify.fd >= 0 ? fcntl(p->notify.fd, F_DUPFD, 5) : -1);
    monitor_argv[10] = notify_text;
    if (dup2(p->spec.tty ? pty : out[0], 3) < 0 || (!p->spec.tty && dup2(errp[0], 4) < 0))
        _exit(1);
    if (p->spec.tty)
        close(4);
    for (int fd = 0; fd < 3; fd++)
        dup2(null, fd);
    snprintf(pid_text, sizeof(pid_text), "%d", (int)r.pid);
    monitor_argv[5] = pid_text;
    execv(monitor_argv[0], (char *const *)monitor_argv);
    _exit(1);
fail:
    net_helper_stop(&p->helper);
    r.failure = e ? e->code : EIO;
    snprintf(r.msg, sizeof(r.msg), "%s", e ? e->msg : "unknown error");
    if (ctr_write_all(report_fd, &r, sizeof(r)) < 0)
        _exit(1);
    _exit(1);
}

/*
 * `after` 0: a start by the user, 0 once it runs.  Else a restart by the policy after the run
 * of init `after` exited: 1 once it runs, 0 when the user stopped or started the container
 * meanwhile (the new process is ended before ctr-monitor takes it).
 */
static int start_detached(struct ctr_ctx *ctx, struct storage_container *c, struct plan *p,
                          pid_t after, struct ctr_error **err)
{
    struct storage *s = ctx->store;
    cleanup_free char *monitor = container_monitor_path(err);
    cleanup_free char *self = NULL;
    cleanup_close int report_r = -1, report_w = -1, go_r = -1, go_w = -1;
    cleanup_error struct ctr_error *ignored = NULL;
    const char *argv[13];
    struct report r;
    uint64_t pid_start = 0, starter_start = 0;
    int applied = 1;
    char self_buf[PATH_MAX];
    char max[32], stop_signal[16], stop_timeout[16];
    int fds[2];
    ssize_t n;
    pid_t starter_pid;

    if (monitor == NULL)
        return -1;
    n = readlink("/proc/self/exe", self_buf, sizeof(self_buf) - 1);
    if (n < 0)
        return ctr_error_errno(err, "find ctr's own binary");
    self_buf[n] = '\0';
    self = xstrdup(self_buf);
    if (pipe2(fds, O_CLOEXEC) < 0)
        return ctr_error_errno(err, "create a pipe");
    report_r = fds[0];
    report_w = fds[1];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return ctr_error_errno(err, "create a pipe");
    go_r = fds[0];
    go_w = fds[1];
    snprintf(max, sizeof(max), "%d", LOG_MAX_BYTES);
    argv[0] = monitor;
    argv[1] = self;
    argv[2] = s->root;
    argv[3] = s->runroot;
    argv[4] = c->id;
    argv[5] = NULL; /* the container's pid: the starter knows it */
    argv[6] = p->dirs.log;
    argv[7] = max;
    /* A SIGTERM to the monitor (systemd stopping a unit) stops the container as ctr stop does. */
    snprintf(stop_signal, sizeof(stop_signal), "%d",
             p->spec.stop_signal > 0 ? p->spec.stop_signal : SIGTERM);
    snprintf(stop_timeout, sizeof(stop_timeout), "%u", p->spec.stop_timeout);
    argv[8] = stop_signal;
    argv[9] = stop_timeout;
    argv[10] = NULL; /* the fd of the container's notification socket: the starter's */
    argv[11] = p->notify.fd >= 0 ? p->notify.target : "";
    argv[12] = NULL;
    starter_pid = fork();
    if (starter_pid < 0)
        return ctr_error_errno(err, "fork");
    if (starter_pid == 0) {
        close(report_r);
        close(go_w);
        starter(p, argv, report_w, go_r);
    }
    close(steal_fd(&report_w));
    close(steal_fd(&go_r));
    if (read(report_r, &r, sizeof(r)) != (ssize_t)sizeof(r)) {
        ctr_waitpid(starter_pid);
        return ctr_error_set(err, ECHILD, "the container's starter died before it reported");
    }
    if (!r.ok) {
        ctr_waitpid(starter_pid);
        r.msg[sizeof(r.msg) - 1] = '\0';
        return ctr_error_set(err, r.failure, "%s", r.msg);
    }
    if (ctr_proc_start_time(r.pid, &pid_start, &ignored) < 0)
        ctr_error_clear(&ignored);
    if (ctr_proc_start_time(starter_pid, &starter_start, &ignored) < 0)
        ctr_error_clear(&ignored);
    if (after > 0)
        applied = storage_container_set_restarted(s, c->id, after, r.pid, pid_start, starter_pid,
                                                  starter_start, err);
    else if (storage_container_set_running(s, c->id, r.pid, pid_start, starter_pid, starter_start,
                                           err) < 0)
        applied = -1;
    if (applied <= 0) {
        /* Closing `go` makes the starter exit, and the container with it. */
        close(steal_fd(&go_w));
        ctr_waitpid(starter_pid);
        return applied;
    }
    /* The monitor is the process systemd watches once we exit; ours is the socket it relays
     * from, so it must hand over before the monitor relays anything. */
    container_notify_started(&p->notify, starter_pid);
    if (write(go_w, "g", 1) != 1)
        return ctr_error_errno(err, "release the container's monitor");
    return after > 0 ? 1 : 0;
}

int container_start(struct ctr_ctx *ctx, struct storage_container *c, unsigned flags,
                    int *ret_status, struct ctr_error **err)
{
    struct storage *s = ctx_store(ctx, err);
    struct plan p = {0};
    int r;

    if (s == NULL)
        return -1;
    if (c->state == STORAGE_CONTAINER_RUNNING)
        return ctr_error_set(err, EBUSY, "container '%s' is already running", c->name);
    if (plan_init(s, c, &p, err) < 0) {
        /* A plan that cannot be carried out is ctr's failure (125), whatever errno said. */
        if (ctr_start_failure_of(*err) != CTR_START_SETUP)
            (*err)->code = EINVAL;
        plan_clear(&p);
        return -1;
    }
    if (container_notify_prepare(s, c->id, &p.spec, &p.notify, err) < 0) {
        (*err)->code = EINVAL;
        plan_clear(&p);
        return -1;
    }
    if (flags & CONTAINER_START_STDIN)
        p.spec.interactive = 1;
    *ret_status = 0;
    r = (flags & CONTAINER_START_ATTACH) ? start_foreground(ctx, c, &p, ret_status, err)
                                         : start_detached(ctx, c, &p, 0, err);
    if (r < 0 && p.notify.dir != NULL)
        container_notify_remove(s->runroot, c->id);
    plan_clear(&p);
    return r;
}

/* The restart is still for the run of init `pid`: nobody stopped, started or removed it. */
static int restart_due(const struct storage_container *c, pid_t pid)
{
    return c->state == STORAGE_CONTAINER_EXITED && c->pid == pid && !c->stopped_by_user;
}

/* Docker's backoff: 100 ms doubling per restart up to 10 s, back to 100 ms after a long run. */
#define RESTART_DELAY_MS     100L
#define RESTART_DELAY_MAX_MS 10000L
#define RESTART_LONG_RUN_NS  (10LL * 1000000000LL)

static long restart_delay_ms(const struct storage_container *c)
{
    long ms = RESTART_DELAY_MS;

    if (c->finished - c->started >= RESTART_LONG_RUN_NS)
        return ms;
    for (unsigned i = 0; i < c->restart_count && ms < RESTART_DELAY_MAX_MS; i++)
        ms *= 2;
    return ms < RESTART_DELAY_MAX_MS ? ms : RESTART_DELAY_MAX_MS;
}

/* Re-reads container `id` into *c: 1, or 0 when it was removed meanwhile. */
static int reread(struct storage *s, const char *id, struct storage_container *c,
                  struct ctr_error **err)
{
    storage_container_clear(c);
    if (storage_container_find(s, id, c, err) == 0)
        return 1;
    if ((*err)->code != ENOENT)
        return -1;
    ctr_error_clear(err);
    return 0;
}

int container_restart_policy(struct ctr_ctx *ctx, const char *id, pid_t pid, int exit_code,
                             struct ctr_error **err)
{
    struct storage *s = ctx_store(ctx, err);
    struct storage_container c = {0};
    struct ctr_spec spec = {0};
    struct plan p = {0};
    long delay, waited = 0;
    int r;

    if (s == NULL)
        return -1;
    r = reread(s, id, &c, err);
    if (r > 0 && (r = container_spec(&c, &spec, err)) == 0)
        r = restart_due(&c, pid) && ctr_restart_wanted(&spec, exit_code, c.restart_count);
    ctr_spec_clear(&spec);
    /*
     * The backoff.  The monitor's pid (ours, or the foreground ctr's) is still the container's
     * monitor, so `ctr stop` and `ctr rm -f` wait for us; they mark the container first, and
     * we look for the mark every 100 ms rather than sleep through it.
     */
    delay = r > 0 ? restart_delay_ms(&c) : 0;
    while (r > 0 && waited < delay) {
        struct timespec ts;
        long step = delay - waited < 100 ? delay - waited : 100;

        ts = (struct timespec){0, step * 1000000L};
        nanosleep(&ts, NULL);
        waited += step;
        r = reread(s, id, &c, err);
        if (r > 0)
            r = restart_due(&c, pid);
    }
    /* No --sdnotify: systemd learnt of the first run; a restart is the monitor's own doing. */
    if (r > 0) {
        r = plan_init(s, &c, &p, err);
        if (r == 0)
            r = start_detached(ctx, &c, &p, pid, err);
        plan_clear(&p);
    }
    storage_container_clear(&c);
    return r;
}

static void release_network_at(const char *root, const char *id);

void container_release_network(const struct storage *s, const char *id)
{
    release_network_at(s->root, id);
}

static void release_network_at(const char *root, const char *id)
{
    cleanup_free char *note = xasprintf("%s/containers/%s/netns-link", root, id);
    cleanup_free char *link = NULL;
    cleanup_error struct ctr_error *ignored = NULL;
    size_t len;

    if (ctr_read_file(note, 4096, &link, &len, &ignored) < 0)
        return;
    net_helper_release_link(link);
    unlink(note);
}

/*
 * ctr-container-exited ROOT RUNROOT ID PID STATUS: what a monitor execs once its container
 * exited.  Records the exit, carries out --rm or --restart, and exits with STATUS (125 when it
 * failed to).
 */
int container_exited_main(int argc, char **argv)
{
    struct ctr_ctx ctx = {0};
    cleanup_error struct ctr_error *err = NULL;
    struct storage_container c = {0};
    struct ctr_spec spec = {0};
    int status = CTR_EXIT_ERROR;
    long pid, code;

    umask(077);
    /* "stopped": the monitor stopped it on SIGTERM, as `ctr stop` would have. */
    if (argc != 6 && (argc != 7 || strcmp(argv[6], "stopped") != 0))
        return CTR_EXIT_ERROR;
    /*
     * The monitor handed us slirp4netns's exit pipe: closing it ends the helper, which is our
     * child (the monitor's pid is ours), so it is reaped here rather than left to init.
     */
    syscall(SYS_close_range, 3U, ~0U, 0U);
    release_network_at(argv[1], argv[3]);
    container_notify_remove(argv[2], argv[3]);
    for (int i = 0; i < 200; i++) {
        pid_t r = waitpid(-1, NULL, WNOHANG);

        if (r < 0)
            break;
        if (r == 0) {
            struct timespec ts = {0, 10 * 1000000};

            nanosleep(&ts, NULL);
        }
    }
    pid = strtol(argv[4], NULL, 10);
    code = strtol(argv[5], NULL, 10);
    ctx.root_opt = argv[1];
    ctx.runroot_opt = argv[2];
    if (storage_open(argv[1], argv[2], 0, &ctx.store, &err) < 0)
        goto out;
    if (argc == 7 && storage_container_mark_stopped(ctx.store, argv[3], &err) < 0)
        goto out;
    if (storage_container_set_exited(ctx.store, argv[3], (pid_t)pid, (int)code, &err) < 0 ||
        storage_container_find(ctx.store, argv[3], &c, &err) < 0)
        goto out;
    if (c.pid == (pid_t)pid && container_spec(&c, &spec, &err) == 0) {
        if (spec.remove && container_remove(&ctx, &c, 1, &err) < 0)
            goto out;
        /* Its --restart policy: the new run gets a monitor of its own; we end here. */
        if (!spec.remove && spec.restart != CTR_RESTART_NO &&
            container_restart_policy(&ctx, argv[3], (pid_t)pid, (int)code, &err) < 0)
            goto out;
    }
    /*
     * Under a systemd unit (--sdnotify=conmon, or `ctr start` of a Type=forking one) the
     * monitor is the main process: its status is how systemd's Restart=on-failure learns the
     * container failed, as conmon's is for Podman.
     */
    status = code >= 0 && code <= 255 ? (int)code : 1;
out:
    if (err != NULL)
        fprintf(stderr, "ctr: container '%s' exited: %s\n", argv[3], err->msg);
    ctr_spec_clear(&spec);
    storage_container_clear(&c);
    storage_close(ctx.store);
    return status;
}
