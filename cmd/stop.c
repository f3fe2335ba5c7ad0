/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>

#include "cleanup.h"
#include "container.h"
#include "xalloc.h"

enum {
    OPT_CIDFILE = 256,
};

static const struct cmd_option options[] = {
        {"time", 't', required_argument, 't', "N",
         "seconds to wait before killing (default: the container's\n--stop-timeout, 10 unless set)",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"timeout", 0, required_argument, 't', "N", "the same as --time", CMD_COMPLETE_NONE, NULL,
         NULL},
        {"all", 'a', no_argument, 'a', NULL, "stop every running container", CMD_COMPLETE_NONE,
         NULL, NULL},
        {"cidfile", 0, required_argument, OPT_CIDFILE, "FILE",
         "stop the container whose id FILE holds (run --cidfile)", CMD_COMPLETE_FILE, NULL, NULL},
        {"ignore", 'i', no_argument, 'i', NULL,
         "a missing container (or --cidfile) is no error, as for\nsystemd's ExecStop",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

/* Stops the container `what` names and prints `what`; with `ignore` a missing one is skipped. */
static int stop_one(struct ctr_ctx *ctx, struct storage *s, const char *what, int timeout,
                    int ignore, struct ctr_error **err)
{
    struct storage_container ct = {0};
    int r = storage_container_find(s, what, &ct, err);

    if (r < 0 && ignore && (*err)->code == ENOENT) {
        ctr_error_clear(err);
        return 0;
    }
    if (r == 0)
        r = container_stop(ctx, &ct, timeout, err);
    if (r == 0)
        printf("%s\n", what);
    storage_container_clear(&ct);
    return r;
}

int cmd_stop(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct cmd_getopt g;
    struct storage_container *list = NULL;
    struct storage *s;
    cleanup_strv char **cidfiles = NULL;
    size_t n = 0;
    unsigned t;
    int c, timeout = -1, all = 0, ignore = 0, r = 0;

    cmd_getopt_init(&g, options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        switch (c) {
        case 't':
            if (cmd_parse_uint("stop", "--time", optarg, 86400 * 365, &t, err) < 0)
                return -1;
            timeout = (int)t;
            break;
        case 'a':
            all = 1;
            break;
        case OPT_CIDFILE:
            strv_push(&cidfiles, optarg);
            break;
        case 'i':
            ignore = 1;
            break;
        case 'h':
            cmd_print_help(&ctr_cmd_stop);
            return 0;
        default:
            return cmd_getopt_error("stop", c, argv, err);
        }
    }
    if (!all && optind >= argc && cidfiles == NULL)
        return cmd_usage_error("stop", err, "needs at least one container, --cidfile or --all");
    if (all && (optind < argc || cidfiles != NULL))
        return cmd_usage_error("stop", err, "--all takes no container names or --cidfile");
    s = ctx_store(ctx, err);
    if (s == NULL)
        return -1;
    if (all) {
        if (storage_container_list(s, &list, &n, err) < 0)
            return -1;
        for (size_t i = 0; i < n && r == 0; i++) {
            if (list[i].state != STORAGE_CONTAINER_RUNNING)
                continue;
            r = container_stop(ctx, &list[i], timeout, err);
            if (r == 0)
                printf("%s\n", list[i].id);
        }
        storage_container_list_free(list, n);
        return r;
    }
    for (char **p = cidfiles; p && *p && r == 0; p++) {
        cleanup_free char *id = container_cidfile_read(*p, err);

        if (id == NULL && ignore && (*err)->code == ENOENT) {
            ctr_error_clear(err);
            continue;
        }
        r = id ? stop_one(ctx, s, id, timeout, ignore, err) : -1;
    }
    for (int i = optind; i < argc && r == 0; i++)
        r = stop_one(ctx, s, argv[i], timeout, ignore, err);
    return r;
}

const struct ctr_command ctr_cmd_stop = {
        .name = "stop",
        .run = cmd_stop,
        .flags = CMD_NEEDS_STORE,
        .summary = "Stop running containers",
        .synopsis = "stop [OPTIONS] CONTAINER...",
        .description =
                "Stop running containers: their stop signal (--stop-signal, default SIGTERM), "
                "then\nSIGKILL when they are still running after the timeout.  Stopping a "
                "container that\nis not running is not an error.\n",
        .options = options,
        .operand = CMD_COMPLETE_CONTAINER_RUNNING,
        .operands = CMD_COMPLETE_CONTAINER_RUNNING,
};
