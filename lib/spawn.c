/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "spawn.h"
#include "xalloc.h"

int ctr_waitpid(int pid)
{
    int status;

    for (;;) {
        if (waitpid(pid, &status, 0) == pid)
            return status;
        if (errno != EINTR)
            return -1;
    }
}

/* In the child: wire up fds and exec; reports an exec failure's errno through `errfd`. */
static void __attribute__((noreturn)) exec_child(char *const argv[], int outfd, int errfd)
{
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

    if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(outfd, STDOUT_FILENO) < 0 ||
        dup2(outfd, STDERR_FILENO) < 0)
        goto fail;
    signal(SIGPIPE, SIG_DFL);
    execv(argv[0], argv);
fail : {
    int e = errno;

    if (write(errfd, &e, sizeof(e)) < 0) {
        /* the parent then sees a plain exit code 127 */
    }
    _exit(127);
}
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Waits until `fd` is readable or `deadline` (CLOCK_MONOTONIC ms, 0: none) has passed.
 * Returns 1 when readable (or at EOF), 0 at the deadline, -1 with errno set on error.
 */
static int wait_readable(int fd, long long deadline)
{
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        long long left = deadline == 0 ? -1 : deadline - now_ms();
        int n;

        if (deadline != 0 && left <= 0)
            left = 0;
        n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n > 0 || left == 0)
            return n;
    }
}

int ctr_spawn_capture_timeout(char *const argv[], size_t max, int timeout_ms, char **ret_output,
                              int *ret_status, struct ctr_error **err)
{
    cleanup_close int out_r = -1, out_w = -1, err_r = -1, err_w = -1;
    cleanup_free char *buf = xmalloc(max + 1);
    long long deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
    size_t len = 0;
    int fds[2], exec_errno = 0, status, timed_out = 0;
    pid_t pid;

    if (pipe2(fds, O_CLOEXEC) < 0)
        return ctr_error_errno(err, "pipe");
    out_r = fds[0];
    out_w = fds[1];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return ctr_error_errno(err, "pipe");
    err_r = fds[0];
    err_w = fds[1];
    pid = fork();
    if (pid < 0)
        return ctr_error_errno(err, "fork to run '%s'", argv[0]);
    if (pid == 0)
        exec_child(argv, out_w, err_w);
    close(steal_fd(&out_w));
    close(steal_fd(&err_w));
    for (;;) {
        char chunk[4096];
        ssize_t n;
        int ready = wait_readable(out_r, deadline);

        if (ready == 0) {
            /* Still running at the deadline: kill it; the reap below cannot then block. */
            timed_out = 1;
            kill(pid, SIGKILL);
            break;
        }
        if (ready < 0)
            break;
        n = read(out_r, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (len < max) {
            size_t keep = (size_t)n < max - len ? (size_t)n : max - len;

            memcpy(buf + len, chunk, keep);
            len += keep;
        }
    }
    if (timed_out || read(err_r, &exec_errno, sizeof(exec_errno)) != sizeof(exec_errno))
        exec_errno = 0;
    status = ctr_waitpid(pid);
    if (status < 0)
        return ctr_error_errno(err, "wait for '%s'", argv[0]);
    if (timed_out)
        return ctr_error_set(err, ETIMEDOUT, "'%s' did not finish within %d seconds", argv[0],
                             (timeout_ms + 999) / 1000);
    if (exec_errno != 0)
        return ctr_error_errnum(err, exec_errno, "run '%s'", argv[0]);
    buf[len] = '\0';
    *ret_output = steal_pointer(&buf);
    *ret_status = status;
    return 0;
}

int ctr_spawn_capture(char *const argv[], size_t max, char **ret_output, int *ret_status,
                      struct ctr_error **err)
{
    return ctr_spawn_capture_timeout(argv, max, 0, ret_output, ret_status, err);
}
