/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sd-notify LINE...: sends the lines, joined by newlines, as one datagram to the socket
 * $NOTIFY_SOCKET names, as a service does with sd_notify(3); prints nothing and exits 0 when it
 * was sent, else prints why and exits 1.  Built statically by systemd.bats and bind-mounted
 * into containers, which have no libc and no systemd-notify.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char msg[4096];
    size_t len = 0, n;
    socklen_t sa_len;
    int fd;

    if (path == NULL || path[0] == '\0') {
        fprintf(stderr, "sd-notify: NOTIFY_SOCKET is not set\n");
        return 1;
    }
    n = strlen(path);
    if (n >= sizeof(sa.sun_path)) {
        fprintf(stderr, "sd-notify: NOTIFY_SOCKET is too long\n");
        return 1;
    }
    memcpy(sa.sun_path, path, n);
    sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] != '@'));
    if (path[0] == '@')
        sa.sun_path[0] = '\0';
    for (int i = 1; i < argc; i++) {
        size_t l = strlen(argv[i]);

        if (len + l + 1 > sizeof(msg)) {
            fprintf(stderr, "sd-notify: the message is too long\n");
            return 1;
        }
        if (i > 1)
            msg[len++] = '\n';
        memcpy(msg + len, argv[i], l);
        len += l;
    }
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || sendto(fd, msg, len, 0, (struct sockaddr *)&sa, sa_len) < 0) {
        fprintf(stderr, "sd-notify: send to '%s': %s\n", path, strerror(errno));
        return 1;
    }
    return 0;
}
