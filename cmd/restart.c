/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdio.h>

#include "container.h"

static const char usage[] = "Usage: ctr restart [OPTIONS] CONTAINER...\n"
                            "\n"
                            "Stop containers (as 'ctr stop' does) and start them again in the\n"
                            "background.\n"
                            "\n"
                            "Options:\n"
                            "  -t, --time N   seconds to wait before killing (default: the\n"
                            "                 container's --stop-timeout)\n"
                            "  -h, --help     print this help\n";

int cmd_restart(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    static const struct option options[] = {
            {"time", required_argument, NULL, 't'},
            {"timeout", required_argument, NULL, 't'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
    };
    struct storage *s;
    unsigned t;
    int c, timeout = -1, r = 0, status;

    while ((c = getopt_long(argc, argv, "+:t:h", options, NULL)) != -1) {
        switch (c) {
        case 't':
            if (cmd_parse_uint("restart", "--time", optarg, 86400 * 365, &t, err) < 0)
                return -1;
            timeout = (int)t;
            break;
        case 'h':
            cmd_print_text(usage);
            return 0;
        default:
            return cmd_getopt_error("restart", c, argv, err);
        }
    }
    if (optind >= argc)
        return cmd_usage_error("restart", err, "needs at least one container");
    s = ctx_store(ctx, err);
    if (s == NULL)
        return -1;
    for (int i = optind; i < argc && r == 0; i++) {
        struct storage_container ct = {0};

        r = storage_container_find(s, argv[i], &ct, err);
        if (r == 0)
            r = container_stop(ctx, &ct, timeout, err);
        if (r == 0)
            r = container_start(ctx, &ct, 0, &status, err);
        if (r == 0)
            printf("%s\n", argv[i]);
        storage_container_clear(&ct);
    }
    return r;
}

const struct ctr_command ctr_cmd_restart = {
        .name = "restart",
        .run = cmd_restart,
        .flags = CMD_NEEDS_STORE,
        .summary = "Stop containers and start them again",
};
