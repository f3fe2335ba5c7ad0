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
#include "template.h"
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

    /* Two walks over the same cells: the first measures the columns, the second prints. */
    for (int print = 0; print <= 1; print++) {
        for (const char *line = text; line < end;) {
            const char *eol = memchr(line, '\n', (size_t)(end - line));
            const char *cell = line, *tab;
            size_t col = 0;

            if (eol == NULL)
                eol = end;
            while ((tab = memchr(cell, '\t', (size_t)(eol - cell))) != NULL) {
                size_t w = text_width(cell, (size_t)(tab - cell));

                if (print) {
                    fwrite(cell, 1, (size_t)(tab - cell), stdout);
                    printf("%*s", (int)(widths[col] - w), "");
                } else {
                    if (col >= n_widths) {
                        widths = xreallocarray(widths, col + 1, sizeof(size_t));
                        widths[n_widths++] = 12;
                    }
                    if (w + 2 > widths[col])
                        widths[col] = w + 2;
                }
                cell = tab + 1;
                col++;
            }
            if (print) {
                fwrite(cell, 1, (size_t)(eol - cell), stdout);
                if (eol < end)
                    putchar('\n');
            }
            line = eol + 1;
        }
    }
    free(widths);
}

/* `v` as the JSON of --format json: indented, members in their order. */
static void print_json(const json_t *v)
{
    cleanup_free char *text = json_dumps(v, JSON_INDENT(4) | JSON_PRESERVE_ORDER);

    puts(text != NULL ? text : "[]");
}

int cmd_output_open(struct cmd_output *out, const char *cmd, const char *format, int noheading,
                    const char *(*headers)(const char *field), struct ctr_error **err)
{
    int table = 0;

    out->cmd = cmd;
    if (strcmp(format, "json") == 0) {
        out->json = json_array();
        return 0;
    }
    if (ctr_template_parse(format, &out->tmpl, &table, err) < 0)
        return ctr_error_wrap(err, "%s --format", cmd);
    out->mem = open_memstream(&out->text, &out->text_len);
    if (out->mem == NULL)
        return ctr_error_errno(err, "%s: open a memory stream", cmd);
    if (table && !noheading) {
        cleanup_free char *header = ctr_template_header(out->tmpl, headers);

        fputs(header, out->mem);
        fputc('\n', out->mem);
    }
    return 0;
}

int cmd_output_row(struct cmd_output *out, json_t *row, struct ctr_error **err)
{
    cleanup_free char *line = ctr_template_render(out->tmpl, row, err);

    json_decref(row);
    if (line == NULL)
        return ctr_error_wrap(err, "%s --format", out->cmd);
    fputs(line, out->mem);
    if (line[0] == '\0' || line[strlen(line) - 1] != '\n')
        fputc('\n', out->mem);
    return 0;
}

int cmd_output_print(struct cmd_output *out, struct ctr_error **err)
{
    if (out->json != NULL) {
        print_json(out->json);
    } else if (out->mem != NULL) {
        if (fflush(out->mem) != 0)
            return ctr_error_errno(err, "%s: write to a memory stream", out->cmd);
        cmd_print_aligned(out->text, out->text_len);
    }
    return 0;
}

void cmd_output_clear(struct cmd_output *out)
{
    if (out->mem != NULL)
        fclose(out->mem);
    free(out->text);
    ctr_template_free(out->tmpl);
    json_decref(out->json);
    memset(out, 0, sizeof(*out));
}

int cmd_inspect_parse(const struct ctr_command *cmd, const char *name, const char *operand,
                      int argc, char **argv, struct ctr_template **ret_tmpl, struct ctr_error **err)
{
    const char *format = NULL;
    struct cmd_getopt g;
    int c;

    cmd_getopt_init(&g, cmd->options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        switch (c) {
        case 'f':
            format = optarg;
            break;
        case 'h':
            cmd_print_help(cmd);
            return 1;
        default:
            return cmd_getopt_error(name, c, argv, err);
        }
    }
    if (optind >= argc)
        return cmd_usage_error(name, err, "needs %s", operand);
    *ret_tmpl = NULL;
    /* As Podman: a "table" prefix is accepted and prints no header for inspect. */
    if (format != NULL && strcmp(format, "json") != 0 &&
        ctr_template_parse(format, ret_tmpl, NULL, err) < 0)
        return ctr_error_wrap(err, "%s --format", name);
    return 0;
}

int cmd_inspect_print(json_t *all, const struct ctr_template *tmpl, struct ctr_error **err)
{
    if (tmpl == NULL) {
        print_json(all);
        return 0;
    }
    for (size_t i = 0; i < json_array_size(all); i++) {
        cleanup_free char *line = ctr_template_render(tmpl, json_array_get(all, i), err);

        if (line == NULL)
            return -1;
        printf("%s\n", line);
    }
    return 0;
}

json_t *cmd_strv_json(char **v)
{
    json_t *a = json_array();

    for (; v != NULL && *v != NULL; v++)
        json_array_append_new(a, json_string(*v));
    return a;
}

json_t *cmd_labels_json(char **labels)
{
    json_t *o = json_object();

    for (char **p = labels; p != NULL && *p != NULL; p++) {
        const char *eq = strchr(*p, '=');
        cleanup_free char *key = eq ? xstrndup(*p, (size_t)(eq - *p)) : xstrdup(*p);

        json_object_set_new(o, key, json_string(eq ? eq + 1 : ""));
    }
    return o;
}
