/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "spawn.h"
#include "userns.h"
#include "unit.h"
#include "xalloc.h"

static void parse(const char *text, uid_t uid, struct ctr_subid *s)
{
    ctr_subid_parse(text, strlen(text), "alice", uid, s);
}

#define ASSERT_EXTENT(m, in, out, cnt)      \
    do {                                    \
        ASSERT_UINT_EQ((m).inside, (in));   \
        ASSERT_UINT_EQ((m).outside, (out)); \
        ASSERT_UINT_EQ((m).count, (cnt));   \
    } while (0)

TEST(rootless_ranges_in_file_order)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_subid su, sg;
    struct ctr_idmaps m;

    parse("alice:200000:1000\nbob:1:5\nalice:100000:65536\n", 1000, &su);
    parse("alice:300000:10\n", 1000, &sg);
    ASSERT_OK(ctr_idmaps_rootless(1000, 1001, &su, &sg, &m, &err), &err);
    ASSERT_UINT_EQ(m.n_uid, 3);
    ASSERT_EXTENT(m.uid[0], 0, 1000, 1);
    ASSERT_EXTENT(m.uid[1], 1, 200000, 1000);
    ASSERT_EXTENT(m.uid[2], 1001, 100000, 65536);
    ASSERT_UINT_EQ(m.n_gid, 2);
    ASSERT_EXTENT(m.gid[0], 0, 1001, 1);
    ASSERT_EXTENT(m.gid[1], 1, 300000, 10);
    ASSERT_UINT_EQ(ctr_idmaps_contiguous(m.uid, m.n_uid), 66537);
    ASSERT_UINT_EQ(ctr_idmaps_contiguous(m.gid, m.n_gid), 11);
    ctr_idmaps_clear(&m);
    ctr_subid_clear(&su);
    ctr_subid_clear(&sg);
}

TEST(rootless_without_ranges_is_single)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_subid su, sg;
    struct ctr_idmaps m;

    parse("bob:100000:65536\n", 1000, &su);
    parse("", 1000, &sg);
    ASSERT_OK(ctr_idmaps_rootless(1000, 1000, &su, &sg, &m, &err), &err);
    ASSERT_UINT_EQ(m.n_uid, 1);
    ASSERT_EXTENT(m.uid[0], 0, 1000, 1);
    ASSERT_UINT_EQ(m.n_gid, 1);
    ASSERT_EXTENT(m.gid[0], 0, 1000, 1);
    ASSERT_UINT_EQ(ctr_idmaps_contiguous(m.uid, m.n_uid), 1);
    ctr_idmaps_clear(&m);
    /* NULL subid data is the same as none. */
    ASSERT_OK(ctr_idmaps_rootless(5, 6, NULL, NULL, &m, &err), &err);
    ASSERT_UINT_EQ(m.n_uid, 1);
    ASSERT_EXTENT(m.gid[0], 0, 6, 1);
    ctr_idmaps_clear(&m);
    ctr_subid_clear(&su);
    ctr_subid_clear(&sg);
}

TEST(rootless_overlaps_removed)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_subid su;
    struct ctr_idmaps m;

    /* A duplicate, an overlap, and a range holding the user's own uid: the kernel refuses
     * overlapping outside ids, so each id is mapped once. */
    parse("alice:100000:100\nalice:100000:100\nalice:100050:100\nalice:990:20\n", 1000, &su);
    ASSERT_OK(ctr_idmaps_rootless(1000, 1000, &su, NULL, &m, &err), &err);
    ASSERT_UINT_EQ(m.n_uid, 5);
    ASSERT_EXTENT(m.uid[0], 0, 1000, 1);
    ASSERT_EXTENT(m.uid[1], 1, 100000, 100);
    ASSERT_EXTENT(m.uid[2], 101, 100100, 50);
    ASSERT_EXTENT(m.uid[3], 151, 990, 10);
    ASSERT_EXTENT(m.uid[4], 161, 1001, 9);
    ASSERT_UINT_EQ(ctr_idmaps_contiguous(m.uid, m.n_uid), 170);
    ctr_idmaps_clear(&m);
    ctr_subid_clear(&su);
}

TEST(rootless_too_many_ranges)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *text = xstrdup("");
    struct ctr_subid su;
    struct ctr_idmaps m;

    for (int i = 0; i < 400; i++) {
        char *longer = xasprintf("%salice:%d:1\n", text, 100000 + 2 * i);

        free(text);
        text = longer;
    }
    parse(text, 1000, &su);
    ASSERT_UINT_EQ(su.n_ranges, 400);
    ASSERT_FAILS(ctr_idmaps_rootless(1000, 1000, &su, NULL, &m, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "340");
    ctr_subid_clear(&su);
}

TEST(contiguous)
{
    struct ctr_idmap gap[] = {{0, 1000, 1}, {2, 100000, 10}};
    struct ctr_idmap unordered[] = {{1, 100000, 10}, {0, 1000, 1}, {11, 5, 4}};
    struct ctr_idmap no_zero[] = {{1, 100000, 10}};

    ASSERT_UINT_EQ(ctr_idmaps_contiguous(gap, 2), 1);
    ASSERT_UINT_EQ(ctr_idmaps_contiguous(unordered, 3), 15);
    ASSERT_UINT_EQ(ctr_idmaps_contiguous(no_zero, 1), 0);
    ASSERT_UINT_EQ(ctr_idmaps_contiguous(NULL, 0), 0);
}

/* Live tests. */

static void need_userns(void)
{
    if (access("/proc/self/ns/user", F_OK) < 0)
        unit_skip("this kernel has no user namespaces (CONFIG_USER_NS)");
}

static char *expected_map(const struct ctr_idmap *m, size_t n)
{
    char *text = xstrdup("");

    /* The kernel prints each extent as "%10u %10u %10u\n". */
    for (size_t i = 0; i < n; i++) {
        char *longer =
                xasprintf("%s%10lu %10lu %10lu\n", text, m[i].inside, m[i].outside, m[i].count);

        free(text);
        text = longer;
    }
    return text;
}

struct inside_check {
    const char *uid_map;
    const char *gid_map;
    int code;
};

/* Runs in the child: any mismatch is printed and becomes a distinct exit code. */
static int check_inside(void *arg)
{
    const struct inside_check *c = arg;
    cleanup_error struct ctr_error *e = NULL;
    cleanup_free char *uid_map = NULL, *gid_map = NULL;
    size_t len;

    if (getuid() != 0 || geteuid() != 0 || getgid() != 0 || getegid() != 0) {
        fprintf(stderr, "inside: uid %d euid %d gid %d egid %d\n", (int)getuid(), (int)geteuid(),
                (int)getgid(), (int)getegid());
        return 10;
    }
    if (ctr_read_file("/proc/self/uid_map", 65536, &uid_map, &len, &e) < 0 ||
        ctr_read_file("/proc/self/gid_map", 65536, &gid_map, &len, &e) < 0) {
        fprintf(stderr, "inside: %s\n", e->msg);
        return 11;
    }
    if (strcmp(uid_map, c->uid_map) != 0 || strcmp(gid_map, c->gid_map) != 0) {
        fprintf(stderr, "inside: uid_map\n%swanted\n%sgid_map\n%swanted\n%s", uid_map, c->uid_map,
                gid_map, c->gid_map);
        return 12;
    }
    return c->code;
}

static void spawn_and_check(const struct ctr_idmaps *m, int extra_flags)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *uid_map = expected_map(m->uid, m->n_uid);
    cleanup_free char *gid_map = expected_map(m->gid, m->n_gid);
    struct inside_check c = {uid_map, gid_map, 42};
    pid_t pid = -1;
    int status;

    fflush(NULL);
    ASSERT_OK(ctr_userns_spawn(m, extra_flags, check_inside, &c, &pid, &err), &err);
    status = ctr_waitpid(pid);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_INT_EQ(WEXITSTATUS(status), 42);
}

TEST(spawn_self_mapping)
{
    struct ctr_idmap u = {0, geteuid(), 1}, g = {0, getegid(), 1};
    struct ctr_idmaps m = {&u, 1, &g, 1};

    /* The path that needs no helper and no subordinate ids: it works for anybody. */
    need_userns();
    spawn_and_check(&m, 0);
    /* With a mount namespace too, as the unpacker and containers use it. */
    spawn_and_check(&m, CLONE_NEWNS);
}

TEST(spawn_current_user)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_idmaps m;
    int has_ranges = 0;

    /* With ranges (an ordinary user): through newuidmap/newgidmap.  Root in CI has none, and
     * gets the single mapping of its own ids. */
    need_userns();
    ASSERT_OK(ctr_idmaps_for_current_user(&m, &has_ranges, &err), &err);
    ASSERT_EXTENT(m.uid[0], 0, geteuid(), 1);
    ASSERT_EXTENT(m.gid[0], 0, getegid(), 1);
    if (has_ranges)
        ASSERT_TRUE(m.n_uid > 1 && m.n_gid > 1);
    spawn_and_check(&m, 0);
    ctr_idmaps_clear(&m);
}

static int never_runs(void *arg)
{
    (void)arg;
    return 99;
}

TEST(spawn_identity_map)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_idmap ident = {0, 0, 65536};
    struct ctr_idmaps m = {&ident, 1, &ident, 1};
    pid_t pid = -1;

    need_userns();
    if (geteuid() == 0) {
        /* Root has no /etc/subuid ranges; it writes any map itself, no newuidmap involved. */
        spawn_and_check(&m, CLONE_NEWNS);
        return;
    }
    /* Anybody else asks newuidmap, which refuses ids that are not theirs, and says so. */
    ASSERT_FAILS(ctr_userns_spawn(&m, 0, never_runs, NULL, &pid, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "newuidmap: ");
    errno = 0;
    ASSERT_INT_EQ(waitpid(-1, NULL, WNOHANG), -1);
    ASSERT_INT_EQ(errno, ECHILD);
}

TEST(spawn_failure_leaves_no_child)
{
    cleanup_error struct ctr_error *err = NULL;
    /* Overlapping outside ids: the kernel (root) and newuidmap (anyone else) refuse it. */
    struct ctr_idmap bad[] = {{0, 0, 10}, {10, 5, 10}};
    struct ctr_idmap g = {0, getegid(), 1};
    struct ctr_idmaps m = {bad, 2, &g, 1};
    pid_t pid = -1;

    need_userns();
    ASSERT_FAILS(ctr_userns_spawn(&m, 0, never_runs, NULL, &pid, &err), &err);
    ASSERT_INT_EQ(pid, -1);
    if (geteuid() != 0)
        ASSERT_STR_CONTAINS(err->msg, "newuidmap");
    else
        ASSERT_STR_CONTAINS(err->msg, "uid_map");
    /* The child was killed and reaped. */
    errno = 0;
    ASSERT_INT_EQ(waitpid(-1, NULL, WNOHANG), -1);
    ASSERT_INT_EQ(errno, ECHILD);
}

TEST(spawn_bad_flags_reported)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_idmap u = {0, geteuid(), 1}, g = {0, getegid(), 1};
    struct ctr_idmaps m = {&u, 1, &g, 1};
    pid_t pid = -1;

    need_userns();
    /* CLONE_PARENT is no unshare flag: the child's unshare fails and says so. */
    ASSERT_FAILS(ctr_userns_spawn(&m, CLONE_PARENT, never_runs, NULL, &pid, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "create a user namespace");
    ASSERT_INT_EQ(err->code, EINVAL);
    errno = 0;
    ASSERT_INT_EQ(waitpid(-1, NULL, WNOHANG), -1);
    ASSERT_INT_EQ(errno, ECHILD);
}
