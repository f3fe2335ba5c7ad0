/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "ref.h"
#include "unit.h"
#include "xalloc.h"

#define HEX64  "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"
#define SHA256 "sha256:" HEX64
#define SHA512 "sha512:" HEX64 HEX64

/* A string of n copies of c; the caller frees it. */
static char *repeat(char c, size_t n)
{
    char *s = xmalloc(n + 1);

    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* Parses `input`, checks the normalised form and that formatting then parsing is stable. */
static void expect_ref(const char *input, const char *want, int short_name)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_with(image_ref_freep) struct image_ref *r = NULL;
    cleanup_with(image_ref_freep) struct image_ref *again = NULL;
    cleanup_free char *out = NULL;
    cleanup_free char *out_again = NULL;

    if (image_ref_parse(input, &r, &err) < 0)
        UNIT_FAIL("'%s' was refused: %s", input, err->msg);
    out = image_ref_format(r);
    if (strcmp(out, want) != 0)
        UNIT_FAIL("'%s' gave '%s', expected '%s'", input, out, want);
    if (r->short_name != short_name)
        UNIT_FAIL("'%s': short_name is %d, expected %d", input, r->short_name, short_name);
    ASSERT_OK(image_ref_parse(out, &again, &err), &err);
    out_again = image_ref_format(again);
    ASSERT_STR_EQ(out_again, out);
    ASSERT_INT_EQ(again->short_name, 0);
}

static void expect_invalid(const char *input, const char *want)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_with(image_ref_freep) struct image_ref *r = NULL;

    if (image_ref_parse(input, &r, &err) != -1 || err == NULL)
        UNIT_FAIL("'%s' was accepted", input);
    ASSERT_TRUE(r == NULL);
    ASSERT_INT_EQ(err->code, EINVAL);
    if (strstr(err->msg, want) == NULL)
        UNIT_FAIL("'%s' failed with \"%s\", expected it to contain \"%s\"", input, err->msg, want);
}

TEST(docker_hub_short_names)
{
    expect_ref("busybox", "docker.io/library/busybox:latest", 1);
    expect_ref("busybox:1.36", "docker.io/library/busybox:1.36", 1);
    expect_ref("library/busybox", "docker.io/library/busybox:latest", 1);
    expect_ref("user/repo", "docker.io/user/repo:latest", 1);
    expect_ref("user/repo:v1", "docker.io/user/repo:v1", 1);
    expect_ref("library/foo/bar", "docker.io/library/foo/bar:latest", 1);
    expect_ref("store/foo/bar", "docker.io/store/foo/bar:latest", 1);
    expect_ref("test_com/foo", "docker.io/test_com/foo:latest", 1);
    expect_ref("ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base:latest", 1);
    expect_ref("other/library", "docker.io/other/library:latest", 1);
}

TEST(docker_hub_qualified)
{
    expect_ref("docker.io/busybox", "docker.io/library/busybox:latest", 0);
    expect_ref("docker.io/library/busybox", "docker.io/library/busybox:latest", 0);
    expect_ref("docker.io/library", "docker.io/library/library:latest", 0);
    expect_ref("docker.io/user/repo:tag", "docker.io/user/repo:tag", 0);
    expect_ref("docker.io/library/foo/bar", "docker.io/library/foo/bar:latest", 0);
    /* The legacy name of Docker Hub is the same registry. */
    expect_ref("index.docker.io/busybox", "docker.io/library/busybox:latest", 0);
    expect_ref("index.docker.io/library/debian", "docker.io/library/debian:latest", 0);
    expect_ref("index.docker.io/docker/docker", "docker.io/docker/docker:latest", 0);
    /* Not on docker.io: no "library/". */
    expect_ref("registry-1.docker.io/busybox", "registry-1.docker.io/busybox:latest", 0);
}

TEST(registry_hosts)
{
    expect_ref("localhost/foo", "localhost/foo:latest", 0);
    expect_ref("localhost/library/debian", "localhost/library/debian:latest", 0);
    expect_ref("localhost:5000/foo", "localhost:5000/foo:latest", 0);
    expect_ref("localhost:5000/foo/bar:v1", "localhost:5000/foo/bar:v1", 0);
    expect_ref("host.example.com/ns/repo:tag", "host.example.com/ns/repo:tag", 0);
    expect_ref("example.com:8000/private/moonbase", "example.com:8000/private/moonbase:latest", 0);
    expect_ref("127.0.0.1:5000/docker/docker", "127.0.0.1:5000/docker/docker:latest", 0);
    expect_ref("192.168.0.1:8/debian", "192.168.0.1:8/debian:latest", 0);
    expect_ref("test.com:8080/foo", "test.com:8080/foo:latest", 0);
    expect_ref("test-com:8080/foo", "test-com:8080/foo:latest", 0);
    expect_ref("xn--n3h.com:18080/foo", "xn--n3h.com:18080/foo:latest", 0);
    expect_ref("a.b/c", "a.b/c:latest", 0);
    expect_ref("[::1]:5000/foo", "[::1]:5000/foo:latest", 0);
    expect_ref("[::1]/foo", "[::1]/foo:latest", 0);
    expect_ref("[fc00::1]:5000/docker/docker", "[fc00::1]:5000/docker/docker:latest", 0);
    expect_ref("[fc00:1:2:3:4:5:6:7]:5000/library/debian",
               "[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest", 0);
}

TEST(uppercase_host_is_a_host)
{
    /* Paths are lowercase, so an uppercase first component can only be a host. */
    expect_ref("Docker/docker", "Docker/docker:latest", 0);
    expect_ref("DOCKER/docker", "DOCKER/docker:latest", 0);
    expect_ref("LOCALDOMAIN/debian", "LOCALDOMAIN/debian:latest", 0);
    expect_ref("Example.COM:5000/foo", "Example.COM:5000/foo:latest", 0);
    expect_ref("[FC00::1]/foo", "[FC00::1]/foo:latest", 0);
}

TEST(host_like_names_without_slash_are_repositories)
{
    /* Without a '/', the whole name is a repository on docker.io, ':' starting its tag. */
    expect_ref("localhost", "docker.io/library/localhost:latest", 1);
    expect_ref("localhost:5000", "docker.io/library/localhost:5000", 1);
    expect_ref("example.com", "docker.io/library/example.com:latest", 1);
    expect_ref("192.168.0.1", "docker.io/library/192.168.0.1:latest", 1);
    expect_ref("192.168.0.1:80", "docker.io/library/192.168.0.1:80", 1);
}

TEST(path_separators)
{
    expect_ref("docker-rules/docker", "docker.io/docker-rules/docker:latest", 1);
    expect_ref("docker---rules/docker", "docker.io/docker---rules/docker:latest", 1);
    expect_ref("dock__er/docker", "docker.io/dock__er/docker:latest", 1);
    expect_ref("d/docker", "docker.io/d/docker:latest", 1);
    expect_ref("jess/t", "docker.io/jess/t:latest", 1);
    expect_ref("ns/a.b_c__d-e--f0", "docker.io/ns/a.b_c__d-e--f0:latest", 1);
    expect_ref("quay.io/a.b/c_d/e__f/g-h/i---j", "quay.io/a.b/c_d/e__f/g-h/i---j:latest", 0);
    expect_ref("0/1/2/3", "docker.io/0/1/2/3:latest", 1);
}

TEST(hex_names)
{
    /* 64 characters but not hex, or hex but not 64: names like any other. */
    expect_ref("thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
               "docker.io/library/"
               "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev:latest",
               1);
    expect_ref("dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9",
               "docker.io/library/"
               "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9:latest",
               1);
    expect_ref("dbcc1", "docker.io/library/dbcc1:latest", 1);
    /* With a domain there is no ambiguity with an image id. */
    expect_ref("docker.io/" HEX64, "docker.io/library/" HEX64 ":latest", 0);
    expect_invalid(HEX64, "invalid reference '" HEX64 "': a 64-digit hex string is an image id");
}

TEST(tags)
{
    cleanup_free char *t128 = repeat('A', 127);
    cleanup_free char *in = xasprintf("busybox:_%s", t128);
    cleanup_free char *want = xasprintf("docker.io/library/busybox:_%s", t128);

    expect_ref("busybox:TAG_1.0-rc", "docker.io/library/busybox:TAG_1.0-rc", 1);
    expect_ref("busybox:_", "docker.io/library/busybox:_", 1);
    expect_ref("busybox:0", "docker.io/library/busybox:0", 1);
    expect_ref("localhost:5000/foo:5000", "localhost:5000/foo:5000", 0);
    expect_ref(in, want, 1);
}

TEST(digests)
{
    cleanup_with(image_ref_freep) struct image_ref *r = NULL;
    cleanup_error struct ctr_error *err = NULL;

    /* A digest alone gets no default tag: it names the content exactly. */
    expect_ref("repo@" SHA256, "docker.io/library/repo@" SHA256, 1);
    expect_ref("redis@" SHA256, "docker.io/library/redis@" SHA256, 1);
    expect_ref("dmcgowan/myapp@" SHA256, "docker.io/dmcgowan/myapp@" SHA256, 1);
    expect_ref("repo:tag@" SHA256, "docker.io/library/repo:tag@" SHA256, 1);
    expect_ref("busybox:latest@" SHA256, "docker.io/library/busybox:latest@" SHA256, 1);
    expect_ref("quay.io/a/b@" SHA512, "quay.io/a/b@" SHA512, 0);
    expect_ref("[::1]:5000/foo:v1@" SHA256, "[::1]:5000/foo:v1@" SHA256, 0);

    ASSERT_OK(image_ref_parse("localhost:5000/ns/repo:v2@" SHA256, &r, &err), &err);
    ASSERT_STR_EQ(r->domain, "localhost:5000");
    ASSERT_STR_EQ(r->path, "ns/repo");
    ASSERT_STR_EQ(r->tag, "v2");
    ASSERT_STR_EQ(r->digest, SHA256);
    image_ref_free(steal_pointer(&r));

    ASSERT_OK(image_ref_parse("repo@" SHA256, &r, &err), &err);
    ASSERT_TRUE(r->tag == NULL);
    ASSERT_STR_EQ(r->digest, SHA256);
}

TEST(fields_and_name)
{
    cleanup_with(image_ref_freep) struct image_ref *r = NULL;
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *name = NULL;

    ASSERT_OK(image_ref_parse("busybox", &r, &err), &err);
    ASSERT_STR_EQ(r->domain, "docker.io");
    ASSERT_STR_EQ(r->path, "library/busybox");
    ASSERT_STR_EQ(r->tag, "latest");
    ASSERT_TRUE(r->digest == NULL);
    ASSERT_INT_EQ(r->short_name, 1);
    name = image_ref_name(r);
    ASSERT_STR_EQ(name, "docker.io/library/busybox");
    image_ref_free(NULL);
}

TEST(length_limit)
{
    /* "docker.io/library/" is 18 characters: the limit counts the normalised name. */
    cleanup_free char *max = repeat('a', 255 - 18);
    cleanup_free char *over = repeat('a', 255 - 18 + 1);
    cleanup_free char *want = xasprintf("docker.io/library/%s:latest", max);
    cleanup_free char *ns = repeat('x', 250);
    cleanup_free char *long_ns = xasprintf("%s/docker", ns);

    expect_ref(max, want, 1);
    expect_invalid(over, "has 256 characters, more than 255");
    expect_invalid(long_ns, "has 267 characters, more than 255");
    expect_invalid("this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not"
                   "_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_"
                   "namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_"
                   "because_its_lenth_is_greater_than_255/docker",
                   "more than 255");
}

TEST(invalid_references)
{
    static const struct {
        const char *input;
        const char *msg;
    } cases[] = {
            {"", "invalid reference '': empty"},
            {"Foo", "invalid reference 'Foo': repository name must be lowercase"},
            {"docker/Docker",
             "invalid reference 'docker/Docker': repository name must be lowercase"},
            {"docker.io/docker/Docker", "repository name must be lowercase"},
            {"Foo/Bar", "repository name must be lowercase"},
            {"UPPER:5000/Foo", "repository name must be lowercase"},
            {"a:b:c", "invalid reference 'a:b:c': invalid tag 'b:c'"},
            {"busybox:", "invalid reference 'busybox:': empty tag after ':'"},
            {"busybox:-x", "invalid tag '-x'"},
            {"busybox:.x", "invalid tag '.x'"},
            {"busybox:a+b", "invalid tag 'a+b'"},
            {"foo/bar:tag/x", "invalid tag 'tag/x'"},
            {"foo:@" SHA256, "empty tag after ':'"},
            {"-docker", "path component '-docker' must start with a lowercase letter or digit"},
            {"-docker/docker", "path component '-docker' must start"},
            {"docker-/docker",
             "path component 'docker-' must end with a lowercase letter or digit"},
            {"-docker-/docker", "must start"},
            {"____/____", "path component '____' must start"},
            {"_docker/_docker", "path component '_docker' must start"},
            /* With a '.' the first component is a host, so these fail as hosts. */
            {"dock..er/docker", "invalid registry host 'dock..er': host labels must be"},
            {"dock_.er/docker", "invalid registry host 'dock_.er'"},
            {"dock-.er/docker", "invalid registry host 'dock-.er'"},
            {"docker/dock..er", "path component 'dock..er' has the separator '..'"},
            {"docker/dock_.er", "has the separator '_.'"},
            {"docker/dock-.er", "has the separator '-.'"},
            {"dock___er/docker", "has the separator '___'"},
            {"docker/a_-b", "has the separator '_-'"},
            {"a/b..c", "has the separator '..'"},
            {"docker///docker", "repository name has an empty component ('//')"},
            {"docker.io/docker///docker", "empty component"},
            {"docker/", "repository name must not end with '/'"},
            {"docker.io/foo/", "must not end with '/'"},
            {"/docker", "repository name must not start with '/'"},
            {"docker.io/", "invalid reference 'docker.io/': missing repository name"},
            {"localhost/", "missing repository name"},
            {":tag", "missing repository name"},
            {"@" SHA256, "missing repository name"},
            {"foo bar", "path component 'foo bar' may hold only lowercase letters, digits"},
            {"foo/b!r", "path component 'b!r' may hold only"},
            {"https://github.com/docker/docker", "invalid registry host 'https:': empty port"},
            {"-docker.io/docker/docker",
             "invalid registry host '-docker.io': a host label must not start or end with '-'"},
            {"docker-.io/x", "must not start or end with '-'"},
            {"a..b.com/foo", "invalid registry host 'a..b.com': host labels must be"},
            {".example.com/foo", "host labels must be"},
            {"example.com./foo", "host labels must be"},
            {"ex_ample.com/foo", "host labels must be"},
            {"localhost:/foo", "invalid registry host 'localhost:': empty port after ':'"},
            {"example.com:80a/foo", "the port must be a decimal number"},
            {"example.com:-1/foo", "the port must be a decimal number"},
            {"fc00::1:5000/debian", "invalid registry host 'fc00::1:5000'"},
            {"[fc00::1]", "path component '[fc00' may hold only"},
            {"[fc00::1]:5000", "may hold only"},
            {"[fe80::1%eth0]:5000/debian", "an IPv6 address may hold only hex digits and ':'"},
            {"[2001:db8:3:4::192.0.2.33]:5000/debian", "an IPv6 address may hold only"},
            {"[::1/foo", "invalid registry host '[::1': '[' without ']'"},
            {"[]:5000/foo", "empty IPv6 address"},
            {"[::1]x/foo", "invalid registry host '[::1]x': expected ':' and a port after ']'"},
            {"foo@sha256:abc", "invalid reference 'foo@sha256:abc': invalid digest 'sha256:abc': "
                               "expected sha256: and 64 lowercase hex digits"},
            {"foo@", "invalid reference 'foo@': invalid digest ''"},
            {"foo@md5:d41d8cd98f00b204e9800998ecf8427e", "invalid digest 'md5:"},
            {"foo@SHA256:" HEX64, "invalid digest"},
            {"foo@sha256:" HEX64 "@sha256:" HEX64, "invalid digest"},
            {"foo\n", "invalid reference 'foo?': path component 'foo?' may hold only"},
            {"\x1b[31mred", "invalid reference '?[31mred'"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_invalid(cases[i].input, cases[i].msg);
}

TEST(invalid_tag_too_long)
{
    cleanup_free char *t = repeat('a', 129);
    cleanup_free char *in = xasprintf("busybox:%s", t);

    expect_invalid(in, "expected at most 128 letters");
}

TEST(long_input_is_truncated_in_messages)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_with(image_ref_freep) struct image_ref *r = NULL;
    cleanup_free char *in = repeat('A', 5000);

    ASSERT_FAILS(image_ref_parse(in, &r, &err), &err);
    ASSERT_TRUE(strlen(err->msg) < 200);
    ASSERT_STR_CONTAINS(err->msg, "AAA...': repository name must be lowercase");
}

TEST(validate_domain)
{
    static const char *const good[] = {"docker.io",
                                       "quay.io",
                                       "localhost",
                                       "localhost:5000",
                                       "[::1]:5000",
                                       "127.0.0.1",
                                       "Registry.Example.COM:443"};
    static const char *const bad[] = {"",     "myregistry", "quay.io/ns", "host:",     "[::1",
                                      "a..b", "-a.b",       "a.b:x",      "http://a.b"};

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        cleanup_error struct ctr_error *err = NULL;

        ASSERT_OK(image_ref_validate_domain(good[i], &err), &err);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cleanup_error struct ctr_error *err = NULL;

        if (image_ref_validate_domain(bad[i], &err) != -1 || err == NULL)
            UNIT_FAIL("'%s' was accepted", bad[i]);
        ASSERT_STR_CONTAINS(err->msg, "invalid registry host '");
    }
}

TEST(validate_domain_message)
{
    cleanup_error struct ctr_error *err = NULL;

    ASSERT_FAILS(image_ref_validate_domain("myregistry", &err), &err);
    ASSERT_STR_EQ(err->msg, "invalid registry host 'myregistry': a reference would read it as a "
                            "repository path: a registry host needs a '.' or a ':port', or must "
                            "be 'localhost'");
}

static void expect_candidates(const char *input, char *const *registries, const char *const *want)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_strv char **names = NULL;
    int n = image_ref_candidates(input, registries, &names, &err);
    size_t want_n = 0;

    if (n < 0)
        UNIT_FAIL("candidates for '%s' failed: %s", input, err->msg);
    while (want[want_n] != NULL)
        want_n++;
    ASSERT_INT_EQ(n, want_n);
    for (size_t i = 0; i < want_n; i++)
        ASSERT_STR_EQ(names[i], want[i]);
    ASSERT_TRUE(names[want_n] == NULL);
}

TEST(candidates_default_registry)
{
    expect_candidates("busybox", NULL,
                      (const char *const[]){"docker.io/library/busybox:latest", NULL});
    expect_candidates("user/repo:v1", NULL, (const char *const[]){"docker.io/user/repo:v1", NULL});
}

TEST(candidates_search_order)
{
    char docker[] = "docker.io", quay[] = "quay.io", local[] = "localhost:5000";
    char *const regs[] = {docker, quay, local, NULL};

    expect_candidates("busybox", regs,
                      (const char *const[]){"docker.io/library/busybox:latest",
                                            "quay.io/busybox:latest",
                                            "localhost:5000/busybox:latest", NULL});
    /* "library/" is kept where the user wrote it, and added on docker.io alone. */
    expect_candidates("library/busybox:1", regs,
                      (const char *const[]){"docker.io/library/busybox:1",
                                            "quay.io/library/busybox:1",
                                            "localhost:5000/library/busybox:1", NULL});
    expect_candidates("ns/app:v2@" SHA256, regs,
                      (const char *const[]){"docker.io/ns/app:v2@" SHA256,
                                            "quay.io/ns/app:v2@" SHA256,
                                            "localhost:5000/ns/app:v2@" SHA256, NULL});
}

TEST(candidates_qualified_name_is_itself)
{
    char quay[] = "quay.io";
    char *const regs[] = {quay, NULL};

    expect_candidates("docker.io/busybox", regs,
                      (const char *const[]){"docker.io/library/busybox:latest", NULL});
    expect_candidates("localhost/foo", regs, (const char *const[]){"localhost/foo:latest", NULL});
    expect_candidates("[::1]:5000/foo", regs, (const char *const[]){"[::1]:5000/foo:latest", NULL});
}

TEST(candidates_duplicates_collapse)
{
    char docker[] = "docker.io", legacy[] = "index.docker.io";
    char *const regs[] = {docker, legacy, NULL};

    expect_candidates("alpine", regs,
                      (const char *const[]){"docker.io/library/alpine:latest", NULL});
}

TEST(candidates_errors)
{
    char bad[] = "myregistry";
    char *const bad_regs[] = {bad, NULL};
    char *const none[] = {NULL};
    cleanup_error struct ctr_error *err = NULL;
    cleanup_strv char **names = NULL;

    ASSERT_FAILS(image_ref_candidates("busybox", none, &names, &err), &err);
    ASSERT_STR_EQ(err->msg, "cannot resolve short name 'busybox': no search registries are "
                            "configured; name the registry, as in 'docker.io/busybox'");
    ASSERT_TRUE(names == NULL);
    ctr_error_clear(&err);

    ASSERT_FAILS(image_ref_candidates("busybox", bad_regs, &names, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "invalid registry host 'myregistry'");
    ctr_error_clear(&err);

    ASSERT_FAILS(image_ref_candidates("Busybox", NULL, &names, &err), &err);
    ASSERT_STR_EQ(err->msg, "invalid reference 'Busybox': repository name must be lowercase");
}

/* --- registries.conf --- */

static struct image_registries_conf *conf_ok(const char *text)
{
    cleanup_error struct ctr_error *err = NULL;
    struct image_registries_conf *c = NULL;

    if (image_registries_conf_parse(text, strlen(text), "test.conf", &c, &err) < 0)
        UNIT_FAIL("registries.conf was refused: %s\n---\n%s---", err->msg, text);
    return c;
}

static void expect_search(const struct image_registries_conf *c, const char *const *want)
{
    size_t n = 0;

    for (; want[n] != NULL; n++) {
        if (c->search[n] == NULL)
            UNIT_FAIL("search list ends before '%s'", want[n]);
        ASSERT_STR_EQ(c->search[n], want[n]);
    }
    if (c->search[n] != NULL)
        UNIT_FAIL("unexpected search registry '%s'", c->search[n]);
}

static void expect_conf_error(const char *text, const char *want)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_with(image_registries_conf_freep) struct image_registries_conf *c = NULL;

    if (image_registries_conf_parse(text, strlen(text), "test.conf", &c, &err) != -1 || err == NULL)
        UNIT_FAIL("registries.conf was accepted:\n%s", text);
    ASSERT_TRUE(c == NULL);
    ASSERT_INT_EQ(err->code, EINVAL);
    if (strcmp(err->msg, want) != 0)
        UNIT_FAIL("got \"%s\", expected \"%s\" for:\n%s", err->msg, want, text);
}

TEST(conf_empty_gives_defaults)
{
    cleanup_with(image_registries_conf_freep) struct image_registries_conf *c = conf_ok("");
    cleanup_with(image_registries_conf_freep) struct image_registries_conf *d =
            conf_ok("# nothing here\n\n   \t\n");

    expect_search(c, (const char *const[]){"docker.io", NULL});
    ASSERT_UINT_EQ(c->n_registries, 0);
    expect_search(d, (const char *const[]){"docker.io", NULL});
    ASSERT_INT_EQ(image_registries_conf_insecure(c, "docker.io"), 0);
    image_registries_conf_free(NULL);
}

TEST(conf_documented_example)
{
    cleanup_with(image_registries_conf_freep) struct image_registries_conf *c =
            conf_ok("# Short names are tried on these registries, in order.\n"
                    "unqualified-search-registries = [\"docker.io\", \"quay.io\"]\n"
                    "\n"
                    "# A local test registry, reached over plain HTTP.\n"
                    "[[registry]]\n"
                    "location = \"localhost:5000\"\n"
                    "insecure = true\n");

    expect_search(c, (const char *const[]){"docker.io", "quay.io", NULL});
    ASSERT_UINT_EQ(c->n_registries, 1);
    ASSERT_STR_EQ(c->registries[0].location, "localhost:5000");
    ASSERT_INT_EQ(c->registries[0].insecure, 1);
    ASSERT_UINT_EQ(c->registries[0].line, 5);
    ASSERT_INT_EQ(image_registries_conf_insecure(c, "localhost:5000"), 1);
    ASSERT_INT_EQ(image_registries_conf_insecure(c, "LOCALHOST:5000"), 1);
    ASSERT_INT_EQ(image_registries_conf_insecure(c, "localhost:5001"), 0);
    ASSERT_INT_EQ(image_registries_conf_insecure(c, "docker.io"), 0);
}

TEST(conf_toml_forms)
{
    /* Multi-line arrays with comments and a trailing comma, literal strings, quoted keys,
     * CRLF line ends, spacing, and tables and keys ctr ignores. */
    cleanup_with(image_registries_conf_freep) struct image_registries_conf *c =
            conf_ok("short-name-mode = \"enforcing\"\r\n"
                    "some-number = -1_000\n"
                    "nested = [[1, 2], [\"a\"]]\n"
                    "unqualified-search-registries = [  # where short names go\n"
                    "    'quay.io',\n"
                    "\n"
                    "    \"index.docker.io\" , # the old name of docker.io\n"
                    "    \"[::1]:5000\",\n"
                    "]   # done\n"
                    "[aliases]\n"
                    "\"busybox\" = \"docker.io/library/busybox\"\n"
                    "location = \"ignored: not a registry table\"\n"
                    "  [[registry]]  # a comment\n"
                    "\"location\"\t=\t'Registry.Example.com:443'\n"
                    "prefix = \"registry.example.com/foo\"\n"
                    "blocked = false\n"
                    "[[registry.mirror]]\n"
                    "location = \"mirror.example.com\"\n"
                    "insecure = true\n"
                    "[[registry]]\n"
                    "insecure = false\n"
                    "location = \"plain.example.com\"\n"
                    "[registry-settings]\n"
                    "x.y.z = true\n");

    expect_search(c, (const char *const[]){"quay.io", "docker.io", "[::1]:5000", NULL});
    ASSERT_UINT_EQ(c->n_registries, 2);
    ASSERT_STR_EQ(c->registries[0].location, "Registry.Example.com:443");
    ASSERT_INT_EQ(c->registries[0].insecure, 0);
    ASSERT_UINT_EQ(c->registries[0].line, 13);
    ASSERT_STR_EQ(c->registries[1].location, "plain.example.com");
    ASSERT_UINT_EQ(c->registries[1].line, 20);
    /* The mirror's insecure belongs to the mirror table, which ctr ignores. */
    ASSERT_INT_EQ(image_registries_conf_insecure(c, "registry.example.com:443"), 0);
    ASSERT_INT_EQ(image_registries_conf_insecure(c, "mirror.example.com"), 0);
}

TEST(conf_empty_search_list)
{
    cleanup_with(image_registries_conf_freep) struct image_registries_conf *c =
            conf_ok("unqualified-search-registries = []\n");
    cleanup_error struct ctr_error *err = NULL;
    cleanup_strv char **names = NULL;

    expect_search(c, (const char *const[]){NULL});
    ASSERT_FAILS(image_ref_candidates("busybox", c->search, &names, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "no search registries are configured");
}

TEST(conf_search_feeds_candidates)
{
    cleanup_with(image_registries_conf_freep) struct image_registries_conf *c =
            conf_ok("unqualified-search-registries = [\"quay.io\", \"docker.io\"]\n");

    expect_candidates(
            "alpine:3", c->search,
            (const char *const[]){"quay.io/alpine:3", "docker.io/library/alpine:3", NULL});
}

TEST(conf_errors)
{
    static const struct {
        const char *text;
        const char *msg;
    } cases[] = {
            {"unqualified-search-registries = \"docker.io\"\n",
             "'test.conf' line 1: 'unqualified-search-registries' must be an array of strings, as "
             "in "
             "[\"docker.io\"]"},
            {"\n\nunqualified-search-registries = [\"docker.io\", 5]\n",
             "'test.conf' line 3: 'unqualified-search-registries' must be an array of strings, as "
             "in "
             "[\"docker.io\"]"},
            {"unqualified-search-registries = [\"quay.io/ns\"]\n",
             "'test.conf' line 1: invalid registry host 'quay.io/ns': host labels must be letters, "
             "digits and '-', separated by single dots"},
            {"unqualified-search-registries = [\n\"docker.io\",\n\"myregistry\"\n]\n",
             "'test.conf' line 1: invalid registry host 'myregistry': a reference would read it as "
             "a "
             "repository path: a registry host needs a '.' or a ':port', or must be 'localhost'"},
            {"unqualified-search-registries = []\nunqualified-search-registries = []\n",
             "'test.conf' line 2: 'unqualified-search-registries' is set twice (first on line 1)"},
            {"unqualified-search-registries = [\"docker.io\n",
             "'test.conf' line 1: unterminated string"},
            {"unqualified-search-registries = ['docker.io\n",
             "'test.conf' line 1: unterminated string"},
            {"unqualified-search-registries = [\"docker.io\",\n\n",
             "'test.conf' line 3: unexpected end of line: expected a value"},
            {"unqualified-search-registries = [\"docker.io\" \"quay.io\"]\n",
             "'test.conf' line 1: unexpected '\"' in an array: expected ',' or ']'"},
            {"unqualified-search-registries\n",
             "'test.conf' line 1: unexpected end of line after a key: expected '='"},
            {"foo \"bar\"\n", "'test.conf' line 1: unexpected '\"' after a key: expected '='"},
            {"= 1\n", "'test.conf' line 1: unexpected '=': expected a key"},
            {"foo =\n", "'test.conf' line 1: unexpected end of line: expected a value"},
            {"foo = bar\n", "'test.conf' line 1: unexpected 'b': expected a value"},
            {"[[registry]]\nlocation = \"a.b\"\ninsecure = true false\n",
             "'test.conf' line 3: unexpected 'f': expected the end of the line"},
            {"[[registry]]\nlocation = \"a.b\"\ninsecure = truex\n",
             "'test.conf' line 3: unsupported value: ctr reads strings, booleans, integers and "
             "arrays"},
            {"[registry]\nlocation = \"a.b\"\n",
             "'test.conf' line 1: write [[registry]]: each registry is one entry of an array"},
            {"[[registry]]\ninsecure = true\n", "'test.conf' line 1: [[registry]] has no location"},
            {"[[registry]]\ninsecure = true\n[[registry]]\nlocation = \"a.b\"\n",
             "'test.conf' line 1: [[registry]] has no location"},
            {"[[registry]]\nlocation = \"a.b\"\n\n[[registry]]\nlocation = \"A.B\"\n",
             "'test.conf' line 4: registry 'A.B' is listed twice (first on line 1)"},
            {"[[registry]]\nlocation = \"docker.io\"\n[[registry]]\nlocation = "
             "\"index.docker.io\"\n",
             "'test.conf' line 3: registry 'docker.io' is listed twice (first on line 1)"},
            {"[[registry]]\nlocation = \"a.b\"\ninsecure = \"yes\"\n",
             "'test.conf' line 3: 'insecure' must be true or false"},
            {"[[registry]]\nlocation = \"a.b\"\ninsecure = true\ninsecure = false\n",
             "'test.conf' line 4: 'insecure' is set twice in one [[registry]]"},
            {"[[registry]]\nlocation = \"a.b\"\nlocation = \"c.d\"\n",
             "'test.conf' line 3: 'location' is set twice in one [[registry]]"},
            {"[[registry]]\nlocation = [\"a.b\"]\n",
             "'test.conf' line 2: 'location' must be a string, as in \"localhost:5000\""},
            {"[[registry]]\nlocation = \"http://a.b\"\n",
             "'test.conf' line 2: invalid registry host 'http://a.b': the port must be a decimal "
             "number"},
            {"[[registry]]\nlocation = \"a.b\"\nunqualified-search-registries = [\"x.y\"]\n",
             "'test.conf' line 3: 'unqualified-search-registries' must come before the first "
             "[table] "
             "header"},
            {"location = \"localhost:5000\"\ninsecure = true\n",
             "'test.conf' line 1: 'location' belongs in a [[registry]] table"},
            {"x = {a = 1}\n", "'test.conf' line 1: inline tables are not supported"},
            {"x = \"\"\"a\"\"\"\n", "'test.conf' line 1: multi-line strings are not supported"},
            {"x = '''a'''\n", "'test.conf' line 1: multi-line strings are not supported"},
            {"x = 1.5\n",
             "'test.conf' line 1: unsupported value: ctr reads strings, booleans, integers and "
             "arrays"},
            {"x = 1979-05-27\n",
             "'test.conf' line 1: unsupported value: ctr reads strings, booleans, integers and "
             "arrays"},
            {"x = 1__0\n",
             "'test.conf' line 1: unsupported value: ctr reads strings, booleans, integers and "
             "arrays"},
            {"x = \"\\u0041\"\n",
             "'test.conf' line 1: unsupported escape '\\' followed by 'u' in a string"},
            {"x = \"a\tb\x01\"\n", "'test.conf' line 1: control character 0x01 in a string"},
            {"x = 1\ry = 2\n",
             "'test.conf' line 1: unexpected byte 0x0d: expected the end of the line"},
            {"x = [[[[[[[[[1]]]]]]]]]\n", "'test.conf' line 1: arrays nested more than 8 deep"},
            {"[[registry]\n", "'test.conf' line 1: expected ']]' to close the table header"},
            {"[registry\n", "'test.conf' line 1: expected ']' to close the table header"},
            {"[]\n", "'test.conf' line 1: unexpected ']': expected a key"},
            {"[a] b = 1\n", "'test.conf' line 1: unexpected 'b': expected the end of the line"},
            {"\xff = 1\n", "'test.conf' line 1: unexpected byte 0xff: expected a key"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_conf_error(cases[i].text, cases[i].msg);
}

TEST(conf_nul_byte)
{
    static const char text[] = "a = 1\nb = \"x\0y\"\n";
    cleanup_error struct ctr_error *err = NULL;
    cleanup_with(image_registries_conf_freep) struct image_registries_conf *c = NULL;

    ASSERT_FAILS(image_registries_conf_parse(text, sizeof(text) - 1, "test.conf", &c, &err), &err);
    ASSERT_STR_EQ(err->msg, "'test.conf' line 2: NUL byte");
}

TEST(conf_name_is_quoted_safely)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_with(image_registries_conf_freep) struct image_registries_conf *c = NULL;

    ASSERT_FAILS(image_registries_conf_parse("x", 1, "/tmp/\x1b]0;x", &c, &err), &err);
    ASSERT_STR_EQ(err->msg, "'/tmp/?]0;x' line 1: unexpected end of line after a key: "
                            "expected '='");
}

/* A private directory under /tmp, removed with its files by the caller. */
static char *make_tmpdir(void)
{
    char *dir = xstrdup("/tmp/ctr-test-ref-XXXXXX");

    if (mkdtemp(dir) == NULL)
        UNIT_FAIL("mkdtemp failed");
    return dir;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "we");

    ASSERT_TRUE(f != NULL);
    ASSERT_TRUE(fputs(text, f) >= 0);
    ASSERT_INT_EQ(fclose(f), 0);
}

TEST(conf_path_from_environment)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *a = NULL;
    cleanup_free char *b = NULL;
    cleanup_free char *c = NULL;

    setenv("XDG_CONFIG_HOME", "/xdg", 1);
    setenv("HOME", "/home/u", 1);
    a = image_registries_conf_path(&err);
    ASSERT_OK(a, &err);
    ASSERT_STR_EQ(a, "/xdg/ctr/registries.conf");
    /* A relative XDG_CONFIG_HOME is invalid by the XDG spec and ignored. */
    setenv("XDG_CONFIG_HOME", "relative", 1);
    b = image_registries_conf_path(&err);
    ASSERT_OK(b, &err);
    ASSERT_STR_EQ(b, "/home/u/.config/ctr/registries.conf");
    unsetenv("XDG_CONFIG_HOME");
    c = image_registries_conf_path(&err);
    ASSERT_OK(c, &err);
    ASSERT_STR_EQ(c, "/home/u/.config/ctr/registries.conf");
}

TEST(conf_load)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *dir = make_tmpdir();
    cleanup_free char *ctr_dir = xasprintf("%s/ctr", dir);
    cleanup_free char *path = xasprintf("%s/registries.conf", ctr_dir);
    cleanup_free char *missing = xasprintf("%s/missing.conf", dir);
    struct image_registries_conf *c = NULL;

    /* No file at the default place: the defaults. */
    setenv("XDG_CONFIG_HOME", dir, 1);
    ASSERT_OK(image_registries_conf_load(NULL, &c, &err), &err);
    expect_search(c, (const char *const[]){"docker.io", NULL});
    image_registries_conf_free(steal_pointer(&c));

    ASSERT_INT_EQ(mkdir(ctr_dir, 0700), 0);
    write_file(path, "unqualified-search-registries = [\"quay.io\"]\n"
                     "[[registry]]\nlocation = \"localhost:5000\"\ninsecure = true\n");
    ASSERT_OK(image_registries_conf_load(NULL, &c, &err), &err);
    expect_search(c, (const char *const[]){"quay.io", NULL});
    ASSERT_INT_EQ(image_registries_conf_insecure(c, "localhost:5000"), 1);
    image_registries_conf_free(steal_pointer(&c));

    ASSERT_OK(image_registries_conf_load(path, &c, &err), &err);
    expect_search(c, (const char *const[]){"quay.io", NULL});
    image_registries_conf_free(steal_pointer(&c));

    /* A file the caller named must exist. */
    ASSERT_FAILS(image_registries_conf_load(missing, &c, &err), &err);
    ASSERT_INT_EQ(err->code, ENOENT);
    ASSERT_STR_CONTAINS(err->msg, "missing.conf");
    ASSERT_TRUE(c == NULL);
    ctr_error_clear(&err);

    /* Errors name the file. */
    write_file(path, "\n[[registry]]\n");
    ASSERT_FAILS(image_registries_conf_load(NULL, &c, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "/ctr/registries.conf' line 2: [[registry]] has no location");

    unlink(path);
    rmdir(ctr_dir);
    rmdir(dir);
}
