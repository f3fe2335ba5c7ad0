/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "cleanup.h"
#include "xalloc.h"

/* RFC 7230 tchar: the characters of a token. */
static int is_tchar(int c)
{
    return isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* token68 adds "/" and trailing "=" to the alphabet (RFC 7235 section 2.1). */
static int is_token68_char(int c)
{
    return isalnum(c) || (c != 0 && strchr("-._~+/", c) != NULL);
}

static void skip_ows(const char **p)
{
    while (**p == ' ' || **p == '\t')
        (*p)++;
}

static char *lower_dup(const char *s, size_t n)
{
    char *r = xstrndup(s, n);

    for (char *q = r; *q; q++)
        *q = (char)tolower((unsigned char)*q);
    return r;
}

static size_t token_len(const char *p)
{
    size_t n = 0;

    while (is_tchar((unsigned char)p[n]))
        n++;
    return n;
}

/* Parses a quoted-string at *p (which points at the opening quote). */
static char *parse_quoted(const char **p, struct ctr_error **err)
{
    const char *s = *p + 1;
    char *out = xmalloc(strlen(s) + 1), *o = out;

    for (;;) {
        unsigned char c = (unsigned char)*s;

        if (c == '"')
            break;
        if (c == '\\') {
            s++;
            c = (unsigned char)*s;
        }
        /* qdtext and quoted-pair allow HTAB, SP, VCHAR and obs-text; never controls. */
        if (c == '\0' || (c < 0x20 && c != '\t') || c == 0x7f) {
            free(out);
            ctr_error_set(err, EPROTO,
                          c == '\0' ? "unterminated quoted string"
                                    : "control character in a quoted string");
            return NULL;
        }
        *o++ = (char)c;
        s++;
    }
    *o = '\0';
    *p = s + 1;
    return out;
}

static int next_is_equals(const char *p)
{
    skip_ows(&p);
    return *p == '=';
}

static void add_param(struct image_auth_challenge *c, char *name, char *value)
{
    c->params = xreallocarray(c->params, c->n_params + 1, sizeof(*c->params));
    c->params[c->n_params].name = name;
    c->params[c->n_params].value = value;
    c->n_params++;
}

/*
 * After a scheme: either a token68, or a list of auth-params, or nothing.  Stops at the comma
 * that starts the next challenge (a token followed by a space or the end, not by '=').
 */
static int parse_params(const char **pp, struct image_auth_challenge *c, struct ctr_error **err)
{
    const char *p = *pp;

    skip_ows(&p);
    /*
     * token68: its characters, optional '=' padding, then the end or a comma.  Anything else
     * ("realm=..." with a value after the '=') is an auth-param list.
     */
    size_t n = 0, m;
    const char *q;

    while (is_token68_char((unsigned char)p[n]))
        n++;
    for (m = n; n > 0 && p[m] == '='; m++) {
    }
    q = p + m;
    skip_ows(&q);
    if (n > 0 && (*q == '\0' || *q == ',')) {
        c->token68 = xstrndup(p, m);
        *pp = q;
        return 0;
    }
    for (;;) {
        char *name, *value;

        n = token_len(p);
        if (n == 0)
            break;
        q = p + n;
        if (!next_is_equals(q))
            break; /* the next challenge's scheme */
        skip_ows(&q);
        q++;
        skip_ows(&q);
        name = lower_dup(p, n);
        if (*q == '"') {
            value = parse_quoted(&q, err);
            if (value == NULL) {
                ctr_error_wrap(err, "parameter '%s'", name);
                free(name);
                return -1;
            }
        } else {
            size_t vn = token_len(q);

            if (vn == 0) {
                ctr_error_set(err, EPROTO, "parameter '%s' has no value", name);
                free(name);
                return -1;
            }
            value = xstrndup(q, vn);
            q += vn;
        }
        add_param(c, name, value);
        skip_ows(&q);
        p = q;
        if (*p != ',')
            break;
        /* A comma either separates params or ends this challenge: look past it. */
        q = p + 1;
        while (*q == ',' || *q == ' ' || *q == '\t')
            q++;
        n = token_len(q);
        if (n == 0 || !next_is_equals(q + n))
            break;
        p = q;
    }
    *pp = p;
    return 0;
}

int image_auth_parse(const char *header, struct image_auth_challenges *ret, struct ctr_error **err)
{
    const char *p = header;

    memset(ret, 0, sizeof(*ret));
    if (strlen(header) > IMAGE_AUTH_HEADER_MAX)
        return ctr_error_set(err, EPROTO, "WWW-Authenticate header longer than %d bytes",
                             IMAGE_AUTH_HEADER_MAX);
    for (;;) {
        struct image_auth_challenge *c;
        size_t n;

        /* Empty list elements are allowed (RFC 7230 section 7). */
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            break;
        n = token_len(p);
        if (n == 0)
            return ctr_error_set(err, EPROTO,
                                 "invalid WWW-Authenticate header: unexpected '%c' at offset %zu",
                                 *p, (size_t)(p - header));
        ret->items = xreallocarray(ret->items, ret->n + 1, sizeof(*ret->items));
        c = &ret->items[ret->n++];
        memset(c, 0, sizeof(*c));
        c->scheme = lower_dup(p, n);
        p += n;
        if (*p != '\0' && *p != ' ' && *p != '\t' && *p != ',')
            return ctr_error_set(err, EPROTO,
                                 "invalid WWW-Authenticate header: unexpected '%c' at offset %zu",
                                 *p, (size_t)(p - header));
        if (parse_params(&p, c, err) < 0)
            return ctr_error_wrap(err, "invalid WWW-Authenticate header");
        skip_ows(&p);
        if (*p != '\0' && *p != ',')
            return ctr_error_set(err, EPROTO,
                                 "invalid WWW-Authenticate header: unexpected '%c' at offset %zu",
                                 *p, (size_t)(p - header));
    }
    if (ret->n == 0)
        return ctr_error_set(err, EPROTO, "empty WWW-Authenticate header");
    return 0;
}

void image_auth_challenges_clear(struct image_auth_challenges *c)
{
    for (size_t i = 0; i < c->n; i++) {
        struct image_auth_challenge *ch = &c->items[i];

        for (size_t j = 0; j < ch->n_params; j++) {
            free(ch->params[j].name);
            free(ch->params[j].value);
        }
        free(ch->params);
        free(ch->scheme);
        free(ch->token68);
    }
    free(c->items);
    memset(c, 0, sizeof(*c));
}

const struct image_auth_challenge *image_auth_find(const struct image_auth_challenges *c,
                                                   const char *scheme)
{
    for (size_t i = 0; i < c->n; i++) {
        if (strcasecmp(c->items[i].scheme, scheme) == 0)
            return &c->items[i];
    }
    return NULL;
}

const char *image_auth_param(const struct image_auth_challenge *c, const char *name)
{
    for (size_t i = 0; i < c->n_params; i++) {
        if (strcasecmp(c->params[i].name, name) == 0)
            return c->params[i].value;
    }
    return NULL;
}
