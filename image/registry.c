/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "auth.h"
#include "cleanup.h"
#include "fsutil.h"
#include "log.h"
#include "quote.h"
#include "ref.h"
#include "registry.h"
#include "xalloc.h"

DEFINE_CLEANUP_FUNC(struct curl_slist *, curl_slist_free_all)
DEFINE_CLEANUP_FUNC(CURLU *, curl_url_cleanup)
DEFINE_CLEANUP_FUNC(struct image_hasher *, image_hasher_free)

#define BODY_MAX       (64 * 1024) /* error bodies and token responses */
#define HEADER_MAX     8192        /* one header value we keep */
#define CERT_FILE_MAX  (4 * 1024 * 1024)
#define MAX_REDIRECTS  5
#define POOL_MAX       8
#define BACKOFF_MAX_MS 8000

struct token {
    char *scope; /* "" for the scope-less token of a ping */
    char *value;
};

struct image_registry {
    char *domain; /* as references name it: "docker.io", "localhost:5000" */
    char *origin; /* where the API lives: "https://registry-1.docker.io" */
    int insecure; /* plain http:// (chosen directly, never as a fallback) and no TLS checks */
    char *user;   /* NULL: anonymous */
    char *pass;
    char *ca_pem; /* the cert dir's *.crt plus the system bundle, or NULL */
    size_t ca_len;
    char *cert; /* client certificate and key files, or NULL */
    char *key;
    unsigned retries;
    long timeout_s;

    pthread_mutex_t lock; /* guards what follows */
    struct token *tokens;
    size_t n_tokens;
    int use_basic; /* the registry asked for Basic once: send it up front from now on */
    CURL *pool[POOL_MAX];
    size_t n_pool;
};

/* The state of one HTTP exchange: what the callbacks collect. */
struct transfer {
    CURL *curl;
    long status;
    char *www_auth; /* several WWW-Authenticate headers, joined by ", " as RFC 7230 allows */
    char *location;
    char *content_type;
    char *body; /* NUL-terminated; a 200 body beyond `max` fails, other bodies are cut */
    size_t len, max;
    int too_big;
    /* A blob: a 200 body goes through the hasher to the sink instead of `body`. */
    image_blob_sink sink;
    void *arg;
    struct image_hasher *hasher;
    int64_t size;
    uint64_t received;
    struct ctr_error *cb_err; /* from the sink, or the size check */
    int transient;            /* the failure may go away when tried again */
    int at_registry;          /* the last hop went to the registry's own origin */
};

/* What one API call asks for. */
struct request {
    char *path; /* "/v2/..." under the origin */
    const char *scope;
    const char *accept; /* Accept header value, or NULL */
};

static void transfer_reset(struct transfer *t)
{
    free(t->www_auth);
    free(t->location);
    free(t->content_type);
    free(t->body);
    t->www_auth = t->location = t->content_type = t->body = NULL;
    t->status = 0;
    t->len = 0;
    t->too_big = 0;
    t->transient = 0;
    ctr_error_clear(&t->cb_err);
}

/* The curl adapter: curl's name for the code, then the detail it wrote into ERRORBUFFER. */
static int curl_error(struct ctr_error **err, CURLcode rc, const char *errbuf, const char *url)
{
    /* errno codes a caller can act on: connection refused, timed out, TLS trouble. */
    static const struct {
        CURLcode rc;
        int code;
    } codes[] = {
            {CURLE_COULDNT_CONNECT, ECONNREFUSED},      {CURLE_OPERATION_TIMEDOUT, ETIMEDOUT},
            {CURLE_COULDNT_RESOLVE_HOST, EHOSTUNREACH}, {CURLE_PEER_FAILED_VERIFICATION, EPROTO},
            {CURLE_SSL_CONNECT_ERROR, EPROTO},          {CURLE_SSL_CERTPROBLEM, EPROTO},
            {CURLE_UNSUPPORTED_PROTOCOL, EPROTO},
    };
    int code = EIO;

    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        if (codes[i].rc == rc)
            code = codes[i].code;
    }
    if (errbuf[0] == '\0' || strcmp(errbuf, curl_easy_strerror(rc)) == 0)
        return ctr_error_set(err, code, "GET '%s': %s", url, curl_easy_strerror(rc));
    return ctr_error_set(err, code, "GET '%s': %s: %s", url, curl_easy_strerror(rc), errbuf);
}

/* A URL fit for a message: no query (signed storage URLs carry credentials there), quoted. */
static char *display_url(const char *url)
{
    cleanup_free char *bare = xstrndup(url, strcspn(url, "?#"));

    return image_quote_max(bare, 200);
}

static int is_transient(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

static void append_header(char **slot, const char *value, size_t len, const char *sep)
{
    size_t old = *slot ? strlen(*slot) : 0;

    if (old + strlen(sep) + len > HEADER_MAX)
        return; /* a header this long is not one we need: the parsers refuse it whole */
    if (*slot == NULL) {
        *slot = xstrndup(value, len);
        return;
    }
    *slot = xrealloc(*slot, old + strlen(sep) + len + 1);
    memcpy(*slot + old, sep, strlen(sep));
    memcpy(*slot + old + strlen(sep), value, len);
    (*slot)[old + strlen(sep) + len] = '\0';
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    struct transfer *t = arg;
    size_t len = size * n, name_len;
    const char *value, *end = data + len;

    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        transfer_reset(t); /* a new response (after "100 Continue"): forget the last one */
        return len;
    }
    value = memchr(data, ':', len);
    if (value == NULL)
        return len;
    name_len = (size_t)(value - data);
    for (value++; value < end && (*value == ' ' || *value == '\t'); value++)
        ;
    while (end > value && isspace((unsigned char)end[-1]))
        end--;
#define IS(name) (name_len == strlen(name) && strncasecmp(data, name, name_len) == 0)
    if (IS("www-authenticate"))
        append_header(&t->www_auth, value, (size_t)(end - value), ", ");
    else if (IS("location") && t->location == NULL)
        append_header(&t->location, value, (size_t)(end - value), "");
    else if (IS("content-type") && t->content_type == NULL)
        append_header(&t->content_type, value, (size_t)(end - value), "");
#undef IS
    return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct transfer *t = arg;
    size_t len = size * n;

    if (t->status == 0)
        curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->status);
    if (t->status == 200 && t->sink != NULL) {
        if (t->size >= 0 && t->received + len > (uint64_t)t->size) {
            ctr_error_set(&t->cb_err, EBADMSG,
                          "the registry sent more than the %" PRId64 " bytes the descriptor says",
                          t->size);
            return 0;
        }
        image_hasher_update(t->hasher, data, len);
        t->received += len;
        return t->sink(t->arg, data, len, &t->cb_err) < 0 ? 0 : len;
    }
    if (t->len + len > t->max) {
        if (t->status == 200) {
            t->too_big = 1;
            return 0;
        }
        len = t->max - t->len; /* an error body: its start says enough */
    }
    t->body = xrealloc(t->body, t->len + len + 1);
    memcpy(t->body + t->len, data, len);
    t->len += len;
    t->body[t->len] = '\0';
    return size * n;
}

static CURL *handle_get(struct image_registry *r)
{
    CURL *curl = NULL;

    pthread_mutex_lock(&r->lock);
    if (r->n_pool > 0)
        curl = r->pool[--r->n_pool];
    pthread_mutex_unlock(&r->lock);
    if (curl == NULL && (curl = curl_easy_init()) == NULL)
        abort(); /* out of memory, as the x* allocators treat it */
    return curl;
}

static void handle_put(struct image_registry *r, CURL *curl)
{
    /*
     * Options go (an idle handle must not point at the finished call's stack: its error buffer,
     * its callbacks' data), the connection cache stays for the next request.
     */
    curl_easy_reset(curl);
    pthread_mutex_lock(&r->lock);
    if (r->n_pool < POOL_MAX) {
        r->pool[r->n_pool++] = curl;
        curl = NULL;
    }
    pthread_mutex_unlock(&r->lock);
    if (curl != NULL)
        curl_easy_cleanup(curl);
}

/*
 * One GET of `url`, nothing followed.  `own` says the URL is on the registry's origin: only then
 * do the client certificate and Basic credentials go with it (the caller puts a Bearer token in
 * `headers` under the same rule).
 */
static int perform(struct image_registry *r, const char *url, struct curl_slist *headers, int own,
                   int basic, struct transfer *t, struct ctr_error **err)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    const char *protocols = r->insecure ? "http,https" : "https";
    cleanup_free char *shown = NULL;
    CURLcode rc;
    CURL *curl = handle_get(r);

    transfer_reset(t);
    t->curl = curl;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for DNS timeouts */
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, protocols);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "ctr/" CTR_VERSION);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, r->timeout_s);
    /* A stalled transfer (under 1 byte/s for timeout_s) fails instead of hanging a pull. */
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, r->timeout_s);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, t);
    if (r->insecure) {
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (r->ca_pem != NULL) {
        struct curl_blob blob = {r->ca_pem, r->ca_len, CURL_BLOB_NOCOPY};

        curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (own && r->cert != NULL) {
        curl_easy_setopt(curl, CURLOPT_SSLCERT, r->cert);
        curl_easy_setopt(curl, CURLOPT_SSLKEY, r->key);
    }
    if (basic && r->user != NULL) {
        curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(curl, CURLOPT_USERNAME, r->user);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, r->pass);
    }
    rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &t->status);
    t->curl = NULL;
    handle_put(r, curl);
    if (rc == CURLE_OK)
        return 0;
    if (t->cb_err != NULL) {
        *err = steal_pointer(&t->cb_err);
        return -1;
    }
    shown = display_url(url);
    if (t->too_big)
        return ctr_error_set(err, EFBIG, "GET '%s': the response is larger than %zu bytes", shown,
                             t->max);
    t->transient = is_transient(rc);
    return curl_error(err, rc, errbuf, shown);
}

/* Waits before another try, and says whether one is left: 0.5 s, 1 s, 2 s... */
static int retry_after_wait(const struct image_registry *r, unsigned *attempt)
{
    long ms = 500L << (*attempt < 4 ? *attempt : 4);
    struct timespec ts;

    if (*attempt >= r->retries)
        return 0;
    (*attempt)++;
    if (ms > BACKOFF_MAX_MS)
        ms = BACKOFF_MAX_MS;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
    return 1;
}

static int should_retry(const struct image_registry *r, int failed, struct transfer *t,
                        unsigned *attempt, struct ctr_error **err)
{
    /* Once bytes reached a sink they cannot be taken back: the caller starts over. */
    if (t->received > 0)
        return 0;
    if (failed && !t->transient)
        return 0;
    if (!failed && t->status != 429 && t->status < 500)
        return 0;
    if (!retry_after_wait(r, attempt))
        return 0;
    if (failed) {
        log_debug("%s, trying again (%u of %u)", (*err)->msg, *attempt, r->retries);
        ctr_error_clear(err);
    } else {
        log_debug("HTTP %ld, trying again (%u of %u)", t->status, *attempt, r->retries);
    }
    return 1;
}

/* The registry's own words from an error body ({"errors": [{"code", "message"}]}), else HTTP. */
static int http_error(struct ctr_error **err, const struct transfer *t, const char *url)
{
    cleanup_with(json_decrefp) json_t *root = NULL;
    cleanup_free char *shown = display_url(url);
    json_t *first;
    const char *code = NULL, *message = NULL;
    int e = t->status == 404                       ? ENOENT
            : t->status == 401 || t->status == 403 ? EACCES
            : t->status == 429                     ? EAGAIN
                                                   : EIO;

    if (t->body != NULL)
        root = json_loadb(t->body, t->len, 0, NULL);
    first = json_array_get(json_object_get(root, "errors"), 0);
    code = json_string_value(json_object_get(first, "code"));
    message = json_string_value(json_object_get(first, "message"));
    if (code != NULL) {
        cleanup_free char *c = image_quote(code);
        cleanup_free char *m = image_quote_max(message ? message : "", 200);

        return ctr_error_set(err, e, "%s: %s (HTTP %ld from '%s')", c, m, t->status, shown);
    }
    return ctr_error_set(err, e, "HTTP %ld from '%s'", t->status, shown);
}

static int same_origin(const struct image_registry *r, const char *url)
{
    size_t n = strlen(r->origin);

    /* The origin has no path, so a match must end right there (not "host:50001"). */
    return strncasecmp(url, r->origin, n) == 0 && (url[n] == '/' || url[n] == '\0');
}

/* The absolute URL a Location header points to, refused when it leaves https for http. */
static char *resolve_redirect(const char *from, const char *location, struct ctr_error **err)
{
    cleanup_with(curl_url_cleanupp) CURLU *u = curl_url();
    cleanup_free char *shown = image_quote_max(location ? location : "", 200);
    char *to = NULL;

    if (u == NULL)
        abort();
    if (location == NULL || curl_url_set(u, CURLUPART_URL, from, 0) != CURLUE_OK ||
        curl_url_set(u, CURLUPART_URL, location, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_URL, &to, 0) != CURLUE_OK) {
        ctr_error_set(err, EPROTO, "redirect to an invalid location '%s'", shown);
        return NULL;
    }
    if (strncasecmp(from, "https:", 6) == 0 && strncasecmp(to, "https:", 6) != 0) {
        curl_free(to);
        ctr_error_set(err, EPROTO, "refusing a redirect from https to '%s'", shown);
        return NULL;
    }
    {
        char *copy = xstrdup(to);

        curl_free(to);
        return copy;
    }
}

static int is_redirect(long status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* One request, its redirects followed by hand (MAX_REDIRECTS hops). */
static int follow(struct image_registry *r, const struct request *req, const char *bearer,
                  struct transfer *t, struct ctr_error **err)
{
    cleanup_free char *url = xasprintf("%s%s", r->origin, req->path);
    int basic;

    pthread_mutex_lock(&r->lock);
    basic = r->use_basic;
    pthread_mutex_unlock(&r->lock);
    for (int hop = 0;; hop++) {
        cleanup_with(curl_slist_free_allp) struct curl_slist *headers = NULL;
        cleanup_free char *auth = NULL;
        char *next;

        t->at_registry = same_origin(r, url);
        if (req->accept != NULL) {
            cleanup_free char *accept = xasprintf("Accept: %s", req->accept);

            headers = curl_slist_append(headers, accept);
        }
        if (t->at_registry && bearer != NULL) {
            auth = xasprintf("Authorization: Bearer %s", bearer);
            headers = curl_slist_append(headers, auth);
        }
        if (perform(r, url, headers, t->at_registry, t->at_registry && basic && !bearer, t, err) <
            0)
            return -1;
        if (!is_redirect(t->status))
            return 0;
        if (hop == MAX_REDIRECTS) {
            cleanup_free char *shown = display_url(url);

            return ctr_error_set(err, ELOOP, "more than %d redirects, the last to '%s'",
                                 MAX_REDIRECTS, shown);
        }
        if ((next = resolve_redirect(url, t->location, err)) == NULL)
            return -1;
        free(url);
        url = next;
    }
}

static char *token_lookup(struct image_registry *r, const char *scope)
{
    char *value = NULL;

    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->n_tokens; i++) {
        if (strcmp(r->tokens[i].scope, scope) == 0)
            value = xstrdup(r->tokens[i].value);
    }
    pthread_mutex_unlock(&r->lock);
    return value;
}

static void token_store(struct image_registry *r, const char *scope, const char *value)
{
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->n_tokens; i++) {
        if (strcmp(r->tokens[i].scope, scope) == 0) {
            free(r->tokens[i].value);
            r->tokens[i].value = xstrdup(value);
            pthread_mutex_unlock(&r->lock);
            return;
        }
    }
    r->tokens = xreallocarray(r->tokens, r->n_tokens + 1, sizeof(*r->tokens));
    r->tokens[r->n_tokens].scope = xstrdup(scope);
    r->tokens[r->n_tokens++].value = xstrdup(value);
    pthread_mutex_unlock(&r->lock);
}

static int auth_refused(const struct image_registry *r, struct ctr_error **err)
{
    if (r->user == NULL)
        return ctr_error_set(err, EACCES, "authentication required for '%s': run 'ctr login %s'",
                             r->domain, r->domain);
    return ctr_error_set(err, EACCES, "authentication to '%s' failed: the credentials were refused",
                         r->domain);
}

/* A token goes into a header line: nothing but visible ASCII may reach it. */
static int valid_token(const char *s)
{
    if (s == NULL || *s == '\0' || strlen(s) > HEADER_MAX)
        return 0;
    for (; *s != '\0'; s++) {
        if (*s <= 0x20 || *s >= 0x7f)
            return 0;
    }
    return 1;
}

/*
 * The Docker token flow: GET realm?service=...&scope=... (with the user's Basic credentials
 * when there are any) answers {"token": ...} or {"access_token": ...}.
 */
static char *fetch_token(struct image_registry *r, const struct image_auth_challenge *c,
                         const char *scope, struct ctr_error **err)
{
    cleanup_with(curl_url_cleanupp) CURLU *u = curl_url();
    cleanup_with(json_decrefp) json_t *root = NULL;
    struct transfer t = {.max = BODY_MAX, .size = -1};
    const char *realm = image_auth_param(c, "realm"), *service = image_auth_param(c, "service");
    const char *value;
    cleanup_free char *url = NULL;
    char *tmp = NULL;
    unsigned attempt = 0;
    int rc;

    if (u == NULL)
        abort();
    if (realm == NULL || curl_url_set(u, CURLUPART_URL, realm, 0) != CURLUE_OK) {
        cleanup_free char *shown = image_quote(realm ? realm : "");

        ctr_error_set(err, EPROTO, "'%s' sent an invalid token realm '%s'", r->domain, shown);
        return NULL;
    }
    /* A token (and the password sent for it) must not travel in clear from an https registry. */
    if (!r->insecure && strncasecmp(realm, "https://", 8) != 0) {
        cleanup_free char *shown = image_quote(realm);

        ctr_error_set(err, EPROTO, "'%s' sent a token realm '%s' that is not https: refused",
                      r->domain, shown);
        return NULL;
    }
    if (service != NULL) {
        cleanup_free char *q = xasprintf("service=%s", service);

        curl_url_set(u, CURLUPART_QUERY, q, CURLU_APPENDQUERY | CURLU_URLENCODE);
    }
    if (*scope != '\0') {
        cleanup_free char *q = xasprintf("scope=%s", scope);

        curl_url_set(u, CURLUPART_QUERY, q, CURLU_APPENDQUERY | CURLU_URLENCODE);
    }
    if (curl_url_get(u, CURLUPART_URL, &tmp, 0) != CURLUE_OK)
        abort();
    url = xstrdup(tmp);
    curl_free(tmp);
    do {
        rc = perform(r, url, NULL, 0, 1, &t, err);
    } while (should_retry(r, rc < 0, &t, &attempt, err));
    if (rc < 0)
        goto fail;
    if (t.status == 401 || t.status == 403) {
        auth_refused(r, err);
        goto fail;
    }
    if (t.status != 200) {
        http_error(err, &t, url);
        goto fail;
    }
    root = json_loadb(t.body ? t.body : "", t.len, 0, NULL);
    value = json_string_value(json_object_get(root, "token"));
    if (value == NULL || *value == '\0')
        value = json_string_value(json_object_get(root, "access_token"));
    if (!valid_token(value)) {
        cleanup_free char *shown = display_url(url);

        ctr_error_set(err, EPROTO, "the token server '%s' sent no usable token", shown);
        goto fail;
    }
    transfer_reset(&t);
    return xstrdup(value);

fail:
    transfer_reset(&t);
    return NULL;
}

/* Answers a 401: a Bearer token for `scope` (returned), or Basic from now on (NULL). */
static int authenticate(struct image_registry *r, const char *scope, const char *header,
                        char **ret_bearer, struct ctr_error **err)
{
    struct image_auth_challenges c = {NULL, 0};
    const struct image_auth_challenge *ch;
    char *token;
    int rc = -1;

    if (header == NULL) {
        ctr_error_set(err, EPROTO, "'%s' answered 401 without a WWW-Authenticate challenge",
                      r->domain);
        goto out;
    }
    if (image_auth_parse(header, &c, err) < 0) {
        ctr_error_wrap(err, "'%s' sent an invalid WWW-Authenticate header", r->domain);
        goto out;
    }
    if ((ch = image_auth_find(&c, "bearer")) != NULL) {
        if ((token = fetch_token(r, ch, scope, err)) == NULL)
            goto out;
        token_store(r, scope, token);
        free(*ret_bearer);
        *ret_bearer = token;
        rc = 0;
    } else if (image_auth_find(&c, "basic") != NULL) {
        if (r->user == NULL) {
            auth_refused(r, err);
            goto out;
        }
        pthread_mutex_lock(&r->lock);
        r->use_basic = 1;
        pthread_mutex_unlock(&r->lock);
        free(*ret_bearer);
        *ret_bearer = NULL;
        rc = 0;
    } else {
        cleanup_free char *scheme = image_quote(c.n > 0 ? c.items[0].scheme : "");

        ctr_error_set(err, ENOTSUP, "'%s' asks for authentication scheme '%s', which ctr lacks",
                      r->domain, scheme);
    }
out:
    image_auth_challenges_clear(&c);
    return rc;
}

/*
 * A request with everything around it: a cached token first, one authentication on a 401,
 * retries for transient failures.  On success `t` holds the final response, whatever its
 * status (the caller judges it); a 401 that survives authentication is an error here.
 */
static int fetch(struct image_registry *r, const struct request *req, struct transfer *t,
                 struct ctr_error **err)
{
    cleanup_free char *bearer = token_lookup(r, req->scope);
    int authenticated = 0, rc;
    unsigned attempt = 0;

    for (;;) {
        rc = follow(r, req, bearer, t, err);
        if (should_retry(r, rc < 0, t, &attempt, err))
            continue;
        if (rc < 0)
            return -1;
        if (t->status != 401 || !t->at_registry)
            return 0;
        /* A cached token may have expired: one fresh authentication, then a 401 is final. */
        if (authenticated)
            return auth_refused(r, err);
        if (authenticate(r, req->scope, t->www_auth, &bearer, err) < 0)
            return -1;
        authenticated = 1;
    }
}

/* Repository paths and references go into URLs: only their grammar's characters may. */
static int check_path(const char *path, struct ctr_error **err)
{
    size_t n = strlen(path);

    if (n == 0 || n > IMAGE_REF_NAME_MAX || path[0] == '/' || path[n - 1] == '/' ||
        strspn(path, "abcdefghijklmnopqrstuvwxyz0123456789._-/") != n || strstr(path, "..")) {
        cleanup_free char *shown = image_quote(path);

        return ctr_error_set(err, EINVAL, "invalid repository path '%s'", shown);
    }
    return 0;
}

static int is_digest(const char *s)
{
    return strchr(s, ':') != NULL;
}

static int check_reference(const char *ref, struct ctr_error **err)
{
    static const char tag_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                    "0123456789_.-";
    size_t n = strlen(ref);

    if (is_digest(ref))
        return image_digest_validate(ref, err);
    if (n == 0 || n > 128 || ref[0] == '.' || ref[0] == '-' || strspn(ref, tag_chars) != n) {
        cleanup_free char *shown = image_quote(ref);

        return ctr_error_set(err, EINVAL, "invalid tag '%s'", shown);
    }
    return 0;
}

int image_registry_ping(struct image_registry *r, struct ctr_error **err)
{
    struct request req = {xstrdup("/v2/"), "", NULL};
    struct transfer t = {.max = BODY_MAX, .size = -1};
    cleanup_free char *url = xasprintf("%s/v2/", r->origin);
    int rc = fetch(r, &req, &t, err);

    if (rc == 0 && (t.status < 200 || t.status > 299)) {
        http_error(err, &t, url);
        if (t.status == 404)
            ctr_error_wrap(err, "'%s' does not offer the registry API v2", r->domain);
        rc = -1;
    }
    transfer_reset(&t);
    free(req.path);
    return rc;
}

int image_registry_get_manifest(struct image_registry *r, const char *path, const char *reference,
                                const char *const *accept, size_t max, char **ret_body,
                                size_t *ret_len, char **ret_content_type,
                                char ret_digest[IMAGE_DIGEST_MAX], struct ctr_error **err)
{
    cleanup_free char *scope = NULL, *accept_value = NULL;
    struct request req = {NULL, NULL, NULL};
    struct transfer t = {.size = -1};
    char digest[IMAGE_DIGEST_MAX], other[IMAGE_DIGEST_MAX];
    int rc = -1;

    if (check_path(path, err) < 0 || check_reference(reference, err) < 0)
        return -1;
    for (size_t i = 0; accept != NULL && accept[i] != NULL; i++) {
        char *joined =
                accept_value ? xasprintf("%s, %s", accept_value, accept[i]) : xstrdup(accept[i]);

        free(accept_value);
        accept_value = joined;
    }
    scope = xasprintf("repository:%s:pull", path);
    req = (struct request){xasprintf("/v2/%s/manifests/%s", path, reference), scope, accept_value};
    t.max = max;
    if (fetch(r, &req, &t, err) < 0)
        goto out;
    if (t.status != 200) {
        cleanup_free char *url = xasprintf("%s%s", r->origin, req.path);

        http_error(err, &t, url);
        goto out;
    }
    image_digest_buffer("sha256", t.body ? t.body : "", t.len, digest, err);
    if (is_digest(reference)) {
        cleanup_free char *alg = xstrndup(reference, strcspn(reference, ":"));

        if (image_digest_buffer(alg, t.body ? t.body : "", t.len, other, err) < 0)
            goto out;
        if (strcmp(other, reference) != 0) {
            ctr_error_set(err, EBADMSG,
                          "the registry sent different content (digest mismatch: expected %s, "
                          "got %s)",
                          reference, other);
            goto out;
        }
    }
    if (ret_content_type != NULL) {
        /* The media type alone: parameters ("; charset=utf-8") are not part of it. */
        *ret_content_type =
                t.content_type ? xstrndup(t.content_type, strcspn(t.content_type, "; \t")) : NULL;
    }
    *ret_body = t.body ? steal_pointer(&t.body) : xstrdup("");
    *ret_len = t.len;
    memcpy(ret_digest, digest, IMAGE_DIGEST_MAX);
    rc = 0;
out:
    if (rc < 0) {
        cleanup_free char *shown = image_quote(reference);

        ctr_error_wrap(err, "manifest '%s' of '%s'", shown, path);
    }
    transfer_reset(&t);
    free(req.path);
    return rc;
}

int image_registry_get_blob(struct image_registry *r, const char *path, const char *digest,
                            int64_t size, image_blob_sink sink, void *arg, struct ctr_error **err)
{
    cleanup_free char *scope = NULL;
    cleanup_with(image_hasher_freep) struct image_hasher *h = NULL;
    struct request req = {NULL, NULL, NULL};
    struct transfer t = {.max = BODY_MAX, .sink = sink, .arg = arg, .size = size};
    int rc = -1;

    if (check_path(path, err) < 0 || image_digest_validate(digest, err) < 0)
        return -1;
    if ((h = image_hasher_for(digest, err)) == NULL)
        return -1;
    t.hasher = h;
    scope = xasprintf("repository:%s:pull", path);
    req = (struct request){xasprintf("/v2/%s/blobs/%s", path, digest), scope, NULL};
    if (fetch(r, &req, &t, err) < 0)
        goto out;
    if (t.status != 200) {
        cleanup_free char *url = xasprintf("%s%s", r->origin, req.path);

        http_error(err, &t, url);
        goto out;
    }
    if (size >= 0 && t.received != (uint64_t)size) {
        ctr_error_set(err, EBADMSG,
                      "the registry sent %" PRIu64 " bytes, the descriptor says %" PRId64,
                      t.received, size);
        goto out;
    }
    if (image_hasher_verify(h, digest, err) < 0) {
        cleanup_free char *why = xstrdup((*err)->msg);

        ctr_error_clear(err);
        ctr_error_set(err, EBADMSG, "the registry sent different content (%s)", why);
        goto out;
    }
    rc = 0;
out:
    if (rc < 0)
        ctr_error_wrap(err, "blob '%s' of '%s'", digest, path);
    transfer_reset(&t);
    free(req.path);
    return rc;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n > m && strcmp(s + n - m, suffix) == 0;
}

static void append_file(struct image_registry *r, const char *data, size_t len)
{
    r->ca_pem = xrealloc(r->ca_pem, r->ca_len + len + 2);
    memcpy(r->ca_pem + r->ca_len, data, len);
    r->ca_len += len;
    r->ca_pem[r->ca_len++] = '\n';
    r->ca_pem[r->ca_len] = '\0';
}

/* The system's CA bundle, so that a cert dir's CAs add to the trusted ones, not replace them. */
static void append_system_cas(struct image_registry *r)
{
    CURL *curl = curl_easy_init();
    cleanup_free char *data = NULL;
    cleanup_error struct ctr_error *e = NULL;
    char *path = NULL;
    size_t len;

    if (curl == NULL)
        return;
    if (curl_easy_getinfo(curl, CURLINFO_CAINFO, &path) == CURLE_OK && path != NULL &&
        ctr_read_file(path, CERT_FILE_MAX, &data, &len, &e) == 0)
        append_file(r, data, len);
    curl_easy_cleanup(curl);
}

/* containers-certs.d(5): *.crt are CAs, NAME.cert with NAME.key a client certificate. */
static int load_cert_dir(struct image_registry *r, const char *dir, struct ctr_error **err)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort), rc = 0;

    if (n < 0)
        return ctr_error_errno(err, "cert dir '%s'", dir);
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        cleanup_free char *file = xasprintf("%s/%s", dir, name);
        cleanup_free char *other = NULL;
        cleanup_free char *data = NULL;
        size_t len;

        if (rc < 0)
            continue;
        if (ends_with(name, ".crt")) {
            if ((rc = ctr_read_file(file, CERT_FILE_MAX, &data, &len, err)) == 0)
                append_file(r, data, len);
        } else if (ends_with(name, ".cert") || ends_with(name, ".key")) {
            int is_cert = ends_with(name, ".cert");
            size_t base = strlen(file) - (is_cert ? 5 : 4);

            other = xasprintf("%.*s%s", (int)base, file, is_cert ? ".key" : ".cert");
            if (access(other, R_OK) != 0)
                rc = ctr_error_errno(err, "cert dir '%s': '%s' has no '%s'", dir, name,
                                     strrchr(other, '/') + 1);
            else if (is_cert && r->cert == NULL) {
                r->cert = steal_pointer(&file);
                r->key = steal_pointer(&other);
            }
        }
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (rc == 0 && r->ca_pem != NULL)
        append_system_cas(r);
    return rc;
}

/* The first of ~/.config/containers/certs.d/HOST and /etc/containers/certs.d/HOST that exists. */
static int load_default_certs(struct image_registry *r, struct ctr_error **err)
{
    const char *home = getenv("HOME");
    cleanup_free char *user =
            home && home[0] == '/' ? xasprintf("%s/.config/containers/certs.d/%s", home, r->domain)
                                   : NULL;
    cleanup_free char *sys = xasprintf("/etc/containers/certs.d/%s", r->domain);
    struct stat st;

    if (user != NULL && stat(user, &st) == 0 && S_ISDIR(st.st_mode))
        return load_cert_dir(r, user, err);
    if (stat(sys, &st) == 0 && S_ISDIR(st.st_mode))
        return load_cert_dir(r, sys, err);
    return 0;
}

int image_registry_new(const char *domain, const struct image_registry_opts *opts,
                       struct image_registry **ret, struct ctr_error **err)
{
    struct image_registry *r;
    const char *host = domain;

    if (image_ref_validate_domain(domain, err) < 0)
        return -1;
    r = xzalloc(sizeof(*r));
    pthread_mutex_init(&r->lock, NULL);
    r->domain = xstrdup(domain);
    r->insecure = opts->insecure;
    r->retries = opts->retries < 0 ? 3 : (unsigned)opts->retries;
    r->timeout_s = opts->timeout_s > 0 ? opts->timeout_s : 30;
    /* References say docker.io; Docker Hub serves the API from another name. */
    if (strcmp(domain, IMAGE_REF_DEFAULT_DOMAIN) == 0)
        host = "registry-1.docker.io";
    r->origin = xasprintf("%s://%s", r->insecure ? "http" : "https", host);
    if (opts->username != NULL) {
        r->user = xstrdup(opts->username);
        r->pass = xstrdup(opts->password ? opts->password : "");
    } else if (image_creds_lookup(opts->authfile, domain, &r->user, &r->pass, err) < 0) {
        goto fail;
    }
    if ((opts->cert_dir ? load_cert_dir(r, opts->cert_dir, err) : load_default_certs(r, err)) < 0)
        goto fail;
    *ret = r;
    return 0;
fail:
    image_registry_free(r);
    return -1;
}

void image_registry_free(struct image_registry *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_tokens; i++) {
        free(r->tokens[i].scope);
        free(r->tokens[i].value);
    }
    for (size_t i = 0; i < r->n_pool; i++)
        curl_easy_cleanup(r->pool[i]);
    if (r->pass != NULL)
        explicit_bzero(r->pass, strlen(r->pass));
    free(r->tokens);
    free(r->domain);
    free(r->origin);
    free(r->user);
    free(r->pass);
    free(r->ca_pem);
    free(r->cert);
    free(r->key);
    pthread_mutex_destroy(&r->lock);
    free(r);
}
