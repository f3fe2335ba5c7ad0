/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "fsutil.h"
#include "sdnotify.h"
#include "spawn.h"

/* What a foreground container gets from us; SIGCHLD tells us it exited. */
static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

static void signal_set(sigset_t *set)
{
    sigemptyset(set);
    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
        sigaddset(set, forwarded[i]);
    sigaddset(set, SIGWINCH);
    sigaddset(set, SIGCHLD);
}

void attach_block_signals(void)
{
    sigset_t set;

    signal_set(&set);
    sigprocmask(SIG_BLOCK, &set, NULL);
}

void attach_unblock_signals(void)
{
    sigset_t set;

    signal_set(&set);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void copy_winsize(int from, int to)
{
    struct winsize ws;

    if (ioctl(from, TIOCGWINSZ, &ws) == 0)
        ioctl(to, TIOCSWINSZ, &ws);
}

/* Copies what `from` has to `to`; 0 at EOF (a closed terminal reads EIO), -1 on error. */
static int pump(int from, int to)
{
    char buf[16384];
    ssize_t n = read(from, buf, sizeof(buf));

    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 1;
    if (n < 0 && errno == EIO)
        return 0;
    if (n <= 0)
        return (int)n;
    return ctr_write_all(to, buf, (size_t)n) < 0 ? -1 : 1;
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A forwarded signal; SIGTERM stops a container (its stop signal, SIGKILL after the timeout). */
static void forward(pid_t pid, int sig, const struct attach_container *ac, long long *kill_at)
{
    if (sig != SIGTERM || ac == NULL) {
        kill(pid, sig);
        return;
    }
    kill(pid, ac->stop_signal > 0 ? ac->stop_signal : SIGTERM);
    /* Another SIGTERM sends the stop signal again, but does not put SIGKILL off. */
    if (*kill_at == 0)
        *kill_at = now_ms() + (long long)ac->stop_timeout * 1000;
}

int attach_wait(pid_t pid, int pty, int stdin_open, int *ret_status, struct ctr_error **err)
{
    return attach_wait_container(pid, pty, stdin_open, NULL, ret_status, err);
}

int attach_wait_container(pid_t pid, int pty, int stdin_open, const struct attach_container *ac,
                          int *ret_status, struct ctr_error **err)
{
    struct termios saved, raw;
    int raw_set = 0, status = 0, exited = 0, pty_open = pty >= 0;
    int in_open = pty >= 0 && stdin_open;
    int notify_fd = ac != NULL && ac->notify_target != NULL ? ac->notify_fd : -1;
    long long kill_at = 0; /* when the container gets SIGKILL after a SIGTERM; 0: not */
    cleanup_close int sfd = -1;
    sigset_t set;

    signal_set(&set);
    sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0)
        return ctr_error_errno(err, "watch signals");
    if (pty >= 0 && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
        raw = saved;
        cfmakeraw(&raw);
        /* Output post-processing stays: our stdout is a terminal that expects it cooked. */
        raw.c_oflag = saved.c_oflag;
        if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
            raw_set = 1;
        copy_winsize(STDIN_FILENO, pty);
    }
    while (!exited || pty_open) {
        struct pollfd p[4] = {
                {sfd, POLLIN, 0},
                {pty_open ? pty : -1, POLLIN, 0},
                {in_open ? STDIN_FILENO : -1, POLLIN, 0},
                {exited ? -1 : notify_fd, POLLIN, 0},
        };
        /* After the exit, the terminal is drained without waiting for more. */
        int timeout = exited ? 100 : -1, r;

        if (!exited && kill_at != 0) {
            long long left = kill_at - now_ms();

            timeout = left > 0 ? (int)(left < 60000 ? left : 60000) : 0;
        }
        r = poll(p, 4, timeout);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            ctr_error_errno(err, "wait for the container");
            break;
        }
        if (r == 0 && exited)
            break;
        if (!exited && kill_at != 0 && now_ms() >= kill_at) {
            kill(pid, SIGKILL);
            kill_at = 0;
        }
        if (p[0].revents & POLLIN) {
            struct signalfd_siginfo si;

            if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                if ((int)si.ssi_signo == SIGWINCH) {
                    if (pty >= 0)
                        copy_winsize(STDIN_FILENO, pty);
                } else if ((int)si.ssi_signo != SIGCHLD && !exited) {
                    forward(pid, (int)si.ssi_signo, ac, &kill_at);
                }
            }
            if (!exited && waitpid(pid, &status, WNOHANG) == pid)
                exited = 1;
        }
        if (p[3].revents & POLLIN)
            ctr_sd_notify_relay(notify_fd, ac->notify_target, getpid());
        if (pty_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
            if (pump(pty, STDOUT_FILENO) <= 0)
                pty_open = 0;
        if (in_open && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
            int k = pump(STDIN_FILENO, pty);

            if (k <= 0) {
                in_open = 0;
                /* End of our input: the terminal's EOF character for the container. */
                if (k == 0 && !raw_set)
                    ctr_write_all(pty, "\x04", 1);
            }
        }
    }
    if (raw_set)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    if (!exited) {
        if (err && *err) {
            return -1;
        }
        status = ctr_waitpid(pid);
    }
    *ret_status = status;
    return 0;
}
