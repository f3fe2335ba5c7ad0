/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry client against tests/fixtures/fake-registry.py, a server that misbehaves on
 * purpose (wrong bytes, redirects to another host, Bearer tokens, 503s, its own CA) and logs
 * every request it gets, so a test can check what the client sent as well as what it returned.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "image.h"
#include "registry.h"
#include "spawn.h"
#include "unit.h"
#include "xalloc.h"

#define MANIFEST \
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"}"
#define BLOB_LINE   "ctr test blob\n"
#define BLOB_REPEAT 1000

static struct {
    pid_t pid;
    int stdin_fd;
    char dir[64];
    char *log;
    char *certs;
    char addr[64];  /* 127.0.0.1:PORT, the registry */
    char other[64]; /* 127.0.0.2:PORT, another host */
} fake = {.pid = -1, .stdin_fd = -1};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void fake_stop(void)
{
    if (fake.pid > 0) {
        close(fake.stdin_fd); /* the server exits when its stdin closes */
        kill(fake.pid, SIGTERM);
        ctr_waitpid(fake.pid);
    }
    if (fake.dir[0] != '\0')
        nftw(fake.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Starts the fake registry (with TLS when `tls`), and points HOME and XDG dirs at a temp dir. */
static void fake_start(int tls)
{
    cleanup_free char *python = ctr_find_program("python3");
    cleanup_free char *script = xstrdup(CTR_FIXTURES_SRC "/fake-registry.py");
    cleanup_free char *home = NULL, *run = NULL;
    int in[2], out[2];
    char line[128] = "";
    unsigned p1, p2;
    ssize_t n;
    FILE *f;

    if (python == NULL)
        unit_skip("python3 is not installed");
    snprintf(fake.dir, sizeof(fake.dir), "/tmp/ctr-test-registry.XXXXXX");
    ASSERT_TRUE(mkdtemp(fake.dir) != NULL);
    atexit(fake_stop);
    fake.log = xasprintf("%s/log", fake.dir);
    fake.certs = xasprintf("%s/certs", fake.dir);
    ASSERT_INT_EQ(mkdir(fake.certs, 0700), 0);
    home = xasprintf("%s/home", fake.dir);
    run = xasprintf("%s/run", fake.dir);
    ASSERT_INT_EQ(mkdir(home, 0700), 0);
    ASSERT_INT_EQ(mkdir(run, 0700), 0);
    /* No credentials, certificates or registries.conf of the user running the tests. */
    setenv("HOME", home, 1);
    setenv("XDG_RUNTIME_DIR", run, 1);
    setenv("XDG_CONFIG_HOME", home, 1);
    ASSERT_INT_EQ(pipe2(in, O_CLOEXEC), 0);
    ASSERT_INT_EQ(pipe2(out, O_CLOEXEC), 0);
    fake.pid = fork();
    ASSERT_TRUE(fake.pid >= 0);
    if (fake.pid == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        execl(python, python, script, fake.log, tls ? "--tls" : NULL, fake.certs, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    fake.stdin_fd = in[1];
    f = fdopen(out[0], "r");
    ASSERT_TRUE(f != NULL);
    n = fgets(line, sizeof(line), f) ? (ssize_t)strlen(line) : -1;
    fclose(f);
    if (n <= 0 || sscanf(line, "%u %u", &p1, &p2) != 2)
        UNIT_FAIL("the fake registry did not start (it printed '%s')", line);
    snprintf(fake.addr, sizeof(fake.addr), "127.0.0.1:%u", p1);
    snprintf(fake.other, sizeof(fake.other), "127.0.0.2:%u", p2);
    ASSERT_INT_EQ(image_global_init(&(const char *){NULL}), 0);
}

static struct image_registry *client(const struct image_registry_opts *opts)
{
    cleanup_error struct ctr_error *err = NULL;
    struct image_registry_opts defaults = {.insecure = 1, .retries = 1, .timeout_s = 5};
    struct image_registry *r = NULL;

    ASSERT_OK(image_registry_new(fake.addr, opts ? opts : &defaults, &r, &err), &err);
    return r;
}

/* The server's log, which it writes before it answers. */
static char *server_log(void)
{
    cleanup_error struct ctr_error *err = NULL;
    char *data = NULL;
    size_t len;

    ASSERT_OK(ctr_read_file(fake.log, 1 << 20, &data, &len, &err), &err);
    return data;
}

static unsigned count(const char *hay, const char *needle)
{
    unsigned n = 0;

    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static char *blob_content(void)
{
    size_t n = strlen(BLOB_LINE);
    char *s = xmalloc(n * BLOB_REPEAT + 1);

    for (int i = 0; i < BLOB_REPEAT; i++)
        memcpy(s + n * (size_t)i, BLOB_LINE, n);
    s[n * BLOB_REPEAT] = '\0';
    return s;
}

static void digest_of(const char *data, size_t len, char out[IMAGE_DIGEST_MAX])
{
    cleanup_error struct ctr_error *err = NULL;

    ASSERT_OK(image_digest_buffer("sha256", data, len, out, &err), &err);
}

struct collected {
    char *data;
    size_t len;
    int fail_after; /* the sink fails once this many bytes arrived; 0: never */
};

static int collect(void *arg, const void *data, size_t len, struct ctr_error **err)
{
    struct collected *c = arg;

    c->data = xrealloc(c->data, c->len + len + 1);
    memcpy(c->data + c->len, data, len);
    c->len += len;
    c->data[c->len] = '\0';
    if (c->fail_after > 0 && c->len >= (size_t)c->fail_after)
        return ctr_error_set(err, ENOSPC, "disk full");
    return 0;
}

/* Fetches blob BLOB of `path` with `size`; returns the result, the error stays in *err. */
static int get_blob(struct image_registry *r, const char *path, int64_t size, struct collected *c,
                    struct ctr_error **err)
{
    cleanup_free char *blob = blob_content();
    char digest[IMAGE_DIGEST_MAX];

    digest_of(blob, strlen(blob), digest);
    return image_registry_get_blob(r, path, digest, size, collect, c, err);
}

static int get_manifest(struct image_registry *r, const char *path, const char *ref, size_t max,
                        char **ret_body, char **ret_type, struct ctr_error **err)
{
    static const char *const accept[] = {"application/vnd.oci.image.manifest.v1+json",
                                         "application/vnd.oci.image.index.v1+json", NULL};
    char digest[IMAGE_DIGEST_MAX];
    size_t len;

    return image_registry_get_manifest(r, path, ref, accept, max, ret_body, &len, ret_type, digest,
                                       err);
}

TEST(anonymous_bearer_token_flow)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *log = NULL;
    struct image_registry *r;

    fake_start(0);
    r = client(NULL);
    ASSERT_OK(image_registry_ping(r, &err), &err);
    image_registry_free(r);
    log = server_log();
    /* Anonymous first, the 401's realm for a token, then the token. */
    ASSERT_STR_CONTAINS(log, "127.0.0.1 cert=0 /v2/ auth=- accept=*/*\n"
                             "127.0.0.1 cert=0 /token?service=fake auth=- accept=*/*\n"
                             "127.0.0.1 cert=0 /v2/ auth=Bearer_anon.0 accept=*/*\n");
}

TEST(manifest_body_type_digest_and_accept)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *log = NULL, *body = NULL, *type = NULL, *body2 = NULL;
    static const char *const accept[] = {"application/vnd.oci.image.manifest.v1+json",
                                         "application/vnd.oci.image.index.v1+json", NULL};
    char digest[IMAGE_DIGEST_MAX], expected[IMAGE_DIGEST_MAX], by_digest[IMAGE_DIGEST_MAX];
    struct image_registry *r;
    size_t len;

    fake_start(0);
    r = client(NULL);
    ASSERT_OK(image_registry_get_manifest(r, "test/app", "latest", accept, 4096, &body, &len, &type,
                                          digest, &err),
              &err);
    ASSERT_STR_EQ(body, MANIFEST);
    ASSERT_UINT_EQ(len, strlen(MANIFEST));
    ASSERT_STR_EQ(type, "application/vnd.oci.image.manifest.v1+json");
    digest_of(MANIFEST, strlen(MANIFEST), expected);
    ASSERT_STR_EQ(digest, expected);
    /* By digest, verified; the token of the scope is reused: one token request in all. */
    ASSERT_OK(image_registry_get_manifest(r, "test/app", expected, accept, 4096, &body2, &len, NULL,
                                          by_digest, &err),
              &err);
    ASSERT_STR_EQ(by_digest, expected);
    image_registry_free(r);
    log = server_log();
    ASSERT_STR_CONTAINS(log, "/v2/test/app/manifests/latest auth=Bearer_anon.0 accept="
                             "application/vnd.oci.image.manifest.v1+json, "
                             "application/vnd.oci.image.index.v1+json\n");
    ASSERT_UINT_EQ(count(log, "/token?"), 1);
    ASSERT_STR_CONTAINS(log, "/token?service=fake&scope=repository%3atest%2fapp%3apull");
}

TEST(manifest_digest_mismatch)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *body = NULL, *expected_msg = NULL;
    char other[IMAGE_DIGEST_MAX], got[IMAGE_DIGEST_MAX];
    struct image_registry *r;

    fake_start(0);
    r = client(NULL);
    digest_of("other", 5, other);
    digest_of(MANIFEST, strlen(MANIFEST), got);
    ASSERT_FAILS(get_manifest(r, "test/app", other, 4096, &body, NULL, &err), &err);
    expected_msg = xasprintf("manifest '%s' of 'test/app': the registry sent different content "
                             "(digest mismatch: expected %s, got %s)",
                             other, other, got);
    ASSERT_STR_EQ(err->msg, expected_msg);
    ASSERT_INT_EQ(err->code, EBADMSG);
    image_registry_free(r);
}

TEST(manifest_unknown_and_too_big)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *body = NULL, *expected_msg = NULL;
    struct image_registry *r;

    fake_start(0);
    r = client(NULL);
    ASSERT_FAILS(get_manifest(r, "test/app", "nope", 4096, &body, NULL, &err), &err);
    expected_msg = xasprintf("manifest 'nope' of 'test/app': MANIFEST_UNKNOWN: manifest unknown "
                             "(HTTP 404 from 'http://%s/v2/test/app/manifests/nope')",
                             fake.addr);
    ASSERT_STR_EQ(err->msg, expected_msg);
    ASSERT_INT_EQ(err->code, ENOENT);
    ctr_error_clear(&err);
    ASSERT_FAILS(get_manifest(r, "test/app", "big", 65536, &body, NULL, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "manifest 'big' of 'test/app': GET ");
    ASSERT_STR_CONTAINS(err->msg, "the response is larger than 65536 bytes");
    ASSERT_INT_EQ(err->code, EFBIG);
    image_registry_free(r);
}

TEST(credentials_for_the_token)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *log = NULL, *body = NULL, *expected_msg = NULL;
    struct image_registry_opts opts = {.insecure = 1, .retries = 1, .username = "alice"};
    struct image_registry *r;

    fake_start(0);
    /* Anonymous: the private repository is refused, and the message says how to log in. */
    r = client(NULL);
    ASSERT_FAILS(get_manifest(r, "private/app", "latest", 4096, &body, NULL, &err), &err);
    expected_msg = xasprintf("manifest 'latest' of 'private/app': authentication required for "
                             "'%s': run 'ctr login %s'",
                             fake.addr, fake.addr);
    ASSERT_STR_EQ(err->msg, expected_msg);
    ASSERT_INT_EQ(err->code, EACCES);
    image_registry_free(r);
    ctr_error_clear(&err);

    opts.password = "wrong";
    r = client(&opts);
    ASSERT_FAILS(image_registry_ping(r, &err), &err);
    free(expected_msg);
    expected_msg =
            xasprintf("authentication to '%s' failed: the credentials were refused", fake.addr);
    ASSERT_STR_EQ(err->msg, expected_msg);
    image_registry_free(r);
    ctr_error_clear(&err);

    opts.password = "secret";
    r = client(&opts);
    ASSERT_OK(get_manifest(r, "private/app", "latest", 4096, &body, NULL, &err), &err);
    ASSERT_STR_EQ(body, MANIFEST);
    image_registry_free(r);
    log = server_log();
    ASSERT_STR_CONTAINS(log, "scope=repository%3aprivate%2fapp%3apull auth=Basic_YWxpY2U6c2VjcmV0");
    ASSERT_STR_CONTAINS(log, "/v2/private/app/manifests/latest auth=Bearer_alice.");
}

TEST(credentials_from_the_auth_file)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *body = NULL;
    struct image_registry *r;

    fake_start(0);
    ASSERT_OK(image_creds_store(NULL, fake.addr, "alice", "secret", &err), &err);
    r = client(NULL);
    ASSERT_OK(get_manifest(r, "private/app", "latest", 4096, &body, NULL, &err), &err);
    image_registry_free(r);
}

TEST(blob_streams_and_verifies)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *blob = blob_content();
    struct collected c = {NULL, 0, 0};
    struct image_registry *r;

    fake_start(0);
    r = client(NULL);
    ASSERT_OK(get_blob(r, "test/app", (int64_t)strlen(blob), &c, &err), &err);
    ASSERT_UINT_EQ(c.len, strlen(blob));
    ASSERT_TRUE(memcmp(c.data, blob, c.len) == 0);
    free(c.data);
    /* Unknown size (-1) is fine too. */
    c = (struct collected){NULL, 0, 0};
    ASSERT_OK(get_blob(r, "test/app", -1, &c, &err), &err);
    ASSERT_UINT_EQ(c.len, strlen(blob));
    free(c.data);
    image_registry_free(r);
}

TEST(blob_wrong_bytes)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *blob = blob_content(), *expected_msg = NULL;
    char digest[IMAGE_DIGEST_MAX], got[IMAGE_DIGEST_MAX];
    struct collected c = {NULL, 0, 0};
    struct image_registry *r;

    fake_start(0);
    r = client(NULL);
    digest_of(blob, strlen(blob), digest);
    blob[0] = 'C';
    digest_of(blob, strlen(blob), got);
    ASSERT_FAILS(get_blob(r, "wrong/app", (int64_t)strlen(blob), &c, &err), &err);
    expected_msg = xasprintf("blob '%s' of 'wrong/app': the registry sent different content "
                             "(digest mismatch: expected %s, got %s)",
                             digest, digest, got);
    ASSERT_STR_EQ(err->msg, expected_msg);
    ASSERT_INT_EQ(err->code, EBADMSG);
    free(c.data);
    image_registry_free(r);
}

TEST(blob_size_is_enforced)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *blob = blob_content();
    struct collected c = {NULL, 0, 0};
    struct image_registry *r;
    size_t n = strlen(blob);

    fake_start(0);
    r = client(NULL);
    /* More than the descriptor says: stopped before the extra bytes reach the sink. */
    ASSERT_FAILS(get_blob(r, "long/app", (int64_t)n, &c, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "of 'long/app': the registry sent more than the 14000 bytes "
                                  "the descriptor says");
    ASSERT_TRUE(c.len <= n);
    free(c.data);
    ctr_error_clear(&err);
    /* Fewer. */
    c = (struct collected){NULL, 0, 0};
    ASSERT_FAILS(get_blob(r, "test/app", (int64_t)n + 10, &c, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "of 'test/app': the registry sent 14000 bytes, the descriptor "
                                  "says 14010");
    free(c.data);
    image_registry_free(r);
}

TEST(sink_error_stops_without_retry)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *log = NULL;
    struct collected c = {NULL, 0, 1};
    struct image_registry *r;

    fake_start(0);
    r = client(NULL);
    ASSERT_FAILS(get_blob(r, "test/app", -1, &c, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "of 'test/app': disk full");
    ASSERT_INT_EQ(err->code, ENOSPC);
    free(c.data);
    image_registry_free(r);
    log = server_log();
    ASSERT_UINT_EQ(count(log, "/v2/test/app/blobs/sha256:"), 2); /* the 401, then the one try */
}

TEST(redirect_to_another_host_drops_authorization)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *log = NULL, *expect = NULL;
    struct collected c = {NULL, 0, 0};
    struct image_registry *r;

    fake_start(0);
    r = client(NULL);
    ASSERT_OK(get_blob(r, "redirect/away", -1, &c, &err), &err);
    ASSERT_UINT_EQ(c.len, strlen(BLOB_LINE) * BLOB_REPEAT);
    free(c.data);
    image_registry_free(r);
    log = server_log();
    ASSERT_STR_CONTAINS(log, "127.0.0.1 cert=0 /v2/redirect/away/blobs/sha256:");
    ASSERT_STR_CONTAINS(log, " auth=Bearer_anon.0 accept=*/*\n127.0.0.2 cert=0 /storage/sha256:");
    expect = xasprintf("127.0.0.2 cert=0 /storage/sha256:");
    ASSERT_STR_CONTAINS(strstr(log, expect), " auth=- accept=*/*\n");
}

TEST(redirect_on_the_same_host_keeps_authorization)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *log = NULL;
    struct collected c = {NULL, 0, 0};
    struct image_registry *r;

    fake_start(0);
    r = client(NULL);
    ASSERT_OK(get_blob(r, "redirect/same", -1, &c, &err), &err);
    free(c.data);
    image_registry_free(r);
    log = server_log();
    ASSERT_STR_CONTAINS(strstr(log, "127.0.0.1 cert=0 /storage/sha256:"),
                        "?sig=secret auth=Bearer_anon.0");
}

TEST(redirect_loop_ends)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *log = NULL;
    struct collected c = {NULL, 0, 0};
    struct image_registry *r;

    fake_start(0);
    r = client(NULL);
    ASSERT_FAILS(get_blob(r, "redirect/loop", -1, &c, &err), &err);
    ASSERT_STR_CONTAINS(err->msg,
                        "of 'redirect/loop': more than 5 redirects, the last to 'http://");
    ASSERT_INT_EQ(err->code, ELOOP);
    image_registry_free(r);
    log = server_log();
    ASSERT_UINT_EQ(count(log, "/v2/redirect/loop/blobs/"), 7); /* the 401, then 1 + 5 hops */
}

TEST(retries_5xx_then_succeeds)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *log = NULL;
    struct image_registry_opts opts = {.insecure = 1, .retries = 2};
    struct collected c = {NULL, 0, 0};
    struct image_registry *r;

    fake_start(0);
    r = client(&opts);
    ASSERT_OK(get_blob(r, "flaky/app", -1, &c, &err), &err);
    ASSERT_UINT_EQ(c.len, strlen(BLOB_LINE) * BLOB_REPEAT);
    free(c.data);
    image_registry_free(r);
    log = server_log();
    /* The 401 without a token, then 503, 503, 200. */
    ASSERT_UINT_EQ(count(log, "/v2/flaky/app/blobs/"), 4);
}

TEST(retries_exhausted_report_the_registry_error)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *log = NULL;
    struct collected c = {NULL, 0, 0};
    struct image_registry *r;

    fake_start(0);
    r = client(NULL); /* retries = 1 */
    ASSERT_FAILS(get_blob(r, "down/app", -1, &c, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "of 'down/app': UNAVAILABLE: service unavailable (HTTP 503 from "
                                  "'http://");
    image_registry_free(r);
    log = server_log();
    ASSERT_UINT_EQ(count(log, "/v2/down/app/blobs/"), 3);
}

TEST(connection_refused)
{
    cleanup_error struct ctr_error *err = NULL;
    struct image_registry_opts opts = {.insecure = 1, .retries = 1};
    struct image_registry *r = NULL;
    cleanup_free char *addr = NULL;

    fake_start(0);
    /* The other host's port on the registry's address: nothing listens there. */
    addr = xasprintf("127.0.0.1:%s", strchr(fake.other, ':') + 1);
    ASSERT_OK(image_registry_new(addr, &opts, &r, &err), &err);
    ASSERT_FAILS(image_registry_ping(r, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "GET 'http://127.0.0.1:");
    ASSERT_STR_CONTAINS(err->msg, "/v2/': Couldn't connect to server");
    ASSERT_INT_EQ(err->code, ECONNREFUSED);
    image_registry_free(r);
}

TEST(invalid_names_never_reach_a_url)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *body = NULL;
    struct collected c = {NULL, 0, 0};
    struct image_registry_opts opts = {.insecure = 1};
    struct image_registry *r = NULL;

    ASSERT_OK(image_registry_new("localhost:1", &opts, &r, &err), &err);
    ASSERT_FAILS(get_manifest(r, "../x", "latest", 10, &body, NULL, &err), &err);
    ASSERT_STR_EQ(err->msg, "invalid repository path '../x'");
    ctr_error_clear(&err);
    ASSERT_FAILS(get_manifest(r, "a/b", "latest?x=1", 10, &body, NULL, &err), &err);
    ASSERT_STR_EQ(err->msg, "invalid tag 'latest?x=1'");
    ctr_error_clear(&err);
    ASSERT_FAILS(image_registry_get_blob(r, "a/b", "sha256:../..", -1, collect, &c, &err), &err);
    image_registry_free(r);
    ctr_error_clear(&err);
    ASSERT_FAILS(image_registry_new("bad host", &opts, &r, &err), &err);
}

/* --- TLS: the registry speaks https with its own CA --- */

TEST(tls_with_cert_dir_and_client_certificate)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *log = NULL, *body = NULL;
    struct image_registry_opts opts = {.retries = 1};
    struct image_registry *r;

    fake_start(1);
    opts.cert_dir = fake.certs;
    r = client(&opts);
    ASSERT_OK(get_manifest(r, "test/app", "latest", 4096, &body, NULL, &err), &err);
    ASSERT_STR_EQ(body, MANIFEST);
    image_registry_free(r);
    log = server_log();
    ASSERT_STR_CONTAINS(log, "127.0.0.1 cert=1 /v2/test/app/manifests/latest auth=Bearer_anon.0");
}

TEST(tls_default_cert_dir)
{
    cleanup_error struct ctr_error *err = NULL;
    static const char *const parts[] = {".config", "containers", "certs.d", NULL};
    cleanup_free char *dir = NULL, *ca = NULL, *data = NULL;
    struct image_registry_opts opts = {.retries = 1};
    struct image_registry *r;
    size_t len;
    FILE *f;

    fake_start(1);
    /* Without the CA the certificate is not trusted. */
    r = client(&opts);
    ASSERT_FAILS(image_registry_ping(r, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "certificate");
    ASSERT_INT_EQ(err->code, EPROTO);
    image_registry_free(r);
    ctr_error_clear(&err);
    /* $HOME/.config/containers/certs.d/HOST/ is where it is found by default. */
    dir = xstrdup(getenv("HOME")); /* the temporary one fake_start() set */
    for (size_t i = 0; i < 4; i++) {
        char *next = xasprintf("%s/%s", dir, parts[i] ? parts[i] : fake.addr);

        free(dir);
        dir = next;
        ASSERT_INT_EQ(mkdir(dir, 0700), 0);
    }
    ca = xasprintf("%s/ca.crt", fake.certs);
    ASSERT_OK(ctr_read_file(ca, 1 << 20, &data, &len, &err), &err);
    free(ca);
    ca = xasprintf("%s/ca.crt", dir);
    f = fopen(ca, "we");
    ASSERT_TRUE(f != NULL);
    ASSERT_UINT_EQ(fwrite(data, 1, len, f), len);
    fclose(f);
    r = client(&opts);
    ASSERT_OK(image_registry_ping(r, &err), &err);
    image_registry_free(r);
}

TEST(tls_refuses_an_http_token_realm)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *body = NULL, *expected_msg = NULL;
    struct image_registry_opts opts = {.retries = 1};
    struct image_registry *r;

    fake_start(1);
    opts.cert_dir = fake.certs;
    r = client(&opts);
    ASSERT_FAILS(get_manifest(r, "httprealm/app", "latest", 4096, &body, NULL, &err), &err);
    expected_msg = xasprintf("manifest 'latest' of 'httprealm/app': '%s' sent a token realm "
                             "'http://%s/token' that is not https: refused",
                             fake.addr, fake.other);
    ASSERT_STR_EQ(err->msg, expected_msg);
    image_registry_free(r);
}

TEST(tls_refuses_a_redirect_to_http)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *log = NULL, *expected = NULL;
    struct collected c = {NULL, 0, 0};
    struct image_registry_opts opts = {.retries = 1};
    struct image_registry *r;

    fake_start(1);
    opts.cert_dir = fake.certs;
    r = client(&opts);
    ASSERT_FAILS(get_blob(r, "redirect/downgrade", -1, &c, &err), &err);
    expected =
            xasprintf("refusing a redirect from https to 'http://%s/storage/sha256:", fake.other);
    ASSERT_STR_CONTAINS(err->msg, expected);
    image_registry_free(r);
    log = server_log();
    ASSERT_TRUE(strstr(log, "127.0.0.2") == NULL);
}
