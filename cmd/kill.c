/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include "container.h"
#include "proc.h"

static const struct cmd_option options[] = {
        {"signal", 's', required_argument, 's', "SIG",
         "the signal, by name or number (default KILL)", CMD_COMPLETE_SIGNAL, NULL, NULL},
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

int cmd_kill(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct cmd_getopt g;
    struct storage *s;
    int c, sig = SIGKILL, r = 0;

    cmd_getopt_init(&g, options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        switch (c) {
        case 's':
            sig = ctr_parse_signal(optarg, err);
            if (sig < 0)
                return ctr_error_wrap(err, "kill --signal");
            break;
        case 'h':
            cmd_print_help(&ctr_cmd_kill);
            return 0;
        default:
            return cmd_getopt_error("kill", c, argv, err);
        }
    }
    if (optind >= argc)
        return cmd_usage_error("kill", err, "needs at least one container");
    s = ctx_store(ctx, err);
    if (s == NULL)
        return -1;
    for (int i = optind; i < argc && r == 0; i++) {
        struct storage_container ct = {0};

        r = storage_container_find(s, argv[i], &ct, err);
        /* As in Podman, a container the user signalled is not restarted by its policy. */
        if (r == 0 && ct.state == STORAGE_CONTAINER_RUNNING)
            r = container_mark_stopped(ctx, &ct, err);
        if (r == 0 &&
            (ct.state != STORAGE_CONTAINER_RUNNING || !ctr_proc_alive(ct.pid, ct.pid_start)))
            r = ctr_error_set(err, ESRCH, "container '%s' is not running", argv[i]);
        if (r == 0 && kill(ct.pid, sig) < 0)
            r = ctr_error_errno(err, "signal container '%s'", argv[i]);
        if (r == 0)
            printf("%s\n", argv[i]);
        storage_container_clear(&ct);
    }
    return r;
}

const struct ctr_command ctr_cmd_kill = {
        .name = "kill",
        .run = cmd_kill,
        .flags = CMD_NEEDS_STORE,
        .summary = "Send a signal to running containers",
        .synopsis = "kill [OPTIONS] CONTAINER...",
        .description = "Send a signal to the main process of running containers.\n",
        .options = options,
        .operand = CMD_COMPLETE_CONTAINER_RUNNING,
        .operands = CMD_COMPLETE_CONTAINER_RUNNING,
};
