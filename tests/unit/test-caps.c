/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "fsutil.h"
#include "spawn.h"
#include "unit.h"
#include "userns.h"
#include "xalloc.h"

#define BIT(c) (1ULL << (c))

#define ASSERT_MASK_EQ(a, b)                                                            \
    do {                                                                                \
        unsigned long long a_ = (a), b_ = (b);                                          \
        if (a_ != b_)                                                                   \
            UNIT_FAIL("ASSERT_MASK_EQ(%s, %s) failed: %#llx != %#llx", #a, #b, a_, b_); \
    } while (0)

static uint64_t parse(const char *name)
{
    cleanup_error struct ctr_error *err = NULL;
    uint64_t bits = 0;

    ASSERT_OK(ctr_cap_parse(name, &bits, &err), &err);
    return bits;
}

/* The kernel's own count, as /proc says it. */
static int kernel_caps(void)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *text = NULL;
    size_t len;

    ASSERT_OK(ctr_read_file("/proc/sys/kernel/cap_last_cap", 64, &text, &len, &err), &err);
    return (int)strtol(text, NULL, 10) + 1;
}

TEST(default_set)
{
    cleanup_free char *text = ctr_caps_format(ctr_caps_default());

    ASSERT_INT_EQ(__builtin_popcountll(ctr_caps_default()), 11);
    ASSERT_STR_EQ(text, "CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER,CAP_FSETID,CAP_KILL,"
                        "CAP_NET_BIND_SERVICE,CAP_SETFCAP,CAP_SETGID,CAP_SETPCAP,CAP_SETUID,"
                        "CAP_SYS_CHROOT");
    ASSERT_TRUE(!(ctr_caps_default() & BIT(CAP_NET_RAW)));
    ASSERT_TRUE(!(ctr_caps_default() & BIT(CAP_SYS_ADMIN)));
    ASSERT_TRUE(!(ctr_caps_default() & BIT(CAP_AUDIT_WRITE)));
}

TEST(all_is_what_the_kernel_knows)
{
    int n = kernel_caps();

    if (n > CAP_LAST_CAP + 1)
        n = CAP_LAST_CAP + 1;
    ASSERT_MASK_EQ(ctr_caps_all(), BIT(n) - 1);
    ASSERT_MASK_EQ(ctr_caps_all() & ctr_caps_default(), ctr_caps_default());
}

TEST(names)
{
    ASSERT_STR_EQ(ctr_cap_name(CAP_NET_ADMIN), "CAP_NET_ADMIN");
    ASSERT_STR_EQ(ctr_cap_name(0), "CAP_CHOWN");
    ASSERT_STR_EQ(ctr_cap_name(CAP_SYS_CHROOT), "CAP_SYS_CHROOT");
    ASSERT_TRUE(ctr_cap_name(-1) == NULL);
    ASSERT_TRUE(ctr_cap_name(63) == NULL);
    ASSERT_TRUE(ctr_cap_name(64) == NULL);
}

TEST(parse_spellings)
{
    ASSERT_MASK_EQ(parse("NET_ADMIN"), BIT(CAP_NET_ADMIN));
    ASSERT_MASK_EQ(parse("net_admin"), BIT(CAP_NET_ADMIN));
    ASSERT_MASK_EQ(parse("CAP_NET_ADMIN"), BIT(CAP_NET_ADMIN));
    ASSERT_MASK_EQ(parse("cap_net_admin"), BIT(CAP_NET_ADMIN));
    ASSERT_MASK_EQ(parse("Cap_Net_Admin"), BIT(CAP_NET_ADMIN));
    ASSERT_MASK_EQ(parse("chown"), BIT(CAP_CHOWN));
    ASSERT_MASK_EQ(parse("ALL"), ctr_caps_all());
    ASSERT_MASK_EQ(parse("all"), ctr_caps_all());
    ASSERT_MASK_EQ(parse("All"), ctr_caps_all());
}

TEST(parse_every_known_name)
{
    for (int i = 0; i < 64 && (ctr_caps_all() & BIT(i)); i++) {
        const char *name = ctr_cap_name(i);
        cleanup_free char *lower = xstrdup(name + 4);

        ASSERT_TRUE(name != NULL);
        ASSERT_MASK_EQ(parse(name), BIT(i));
        ASSERT_MASK_EQ(parse(name + 4), BIT(i));
        for (char *p = lower; *p != '\0'; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        ASSERT_MASK_EQ(parse(lower), BIT(i));
    }
}

TEST(parse_unknown)
{
    static const char *const bad[] = {"FOO",        "CAP_FOO", "",   "CAP_",      "CAP_ALL",
                                      "NET_ADMIN ", " KILL",   "12", "NET-ADMIN", "ALLL"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cleanup_error struct ctr_error *err = NULL;
        cleanup_free char *quoted = xasprintf("'%s'", bad[i]);
        uint64_t bits = 77;

        ASSERT_FAILS(ctr_cap_parse(bad[i], &bits, &err), &err);
        ASSERT_INT_EQ(err->code, EINVAL);
        ASSERT_STR_CONTAINS(err->msg, "unknown capability");
        ASSERT_STR_CONTAINS(err->msg, quoted);
        /* It says how to spell one. */
        ASSERT_STR_CONTAINS(err->msg, "'NET_ADMIN'");
        ASSERT_STR_CONTAINS(err->msg, "'ALL'");
        ASSERT_UINT_EQ(bits, 77);
    }
}

/* Runs ctr_caps_compute over two NULL-terminated lists. */
static int compute(uint64_t base, const char *add0, const char *add1, const char *drop0,
                   const char *drop1, uint64_t *ret, struct ctr_error **err)
{
    char *add[] = {(char *)add0, (char *)add1, NULL};
    char *drop[] = {(char *)drop0, (char *)drop1, NULL};

    return ctr_caps_compute(base, add, drop, ret, err);
}

static uint64_t compute_ok(uint64_t base, const char *add0, const char *add1, const char *drop0,
                           const char *drop1)
{
    cleanup_error struct ctr_error *err = NULL;
    uint64_t caps = 0;

    ASSERT_OK(compute(base, add0, add1, drop0, drop1, &caps, &err), &err);
    return caps;
}

TEST(compute_order)
{
    uint64_t def = ctr_caps_default(), all = ctr_caps_all();
    cleanup_error struct ctr_error *err = NULL;
    uint64_t caps = 0;

    /* Neither: the base as is; NULL lists are empty lists. */
    ASSERT_OK(ctr_caps_compute(def, NULL, NULL, &caps, &err), &err);
    ASSERT_MASK_EQ(caps, def);
    ASSERT_MASK_EQ(compute_ok(def, NULL, NULL, NULL, NULL), def);
    /* Adds and drops by name. */
    ASSERT_MASK_EQ(compute_ok(def, "NET_ADMIN", NULL, NULL, NULL), def | BIT(CAP_NET_ADMIN));
    ASSERT_MASK_EQ(compute_ok(def, NULL, NULL, "CHOWN", "cap_kill"),
                   def & ~(BIT(CAP_CHOWN) | BIT(CAP_KILL)));
    ASSERT_MASK_EQ(compute_ok(def, "SYS_ADMIN", NULL, "SETPCAP", NULL),
                   (def | BIT(CAP_SYS_ADMIN)) & ~BIT(CAP_SETPCAP));
    /* Adding one already there, dropping one not there. */
    ASSERT_MASK_EQ(compute_ok(def, "CHOWN", NULL, "NET_RAW", NULL), def);
    /* Drop ALL first: only the adds remain, whatever the order of the flags. */
    ASSERT_MASK_EQ(compute_ok(def, NULL, NULL, "ALL", NULL), 0);
    ASSERT_MASK_EQ(compute_ok(def, "NET_ADMIN", "KILL", "ALL", NULL),
                   BIT(CAP_NET_ADMIN) | BIT(CAP_KILL));
    ASSERT_MASK_EQ(compute_ok(def, "KILL", NULL, "CHOWN", "all"), BIT(CAP_KILL));
    /* Add ALL: everything but the drops; a name added beside ALL may be dropped. */
    ASSERT_MASK_EQ(compute_ok(def, "ALL", NULL, NULL, NULL), all);
    ASSERT_MASK_EQ(compute_ok(def, "ALL", NULL, "SYS_ADMIN", NULL), all & ~BIT(CAP_SYS_ADMIN));
    ASSERT_MASK_EQ(compute_ok(def, "ALL", "SYS_ADMIN", "SYS_ADMIN", NULL),
                   all & ~BIT(CAP_SYS_ADMIN));
    /* --privileged: the base is everything. */
    ASSERT_MASK_EQ(compute_ok(all, NULL, NULL, NULL, NULL), all);
    ASSERT_MASK_EQ(compute_ok(all, NULL, NULL, "SYS_ADMIN", "NET_RAW"),
                   all & ~(BIT(CAP_SYS_ADMIN) | BIT(CAP_NET_RAW)));
    /* Commas separate names within one flag, as on Podman's command line. */
    ASSERT_MASK_EQ(compute_ok(def, "NET_ADMIN,sys_time", NULL, "CHOWN,KILL", NULL),
                   (def | BIT(CAP_NET_ADMIN) | BIT(CAP_SYS_TIME)) &
                           ~(BIT(CAP_CHOWN) | BIT(CAP_KILL)));
    ASSERT_MASK_EQ(compute_ok(def, "NET_ADMIN", NULL, "CHOWN,ALL", NULL), BIT(CAP_NET_ADMIN));
}

TEST(compute_conflicts)
{
    struct {
        const char *add0, *add1, *drop0, *drop1, *want;
    } cases[] = {
            {"NET_ADMIN", NULL, "NET_ADMIN", NULL, "'CAP_NET_ADMIN' is both added and dropped"},
            {"cap_kill", NULL, "KILL", NULL, "'CAP_KILL' is both added and dropped"},
            {"CHOWN,NET_RAW", NULL, "SYS_ADMIN", "net_raw", "'CAP_NET_RAW' is both added"},
            {"ALL", NULL, "ALL", NULL, "--cap-add ALL and --cap-drop ALL contradict"},
            {"BOGUS", NULL, NULL, NULL, "--cap-add: unknown capability 'BOGUS'"},
            {NULL, NULL, "KILL", "BOGUS", "--cap-drop: unknown capability 'BOGUS'"},
            {"NET_ADMIN,", NULL, NULL, NULL, "--cap-add 'NET_ADMIN,' has an empty capability"},
            {NULL, NULL, ",KILL", NULL, "--cap-drop ',KILL' has an empty capability"},
            {"", NULL, NULL, NULL, "--cap-add '' has an empty capability"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cleanup_error struct ctr_error *err = NULL;
        uint64_t caps = 77;

        ASSERT_FAILS(compute(ctr_caps_default(), cases[i].add0, cases[i].add1, cases[i].drop0,
                             cases[i].drop1, &caps, &err),
                     &err);
        ASSERT_STR_CONTAINS(err->msg, cases[i].want);
        ASSERT_UINT_EQ(caps, 77);
    }
}

TEST(format)
{
    cleanup_free char *none = ctr_caps_format(0);
    cleanup_free char *one = ctr_caps_format(BIT(CAP_NET_ADMIN));
    cleanup_free char *sorted = ctr_caps_format(BIT(CAP_SYS_ADMIN) | BIT(CAP_KILL) |
                                                BIT(CAP_CHOWN) | BIT(CAP_AUDIT_WRITE));
    cleanup_free char *unnamed = ctr_caps_format(BIT(CAP_KILL) | BIT(63));
    cleanup_free char *all = ctr_caps_format(ctr_caps_all());

    ASSERT_STR_EQ(none, "");
    ASSERT_STR_EQ(one, "CAP_NET_ADMIN");
    /* By name, as Podman's inspect sorts them, not by number. */
    ASSERT_STR_EQ(sorted, "CAP_AUDIT_WRITE,CAP_CHOWN,CAP_KILL,CAP_SYS_ADMIN");
    ASSERT_STR_EQ(unnamed, "63,CAP_KILL");
    ASSERT_STR_CONTAINS(all, "CAP_AUDIT_CONTROL,CAP_AUDIT_READ,CAP_AUDIT_WRITE,");
    ASSERT_STR_CONTAINS(all, "CAP_WAKE_ALARM");
}

TEST(apply_refuses_unknown_bits)
{
    cleanup_error struct ctr_error *err = NULL;

    /* Refused before any change, so it is safe in the test process itself. */
    ASSERT_FAILS(ctr_caps_apply(ctr_caps_default() | BIT(63), &err), &err);
    ASSERT_INT_EQ(err->code, EINVAL);
    ASSERT_STR_CONTAINS(err->msg, "capability number 63 is not known");
}

/* Live tests: ctr_caps_apply() in a child that is root of a new user namespace. */

static void need_userns(void)
{
    if (access("/proc/self/ns/user", F_OK) < 0)
        unit_skip("this kernel has no user namespaces (CONFIG_USER_NS)");
}

struct apply_check {
    uint64_t caps;
    unsigned long switch_to; /* 0: stay root; else setresgid/setresuid to it after applying */
    uint64_t prm, eff, bnd;  /* what /proc/self/status must show */
};

/* The value of the "Cap...:" line `key` of /proc/self/status, or -1. */
static int status_mask(const char *status, const char *key, uint64_t *ret)
{
    const char *p = strstr(status, key);
    char *end;

    if (p == NULL)
        return -1;
    errno = 0;
    *ret = strtoull(p + strlen(key), &end, 16);
    return errno != 0 || end == p + strlen(key) ? -1 : 0;
}

/* Runs in the child: a mismatch is printed and becomes a distinct exit code. */
static int apply_inside(void *arg)
{
    const struct apply_check *c = arg;
    cleanup_error struct ctr_error *e = NULL;
    cleanup_free char *status = NULL;
    static const char *const keys[] = {
            "\nCapInh:", "\nCapPrm:", "\nCapEff:", "\nCapBnd:", "\nCapAmb:"};
    uint64_t want[5] = {0, c->prm, c->eff, c->bnd, 0};
    int bad = 0;
    size_t len;

    if (ctr_caps_apply(c->caps, &e) < 0) {
        fprintf(stderr, "inside: %s\n", e->msg);
        return 10;
    }
    if (c->switch_to != 0 &&
        (setresgid((gid_t)c->switch_to, (gid_t)c->switch_to, (gid_t)c->switch_to) < 0 ||
         setresuid((uid_t)c->switch_to, (uid_t)c->switch_to, (uid_t)c->switch_to) < 0)) {
        perror("inside: switch user");
        return 11;
    }
    if (ctr_read_file("/proc/self/status", 1 << 20, &status, &len, &e) < 0) {
        fprintf(stderr, "inside: %s\n", e->msg);
        return 12;
    }
    for (int i = 0; i < 5; i++) {
        uint64_t got;

        if (status_mask(status, keys[i], &got) < 0) {
            fprintf(stderr, "inside: no%s line in /proc/self/status\n", keys[i]);
            return 13;
        }
        if (got != want[i]) {
            fprintf(stderr, "inside:%s %016llx, wanted %016llx\n", keys[i] + 1,
                    (unsigned long long)got, (unsigned long long)want[i]);
            bad = 1;
        }
    }
    return bad ? 14 : 42;
}

static void run_apply(const struct ctr_idmaps *maps, const struct apply_check *c)
{
    cleanup_error struct ctr_error *err = NULL;
    pid_t pid = -1;
    int status;

    fflush(NULL);
    ASSERT_OK(ctr_userns_spawn(maps, 0, apply_inside, (void *)c, &pid, &err), &err);
    status = ctr_waitpid(pid);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_INT_EQ(WEXITSTATUS(status), 42);
}

/* The single mapping of our own ids, which any user may write. */
static void self_maps(struct ctr_idmap *uid, struct ctr_idmap *gid, struct ctr_idmaps *ret)
{
    *uid = (struct ctr_idmap){.inside = 0, .outside = geteuid(), .count = 1};
    *gid = (struct ctr_idmap){.inside = 0, .outside = getegid(), .count = 1};
    *ret = (struct ctr_idmaps){.uid = uid, .n_uid = 1, .gid = gid, .n_gid = 1};
}

static void apply_as_root(uint64_t caps)
{
    struct apply_check c = {.caps = caps, .prm = caps, .eff = caps, .bnd = caps};
    struct ctr_idmap u, g;
    struct ctr_idmaps maps;

    need_userns();
    self_maps(&u, &g, &maps);
    run_apply(&maps, &c);
}

TEST(apply_default)
{
    apply_as_root(ctr_caps_default());
}

TEST(apply_none)
{
    apply_as_root(0);
}

TEST(apply_all)
{
    apply_as_root(ctr_caps_all());
}

TEST(apply_without_setpcap)
{
    /* The bounding set is cut before CAP_SETPCAP goes from the effective set. */
    apply_as_root((ctr_caps_default() | BIT(CAP_NET_ADMIN) | BIT(CAP_SYS_ADMIN)) &
                  ~BIT(CAP_SETPCAP));
}

TEST(apply_then_non_root_user)
{
    uint64_t caps = ctr_caps_default();
    struct apply_check c = {.caps = caps, .switch_to = 1000, .prm = 0, .eff = 0, .bnd = caps};
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_idmap root_uid[2], root_gid[2];
    struct ctr_idmaps maps = {0};
    int has_ranges = 0, own = 0;

    need_userns();
    if (geteuid() == 0) {
        /* Real root writes any map: uid 1000 inside is 1000 outside. */
        root_uid[0] = (struct ctr_idmap){0, 0, 1};
        root_uid[1] = (struct ctr_idmap){1000, 1000, 1};
        root_gid[0] = (struct ctr_idmap){0, 0, 1};
        root_gid[1] = (struct ctr_idmap){1000, 1000, 1};
        maps = (struct ctr_idmaps){root_uid, 2, root_gid, 2};
    } else {
        ASSERT_OK(ctr_idmaps_for_current_user(&maps, &has_ranges, &err), &err);
        own = 1;
        if (!has_ranges || ctr_idmaps_contiguous(maps.uid, maps.n_uid) <= 1000 ||
            ctr_idmaps_contiguous(maps.gid, maps.n_gid) <= 1000) {
            ctr_idmaps_clear(&maps);
            unit_skip("needs 1000 subordinate ids in /etc/subuid and /etc/subgid");
        }
    }
    /* Without PR_SET_KEEPCAPS the switch to uid 1000 empties permitted and effective. */
    run_apply(&maps, &c);
    if (own)
        ctr_idmaps_clear(&maps);
}
