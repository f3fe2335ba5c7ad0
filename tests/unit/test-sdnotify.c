/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sdnotify.h"
#include "unit.h"

/* A scratch directory for sockets, removed at exit with what is in it. */
static char dir[64];

static void remove_dir(void)
{
    char path[128];

    snprintf(path, sizeof(path), "%s/manager.sock", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/container.sock", dir);
    unlink(path);
    rmdir(dir);
}

static const char *scratch(const char *name)
{
    static char path[128];

    if (dir[0] == '\0') {
        snprintf(dir, sizeof(dir), "/tmp/test-sdnotify.XXXXXX");
        if (mkdtemp(dir) == NULL)
            UNIT_FAIL("mkdtemp: %s", strerror(errno));
        atexit(remove_dir);
    }
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return path;
}

/* A datagram socket bound at `path` (absolute or "@NAME"), as the manager's is. */
static int manager_socket(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    socklen_t len;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    ASSERT_TRUE(fd >= 0);
    ASSERT_TRUE(strlen(path) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, path, strlen(path));
    len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
    if (path[0] == '@')
        sa.sun_path[0] = '\0';
    else
        len++;
    if (bind(fd, (struct sockaddr *)&sa, len) < 0)
        UNIT_FAIL("bind '%s': %s", path, strerror(errno));
    return fd;
}

/* The next datagram on `fd` (waiting at most 2 s), as a string. */
static const char *receive(int fd)
{
    static char buf[CTR_SD_NOTIFY_MAX + 1];
    struct pollfd p = {fd, POLLIN, 0};
    ssize_t n;

    if (poll(&p, 1, 2000) != 1)
        UNIT_FAIL("no datagram arrived within 2 s");
    n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
    if (n < 0)
        UNIT_FAIL("recv: %s", strerror(errno));
    buf[n] = '\0';
    return buf;
}

static void assert_nothing(int fd)
{
    struct pollfd p = {fd, POLLIN, 0};

    ASSERT_INT_EQ(poll(&p, 1, 100), 0);
}

static void assert_rewrite(const char *in, pid_t pid, const char *want)
{
    char out[256];
    size_t n = ctr_sd_notify_rewrite(in, strlen(in), pid, out, sizeof(out) - 1);

    out[n] = '\0';
    ASSERT_STR_EQ(out, want);
}

TEST(send_to_path)
{
    const char *path = scratch("manager.sock");
    int fd = manager_socket(path);

    ASSERT_INT_EQ(ctr_sd_notify(path, "READY=1\nMAINPID=42", 18), 0);
    ASSERT_STR_EQ(receive(fd), "READY=1\nMAINPID=42");
    close(fd);
}

TEST(send_to_abstract_name)
{
    char name[64];
    int fd;

    snprintf(name, sizeof(name), "@ctr-test-sdnotify-%ld", (long)getpid());
    fd = manager_socket(name);
    ASSERT_INT_EQ(ctr_sd_notify(name, "STATUS=up", 9), 0);
    ASSERT_STR_EQ(receive(fd), "STATUS=up");
    close(fd);
}

TEST(send_refuses_bad_addresses)
{
    char longer[200];

    errno = 0;
    ASSERT_INT_EQ(ctr_sd_notify("relative/sock", "READY=1", 7), -1);
    ASSERT_INT_EQ(errno, EINVAL);
    ASSERT_INT_EQ(ctr_sd_notify("vsock:2:1234", "READY=1", 7), -1);
    ASSERT_INT_EQ(errno, EINVAL);
    ASSERT_INT_EQ(ctr_sd_notify("@", "READY=1", 7), -1);
    ASSERT_INT_EQ(errno, EINVAL);
    memset(longer, 'a', sizeof(longer) - 1);
    longer[0] = '/';
    longer[sizeof(longer) - 1] = '\0';
    ASSERT_INT_EQ(ctr_sd_notify(longer, "READY=1", 7), -1);
    ASSERT_INT_EQ(errno, ENAMETOOLONG);
    /* Nobody listens there. */
    ASSERT_INT_EQ(ctr_sd_notify(scratch("nobody.sock"), "READY=1", 7), -1);
    ASSERT_INT_EQ(errno, ENOENT);
}

TEST(rewrite_replaces_mainpid)
{
    assert_rewrite("READY=1", 77, "MAINPID=77\nREADY=1");
    assert_rewrite("MAINPID=1\nREADY=1\nSTATUS=serving", 77, "MAINPID=77\nREADY=1\nSTATUS=serving");
    assert_rewrite("MAINPID=5", 77, "MAINPID=77");
    /* Without READY=1 or MAINPID the message goes as it is. */
    assert_rewrite("STATUS=starting", 77, "STATUS=starting");
    assert_rewrite("RELOADING=1\nMONOTONIC_USEC=5", 77, "RELOADING=1\nMONOTONIC_USEC=5");
    assert_rewrite("WATCHDOG=1", 77, "WATCHDOG=1");
    /* READY=10 is not READY=1. */
    assert_rewrite("READY=10", 77, "READY=10");
}

TEST(rewrite_drops_what_cannot_be_relayed)
{
    char out[64];

    assert_rewrite("FDSTORE=1\nFDNAME=x\nSTATUS=a", 9, "STATUS=a");
    assert_rewrite("BARRIER=1", 9, "");
    assert_rewrite("FDSTOREREMOVE=1\nFDPOLL=0", 9, "");
    assert_rewrite("\n\nSTATUS=a\n\n", 9, "STATUS=a");
    assert_rewrite("", 9, "");
    /* A NUL anywhere: the whole message. */
    ASSERT_UINT_EQ(ctr_sd_notify_rewrite("READY=1\0x", 9, 9, out, sizeof(out)), 0);
    /* A line that does not fit is left out, the rest goes. */
    ASSERT_UINT_EQ(ctr_sd_notify_rewrite("STATUS=aaaaaaaaaaaaaaaaaaaa\nB=1", 31, 9, out, 12), 3);
    ASSERT_TRUE(memcmp(out, "B=1", 3) == 0);
}

TEST(listen_and_relay)
{
    char target[128], path[128];
    int manager, fd, dirfd;
    struct stat st;
    char big[CTR_SD_NOTIFY_MAX + 10];

    snprintf(target, sizeof(target), "%s", scratch("manager.sock"));
    snprintf(path, sizeof(path), "%s", scratch("container.sock"));
    manager = manager_socket(target);
    dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_TRUE(dirfd >= 0);
    fd = ctr_sd_notify_listen_at(dirfd, "container.sock");
    ASSERT_TRUE(fd >= 0);
    ASSERT_INT_EQ(stat(path, &st), 0);
    ASSERT_TRUE(S_ISSOCK(st.st_mode));
    /* Nothing queued: nothing sent. */
    ASSERT_INT_EQ(ctr_sd_notify_relay(fd, target, 1234), 0);
    /* What a container sends, its MAINPID from its own pid namespace. */
    ASSERT_INT_EQ(ctr_sd_notify(path, "STATUS=starting", 15), 0);
    ASSERT_INT_EQ(ctr_sd_notify(path, "READY=1\nMAINPID=1", 17), 0);
    /* Too long for the manager: skipped. */
    memset(big, 'x', sizeof(big));
    memcpy(big, "STATUS=", 7);
    ASSERT_INT_EQ(ctr_sd_notify(path, big, sizeof(big)), 0);
    ASSERT_INT_EQ(ctr_sd_notify(path, "STOPPING=1", 10), 0);
    ASSERT_INT_EQ(ctr_sd_notify_relay(fd, target, 1234), 3);
    ASSERT_STR_EQ(receive(manager), "STATUS=starting");
    ASSERT_STR_EQ(receive(manager), "MAINPID=1234\nREADY=1");
    ASSERT_STR_EQ(receive(manager), "STOPPING=1");
    assert_nothing(manager);
    /* A socket file left behind is replaced. */
    close(fd);
    fd = ctr_sd_notify_listen_at(dirfd, "container.sock");
    ASSERT_TRUE(fd >= 0);
    ASSERT_INT_EQ(ctr_sd_notify(path, "READY=1", 7), 0);
    /* The manager gone: the message is lost, the relay goes on. */
    close(manager);
    unlink(target);
    ASSERT_INT_EQ(ctr_sd_notify_relay(fd, target, 1234), 0);
    close(fd);
    ASSERT_INT_EQ(ctr_sd_notify_listen_at(dirfd, "a/b.sock"), -1);
    ASSERT_INT_EQ(errno, EINVAL);
    close(dirfd);
}

TEST(listen_in_a_directory_with_a_long_path)
{
    char a[256], b[512], sock[600], through_fd[64];
    int dirfd, fd;

    /* Deeper than a socket address holds, as a runtime directory may be: bound all the same. */
    scratch("x");
    snprintf(a, sizeof(a), "%s/%0100d", dir, 1);
    snprintf(b, sizeof(b), "%s/%0100d", a, 2);
    ASSERT_INT_EQ(mkdir(a, 0700), 0);
    ASSERT_INT_EQ(mkdir(b, 0700), 0);
    dirfd = open(b, O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_TRUE(dirfd >= 0);
    fd = ctr_sd_notify_listen_at(dirfd, "notify.sock");
    ASSERT_TRUE(fd >= 0);
    snprintf(sock, sizeof(sock), "%s/notify.sock", b);
    ASSERT_INT_EQ(access(sock, F_OK), 0);
    /* A container reaches it through a bind mount; here through the directory's fd. */
    snprintf(through_fd, sizeof(through_fd), "/proc/self/fd/%d/notify.sock", dirfd);
    ASSERT_INT_EQ(ctr_sd_notify(through_fd, "READY=1", 7), 0);
    ASSERT_STR_EQ(receive(fd), "READY=1");
    close(fd);
    close(dirfd);
    ASSERT_INT_EQ(unlink(sock), 0);
    ASSERT_INT_EQ(rmdir(b), 0);
    ASSERT_INT_EQ(rmdir(a), 0);
}
