/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "config.h"
#include "unit.h"

static int parse(const char *text, struct ctr_config *c, struct ctr_error **err)
{
    return ctr_config_parse("ctr.conf", text, strlen(text), c, err);
}

/* The error message `text` gives, which must fail. */
static char *error_of(const char *text)
{
    struct ctr_config c = {0};
    struct ctr_error *err = NULL;
    char *msg;

    ASSERT_FAILS(parse(text, &c, &err), &err);
    ASSERT_TRUE(c.root == NULL && c.runroot == NULL && c.network == NULL && c.pull == NULL);
    ASSERT_INT_EQ(err->code, EINVAL);
    msg = strdup(err->msg);
    ctr_error_free(err);
    return msg;
}

TEST(empty_and_comments)
{
    struct ctr_config c;
    struct ctr_error *err = NULL;

    ASSERT_OK(parse("", &c, &err), &err);
    ASSERT_TRUE(c.root == NULL && !c.has_log_level && c.network == NULL && c.pull == NULL);
    ASSERT_OK(parse("# only a comment\n\n   \t\n  # indented\n", &c, &err), &err);
    ASSERT_TRUE(c.root == NULL && c.runroot == NULL);
    ctr_config_clear(&c);
}

TEST(every_key)
{
    struct ctr_config c;
    struct ctr_error *err = NULL;

    ASSERT_OK(parse("root = /srv/ctr\n"
                    "runroot=/run/user/1000/ctr\n"
                    "log_level = debug\n"
                    "network = slirp4netns:allow_host_loopback=true\n"
                    "pull = never",
                    &c, &err),
              &err);
    ASSERT_STR_EQ(c.root, "/srv/ctr");
    ASSERT_STR_EQ(c.runroot, "/run/user/1000/ctr");
    ASSERT_INT_EQ(c.has_log_level, 1);
    ASSERT_INT_EQ(c.log_level, CTR_LOG_DEBUG);
    ASSERT_STR_EQ(c.network, "slirp4netns:allow_host_loopback=true");
    ASSERT_UINT_EQ(c.network_line, 4);
    ASSERT_STR_EQ(c.pull, "never");
    ctr_config_clear(&c);
    ASSERT_TRUE(c.root == NULL && c.pull == NULL);
}

TEST(quoted_values_and_trailing_comments)
{
    struct ctr_config c;
    struct ctr_error *err = NULL;

    ASSERT_OK(parse("root = \"/srv/a #b\"   # the '#' inside quotes is kept\n"
                    "runroot = /run/x   # a comment after a bare value\r\n"
                    "\tpull\t=\t\"always\"\n"
                    "network = \"pasta:--map-gw\"\n",
                    &c, &err),
              &err);
    ASSERT_STR_EQ(c.root, "/srv/a #b");
    ASSERT_STR_EQ(c.runroot, "/run/x");
    ASSERT_STR_EQ(c.pull, "always");
    ASSERT_STR_EQ(c.network, "pasta:--map-gw");
    ctr_config_clear(&c);
    ASSERT_OK(parse("root = \"/a\\\"b\\\\c\"\n", &c, &err), &err);
    ASSERT_STR_EQ(c.root, "/a\"b\\c");
    ctr_config_clear(&c);
}

TEST(unknown_key_names_file_line_and_key)
{
    cleanup_free char *msg = error_of("# ok\nroot = /a\nrootdir = /b\n");

    ASSERT_STR_EQ(
            msg,
            "ctr.conf:3: unknown key 'rootdir': use root, runroot, log_level, network or pull");
}

TEST(bad_lines)
{
    cleanup_free char *a = error_of("root /a\n");
    cleanup_free char *b = error_of("[engine]\n");
    cleanup_free char *c = error_of("= /a\n");
    cleanup_free char *d = error_of("root = /a\nroot = /b\n");
    cleanup_free char *e = error_of("root =   # nothing\n");
    cleanup_free char *f = error_of("root = \"/a\n");
    cleanup_free char *g = error_of("root = \"/a\" b\n");
    cleanup_free char *h = error_of("root = \"/a\\n\"\n");
    cleanup_free char *i = error_of("root = /a\x01\n");
    cleanup_free char *j = error_of("ro.ot = /a\n");

    ASSERT_STR_EQ(a, "ctr.conf:1: expected KEY = VALUE, got 'root /a'");
    ASSERT_STR_EQ(b, "ctr.conf:1: sections are not supported: ctr.conf has only KEY = VALUE lines");
    ASSERT_STR_EQ(c, "ctr.conf:1: expected KEY = VALUE, got '= /a'");
    ASSERT_STR_EQ(d, "ctr.conf:2: 'root' is set twice (first on line 1)");
    ASSERT_STR_EQ(e, "ctr.conf:1: 'root' needs a value");
    ASSERT_STR_EQ(f, "ctr.conf:1: 'root': the quoted value has no closing '\"'");
    ASSERT_STR_EQ(g, "ctr.conf:1: 'root': unexpected text after the quoted value");
    ASSERT_STR_EQ(h, "ctr.conf:1: 'root': only \\\" and \\\\ may be escaped in a quoted value");
    ASSERT_STR_EQ(i, "ctr.conf:1: invalid byte 0x01");
    ASSERT_STR_EQ(j, "ctr.conf:1: expected KEY = VALUE, got 'ro.ot = /a'");
}

TEST(bad_values)
{
    cleanup_free char *a = error_of("root = relative/path\n");
    cleanup_free char *b = error_of("\nrunroot = ~/run\n");
    cleanup_free char *c = error_of("log_level = loud\n");
    cleanup_free char *d = error_of("pull = sometimes\n");
    cleanup_free char *e = error_of("network = bridge\n");
    cleanup_free char *f = error_of("network = pastafarian\n");

    ASSERT_STR_EQ(a, "ctr.conf:1: 'root' must be an absolute path, got 'relative/path'");
    ASSERT_STR_EQ(b, "ctr.conf:2: 'runroot' must be an absolute path, got '~/run'");
    ASSERT_STR_EQ(c, "ctr.conf:1: 'log_level': invalid log level 'loud': use error, warn, info, "
                     "debug or trace");
    ASSERT_STR_EQ(d, "ctr.conf:1: 'pull' takes missing, always or never, not 'sometimes'");
    ASSERT_STR_EQ(e, "ctr.conf:1: 'network' takes pasta, slirp4netns, none, host, ns:PATH or "
                     "container:NAME, not 'bridge'");
    ASSERT_STR_CONTAINS(f, "not 'pastafarian'");
    /* Podman's "private" depends on what is installed: a default must say which. */
    free(f);
    f = error_of("network = private\n");
    ASSERT_STR_CONTAINS(f, "not 'private'");
}

TEST(network_modes)
{
    static const char *const ok[] = {"pasta", "slirp4netns",       "none",
                                     "host",  "ns:/proc/1/ns/net", "container:web"};

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        cleanup_free char *text = NULL;
        struct ctr_config c;
        struct ctr_error *err = NULL;

        ASSERT_TRUE(asprintf(&text, "network = %s\n", ok[i]) > 0);
        ASSERT_OK(parse(text, &c, &err), &err);
        ASSERT_STR_EQ(c.network, ok[i]);
        ctr_config_clear(&c);
    }
}

TEST(nul_byte_is_refused)
{
    static const char text[] = "root = /a\0b\n";
    struct ctr_config c;
    struct ctr_error *err = NULL;

    ASSERT_FAILS(ctr_config_parse("f", text, sizeof(text) - 1, &c, &err), &err);
    ASSERT_STR_EQ(err->msg, "f:1: invalid byte 0x00");
    ctr_error_free(err);
}

TEST(path)
{
    cleanup_free char *a = ctr_config_path("/xdg", "/home/u");
    cleanup_free char *b = ctr_config_path(NULL, "/home/u");
    cleanup_free char *c = ctr_config_path("relative", "/home/u");
    cleanup_free char *d = ctr_config_path("", "/home/u");

    ASSERT_STR_EQ(a, "/xdg/ctr/ctr.conf");
    ASSERT_STR_EQ(b, "/home/u/.config/ctr/ctr.conf");
    /* The XDG spec: a relative XDG_CONFIG_HOME is ignored. */
    ASSERT_STR_EQ(c, "/home/u/.config/ctr/ctr.conf");
    ASSERT_STR_EQ(d, "/home/u/.config/ctr/ctr.conf");
    ASSERT_TRUE(ctr_config_path(NULL, NULL) == NULL);
    ASSERT_TRUE(ctr_config_path("x", "y") == NULL);
}

TEST(load)
{
    char dir[] = "/tmp/ctr-test-config-XXXXXX";
    cleanup_free char *file = NULL, *missing = NULL;
    struct ctr_config c;
    struct ctr_error *err = NULL;
    FILE *f;

    ASSERT_TRUE(mkdtemp(dir) != NULL);
    ASSERT_TRUE(asprintf(&missing, "%s/none.conf", dir) > 0);
    ASSERT_TRUE(asprintf(&file, "%s/ctr.conf", dir) > 0);
    /* No file: no configuration, not an error. */
    ASSERT_OK(ctr_config_load(missing, &c, &err), &err);
    ASSERT_TRUE(c.root == NULL && !c.has_log_level);
    f = fopen(file, "w");
    ASSERT_TRUE(f != NULL);
    fputs("root = /srv/ctr\nlog_level = info\n", f);
    fclose(f);
    ASSERT_OK(ctr_config_load(file, &c, &err), &err);
    ASSERT_STR_EQ(c.root, "/srv/ctr");
    ASSERT_INT_EQ(c.log_level, CTR_LOG_INFO);
    ctr_config_clear(&c);
    f = fopen(file, "w");
    ASSERT_TRUE(f != NULL);
    fputs("root = /srv/ctr\nbogus = 1\n", f);
    fclose(f);
    ASSERT_FAILS(ctr_config_load(file, &c, &err), &err);
    ASSERT_TRUE(strncmp(err->msg, file, strlen(file)) == 0);
    ASSERT_STR_CONTAINS(err->msg, "ctr.conf:2: unknown key 'bogus'");
    ctr_error_clear(&err);
    /* A directory is not a configuration file. */
    ASSERT_FAILS(ctr_config_load(dir, &c, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "not a regular file");
    ctr_error_clear(&err);
    unlink(file);
    rmdir(dir);
}
