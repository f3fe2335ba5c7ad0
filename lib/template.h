/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_LIB_TEMPLATE_H
#define CTR_LIB_TEMPLATE_H

#include <jansson.h>

#include "error.h"

/*
 * Go-template style output formats as Podman's --format takes them, for the subset people
 * use: literal text, "\t" and "\n" escapes, {{.Field}} and {{.A.B}} (fields of a JSON object,
 * {{ .Field }} with spaces too), {{.}}, {{json .}} and {{json .Field}}, {{upper .F}},
 * {{lower .F}} (ASCII only), {{truncate .F N}}, {{join .F "SEP"}}, {{index .F KEY}} (one key:
 * an array's element, or an object's member, "" when it has none), {{len .F}}, Go string
 * ("...", `...`), integer and boolean literals, pipes ({{.F | upper}}), parentheses, Go
 * comments and "{{- " / " -}}" trim markers.  Go's control actions (range, if, with, ...) and
 * $variables are rejected.  Strings print as they are, integers and reals as Go's %v prints them
 * ("1.5"), booleans as true/false, null as "<no value>", arrays of strings as Go prints a []string
 * ("[sleep 1000]"), other arrays and objects as compact JSON.
 */
struct ctr_template;

/*
 * Parses `format`.  A leading "table " is removed and reported in *ret_table (the caller
 * prints a header); ret_table may be NULL.  Errors name the offset in `format` (counting
 * "table ") and what was wrong: "template: unclosed action at offset 7",
 * "template: unknown function 'foo' at offset 2", "template: 'range' is not supported at
 * offset 2".  Fields are not checked here.  The caller frees *ret with ctr_template_free().
 */
int ctr_template_parse(const char *format, struct ctr_template **ret, int *ret_table,
                       struct ctr_error **err);
/* Frees a template; NULL is fine. */
void ctr_template_free(struct ctr_template *t);

/*
 * Renders `t` for `obj` (NULL renders against JSON null); the caller frees the string.  No
 * newline is added: like Podman, the caller ends the line unless the output already does.  A
 * field `obj` lacks is an error naming it: "template: can't evaluate field Foo"; so is a field
 * of a non-object ("template: can't evaluate field B in type string") and a function given
 * the wrong type ("template: upper: expected a string, got integer").
 */
char *ctr_template_render(const struct ctr_template *t, json_t *obj, struct ctr_error **err);

/*
 * The header row of a "table" format, literals kept.  An action that refers to exactly one
 * field ({{.Field}}, {{upper .Field}}, {{.A.B}}) becomes headers("Field") (headers("A.B"));
 * when headers is NULL or returns NULL, Podman's default: the field name split at camel case
 * and upper-cased ("CreatedAt" gives "CREATED AT", "ID" stays "ID").  Other actions become
 * their own text ("json ."). Never fails; the caller frees the string.
 */
char *ctr_template_header(const struct ctr_template *t, const char *(*headers)(const char *field));

#endif
