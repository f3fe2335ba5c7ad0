/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctr generate systemd: a systemd user unit that runs a container, as Podman's command of the
 * same name writes one.  With --new the unit creates the container afresh from the command
 * line that created it (ctr run --replace --rm --sdnotify=conmon -d ...), so that a unit file
 * alone is enough to run it on another machine; without it, the unit starts and stops the
 * container that exists.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "fsutil.h"
#include "text.h"
#include "xalloc.h"

enum {
    OPT_NEW = 256,
    OPT_RESTART_POLICY,
    OPT_RESTART_SEC,
    OPT_NO_HEADER,
};

static const struct cmd_option systemd_options[] = {
        {"new", 0, no_argument, OPT_NEW, NULL,
         "create the container afresh at each start ('ctr run' with the options\nit was "
         "created with) and remove it at each stop",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"files", 'f', no_argument, 'f', NULL,
         "write container-NAME.service in the current directory and print\nits path, rather "
         "than print the unit",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"name", 'n', no_argument, 'n', NULL,
         "name the unit after the container's name (ctr always does; for\nPodman's scripts)",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"restart-policy", 0, required_argument, OPT_RESTART_POLICY, "POLICY",
         "the unit's Restart= (default on-failure)", CMD_COMPLETE_VALUES,
         "no on-success on-failure on-abnormal on-watchdog on-abort always", NULL},
        {"restart-sec", 0, required_argument, OPT_RESTART_SEC, "N",
         "the unit's RestartSec=, seconds between restarts", CMD_COMPLETE_NONE, NULL, NULL},
        {"time", 't', required_argument, 't', "N",
         "seconds 'ctr stop' waits before killing (default: the container's\n--stop-timeout); "
         "TimeoutStopSec= is 60 more",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"stop-timeout", 0, required_argument, 't', "N", "the same as --time", CMD_COMPLETE_NONE,
         NULL, NULL},
        {"no-header", 0, no_argument, OPT_NO_HEADER, NULL,
         "leave out the comment naming the unit and ctr", CMD_COMPLETE_NONE, NULL, NULL},
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

/* systemd.service(5)'s Restart= values. */
static const char *const restart_values[] = {
        "no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always", NULL,
};

/*
 * Options of `ctr run` the unit sets itself, or that make no sense under systemd: they are
 * left out of the command line it rebuilds.  --restart goes too: systemd's Restart= restarts
 * the unit, and a restart by the container's monitor would end the unit's main process.
 */
static const char *const unit_owned[] = {
        "detach",      "rm",  "replace", "cidfile", "sdnotify",
        "interactive", "tty", "restart", "name",    NULL,
};

struct systemd_opts {
    int new_unit, files, no_header;
    const char *restart_policy;
    int restart_sec;  /* -1: not set */
    int stop_timeout; /* -1: the container's */
};

/* Appends one word of an Exec line, quoted for systemd. */
static void put_word(FILE *f, const char *word)
{
    cleanup_free char *q = ctr_systemd_quote(word, CTR_SYSTEMD_EXEC);

    fprintf(f, " %s", q);
}

/* Starts a continuation line of an Exec line with its first word. */
static void put_first(FILE *f, const char *word)
{
    cleanup_free char *q = ctr_systemd_quote(word, CTR_SYSTEMD_EXEC);

    fprintf(f, " \\\n\t%s", q);
}

/* The option `name` (of `len` bytes) names, as getopt_long reads it: exactly, or as the
 * prefix of one option only (aliases such as --net and --network count once). */
static const struct cmd_option *find_long(const struct cmd_option *table, const char *name,
                                          size_t len)
{
    const struct cmd_option *found = NULL;

    for (const struct cmd_option *o = table; o->name != NULL; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    for (const struct cmd_option *o = table; len > 0 && o->name != NULL; o++) {
        if (strncmp(o->name, name, len) != 0)
            continue;
        if (found != NULL && (found->val != o->val || found->has_arg != o->has_arg))
            return NULL;
        found = o;
    }
    return found;
}

static const struct cmd_option *find_short(const struct cmd_option *table, int c)
{
    for (const struct cmd_option *o = table; o->name != NULL; o++)
        if (o->short_name == c)
            return o;
    return NULL;
}

static int owned_by_unit(const struct cmd_option *o)
{
    for (const char *const *p = unit_owned; *p != NULL; p++)
        if (strcmp(o->name, *p) == 0)
            return 1;
    return 0;
}

static int unknown_option(const char *name, const char *word, struct ctr_error **err)
{
    return ctr_error_set(err, EINVAL,
                         "container '%s' was created with option '%s', which this ctr does not "
                         "know: generate the unit without --new",
                         name, word);
}

/*
 * The options of `ctr run` in the stored create command from cc[*i] on, one per line of the
 * Exec line, without those the unit owns.  *i is left at the image.
 */
static int put_options(FILE *f, const char *name, char **cc, size_t *i, struct ctr_error **err)
{
    for (; cc[*i] != NULL && cc[*i][0] == '-' && cc[*i][1] != '\0'; (*i)++) {
        const char *w = cc[*i];

        if (strcmp(w, "--") == 0)
            break;
        if (w[1] == '-') {
            const char *eq = strchr(w, '=');
            const struct cmd_option *o =
                    find_long(container_options, w + 2, eq ? (size_t)(eq - w - 2) : strlen(w + 2));
            const char *value = NULL;

            if (o == NULL)
                return unknown_option(name, w, err);
            if (o->has_arg == required_argument && eq == NULL) {
                if (cc[*i + 1] == NULL)
                    return unknown_option(name, w, err);
                value = cc[++*i];
            }
            if (owned_by_unit(o))
                continue;
            /* "--env=A B" stays one word; "--env" "A B" two. */
            put_first(f, w);
            if (value != NULL)
                put_word(f, value);
            continue;
        }
        /* A bundle of short options, the last one perhaps with its value: -dit, -p8080:80. */
        for (const char *p = w + 1; *p != '\0'; p++) {
            const struct cmd_option *o = find_short(container_options, (unsigned char)*p);
            const char *value = NULL;
            char flag[3] = {'-', *p, '\0'};

            if (o == NULL)
                return unknown_option(name, w, err);
            if (o->has_arg == required_argument) {
                if (p[1] != '\0')
                    value = p + 1;
                else if (cc[*i + 1] != NULL)
                    value = cc[++*i];
                else
                    return unknown_option(name, w, err);
            }
            if (!owned_by_unit(o)) {
                put_first(f, flag);
                if (value != NULL)
                    put_word(f, value);
            }
            if (value != NULL)
                break;
        }
    }
    return 0;
}

/* Skips ctr's global options and the command word ("run", "create", "container run"). */
static int skip_to_options(const char *name, char **cc, size_t *i, struct ctr_error **err)
{
    for (*i = 1; cc[*i] != NULL && cc[*i][0] == '-'; (*i)++) {
        const char *eq = strchr(cc[*i], '=');
        const struct cmd_option *o =
                cc[*i][1] == '-' ? find_long(ctr_main.options, cc[*i] + 2,
                                             eq ? (size_t)(eq - cc[*i] - 2) : strlen(cc[*i] + 2))
                                 : find_short(ctr_main.options, (unsigned char)cc[*i][1]);

        if (o == NULL)
            return unknown_option(name, cc[*i], err);
        if (o->has_arg == required_argument && eq == NULL && cc[*i + 1] != NULL)
            (*i)++;
    }
    if (cc[*i] != NULL && strcmp(cc[*i], "container") == 0)
        (*i)++;
    if (cc[*i] == NULL || (strcmp(cc[*i], "run") != 0 && strcmp(cc[*i], "create") != 0))
        return ctr_error_set(err, EINVAL,
                             "container '%s': its stored create command is not 'ctr run' or "
                             "'ctr create': generate the unit without --new",
                             name);
    (*i)++;
    return 0;
}

/* ctr's absolute path and the options that name the store the container lives in. */
static void put_ctr(FILE *f, const char *self, const struct storage *s)
{
    cleanup_free char *q = ctr_systemd_quote(self, CTR_SYSTEMD_EXEC);

    fputs(q, f);
    put_word(f, "--root");
    put_word(f, s->root);
    put_word(f, "--runroot");
    put_word(f, s->runroot);
}

static int put_service_new(FILE *f, const char *self, const struct storage *s,
                           const struct storage_container *c, const struct ctr_spec *spec,
                           unsigned timeout, struct ctr_error **err)
{
    char **cc = spec->create_command;
    size_t i;

    if (cc == NULL || cc[0] == NULL)
        return ctr_error_set(err, ENOENT,
                             "container '%s' has no stored create command (an older ctr made "
                             "it): create it again, or generate the unit without --new",
                             c->name);
    if (skip_to_options(c->name, cc, &i, err) < 0)
        return -1;
    fputs("ExecStart=", f);
    put_ctr(f, self, s);
    fputs(" run \\\n\t--cidfile=%t/%N.cid \\\n\t--replace \\\n\t--rm \\\n\t--sdnotify=conmon "
          "\\\n\t-d \\\n\t--name",
          f);
    put_word(f, c->name);
    if (put_options(f, c->name, cc, &i, err) < 0)
        return -1;
    if (cc[i] == NULL)
        return ctr_error_set(err, EINVAL,
                             "container '%s': its stored create command names no image", c->name);
    put_first(f, cc[i]);
    for (size_t k = i + 1; cc[k] != NULL; k++)
        put_word(f, cc[k]);
    fputs("\nExecStop=", f);
    put_ctr(f, self, s);
    fprintf(f, " stop --ignore -t %u --cidfile=%%t/%%N.cid\nExecStopPost=", timeout);
    put_ctr(f, self, s);
    fprintf(f, " rm -f --ignore -t %u --cidfile=%%t/%%N.cid\nType=notify\nNotifyAccess=all\n",
            timeout);
    return 0;
}

static void put_service_existing(FILE *f, const char *self, const struct storage *s,
                                 const struct storage_container *c, unsigned timeout)
{
    /*
     * `ctr start` returns once the container runs under its monitor, which then is the one
     * process of the unit left as the manager's child: systemd takes it for the main process.
     */
    fputs("ExecStart=", f);
    put_ctr(f, self, s);
    fputs(" start", f);
    put_word(f, c->name);
    fputs("\nExecStop=", f);
    put_ctr(f, self, s);
    fprintf(f, " stop -t %u", timeout);
    put_word(f, c->name);
    /* After a crash too: what is left of the container is stopped. */
    fputs("\nExecStopPost=", f);
    put_ctr(f, self, s);
    fprintf(f, " stop -t %u", timeout);
    put_word(f, c->name);
    fputs("\nType=forking\n", f);
}

/* RequiresMountsFor= with the store's directories (those systemd can be told of). */
static void put_mounts(FILE *f, const struct storage *s)
{
    cleanup_free char *root = ctr_systemd_quote(s->root, 0);
    cleanup_free char *runroot = ctr_systemd_quote(s->runroot, 0);

    if (root == NULL && runroot == NULL)
        return;
    fprintf(f, "RequiresMountsFor=%s%s%s\n", root ? root : "", root && runroot ? " " : "",
            runroot ? runroot : "");
}

static char *unit_text(struct ctr_ctx *ctx, const struct storage_container *c,
                       const struct systemd_opts *o, const char *unit, struct ctr_error **err)
{
    struct storage *s = ctx->store;
    struct ctr_spec spec = {0};
    cleanup_free char *self = NULL;
    char *text = NULL;
    size_t len = 0;
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    unsigned timeout;
    FILE *f;
    int r = 0;

    if (n < 0) {
        ctr_error_errno(err, "find ctr's own binary");
        return NULL;
    }
    buf[n] = '\0';
    self = xstrdup(buf);
    if (container_spec(c, &spec, err) < 0)
        return NULL;
    timeout = o->stop_timeout >= 0 ? (unsigned)o->stop_timeout : spec.stop_timeout;
    if (!o->new_unit && spec.restart != CTR_RESTART_NO)
        fprintf(stderr,
                "ctr: warning: container '%s' has --restart %s: its monitor would restart it "
                "behind systemd's back; create it again without --restart, or use --new (which "
                "leaves it out)\n",
                c->name, ctr_restart_policy_name(spec.restart));
    f = open_memstream(&text, &len);
    if (f == NULL)
        abort();
    if (!o->no_header)
        fprintf(f, "# %s\n# made by 'ctr generate systemd%s' (ctr %s)\n\n", unit,
                o->new_unit ? " --new" : "", CTR_VERSION);
    fprintf(f,
            "[Unit]\nDescription=ctr container %s\nWants=network-online.target\n"
            "After=network-online.target\n",
            c->name);
    put_mounts(f, s);
    fprintf(f, "\n[Service]\nRestart=%s\n", o->restart_policy);
    if (o->restart_sec >= 0)
        fprintf(f, "RestartSec=%d\n", o->restart_sec);
    fprintf(f, "TimeoutStopSec=%u\n", timeout + 60);
    if (o->new_unit)
        r = put_service_new(f, self, s, c, &spec, timeout, err);
    else
        put_service_existing(f, self, s, c, timeout);
    /*
     * The monitor, the unit's main process, exits with the container's status: when `ctr stop`
     * stopped it with its stop signal, that is a clean stop, not a failure.  KillMode=mixed:
     * systemd's SIGTERM goes to the monitor, which passes it on; the rest is only SIGKILLed.
     */
    fprintf(f, "SuccessExitStatus=%d\nKillMode=mixed\n\n[Install]\nWantedBy=default.target\n",
            128 + (spec.stop_signal > 0 ? spec.stop_signal : 15));
    ctr_spec_clear(&spec);
    if (fclose(f) != 0)
        abort();
    if (r < 0) {
        free(text);
        return NULL;
    }
    return text;
}

static int write_unit(const char *unit, const char *text, struct ctr_error **err)
{
    cleanup_free char *cwd = getcwd(NULL, 0);

    if (ctr_write_file_replace(unit, text, strlen(text), 0644) < 0)
        return ctr_error_errno(err, "write '%s'", unit);
    printf("%s/%s\n", cwd ? cwd : ".", unit);
    return 0;
}

static int parse_systemd(int argc, char **argv, struct systemd_opts *o, int *ret_help,
                         struct ctr_error **err)
{
    struct cmd_getopt g;
    unsigned v;
    int c;

    *o = (struct systemd_opts){
            .restart_policy = "on-failure", .restart_sec = -1, .stop_timeout = -1};
    *ret_help = 0;
    cmd_getopt_init(&g, systemd_options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        switch (c) {
        case OPT_NEW:
            o->new_unit = 1;
            break;
        case 'f':
            o->files = 1;
            break;
        case 'n':
            break;
        case OPT_RESTART_POLICY: {
            const char *const *p = restart_values;

            while (*p != NULL && strcmp(*p, optarg) != 0)
                p++;
            if (*p == NULL)
                return cmd_usage_error("generate systemd", err,
                                       "--restart-policy '%s' is not one of systemd's: no, "
                                       "on-success, on-failure, on-abnormal, on-watchdog, "
                                       "on-abort, always",
                                       optarg);
            o->restart_policy = *p;
            break;
        }
        case OPT_RESTART_SEC:
            if (cmd_parse_uint("generate systemd", "--restart-sec", optarg, 86400, &v, err) < 0)
                return -1;
            o->restart_sec = (int)v;
            break;
        case 't':
            if (cmd_parse_uint("generate systemd", "--time", optarg, 86400 * 365, &v, err) < 0)
                return -1;
            o->stop_timeout = (int)v;
            break;
        case OPT_NO_HEADER:
            o->no_header = 1;
            break;
        case 'h':
            *ret_help = 1;
            return 0;
        default:
            return cmd_getopt_error("generate systemd", c, argv, err);
        }
    }
    if (optind >= argc)
        return cmd_usage_error("generate systemd", err, "needs a container");
    if (argc - optind > 1)
        return cmd_usage_error("generate systemd", err, "takes one container, got %d",
                               argc - optind);
    return 0;
}

static const struct ctr_command generate_systemd_cmd;

static int generate_systemd(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct systemd_opts o;
    struct storage_container c = {0};
    cleanup_free char *unit = NULL;
    cleanup_free char *text = NULL;
    struct storage *s;
    int help, r;

    if (parse_systemd(argc, argv, &o, &help, err) < 0)
        return -1;
    if (help) {
        cmd_print_help(&generate_systemd_cmd);
        return 0;
    }
    s = ctx_store(ctx, err);
    if (s == NULL || storage_container_find(s, argv[optind], &c, err) < 0)
        return -1;
    unit = xasprintf("container-%s.service", c.name);
    text = unit_text(ctx, &c, &o, unit, err);
    if (text == NULL)
        r = -1;
    else if (o.files)
        r = write_unit(unit, text, err);
    else
        r = fputs(text, stdout) == EOF ? ctr_error_errno(err, "write the unit") : 0;
    storage_container_clear(&c);
    return r;
}

static const struct ctr_command generate_systemd_cmd = {
        .name = "systemd",
        .run = generate_systemd,
        .flags = CMD_NEEDS_STORE,
        .summary = "Write a systemd user unit that runs a container",
        .synopsis = "generate systemd [OPTIONS] CONTAINER",
        .description =
                "Write a systemd user unit, container-NAME.service, that runs the container.  "
                "With\n--new it runs 'ctr run --replace --rm --sdnotify=conmon -d' with the "
                "options the\ncontainer was created with (Type=notify), so the container is "
                "made afresh at each\nstart and removed at each stop; without it, it starts and "
                "stops this container\n(Type=forking).  Put it in ~/.config/systemd/user/, then "
                "'systemctl --user\ndaemon-reload' and 'systemctl --user enable --now "
                "container-NAME.service'.\n",
        .options = systemd_options,
        .operand = CMD_COMPLETE_CONTAINER,
};

static const struct cmd_option generate_options[] = {
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

static const struct ctr_command *const generate_subcommands[] = {
        &generate_systemd_cmd,
        NULL,
};

static int cmd_generate(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    return cmd_run_subcommand(&ctr_cmd_generate, ctx, argc, argv, err);
}

const struct ctr_command ctr_cmd_generate = {
        .name = "generate",
        .run = cmd_generate,
        .flags = CMD_NEEDS_STORE,
        .summary = "Generate files that run containers (systemd units)",
        .synopsis = "generate COMMAND [ARG...]",
        .description = "Generate files that run containers: 'ctr generate systemd' writes a "
                       "systemd unit.\n",
        .options = generate_options,
        .operand = CMD_COMPLETE_COMMAND,
        .subcommands = generate_subcommands,
};
