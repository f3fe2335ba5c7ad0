/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "cmd.h"
#include "xalloc.h"

int cmd_usage_error(const char *cmd, struct ctr_error **err, const char *fmt, ...)
{
    cleanup_free char *what = NULL;
    va_list ap;

    va_start(ap, fmt);
    what = xvasprintf(fmt, ap);
    va_end(ap);
    if (cmd == NULL)
        return ctr_error_set(err, EINVAL, "%s: see 'ctr --help'", what);
    return ctr_error_set(err, EINVAL, "%s %s: see 'ctr %s --help'", cmd, what, cmd);
}

int cmd_getopt_error(const char *cmd, int c, char **argv, struct ctr_error **err)
{
    /* getopt leaves the offending word at argv[optind - 1]; optopt is the short option. */
    const char *word = optind > 0 ? argv[optind - 1] : "";
    cleanup_free char *name = NULL;

    if (optopt != 0 && strncmp(word, "--", 2) != 0)
        name = xasprintf("-%c", optopt);
    else
        name = xstrndup(word, strcspn(word, "="));
    if (c == ':')
        return cmd_usage_error(cmd, err, "option '%s' needs a value", name);
    return cmd_usage_error(cmd, err, "unknown option '%s'", name);
}

int cmd_parse_format(const char *cmd, const char *arg, enum cmd_format *ret, struct ctr_error **err)
{
    if (strcmp(arg, "json") == 0) {
        *ret = CMD_FORMAT_JSON;
        return 0;
    }
    if (strcmp(arg, "text") == 0 || strcmp(arg, "table") == 0) {
        *ret = CMD_FORMAT_TEXT;
        return 0;
    }
    return cmd_usage_error(cmd, err, "unknown format '%s': use 'json' or 'text'", arg);
}

void cmd_print_help(const char *help)
{
    fputs(help, stdout);
}
