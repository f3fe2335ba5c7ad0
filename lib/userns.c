/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "spawn.h"
#include "userns.h"
#include "xalloc.h"

/* Since Linux 4.15 a map holds up to 340 extents (before: 5). */
#define MAX_EXTENTS 340

/* Ids are 32-bit, and (uid_t)-1 is "no id": a map may reach 4294967295 but not include it. */
#define ID_END 4294967295UL

/*
 * How long the child may take to unshare or to switch ids, and newuidmap to run.  Both are
 * quick; one that takes longer is stuck (an NSS lookup in newuidmap that never returns) and
 * is killed rather than hanging the command.
 */
#define SPAWN_TIMEOUT_MS 10000

/* Output of newuidmap/newgidmap kept for the error message. */
#define TOOL_OUTPUT_MAX 1024

static size_t map_find_overlap(const struct ctr_idmap *m, size_t n, unsigned long start,
                               unsigned long end)
{
    for (size_t i = 0; i < n; i++)
        if (start < m[i].outside + m[i].count && m[i].outside < end)
            return i;
    return n;
}

/*
 * Appends outside ids [start, end) at the next free inside id, minus what is already mapped:
 * the kernel refuses a map whose outside ranges overlap, and /etc/subuid may list a range
 * twice or overlap the user's own id.
 */
static int map_add(struct ctr_idmap **m, size_t *n, unsigned long *next_inside, unsigned long start,
                   unsigned long end, const char *kind, struct ctr_error **err)
{
    size_t i;

    if (start >= end || *next_inside >= ID_END)
        return 0;
    i = map_find_overlap(*m, *n, start, end);
    if (i < *n) {
        unsigned long os = (*m)[i].outside, oe = os + (*m)[i].count;

        if (start < os && map_add(m, n, next_inside, start, os, kind, err) < 0)
            return -1;
        return oe < end ? map_add(m, n, next_inside, oe, end, kind, err) : 0;
    }
    if (*n >= MAX_EXTENTS)
        return ctr_error_set(err, E2BIG,
                             "the subordinate %s ranges make more than %d pieces, the most a "
                             "user namespace can map: merge them in /etc/sub%s",
                             kind, MAX_EXTENTS, kind);
    if (end - start > ID_END - *next_inside)
        end = start + (ID_END - *next_inside);
    *m = xreallocarray(*m, *n + 1, sizeof(**m));
    (*m)[(*n)++] =
            (struct ctr_idmap){.inside = *next_inside, .outside = start, .count = end - start};
    *next_inside += end - start;
    return 0;
}

static int build_map(unsigned long id, const struct ctr_subid *sub, const char *kind,
                     struct ctr_idmap **ret, size_t *ret_n, struct ctr_error **err)
{
    cleanup_free struct ctr_idmap *m = xcalloc(1, sizeof(*m));
    unsigned long next = 1;
    size_t n = 1;

    m[0] = (struct ctr_idmap){.inside = 0, .outside = id, .count = 1};
    for (size_t i = 0; sub != NULL && i < sub->n_ranges; i++) {
        const struct ctr_id_range *r = &sub->ranges[i];
        unsigned long end = r->count > ID_END - r->start ? ID_END : r->start + r->count;

        if (map_add(&m, &n, &next, r->start, end, kind, err) < 0)
            return -1;
    }
    *ret = steal_pointer(&m);
    *ret_n = n;
    return 0;
}

int ctr_idmaps_rootless(uid_t uid, gid_t gid, const struct ctr_subid *subuid,
                        const struct ctr_subid *subgid, struct ctr_idmaps *ret,
                        struct ctr_error **err)
{
    struct ctr_idmaps m = {0};

    if (build_map(uid, subuid, "uid", &m.uid, &m.n_uid, err) < 0)
        return -1;
    if (build_map(gid, subgid, "gid", &m.gid, &m.n_gid, err) < 0) {
        ctr_idmaps_clear(&m);
        return -1;
    }
    *ret = m;
    return 0;
}

unsigned long ctr_idmaps_contiguous(const struct ctr_idmap *m, size_t n)
{
    unsigned long next = 0;
    int found = 1;

    /* Extents may come in any order; at most n rounds, each finding the one that starts next. */
    while (found) {
        found = 0;
        for (size_t i = 0; i < n; i++) {
            if (m[i].count > 0 && m[i].inside == next) {
                next += m[i].count;
                found = 1;
                break;
            }
        }
    }
    return next;
}

void ctr_idmaps_clear(struct ctr_idmaps *m)
{
    if (m == NULL)
        return;
    free(m->uid);
    free(m->gid);
    memset(m, 0, sizeof(*m));
}

int ctr_idmaps_for_current_user(struct ctr_idmaps *ret, int *ret_has_ranges, struct ctr_error **err)
{
    uid_t uid = geteuid();
    gid_t gid = getegid();
    struct ctr_subid subuid = {0}, subgid = {0};
    struct passwd pw, *found = NULL;
    char buf[4096];
    const char *name = NULL;
    int rc;

    /* No passwd entry (a container's arbitrary uid) is fine: newuidmap then matches by uid. */
    if (getpwuid_r(uid, &pw, buf, sizeof(buf), &found) == 0 && found != NULL)
        name = found->pw_name;
    if (ctr_subid_read("/etc/subuid", name, uid, &subuid, err) < 0)
        return -1;
    if (ctr_subid_read("/etc/subgid", name, uid, &subgid, err) < 0) {
        ctr_subid_clear(&subuid);
        return -1;
    }
    rc = ctr_idmaps_rootless(uid, gid, &subuid, &subgid, ret, err);
    if (rc == 0)
        *ret_has_ranges = subuid.n_ranges > 0 && subgid.n_ranges > 0;
    ctr_subid_clear(&subuid);
    ctr_subid_clear(&subgid);
    return rc;
}

/* The child's side.  Every path ends in _exit(); nothing returns into the caller's code. */

struct spawn_child {
    int extra_flags;
    int (*fn)(void *arg);
    void *arg;
    int report; /* write end: one int, 0 or an errno, after each step */
    int go;     /* read end: the parent writes one byte once the maps are written */
};

static void send_report(int fd, int value)
{
    while (write(fd, &value, sizeof(value)) < 0 && errno == EINTR)
        ;
}

/* Whether setgroups(2) is allowed in our namespace: "deny" since 3.19 (CVE-2014-8989). */
int ctr_setgroups_allowed(void)
{
    char buf[16] = "";
    cleanup_close int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);

    if (fd < 0 || read(fd, buf, sizeof(buf) - 1) < 0)
        return 0;
    return strncmp(buf, "allow", 5) == 0;
}

static _Noreturn void run_child(struct spawn_child *c)
{
    char byte;
    ssize_t n;

    if (unshare(CLONE_NEWUSER | c->extra_flags) < 0) {
        send_report(c->report, errno);
        _exit(127);
    }
    send_report(c->report, 0);
    /*
     * The parent writes our maps, then one byte to `go`.  Not EOF: children forked at the same
     * time by other threads hold copies of our pipe's write end until they exec, so EOF could
     * come late or, with two children holding each other's, never.  EOF means give up.
     */
    do
        n = read(c->go, &byte, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        _exit(127);
    close(c->go);
    /*
     * Become root of the namespace.  gid first: after setresuid the capability to change it is
     * gone.  Supplementary groups of the caller are dropped where the kernel lets us, so the
     * host's groups do not follow us in; where setgroups is denied they stay, shown as the
     * overflow gid, and give no access a mapped id would not.
     */
    if (setresgid(0, 0, 0) < 0 || (ctr_setgroups_allowed() && setgroups(0, NULL) < 0) ||
        setresuid(0, 0, 0) < 0) {
        send_report(c->report, errno);
        _exit(127);
    }
    send_report(c->report, 0);
    close(c->report);
    _exit(c->fn(c->arg));
}

/* The parent's side. */

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the child's next report.  Returns 0 and sets *value, or -1 with errno set (ETIMEDOUT). */
static int read_report(int fd, long long deadline, int *value)
{
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        long long left = deadline - now_ms();
        ssize_t n;

        if (left < 0)
            left = 0;
        n = poll(&pfd, 1, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        n = read(fd, value, sizeof(*value));
        if (n < 0 && errno == EINTR)
            continue;
        if (n == (ssize_t)sizeof(*value))
            return 0;
        /* EOF (or a short read, which a pipe does not do for 4 bytes): the child died. */
        errno = n < 0 ? errno : EPIPE;
        return -1;
    }
}

static int report_error(int errnum, const char *step, struct ctr_error **err)
{
    if (errnum == ETIMEDOUT)
        return ctr_error_set(err, ETIMEDOUT, "%s: the child did not answer within %d seconds", step,
                             SPAWN_TIMEOUT_MS / 1000);
    if (errnum == EPIPE)
        return ctr_error_set(err, ECHILD, "%s: the child exited", step);
    return ctr_error_errnum(err, errnum, "%s", step);
}

/* Writes `text` to /proc/PID/NAME in one write(2), as the kernel requires for id maps. */
static int write_proc(pid_t pid, const char *name, const char *text, struct ctr_error **err)
{
    cleanup_free char *path = xasprintf("/proc/%d/%s", (int)pid, name);
    cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
    size_t len = strlen(text);
    ssize_t n;

    if (fd < 0)
        return ctr_error_errno(err, "open '%s'", path);
    n = write(fd, text, len);
    if (n != (ssize_t)len)
        return ctr_error_errnum(err, n < 0 ? errno : EIO, "write '%s'", path);
    return 0;
}

static char *map_text(const struct ctr_idmap *m, size_t n)
{
    char *text = xstrdup("");

    for (size_t i = 0; i < n; i++) {
        char *longer = xasprintf("%s%lu %lu %lu\n", text, m[i].inside, m[i].outside, m[i].count);

        free(text);
        text = longer;
    }
    return text;
}

/* Runs newuidmap/newgidmap PID INSIDE OUTSIDE COUNT...; its message becomes the error. */
static int run_map_tool(const char *tool, pid_t pid, const struct ctr_idmap *m, size_t n,
                        struct ctr_error **err)
{
    cleanup_free char *path = ctr_find_program(tool);
    cleanup_free char *out = NULL;
    cleanup_strv char **argv = NULL;
    size_t argc = 0;
    int status;

    if (path == NULL)
        return ctr_error_set(err, ENOENT,
                             "%s is not installed (not found in $PATH); it maps the subordinate "
                             "ids (Debian: the uidmap package)",
                             tool);
    argv = xcalloc(3 * n + 3, sizeof(*argv));
    argv[argc++] = xstrdup(path);
    argv[argc++] = xasprintf("%d", (int)pid);
    for (size_t i = 0; i < n; i++) {
        argv[argc++] = xasprintf("%lu", m[i].inside);
        argv[argc++] = xasprintf("%lu", m[i].outside);
        argv[argc++] = xasprintf("%lu", m[i].count);
    }
    if (ctr_spawn_capture_timeout(argv, TOOL_OUTPUT_MAX, SPAWN_TIMEOUT_MS, &out, &status, err) < 0)
        return -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    /* The tool names itself ("newuidmap: write to uid_map failed: ..."): pass that on. */
    for (char *p = out; *p != '\0'; p++)
        if (*p == '\n')
            *p = *(p + 1) == '\0' ? '\0' : ' ';
    if (out[0] != '\0')
        return ctr_error_set(err, EPERM, "%s", out);
    if (WIFSIGNALED(status))
        return ctr_error_set(err, EPERM, "%s was killed by signal %d", tool, WTERMSIG(status));
    return ctr_error_set(err, EPERM, "%s exited with status %d", tool, WEXITSTATUS(status));
}

static int is_self_map(const struct ctr_idmap *m, size_t n, unsigned long id)
{
    return n == 1 && m[0].inside == 0 && m[0].outside == id && m[0].count == 1;
}

/*
 * Writes the child's maps.  Real root (CAP_SETUID over its own namespace) writes any map itself;
 * an unprivileged user may write only the single mapping of its own id, and for gid_map only
 * after denying setgroups (since 3.19, CVE-2014-8989: otherwise dropping a group could gain
 * access a negative group ACL denies).  Anything else goes through the setuid helpers, which
 * check /etc/subuid and /etc/subgid.
 */
int ctr_userns_write_maps(pid_t pid, const struct ctr_idmaps *maps, struct ctr_error **err)
{
    int root = geteuid() == 0;
    int self_uid = is_self_map(maps->uid, maps->n_uid, geteuid());
    int self_gid = is_self_map(maps->gid, maps->n_gid, getegid());

    if (root || self_uid) {
        cleanup_free char *text = map_text(maps->uid, maps->n_uid);

        if (write_proc(pid, "uid_map", text, err) < 0)
            return -1;
    } else if (run_map_tool("newuidmap", pid, maps->uid, maps->n_uid, err) < 0) {
        return -1;
    }
    if (root || self_gid) {
        cleanup_free char *text = map_text(maps->gid, maps->n_gid);

        if (!root && write_proc(pid, "setgroups", "deny", err) < 0)
            return -1;
        return write_proc(pid, "gid_map", text, err);
    }
    return run_map_tool("newgidmap", pid, maps->gid, maps->n_gid, err);
}

int ctr_userns_spawn(const struct ctr_idmaps *maps, int extra_flags, int (*fn)(void *arg),
                     void *arg, pid_t *ret_pid, struct ctr_error **err)
{
    long long deadline;
    int p[2], value;
    pid_t pid;

    if (maps->n_uid == 0 || maps->n_gid == 0)
        return ctr_error_set(err, EINVAL, "a user namespace needs a uid and a gid mapping");
    if (pipe2(p, O_CLOEXEC) < 0)
        return ctr_error_errno(err, "create a pipe");
    cleanup_close int report_r = p[0];
    cleanup_close int report_w = p[1];
    if (pipe2(p, O_CLOEXEC) < 0)
        return ctr_error_errno(err, "create a pipe");
    cleanup_close int go_r = p[0];
    cleanup_close int go_w = p[1];
    pid = fork();
    if (pid < 0)
        return ctr_error_errno(err, "fork");
    if (pid == 0) {
        struct spawn_child c = {.extra_flags = extra_flags,
                                .fn = fn,
                                .arg = arg,
                                .report = steal_fd(&report_w),
                                .go = steal_fd(&go_r)};

        close(report_r);
        close(go_w);
        run_child(&c);
    }
    close(steal_fd(&report_w));
    close(steal_fd(&go_r));
    deadline = now_ms() + SPAWN_TIMEOUT_MS;
    if (read_report(report_r, deadline, &value) < 0) {
        report_error(errno, "create a user namespace", err);
        goto fail;
    }
    if (value != 0) {
        ctr_error_errnum(err, value, "create a user namespace (unshare)");
        goto fail;
    }
    if (ctr_userns_write_maps(pid, maps, err) < 0)
        goto fail;
    /* One byte on `go` releases the child. */
    if (write(go_w, "g", 1) != 1) {
        ctr_error_errno(err, "release the child in its user namespace");
        goto fail;
    }
    close(steal_fd(&go_w));
    deadline = now_ms() + SPAWN_TIMEOUT_MS;
    if (read_report(report_r, deadline, &value) < 0) {
        report_error(errno, "become root in the user namespace", err);
        goto fail;
    }
    if (value != 0) {
        ctr_error_errnum(err, value, "become root in the user namespace");
        goto fail;
    }
    *ret_pid = pid;
    return 0;

fail:
    /*
     * No child is left behind.  It is killed before it got its go-ahead byte, so it never
     * runs fn without its maps.
     */
    kill(pid, SIGKILL);
    ctr_waitpid(pid);
    return -1;
}
