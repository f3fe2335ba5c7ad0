/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctr-monitor: watches one detached container for as long as it runs, so it links only libc,
 * lib/ctrlog.c and lib/sdnotify.c and keeps its buffers static (it stays under 2 MiB resident;
 * ctr itself maps some 14 MiB of libraries).
 *
 *     ctr-monitor CTR_BINARY ROOT RUNROOT ID PID LOGFILE LOG_MAX_BYTES STOP_SIGNAL STOP_TIMEOUT
 *                 NOTIFY_FD NOTIFY_SOCKET
 *
 * ctr forks a process that starts the container's init PID as its child and then execs this
 * program, keeping its pid, so PID is our child and waitpid() works.  Inherited fds:
 *
 *     0, 1, 2  /dev/null
 *     3        the container's stdout: the read end of a pipe, or the pty master with a tty
 *     4        the container's stderr read end; not open with a tty (everything is stdout)
 *     NOTIFY_FD  with --sdnotify=container, the socket the container notifies systemd through
 *              (-1 without; NOTIFY_SOCKET is then "")
 *
 * Each line read is appended to LOGFILE in the k8s-file format (ctrlog.h).  When a record
 * would take LOGFILE past LOG_MAX_BYTES (0: no limit), LOGFILE becomes LOGFILE.1, replacing
 * it, and a new LOGFILE starts.  SIGQUIT, SIGUSR1 and SIGUSR2 are forwarded to PID; SIGHUP,
 * SIGINT and SIGPIPE are ignored.  SIGTERM stops the container as `ctr stop` does: PID gets
 * STOP_SIGNAL (a number), and SIGKILL when it still runs STOP_TIMEOUT seconds later.  That is
 * what systemd's KillMode=mixed needs of a unit's main process: it sends SIGTERM to it alone.
 *
 * Each datagram on NOTIFY_FD goes on to NOTIFY_SOCKET, systemd's, with the monitor's pid as
 * MAINPID in place of the container's (see sdnotify.h); ctr made the monitor the unit's main
 * process before it started us.
 *
 * When PID has exited and fds 3 and 4 reached end of file (or 2 s later), the monitor execs
 *
 *     CTR_BINARY with argv {"ctr-container-exited", ROOT, RUNROOT, ID, PID, STATUS[, "stopped"]}
 *
 * STATUS being the exit code as a shell reports it (128 + signal when killed).  The signal
 * mask and SIGPIPE are restored first; SIGHUP and SIGINT stay ignored across the exec, so a
 * closing session cannot interrupt the clean-up halfway.  If the monitor dies instead, the
 * container dies with it: ctr sets PR_SET_PDEATHSIG on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "ctrlog.h"
#include "sdnotify.h"

/* A line longer than this is logged in pieces marked P, as conmon does. */
#define LINE_MAX_BYTES (16 * 1024)
/* After the init exits the kernel kills the rest of its pid namespace; wait no longer. */
#define DRAIN_TIMEOUT_MS 2000

struct stream {
    int fd; /* -1 once at end of file */
    enum ctr_log_stream id;
    size_t len;
    char buf[LINE_MAX_BYTES];
};

/* Set up in main(): an initialiser would put the 32 KiB in the binary's data, not in bss. */
static struct stream streams[2];
static const char *log_path;
static char log_path_old[PATH_MAX];
static unsigned long long log_max;
static unsigned long long log_size;
static int log_fd = -1;

static void warn(const char *what)
{
    /* stderr is /dev/null when ctr starts us; the message is for someone running us by hand. */
    fprintf(stderr, "ctr-monitor: %s: %s\n", what, strerror(errno));
}

static void open_log(void)
{
    struct stat st;

    log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    /* Without a log the container still runs: its output is read and dropped. */
    if (log_fd < 0)
        warn(log_path);
    log_size = log_fd >= 0 && fstat(log_fd, &st) == 0 ? (unsigned long long)st.st_size : 0;
}

static void write_record(enum ctr_log_stream id, const char *data, size_t len, int partial)
{
    char prefix[CTR_LOGLINE_PREFIX_MAX];
    struct timespec ts;
    struct iovec iov[3];
    ssize_t n;

    clock_gettime(CLOCK_REALTIME, &ts);
    iov[0].iov_base = prefix;
    iov[0].iov_len =
            ctr_logline_prefix(prefix, (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, id, partial);
    iov[1].iov_base = (void *)data;
    iov[1].iov_len = len;
    iov[2].iov_base = (void *)"\n";
    iov[2].iov_len = 1;
    /* A record alone larger than the limit still goes into a fresh file, whole. */
    if (log_max > 0 && log_size > 0 && log_size + iov[0].iov_len + len + 1 > log_max) {
        if (rename(log_path, log_path_old) < 0)
            warn(log_path_old);
        if (log_fd >= 0)
            close(log_fd);
        open_log();
    }
    if (log_fd < 0)
        return;
    /* A full disk drops records rather than blocking the container on a full pipe. */
    do
        n = writev(log_fd, iov, 3);
    while (n < 0 && errno == EINTR);
    if (n > 0)
        log_size += (unsigned long long)n;
}

/* Logs every complete line in the buffer, or all of a full buffer as one partial line. */
static void log_lines(struct stream *s)
{
    char *start = s->buf, *nl;

    while ((nl = memchr(start, '\n', s->len - (size_t)(start - s->buf))) != NULL) {
        write_record(s->id, start, (size_t)(nl - start), 0);
        start = nl + 1;
    }
    s->len -= (size_t)(start - s->buf);
    memmove(s->buf, start, s->len);
    if (s->len == sizeof(s->buf)) {
        write_record(s->id, s->buf, s->len, 1);
        s->len = 0;
    }
}

/* End of file: the last bytes without a newline become a partial line, as in Podman. */
static void close_stream(struct stream *s)
{
    if (s->len > 0)
        write_record(s->id, s->buf, s->len, 1);
    s->len = 0;
    close(s->fd);
    s->fd = -1;
}

static void read_stream(struct stream *s)
{
    ssize_t n = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len);

    if (n > 0) {
        s->len += (size_t)n;
        log_lines(s);
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        /* A pty master reads EIO once the slave side is closed: that is its end of file. */
        close_stream(s);
    }
}

/* Reaps every exited child; returns 1 when the container was among them. */
static int reap(pid_t container, int *status)
{
    int st, found = 0;
    pid_t pid;

    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        if (pid == container) {
            *status = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
            found = 1;
        }
    }
    return found;
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_number(const char *s, unsigned long long max, unsigned long long *ret)
{
    char *end;

    errno = 0;
    *ret = strtoull(s, &end, 10);
    return errno == 0 && end != s && *end == '\0' && s[0] != '-' && *ret <= max ? 0 : -1;
}

/*
 * ctr-init PID: the --init reaper.  ctr's first process in the container forks the command
 * (PID) and then executes this program from a sealed memfd copy, so that PID 1 is neither a
 * copy of ctr nor a file on the host: /proc/1/exe gives the container nothing to overwrite
 * (CVE-2019-5736), and ctr exec may still join PID 1's namespaces.  It forwards every signal
 * it can catch to the command, reaps every orphan, and exits with the command's status.
 */
static pid_t init_child;

static void init_forward(int sig)
{
    kill(init_child, sig);
}

static int init_main(int argc, char **argv)
{
    struct sigaction sa = {.sa_handler = init_forward};
    unsigned long long pid;
    int status = 0;

    if (argc != 2 || parse_number(argv[1], INT_MAX, &pid) < 0 || pid == 0)
        return 125;
    init_child = (pid_t)pid;
    prctl(PR_SET_NAME, "ctr-init", 0, 0, 0);
    sigfillset(&sa.sa_mask);
    for (int sig = 1; sig < SIGRTMAX; sig++)
        if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCHLD)
            sigaction(sig, &sa, NULL);
    /* Signals that came while we were being executed were blocked by the process before us. */
    {
        sigset_t none;

        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
    }
    for (;;) {
        int st;
        pid_t r = waitpid(-1, &st, 0);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        if (r == init_child) {
            status = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
            break;
        }
    }
    return status;
}

int main(int argc, char **argv)
{
    static const int forwarded[] = {SIGTERM, SIGQUIT, SIGUSR1, SIGUSR2};
    unsigned long long pid_arg, stop_signal, stop_timeout, notify_arg = 0;
    sigset_t mask, old_mask;
    long long deadline = 0, kill_at = 0;
    int sfd, status = 0, exited = 0, notify_fd = -1, stopped = 0;
    const char *notify_target;
    pid_t container;
    char status_str[16];

    if (argc > 0 && strcmp(argv[0], "ctr-init") == 0)
        return init_main(argc, argv);
    if (argc != 12 || parse_number(argv[5], INT_MAX, &pid_arg) < 0 || pid_arg == 0 ||
        parse_number(argv[7], ULLONG_MAX, &log_max) < 0 ||
        parse_number(argv[8], 64, &stop_signal) < 0 || stop_signal == 0 ||
        parse_number(argv[9], UINT_MAX, &stop_timeout) < 0 ||
        (strcmp(argv[10], "-1") != 0 && parse_number(argv[10], INT_MAX, &notify_arg) < 0)) {
        fprintf(stderr, "usage: ctr-monitor CTR_BINARY ROOT RUNROOT ID PID LOGFILE "
                        "LOG_MAX_BYTES STOP_SIGNAL STOP_TIMEOUT NOTIFY_FD NOTIFY_SOCKET\n");
        return 2;
    }
    container = (pid_t)pid_arg;
    notify_target = argv[11];
    if (strcmp(argv[10], "-1") != 0 && notify_target[0] != '\0')
        notify_fd = (int)notify_arg;
    log_path = argv[6];
    if (snprintf(log_path_old, sizeof(log_path_old), "%s.1", log_path) >= PATH_MAX) {
        errno = ENAMETOOLONG;
        warn(log_path);
        return 2;
    }
    prctl(PR_SET_NAME, "ctr-monitor", 0, 0, 0);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGINT, SIG_IGN);

    /* Blocked signals are queued even when their action is to ignore them, like SIGCHLD's. */
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
        sigaddset(&mask, forwarded[i]);
    sigprocmask(SIG_BLOCK, &mask, &old_mask);
    sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        warn("signalfd");
        return 1;
    }
    streams[0].fd = 3;
    streams[0].id = CTR_LOG_STDOUT;
    streams[1].fd = 4;
    streams[1].id = CTR_LOG_STDERR;
    for (size_t i = 0; i < 2; i++) {
        if (fcntl(streams[i].fd, F_SETFL, O_NONBLOCK) < 0)
            streams[i].fd = -1; /* EBADF: fd 4 with a tty */
    }
    open_log();

    /* The container may have exited before SIGCHLD was blocked: look once before waiting. */
    exited = reap(container, &status);
    if (exited)
        deadline = now_ms() + DRAIN_TIMEOUT_MS;
    for (;;) {
        /* The signals, the two streams, and last the notification socket. */
        struct pollfd pfd[4] = {{.fd = sfd, .events = POLLIN}};
        struct stream *polled[4] = {NULL};
        struct signalfd_siginfo si;
        int nfds = 1, timeout = -1, chld = 0, notify_at = -1;

        for (size_t i = 0; i < 2; i++) {
            if (streams[i].fd >= 0) {
                polled[nfds] = &streams[i];
                pfd[nfds++] = (struct pollfd){.fd = streams[i].fd, .events = POLLIN};
            }
        }
        if (exited) {
            long long left = deadline - now_ms();

            if (nfds == 1 || left <= 0)
                break;
            timeout = (int)left;
        } else if (kill_at != 0) {
            long long left = kill_at - now_ms();

            timeout = left > 0 ? (int)(left < 60000 ? left : 60000) : 0;
        }
        if (!exited && notify_fd >= 0) {
            notify_at = nfds;
            pfd[nfds++] = (struct pollfd){.fd = notify_fd, .events = POLLIN};
        }
        if (poll(pfd, (nfds_t)nfds, timeout) < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == ENOMEM)
                continue;
            warn("poll");
            return 1;
        }
        while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
            if (si.ssi_signo == SIGCHLD) {
                chld = 1;
            } else if (exited) {
                continue; /* once reaped, the pid may be another process's */
            } else if (si.ssi_signo == SIGTERM) {
                stopped = 1;
                kill(container, (int)stop_signal);
                /* Another SIGTERM sends the stop signal again, but does not put SIGKILL off. */
                if (kill_at == 0)
                    kill_at = now_ms() + (long long)stop_timeout * 1000;
            } else {
                kill(container, (int)si.ssi_signo);
            }
        }
        if (!exited && kill_at != 0 && now_ms() >= kill_at) {
            kill(container, SIGKILL);
            kill_at = 0;
        }
        if (notify_at > 0 && pfd[notify_at].revents != 0)
            ctr_sd_notify_relay(notify_fd, notify_target, getpid());
        if (chld && reap(container, &status) && !exited) {
            exited = 1;
            deadline = now_ms() + DRAIN_TIMEOUT_MS;
        }
        for (int i = 1; i < nfds; i++) {
            if (polled[i] != NULL && pfd[i].revents != 0)
                read_stream(polled[i]);
        }
    }

    /* Past the deadline a stream still open (a process outside the pid namespace holds it). */
    for (size_t i = 0; i < 2; i++) {
        if (streams[i].fd >= 0)
            close_stream(&streams[i]);
    }
    if (log_fd >= 0)
        close(log_fd);
    if (notify_fd >= 0)
        close(notify_fd);
    close(sfd);
    snprintf(status_str, sizeof(status_str), "%d", status);
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    signal(SIGPIPE, SIG_DFL);
    /* Stopped through us (systemd stopping its unit): its restart policy no longer applies. */
    char *args[] = {
            (char *)"ctr-container-exited",     argv[2], argv[3], argv[4], argv[5], status_str,
            stopped ? (char *)"stopped" : NULL, NULL};
    execv(argv[1], args);
    warn(argv[1]);
    return 1;
}
