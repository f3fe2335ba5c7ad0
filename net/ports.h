/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_NET_PORTS_H
#define CTR_NET_PORTS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * One -p/--publish mapping: host_ip:host_port..+count-1 -> container_port..+count-1, protocol.
 * Plain values, no owned memory: copy them freely.
 */
struct net_port {
    char host_ip[64];        /* "" = all addresses; else an IPv4 or IPv6 address, normalised
                              * ("0:0::1" -> "::1", "::ffff:1.2.3.4" -> "1.2.3.4"), no brackets */
    uint16_t host_port;      /* 0 = pick a free one (Podman: -p 80, -p :80, -p 127.0.0.1::80) */
    uint16_t container_port; /* 1..65535 */
    uint16_t count;          /* range length, >= 1; both ranges stay within 1..65535 */
    char protocol[8];        /* "tcp" or "udp" */
};

/*
 * Parses one -p argument as Podman takes it:
 *
 *     [IP:][HOSTPORT:]CONTAINERPORT[/PROTOCOL]
 *
 * with "8080-8081:80-81" ranges (host and container ranges of the same length), "80-81"
 * alone, an IPv6 address in brackets ("[::1]:8080:80"), an empty host port for a free one
 * ("127.0.0.1::80", ":80"), and "0.0.0.0" meaning all addresses.  The protocol is tcp (the
 * default) or udp, in any case; sctp is refused because the user-mode helpers cannot forward
 * it, and "tcp,udp" is refused in favour of one -p per protocol (Podman's documented way).
 *
 * Writes *ret only on success.  Fails with EINVAL and a message that names the bad part:
 * "invalid -p '8080:x': container port 'x' is not a number from 1 to 65535".
 */
int net_port_parse(const char *arg, struct net_port *ret, struct ctr_error **err);

/*
 * Formats a mapping as Podman's PORTS column does: "0.0.0.0:8080->80/tcp", ranges as
 * "0.0.0.0:8080-8081->80-81/tcp".  An IPv6 host address is put in brackets
 * ("[::1]:8080->80/tcp", as Docker prints it) so the port cannot be read as part of the
 * address; a host port still 0 prints as "0".  Never fails; the caller frees the string.
 */
char *net_port_format(const struct net_port *p);

/*
 * Returns 1 when a and b clash: same protocol, host port ranges that intersect, and the same
 * host address or either on all addresses ("" or "::", which on Linux also takes IPv4).
 * Mappings with host_port 0 have no host port yet and clash with nothing.  Returns 0 otherwise.
 */
int net_ports_overlap(const struct net_port *a, const struct net_port *b);

/*
 * Checks the host side of n mappings before a container starts, so a taken port is reported
 * by ctr rather than by the network helper after the container is up:
 *
 *  - no two mappings overlap (net_ports_overlap());
 *  - every fixed host port is free right now: tcp by bind()+listen(), udp by bind(), on the
 *    given address, or on 0.0.0.0 and [::] for all addresses;
 *  - every host_port 0 gets a free port (a free run of `count` ports for a range), found by
 *    binding port 0 and reading it back, and distinct from the other mappings.
 *
 * Probe sockets are closed before returning, so this is a check, not a reservation: another
 * process can still take a port in between.  Writes host_port of the host_port-0 entries,
 * and only on success.  Fails with EADDRINUSE and "host port 8080/tcp is already in use: pick
 * another one (-p 8081:80)", EACCES for a privileged port, EADDRNOTAVAIL for an address the
 * host does not have, EINVAL for overlapping or malformed mappings.
 */
int net_ports_reserve(struct net_port *ports, size_t n, struct ctr_error **err);

#endif
