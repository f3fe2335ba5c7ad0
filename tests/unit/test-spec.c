/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "cleanup.h"
#include "spec.h"
#include "unit.h"
#include "xalloc.h"

static void expect_normalised(const char *in, const char *out)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *got = ctr_path_normalise(in, &err);

    ASSERT_OK(got, &err);
    ASSERT_STR_EQ(got, out);
}

TEST(path_normalise)
{
    expect_normalised("/", "/");
    expect_normalised("//", "/");
    expect_normalised("/a", "/a");
    expect_normalised("/a/", "/a");
    expect_normalised("//a/./b/../c/", "/a/c");
    expect_normalised("/a/b/c/../../d", "/a/d");
    expect_normalised("/..", "/");
    expect_normalised("/../../a/..", "/");
    expect_normalised("/a/../../b", "/b");
    expect_normalised("/./.", "/");
    expect_normalised("/a/.b/..c/...", "/a/.b/..c/...");
    expect_normalised("/a b/ c", "/a b/ c");
}

TEST(path_normalise_relative)
{
    const char *bad[] = {"", "a", "./a", "../a", "a/"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cleanup_error struct ctr_error *err = NULL;

        ASSERT_TRUE(ctr_path_normalise(bad[i], &err) == NULL);
        ASSERT_TRUE(err != NULL);
        ASSERT_INT_EQ(err->code, EINVAL);
        ASSERT_STR_CONTAINS(err->msg, "is not absolute");
    }
}

TEST(volume_basic)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_mount_spec m;

    ASSERT_OK(ctr_parse_volume("/srv/data:/data", &m, &err), &err);
    ASSERT_INT_EQ(m.kind, CTR_MOUNT_BIND);
    ASSERT_STR_EQ(m.source, "/srv/data");
    ASSERT_STR_EQ(m.destination, "/data");
    ASSERT_INT_EQ(m.readonly, 0);
    ASSERT_UINT_EQ(m.flags, 0);
    ASSERT_TRUE(m.data == NULL);
    ctr_mount_spec_clear(&m);
    ASSERT_TRUE(m.source == NULL && m.destination == NULL);
}

TEST(volume_options)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_mount_spec m;

    ASSERT_OK(ctr_parse_volume("//srv/./a/:/x/../y//:ro,nosuid,nodev,noexec,Z", &m, &err), &err);
    ASSERT_STR_EQ(m.source, "/srv/a");
    ASSERT_STR_EQ(m.destination, "/y");
    ASSERT_INT_EQ(m.readonly, 1);
    ASSERT_UINT_EQ(m.flags, MS_NOSUID | MS_NODEV | MS_NOEXEC);
    ASSERT_TRUE(m.data == NULL);
    ctr_mount_spec_clear(&m);

    ASSERT_OK(ctr_parse_volume("/a:/b:rw,z,exec,suid,dev", &m, &err), &err);
    ASSERT_INT_EQ(m.readonly, 0);
    ASSERT_UINT_EQ(m.flags, 0);
    ctr_mount_spec_clear(&m);

    /* The host root may be shared; only the container's root is off limits. */
    ASSERT_OK(ctr_parse_volume("/:/host:ro", &m, &err), &err);
    ASSERT_STR_EQ(m.source, "/");
    ASSERT_STR_EQ(m.destination, "/host");
    ctr_mount_spec_clear(&m);
}

static void expect_volume_error(const char *arg, int code, const char *needle)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_mount_spec m = {.source = (char *)"untouched"};

    ASSERT_FAILS(ctr_parse_volume(arg, &m, &err), &err);
    if (err->code != code)
        UNIT_FAIL("volume '%s': code %d, expected %d (%s)", arg, err->code, code, err->msg);
    ASSERT_STR_CONTAINS(err->msg, needle);
    /* *ret is written only on success. */
    ASSERT_STR_EQ(m.source, "untouched");
    ASSERT_TRUE(m.destination == NULL);
}

TEST(volume_named_is_unsupported)
{
    expect_volume_error("data:/data", ENOTSUP,
                        "volume 'data:/data' names a volume 'data', and ctr does not support "
                        "named volumes: give an absolute host path, as in '/srv/data:/data'");
    expect_volume_error("cache:/c:ro", ENOTSUP, "named volumes");
}

TEST(volume_relative_host)
{
    expect_volume_error("./data:/data", EINVAL,
                        "host path './data' in volume './data:/data' is not absolute: give an "
                        "absolute path such as '/srv/data' (\"$PWD/data\" in a shell)");
    expect_volume_error("../up:/data", EINVAL, "host path '../up'");
    expect_volume_error("a/b:/data", EINVAL, "host path 'a/b'");
    expect_volume_error("data", EINVAL, "host path 'data'");
}

TEST(volume_malformed)
{
    expect_volume_error("", EINVAL, "empty volume: expected HOST:CONTAINER[:OPTIONS]");
    expect_volume_error("/data", EINVAL,
                        "volume '/data' has no container path: ctr does not create anonymous "
                        "volumes");
    expect_volume_error(":/data", EINVAL, "volume ':/data' has an empty host path");
    expect_volume_error("/a:", EINVAL, "volume '/a:' has an empty container path");
    expect_volume_error("/a:b", EINVAL,
                        "container path 'b' in volume '/a:b' is not absolute: it must start with "
                        "'/'");
    expect_volume_error("/a:/b:ro:x", EINVAL, "volume '/a:/b:ro:x' has too many ':'");
    expect_volume_error("/a:/", EINVAL,
                        "volume '/a:/' would cover the container's root '/': choose a "
                        "directory below it");
    expect_volume_error("/a:/x/..", EINVAL, "container's root");
    expect_volume_error("/a:/b:", EINVAL, "nothing after the last ':'");
    expect_volume_error("/a:/b:ro,", EINVAL, "volume '/a:/b:ro,' has an empty option");
    expect_volume_error("/a:/b:,ro", EINVAL, "empty option");
}

TEST(volume_bad_options)
{
    expect_volume_error("/a:/b:ro,rw", EINVAL,
                        "options 'ro' and 'rw' conflict in volume '/a:/b:ro,rw': give one of "
                        "them");
    expect_volume_error("/a:/b:noexec,exec", EINVAL, "options 'noexec' and 'exec' conflict");
    expect_volume_error("/a:/b:z,Z", EINVAL, "options 'z' and 'Z' conflict");
    expect_volume_error("/a:/b:ro,ro", EINVAL, "option 'ro' is given twice in volume");
    expect_volume_error("/a:/b:O", EINVAL,
                        "unknown option 'O' in volume '/a:/b:O': supported are ro, rw, nosuid, "
                        "suid, nodev, dev, noexec, exec, z and Z");
    expect_volume_error("/a:/b:RO", EINVAL, "unknown option 'RO'");
    expect_volume_error("/a:/b:size=1m", EINVAL, "unknown option 'size=1m'");
    expect_volume_error("/a:/b:ro,\x1b[31m", EINVAL, "unknown option '?[31m'");
}

TEST(tmpfs_defaults)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_mount_spec m;

    ASSERT_OK(ctr_parse_tmpfs("/tmp/", &m, &err), &err);
    ASSERT_INT_EQ(m.kind, CTR_MOUNT_TMPFS);
    ASSERT_TRUE(m.source == NULL);
    ASSERT_STR_EQ(m.destination, "/tmp");
    ASSERT_INT_EQ(m.readonly, 0);
    /* Podman's defaults: rw,noexec,nosuid,nodev. */
    ASSERT_UINT_EQ(m.flags, MS_NOSUID | MS_NODEV | MS_NOEXEC);
    ASSERT_TRUE(m.data == NULL);
    ctr_mount_spec_clear(&m);
}

TEST(tmpfs_options)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_mount_spec m;

    ASSERT_OK(ctr_parse_tmpfs("/run:ro,exec,size=64m,mode=1777,nr_inodes=1k,uid=1000,gid=0", &m,
                              &err),
              &err);
    ASSERT_STR_EQ(m.destination, "/run");
    ASSERT_INT_EQ(m.readonly, 1);
    ASSERT_UINT_EQ(m.flags, MS_NOSUID | MS_NODEV);
    ASSERT_STR_EQ(m.data, "size=64m,mode=1777,nr_inodes=1k,uid=1000,gid=0");
    ctr_mount_spec_clear(&m);

    ASSERT_OK(ctr_parse_tmpfs("/t:suid,dev,size=50%,mode=0755", &m, &err), &err);
    ASSERT_UINT_EQ(m.flags, MS_NOEXEC);
    ASSERT_STR_EQ(m.data, "size=50%,mode=0755");
    ctr_mount_spec_clear(&m);

    ASSERT_OK(ctr_parse_tmpfs("/t:rw,size=1048576,uid=4294967294,mode=00007777", &m, &err), &err);
    ASSERT_STR_EQ(m.data, "size=1048576,uid=4294967294,mode=00007777");
    ctr_mount_spec_clear(&m);
}

static void expect_tmpfs_error(const char *arg, const char *needle)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_mount_spec m = {.data = (char *)"untouched"};

    ASSERT_FAILS(ctr_parse_tmpfs(arg, &m, &err), &err);
    ASSERT_INT_EQ(err->code, EINVAL);
    ASSERT_STR_CONTAINS(err->msg, needle);
    ASSERT_STR_EQ(m.data, "untouched");
}

TEST(tmpfs_errors)
{
    expect_tmpfs_error("", "tmpfs '' has no path: expected PATH[:OPTIONS]");
    expect_tmpfs_error(":size=1m", "has no path");
    expect_tmpfs_error("tmp", "container path 'tmp' in tmpfs 'tmp' is not absolute");
    expect_tmpfs_error("/", "would cover the container's root");
    expect_tmpfs_error("/t:", "nothing after the last ':'");
    expect_tmpfs_error("/t:ro,rw", "options 'ro' and 'rw' conflict in tmpfs '/t:ro,rw'");
    expect_tmpfs_error("/t:exec,exec", "option 'exec' is given twice");
    expect_tmpfs_error("/t:size=1m,size=2m", "option 'size' is given twice");
    expect_tmpfs_error("/t:z", "unknown option 'z' in tmpfs '/t:z': supported are ro, rw");
    expect_tmpfs_error("/t:tmpcopyup", "unknown option 'tmpcopyup'");
    expect_tmpfs_error("/t:nr_blocks=10", "unknown option 'nr_blocks=10'");
    expect_tmpfs_error("/t:size=", "invalid value '' for option 'size' in tmpfs '/t:size=': give "
                                   "it as in 'size=64m'");
    expect_tmpfs_error("/t:size=abc", "invalid value 'abc' for option 'size'");
    expect_tmpfs_error("/t:size=64x", "invalid value '64x'");
    expect_tmpfs_error("/t:size=64mb", "invalid value '64mb'");
    expect_tmpfs_error("/t:size=-1", "invalid value '-1'");
    expect_tmpfs_error("/t:size=123456789012345678901", "invalid value");
    expect_tmpfs_error("/t:nr_inodes=50%", "invalid value '50%' for option 'nr_inodes'");
    expect_tmpfs_error("/t:mode=8", "invalid value '8' for option 'mode'");
    expect_tmpfs_error("/t:mode=17777", "invalid value '17777'");
    expect_tmpfs_error("/t:mode=rwx", "invalid value 'rwx'");
    expect_tmpfs_error("/t:uid=4294967295", "invalid value '4294967295' for option 'uid'");
    expect_tmpfs_error("/t:gid=-1", "invalid value '-1' for option 'gid'");
    expect_tmpfs_error("/t:uid=1,x", "unknown option 'x'");
}

TEST(signal_by_name)
{
    cleanup_error struct ctr_error *err = NULL;
    static const struct {
        const char *arg;
        int sig;
    } cases[] = {
            {"TERM", SIGTERM},    {"SIGTERM", SIGTERM}, {"sigterm", SIGTERM},
            {"SigTerm", SIGTERM}, {"15", 15},           {"1", 1},
            {"64", 64},           {"0009", 9},          {"KILL", SIGKILL},
            {"HUP", SIGHUP},      {"USR1", SIGUSR1},    {"WINCH", SIGWINCH},
            {"IOT", SIGABRT},     {"CLD", SIGCHLD},     {"POLL", SIGIO},
            {"SIGSYS", SIGSYS},   {"RTMIN", 34},        {"SIGRTMIN+3", 37},
            {"rtmin+30", 64},     {"RTMIN+0", 34},      {"RTMAX", 64},
            {"RTMAX-1", 63},      {"SIGRTMAX-30", 34},  {"32", 32},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int sig = ctr_parse_signal(cases[i].arg, &err);

        if (err != NULL)
            UNIT_FAIL("signal '%s': %s", cases[i].arg, err->msg);
        if (sig != cases[i].sig)
            UNIT_FAIL("signal '%s' is %d, expected %d", cases[i].arg, sig, cases[i].sig);
    }
}

TEST(signal_errors)
{
    static const char *const bad[] = {
            "0",          "65",       "99999999999999999999999",
            "-9",         "+9",       " 9",
            "TERM ",      "FOO",      "SIG",
            "SIGSIGTERM", "RTMIN+31", "RTMAX-31",
            "RTMIN-1",    "RTMAX+1",  "RTMIN+",
            "RTMIN+x",    "SIG15",    "9x",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cleanup_error struct ctr_error *err = NULL;

        ASSERT_FAILS(ctr_parse_signal(bad[i], &err), &err);
        ASSERT_INT_EQ(err->code, EINVAL);
    }
}

TEST(signal_messages)
{
    cleanup_error struct ctr_error *e1 = NULL, *e2 = NULL, *e3 = NULL;

    ASSERT_FAILS(ctr_parse_signal("FOO", &e1), &e1);
    ASSERT_STR_EQ(e1->msg, "unknown signal 'FOO': give a name such as 'TERM', 'SIGKILL' or "
                           "'RTMIN+3', or a number from 1 to 64");
    ASSERT_FAILS(ctr_parse_signal("65", &e2), &e2);
    ASSERT_STR_EQ(e2->msg, "signal '65' is out of range: give 1 to 64");
    ASSERT_FAILS(ctr_parse_signal("", &e3), &e3);
    ASSERT_STR_CONTAINS(e3->msg, "empty signal");
}

TEST(signal_name)
{
    ASSERT_STR_EQ(ctr_signal_name(SIGTERM), "SIGTERM");
    ASSERT_STR_EQ(ctr_signal_name(SIGABRT), "SIGABRT");
    ASSERT_STR_EQ(ctr_signal_name(SIGCHLD), "SIGCHLD");
    ASSERT_STR_EQ(ctr_signal_name(SIGIO), "SIGIO");
    ASSERT_STR_EQ(ctr_signal_name(34), "SIGRTMIN");
    ASSERT_STR_EQ(ctr_signal_name(37), "SIGRTMIN+3");
    ASSERT_STR_EQ(ctr_signal_name(49), "SIGRTMIN+15");
    ASSERT_STR_EQ(ctr_signal_name(50), "SIGRTMAX-14");
    ASSERT_STR_EQ(ctr_signal_name(63), "SIGRTMAX-1");
    ASSERT_STR_EQ(ctr_signal_name(64), "SIGRTMAX");
    ASSERT_TRUE(ctr_signal_name(0) == NULL);
    ASSERT_TRUE(ctr_signal_name(32) == NULL);
    ASSERT_TRUE(ctr_signal_name(33) == NULL);
    ASSERT_TRUE(ctr_signal_name(65) == NULL);
    ASSERT_TRUE(ctr_signal_name(-1) == NULL);
}

TEST(signal_name_round_trip)
{
    cleanup_error struct ctr_error *err = NULL;

    for (int sig = 1; sig <= 64; sig++) {
        const char *name = ctr_signal_name(sig);

        if (name == NULL) {
            ASSERT_TRUE(sig == 32 || sig == 33);
            continue;
        }
        ASSERT_INT_EQ(ctr_parse_signal(name, &err), sig);
        ASSERT_INT_EQ(ctr_parse_signal(name + 3, &err), sig);
        ASSERT_TRUE(err == NULL);
    }
}

static const char *fake_lookup(const char *key)
{
    if (strcmp(key, "HOME") == 0)
        return "/home/alice";
    if (strcmp(key, "EMPTY") == 0)
        return "";
    return NULL;
}

static void expect_env_line(const char *line, const char *want)
{
    cleanup_error struct ctr_error *err = NULL;
    char *got = (char *)"untouched";

    ASSERT_OK(ctr_parse_env_line(line, fake_lookup, &got, &err), &err);
    if (want == NULL && got != NULL)
        UNIT_FAIL("env line '%s' gave '%s', expected nothing", line, got);
    if (want != NULL)
        ASSERT_STR_EQ(got, want);
    free(got);
}

TEST(env_line)
{
    expect_env_line("A=b", "A=b");
    expect_env_line("A=", "A=");
    expect_env_line("A==b=c", "A==b=c");
    expect_env_line("  \tA=b c ", "A=b c ");
    expect_env_line("A=b\n", "A=b");
    expect_env_line("A=b\r\n", "A=b");
    expect_env_line("A=\"quoted\"", "A=\"quoted\"");
    expect_env_line("HOME", "HOME=/home/alice");
    expect_env_line("EMPTY", "EMPTY=");
    expect_env_line("UNSET", NULL);
    expect_env_line("", NULL);
    expect_env_line("   ", NULL);
    expect_env_line("\n", NULL);
    expect_env_line("# comment", NULL);
    expect_env_line("  # indented comment", NULL);
}

TEST(env_line_without_lookup)
{
    cleanup_error struct ctr_error *err = NULL;
    char *got = (char *)"untouched";

    ASSERT_OK(ctr_parse_env_line("HOME", NULL, &got, &err), &err);
    ASSERT_TRUE(got == NULL);
}

static void expect_env_error(const char *line, const char *needle)
{
    cleanup_error struct ctr_error *err = NULL;
    char *got = (char *)"untouched";

    ASSERT_FAILS(ctr_parse_env_line(line, fake_lookup, &got, &err), &err);
    ASSERT_INT_EQ(err->code, EINVAL);
    ASSERT_STR_CONTAINS(err->msg, needle);
    ASSERT_STR_EQ(got, "untouched");
}

TEST(env_line_errors)
{
    expect_env_error("=value", "env file line '=value' has no variable name before '='");
    expect_env_error("  =value", "has no variable name");
    expect_env_error("A B=c", "variable name in env file line 'A B=c' contains whitespace");
    expect_env_error("A =c", "contains whitespace");
    expect_env_error("A\t=c", "env file line 'A?=c' contains whitespace");
    expect_env_error("HOME ", "contains whitespace");
}

TEST(env_set)
{
    cleanup_strv char **env = NULL;

    ctr_env_set(&env, "PATH=/bin", fake_lookup);
    ctr_env_set(&env, "A=1", fake_lookup);
    ctr_env_set(&env, "AB=2", fake_lookup);
    ASSERT_UINT_EQ(strv_length(env), 3);
    /* Replaces in place; a key that is a prefix of another is a different key. */
    ctr_env_set(&env, "A=3", fake_lookup);
    ASSERT_UINT_EQ(strv_length(env), 3);
    ASSERT_STR_EQ(env[0], "PATH=/bin");
    ASSERT_STR_EQ(env[1], "A=3");
    ASSERT_STR_EQ(env[2], "AB=2");
    /* KEY alone takes the caller's value, and is skipped when unset. */
    ctr_env_set(&env, "HOME", fake_lookup);
    ctr_env_set(&env, "UNSET", fake_lookup);
    ctr_env_set(&env, "PATH", NULL);
    ASSERT_UINT_EQ(strv_length(env), 4);
    ASSERT_STR_EQ(env[3], "HOME=/home/alice");
    ASSERT_STR_EQ(env[0], "PATH=/bin");
    ctr_env_set(&env, "PATH=", fake_lookup);
    ASSERT_STR_EQ(env[0], "PATH=");
    ASSERT_TRUE(env[4] == NULL);
}

TEST(spec_clear)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_spec s = {0};

    s.argv = xcalloc(2, sizeof(*s.argv));
    s.argv[0] = xstrdup("sh");
    ctr_env_set(&s.env, "A=1", NULL);
    ctr_env_set(&s.labels, "l=1", NULL);
    s.cwd = xstrdup("/");
    s.user = xstrdup("0:0");
    s.hostname = xstrdup("box");
    s.network = xstrdup("none");
    s.mounts = xcalloc(2, sizeof(*s.mounts));
    s.n_mounts = 2;
    ASSERT_OK(ctr_parse_volume("/a:/b", &s.mounts[0], &err), &err);
    ASSERT_OK(ctr_parse_tmpfs("/t:size=1m", &s.mounts[1], &err), &err);
    /* ASan's leak check makes this the real assertion. */
    ctr_spec_clear(&s);
    ASSERT_TRUE(s.argv == NULL && s.mounts == NULL && s.n_mounts == 0);
    ctr_spec_clear(&s);
    ctr_spec_clear(NULL);
    ctr_mount_spec_clear(NULL);
}

static void expect_restart(const char *arg, enum ctr_restart_policy policy, unsigned max)
{
    cleanup_error struct ctr_error *err = NULL;
    enum ctr_restart_policy got = CTR_RESTART_ALWAYS;
    unsigned got_max = 99;

    ASSERT_OK(ctr_parse_restart(arg, &got, &got_max, &err), &err);
    ASSERT_INT_EQ(got, policy);
    ASSERT_UINT_EQ(got_max, max);
}

TEST(restart_parse)
{
    expect_restart("no", CTR_RESTART_NO, 0);
    expect_restart("never", CTR_RESTART_NO, 0);
    expect_restart("on-failure", CTR_RESTART_ON_FAILURE, 0);
    expect_restart("on-failure:3", CTR_RESTART_ON_FAILURE, 3);
    expect_restart("on-failure:0", CTR_RESTART_ON_FAILURE, 0);
    expect_restart("on-failure:2147483647", CTR_RESTART_ON_FAILURE, 2147483647U);
    expect_restart("always", CTR_RESTART_ALWAYS, 0);
    expect_restart("unless-stopped", CTR_RESTART_UNLESS_STOPPED, 0);
}

TEST(restart_parse_errors)
{
    static const struct {
        const char *arg, *msg;
    } bad[] = {
            {"", "invalid restart policy '': use no, on-failure[:N], always or unless-stopped"},
            {"Always", "invalid restart policy 'Always'"},
            {"on-failure:", "'on-failure:': the maximum count must be a number from 0"},
            {"on-failure:-1", "the maximum count must be a number"},
            {"on-failure:2147483648", "the maximum count must be a number"},
            {"on-failure:1x", "the maximum count must be a number"},
            {"always:2", "restart policy 'always:2': only on-failure takes a maximum count"},
            {"no:1", "only on-failure takes a maximum count"},
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cleanup_error struct ctr_error *err = NULL;
        enum ctr_restart_policy p = CTR_RESTART_ALWAYS;
        unsigned max = 7;

        ASSERT_INT_EQ(ctr_parse_restart(bad[i].arg, &p, &max, &err), -1);
        ASSERT_TRUE(err != NULL);
        ASSERT_INT_EQ(err->code, EINVAL);
        ASSERT_STR_CONTAINS(err->msg, bad[i].msg);
        /* Outputs are written only on success. */
        ASSERT_INT_EQ(p, CTR_RESTART_ALWAYS);
        ASSERT_UINT_EQ(max, 7);
    }
}

TEST(restart_names)
{
    enum ctr_restart_policy p;

    for (int i = CTR_RESTART_NO; i <= CTR_RESTART_UNLESS_STOPPED; i++) {
        ASSERT_INT_EQ(ctr_restart_policy_from_name(ctr_restart_policy_name(i), &p), 0);
        ASSERT_INT_EQ(p, i);
    }
    ASSERT_TRUE(ctr_restart_policy_name(CTR_RESTART_UNLESS_STOPPED + 1) == NULL);
    ASSERT_INT_EQ(ctr_restart_policy_from_name("never", &p), -1);
    ASSERT_INT_EQ(ctr_restart_policy_from_name(NULL, &p), -1);
}

TEST(restart_wanted)
{
    struct ctr_spec s = {0};

    s.restart = CTR_RESTART_NO;
    ASSERT_INT_EQ(ctr_restart_wanted(&s, 1, 0), 0);
    s.restart = CTR_RESTART_ON_FAILURE;
    ASSERT_INT_EQ(ctr_restart_wanted(&s, 0, 0), 0);
    ASSERT_INT_EQ(ctr_restart_wanted(&s, 3, 0), 1);
    ASSERT_INT_EQ(ctr_restart_wanted(&s, 137, 1000), 1);
    s.restart_max = 2;
    ASSERT_INT_EQ(ctr_restart_wanted(&s, 3, 1), 1);
    ASSERT_INT_EQ(ctr_restart_wanted(&s, 3, 2), 0);
    s.restart = CTR_RESTART_ALWAYS;
    ASSERT_INT_EQ(ctr_restart_wanted(&s, 0, 5), 1);
    s.restart = CTR_RESTART_UNLESS_STOPPED;
    ASSERT_INT_EQ(ctr_restart_wanted(&s, 0, 5), 1);
}
