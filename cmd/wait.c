/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdio.h>

#include "container.h"

static const struct cmd_option options[] = {
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

static int wait_one(struct ctr_ctx *ctx, struct storage_container *ct, const char *what, void *arg,
                    struct ctr_error **err)
{
    (void)what;
    (void)arg;
    if (container_wait_exit(ctx, ct, -1, err) < 0)
        return -1;
    printf("%d\n", ct->exit_code);
    fflush(stdout);
    return 0;
}

int cmd_wait(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct cmd_getopt g;
    int c;

    cmd_getopt_init(&g, options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        if (c == 'h') {
            cmd_print_help(&ctr_cmd_wait);
            return 0;
        }
        return cmd_getopt_error("wait", c, argv, err);
    }
    return container_each(ctx, "wait", argc, argv, wait_one, NULL, err);
}

const struct ctr_command ctr_cmd_wait = {
        .name = "wait",
        .run = cmd_wait,
        .flags = CMD_NEEDS_STORE,
        .summary = "Wait for containers to exit and print their codes",
        .synopsis = "wait [OPTIONS] CONTAINER...",
        .description = "Wait for containers to exit and print their exit codes, one per\nline "
                       "(-1 when the code was lost, e.g. its monitor was killed).\n",
        .options = options,
        .operand = CMD_COMPLETE_CONTAINER,
        .operands = CMD_COMPLETE_CONTAINER,
};
