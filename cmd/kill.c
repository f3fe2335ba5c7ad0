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

/* Signals one running container, which its restart policy then leaves alone (as in Podman). */
static int kill_one(struct ctr_ctx *ctx, struct storage_container *ct, const char *what, void *arg,
                    struct ctr_error **err)
{
    int sig = *(int *)arg;

    if (ct->state == STORAGE_CONTAINER_RUNNING && container_mark_stopped(ctx, ct, err) < 0)
        return -1;
    if (ct->state != STORAGE_CONTAINER_RUNNING || !ctr_proc_alive(ct->pid, ct->pid_start))
        return ctr_error_set(err, ESRCH, "container '%s' is not running", what);
    if (kill(ct->pid, sig) < 0)
        return ctr_error_errno(err, "signal container '%s'", what);
    printf("%s\n", what);
    return 0;
}

int cmd_kill(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct cmd_getopt g;
    int c, sig = SIGKILL;

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
    return container_each(ctx, "kill", argc, argv, kill_one, &sig, err);
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
