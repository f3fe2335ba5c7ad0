/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdio.h>

#include "container.h"

static const struct cmd_option options[] = {
        {"time", 't', required_argument, 't', "N",
         "seconds to wait before killing (default: the\ncontainer's --stop-timeout)",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"timeout", 0, required_argument, 't', "N", "the same as --time", CMD_COMPLETE_NONE, NULL,
         NULL},
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

static int restart_one(struct ctr_ctx *ctx, struct storage_container *ct, const char *what,
                       void *arg, struct ctr_error **err)
{
    int status;

    if (container_stop(ctx, ct, *(int *)arg, err) < 0 ||
        container_start(ctx, ct, 0, &status, err) < 0)
        return -1;
    printf("%s\n", what);
    return 0;
}

int cmd_restart(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct cmd_getopt g;
    unsigned t;
    int c, timeout = -1;

    cmd_getopt_init(&g, options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        switch (c) {
        case 't':
            if (cmd_parse_uint("restart", "--time", optarg, 86400 * 365, &t, err) < 0)
                return -1;
            timeout = (int)t;
            break;
        case 'h':
            cmd_print_help(&ctr_cmd_restart);
            return 0;
        default:
            return cmd_getopt_error("restart", c, argv, err);
        }
    }
    return container_each(ctx, "restart", argc, argv, restart_one, &timeout, err);
}

const struct ctr_command ctr_cmd_restart = {
        .name = "restart",
        .run = cmd_restart,
        .flags = CMD_NEEDS_STORE,
        .summary = "Stop containers and start them again",
        .synopsis = "restart [OPTIONS] CONTAINER...",
        .description = "Stop containers (as 'ctr stop' does) and start them again in the\n"
                       "background.\n",
        .options = options,
        .operand = CMD_COMPLETE_CONTAINER,
        .operands = CMD_COMPLETE_CONTAINER,
};
