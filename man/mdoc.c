/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Markdown subset to mdoc(7).  mdoc wants one sentence per line, macros on lines of their own
 * and punctuation after a macro as separate arguments; `mandoc -T lint` checks all of it, and
 * tests/integration/manpages.bats runs it over every page.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fsutil.h"
#include "mdoc.h"
#include "xalloc.h"

#define SOURCE_SIZE_MAX (1 << 20)
#define TEXT_LINE_MAX   80

/* Closing and opening delimiters, which mdoc sets apart from a macro's own arguments. */
#define CLOSE_DELIMS ".,:;)]?!"
#define OPEN_DELIMS  "(["

/* A growing string. */
struct buf {
    char *s;
    size_t len, cap;
};

static void buf_addn(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void buf_add(struct buf *b, const char *s)
{
    buf_addn(b, s, strlen(s));
}

static void buf_addc(struct buf *b, char c)
{
    buf_addn(b, &c, 1);
}

/* Appends " " (unless empty) and an argument, freeing it. */
static void buf_arg(struct buf *b, char *arg)
{
    if (b->len > 0)
        buf_addc(b, ' ');
    buf_add(b, arg);
    free(arg);
}

static char *buf_steal(struct buf *b)
{
    char *s = b->s ? b->s : xstrdup("");

    memset(b, 0, sizeof(*b));
    return s;
}

static int fail(struct ctr_error **err, const char *path, unsigned no, const char *fmt, ...)
        CTR_PRINTF(4, 5);

static int fail(struct ctr_error **err, const char *path, unsigned no, const char *fmt, ...)
{
    cleanup_free char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = xvasprintf(fmt, ap);
    va_end(ap);
    return ctr_error_set(err, EINVAL, "%s:%u: %s", path, no, msg);
}

/* --- reading sources --- */

int md_doc_load(const char *path, struct md_doc *ret, struct ctr_error **err)
{
    struct md_doc d = {0};
    size_t len = 0, cap = 0;
    unsigned no = 0;
    char *p;

    if (ctr_read_file(path, SOURCE_SIZE_MAX, &d.buf, &len, err) < 0)
        return ctr_error_wrap(err, "read '%s'", path);
    d.path = xstrdup(path);
    for (p = d.buf; *p != '\0';) {
        char *nl = strchr(p, '\n');
        size_t l;

        if (nl != NULL)
            *nl = '\0';
        no++;
        l = strlen(p);
        while (l > 0 && (p[l - 1] == ' ' || p[l - 1] == '\t' || p[l - 1] == '\r'))
            p[--l] = '\0';
        /* The SPDX header: a whole-line HTML comment. */
        if (!(strncmp(p, "<!--", 4) == 0 && l >= 7 && strcmp(p + l - 3, "-->") == 0)) {
            if (strchr(p, '\t') != NULL) {
                md_doc_clear(&d);
                return fail(err, path, no, "a tab: indent with spaces");
            }
            if (d.n == cap) {
                cap = cap ? cap * 2 : 64;
                d.lines = xreallocarray(d.lines, cap, sizeof(*d.lines));
            }
            d.lines[d.n++] = (struct md_line){p, no};
        }
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    *ret = d;
    return 0;
}

void md_doc_clear(struct md_doc *doc)
{
    free(doc->path);
    free(doc->buf);
    free(doc->lines);
    memset(doc, 0, sizeof(*doc));
}

static int is_blank(const char *s)
{
    return s[0] == '\0';
}

static size_t indent_of(const char *s)
{
    size_t i = 0;

    while (s[i] == ' ')
        i++;
    return i;
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int md_doc_sections(const struct md_doc *doc, struct md_section **ret, size_t *ret_n,
                    struct ctr_error **err)
{
    struct md_section *s = NULL;
    size_t n = 0;
    int in_code = 0;

    for (size_t i = 0; i < doc->n; i++) {
        const char *t = doc->lines[i].text;

        /* A '#' in a code block (a shell comment) is no heading. */
        if (starts(t + indent_of(t), "```"))
            in_code = !in_code;
        if (!in_code && starts(t, "# ")) {
            s = xreallocarray(s, n + 1, sizeof(*s));
            s[n++] = (struct md_section){t + 2, doc->lines[i].no, doc->lines + i + 1, 0};
            for (const char *c = t + 2; *c != '\0'; c++) {
                if (islower((unsigned char)*c)) {
                    free(s);
                    return fail(err, doc->path, doc->lines[i].no,
                                "section titles are upper case: '%s'", t + 2);
                }
            }
        } else if (n > 0) {
            s[n - 1].n++;
        } else if (!is_blank(t)) {
            return fail(err, doc->path, doc->lines[i].no,
                        "text before the first '# SECTION' heading");
        }
    }
    *ret = s;
    *ret_n = n;
    return 0;
}

/*
 * The lines of one list item or definition starting at l[*i], whose first line's text begins
 * at `first`: that, and the following lines indented by two spaces (blank lines included when
 * an indented line follows), de-indented.  Advances *i past them.
 */
static void collect_body(const struct md_line *l, size_t n, size_t *i, const char *first,
                         struct md_line **ret, size_t *ret_n)
{
    struct md_line *body = xcalloc(n - *i + 1, sizeof(*body));
    size_t k = 0, j = *i + 1;

    body[k++] = (struct md_line){first, l[*i].no};
    while (j < n) {
        if (is_blank(l[j].text)) {
            size_t next = j;

            while (next < n && is_blank(l[next].text))
                next++;
            if (next == n || indent_of(l[next].text) < 2)
                break;
            for (; j < next; j++)
                body[k++] = (struct md_line){"", l[j].no};
            continue;
        }
        if (indent_of(l[j].text) < 2)
            break;
        body[k++] = (struct md_line){l[j].text + 2, l[j].no};
        j++;
    }
    *i = j;
    *ret = body;
    *ret_n = k;
}

/* After an item: skips blank lines when another item of the same list follows. */
static int list_continues(const struct md_line *l, size_t n, size_t *i, int deflist)
{
    size_t j = *i;

    while (j < n && is_blank(l[j].text))
        j++;
    if (j == n)
        return 0;
    if (deflist ? (j + 1 < n && !is_blank(l[j].text) && indent_of(l[j].text) == 0 &&
                   starts(l[j + 1].text, ": "))
                : starts(l[j].text, "- ")) {
        *i = j;
        return 1;
    }
    return 0;
}

static int is_term(const struct md_line *l, size_t n, size_t i)
{
    return i + 1 < n && indent_of(l[i].text) == 0 && starts(l[i + 1].text, ": ");
}

void md_defs_free(struct md_def *defs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(defs[i].body);
    free(defs);
}

int md_deflist(const char *path, const struct md_line *l, size_t n, struct md_def **ret,
               size_t *ret_n, struct ctr_error **err)
{
    struct md_def *defs = NULL;
    size_t nd = 0, i = 0;

    while (i < n && is_blank(l[i].text))
        i++;
    while (i < n) {
        if (!is_term(l, n, i)) {
            md_defs_free(defs, nd);
            return fail(err, path, l[i].no, "expected a definition list: a term, then ': '");
        }
        defs = xreallocarray(defs, nd + 1, sizeof(*defs));
        defs[nd].term = l[i];
        i++;
        collect_body(l, n, &i, l[i].text + 2, &defs[nd].body, &defs[nd].n);
        nd++;
        if (!list_continues(l, n, &i, 1)) {
            while (i < n && is_blank(l[i].text))
                i++;
            if (i < n) {
                md_defs_free(defs, nd);
                return fail(err, path, l[i].no, "only a definition list may be here");
            }
        }
    }
    *ret = defs;
    *ret_n = nd;
    return 0;
}

/* --- inline text --- */

enum piece_kind {
    PIECE_TEXT,
    PIECE_CODE,
    PIECE_BOLD,
    PIECE_ITALIC,
    PIECE_XREF,
};

/* Part of a word: text, or one inline element (their text without the markup). */
struct piece {
    enum piece_kind kind;
    char *text; /* PIECE_XREF: the page name */
    char section;
};

/* A run of text between spaces; spaces inside `code` and **bold** do not end it. */
struct word {
    struct piece *p;
    size_t n;
};

static void word_clear(struct word *w)
{
    for (size_t k = 0; k < w->n; k++)
        free(w->p[k].text);
    free(w->p);
}

static void words_free(struct word *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        word_clear(&w[i]);
    free(w);
}

static void word_push(struct word *w, enum piece_kind kind, const char *s, size_t len, char sec)
{
    w->p = xreallocarray(w->p, w->n + 1, sizeof(*w->p));
    w->p[w->n++] = (struct piece){kind, xstrndup(s, len), sec};
}

static int is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-';
}

/* Adds a text piece, split around the name(N) references in it. */
static void push_text(struct word *w, const char *s, size_t len, int markup)
{
    size_t start = 0;

    for (size_t i = 0; markup && i + 2 < len; i++) {
        size_t b = i;

        if (s[i] != '(' || s[i + 1] < '1' || s[i + 1] > '9' || s[i + 2] != ')')
            continue;
        while (b > start && is_name_char(s[b - 1]))
            b--;
        while (b < i && !isalpha((unsigned char)s[b]))
            b++;
        if (b == i)
            continue;
        if (b > start)
            word_push(w, PIECE_TEXT, s + start, b - start, 0);
        word_push(w, PIECE_XREF, s + b, i - b, s[i + 1]);
        start = i + 3;
        i += 2;
    }
    if (len > start)
        word_push(w, PIECE_TEXT, s + start, len - start, 0);
}

/* Finds the closing `delim` of a span opened before s[0]; the span must not be empty. */
static const char *span_end(const char *s, const char *delim)
{
    const char *e = strstr(s, delim);

    return e == s ? NULL : e;
}

static int split_words(struct mdoc *m, unsigned no, const char *s, int markup, struct word **ret,
                       size_t *ret_n, struct ctr_error **err)
{
    struct word *words = NULL;
    size_t n = 0;

    while (*s != '\0') {
        struct buf text = {0};
        struct word w = {0};

        while (isspace((unsigned char)*s))
            s++;
        if (*s == '\0')
            break;
        while (*s != '\0' && !isspace((unsigned char)*s)) {
            const char *e;
            enum piece_kind kind;
            size_t open;

            if (markup && *s == '\\' && ispunct((unsigned char)s[1])) {
                buf_addc(&text, s[1]);
                s += 2;
                continue;
            }
            if (!markup || (*s != '`' && *s != '*')) {
                buf_addc(&text, *s++);
                continue;
            }
            if (*s == '`') {
                kind = PIECE_CODE;
                open = 1;
                e = span_end(s + 1, "`");
            } else if (s[1] == '*') {
                kind = PIECE_BOLD;
                open = 2;
                e = span_end(s + 2, "**");
            } else {
                kind = PIECE_ITALIC;
                open = 1;
                e = span_end(s + 1, "*");
            }
            if (e == NULL) {
                free(text.s);
                word_clear(&w);
                words_free(words, n);
                return fail(err, m->path, no, "an unclosed or empty '%.*s' in '%s'", (int)open, s,
                            s);
            }
            if (text.len > 0)
                push_text(&w, text.s, text.len, markup);
            text.len = 0;
            word_push(&w, kind, s + open, (size_t)(e - s) - open, 0);
            s = e + open;
        }
        if (text.len > 0)
            push_text(&w, text.s, text.len, markup);
        free(text.s);
        words = xreallocarray(words, n + 1, sizeof(*words));
        words[n++] = w;
    }
    *ret = words;
    *ret_n = n;
    return 0;
}

static int is_macro_name(const char *s, size_t len)
{
    if (len < 2 || len > 3 || !(isupper((unsigned char)s[0]) || s[0] == '%'))
        return 0;
    for (size_t i = 1; i < len; i++) {
        if (!isalpha((unsigned char)s[i]))
            return 0;
    }
    return 1;
}

char *mdoc_arg(const char *s, size_t len, int literal)
{
    struct buf b = {0};
    int quote = len == 0 || memchr(s, ' ', len) != NULL;

    if (quote)
        buf_addc(&b, '"');
    else if (is_macro_name(s, len) || (len == 1 && strchr(CLOSE_DELIMS OPEN_DELIMS "|", s[0])))
        buf_add(&b, "\\&");
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\\')
            buf_add(&b, "\\e");
        else if (s[i] == '"')
            buf_add(&b, "\\(dq");
        else if (s[i] == '-' && literal)
            buf_add(&b, "\\-");
        else
            buf_addc(&b, s[i]);
    }
    /* A delimiter that ends an argument is meant as part of it, not as punctuation. */
    if (len > 1 && strchr(CLOSE_DELIMS, s[len - 1]) != NULL)
        buf_add(&b, "\\&");
    if (quote)
        buf_addc(&b, '"');
    return buf_steal(&b);
}

static int all_of(const char *s, const char *set)
{
    return s[0] != '\0' && strspn(s, set) == strlen(s);
}

static int is_env_name(const char *s)
{
    if (!isupper((unsigned char)s[0]))
        return 0;
    for (; *s != '\0'; s++) {
        if (!isupper((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
            return 0;
    }
    return 1;
}

static int is_flag(const char *s)
{
    size_t i = s[1] == '-' ? 2 : 1;

    if (s[0] != '-' || !isalnum((unsigned char)s[i]))
        return 0;
    for (; s[i] != '\0'; i++) {
        if (!isalnum((unsigned char)s[i]) && s[i] != '-')
            return 0;
    }
    return 1;
}

/*
 * Appends one inline element as a macro and its arguments; returns whether the macro encloses
 * the rest of its line (Ql), so that nothing but punctuation may follow it.
 */
static int piece_macro(struct buf *b, const struct piece *p, const char *open_delims, int in_item)
{
    const char *t = p->text;
    const char *macro;
    int literal = 1, enclosing = 0;
    size_t skip = 0;

    switch (p->kind) {
    case PIECE_CODE:
        if (is_flag(t)) {
            macro = "Fl";
            skip = 1;
        } else if (is_env_name(t)) {
            macro = "Ev";
        } else if (strchr(t, ' ') == NULL && (t[0] == '/' || t[0] == '~' || t[0] == '$')) {
            macro = "Pa";
        } else if (in_item && strchr(t, ' ') == NULL) {
            /* A keyword heading a definition ("`root`" of a file's keys): bold, unquoted. */
            macro = "Cm";
        } else if (in_item) {
            /* Ql would enclose the rest of the .It line; So ... Sc is the same, explicitly. */
            buf_arg(b, xstrdup("So"));
            for (const char *d = open_delims; d && *d; d++)
                buf_arg(b, xstrndup(d, 1));
            buf_arg(b, xstrdup("Li"));
            buf_arg(b, mdoc_arg(t, strlen(t), 1));
            buf_arg(b, xstrdup("Sc"));
            return 0;
        } else {
            macro = "Ql";
            enclosing = 1;
        }
        break;
    case PIECE_BOLD:
        macro = "Sy";
        literal = 0;
        break;
    case PIECE_ITALIC:
        macro = is_env_name(t) ? "Ar" : "Em";
        literal = macro[0] == 'A';
        break;
    case PIECE_XREF:
        buf_arg(b, xstrdup("Xr"));
        for (const char *d = open_delims; d && *d; d++)
            buf_arg(b, xstrndup(d, 1));
        buf_arg(b, mdoc_arg(t, strlen(t), 0));
        buf_arg(b, xasprintf("%c", p->section));
        return 0;
    default:
        abort();
    }
    buf_arg(b, xstrdup(macro));
    for (const char *d = open_delims; d && *d; d++)
        buf_arg(b, xstrndup(d, 1));
    buf_arg(b, mdoc_arg(t + skip, strlen(t + skip), literal));
    return enclosing;
}

/*
 * Appends a word that holds inline elements as macro arguments.  `line_start`: b is a new
 * macro line and must begin with a macro; otherwise b continues an .It line, and *in_macro
 * says whether plain text would be taken as the previous macro's argument.
 */
static int word_args(struct mdoc *m, unsigned no, const struct word *w, struct buf *b,
                     int line_start, int *in_macro, int *enclosed, struct ctr_error **err)
{
    const char *open = NULL;
    int need_ns = 0;

    for (size_t i = 0; i < w->n; i++) {
        const struct piece *p = &w->p[i];
        int first = i == 0, last = i + 1 == w->n;

        if (*enclosed && (p->kind != PIECE_TEXT || !all_of(p->text, CLOSE_DELIMS)))
            return fail(err, m->path, no,
                        "only punctuation may directly follow `code`: put a space before '%s'",
                        p->text);
        if (p->kind != PIECE_TEXT) {
            if (need_ns)
                buf_arg(b, xstrdup("Ns"));
            *enclosed = piece_macro(b, p, open, !line_start);
            *in_macro = 1;
            open = NULL;
            need_ns = 1;
            continue;
        }
        if (first && line_start && all_of(p->text, OPEN_DELIMS)) {
            open = p->text; /* written after the macro, which sets them before itself */
        } else if (first && line_start) {
            buf_arg(b, xstrdup("Pf"));
            buf_arg(b, mdoc_arg(p->text, strlen(p->text), 0));
        } else if (last && all_of(p->text, CLOSE_DELIMS)) {
            for (const char *d = p->text; *d != '\0'; d++)
                buf_arg(b, xstrndup(d, 1));
        } else {
            size_t core = strlen(p->text);

            while (last && core > 0 && strchr(CLOSE_DELIMS, p->text[core - 1]) != NULL)
                core--;
            if (need_ns)
                buf_arg(b, xstrdup("Ns"));
            if (*in_macro)
                buf_arg(b, xstrdup("No"));
            buf_arg(b, mdoc_arg(p->text, core, 0));
            for (const char *d = p->text + core; *d != '\0'; d++)
                buf_arg(b, xstrndup(d, 1));
            *in_macro = 0;
            need_ns = 1;
            continue;
        }
        need_ns = 0;
    }
    return 0;
}

static int word_is_plain(const struct word *w)
{
    return w->n == 1 && w->p[0].kind == PIECE_TEXT;
}

/* A plain word in a text line: '-' of an option-like word as "\-", '\' as "\e". */
static void text_word(struct buf *b, const char *w)
{
    int literal = w[strspn(w, "(['\"")] == '-';

    for (; *w != '\0'; w++) {
        if (*w == '\\')
            buf_add(b, "\\e");
        else if (*w == '-' && literal)
            buf_add(b, "\\-");
        else
            buf_addc(b, *w);
    }
}

static int ends_sentence(const char *w)
{
    static const char *const abbreviations[] = {"e.g.", "i.e.", "etc.", "vs.", NULL};
    size_t l = strlen(w);

    for (const char *const *a = abbreviations; *a != NULL; a++) {
        if (strcmp(w, *a) == 0)
            return 0;
    }
    while (l > 0 && strchr(")]\"'", w[l - 1]) != NULL)
        l--;
    return l > 0 && strchr(".!?", w[l - 1]) != NULL;
}

static void flush_line(struct mdoc *m, struct buf *line)
{
    if (line->len > 0)
        fprintf(m->f, "%s\n", line->s);
    line->len = 0;
}

int mdoc_text(struct mdoc *m, unsigned no, const char *text, int markup, struct ctr_error **err)
{
    struct word *words = NULL;
    struct buf line = {0};
    size_t n = 0;
    int sentence_end = 0, r = 0;

    if (split_words(m, no, text, markup, &words, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n && r == 0; i++) {
        const struct word *w = &words[i];

        if (word_is_plain(w)) {
            const char *t = w->p[0].text;

            struct buf word = {0};

            text_word(&word, t);
            /* mdoc: a new sentence starts a new line (it sets the wider space itself). */
            if (sentence_end)
                flush_line(m, &line);
            /* Source lines of at most 80 bytes, as mandoc's style check wants. */
            if (line.len > 0 && line.len + 1 + word.len > TEXT_LINE_MAX)
                flush_line(m, &line);
            if (line.len > 0)
                buf_addc(&line, ' ');
            if (line.len == 0 && (t[0] == '.' || t[0] == '\''))
                buf_add(&line, "\\&");
            buf_add(&line, word.s);
            free(word.s);
            sentence_end = ends_sentence(t);
        } else {
            struct buf macro = {0};
            int in_macro = 0, enclosed = 0;

            flush_line(m, &line);
            r = word_args(m, no, w, &macro, 1, &in_macro, &enclosed, err);
            if (r == 0)
                fprintf(m->f, ".%s\n", macro.s);
            free(macro.s);
            sentence_end = 0;
        }
    }
    if (r == 0)
        flush_line(m, &line);
    free(line.s);
    words_free(words, n);
    return r;
}

char *mdoc_args(struct mdoc *m, unsigned no, const char *text, struct ctr_error **err)
{
    struct word *words = NULL;
    struct buf b = {0};
    size_t n = 0;
    int in_macro = 0, enclosed = 0, r = 0;

    if (split_words(m, no, text, 1, &words, &n, err) < 0)
        return NULL;
    for (size_t i = 0; i < n && r == 0; i++) {
        const struct word *w = &words[i];

        if (enclosed) {
            r = fail(err, m->path, no, "`code` must come last in '%s'", text);
        } else if (word_is_plain(w)) {
            const char *t = w->p[0].text;

            if (in_macro)
                buf_arg(&b, xstrdup("No"));
            buf_arg(&b, mdoc_arg(t, strlen(t), t[0] == '-'));
            in_macro = 0;
        } else {
            r = word_args(m, no, w, &b, 0, &in_macro, &enclosed, err);
        }
    }
    words_free(words, n);
    if (r < 0) {
        free(b.s);
        return NULL;
    }
    return buf_steal(&b);
}

/* --- blocks --- */

enum block {
    BLOCK_NONE,  /* at the start of a section or an item */
    BLOCK_PARA,  /* after text: the next paragraph needs .Pp */
    BLOCK_OTHER, /* after a list or display, which set their own space */
};

static int code_block(struct mdoc *m, const struct md_line *l, size_t n, size_t *i,
                      struct ctr_error **err)
{
    size_t start = *i;

    if (strcmp(l[start].text, "```") != 0 && !isalpha((unsigned char)l[start].text[3]))
        return fail(err, m->path, l[start].no, "a code fence is ``` or ```LANGUAGE");
    fputs(".Bd -literal -offset indent\n", m->f);
    for (size_t j = start + 1; j < n; j++) {
        const char *t = l[j].text;

        if (strcmp(t, "```") == 0) {
            fputs(".Ed\n", m->f);
            *i = j + 1;
            return 0;
        }
        if (t[0] == '.' || t[0] == '\'')
            fputs("\\&", m->f);
        for (; *t != '\0'; t++) {
            if (*t == '\\')
                fputs("\\e", m->f);
            else if (*t == '-')
                fputs("\\-", m->f);
            else
                fputc(*t, m->f);
        }
        fputc('\n', m->f);
    }
    return fail(err, m->path, l[start].no, "the code block has no closing ```");
}

static int render_items(struct mdoc *m, const struct md_line *l, size_t n, size_t *i, int deflist,
                        struct ctr_error **err)
{
    fputs(deflist ? ".Bl -tag -width Ds\n" : ".Bl -bullet\n", m->f);
    do {
        cleanup_free struct md_line *body = NULL;
        size_t nb = 0;
        int r;

        if (deflist) {
            cleanup_free char *args = mdoc_args(m, l[*i].no, l[*i].text, err);

            if (args == NULL)
                return -1;
            fprintf(m->f, ".It %s\n", args);
            (*i)++;
        } else {
            fputs(".It\n", m->f);
        }
        collect_body(l, n, i, l[*i].text + 2, &body, &nb);
        r = mdoc_blocks(m, body, nb, 0, err);
        if (r < 0)
            return -1;
    } while (list_continues(l, n, i, deflist));
    fputs(".El\n", m->f);
    return 0;
}

int mdoc_blocks(struct mdoc *m, const struct md_line *l, size_t n, int top, struct ctr_error **err)
{
    enum block prev = BLOCK_NONE;
    size_t i = 0;

    while (i < n) {
        const char *t = l[i].text;

        if (is_blank(t)) {
            i++;
        } else if (indent_of(t) > 0) {
            return fail(err, m->path, l[i].no,
                        "unexpected indentation (only a list item's or a definition's "
                        "continuation lines are indented, by two spaces)");
        } else if (starts(t, "```")) {
            if (code_block(m, l, n, &i, err) < 0)
                return -1;
            prev = BLOCK_OTHER;
        } else if (t[0] == '#') {
            if (!top || !starts(t, "## ") || t[3] == '\0')
                return fail(err, m->path, l[i].no,
                            "only '## Subsection' headings may be here, in a section");
            fprintf(m->f, ".Ss %s\n", t + 3);
            i++;
            prev = BLOCK_NONE;
        } else if (starts(t, "- ") || is_term(l, n, i)) {
            if (render_items(m, l, n, &i, !starts(t, "- "), err) < 0)
                return -1;
            prev = BLOCK_OTHER;
        } else if (starts(t, ": ")) {
            return fail(err, m->path, l[i].no, "a definition without a term line before it");
        } else {
            struct buf para = {0};
            unsigned no = l[i].no;
            int r;

            while (i < n && !is_blank(l[i].text) && !starts(l[i].text, "- ") &&
                   !starts(l[i].text, "```") && l[i].text[0] != '#' && !is_term(l, n, i)) {
                if (indent_of(l[i].text) > 0) {
                    free(para.s);
                    return fail(err, m->path, l[i].no, "an indented line in a paragraph");
                }
                if (para.len > 0)
                    buf_addc(&para, ' ');
                buf_add(&para, l[i].text);
                i++;
            }
            if (prev != BLOCK_NONE)
                fputs(".Pp\n", m->f);
            r = mdoc_text(m, no, para.s, 1, err);
            free(para.s);
            if (r < 0)
                return -1;
            prev = BLOCK_PARA;
        }
    }
    return 0;
}
