/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "quote.h"
#include "ref.h"
#include "registry.h"
#include "xalloc.h"

/*
 * auth.json as containers-auth.json(5) describes it, which is also the "auths" part of Docker's
 * ~/.docker/config.json: {"auths": {"KEY": {"auth": base64("user:password")}}}.  Everything
 * else in a file (other keys, other fields) is kept as it was when ctr rewrites it.
 */
#define AUTH_FILE_MAX (1024 * 1024)

/* Frees a secret after wiping it, so it does not linger in freed heap memory. */
static void secret_free(char *s)
{
    if (s != NULL) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}
DEFINE_CLEANUP_FUNC(char *, secret_free)
#define cleanup_secret cleanup_with(secret_freep)

static int is_abs(const char *s)
{
    return s != NULL && s[0] == '/';
}

char *image_creds_default_path(struct ctr_error **err)
{
    const char *run = getenv("XDG_RUNTIME_DIR"), *tmp = getenv("TMPDIR");

    (void)err; /* there is always a fallback; the parameter keeps the convention open */
    if (is_abs(run))
        return xasprintf("%s/containers/auth.json", run);
    /* The same per-user directory storage/ falls back to for its runtime state. */
    return xasprintf("%s/ctr-run-%u/containers/auth.json", is_abs(tmp) ? tmp : "/tmp",
                     (unsigned)geteuid());
}

/*
 * The host a key names, or NULL for a key that names a namespace ("quay.io/org"), which ctr does
 * not look up.  Docker writes URLs ("https://index.docker.io/v1/"), and its Hub has three names.
 */
static char *key_host(const char *key)
{
    const char *p = key;
    size_t n;

    if (strncmp(p, "https://", 8) == 0)
        p += 8;
    else if (strncmp(p, "http://", 7) == 0)
        p += 7;
    n = strcspn(p, "/");
    if (p == key && p[n] != '\0')
        return NULL;
    if ((n == 15 && strncmp(p, "index.docker.io", n) == 0) ||
        (n == 20 && strncmp(p, "registry-1.docker.io", n) == 0))
        return xstrdup(IMAGE_REF_DEFAULT_DOMAIN);
    return xstrndup(p, n);
}

static int key_matches(const char *key, const char *domain)
{
    cleanup_free char *host = key_host(key);

    return host != NULL && strcmp(host, domain) == 0;
}

/* The jansson adapter: the file, jansson's line:column and text.  A missing file gives NULL. */
static int load(const char *path, json_t **ret, struct ctr_error **err)
{
    cleanup_free char *data = NULL;
    json_error_t jerr;
    json_t *root, *auths;
    size_t len;

    *ret = NULL;
    if (ctr_read_file(path, AUTH_FILE_MAX, &data, &len, err) < 0) {
        if ((*err)->code != ENOENT)
            return ctr_error_wrap(err, "auth file '%s'", path);
        ctr_error_clear(err);
        return 0;
    }
    root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        cleanup_free char *text = image_quote(jerr.text);

        return ctr_error_set(err, EINVAL, "auth file '%s': invalid JSON at line %d, column %d: %s",
                             path, jerr.line, jerr.column, text);
    }
    auths = json_object_get(root, "auths");
    if (!json_is_object(root) || (auths != NULL && !json_is_object(auths))) {
        json_decref(root);
        return ctr_error_set(err, EINVAL, "auth file '%s': expected {\"auths\": {...}}", path);
    }
    *ret = root;
    return 0;
}

static char *base64_encode(const char *s)
{
    size_t n = strlen(s);
    char *out = xmalloc(4 * ((n + 2) / 3) + 1);

    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
    return out;
}

/* NULL when `s` is not base64 of text. */
static char *base64_decode(const char *s)
{
    size_t n = strlen(s), pad = 0;
    char *out;
    int len;

    if (n == 0 || n % 4 != 0 || n > AUTH_FILE_MAX)
        return NULL;
    pad = (s[n - 1] == '=') + (s[n - 2] == '=');
    out = xmalloc(n / 4 * 3 + 1);
    len = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
    /* DecodeBlock counts the padding as bytes; the real length is shorter by as many '='. */
    if (len < 0 || (size_t)len < pad || memchr(out, '\0', (size_t)len - pad) != NULL) {
        secret_free(out);
        return NULL;
    }
    out[len - pad] = '\0';
    return out;
}

/* 1 and the credentials of `domain` in the file's "auths", 0 when it has none for it. */
static int lookup_in(const char *path, const char *domain, char **ret_user, char **ret_pass,
                     struct ctr_error **err)
{
    cleanup_with(json_decrefp) json_t *root = NULL;
    cleanup_secret char *plain = NULL;
    json_t *auths, *entry, *value;
    const char *key, *b64 = NULL;
    char *colon;

    if (load(path, &root, err) < 0)
        return -1;
    auths = json_object_get(root, "auths");
    /* The exact key first, so "docker.io" wins over Docker's "https://index.docker.io/v1/". */
    entry = json_object_get(auths, domain);
    json_object_foreach(auths, key, value)
    {
        if (entry == NULL && key_matches(key, domain))
            entry = value;
    }
    b64 = json_string_value(json_object_get(entry, "auth"));
    if (b64 == NULL || *b64 == '\0')
        return 0; /* Docker leaves an empty entry when a credential helper holds the secret */
    plain = base64_decode(b64);
    if (plain == NULL || (colon = strchr(plain, ':')) == NULL)
        return ctr_error_set(err, EINVAL,
                             "auth file '%s': the \"auth\" of '%s' is not base64 of "
                             "\"user:password\"",
                             path, domain);
    *ret_user = xstrndup(plain, (size_t)(colon - plain));
    *ret_pass = xstrdup(colon + 1);
    return 1;
}

int image_creds_lookup(const char *authfile, const char *domain, char **ret_user, char **ret_pass,
                       struct ctr_error **err)
{
    const char *home = getenv("HOME"), *config = getenv("XDG_CONFIG_HOME");
    char *paths[3] = {NULL, NULL, NULL};
    int rc = 0;

    if (authfile != NULL)
        return lookup_in(authfile, domain, ret_user, ret_pass, err);
    paths[0] = image_creds_default_path(err);
    if (is_abs(config))
        paths[1] = xasprintf("%s/containers/auth.json", config);
    else if (is_abs(home))
        paths[1] = xasprintf("%s/.config/containers/auth.json", home);
    if (is_abs(home))
        paths[2] = xasprintf("%s/.docker/config.json", home);
    for (size_t i = 0; i < 3 && rc == 0; i++) {
        if (paths[i] != NULL)
            rc = lookup_in(paths[i], domain, ret_user, ret_pass, err);
    }
    for (size_t i = 0; i < 3; i++)
        free(paths[i]);
    return rc;
}

/* mkdir -p for the parents of a file the user named: created ones are the user's alone. */
static int mkdir_parents(const char *dir, struct ctr_error **err)
{
    cleanup_free char *p = xstrdup(dir);

    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;

        *s = '\0';
        if (mkdir(p, 0700) < 0 && errno != EEXIST)
            return ctr_error_errno(err, "create directory '%s'", p);
        *s = c;
        if (c == '\0')
            return 0;
    }
}

/* Writes `root` to `path` as a new file (0600) renamed over the old one, never half-written. */
static int save(const char *path, int is_default, json_t *root, struct ctr_error **err)
{
    const char *slash = strrchr(path, '/');
    cleanup_free char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
    cleanup_free char *tmp = xasprintf("%s.XXXXXX", path);
    cleanup_secret char *text = json_dumps(root, JSON_INDENT(2));
    cleanup_close int fd = -1;
    size_t len, done = 0;

    if (text == NULL)
        return ctr_error_set(err, ENOMEM, "format auth file '%s'", path);
    len = strlen(text);
    /*
     * The default file lives in a runtime dir, which may be the /tmp fallback: that dir and its
     * containers/ must both be the user's own, or someone else could swap what is in them.
     */
    if (is_default) {
        cleanup_free char *base = xstrndup(dir, (size_t)(strrchr(dir, '/') - dir));

        if (ctr_mkdir_private(base, geteuid(), err) < 0 ||
            ctr_mkdir_private(dir, geteuid(), err) < 0)
            return ctr_error_wrap(err, "auth file '%s'", path);
    } else if (dir[0] != '\0' && mkdir_parents(dir, err) < 0) {
        return ctr_error_wrap(err, "auth file '%s'", path);
    }
    fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
    if (fd < 0)
        return ctr_error_errno(err, "create '%s'", tmp);
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto fail;
        done += (size_t)n;
    }
    if (write(fd, "\n", 1) != 1 || fsync(fd) < 0 || close(steal_fd(&fd)) < 0)
        goto fail;
    if (rename(tmp, path) < 0)
        goto fail;
    return 0;
fail:
    ctr_error_errno(err, "write auth file '%s'", path);
    unlink(tmp);
    return -1;
}

/* Loads the file to change (an empty document when missing) and its "auths" object. */
static int load_for_update(const char *authfile, char **ret_path, json_t **ret_root,
                           json_t **ret_auths, struct ctr_error **err)
{
    cleanup_free char *path = authfile ? xstrdup(authfile) : image_creds_default_path(err);
    json_t *root = NULL, *auths;

    if (path == NULL || load(path, &root, err) < 0)
        return -1;
    if (root == NULL)
        root = json_object();
    auths = json_object_get(root, "auths");
    if (auths == NULL) {
        auths = json_object();
        json_object_set_new(root, "auths", auths);
    }
    *ret_path = steal_pointer(&path);
    *ret_root = root;
    *ret_auths = auths;
    return 0;
}

int image_creds_store(const char *authfile, const char *domain, const char *user, const char *pass,
                      struct ctr_error **err)
{
    cleanup_free char *path = NULL;
    cleanup_with(json_decrefp) json_t *root = NULL;
    cleanup_secret char *plain = NULL;
    cleanup_secret char *b64 = NULL;
    json_t *auths;

    /* Basic authentication splits at the first ':', so a name with one cannot work. */
    if (strchr(user, ':') != NULL || *user == '\0')
        return ctr_error_set(err, EINVAL, "invalid user name '%s': it is empty or has a ':'", user);
    if (load_for_update(authfile, &path, &root, &auths, err) < 0)
        return -1;
    plain = xasprintf("%s:%s", user, pass);
    b64 = base64_encode(plain);
    json_object_set_new(auths, domain, json_pack("{s:s}", "auth", b64));
    return save(path, authfile == NULL, root, err);
}

/* Removes the entries for `domain` (every key that names it), or all when `domain` is NULL. */
static int remove_entries(const char *authfile, const char *domain, struct ctr_error **err)
{
    cleanup_free char *path = NULL;
    cleanup_with(json_decrefp) json_t *root = NULL;
    json_t *auths, *value;
    const char *key;
    void *tmp;
    int removed = 0;

    if (load_for_update(authfile, &path, &root, &auths, err) < 0)
        return -1;
    json_object_foreach_safe(auths, tmp, key, value)
    {
        if (domain == NULL || strcmp(key, domain) == 0 || key_matches(key, domain)) {
            json_object_del(auths, key);
            removed++;
        }
    }
    if (removed > 0 && save(path, authfile == NULL, root, err) < 0)
        return -1;
    return removed;
}

int image_creds_remove(const char *authfile, const char *domain, struct ctr_error **err)
{
    int n = remove_entries(authfile, domain, err);

    return n < 0 ? -1 : n > 0;
}

int image_creds_remove_all(const char *authfile, struct ctr_error **err)
{
    return remove_entries(authfile, NULL, err);
}
