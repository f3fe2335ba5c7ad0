/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_LIB_SDNOTIFY_H
#define CTR_LIB_SDNOTIFY_H

#include <stddef.h>
#include <sys/types.h>

/*
 * The sending side of systemd's notification protocol (see sd_notify(3)), without libsystemd:
 * a datagram of newline-separated "KEY=VALUE" lines sent to the unix socket that
 * $NOTIFY_SOCKET names, an absolute path or "@NAME" for a name in the abstract namespace.  The
 * manager takes the sender's pid from the socket's credentials, so with NotifyAccess=main only
 * the unit's main process is heard; MAINPID=PID hands that role to another process of the unit.
 *
 * No allocation and no ctr_error here: ctr-monitor, which relays a detached container's
 * notifications, links this file and libc only.  Failures return -1 with errno set.
 */

/* The largest message systemd reads (its receive buffer); longer ones are not relayed. */
#define CTR_SD_NOTIFY_MAX 4096

/*
 * Sends `len` bytes of `msg` as one datagram to the socket at `path`.  EINVAL for a path that
 * is neither absolute nor "@NAME" (systemd's vsock addresses are not supported), ENAMETOOLONG
 * for one longer than a socket address holds, and sendto(2)'s errors (ECONNREFUSED,
 * ENOENT...).
 */
int ctr_sd_notify(const char *path, const char *msg, size_t len);

/*
 * Makes the socket a container is given to notify through: a datagram socket bound as `name`
 * (no '/') in the directory `dirfd` (an old socket file there is replaced), non-blocking and
 * close-on-exec.  It is bound through /proc/self/fd, so the directory's path may be longer
 * than a socket address holds (108 bytes: a runtime directory, "notify", a container id).
 * Returns the fd, or -1 with errno.
 */
int ctr_sd_notify_listen_at(int dirfd, const char *name);

/*
 * A message of the container's as the relay passes it on, written to `out` (at most `size`
 * bytes, no NUL added); returns its length, 0 when nothing is left to send.  The container's
 * MAINPID is a pid of its own pid namespace, meaningless to the manager: it is dropped, and
 * "MAINPID=`mainpid`" goes first instead when the message had one or READY=1.  Lines that
 * need file descriptors passed with them (FDSTORE, FDSTOREREMOVE, FDNAME, FDPOLL, BARRIER)
 * are dropped, since none are relayed; so are empty lines, and lines that do not fit.  A
 * message with a NUL byte is dropped whole, as the manager would refuse it.
 */
size_t ctr_sd_notify_rewrite(const char *in, size_t len, pid_t mainpid, char *out, size_t size);

/*
 * Reads every datagram queued on `fd` (from ctr_sd_notify_listen_at()) and sends each, rewritten
 * for `mainpid`, to `target` (the manager's $NOTIFY_SOCKET).  File descriptors sent along are
 * closed by the kernel, since none are accepted.  Returns how many were sent; a message the
 * manager refused is skipped.  -1 with errno when reading fails other than by having nothing
 * left (EAGAIN).
 */
int ctr_sd_notify_relay(int fd, const char *target, pid_t mainpid);

#endif
