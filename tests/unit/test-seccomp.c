/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The filters are loaded for real, in a forked child after PR_SET_NO_NEW_PRIVS, and judged by
 * what syscalls answer there.  Refused syscalls are called with arguments the kernel itself
 * would reject with another errno (or that would do nothing harmful), so EPERM can only come
 * from the filter, and a filter that lets one through does no damage to the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "scmp.h"
#include "unit.h"
#include "xalloc.h"

#define CAPBIT(c) (UINT64_C(1) << (c))

/* ---- running code under a filter ---- */

static char child_msg[512];

/* In the filtered child: `expr` must fail with errno `e`. */
#define EXPECT_ERRNO(expr, e)                                                                   \
    do {                                                                                        \
        long r_;                                                                                \
        errno = 0;                                                                              \
        r_ = (long)(expr);                                                                      \
        if (r_ == 0 && getpid() != self)                                                        \
            _exit(0); /* a clone the filter should have refused: the copy just leaves */        \
        if (r_ != -1 || errno != (e)) {                                                         \
            snprintf(child_msg, sizeof(child_msg),                                              \
                     "%s:%d: %s returned %ld, errno %d (%s), expected errno %d (%s)", __FILE__, \
                     __LINE__, #expr, r_, errno, strerror(errno), (e), strerror(e));            \
            return child_msg;                                                                   \
        }                                                                                       \
    } while (0)

/* In the filtered child: `expr` must not fail with errno `e` (it may succeed). */
#define EXPECT_NOT_ERRNO(expr, e)                                                                  \
    do {                                                                                           \
        long r_;                                                                                   \
        errno = 0;                                                                                 \
        r_ = (long)(expr);                                                                         \
        if (r_ == -1 && errno == (e)) {                                                            \
            snprintf(child_msg, sizeof(child_msg), "%s:%d: %s failed with %s", __FILE__, __LINE__, \
                     #expr, strerror(errno));                                                      \
            return child_msg;                                                                      \
        }                                                                                          \
    } while (0)

/* In the filtered child: `expr` must succeed (return something other than -1). */
#define EXPECT_OK(expr)                                                                        \
    do {                                                                                       \
        long r_;                                                                               \
        errno = 0;                                                                             \
        r_ = (long)(expr);                                                                     \
        if (r_ == -1) {                                                                        \
            snprintf(child_msg, sizeof(child_msg), "%s:%d: %s failed: %s", __FILE__, __LINE__, \
                     #expr, strerror(errno));                                                  \
            return child_msg;                                                                  \
        }                                                                                      \
    } while (0)

static pid_t self;

/*
 * Loads `ctx` in a child and runs `fn` there: NULL from `fn` is success, a string the failure.
 * A kernel without seccomp filters skips the test.
 */
static void run_filtered(scmp_filter_ctx ctx, const char *(*fn)(void))
{
    char msg[sizeof(child_msg)] = "";
    int fds[2], status, rc;
    ssize_t n = 0;
    pid_t pid;

    ASSERT_INT_EQ(pipe2(fds, O_CLOEXEC), 0);
    fflush(NULL);
    pid = fork();
    ASSERT_TRUE(pid >= 0);
    if (pid == 0) {
        const char *fail = NULL;
        int code = 1;

        close(fds[0]);
        self = getpid();
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
            fail = "prctl(PR_SET_NO_NEW_PRIVS) failed";
        } else if ((rc = seccomp_load(ctx)) < 0) {
            snprintf(child_msg, sizeof(child_msg), "seccomp_load: %s", strerror(-rc));
            fail = child_msg;
            code = rc == -EINVAL || rc == -ENOSYS ? 77 : 1;
        } else {
            fail = fn();
        }
        if (fail != NULL && write(fds[1], fail, strlen(fail)) < 0)
            code = 2;
        _exit(fail == NULL ? 0 : code);
    }
    close(fds[1]);
    while (n < (ssize_t)sizeof(msg) - 1) {
        ssize_t r = read(fds[0], msg + n, sizeof(msg) - 1 - (size_t)n);

        if (r <= 0)
            break;
        n += r;
    }
    msg[n] = '\0';
    close(fds[0]);
    ASSERT_INT_EQ(waitpid(pid, &status, 0), pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
        unit_skip(msg);
    if (WIFSIGNALED(status))
        UNIT_FAIL("the filtered child was killed by signal %d", WTERMSIG(status));
    if (WEXITSTATUS(status) != 0)
        UNIT_FAIL("in the filtered child: %s", msg);
}

/* Runs argv under the filter and returns its exit status (-1 when killed). */
static int exec_filtered(scmp_filter_ctx ctx, char *const argv[])
{
    int status;
    pid_t pid;

    fflush(NULL);
    pid = fork();
    ASSERT_TRUE(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

        if (devnull >= 0)
            dup2(devnull, STDOUT_FILENO);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_load(ctx) < 0)
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    ASSERT_INT_EQ(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static scmp_filter_ctx default_filter(uint64_t caps)
{
    cleanup_error struct ctr_error *err = NULL;
    scmp_filter_ctx ctx = NULL;

    ASSERT_OK(ctr_seccomp_default(caps, &ctx, &err), &err);
    ASSERT_TRUE(ctx != NULL);
    return ctx;
}

static scmp_filter_ctx json_filter(const char *json, uint64_t caps)
{
    cleanup_error struct ctr_error *err = NULL;
    scmp_filter_ctx ctx = NULL;

    ASSERT_OK(ctr_seccomp_from_json(json, strlen(json), "test.json", caps, &ctx, &err), &err);
    ASSERT_TRUE(ctx != NULL);
    return ctx;
}

/* The filter as libseccomp's pseudo-code, for looking at what rules it holds. */
static char *pfc_text(scmp_filter_ctx ctx)
{
    cleanup_close int fd = memfd_create("pfc", MFD_CLOEXEC);
    struct stat st;
    char *text;

    ASSERT_TRUE(fd >= 0);
    ASSERT_INT_EQ(seccomp_export_pfc(ctx, fd), 0);
    ASSERT_INT_EQ(fstat(fd, &st), 0);
    text = xzalloc((size_t)st.st_size + 1);
    ASSERT_INT_EQ(pread(fd, text, (size_t)st.st_size, 0), st.st_size);
    return text;
}

static bool has_rule(scmp_filter_ctx ctx, const char *name)
{
    cleanup_free char *text = pfc_text(ctx);
    cleanup_free char *needle = xasprintf("# filter for syscall \"%s\"", name);

    return strstr(text, needle) != NULL;
}

/* ---- the default profile ---- */

TEST(default_name)
{
    ASSERT_STR_EQ(ctr_seccomp_default_name(), "builtin:default");
}

static const char *refused_by_default(void)
{
    uint64_t clone_args[8] = {0}; /* struct clone_args as of Linux 5.3: flags first */

    /* Each would fail differently without the filter: EPERM comes from it. */
    EXPECT_ERRNO(syscall(SYS_keyctl, 9999, 0, 0, 0, 0), EPERM);
    EXPECT_ERRNO(syscall(SYS_add_key, NULL, NULL, NULL, 0, 0), EPERM);
    EXPECT_ERRNO(syscall(SYS_request_key, NULL, NULL, NULL, 0), EPERM);
    EXPECT_ERRNO(unshare(CLONE_NEWUSER), EPERM);
    EXPECT_ERRNO(unshare(0x1), EPERM);
    EXPECT_ERRNO(setns(-1, 0), EPERM);
    EXPECT_ERRNO(syscall(SYS_mount, NULL, "/nonexistent-ctr-test", NULL, 0, NULL), EPERM);
    EXPECT_ERRNO(syscall(SYS_umount2, "/nonexistent-ctr-test", 0), EPERM);
    EXPECT_ERRNO(syscall(SYS_pivot_root, "/nonexistent-ctr-a", "/nonexistent-ctr-b"), EPERM);
    EXPECT_ERRNO(syscall(SYS_bpf, -1, NULL, 0), EPERM);
    EXPECT_ERRNO(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0), EPERM);
    EXPECT_ERRNO(syscall(SYS_userfaultfd, ~0), EPERM);
    EXPECT_ERRNO(syscall(SYS_finit_module, -1, "", 0), EPERM);
    EXPECT_ERRNO(syscall(SYS_open_by_handle_at, -1, NULL, 0), EPERM);
    EXPECT_ERRNO(syscall(SYS_syslog, 9999, NULL, 0), EPERM);
    EXPECT_ERRNO(syscall(SYS_acct, "/nonexistent-ctr-test/x"), EPERM);
    EXPECT_ERRNO(syscall(SYS_clock_settime, CLOCK_MONOTONIC, NULL), EPERM);
    EXPECT_ERRNO(syscall(SYS_reboot, 0, 0, 0, NULL), EPERM);
    EXPECT_ERRNO(syscall(SYS_swapoff, "/nonexistent-ctr-test"), EPERM);
    EXPECT_ERRNO(syscall(SYS_get_mempolicy, NULL, NULL, 0, NULL, ~0UL), EPERM);
    EXPECT_ERRNO(syscall(SYS_kcmp, getpid(), getpid(), 9999, 0, 0), EPERM);
    EXPECT_ERRNO(syscall(SYS_io_uring_setup, 0, NULL), EPERM);
    EXPECT_ERRNO(syscall(SYS_chroot, "/nonexistent-ctr-test"), EPERM);
#ifdef SYS_iopl
    EXPECT_ERRNO(syscall(SYS_iopl, 99), EPERM);
#endif
    /* Arguments: namespace flags to clone, odd personalities, AF_VSOCK. */
    EXPECT_ERRNO(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL), EPERM);
    EXPECT_ERRNO(syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, NULL, NULL, NULL, NULL), EPERM);
    EXPECT_ERRNO(personality(ADDR_NO_RANDOMIZE), EPERM);
    EXPECT_ERRNO(personality(READ_IMPLIES_EXEC), EPERM);
    EXPECT_ERRNO(socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0), EPERM);
    /* clone3 answers ENOSYS, whatever its arguments, so libcs use clone. */
    EXPECT_ERRNO(syscall(SYS_clone3, NULL, 0), ENOSYS);
    clone_args[0] = CLONE_NEWUSER;
    clone_args[4] = SIGCHLD;
    EXPECT_ERRNO(syscall(SYS_clone3, clone_args, sizeof(clone_args)), ENOSYS);
    return NULL;
}

TEST(default_refuses)
{
    cleanup_with(seccomp_releasep) scmp_filter_ctx ctx = default_filter(0);

    run_filtered(ctx, refused_by_default);
}

static void *thread_main(void *arg)
{
    return arg;
}

static const char *allowed_by_default(void)
{
    struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC};
    struct epoll_event ev;
    struct timespec zero = {0, 0};
    struct statx stx;
    char buf[16];
    pthread_t t;
    void *out = NULL;
    int fd, ep, status;
    pid_t pid;

    EXPECT_OK(getpid());
    EXPECT_OK(syscall(SYS_getppid));
    EXPECT_OK(personality(0xffffffff));
    EXPECT_OK(personality(PER_LINUX));
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_OK(fd);
    close(fd);
    /* The kernel may lack IPv4 or IPv6, but the filter must not be the one saying no. */
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    EXPECT_NOT_ERRNO(fd, EPERM);
    if (fd >= 0)
        close(fd);
    fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    EXPECT_NOT_ERRNO(fd, EPERM);
    if (fd >= 0)
        close(fd);
    /* The newer syscalls libcs use when the kernel has them. */
    EXPECT_OK(statx(AT_FDCWD, "/", 0, STATX_BASIC_STATS, &stx));
    fd = (int)syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));
    EXPECT_NOT_ERRNO(fd, EPERM);
    if (fd >= 0)
        close(fd);
    EXPECT_NOT_ERRNO(syscall(SYS_faccessat2, AT_FDCWD, "/", F_OK, 0), EPERM);
    EXPECT_NOT_ERRNO(syscall(SYS_close_range, 1000, 1001, 0), EPERM);
    EXPECT_NOT_ERRNO(syscall(SYS_rseq, NULL, 0, 0, 0), EPERM);
    EXPECT_NOT_ERRNO(syscall(SYS_getrandom, buf, sizeof(buf), 0), EPERM);
    ep = epoll_create1(EPOLL_CLOEXEC);
    EXPECT_OK(ep);
    EXPECT_NOT_ERRNO(syscall(SYS_epoll_pwait2, ep, &ev, 1, &zero, NULL, 0), EPERM);
    close(ep);
    EXPECT_OK(prctl(PR_SET_NAME, "filtered", 0, 0, 0));
    /* fork() is clone() without namespace flags; threads go through clone3's fallback. */
    pid = fork();
    EXPECT_OK(pid);
    if (pid == 0)
        _exit(7);
    EXPECT_OK(waitpid(pid, &status, 0));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 7)
        return "the forked child did not exit with 7";
    if (pthread_create(&t, NULL, thread_main, buf) != 0)
        return "pthread_create failed under the filter";
    pthread_join(t, &out);
    if (out != buf)
        return "the thread did not return its argument";
    return NULL;
}

TEST(default_allows_ordinary)
{
    cleanup_with(seccomp_releasep) scmp_filter_ctx ctx = default_filter(0);

    run_filtered(ctx, allowed_by_default);
}

TEST(default_execs_programs)
{
    cleanup_with(seccomp_releasep) scmp_filter_ctx ctx = default_filter(0);
    char *const true_argv[] = {(char *)"/bin/true", NULL};
    char *const sh_argv[] = {
            (char *)"/bin/sh", (char *)"-c",
            (char *)"ls -la / | wc -l && id && date && cat /etc/passwd | sort | head -n 1 && "
                    "grep -q '^Seccomp:[[:space:]]*2' /proc/self/status",
            NULL};

    if (access("/bin/true", X_OK) < 0 || access("/bin/sh", X_OK) < 0)
        unit_skip("no /bin/true or /bin/sh");
    ASSERT_INT_EQ(exec_filtered(ctx, true_argv), 0);
    ASSERT_INT_EQ(exec_filtered(ctx, sh_argv), 0);
}

static const char *unknown_numbers_enosys(void)
{
    /* Past every syscall of today's kernels; libseccomp cannot name it either. */
    EXPECT_ERRNO(syscall(511, 0, 0, 0, 0, 0), ENOSYS);
    return NULL;
}

TEST(default_unknown_numbers_enosys)
{
    cleanup_with(seccomp_releasep) scmp_filter_ctx ctx = default_filter(0);
    char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, 511);
    uint32_t native = seccomp_arch_native();

    if (name != NULL || (native != SCMP_ARCH_X86_64 && native != SCMP_ARCH_AARCH64)) {
        free(name);
        unit_skip("syscall 511 is known here, or the numbers are not the generic ones");
    }
    run_filtered(ctx, unknown_numbers_enosys);
}

static const char *admin_allowed(void)
{
    /* Now the kernel answers: EINVAL for a bad flag, EBADF for a bad fd. */
    EXPECT_ERRNO(unshare(0x1), EINVAL);
    EXPECT_ERRNO(setns(-1, 0), EBADF);
    EXPECT_NOT_ERRNO(syscall(SYS_clone3, NULL, 0), ENOSYS);
    EXPECT_NOT_ERRNO(syscall(SYS_umount2, "/nonexistent-ctr-test", 0), EPERM);
    return NULL;
}

TEST(default_cap_sys_admin_unlocks_namespaces)
{
    cleanup_with(seccomp_releasep) scmp_filter_ctx ctx = default_filter(CAPBIT(CAP_SYS_ADMIN));

    run_filtered(ctx, admin_allowed);
}

static const char *caps_allowed(void)
{
    EXPECT_NOT_ERRNO(syscall(SYS_kcmp, getpid(), getpid(), 9999, 0, 0), EPERM);
    EXPECT_ERRNO(syscall(SYS_chroot, "/nonexistent-ctr-test"), ENOENT);
    EXPECT_NOT_ERRNO(syscall(SYS_clock_settime, CLOCK_MONOTONIC, NULL), EPERM);
    /* Still refused: these need CAP_SYS_ADMIN. */
    EXPECT_ERRNO(setns(-1, 0), EPERM);
    EXPECT_ERRNO(syscall(SYS_clone3, NULL, 0), ENOSYS);
    return NULL;
}

TEST(default_caps_unlock_their_syscalls)
{
    uint64_t caps = CAPBIT(CAP_SYS_PTRACE) | CAPBIT(CAP_SYS_CHROOT) | CAPBIT(CAP_SYS_TIME);
    cleanup_with(seccomp_releasep) scmp_filter_ctx ctx = default_filter(caps);

    run_filtered(ctx, caps_allowed);
}

TEST(default_covers_compat_arches)
{
    cleanup_with(seccomp_releasep) scmp_filter_ctx ctx = default_filter(0);
    cleanup_close int fd = memfd_create("bpf", MFD_CLOEXEC);
    uint32_t native = seccomp_arch_native();
    struct stat st;

    ASSERT_INT_EQ(seccomp_arch_exist(ctx, SCMP_ARCH_NATIVE), 0);
    if (native == SCMP_ARCH_X86_64) {
        ASSERT_INT_EQ(seccomp_arch_exist(ctx, SCMP_ARCH_X86), 0);
        ASSERT_INT_EQ(seccomp_arch_exist(ctx, SCMP_ARCH_X32), 0);
    } else if (native == SCMP_ARCH_AARCH64) {
        ASSERT_INT_EQ(seccomp_arch_exist(ctx, SCMP_ARCH_ARM), 0);
    }
    /* The kernel takes at most 4096 instructions (BPF_MAXINSNS) of 8 bytes each. */
    ASSERT_TRUE(fd >= 0);
    ASSERT_INT_EQ(seccomp_export_bpf(ctx, fd), 0);
    ASSERT_INT_EQ(fstat(fd, &st), 0);
    ASSERT_TRUE(st.st_size > 0 && st.st_size / 8 < 4096);
}

TEST(default_is_the_same_each_time)
{
    cleanup_with(seccomp_releasep) scmp_filter_ctx a = default_filter(0);
    cleanup_with(seccomp_releasep) scmp_filter_ctx b = default_filter(0);
    cleanup_with(seccomp_releasep) scmp_filter_ctx c = default_filter(CAPBIT(CAP_SYS_ADMIN));
    cleanup_free char *ta = pfc_text(a);
    cleanup_free char *tb = pfc_text(b);
    cleanup_free char *tc = pfc_text(c);

    ASSERT_STR_EQ(ta, tb);
    ASSERT_TRUE(strcmp(ta, tc) != 0);
    ASSERT_TRUE(has_rule(a, "read"));
    ASSERT_TRUE(has_rule(a, "execve"));
    ASSERT_TRUE(!has_rule(a, "mount"));
    ASSERT_TRUE(has_rule(c, "mount"));
}

/* ---- JSON profiles ---- */

static const char *socket_refused(void)
{
    EXPECT_ERRNO(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), EPERM);
    EXPECT_OK(getpid());
    EXPECT_OK(syscall(SYS_getppid));
    return NULL;
}

TEST(json_allow_by_default_refuse_socket)
{
    cleanup_with(seccomp_releasep) scmp_filter_ctx ctx =
            json_filter("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                        "{\"names\": [\"socket\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
                        0);

    run_filtered(ctx, socket_refused);
}

static const char *errno_ret_honoured(void)
{
    EXPECT_ERRNO(syscall(SYS_getppid), EACCES);
    EXPECT_ERRNO(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), EPERM);
    EXPECT_OK(getpid());
    return NULL;
}

TEST(json_errno_ret)
{
    cleanup_with(seccomp_releasep) scmp_filter_ctx ctx = json_filter(
            "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
            "{\"name\": \"getppid\", \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13},"
            "{\"names\": [\"socket\"], \"action\": \"SCMP_ACT_ERRNO\", \"comment\": \"none\"}]}",
            0);
    cleanup_with(seccomp_releasep) scmp_filter_ctx def = json_filter(
            "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38, \"syscalls\": ["
            "{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
            0);
    uint32_t action = 0;

    run_filtered(ctx, errno_ret_honoured);
    ASSERT_INT_EQ(seccomp_attr_get(def, SCMP_FLTATR_ACT_DEFAULT, &action), 0);
    ASSERT_UINT_EQ(action, SCMP_ACT_ERRNO(ENOSYS));
}

static const char *args_filtered(void)
{
    int fd;

    /* personality: 8 and 0x20000 refused (two conditions on one argument: either), 0 not. */
    EXPECT_ERRNO(personality(PER_LINUX32), EINVAL);
    EXPECT_ERRNO(personality(UNAME26), EINVAL);
    EXPECT_OK(personality(0xffffffff));
    EXPECT_OK(personality(PER_LINUX));
    /* socket: AF_UNIX with SOCK_DGRAM (type & 0xf == 2) refused, SOCK_STREAM not. */
    EXPECT_ERRNO(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), EPERM);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_OK(fd);
    close(fd);
    /* dup3: refused only when oldfd == 0 and newfd > 100 (both conditions). */
    EXPECT_ERRNO(dup3(0, 200, O_CLOEXEC), EPERM);
    fd = dup3(0, 50, O_CLOEXEC);
    EXPECT_OK(fd);
    close(fd);
    fd = dup3(1, 200, O_CLOEXEC);
    EXPECT_OK(fd);
    close(fd);
    return NULL;
}

TEST(json_args)
{
    cleanup_with(seccomp_releasep) scmp_filter_ctx ctx = json_filter(
            "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
            "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 22,"
            " \"args\": [{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"},"
            "            {\"index\": 0, \"value\": 131072, \"op\": \"SCMP_CMP_EQ\"}]},"
            "{\"names\": [\"socket\"], \"action\": \"SCMP_ACT_ERRNO\","
            " \"args\": [{\"index\": 0, \"value\": 1, \"valueTwo\": 0, \"op\": \"SCMP_CMP_EQ\"},"
            "            {\"index\": 1, \"value\": 15, \"valueTwo\": 2, "
            "             \"op\": \"SCMP_CMP_MASKED_EQ\"}]},"
            "{\"names\": [\"dup3\"], \"action\": \"SCMP_ACT_ERRNO\","
            " \"args\": [{\"index\": 0, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"},"
            "            {\"index\": 1, \"value\": 100, \"op\": \"SCMP_CMP_GT\"}]}]}",
            0);

    run_filtered(ctx, args_filtered);
}

TEST(json_includes_and_excludes)
{
    static const char profile[] =
            "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
            "{\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\","
            " \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\", \"CAP_NET_ADMIN\"]}},"
            "{\"names\": [\"getpgrp\"], \"action\": \"SCMP_ACT_ERRNO\","
            " \"excludes\": {\"caps\": [\"CAP_NET_RAW\"]}},"
            "{\"names\": [\"getsid\"], \"action\": \"SCMP_ACT_ERRNO\","
            " \"includes\": {\"minKernel\": \"999.0\"}},"
            "{\"names\": [\"getpgid\"], \"action\": \"SCMP_ACT_ERRNO\","
            " \"includes\": {\"minKernel\": \"2.6\"}},"
            "{\"names\": [\"gettid\"], \"action\": \"SCMP_ACT_ERRNO\","
            " \"excludes\": {\"minKernel\": \"3.0\"}},"
            "{\"names\": [\"getuid\"], \"action\": \"SCMP_ACT_ERRNO\","
            " \"includes\": {\"arches\": [\"amd64\", \"arm64\", \"x86_64\", \"aarch64\","
            "                             \"ppc64le\", \"s390x\", \"riscv64\"]}},"
            "{\"names\": [\"getgid\"], \"action\": \"SCMP_ACT_ERRNO\","
            " \"includes\": {\"arches\": [\"no-such-arch\"]}},"
            "{\"names\": [\"geteuid\"], \"action\": \"SCMP_ACT_ERRNO\","
            " \"excludes\": {\"arches\": [\"amd64\", \"arm64\", \"x86_64\", \"aarch64\","
            "                             \"ppc64le\", \"s390x\", \"riscv64\"], \"caps\": []}}]}";
    cleanup_with(seccomp_releasep) scmp_filter_ctx none = json_filter(profile, 0);
    cleanup_with(seccomp_releasep) scmp_filter_ctx admin = json_filter(
            profile, CAPBIT(CAP_SYS_ADMIN) | CAPBIT(CAP_NET_ADMIN) | CAPBIT(CAP_NET_RAW));
    cleanup_with(seccomp_releasep) scmp_filter_ctx half =
            json_filter(profile, CAPBIT(CAP_SYS_ADMIN));

    ASSERT_TRUE(!has_rule(none, "getppid"));
    ASSERT_TRUE(has_rule(admin, "getppid"));
    ASSERT_TRUE(!has_rule(half, "getppid")); /* includes need every capability */
    ASSERT_TRUE(has_rule(none, "getpgrp"));
    ASSERT_TRUE(!has_rule(admin, "getpgrp"));
    ASSERT_TRUE(!has_rule(none, "getsid"));
    ASSERT_TRUE(has_rule(none, "getpgid"));
    ASSERT_TRUE(!has_rule(none, "gettid"));
    ASSERT_TRUE(!has_rule(none, "getgid"));
    ASSERT_TRUE(has_rule(none, "getuid") != has_rule(none, "geteuid"));
}

TEST(json_unknown_syscalls_skipped)
{
    cleanup_with(seccomp_releasep) scmp_filter_ctx ctx = json_filter(
            "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
            "{\"names\": [\"no_such_syscall\", \"getppid\", \"\", \"chown32\"],"
            " \"action\": \"SCMP_ACT_ALLOW\"},"
            "{\"names\": [], \"action\": \"SCMP_ACT_ALLOW\"},"
            "{\"name\": \"\", \"names\": [\"getpgrp\"], \"action\": \"SCMP_ACT_ALLOW\"},"
            "{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
            0);

    ASSERT_TRUE(has_rule(ctx, "getppid"));
    ASSERT_TRUE(has_rule(ctx, "getpgrp"));
    /* Same as the default action: nothing to add. */
    ASSERT_TRUE(!has_rule(ctx, "getpid"));
}

TEST(json_every_action)
{
    static const char *const actions[] = {
            /* Neighbours differ: a rule repeating the default action is dropped. */
            "SCMP_ACT_ALLOW",       "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS",
            "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",  "SCMP_ACT_TRACE", "SCMP_ACT_LOG",
    };

    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        cleanup_free char *json =
                xasprintf("{\"defaultAction\": \"%s\", \"syscalls\": [{\"names\": [\"getppid\"],"
                          " \"action\": \"%s\"}]}",
                          actions[i], actions[(i + 1) % (sizeof(actions) / sizeof(actions[0]))]);
        cleanup_with(seccomp_releasep) scmp_filter_ctx ctx = json_filter(json, 0);

        ASSERT_TRUE(has_rule(ctx, "getppid"));
    }
}

TEST(json_architectures)
{
    uint32_t native = seccomp_arch_native(), attr = 0;

    if (native != SCMP_ARCH_X86_64)
        unit_skip("the architecture lists here are for x86_64");
    {
        cleanup_with(seccomp_releasep) scmp_filter_ctx ctx =
                json_filter("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"flags\": "
                            "[\"SECCOMP_FILTER_FLAG_TSYNC\", \"SECCOMP_FILTER_FLAG_LOG\"],"
                            " \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\"]}",
                            0);

        ASSERT_INT_EQ(seccomp_arch_exist(ctx, SCMP_ARCH_X86), 0);
        ASSERT_INT_EQ(seccomp_arch_exist(ctx, SCMP_ARCH_X32), -EEXIST);
        ASSERT_INT_EQ(seccomp_attr_get(ctx, SCMP_FLTATR_CTL_TSYNC, &attr), 0);
        ASSERT_UINT_EQ(attr, 1);
    }
    {
        cleanup_with(seccomp_releasep) scmp_filter_ctx ctx =
                json_filter("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"archMap\": ["
                            "{\"architecture\": \"SCMP_ARCH_AARCH64\", \"subArchitectures\": "
                            "[\"SCMP_ARCH_ARM\"]},"
                            "{\"architecture\": \"SCMP_ARCH_X86_64\", \"subArchitectures\": "
                            "[\"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"]}],"
                            " \"syscalls\": [{\"names\": [\"getppid\", \"chown32\"], "
                            "\"action\": \"SCMP_ACT_ALLOW\"}]}",
                            0);
        cleanup_free char *text = pfc_text(ctx);

        ASSERT_INT_EQ(seccomp_arch_exist(ctx, SCMP_ARCH_X86), 0);
        ASSERT_INT_EQ(seccomp_arch_exist(ctx, SCMP_ARCH_X32), 0);
        ASSERT_INT_EQ(seccomp_arch_exist(ctx, SCMP_ARCH_ARM), -EEXIST);
        ASSERT_STR_CONTAINS(text, "# filter for syscall \"chown32\" (212)");
    }
    {
        cleanup_error struct ctr_error *err = NULL;
        static const char json[] = "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\":"
                                   " [\"SCMP_ARCH_PPC64\"]}";
        scmp_filter_ctx ctx = NULL;

        ASSERT_FAILS(ctr_seccomp_from_json(json, strlen(json), "be.json", 0, &ctx, &err), &err);
        ASSERT_STR_EQ(err->msg, "seccomp profile 'be.json': architecture 'ppc64' cannot share a "
                                "filter with the native 'x86_64' (byte order or word size)");
        ASSERT_TRUE(ctx == NULL);
    }
}

static void expect_error(const char *json, const char *msg)
{
    cleanup_error struct ctr_error *err = NULL;
    scmp_filter_ctx ctx = NULL;

    if (ctr_seccomp_from_json(json, strlen(json), "x.json", 0, &ctx, &err) != -1)
        UNIT_FAIL("profile %s was accepted; expected \"%s\"", json, msg);
    if (err == NULL)
        UNIT_FAIL("profile %s failed without an error", json);
    if (strcmp(err->msg, msg) != 0)
        UNIT_FAIL("profile %s:\n  got      \"%s\"\n  expected \"%s\"", json, err->msg, msg);
    ASSERT_INT_EQ(err->code, EINVAL);
    ASSERT_TRUE(ctx == NULL);
}

#define ALLOW_ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", "

TEST(json_errors_name_the_member)
{
    expect_error("{\"syscalls\": [{\"names\": [\"a\"], \"action\": \"SCMP_ACT_ALLOW\"},"
                 "{\"names\": [\"b\"], \"action\": \"SCMP_ACT_ALLOW\"},"
                 "{\"names\": [\"c\"], \"action\": \"SCMP_ACT_ALLOW\"},"
                 "{\"names\": [\"d\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": "
                 "[{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_FOO\"}]}],"
                 "\"defaultAction\": \"SCMP_ACT_ALLOW\"}",
                 "seccomp profile 'x.json': syscalls[3].args[0].op: unknown operator "
                 "'SCMP_CMP_FOO'");
    expect_error("[]", "seccomp profile 'x.json': expected a JSON object, not an array");
    expect_error("{\"syscalls\": []}", "seccomp profile 'x.json': missing member 'defaultAction'");
    expect_error("{\"defaultAction\": 1}",
                 "seccomp profile 'x.json': defaultAction: expected a string, not an integer");
    expect_error("{\"defaultAction\": \"SCMP_ACT_FOO\"}",
                 "seccomp profile 'x.json': defaultAction: unknown action 'SCMP_ACT_FOO'");
    expect_error("{\"defaultAction\": \"SCMP_ACT_NOTIFY\"}",
                 "seccomp profile 'x.json': defaultAction: 'SCMP_ACT_NOTIFY' is not supported: "
                 "ctr has no agent to answer it");
    expect_error(ALLOW_ "\"defaultErrnoRet\": 1}",
                 "seccomp profile 'x.json': defaultErrnoRet: only SCMP_ACT_ERRNO and "
                 "SCMP_ACT_TRACE take a return value");
    expect_error(ALLOW_ "\"syscalls\": {}}",
                 "seccomp profile 'x.json': syscalls: expected an array, not an object");
    expect_error(ALLOW_ "\"syscalls\": [3]}",
                 "seccomp profile 'x.json': syscalls[0]: expected an object, not an integer");
    expect_error(ALLOW_ "\"syscalls\": [{\"action\": \"SCMP_ACT_ERRNO\"}]}",
                 "seccomp profile 'x.json': syscalls[0]: missing member 'names'");
    expect_error(ALLOW_ "\"syscalls\": [{\"name\": \"a\", \"names\": [\"b\"], "
                        "\"action\": \"SCMP_ACT_ERRNO\"}]}",
                 "seccomp profile 'x.json': syscalls[0]: give 'name' or 'names', not both");
    expect_error(ALLOW_ "\"syscalls\": [{\"names\": [\"a\", 1], \"action\": \"SCMP_ACT_ERRNO\"}]}",
                 "seccomp profile 'x.json': syscalls[0].names[1]: expected a string, not an "
                 "integer");
    expect_error(ALLOW_ "\"syscalls\": [{\"names\": [\"a\"]}]}",
                 "seccomp profile 'x.json': syscalls[0]: missing member 'action'");
    expect_error(ALLOW_ "\"syscalls\": [{\"names\": [\"a\"], \"action\": \"SCMP_ACT_ERRNO\", "
                        "\"errnoRet\": 5000}]}",
                 "seccomp profile 'x.json': syscalls[0].errnoRet: 5000 is out of range (0 to "
                 "4095)");
    expect_error(ALLOW_ "\"syscalls\": [{\"names\": [\"a\"], \"action\": \"SCMP_ACT_ERRNO\", "
                        "\"errnoRet\": \"1\"}]}",
                 "seccomp profile 'x.json': syscalls[0].errnoRet: expected an integer, not a "
                 "string");
    expect_error(ALLOW_ "\"syscalls\": [{\"names\": [\"a\"], \"action\": \"SCMP_ACT_ERRNO\", "
                        "\"args\": [{\"index\": 6, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                 "seccomp profile 'x.json': syscalls[0].args[0].index: 6 is out of range (0 to "
                 "5)");
    expect_error(ALLOW_ "\"syscalls\": [{\"names\": [\"a\"], \"action\": \"SCMP_ACT_ERRNO\", "
                        "\"args\": [{\"index\": 1, \"value\": -1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                 "seccomp profile 'x.json': syscalls[0].args[0].value: -1 is out of range (0 "
                 "to 9223372036854775807)");
    expect_error(ALLOW_ "\"syscalls\": [{\"names\": [\"a\"], \"action\": \"SCMP_ACT_ERRNO\", "
                        "\"args\": [{\"index\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                 "seccomp profile 'x.json': syscalls[0].args[0]: missing member 'value'");
    expect_error(ALLOW_ "\"syscalls\": [{\"names\": [\"a\"], \"action\": \"SCMP_ACT_ERRNO\", "
                        "\"args\": [{\"index\": 1, \"value\": 1.5, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                 "seccomp profile 'x.json': syscalls[0].args[0].value: expected an integer, "
                 "not a number with a fraction");
    expect_error(ALLOW_ "\"syscalls\": [{\"names\": [\"a\"], \"action\": \"SCMP_ACT_ERRNO\", "
                        "\"includes\": {\"caps\": [\"CAP_SYS_ADMIN\", \"CAP_FOO\"]}}]}",
                 "seccomp profile 'x.json': syscalls[0].includes.caps[1]: unknown capability "
                 "'CAP_FOO'");
    expect_error(ALLOW_ "\"syscalls\": [{\"names\": [\"a\"], \"action\": \"SCMP_ACT_ERRNO\", "
                        "\"excludes\": {\"caps\": [\"CAP_SYS_ADMIN,CAP_BPF\"]}}]}",
                 "seccomp profile 'x.json': syscalls[0].excludes.caps[0]: unknown capability "
                 "'CAP_SYS_ADMIN,CAP_BPF'");
    expect_error(ALLOW_ "\"syscalls\": [{\"names\": [\"a\"], \"action\": \"SCMP_ACT_ERRNO\", "
                        "\"includes\": {\"minKernel\": \"4.x\"}}]}",
                 "seccomp profile 'x.json': syscalls[0].includes.minKernel: invalid kernel "
                 "version '4.x': expected 'MAJOR.MINOR'");
    expect_error(ALLOW_ "\"syscalls\": [{\"names\": [\"a\"], \"action\": \"SCMP_ACT_ERRNO\", "
                        "\"excludes\": []}]}",
                 "seccomp profile 'x.json': syscalls[0].excludes: expected an object, not an "
                 "array");
    expect_error(ALLOW_ "\"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_FOO\"]}",
                 "seccomp profile 'x.json': architectures[1]: unknown architecture "
                 "'SCMP_ARCH_FOO'");
    expect_error(ALLOW_ "\"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\", "
                        "\"subArchitectures\": [\"x86\"]}]}",
                 "seccomp profile 'x.json': archMap[0].subArchitectures[0]: unknown "
                 "architecture 'x86'");
    expect_error(ALLOW_ "\"archMap\": [{\"subArchitectures\": []}]}",
                 "seccomp profile 'x.json': archMap[0]: missing member 'architecture'");
    expect_error(ALLOW_ "\"architectures\": [\"SCMP_ARCH_X86\"], \"archMap\": "
                        "[{\"architecture\": \"SCMP_ARCH_X86_64\"}]}",
                 "seccomp profile 'x.json': give 'architectures' or 'archMap', not both");
    expect_error(ALLOW_ "\"flags\": [\"SECCOMP_FILTER_FLAG_NEW_LISTENER\"]}",
                 "seccomp profile 'x.json': flags[0]: unknown or unsupported flag "
                 "'SECCOMP_FILTER_FLAG_NEW_LISTENER'");
    /* Control characters and long strings from the profile are not echoed as they are. */
    expect_error("{\"defaultAction\": \"A\\u0001B\"}",
                 "seccomp profile 'x.json': defaultAction: unknown action 'A?B'");
    expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultAction\": \"SCMP_ACT_LOG\"}",
                 "seccomp profile 'x.json': invalid JSON at line 1, column 51: duplicate object "
                 "key near '\"defaultAction\"'");
}

TEST(json_invalid_json)
{
    cleanup_error struct ctr_error *err = NULL;
    scmp_filter_ctx ctx = NULL;

    ASSERT_FAILS(ctr_seccomp_from_json("{\"defaultAction\"", 16, "bad.json", 0, &ctx, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "seccomp profile 'bad.json': invalid JSON at line 1");
    ctr_error_clear(&err);
    /* Not NUL-terminated: only `len` bytes count. */
    ASSERT_FAILS(ctr_seccomp_from_json("{}garbage", 2, "short.json", 0, &ctx, &err), &err);
    ASSERT_STR_EQ(err->msg, "seccomp profile 'short.json': missing member 'defaultAction'");
    ASSERT_TRUE(ctx == NULL);
}
