/* SPDX-License-Identifier: Apache-2.0 */
/*
 * -p/--publish arguments: command-line text, but also mappings read back from stored container
 * configs.  Checks that what parses is in range, formats, and parses back to itself.
 */
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fuzz.h"
#include "ports.h"
#include "xalloc.h"

static void check_port(const struct net_port *p)
{
    unsigned n = p->count;

    if (memchr(p->host_ip, '\0', sizeof(p->host_ip)) == NULL ||
        memchr(p->protocol, '\0', sizeof(p->protocol)) == NULL)
        __builtin_trap();
    if (strcmp(p->protocol, "tcp") != 0 && strcmp(p->protocol, "udp") != 0)
        __builtin_trap();
    if (n < 1 || p->container_port < 1 || p->container_port + n - 1 > 65535)
        __builtin_trap();
    if (p->host_port != 0 && p->host_port + n - 1 > 65535)
        __builtin_trap();
    if (strcmp(p->host_ip, "0.0.0.0") == 0 || strchr(p->host_ip, '[') != NULL)
        __builtin_trap();
    /* A mapping with a host port clashes with itself; one without clashes with nothing. */
    if (net_ports_overlap(p, p) != (p->host_port != 0))
        __builtin_trap();
}

static int same(const struct net_port *a, const struct net_port *b)
{
    return strcmp(a->host_ip, b->host_ip) == 0 && a->host_port == b->host_port &&
           a->container_port == b->container_port && a->count == b->count &&
           strcmp(a->protocol, b->protocol) == 0;
}

/* The -p argument for p, in the longest form. */
static char *to_arg(const struct net_port *p)
{
    int v6 = strchr(p->host_ip, ':') != NULL;
    cleanup_free char *host = NULL, *ctr = NULL;
    unsigned n = p->count;

    if (p->host_port == 0)
        host = xstrdup("");
    else if (n == 1)
        host = xasprintf("%u", (unsigned)p->host_port);
    else
        host = xasprintf("%u-%u", (unsigned)p->host_port, p->host_port + n - 1);
    if (n == 1)
        ctr = xasprintf("%u", (unsigned)p->container_port);
    else
        ctr = xasprintf("%u-%u", (unsigned)p->container_port, p->container_port + n - 1);
    if (p->host_ip[0] == '\0')
        return xasprintf("%s:%s/%s", host, ctr, p->protocol);
    return xasprintf("%s%s%s:%s:%s/%s", v6 ? "[" : "", p->host_ip, v6 ? "]" : "", host, ctr,
                     p->protocol);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cleanup_free char *s = xstrndup((const char *)data, size);
    cleanup_free char *formatted = NULL, *arg = NULL;
    cleanup_error struct ctr_error *err = NULL;
    struct net_port p, q;

    if (net_port_parse(s, &p, &err) < 0) {
        if (err == NULL || strncmp(err->msg, "invalid -p '", 12) != 0)
            __builtin_trap();
        return 0;
    }
    if (err != NULL)
        __builtin_trap();
    check_port(&p);

    formatted = net_port_format(&p);
    if (formatted == NULL || strstr(formatted, "->") == NULL)
        __builtin_trap();

    /* The longest -p form of a parsed mapping parses back to the same mapping. */
    arg = to_arg(&p);
    if (net_port_parse(arg, &q, &err) < 0 || !same(&p, &q))
        __builtin_trap();

    /* So does the PORTS column's form, "->" read as ":", once a host port is set. */
    if (p.host_port != 0) {
        char *arrow = strstr(formatted, "->");

        arrow[0] = ':';
        memmove(arrow + 1, arrow + 2, strlen(arrow + 2) + 1);
        if (net_port_parse(formatted, &q, &err) < 0 || !same(&p, &q))
            __builtin_trap();
    }
    return 0;
}
