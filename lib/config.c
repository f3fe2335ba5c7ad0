/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctr.conf: a handful of KEY = VALUE lines.  The parser is strict on purpose: a misspelt key
 * that were silently ignored would leave the user guessing why a default did not change.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "config.h"
#include "fsutil.h"
#include "xalloc.h"

/* Far more than a file of five keys needs; a bound keeps a wrong path from being slurped. */
#define CONFIG_MAX_SIZE (1024 * 1024)

enum key {
    KEY_ROOT,
    KEY_RUNROOT,
    KEY_LOG_LEVEL,
    KEY_NETWORK,
    KEY_PULL,
    N_KEYS,
};

static const char *const key_names[N_KEYS] = {
        [KEY_ROOT] = "root",       [KEY_RUNROOT] = "runroot", [KEY_LOG_LEVEL] = "log_level",
        [KEY_NETWORK] = "network", [KEY_PULL] = "pull",
};

/* The --network modes run and create know (net/helper.h); options after ':' are checked there. */
static const char *const network_modes[] = {
        "pasta", "slirp4netns", "none", "host", "ns", "container",
};

struct parser {
    const char *name;
    unsigned line;
    unsigned seen[N_KEYS]; /* the line each key was set on, 0 when not yet */
    struct ctr_error **err;
};

static int CTR_PRINTF(2, 3) fail(struct parser *p, const char *fmt, ...)
{
    cleanup_free char *what = NULL;
    va_list ap;

    va_start(ap, fmt);
    what = xvasprintf(fmt, ap);
    va_end(ap);
    return ctr_error_set(p->err, EINVAL, "%s:%u: %s", p->name, p->line, what);
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* A quoted value from just after the opening '"'; *pos ends after what follows the quote. */
static char *parse_quoted(struct parser *p, const char *key, const char *s, size_t len, size_t *pos)
{
    cleanup_free char *out = xmalloc(len + 1);
    size_t i = *pos, n = 0;

    for (;;) {
        if (i >= len) {
            fail(p, "'%s': the quoted value has no closing '\"'", key);
            return NULL;
        }
        if (s[i] == '"')
            break;
        if (s[i] == '\\') {
            if (i + 1 >= len || (s[i + 1] != '"' && s[i + 1] != '\\')) {
                fail(p, "'%s': only \\\" and \\\\ may be escaped in a quoted value", key);
                return NULL;
            }
            i++;
        }
        out[n++] = s[i++];
    }
    out[n] = '\0';
    for (i++; i < len && is_blank(s[i]); i++)
        ;
    if (i < len && s[i] != '#') {
        fail(p, "'%s': unexpected text after the quoted value", key);
        return NULL;
    }
    *pos = len;
    return steal_pointer(&out);
}

static int check_value(struct parser *p, enum key k, const char *v, struct ctr_config *c)
{
    const char *key = key_names[k];
    size_t mode_len = strcspn(v, ":");
    int known = 0;

    switch (k) {
    case KEY_ROOT:
    case KEY_RUNROOT:
        if (v[0] != '/')
            return fail(p, "'%s' must be an absolute path, got '%s'", key, v);
        return 0;
    case KEY_LOG_LEVEL:
        if (ctr_log_parse_level(v, &c->log_level, p->err) < 0)
            return ctr_error_wrap(p->err, "%s:%u: '%s'", p->name, p->line, key);
        c->has_log_level = 1;
        return 0;
    case KEY_NETWORK:
        for (size_t i = 0; i < sizeof(network_modes) / sizeof(network_modes[0]); i++)
            known |= strlen(network_modes[i]) == mode_len &&
                     strncmp(v, network_modes[i], mode_len) == 0;
        if (!known)
            return fail(p,
                        "'%s' takes pasta, slirp4netns, none, host, ns:PATH or container:NAME, "
                        "not '%s'",
                        key, v);
        c->network_line = p->line;
        return 0;
    case KEY_PULL:
        if (strcmp(v, "missing") != 0 && strcmp(v, "always") != 0 && strcmp(v, "never") != 0)
            return fail(p, "'%s' takes missing, always or never, not '%s'", key, v);
        return 0;
    case N_KEYS:
        break;
    }
    abort();
}

static char **slot(struct ctr_config *c, enum key k)
{
    switch (k) {
    case KEY_ROOT:
        return &c->root;
    case KEY_RUNROOT:
        return &c->runroot;
    case KEY_NETWORK:
        return &c->network;
    case KEY_PULL:
        return &c->pull;
    case KEY_LOG_LEVEL:
    case N_KEYS:
        break;
    }
    return NULL;
}

/* One line without its '\n': empty, a comment, or KEY = VALUE. */
static int parse_line(struct parser *p, const char *s, size_t len, struct ctr_config *c)
{
    cleanup_free char *key = NULL, *value = NULL;
    size_t i = 0, start;
    enum key k;
    char **dst;

    if (len > 0 && s[len - 1] == '\r')
        len--;
    for (size_t j = 0; j < len; j++) {
        unsigned char b = (unsigned char)s[j];

        if ((b < 0x20 && b != '\t') || b == 0x7f)
            return fail(p, "invalid byte 0x%02x", b);
    }
    while (i < len && is_blank(s[i]))
        i++;
    if (i == len || s[i] == '#')
        return 0;
    if (s[i] == '[')
        return fail(p, "sections are not supported: ctr.conf has only KEY = VALUE lines");
    start = i;
    while (i < len && is_key_char(s[i]))
        i++;
    key = xstrndup(s + start, i - start);
    while (i < len && is_blank(s[i]))
        i++;
    if (key[0] == '\0' || i == len || s[i] != '=')
        return fail(p, "expected KEY = VALUE, got '%.*s'", (int)(len - start), s + start);
    for (k = 0; k < N_KEYS; k++) {
        if (strcmp(key, key_names[k]) == 0)
            break;
    }
    if (k == N_KEYS)
        return fail(p, "unknown key '%s': use root, runroot, log_level, network or pull", key);
    if (p->seen[k] != 0)
        return fail(p, "'%s' is set twice (first on line %u)", key, p->seen[k]);
    p->seen[k] = p->line;
    for (i++; i < len && is_blank(s[i]); i++)
        ;
    if (i < len && s[i] == '"') {
        i++;
        value = parse_quoted(p, key, s, len, &i);
        if (value == NULL)
            return -1;
    } else {
        size_t end = i;

        while (end < len && s[end] != '#')
            end++;
        while (end > i && is_blank(s[end - 1]))
            end--;
        value = xstrndup(s + i, end - i);
    }
    if (value[0] == '\0')
        return fail(p, "'%s' needs a value", key);
    if (check_value(p, k, value, c) < 0)
        return -1;
    dst = slot(c, k);
    if (dst != NULL)
        *dst = steal_pointer(&value);
    return 0;
}

int ctr_config_parse(const char *name, const char *text, size_t len, struct ctr_config *ret,
                     struct ctr_error **err)
{
    struct ctr_config c = {0};
    struct parser p = {.name = name, .line = 0, .err = err};
    size_t pos = 0;

    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t line_len = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;

        p.line++;
        if (parse_line(&p, text + pos, line_len, &c) < 0) {
            ctr_config_clear(&c);
            return -1;
        }
        pos += line_len + 1;
    }
    *ret = c;
    return 0;
}

int ctr_config_load(const char *path, struct ctr_config *ret, struct ctr_error **err)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    cleanup_free char *data = NULL;
    struct stat st;
    size_t len = 0;

    if (fd < 0 && errno == ENOENT) {
        memset(ret, 0, sizeof(*ret));
        return 0;
    }
    if (fd < 0)
        return ctr_error_errno(err, "read '%s'", path);
    if (fstat(fd, &st) < 0)
        return ctr_error_errno(err, "read '%s'", path);
    if (!S_ISREG(st.st_mode))
        return ctr_error_set(err, EINVAL, "read '%s': not a regular file", path);
    if (st.st_size > CONFIG_MAX_SIZE)
        return ctr_error_set(err, EFBIG, "read '%s': larger than %d bytes", path, CONFIG_MAX_SIZE);
    if (ctr_read_fd(fd, path, CONFIG_MAX_SIZE, &data, &len, err) < 0)
        return -1;
    return ctr_config_parse(path, data, len, ret, err);
}

char *ctr_config_path(const char *xdg_config_home, const char *home)
{
    if (xdg_config_home != NULL && xdg_config_home[0] == '/')
        return xasprintf("%s/ctr/ctr.conf", xdg_config_home);
    if (home != NULL && home[0] == '/')
        return xasprintf("%s/.config/ctr/ctr.conf", home);
    return NULL;
}

void ctr_config_clear(struct ctr_config *c)
{
    free(c->root);
    free(c->runroot);
    free(c->network);
    free(c->pull);
    memset(c, 0, sizeof(*c));
}
