/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "helper.h"
#include "spawn.h"
#include "unit.h"
#include "userns.h"
#include "xalloc.h"

/* The port the namespace's process listens on, and the helper forwards to. */
#define CONTAINER_PORT 8080
#define WAIT_MS        10000
/* How soon a released helper must be gone. */
#define GONE_MS 2000

/* --- net_options_parse --- */

static void parse_ok(const char *arg, struct net_options *o)
{
    cleanup_error struct ctr_error *err = NULL;

    ASSERT_OK(net_options_parse(arg, o, &err), &err);
}

/* `arg` must fail with EINVAL and a message containing `needle`. */
static void parse_fails(const char *arg, const char *needle)
{
    cleanup_error struct ctr_error *err = NULL;
    struct net_options o = {.mode = NET_MODE_HOST, .mtu = 7};

    ASSERT_FAILS(net_options_parse(arg, &o, &err), &err);
    ASSERT_INT_EQ(err->code, EINVAL);
    ASSERT_STR_CONTAINS(err->msg, needle);
    /* *ret is written only on success. */
    ASSERT_INT_EQ(o.mode, NET_MODE_HOST);
    ASSERT_UINT_EQ(o.mtu, 7);
}

TEST(parse_none_and_host)
{
    struct net_options o;

    parse_ok("none", &o);
    ASSERT_INT_EQ(o.mode, NET_MODE_NONE);
    ASSERT_TRUE(o.pasta_args == NULL && o.target == NULL && o.cidr == NULL);
    net_options_clear(&o);
    parse_ok("host", &o);
    ASSERT_INT_EQ(o.mode, NET_MODE_HOST);
    net_options_clear(&o);
    parse_fails("none:x", "network mode 'none' takes no options");
    parse_fails("host:", "network mode 'host' takes no options");
}

TEST(parse_slirp4netns_defaults)
{
    struct net_options o;

    parse_ok("slirp4netns", &o);
    ASSERT_INT_EQ(o.mode, NET_MODE_SLIRP4NETNS);
    ASSERT_UINT_EQ(o.mtu, 65520);
    ASSERT_INT_EQ(o.enable_ipv6, 1);
    ASSERT_INT_EQ(o.allow_host_loopback, 0);
    ASSERT_TRUE(o.cidr == NULL);
    net_options_clear(&o);
    parse_ok("slirp4netns:", &o);
    ASSERT_INT_EQ(o.mode, NET_MODE_SLIRP4NETNS);
    net_options_clear(&o);
}

TEST(parse_slirp4netns_options)
{
    struct net_options o;

    parse_ok("slirp4netns:allow_host_loopback=true,mtu=1500,cidr=10.0.3.0/24,enable_ipv6=false,"
             "port_handler=slirp4netns",
             &o);
    ASSERT_INT_EQ(o.mode, NET_MODE_SLIRP4NETNS);
    ASSERT_INT_EQ(o.allow_host_loopback, 1);
    ASSERT_UINT_EQ(o.mtu, 1500);
    ASSERT_STR_EQ(o.cidr, "10.0.3.0/24");
    ASSERT_INT_EQ(o.enable_ipv6, 0);
    net_options_clear(&o);
    ASSERT_TRUE(o.cidr == NULL);
    /* The last value wins, as in Podman. */
    parse_ok("slirp4netns:mtu=9000,mtu=68,cidr=10.0.4.0/24,cidr=192.168.7.0/25", &o);
    ASSERT_UINT_EQ(o.mtu, 68);
    ASSERT_STR_EQ(o.cidr, "192.168.7.0/25");
    net_options_clear(&o);
}

TEST(parse_slirp4netns_errors)
{
    parse_fails("slirp4netns:mtu=abc", "invalid --network 'slirp4netns:mtu=abc': mtu 'abc'");
    parse_fails("slirp4netns:mtu=65522", "mtu '65522' is not a number from 68 to 65521");
    parse_fails("slirp4netns:mtu=-1", "mtu '-1'");
    parse_fails("slirp4netns:mtu=", "mtu ''");
    parse_fails("slirp4netns:allow_host_loopback=yes", "allow_host_loopback 'yes' is not true");
    parse_fails("slirp4netns:enable_ipv6=", "enable_ipv6 ''");
    parse_fails("slirp4netns:cidr=10.0.2.0", "cidr '10.0.2.0' is not an IPv4 network");
    parse_fails("slirp4netns:cidr=fd00::/64", "cidr 'fd00::/64'");
    parse_fails("slirp4netns:cidr=10.0.2.0/33", "cidr '10.0.2.0/33'");
    parse_fails("slirp4netns:cidr=10.0.2.0/28", "leaves no room");
    parse_fails("slirp4netns:port_handler=rootlesskit", "port_handler 'rootlesskit' is not supp");
    parse_fails("slirp4netns:port_handler=x", "port_handler 'x' is not slirp4netns");
    parse_fails("slirp4netns:outbound_addr=eth0", "unknown slirp4netns option 'outbound_addr'");
    parse_fails("slirp4netns:mtu", "slirp4netns option 'mtu' needs a value");
    parse_fails("slirp4netns:mtu=1500,,cidr=10.0.2.0/24", "empty slirp4netns option");
}

TEST(parse_pasta_options)
{
    struct net_options o;

    parse_ok("pasta", &o);
    ASSERT_INT_EQ(o.mode, NET_MODE_PASTA);
    ASSERT_TRUE(o.pasta_args == NULL);
    ASSERT_INT_EQ(o.allow_host_loopback, 0);
    net_options_clear(&o);
    parse_ok("pasta:-t,8080,--map-gw,--ipv4-only,--dns-forward=10.9.9.9", &o);
    ASSERT_INT_EQ(o.mode, NET_MODE_PASTA);
    ASSERT_INT_EQ(o.allow_host_loopback, 1);
    ASSERT_UINT_EQ(strv_length(o.pasta_args), 4);
    ASSERT_STR_EQ(o.pasta_args[0], "-t");
    ASSERT_STR_EQ(o.pasta_args[1], "8080");
    ASSERT_STR_EQ(o.pasta_args[2], "--ipv4-only");
    ASSERT_STR_EQ(o.pasta_args[3], "--dns-forward=10.9.9.9");
    net_options_clear(&o);
    ASSERT_TRUE(o.pasta_args == NULL);
    /* Only --map-gw: no pasta options at all. */
    parse_ok("pasta:--map-gw", &o);
    ASSERT_TRUE(o.pasta_args == NULL);
    ASSERT_INT_EQ(o.allow_host_loopback, 1);
    net_options_clear(&o);
}

TEST(parse_pasta_reserved)
{
    parse_fails("pasta:--netns,/run/netns/x", "pasta option '--netns' is set by ctr");
    parse_fails("pasta:--netns=/run/netns/x", "pasta option '--netns=/run/netns/x' is set by ctr");
    parse_fails("pasta:--userns,/proc/1/ns/user", "pasta option '--userns' is set by ctr");
    parse_fails("pasta:--netns-only", "'--netns-only'");
    parse_fails("pasta:--no-netns-quit", "'--no-netns-quit'");
    parse_fails("pasta:-f", "pasta option '-f' is set by ctr");
    parse_fails("pasta:--foreground", "'--foreground'");
    parse_fails("pasta:-P,/tmp/pid", "pasta option '-P' is set by ctr");
    parse_fails("pasta:--pid=/tmp/pid", "'--pid=/tmp/pid'");
    parse_fails("pasta:-t,,80", "empty pasta option");
    parse_fails("pasta:-t,80,", "empty pasta option");
}

TEST(parse_ns_and_container)
{
    struct net_options o;

    parse_ok("ns:/run/user/1000/netns/a", &o);
    ASSERT_INT_EQ(o.mode, NET_MODE_NS);
    ASSERT_STR_EQ(o.target, "/run/user/1000/netns/a");
    net_options_clear(&o);
    parse_ok("container:web", &o);
    ASSERT_INT_EQ(o.mode, NET_MODE_CONTAINER);
    ASSERT_STR_EQ(o.target, "web");
    net_options_clear(&o);
    parse_fails("ns:", "ns: needs the absolute path");
    parse_fails("ns:netns/a", "invalid --network 'ns:netns/a': ns: needs the absolute path");
    parse_fails("container:", "container: needs a container name or id");
}

TEST(parse_unknown_modes)
{
    parse_fails("bridge", "bridge networks need root");
    parse_fails("bridge:ip=10.88.0.5", "bridge networks need root");
    parse_fails("slirp", "unknown network mode 'slirp'");
    parse_fails("pasta4:x", "unknown network mode 'pasta4'");
    parse_fails("slirp4netnsx", "unknown network mode 'slirp4netnsx'");
    parse_fails("mynet:alias=x", "invalid --network 'mynet:alias=x': unknown network mode 'mynet'");
}

TEST(parse_default_picks_installed_helper)
{
    cleanup_free char *pasta = ctr_find_program("pasta");
    cleanup_free char *slirp = ctr_find_program("slirp4netns");
    cleanup_error struct ctr_error *err = NULL;
    struct net_options o;

    if (pasta == NULL && slirp == NULL) {
        ASSERT_FAILS(net_options_parse("", &o, &err), &err);
        ASSERT_STR_CONTAINS(err->msg, "install passt");
        return;
    }
    parse_ok("", &o);
    ASSERT_INT_EQ(o.mode, pasta != NULL ? NET_MODE_PASTA : NET_MODE_SLIRP4NETNS);
    net_options_clear(&o);
    parse_ok("private", &o);
    ASSERT_INT_EQ(o.mode, pasta != NULL ? NET_MODE_PASTA : NET_MODE_SLIRP4NETNS);
    net_options_clear(&o);
    parse_ok(NULL, &o);
    ASSERT_INT_EQ(o.mode, pasta != NULL ? NET_MODE_PASTA : NET_MODE_SLIRP4NETNS);
    net_options_clear(&o);
}

TEST(parse_default_without_helpers)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *path = getenv("PATH") != NULL ? xstrdup(getenv("PATH")) : NULL;
    struct net_options o = {.mode = NET_MODE_HOST};

    ASSERT_TRUE(setenv("PATH", "/nonexistent", 1) == 0);
    ASSERT_FAILS(net_options_parse("", &o, &err), &err);
    ASSERT_INT_EQ(err->code, ENOENT);
    ASSERT_STR_CONTAINS(err->msg, "no user-mode network helper is installed: install passt");
    ASSERT_INT_EQ(o.mode, NET_MODE_HOST);
    /* Explicit modes are parsed without looking. */
    parse_ok("slirp4netns", &o);
    net_options_clear(&o);
    net_options_clear(&o);
    net_options_clear(NULL);
    /* Every case runs in this process when the binary is run without a name. */
    ASSERT_TRUE(path == NULL ? unsetenv("PATH") == 0 : setenv("PATH", path, 1) == 0);
}

TEST(start_without_helper)
{
    cleanup_error struct ctr_error *err = NULL;
    struct net_port port = {
            .host_ip = "", .host_port = 8080, .container_port = 80, .count = 1, .protocol = "tcp"};
    struct net_helper h = NET_HELPER_INIT;
    struct net_options o;

    parse_ok("none", &o);
    ASSERT_OK(net_helper_start(&o, getpid(), NULL, 0, &h, &err), &err);
    ASSERT_INT_EQ(h.pid, -1);
    ASSERT_INT_EQ(h.exit_fd, -1);
    ASSERT_INT_EQ(h.mode, NET_MODE_NONE);
    ASSERT_STR_EQ(h.dns, "");
    ASSERT_TRUE(h.netns_link == NULL);
    net_helper_release(&h);
    net_helper_stop(&h);
    ASSERT_FAILS(net_helper_start(&o, getpid(), &port, 1, &h, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "not with --network none");
    net_options_clear(&o);
}

/* --- live: a helper attached to a process in new user and network namespaces --- */

static int must_work(void)
{
    const char *ci = getenv("CI"), *must = getenv("CTR_TESTS_MUST_WORK");

    return (ci != NULL && ci[0] != '\0') || (must != NULL && strcmp(must, "1") == 0);
}

static void need_helper(const char *name, const char *package)
{
    cleanup_free char *path = ctr_find_program(name);
    cleanup_free char *why = NULL;

    if (access("/proc/self/ns/user", F_OK) < 0)
        unit_skip("this kernel has no user namespaces (CONFIG_USER_NS)");
    if (path != NULL)
        return;
    why = xasprintf("%s is not installed (Debian: the %s package)", name, package);
    if (must_work())
        UNIT_FAIL("%s, and CI or CTR_TESTS_MUST_WORK=1 is set", why);
    unit_skip(why);
}

/*
 * A private $XDG_RUNTIME_DIR for the helper's directory, so the test can see that nothing is
 * left in it (and parallel tests do not see each other's).
 */
static char *private_runtime_dir(void)
{
    char *dir = xstrdup("/tmp/test-nethelper-XXXXXX");

    ASSERT_TRUE(mkdtemp(dir) != NULL);
    ASSERT_TRUE(setenv("XDG_RUNTIME_DIR", dir, 1) == 0);
    return dir;
}

static void assert_dir_empty(const char *path)
{
    cleanup_dir DIR *d = opendir(path);
    struct dirent *e;

    ASSERT_TRUE(d != NULL);
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            UNIT_FAIL("'%s/%s' was left behind", path, e->d_name);
}

static void remove_runtime_dir(char *dir)
{
    assert_dir_empty(dir);
    ASSERT_TRUE(rmdir(dir) == 0);
    free(dir);
}

/* Our children as the kernel lists them ("" without CONFIG_PROC_CHILDREN: NULL). */
static char *children(void)
{
    cleanup_free char *path = xasprintf("/proc/self/task/%d/children", (int)gettid());
    cleanup_error struct ctr_error *err = NULL;
    char *text = NULL;
    size_t len;

    if (ctr_read_file(path, 65536, &text, &len, &err) < 0)
        return NULL;
    return text;
}

/* Only the namespace's process is our child: no helper was left running (or unreaped). */
static void assert_only_child(pid_t ns_pid)
{
    cleanup_free char *list = children();
    cleanup_free char *want = xasprintf("%d ", (int)ns_pid);

    if (list != NULL)
        ASSERT_STR_EQ(list, want);
}

struct ns_process {
    pid_t pid;
    int go_w;        /* the test writes one byte once the helper is up; closing it ends the child */
    int listening_r; /* the child writes one byte once it listens */
    /* the child's ends, closed by the parent after the spawn */
    int go_r;
    int listening_w;
};

static int read_byte(int fd, int timeout_ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    char byte;
    ssize_t n;

    if (poll(&pfd, 1, timeout_ms) <= 0)
        return -1;
    do
        n = read(fd, &byte, 1);
    while (n < 0 && errno == EINTR);
    return n == 1 ? byte : -1;
}

static int write_byte(int fd, char byte)
{
    return ctr_write_all(fd, &byte, 1);
}

/*
 * In the child, root of its new user and network namespaces: waits for the helper, listens on
 * CONTAINER_PORT, answers one connection's "ping" with "pong" and exits 0.  Exit codes above
 * 0 say where it stopped.
 */
static int ns_main(void *arg)
{
    struct ns_process *p = arg;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(CONTAINER_PORT)};
    char buf[4];
    size_t got = 0;
    int one = 1, s, c;

    close(p->go_w);
    close(p->listening_r);
    if (read_byte(p->go_r, 30000) < 0)
        return 2; /* the test gave up (closed go_w) */
    s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 1) < 0) {
        perror("ns_main: listen");
        return 3;
    }
    if (write_byte(p->listening_w, 'l') < 0)
        return 4;
    {
        struct pollfd pfd = {.fd = s, .events = POLLIN};

        /* Never block for ever: a failed test must not leave this process behind. */
        if (poll(&pfd, 1, WAIT_MS) != 1)
            return 5;
    }
    c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) {
        perror("ns_main: accept");
        return 5;
    }
    while (got < sizeof(buf)) {
        ssize_t n = read(c, buf + got, sizeof(buf) - got);

        if (n <= 0)
            return 6;
        got += (size_t)n;
    }
    if (memcmp(buf, "ping", 4) != 0 || ctr_write_all(c, "pong", 4) < 0)
        return 7;
    close(c);
    close(s);
    return 0;
}

static void ns_start(struct ns_process *p)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_idmap uid = {0, geteuid(), 1}, gid = {0, getegid(), 1};
    struct ctr_idmaps maps = {&uid, 1, &gid, 1};
    int fds[2];

    ASSERT_TRUE(pipe2(fds, O_CLOEXEC) == 0);
    p->go_r = fds[0];
    p->go_w = fds[1];
    ASSERT_TRUE(pipe2(fds, O_CLOEXEC) == 0);
    p->listening_r = fds[0];
    p->listening_w = fds[1];
    fflush(NULL);
    ASSERT_OK(ctr_userns_spawn(&maps, CLONE_NEWNET, ns_main, p, &p->pid, &err), &err);
    close(p->go_r);
    close(p->listening_w);
}

/* Ends the namespace's process (if it still waits) and returns its exit code. */
static int ns_finish(struct ns_process *p)
{
    int status;

    close(p->go_w);
    close(p->listening_r);
    status = ctr_waitpid(p->pid);
    ASSERT_TRUE(status >= 0 && WIFEXITED(status));
    return WEXITSTATUS(status);
}

static uint16_t free_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    cleanup_close int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    ASSERT_TRUE(s >= 0);
    ASSERT_TRUE(bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    ASSERT_TRUE(getsockname(s, (struct sockaddr *)&sa, &len) == 0);
    return ntohs(sa.sin_port);
}

/* Connects to 127.0.0.1:port, sends "ping", expects "pong". */
static void exchange(uint16_t port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {.tv_sec = WAIT_MS / 1000};
    cleanup_close int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    char buf[5] = "";
    size_t got = 0;

    ASSERT_TRUE(s >= 0);
    ASSERT_TRUE(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
    if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        UNIT_FAIL("connect to 127.0.0.1:%u: %s", port, strerror(errno));
    ASSERT_INT_EQ(ctr_write_all(s, "ping", 4), 0);
    while (got < 4) {
        ssize_t n = read(s, buf + got, 4 - got);

        if (n <= 0)
            UNIT_FAIL("read the answer through 127.0.0.1:%u: %s", port,
                      n == 0 ? "end of file" : strerror(errno));
        got += (size_t)n;
    }
    ASSERT_STR_EQ(buf, "pong");
}

/* Waits up to `ms` for the helper (our child) to exit by itself; its wait status. */
static int wait_exit(pid_t pid, int ms)
{
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
    int r, status;

    ASSERT_TRUE(pidfd >= 0);
    do
        r = poll(&pfd, 1, ms);
    while (r < 0 && errno == EINTR);
    close(pidfd);
    if (r == 0) {
        kill(pid, SIGKILL);
        ctr_waitpid(pid);
        UNIT_FAIL("the helper (pid %d) was still running %d ms after its release", (int)pid, ms);
    }
    status = ctr_waitpid(pid);
    ASSERT_TRUE(status >= 0);
    return status;
}

static void forward_and_exit(const char *network, enum net_mode mode)
{
    cleanup_error struct ctr_error *err = NULL;
    char *runtime_dir = private_runtime_dir();
    struct net_helper h = NET_HELPER_INIT;
    struct net_options o;
    struct ns_process ns;
    struct net_port port = {.host_ip = "127.0.0.1",
                            .container_port = CONTAINER_PORT,
                            .count = 1,
                            .protocol = "tcp"};
    int status;

    parse_ok(network, &o);
    ASSERT_INT_EQ(o.mode, mode);
    ns_start(&ns);
    port.host_port = free_port();
    ASSERT_OK(net_helper_start(&o, ns.pid, &port, 1, &h, &err), &err);
    ASSERT_TRUE(h.pid > 0);
    ASSERT_INT_EQ(h.mode, mode);
    if (mode == NET_MODE_SLIRP4NETNS) {
        ASSERT_TRUE(h.exit_fd >= 0);
        ASSERT_TRUE(h.netns_link == NULL);
        ASSERT_STR_EQ(h.dns, "10.0.2.3");
        /* The API socket is gone once the ports are set. */
        assert_dir_empty(runtime_dir);
    } else {
        ASSERT_INT_EQ(h.exit_fd, -1);
        ASSERT_TRUE(h.netns_link != NULL);
        ASSERT_TRUE(strncmp(h.netns_link, runtime_dir, strlen(runtime_dir)) == 0);
        ASSERT_STR_EQ(h.dns, "169.254.1.1");
        ASSERT_STR_EQ(h.host_address, "");
    }

    /* The container's side listens only now, after the helper said it is ready. */
    ASSERT_INT_EQ(write_byte(ns.go_w, 'g'), 0);
    ASSERT_INT_EQ(read_byte(ns.listening_r, WAIT_MS), 'l');
    exchange(port.host_port);
    ASSERT_INT_EQ(ns_finish(&ns), 0);

    /* The container is gone: released, the helper must follow within GONE_MS. */
    net_helper_release(&h);
    ASSERT_INT_EQ(h.exit_fd, -1);
    ASSERT_TRUE(h.netns_link == NULL);
    status = wait_exit(h.pid, GONE_MS);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_INT_EQ(WEXITSTATUS(status), 0);
    net_helper_release(&h);
    remove_runtime_dir(runtime_dir);
    net_options_clear(&o);
}

TEST(slirp4netns_forwards_and_exits)
{
    need_helper("slirp4netns", "slirp4netns");
    forward_and_exit("slirp4netns", NET_MODE_SLIRP4NETNS);
}

TEST(slirp4netns_options_forward_and_exit)
{
    need_helper("slirp4netns", "slirp4netns");
    forward_and_exit("slirp4netns:mtu=1500,enable_ipv6=false", NET_MODE_SLIRP4NETNS);
}

TEST(pasta_forwards_and_exits)
{
    need_helper("pasta", "passt");
    forward_and_exit("pasta", NET_MODE_PASTA);
}

/* A helper that cannot bind its host port: its own message, nothing left running or on disk. */
static void taken_port_fails(const char *network, const char *message)
{
    cleanup_error struct ctr_error *err = NULL;
    char *runtime_dir = private_runtime_dir();
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cleanup_close int taken = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    socklen_t len = sizeof(sa);
    struct net_helper h = NET_HELPER_INIT;
    struct net_options o;
    struct ns_process ns;
    struct net_port port = {.host_ip = "127.0.0.1",
                            .container_port = CONTAINER_PORT,
                            .count = 1,
                            .protocol = "tcp"};

    ASSERT_TRUE(taken >= 0);
    ASSERT_TRUE(bind(taken, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    ASSERT_TRUE(listen(taken, 1) == 0);
    ASSERT_TRUE(getsockname(taken, (struct sockaddr *)&sa, &len) == 0);
    port.host_port = ntohs(sa.sin_port);

    parse_ok(network, &o);
    ns_start(&ns);
    ASSERT_FAILS(net_helper_start(&o, ns.pid, &port, 1, &h, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, message);
    ASSERT_INT_EQ(h.pid, -1);
    assert_only_child(ns.pid);
    ASSERT_INT_EQ(ns_finish(&ns), 2);
    remove_runtime_dir(runtime_dir);
    net_options_clear(&o);
}

TEST(slirp4netns_taken_port_fails)
{
    need_helper("slirp4netns", "slirp4netns");
    taken_port_fails("slirp4netns", "start slirp4netns: publish 127.0.0.1:");
}

TEST(pasta_taken_port_fails)
{
    need_helper("pasta", "passt");
    taken_port_fails("pasta", "start pasta: Failed to bind any port for '-t 127.0.0.1/");
}

TEST(slirp4netns_refuses_ipv6_host_address)
{
    cleanup_error struct ctr_error *err = NULL;
    struct net_port port = {.host_ip = "::1",
                            .host_port = 8080,
                            .container_port = 80,
                            .count = 1,
                            .protocol = "tcp"};
    struct net_helper h = NET_HELPER_INIT;
    struct net_options o;

    need_helper("slirp4netns", "slirp4netns");
    parse_ok("slirp4netns", &o);
    /* Refused before anything starts: the pid is never used. */
    ASSERT_FAILS(net_helper_start(&o, getpid(), &port, 1, &h, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "slirp4netns forwards IPv4 host addresses only");
    ASSERT_STR_CONTAINS(err->msg, "[::1]:8080->80/tcp");
    net_options_clear(&o);
}

/* net_helper_stop(): killed and reaped at once, its files gone. */
static void stop_kills(const char *network)
{
    cleanup_error struct ctr_error *err = NULL;
    char *runtime_dir = private_runtime_dir();
    struct net_helper h = NET_HELPER_INIT;
    struct net_options o;
    struct ns_process ns;

    parse_ok(network, &o);
    ns_start(&ns);
    ASSERT_OK(net_helper_start(&o, ns.pid, NULL, 0, &h, &err), &err);
    ASSERT_TRUE(h.pid > 0);
    net_helper_stop(&h);
    ASSERT_INT_EQ(h.pid, -1);
    ASSERT_INT_EQ(h.exit_fd, -1);
    ASSERT_TRUE(h.netns_link == NULL);
    assert_only_child(ns.pid);
    net_helper_stop(&h);
    ASSERT_INT_EQ(ns_finish(&ns), 2);
    remove_runtime_dir(runtime_dir);
    net_options_clear(&o);
}

TEST(slirp4netns_stop_kills)
{
    need_helper("slirp4netns", "slirp4netns");
    stop_kills("slirp4netns");
}

TEST(pasta_stop_kills)
{
    need_helper("pasta", "passt");
    stop_kills("pasta");
}

/* pasta's private directory goes into the caller's run_dir, and leaves it empty when released. */
TEST(pasta_run_dir)
{
    cleanup_error struct ctr_error *err = NULL;
    char *runtime_dir = private_runtime_dir();
    cleanup_free char *run_dir = xasprintf("%s/container", runtime_dir);
    struct net_helper h = NET_HELPER_INIT;
    struct net_options o;
    struct ns_process ns;
    int status;

    need_helper("pasta", "passt");
    ASSERT_TRUE(mkdir(run_dir, 0700) == 0);
    parse_ok("pasta", &o);
    o.run_dir = run_dir;
    ns_start(&ns);
    ASSERT_OK(net_helper_start(&o, ns.pid, NULL, 0, &h, &err), &err);
    ASSERT_TRUE(strncmp(h.netns_link, run_dir, strlen(run_dir)) == 0);
    ASSERT_INT_EQ(ns_finish(&ns), 2);
    net_helper_release(&h);
    status = wait_exit(h.pid, GONE_MS);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_dir_empty(run_dir);
    ASSERT_TRUE(rmdir(run_dir) == 0);
    remove_runtime_dir(runtime_dir);
    /* run_dir is the caller's: clearing the options leaves it alone. */
    net_options_clear(&o);
}

/* A helper that cannot start at all: the namespace's process is gone. */
static void gone_namespace_fails(const char *network)
{
    cleanup_error struct ctr_error *err = NULL;
    char *runtime_dir = private_runtime_dir();
    struct net_helper h = NET_HELPER_INIT;
    struct net_options o;
    struct ns_process ns;
    pid_t dead;

    parse_ok(network, &o);
    /* A pid whose process has exited (and was reaped): /proc/PID/ns does not exist. */
    ns_start(&ns);
    ASSERT_INT_EQ(ns_finish(&ns), 2);
    dead = ns.pid;
    ASSERT_FAILS(net_helper_start(&o, dead, NULL, 0, &h, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "start ");
    ASSERT_INT_EQ(h.pid, -1);
    {
        cleanup_free char *list = children();

        if (list != NULL)
            ASSERT_STR_EQ(list, "");
    }
    remove_runtime_dir(runtime_dir);
    net_options_clear(&o);
}

TEST(slirp4netns_gone_namespace_fails)
{
    need_helper("slirp4netns", "slirp4netns");
    gone_namespace_fails("slirp4netns");
}

TEST(pasta_gone_namespace_fails)
{
    need_helper("pasta", "passt");
    gone_namespace_fails("pasta");
}
