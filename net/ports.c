/* SPDX-License-Identifier: Apache-2.0 */
/*
 * -p/--publish: parsing Podman's syntax, printing Podman's PORTS column, and checking the host
 * side before a container starts.  The forwarding itself is the user-mode helper's job.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "cleanup.h"
#include "ports.h"
#include "xalloc.h"

#define PORT_MAX 65535u

/* Probing for a free port (or run of ports) gives up after this many tries. */
#define ASSIGN_ATTEMPTS 64

/* How far to look for a free alternative to suggest when a host port is taken. */
#define SUGGEST_ATTEMPTS 32

static int invalid(struct ctr_error **err, const char *arg, const char *fmt, ...) CTR_PRINTF(3, 4);

/* Sets EINVAL "invalid -p 'ARG': WHY". */
static int invalid(struct ctr_error **err, const char *arg, const char *fmt, ...)
{
    cleanup_free char *why = NULL;
    va_list ap;

    va_start(ap, fmt);
    why = xvasprintf(fmt, ap);
    va_end(ap);
    return ctr_error_set(err, EINVAL, "invalid -p '%s': %s", arg, why);
}

/* Decimal digits only (no sign, no spaces: Podman's Atoi takes "+80", nobody means it). */
static int parse_port_number(const char *s, uint16_t *ret)
{
    unsigned long v = 0;

    if (*s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > PORT_MAX)
            return -1;
    }
    if (v == 0)
        return -1;
    *ret = (uint16_t)v;
    return 0;
}

/*
 * "80" or "80-81".  As in Podman, "80-" is the single port 80, and a range must end above its
 * start.  `what` is "host port" or "container port", for the messages.
 */
static int parse_range(const char *arg, const char *what, const char *text, uint16_t *ret_start,
                       uint16_t *ret_count, struct ctr_error **err)
{
    const char *dash = strchr(text, '-');
    cleanup_free char *first = NULL;
    uint16_t start, end;

    if (dash == NULL) {
        if (parse_port_number(text, &start) < 0) {
            if (strcmp(text, "0") == 0 && strcmp(what, "host port") == 0)
                return invalid(err, arg,
                               "host port '0' is not a number from 1 to 65535: leave it "
                               "empty for a free one, as in -p :80");
            return invalid(err, arg, "%s '%s' is not a number from 1 to 65535", what, text);
        }
        *ret_start = start;
        *ret_count = 1;
        return 0;
    }
    if (dash == text)
        return invalid(err, arg, "%s range '%s' has no start: write it as START-END, as in 80-81",
                       what, text);
    if (strchr(dash + 1, '-') != NULL)
        return invalid(err, arg,
                       "%s range '%s' has more than one '-': write it as START-END, as in 80-81",
                       what, text);
    first = xstrndup(text, (size_t)(dash - text));
    if (parse_port_number(first, &start) < 0)
        return invalid(err, arg, "%s range '%s': '%s' is not a number from 1 to 65535", what, text,
                       first);
    if (dash[1] == '\0') {
        *ret_start = start;
        *ret_count = 1;
        return 0;
    }
    if (parse_port_number(dash + 1, &end) < 0)
        return invalid(err, arg, "%s range '%s': '%s' is not a number from 1 to 65535", what, text,
                       dash + 1);
    if (end == start)
        return invalid(err, arg, "%s range '%s' does not end above its start: write it as '%u'",
                       what, text, (unsigned)start);
    if (end < start)
        return invalid(err, arg, "%s range '%s' does not end above its start: write it as '%u-%u'",
                       what, text, (unsigned)end, (unsigned)start);
    *ret_start = start;
    *ret_count = (uint16_t)(end - start + 1);
    return 0;
}

/*
 * Parses an IPv4 or IPv6 address into the form net_port keeps: inet_ntop's, an IPv4-mapped
 * IPv6 address as IPv4 (as Go's net.IP.String() prints it for Podman), and 0.0.0.0 as "" (all
 * addresses; Podman drops it too).  No host names and no "%zone": Podman takes neither.
 */
static int normalise_ip(const char *text, char ret[64])
{
    struct in_addr a4;
    struct in6_addr a6;
    char buf[INET6_ADDRSTRLEN];

    if (strlen(text) >= sizeof(buf))
        return -1;
    if (inet_pton(AF_INET, text, &a4) != 1) {
        if (inet_pton(AF_INET6, text, &a6) != 1)
            return -1;
        if (!IN6_IS_ADDR_V4MAPPED(&a6)) {
            if (inet_ntop(AF_INET6, &a6, buf, sizeof(buf)) == NULL)
                return -1;
            snprintf(ret, 64, "%s", buf);
            return 0;
        }
        memcpy(&a4, &a6.s6_addr[12], sizeof(a4));
    }
    if (a4.s_addr == htonl(INADDR_ANY)) {
        ret[0] = '\0';
        return 0;
    }
    if (inet_ntop(AF_INET, &a4, buf, sizeof(buf)) == NULL)
        return -1;
    snprintf(ret, 64, "%s", buf);
    return 0;
}

static int parse_protocol(const char *arg, const char *proto, char ret[8], struct ctr_error **err)
{
    if (strchr(proto, '/') != NULL)
        return invalid(err, arg, "more than one '/': give the protocol once, as in -p 8080:80/udp");
    if (*proto == '\0')
        return invalid(err, arg,
                       "the protocol after '/' is empty: give tcp or udp, as in -p 8080:80/udp");
    if (strchr(proto, ',') != NULL)
        return invalid(
                err, arg,
                "protocol list '%s': give one protocol per -p, as in -p 80:80/tcp -p 80:80/udp",
                proto);
    if (strcasecmp(proto, "tcp") == 0 || strcasecmp(proto, "udp") == 0) {
        /* Lowercase: the PORTS column and the helpers' options want "tcp"/"udp". */
        ret[0] = (char)(proto[0] | 0x20);
        ret[1] = (char)(proto[1] | 0x20);
        ret[2] = (char)(proto[2] | 0x20);
        ret[3] = '\0';
        return 0;
    }
    if (strcasecmp(proto, "sctp") == 0)
        return invalid(err, arg,
                       "protocol 'sctp' is not supported: the user-mode network helpers (pasta, "
                       "slirp4netns) forward only tcp and udp");
    return invalid(err, arg, "unknown protocol '%s': use tcp or udp", proto);
}

static size_t count_char(const char *s, char c)
{
    size_t n = 0;

    for (; *s != '\0'; s++)
        n += *s == c;
    return n;
}

int net_port_parse(const char *arg, struct net_port *ret, struct ctr_error **err)
{
    cleanup_free char *copy = xstrdup(arg);
    struct net_port p = {.count = 1};
    const char *ip = NULL, *host = NULL, *ctr = NULL;
    char *rest = copy, *slash, *colon;
    uint16_t count;

    if (*arg == '\0')
        return invalid(err, arg, "give a container port, as in -p 80 or -p 8080:80");

    snprintf(p.protocol, sizeof(p.protocol), "tcp");
    slash = strchr(copy, '/');
    if (slash != NULL) {
        *slash = '\0';
        if (parse_protocol(arg, slash + 1, p.protocol, err) < 0)
            return -1;
    }

    if (rest[0] == '[') {
        char *close = strchr(rest, ']');

        if (close == NULL)
            return invalid(err, arg,
                           "'[' without a closing ']': write an IPv6 address as in "
                           "-p '[::1]:8080:80'");
        *close = '\0';
        ip = rest + 1;
        rest = close + 1;
        if (strchr(ip, '[') != NULL || strchr(rest, '[') != NULL || strchr(rest, ']') != NULL)
            return invalid(err, arg,
                           "only the host address goes in brackets, as in "
                           "-p '[::1]:8080:80'");
        if (*rest != ':')
            return invalid(err, arg,
                           "the address in brackets must be followed by ':' and the "
                           "ports, as in -p '[::1]:8080:80'");
        rest++;
        colon = strchr(rest, ':');
        if (colon == NULL)
            return invalid(err, arg,
                           "give a host port after the address, as in "
                           "-p '[::1]:8080:80', or '[::1]::80' for a free one");
        *colon = '\0';
        host = rest;
        ctr = colon + 1;
        if (strchr(ctr, ':') != NULL)
            return invalid(err, arg,
                           "too many ':': the form is "
                           "[IP:][HOSTPORT:]CONTAINERPORT[/PROTOCOL]");
    } else {
        size_t colons = count_char(rest, ':');

        if (strchr(rest, '[') != NULL || strchr(rest, ']') != NULL)
            return invalid(err, arg,
                           "an IPv6 address goes in brackets at the start, as in "
                           "-p '[::1]:8080:80'");
        if (colons > 2)
            return invalid(err, arg,
                           "too many ':': the form is "
                           "[IP:][HOSTPORT:]CONTAINERPORT[/PROTOCOL], with an IPv6 "
                           "address in brackets, as in -p '[::1]:8080:80'");
        if (colons == 2) {
            colon = strchr(rest, ':');
            *colon = '\0';
            ip = rest;
            rest = colon + 1;
        }
        if (colons >= 1) {
            colon = strchr(rest, ':');
            *colon = '\0';
            host = rest;
            rest = colon + 1;
        }
        ctr = rest;
    }

    if (ip != NULL) {
        if (*ip == '\0')
            return invalid(err, arg,
                           "the host address is empty: give one, as in "
                           "-p 127.0.0.1:8080:80, or leave it out");
        if (normalise_ip(ip, p.host_ip) < 0)
            return invalid(err, arg, "host address '%s' is not an IPv4 or IPv6 address", ip);
    }

    if (*ctr == '\0')
        return invalid(err, arg, "the container port is empty: give one, as in -p 8080:80");
    if (parse_range(arg, "container port", ctr, &p.container_port, &p.count, err) < 0)
        return -1;

    /* No host port, or an empty one, is Podman's "pick a free one". */
    if (host != NULL && *host != '\0') {
        if (parse_range(arg, "host port", host, &p.host_port, &count, err) < 0)
            return -1;
        if (count != p.count)
            return invalid(err, arg,
                           "%u host port%s ('%s') for %u container port%s ('%s'): give ranges "
                           "of the same length, as in -p 8080-8081:80-81",
                           (unsigned)count, count == 1 ? "" : "s", host, (unsigned)p.count,
                           p.count == 1 ? "" : "s", ctr);
    }

    *ret = p;
    return 0;
}

static unsigned count_of(const struct net_port *p)
{
    return p->count ? p->count : 1;
}

char *net_port_format(const struct net_port *p)
{
    const char *ip = p->host_ip[0] != '\0' ? p->host_ip : "0.0.0.0";
    int v6 = strchr(ip, ':') != NULL;
    unsigned n = count_of(p);
    cleanup_free char *host = NULL;

    if (p->host_port == 0 || n == 1)
        host = xasprintf("%u", (unsigned)p->host_port);
    else
        host = xasprintf("%u-%u", (unsigned)p->host_port, p->host_port + n - 1);
    if (n == 1)
        return xasprintf("%s%.64s%s:%s->%u/%.8s", v6 ? "[" : "", ip, v6 ? "]" : "", host,
                         (unsigned)p->container_port, p->protocol);
    return xasprintf("%s%.64s%s:%s->%u-%u/%.8s", v6 ? "[" : "", ip, v6 ? "]" : "", host,
                     (unsigned)p->container_port, p->container_port + n - 1, p->protocol);
}

/* "" and the wildcards take every address; "::" also takes IPv4 (IPV6_V6ONLY is off). */
static int all_addresses(const char *ip)
{
    return ip[0] == '\0' || strcmp(ip, "0.0.0.0") == 0 || strcmp(ip, "::") == 0;
}

int net_ports_overlap(const struct net_port *a, const struct net_port *b)
{
    unsigned a_end = a->host_port + count_of(a) - 1;
    unsigned b_end = b->host_port + count_of(b) - 1;

    if (strncmp(a->protocol, b->protocol, sizeof(a->protocol)) != 0)
        return 0;
    if (a->host_port == 0 || b->host_port == 0)
        return 0;
    if (a_end < b->host_port || b_end < a->host_port)
        return 0;
    return all_addresses(a->host_ip) || all_addresses(b->host_ip) ||
           strncmp(a->host_ip, b->host_ip, sizeof(a->host_ip)) == 0;
}

/* ---- net_ports_reserve ---- */

union sockaddr_any {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
};

/*
 * Binds one probe socket on ip:port (port 0: the kernel picks) and, for tcp, listens, since on
 * Linux a bind can succeed next to a socket that is only bound.  SO_REUSEADDR for tcp, as the
 * helpers set it, so a port held only by TIME_WAIT connections counts as free.  Returns the
 * bound port, or -errno.  The socket is closed on return.
 */
static int probe_one(int family, const char *ip, uint16_t port, int type, int v6only)
{
    cleanup_close int fd = socket(family, type | SOCK_CLOEXEC, 0);
    union sockaddr_any addr;
    socklen_t len;
    int one = 1;

    if (fd < 0)
        return -errno;
    memset(&addr, 0, sizeof(addr));
    if (family == AF_INET) {
        addr.in.sin_family = AF_INET;
        addr.in.sin_port = htons(port);
        if (inet_pton(AF_INET, ip, &addr.in.sin_addr) != 1)
            return -EINVAL;
        len = sizeof(addr.in);
    } else {
        addr.in6.sin6_family = AF_INET6;
        addr.in6.sin6_port = htons(port);
        if (inet_pton(AF_INET6, ip, &addr.in6.sin6_addr) != 1)
            return -EINVAL;
        len = sizeof(addr.in6);
        if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0)
            return -errno;
    }
    if (type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
        return -errno;
    if (bind(fd, &addr.sa, len) < 0)
        return -errno;
    if (type == SOCK_STREAM && listen(fd, 1) < 0)
        return -errno;
    if (getsockname(fd, &addr.sa, &len) < 0)
        return -errno;
    return ntohs(family == AF_INET ? addr.in.sin_port : addr.in6.sin6_port);
}

/*
 * Probes one host port on every address `ip` stands for: "" is 0.0.0.0 and [::] (the latter
 * skipped on a host without IPv6), "::" is [::] dual-stack.  Returns the port or -errno.
 */
static int probe_port(const char *ip, uint16_t port, int type)
{
    int r, r6;

    if (ip[0] == '\0') {
        r = probe_one(AF_INET, "0.0.0.0", port, type, 0);
        if (r < 0)
            return r;
        r6 = probe_one(AF_INET6, "::", (uint16_t)r, type, 1);
        if (r6 < 0 && r6 != -EAFNOSUPPORT && r6 != -EADDRNOTAVAIL)
            return r6;
        return r;
    }
    if (strchr(ip, ':') != NULL)
        return probe_one(AF_INET6, ip, port, type, 0);
    return probe_one(AF_INET, ip, port, type, 0);
}

static int socket_type(const struct net_port *p)
{
    return strcmp(p->protocol, "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM;
}

/*
 * Probes host ports start..start+count-1 of p.  Returns 0 when all are free, else -errno with
 * *ret_bad the first port that is not.
 */
static int probe_range(const struct net_port *p, unsigned start, uint16_t *ret_bad)
{
    for (unsigned port = start; port < start + count_of(p); port++) {
        int r = probe_port(p->host_ip, (uint16_t)port, socket_type(p));

        if (r < 0) {
            *ret_bad = (uint16_t)port;
            return r;
        }
    }
    return 0;
}

/* The -p argument for p with its host ports starting at `host`: "127.0.0.1:8081:80". */
static char *format_arg(const struct net_port *p, unsigned host)
{
    cleanup_free char *ip = NULL, *ports = NULL;
    unsigned n = count_of(p);

    if (p->host_ip[0] == '\0')
        ip = xstrdup("");
    else if (strchr(p->host_ip, ':') != NULL)
        ip = xasprintf("[%.64s]:", p->host_ip);
    else
        ip = xasprintf("%.64s:", p->host_ip);
    if (n == 1)
        ports = xasprintf("%u:%u", host, (unsigned)p->container_port);
    else
        ports = xasprintf("%u-%u:%u-%u", host, host + n - 1, (unsigned)p->container_port,
                          p->container_port + n - 1);
    return xasprintf("%s%s%s", ip, ports, strcmp(p->protocol, "udp") == 0 ? "/udp" : "");
}

/* A run of host ports to suggest instead of p's: the next free one above it, if any. */
static unsigned suggest_host_port(const struct net_port *p, unsigned fallback)
{
    unsigned n = count_of(p);
    unsigned start = p->host_port + n;
    uint16_t bad;

    for (int i = 0; i < SUGGEST_ATTEMPTS && start + n - 1 <= PORT_MAX; i++) {
        if (probe_range(p, start, &bad) == 0)
            return start;
        /* Skip past the port that is taken, not just by one. */
        start = (unsigned)bad + 1;
    }
    return fallback;
}

static unsigned read_unprivileged_port_start(void)
{
    cleanup_fclose FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");
    unsigned v;

    if (f == NULL || fscanf(f, "%u", &v) != 1)
        return 1024;
    return v;
}

/* The error for probe result r (-errno) on host port `port` of p. */
static int probe_error(const struct net_port *p, uint16_t port, int r, struct ctr_error **err)
{
    cleanup_free char *where = NULL, *suggestion = NULL;
    unsigned n = count_of(p), alt;

    where = p->host_ip[0] != '\0' ? xasprintf(" on '%.64s'", p->host_ip) : xstrdup("");
    switch (-r) {
    case EADDRINUSE:
        if (p->host_port + n + n - 1 <= PORT_MAX)
            alt = p->host_port + n;
        else
            alt = p->host_port > n ? p->host_port - n : p->host_port;
        suggestion = format_arg(p, suggest_host_port(p, alt));
        return ctr_error_set(err, EADDRINUSE,
                             "host port %u/%s%s is already in use: pick another one (-p %s)",
                             (unsigned)port, p->protocol, where, suggestion);
    case EACCES: {
        unsigned unpriv = read_unprivileged_port_start();

        /* 80 -> 8080, 443 -> 8443: the usual unprivileged stand-ins. */
        alt = p->host_port + 8000u + n - 1 <= PORT_MAX ? p->host_port + 8000u : unpriv;
        suggestion = format_arg(p, alt);
        return ctr_error_set(err, EACCES,
                             "host port %u/%s%s needs privileges: a user can only publish ports "
                             "from %u up (sysctl net.ipv4.ip_unprivileged_port_start): pick a "
                             "higher one (-p %s)",
                             (unsigned)port, p->protocol, where, unpriv, suggestion);
    }
    case EADDRNOTAVAIL: {
        struct net_port all = *p;

        all.host_ip[0] = '\0';
        suggestion = format_arg(&all, p->host_port ? p->host_port : 8080u);
        return ctr_error_set(err, EADDRNOTAVAIL,
                             "host address '%.64s' is not an address of this host: give one it "
                             "has, or leave it out to publish on all addresses (-p %s)",
                             p->host_ip, suggestion);
    }
    default:
        return ctr_error_errnum(err, -r, "check host port %u/%s%s", (unsigned)port, p->protocol,
                                where);
    }
}

/* Mappings ctr can hand to a helper: anything net_port_parse() returns. */
static int check_valid(const struct net_port *p, struct ctr_error **err)
{
    char ip[64];
    unsigned n = count_of(p);

    if (memchr(p->host_ip, '\0', sizeof(p->host_ip)) == NULL ||
        memchr(p->protocol, '\0', sizeof(p->protocol)) == NULL)
        return ctr_error_set(err, EINVAL, "invalid port mapping: unterminated string");
    if (strcmp(p->protocol, "tcp") != 0 && strcmp(p->protocol, "udp") != 0)
        return ctr_error_set(err, EINVAL, "invalid port mapping: unknown protocol '%s'",
                             p->protocol);
    if (p->container_port == 0 || p->container_port + n - 1 > PORT_MAX ||
        p->host_port + n - 1 > PORT_MAX)
        return ctr_error_set(err, EINVAL, "invalid port mapping: ports out of range 1 to 65535");
    if (p->host_ip[0] != '\0' && normalise_ip(p->host_ip, ip) < 0)
        return ctr_error_set(err, EINVAL,
                             "invalid port mapping: host address '%s' is not an IPv4 or IPv6 "
                             "address",
                             p->host_ip);
    return 0;
}

static int check_overlaps(const struct net_port *ports, size_t n, struct ctr_error **err)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            cleanup_free char *a = NULL, *b = NULL;
            unsigned shared;

            if (!net_ports_overlap(&ports[i], &ports[j]))
                continue;
            a = net_port_format(&ports[i]);
            b = net_port_format(&ports[j]);
            shared = ports[i].host_port > ports[j].host_port ? ports[i].host_port
                                                             : ports[j].host_port;
            return ctr_error_set(err, EINVAL,
                                 "port mappings '%s' and '%s' both take host port %u/%s: give "
                                 "each its own host port",
                                 a, b, shared, ports[i].protocol);
        }
    }
    return 0;
}

/*
 * Finds a free run for ports[i] (host_port 0) that clashes with no other mapping already
 * holding a host port.  The kernel's pick of port 0 gives the start; a range then has to be
 * free above it too.
 */
static int assign_port(struct net_port *ports, size_t n, size_t i, struct ctr_error **err)
{
    struct net_port cand = ports[i];
    cleanup_free char *what = NULL;

    for (int attempt = 0; attempt < ASSIGN_ATTEMPTS; attempt++) {
        int clash = 0;
        uint16_t bad;
        int r;

        r = probe_port(cand.host_ip, 0, socket_type(&cand));
        if (r == -EADDRINUSE)
            continue;
        if (r < 0)
            return probe_error(&cand, 0, r, err);
        if ((unsigned)r + count_of(&cand) - 1 > PORT_MAX)
            continue;
        cand.host_port = (uint16_t)r;
        for (size_t j = 0; j < n && !clash; j++)
            clash = j != i && net_ports_overlap(&cand, &ports[j]);
        if (clash)
            continue;
        if (count_of(&cand) > 1) {
            r = probe_range(&cand, cand.host_port + 1u, &bad);
            if (r == -EADDRINUSE)
                continue;
            if (r < 0)
                return probe_error(&cand, bad, r, err);
        }
        ports[i].host_port = cand.host_port;
        return 0;
    }
    cand.host_port = 0;
    what = net_port_format(&cand);
    return ctr_error_set(err, EADDRINUSE,
                         "no free host port%s found for '%s' after %d tries: give the host "
                         "port%s yourself, as in -p HOSTPORT:%u",
                         count_of(&cand) > 1 ? "s" : "", what, ASSIGN_ATTEMPTS,
                         count_of(&cand) > 1 ? "s" : "", (unsigned)cand.container_port);
}

int net_ports_reserve(struct net_port *ports, size_t n, struct ctr_error **err)
{
    cleanup_free struct net_port *work = NULL;

    for (size_t i = 0; i < n; i++) {
        if (check_valid(&ports[i], err) < 0)
            return -1;
    }
    if (check_overlaps(ports, n, err) < 0)
        return -1;
    if (n == 0)
        return 0;

    /* Fixed ports first, so a free one picked later cannot land on one of them. */
    for (size_t i = 0; i < n; i++) {
        uint16_t bad;
        int r;

        if (ports[i].host_port == 0)
            continue;
        r = probe_range(&ports[i], ports[i].host_port, &bad);
        if (r < 0)
            return probe_error(&ports[i], bad, r, err);
    }

    /* Work on a copy: *ports is written only on success. */
    work = xcalloc(n, sizeof(*work));
    memcpy(work, ports, n * sizeof(*work));
    for (size_t i = 0; i < n; i++) {
        if (work[i].host_port == 0 && assign_port(work, n, i, err) < 0)
            return -1;
    }
    memcpy(ports, work, n * sizeof(*work));
    return 0;
}
