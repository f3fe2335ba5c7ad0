/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registries.conf reader: the strict TOML subset documented in ref.h.  It reads the whole
 * file through one cursor rather than line by line, because arrays may span lines, and it
 * checks the syntax of keys it ignores so that a typo never silently drops a setting.
 */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "quote.h"
#include "ref.h"
#include "xalloc.h"

/* A real file is a few hundred bytes; this only stops a mistaken path from filling memory. */
#define CONF_SIZE_MAX (1 << 20)
/* Nested arrays are legal TOML but mean nothing here; the limit bounds the recursion. */
#define ARRAY_DEPTH_MAX 8

#define SEARCH_KEY "unqualified-search-registries"

enum section {
    SECTION_TOP,      /* before any table header */
    SECTION_REGISTRY, /* inside a [[registry]] */
    SECTION_OTHER,    /* inside a table ctr ignores */
};

enum value_kind {
    VALUE_STRING,
    VALUE_BOOL,
    VALUE_INT,
    VALUE_ARRAY,
};

struct value {
    enum value_kind kind;
    char *string;   /* VALUE_STRING */
    int boolean;    /* VALUE_BOOL */
    char **strings; /* VALUE_ARRAY: its string elements, NULL-terminated */
    size_t n_strings;
    int not_only_strings; /* VALUE_ARRAY: has an element that is not a string */
};

struct parser {
    const char *p, *end;
    const char *name; /* the source, quoted, for messages */
    unsigned line;
    struct ctr_error **err;
};

static void value_clear(struct value *v)
{
    free(v->string);
    strv_free(v->strings);
    memset(v, 0, sizeof(*v));
}

static int fail(struct parser *ps, const char *fmt, ...) CTR_PRINTF(2, 3);

static int fail(struct parser *ps, const char *fmt, ...)
{
    cleanup_free char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = xvasprintf(fmt, ap);
    va_end(ap);
    return ctr_error_set(ps->err, EINVAL, "'%s' line %u: %s", ps->name, ps->line, msg);
}

/* The character at the cursor as a message shows it. */
static char *describe_char(const struct parser *ps)
{
    unsigned char c;

    if (ps->p == ps->end || *ps->p == '\n')
        return xstrdup("end of line");
    c = (unsigned char)*ps->p;
    if (c >= 0x20 && c < 0x7f)
        return xasprintf("'%c'", c);
    return xasprintf("byte 0x%02x", c);
}

static int at(const struct parser *ps, char c)
{
    return ps->p < ps->end && *ps->p == c;
}

static int at_str(const struct parser *ps, const char *s)
{
    size_t n = strlen(s);

    return (size_t)(ps->end - ps->p) >= n && memcmp(ps->p, s, n) == 0;
}

static void skip_ws(struct parser *ps)
{
    while (at(ps, ' ') || at(ps, '\t'))
        ps->p++;
}

static void skip_comment(struct parser *ps)
{
    if (!at(ps, '#'))
        return;
    while (ps->p < ps->end && *ps->p != '\n')
        ps->p++;
}

/* Consumes a newline ("\n" or "\r\n"); 1 if there was one. */
static int newline(struct parser *ps)
{
    if (at_str(ps, "\r\n"))
        ps->p++;
    if (!at(ps, '\n'))
        return 0;
    ps->p++;
    ps->line++;
    return 1;
}

/* After a header or a value: only blanks and a comment may follow on the line. */
static int end_of_line(struct parser *ps)
{
    cleanup_free char *what = NULL;

    skip_ws(ps);
    skip_comment(ps);
    if (ps->p == ps->end || newline(ps))
        return 0;
    what = describe_char(ps);
    return fail(ps, "unexpected %s: expected the end of the line", what);
}

/* Inside an array, values may be spread over lines with comments between them. */
static void skip_blank(struct parser *ps)
{
    for (;;) {
        skip_ws(ps);
        skip_comment(ps);
        if (!newline(ps))
            return;
    }
}

static int string_char_ok(unsigned char c)
{
    /* TOML forbids control characters in strings, except tab. */
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int parse_basic_string(struct parser *ps, char **ret)
{
    cleanup_free char *buf = NULL;
    const char *eol;
    size_t n = 0;

    if (at_str(ps, "\"\"\""))
        return fail(ps, "multi-line strings are not supported");
    ps->p++;
    /* Strings end on their line, so the rest of the line bounds the length. */
    eol = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
    buf = xmalloc((size_t)((eol ? eol : ps->end) - ps->p) + 1);
    for (;;) {
        unsigned char c;

        if (ps->p == ps->end || at(ps, '\n') || at_str(ps, "\r\n"))
            return fail(ps, "unterminated string");
        c = (unsigned char)*ps->p++;
        if (c == '"')
            break;
        if (!string_char_ok(c))
            return fail(ps, "control character 0x%02x in a string", c);
        if (c == '\\') {
            const char *from = "\"\\btnfr", *to = "\"\\\b\t\n\f\r";
            const char *e = ps->p < ps->end && *ps->p != '\0' ? strchr(from, *ps->p) : NULL;

            if (e == NULL) {
                cleanup_free char *what = describe_char(ps);

                return fail(ps, "unsupported escape '\\' followed by %s in a string", what);
            }
            c = (unsigned char)to[e - from];
            ps->p++;
        }
        buf[n++] = (char)c;
    }
    buf[n] = '\0';
    *ret = steal_pointer(&buf);
    return 0;
}

static int parse_literal_string(struct parser *ps, char **ret)
{
    const char *start;

    if (at_str(ps, "'''"))
        return fail(ps, "multi-line strings are not supported");
    start = ++ps->p;
    for (;;) {
        unsigned char c;

        if (ps->p == ps->end || at(ps, '\n') || at_str(ps, "\r\n"))
            return fail(ps, "unterminated string");
        c = (unsigned char)*ps->p;
        if (c == '\'')
            break;
        if (!string_char_ok(c))
            return fail(ps, "control character 0x%02x in a string", c);
        ps->p++;
    }
    *ret = xstrndup(start, (size_t)(ps->p - start));
    ps->p++;
    return 0;
}

/* Whether the cursor is where a scalar may end: "true," and "5]" are fine, "truex" is not. */
static int at_delimiter(const struct parser *ps)
{
    return ps->p == ps->end || (*ps->p != '\0' && strchr(" \t\r\n#,]", *ps->p) != NULL);
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int parse_value(struct parser *ps, struct value *v, int depth);

static int parse_array(struct parser *ps, struct value *v, int depth)
{
    v->kind = VALUE_ARRAY;
    v->strings = xcalloc(1, sizeof(*v->strings));
    if (depth >= ARRAY_DEPTH_MAX)
        return fail(ps, "arrays nested more than %d deep", ARRAY_DEPTH_MAX);
    ps->p++;
    for (;;) {
        struct value elem = {0};

        skip_blank(ps);
        if (at(ps, ']'))
            break;
        if (parse_value(ps, &elem, depth + 1) < 0) {
            value_clear(&elem);
            return -1;
        }
        if (elem.kind == VALUE_STRING) {
            v->strings = xreallocarray(v->strings, v->n_strings + 2, sizeof(*v->strings));
            v->strings[v->n_strings++] = steal_pointer(&elem.string);
            v->strings[v->n_strings] = NULL;
        } else {
            v->not_only_strings = 1;
        }
        value_clear(&elem);
        skip_blank(ps);
        if (at(ps, ','))
            ps->p++;
        else if (!at(ps, ']')) {
            cleanup_free char *what = describe_char(ps);

            return fail(ps, "unexpected %s in an array: expected ',' or ']'", what);
        }
    }
    ps->p++;
    return 0;
}

static int parse_value(struct parser *ps, struct value *v, int depth)
{
    if (at(ps, '"')) {
        v->kind = VALUE_STRING;
        return parse_basic_string(ps, &v->string);
    }
    if (at(ps, '\'')) {
        v->kind = VALUE_STRING;
        return parse_literal_string(ps, &v->string);
    }
    if (at(ps, '['))
        return parse_array(ps, v, depth);
    if (at(ps, '{'))
        return fail(ps, "inline tables are not supported");
    if (at_str(ps, "true") || at_str(ps, "false")) {
        v->kind = VALUE_BOOL;
        v->boolean = at(ps, 't');
        ps->p += v->boolean ? 4 : 5;
        if (at_delimiter(ps))
            return 0;
    } else if (at(ps, '+') || at(ps, '-') || (ps->p < ps->end && is_digit(*ps->p))) {
        /* Integers only matter as values of ignored keys; "1_000" is TOML for 1000. */
        v->kind = VALUE_INT;
        if (at(ps, '+') || at(ps, '-'))
            ps->p++;
        if (ps->p < ps->end && is_digit(*ps->p)) {
            ps->p++;
            while (ps->p < ps->end && (is_digit(*ps->p) || (*ps->p == '_' && ps->p + 1 < ps->end &&
                                                            is_digit(ps->p[1]))))
                ps->p++;
            if (at_delimiter(ps))
                return 0;
        }
    } else {
        cleanup_free char *what = describe_char(ps);

        return fail(ps, "unexpected %s: expected a value", what);
    }
    return fail(ps, "unsupported value: ctr reads strings, booleans, integers and arrays");
}

static int is_bare_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '-';
}

/*
 * A key or a table name: bare or quoted parts joined by dots.  Only one-part names mean
 * anything to ctr, so *ret gets the first part and *ret_parts the count: `"registry.x"` (one
 * quoted part) is then never mistaken for the table `registry.x` (two parts).
 */
static int parse_key(struct parser *ps, char **ret, int *ret_parts)
{
    cleanup_free char *key = NULL;
    int parts = 0;

    for (;;) {
        cleanup_free char *part = NULL;

        skip_ws(ps);
        if (at(ps, '"')) {
            if (parse_basic_string(ps, &part) < 0)
                return -1;
        } else if (at(ps, '\'')) {
            if (parse_literal_string(ps, &part) < 0)
                return -1;
        } else {
            const char *start = ps->p;

            while (ps->p < ps->end && is_bare_key_char(*ps->p))
                ps->p++;
            if (ps->p == start) {
                cleanup_free char *what = describe_char(ps);

                return fail(ps, "unexpected %s: expected a key", what);
            }
            part = xstrndup(start, (size_t)(ps->p - start));
        }
        if (parts++ == 0)
            key = steal_pointer(&part);
        skip_ws(ps);
        if (!at(ps, '.'))
            break;
        ps->p++;
    }
    *ret = steal_pointer(&key);
    *ret_parts = parts;
    return 0;
}

struct conf_builder {
    struct image_registries_conf *conf;
    int search_set;
    unsigned search_line;
    enum section section;
    struct image_registries_entry *current; /* the [[registry]] being read */
    int location_set, insecure_set;
};

static int finish_registry(struct parser *ps, struct conf_builder *b)
{
    struct image_registries_conf *c = b->conf;
    struct image_registries_entry *r = b->current;

    if (r == NULL)
        return 0;
    b->current = NULL;
    if (r->location == NULL) {
        ps->line = r->line;
        return fail(ps, "[[registry]] has no location");
    }
    for (size_t i = 0; i + 1 < c->n_registries; i++) {
        if (strcasecmp(c->registries[i].location, r->location) == 0) {
            ps->line = r->line;
            return fail(ps, "registry '%s' is listed twice (first on line %u)", r->location,
                        c->registries[i].line);
        }
    }
    return 0;
}

static int parse_header(struct parser *ps, struct conf_builder *b)
{
    int array = at_str(ps, "[[");
    cleanup_free char *name = NULL;
    int parts = 0;

    ps->p += array ? 2 : 1;
    if (parse_key(ps, &name, &parts) < 0)
        return -1;
    if (!at_str(ps, array ? "]]" : "]"))
        return fail(ps, "expected '%s' to close the table header", array ? "]]" : "]");
    ps->p += array ? 2 : 1;
    if (finish_registry(ps, b) < 0)
        return -1;
    b->section = SECTION_OTHER;
    if (parts == 1 && strcmp(name, "registry") == 0) {
        struct image_registries_conf *c = b->conf;

        if (!array)
            return fail(ps, "write [[registry]]: each registry is one entry of an array");
        c->registries = xreallocarray(c->registries, c->n_registries + 1, sizeof(*c->registries));
        b->current = &c->registries[c->n_registries++];
        memset(b->current, 0, sizeof(*b->current));
        b->current->line = ps->line;
        b->section = SECTION_REGISTRY;
        b->location_set = b->insecure_set = 0;
    }
    return end_of_line(ps);
}

/* "index.docker.io" is docker.io, as references say it. */
static char *normalise_domain(const char *s)
{
    return xstrdup(strcmp(s, "index.docker.io") == 0 ? IMAGE_REF_DEFAULT_DOMAIN : s);
}

static int domain_value(struct parser *ps, const char *s)
{
    cleanup_error struct ctr_error *e = NULL;

    if (image_ref_validate_domain(s, &e) == 0)
        return 0;
    return fail(ps, "%s", e->msg);
}

static int apply_search(struct parser *ps, struct conf_builder *b, struct value *v)
{
    struct image_registries_conf *c = b->conf;

    if (b->search_set)
        return fail(ps, "'" SEARCH_KEY "' is set twice (first on line %u)", b->search_line);
    if (v->kind != VALUE_ARRAY || v->not_only_strings)
        return fail(ps, "'" SEARCH_KEY "' must be an array of strings, as in [\"docker.io\"]");
    for (size_t i = 0; i < v->n_strings; i++) {
        char *normal;

        if (domain_value(ps, v->strings[i]) < 0)
            return -1;
        normal = normalise_domain(v->strings[i]);
        free(v->strings[i]);
        v->strings[i] = normal;
    }
    strv_free(c->search);
    c->search = steal_pointer(&v->strings);
    b->search_set = 1;
    b->search_line = ps->line;
    return 0;
}

static int apply_registry_key(struct parser *ps, struct conf_builder *b, const char *key,
                              struct value *v)
{
    struct image_registries_entry *r = b->current;

    if (strcmp(key, "location") == 0) {
        if (b->location_set)
            return fail(ps, "'location' is set twice in one [[registry]]");
        if (v->kind != VALUE_STRING)
            return fail(ps, "'location' must be a string, as in \"localhost:5000\"");
        if (domain_value(ps, v->string) < 0)
            return -1;
        r->location = normalise_domain(v->string);
        b->location_set = 1;
    } else if (strcmp(key, "insecure") == 0) {
        if (b->insecure_set)
            return fail(ps, "'insecure' is set twice in one [[registry]]");
        if (v->kind != VALUE_BOOL)
            return fail(ps, "'insecure' must be true or false");
        r->insecure = v->boolean;
        b->insecure_set = 1;
    }
    return 0;
}

static int parse_key_value(struct parser *ps, struct conf_builder *b)
{
    cleanup_free char *key = NULL;
    struct value v = {0};
    unsigned line = ps->line;
    int parts = 0, r = 0;

    if (parse_key(ps, &key, &parts) < 0)
        return -1;
    if (!at(ps, '=')) {
        cleanup_free char *what = describe_char(ps);

        return fail(ps, "unexpected %s after a key: expected '='", what);
    }
    ps->p++;
    skip_ws(ps);
    if (parse_value(ps, &v, 0) < 0) {
        value_clear(&v);
        return -1;
    }
    /* Values spanning lines are reported where their key is. */
    {
        unsigned after = ps->line;

        ps->line = line;
        if (parts == 1 && strcmp(key, SEARCH_KEY) == 0) {
            /* Legal TOML after a header, but then it is the table's key: a classic mistake. */
            if (b->section != SECTION_TOP)
                r = fail(ps, "'" SEARCH_KEY "' must come before the first [table] header");
            else
                r = apply_search(ps, b, &v);
        } else if (parts == 1 && b->section == SECTION_REGISTRY) {
            r = apply_registry_key(ps, b, key, &v);
        } else if (parts == 1 && b->section == SECTION_TOP &&
                   (strcmp(key, "location") == 0 || strcmp(key, "insecure") == 0)) {
            /* Without its header the setting would apply to nothing: say so. */
            r = fail(ps, "'%s' belongs in a [[registry]] table", key);
        }
        ps->line = after;
    }
    value_clear(&v);
    if (r < 0)
        return -1;
    return end_of_line(ps);
}

int image_registries_conf_parse(const char *data, size_t len, const char *name,
                                struct image_registries_conf **ret, struct ctr_error **err)
{
    cleanup_with(image_registries_conf_freep) struct image_registries_conf *c = xzalloc(sizeof(*c));
    /* A path is the user's own choice and may be long; it is only made printable. */
    cleanup_free char *quoted = image_quote_max(name, 4096);
    struct parser ps = {data, data + len, quoted, 1, err};
    struct conf_builder b = {.conf = c, .section = SECTION_TOP};
    const char *nul = memchr(data, '\0', len);

    if (nul != NULL) {
        for (const char *q = data; q < nul; q++)
            ps.line += *q == '\n';
        return fail(&ps, "NUL byte");
    }
    c->search = xcalloc(2, sizeof(*c->search));
    c->search[0] = xstrdup(IMAGE_REF_DEFAULT_DOMAIN);
    while (ps.p < ps.end) {
        skip_ws(&ps);
        skip_comment(&ps);
        if (ps.p == ps.end || newline(&ps))
            continue;
        if (at(&ps, '[')) {
            if (parse_header(&ps, &b) < 0)
                return -1;
        } else if (parse_key_value(&ps, &b) < 0) {
            return -1;
        }
    }
    if (finish_registry(&ps, &b) < 0)
        return -1;
    *ret = steal_pointer(&c);
    return 0;
}

char *image_registries_conf_path(struct ctr_error **err)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");

    /* The XDG base directory spec says relative values are invalid and must be ignored. */
    if (xdg != NULL && xdg[0] == '/')
        return xasprintf("%s/ctr/registries.conf", xdg);
    if (home == NULL || home[0] != '/') {
        struct passwd *pw = getpwuid(geteuid());

        home = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
    }
    if (home == NULL) {
        ctr_error_set(err, ENOENT,
                      "cannot find registries.conf: HOME is not set and uid %u has no home "
                      "directory; set XDG_CONFIG_HOME",
                      (unsigned)geteuid());
        return NULL;
    }
    return xasprintf("%s/.config/ctr/registries.conf", home);
}

int image_registries_conf_load(const char *path, struct image_registries_conf **ret,
                               struct ctr_error **err)
{
    cleanup_free char *default_path = NULL;
    cleanup_free char *data = NULL;
    size_t len = 0;

    if (path == NULL) {
        default_path = image_registries_conf_path(err);
        if (default_path == NULL)
            return -1;
        path = default_path;
    }
    if (ctr_read_file(path, CONF_SIZE_MAX, &data, &len, err) < 0) {
        if ((*err)->code != ENOENT || default_path == NULL)
            return -1;
        /* No file at the default place is the common case: the defaults apply. */
        ctr_error_clear(err);
        return image_registries_conf_parse("", 0, path, ret, err);
    }
    return image_registries_conf_parse(data, len, path, ret, err);
}

int image_registries_conf_insecure(const struct image_registries_conf *c, const char *domain)
{
    for (size_t i = 0; i < c->n_registries; i++) {
        /* Host names are case-insensitive, as DNS has them. */
        if (c->registries[i].location != NULL && strcasecmp(c->registries[i].location, domain) == 0)
            return c->registries[i].insecure;
    }
    return 0;
}

void image_registries_conf_free(struct image_registries_conf *c)
{
    if (c == NULL)
        return;
    strv_free(c->search);
    for (size_t i = 0; i < c->n_registries; i++)
        free(c->registries[i].location);
    free(c->registries);
    free(c);
}
