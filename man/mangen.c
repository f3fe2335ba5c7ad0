/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mangen: writes ctr's manual pages as mdoc(7) from the command tables ctr parses its options
 * with (cmd/cmd.h) and the prose in man/PAGE.SECTION.md.
 *
 *   mangen --output-dir DIR --date YYYY-MM-DD SOURCE.md...
 *
 * NAME, SYNOPSIS, OPTIONS and the list of subcommands come from the table, so they cannot
 * drift from what ctr accepts.  Every command in the table needs its source and every source
 * in section 1 must document a command: a new command cannot ship without a page, and a
 * removed one leaves none behind.  Other sections (5: files) are prose alone.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cmd.h"
#include "mdoc.h"
#include "xalloc.h"

struct page {
    char *name;                       /* "ctr-container-prune" */
    int section;                      /* 1, 5 */
    const struct ctr_command *cmd;    /* NULL: a page of prose alone (a file format) */
    const struct ctr_command *parent; /* what it is a subcommand of: &ctr_main, container */
    const char *source;               /* its .md, from the command line */
};

struct pages {
    struct page *p;
    size_t n;
};

/* A cross-reference: name(section). */
struct xref {
    char *name;
    int section;
};

static void pages_add(struct pages *ps, char *name, int section, const struct ctr_command *cmd,
                      const struct ctr_command *parent)
{
    ps->p = xreallocarray(ps->p, ps->n + 1, sizeof(*ps->p));
    ps->p[ps->n++] = (struct page){name, section, cmd, parent, NULL};
}

static void pages_clear(struct pages *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        free(ps->p[i].name);
    free(ps->p);
}

/* Names with a leading '_' are ctr's internals: not listed, not documented. */
static int is_internal(const struct ctr_command *c)
{
    return c->name[0] == '_';
}

/*
 * The top-level command a subcommand is another name for (`container ls` runs `ps`), or NULL
 * when it is a command of its own that needs its own page.
 */
static const struct ctr_command *alias_of(const struct ctr_command *sub)
{
    for (const struct ctr_command *const *c = ctr_commands; *c != NULL; c++) {
        if (*c == sub || (sub->run != NULL && (*c)->run == sub->run))
            return *c;
    }
    return NULL;
}

/* The page a command is documented in: "ctr-ps" for `container ls`; the caller frees. */
static char *page_name(const struct ctr_command *cmd, const struct ctr_command *parent)
{
    const struct ctr_command *alias = parent == &ctr_main ? NULL : alias_of(cmd);

    if (cmd == &ctr_main)
        return xstrdup("ctr");
    if (alias != NULL)
        return xasprintf("ctr-%s", alias->name);
    if (parent == &ctr_main)
        return xasprintf("ctr-%s", cmd->name);
    return xasprintf("ctr-%s-%s", parent->name, cmd->name);
}

static void add_command_pages(struct pages *ps)
{
    pages_add(ps, xstrdup("ctr"), 1, &ctr_main, NULL);
    for (const struct ctr_command *const *c = ctr_commands; *c != NULL; c++) {
        if (is_internal(*c))
            continue;
        pages_add(ps, page_name(*c, &ctr_main), 1, *c, &ctr_main);
        for (const struct ctr_command *const *s = (*c)->subcommands; s && *s; s++) {
            if (!is_internal(*s) && alias_of(*s) == NULL)
                pages_add(ps, page_name(*s, *c), 1, *s, *c);
        }
    }
}

/* --- sections made from the table --- */

/* Table text (a summary, a description, an option's help): '\n' only breaks --help's lines. */
static int table_text(struct mdoc *m, const char *text, struct ctr_error **err)
{
    cleanup_free char *copy = xstrdup(text);
    char *para = copy;

    /* An empty line separates paragraphs. */
    for (;;) {
        char *end = strstr(para, "\n\n");

        if (end != NULL)
            *end = '\0';
        for (char *c = para; *c != '\0'; c++) {
            if (*c == '\n')
                *c = ' ';
        }
        if (mdoc_text(m, 0, para, 0, err) < 0)
            return -1;
        if (end == NULL)
            return 0;
        para = end + 2;
        while (*para == '\n')
            para++;
        if (*para == '\0')
            return 0;
        fputs(".Pp\n", m->f);
    }
}

static void name_section(struct mdoc *m, const char *name, const char *summary)
{
    cleanup_free char *s = xstrdup(summary);
    size_t l = strlen(s);
    char *save = NULL;

    /* A summary is a sentence in --help and a phrase after NAME's dash. */
    if (isupper((unsigned char)s[0]) && (islower((unsigned char)s[1]) || s[1] == ' '))
        s[0] = (char)tolower((unsigned char)s[0]);
    if (l > 0 && s[l - 1] == '.')
        s[l - 1] = '\0';
    fprintf(m->f, ".Sh NAME\n.Nm %s\n.Nd", name);
    for (char *w = strtok_r(s, " \n", &save); w != NULL; w = strtok_r(NULL, " \n", &save)) {
        cleanup_free char *arg = mdoc_arg(w, strlen(w), w[0] == '-');

        fprintf(m->f, " %s", arg);
    }
    fputc('\n', m->f);
}

/* One word of a synopsis: an option, a subcommand word or an operand. */
static void synopsis_word(struct mdoc *m, const char *w, size_t len, int *seen_operand)
{
    cleanup_free char *word = xstrndup(w, len);
    cleanup_free char *arg = NULL;
    size_t dots = len > 3 && strcmp(word + len - 3, "...") == 0 ? 3 : 0;

    if (word[0] == '-') {
        char *eq = strchr(word, '=');
        cleanup_free char *value = NULL;

        if (eq != NULL) {
            *eq = '\0';
            value = mdoc_arg(eq + 1, strlen(eq + 1), 1);
        }
        arg = mdoc_arg(word + 1, strlen(word + 1), 1);
        if (value != NULL)
            fprintf(m->f, ".Fl %s Ns = Ns Ar %s\n", arg, value);
        else
            fprintf(m->f, ".Fl %s\n", arg);
        return;
    }
    if (!*seen_operand && strspn(word, "abcdefghijklmnopqrstuvwxyz-|") == len) {
        /* A subcommand word, or alternatives of them: "bash|zsh|fish". */
        char *save = NULL;

        fputs(".Cm", m->f);
        for (char *alt = strtok_r(word, "|", &save); alt; alt = strtok_r(NULL, "|", &save)) {
            cleanup_free char *a = mdoc_arg(alt, strlen(alt), 1);

            fprintf(m->f, "%s %s", alt == word ? "" : " |", a);
        }
        fputc('\n', m->f);
        return;
    }
    arg = mdoc_arg(word, len - dots, 1);
    *seen_operand = 1;
    fprintf(m->f, ".Ar %s%s\n", arg, dots ? " ..." : "");
}

/*
 * SYNOPSIS from the table's synopsis ("stop [OPTIONS] CONTAINER...", after "ctr "; one line
 * per form): [ ] as optional parts, -x as flags, lower case words before the first operand as
 * subcommand words, the rest as operands.
 */
static int synopsis_section(struct mdoc *m, const struct page *p, struct ctr_error **err)
{
    cleanup_free char *fallback = NULL;
    const char *s = p->cmd->synopsis;

    if (s == NULL) {
        fallback = p->parent == &ctr_main ? xstrdup(p->cmd->name)
                                          : xasprintf("%s %s", p->parent->name, p->cmd->name);
        s = fallback;
    }
    fputs(".Sh SYNOPSIS\n", m->f);
    while (*s != '\0') {
        int depth = 0, seen_operand = 0;

        /* Another form is a line of its own, as --help indents it: "       ctr logout ...". */
        s += strspn(s, " ");
        if (strncmp(s, "ctr ", 4) == 0)
            s += 4;
        fputs(".Nm ctr\n", m->f);
        while (*s != '\0' && *s != '\n') {
            size_t len = 0;
            int inner = 0;

            if (*s == ' ') {
                s++;
            } else if (*s == '[') {
                fputs(".Oo\n", m->f);
                depth++;
                s++;
            } else if (*s == ']') {
                if (depth-- == 0)
                    return ctr_error_set(err, EINVAL, "%s: synopsis '%s': unbalanced ']'", p->name,
                                         p->cmd->synopsis);
                fputs(".Oc\n", m->f);
                s++;
            } else {
                /* A word; a bracket inside it ("IMAGE[:TAG]") is part of it. */
                while (s[len] != '\0' && s[len] != ' ' && s[len] != '\n' &&
                       !(s[len] == ']' && inner == 0)) {
                    inner += s[len] == '[' ? 1 : s[len] == ']' ? -1 : 0;
                    len++;
                }
                synopsis_word(m, s, len, &seen_operand);
                s += len;
            }
        }
        if (depth != 0)
            return ctr_error_set(err, EINVAL, "%s: synopsis '%s': unbalanced '['", p->name,
                                 p->cmd->synopsis);
        if (*s == '\n')
            s++;
    }
    return 0;
}

/* COMMANDS: every subcommand with its summary and the page that documents it. */
static int commands_section(struct mdoc *m, const struct ctr_command *cmd, struct ctr_error **err)
{
    fputs(".Sh COMMANDS\n.Bl -tag -width Ds\n", m->f);
    for (const struct ctr_command *const *s = cmd->subcommands; *s != NULL; s++) {
        cleanup_free char *name = NULL;
        cleanup_free char *target = NULL;
        cleanup_free char *text = NULL;
        const char *summary = (*s)->summary ? (*s)->summary : "";
        size_t l = strlen(summary);

        if (is_internal(*s))
            continue;
        name = mdoc_arg((*s)->name, strlen((*s)->name), 1);
        target = page_name(*s, cmd);
        text = l == 0 ? xstrdup("See")
                      : xasprintf("%s%s", summary,
                                  strchr(".!?", summary[l - 1]) ? " See" : "; see");
        fprintf(m->f, ".It Cm %s\n", name);
        if (table_text(m, text, err) < 0)
            return -1;
        fprintf(m->f, ".Xr %s 1 .\n", target);
    }
    fputs(".El\n", m->f);
    return 0;
}

/* The item head of an option, as --help writes it: "-t, --time N", "--tls-verify[=BOOL]". */
static void option_head(struct mdoc *m, const struct cmd_option *o)
{
    cleanup_free char *name = mdoc_arg(o->name, strlen(o->name), 1);
    cleanup_free char *arg = NULL;

    fputs(".It", m->f);
    if (o->short_name != 0)
        fprintf(m->f, " Fl %c ,", o->short_name);
    fprintf(m->f, " Fl \\-%s", name);
    if (o->has_arg != no_argument) {
        const char *a = o->arg ? o->arg : "VALUE";

        arg = mdoc_arg(a, strlen(a), 1);
        fprintf(m->f, o->has_arg == optional_argument ? " Ns Op = Ns Ar %s" : " Ar %s", arg);
    }
    fputc('\n', m->f);
}

/*
 * A heading inside an option table ("Security (defaults: ...):"): the words before " (" or
 * ':' as a subsection title, the rest as its first paragraph.
 */
static int option_heading(struct mdoc *m, const char *heading, struct ctr_error **err)
{
    cleanup_free char *h = xstrdup(heading);
    cleanup_free char *para = NULL;
    size_t t = strcspn(h, "(:"), l;
    char *rest;

    rest = h + t + (h[t] != '\0');
    while (t > 0 && isspace((unsigned char)h[t - 1]))
        t--;
    h[t] = '\0';
    for (char *c = h; *c != '\0'; c++) {
        if (*c == '\n')
            *c = ' ';
    }
    fprintf(m->f, ".Ss %s\n", h);
    while (isspace((unsigned char)*rest))
        rest++;
    l = strlen(rest);
    while (l > 0 && strchr(":) \n", rest[l - 1]) != NULL)
        rest[--l] = '\0';
    if (l == 0)
        return 0;
    rest[0] = (char)toupper((unsigned char)rest[0]);
    para = xasprintf("%s%s", rest, strchr(".!?", rest[l - 1]) ? "" : ".");
    return table_text(m, para, err);
}

/* The .md's additions to options: `--name` terms, each with more text for that option. */
static const struct md_def *option_extra(const struct md_def *defs, size_t n,
                                         const struct cmd_option *o)
{
    for (size_t i = 0; i < n; i++) {
        const char *t = defs[i].term.text;

        if (strncmp(t, "`--", 3) == 0 && strncmp(t + 3, o->name, strlen(o->name)) == 0 &&
            strcmp(t + 3 + strlen(o->name), "`") == 0)
            return &defs[i];
    }
    return NULL;
}

static int check_extras(struct mdoc *m, const struct cmd_option *options, const struct md_def *defs,
                        size_t n, struct ctr_error **err)
{
    for (size_t i = 0; i < n; i++) {
        int found = 0;

        for (const struct cmd_option *o = options; o && o->name && !found; o++)
            found = option_extra(defs + i, 1, o) != NULL;
        if (!found)
            return ctr_error_set(err, EINVAL,
                                 "%s:%u: '%s' is not an option of this command (a term in "
                                 "OPTIONS is one `--option`)",
                                 m->path, defs[i].term.no, defs[i].term.text);
    }
    return 0;
}

static int options_section(struct mdoc *m, const struct ctr_command *cmd,
                           const struct md_section *md, struct ctr_error **err)
{
    struct md_def *defs = NULL;
    size_t n = 0;
    int open = 0, r = 0;

    if (md != NULL && md_deflist(m->path, md->lines, md->n, &defs, &n, err) < 0)
        return -1;
    if (check_extras(m, cmd->options, defs, n, err) < 0) {
        md_defs_free(defs, n);
        return -1;
    }
    fputs(".Sh OPTIONS\n", m->f);
    for (const struct cmd_option *o = cmd->options; o->name != NULL && r == 0; o++) {
        const struct md_def *extra = option_extra(defs, n, o);

        if (o->section != NULL) {
            if (open)
                fputs(".El\n", m->f);
            r = option_heading(m, o->section, err);
            open = 0;
        }
        if (!open)
            fputs(".Bl -tag -width Ds\n", m->f);
        open = 1;
        option_head(m, o);
        if (r == 0 && o->help != NULL)
            r = table_text(m, o->help, err);
        if (r == 0 && extra != NULL) {
            fputs(".Pp\n", m->f);
            r = mdoc_blocks(m, extra->body, extra->n, 0, err);
        }
        if (r == 0 && strcmp(o->name, "format") == 0 && cmd->format_fields != NULL) {
            fputs(".Pp\nThe fields of a template:\n", m->f);
            for (const char *const *f = cmd->format_fields; *f != NULL; f++) {
                cleanup_free char *field = xasprintf("{{.%s}}", *f);
                cleanup_free char *arg = mdoc_arg(field, strlen(field), 1);

                fprintf(m->f, ".Ql %s%s\n", arg, f[1] != NULL ? " ," : " .");
            }
        }
    }
    if (open)
        fputs(".El\n", m->f);
    md_defs_free(defs, n);
    return r;
}

/* --- SEE ALSO --- */

static void xref_add(struct xref **refs, size_t *n, const char *name, int section)
{
    for (size_t i = 0; i < *n; i++) {
        if ((*refs)[i].section == section && strcmp((*refs)[i].name, name) == 0)
            return;
    }
    *refs = xreallocarray(*refs, *n + 1, sizeof(**refs));
    (*refs)[(*n)++] = (struct xref){xstrdup(name), section};
}

static int xref_cmp(const void *a, const void *b)
{
    const struct xref *x = a, *y = b;

    return x->section != y->section ? x->section - y->section : strcmp(x->name, y->name);
}

/* The .md's SEE ALSO: references "name(N)" separated by commas, nothing else. */
static int parse_see_also(struct mdoc *m, const struct md_section *md, struct xref **refs,
                          size_t *n, struct ctr_error **err)
{
    for (size_t i = 0; md != NULL && i < md->n; i++) {
        const char *s = md->lines[i].text;

        while (*s != '\0') {
            size_t len = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789.-_");
            cleanup_free char *name = NULL;

            if (strchr(" ,", *s) != NULL && *s != '\0') {
                s++;
                continue;
            }
            if (len == 0 || s[len] != '(' || !isdigit((unsigned char)s[len + 1]) ||
                s[len + 2] != ')')
                return ctr_error_set(err, EINVAL,
                                     "%s:%u: SEE ALSO holds only references such as "
                                     "'ctr-run(1)', separated by commas: '%s'",
                                     m->path, md->lines[i].no, s);
            name = xstrndup(s, len);
            xref_add(refs, n, name, s[len + 1] - '0');
            s += len + 3;
        }
    }
    return 0;
}

static int see_also_section(struct mdoc *m, const struct page *p, const struct md_section *md,
                            struct ctr_error **err)
{
    struct xref *refs = NULL;
    size_t n = 0, k = 0;
    int r = 0;

    if (strcmp(p->name, "ctr") != 0)
        xref_add(&refs, &n, "ctr", 1);
    if (p->parent != NULL && p->parent != &ctr_main) {
        cleanup_free char *parent = page_name(p->parent, &ctr_main);

        xref_add(&refs, &n, parent, 1);
    }
    r = parse_see_also(m, md, &refs, &n, err);
    if (r == 0) {
        qsort(refs, n, sizeof(*refs), xref_cmp);
        for (size_t i = 0; i < n; i++) {
            if (refs[i].section != p->section || strcmp(refs[i].name, p->name) != 0)
                refs[k++] = refs[i];
            else
                free(refs[i].name);
        }
        if (k > 0)
            fputs(".Sh SEE ALSO\n", m->f);
        for (size_t i = 0; i < k; i++)
            fprintf(m->f, ".Xr %s %d%s\n", refs[i].name, refs[i].section, i + 1 < k ? " ," : "");
    } else {
        k = n;
    }
    for (size_t i = 0; i < k; i++)
        free(refs[i].name);
    free(refs);
    return r;
}

/* --- pages --- */

static const struct md_section *find_section(const struct md_section *s, size_t n,
                                             const char *title)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s[i].title, title) == 0)
            return &s[i];
    }
    return NULL;
}

static int is_generated(const char *title)
{
    return strcmp(title, "OPTIONS") == 0 || strcmp(title, "SEE ALSO") == 0 ||
           strcmp(title, "COMMANDS") == 0;
}

/* COMMANDS and OPTIONS from the table, where the .md has OPTIONS or else after DESCRIPTION. */
static int table_sections(struct mdoc *m, const struct page *p, const struct md_section *md,
                          struct ctr_error **err)
{
    if (p->cmd->subcommands != NULL && commands_section(m, p->cmd, err) < 0)
        return -1;
    if (p->cmd->options != NULL && p->cmd->options[0].name != NULL)
        return options_section(m, p->cmd, md, err);
    if (md != NULL)
        return ctr_error_set(err, EINVAL, "%s:%u: OPTIONS, but the command has no options", m->path,
                             md->no);
    return 0;
}

/* The .md's name line of a page without a command: "ctr.conf - what it is". */
static int prose_name(struct mdoc *m, const struct page *p, const struct md_section *s, size_t n,
                      struct ctr_error **err)
{
    size_t i = 0;
    const char *line, *dash;

    if (n == 0 || strcmp(s[0].title, "NAME") != 0)
        return ctr_error_set(err, EINVAL, "%s: a page without a command starts with NAME", m->path);
    while (i < s[0].n && s[0].lines[i].text[0] == '\0')
        i++;
    line = i < s[0].n ? s[0].lines[i].text : "";
    dash = strstr(line, " - ");
    if (dash == NULL || (size_t)(dash - line) != strlen(p->name) ||
        strncmp(line, p->name, strlen(p->name)) != 0)
        return ctr_error_set(err, EINVAL, "%s:%u: NAME is one line: '%s - what it is'", m->path,
                             s[0].no, p->name);
    name_section(m, p->name, dash + 3);
    return 0;
}

static int render_page(struct mdoc *m, const struct page *p, const char *date,
                       struct ctr_error **err)
{
    cleanup_free struct md_section *s = NULL;
    struct md_doc doc = {0};
    const struct md_section *options = NULL, *see_also = NULL;
    size_t n = 0, first = 0;
    int r, see_also_done = 0;

    if (md_doc_load(p->source, &doc, err) < 0)
        return -1;
    r = md_doc_sections(&doc, &s, &n, err);
    for (size_t i = 0; r == 0 && i < n; i++) {
        if (find_section(s, i, s[i].title) != NULL)
            r = ctr_error_set(err, EINVAL, "%s:%u: a second %s", m->path, s[i].no, s[i].title);
        else if (p->cmd != NULL &&
                 (strcmp(s[i].title, "NAME") == 0 || strcmp(s[i].title, "SYNOPSIS") == 0 ||
                  strcmp(s[i].title, "COMMANDS") == 0))
            r = ctr_error_set(err, EINVAL, "%s:%u: %s comes from the command table", m->path,
                              s[i].no, s[i].title);
        else if (p->cmd != NULL && strcmp(s[i].title, "DESCRIPTION") == 0 && i != 0)
            r = ctr_error_set(err, EINVAL, "%s:%u: DESCRIPTION comes first", m->path, s[i].no);
    }
    if (r < 0) {
        md_doc_clear(&doc);
        return -1;
    }
    options = find_section(s, n, "OPTIONS");
    see_also = find_section(s, n, "SEE ALSO");
    fprintf(m->f,
            ".\\\" SPDX-License-Identifier: Apache-2.0\n"
            ".\\\" Made by man/mangen.c from %s and ctr's command table: edit those.\n"
            ".Dd %s\n.Dt ",
            strrchr(p->source, '/') ? strrchr(p->source, '/') + 1 : p->source, date);
    for (const char *c = p->name; *c != '\0'; c++)
        fputc(toupper((unsigned char)*c), m->f);
    fprintf(m->f, " %d\n.Os\n", p->section);
    if (p->cmd == NULL) {
        r = prose_name(m, p, s, n, err);
        first = 1;
    } else {
        name_section(m, p->name, p->cmd->summary ? p->cmd->summary : p->cmd->name);
        r = synopsis_section(m, p, err);
        fputs(".Sh DESCRIPTION\n", m->f);
        if (r == 0 && n > 0 && strcmp(s[0].title, "DESCRIPTION") == 0) {
            r = mdoc_blocks(m, s[0].lines, s[0].n, 1, err);
            first = 1;
        } else if (r == 0) {
            r = table_text(m, p->cmd->description ? p->cmd->description : p->cmd->summary, err);
        }
        if (r == 0 && options == NULL) {
            r = table_sections(m, p, NULL, err);
        }
    }
    for (size_t i = first; r == 0 && i < n; i++) {
        if (&s[i] == options && p->cmd != NULL) {
            r = table_sections(m, p, options, err);
        } else if (&s[i] == see_also) {
            r = see_also_section(m, p, see_also, err);
            see_also_done = 1;
        } else if (is_generated(s[i].title)) {
            r = ctr_error_set(err, EINVAL, "%s:%u: %s is made from the command table", m->path,
                              s[i].no, s[i].title);
        } else {
            fprintf(m->f, ".Sh %s\n", s[i].title);
            r = mdoc_blocks(m, s[i].lines, s[i].n, 1, err);
        }
    }
    if (r == 0 && !see_also_done)
        r = see_also_section(m, p, NULL, err);
    md_doc_clear(&doc);
    return r;
}

/* "2026-11-23" as mdoc writes dates: "November 23, 2026". */
static char *mdoc_date(const char *iso, struct ctr_error **err)
{
    static const char *const months[] = {"January",   "February", "March",    "April",
                                         "May",       "June",     "July",     "August",
                                         "September", "October",  "November", "December"};
    unsigned y, mo, d;
    char end;

    if (sscanf(iso, "%4u-%2u-%2u%c", &y, &mo, &d, &end) != 3 || mo < 1 || mo > 12 || d < 1 ||
        d > 31) {
        ctr_error_set(err, EINVAL, "--date '%s' is not YYYY-MM-DD", iso);
        return NULL;
    }
    return xasprintf("%s %u, %u", months[mo - 1], d, y);
}

/* The page a source documents, by its file name "NAME.SECTION.md"; added when prose alone. */
static int match_source(struct pages *ps, const char *path, struct ctr_error **err)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t l = strlen(base);
    cleanup_free char *name = NULL;
    int section;

    if (l < 6 || strcmp(base + l - 3, ".md") != 0 || base[l - 5] != '.' ||
        !isdigit((unsigned char)base[l - 4]))
        return ctr_error_set(err, EINVAL, "%s: a source is named PAGE.SECTION.md", path);
    name = xstrndup(base, l - 5);
    section = base[l - 4] - '0';
    for (size_t i = 0; i < ps->n; i++) {
        if (ps->p[i].section != section || strcmp(ps->p[i].name, name) != 0)
            continue;
        if (ps->p[i].source != NULL)
            return ctr_error_set(err, EINVAL, "%s: given twice", path);
        ps->p[i].source = path;
        return 0;
    }
    if (section == 1)
        return ctr_error_set(err, EINVAL,
                             "%s: no command of ctr's table (cmd/ctr.c) has the page '%s(1)'", path,
                             name);
    pages_add(ps, steal_pointer(&name), section, NULL, NULL);
    ps->p[ps->n - 1].source = path;
    return 0;
}

static int write_page(const char *dir, const struct page *p, const char *date,
                      struct ctr_error **err)
{
    cleanup_free char *path = xasprintf("%s/%s.%d", dir, p->name, p->section);
    cleanup_free char *tmp = xasprintf("%s.tmp", path);
    struct mdoc m = {NULL, p->source};
    int r;

    m.f = fopen(tmp, "we");
    if (m.f == NULL)
        return ctr_error_errno(err, "create '%s'", tmp);
    r = render_page(&m, p, date, err);
    if (fclose(m.f) != 0 && r == 0)
        r = ctr_error_errno(err, "write '%s'", tmp);
    if (r == 0 && rename(tmp, path) < 0)
        r = ctr_error_errno(err, "rename '%s' to '%s'", tmp, path);
    if (r < 0)
        unlink(tmp);
    return r;
}

/*
 * Removes pages a previous build rendered that are no longer made (a command or a source
 * went away), so that what the build tree holds is what `cmake --install` installs.
 */
static int remove_stale(const char *dir, const struct pages *ps, struct ctr_error **err)
{
    cleanup_dir DIR *d = opendir(dir);
    struct dirent *e;

    if (d == NULL)
        return ctr_error_errno(err, "open '%s'", dir);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        int current = 0;

        if (strncmp(e->d_name, "ctr", 3) != 0 || l < 3 || e->d_name[l - 2] != '.' ||
            e->d_name[l - 1] < '1' || e->d_name[l - 1] > '8')
            continue;
        for (size_t i = 0; i < ps->n && !current; i++) {
            current = ps->p[i].section == e->d_name[l - 1] - '0' &&
                      strlen(ps->p[i].name) == l - 2 &&
                      strncmp(ps->p[i].name, e->d_name, l - 2) == 0;
        }
        if (!current && unlinkat(dirfd(d), e->d_name, 0) < 0)
            return ctr_error_errno(err, "remove the stale page '%s/%s'", dir, e->d_name);
    }
    return 0;
}

static int run(int argc, char **argv, struct ctr_error **err)
{
    const char *dir = NULL, *iso = NULL;
    cleanup_free char *date = NULL;
    struct pages ps = {0};
    int i = 1, r = 0;

    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (strcmp(argv[i], "--output-dir") == 0)
            dir = argv[i + 1];
        else if (strcmp(argv[i], "--date") == 0)
            iso = argv[i + 1];
        else
            break;
    }
    if (dir == NULL || iso == NULL || i >= argc)
        return ctr_error_set(err, EINVAL,
                             "usage: mangen --output-dir DIR --date YYYY-MM-DD SOURCE.md...");
    date = mdoc_date(iso, err);
    if (date == NULL)
        return -1;
    add_command_pages(&ps);
    for (; i < argc && r == 0; i++)
        r = match_source(&ps, argv[i], err);
    for (size_t k = 0; k < ps.n && r == 0; k++) {
        if (ps.p[k].source == NULL)
            r = ctr_error_set(err, ENOENT,
                              "%s(%d) has no source: write man/%s.%d.md (every command in "
                              "ctr's table needs its manual page)",
                              ps.p[k].name, ps.p[k].section, ps.p[k].name, ps.p[k].section);
    }
    for (size_t k = 0; k < ps.n && r == 0; k++)
        r = write_page(dir, &ps.p[k], date, err);
    if (r == 0)
        r = remove_stale(dir, &ps, err);
    pages_clear(&ps);
    return r;
}

int main(int argc, char **argv)
{
    cleanup_error struct ctr_error *err = NULL;

    if (run(argc, argv, &err) < 0) {
        fprintf(stderr, "mangen: %s\n", err->msg);
        return 1;
    }
    return 0;
}
