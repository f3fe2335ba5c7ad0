/* SPDX-License-Identifier: Apache-2.0 */
/* auth.json: store, look up and remove credentials in a temporary directory. */
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "registry.h"
#include "unit.h"
#include "xalloc.h"

static char tmpdir[64];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void cleanup_tmpdir(void)
{
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh HOME, XDG_RUNTIME_DIR and XDG_CONFIG_HOME, so no real credentials are read. */
static void setup(void)
{
    cleanup_free char *run = NULL, *home = NULL;

    snprintf(tmpdir, sizeof(tmpdir), "/tmp/ctr-test-creds.XXXXXX");
    ASSERT_TRUE(mkdtemp(tmpdir) != NULL);
    atexit(cleanup_tmpdir);
    run = xasprintf("%s/run", tmpdir);
    home = xasprintf("%s/home", tmpdir);
    ASSERT_INT_EQ(mkdir(run, 0700), 0);
    ASSERT_INT_EQ(mkdir(home, 0700), 0);
    setenv("XDG_RUNTIME_DIR", run, 1);
    setenv("HOME", home, 1);
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("TMPDIR");
}

static char *path_in(const char *rel)
{
    if (tmpdir[0] == '\0')
        UNIT_FAIL("path_in() before setup(): the path would not be in a temporary directory");
    return xasprintf("%s/%s", tmpdir, rel);
}

static void write_file(const char *rel, const char *text)
{
    cleanup_free char *path = path_in(rel);
    cleanup_free char *dir = xstrndup(path, (size_t)(strrchr(path, '/') - path));
    cleanup_error struct ctr_error *err = NULL;
    FILE *f;

    ASSERT_OK(ctr_mkdir_private(dir, geteuid(), &err), &err);
    f = fopen(path, "we");
    ASSERT_TRUE(f != NULL);
    fputs(text, f);
    ASSERT_INT_EQ(fclose(f), 0);
}

static json_t *read_json(const char *path)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);

    if (root == NULL)
        UNIT_FAIL("'%s': %s", path, jerr.text);
    return root;
}

/* Looks up `domain` and checks the result: `user` NULL means "none found". */
static void expect_creds(const char *authfile, const char *domain, const char *user,
                         const char *pass)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *u = NULL, *p = NULL;
    int found = image_creds_lookup(authfile, domain, &u, &p, &err);

    ASSERT_OK(found, &err);
    ASSERT_INT_EQ(found, user != NULL);
    if (user != NULL) {
        ASSERT_STR_EQ(u, user);
        ASSERT_STR_EQ(p, pass);
    }
}

TEST(default_path)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *path = NULL, *expected = NULL, *fallback = NULL;

    setup();
    path = image_creds_default_path(&err);
    expected = path_in("run/containers/auth.json");
    ASSERT_STR_EQ(path, expected);
    unsetenv("XDG_RUNTIME_DIR");
    fallback = image_creds_default_path(&err);
    free(expected);
    expected = xasprintf("/tmp/ctr-run-%u/containers/auth.json", (unsigned)geteuid());
    ASSERT_STR_EQ(fallback, expected);
}

TEST(store_lookup_remove_round_trip)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *path = NULL;
    cleanup_with(json_decrefp) json_t *root = NULL;
    struct stat st;

    setup();
    path = path_in("run/containers/auth.json");
    expect_creds(NULL, "quay.io", NULL, NULL);
    ASSERT_OK(image_creds_store(NULL, "quay.io", "alice", "pa:ss wörd", &err), &err);
    ASSERT_INT_EQ(stat(path, &st), 0);
    ASSERT_UINT_EQ(st.st_mode & 07777, 0600);
    root = read_json(path);
    /* base64("alice:pa:ss wörd"), as Podman and Docker write it. */
    ASSERT_STR_EQ(json_string_value(json_object_get(
                          json_object_get(json_object_get(root, "auths"), "quay.io"), "auth")),
                  "YWxpY2U6cGE6c3Mgd8O2cmQ=");
    expect_creds(NULL, "quay.io", "alice", "pa:ss wörd");
    expect_creds(NULL, "docker.io", NULL, NULL);
    /* A second store replaces the entry. */
    ASSERT_OK(image_creds_store(NULL, "quay.io", "bob", "x", &err), &err);
    expect_creds(NULL, "quay.io", "bob", "x");
    ASSERT_INT_EQ(image_creds_remove(NULL, "quay.io", &err), 1);
    expect_creds(NULL, "quay.io", NULL, NULL);
    ASSERT_INT_EQ(image_creds_remove(NULL, "quay.io", &err), 0);
    ASSERT_TRUE(err == NULL);
}

TEST(remove_without_a_file)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *path = NULL;

    setup();
    path = path_in("run/containers/auth.json");
    ASSERT_INT_EQ(image_creds_remove(NULL, "quay.io", &err), 0);
    ASSERT_TRUE(err == NULL);
    ASSERT_TRUE(access(path, F_OK) != 0); /* nothing to remove, nothing written */
}

TEST(other_entries_and_keys_are_kept)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *path = NULL;
    cleanup_with(json_decrefp) json_t *root = NULL;
    json_t *auths;

    setup();
    path = path_in("custom/auth.json");
    write_file("custom/auth.json",
               "{\"auths\": {\"other.example\": {\"auth\": \"Ym9iOnB3\", \"email\": \"b@x\"}},\n"
               " \"credHelpers\": {\"gcr.io\": \"gcloud\"}}\n");
    ASSERT_OK(image_creds_store(path, "quay.io", "alice", "pw", &err), &err);
    expect_creds(path, "other.example", "bob", "pw");
    expect_creds(path, "quay.io", "alice", "pw");
    ASSERT_INT_EQ(image_creds_remove(path, "quay.io", &err), 1);
    root = read_json(path);
    auths = json_object_get(root, "auths");
    ASSERT_UINT_EQ(json_object_size(auths), 1);
    ASSERT_STR_EQ(
            json_string_value(json_object_get(json_object_get(auths, "other.example"), "email")),
            "b@x");
    ASSERT_STR_EQ(
            json_string_value(json_object_get(json_object_get(root, "credHelpers"), "gcr.io")),
            "gcloud");
    /* An explicit file gets only its file: the default one was never written. */
    {
        cleanup_free char *def = path_in("run/containers/auth.json");

        ASSERT_TRUE(access(def, F_OK) != 0);
    }
    json_decref(root);
    root = NULL;
    ASSERT_INT_EQ(image_creds_remove_all(path, &err), 1);
    root = read_json(path);
    ASSERT_UINT_EQ(json_object_size(json_object_get(root, "auths")), 0);
    ASSERT_TRUE(json_object_get(root, "credHelpers") != NULL);
}

TEST(parent_directories_are_created_private)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *path = NULL, *dir = NULL;
    struct stat st;

    setup();
    path = path_in("a/b/auth.json");
    dir = path_in("a/b");
    ASSERT_OK(image_creds_store(path, "quay.io", "alice", "pw", &err), &err);
    ASSERT_INT_EQ(stat(dir, &st), 0);
    ASSERT_UINT_EQ(st.st_mode & 07777, 0700);
    ASSERT_INT_EQ(stat(path, &st), 0);
    ASSERT_UINT_EQ(st.st_mode & 07777, 0600);
}

TEST(lookup_order)
{
    setup();
    write_file("home/.docker/config.json",
               "{\"auths\": {\"quay.io\": {\"auth\": \"ZG9ja2VyOjE=\"}, "
               "\"ghcr.io\": {\"auth\": \"ZG9ja2VyOjE=\"}}}");
    write_file("home/.config/containers/auth.json",
               "{\"auths\": {\"quay.io\": {\"auth\": \"Y29uZmlnOjI=\"}}}");
    expect_creds(NULL, "quay.io", "config", "2");
    expect_creds(NULL, "ghcr.io", "docker", "1");
    write_file("run/containers/auth.json", "{\"auths\": {\"quay.io\": {\"auth\": \"cnVuOjM=\"}}}");
    expect_creds(NULL, "quay.io", "run", "3");
    /* XDG_CONFIG_HOME moves the second file, as for Podman. */
    write_file("xdg/containers/auth.json", "{\"auths\": {\"ghcr.io\": {\"auth\": \"eGRnOjQ=\"}}}");
    {
        cleanup_free char *xdg = path_in("xdg");

        setenv("XDG_CONFIG_HOME", xdg, 1);
    }
    expect_creds(NULL, "ghcr.io", "xdg", "4");
}

TEST(docker_hub_alias)
{
    setup();
    /* Docker's own key for Docker Hub, and its URL form for other registries. */
    write_file("home/.docker/config.json",
               "{\"auths\": {\"https://index.docker.io/v1/\": {\"auth\": \"aHViOmh1Yg==\"},"
               " \"https://quay.io\": {\"auth\": \"cXVheTpx\"},"
               " \"quay.io/someorg\": {\"auth\": \"bnM6bnM=\"},"
               " \"ghcr.io\": {}}}");
    expect_creds(NULL, "docker.io", "hub", "hub");
    expect_creds(NULL, "quay.io", "quay", "q");
    /* An empty entry (a credential helper holds the secret) is "none". */
    expect_creds(NULL, "ghcr.io", NULL, NULL);
    /* The exact key wins over the alias. */
    write_file("home/.docker/config.json",
               "{\"auths\": {\"https://index.docker.io/v1/\": {\"auth\": \"aHViOmh1Yg==\"},"
               " \"docker.io\": {\"auth\": \"ZXhhY3Q6MQ==\"}}}");
    expect_creds(NULL, "docker.io", "exact", "1");
}

TEST(logout_removes_the_alias_too)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *path = NULL;

    setup();
    path = path_in("f/auth.json");
    write_file("f/auth.json", "{\"auths\": {\"https://index.docker.io/v1/\": {\"auth\": "
                              "\"aHViOmh1Yg==\"}, \"docker.io\": {\"auth\": \"ZXhhY3Q6MQ==\"}}}");
    ASSERT_INT_EQ(image_creds_remove(path, "docker.io", &err), 1);
    expect_creds(path, "docker.io", NULL, NULL);
}

TEST(malformed_file_names_file_line_and_column)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *path = NULL, *expected = NULL;
    char *u = NULL, *p = NULL;

    setup();
    path = path_in("bad/auth.json");
    write_file("bad/auth.json", "{\"auths\": {\n  \"quay.io\": {\"auth\": }\n}}\n");
    ASSERT_FAILS(image_creds_lookup(path, "quay.io", &u, &p, &err), &err);
    expected = xasprintf("auth file '%s': invalid JSON at line 2, column 23: "
                         "unexpected token near '}'",
                         path);
    ASSERT_STR_EQ(err->msg, expected);
    ctr_error_clear(&err);
    /* Nor is a malformed file overwritten by a store. */
    ASSERT_FAILS(image_creds_store(path, "quay.io", "a", "b", &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "invalid JSON at line 2");
    ctr_error_clear(&err);
    write_file("bad/auth.json", "{\"auths\": []}");
    ASSERT_FAILS(image_creds_lookup(path, "quay.io", &u, &p, &err), &err);
    free(expected);
    expected = xasprintf("auth file '%s': expected {\"auths\": {...}}", path);
    ASSERT_STR_EQ(err->msg, expected);
    ctr_error_clear(&err);
    write_file("bad/auth.json", "{\"auths\": {\"quay.io\": {\"auth\": \"bm9jb2xvbg==\"}}}");
    ASSERT_FAILS(image_creds_lookup(path, "quay.io", &u, &p, &err), &err);
    free(expected);
    expected = xasprintf("auth file '%s': the \"auth\" of 'quay.io' is not base64 of "
                         "\"user:password\"",
                         path);
    ASSERT_STR_EQ(err->msg, expected);
}

TEST(user_name_with_colon_is_refused)
{
    cleanup_error struct ctr_error *err = NULL;

    setup();
    ASSERT_FAILS(image_creds_store(NULL, "quay.io", "a:b", "pw", &err), &err);
    ASSERT_STR_EQ(err->msg, "invalid user name 'a:b': it is empty or has a ':'");
}

TEST(relative_authfile)
{
    cleanup_error struct ctr_error *err = NULL;
    struct stat st;

    setup();
    ASSERT_INT_EQ(chdir(tmpdir), 0);
    ASSERT_OK(image_creds_store("auth.json", "quay.io", "alice", "pw", &err), &err);
    ASSERT_INT_EQ(stat("auth.json", &st), 0);
    ASSERT_UINT_EQ(st.st_mode & 07777, 0600);
    expect_creds("auth.json", "quay.io", "alice", "pw");
}
