/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

int cmd_run_subcommand(const struct ctr_command *parent, struct ctr_ctx *ctx, int argc, char **argv,
                       struct ctr_error **err)
{
    if (argc < 2)
        return cmd_usage_error(parent->name, err, "needs a command");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        cmd_print_help(parent);
        return 0;
    }
    for (const struct ctr_command *const *c = parent->subcommands; *c != NULL; c++) {
        if (strcmp(argv[1], (*c)->name) == 0) {
            ctx->command = *c;
            optind = 0;
            return (*c)->run(ctx, argc - 1, argv + 1, err);
        }
    }
    if (argv[1][0] == '-')
        return cmd_usage_error(parent->name, err, "unknown option '%s'", argv[1]);
    return cmd_usage_error(parent->name, err, "has no command '%s'", argv[1]);
}

char *cmd_human_size(int64_t bytes)
{
    /* SI units, as Podman and Docker print image sizes. */
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    double v = (double)bytes;
    int u = 0;

    while (v >= 1000 && u < 5) {
        v /= 1000;
        u++;
    }
    if (u == 0)
        return xasprintf("%lld %s", (long long)bytes, units[0]);
    return xasprintf("%.3g %s", v, units[u]);
}

char *cmd_human_ago(int64_t when, int64_t now)
{
    int64_t d = now - when;

    if (when <= 0)
        return xstrdup("unknown");
    if (d < 1)
        return xstrdup("Less than a second ago");
    if (d < 60)
        return xasprintf("%lld second%s ago", (long long)d, d == 1 ? "" : "s");
    if (d < 3600)
        return d < 120 ? xstrdup("About a minute ago")
                       : xasprintf("%lld minutes ago", (long long)(d / 60));
    if (d < 86400)
        return d < 7200 ? xstrdup("About an hour ago")
                        : xasprintf("%lld hours ago", (long long)(d / 3600));
    if (d < 86400 * 14)
        return xasprintf("%lld days ago", (long long)(d / 86400));
    if (d < 86400 * 60)
        return xasprintf("%lld weeks ago", (long long)(d / (86400 * 7)));
    if (d < 86400 * 365 * 2)
        return xasprintf("%lld months ago", (long long)(d / (86400 * 30)));
    return xasprintf("%lld years ago", (long long)(d / (86400 * 365)));
}

int cmd_parse_bool(const char *cmd, const char *opt, const char *arg, int *ret,
                   struct ctr_error **err)
{
    if (arg == NULL || strcmp(arg, "true") == 0) {
        *ret = 1;
        return 0;
    }
    if (strcmp(arg, "false") == 0) {
        *ret = 0;
        return 0;
    }
    return cmd_usage_error(cmd, err, "%s takes 'true' or 'false', got '%s'", opt, arg);
}

int cmd_parse_uint(const char *cmd, const char *opt, const char *arg, unsigned max, unsigned *ret,
                   struct ctr_error **err)
{
    char *end = NULL;
    unsigned long v;

    errno = 0;
    v = strtoul(arg, &end, 10);
    if (arg[0] < '0' || arg[0] > '9' || *end != '\0' || errno != 0 || v > max)
        return cmd_usage_error(cmd, err, "%s takes a number from 0 to %u, got '%s'", opt, max, arg);
    *ret = (unsigned)v;
    return 0;
}

char *cmd_go_time(int64_t ns)
{
    time_t sec = (time_t)(ns / 1000000000);
    char date[64], zone[64], frac[16] = "";
    long nsec = (long)(ns % 1000000000);
    struct tm tm;

    localtime_r(&sec, &tm);
    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
    strftime(zone, sizeof(zone), "%z %Z", &tm);
    if (nsec > 0) {
        size_t len;

        snprintf(frac, sizeof(frac), ".%09ld", nsec);
        len = strlen(frac);
        while (frac[len - 1] == '0')
            frac[--len] = '\0';
    }
    return xasprintf("%s%s %s", date, frac, zone);
}

/* Display width of UTF-8 text: one column per character. */
static size_t text_width(const char *s, size_t len)
{
    size_t w = 0;

    for (size_t i = 0; i < len; i++)
        w += ((unsigned char)s[i] & 0xc0) != 0x80;
    return w;
}

void cmd_print_aligned(const char *text, size_t len)
{
    size_t *widths = NULL, n_widths = 0;
    const char *end = text + len;

    for (const char *line = text; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        const char *cell = line, *tab;
        size_t col = 0;

        if (eol == NULL)
            eol = end;
        while ((tab = memchr(cell, '\t', (size_t)(eol - cell))) != NULL) {
            size_t w = text_width(cell, (size_t)(tab - cell)) + 2;

            if (col >= n_widths) {
                widths = xreallocarray(widths, col + 1, sizeof(size_t));
                widths[n_widths++] = 12;
            }
            if (w > widths[col])
                widths[col] = w;
            cell = tab + 1;
            col++;
        }
        line = eol + 1;
    }
    for (const char *line = text; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        const char *cell = line, *tab;
        size_t col = 0;

        if (eol == NULL)
            eol = end;
        while ((tab = memchr(cell, '\t', (size_t)(eol - cell))) != NULL) {
            size_t w = text_width(cell, (size_t)(tab - cell));

            fwrite(cell, 1, (size_t)(tab - cell), stdout);
            printf("%*s", (int)(widths[col] - w), "");
            cell = tab + 1;
            col++;
        }
        fwrite(cell, 1, (size_t)(eol - cell), stdout);
        if (eol < end)
            putchar('\n');
        line = eol + 1;
    }
    free(widths);
}
