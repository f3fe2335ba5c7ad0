/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <jansson.h>
#include <limits.h>
#include <net/if.h>
#include <net/route.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "helper.h"
#include "spawn.h"
#include "xalloc.h"

/* Both helpers are up in well under a second; a namespace that never comes up is a bug. */
#define READY_TIMEOUT_MS 10000
/* How long a helper that failed may take to exit before it is killed. */
#define EXIT_TIMEOUT_MS 2000
/* slirp4netns answers an API request at once ("stops the world" while it does). */
#define API_TIMEOUT_MS 5000
/* What is kept of a helper's output, and how many of its last lines make the error. */
#define OUTPUT_MAX    (64 * 1024)
#define MESSAGE_LINES 4

/* Podman's defaults: slirp4netns's MTU, and the address pasta forwards DNS queries from. */
#define SLIRP4NETNS_MTU      65520
#define SLIRP4NETNS_CIDR     "10.0.2.0/24"
#define PASTA_DNS_FORWARD    "169.254.1.1"
#define PRIVATE_DIR_TEMPLATE "ctr-net-XXXXXX"
#define NETNS_LINK_NAME      "netns"
#define READY_FIFO_NAME      "ready"
#define API_SOCKET_NAME      "api.sock"

/* --- --network parsing --- */

static int invalid(struct ctr_error **err, const char *arg, const char *fmt, ...) CTR_PRINTF(3, 4);

static int invalid(struct ctr_error **err, const char *arg, const char *fmt, ...)
{
    cleanup_free char *why = NULL;
    va_list ap;

    va_start(ap, fmt);
    why = xvasprintf(fmt, ap);
    va_end(ap);
    return ctr_error_set(err, EINVAL, "invalid --network '%s': %s", arg, why);
}

static int parse_bool(const char *s, int *ret)
{
    if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
        *ret = 1;
    else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
        *ret = 0;
    else
        return -1;
    return 0;
}

/* "a.b.c.d/N" into the network address (host bits cleared) and N. */
static int parse_cidr(const char *s, struct in_addr *ret_net, unsigned *ret_prefix)
{
    const char *slash = strchr(s, '/');
    cleanup_free char *addr = NULL;
    struct in_addr a;
    unsigned long prefix;
    char *end;

    if (slash == NULL || slash[1] < '0' || slash[1] > '9')
        return -1;
    addr = xstrndup(s, (size_t)(slash - s));
    if (inet_pton(AF_INET, addr, &a) != 1)
        return -1;
    errno = 0;
    prefix = strtoul(slash + 1, &end, 10);
    if (errno != 0 || *end != '\0' || prefix > 32)
        return -1;
    if (prefix < 32)
        a.s_addr &= htonl(prefix == 0 ? 0 : ~((UINT32_C(1) << (32 - prefix)) - 1));
    *ret_net = a;
    *ret_prefix = (unsigned)prefix;
    return 0;
}

static void address_plus(struct in_addr net, uint32_t n, char ret[64])
{
    struct in_addr a = {.s_addr = htonl(ntohl(net.s_addr) + n)};

    inet_ntop(AF_INET, &a, ret, 64);
}

static int parse_slirp4netns(const char *arg, const char *opts, struct net_options *o,
                             struct ctr_error **err)
{
    cleanup_free char *copy = xstrdup(opts);
    char *rest = copy, *opt;

    while ((opt = strsep(&rest, ",")) != NULL) {
        char *value = strchr(opt, '=');

        if (opt[0] == '\0')
            return invalid(err, arg, "empty slirp4netns option");
        if (value == NULL)
            return invalid(err, arg, "slirp4netns option '%s' needs a value (NAME=VALUE)", opt);
        *value++ = '\0';
        if (strcmp(opt, "allow_host_loopback") == 0 || strcmp(opt, "enable_ipv6") == 0) {
            int *field = opt[0] == 'a' ? &o->allow_host_loopback : &o->enable_ipv6;

            if (parse_bool(value, field) < 0)
                return invalid(err, arg, "%s '%s' is not true or false", opt, value);
        } else if (strcmp(opt, "mtu") == 0) {
            unsigned long mtu;
            char *end;

            /* 68 is IPv4's minimum (RFC 791), 65521 slirp4netns's maximum. */
            errno = 0;
            mtu = strtoul(value, &end, 10);
            if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno != 0 || mtu < 68 ||
                mtu > 65521)
                return invalid(err, arg, "mtu '%s' is not a number from 68 to 65521", value);
            o->mtu = (unsigned)mtu;
        } else if (strcmp(opt, "cidr") == 0) {
            struct in_addr net;
            unsigned prefix;

            if (parse_cidr(value, &net, &prefix) < 0)
                return invalid(err, arg, "cidr '%s' is not an IPv4 network such as 10.0.2.0/24",
                               value);
            /* slirp4netns gives the container network + 100. */
            if (prefix > 25)
                return invalid(err, arg,
                               "cidr '%s' leaves no room for the container's address (network "
                               "+ 100): use a /25 or larger network",
                               value);
            free(o->cidr);
            o->cidr = xstrdup(value);
        } else if (strcmp(opt, "port_handler") == 0) {
            if (strcmp(value, "rootlesskit") == 0)
                return invalid(err, arg,
                               "port_handler 'rootlesskit' is not supported: ctr forwards ports "
                               "through slirp4netns itself (port_handler=slirp4netns)");
            if (strcmp(value, "slirp4netns") != 0)
                return invalid(err, arg, "port_handler '%s' is not slirp4netns", value);
        } else {
            return invalid(err, arg,
                           "unknown slirp4netns option '%s' (allow_host_loopback, cidr, "
                           "enable_ipv6, mtu, port_handler)",
                           opt);
        }
    }
    return 0;
}

/*
 * Whether `a` is the pasta option `long_name` (alone or as "--name=VALUE") or `short_name`
 * (alone or with its value attached, "-t80").
 */
static int is_option(const char *a, char short_name, const char *long_name)
{
    size_t n = strlen(long_name);

    if (short_name != '\0' && a[0] == '-' && a[1] == short_name)
        return 1;
    return strncmp(a, long_name, n) == 0 && (a[n] == '\0' || a[n] == '=');
}

/* The value of the first such option in `args`, or NULL. */
static const char *option_value(char *const *args, char short_name, const char *long_name)
{
    size_t n = strlen(long_name);

    for (size_t i = 0; args != NULL && args[i] != NULL; i++) {
        const char *a = args[i];

        if (short_name != '\0' && a[0] == '-' && a[1] == short_name)
            return a[2] != '\0' ? a + 2 : args[i + 1];
        if (strncmp(a, long_name, n) == 0 && a[n] == '=')
            return a + n + 1;
        if (strcmp(a, long_name) == 0)
            return args[i + 1];
    }
    return NULL;
}

static int has_option(char *const *args, char short_name, const char *long_name)
{
    for (size_t i = 0; args != NULL && args[i] != NULL; i++)
        if (is_option(args[i], short_name, long_name))
            return 1;
    return 0;
}

/* The pasta options ctr sets itself: the namespace to join, and how it learns readiness. */
static const struct {
    char short_name;
    const char *long_name;
} pasta_reserved[] = {
        {'\0', "--netns"},         {'\0', "--userns"},    {'\0', "--netns-only"},
        {'\0', "--no-netns-quit"}, {'f', "--foreground"}, {'P', "--pid"},
};

static int parse_pasta(const char *arg, const char *opts, struct net_options *o,
                       struct ctr_error **err)
{
    cleanup_free char *copy = xstrdup(opts);
    cleanup_strv char **args = xcalloc(strlen(opts) + 2, sizeof(*args));
    char *rest = copy, *opt;
    size_t n = 0;

    while ((opt = strsep(&rest, ",")) != NULL) {
        if (opt[0] == '\0')
            return invalid(err, arg, "empty pasta option");
        /* Podman's own, not pasta's: it only drops the --no-map-gw given by default. */
        if (strcmp(opt, "--map-gw") == 0) {
            o->allow_host_loopback = 1;
            continue;
        }
        for (size_t i = 0; i < sizeof(pasta_reserved) / sizeof(pasta_reserved[0]); i++)
            if (is_option(opt, pasta_reserved[i].short_name, pasta_reserved[i].long_name))
                return invalid(err, arg, "pasta option '%s' is set by ctr", opt);
        args[n++] = xstrdup(opt);
    }
    o->pasta_args = n > 0 ? steal_pointer(&args) : NULL;
    return 0;
}

/* pasta first, then slirp4netns: Podman 5's order. */
static int default_mode(enum net_mode *ret, struct ctr_error **err)
{
    cleanup_free char *pasta = ctr_find_program("pasta");
    cleanup_free char *slirp = pasta == NULL ? ctr_find_program("slirp4netns") : NULL;

    if (pasta == NULL && slirp == NULL)
        return ctr_error_set(err, ENOENT,
                             "no user-mode network helper is installed: install passt (it "
                             "provides pasta) or slirp4netns, or use --network none");
    *ret = pasta != NULL ? NET_MODE_PASTA : NET_MODE_SLIRP4NETNS;
    return 0;
}

/* "name" or "name:options": the options, or NULL when `arg` is not that mode. */
static const char *mode_options(const char *arg, const char *name)
{
    size_t n = strlen(name);

    if (strncmp(arg, name, n) != 0)
        return NULL;
    if (arg[n] == '\0')
        return arg + n;
    return arg[n] == ':' ? arg + n + 1 : NULL;
}

int net_options_parse(const char *arg, struct net_options *ret, struct ctr_error **err)
{
    struct net_options o = {.mode = NET_MODE_NONE};
    const char *opts;
    int rc = 0;

    if (arg == NULL)
        arg = "";
    if (arg[0] == '\0' || strcmp(arg, "private") == 0) {
        rc = default_mode(&o.mode, err);
        if (rc == 0 && o.mode == NET_MODE_SLIRP4NETNS) {
            o.mtu = SLIRP4NETNS_MTU;
            o.enable_ipv6 = 1;
        }
    } else if (strcmp(arg, "none") == 0) {
        o.mode = NET_MODE_NONE;
    } else if (strcmp(arg, "host") == 0) {
        o.mode = NET_MODE_HOST;
    } else if (strncmp(arg, "ns:", 3) == 0) {
        o.mode = NET_MODE_NS;
        if (arg[3] != '/')
            return invalid(err, arg,
                           "ns: needs the absolute path of a network namespace "
                           "(ns:/run/user/1000/netns/NAME)");
        o.target = xstrdup(arg + 3);
    } else if (strncmp(arg, "container:", 10) == 0) {
        o.mode = NET_MODE_CONTAINER;
        if (arg[10] == '\0')
            return invalid(err, arg, "container: needs a container name or id");
        o.target = xstrdup(arg + 10);
    } else if ((opts = mode_options(arg, "slirp4netns")) != NULL) {
        o.mode = NET_MODE_SLIRP4NETNS;
        o.mtu = SLIRP4NETNS_MTU;
        o.enable_ipv6 = 1;
        if (opts[0] != '\0')
            rc = parse_slirp4netns(arg, opts, &o, err);
    } else if ((opts = mode_options(arg, "pasta")) != NULL) {
        o.mode = NET_MODE_PASTA;
        if (opts[0] != '\0')
            rc = parse_pasta(arg, opts, &o, err);
    } else {
        size_t n = strcspn(arg, ":");

        if ((n == 4 && strncmp(arg, "none", 4) == 0) || (n == 4 && strncmp(arg, "host", 4) == 0))
            return invalid(err, arg, "network mode '%.*s' takes no options", (int)n, arg);
        if (n == 6 && strncmp(arg, "bridge", 6) == 0)
            return invalid(err, arg,
                           "bridge networks need root; rootless ctr has pasta, slirp4netns, "
                           "none, host, ns:PATH and container:NAME");
        return invalid(err, arg,
                       "unknown network mode '%.*s' (pasta, slirp4netns, none, host, ns:PATH or "
                       "container:NAME)",
                       (int)n, arg);
    }
    if (rc < 0) {
        net_options_clear(&o);
        return -1;
    }
    *ret = o;
    return 0;
}

void net_options_clear(struct net_options *o)
{
    if (o == NULL)
        return;
    free(o->cidr);
    strv_free(o->pasta_args);
    free(o->target);
    memset(o, 0, sizeof(*o));
}

/* --- running a helper --- */

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int poll_until(struct pollfd *fds, nfds_t n, long long deadline)
{
    for (;;) {
        long long left = deadline - now_ms();
        int r;

        if (left < 0)
            left = 0;
        r = poll(fds, n, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        return r;
    }
}

/*
 * A directory only we can enter, for pasta's namespace link and readiness FIFO and
 * slirp4netns's API socket: in `run_dir` when given, else under $XDG_RUNTIME_DIR when it is
 * ours, else $TMPDIR or /tmp (mkdtemp's 0700 and unpredictable name keep other users out).
 */
static char *private_dir(const char *run_dir, struct ctr_error **err)
{
    const char *bases[] = {getenv("XDG_RUNTIME_DIR"), getenv("TMPDIR"), "/tmp"};
    int last_errno = ENOENT;

    if (run_dir != NULL) {
        char *path = xasprintf("%s/" PRIVATE_DIR_TEMPLATE, run_dir);

        if (mkdtemp(path) != NULL)
            return path;
        ctr_error_errno(err, "create a directory in '%s'", run_dir);
        free(path);
        return NULL;
    }
    for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        cleanup_free char *path = NULL;
        struct stat st;

        if (bases[i] == NULL || bases[i][0] != '/' || stat(bases[i], &st) < 0 ||
            !S_ISDIR(st.st_mode) || (i == 0 && st.st_uid != geteuid()))
            continue;
        path = xasprintf("%s/" PRIVATE_DIR_TEMPLATE, bases[i]);
        if (mkdtemp(path) != NULL)
            return steal_pointer(&path);
        last_errno = errno;
    }
    ctr_error_errnum(err, last_errno, "create a private directory in $XDG_RUNTIME_DIR or /tmp");
    return NULL;
}

/*
 * Removes what may be in a private directory, then the directory.  The namespace link goes
 * first: pasta 2023.03 looks only at the first event of each read from its inotify watch, so
 * its name must not queue up behind another.
 */
static void remove_private_dir(const char *dir)
{
    static const char *const names[] = {NETNS_LINK_NAME, READY_FIFO_NAME, API_SOCKET_NAME};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        cleanup_free char *path = xasprintf("%s/%s", dir, names[i]);

        unlink(path);
    }
    rmdir(dir);
}

static void remove_private_dirp(char **dir)
{
    if (*dir != NULL) {
        remove_private_dir(*dir);
        free(*dir);
    }
}

#define cleanup_private_dir __attribute__((cleanup(remove_private_dirp)))

/*
 * The helper's stdout and stderr: a memfd, read for the error message when it fails to start,
 * and sealed once it is up, so that whatever it prints later fails (EPERM) instead of growing.
 * Not a pipe: once we stop reading, a write to it would raise SIGPIPE in the helper.
 */
static int output_create(struct ctr_error **err)
{
    int fd = memfd_create("ctr-net-helper", MFD_CLOEXEC | MFD_ALLOW_SEALING);

    if (fd < 0)
        return ctr_error_errno(err, "memfd_create");
    return fd;
}

static void output_seal(int fd)
{
    /* Nothing to report if this fails: the helper's output would only use some memory. */
    if (ftruncate(fd, 0) == 0)
        fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
}

/* Lines both helpers print on every start, which say nothing about a failure. */
static int is_noise(const char *line)
{
    static const char *const prefixes[] = {
            "WARNING: Support for", "sent tapfd=",  "received tapfd=", "Starting slirp",    "* ",
            "apifd event",          "api_handler:", "seccomp: ",       "Don't run as root",
    };

    if (line[0] == '\0')
        return 1;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (strncmp(line, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    /* pasta with no syslog socket: "Failed to send 51 bytes to syslog". */
    return strncmp(line, "Failed to send ", 15) == 0 && strstr(line, " to syslog") != NULL;
}

/* The last few meaningful lines the helper printed, joined with "; " ("" when none). */
static char *output_message(int fd)
{
    cleanup_free char *buf = xmalloc(OUTPUT_MAX + 1);
    char *lines[MESSAGE_LINES] = {NULL};
    char *rest, *line, *msg;
    size_t n = 0;
    ssize_t len;

    do
        len = pread(fd, buf, OUTPUT_MAX, 0);
    while (len < 0 && errno == EINTR);
    buf[len > 0 ? len : 0] = '\0';
    rest = buf;
    while ((line = strsep(&rest, "\n")) != NULL) {
        size_t l = strlen(line);

        /* slirp4netns follows its message with its usage: the message is enough. */
        if (strncmp(line, "Usage: ", 7) == 0)
            break;

        while (l > 0 && (line[l - 1] == '\r' || line[l - 1] == ' ' || line[l - 1] == '\t'))
            line[--l] = '\0';
        if (is_noise(line))
            continue;
        if (n == MESSAGE_LINES) {
            memmove(lines, lines + 1, sizeof(lines[0]) * (MESSAGE_LINES - 1));
            n--;
        }
        lines[n++] = line;
    }
    msg = xstrdup("");
    for (size_t i = 0; i < n; i++) {
        char *longer = xasprintf("%s%s%s", msg, i > 0 ? "; " : "", lines[i]);

        free(msg);
        msg = longer;
    }
    return msg;
}

/* In the child: a clean slate for the helper, then exec.  Only async-signal-safe calls. */
static _Noreturn void exec_helper(char *const argv[], int null_fd, int out_fd, const int *keep,
                                  size_t n_keep, int errfd)
{
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigset_t none;
    int e;

    /* The caller's ignored signals and blocked mask would otherwise survive the exec. */
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaction(sig, &dfl, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* A session of its own: ^C on the caller's terminal is for the container, not for us. */
    setsid();
    /*
     * It dies with the process that keeps the container (ctr in the foreground, the monitor
     * detached, which inherits this from the starter it execs over): a monitor killed with
     * -9 takes its container with it, and pasta would not notice that on its own.
     */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
        dup2(out_fd, STDERR_FILENO) < 0)
        goto fail;
    for (size_t i = 0; i < n_keep; i++)
        if (fcntl(keep[i], F_SETFD, 0) < 0)
            goto fail;
    execv(argv[0], argv);
fail:
    e = errno;
    if (write(errfd, &e, sizeof(e)) < 0) {
        /* the parent then sees exit status 127 */
    }
    _exit(127);
}

/*
 * Forks and executes argv[0] with stdout and stderr on `out_fd` and `keep` inherited, and
 * returns once the exec has happened, with a pidfd for the child (Linux 5.3) to notice its
 * exit while waiting for it to be ready.
 */
static int spawn_helper(char *const argv[], int out_fd, const int *keep, size_t n_keep,
                        pid_t *ret_pid, int *ret_pidfd, struct ctr_error **err)
{
    cleanup_close int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    cleanup_close int err_r = -1, err_w = -1;
    int p[2], exec_errno = 0, pidfd;
    ssize_t n;
    pid_t pid;

    if (null_fd < 0)
        return ctr_error_errno(err, "open '/dev/null'");
    if (pipe2(p, O_CLOEXEC) < 0)
        return ctr_error_errno(err, "create a pipe");
    err_r = p[0];
    err_w = p[1];
    pid = fork();
    if (pid < 0)
        return ctr_error_errno(err, "fork to run '%s'", argv[0]);
    if (pid == 0)
        exec_helper(argv, null_fd, out_fd, keep, n_keep, err_w);
    close(steal_fd(&err_w));
    do
        n = read(err_r, &exec_errno, sizeof(exec_errno));
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof(exec_errno)) {
        ctr_waitpid(pid);
        return ctr_error_errnum(err, exec_errno, "run '%s'", argv[0]);
    }
    pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0) {
        int e = errno;

        kill(pid, SIGKILL);
        ctr_waitpid(pid);
        return ctr_error_errnum(err, e, "pidfd_open (Linux 5.3 or later is needed)");
    }
    *ret_pid = pid;
    *ret_pidfd = pidfd;
    return 0;
}

/*
 * Waits for the helper's first byte of readiness on `fd`.  Returns 1 with it in *ret_byte, 0
 * when the helper exited or closed `fd` first, -1 with errno set (ETIMEDOUT at the deadline).
 */
static int wait_ready(int fd, int pidfd, long long deadline, char *ret_byte)
{
    struct pollfd pfd[2] = {{.fd = fd, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};

    for (;;) {
        int r = poll_until(pfd, 2, deadline);
        ssize_t n;

        if (r < 0)
            return -1;
        if (r == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (pfd[0].revents != 0) {
            n = read(fd, ret_byte, 1);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n < 0)
                return -1;
            return n == 1 ? 1 : 0;
        }
        if (pfd[1].revents != 0)
            return 0;
    }
}

/* Reaps the helper, giving it `timeout_ms` to exit by itself before SIGKILL.  The status. */
static int reap_helper(pid_t pid, int pidfd, int timeout_ms)
{
    struct pollfd pfd = {.fd = pidfd, .events = POLLIN};

    if (pidfd < 0 || timeout_ms <= 0 || poll_until(&pfd, 1, now_ms() + timeout_ms) <= 0)
        kill(pid, SIGKILL);
    return ctr_waitpid(pid);
}

/*
 * The helper did not come up (`ready` is what wait_ready() returned): reaps it and makes the
 * error from what it printed.
 */
static int helper_failed(const char *name, pid_t pid, int pidfd, int out_fd, int ready,
                         struct ctr_error **err)
{
    int timed_out = ready < 0 && errno == ETIMEDOUT;
    int wait_errno = ready < 0 ? errno : 0;
    int status = reap_helper(pid, pidfd, ready < 0 ? 0 : EXIT_TIMEOUT_MS);
    cleanup_free char *msg = output_message(out_fd);
    cleanup_free char *how = NULL;

    if (timed_out)
        how = xasprintf("%s did not become ready within %d seconds", name, READY_TIMEOUT_MS / 1000);
    else if (ready < 0)
        how = xasprintf("wait for %s: %s", name, strerror(wait_errno));
    else if (status >= 0 && WIFSIGNALED(status))
        how = xasprintf("%s was killed by signal %d", name, WTERMSIG(status));
    else if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) != 0)
        how = xasprintf("%s exited with status %d", name, WEXITSTATUS(status));
    else
        how = xasprintf("%s exited without saying it was ready", name);
    if (msg[0] != '\0')
        return ctr_error_set(err, timed_out ? ETIMEDOUT : EIO, "%s (%s)", msg, how);
    return ctr_error_set(err, timed_out ? ETIMEDOUT : EIO, "%s", how);
}

static int not_installed(const char *name, const char *package, struct ctr_error **err)
{
    return ctr_error_set(err, ENOENT,
                         "%s is not installed (not found in $PATH): install the %s package", name,
                         package);
}

/* Ports: both helpers take a chosen host port, tcp or udp, within 1..65535. */
static int check_ports(const struct net_port *ports, size_t n, int ipv4_only,
                       struct ctr_error **err)
{
    for (size_t i = 0; i < n; i++) {
        const struct net_port *p = &ports[i];
        cleanup_free char *what = net_port_format(p);

        if (p->host_port == 0 || p->container_port == 0 || p->count == 0 ||
            (unsigned)p->host_port + p->count - 1 > 65535 ||
            (unsigned)p->container_port + p->count - 1 > 65535)
            return ctr_error_set(err, EINVAL, "publish %s: no host port chosen or bad range", what);
        if (strcmp(p->protocol, "tcp") != 0 && strcmp(p->protocol, "udp") != 0)
            return ctr_error_set(err, EINVAL, "publish %s: protocol '%s' is not tcp or udp", what,
                                 p->protocol);
        if (ipv4_only && strchr(p->host_ip, ':') != NULL)
            return ctr_error_set(err, EINVAL,
                                 "publish %s: slirp4netns forwards IPv4 host addresses only "
                                 "(use --network pasta)",
                                 what);
    }
    return 0;
}

/* --- slirp4netns --- */

/* send(2) until all is sent; MSG_NOSIGNAL: a helper that died must not kill us by SIGPIPE. */
static int send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* One request on the API socket: connect, send, shut down our side, read the answer. */
static int slirp4netns_request(const char *path, json_t *req, struct ctr_error **err)
{
    cleanup_free char *text = json_dumps(req, JSON_COMPACT);
    cleanup_free char *answer = xmalloc(OUTPUT_MAX + 1);
    cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cleanup_with(json_decrefp) json_t *reply = NULL;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    long long deadline = now_ms() + API_TIMEOUT_MS;
    json_t *error;
    size_t len = 0;

    if (text == NULL)
        return ctr_error_set(err, ENOMEM, "encode the slirp4netns request");
    if (fd < 0)
        return ctr_error_errno(err, "create a socket");
    if (strlen(path) >= sizeof(sa.sun_path))
        return ctr_error_set(err, ENAMETOOLONG, "api socket path '%s' is too long", path);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return ctr_error_errno(err, "connect to slirp4netns's api socket '%s'", path);
    /* slirp4netns reads the request up to end of file (and at most 4096 bytes). */
    if (send_all(fd, text, strlen(text)) < 0 || shutdown(fd, SHUT_WR) < 0)
        return ctr_error_errno(err, "send slirp4netns a request");
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int r = poll_until(&pfd, 1, deadline);
        ssize_t n;

        if (r == 0)
            return ctr_error_set(err, ETIMEDOUT, "slirp4netns did not answer within %d seconds",
                                 API_TIMEOUT_MS / 1000);
        if (r < 0)
            return ctr_error_errno(err, "wait for slirp4netns's answer");
        n = read(fd, answer + len, OUTPUT_MAX - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ctr_error_errno(err, "read slirp4netns's answer");
        if (n == 0 || (len += (size_t)n) == OUTPUT_MAX)
            break;
    }
    answer[len] = '\0';
    reply = json_loadb(answer, len, 0, NULL);
    if (json_object_get(reply, "return") != NULL)
        return 0;
    error = json_object_get(json_object_get(reply, "error"), "desc");
    if (json_is_string(error))
        return ctr_error_set(err, EIO, "slirp4netns: %s", json_string_value(error));
    return ctr_error_set(err, EIO, "slirp4netns answered '%s'", answer);
}

static int slirp4netns_forward(const char *api, const struct net_port *p, struct ctr_error **err)
{
    for (unsigned i = 0; i < p->count; i++) {
        /* No guest_addr: slirp4netns then uses the address --configure gave the container. */
        cleanup_with(json_decrefp) json_t *req = json_pack(
                "{s:s, s:{s:s, s:s, s:i, s:i}}", "execute", "add_hostfwd", "arguments", "proto",
                p->protocol, "host_addr", p->host_ip[0] != '\0' ? p->host_ip : "0.0.0.0",
                "host_port", (int)(p->host_port + i), "guest_port", (int)(p->container_port + i));

        if (req == NULL)
            return ctr_error_set(err, ENOMEM, "encode the slirp4netns request");
        if (slirp4netns_request(api, req, err) < 0) {
            struct net_port one = *p;
            cleanup_free char *what = NULL;

            one.host_port = (uint16_t)(p->host_port + i);
            one.container_port = (uint16_t)(p->container_port + i);
            one.count = 1;
            what = net_port_format(&one);

            return ctr_error_wrap(err, "publish %s", what);
        }
    }
    return 0;
}

/* The host's first non-loopback IPv4 address: Podman's host.containers.internal. */
static void first_host_address(char ret[64])
{
    struct ifaddrs *list = NULL;

    ret[0] = '\0';
    if (getifaddrs(&list) < 0)
        return;
    for (struct ifaddrs *i = list; i != NULL; i = i->ifa_next) {
        if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
            (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP))
            continue;
        inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, ret, 64);
        break;
    }
    freeifaddrs(list);
}

static int start_slirp4netns(const struct net_options *o, pid_t pid, const struct net_port *ports,
                             size_t n_ports, struct net_helper *h, struct ctr_error **err)
{
    cleanup_free char *path = ctr_find_program("slirp4netns");
    cleanup_private_dir char *dir = NULL;
    cleanup_free char *api = NULL;
    cleanup_close int ready_r = -1, ready_w = -1, exit_r = -1, exit_w = -1;
    cleanup_close int out_fd = -1, pidfd = -1;
    cleanup_strv char **argv = xcalloc(20, sizeof(*argv));
    const char *cidr = o->cidr != NULL ? o->cidr : SLIRP4NETNS_CIDR;
    struct in_addr net;
    unsigned prefix;
    size_t argc = 0;
    pid_t child = -1;
    int p[2], ready, keep[2];
    char byte = 0;

    if (path == NULL)
        return not_installed("slirp4netns", "slirp4netns", err);
    if (check_ports(ports, n_ports, 1, err) < 0)
        return -1;
    if (parse_cidr(cidr, &net, &prefix) < 0)
        return ctr_error_set(err, EINVAL, "cidr '%s' is not an IPv4 network", cidr);
    if (pipe2(p, O_CLOEXEC) < 0)
        return ctr_error_errno(err, "create a pipe");
    ready_r = p[0];
    ready_w = p[1];
    if (pipe2(p, O_CLOEXEC) < 0)
        return ctr_error_errno(err, "create a pipe");
    exit_r = p[0];
    exit_w = p[1];
    if (n_ports > 0) {
        /*
         * Not o->run_dir: the socket is gone again before we return, and a path in a
         * container's directory could be longer than sun_path's 108 bytes.
         */
        dir = private_dir(NULL, err);
        if (dir == NULL)
            return -1;
        api = xasprintf("%s/" API_SOCKET_NAME, dir);
    }
    out_fd = output_create(err);
    if (out_fd < 0)
        return -1;

    /*
     * Not --enable-sandbox: run by a user on the host (not, as in Podman, as root of a user
     * namespace of its own) slirp4netns 1.2.0 fails in it ("setegid(0)", verified).
     */
    argv[argc++] = xstrdup(path);
    argv[argc++] = xstrdup("--configure");
    argv[argc++] = xasprintf("--mtu=%u", o->mtu != 0 ? o->mtu : SLIRP4NETNS_MTU);
    argv[argc++] = xasprintf("--cidr=%s", cidr);
    if (!o->allow_host_loopback)
        argv[argc++] = xstrdup("--disable-host-loopback");
    if (o->enable_ipv6)
        argv[argc++] = xstrdup("--enable-ipv6");
    argv[argc++] = xstrdup("--enable-seccomp");
    argv[argc++] = xasprintf("--ready-fd=%d", ready_w);
    argv[argc++] = xasprintf("--exit-fd=%d", exit_r);
    if (api != NULL)
        argv[argc++] = xasprintf("--api-socket=%s", api);
    argv[argc++] = xasprintf("--userns-path=/proc/%d/ns/user", (int)pid);
    argv[argc++] = xstrdup("--netns-type=path");
    argv[argc++] = xasprintf("/proc/%d/ns/net", (int)pid);
    argv[argc++] = xstrdup("tap0");

    keep[0] = ready_w;
    keep[1] = exit_r;
    if (spawn_helper(argv, out_fd, keep, 2, &child, &pidfd, err) < 0)
        return -1;
    close(steal_fd(&ready_w));
    close(steal_fd(&exit_r));
    /* It writes "1" once the interface is configured and the API socket listens (v0.4.0+). */
    ready = wait_ready(ready_r, pidfd, now_ms() + READY_TIMEOUT_MS, &byte);
    if (ready <= 0 || byte != '1')
        return helper_failed("slirp4netns", child, pidfd, out_fd, ready < 0 ? -1 : 0, err);
    for (size_t i = 0; i < n_ports; i++) {
        if (slirp4netns_forward(api, &ports[i], err) < 0) {
            reap_helper(child, pidfd, 0);
            return -1;
        }
    }
    output_seal(out_fd);

    h->pid = child;
    h->exit_fd = steal_fd(&exit_w);
    address_plus(net, 3, h->dns);
    if (o->allow_host_loopback)
        address_plus(net, 2, h->host_address);
    else
        first_host_address(h->host_address);
    return 0;
}

/* --- pasta --- */

/* The gateway of the host's IPv4 default route, which pasta copies into the namespace. */
static void default_gateway(char ret[64])
{
    cleanup_fclose FILE *f = fopen("/proc/net/route", "re");
    char line[512];

    ret[0] = '\0';
    if (f == NULL || fgets(line, sizeof(line), f) == NULL) /* the header */
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        char iface[64];
        unsigned dest, gateway, flags;

        /* Addresses are printed as the raw (network order) 32-bit value, in hex. */
        if (sscanf(line, "%63s %x %x %x", iface, &dest, &gateway, &flags) != 4)
            continue;
        if (dest == 0 && (flags & RTF_GATEWAY) && (flags & RTF_UP)) {
            struct in_addr a = {.s_addr = gateway};

            inet_ntop(AF_INET, &a, ret, 64);
            return;
        }
    }
}

/*
 * One -t/-u per port, ranges too: pasta gives up only when it can bind none of the ports of
 * one option ("Failed to bind any port"), and goes on without the others.
 */
static char *pasta_port_spec(const struct net_port *p, unsigned i)
{
    const char *slash = p->host_ip[0] != '\0' ? "/" : "";

    return xasprintf("%s%s%u:%u", p->host_ip, slash, p->host_port + i, p->container_port + i);
}

static int any_port(const struct net_port *ports, size_t n, const char *protocol)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ports[i].protocol, protocol) == 0)
            return 1;
    return 0;
}

static char **pasta_argv(const char *path, const struct net_options *o, pid_t pid, const char *link,
                         const char *fifo, const struct net_port *ports, size_t n_ports)
{
    char *const *user = o->pasta_args;
    size_t max = strv_length(user) + 32, argc = 0;
    char **argv;

    for (size_t i = 0; i < n_ports; i++)
        max += 2 * (size_t)ports[i].count;
    argv = xcalloc(max, sizeof(*argv));

    argv[argc++] = xstrdup(path);
    argv[argc++] = xstrdup("--config-net");
    argv[argc++] = xstrdup("--quiet");
    /* Started as root pasta becomes nobody, who cannot open /proc/PID/ns of root's process. */
    if (geteuid() == 0 && !has_option(user, '\0', "--runas")) {
        argv[argc++] = xstrdup("--runas");
        argv[argc++] = xasprintf("%u:%u", (unsigned)geteuid(), (unsigned)getegid());
    }
    for (size_t i = 0; user != NULL && user[i] != NULL; i++)
        argv[argc++] = xstrdup(user[i]);
    for (size_t i = 0; i < n_ports; i++) {
        for (unsigned j = 0; j < ports[i].count; j++) {
            argv[argc++] = xstrdup(strcmp(ports[i].protocol, "udp") == 0 ? "-u" : "-t");
            argv[argc++] = pasta_port_spec(&ports[i], j);
        }
    }
    /* Podman's defaults: no automatic forwarding of whatever gets bound on either side. */
    if (!any_port(ports, n_ports, "tcp") && !has_option(user, 't', "--tcp-ports")) {
        argv[argc++] = xstrdup("-t");
        argv[argc++] = xstrdup("none");
    }
    if (!any_port(ports, n_ports, "udp") && !has_option(user, 'u', "--udp-ports")) {
        argv[argc++] = xstrdup("-u");
        argv[argc++] = xstrdup("none");
    }
    if (!has_option(user, 'T', "--tcp-ns")) {
        argv[argc++] = xstrdup("-T");
        argv[argc++] = xstrdup("none");
    }
    if (!has_option(user, 'U', "--udp-ns")) {
        argv[argc++] = xstrdup("-U");
        argv[argc++] = xstrdup("none");
    }
    if (!o->allow_host_loopback)
        argv[argc++] = xstrdup("--no-map-gw");
    if (!has_option(user, '\0', "--dns-forward")) {
        argv[argc++] = xstrdup("--dns-forward");
        argv[argc++] = xstrdup(PASTA_DNS_FORWARD);
    }
    /*
     * In the foreground it stays our child; -P is written once the namespace is configured and
     * the ports are bound, which makes a FIFO a readiness fd.  (A pipe passed as
     * /proc/self/fd/N works too, but newer pasta closes inherited fds at start.)
     */
    argv[argc++] = xstrdup("--foreground");
    argv[argc++] = xstrdup("--pid");
    argv[argc++] = xstrdup(fifo);
    argv[argc++] = xstrdup("--netns");
    argv[argc++] = xstrdup(link);
    argv[argc++] = xstrdup("--userns");
    argv[argc++] = xasprintf("/proc/%d/ns/user", (int)pid);
    return argv;
}

static int start_pasta(const struct net_options *o, pid_t pid, const struct net_port *ports,
                       size_t n_ports, struct net_helper *h, struct ctr_error **err)
{
    cleanup_free char *path = ctr_find_program("pasta");
    cleanup_private_dir char *dir = NULL;
    cleanup_free char *link = NULL, *fifo = NULL, *target = NULL;
    cleanup_close int ready_fd = -1, out_fd = -1, pidfd = -1;
    cleanup_strv char **argv = NULL;
    const char *dns, *gateway;
    pid_t child = -1;
    char byte = 0;
    int ready;

    if (path == NULL)
        return not_installed("pasta", "passt", err);
    if (check_ports(ports, n_ports, 0, err) < 0)
        return -1;
    /*
     * pasta exits when the name given as --netns is deleted from its directory (inotify); that
     * is how its life is tied to the container's.  /proc/PID/ns/net itself cannot be watched,
     * and pasta 2023.03 never notices its PID exiting, so it gets a link of ours to watch.
     */
    dir = private_dir(o->run_dir, err);
    if (dir == NULL)
        return -1;
    link = xasprintf("%s/" NETNS_LINK_NAME, dir);
    fifo = xasprintf("%s/" READY_FIFO_NAME, dir);
    target = xasprintf("/proc/%d/ns/net", (int)pid);
    if (symlink(target, link) < 0)
        return ctr_error_errno(err, "create '%s'", link);
    if (mkfifo(fifo, 0600) < 0)
        return ctr_error_errno(err, "create '%s'", fifo);
    /* Open for reading first, so that pasta's open for writing does not block. */
    ready_fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (ready_fd < 0)
        return ctr_error_errno(err, "open '%s'", fifo);
    out_fd = output_create(err);
    if (out_fd < 0)
        return -1;
    argv = pasta_argv(path, o, pid, link, fifo, ports, n_ports);
    if (spawn_helper(argv, out_fd, NULL, 0, &child, &pidfd, err) < 0)
        return -1;
    ready = wait_ready(ready_fd, pidfd, now_ms() + READY_TIMEOUT_MS, &byte);
    if (ready <= 0)
        return helper_failed("pasta", child, pidfd, out_fd, ready, err);
    output_seal(out_fd);

    h->pid = child;
    h->netns_link = steal_pointer(&link);
    /* The directory stays until net_helper_release(): deleting the link is what ends pasta. */
    free(steal_pointer(&dir));
    dns = option_value(o->pasta_args, '\0', "--dns-forward");
    snprintf(h->dns, sizeof(h->dns), "%s", dns != NULL ? dns : PASTA_DNS_FORWARD);
    if (o->allow_host_loopback) {
        struct in_addr a;

        gateway = option_value(o->pasta_args, 'g', "--gateway");
        if (gateway != NULL && inet_pton(AF_INET, gateway, &a) == 1)
            snprintf(h->host_address, sizeof(h->host_address), "%s", gateway);
        else
            default_gateway(h->host_address);
    }
    return 0;
}

/* --- the public side --- */

static const char *mode_name(enum net_mode mode)
{
    switch (mode) {
    case NET_MODE_NONE:
        return "none";
    case NET_MODE_HOST:
        return "host";
    case NET_MODE_SLIRP4NETNS:
        return "slirp4netns";
    case NET_MODE_PASTA:
        return "pasta";
    case NET_MODE_NS:
        return "ns";
    case NET_MODE_CONTAINER:
        return "container";
    }
    return "unknown";
}

int net_helper_start(const struct net_options *o, pid_t pid, const struct net_port *ports,
                     size_t n_ports, struct net_helper *ret, struct ctr_error **err)
{
    struct net_helper h = NET_HELPER_INIT;
    int rc;

    h.mode = o->mode;
    switch (o->mode) {
    case NET_MODE_SLIRP4NETNS:
        rc = start_slirp4netns(o, pid, ports, n_ports, &h, err);
        break;
    case NET_MODE_PASTA:
        rc = start_pasta(o, pid, ports, n_ports, &h, err);
        break;
    default:
        if (n_ports > 0)
            return ctr_error_set(err, EINVAL,
                                 "ports can be published with --network pasta or slirp4netns, "
                                 "not with --network %s",
                                 mode_name(o->mode));
        rc = 0;
        break;
    }
    if (rc < 0)
        return ctr_error_wrap(err, "start %s", mode_name(o->mode));
    *ret = h;
    return 0;
}

void net_helper_release_link(const char *netns_link)
{
    cleanup_free char *dir = NULL;
    const char *slash;

    if (netns_link == NULL || (slash = strrchr(netns_link, '/')) == NULL)
        return;
    /* Only what private_dir() made: never an rmdir() of something the caller named. */
    if (strcmp(slash + 1, NETNS_LINK_NAME) != 0)
        return;
    dir = xstrndup(netns_link, (size_t)(slash - netns_link));
    if (strncmp(strrchr(dir, '/') != NULL ? strrchr(dir, '/') + 1 : dir, "ctr-net-", 8) != 0)
        return;
    remove_private_dir(dir);
}

void net_helper_release(struct net_helper *h)
{
    if (h == NULL)
        return;
    if (h->exit_fd >= 0)
        close(steal_fd(&h->exit_fd));
    net_helper_release_link(h->netns_link);
    free(steal_pointer(&h->netns_link));
}

void net_helper_stop(struct net_helper *h)
{
    if (h == NULL)
        return;
    net_helper_release(h);
    if (h->pid > 0) {
        kill(h->pid, SIGKILL);
        ctr_waitpid(h->pid);
        h->pid = -1;
    }
}
