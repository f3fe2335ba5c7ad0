/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_MAN_MDOC_H
#define CTR_MAN_MDOC_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"

/*
 * The markdown subset the manual pages are written in (man/README.md), read and written as
 * mdoc(7).  Blocks: `# SECTION` and `## Subsection` headings, paragraphs, `- ` lists,
 * definition lists (a term line, then `: ` and its text), fenced ``` code.  Inline: `code`,
 * **bold**, *italic*, and name(N) references.  Continuation lines of a list item or a
 * definition are indented by two spaces.  Anything this renderer cannot express is an error
 * naming the source line, never a silently different page.
 */

/* One line of a source, with its number for messages.  `text` points into the source. */
struct md_line {
    const char *text;
    unsigned no;
};

/* A markdown file, split into lines in place. */
struct md_doc {
    char *path;
    char *buf;
    struct md_line *lines;
    size_t n;
};

/* A `# TITLE` section: the lines after its heading up to the next one. */
struct md_section {
    const char *title;
    unsigned no;
    const struct md_line *lines;
    size_t n;
};

/* One entry of a definition list: the term line and its de-indented body. */
struct md_def {
    struct md_line term;
    struct md_line *body; /* owned: free() it */
    size_t n;
};

/* Reads `path`; a leading HTML comment line (the SPDX header) is skipped. */
int md_doc_load(const char *path, struct md_doc *ret, struct ctr_error **err);
void md_doc_clear(struct md_doc *doc);

/*
 * The document's sections in order, as a new array the caller frees (the titles point into
 * `doc`).  Text before the first heading is an error.
 */
int md_doc_sections(const struct md_doc *doc, struct md_section **ret, size_t *ret_n,
                    struct ctr_error **err);

/*
 * Lines that must be exactly one definition list, split into its entries (a new array; free
 * each body and the array with md_defs_free()).
 */
int md_deflist(const char *path, const struct md_line *lines, size_t n, struct md_def **ret,
               size_t *ret_n, struct ctr_error **err);
void md_defs_free(struct md_def *defs, size_t n);

/* The mdoc output of one page; `path` is the source named in messages. */
struct mdoc {
    FILE *f;
    const char *path;
};

/* Markdown blocks as mdoc; `## Subsection` is allowed when `top` is set. */
int mdoc_blocks(struct mdoc *m, const struct md_line *lines, size_t n, int top,
                struct ctr_error **err);

/*
 * Running text as mdoc text and macro lines, one sentence per line.  `markup` set: the inline
 * markdown above; clear: plain text from a command table, written as it is.
 */
int mdoc_text(struct mdoc *m, unsigned no, const char *text, int markup, struct ctr_error **err);

/*
 * Text as the arguments of a macro line (after ".It", ".Nd"), with inline markup.  Returns a
 * new string, or NULL with *err set.
 */
char *mdoc_args(struct mdoc *m, unsigned no, const char *text, struct ctr_error **err);

/*
 * One macro argument, escaped and quoted as needed; `literal` writes '-' as "\-" so that a
 * formatter prints a minus a user can paste.  Returns a new string.
 */
char *mdoc_arg(const char *s, size_t len, int literal);

#endif
