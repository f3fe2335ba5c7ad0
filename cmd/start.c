/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdio.h>

#include "container.h"

static const struct cmd_option options[] = {
        {"attach", 'a', no_argument, 'a', NULL, "attach to the container's output and wait for it",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"interactive", 'i', no_argument, 'i', NULL, "with -a, pass our stdin to the container",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

int cmd_start(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct cmd_getopt g;
    struct storage *s;
    int c, attach = 0, interactive = 0, status = 0;

    cmd_getopt_init(&g, options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        switch (c) {
        case 'a':
            attach = 1;
            break;
        case 'i':
            interactive = 1;
            break;
        case 'h':
            cmd_print_help(&ctr_cmd_start);
            return 0;
        default:
            return cmd_getopt_error("start", c, argv, err);
        }
    }
    if (optind >= argc)
        return cmd_usage_error("start", err, "needs at least one container");
    if (attach && argc - optind > 1)
        return cmd_usage_error("start", err, "--attach takes one container");
    if (interactive && !attach)
        return cmd_usage_error("start", err, "--interactive needs --attach");
    s = ctx_store(ctx, err);
    if (s == NULL)
        return -1;
    for (int i = optind; i < argc && status == 0; i++) {
        struct storage_container ct = {0};
        int r;

        if (storage_container_find(s, argv[i], &ct, err) < 0)
            return -1;
        if (ct.state == STORAGE_CONTAINER_RUNNING && !attach) {
            printf("%s\n", argv[i]);
            storage_container_clear(&ct);
            continue;
        }
        r = container_start(ctx, &ct,
                            (attach ? CONTAINER_START_ATTACH : 0) |
                                    (interactive ? CONTAINER_START_STDIN : 0),
                            &status, err);
        storage_container_clear(&ct);
        if (r < 0) {
            status = container_start_failure_status(*err);
            if (status == CTR_EXIT_ERROR)
                return -1;
            fprintf(stderr, "ctr: %s\n", (*err)->msg);
            ctr_error_clear(err);
            return status;
        }
        if (!attach)
            printf("%s\n", argv[i]);
    }
    return status;
}

const struct ctr_command ctr_cmd_start = {
        .name = "start",
        .run = cmd_start,
        .flags = CMD_NEEDS_STORE,
        .summary = "Start created or exited containers",
        .synopsis = "start [OPTIONS] CONTAINER...",
        .description = "Start created or exited containers, in the background; with -a, one "
                       "container in\nthe foreground, as 'ctr run' does, exiting with its "
                       "status.\n",
        .options = options,
        .operand = CMD_COMPLETE_CONTAINER_STOPPED,
        .operands = CMD_COMPLETE_CONTAINER_STOPPED,
};
