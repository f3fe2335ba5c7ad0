/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* Help puts an option's text in this column, or on the next line when its name is longer. */
#define HELP_COLUMN_MAX 28

/* A command's table is wrong: a bug every run of that command shows at once. */
static void table_bug(const char *what)
{
    fprintf(stderr, "ctr: bug in an option table: %s\n", what);
    abort();
}

void cmd_getopt_init(struct cmd_getopt *g, const struct cmd_option *options)
{
    size_t n = 0, k = 0;

    memset(g, 0, sizeof(*g));
    g->shortopts[k++] = '+';
    g->shortopts[k++] = ':';
    for (const struct cmd_option *o = options; o != NULL && o->name != NULL; o++) {
        if (n == CMD_MAX_OPTIONS)
            table_bug("more options than CMD_MAX_OPTIONS");
        g->longopts[n++] = (struct option){o->name, o->has_arg, NULL, o->val};
        if (o->short_name == 0)
            continue;
        if (o->short_name != o->val)
            table_bug("a short option returns another value");
        g->shortopts[k++] = (char)o->short_name;
        if (o->has_arg == required_argument)
            g->shortopts[k++] = ':';
        else if (o->has_arg == optional_argument)
            k += (size_t)snprintf(g->shortopts + k, 3, "::");
    }
    g->shortopts[k] = '\0';
}

int cmd_getopt(struct cmd_getopt *g, int argc, char **argv)
{
    opterr = 0;
    return getopt_long(argc, argv, g->shortopts, g->longopts, NULL);
}

/* "  -t, --time N" or "      --tls-verify[=BOOL]" into buf; returns its length. */
static int option_left(const struct cmd_option *o, char *buf, size_t size)
{
    char flag[8] = "    ";
    const char *arg = o->arg ? o->arg : "";

    if (o->short_name != 0)
        snprintf(flag, sizeof(flag), "-%c, ", o->short_name);
    if (o->has_arg == optional_argument)
        return snprintf(buf, size, "  %s--%s[=%s]", flag, o->name, arg);
    return snprintf(buf, size, "  %s--%s%s%s", flag, o->name, o->arg ? " " : "", arg);
}

void cmd_print_options(FILE *out, const struct cmd_option *options)
{
    char left[128];
    int column = 0;

    for (const struct cmd_option *o = options; o != NULL && o->name != NULL; o++) {
        int w = option_left(o, left, sizeof(left));

        if (w + 2 <= HELP_COLUMN_MAX && w + 2 > column)
            column = w + 2;
    }
    for (const struct cmd_option *o = options; o != NULL && o->name != NULL; o++) {
        const char *line = o->help ? o->help : "";
        int w = option_left(o, left, sizeof(left));

        if (o->section != NULL)
            fprintf(out, "\n%s\n", o->section);
        if (w + 1 > column)
            fprintf(out, "%s\n%*s", left, column, "");
        else
            fprintf(out, "%-*s", column, left);
        for (;;) {
            size_t len = strcspn(line, "\n");

            fprintf(out, "%.*s\n", (int)len, line);
            if (line[len] == '\0')
                break;
            line += len + 1;
            fprintf(out, "%*s", column, "");
        }
    }
}

void cmd_print_help(const struct ctr_command *cmd)
{
    printf("Usage: ctr %s\n", cmd->synopsis ? cmd->synopsis : cmd->name);
    if (cmd->description != NULL)
        printf("\n%s", cmd->description);
    if (cmd->subcommands != NULL) {
        fputs("\nCommands:\n", stdout);
        for (const struct ctr_command *const *c = cmd->subcommands; *c != NULL; c++)
            printf("  %-12s %s\n", (*c)->name, (*c)->summary);
    }
    if (cmd->options != NULL && cmd->options[0].name != NULL) {
        fputs("\nOptions:\n", stdout);
        cmd_print_options(stdout, cmd->options);
    }
}
