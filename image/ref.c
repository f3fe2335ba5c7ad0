/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "digest.h"
#include "quote.h"
#include "ref.h"
#include "xalloc.h"

#define TAG_MAX 128

/* docker.io's old name, still in scripts and in old configs: it means the same registry. */
#define LEGACY_DEFAULT_DOMAIN "index.docker.io"
/* Docker Hub keeps its official images in this namespace; "busybox" is "library/busybox". */
#define OFFICIAL_PREFIX "library/"

static int is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int is_alnum(char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int has_upper(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= 'A' && s[i] <= 'Z')
            return 1;
    }
    return 0;
}

static int span_eq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/*
 * Whether the first component of a name is a registry host, by Docker's rule: "." or ":" mark
 * a DNS name, an IP address or a port; "localhost" is reserved; and an uppercase letter cannot
 * be in a path, so it must be a host.  Anything else is the first path component of a name
 * on docker.io, which is why "library/busybox" and "user/repo" are short names.
 */
static int looks_like_domain(const char *s, size_t n)
{
    return memchr(s, '.', n) != NULL || memchr(s, ':', n) != NULL || span_eq(s, n, "localhost") ||
           has_upper(s, n);
}

/* NULL if [s, s+n) is a host[:port]; otherwise why not. */
static const char *domain_problem(const char *s, size_t n)
{
    size_t i = 0;

    if (n == 0)
        return "empty host";
    if (s[0] == '[') {
        /*
         * Only the bracketed hex-and-colon forms: zone ids ("%eth0") and embedded IPv4 are
         * refused, as by Docker, because they cannot be written into a registry URL unchanged.
         */
        for (i = 1; i < n && s[i] != ']'; i++) {
            if (!is_hex(s[i]) && s[i] != ':')
                return "an IPv6 address may hold only hex digits and ':' inside '[...]'";
        }
        if (i == n)
            return "'[' without ']'";
        if (i == 1)
            return "empty IPv6 address";
        i++;
    } else {
        for (;;) {
            size_t start = i;

            while (i < n && (is_alnum(s[i]) || s[i] == '-'))
                i++;
            if (i == start)
                return "host labels must be letters, digits and '-', separated by single dots";
            if (s[start] == '-' || s[i - 1] == '-')
                return "a host label must not start or end with '-'";
            if (i < n && s[i] == '.') {
                i++;
                continue;
            }
            break;
        }
    }
    if (i == n)
        return NULL;
    if (s[i] != ':' && s[0] == '[')
        return "expected ':' and a port after ']'";
    if (s[i] != ':')
        return "host labels must be letters, digits and '-', separated by single dots";
    if (++i == n)
        return "empty port after ':'";
    for (; i < n; i++) {
        if (!is_digit(s[i]))
            return "the port must be a decimal number";
    }
    return NULL;
}

int image_ref_validate_domain(const char *s, struct ctr_error **err)
{
    size_t n = strlen(s);
    const char *problem = domain_problem(s, n);
    cleanup_free char *quoted = NULL;

    if (problem == NULL && !looks_like_domain(s, n))
        problem = "a reference would read it as a repository path: a registry host needs a "
                  "'.' or a ':port', or must be 'localhost'";
    if (problem == NULL)
        return 0;
    quoted = image_quote(s);
    return ctr_error_set(err, EINVAL, "invalid registry host '%s': %s", quoted, problem);
}

static int valid_separator(const char *s, size_t n)
{
    if (n == 1)
        return s[0] == '.' || s[0] == '_' || s[0] == '-';
    if (n == 2 && s[0] == '_' && s[1] == '_')
        return 1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '-')
            return 0;
    }
    return 1;
}

static int ref_error(struct ctr_error **err, const char *input, const char *fmt, ...)
        CTR_PRINTF(3, 4);

static int ref_error(struct ctr_error **err, const char *input, const char *fmt, ...)
{
    cleanup_free char *quoted = image_quote(input);
    cleanup_free char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = xvasprintf(fmt, ap);
    va_end(ap);
    return ctr_error_set(err, EINVAL, "invalid reference '%s': %s", quoted, msg);
}

/* A quotable copy of part of the input, for a message. */
static char *quote_span(const char *s, size_t n)
{
    cleanup_free char *copy = xstrndup(s, n);

    return image_quote(copy);
}

/*
 * Checks one path component: lowercase letters and digits in runs joined by one separator
 * ("." "_" "__" or any number of "-"), starting and ending with a letter or digit.
 */
static int check_component(const char *input, const char *c, size_t n, struct ctr_error **err)
{
    cleanup_free char *quoted = quote_span(c, n);
    size_t i = 0;

    for (size_t k = 0; k < n; k++) {
        if (!is_lower_alnum(c[k]) && c[k] != '.' && c[k] != '_' && c[k] != '-')
            return ref_error(err, input,
                             "path component '%s' may hold only lowercase letters, digits "
                             "and the separators '.', '_', '__' and '-'",
                             quoted);
    }
    if (!is_lower_alnum(c[0]))
        return ref_error(err, input,
                         "path component '%s' must start with a lowercase letter or digit", quoted);
    while (i < n) {
        size_t j = i;

        if (is_lower_alnum(c[i])) {
            i++;
            continue;
        }
        while (j < n && !is_lower_alnum(c[j]))
            j++;
        if (j == n)
            return ref_error(err, input,
                             "path component '%s' must end with a lowercase letter or digit",
                             quoted);
        if (!valid_separator(c + i, j - i)) {
            cleanup_free char *sep = quote_span(c + i, j - i);

            return ref_error(err, input,
                             "path component '%s' has the separator '%s': use one of '.', "
                             "'_', '__' or a run of '-'",
                             quoted, sep);
        }
        i = j;
    }
    return 0;
}

static int check_path(const char *input, const char *p, size_t n, struct ctr_error **err)
{
    size_t i = 0;

    if (n == 0)
        return ref_error(err, input, "missing repository name");
    if (has_upper(p, n))
        return ref_error(err, input, "repository name must be lowercase");
    if (p[0] == '/')
        return ref_error(err, input, "repository name must not start with '/'");
    if (p[n - 1] == '/')
        return ref_error(err, input, "repository name must not end with '/'");
    while (i < n) {
        const char *slash = memchr(p + i, '/', n - i);
        size_t len = slash ? (size_t)(slash - (p + i)) : n - i;

        if (len == 0)
            return ref_error(err, input, "repository name has an empty component ('//')");
        if (check_component(input, p + i, len, err) < 0)
            return -1;
        i += len + 1;
    }
    return 0;
}

static int check_tag(const char *input, const char *t, size_t n, struct ctr_error **err)
{
    int ok = n >= 1 && n <= TAG_MAX && (is_alnum(t[0]) || t[0] == '_');

    if (n == 0)
        return ref_error(err, input, "empty tag after ':'");
    for (size_t i = 1; ok && i < n; i++)
        ok = is_alnum(t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-';
    if (!ok) {
        cleanup_free char *quoted = quote_span(t, n);

        return ref_error(err, input,
                         "invalid tag '%s': expected at most 128 letters, digits, '_', '.' "
                         "and '-', not starting with '.' or '-'",
                         quoted);
    }
    return 0;
}

static int is_image_id(const char *s)
{
    size_t n = 0;

    for (; s[n] != '\0'; n++) {
        if (!is_digit(s[n]) && !(s[n] >= 'a' && s[n] <= 'f'))
            return 0;
    }
    return n == 64;
}

/*
 * The parse proper.  *ret_remainder (when asked for) gets the part of `s` after the domain the
 * user wrote, before "library/" is added: a short name is combined with other registries from
 * it, because "library/" belongs to docker.io alone.
 */
static int parse(const char *s, struct image_ref **ret, char **ret_remainder,
                 struct ctr_error **err)
{
    cleanup_with(image_ref_freep) struct image_ref *r = xzalloc(sizeof(*r));
    const char *at = strchr(s, '@');
    size_t name_len = at ? (size_t)(at - s) : strlen(s);
    const char *slash = memchr(s, '/', name_len);
    const char *rest = s, *colon;
    size_t rest_len = name_len, path_len;

    if (*s == '\0')
        return ref_error(err, s, "empty");
    /* Docker refuses these so that an image id is never mistaken for the name "library/<id>". */
    if (is_image_id(s))
        return ref_error(err, s, "a 64-digit hex string is an image id, not a repository name");
    if (at != NULL) {
        if (image_digest_validate(at + 1, err) < 0) {
            cleanup_free char *quoted = image_quote(s);

            return ctr_error_wrap(err, "invalid reference '%s'", quoted);
        }
        r->digest = xstrdup(at + 1);
    }
    if (slash != NULL && looks_like_domain(s, (size_t)(slash - s))) {
        const char *problem = domain_problem(s, (size_t)(slash - s));

        if (problem != NULL) {
            cleanup_free char *quoted = quote_span(s, (size_t)(slash - s));

            return ref_error(err, s, "invalid registry host '%s': %s", quoted, problem);
        }
        r->domain = xstrndup(s, (size_t)(slash - s));
        rest = slash + 1;
        rest_len = name_len - (size_t)(rest - s);
    } else {
        r->domain = xstrdup(IMAGE_REF_DEFAULT_DOMAIN);
        r->short_name = 1;
    }
    if (strcmp(r->domain, LEGACY_DEFAULT_DOMAIN) == 0) {
        free(r->domain);
        r->domain = xstrdup(IMAGE_REF_DEFAULT_DOMAIN);
    }

    /* Paths hold no ':', so the first one after the domain starts the tag. */
    colon = memchr(rest, ':', rest_len);
    path_len = colon ? (size_t)(colon - rest) : rest_len;
    if (check_path(s, rest, path_len, err) < 0)
        return -1;
    if (colon != NULL) {
        size_t tag_len = rest_len - path_len - 1;

        if (check_tag(s, colon + 1, tag_len, err) < 0)
            return -1;
        r->tag = xstrndup(colon + 1, tag_len);
    } else if (r->digest == NULL) {
        r->tag = xstrdup(IMAGE_REF_DEFAULT_TAG);
    }

    if (strcmp(r->domain, IMAGE_REF_DEFAULT_DOMAIN) == 0 && memchr(rest, '/', path_len) == NULL)
        r->path = xasprintf(OFFICIAL_PREFIX "%.*s", (int)path_len, rest);
    else
        r->path = xstrndup(rest, path_len);
    /* The limit is on the normalised name, as Docker counts it. */
    if (strlen(r->domain) + 1 + strlen(r->path) > IMAGE_REF_NAME_MAX) {
        cleanup_free char *name = image_ref_name(r);
        cleanup_free char *quoted = image_quote(name);

        return ref_error(err, s, "repository name '%s' has %zu characters, more than %d", quoted,
                         strlen(name), IMAGE_REF_NAME_MAX);
    }

    if (ret_remainder != NULL)
        *ret_remainder = xstrdup(rest);
    *ret = steal_pointer(&r);
    return 0;
}

int image_ref_parse(const char *s, struct image_ref **ret, struct ctr_error **err)
{
    return parse(s, ret, NULL, err);
}

char *image_ref_format(const struct image_ref *r)
{
    return xasprintf("%s/%s%s%s%s%s", r->domain, r->path, r->tag ? ":" : "", r->tag ? r->tag : "",
                     r->digest ? "@" : "", r->digest ? r->digest : "");
}

char *image_ref_name(const struct image_ref *r)
{
    return xasprintf("%s/%s", r->domain, r->path);
}

void image_ref_free(struct image_ref *r)
{
    if (r == NULL)
        return;
    free(r->domain);
    free(r->path);
    free(r->tag);
    free(r->digest);
    free(r);
}

int image_ref_candidates(const char *input, char *const *registries, char ***ret_names,
                         struct ctr_error **err)
{
    /* Writable storage only so that the array has the type callers pass (-Wwrite-strings). */
    static char default_domain[] = IMAGE_REF_DEFAULT_DOMAIN;
    static char *const default_registries[] = {default_domain, NULL};
    cleanup_with(image_ref_freep) struct image_ref *r = NULL;
    cleanup_free char *remainder = NULL;
    cleanup_strv char **names = NULL;
    size_t n = 0;

    if (parse(input, &r, &remainder, err) < 0)
        return -1;
    if (!r->short_name) {
        names = xcalloc(2, sizeof(*names));
        names[n++] = image_ref_format(r);
        *ret_names = steal_pointer(&names);
        return (int)n;
    }
    if (registries == NULL)
        registries = default_registries;
    if (registries[0] == NULL) {
        cleanup_free char *quoted = image_quote(input);

        return ctr_error_set(err, EINVAL,
                             "cannot resolve short name '%s': no search registries are "
                             "configured; name the registry, as in 'docker.io/%s'",
                             quoted, quoted);
    }
    for (size_t i = 0; registries[i] != NULL; i++) {
        cleanup_with(image_ref_freep) struct image_ref *c = NULL;
        cleanup_free char *full = NULL;
        cleanup_free char *name = NULL;

        if (image_ref_validate_domain(registries[i], err) < 0)
            return ctr_error_wrap(err, "search registry for '%s'", remainder);
        /*
         * The remainder is what the user typed minus any domain, so "library/" appears only
         * when the joined name lands on docker.io, where parse() adds it.
         */
        full = xasprintf("%s/%s", registries[i], remainder);
        if (parse(full, &c, NULL, err) < 0)
            return -1;
        name = image_ref_format(c);
        /* "docker.io" and "index.docker.io" in one list would try the same name twice. */
        if (strv_contains(names, name))
            continue;
        names = xreallocarray(names, n + 2, sizeof(*names));
        names[n++] = steal_pointer(&name);
        names[n] = NULL;
    }
    *ret_names = steal_pointer(&names);
    return (int)n;
}
