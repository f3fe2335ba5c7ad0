/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "container.h"

static const struct cmd_option container_cmd_options[] = {
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

static const struct cmd_option prune_options[] = {
        {"force", 'f', no_argument, 'f', NULL, "do not ask for confirmation", CMD_COMPLETE_NONE,
         NULL, NULL},
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

static int container_prune(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);

static const struct ctr_command container_prune_cmd = {
        .name = "prune",
        .run = container_prune,
        .flags = CMD_NEEDS_STORE,
        .summary = "Remove every container that is not running",
        .synopsis = "container prune [-f]",
        .description = "Remove every container that is not running, and print\ntheir ids.  Asks "
                       "first unless --force is given.\n",
        .options = prune_options,
};

static const struct ctr_command container_ls_cmd = {
        .name = "ls",
        .run = cmd_ps,
        .flags = CMD_NEEDS_STORE,
        .summary = "List containers (as 'ctr ps')",
        .synopsis = "container ls [OPTIONS]",
        .description = "List containers, as 'ctr ps' does.\n",
        .options = cmd_ps_options,
        .format_fields = cmd_ps_format_fields,
};

static const struct ctr_command container_list_cmd = {
        .name = "list",
        .run = cmd_ps,
        .flags = CMD_NEEDS_STORE,
        .summary = "List containers (as 'ctr ps')",
        .synopsis = "container list [OPTIONS]",
        .description = "List containers, as 'ctr ps' does.\n",
        .options = cmd_ps_options,
        .format_fields = cmd_ps_format_fields,
};

static const struct ctr_command *const container_subcommands[] = {
        &ctr_cmd_create,     &ctr_cmd_exec,    &ctr_cmd_inspect,  &ctr_cmd_kill,
        &container_list_cmd, &ctr_cmd_logs,    &container_ls_cmd, &container_prune_cmd,
        &ctr_cmd_ps,         &ctr_cmd_restart, &ctr_cmd_rm,       &ctr_cmd_run,
        &ctr_cmd_start,      &ctr_cmd_stop,    &ctr_cmd_wait,     NULL,
};

/* Asks on the terminal; 1 for yes. */
static int confirm(void)
{
    char answer[64];

    fputs("WARNING! This will remove all non running containers.\n"
          "Are you sure you want to continue? [y/N] ",
          stdout);
    fflush(stdout);
    if (fgets(answer, sizeof(answer), stdin) == NULL)
        return 0;
    answer[strcspn(answer, "\n")] = '\0';
    return strcmp(answer, "y") == 0 || strcmp(answer, "Y") == 0 || strcmp(answer, "yes") == 0 ||
           strcmp(answer, "Yes") == 0 || strcmp(answer, "YES") == 0;
}

static int container_prune(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct cmd_getopt g;
    struct storage_container *list = NULL;
    struct storage *s;
    size_t n = 0;
    int c, force = 0, r = 0;

    cmd_getopt_init(&g, prune_options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        switch (c) {
        case 'f':
            force = 1;
            break;
        case 'h':
            cmd_print_help(&container_prune_cmd);
            return 0;
        default:
            return cmd_getopt_error("container prune", c, argv, err);
        }
    }
    if (optind < argc)
        return cmd_usage_error("container prune", err, "takes no arguments, got '%s'",
                               argv[optind]);
    if (!force) {
        if (!isatty(STDIN_FILENO))
            return ctr_error_set(err, EINVAL,
                                 "container prune asks before removing, but standard input is "
                                 "not a terminal: use --force");
        if (!confirm())
            return 0;
    }
    s = ctx_store(ctx, err);
    if (s == NULL || storage_container_list(s, &list, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n && r == 0; i++) {
        if (list[i].state == STORAGE_CONTAINER_RUNNING)
            continue;
        r = container_remove(ctx, &list[i], 0, err);
        /* Started since we listed it: not ours to remove any more. */
        if (r < 0 && (*err)->code == EBUSY) {
            ctr_error_clear(err);
            r = 0;
            continue;
        }
        if (r == 0)
            printf("%s\n", list[i].id);
    }
    storage_container_list_free(list, n);
    return r;
}

int cmd_container(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    return cmd_run_subcommand(&ctr_cmd_container, ctx, argc, argv, err);
}

const struct ctr_command ctr_cmd_container = {
        .name = "container",
        .run = cmd_container,
        .flags = CMD_NEEDS_STORE,
        .summary = "Manage containers (create, exec, inspect, kill, logs, ls, prune, rm, run, "
                   "start, stop, wait)",
        .synopsis = "container COMMAND [ARG...]",
        .description = "Manage containers.\n",
        .options = container_cmd_options,
        .operand = CMD_COMPLETE_COMMAND,
        .subcommands = container_subcommands,
};
