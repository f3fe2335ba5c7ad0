/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdio.h>

#include "container.h"

static const struct cmd_option options[] = {
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

int cmd_wait(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct cmd_getopt g;
    struct storage *s;
    int c, r = 0;

    cmd_getopt_init(&g, options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        if (c == 'h') {
            cmd_print_help(&ctr_cmd_wait);
            return 0;
        }
        return cmd_getopt_error("wait", c, argv, err);
    }
    if (optind >= argc)
        return cmd_usage_error("wait", err, "needs at least one container");
    s = ctx_store(ctx, err);
    if (s == NULL)
        return -1;
    for (int i = optind; i < argc && r == 0; i++) {
        struct storage_container ct = {0};

        r = storage_container_find(s, argv[i], &ct, err);
        if (r == 0)
            r = container_wait_exit(ctx, &ct, -1, err);
        if (r == 0) {
            printf("%d\n", ct.exit_code);
            fflush(stdout);
        }
        storage_container_clear(&ct);
    }
    return r;
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
