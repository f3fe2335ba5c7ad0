/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tries one syscall the seccomp tests care about and prints "NAME ok" or "NAME ERRNO-NAME";
 * also receives one UDP datagram for the network tests.  Built statically by the tests and
 * bind-mounted into containers, which have no libc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <unistd.h>

static int report(const char *name, long r)
{
    if (r < 0) {
        printf("%s %s\n", name, strerrorname_np(errno));
        return 1;
    }
    printf("%s ok\n", name);
    return 0;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";

    if (strcmp(what, "keyctl") == 0) /* KEYCTL_GET_KEYRING_ID of the session keyring */
        return report(what, syscall(SYS_keyctl, 0, -3, 0));
    if (strcmp(what, "unshare-user") == 0)
        return report(what, unshare(CLONE_NEWUSER));
    if (strcmp(what, "mount") == 0)
        return report(what, mount("none", "/tmp", "tmpfs", 0, NULL));
    if (strcmp(what, "clone3") == 0)
        return report(what, syscall(SYS_clone3, NULL, 0));
    if (strcmp(what, "vsock") == 0)
        return report(what, socket(40 /* AF_VSOCK */, SOCK_STREAM, 0));
    if (strcmp(what, "socket") == 0)
        return report(what, socket(AF_INET, SOCK_STREAM, 0));
    if (strcmp(what, "bpf") == 0)
        return report(what, syscall(SYS_bpf, 0, NULL, 0));
    if (strcmp(what, "ptrace") == 0)
        return report(what, syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, 1, 0, 0));
    if (strcmp(what, "udp-recv") == 0 && argc == 3) {
        /* Prints the first datagram that arrives on UDP port argv[2] (networking tests). */
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((unsigned short)atoi(argv[2]))};
        char buf[512];
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        ssize_t n;

        if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
            return report(what, -1);
        n = recv(fd, buf, sizeof(buf) - 1, 0);
        if (n < 0)
            return report(what, -1);
        buf[n] = '\0';
        printf("%s", buf);
        fflush(stdout);
        return 0;
    }
    fprintf(stderr,
            "usage: syscall-probe keyctl|unshare-user|mount|clone3|vsock|socket|bpf|ptrace\n");
    return 2;
}
