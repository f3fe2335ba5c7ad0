/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdio.h>

#include "container.h"

int cmd_create(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct container_opts o = {0};
    struct storage_container c = {0};
    int help, r;

    r = container_opts_parse("create", argc, argv, &o, &help, err);
    if (r == 0 && help) {
        cmd_print_help(&ctr_cmd_create);
    } else if (r == 0 && optind >= argc) {
        r = cmd_usage_error("create", err, "needs an image to create a container from");
    } else if (r == 0) {
        r = container_create(ctx, &o, argv[optind], argv + optind + 1, &c, err);
        if (r == 0)
            printf("%s\n", c.id);
    }
    storage_container_clear(&c);
    container_opts_clear(&o);
    return r;
}

const struct ctr_command ctr_cmd_create = {
        .name = "create",
        .run = cmd_create,
        .flags = CMD_NEEDS_STORE,
        .summary = "Create a container without starting it",
        .synopsis = "create [OPTIONS] IMAGE [COMMAND [ARG...]]",
        .description = "Create a container from IMAGE without starting it, and print its id; 'ctr "
                       "start'\nstarts it.  -d is accepted and ignored.\n",
        .options = container_options,
        .operand = CMD_COMPLETE_IMAGE,
        .operands = CMD_COMPLETE_FILE,
};
