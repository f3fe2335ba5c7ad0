/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "ports.h"
#include "container.h"
#include "template.h"
#include "xalloc.h"

enum {
    OPT_NO_TRUNC = 256,
    OPT_FORMAT,
    OPT_NOHEADING,
};

const struct cmd_option cmd_ps_options[] = {
        {"all", 'a', no_argument, 'a', NULL, "show every container, not only running ones",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"quiet", 'q', no_argument, 'q', NULL, "print only container ids", CMD_COMPLETE_NONE, NULL,
         NULL},
        {"no-trunc", 0, no_argument, OPT_NO_TRUNC, NULL, "show full ids and commands",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"last", 'n', required_argument, 'n', "N", "only the N newest containers (in any state)",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"latest", 'l', no_argument, 'l', NULL, "only the newest container (in any state)",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"filter", 'f', required_argument, 'f', "KEY=VALUE",
         "status=created|running|exited, name=REGEX, id=PREFIX,\nancestor=IMAGE (a name, short "
         "name or id prefix),\nlabel=KEY or label=KEY=VALUE, exited=CODE; values of one\nkey are "
         "alternatives (labels must all hold), different\nkeys must all hold",
         CMD_COMPLETE_VALUES,
         "status=created status=running status=exited name= id= ancestor= label= exited=", NULL},
        {"format", 0, required_argument, OPT_FORMAT, "FORMAT",
         "'json', 'table', or a Go template such as\n'{{.ID}} {{.Names}} {{.Status}}' ('table ...' "
         "adds a header)",
         CMD_COMPLETE_FORMAT, NULL, NULL},
        {"noheading", 0, no_argument, OPT_NOHEADING, NULL, "print no header row", CMD_COMPLETE_NONE,
         NULL, NULL},
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

/* What --format's {{.Field}} can name: template_row's members, Podman's names. */
const char *const cmd_ps_format_fields[] = {
        "AutoRemove", "Command",    "Created",   "CreatedAt", "CreatedHuman", "ExitCode",
        "Exited",     "ExitedAt",   "ID",        "Image",     "ImageID",      "Labels",
        "Mounts",     "Names",      "Networks",  "Pid",       "Pod",          "PodName",
        "Ports",      "RunningFor", "StartedAt", "State",     "Status",       NULL,
};

/* Podman's default columns. */
static const char default_format[] = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t"
                                     "{{.Status}}\t{{.Ports}}\t{{.Names}}";

#define NS_PER_SEC 1000000000LL

struct filters {
    char **status, **id, **ancestor, **label;
    regex_t *name_re;
    size_t n_name_re;
    int *exited;
    size_t n_exited;
};

static void filters_clear(struct filters *f)
{
    strv_free(f->status);
    strv_free(f->id);
    strv_free(f->ancestor);
    strv_free(f->label);
    for (size_t i = 0; i < f->n_name_re; i++)
        regfree(&f->name_re[i]);
    free(f->name_re);
    free(f->exited);
}

static int parse_filter(const char *arg, struct filters *f, struct ctr_error **err)
{
    /* Podman's states; ctr's containers are never paused, and "stopped" is our "exited". */
    static const char *const states[] = {"created", "running", "exited", "stopped",
                                         "paused",  "unknown", NULL};
    const char *eq = strchr(arg, '=');
    const char *v = eq ? eq + 1 : NULL;
    size_t klen = eq ? (size_t)(eq - arg) : 0;

    if (eq == NULL)
        return cmd_usage_error("ps", err, "--filter takes KEY=VALUE, got '%s'", arg);
    if (*v == '\0')
        return cmd_usage_error("ps", err, "--filter '%s' needs a value", arg);
#define KEY_IS(k) (klen == strlen(k) && strncmp(arg, k, klen) == 0)
    if (KEY_IS("status")) {
        for (size_t i = 0; states[i] != NULL; i++) {
            if (strcmp(v, states[i]) == 0) {
                strv_push(&f->status, v);
                return 0;
            }
        }
        return cmd_usage_error("ps", err,
                               "--filter status='%s': use created, running, exited, stopped, "
                               "paused or unknown",
                               v);
    }
    if (KEY_IS("name")) {
        char msg[128];
        int r;

        /* Podman matches names with an unanchored regular expression. */
        f->name_re = xreallocarray(f->name_re, f->n_name_re + 1, sizeof(regex_t));
        r = regcomp(&f->name_re[f->n_name_re], v, REG_EXTENDED | REG_NOSUB);
        if (r != 0) {
            regerror(r, &f->name_re[f->n_name_re], msg, sizeof(msg));
            if (msg[0] >= 'A' && msg[0] <= 'Z')
                msg[0] = (char)(msg[0] - 'A' + 'a');
            regfree(&f->name_re[f->n_name_re]);
            return cmd_usage_error("ps", err, "--filter name='%s': %s", v, msg);
        }
        f->n_name_re++;
        return 0;
    }
    if (KEY_IS("exited")) {
        unsigned code;

        if (cmd_parse_uint("ps", "--filter exited", v, 255, &code, err) < 0)
            return -1;
        f->exited = xreallocarray(f->exited, f->n_exited + 1, sizeof(int));
        f->exited[f->n_exited++] = (int)code;
        return 0;
    }
    if (KEY_IS("id"))
        strv_push(&f->id, v);
    else if (KEY_IS("ancestor"))
        strv_push(&f->ancestor, v);
    else if (KEY_IS("label"))
        strv_push(&f->label, v);
    else
        return cmd_usage_error("ps", err,
                               "unknown filter '%.*s': use status, name, id, ancestor, label or "
                               "exited",
                               (int)klen, arg);
#undef KEY_IS
    return 0;
}

static int state_matches(const struct storage_container *c, char *const *status)
{
    for (; *status != NULL; status++) {
        const char *want = strcmp(*status, "stopped") == 0 ? "exited" : *status;

        if (strcmp(want, storage_container_state_name(c->state)) == 0)
            return 1;
    }
    return 0;
}

/*
 * An image name matches as stored ("docker.io/library/busybox:latest"), without its registry
 * ("library/busybox:latest") and without "library/" ("busybox:latest"); a filter without a
 * tag or digest matches every tag of the repository.
 */
static int ancestor_name_matches(const char *name, const char *want)
{
    const char *last = strrchr(want, '/') ? strrchr(want, '/') : want;
    int want_tag = strchr(last, ':') != NULL || strchr(want, '@') != NULL;
    const char *slash = strchr(name, '/');
    const char *cands[3];
    size_t n = 0;

    cands[n++] = name;
    /* A first component with '.' or ':', or "localhost", is a registry. */
    if (slash != NULL && (memchr(name, '.', (size_t)(slash - name)) != NULL ||
                          memchr(name, ':', (size_t)(slash - name)) != NULL ||
                          strncmp(name, "localhost/", 10) == 0)) {
        cands[n++] = slash + 1;
        if (strncmp(slash + 1, "library/", 8) == 0)
            cands[n++] = slash + 1 + 8;
    }
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(cands[i]);

        if (!want_tag) {
            const char *tail = strrchr(cands[i], '/') ? strrchr(cands[i], '/') : cands[i];

            len = (size_t)(tail - cands[i]) + strcspn(tail, ":@");
        }
        if (strlen(want) == len && strncmp(cands[i], want, len) == 0)
            return 1;
    }
    return 0;
}

static int ancestor_matches(const struct storage_container *c, char *const *ancestors)
{
    for (; *ancestors != NULL; ancestors++) {
        const char *want = *ancestors;
        const char *hex = strncmp(want, "sha256:", 7) == 0 ? want + 7 : want;
        size_t n = strlen(hex);

        if (c->image_id != NULL && n > 0 && strspn(hex, "0123456789abcdef") == n &&
            strncmp(c->image_id + strlen("sha256:"), hex, n) == 0)
            return 1;
        if (c->image_name != NULL && ancestor_name_matches(c->image_name, want))
            return 1;
    }
    return 0;
}

/* Every label filter must hold, as in Podman: KEY (any value) or KEY=VALUE. */
static int labels_match(const struct ctr_spec *spec, char *const *filters)
{
    for (; *filters != NULL; filters++) {
        const char *eq = strchr(*filters, '=');
        size_t klen = eq ? (size_t)(eq - *filters) : strlen(*filters);
        int found = 0;

        for (char **l = spec->labels; l != NULL && *l != NULL && !found; l++) {
            const char *value;

            if (strncmp(*l, *filters, klen) != 0 || ((*l)[klen] != '=' && (*l)[klen] != '\0'))
                continue;
            value = (*l)[klen] == '=' ? *l + klen + 1 : "";
            found = eq == NULL || strcmp(value, eq + 1) == 0;
        }
        if (!found)
            return 0;
    }
    return 1;
}

/* The filters that need no spec (labels are checked once it is loaded). */
static int row_matches(const struct storage_container *c, const struct filters *f)
{
    int ok;

    if (f->status != NULL && !state_matches(c, f->status))
        return 0;
    if (f->n_name_re > 0) {
        ok = 0;
        for (size_t i = 0; i < f->n_name_re && !ok; i++)
            ok = regexec(&f->name_re[i], c->name, 0, NULL, 0) == 0;
        if (!ok)
            return 0;
    }
    if (f->id != NULL) {
        ok = 0;
        for (char **p = f->id; *p != NULL && !ok; p++)
            ok = strncmp(c->id, *p, strlen(*p)) == 0;
        if (!ok)
            return 0;
    }
    if (f->n_exited > 0) {
        ok = 0;
        for (size_t i = 0; i < f->n_exited && !ok; i++)
            ok = c->state == STORAGE_CONTAINER_EXITED && c->exit_code == f->exited[i];
        if (!ok)
            return 0;
    }
    return f->ancestor == NULL || ancestor_matches(c, f->ancestor);
}

/* "Up 3 minutes", "Exited (1) 2 seconds ago" (a lost code is "unknown"), "Created". */
static char *status_text(const struct storage_container *c, int64_t now)
{
    cleanup_free char *ago = NULL;
    cleanup_free char *code = NULL;

    switch (c->state) {
    case STORAGE_CONTAINER_RUNNING:
        ago = cmd_human_ago(c->started / NS_PER_SEC, now);
        if (strlen(ago) > 4 && strcmp(ago + strlen(ago) - 4, " ago") == 0)
            ago[strlen(ago) - 4] = '\0';
        return xasprintf("Up %s", ago);
    case STORAGE_CONTAINER_EXITED:
        code = c->exit_code < 0 ? xstrdup("unknown") : xasprintf("%d", c->exit_code);
        if (c->finished <= 0)
            return xasprintf("Exited (%s)", code);
        ago = cmd_human_ago(c->finished / NS_PER_SEC, now);
        return xasprintf("Exited (%s) %s", code, ago);
    default:
        return xstrdup("Created");
    }
}

/* The command as Podman's table shows it: 17 bytes and "..." (not splitting a character). */
static char *command_text(const char *command, int no_trunc)
{
    size_t n = strlen(command);

    if (no_trunc || n <= 17)
        return xstrdup(command);
    n = 17;
    while (n > 0 && ((unsigned char)command[n] & 0xc0) == 0x80)
        n--;
    return xasprintf("%.*s...", (int)n, command);
}

static json_t *mounts_json(const struct ctr_spec *spec)
{
    json_t *a = json_array();

    for (size_t i = 0; i < spec->n_mounts; i++)
        json_array_append_new(a, json_string(spec->mounts[i].destination));
    return a;
}

static const char *image_hex(const struct storage_container *c)
{
    if (c->image_id == NULL)
        return "";
    return strncmp(c->image_id, "sha256:", 7) == 0 ? c->image_id + 7 : c->image_id;
}

/* Podman's exit code: 0 until the container exited; ctr's -1 when its code was lost. */
static int exit_code(const struct storage_container *c)
{
    return c->state == STORAGE_CONTAINER_EXITED ? c->exit_code : 0;
}

/* One element of --format json, with Podman's member names. */
/* "0.0.0.0:8080->80/tcp, ..." as Podman's PORTS column shows them. */
static char *ports_text(const struct ctr_spec *spec)
{
    char *out = xstrdup("");

    for (char **p = spec->ports; p && *p; p++) {
        struct net_port port;
        cleanup_error struct ctr_error *ignored = NULL;
        cleanup_free char *one = NULL;
        char *longer;

        if (net_port_parse(*p, &port, &ignored) < 0)
            continue;
        one = net_port_format(&port);
        longer = xasprintf("%s%s%s", out, out[0] ? ", " : "", one);
        free(out);
        out = longer;
    }
    return out;
}

/* Podman's JSON for published ports. */
static json_t *ports_json(const struct ctr_spec *spec)
{
    json_t *a = json_array();

    for (char **p = spec->ports; p && *p; p++) {
        struct net_port port;
        cleanup_error struct ctr_error *ignored = NULL;

        if (net_port_parse(*p, &port, &ignored) < 0)
            continue;
        json_array_append_new(a, json_pack("{s:s, s:i, s:i, s:i, s:s}", "host_ip", port.host_ip,
                                           "container_port", port.container_port, "host_port",
                                           port.host_port, "range", port.count, "protocol",
                                           port.protocol));
    }
    return a;
}

static json_t *json_row(const struct storage_container *c, const struct ctr_spec *spec, int64_t now)
{
    cleanup_free char *ago = cmd_human_ago(c->created / NS_PER_SEC, now);
    cleanup_free char *status = status_text(c, now);
    int running = c->state == STORAGE_CONTAINER_RUNNING;

    return json_pack("{s:b, s:o, s:I, s:s, s:b, s:I, s:i, s:s, s:s, s:s, s:b, s:o, s:o, s:[s], "
                     "s:[], s:i, s:s, s:s, s:o, s:I, s:s, s:s}",
                     "AutoRemove", spec->remove, "Command", cmd_strv_json(spec->argv), "Created",
                     (json_int_t)(c->created / NS_PER_SEC), "CreatedAt", ago, "Exited",
                     c->state == STORAGE_CONTAINER_EXITED, "ExitedAt",
                     (json_int_t)(c->finished / NS_PER_SEC), "ExitCode", exit_code(c), "Id", c->id,
                     "Image", c->image_name ? c->image_name : "", "ImageID", image_hex(c),
                     "IsInfra", 0, "Labels", cmd_labels_json(spec->labels), "Mounts",
                     mounts_json(spec), "Names", c->name, "Networks", "Pid",
                     running ? (int)c->pid : 0, "Pod", "", "PodName", "", "Ports", ports_json(spec),
                     "StartedAt", (json_int_t)(c->started / NS_PER_SEC), "State",
                     storage_container_state_name(c->state), "Status", status);
}

/* The fields a --format template sees, as Podman's ps names them. */
static json_t *template_row(const struct storage_container *c, const struct ctr_spec *spec,
                            int no_trunc, int64_t now)
{
    cleanup_free char *ago = cmd_human_ago(c->created / NS_PER_SEC, now);
    cleanup_free char *status = status_text(c, now);
    cleanup_free char *command = command_text(c->command ? c->command : "", no_trunc);
    cleanup_free char *created_at = cmd_go_time(c->created);
    const char *image_id = image_hex(c);
    int running = c->state == STORAGE_CONTAINER_RUNNING;
    json_t *o;

    o = json_pack("{s:s%, s:s, s:s, s:s%, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, "
                  "s:b, s:I, s:I, s:s, s:s, s:s}",
                  "ID", c->id, (size_t)(no_trunc ? 64 : 12), "Names", c->name, "Image",
                  c->image_name ? c->image_name : "", "ImageID", image_id,
                  no_trunc ? strlen(image_id) : strnlen(image_id, 12), "Command", command,
                  "Created", (json_int_t)(c->created / NS_PER_SEC), "CreatedAt", created_at,
                  "CreatedHuman", ago, "RunningFor", ago, "Status", status, "State",
                  storage_container_state_name(c->state), "Ports", "", "Pid",
                  running ? (int)c->pid : 0, "ExitCode", exit_code(c), "Exited",
                  c->state == STORAGE_CONTAINER_EXITED, "ExitedAt",
                  (json_int_t)(c->finished / NS_PER_SEC), "StartedAt",
                  (json_int_t)(c->started / NS_PER_SEC), "Networks", "", "Pod", "", "PodName", "");
    if (spec != NULL) {
        char *ports = ports_text(spec);

        json_object_set_new(o, "Ports", json_string(ports));
        free(ports);
        json_object_set_new(o, "Labels", cmd_labels_json(spec->labels));
        json_object_set_new(o, "Mounts", mounts_json(spec));
        json_object_set_new(o, "AutoRemove", json_boolean(spec->remove));
    }
    return o;
}

/* Whether a template may read a field that needs the stored spec (or the whole row: "."). */
static int template_needs_spec(const char *format)
{
    if (strstr(format, "Labels") || strstr(format, "Mounts") || strstr(format, "AutoRemove") ||
        strstr(format, "Ports"))
        return 1;
    for (const char *p = strchr(format, '.'); p != NULL; p = strchr(p + 1, '.')) {
        char next = p[1];

        if (!((next >= 'A' && next <= 'Z') || (next >= 'a' && next <= 'z') || next == '_'))
            return 1;
    }
    return 0;
}

static const char *ps_header(const char *field)
{
    static const struct {
        const char *field, *header;
    } names[] = {
            {"ID", "CONTAINER ID"}, {"CreatedHuman", "CREATED"}, {"RunningFor", "CREATED"},
            {"Pod", "POD ID"},      {"PodName", "PODNAME"},
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(field, names[i].field) == 0)
            return names[i].header;
    }
    return NULL;
}

struct ps_opts {
    int all, quiet, no_trunc, latest, noheading;
    long last; /* -1: all */
    const char *format;
    struct filters f;
};

static int parse_args(int argc, char **argv, struct ps_opts *o, int *ret_help,
                      struct ctr_error **err)
{
    struct cmd_getopt g;
    unsigned n;
    int c;

    cmd_getopt_init(&g, cmd_ps_options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        switch (c) {
        case 'a':
            o->all = 1;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case OPT_NO_TRUNC:
            o->no_trunc = 1;
            break;
        case 'n':
            if (cmd_parse_uint("ps", "--last", optarg, INT_MAX, &n, err) < 0)
                return -1;
            o->last = n;
            break;
        case 'l':
            o->latest = 1;
            break;
        case 'f':
            if (parse_filter(optarg, &o->f, err) < 0)
                return -1;
            break;
        case OPT_FORMAT:
            o->format = optarg;
            break;
        case OPT_NOHEADING:
            o->noheading = 1;
            break;
        case 'h':
            *ret_help = 1;
            return 0;
        default:
            return cmd_getopt_error("ps", c, argv, err);
        }
    }
    if (optind < argc)
        return cmd_usage_error("ps", err, "takes no arguments, got '%s'", argv[optind]);
    if (o->last >= 0 && o->latest)
        return cmd_usage_error("ps", err, "--last and --latest cannot be used together");
    if (o->latest)
        o->last = 1;
    /* As in Podman: --last shows every state, and so does asking for a status. */
    if (o->last > 0 || o->f.status != NULL)
        o->all = 1;
    return 0;
}

int cmd_ps(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct ps_opts o = {.last = -1};
    struct cmd_output out = {0};
    struct storage_container *list = NULL;
    const char *format;
    size_t n = 0;
    int64_t now = time(NULL);
    int help = 0, need_spec, status = -1;
    long shown = 0;
    struct storage *s;

    if (parse_args(argc, argv, &o, &help, err) < 0)
        goto out;
    if (help) {
        cmd_print_help(&ctr_cmd_ps);
        status = 0;
        goto out;
    }
    format = o.format == NULL || strcmp(o.format, "table") == 0 ? default_format : o.format;
    /* Podman: a user's format overrides --quiet. */
    if (!(o.quiet && o.format == NULL) &&
        cmd_output_open(&out, "ps", format, o.noheading, ps_header, err) < 0)
        goto out;
    need_spec = out.json != NULL || o.f.label != NULL ||
                (out.tmpl != NULL && template_needs_spec(format));

    s = ctx_store(ctx, err);
    if (s == NULL || storage_container_list(s, &list, &n, err) < 0)
        goto out;
    for (size_t i = 0; i < n && (o.last <= 0 || shown < o.last); i++) {
        const struct storage_container *c = &list[i];
        struct ctr_spec spec = {0};

        if (!o.all && c->state != STORAGE_CONTAINER_RUNNING)
            continue;
        if (!row_matches(c, &o.f))
            continue;
        if (need_spec && container_spec(c, &spec, err) < 0) {
            ctr_error_wrap(err, "container '%s'", c->name);
            goto out;
        }
        if (o.f.label != NULL && !labels_match(&spec, o.f.label)) {
            ctr_spec_clear(&spec);
            continue;
        }
        shown++;
        if (out.json != NULL) {
            json_array_append_new(out.json, json_row(c, &spec, now));
        } else if (out.tmpl != NULL) {
            json_t *row = template_row(c, need_spec ? &spec : NULL, o.no_trunc, now);

            if (cmd_output_row(&out, row, err) < 0) {
                ctr_spec_clear(&spec);
                goto out;
            }
        } else {
            printf("%.*s\n", o.no_trunc ? 64 : 12, c->id);
        }
        ctr_spec_clear(&spec);
    }
    if (cmd_output_print(&out, err) < 0)
        goto out;
    status = 0;
out:
    cmd_output_clear(&out);
    storage_container_list_free(list, n);
    filters_clear(&o.f);
    return status;
}

const struct ctr_command ctr_cmd_ps = {
        .name = "ps",
        .run = cmd_ps,
        .flags = CMD_NEEDS_STORE,
        .summary = "List containers",
        .synopsis = "ps [OPTIONS]",
        .description = "List containers, newest first: by default only the running ones.\n",
        .options = cmd_ps_options,
        .format_fields = cmd_ps_format_fields,
};
