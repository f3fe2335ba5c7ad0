/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdio.h>

#include "container.h"

static const char usage[] =
        "Usage: ctr start [OPTIONS] CONTAINER...\n"
        "\n"
        "Start created or exited containers, in the background; with -a, one container in\n"
        "the foreground, as 'ctr run' does, exiting with its status.\n"
        "\n"
        "Options:\n"
        "  -a, --attach       attach to the container's output and wait for it\n"
        "  -i, --interactive  with -a, pass our stdin to the container\n"
        "  -h, --help         print this help\n";

int cmd_start(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    static const struct option options[] = {
            {"attach", no_argument, NULL, 'a'},
            {"interactive", no_argument, NULL, 'i'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
    };
    struct storage *s;
    int c, attach = 0, interactive = 0, status = 0;

    while ((c = getopt_long(argc, argv, "+:aih", options, NULL)) != -1) {
        switch (c) {
        case 'a':
            attach = 1;
            break;
        case 'i':
            interactive = 1;
            break;
        case 'h':
            cmd_print_text(usage);
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
};
