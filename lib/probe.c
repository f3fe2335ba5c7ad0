/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "log.h"
#include "probe.h"
#include "xalloc.h"

/* A build that forgot the definition should fail here, not report a made-up version. */
#ifndef CTR_LIBCAP_VERSION
#error "CTR_LIBCAP_VERSION must be defined by the build (see lib/CMakeLists.txt)"
#endif

/*
 * How long a probe child may take.  The probes only create namespaces, mount and run
 * newuidmap; one that takes longer is stuck (a hung file system under the scratch directory, an
 * NSS lookup in newuidmap that never returns) and is killed rather than hanging `ctr info`.
 */
#define PROBE_TIMEOUT_MS 10000

/* newuidmap is tried with at most this many subordinate ids: enough to prove a range works. */
#define PROBE_MAX_SUBIDS 65536UL

/*
 * What a probe child tells its parent, in one write (smaller than PIPE_BUF, so it arrives
 * whole).  An empty `msg` means the probe worked; otherwise `msg` names the step that failed and
 * `errnum` is its errno, or 0.
 */
struct report {
    int errnum;
    int value; /* a result of a probe that worked (overlay: the userxattr option was taken) */
    char msg[248];
};

/* A forked probe child, as its parent sees it. */
struct child {
    pid_t pid;
    int fd;             /* read end of its report or output pipe: EOF once it has exited */
    int go;             /* write end of a pipe it blocks on until we close it, or -1 */
    long long deadline; /* CLOCK_MONOTONIC milliseconds */
    int timed_out;
};

/*
 * Child side.  The children never return into the caller's code: every path ends in _exit().
 * ctr is single-threaded, so after fork() they may still call malloc-using functions
 * (vsnprintf, libseccomp).
 */

static void write_report(int fd, const struct report *r)
{
    while (write(fd, r, sizeof(*r)) < 0 && errno == EINTR)
        ;
}

static _Noreturn void child_fail(int fd, int errnum, const char *fmt, ...) CTR_PRINTF(3, 4);

/* Reports that the step `fmt` failed with `errnum` (0: no errno applies) and exits. */
static void child_fail(int fd, int errnum, const char *fmt, ...)
{
    struct report r = {.errnum = errnum};
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r.msg, sizeof(r.msg), fmt, ap);
    va_end(ap);
    write_report(fd, &r);
    _exit(1);
}

static _Noreturn void child_ok(int fd, int value)
{
    struct report r = {.value = value};

    write_report(fd, &r);
    _exit(0);
}

/* open/write/close for the child: /proc files, and files in the overlay test. */
static int write_text(const char *path, int flags, const char *text)
{
    size_t len = strlen(text);
    cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC | flags, 0600);

    if (fd < 0)
        return -1;
    if (write(fd, text, len) != (ssize_t)len)
        return -1;
    return close(steal_fd(&fd));
}

/* A new user namespace, reported to the parent; with a `go` pipe, stay in it until EOF. */
static void userns_child(int fd, int go, const void *arg)
{
    struct report ok = {0};
    char c;

    (void)arg;
    if (unshare(CLONE_NEWUSER) < 0)
        child_fail(fd, errno, "unshare(CLONE_NEWUSER) failed");
    if (go < 0)
        child_ok(fd, 0);
    /* The parent runs newuidmap on us now, then closes `go` (or dies, which closes it too). */
    write_report(fd, &ok);
    while (read(go, &c, 1) < 0 && errno == EINTR)
        ;
    _exit(0);
}

/* Runs argv[0] with stdout and stderr going to the parent's pipe. */
static void exec_child(int fd, int go, const void *arg)
{
    char *const *argv = arg;
    /* A copy above 2 first: were the pipe fd 1 or 2 itself, dup2() would keep its O_CLOEXEC. */
    int out = fcntl(fd, F_DUPFD_CLOEXEC, 3);

    (void)go;
    if (out < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(out, STDERR_FILENO) < 0)
        _exit(127);
    execv(argv[0], argv);
    dprintf(STDERR_FILENO, "execute '%s': %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Parent side. */

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Reads from `fd` until `size` bytes, EOF or the deadline.  Returns the number of bytes read,
 * or -1 with errno set (ETIMEDOUT when the deadline passed).
 */
static ssize_t read_until(int fd, void *buf, size_t size, long long deadline)
{
    size_t len = 0;

    while (len < size) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        long long left = deadline - now_ms();
        ssize_t n;

        /* Past the deadline, what is already there (the EOF of a child that did exit) counts. */
        left = left < 0 ? 0 : left > PROBE_TIMEOUT_MS ? PROBE_TIMEOUT_MS : left;
        n = poll(&pfd, 1, (int)left);
        if (n < 0 && errno != EINTR)
            return -1;
        if (n == 0 && left == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (n <= 0)
            continue;
        n = read(fd, (char *)buf + len, size - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        len += (size_t)n;
    }
    return (ssize_t)len;
}

/*
 * Forks a child that runs fn(report_fd, go_fd, arg), then _exit()s.  With `want_go` the child
 * gets the read end of a second pipe to block on, and closing its write end (c->go) releases it.
 * All pipes are O_CLOEXEC so a tool exec'd by a later child inherits none of them.
 */
static int child_start(void (*fn)(int fd, int go, const void *arg), const void *arg, int want_go,
                       struct child *ret, struct ctr_error **err)
{
    int p[2], g[2] = {-1, -1};
    pid_t pid;

    if (pipe2(p, O_CLOEXEC) < 0)
        return ctr_error_errno(err, "create a pipe");
    cleanup_close int rd = p[0];
    cleanup_close int wr = p[1];
    if (want_go && pipe2(g, O_CLOEXEC) < 0)
        return ctr_error_errno(err, "create a pipe");
    cleanup_close int go_rd = g[0];
    cleanup_close int go_wr = g[1];
    pid = fork();
    if (pid < 0)
        return ctr_error_errno(err, "fork a probe process");
    if (pid == 0) {
        close(rd);
        if (go_wr >= 0)
            close(go_wr);
        fn(wr, go_rd, arg);
        _exit(127);
    }
    *ret = (struct child){.pid = pid, .fd = steal_fd(&rd), .go = steal_fd(&go_wr)};
    ret->deadline = now_ms() + PROBE_TIMEOUT_MS;
    return 0;
}

/*
 * Releases the child, waits for it to exit (its end of the pipe closes then, so no polling of
 * waitpid is needed) and reaps it.  A child still running at the deadline is killed.  Returns
 * the wait status, or -1 when it could not be reaped (SIGCHLD ignored by the caller).
 */
static int child_finish(struct child *c)
{
    char buf[256];
    ssize_t n;
    int status;

    if (c->go >= 0)
        close(steal_fd(&c->go));
    do
        n = read_until(c->fd, buf, sizeof(buf), c->deadline);
    while (n == (ssize_t)sizeof(buf));
    if (n < 0) {
        c->timed_out = errno == ETIMEDOUT;
        kill(c->pid, SIGKILL);
    }
    close(steal_fd(&c->fd));
    while (waitpid(c->pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return status;
}

/* How a child ended, for a problem text: "exited with status 1". */
static char *status_text(const struct child *c, int status)
{
    if (c->timed_out)
        return xasprintf("did not finish within %d seconds", PROBE_TIMEOUT_MS / 1000);
    if (status == -1)
        return xstrdup("could not be waited for");
    if (WIFSIGNALED(status))
        return xasprintf("was killed by signal %d (%s)", WTERMSIG(status),
                         strsignal(WTERMSIG(status)));
    return xasprintf("exited with status %d", WEXITSTATUS(status));
}

/* Finishes a probe child; *r is its report, or says what became of it when it sent none. */
static void child_collect(struct child *c, struct report *r, int have)
{
    int status;

    if (!have)
        have = read_until(c->fd, r, sizeof(*r), c->deadline) == (ssize_t)sizeof(*r);
    status = child_finish(c);
    if (!have) {
        cleanup_free char *how = status_text(c, status);

        memset(r, 0, sizeof(*r));
        snprintf(r->msg, sizeof(r->msg), "the probe process %s without a report", how);
    }
}

/* The problem text a report stands for, or NULL when the probe worked. */
static char *report_problem(const struct report *r)
{
    if (r->msg[0] == '\0')
        return NULL;
    if (r->errnum == 0)
        return xstrdup(r->msg);
    return xasprintf("%s: %s", r->msg, strerror(r->errnum));
}

/* Runs a probe child to its end and records its verdict in *check; *r keeps its report. */
static int run_probe(void (*fn)(int fd, int go, const void *arg), const void *arg,
                     struct ctr_check *check, struct report *r, struct ctr_error **err)
{
    struct child c;

    if (child_start(fn, arg, 0, &c, err) < 0)
        return -1;
    child_collect(&c, r, 0);
    check->problem = report_problem(r);
    check->ok = check->problem == NULL;
    return 0;
}

/* A number from a /proc/sys file, or -1 when it cannot be read (absent on this kernel). */
static long read_sysctl(const char *path)
{
    cleanup_free char *data = NULL;
    cleanup_error struct ctr_error *e = NULL;
    size_t len;
    char *end;
    long v;

    if (ctr_read_file(path, 64, &data, &len, &e) < 0)
        return -1;
    errno = 0;
    v = strtol(data, &end, 10);
    return errno != 0 || end == data ? -1 : v;
}

static char *userns_fix(const struct ctr_probe *p, int errnum)
{
    /* Debian and Ubuntu kernels before 6.x had this knob; 0 refuses unprivileged users. */
    if (p->unprivileged_userns_clone == 0)
        return xstrdup("sysctl -w kernel.unprivileged_userns_clone=1");
    if (p->max_user_namespaces == 0 || errnum == ENOSPC)
        return xstrdup("sysctl -w user.max_user_namespaces=15000");
    if (errnum == EINVAL)
        return xstrdup("boot a kernel built with CONFIG_USER_NS=y");
    return NULL;
}

static int probe_userns(struct ctr_probe *p, struct ctr_error **err)
{
    struct report r;

    p->max_user_namespaces = read_sysctl("/proc/sys/user/max_user_namespaces");
    p->unprivileged_userns_clone = (int)read_sysctl("/proc/sys/kernel/unprivileged_userns_clone");
    if (run_probe(userns_child, NULL, &p->userns, &r, err) < 0)
        return -1;
    if (!p->userns.ok)
        p->userns.fix = userns_fix(p, r.errnum);
    return 0;
}

/*
 * Runs `path PID MAP...` (n <= 6 numbers) and returns 0 with *ret_problem NULL when it worked,
 * else set to the first line it printed or how it ended.  -1 only for internal errors.
 */
static int run_tool(const char *path, const char *tool, pid_t pid, const unsigned long *map,
                    size_t n, char **ret_problem, struct ctr_error **err)
{
    char nums[7][24], cmd[256], out[512], *argv[9];
    cleanup_free char *argv0 = xstrdup(path);
    size_t pos = (size_t)snprintf(cmd, sizeof(cmd), "%s", tool);
    struct child c;
    ssize_t len;
    int status;

    argv[0] = argv0;
    for (size_t i = 0; i <= n; i++) {
        snprintf(nums[i], sizeof(nums[i]), "%lu", i == 0 ? (unsigned long)pid : map[i - 1]);
        argv[i + 1] = nums[i];
        pos += (size_t)snprintf(cmd + pos, sizeof(cmd) - pos, " %s", nums[i]);
    }
    argv[n + 2] = NULL;
    if (child_start(exec_child, argv, 0, &c, err) < 0)
        return -1;
    len = read_until(c.fd, out, sizeof(out) - 1, c.deadline);
    status = child_finish(&c);
    out[len > 0 ? len : 0] = '\0';
    out[strcspn(out, "\n")] = '\0';
    if (status == 0 && !c.timed_out)
        return 0;
    if (out[0] != '\0' && !c.timed_out) {
        *ret_problem = xasprintf("'%s' failed: %s", cmd, out);
    } else {
        cleanup_free char *how = status_text(&c, status);

        *ret_problem = xasprintf("'%s' %s", cmd, how);
    }
    return 0;
}

/*
 * Whether /proc/PID/KIND_map holds exactly the extents (triples) in `map`: NULL, or a problem.
 * The kernel prints each extent as "%10u %10u %10u\n", in the order written (up to 5 extents).
 */
static char *check_map(pid_t pid, const char *tool, const char *kind, const unsigned long *map,
                       size_t n)
{
    cleanup_free char *path = xasprintf("/proc/%d/%s_map", (int)pid, kind);
    cleanup_free char *data = NULL, *want = xstrdup("");
    cleanup_error struct ctr_error *e = NULL;
    size_t len;

    if (ctr_read_file(path, 65536, &data, &len, &e) < 0)
        return xasprintf("%s exited successfully, but %s", tool, e->msg);
    for (size_t i = 0; i + 2 < n; i += 3) {
        char *longer = xasprintf("%s%10lu %10lu %10lu\n", want, map[i], map[i + 1], map[i + 2]);

        free(want);
        want = longer;
    }
    if (strcmp(data, want) == 0)
        return NULL;
    data[strcspn(data, "\n")] = '\0';
    return xasprintf("%s exited successfully, but '%s' reads '%s'", tool, path, data);
}

/*
 * The real test of newuidmap/newgidmap: a child in a fresh user namespace waits while the tool
 * maps `id` (and the first subordinate range, if any) into it, and the map is read back.
 */
static int try_idmap_tool(const char *path, const char *tool, const char *kind, unsigned long id,
                          const struct ctr_id_range *range, char **ret_problem,
                          struct ctr_error **err)
{
    unsigned long map[6] = {0, id, 1};
    size_t n = 3;
    char *problem = NULL;
    struct child w;
    struct report r;
    int have, rc;

    if (range != NULL) {
        map[3] = 1;
        map[4] = range->start;
        map[5] = range->count < PROBE_MAX_SUBIDS ? range->count : PROBE_MAX_SUBIDS;
        n = 6;
    }
    if (child_start(userns_child, NULL, 1, &w, err) < 0)
        return -1;
    have = read_until(w.fd, &r, sizeof(r), w.deadline) == (ssize_t)sizeof(r);
    if (!have || r.msg[0] != '\0') {
        cleanup_free char *why = NULL;

        child_collect(&w, &r, have);
        why = report_problem(&r);
        *ret_problem = xasprintf("%s could not be tested: %s", tool, why);
        return 0;
    }
    rc = run_tool(path, tool, w.pid, map, n, &problem, err);
    if (rc == 0 && problem == NULL)
        problem = check_map(w.pid, tool, kind, map, n);
    child_finish(&w);
    if (rc < 0)
        return -1;
    *ret_problem = problem;
    return 0;
}

/* The package that carries newuidmap and newgidmap has a different name on each family. */
static char *install_fix(void)
{
    if (access("/etc/debian_version", F_OK) == 0)
        return xstrdup("apt-get install uidmap");
    if (access("/etc/redhat-release", F_OK) == 0)
        return xstrdup("dnf install shadow-utils");
    return xstrdup("install newuidmap and newgidmap from shadow (the uidmap package)");
}

static int probe_idmap_tool(struct ctr_idmap_tool *t, int is_gid, unsigned long id,
                            const struct ctr_subid *sub, struct ctr_error **err)
{
    const char *tool = is_gid ? "newgidmap" : "newuidmap", *kind = is_gid ? "gid" : "uid";
    const struct ctr_id_range *range = sub && sub->n_ranges > 0 ? &sub->ranges[0] : NULL;
    cleanup_free char *problem = NULL;
    struct stat st;

    t->path = ctr_find_program(tool);
    if (t->path == NULL) {
        t->check.problem = xasprintf("%s is not installed (not found in $PATH)", tool);
        t->check.fix = install_fix();
        return 0;
    }
    /* Distributions ship it setuid root (Debian) or with cap_setuid/cap_setgid (Fedora). */
    t->setuid_or_fcaps = (stat(t->path, &st) == 0 && (st.st_mode & S_ISUID) && st.st_uid == 0) ||
                         getxattr(t->path, "security.capability", NULL, 0) >= 0;
    if (try_idmap_tool(t->path, tool, kind, id, range, &problem, err) < 0)
        return -1;
    /*
     * With no range the tool was tried with the user's own id alone: this check says whether
     * the tool works; a missing range is the caller's to report (it has the subid data).
     */
    if (problem != NULL) {
        t->check.problem = steal_pointer(&problem);
        if (!t->setuid_or_fcaps)
            t->check.fix =
                    xasprintf("chmod u+s %s (or setcap cap_set%s+ep %s)", t->path, kind, t->path);
    }
    t->check.ok = t->check.problem == NULL;
    return 0;
}

struct overlay_arg {
    const char *dir;
    uid_t uid;
    gid_t gid;
};

/* Maps root in the child's new user namespace to the user; a single id needs no helper. */
static void become_root(int fd, uid_t uid, gid_t gid)
{
    char line[64];

    /* Since 3.19 an unprivileged gid_map requires setgroups to be denied (CVE-2014-8989). */
    if (write_text("/proc/self/setgroups", 0, "deny") < 0 && errno != ENOENT)
        child_fail(fd, errno, "write '/proc/self/setgroups' failed");
    snprintf(line, sizeof(line), "0 %u 1", (unsigned)uid);
    if (write_text("/proc/self/uid_map", 0, line) < 0)
        child_fail(fd, errno, "write '/proc/self/uid_map' failed");
    snprintf(line, sizeof(line), "0 %u 1", (unsigned)gid);
    if (write_text("/proc/self/gid_map", 0, line) < 0)
        child_fail(fd, errno, "write '/proc/self/gid_map' failed");
}

/* Mounts the overlay at ./merged (in `dir`); returns whether it took the userxattr option. */
static int mount_overlay(int fd, const char *dir)
{
    /* Relative paths (we are in the test directory) need no escaping of ',' or ':'. */
    static const char opts[] = "lowerdir=lower,upperdir=upper,workdir=work";
    char with[sizeof(opts) + 16];
    int first;

    /*
     * Since 5.11 an overlay mounted in a user namespace must keep its metadata in user.*
     * xattrs (userxattr); older kernels do not know the option, so it is tried without too.
     */
    snprintf(with, sizeof(with), "%s,userxattr", opts);
    if (mount("overlay", "merged", "overlay", 0, with) == 0)
        return 1;
    first = errno;
    if (mount("overlay", "merged", "overlay", 0, opts) == 0)
        return 0;
    child_fail(fd, 0, "mount overlay in '%s' failed: with userxattr: %s; without: %s", dir,
               strerror(first), strerror(errno));
}

static void overlay_child(int fd, int go, const void *arg)
{
    static const char *const dirs[] = {"lower", "upper", "work", "merged"};
    const struct overlay_arg *a = arg;
    char buf[16] = "";
    struct stat st;
    int userxattr;

    (void)go;
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
        child_fail(fd, errno, "unshare(CLONE_NEWUSER|CLONE_NEWNS) failed");
    become_root(fd, a->uid, a->gid);
    /* Unprivileged mount namespaces get slave mounts already; private makes sure of it. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        child_fail(fd, errno, "make mounts private failed");
    if (chdir(a->dir) < 0)
        child_fail(fd, errno, "change directory to '%s' failed", a->dir);
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        if (mkdir(dirs[i], 0700) < 0)
            child_fail(fd, errno, "create directory '%s/%s' failed", a->dir, dirs[i]);
    if (write_text("lower/probe", O_CREAT | O_EXCL, "ctr") < 0)
        child_fail(fd, errno, "create '%s/lower/probe' failed", a->dir);
    userxattr = mount_overlay(fd, a->dir);
    {
        cleanup_close int in = open("merged/probe", O_RDONLY | O_CLOEXEC);

        if (in < 0 || read(in, buf, sizeof(buf) - 1) < 0)
            child_fail(fd, errno, "read a lower file through the overlay failed");
    }
    if (strcmp(buf, "ctr") != 0)
        child_fail(fd, 0, "a lower file reads '%s' through the overlay, not 'ctr'", buf);
    if (write_text("merged/new", O_CREAT | O_EXCL, "ctr") < 0)
        child_fail(fd, errno, "write a file in the overlay failed");
    if (lstat("upper/new", &st) < 0)
        child_fail(fd, errno, "a file written in the overlay is not in the upper directory");
    umount2("merged", MNT_DETACH);
    child_ok(fd, userxattr);
}

static char *overlay_fix(const struct ctr_probe *p)
{
    cleanup_free char *fs = NULL;
    cleanup_error struct ctr_error *e = NULL;
    unsigned long major, minor;
    size_t len;

    if (!p->userns.ok)
        return p->userns.fix ? xstrdup(p->userns.fix) : NULL;
    /* Ubuntu 23.10+ lets the namespace be created but takes its capabilities away. */
    if (read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1)
        return xstrdup("sysctl -w kernel.apparmor_restrict_unprivileged_userns=0");
    if (ctr_read_file("/proc/filesystems", 65536, &fs, &len, &e) == 0 &&
        strstr(fs, "\toverlay\n") == NULL)
        return xstrdup("modprobe overlay");
    if (sscanf(p->kernel_release, "%lu.%lu", &major, &minor) == 2 &&
        (major < 5 || (major == 5 && minor < 11)))
        return xstrdup("boot a kernel 5.11 or newer (unprivileged overlay mounts)");
    return NULL;
}

static int probe_overlay(struct ctr_probe *p, const char *scratch, uid_t uid, gid_t gid,
                         struct ctr_error **err)
{
    cleanup_free char *dir = xasprintf("%s/probe-overlay-XXXXXX", scratch);
    struct overlay_arg a = {.dir = dir, .uid = uid, .gid = gid};
    struct report r;
    int rc;

    if (mkdtemp(dir) == NULL)
        return ctr_error_errno(err, "create a directory in '%s'", scratch);
    rc = run_probe(overlay_child, &a, &p->overlay, &r, err);
    if (rc == 0) {
        p->overlay_userxattr = p->overlay.ok && r.value;
        if (!p->overlay.ok)
            p->overlay.fix = overlay_fix(p);
    }
    /* The child's mount namespace died with it, so nothing is mounted here any more. */
    {
        struct ctr_error *rm_err = NULL;

        if (ctr_remove_tree_at(AT_FDCWD, dir, &rm_err) < 0) {
            if (rc == 0) {
                *err = rm_err;
                return -1;
            }
            log_debug("%s", rm_err->msg);
            ctr_error_free(rm_err);
        }
    }
    return rc;
}

/* Installs a filter that makes getppid() fail with EPERM, and checks that it does. */
static void seccomp_child(int fd, int go, const void *arg)
{
    char status[4096];
    scmp_filter_ctx ctx;
    int in;
    ssize_t n;
    int rc;

    (void)go;
    (void)arg;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        child_fail(fd, errno, "prctl(PR_SET_NO_NEW_PRIVS) failed");
    ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == NULL)
        child_fail(fd, 0, "seccomp_init failed");
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 5)
    /* Without this, libseccomp reports every kernel refusal as ECANCELED. */
    seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
#endif
    rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(getppid), 0);
    if (rc < 0)
        child_fail(fd, -rc, "seccomp_rule_add failed");
    rc = seccomp_load(ctx);
    if (rc < 0)
        child_fail(fd, -rc, "seccomp_load failed");
    errno = 0;
    if (syscall(SYS_getppid) != -1 || errno != EPERM)
        child_fail(fd, 0, "the loaded filter did not make getppid() fail with EPERM");
    in = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    n = in < 0 ? -1 : read(in, status, sizeof(status) - 1);
    if (n < 0)
        child_fail(fd, errno, "read '/proc/self/status' failed");
    status[n > 0 ? n : 0] = '\0';
    if (strstr(status, "\nSeccomp:\t2\n") == NULL)
        child_fail(fd, 0, "'/proc/self/status' does not show seccomp filter mode (2)");
    child_ok(fd, 0);
}

static int probe_seccomp(struct ctr_probe *p, struct ctr_error **err)
{
    const struct scmp_version *v = seccomp_version();
    struct report r;

    p->libseccomp_version = xasprintf("%u.%u.%u", v->major, v->minor, v->micro);
    p->seccomp_api = (unsigned)seccomp_api_get();
    if (run_probe(seccomp_child, NULL, &p->seccomp, &r, err) < 0)
        return -1;
    if (!p->seccomp.ok)
        p->seccomp.fix = xstrdup("boot a kernel built with CONFIG_SECCOMP_FILTER=y");
    return 0;
}

/* The whitespace-separated words of `s` as a NULL-terminated array (never NULL itself). */
static char **split_words(const char *s)
{
    char **v = xcalloc(1, sizeof(*v));
    size_t n = 0;

    for (;;) {
        size_t len;

        s += strspn(s, " \t\n");
        len = strcspn(s, " \t\n");
        if (len == 0)
            return v;
        v = xreallocarray(v, n + 2, sizeof(*v));
        v[n++] = xstrndup(s, len);
        v[n] = NULL;
        s += len;
    }
}

/* This process's cgroup in the unified (v2) hierarchy: the "0::/path" line. */
static char *own_cgroup(void)
{
    cleanup_free char *data = NULL;
    cleanup_error struct ctr_error *e = NULL;
    char *save = NULL;
    size_t len;

    if (ctr_read_file("/proc/self/cgroup", 1 << 20, &data, &len, &e) < 0)
        return NULL;
    for (char *l = strtok_r(data, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save))
        if (strncmp(l, "0::/", 4) == 0)
            return xstrdup(l + 3);
    return NULL;
}

static int may_write(const char *path, uid_t uid)
{
    struct stat st;

    return (stat(path, &st) == 0 && st.st_uid == uid) || access(path, W_OK) == 0;
}

static void probe_cgroups(struct ctr_probe *p, uid_t uid)
{
    const char *base = "/sys/fs/cgroup";
    cleanup_free char *dir = NULL, *file = NULL, *data = NULL;
    cleanup_error struct ctr_error *e = NULL;
    struct statfs sfs;
    size_t len;

    p->cgroup_controllers = split_words("");
    p->cgroup_delegated = split_words("");
    if (statfs(base, &sfs) < 0)
        return;
    if (sfs.f_type == CGROUP2_SUPER_MAGIC) {
        p->cgroup_version = 2;
    } else if (sfs.f_type == TMPFS_MAGIC) {
        p->cgroup_version = 1;
        base = "/sys/fs/cgroup/unified";
        p->cgroup_hybrid = statfs(base, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
    }
    if (p->cgroup_version == 0 || (p->cgroup_version == 1 && !p->cgroup_hybrid))
        return;
    p->cgroup_path = own_cgroup();
    if (p->cgroup_path == NULL)
        return;
    dir = xasprintf("%s%s", base, strcmp(p->cgroup_path, "/") == 0 ? "" : p->cgroup_path);
    file = xasprintf("%s/cgroup.controllers", dir);
    if (ctr_read_file(file, 65536, &data, &len, &e) < 0) {
        log_debug("%s", e->msg);
        return;
    }
    strv_free(p->cgroup_controllers);
    p->cgroup_controllers = split_words(data);
    free(file);
    file = xasprintf("%s/cgroup.subtree_control", dir);
    /* Delegation (systemd's Delegate=yes) hands the user the directory and subtree_control. */
    if (may_write(dir, uid) && may_write(file, uid)) {
        strv_free(p->cgroup_delegated);
        p->cgroup_delegated = split_words(data);
    }
}

int ctr_probe_host(const char *scratch, uid_t uid, gid_t gid, const struct ctr_subid *subuid,
                   const struct ctr_subid *subgid, struct ctr_probe *ret, struct ctr_error **err)
{
    struct utsname u;

    memset(ret, 0, sizeof(*ret));
    ret->max_user_namespaces = -1;
    ret->unprivileged_userns_clone = -1;
    if (uname(&u) < 0)
        return ctr_error_errno(err, "uname");
    ret->kernel_release = xstrdup(u.release);
    ret->kernel_version = xstrdup(u.version);
    ret->machine = xstrdup(u.machine);
    if (probe_userns(ret, err) < 0 || probe_idmap_tool(&ret->newuidmap, 0, uid, subuid, err) < 0 ||
        probe_idmap_tool(&ret->newgidmap, 1, gid, subgid, err) < 0 ||
        probe_overlay(ret, scratch, uid, gid, err) < 0 || probe_seccomp(ret, err) < 0)
        return -1;
    probe_cgroups(ret, uid);
    return 0;
}

static void check_clear(struct ctr_check *c)
{
    free(c->problem);
    free(c->fix);
}

void ctr_probe_clear(struct ctr_probe *p)
{
    if (p == NULL)
        return;
    free(p->kernel_release);
    free(p->kernel_version);
    free(p->machine);
    check_clear(&p->userns);
    free(p->newuidmap.path);
    check_clear(&p->newuidmap.check);
    free(p->newgidmap.path);
    check_clear(&p->newgidmap.check);
    check_clear(&p->overlay);
    check_clear(&p->seccomp);
    free(p->libseccomp_version);
    free(p->cgroup_path);
    strv_free(p->cgroup_controllers);
    strv_free(p->cgroup_delegated);
    memset(p, 0, sizeof(*p));
}

const char *ctr_libcap_version(void)
{
    return CTR_LIBCAP_VERSION;
}
