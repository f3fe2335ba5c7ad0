/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "passwd.h"
#include "unit.h"
#include "xalloc.h"

static const char PASSWD[] = "root:x:0:0:root:/root:/bin/bash\n"
                             "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                             "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
                             "alice:x:1000:1000:Alice,,,:/home/alice:/bin/sh\n"
                             "nohome:x:1001:1001\n"
                             "emptyhome:x:1002:1002:::/bin/sh\n"
                             "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";

static const char GROUP[] = "root:x:0:\n"
                            "wheel:x:10:root,alice\n"
                            "www-data:x:33:\n"
                            "audio:x:29:alice\n"
                            "staff:x:50:alice,www-data\n"
                            "alice:x:1000:\n"
                            "users:x:100:\n"
                            "nogroup:x:65534:\n";

static void resolve(const char *spec, const char *passwd, const char *group, struct ctr_user *u)
{
    cleanup_error struct ctr_error *err = NULL;

    if (ctr_user_resolve(spec, passwd, group, u, &err) < 0)
        UNIT_FAIL("user '%s': %s", spec ? spec : "(null)", err ? err->msg : "no error set");
    if (err != NULL)
        UNIT_FAIL("user '%s' succeeded with an error set: %s", spec, err->msg);
}

static void expect_groups(const struct ctr_user *u, const gid_t *want, size_t n)
{
    if (u->n_groups != n)
        UNIT_FAIL("%zu supplementary groups, expected %zu", u->n_groups, n);
    for (size_t i = 0; i < n; i++) {
        if (u->groups[i] != want[i])
            UNIT_FAIL("supplementary group %zu is %u, expected %u", i, (unsigned)u->groups[i],
                      (unsigned)want[i]);
    }
}

TEST(default_is_root)
{
    static const gid_t want[] = {10};
    struct ctr_user u;

    resolve(NULL, PASSWD, GROUP, &u);
    ASSERT_UINT_EQ(u.uid, 0);
    ASSERT_UINT_EQ(u.gid, 0);
    ASSERT_STR_EQ(u.name, "root");
    ASSERT_STR_EQ(u.home, "/root");
    expect_groups(&u, want, 1);
    ctr_user_clear(&u);

    resolve("", PASSWD, GROUP, &u);
    ASSERT_STR_EQ(u.name, "root");
    ctr_user_clear(&u);
}

TEST(default_without_files)
{
    struct ctr_user u;

    resolve(NULL, NULL, NULL, &u);
    ASSERT_UINT_EQ(u.uid, 0);
    ASSERT_UINT_EQ(u.gid, 0);
    ASSERT_TRUE(u.name == NULL);
    ASSERT_STR_EQ(u.home, "/");
    ASSERT_UINT_EQ(u.n_groups, 0);
    ASSERT_TRUE(u.groups == NULL);
    ctr_user_clear(&u);
}

TEST(by_name)
{
    static const gid_t want[] = {10, 29, 50};
    struct ctr_user u;

    resolve("alice", PASSWD, GROUP, &u);
    ASSERT_UINT_EQ(u.uid, 1000);
    ASSERT_UINT_EQ(u.gid, 1000);
    ASSERT_STR_EQ(u.name, "alice");
    ASSERT_STR_EQ(u.home, "/home/alice");
    expect_groups(&u, want, 3);
    ctr_user_clear(&u);
}

TEST(by_uid_with_entry)
{
    static const gid_t want[] = {50};
    struct ctr_user u;

    resolve("33", PASSWD, GROUP, &u);
    ASSERT_UINT_EQ(u.uid, 33);
    ASSERT_UINT_EQ(u.gid, 33);
    ASSERT_STR_EQ(u.name, "www-data");
    ASSERT_STR_EQ(u.home, "/var/www");
    expect_groups(&u, want, 1);
    ctr_user_clear(&u);

    /* Leading zeros are the same number, as strconv.Atoi reads them. */
    resolve("0033", PASSWD, GROUP, &u);
    ASSERT_STR_EQ(u.name, "www-data");
    ctr_user_clear(&u);
}

TEST(by_uid_without_entry)
{
    struct ctr_user u;

    resolve("1234", PASSWD, GROUP, &u);
    ASSERT_UINT_EQ(u.uid, 1234);
    ASSERT_UINT_EQ(u.gid, 0);
    ASSERT_TRUE(u.name == NULL);
    ASSERT_STR_EQ(u.home, "/");
    ASSERT_UINT_EQ(u.n_groups, 0);
    ctr_user_clear(&u);

    resolve("1234:5678", PASSWD, GROUP, &u);
    ASSERT_UINT_EQ(u.uid, 1234);
    ASSERT_UINT_EQ(u.gid, 5678);
    ctr_user_clear(&u);

    resolve("4294967294:4294967294", NULL, NULL, &u);
    ASSERT_UINT_EQ(u.uid, 4294967294U);
    ASSERT_UINT_EQ(u.gid, 4294967294U);
    ctr_user_clear(&u);
}

TEST(explicit_group)
{
    /* The user's other groups stay, without the one that became primary (CVE-2022-36109). */
    static const gid_t want_staff[] = {10, 29};
    static const gid_t want_numeric[] = {10, 29, 50};
    struct ctr_user u;

    resolve("alice:staff", PASSWD, GROUP, &u);
    ASSERT_UINT_EQ(u.uid, 1000);
    ASSERT_UINT_EQ(u.gid, 50);
    ASSERT_STR_EQ(u.name, "alice");
    expect_groups(&u, want_staff, 2);
    ctr_user_clear(&u);

    resolve("alice:4321", PASSWD, GROUP, &u);
    ASSERT_UINT_EQ(u.gid, 4321);
    expect_groups(&u, want_numeric, 3);
    ctr_user_clear(&u);

    resolve("1000:100", PASSWD, GROUP, &u);
    ASSERT_UINT_EQ(u.uid, 1000);
    ASSERT_UINT_EQ(u.gid, 100);
    ASSERT_STR_EQ(u.name, "alice");
    ctr_user_clear(&u);

    resolve("4242:users", PASSWD, GROUP, &u);
    ASSERT_UINT_EQ(u.uid, 4242);
    ASSERT_UINT_EQ(u.gid, 100);
    ASSERT_TRUE(u.name == NULL);
    ASSERT_UINT_EQ(u.n_groups, 0);
    ctr_user_clear(&u);

    /* "name:" is "name", as Docker reads it. */
    resolve("alice:", PASSWD, GROUP, &u);
    ASSERT_UINT_EQ(u.gid, 1000);
    ctr_user_clear(&u);
}

TEST(numeric_group_is_a_gid)
{
    struct ctr_user u;

    /* A group named "50" would not count: a number is always an id, as in moby. */
    resolve("root:50", PASSWD, "50:x:7:\nstaff:x:50:\n", &u);
    ASSERT_UINT_EQ(u.gid, 50);
    ctr_user_clear(&u);
}

TEST(home_defaults_to_root)
{
    struct ctr_user u;

    resolve("nohome", PASSWD, GROUP, &u);
    ASSERT_UINT_EQ(u.uid, 1001);
    ASSERT_STR_EQ(u.home, "/");
    ctr_user_clear(&u);
    resolve("emptyhome", PASSWD, GROUP, &u);
    ASSERT_STR_EQ(u.home, "/");
    ctr_user_clear(&u);
}

static void expect_error(const char *spec, const char *passwd, const char *group, int code,
                         const char *needle)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_user u = {.uid = 4242, .home = (char *)"untouched"};

    ASSERT_FAILS(ctr_user_resolve(spec, passwd, group, &u, &err), &err);
    if (err->code != code)
        UNIT_FAIL("user '%s': code %d, expected %d (%s)", spec, err->code, code, err->msg);
    ASSERT_STR_CONTAINS(err->msg, needle);
    /* *ret is written only on success. */
    ASSERT_UINT_EQ(u.uid, 4242);
    ASSERT_STR_EQ(u.home, "untouched");
}

TEST(unknown_user)
{
    expect_error("www", PASSWD, GROUP, ENOENT,
                 "unable to find user 'www': no matching entry in the image's /etc/passwd; give "
                 "a numeric uid or add the user to the image");
    expect_error("www", NULL, GROUP, ENOENT,
                 "unable to find user 'www': the image has no /etc/passwd; give a numeric uid "
                 "instead");
    /* Names match exactly. */
    expect_error("Alice", PASSWD, GROUP, ENOENT, "'Alice'");
    expect_error("alic", PASSWD, GROUP, ENOENT, "'alic'");
    expect_error("-1", PASSWD, GROUP, ENOENT, "unable to find user '-1'");
    expect_error("+1", PASSWD, GROUP, ENOENT, "unable to find user '+1'");
    expect_error("\x1b]0;owned\a", PASSWD, GROUP, ENOENT, "unable to find user '?]0;owned?'");
}

TEST(unknown_group)
{
    expect_error("alice:www", PASSWD, GROUP, ENOENT,
                 "unable to find group 'www': no matching entry in the image's /etc/group; give "
                 "a numeric gid or add the group to the image");
    expect_error("0:www", PASSWD, NULL, ENOENT,
                 "unable to find group 'www': the image has no /etc/group; give a numeric gid "
                 "instead");
    /* The user is checked first. */
    expect_error("bob:www", PASSWD, GROUP, ENOENT, "unable to find user 'bob'");
}

TEST(malformed_spec)
{
    expect_error(":100", PASSWD, GROUP, EINVAL,
                 "user ':100' has no user before the ':': expected USER[:GROUP], as in '0:100'");
    expect_error(":", PASSWD, GROUP, EINVAL, "has no user before the ':'");
    expect_error("a:b:c", PASSWD, GROUP, EINVAL,
                 "user 'a:b:c' has more than one ':': expected USER[:GROUP]");
    expect_error("4294967295", PASSWD, GROUP, ERANGE,
                 "uid in user '4294967295' is out of range: ids go from 0 to 4294967294");
    expect_error("99999999999999999999999", PASSWD, GROUP, ERANGE, "out of range");
    expect_error("0:4294967295", PASSWD, GROUP, ERANGE,
                 "gid in user '0:4294967295' is out of range");
}

TEST(malformed_lines_skipped)
{
    /* Each bad line would match the user if it were read; the good one at the end wins. */
    static const char passwd[] = "#bob:x:0:0::/comment:/bin/sh\n"
                                 "bob\n"
                                 "bob:x:5\n"
                                 "bob:x:-5:5::/neg:/\n"
                                 "bob:x:4294967295:5::/minus-one:/\n"
                                 "bob:x:99999999999999999999:5::/huge:/\n"
                                 "bob:x:7:abc::/badgid:/\n"
                                 "bob:x: 7:7::/space:/\n"
                                 "bob:x:0x7:7::/hex:/\n"
                                 ":x:7:7::/noname:/\n"
                                 "\n"
                                 "   \n"
                                 "bob:x:7:8:Bob:/home/bob:/bin/sh\n"
                                 "bob:x:9:9:second:/second:/bin/sh\n";
    static const char group[] = "#g:x:1:bob\n"
                                "g:x:4294967295:bob\n"
                                "g:x:-1:bob\n"
                                "g:x\n"
                                ":x:2:bob\n"
                                "g:x:3:bob\n";
    static const gid_t want[] = {3};
    struct ctr_user u;

    resolve("bob", passwd, group, &u);
    ASSERT_UINT_EQ(u.uid, 7);
    ASSERT_UINT_EQ(u.gid, 8);
    ASSERT_STR_EQ(u.home, "/home/bob");
    expect_groups(&u, want, 1);
    ctr_user_clear(&u);
}

TEST(comment_is_not_root)
{
    struct ctr_user u;

    resolve(NULL, "#evil:x:0:66::/evil:/bin/sh\nroot:x:0:5::/root:/bin/sh\n", NULL, &u);
    ASSERT_UINT_EQ(u.gid, 5);
    ASSERT_STR_EQ(u.name, "root");
    ASSERT_STR_EQ(u.home, "/root");
    ctr_user_clear(&u);
}

TEST(crlf_and_spaces)
{
    static const gid_t want[] = {20};
    struct ctr_user u;

    resolve("carl", "  carl:x:12:13::/home/carl:/bin/sh  \r\n", "\tg:x:20:carl\r\n", &u);
    ASSERT_UINT_EQ(u.uid, 12);
    ASSERT_UINT_EQ(u.gid, 13);
    ASSERT_STR_EQ(u.home, "/home/carl");
    expect_groups(&u, want, 1);
    ctr_user_clear(&u);

    /* No final newline. */
    resolve("dan", "dan:x:3:4::/d:/bin/sh", "g:x:9:dan", &u);
    ASSERT_UINT_EQ(u.uid, 3);
    ASSERT_UINT_EQ(u.n_groups, 1);
    ctr_user_clear(&u);
}

TEST(member_lists)
{
    static const gid_t want[] = {1, 3, 5};
    struct ctr_user u;

    /* Exact member names; repeats and the primary group dropped; sorted. */
    resolve("www", "www:x:50:2::/:/\n",
            "a:x:5:wwwx,www\n"
            "b:x:1:www\n"
            "c:x:4:xwww,ww,www-data\n"
            "d:x:3:root,www,nobody\n"
            "e:x:1:www\n"
            "f:x:2:www\n"
            "g:x:6:\n"
            "h:x:7\n",
            &u);
    expect_groups(&u, want, 3);
    ctr_user_clear(&u);
}

TEST(too_many_groups)
{
    size_t cap = 70000 * 32, len = 0;
    cleanup_free char *group = xmalloc(cap);
    struct ctr_user u;

    for (unsigned i = 1; i <= 65536; i++)
        len += (size_t)snprintf(group + len, cap - len, "g%u:x:%u:alice\n", i, 100000 + i);
    resolve("alice", PASSWD, group, &u);
    ASSERT_UINT_EQ(u.n_groups, 65536);
    ctr_user_clear(&u);

    snprintf(group + len, cap - len, "g:x:70000:alice\n");
    expect_error("alice", PASSWD, group, E2BIG,
                 "user 'alice' is a member of 65537 groups in the image's /etc/group, more than "
                 "the kernel's limit of 65536");
}

TEST(clear_twice)
{
    struct ctr_user u;

    resolve("alice", PASSWD, GROUP, &u);
    ctr_user_clear(&u);
    ctr_user_clear(&u);
    ctr_user_clear(NULL);
}
