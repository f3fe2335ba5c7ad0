/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The subset of Go's text/template that Podman's --format is used with, rendered against JSON
 * objects instead of Go structs.  The parser is a recursive descent over the format itself (no
 * separate lexer): the grammar is small, and offsets in errors then point into what the user
 * typed, including a leading "table ".
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "template.h"
#include "xalloc.h"

/* Parentheses nest by recursion; a bound keeps a hostile format from exhausting the stack. */
#define MAX_PAREN_DEPTH 32

enum func {
    FUNC_JSON,
    FUNC_UPPER,
    FUNC_LOWER,
    FUNC_TRUNCATE,
    FUNC_JOIN,
    FUNC_INDEX,
    FUNC_LEN,
};

static const struct {
    const char *name;
    size_t n_args;
} funcs[] = {
        [FUNC_JSON] = {"json", 1},         [FUNC_UPPER] = {"upper", 1}, [FUNC_LOWER] = {"lower", 1},
        [FUNC_TRUNCATE] = {"truncate", 2}, [FUNC_JOIN] = {"join", 2},   [FUNC_INDEX] = {"index", 2},
        [FUNC_LEN] = {"len", 1},
};

#define MAX_FUNC_ARGS 2

/* Go's keywords and the actions they start; none of them is supported. */
static const char *const keywords[] = {
        "block", "break", "continue", "define",   "else", "end",
        "if",    "nil",   "range",    "template", "with",
};

enum arg_kind {
    ARG_DOT,    /* . */
    ARG_FIELD,  /* .A.B */
    ARG_STRING, /* "..." or `...` */
    ARG_INT,    /* 42 */
    ARG_BOOL,   /* true, false */
    ARG_FUNC,   /* the function a command calls */
    ARG_PIPE,   /* (pipeline) */
};

struct pipeline;

struct arg {
    enum arg_kind kind;
    char **path;           /* ARG_FIELD: the names after each '.' */
    char *name;            /* ARG_FIELD: "A.B" */
    char *str;             /* ARG_STRING, may hold NUL bytes */
    size_t str_len;        /* ARG_STRING */
    long long num;         /* ARG_INT, ARG_BOOL */
    enum func fn;          /* ARG_FUNC */
    struct pipeline *pipe; /* ARG_PIPE */
};

/* A function and its arguments, or a single value. */
struct command {
    struct arg **args;
    size_t n_args;
};

/* Commands joined by '|': each result is the last argument of the next. */
struct pipeline {
    struct command *cmds;
    size_t n_cmds;
};

enum node_kind {
    NODE_TEXT,
    NODE_ACTION,
};

struct node {
    enum node_kind kind;
    char *text; /* NODE_TEXT: the literal with escapes applied; NODE_ACTION: its source */
    size_t len;
    struct pipeline *pipe; /* NODE_ACTION */
};

struct ctr_template {
    struct node *nodes;
    size_t n_nodes;
};

/* --- a growing output buffer, always NUL-terminated once anything was added --- */

struct buf {
    char *data;
    size_t len;
    size_t cap;
};

static void buf_free(struct buf *b)
{
    free(b->data);
}

static void buf_add(struct buf *b, const void *p, size_t n)
{
    if (n >= SIZE_MAX / 2 - b->len)
        abort();
    if (b->data == NULL || b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;

        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

static void buf_putc(struct buf *b, char c)
{
    buf_add(b, &c, 1);
}

/* Hands the text over; an empty buffer becomes "". */
static char *buf_steal(struct buf *b)
{
    if (b->data == NULL)
        return xstrdup("");
    b->len = b->cap = 0;
    return steal_pointer(&b->data);
}

/* --- the parsed form --- */

static void pipeline_free(struct pipeline *pipe);

static void arg_free(struct arg *a)
{
    if (a == NULL)
        return;
    strv_free(a->path);
    free(a->name);
    free(a->str);
    pipeline_free(a->pipe);
    free(a);
}

static void pipeline_free(struct pipeline *pipe)
{
    if (pipe == NULL)
        return;
    for (size_t i = 0; i < pipe->n_cmds; i++) {
        for (size_t j = 0; j < pipe->cmds[i].n_args; j++)
            arg_free(pipe->cmds[i].args[j]);
        free(pipe->cmds[i].args);
    }
    free(pipe->cmds);
    free(pipe);
}

DEFINE_CLEANUP_FUNC(struct arg *, arg_free)
DEFINE_CLEANUP_FUNC(struct pipeline *, pipeline_free)
DEFINE_CLEANUP_FUNC(struct ctr_template *, ctr_template_free)
/* json_decrefp comes with jansson >= 2.9. */

void ctr_template_free(struct ctr_template *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n_nodes; i++) {
        free(t->nodes[i].text);
        pipeline_free(t->nodes[i].pipe);
    }
    free(t->nodes);
    free(t);
}

static struct node *add_node(struct ctr_template *t, enum node_kind kind)
{
    struct node *n;

    t->nodes = xreallocarray(t->nodes, t->n_nodes + 1, sizeof(*t->nodes));
    n = &t->nodes[t->n_nodes++];
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    return n;
}

/* --- parsing --- */

struct parser {
    const char *s;
    size_t pos;
    size_t action; /* offset of the "{{" being parsed, for "unclosed action" */
    unsigned depth;
    struct ctr_error **err;
};

/* Go's definition of space around trim markers and between operands. */
static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ASCII letters, '_', and any byte of a UTF-8 sequence (Go takes Unicode letters). */
static int is_ident_start(char c)
{
    unsigned char u = (unsigned char)c;

    return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' || u >= 0x80;
}

static int is_ident(char c)
{
    return is_ident_start(c) || is_digit(c);
}

static int CTR_PRINTF(3, 4) fail(struct parser *p, size_t offset, const char *fmt, ...)
{
    cleanup_free char *what = NULL;
    va_list ap;

    va_start(ap, fmt);
    what = xvasprintf(fmt, ap);
    va_end(ap);
    return ctr_error_set(p->err, EINVAL, "template: %s at offset %zu", what, offset);
}

static int unexpected(struct parser *p)
{
    unsigned char c = (unsigned char)p->s[p->pos];

    if (c == '\0')
        return fail(p, p->action, "unclosed action");
    if (c >= 0x20 && c < 0x7f)
        return fail(p, p->pos, "unexpected '%c'", c);
    return fail(p, p->pos, "unexpected byte 0x%02x", c);
}

/* The length of the closing delimiter at p->pos ("}}", or "-}}" after a space), else 0. */
static size_t at_close(const struct parser *p, int *ret_trim)
{
    const char *c = p->s + p->pos;

    if (c[0] == '}' && c[1] == '}') {
        *ret_trim = 0;
        return 2;
    }
    if (c[0] == '-' && c[1] == '}' && c[2] == '}' && p->pos > 0 && is_space(c[-1])) {
        *ret_trim = 1;
        return 3;
    }
    return 0;
}

static void put_utf8(struct buf *b, uint32_t cp)
{
    char u[4];

    if (cp < 0x80) {
        buf_putc(b, (char)cp);
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        buf_add(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        buf_add(b, u, 3);
    } else {
        u[0] = (char)(0xf0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        buf_add(b, u, 4);
    }
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A Go interpreted string literal: the escapes of strconv.Unquote but octal and \x. */
static int parse_quoted(struct parser *p, struct arg *a)
{
    cleanup_with(buf_free) struct buf b = {0};
    size_t start = p->pos++;

    for (;;) {
        char c = p->s[p->pos];
        size_t esc = p->pos;
        uint32_t cp = 0;
        int n_hex;

        if (c == '\0' || c == '\n')
            return fail(p, start, "unterminated quoted string");
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c != '\\') {
            buf_putc(&b, c);
            p->pos++;
            continue;
        }
        c = p->s[p->pos + 1];
        p->pos += 2;
        switch (c) {
        case 'a':
            buf_putc(&b, '\a');
            continue;
        case 'b':
            buf_putc(&b, '\b');
            continue;
        case 'f':
            buf_putc(&b, '\f');
            continue;
        case 'n':
            buf_putc(&b, '\n');
            continue;
        case 'r':
            buf_putc(&b, '\r');
            continue;
        case 't':
            buf_putc(&b, '\t');
            continue;
        case 'v':
            buf_putc(&b, '\v');
            continue;
        case '\\':
        case '"':
            buf_putc(&b, c);
            continue;
        case 'u':
            n_hex = 4;
            break;
        case 'U':
            n_hex = 8;
            break;
        default:
            return fail(p, esc, "invalid escape in quoted string");
        }
        for (int i = 0; i < n_hex; i++) {
            int h = hex_value(p->s[p->pos]);

            if (h < 0)
                return fail(p, esc, "invalid escape in quoted string");
            cp = cp << 4 | (uint32_t)h;
            p->pos++;
        }
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return fail(p, esc, "invalid escape in quoted string");
        put_utf8(&b, cp);
    }
    a->kind = ARG_STRING;
    a->str_len = b.len;
    a->str = buf_steal(&b);
    return 0;
}

/* A Go raw string literal: no escapes, carriage returns dropped. */
static int parse_raw(struct parser *p, struct arg *a)
{
    cleanup_with(buf_free) struct buf b = {0};
    size_t start = p->pos++;

    for (;;) {
        char c = p->s[p->pos];

        if (c == '\0')
            return fail(p, start, "unterminated raw quoted string");
        p->pos++;
        if (c == '`')
            break;
        if (c != '\r')
            buf_putc(&b, c);
    }
    a->kind = ARG_STRING;
    a->str_len = b.len;
    a->str = buf_steal(&b);
    return 0;
}

static int parse_number(struct parser *p, struct arg *a)
{
    size_t start = p->pos;

    if (p->s[p->pos] == '+' || p->s[p->pos] == '-')
        p->pos++;
    while (is_digit(p->s[p->pos]))
        p->pos++;
    /* Go's hex, octal, floats and '_' separators are of no use for a column width. */
    if (is_ident(p->s[p->pos]) || p->s[p->pos] == '.')
        return fail(p, start, "bad number: only decimal integers are supported");
    errno = 0;
    a->num = strtoll(p->s + start, NULL, 10);
    if (errno == ERANGE)
        return fail(p, start, "number out of range");
    a->kind = ARG_INT;
    return 0;
}

static int parse_ident(struct parser *p, const struct command *cmd, struct arg *a)
{
    size_t start = p->pos;
    cleanup_free char *word = NULL;

    while (is_ident(p->s[p->pos]))
        p->pos++;
    word = xstrndup(p->s + start, p->pos - start);
    for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
        if (strcmp(word, keywords[i]) == 0)
            return fail(p, start, "'%s' is not supported", word);
    }
    if (strcmp(word, "true") == 0 || strcmp(word, "false") == 0) {
        a->kind = ARG_BOOL;
        a->num = word[0] == 't';
        return 0;
    }
    for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
        if (strcmp(word, funcs[i].name) != 0)
            continue;
        /* Go calls a function named as an argument with no arguments of its own. */
        if (cmd->n_args > 0)
            return fail(p, start, "wrong number of arguments for '%s': want %zu, got 0", word,
                        funcs[i].n_args);
        a->kind = ARG_FUNC;
        a->fn = (enum func)i;
        return 0;
    }
    return fail(p, start, "unknown function '%s'", word);
}

static struct pipeline *parse_pipeline(struct parser *p, size_t paren, int *ret_trim);

static int parse_field(struct parser *p, struct arg *a)
{
    size_t start = p->pos;
    size_t n = 0;

    a->kind = ARG_FIELD;
    do {
        size_t seg = ++p->pos;

        while (is_ident(p->s[p->pos]))
            p->pos++;
        a->path = xreallocarray(a->path, n + 2, sizeof(*a->path));
        a->path[n++] = xstrndup(p->s + seg, p->pos - seg);
        a->path[n] = NULL;
    } while (p->s[p->pos] == '.' && is_ident_start(p->s[p->pos + 1]));
    a->name = xstrndup(p->s + start + 1, p->pos - start - 1);
    return 0;
}

static int parse_operand(struct parser *p, struct command *cmd)
{
    cleanup_with(arg_freep) struct arg *a = xzalloc(sizeof(*a));
    const char *s = p->s;
    size_t start = p->pos;
    char c = s[p->pos];
    int r;

    if (c == '.' && is_ident_start(s[p->pos + 1])) {
        r = parse_field(p, a);
    } else if (c == '.') {
        a->kind = ARG_DOT;
        p->pos++;
        r = 0;
    } else if (c == '"') {
        r = parse_quoted(p, a);
    } else if (c == '`') {
        r = parse_raw(p, a);
    } else if (is_digit(c) || ((c == '+' || c == '-') && is_digit(s[p->pos + 1]))) {
        r = parse_number(p, a);
    } else if (is_ident_start(c)) {
        r = parse_ident(p, cmd, a);
    } else if (c == '$') {
        r = fail(p, start, "variables are not supported");
    } else if (c == '(') {
        int trim = 0;

        if (p->depth >= MAX_PAREN_DEPTH)
            return fail(p, start, "parentheses nested too deeply");
        p->pos++;
        p->depth++;
        a->kind = ARG_PIPE;
        a->pipe = parse_pipeline(p, start, &trim);
        p->depth--;
        r = a->pipe != NULL ? 0 : -1;
    } else {
        r = unexpected(p);
    }
    if (r < 0)
        return -1;
    cmd->args = xreallocarray(cmd->args, cmd->n_args + 1, sizeof(*cmd->args));
    cmd->args[cmd->n_args++] = steal_pointer(&a);
    return 0;
}

/* Checks the command just finished: stage is its index in the pipeline, start its offset. */
static int check_command(struct parser *p, const struct command *cmd, size_t stage, size_t start)
{
    const struct arg *first;
    size_t got;

    if (cmd->n_args == 0)
        return fail(p, start, "missing value for command");
    first = cmd->args[0];
    if (first->kind == ARG_FUNC) {
        got = cmd->n_args - 1 + (stage > 0);
        if (got != funcs[first->fn].n_args)
            return fail(p, start, "wrong number of arguments for '%s': want %zu, got %zu",
                        funcs[first->fn].name, funcs[first->fn].n_args, got);
        return 0;
    }
    if (cmd->n_args > 1)
        return fail(p, start, "can't give an argument to a non-function");
    if (stage > 0)
        return fail(p, start, "non-executable command in pipeline stage %zu", stage + 1);
    return 0;
}

static void add_command(struct pipeline *pipe)
{
    pipe->cmds = xreallocarray(pipe->cmds, pipe->n_cmds + 1, sizeof(*pipe->cmds));
    memset(&pipe->cmds[pipe->n_cmds++], 0, sizeof(*pipe->cmds));
}

/*
 * Parses commands up to the end of the action, or up to the ')' matching the '(' at `paren`
 * when `paren` is not SIZE_MAX.  *ret_trim tells whether the action ended with "-}}".
 */
static struct pipeline *parse_pipeline(struct parser *p, size_t paren, int *ret_trim)
{
    cleanup_with(pipeline_freep) struct pipeline *pipe = xzalloc(sizeof(*pipe));
    size_t cmd_start = p->pos;

    add_command(pipe);
    for (;;) {
        struct command *cmd = &pipe->cmds[pipe->n_cmds - 1];
        int trim = 0;
        size_t n_close;
        char c;

        while (is_space(p->s[p->pos]))
            p->pos++;
        if (cmd->n_args == 0)
            cmd_start = p->pos;
        c = p->s[p->pos];
        n_close = at_close(p, &trim);
        if (n_close > 0 && paren != SIZE_MAX) {
            fail(p, paren, "unclosed left parenthesis");
            return NULL;
        }
        if (n_close > 0 || (c == ')' && paren != SIZE_MAX)) {
            if (check_command(p, cmd, pipe->n_cmds - 1, cmd_start) < 0)
                return NULL;
            p->pos += n_close > 0 ? n_close : 1;
            *ret_trim = trim;
            return steal_pointer(&pipe);
        }
        if (c == '|') {
            if (check_command(p, cmd, pipe->n_cmds - 1, cmd_start) < 0)
                return NULL;
            p->pos++;
            add_command(pipe);
            continue;
        }
        if (parse_operand(p, cmd) < 0)
            return NULL;
        /* Go needs space between operands: ".A.B" is one field, ".A .B" two operands. */
        c = p->s[p->pos];
        if (!is_space(c) && c != '|' && c != ')' && c != '}' && c != '\0') {
            unexpected(p);
            return NULL;
        }
    }
}

/*
 * Adds the literal s[0..n) with "\t" and "\n" turned into tab and newline, as Podman does
 * before parsing, then trims the whitespace a neighbouring trim marker asks for.
 */
static void add_text(struct ctr_template *t, const char *s, size_t n, int trim_lead, int trim_trail)
{
    cleanup_free char *text = xmalloc(n + 1);
    size_t len = 0, start = 0;
    struct node *node;

    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n && (s[i + 1] == 't' || s[i + 1] == 'n')) {
            text[len++] = s[i + 1] == 't' ? '\t' : '\n';
            i++;
        } else {
            text[len++] = s[i];
        }
    }
    if (trim_lead) {
        while (start < len && is_space(text[start]))
            start++;
    }
    if (trim_trail) {
        while (len > start && is_space(text[len - 1]))
            len--;
    }
    if (len == start)
        return;
    node = add_node(t, NODE_TEXT);
    node->text = xstrndup(text + start, len - start);
    node->len = len - start;
}

/* A Go comment at p->pos (just after "{{" and any "- "), up to its closing delimiter. */
static int parse_comment(struct parser *p, int *ret_trim)
{
    const char *end = strstr(p->s + p->pos + 2, "*/");

    if (end == NULL)
        return fail(p, p->action, "unclosed comment");
    p->pos = (size_t)(end - p->s) + 2;
    if (strncmp(p->s + p->pos, "}}", 2) == 0) {
        p->pos += 2;
        *ret_trim = 0;
        return 0;
    }
    if (is_space(p->s[p->pos]) && strncmp(p->s + p->pos + 1, "-}}", 3) == 0) {
        p->pos += 4;
        *ret_trim = 1;
        return 0;
    }
    return fail(p, p->pos, "comment ends before closing delimiter");
}

static int parse_action(struct parser *p, struct ctr_template *t, int trim_left, int *ret_trim)
{
    struct pipeline *pipe;
    size_t src, src_end;
    struct node *node;

    p->pos = p->action + 2 + (trim_left ? 2 : 0);
    if (p->s[p->pos] == '/' && p->s[p->pos + 1] == '*')
        return parse_comment(p, ret_trim);
    src = p->pos;
    pipe = parse_pipeline(p, SIZE_MAX, ret_trim);
    if (pipe == NULL)
        return -1;
    src_end = p->pos - (*ret_trim ? 3 : 2);
    while (src < src_end && is_space(p->s[src]))
        src++;
    while (src_end > src && is_space(p->s[src_end - 1]))
        src_end--;
    node = add_node(t, NODE_ACTION);
    node->pipe = pipe;
    node->text = xstrndup(p->s + src, src_end - src);
    node->len = src_end - src;
    return 0;
}

int ctr_template_parse(const char *format, struct ctr_template **ret, int *ret_table,
                       struct ctr_error **err)
{
    cleanup_with(ctr_template_freep) struct ctr_template *t = xzalloc(sizeof(*t));
    struct parser p = {.s = format, .err = err};
    int table = 0, trim_next = 0;

    if (strncmp(format, "table ", 6) == 0) {
        table = 1;
        p.pos = 6;
    }
    for (;;) {
        const char *open = strstr(format + p.pos, "{{");
        size_t end = open != NULL ? (size_t)(open - format) : p.pos + strlen(format + p.pos);
        int trim_left = open != NULL && open[2] == '-' && is_space(open[3]);

        add_text(t, format + p.pos, end - p.pos, trim_next, trim_left);
        if (open == NULL)
            break;
        p.action = end;
        if (parse_action(&p, t, trim_left, &trim_next) < 0)
            return -1;
    }
    if (ret_table != NULL)
        *ret_table = table;
    *ret = steal_pointer(&t);
    return 0;
}

/* --- rendering --- */

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "real";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    case JSON_NULL:
        return "null";
    }
    return "unknown";
}

/*
 * Strings the template makes need not be UTF-8 (the format may hold any byte), so they are
 * made unchecked; json() then fails on them rather than printing invalid JSON.
 */
static json_t *new_string(const char *s, size_t n)
{
    json_t *v = json_stringn_nocheck(s != NULL ? s : "", n);

    if (v == NULL)
        abort();
    return v;
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
    buf_add(data, buffer, size);
    return 0;
}

/*
 * Compact JSON as Podman's json function prints it: keys in their order, no HTML escaping,
 * non-ASCII as is.  Reals come out as jansson prints them ("%.17g"), like ctr's other JSON.
 */
static int dump_json(struct buf *b, json_t *v, struct ctr_error **err)
{
    if (json_dump_callback(v, dump_cb, b, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER) < 0)
        return ctr_error_set(err, EINVAL, "template: json: cannot encode %s value", type_name(v));
    return 0;
}

/* A float64 as Go's %v prints it: the shortest digits that read back, %e past 1e21 or 1e-4. */
static void put_real(struct buf *b, double v)
{
    char s[64];
    int prec, exp;
    char *e;

    for (prec = 1; prec < 17; prec++) {
        snprintf(s, sizeof(s), "%.*e", prec - 1, v);
        if (strtod(s, NULL) == v)
            break;
    }
    snprintf(s, sizeof(s), "%.*e", prec - 1, v);
    e = strchr(s, 'e');
    exp = e != NULL ? (int)strtol(e + 1, NULL, 10) : 0;
    /* strconv's 'g' with the shortest precision switches to an exponent at 1e6, not 1e21. */
    if (exp >= -4 && exp < 6)
        snprintf(s, sizeof(s), "%.*f", prec - 1 - exp > 0 ? prec - 1 - exp : 0, v);
    buf_puts(b, s);
}

static int is_string_array(const json_t *v)
{
    size_t i;
    json_t *e;

    json_array_foreach(v, i, e)
    {
        if (!json_is_string(e))
            return 0;
    }
    return 1;
}

static void put_joined(struct buf *b, const json_t *arr, const char *sep, size_t sep_len)
{
    size_t i;
    json_t *e;

    json_array_foreach(arr, i, e)
    {
        if (i > 0)
            buf_add(b, sep, sep_len);
        buf_add(b, json_string_value(e), json_string_length(e));
    }
}

static int put_value(struct buf *b, json_t *v, struct ctr_error **err)
{
    char num[32];

    switch (json_typeof(v)) {
    case JSON_STRING:
        buf_add(b, json_string_value(v), json_string_length(v));
        return 0;
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        buf_puts(b, num);
        return 0;
    case JSON_REAL:
        put_real(b, json_real_value(v));
        return 0;
    case JSON_TRUE:
        buf_puts(b, "true");
        return 0;
    case JSON_FALSE:
        buf_puts(b, "false");
        return 0;
    case JSON_NULL:
        buf_puts(b, "<no value>");
        return 0;
    case JSON_ARRAY:
        /* As Go prints a []string: "[sleep 1000]". */
        if (is_string_array(v)) {
            buf_puts(b, "[");
            put_joined(b, v, " ", 1);
            buf_puts(b, "]");
            return 0;
        }
        return dump_json(b, v, err);
    case JSON_OBJECT:
        return dump_json(b, v, err);
    }
    return dump_json(b, v, err);
}

static json_t *lookup(const struct arg *a, json_t *dot, struct ctr_error **err)
{
    json_t *cur = dot;

    for (char **name = a->path; *name != NULL; name++) {
        json_t *next;

        if (!json_is_object(cur)) {
            ctr_error_set(err, EINVAL, "template: can't evaluate field %s in type %s", *name,
                          type_name(cur));
            return NULL;
        }
        next = json_object_get(cur, *name);
        if (next == NULL) {
            ctr_error_set(err, EINVAL, "template: can't evaluate field %s", *name);
            return NULL;
        }
        cur = next;
    }
    return json_incref(cur);
}

static json_t *eval_pipeline(const struct pipeline *pipe, json_t *dot, struct ctr_error **err);

/* A new reference to the value of `a`. */
static json_t *eval_arg(const struct arg *a, json_t *dot, struct ctr_error **err)
{
    switch (a->kind) {
    case ARG_DOT:
        return json_incref(dot);
    case ARG_FIELD:
        return lookup(a, dot, err);
    case ARG_STRING:
        return new_string(a->str, a->str_len);
    case ARG_INT:
        return json_integer(a->num);
    case ARG_BOOL:
        return json_boolean(a->num);
    case ARG_PIPE:
        return eval_pipeline(a->pipe, dot, err);
    case ARG_FUNC:
        break;
    }
    /* The parser only puts a function first in a command. */
    abort();
}

struct values {
    json_t *v[MAX_FUNC_ARGS];
    size_t n;
};

static void values_clear(struct values *vals)
{
    for (size_t i = 0; i < vals->n; i++)
        json_decref(vals->v[i]);
}

static json_t *fail_type(struct ctr_error **err, enum func fn, const char *want, const json_t *v)
{
    ctr_error_set(err, EINVAL, "template: %s: expected %s, got %s", funcs[fn].name, want,
                  type_name(v));
    return NULL;
}

static json_t *fn_case(enum func fn, json_t *v, struct ctr_error **err)
{
    cleanup_free char *s = NULL;
    size_t len;

    if (!json_is_string(v))
        return fail_type(err, fn, "a string", v);
    len = json_string_length(v);
    s = xmalloc(len + 1);
    memcpy(s, json_string_value(v), len + 1);
    /* ASCII only: strings.ToUpper's Unicode tables are not worth carrying for column text. */
    for (size_t i = 0; i < len; i++) {
        if (fn == FUNC_UPPER && s[i] >= 'a' && s[i] <= 'z')
            s[i] = (char)(s[i] - 'a' + 'A');
        else if (fn == FUNC_LOWER && s[i] >= 'A' && s[i] <= 'Z')
            s[i] = (char)(s[i] - 'A' + 'a');
    }
    return new_string(s, len);
}

static json_t *fn_truncate(json_t *v, json_t *n, struct ctr_error **err)
{
    const char *s;
    size_t len;
    json_int_t want;

    if (!json_is_string(v))
        return fail_type(err, FUNC_TRUNCATE, "a string", v);
    if (!json_is_integer(n))
        return fail_type(err, FUNC_TRUNCATE, "an integer length", n);
    want = json_integer_value(n);
    if (want < 0) {
        ctr_error_set(err, EINVAL, "template: truncate: negative length %" JSON_INTEGER_FORMAT,
                      want);
        return NULL;
    }
    s = json_string_value(v);
    len = json_string_length(v);
    if ((json_int_t)len > want) {
        len = (size_t)want;
        /* Podman cuts bytes; we back off to a character boundary rather than split one. */
        while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
            len--;
    }
    return new_string(s, len);
}

static json_t *fn_join(json_t *arr, json_t *sep, struct ctr_error **err)
{
    cleanup_with(buf_free) struct buf b = {0};
    size_t i;
    json_t *e;

    if (!json_is_array(arr))
        return fail_type(err, FUNC_JOIN, "an array of strings", arr);
    json_array_foreach(arr, i, e)
    {
        if (!json_is_string(e)) {
            ctr_error_set(err, EINVAL,
                          "template: join: expected an array of strings, element %zu is %s", i,
                          type_name(e));
            return NULL;
        }
    }
    if (!json_is_string(sep))
        return fail_type(err, FUNC_JOIN, "a string separator", sep);
    put_joined(&b, arr, json_string_value(sep), json_string_length(sep));
    return new_string(b.data, b.len);
}

/*
 * Go's index with one key: an array's element, or an object's member.  A member the object
 * lacks is "", as Go gives for the map[string]string that Podman's labels and annotations are
 * (labels with dots in their names cannot be reached with {{.Labels.a.b}}).
 */
static json_t *fn_index(json_t *coll, json_t *key, struct ctr_error **err)
{
    json_t *v;

    if (json_is_array(coll)) {
        json_int_t i;

        if (!json_is_integer(key))
            return fail_type(err, FUNC_INDEX, "an integer index for an array", key);
        i = json_integer_value(key);
        if (i < 0 || (size_t)i >= json_array_size(coll)) {
            ctr_error_set(err, EINVAL,
                          "template: index: index %" JSON_INTEGER_FORMAT
                          " out of range (length %zu)",
                          i, json_array_size(coll));
            return NULL;
        }
        return json_incref(json_array_get(coll, (size_t)i));
    }
    if (!json_is_object(coll))
        return fail_type(err, FUNC_INDEX, "an array or an object", coll);
    if (!json_is_string(key))
        return fail_type(err, FUNC_INDEX, "a string key for an object", key);
    /* Keys with a NUL byte cannot be members: jansson's keys are C strings. */
    if (strlen(json_string_value(key)) != json_string_length(key))
        return new_string("", 0);
    v = json_object_get(coll, json_string_value(key));
    return v != NULL ? json_incref(v) : new_string("", 0);
}

/* Go's len: bytes of a string, elements of an array, members of an object. */
static json_t *fn_len(json_t *v, struct ctr_error **err)
{
    if (json_is_string(v))
        return json_integer((json_int_t)json_string_length(v));
    if (json_is_array(v))
        return json_integer((json_int_t)json_array_size(v));
    if (json_is_object(v))
        return json_integer((json_int_t)json_object_size(v));
    return fail_type(err, FUNC_LEN, "a string, an array or an object", v);
}

/* Calls the function of `cmd`; `piped` (may be NULL) is the previous stage's result. */
static json_t *call(const struct command *cmd, json_t *dot, json_t *piped, struct ctr_error **err)
{
    cleanup_with(values_clear) struct values vals = {{NULL}, 0};
    enum func fn = cmd->args[0]->fn;

    for (size_t i = 1; i < cmd->n_args; i++) {
        json_t *v = eval_arg(cmd->args[i], dot, err);

        if (v == NULL)
            return NULL;
        vals.v[vals.n++] = v;
    }
    if (piped != NULL)
        vals.v[vals.n++] = json_incref(piped);
    switch (fn) {
    case FUNC_JSON: {
        cleanup_with(buf_free) struct buf b = {0};

        if (dump_json(&b, vals.v[0], err) < 0)
            return NULL;
        return new_string(b.data, b.len);
    }
    case FUNC_UPPER:
    case FUNC_LOWER:
        return fn_case(fn, vals.v[0], err);
    case FUNC_TRUNCATE:
        return fn_truncate(vals.v[0], vals.v[1], err);
    case FUNC_JOIN:
        return fn_join(vals.v[0], vals.v[1], err);
    case FUNC_INDEX:
        return fn_index(vals.v[0], vals.v[1], err);
    case FUNC_LEN:
        return fn_len(vals.v[0], err);
    }
    abort();
}

static json_t *eval_pipeline(const struct pipeline *pipe, json_t *dot, struct ctr_error **err)
{
    /* Not a cleanup variable: gcc 12's -fanalyzer loses it across the recursion through '('. */
    json_t *prev = NULL;

    for (size_t i = 0; i < pipe->n_cmds; i++) {
        const struct command *cmd = &pipe->cmds[i];
        json_t *v = cmd->args[0]->kind == ARG_FUNC ? call(cmd, dot, prev, err)
                                                   : eval_arg(cmd->args[0], dot, err);

        json_decref(prev);
        if (v == NULL)
            return NULL;
        prev = v;
    }
    return prev;
}

char *ctr_template_render(const struct ctr_template *t, json_t *obj, struct ctr_error **err)
{
    cleanup_with(buf_free) struct buf out = {0};
    json_t *dot = obj != NULL ? obj : json_null();

    for (size_t i = 0; i < t->n_nodes; i++) {
        const struct node *n = &t->nodes[i];
        cleanup_with(json_decrefp) json_t *v = NULL;

        if (n->kind == NODE_TEXT) {
            buf_add(&out, n->text, n->len);
            continue;
        }
        v = eval_pipeline(n->pipe, dot, err);
        if (v == NULL || put_value(&out, v, err) < 0)
            return NULL;
    }
    return buf_steal(&out);
}

/* --- the header row --- */

/* Counts the fields an action refers to, and remembers the last one. */
static size_t count_fields(const struct pipeline *pipe, const struct arg **ret_field)
{
    size_t n = 0;

    for (size_t i = 0; i < pipe->n_cmds; i++) {
        for (size_t j = 0; j < pipe->cmds[i].n_args; j++) {
            const struct arg *a = pipe->cmds[i].args[j];

            if (a->kind == ARG_FIELD) {
                *ret_field = a;
                n++;
            } else if (a->kind == ARG_PIPE) {
                n += count_fields(a->pipe, ret_field);
            }
        }
    }
    return n;
}

enum char_class {
    CLASS_LOWER,
    CLASS_UPPER,
    CLASS_DIGIT,
    CLASS_OTHER,
};

static enum char_class char_class(char c)
{
    if (c >= 'A' && c <= 'Z')
        return CLASS_UPPER;
    if (is_digit(c))
        return CLASS_DIGIT;
    if ((c >= 'a' && c <= 'z') || (unsigned char)c >= 0x80)
        return CLASS_LOWER;
    return CLASS_OTHER;
}

/*
 * Podman's default column title: the name split at its camel-case words, upper-cased and
 * joined by spaces ("CreatedAt" is "CREATED AT", "ID" stays "ID"), as containers/common's
 * report.Headers does with fatih/camelcase.
 */
static void put_default_header(struct buf *b, const char *name, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = name[i];

        if (i > 0) {
            enum char_class prev = char_class(name[i - 1]), cur = char_class(c);
            int split = prev != cur;

            /* An upper-case run followed by lower case gives its last letter to the word. */
            if (prev == CLASS_UPPER && cur == CLASS_LOWER)
                split = 0;
            if (prev == CLASS_UPPER && cur == CLASS_UPPER && i + 1 < len &&
                char_class(name[i + 1]) == CLASS_LOWER)
                split = 1;
            if (split)
                buf_putc(b, ' ');
        }
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        buf_putc(b, c);
    }
}

char *ctr_template_header(const struct ctr_template *t, const char *(*headers)(const char *field))
{
    cleanup_with(buf_free) struct buf out = {0};

    for (size_t i = 0; i < t->n_nodes; i++) {
        const struct node *n = &t->nodes[i];
        const struct arg *field = NULL;
        const char *h;

        if (n->kind == NODE_TEXT || count_fields(n->pipe, &field) != 1) {
            buf_add(&out, n->text, n->len);
            continue;
        }
        h = headers != NULL ? headers(field->name) : NULL;
        if (h != NULL) {
            buf_puts(&out, h);
            continue;
        }
        for (char **name = field->path; *name != NULL; name++) {
            if (name != field->path)
                buf_putc(&out, '.');
            put_default_header(&out, *name, strlen(*name));
        }
    }
    return buf_steal(&out);
}
