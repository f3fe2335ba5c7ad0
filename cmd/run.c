/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "container.h"

/*
 * A container that failed to start is removed again: a failed `ctr run` leaves nothing,
 * and says whether the command was missing (127), could not be invoked (126) or setup failed.
 */
static int start_failed(struct ctr_ctx *ctx, struct storage_container *c, struct ctr_error **err)
{
    int status = container_start_failure_status(*err);
    cleanup_error struct ctr_error *ignored = NULL;

    if (container_remove(ctx, c, 1, &ignored) < 0)
        fprintf(stderr, "ctr: warning: %s\n", ignored->msg);
    if (status == CTR_EXIT_ERROR)
        return -1;
    fprintf(stderr, "ctr: %s\n", (*err)->msg);
    ctr_error_clear(err);
    return status;
}

int cmd_run(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct container_opts o = {0};
    struct storage_container c = {0};
    int help, status = 0, r;

    if (container_opts_parse("run", argc, argv, &o, &help, err) < 0) {
        container_opts_clear(&o);
        return -1;
    }
    if (help) {
        cmd_print_help(&ctr_cmd_run);
        container_opts_clear(&o);
        return 0;
    }
    if (optind >= argc) {
        container_opts_clear(&o);
        return cmd_usage_error("run", err, "needs an image to run");
    }
    r = container_create(ctx, &o, argv[optind], argv + optind + 1, &c, err);
    if (r == 0) {
        r = container_start(ctx, &c, o.detach ? 0 : CONTAINER_START_ATTACH, &status, err);
        if (r < 0)
            status = start_failed(ctx, &c, err);
        else if (o.detach)
            printf("%s\n", c.id);
    } else {
        status = -1;
    }
    storage_container_clear(&c);
    container_opts_clear(&o);
    return status;
}

const struct ctr_command ctr_cmd_run = {
        .name = "run",
        .run = cmd_run,
        .flags = CMD_NEEDS_STORE,
        .summary = "Create a container from an image and start it",
        .synopsis = "run [OPTIONS] IMAGE [COMMAND [ARG...]]",
        .description = "Create a container from IMAGE and start it.  In the foreground ctr passes "
                       "the\ncontainer its stdout and stderr (and stdin with -i), forwards signals "
                       "to it and\nexits with its status; 125 is ctr's own error, 126 a command "
                       "that cannot be\ninvoked, 127 one that does not exist.  With -d a monitor "
                       "process watches it.\n",
        .options = container_options,
        .operand = CMD_COMPLETE_IMAGE,
        .operands = CMD_COMPLETE_FILE,
};
