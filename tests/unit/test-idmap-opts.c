/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "idmap-opts.h"
#include "unit.h"
#include "userns.h"
#include "xalloc.h"

/* The user of most cases: uid 1001, gid 1002, 100000:65536 in /etc/subuid and /etc/subgid. */
static struct ctr_idmap user_uid[] = {{0, 1001, 1}, {1, 100000, 65536}};
static struct ctr_idmap user_gid[] = {{0, 1002, 1}, {1, 100000, 65536}};
static const struct ctr_idmaps user = {user_uid, 2, user_gid, 2};

/* No subordinate ids at all. */
static struct ctr_idmap bare_uid[] = {{0, 1001, 1}};
static struct ctr_idmap bare_gid[] = {{0, 1002, 1}};
static const struct ctr_idmaps bare = {bare_uid, 1, bare_gid, 1};

/* Two subordinate ranges: 100000:1000 then 200000:65536. */
static struct ctr_idmap two_uid[] = {{0, 1001, 1}, {1, 100000, 1000}, {1001, 200000, 65536}};
static const struct ctr_idmaps two = {two_uid, 3, two_uid, 3};

static const struct ctr_userns_opts default_opts = {.mode = CTR_USERNS_DEFAULT};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Compares a computed map with the expected lines, printing both in full on a mismatch. */
#define ASSERT_MAP(m, n, want) assert_map(__FILE__, __LINE__, #m, m, n, want, N(want))

static char *map_text(const struct ctr_idmap *m, size_t n)
{
    char *text = xstrdup("");

    for (size_t i = 0; i < n; i++) {
        char *longer = xasprintf("%s%lu %lu %lu\n", text, m[i].inside, m[i].outside, m[i].count);

        free(text);
        text = longer;
    }
    return text;
}

static void assert_map(const char *file, int line, const char *what, const struct ctr_idmap *m,
                       size_t n, const struct ctr_idmap *want, size_t n_want)
{
    cleanup_free char *got_text = map_text(m, n);
    cleanup_free char *want_text = map_text(want, n_want);

    if (strcmp(got_text, want_text) != 0) {
        fprintf(stderr, "%s:%d: %s is\n%swanted\n%s", file, line, what, got_text, want_text);
        exit(1);
    }
}

static struct ctr_userns_opts userns(const char *arg)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_userns_opts o;

    ASSERT_OK(ctr_userns_parse(arg, &o, &err), &err);
    return o;
}

static struct ctr_idmap idmap(const char *arg)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_idmap m;

    ASSERT_OK(ctr_idmap_parse(arg, &m, &err), &err);
    return m;
}

static void compute_ok(const struct ctr_idmaps *u, const struct ctr_userns_opts *o,
                       const struct ctr_idmap *uidmap, size_t n_uidmap,
                       const struct ctr_idmap *gidmap, size_t n_gidmap, struct ctr_idmaps *ret)
{
    cleanup_error struct ctr_error *err = NULL;

    ASSERT_OK(ctr_idmaps_for_container(u, 1001, 1002, o, uidmap, n_uidmap, gidmap, n_gidmap, ret,
                                       &err),
              &err);
}

/* Must fail with `code` and a message containing `want`, leaving *ret alone. */
static void compute_fails(const struct ctr_idmaps *u, unsigned long uid,
                          const struct ctr_userns_opts *o, const struct ctr_idmap *uidmap,
                          size_t n_uidmap, const struct ctr_idmap *gidmap, size_t n_gidmap,
                          int code, const char *want)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_idmaps ret = {(struct ctr_idmap *)1, 7, NULL, 7};

    ASSERT_FAILS(ctr_idmaps_for_container(u, uid, 1002, o, uidmap, n_uidmap, gidmap, n_gidmap, &ret,
                                          &err),
                 &err);
    ASSERT_STR_CONTAINS(err->msg, want);
    ASSERT_INT_EQ(err->code, code);
    ASSERT_TRUE(ret.uid == (struct ctr_idmap *)1 && ret.n_uid == 7 && ret.n_gid == 7);
}

TEST(parse_userns)
{
    struct ctr_userns_opts o;

    o = userns("");
    ASSERT_INT_EQ(o.mode, CTR_USERNS_DEFAULT);
    o = userns(NULL);
    ASSERT_INT_EQ(o.mode, CTR_USERNS_DEFAULT);
    o = userns("keep-id");
    ASSERT_INT_EQ(o.mode, CTR_USERNS_KEEP_ID);
    ASSERT_INT_EQ(o.has_keep_uid, 0);
    ASSERT_INT_EQ(o.has_keep_gid, 0);
    o = userns("keep-id:uid=1000,gid=1001");
    ASSERT_INT_EQ(o.mode, CTR_USERNS_KEEP_ID);
    ASSERT_INT_EQ(o.has_keep_uid, 1);
    ASSERT_UINT_EQ(o.keep_uid, 1000);
    ASSERT_INT_EQ(o.has_keep_gid, 1);
    ASSERT_UINT_EQ(o.keep_gid, 1001);
    o = userns("keep-id:gid=0");
    ASSERT_INT_EQ(o.has_keep_uid, 0);
    ASSERT_INT_EQ(o.has_keep_gid, 1);
    ASSERT_UINT_EQ(o.keep_gid, 0);
    o = userns("keep-id:uid=4294967294");
    ASSERT_UINT_EQ(o.keep_uid, 4294967294UL);
    o = userns("nomap");
    ASSERT_INT_EQ(o.mode, CTR_USERNS_NOMAP);
    o = userns("host");
    ASSERT_INT_EQ(o.mode, CTR_USERNS_HOST);
}

TEST(parse_userns_errors)
{
    struct {
        const char *arg;
        int code;
        const char *want;
    } cases[] = {
            {"auto", ENOTSUP, "--userns=auto is not supported"},
            {"auto:size=1000", ENOTSUP, "--userns=auto is not supported"},
            {"private", ENOTSUP, "--userns 'private' is not supported: use keep-id"},
            {"ns:/proc/1/ns/user", ENOTSUP, "'ns:/proc/1/ns/user' is not supported"},
            {"container:db", ENOTSUP, "'container:db' is not supported"},
            {"bogus", EINVAL, "unknown --userns mode 'bogus': use keep-id"},
            {"KEEP-ID", EINVAL, "unknown --userns mode 'KEEP-ID'"},
            {"keep-idx", EINVAL, "unknown --userns mode 'keep-idx'"},
            {"keep-id:", EINVAL, "--userns 'keep-id:' has an empty option"},
            {"keep-id:uid=1,", EINVAL, "--userns 'keep-id:uid=1,' has an empty option"},
            {"keep-id:uid", EINVAL, "option 'uid' has no value"},
            {"keep-id:uid=", EINVAL, "uid '' is not a number"},
            {"keep-id:uid=x", EINVAL, "--userns 'keep-id:uid=x': uid 'x' is not a number"},
            {"keep-id:gid=-1", EINVAL, "gid '-1' is not a number"},
            {"keep-id:uid=4294967295", EINVAL, "uid '4294967295' is not a number from 0"},
            {"keep-id:uid=1,uid=2", EINVAL, "gives uid twice"},
            {"keep-id:size=10", ENOTSUP, "keep-id has no option 'size'"},
            {"keep-id:foo=1", EINVAL, "keep-id has no option 'foo'"},
            {"nomap:x", EINVAL, "--userns 'nomap:x': nomap takes no options"},
            {"host:x", EINVAL, "host takes no options"},
    };

    for (size_t i = 0; i < N(cases); i++) {
        cleanup_error struct ctr_error *err = NULL;
        struct ctr_userns_opts o = {.mode = 99};

        ASSERT_FAILS(ctr_userns_parse(cases[i].arg, &o, &err), &err);
        ASSERT_STR_CONTAINS(err->msg, cases[i].want);
        ASSERT_INT_EQ(err->code, cases[i].code);
        ASSERT_INT_EQ(o.mode, 99);
    }
}

TEST(parse_idmap)
{
    struct ctr_idmap m;

    m = idmap("0:1:65536");
    ASSERT_UINT_EQ(m.inside, 0);
    ASSERT_UINT_EQ(m.outside, 1);
    ASSERT_UINT_EQ(m.count, 65536);
    m = idmap("1000:0:1");
    ASSERT_UINT_EQ(m.inside, 1000);
    ASSERT_UINT_EQ(m.outside, 0);
    ASSERT_UINT_EQ(m.count, 1);
    m = idmap("0:0:4294967295");
    ASSERT_UINT_EQ(m.count, 4294967295UL);
    m = idmap("4294967294:007:1");
    ASSERT_UINT_EQ(m.inside, 4294967294UL);
    ASSERT_UINT_EQ(m.outside, 7);
}

TEST(parse_idmap_errors)
{
    struct {
        const char *arg;
        const char *want;
    } cases[] = {
            {"", "id mapping '' is not CONTAINER:HOST:SIZE"},
            {"0:1", "id mapping '0:1' is not CONTAINER:HOST:SIZE"},
            {"0:1:2:3", "'0:1:2:3' is not CONTAINER:HOST:SIZE"},
            {"::", "the container id '' is not a decimal number"},
            {"a:1:1", "id mapping 'a:1:1': the container id 'a' is not a decimal number"},
            {"0:-1:1", "the host id '-1' is not a decimal number"},
            {"0: 1:1", "the host id ' 1' is not a decimal number"},
            {"0:+1:1", "the host id '+1' is not a decimal number"},
            {"0:1:1x", "the size '1x' is not a decimal number"},
            {"0:1:0", "id mapping '0:1:0': the size is 0: map at least one id"},
            {"4294967295:0:1", "the container id 4294967295 is larger than 4294967294"},
            {"0:1:99999999999999999999", "the size 99999999999999999999 is larger than"},
            {"0:4294967290:10", "host ids 4294967290-4294967299 go past 4294967294"},
            {"4294967000:0:1000", "container ids 4294967000-4294967999 go past"},
    };

    for (size_t i = 0; i < N(cases); i++) {
        cleanup_error struct ctr_error *err = NULL;
        struct ctr_idmap m = {7, 7, 7};

        ASSERT_FAILS(ctr_idmap_parse(cases[i].arg, &m, &err), &err);
        ASSERT_STR_CONTAINS(err->msg, cases[i].want);
        ASSERT_INT_EQ(err->code, EINVAL);
        ASSERT_UINT_EQ(m.inside + m.outside + m.count, 21);
    }
}

TEST(default_is_the_users_namespace)
{
    struct ctr_idmaps m;

    compute_ok(&user, &default_opts, NULL, 0, NULL, 0, &m);
    ASSERT_MAP(m.uid, m.n_uid, user_uid);
    ASSERT_MAP(m.gid, m.n_gid, user_gid);
    ctr_idmaps_clear(&m);
    compute_ok(&bare, &default_opts, NULL, 0, NULL, 0, &m);
    ASSERT_MAP(m.uid, m.n_uid, bare_uid);
    ctr_idmaps_clear(&m);
}

TEST(keep_id)
{
    struct ctr_userns_opts o = userns("keep-id");
    /*
     * Podman's keep-id for uid 1001 writes "0 1 1001 / 1001 0 1 / 1002 1002 64535" in terms of
     * its intermediate namespace; through 0 -> 1001, 1.. -> 100000.. that is:
     */
    struct ctr_idmap want_uid[] = {{0, 100000, 1001}, {1001, 1001, 1}, {1002, 101001, 64535}};
    struct ctr_idmap want_gid[] = {{0, 100000, 1002}, {1002, 1002, 1}, {1003, 101002, 64534}};
    struct ctr_idmaps m;

    compute_ok(&user, &o, NULL, 0, NULL, 0, &m);
    ASSERT_MAP(m.uid, m.n_uid, want_uid);
    ASSERT_MAP(m.gid, m.n_gid, want_gid);
    ctr_idmaps_clear(&m);
}

TEST(keep_id_explicit_ids)
{
    struct ctr_userns_opts o = userns("keep-id:uid=5,gid=0");
    struct ctr_userns_opts zero = userns("keep-id:uid=0,gid=0");
    struct ctr_userns_opts high = userns("keep-id:uid=70000");
    struct ctr_idmap want_uid[] = {{0, 100000, 5}, {5, 1001, 1}, {6, 100005, 65531}};
    struct ctr_idmap want_high[] = {{0, 100000, 65536}, {70000, 1001, 1}};
    struct ctr_idmaps m;

    compute_ok(&user, &o, NULL, 0, NULL, 0, &m);
    ASSERT_MAP(m.uid, m.n_uid, want_uid);
    ASSERT_MAP(m.gid, m.n_gid, user_gid);
    ctr_idmaps_clear(&m);
    /* uid=0: the default layout. */
    compute_ok(&user, &zero, NULL, 0, NULL, 0, &m);
    ASSERT_MAP(m.uid, m.n_uid, user_uid);
    ASSERT_MAP(m.gid, m.n_gid, user_gid);
    ctr_idmaps_clear(&m);
    /* Above the subordinate ids: all of them below, nothing above. */
    compute_ok(&user, &high, NULL, 0, NULL, 0, &m);
    ASSERT_MAP(m.uid, m.n_uid, want_high);
    ctr_idmaps_clear(&m);
}

TEST(keep_id_without_subordinate_ids)
{
    struct ctr_userns_opts o = userns("keep-id");
    struct ctr_idmap want_uid[] = {{1001, 1001, 1}};
    struct ctr_idmap want_gid[] = {{1002, 1002, 1}};
    struct ctr_idmaps m;

    compute_ok(&bare, &o, NULL, 0, NULL, 0, &m);
    ASSERT_MAP(m.uid, m.n_uid, want_uid);
    ASSERT_MAP(m.gid, m.n_gid, want_gid);
    ctr_idmaps_clear(&m);
}

TEST(keep_id_across_two_ranges)
{
    struct ctr_userns_opts o = userns("keep-id");
    struct ctr_idmap want[] = {
            {0, 100000, 1000}, {1000, 200000, 1}, {1001, 1001, 1}, {1002, 200001, 65535}};
    struct ctr_idmaps m;

    compute_ok(&two, &o, NULL, 0, NULL, 0, &m);
    ASSERT_MAP(m.uid, m.n_uid, want);
    ctr_idmaps_clear(&m);
}

TEST(nomap)
{
    struct ctr_userns_opts o = userns("nomap");
    struct ctr_idmap want[] = {{0, 100000, 65536}};
    struct ctr_idmap want_two[] = {{0, 100000, 1000}, {1000, 200000, 65536}};
    struct ctr_idmaps m;

    compute_ok(&user, &o, NULL, 0, NULL, 0, &m);
    ASSERT_MAP(m.uid, m.n_uid, want);
    ASSERT_MAP(m.gid, m.n_gid, want);
    ctr_idmaps_clear(&m);
    compute_ok(&two, &o, NULL, 0, NULL, 0, &m);
    ASSERT_MAP(m.uid, m.n_uid, want_two);
    ctr_idmaps_clear(&m);
    compute_fails(&bare, 1001, &o, NULL, 0, NULL, 0, EINVAL,
                  "--userns=nomap needs subordinate uids, but /etc/subuid has none for you");
}

TEST(host)
{
    struct ctr_userns_opts o = userns("host");
    struct ctr_idmap identity[] = {{0, 0, 4294967295UL}};
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_idmaps m;

    compute_fails(&user, 1001, &o, NULL, 0, NULL, 0, EPERM,
                  "--userns=host is not possible without root: a rootless container always runs "
                  "in a user namespace (root inside is your uid outside)");
    /* Root: every id is itself. */
    ASSERT_OK(ctr_idmaps_for_container(&user, 0, 0, &o, NULL, 0, NULL, 0, &m, &err), &err);
    ASSERT_MAP(m.uid, m.n_uid, identity);
    ASSERT_MAP(m.gid, m.n_gid, identity);
    ctr_idmaps_clear(&m);
}

TEST(uidmap_through_the_users_namespace)
{
    struct ctr_idmap in[] = {idmap("0:2000:1000")};
    /* Id 2000 of the user's namespace is subordinate id #2000: 100000 + 1999. */
    struct ctr_idmap want[] = {{0, 101999, 1000}};
    struct ctr_idmaps m;

    compute_ok(&user, &default_opts, in, 1, NULL, 0, &m);
    ASSERT_MAP(m.uid, m.n_uid, want);
    /* No --gidmap: the --uidmap serves gids too, as in Podman. */
    ASSERT_MAP(m.gid, m.n_gid, want);
    ctr_idmaps_clear(&m);
}

TEST(uidmap_with_own_id)
{
    struct ctr_idmap in[] = {idmap("0:0:10")};
    struct ctr_idmap want_uid[] = {{0, 1001, 1}, {1, 100000, 9}};
    struct ctr_idmap want_gid[] = {{0, 1002, 1}, {1, 100000, 9}};
    struct ctr_idmaps m;

    compute_ok(&user, &default_opts, in, 1, NULL, 0, &m);
    /* Never merged across the user's own id: newuidmap takes it only as a mapping of its own. */
    ASSERT_MAP(m.uid, m.n_uid, want_uid);
    ASSERT_MAP(m.gid, m.n_gid, want_gid);
    ctr_idmaps_clear(&m);
}

TEST(uidmap_split_across_ranges)
{
    struct ctr_idmap in[] = {idmap("0:500:1000")};
    /* Ids 500-1000 are in the first subordinate range, 1001-1499 in the second. */
    struct ctr_idmap want[] = {{0, 100499, 501}, {501, 200000, 499}};
    struct ctr_idmaps m;

    compute_ok(&two, &default_opts, in, 1, NULL, 0, &m);
    ASSERT_MAP(m.uid, m.n_uid, want);
    ctr_idmaps_clear(&m);
}

TEST(uidmap_several_accumulate)
{
    struct ctr_idmap uid_in[] = {idmap("10:11:10"), idmap("1000:0:1"), idmap("0:1:10")};
    struct ctr_idmap gid_in[] = {idmap("0:5:1")};
    /* Sorted; the two continuing ranges within 100000:65536 are one. */
    struct ctr_idmap want_uid[] = {{0, 100000, 20}, {1000, 1001, 1}};
    struct ctr_idmap want_gid[] = {{0, 100004, 1}};
    struct ctr_idmaps m;

    compute_ok(&user, &default_opts, uid_in, N(uid_in), gid_in, N(gid_in), &m);
    ASSERT_MAP(m.uid, m.n_uid, want_uid);
    ASSERT_MAP(m.gid, m.n_gid, want_gid);
    ctr_idmaps_clear(&m);
    /* Only a --gidmap: it serves uids too. */
    compute_ok(&user, &default_opts, NULL, 0, gid_in, N(gid_in), &m);
    ASSERT_MAP(m.uid, m.n_uid, want_gid);
    ASSERT_MAP(m.gid, m.n_gid, want_gid);
    ctr_idmaps_clear(&m);
}

TEST(uidmap_out_of_range)
{
    struct ctr_idmap big[] = {idmap("0:2000:100000")};
    struct ctr_idmap edge[] = {idmap("0:65536:2")};
    struct ctr_idmap ok[] = {idmap("0:65536:1")};
    struct ctr_idmap small[] = {idmap("0:0:2")};
    struct ctr_idmaps m;

    compute_fails(&user, 1001, &default_opts, big, 1, NULL, 0, ERANGE,
                  "--uidmap 0:2000:100000 needs ids 2000-101999 of your user namespace, but you "
                  "have only 65537 (your uid and 65536 subordinate ids in /etc/subuid)");
    compute_fails(&user, 1001, &default_opts, edge, 1, NULL, 0, ERANGE,
                  "needs ids 65536-65537 of your user namespace");
    compute_fails(&bare, 1001, &default_opts, small, 1, NULL, 0, ERANGE,
                  "but you have 1 (your uid: /etc/subuid has no range for you)");
    /* The gid side of a shared --uidmap says so. */
    compute_fails(&user, 1001, &default_opts, ok, 1, big, 1, ERANGE,
                  "--gidmap 0:2000:100000 needs ids 2000-101999 of your user namespace, but you "
                  "have only 65537 (your gid and 65536 subordinate ids in /etc/subgid)");
    compute_ok(&user, &default_opts, ok, 1, NULL, 0, &m);
    ctr_idmaps_clear(&m);
    {
        struct ctr_idmaps gid_short = {user_uid, 2, bare_gid, 1};

        struct ctr_idmap fits[] = {idmap("0:65535:2")};

        compute_fails(&gid_short, 1001, &default_opts, fits, 1, NULL, 0, ERANGE,
                      "--uidmap 0:65535:2 (used for gids too, as no --gidmap is given) needs ids "
                      "65535-65536 of your user namespace, but you have 1 (your gid: /etc/subgid "
                      "has no range for you)");
    }
}

TEST(uidmap_overlap_refused)
{
    struct ctr_idmap container[] = {idmap("0:1:1000"), idmap("500:5000:10")};
    struct ctr_idmap inner[] = {idmap("0:1:100"), idmap("1000:50:10")};

    compute_fails(&user, 1001, &default_opts, container, 2, NULL, 0, EINVAL,
                  "--uidmap 0:1:1000 and --uidmap 500:5000:10 both map container uids 500-509");
    compute_fails(&user, 1001, &default_opts, inner, 2, NULL, 0, EINVAL,
                  "--uidmap 0:1:100 and --uidmap 1000:50:10 both use ids 50-59 of your user "
                  "namespace");
    compute_fails(&user, 1001, &default_opts, NULL, 0, container, 2, EINVAL,
                  "--gidmap 0:1:1000 and --gidmap 500:5000:10 (used for uids too, as no --uidmap "
                  "is given) both map container uids 500-509");
    compute_fails(&user, 1001, &default_opts, inner, 1, container, 2, EINVAL,
                  "--gidmap 0:1:1000 and --gidmap 500:5000:10 both map container gids 500-509");
}

TEST(userns_with_uidmap_refused)
{
    struct ctr_userns_opts o = userns("keep-id");
    struct ctr_idmap in[] = {idmap("0:1:10")};

    compute_fails(&user, 1001, &o, in, 1, NULL, 0, EINVAL,
                  "--userns=keep-id and --uidmap conflict");
    compute_fails(&user, 1001, &o, NULL, 0, in, 1, EINVAL,
                  "--userns=keep-id and --gidmap conflict");
}

TEST(too_many_extents)
{
    struct ctr_idmap many[341];
    struct ctr_idmaps m;

    /* Container ids 0, 2, 4...: none continues another. */
    for (unsigned long i = 0; i < N(many); i++)
        many[i] = (struct ctr_idmap){2 * i, i + 1, 1};
    compute_fails(&user, 1001, &default_opts, many, N(many), NULL, 0, E2BIG,
                  "the container's uid map would have 341 extents, more than the 340");
    compute_ok(&user, &default_opts, many, 340, NULL, 0, &m);
    ASSERT_UINT_EQ(m.n_uid, 340);
    ctr_idmaps_clear(&m);
}

TEST(bad_user_map_refused)
{
    struct ctr_idmap overlapping[] = {{0, 1001, 1}, {1, 100000, 10}, {5, 200000, 10}};
    struct ctr_idmaps u = {overlapping, 3, user_gid, 2};

    compute_fails(&u, 1001, &default_opts, NULL, 0, NULL, 0, EINVAL,
                  "your uid mapping has overlapping extents");
}
