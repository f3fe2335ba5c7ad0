/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "mounts.h"
#include "passwd.h"
#include "runtime.h"
#include "security.h"
#include "spawn.h"
#include "xalloc.h"

/*
 * The child reports over a SOCK_SEQPACKET pair whose end is close-on-exec: READY just before
 * execve, then EOF when execve succeeded, or ERROR when a step (or execve) failed.  EOF
 * without READY means the child died during setup.  A terminal's master travels as
 * SCM_RIGHTS with a PTY message.
 */
enum msg_kind {
    MSG_READY = 1,
    MSG_PTY,
    MSG_ERROR,
    MSG_PID, /* ctr exec: the pid of the process in the container (errnum holds it) */
    MSG_WARNING,
};

struct msg {
    int kind;
    int failure; /* enum ctr_start_failure */
    int errnum;
    char text[1000];
};

/* The default $PATH when the image sets none, as Podman's. */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* /etc/passwd and /etc/group larger than this are not read. */
#define PASSWD_MAX (4 << 20)

static void send_msg(int sock, const struct msg *m, int fd)
{
    struct iovec iov = {(void *)m, sizeof(*m)};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

    if (fd >= 0) {
        struct cmsghdr *c;

        memset(&u, 0, sizeof(u));
        mh.msg_control = u.buf;
        mh.msg_controllen = sizeof(u.buf);
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 && errno == EINTR)
        ;
}

/* Receives one message; 0 at EOF, -1 on error, else 1 with *ret_fd set (or -1). */
static int recv_msg(int sock, struct msg *m, int *ret_fd)
{
    struct iovec iov = {m, sizeof(*m)};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = u.buf,
                        .msg_controllen = sizeof(u.buf)};
    ssize_t n;

    *ret_fd = -1;
    do
        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return (int)n;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
    if ((size_t)n != sizeof(*m)) {
        if (*ret_fd >= 0)
            close(*ret_fd);
        errno = EPROTO;
        return -1;
    }
    m->text[sizeof(m->text) - 1] = '\0';
    return 1;
}

/* In the child: reports `e` (or errno with `what`) and exits. */
static _Noreturn void child_fail(int sock, enum ctr_start_failure failure, struct ctr_error *e,
                                 int exit_status)
{
    struct msg m = {.kind = MSG_ERROR, .failure = failure, .errnum = e ? e->code : EIO};

    /* ENOENT and EACCES say "not found" and "cannot invoke"; a setup step says neither. */
    if (failure == CTR_START_SETUP && (m.errnum == ENOENT || m.errnum == EACCES || m.errnum == 0))
        m.errnum = EIO;

    snprintf(m.text, sizeof(m.text), "%s", e ? e->msg : "unknown error");
    send_msg(sock, &m, -1);
    _exit(exit_status);
}

static _Noreturn void child_fail_errno(int sock, const char *what)
{
    struct ctr_error *e = NULL;

    ctr_error_errno(&e, "%s", what);
    child_fail(sock, CTR_START_SETUP, e, 125);
}

static const char *env_get(char **env, const char *key)
{
    size_t len = strlen(key);

    for (char **p = env; p && *p; p++)
        if (strncmp(*p, key, len) == 0 && (*p)[len] == '=')
            return *p + len + 1;
    return NULL;
}

/*
 * execve() of argv[0], searched in the container's $PATH when it has no '/'; returns only on
 * failure, with errno as execvp(3) would leave it (EACCES when a candidate was found but could
 * not be run, else the last error).
 */
static void exec_in_path(char **argv, char **env)
{
    const char *path = env_get(env, "PATH");
    int saw_eacces = 0;

    if (strchr(argv[0], '/') != NULL) {
        execve(argv[0], argv, env);
        return;
    }
    if (path == NULL)
        path = DEFAULT_PATH;
    for (const char *p = path;; p++) {
        const char *end = strchrnul(p, ':');
        char buf[4096];
        int n = snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(end - p), p, end == p ? "" : "/",
                         argv[0]);

        if (n > 0 && (size_t)n < sizeof(buf)) {
            execve(buf, argv, env);
            if (errno == EACCES)
                saw_eacces = 1;
            else if (errno != ENOENT && errno != ENOTDIR)
                return;
        }
        if (*end == '\0')
            break;
        p = end;
    }
    errno = saw_eacces ? EACCES : ENOENT;
}

static _Noreturn void exec_failed(int sock, const char *cmd);

/*
 * The last step: only fds 0-2 go on (the start channel is close-on-exec as well, so its EOF
 * tells the parent execve succeeded).
 */
static _Noreturn void exec_process(int sock, char **argv, char **env)
{
    struct msg m = {.kind = MSG_READY};

    syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
    send_msg(sock, &m, -1);
    exec_in_path(argv, env);
    exec_failed(sock, argv[0]);
}

/* Reports a failed execve the way Podman words it, and exits 127 or 126 as a shell would. */
static _Noreturn void exec_failed(int sock, const char *cmd)
{
    int errnum = errno;
    struct ctr_error *e = NULL;

    if (errnum == ENOENT || errnum == ENOTDIR) {
        ctr_error_set(&e, ENOENT, "executable file '%s' not found%s: No such file or directory",
                      cmd, strchr(cmd, '/') ? "" : " in $PATH");
        child_fail(sock, CTR_START_NOT_FOUND, e, 127);
    }
    ctr_error_set(&e, EACCES, "'%s' cannot be executed: %s", cmd, strerror(errnum));
    child_fail(sock, CTR_START_CANNOT_INVOKE, e, 126);
}

/* Signals, mask and the parent's ignored signals (SIGPIPE) go back to their defaults. */
static void reset_signals(void)
{
    sigset_t all;

    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
}

/* Makes a new terminal in the container's devpts; its slave becomes fds 0-2. */
static int setup_pty(int sock, struct ctr_error **err)
{
    cleanup_close int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    cleanup_close int slave = -1;
    struct msg m = {.kind = MSG_PTY};
    int unlock = 0;

    if (master < 0)
        return ctr_error_errno(err, "open the container's /dev/ptmx");
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
        return ctr_error_errno(err, "unlock the container's terminal");
    slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    if (slave < 0)
        return ctr_error_errno(err, "open the container's terminal");
    /* The size of the terminal ctr runs in, before the process can ask (ctr copies later
     * changes): fd 0 is still ctr's own here. */
    {
        struct winsize ws;

        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
            ioctl(slave, TIOCSWINSZ, &ws);
    }
    if (ioctl(slave, TIOCSCTTY, 0) < 0)
        return ctr_error_errno(err, "make the terminal the container's controlling terminal");
    for (int fd = 0; fd < 3; fd++)
        if (dup2(slave, fd) < 0)
            return ctr_error_errno(err, "attach the terminal");
    send_msg(sock, &m, master);
    return 0;
}

static int setup_stdio(const int stdio[3], struct ctr_error **err)
{
    cleanup_close int null = -1;

    for (int i = 0; i < 3; i++) {
        int fd = stdio[i];

        if (fd < 0) {
            if (null < 0 && (null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
                return ctr_error_errno(err, "open /dev/null");
            fd = null;
        }
        if (fd == i) {
            int flags = fcntl(fd, F_GETFD);

            if (flags >= 0)
                fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
        } else if (dup2(fd, i) < 0) {
            return ctr_error_errno(err, "set up the standard streams");
        }
    }
    return 0;
}

/* Resolves the user in the container's own files (we are inside it now). */
static int resolve_user(const char *spec, struct ctr_user *ret, struct ctr_error **err)
{
    cleanup_free char *passwd = NULL;
    cleanup_free char *group = NULL;
    cleanup_error struct ctr_error *ignored = NULL;
    size_t len;

    if (ctr_read_file("/etc/passwd", PASSWD_MAX, &passwd, &len, &ignored) < 0)
        passwd = NULL;
    ctr_error_clear(&ignored);
    if (ctr_read_file("/etc/group", PASSWD_MAX, &group, &len, &ignored) < 0)
        group = NULL;
    return ctr_user_resolve(spec, passwd, group, ret, err);
}

static int become_user(const struct ctr_user *u, struct ctr_error **err);

static int become_user_cb(void *arg, struct ctr_error **err)
{
    return become_user(arg, err);
}

/*
 * The process is still a copy of ctr until it execs: not dumpable, so a container process
 * cannot open its /proc/PID/exe (ctr's binary) or its memory meanwhile (CVE-2019-5736).
 */
static void hide_self(void)
{
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static int become_user(const struct ctr_user *u, struct ctr_error **err)
{
    /* A single-id mapping denies setgroups: then the groups cannot be set. */
    if (ctr_setgroups_allowed() && setgroups(u->n_groups, u->groups) < 0)
        return ctr_error_errno(err, "set the supplementary groups of the container's user");
    if (setresgid(u->gid, u->gid, u->gid) < 0)
        return ctr_error_errno(err,
                               "switch to group %u: it is not mapped in the container's "
                               "user namespace (see /etc/subgid)",
                               (unsigned)u->gid);
    if (setresuid(u->uid, u->uid, u->uid) < 0)
        return ctr_error_errno(err,
                               "switch to user %u: it is not mapped in the container's "
                               "user namespace (see /etc/subuid)",
                               (unsigned)u->uid);
    return 0;
}

/* The working directory, created when the image lacks it (as Podman does). */
static int enter_cwd(const char *cwd, struct ctr_error **err)
{
    if (chdir(cwd) == 0)
        return 0;
    if (errno != ENOENT)
        return ctr_error_errno(err, "enter the working directory '%s'", cwd);
    for (char *p = strchr(cwd + 1, '/');; p = strchr(p + 1, '/')) {
        cleanup_free char *part = p ? xstrndup(cwd, (size_t)(p - cwd)) : xstrdup(cwd);

        if (mkdir(part, 0755) < 0 && errno != EEXIST)
            return ctr_error_errno(err, "create the working directory '%s'", cwd);
        if (p == NULL)
            break;
    }
    if (chdir(cwd) < 0)
        return ctr_error_errno(err, "enter the working directory '%s'", cwd);
    return 0;
}

/* The environment the process starts with: the spec's, plus HOME and HOSTNAME when unset. */
static char **process_env(char **env, const struct ctr_user *u, const char *hostname, int tty)
{
    char **out = NULL;

    ctr_env_set(&out, "PATH=" DEFAULT_PATH, NULL);
    for (char **p = env; p && *p; p++)
        ctr_env_set(&out, *p, NULL);
    if (env_get(out, "HOSTNAME") == NULL && hostname != NULL) {
        cleanup_free char *kv = xasprintf("HOSTNAME=%s", hostname);

        ctr_env_set(&out, kv, NULL);
    }
    if (env_get(out, "HOME") == NULL) {
        cleanup_free char *kv = xasprintf("HOME=%s", u->home ? u->home : "/");

        ctr_env_set(&out, kv, NULL);
    }
    if (tty && env_get(out, "TERM") == NULL)
        ctr_env_set(&out, "TERM=xterm", NULL);
    return out;
}

/*
 * --init: PID 1 stays ctr's code, a reaper that forwards every signal it can catch to the
 * process and exits with its status.  Returns in the forked process, which goes on to exec.
 */
static pid_t init_child = -1;

static void forward_signal(int sig)
{
    if (init_child > 0)
        kill(init_child, sig);
}

static void run_init(int sock, int init_fd)
{
    struct sigaction sa = {.sa_handler = forward_signal};
    sigset_t all, old;
    int status = 0;
    pid_t pid;

    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid = fork();
    if (pid < 0)
        child_fail_errno(sock, "fork the container's process under --init");
    if (pid == 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        return;
    }
    close(sock);
    init_child = pid;
    /*
     * Become ctr-init: a sealed in-memory copy of ctr-monitor, so that PID 1 is not a copy of
     * ctr whose /proc/1/exe would lead to ctr's binary (CVE-2019-5736).  Signals stay blocked
     * until it takes over.
     */
    if (init_fd >= 0) {
        char arg[16];
        char *argv[] = {(char *)"ctr-init", arg, NULL};
        char *envp[] = {NULL};

        snprintf(arg, sizeof(arg), "%d", (int)pid);
        syscall(SYS_execveat, init_fd, "", argv, envp, AT_EMPTY_PATH);
    }
    /* No copy to execute: this process reaps, hidden from the container. */
    sigfillset(&sa.sa_mask);
    for (int sig = 1; sig < SIGRTMAX; sig++)
        if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCHLD)
            sigaction(sig, &sa, NULL);
    prctl(PR_SET_NAME, "ctr-init");
    hide_self();
    sigprocmask(SIG_SETMASK, &old, NULL);
    for (;;) {
        int st;
        pid_t r = waitpid(-1, &st, 0);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        if (r == pid) {
            status = st;
            break;
        }
    }
    /* Leftover processes die with the namespace's init: us, now. */
    _exit(ctr_exit_code(status));
}

struct child_args {
    const struct ctr_start *start;
    int sock;
    int own_netns;
};

/* Whether namespace fd `fd` is our own namespace `name` ("net", "user"...). */
static int same_namespace(int fd, const char *name)
{
    char path[64];
    struct stat a, b;

    snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
           a.st_dev == b.st_dev;
}

/* Whether two namespace fds name the same namespace. */
static int same_ns_fds(int fd1, int fd2)
{
    struct stat a, b;

    return fstat(fd1, &a) == 0 && fstat(fd2, &b) == 0 && a.st_ino == b.st_ino &&
           a.st_dev == b.st_dev;
}

/*
 * The user namespace on the line from ours down to `userns` whose parent is ours: `userns`
 * itself or one of its ancestors (a new fd, O_CLOEXEC).  -1 with errno when `userns` is not
 * below ours (EPERM: ours, or outside it).  Its owner decides whether we hold capabilities in
 * `userns`: the kernel grants them to the owner of that namespace in its parent, us.
 */
static int top_userns(int userns)
{
    int cur = fcntl(userns, F_DUPFD_CLOEXEC, 3);

    /* The kernel nests user namespaces 32 deep at most. */
    for (int depth = 0; cur >= 0 && depth < 33; depth++) {
        int parent = ioctl(cur, NS_GET_PARENT);

        if (parent < 0) {
            int errnum = errno;

            close(cur);
            errno = errnum;
            return -1;
        }
        if (same_namespace(parent, "user")) {
            close(parent);
            return cur;
        }
        close(cur);
        cur = parent;
    }
    if (cur >= 0)
        close(cur);
    errno = ELOOP;
    return -1;
}

/* Reads the one byte that says our id maps are written; EOF means the parent gave up. */
static void await_maps(int fd)
{
    char byte;
    ssize_t n;

    do
        n = read(fd, &byte, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        _exit(125);
    /* Only now: the parent had to open our /proc/PID/uid_map as its owner. */
    hide_self();
}

static void send_warning(int sock, char *warning)
{
    struct msg m = {.kind = MSG_WARNING};

    if (warning == NULL)
        return;
    snprintf(m.text, sizeof(m.text), "%s", warning);
    send_msg(sock, &m, -1);
    free(warning);
}

/* From the root of the container's user namespace, with its root mounted at `root`: the
 * kernel's filesystems, the security mounts, pivot_root, then the process. */
static _Noreturn void finish_child(const struct child_args *a, const char *root, int mount_paths)
{
    const struct ctr_spec *spec = a->start->spec;
    cleanup_error struct ctr_error *e = NULL;
    struct ctr_user user = {0};
    struct ctr_bpf filter = {0};
    char **env;

    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
        child_fail_errno(a->sock, "become root in the container's user namespace");
    /* ctr's own umask (077) is not the container's: processes start with the usual 022. */
    umask(022);
    if (ctr_security_prepare(&spec->security, a->start->cache_dir, &filter, &e) < 0)
        child_fail(a->sock, CTR_START_SETUP, e, 125);
    if (!mount_paths) {
        /*
         * Nested: the root we inherited (our working directory) was copied from a more
         * privileged mount namespace, so it is locked and pivot_root refuses it.  A recursive
         * clone of it, attached on top, is our own.
         */
        int tree = open_tree(AT_FDCWD, ".", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);

        if (tree < 0 || move_mount(tree, "", AT_FDCWD, ".", MOVE_MOUNT_F_EMPTY_PATH) < 0 ||
            fchdir(tree) < 0)
            child_fail_errno(a->sock, "take over the container's root in its mount namespace");
        close(tree);
    }
    if (ctr_mount_kernel(root, spec, a->own_netns, &e) < 0 ||
        (mount_paths && ctr_mount_paths(root, &a->start->rootfs, spec, &e) < 0) ||
        ctr_mount_security(root, &spec->security, &e) < 0 || ctr_pivot_root(root, &e) < 0)
        child_fail(a->sock, CTR_START_SETUP, e, 125);
    if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0)
        child_fail_errno(a->sock, "set the hostname");
    if (resolve_user(spec->user, &user, &e) < 0 || enter_cwd(spec->cwd ? spec->cwd : "/", &e) < 0)
        child_fail(a->sock, CTR_START_SETUP, e, 125);
    if (setsid() < 0)
        child_fail_errno(a->sock, "start a session");
    if (spec->tty ? setup_pty(a->sock, &e) < 0 : setup_stdio(a->start->stdio, &e) < 0)
        child_fail(a->sock, CTR_START_SETUP, e, 125);
    env = process_env(spec->env, &user, spec->hostname, spec->tty);
    reset_signals();
    /* The --init reaper is confined like the process: it runs as the container's user. */
    if (ctr_security_apply(&spec->security, &filter, user.uid, become_user_cb, &user, &e) < 0)
        child_fail(a->sock, CTR_START_SETUP, e, 125);
    if (spec->init)
        run_init(a->sock, a->start->init_fd);
    exec_process(a->sock, spec->argv, env);
    exec_failed(a->sock, spec->argv[0]);
}

static void mount_rootfs(const struct child_args *a)
{
    cleanup_error struct ctr_error *e = NULL;
    char *warning = NULL;

    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        child_fail_errno(a->sock, "make the container's mounts private");
    if (ctr_mount_rootfs(&a->start->rootfs, &warning, &e) < 0)
        child_fail(a->sock, CTR_START_SETUP, e, 125);
    send_warning(a->sock, warning);
}

/* The usual case: one user namespace whose root is the user, who can reach the store. */
static _Noreturn void child_main(const struct child_args *a)
{
    if (a->start->kill_with_parent)
        prctl(PR_SET_PDEATHSIG, SIGKILL);
    await_maps(a->sock);
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
        child_fail_errno(a->sock, "become root in the container's user namespace");
    mount_rootfs(a);
    finish_child(a, a->start->rootfs.merged, 1);
}

/*
 * The end of a start in two steps (outer_main, joiner_main): reports the container's init
 * `pid` to ctr, waits until ctr has set up its network, then releases it through `go`.
 */
static _Noreturn void release_init(const struct child_args *a, pid_t pid, int go)
{
    struct msg m = {.kind = MSG_PID, .errnum = (int)pid};
    char byte;
    ssize_t n;

    send_msg(a->sock, &m, -1);
    do
        n = read(a->sock, &byte, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1) {
        kill(pid, SIGKILL);
        _exit(125);
    }
    if (write(go, "g", 1) != 1)
        child_fail_errno(a->sock, "release the container's process");
    _exit(0);
}

/*
 * From a root that can reach the user's store, in the mount namespace the container's will
 * copy (outer_main, joiner_main): mounts the root filesystem and the host's paths, and makes
 * the container's root our working directory, for finish_child(a, ".", 0) to take over.
 */
static void premount_root(const struct child_args *a)
{
    const struct ctr_start *start = a->start;
    cleanup_error struct ctr_error *e = NULL;

    mount_rootfs(a);
    if (ctr_mount_paths(start->rootfs.merged, &start->rootfs, start->spec, &e) < 0)
        child_fail(a->sock, CTR_START_SETUP, e, 125);
    if (chdir(start->rootfs.merged) < 0)
        child_fail_errno(a->sock, "enter the container's root");
}

/*
 * Makes the container's init with clone(`flags`) (outer_main, joiner_main), which returns twice
 * as fork() does: 0 in the init, once this process has released it (release_init()); the
 * init's pid here, with *ret_go the end of the pipe that releases it.  With kill_with_parent
 * the init gets SIGKILL when its parent, ctr, dies.
 */
static pid_t clone_init(const struct child_args *a, unsigned long flags, int *ret_go)
{
    int go[2];
    pid_t pid;

    if (pipe2(go, O_CLOEXEC) < 0)
        child_fail_errno(a->sock, "create a pipe");
    pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, 0);
    if (pid < 0)
        child_fail_errno(a->sock, "create the container's namespaces (clone)");
    if (pid == 0) {
        close(go[1]);
        if (a->start->kill_with_parent)
            prctl(PR_SET_PDEATHSIG, SIGKILL);
        await_maps(go[0]);
        return 0;
    }
    close(go[0]);
    *ret_go = go[1];
    return pid;
}

/*
 * A container whose root is not the user (--userns=keep-id or nomap, --uidmap): its root could
 * not reach the user's store (0700), so this process, root of the user's own namespace, mounts
 * the root filesystem and the host's paths, then makes the container's init in a user
 * namespace nested in its own, with the container's maps (in its own ids), as a sibling:
 * ctr's child.  The new mount namespace copies the mounts, and our working directory, the
 * container's root, becomes its working directory there.
 */
static _Noreturn void outer_main(const struct child_args *a)
{
    const struct ctr_start *start = a->start;
    cleanup_error struct ctr_error *e = NULL;
    unsigned long flags = CLONE_PARENT | CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS |
                          CLONE_NEWIPC | CLONE_NEWCGROUP | (a->own_netns ? CLONE_NEWNET : 0);
    int go;
    pid_t pid;

    await_maps(a->sock);
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
        child_fail_errno(a->sock, "become root in the user namespace");
    premount_root(a);
    /* The child inherits dumpability, and we must open its uid_map; it hides once mapped.  We
     * are outside the container's pid namespace: nothing in it can see us. */
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    pid = clone_init(a, flags, &go);
    if (pid == 0)
        finish_child(a, ".", 0);
    /* We are root of the parent namespace: any map within it is ours to write directly. */
    if (ctr_userns_write_maps(pid, start->inner_maps, &e) < 0) {
        kill(pid, SIGKILL);
        child_fail(a->sock, CTR_START_SETUP, e, 125);
    }
    release_init(a, pid, go);
}

/*
 * Joining the user namespace that owns the network namespace to join (--network container:,
 * or an ns: made in a user namespace of ours).  This process, ctr's child, still in ctr's
 * namespaces, joins them and makes the container's init in new mount, pid, uts, ipc and cgroup
 * namespaces (owned by the joined user namespace) as a sibling: ctr's child, as usual.  The
 * root filesystem is mounted by a root that can reach the user's store: the init mounts it
 * when the joined namespace's root is the user (its parent is ours); when it is nested (the
 * other container's root is not the user: --userns=keep-id...), this process mounts it first
 * from the nested namespace's parent, as outer_main() does, and the init takes it over.
 */
static _Noreturn void joiner_main(const struct child_args *a)
{
    const struct ctr_start *start = a->start;
    const unsigned long flags = CLONE_PARENT | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS |
                                CLONE_NEWIPC | CLONE_NEWCGROUP;
    int top, premounted, go;
    pid_t pid;

    await_maps(a->sock);
    top = top_userns(start->join_userns_fd);
    if (top < 0)
        child_fail_errno(a->sock, "find the user namespace to mount the container's root in");
    premounted = !same_ns_fds(top, start->join_userns_fd);
    if (premounted) {
        if (setns(top, CLONE_NEWUSER) < 0)
            child_fail_errno(a->sock, "join the user namespace to mount the container's root in");
        if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
            child_fail_errno(a->sock, "become root in the user namespace");
        if (unshare(CLONE_NEWNS) < 0)
            child_fail_errno(a->sock, "create a mount namespace");
        premount_root(a);
    }
    close(top);
    if (setns(start->join_userns_fd, CLONE_NEWUSER) < 0)
        child_fail_errno(a->sock, "join the user namespace of the network namespace");
    if (setns(start->join_netns_fd, CLONE_NEWNET) < 0)
        child_fail_errno(a->sock, "join the network namespace");
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
        child_fail_errno(a->sock, "become root in the joined user namespace");
    pid = clone_init(a, flags, &go);
    if (pid == 0) {
        if (premounted)
            finish_child(a, ".", 0);
        mount_rootfs(a);
        finish_child(a, start->rootfs.merged, 1);
    }
    release_init(a, pid, go);
}

enum ctr_start_failure ctr_start_failure_of(const struct ctr_error *err)
{
    if (err != NULL && err->code == ENOENT)
        return CTR_START_NOT_FOUND;
    if (err != NULL && err->code == EACCES)
        return CTR_START_CANNOT_INVOKE;
    return CTR_START_SETUP;
}

int ctr_exit_code(int status)
{
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

/*
 * The parent's side after the child exists: reads its reports until EOF.  Returns 0 when the
 * process was executed.
 */
static int await_child(int sock, pid_t *pid, const struct ctr_start *start, int *ret_pty,
                       struct ctr_error **err)
{
    void (*warn)(void *, const char *) = start ? start->warn : NULL;
    void *warn_arg = start ? start->warn_arg : NULL;
    cleanup_close int pty = -1;
    int ready = 0;

    for (;;) {
        struct msg m;
        int fd, r = recv_msg(sock, &m, &fd);

        if (r < 0)
            return ctr_error_errno(err, "read the container's start report");
        if (r == 0)
            break;
        if (m.kind == MSG_PTY && fd >= 0) {
            if (pty >= 0)
                close(pty);
            pty = fd;
        } else if (fd >= 0) {
            close(fd);
        }
        if (m.kind == MSG_READY)
            ready = 1;
        if (m.kind == MSG_PID) {
            *pid = (pid_t)m.errnum;
            /* Nested or joining: the process that made the init waits for the network
             * before it releases it. */
            if (start != NULL && (start->inner_maps != NULL || start->join_userns_fd >= 0)) {
                if (start->network != NULL && start->network(start->network_arg, *pid, err) < 0)
                    return -1;
                if (write(sock, "n", 1) != 1)
                    return ctr_error_errno(err, "release the container's process");
            }
        }
        if (m.kind == MSG_WARNING && warn != NULL)
            warn(warn_arg, m.text);
        if (m.kind == MSG_ERROR)
            return ctr_error_set(err, m.errnum ? m.errnum : EIO, "%s", m.text);
    }
    if (!ready) {
        int status = *pid > 0 ? ctr_waitpid(*pid) : -1;

        return ctr_error_set(err, ECHILD,
                             "the container's setup process died (wait status %d) before it "
                             "could report",
                             status);
    }
    *ret_pty = steal_fd(&pty);
    return 0;
}

/*
 * Whether we hold CAP_SYS_ADMIN in our own user namespace (root does): setns() into a network
 * namespace checks it in the namespace's owner.
 */
static int have_cap_sys_admin(void)
{
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

    memset(d, 0, sizeof(d));
    if (syscall(SYS_capget, &h, d) < 0)
        return 0;
    return (d[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective & CAP_TO_MASK(CAP_SYS_ADMIN)) != 0;
}

/* " mount", " user"...: for "a mount namespace". */
static const char *ns_type_name(int type)
{
    switch (type) {
    case CLONE_NEWNS:
        return " mount";
    case CLONE_NEWUSER:
        return " user";
    case CLONE_NEWPID:
        return " pid";
    case CLONE_NEWUTS:
        return " UTS";
    case CLONE_NEWIPC:
        return "n IPC";
    case CLONE_NEWCGROUP:
        return " cgroup";
#ifdef CLONE_NEWTIME
    case CLONE_NEWTIME:
        return " time";
#endif
    default:
        return "nother";
    }
}

void ctr_netns_clear(struct ctr_netns *n)
{
    if (n->netns_fd >= 0)
        close(n->netns_fd);
    if (n->userns_fd >= 0)
        close(n->userns_fd);
    n->netns_fd = n->userns_fd = -1;
}

int ctr_netns_open(const char *path, struct ctr_netns *ret, struct ctr_error **err)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    cleanup_close int owner = -1;
    cleanup_close int top = -1;
    uid_t owner_uid;
    int type;

    if (fd < 0)
        return ctr_error_errno(err, "open the network namespace '%s'", path);
    type = ioctl(fd, NS_GET_NSTYPE);
    if (type < 0 && (errno == ENOTTY || errno == EINVAL))
        return ctr_error_set(err, EINVAL, "'%s' is not a network namespace", path);
    if (type < 0)
        return ctr_error_errno(err, "find the namespace type of '%s'", path);
    if (type != CLONE_NEWNET)
        return ctr_error_set(err, EINVAL, "'%s' is a%s namespace, not a network namespace", path,
                             ns_type_name(type));
    if (same_namespace(fd, "net")) {
        *ret = (struct ctr_netns){.netns_fd = steal_fd(&fd), .userns_fd = -1};
        return 0;
    }
    owner = ioctl(fd, NS_GET_USERNS);
    if (owner < 0 && errno == EPERM)
        return ctr_error_set(err, EPERM,
                             "the network namespace '%s' belongs to a user namespace outside "
                             "yours: it cannot be joined",
                             path);
    if (owner < 0)
        return ctr_error_errno(err, "find the user namespace that owns '%s'", path);
    if (same_namespace(owner, "user")) {
        if (!have_cap_sys_admin())
            return ctr_error_set(err, EPERM,
                                 "joining the network namespace '%s' is not permitted: it "
                                 "belongs to your own user namespace, where that takes "
                                 "CAP_SYS_ADMIN (root); without it, join one made in a user "
                                 "namespace of yours, such as a container's",
                                 path);
        *ret = (struct ctr_netns){.netns_fd = steal_fd(&fd), .userns_fd = -1};
        return 0;
    }
    top = top_userns(owner);
    if (top < 0)
        return ctr_error_errno(err, "find the user namespace that owns '%s'", path);
    if (ioctl(top, NS_GET_OWNER_UID, &owner_uid) < 0)
        return ctr_error_errno(err, "find the owner of the user namespace of '%s'", path);
    if (owner_uid != geteuid() && !have_cap_sys_admin())
        return ctr_error_set(err, EPERM,
                             "joining the network namespace '%s' is not permitted: its user "
                             "namespace belongs to uid %u",
                             path, (unsigned)owner_uid);
    *ret = (struct ctr_netns){.netns_fd = steal_fd(&fd), .userns_fd = steal_fd(&owner)};
    return 0;
}

int ctr_container_start(const struct ctr_start *start, pid_t *ret_pid, int *ret_pty,
                        struct ctr_error **err)
{
    int joining = start->join_userns_fd >= 0;
    int nested = start->inner_maps != NULL;
    int host_netns = (start->spec->network != NULL && strcmp(start->spec->network, "host") == 0) ||
                     (start->join_netns_fd >= 0 && same_namespace(start->join_netns_fd, "net"));
    /* A network namespace our user namespace owns is joined here, and the child inherits it. */
    int enter_netns = start->join_netns_fd >= 0 && !joining && !host_netns;
    /* The container's user namespace owns its network namespace (so it may mount sysfs). */
    int own_netns = joining || (start->join_netns_fd < 0 && !host_netns);
    unsigned long flags = joining  ? 0
                          : nested ? CLONE_NEWUSER | CLONE_NEWNS
                                   : CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS |
                                             CLONE_NEWIPC | CLONE_NEWCGROUP |
                                             (own_netns ? CLONE_NEWNET : 0);
    pid_t outer = -1;
    cleanup_close int parent_sock = -1;
    cleanup_close int saved_netns = -1;
    int sv[2], pty = -1, errnum;
    pid_t pid;

    if (joining && (nested || start->join_netns_fd < 0))
        return ctr_error_set(err, EINVAL,
                             "a container that joins a user namespace has no id maps of its own "
                             "and must join its network namespace");
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return ctr_error_errno(err, "create the start channel");
    parent_sock = sv[0];
    if (enter_netns) {
        saved_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (saved_netns < 0 || setns(start->join_netns_fd, CLONE_NEWNET) < 0) {
            ctr_error_errno(err, "join the network namespace");
            close(sv[1]);
            return -1;
        }
    }
    /* Like fork(), with the namespaces: the child runs on a copy of our stack. */
    pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
    errnum = errno;
    if (pid == 0) {
        struct child_args a = {start, sv[1], own_netns};

        close(parent_sock);
        if (saved_netns >= 0)
            close(saved_netns);
        if (joining)
            joiner_main(&a);
        if (nested)
            outer_main(&a);
        child_main(&a);
    }
    close(sv[1]);
    /* Back to our own: we could leave it, so we may return (CAP_SYS_ADMIN over both). */
    if (saved_netns >= 0 && setns(saved_netns, CLONE_NEWNET) < 0) {
        ctr_error_errno(err, "return to ctr's own network namespace");
        if (pid < 0)
            return -1;
        goto fail;
    }
    if (pid < 0)
        return ctr_error_errnum(err, errnum, "create the container's namespaces (clone)");
    if (!joining && ctr_userns_write_maps(pid, start->maps, err) < 0)
        goto fail;
    if (!nested && !joining && start->network != NULL &&
        start->network(start->network_arg, pid, err) < 0)
        goto fail;
    if (write(parent_sock, "g", 1) != 1) {
        ctr_error_errno(err, "release the container's process");
        goto fail;
    }
    if (nested || joining)
        outer = pid;
    if (await_child(parent_sock, &pid, start, &pty, err) < 0)
        goto fail;
    if (outer > 0) {
        /* The outer process only made the container: it has exited, the init is `pid`. */
        ctr_waitpid(outer);
        if (pid == outer) {
            ctr_error_set(err, ECHILD, "the container's init was not reported");
            goto fail;
        }
    }
    *ret_pid = pid;
    *ret_pty = pty;
    return 0;

fail:
    kill(pid, SIGKILL);
    ctr_waitpid(pid);
    if (outer > 0 && outer != pid) {
        kill(outer, SIGKILL);
        ctr_waitpid(outer);
    }
    return -1;
}

/* ctr exec */

static const struct {
    const char *name;
    int type;
} exec_namespaces[] = {
        /* The user namespace first: joining it gives the privileges to join the others. */
        {"user", CLONE_NEWUSER},     {"mnt", CLONE_NEWNS},  {"pid", CLONE_NEWPID},
        {"uts", CLONE_NEWUTS},       {"ipc", CLONE_NEWIPC}, {"net", CLONE_NEWNET},
        {"cgroup", CLONE_NEWCGROUP},
};

#define N_EXEC_NS (sizeof(exec_namespaces) / sizeof(exec_namespaces[0]))

struct exec_args {
    const struct ctr_exec *x;
    int *nsfd;
    int sock;
};

static _Noreturn void exec_child(const struct exec_args *a)
{
    const struct ctr_exec *x = a->x;
    cleanup_error struct ctr_error *e = NULL;
    struct ctr_user user = {0};
    struct ctr_bpf filter = {0};
    char **env;

    hide_self();
    umask(022);
    if (resolve_user(x->user, &user, &e) < 0 || enter_cwd(x->cwd ? x->cwd : "/", &e) < 0)
        child_fail(a->sock, CTR_START_SETUP, e, 125);
    if (setsid() < 0)
        child_fail_errno(a->sock, "start a session");
    if (x->tty ? setup_pty(a->sock, &e) < 0 : setup_stdio(x->stdio, &e) < 0)
        child_fail(a->sock, CTR_START_SETUP, e, 125);
    env = process_env(x->env, &user, x->hostname, x->tty);
    reset_signals();
    if (ctr_security_prepare(x->security, x->cache_dir, &filter, &e) < 0 ||
        ctr_security_apply(x->security, &filter, user.uid, become_user_cb, &user, &e) < 0)
        child_fail(a->sock, CTR_START_SETUP, e, 125);
    exec_process(a->sock, x->argv, env);
}

/*
 * The intermediate process: joins the namespaces, then makes the process that runs in them
 * (a pid namespace is entered by the children of whoever joined it) as a sibling, our
 * parent's child, so that ctr exec can wait for it; then exits.
 */
static _Noreturn void exec_joiner(const struct exec_args *a)
{
    struct msg m = {.kind = MSG_PID};
    pid_t pid;

    for (size_t i = 0; i < N_EXEC_NS; i++)
        if (a->nsfd[i] >= 0 && setns(a->nsfd[i], exec_namespaces[i].type) < 0) {
            char what[64];

            snprintf(what, sizeof(what), "join the container's %s namespace",
                     exec_namespaces[i].name);
            child_fail_errno(a->sock, what);
        }
    for (size_t i = 0; i < N_EXEC_NS; i++)
        if (a->nsfd[i] >= 0)
            close(a->nsfd[i]);
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
        child_fail_errno(a->sock, "become root in the container's user namespace");
    pid = (pid_t)syscall(SYS_clone, CLONE_PARENT, NULL, NULL, NULL, 0);
    if (pid < 0)
        child_fail_errno(a->sock, "start the process in the container");
    if (pid == 0)
        exec_child(a);
    m.errnum = (int)pid;
    send_msg(a->sock, &m, -1);
    _exit(0);
}

int ctr_container_exec(const struct ctr_exec *x, pid_t *ret_pid, int *ret_pty,
                       struct ctr_error **err)
{
    int nsfd[N_EXEC_NS];
    cleanup_close int parent_sock = -1;
    int sv[2], pty = -1, r = -1;
    pid_t joiner = -1, pid = -1;

    for (size_t i = 0; i < N_EXEC_NS; i++)
        nsfd[i] = -1;
    for (size_t i = 0; i < N_EXEC_NS; i++) {
        char path[64];

        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)x->pid, exec_namespaces[i].name);
        nsfd[i] = open(path, O_RDONLY | O_CLOEXEC);
        if (nsfd[i] < 0) {
            ctr_error_errno(err, "open the container's %s namespace", exec_namespaces[i].name);
            goto out;
        }
        if (same_namespace(nsfd[i], exec_namespaces[i].name)) {
            close(nsfd[i]);
            nsfd[i] = -1;
        }
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        ctr_error_errno(err, "create the start channel");
        goto out;
    }
    parent_sock = sv[0];
    joiner = fork();
    if (joiner < 0) {
        ctr_error_errno(err, "fork");
        close(sv[1]);
        goto out;
    }
    if (joiner == 0) {
        struct exec_args a = {x, nsfd, sv[1]};

        close(parent_sock);
        exec_joiner(&a);
    }
    close(sv[1]);
    /* The joiner reports the pid of the process (MSG_PID), the process the rest. */
    if (await_child(parent_sock, &pid, NULL, &pty, err) < 0) {
        if (pid > 0) {
            kill(pid, SIGKILL);
            ctr_waitpid(pid);
        }
        goto out;
    }
    if (pid <= 0) {
        ctr_error_set(err, ECHILD, "the process joining the container did not report");
        goto out;
    }
    *ret_pid = pid;
    *ret_pty = pty;
    r = 0;
out:
    if (joiner > 0)
        ctr_waitpid(joiner);
    for (size_t i = 0; i < N_EXEC_NS; i++)
        if (nsfd[i] >= 0)
            close(nsfd[i]);
    return r;
}
