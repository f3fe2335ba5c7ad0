/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "xalloc.h"

enum {
    OPT_CIDFILE = 256,
};

static const struct cmd_option options[] = {
        {"force", 'f', no_argument, 'f', NULL,
         "kill running containers first; a missing one is no error", CMD_COMPLETE_NONE, NULL, NULL},
        {"all", 'a', no_argument, 'a', NULL, "remove every container", CMD_COMPLETE_NONE, NULL,
         NULL},
        {"time", 't', required_argument, 't', "N",
         "with --force, stop a running container first: its stop\nsignal, SIGKILL after N "
         "seconds (default: SIGKILL at once)",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"cidfile", 0, required_argument, OPT_CIDFILE, "FILE",
         "remove the container whose id FILE holds (run --cidfile),\nthen FILE", CMD_COMPLETE_FILE,
         NULL, NULL},
        {"ignore", 'i', no_argument, 'i', NULL,
         "a missing container (or --cidfile) is no error, as for\nsystemd's ExecStopPost",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"volumes", 'v', no_argument, 'v', NULL,
         "accepted for Podman compatibility (ctr has no named volumes)", CMD_COMPLETE_NONE, NULL,
         NULL},
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

/* Keeps the newest failure in *last, printing the one it replaces. */
static void report(struct ctr_error **err, struct ctr_error **last)
{
    if (*last != NULL) {
        fflush(stdout);
        fprintf(stderr, "ctr: %s\n", (*last)->msg);
        ctr_error_clear(last);
    }
    *last = *err;
    *err = NULL;
}

struct rm_opts {
    int force, ignore;
    int time; /* -t, or -1 */
};

/*
 * Removes the container `what` names and prints `what`; a missing one is no error with -f or
 * -i.  1 when it was removed or was missing, so that its --cidfile may go.
 */
static int remove_one(struct ctr_ctx *ctx, struct storage *s, const char *what,
                      const struct rm_opts *o, struct ctr_error **err)
{
    struct storage_container ct = {0};
    int r = storage_container_find(s, what, &ct, err);

    if (r < 0 && (o->force || o->ignore) && (*err)->code == ENOENT) {
        ctr_error_clear(err);
        return 1;
    }
    if (r == 0 && o->force && o->time >= 0 && ct.state == STORAGE_CONTAINER_RUNNING)
        r = container_stop(ctx, &ct, o->time, err);
    if (r == 0)
        r = container_remove(ctx, &ct, o->force, err);
    storage_container_clear(&ct);
    if (r < 0)
        return -1;
    printf("%s\n", what);
    return 1;
}

int cmd_rm(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct cmd_getopt g;
    struct ctr_error *last = NULL;
    struct storage_container *list = NULL;
    struct storage *s;
    struct rm_opts o = {.time = -1};
    cleanup_strv char **cidfiles = NULL;
    size_t n = 0;
    unsigned t;
    int c, all = 0, failed = 0;

    cmd_getopt_init(&g, options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        switch (c) {
        case 'f':
            o.force = 1;
            break;
        case 'a':
            all = 1;
            break;
        case 't':
            if (cmd_parse_uint("rm", "--time", optarg, 86400 * 365, &t, err) < 0)
                return -1;
            o.time = (int)t;
            break;
        case OPT_CIDFILE:
            strv_push(&cidfiles, optarg);
            break;
        case 'i':
            o.ignore = 1;
            break;
        case 'v':
            break;
        case 'h':
            cmd_print_help(&ctr_cmd_rm);
            return 0;
        default:
            return cmd_getopt_error("rm", c, argv, err);
        }
    }
    if (!all && optind >= argc && cidfiles == NULL)
        return cmd_usage_error("rm", err, "needs at least one container, --cidfile or --all");
    if (all && (optind < argc || cidfiles != NULL))
        return cmd_usage_error("rm", err, "--all takes no container names or --cidfile");
    s = ctx_store(ctx, err);
    if (s == NULL)
        return -1;
    /* Like Podman, every container that can go goes; each one that cannot is named. */
    if (all) {
        if (storage_container_list(s, &list, &n, err) < 0)
            return -1;
        for (size_t i = 0; i < n; i++) {
            if (remove_one(ctx, s, list[i].id, &o, err) > 0)
                continue;
            report(err, &last);
            failed++;
        }
        storage_container_list_free(list, n);
    }
    /* A cidfile goes with its container, or when it names none: the next run may write it. */
    for (char **p = cidfiles; p && *p; p++) {
        cleanup_free char *id = container_cidfile_read(*p, err);

        if (id == NULL && (o.force || o.ignore) && (*err)->code == ENOENT) {
            ctr_error_clear(err);
            continue;
        }
        if (id != NULL && remove_one(ctx, s, id, &o, err) > 0) {
            if (unlink(*p) < 0 && errno != ENOENT)
                fprintf(stderr, "ctr: warning: remove --cidfile '%s': %s\n", *p, strerror(errno));
            continue;
        }
        report(err, &last);
        failed++;
    }
    for (int i = optind; !all && i < argc; i++) {
        if (remove_one(ctx, s, argv[i], &o, err) > 0)
            continue;
        report(err, &last);
        failed++;
    }
    if (failed > 0) {
        /* The last failure is ctr's error; the earlier ones were printed as they came. */
        *err = last;
        return -1;
    }
    return 0;
}

const struct ctr_command ctr_cmd_rm = {
        .name = "rm",
        .run = cmd_rm,
        .flags = CMD_NEEDS_STORE,
        .summary = "Remove containers",
        .synopsis = "rm [OPTIONS] CONTAINER...",
        .description = "Remove containers: their files, logs and records.  A container is named "
                       "by its\nname, its id, or a prefix of its id that no other container "
                       "shares.\n",
        .options = options,
        .operand = CMD_COMPLETE_CONTAINER,
        .operands = CMD_COMPLETE_CONTAINER,
};
