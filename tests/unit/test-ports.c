/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cleanup.h"
#include "ports.h"
#include "unit.h"
#include "xalloc.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define ASSERT_STR_PREFIX(s, prefix)                                                             \
    do {                                                                                         \
        const char *s_ = (s), *p_ = (prefix);                                                    \
        if (strncmp(s_, p_, strlen(p_)) != 0)                                                    \
            UNIT_FAIL("ASSERT_STR_PREFIX(%s, %s) failed: \"%s\" does not start with \"%s\"", #s, \
                      #prefix, s_, p_);                                                          \
    } while (0)

/* Parses arg, which must succeed, and checks every field. */
#define ASSERT_PORT(arg, ip, host, ctr, n, proto)      \
    do {                                               \
        cleanup_error struct ctr_error *e_ = NULL;     \
        struct net_port p_;                            \
        ASSERT_OK(net_port_parse(arg, &p_, &e_), &e_); \
        ASSERT_STR_EQ(p_.host_ip, ip);                 \
        ASSERT_UINT_EQ(p_.host_port, host);            \
        ASSERT_UINT_EQ(p_.container_port, ctr);        \
        ASSERT_UINT_EQ(p_.count, n);                   \
        ASSERT_STR_EQ(p_.protocol, proto);             \
    } while (0)

static struct net_port parse(const char *arg)
{
    cleanup_error struct ctr_error *err = NULL;
    struct net_port p;

    ASSERT_OK(net_port_parse(arg, &p, &err), &err);
    return p;
}

TEST(parse_container_port_only)
{
    /* Podman: no host port means a free one. */
    ASSERT_PORT("80", "", 0, 80, 1, "tcp");
    ASSERT_PORT("65535", "", 0, 65535, 1, "tcp");
    ASSERT_PORT("1", "", 0, 1, 1, "tcp");
}

TEST(parse_host_and_container)
{
    ASSERT_PORT("8080:80", "", 8080, 80, 1, "tcp");
    ASSERT_PORT("1:65535", "", 1, 65535, 1, "tcp");
    ASSERT_PORT("08080:080", "", 8080, 80, 1, "tcp");
}

TEST(parse_empty_host_port_is_free_one)
{
    ASSERT_PORT(":80", "", 0, 80, 1, "tcp");
    ASSERT_PORT("127.0.0.1::80", "127.0.0.1", 0, 80, 1, "tcp");
    ASSERT_PORT("[::1]::80", "::1", 0, 80, 1, "tcp");
}

TEST(parse_host_address)
{
    ASSERT_PORT("127.0.0.1:8080:80", "127.0.0.1", 8080, 80, 1, "tcp");
    ASSERT_PORT("192.168.1.10:53:53/udp", "192.168.1.10", 53, 53, 1, "udp");
    /* 0.0.0.0 is all addresses, as Podman treats it. */
    ASSERT_PORT("0.0.0.0:8080:80", "", 8080, 80, 1, "tcp");
}

TEST(parse_ipv6)
{
    ASSERT_PORT("[::1]:8080:80", "::1", 8080, 80, 1, "tcp");
    ASSERT_PORT("[::]:8080:80", "::", 8080, 80, 1, "tcp");
    ASSERT_PORT("[fd00:0:0::0001]:8080:80/udp", "fd00::1", 8080, 80, 1, "udp");
    ASSERT_PORT("[2001:DB8::1]:443:8443", "2001:db8::1", 443, 8443, 1, "tcp");
    /* IPv4-mapped addresses are IPv4; IPv4 in brackets is accepted as Podman does. */
    ASSERT_PORT("[::ffff:127.0.0.1]:8080:80", "127.0.0.1", 8080, 80, 1, "tcp");
    ASSERT_PORT("[127.0.0.1]:8080:80", "127.0.0.1", 8080, 80, 1, "tcp");
    ASSERT_PORT("[::ffff:0.0.0.0]:8080:80", "", 8080, 80, 1, "tcp");
}

TEST(parse_ranges)
{
    ASSERT_PORT("8080-8081:80-81", "", 8080, 80, 2, "tcp");
    ASSERT_PORT("80-81", "", 0, 80, 2, "tcp");
    ASSERT_PORT(":80-82", "", 0, 80, 3, "tcp");
    ASSERT_PORT("127.0.0.1:1000-1999:2000-2999/udp", "127.0.0.1", 1000, 2000, 1000, "udp");
    ASSERT_PORT("1-65535", "", 0, 1, 65535, "tcp");
    ASSERT_PORT("[::1]:9000-9001:80-81", "::1", 9000, 80, 2, "tcp");
    /* Podman reads "80-" as the single port 80. */
    ASSERT_PORT("8080-:80-", "", 8080, 80, 1, "tcp");
}

TEST(parse_protocol)
{
    ASSERT_PORT("80/tcp", "", 0, 80, 1, "tcp");
    ASSERT_PORT("80/udp", "", 0, 80, 1, "udp");
    ASSERT_PORT("8080:80/UDP", "", 8080, 80, 1, "udp");
    ASSERT_PORT("8080:80/Tcp", "", 8080, 80, 1, "tcp");
}

TEST(parse_leaves_ret_alone_on_failure)
{
    cleanup_error struct ctr_error *err = NULL;
    struct net_port p = {.host_ip = "keep", .host_port = 7};

    ASSERT_FAILS(net_port_parse("8080:x", &p, &err), &err);
    ASSERT_STR_EQ(p.host_ip, "keep");
    ASSERT_UINT_EQ(p.host_port, 7);
}

static const struct {
    const char *arg;
    const char *msg;
} bad[] = {
        {"8080:x", "invalid -p '8080:x': container port 'x' is not a number from 1 to 65535"},
        {"x:80", "invalid -p 'x:80': host port 'x' is not a number from 1 to 65535"},
        {"", "invalid -p '': give a container port, as in -p 80 or -p 8080:80"},
        {"8080:", "invalid -p '8080:': the container port is empty: give one, as in -p 8080:80"},
        {"0", "invalid -p '0': container port '0' is not a number from 1 to 65535"},
        {"65536", "invalid -p '65536': container port '65536' is not a number from 1 to 65535"},
        {"99999999999999999999",
         "invalid -p '99999999999999999999': container port '99999999999999999999' is not a "
         "number from 1 to 65535"},
        {"+80", "invalid -p '+80': container port '+80' is not a number from 1 to 65535"},
        {" 80", "invalid -p ' 80': container port ' 80' is not a number from 1 to 65535"},
        {"0:80", "invalid -p '0:80': host port '0' is not a number from 1 to 65535: leave it "
                 "empty for a free one, as in -p :80"},
        {"8080-8082:80-81", "invalid -p '8080-8082:80-81': 3 host ports ('8080-8082') for 2 "
                            "container ports ('80-81'): give ranges of the same length, as in "
                            "-p 8080-8081:80-81"},
        {"8080-8081:80", "invalid -p '8080-8081:80': 2 host ports ('8080-8081') for 1 container "
                         "port ('80'): give ranges of the same length, as in -p 8080-8081:80-81"},
        {"81-80", "invalid -p '81-80': container port range '81-80' does not end above its "
                  "start: write it as '80-81'"},
        {"80-80", "invalid -p '80-80': container port range '80-80' does not end above its "
                  "start: write it as '80'"},
        {"-80", "invalid -p '-80': container port range '-80' has no start: write it as "
                "START-END, as in 80-81"},
        {"80-81-82", "invalid -p '80-81-82': container port range '80-81-82' has more than one "
                     "'-': write it as START-END, as in 80-81"},
        {"80-x", "invalid -p '80-x': container port range '80-x': 'x' is not a number from 1 to "
                 "65535"},
        {"80/sctp", "invalid -p '80/sctp': protocol 'sctp' is not supported: the user-mode "
                    "network helpers (pasta, slirp4netns) forward only tcp and udp"},
        {"80/tcp,udp", "invalid -p '80/tcp,udp': protocol list 'tcp,udp': give one protocol per "
                       "-p, as in -p 80:80/tcp -p 80:80/udp"},
        {"80/icmp", "invalid -p '80/icmp': unknown protocol 'icmp': use tcp or udp"},
        {"80/", "invalid -p '80/': the protocol after '/' is empty: give tcp or udp, as in -p "
                "8080:80/udp"},
        {"80/tcp/udp", "invalid -p '80/tcp/udp': more than one '/': give the protocol once, as "
                       "in -p 8080:80/udp"},
        {"localhost:8080:80", "invalid -p 'localhost:8080:80': host address 'localhost' is not "
                              "an IPv4 or IPv6 address"},
        {"1.2.3.256:8080:80", "invalid -p '1.2.3.256:8080:80': host address '1.2.3.256' is not "
                              "an IPv4 or IPv6 address"},
        {"::80", "invalid -p '::80': the host address is empty: give one, as in -p "
                 "127.0.0.1:8080:80, or leave it out"},
        {"::1:8080:80", "invalid -p '::1:8080:80': too many ':': the form is "
                        "[IP:][HOSTPORT:]CONTAINERPORT[/PROTOCOL], with an IPv6 address in "
                        "brackets, as in -p '[::1]:8080:80'"},
        {"[::1:8080:80", "invalid -p '[::1:8080:80': '[' without a closing ']': write an IPv6 "
                         "address as in -p '[::1]:8080:80'"},
        {"[::1]:80", "invalid -p '[::1]:80': give a host port after the address, as in -p "
                     "'[::1]:8080:80', or '[::1]::80' for a free one"},
        {"[::1]", "invalid -p '[::1]': the address in brackets must be followed by ':' and the "
                  "ports, as in -p '[::1]:8080:80'"},
        {"[::1]8080:80", "invalid -p '[::1]8080:80': the address in brackets must be followed by "
                         "':' and the ports, as in -p '[::1]:8080:80'"},
        {"[::1]:1:2:3", "invalid -p '[::1]:1:2:3': too many ':': the form is "
                        "[IP:][HOSTPORT:]CONTAINERPORT[/PROTOCOL]"},
        {"[]:8080:80", "invalid -p '[]:8080:80': the host address is empty: give one, as in -p "
                       "127.0.0.1:8080:80, or leave it out"},
        {"[::1]:[::2]:80", "invalid -p '[::1]:[::2]:80': only the host address goes in brackets, "
                           "as in -p '[::1]:8080:80'"},
        {"::1]:8080:80", "invalid -p '::1]:8080:80': an IPv6 address goes in brackets at the "
                         "start, as in -p '[::1]:8080:80'"},
        {"[fe80::1%eth0]:8080:80", "invalid -p '[fe80::1%eth0]:8080:80': host address "
                                   "'fe80::1%eth0' is not an IPv4 or IPv6 address"},
        {"[1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20]:1:2",
         "invalid -p '[1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20]:1:2': host address "
         "'1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20' is not an IPv4 or IPv6 address"},
};

TEST(parse_errors_name_the_part)
{
    for (size_t i = 0; i < N(bad); i++) {
        cleanup_error struct ctr_error *err = NULL;
        struct net_port p;

        if (net_port_parse(bad[i].arg, &p, &err) != -1 || err == NULL)
            UNIT_FAIL("net_port_parse('%s') did not fail", bad[i].arg);
        ASSERT_INT_EQ(err->code, EINVAL);
        ASSERT_STR_EQ(err->msg, bad[i].msg);
    }
}

static const struct {
    const char *arg;
    const char *formatted;
} formats[] = {
        {"8080:80", "0.0.0.0:8080->80/tcp"},
        {"127.0.0.1:8080:80/udp", "127.0.0.1:8080->80/udp"},
        {"8080-8081:80-81", "0.0.0.0:8080-8081->80-81/tcp"},
        {"[::1]:8080:80", "[::1]:8080->80/tcp"},
        {"[::]:9000-9002:90-92/udp", "[::]:9000-9002->90-92/udp"},
        {"80", "0.0.0.0:0->80/tcp"},
        {"127.0.0.1::80-81", "127.0.0.1:0->80-81/tcp"},
};

TEST(format)
{
    for (size_t i = 0; i < N(formats); i++) {
        struct net_port p = parse(formats[i].arg);
        cleanup_free char *s = net_port_format(&p);

        ASSERT_STR_EQ(s, formats[i].formatted);
    }
}

/* "IP:HOST->CTR/PROTO" back into a -p argument "IP:HOST:CTR/PROTO". */
static char *arg_of_format(const char *formatted)
{
    char *arg = xstrdup(formatted);
    char *arrow = strstr(arg, "->");

    ASSERT_TRUE(arrow != NULL);
    *arrow = ':';
    memmove(arrow + 1, arrow + 2, strlen(arrow + 2) + 1);
    return arg;
}

TEST(format_round_trip)
{
    static const char *const args[] = {
            "127.0.0.1:8080:80",       "0.0.0.0:1:65535/udp",
            "8080-8090:9080-9090/udp", "[fd00::1]:8443:443",
            "[::]:53:53/udp",          "10.0.0.1:1000-1001:2000-2001",
            "[::ffff:10.1.2.3]:1:1",   "65535:1",
    };

    for (size_t i = 0; i < N(args); i++) {
        struct net_port p = parse(args[i]), q;
        cleanup_free char *s = net_port_format(&p);
        cleanup_free char *again = arg_of_format(s);
        cleanup_free char *s2 = NULL;

        q = parse(again);
        s2 = net_port_format(&q);
        ASSERT_STR_EQ(s2, s);
        ASSERT_STR_EQ(p.host_ip, q.host_ip);
        ASSERT_UINT_EQ(p.host_port, q.host_port);
        ASSERT_UINT_EQ(p.container_port, q.container_port);
        ASSERT_UINT_EQ(p.count, q.count);
        ASSERT_STR_EQ(p.protocol, q.protocol);
    }
}

TEST(overlap)
{
    struct net_port a = parse("8080:80");
    struct net_port b;

    ASSERT_INT_EQ(net_ports_overlap(&a, &a), 1);
    /* Same host port, different container port: still the same host socket. */
    b = parse("8080:81");
    ASSERT_INT_EQ(net_ports_overlap(&a, &b), 1);
    /* All addresses clash with one address, both ways. */
    b = parse("127.0.0.1:8080:80");
    ASSERT_INT_EQ(net_ports_overlap(&a, &b), 1);
    ASSERT_INT_EQ(net_ports_overlap(&b, &a), 1);
    /* "::" takes IPv4 too. */
    a = parse("[::]:8080:80");
    ASSERT_INT_EQ(net_ports_overlap(&a, &b), 1);
    /* Two different addresses do not clash. */
    a = parse("127.0.0.2:8080:80");
    ASSERT_INT_EQ(net_ports_overlap(&a, &b), 0);
    a = parse("[::1]:8080:80");
    ASSERT_INT_EQ(net_ports_overlap(&a, &b), 0);
    /* Another protocol does not clash. */
    a = parse("8080:80/udp");
    b = parse("8080:80/tcp");
    ASSERT_INT_EQ(net_ports_overlap(&a, &b), 0);
    /* Ranges: touching clashes, adjacent does not. */
    a = parse("8080-8089:80-89");
    b = parse("8089-8090:90-91");
    ASSERT_INT_EQ(net_ports_overlap(&a, &b), 1);
    ASSERT_INT_EQ(net_ports_overlap(&b, &a), 1);
    b = parse("8090-8091:90-91");
    ASSERT_INT_EQ(net_ports_overlap(&a, &b), 0);
    b = parse("8085:80");
    ASSERT_INT_EQ(net_ports_overlap(&a, &b), 1);
    ASSERT_INT_EQ(net_ports_overlap(&b, &a), 1);
    /* A port still to be picked clashes with nothing. */
    a = parse("80");
    ASSERT_INT_EQ(net_ports_overlap(&a, &a), 0);
    ASSERT_INT_EQ(net_ports_overlap(&a, &b), 0);
}

/*
 * A socket holding 127.0.0.1:port (port 0: any).  Skips the test when the loopback cannot be
 * used at all (a network namespace with lo down), which is not what these tests are about.
 */
static int hold_port(int type, uint16_t *ret_port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET};
    socklen_t len = sizeof(addr);
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

    if (fd < 0)
        unit_skip("no IPv4 sockets here");
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        if (errno == EADDRNOTAVAIL)
            unit_skip("the loopback interface is down");
        UNIT_FAIL("bind 127.0.0.1: %s", strerror(errno));
    }
    if (type == SOCK_STREAM && listen(fd, 1) < 0)
        UNIT_FAIL("listen: %s", strerror(errno));
    if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
        UNIT_FAIL("getsockname: %s", strerror(errno));
    *ret_port = ntohs(addr.sin_port);
    return fd;
}

static struct net_port mapping(const char *ip, uint16_t host, uint16_t count, const char *proto)
{
    struct net_port p = {.host_port = host, .container_port = 80, .count = count};

    snprintf(p.host_ip, sizeof(p.host_ip), "%s", ip);
    snprintf(p.protocol, sizeof(p.protocol), "%s", proto);
    return p;
}

TEST(reserve_detects_port_in_use)
{
    cleanup_close int fd = -1;
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *want = NULL;
    struct net_port p;
    uint16_t port;

    fd = hold_port(SOCK_STREAM, &port);
    p = mapping("127.0.0.1", port, 1, "tcp");
    ASSERT_FAILS(net_ports_reserve(&p, 1, &err), &err);
    ASSERT_INT_EQ(err->code, EADDRINUSE);
    want = xasprintf("host port %u/tcp on '127.0.0.1' is already in use: pick another one "
                     "(-p 127.0.0.1:",
                     (unsigned)port);
    ASSERT_STR_PREFIX(err->msg, want);
    ASSERT_STR_CONTAINS(err->msg, ":80)");
    ASSERT_UINT_EQ(p.host_port, port);
    ctr_error_clear(&err);

    /* All addresses includes 127.0.0.1, and the message is the one without an address. */
    p = mapping("", port, 1, "tcp");
    ASSERT_FAILS(net_ports_reserve(&p, 1, &err), &err);
    ASSERT_INT_EQ(err->code, EADDRINUSE);
    free(want);
    want = xasprintf("host port %u/tcp is already in use: pick another one (-p ", (unsigned)port);
    ASSERT_STR_PREFIX(err->msg, want);
    ctr_error_clear(&err);

    /* The taken port in the middle of a range is the one named. */
    if (port > 1 && port < 65535) {
        p = mapping("127.0.0.1", (uint16_t)(port - 1), 3, "tcp");
        cleanup_free char *before =
                xasprintf("host port %u/tcp on '127.0.0.1' is already in use", port - 1u);

        ASSERT_FAILS(net_ports_reserve(&p, 1, &err), &err);
        ASSERT_INT_EQ(err->code, EADDRINUSE);
        /* port - 1 may be taken by someone else; then it is named, as the first taken one. */
        free(want);
        want = xasprintf("host port %u/tcp on '127.0.0.1' is already in use", (unsigned)port);
        if (strncmp(err->msg, before, strlen(before)) != 0)
            ASSERT_STR_PREFIX(err->msg, want);
        ASSERT_STR_CONTAINS(err->msg, ":80-82)");
    }
}

TEST(reserve_detects_udp_port_in_use)
{
    cleanup_close int fd = -1;
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *want = NULL;
    struct net_port p;
    uint16_t port;

    fd = hold_port(SOCK_DGRAM, &port);
    p = mapping("127.0.0.1", port, 1, "udp");
    ASSERT_FAILS(net_ports_reserve(&p, 1, &err), &err);
    ASSERT_INT_EQ(err->code, EADDRINUSE);
    want = xasprintf("host port %u/udp on '127.0.0.1' is already in use", (unsigned)port);
    ASSERT_STR_CONTAINS(err->msg, want);
    ASSERT_STR_CONTAINS(err->msg, "/udp)");
}

TEST(reserve_free_port_passes)
{
    cleanup_error struct ctr_error *err = NULL;
    struct net_port p;
    uint16_t port;
    int fd = hold_port(SOCK_STREAM, &port);

    /* Freed just now, so free (short of a race with another process). */
    close(fd);
    p = mapping("127.0.0.1", port, 1, "tcp");
    ASSERT_OK(net_ports_reserve(&p, 1, &err), &err);
    ASSERT_UINT_EQ(p.host_port, port);
    ASSERT_OK(net_ports_reserve(NULL, 0, &err), &err);
}

/* The port p got must be bindable on 127.0.0.1 now, for each of its count ports. */
static void assert_bindable(const struct net_port *p)
{
    for (unsigned i = 0; i < p->count; i++) {
        struct sockaddr_in addr = {.sin_family = AF_INET};
        cleanup_close int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons((uint16_t)(p->host_port + i));
        ASSERT_TRUE(fd >= 0);
        if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
            UNIT_FAIL("bind 127.0.0.1:%u: %s", p->host_port + i, strerror(errno));
    }
}

TEST(reserve_assigns_free_ports)
{
    cleanup_close int fd = -1;
    cleanup_error struct ctr_error *err = NULL;
    struct net_port p[4];
    uint16_t port;

    fd = hold_port(SOCK_STREAM, &port);
    p[0] = mapping("127.0.0.1", 0, 1, "tcp");
    p[1] = mapping("", 0, 1, "tcp");
    p[2] = mapping("127.0.0.1", 0, 5, "udp");
    p[3] = mapping("127.0.0.1", 0, 1, "tcp");
    ASSERT_OK(net_ports_reserve(p, N(p), &err), &err);
    for (size_t i = 0; i < N(p); i++) {
        ASSERT_TRUE(p[i].host_port != 0);
        ASSERT_TRUE(p[i].host_port + p[i].count - 1 <= 65535);
        ASSERT_TRUE(p[i].host_port != port || strcmp(p[i].protocol, "udp") == 0);
    }
    /* No two of them were given the same port. */
    for (size_t i = 0; i < N(p); i++) {
        for (size_t j = i + 1; j < N(p); j++)
            ASSERT_INT_EQ(net_ports_overlap(&p[i], &p[j]), 0);
    }
    assert_bindable(&p[0]);
    assert_bindable(&p[3]);
}

TEST(reserve_assigns_around_fixed_ports)
{
    cleanup_error struct ctr_error *err = NULL;
    struct net_port p[2];
    uint16_t port;
    int fd = hold_port(SOCK_STREAM, &port);

    close(fd);
    p[0] = mapping("", 0, 1, "tcp");
    p[1] = mapping("", port, 1, "tcp");
    ASSERT_OK(net_ports_reserve(p, N(p), &err), &err);
    ASSERT_UINT_EQ(p[1].host_port, port);
    ASSERT_TRUE(p[0].host_port != 0 && p[0].host_port != port);
}

TEST(reserve_refuses_overlapping_mappings)
{
    cleanup_error struct ctr_error *err = NULL;
    struct net_port p[3];

    p[0] = parse("127.0.0.1:8080:80");
    p[1] = parse("9000:90/udp");
    p[2] = parse("8079-8080:81-82");
    ASSERT_FAILS(net_ports_reserve(p, N(p), &err), &err);
    ASSERT_INT_EQ(err->code, EINVAL);
    ASSERT_STR_EQ(err->msg, "port mappings '127.0.0.1:8080->80/tcp' and "
                            "'0.0.0.0:8079-8080->81-82/tcp' both take host port 8080/tcp: give "
                            "each its own host port");
}

TEST(reserve_refuses_malformed_mappings)
{
    cleanup_error struct ctr_error *err = NULL;
    struct net_port p = mapping("", 8080, 1, "sctp");

    ASSERT_FAILS(net_ports_reserve(&p, 1, &err), &err);
    ASSERT_STR_EQ(err->msg, "invalid port mapping: unknown protocol 'sctp'");
    ctr_error_clear(&err);

    p = mapping("", 65535, 2, "tcp");
    ASSERT_FAILS(net_ports_reserve(&p, 1, &err), &err);
    ASSERT_STR_EQ(err->msg, "invalid port mapping: ports out of range 1 to 65535");
    ctr_error_clear(&err);

    p = mapping("example.com", 8080, 1, "tcp");
    ASSERT_FAILS(net_ports_reserve(&p, 1, &err), &err);
    ASSERT_STR_EQ(err->msg, "invalid port mapping: host address 'example.com' is not an IPv4 "
                            "or IPv6 address");
}

TEST(reserve_address_not_on_host)
{
    cleanup_error struct ctr_error *err = NULL;
    /* TEST-NET-1 (RFC 5737): never assigned to a host. */
    struct net_port p = mapping("192.0.2.1", 8080, 1, "tcp");
    uint16_t port;

    close(hold_port(SOCK_STREAM, &port));
    ASSERT_FAILS(net_ports_reserve(&p, 1, &err), &err);
    ASSERT_INT_EQ(err->code, EADDRNOTAVAIL);
    ASSERT_STR_EQ(err->msg, "host address '192.0.2.1' is not an address of this host: give one "
                            "it has, or leave it out to publish on all addresses (-p 8080:80)");
}
