/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "container.h"

static const struct cmd_option options[] = {
        {"time", 't', required_argument, 't', "N",
         "seconds to wait before killing (default: the container's\n--stop-timeout, 10 unless set)",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"timeout", 0, required_argument, 't', "N", "the same as --time", CMD_COMPLETE_NONE, NULL,
         NULL},
        {"all", 'a', no_argument, 'a', NULL, "stop every running container", CMD_COMPLETE_NONE,
         NULL, NULL},
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

int cmd_stop(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct cmd_getopt g;
    struct storage_container *list = NULL;
    struct storage *s;
    size_t n = 0;
    unsigned t;
    int c, timeout = -1, all = 0, r = 0;

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
        case 'h':
            cmd_print_help(&ctr_cmd_stop);
            return 0;
        default:
            return cmd_getopt_error("stop", c, argv, err);
        }
    }
    if (!all && optind >= argc)
        return cmd_usage_error("stop", err, "needs at least one container, or --all");
    if (all && optind < argc)
        return cmd_usage_error("stop", err, "--all takes no container names");
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
    for (int i = optind; i < argc && r == 0; i++) {
        struct storage_container ct = {0};

        r = storage_container_find(s, argv[i], &ct, err);
        if (r == 0)
            r = container_stop(ctx, &ct, timeout, err);
        if (r == 0)
            printf("%s\n", argv[i]);
        storage_container_clear(&ct);
    }
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
