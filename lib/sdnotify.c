/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sdnotify.h"

/* The socket address of `path`; its length in *ret_len. */
static int address(const char *path, struct sockaddr_un *sa, socklen_t *ret_len)
{
    size_t n = strlen(path);

    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (path[0] != '/' && path[0] != '@') {
        errno = EINVAL;
        return -1;
    }
    if (n >= sizeof(sa->sun_path) || (path[0] == '@' && n < 2)) {
        errno = n < 2 ? EINVAL : ENAMETOOLONG;
        return -1;
    }
    memcpy(sa->sun_path, path, n);
    /* An abstract name starts with a NUL and is as long as the address says: no NUL after it. */
    if (path[0] == '@') {
        sa->sun_path[0] = '\0';
        *ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    } else {
        *ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    }
    return 0;
}

int ctr_sd_notify(const char *path, const char *msg, size_t len)
{
    struct sockaddr_un sa;
    socklen_t sa_len;
    ssize_t n;
    int fd, saved;

    if (address(path, &sa, &sa_len) < 0)
        return -1;
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    do
        n = sendto(fd, msg, len, MSG_NOSIGNAL, (struct sockaddr *)&sa, sa_len);
    while (n < 0 && errno == EINTR);
    saved = errno;
    close(fd);
    if (n < 0) {
        errno = saved;
        return -1;
    }
    return 0;
}

int ctr_sd_notify_listen_at(int dirfd, const char *name)
{
    struct sockaddr_un sa;
    socklen_t sa_len;
    char path[sizeof(sa.sun_path)];
    int fd, saved, n;

    if (name[0] == '\0' || strchr(name, '/') != NULL) {
        errno = EINVAL;
        return -1;
    }
    n = snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, name);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (address(path, &sa, &sa_len) < 0)
        return -1;
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    if ((unlinkat(dirfd, name, 0) < 0 && errno != ENOENT) ||
        bind(fd, (struct sockaddr *)&sa, sa_len) < 0) {
        saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static int starts_with(const char *line, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);

    return len >= n && memcmp(line, prefix, n) == 0;
}

/* Lines that refer to the sender's pid or need file descriptors sent with them. */
static int dropped(const char *line, size_t len)
{
    static const char *const prefixes[] = {
            "MAINPID=", "FDSTORE=", "FDSTOREREMOVE=", "FDNAME=", "FDPOLL=", "BARRIER=",
    };

    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (starts_with(line, len, prefixes[i]))
            return 1;
    return 0;
}

size_t ctr_sd_notify_rewrite(const char *in, size_t len, pid_t mainpid, char *out, size_t size)
{
    const char *end = in + len;
    size_t n = 0;
    int add_pid = 0;

    if (memchr(in, '\0', len) != NULL)
        return 0;
    for (const char *p = in; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = (size_t)((nl ? nl : end) - p);

        if (starts_with(p, l, "MAINPID=") || (l == 7 && memcmp(p, "READY=1", 7) == 0))
            add_pid = 1;
        p += l + 1;
    }
    if (add_pid) {
        int k = snprintf(out, size, "MAINPID=%ld", (long)mainpid);

        if (k < 0 || (size_t)k >= size)
            return 0;
        n = (size_t)k;
    }
    for (const char *p = in; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = (size_t)((nl ? nl : end) - p);

        if (l > 0 && !dropped(p, l) && n + (n > 0) + l <= size) {
            if (n > 0)
                out[n++] = '\n';
            memcpy(out + n, p, l);
            n += l;
        }
        p += l + 1;
    }
    return n;
}

int ctr_sd_notify_relay(int fd, const char *target, pid_t mainpid)
{
    /* One byte more than the manager reads, to tell a message that is too long. */
    static char in[CTR_SD_NOTIFY_MAX + 1];
    static char out[CTR_SD_NOTIFY_MAX];
    int sent = 0;

    for (;;) {
        ssize_t n = recv(fd, in, sizeof(in), MSG_DONTWAIT | MSG_TRUNC);
        size_t len;

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return sent;
        if (n < 0)
            return -1;
        if ((size_t)n > CTR_SD_NOTIFY_MAX)
            continue;
        len = ctr_sd_notify_rewrite(in, (size_t)n, mainpid, out, sizeof(out));
        if (len > 0 && ctr_sd_notify(target, out, len) == 0)
            sent++;
    }
}
