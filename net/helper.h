/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_NET_HELPER_H
#define CTR_NET_HELPER_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "ports.h"

/*
 * --network: what a container's network namespace gets, and the user-mode helper (pasta or
 * slirp4netns) that connects it to the host's network for as long as the container lives.
 */
enum net_mode {
    NET_MODE_NONE,        /* a network namespace with only lo */
    NET_MODE_HOST,        /* no network namespace of its own */
    NET_MODE_SLIRP4NETNS, /* slirp4netns(1) */
    NET_MODE_PASTA,       /* pasta(1), from the passt package */
    NET_MODE_NS,          /* join the network namespace at `target`, a path; no helper */
    NET_MODE_CONTAINER,   /* join the network namespace of container `target`; no helper */
};

struct net_options {
    enum net_mode mode;
    /*
     * Lets the container reach services on the host's loopback: slirp4netns's
     * allow_host_loopback=true (through 10.0.2.2), pasta's --map-gw (through the gateway
     * address).  Off by default, as in Podman.
     */
    int allow_host_loopback;
    int enable_ipv6;   /* slirp4netns enable_ipv6= (default true, as Podman) */
    unsigned mtu;      /* slirp4netns mtu= (default 65520, as Podman) */
    char *cidr;        /* slirp4netns cidr=, or NULL for its 10.0.2.0/24 */
    char **pasta_args; /* pasta's own options from "pasta:A,B", NULL-terminated, or NULL */
    char *target;      /* NET_MODE_NS: the path; NET_MODE_CONTAINER: the name or id */
    /*
     * Set by the caller, not by net_options_parse(), and not owned: where pasta's private
     * directory (see netns_link) goes, e.g. the container's directory under the runroot, so
     * that removing that also ends pasta.  NULL: $XDG_RUNTIME_DIR when it is the caller's,
     * else $TMPDIR or /tmp (where an age-based cleaner such as systemd-tmpfiles could remove
     * it from under a long-running container).
     */
    const char *run_dir;
};

/*
 * Parses a --network value as Podman takes it:
 *
 *     none | host | ns:PATH | container:NAME
 *     slirp4netns[:allow_host_loopback=BOOL,mtu=N,cidr=CIDR,enable_ipv6=BOOL,port_handler=slirp4netns]
 *     pasta[:OPTION,OPTION...]       pasta(1) options, split at commas; "--map-gw" is Podman's
 *                                    (it only drops the --no-map-gw ctr passes otherwise)
 *     "" or "private"                pasta when installed, else slirp4netns
 *
 * The options ctr sets itself for pasta (--netns, --userns, --netns-only, --no-netns-quit,
 * -f/--foreground, -P/--pid) are refused, as is slirp4netns's port_handler=rootlesskit.  Which
 * helper "" picks depends on $PATH; the others are parsed without looking.  Writes *ret only
 * on success; the caller frees it with net_options_clear().  Fails with EINVAL and a message
 * naming the bad part ("invalid --network 'slirp4netns:mtu=x': mtu 'x' is not a number from 68
 * to 65521"), or ENOENT when "" finds no helper (the message says to install passt).
 */
int net_options_parse(const char *arg, struct net_options *ret, struct ctr_error **err);

/* Frees what *o owns (not run_dir) and zeroes it; a zeroed or half-built *o is fine. */
void net_options_clear(struct net_options *o);

/* A running helper, as net_helper_start() leaves it. */
struct net_helper {
    pid_t pid;   /* the helper process, a child of the caller; -1 when the mode has none */
    int exit_fd; /* slirp4netns: its --exit-fd pipe's write end (O_CLOEXEC); else -1 */
    enum net_mode mode;
    /*
     * pasta: the path given as --netns, a symbolic link to /proc/PID/ns/net in a private
     * directory; pasta exits as soon as this name is deleted (it watches the directory with
     * inotify).  Owned; NULL for slirp4netns.
     */
    char *netns_link;
    /* What the container sees, for its /etc/resolv.conf and /etc/hosts ("" when none): */
    char dns[64];          /* slirp4netns: network + 3 (10.0.2.3); pasta: its --dns-forward */
    char host_address[64]; /* reaches the host (host.containers.internal), see net_helper_start */
};

/* A net_helper with nothing to release: what a declaration should start from. */
#define NET_HELPER_INIT          \
    {                            \
        .pid = -1, .exit_fd = -1 \
    }

/*
 * Starts the helper o->mode asks for, attached to the network namespace of process `pid` (a
 * child of the caller, not yet reaped, whose user namespace is a child of the caller's: the
 * helper, running as the caller, joins it through /proc/PID/ns/{user,net}), publishing `ports`
 * (host ports already chosen: net_ports_reserve()).  Returns once the helper has configured
 * the namespace's interface, routes and forwarded ports, with *ret filled in.
 *
 *   slirp4netns: --configure --ready-fd --exit-fd --enable-seccomp, ports one by one through
 *     add_hostfwd on its --api-socket (IPv4 host addresses only), whose name is removed again
 *     once they are set.  dns is network + 3; host_address is network + 2 with
 *     allow_host_loopback, else the host's first non-loopback IPv4 address (as Podman does).
 *   pasta: --config-net --foreground with Podman's defaults (-t/-u/-T/-U none when nothing is
 *     forwarded that way, --no-map-gw unless allow_host_loopback, --dns-forward 169.254.1.1
 *     unless given), one -t/-u per port (of a range, pasta binds what it can and carries on);
 *     readiness is its -P written into a FIFO.  dns is the --dns-forward address;
 *     host_address is the host's default IPv4 gateway with allow_host_loopback (pasta maps it
 *     to the host), else "": pasta gives the container the host's own address, so no other
 *     address reaches the host.
 *
 * The helper's stdin is /dev/null and its stdout and stderr a sealed memfd: what it prints
 * while starting becomes the error message if it fails, and later writes fail harmlessly.
 * It runs in a session of its own, so a terminal's ^C does not reach it.
 *
 * Its life ends with the container's through net_helper_release(), which the caller (or the
 * process it hands the container to) calls once the container has exited: slirp4netns exits
 * when every copy of exit_fd is closed, so dying also does it; pasta exits when netns_link is
 * removed (net_helper_release_link() from another process).  pasta 2023.03 (Debian 12) does
 * not notice on its own that the namespace's processes are gone (verified); Podman relies on
 * the same inotify watch by deleting its netns file.
 *
 * NET_MODE_NONE, _HOST, _NS and _CONTAINER need no helper: *ret gets pid -1, exit_fd -1 and
 * empty addresses, and publishing ports with them is EINVAL.  On failure no helper is left
 * running, nothing is left on disk, and the error carries the helper's own message
 * ("start pasta: Failed to bind any port for '-t 127.0.0.1/8080:80', exiting").
 */
int net_helper_start(const struct net_options *o, pid_t pid, const struct net_port *ports,
                     size_t n_ports, struct net_helper *ret, struct ctr_error **err);

/*
 * The container has exited: closes exit_fd and removes netns_link (and its directory), so
 * the helper exits by itself within milliseconds, and frees what *h owns.  Does not wait:
 * h->pid stays set for the caller to reap.  Safe to call twice, and on NET_HELPER_INIT.
 */
void net_helper_release(struct net_helper *h);

/* Removes a pasta netns_link recorded earlier, and its private directory.  Never fails. */
void net_helper_release_link(const char *netns_link);

/*
 * Stops the helper now, for a start that failed after the helper came up: releases it,
 * kills it (SIGKILL) and reaps it, leaving pid -1.  h->pid must not have been reaped yet.
 * Safe on NET_HELPER_INIT and on an already stopped *h.
 */
void net_helper_stop(struct net_helper *h);

#endif
