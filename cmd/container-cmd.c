/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "container.h"

static const char usage[] = "Usage: ctr container COMMAND [ARG...]\n"
                            "\n"
                            "Manage containers.\n"
                            "\n"
                            "Commands:\n"
                            "  create       Create a container (as 'ctr create')\n"
                            "  exec         Run a command in a running container (as 'ctr exec')\n"
                            "  inspect      Show containers as JSON (as 'ctr inspect')\n"
                            "  kill         Send a signal to containers (as 'ctr kill')\n"
                            "  logs         Show a container's output (as 'ctr logs')\n"
                            "  ls           List containers (as 'ctr ps'; also 'list' and 'ps')\n"
                            "  prune        Remove every container that is not running\n"
                            "  restart      Restart containers (as 'ctr restart')\n"
                            "  rm           Remove containers (as 'ctr rm')\n"
                            "  run          Create and start a container (as 'ctr run')\n"
                            "  start        Start containers (as 'ctr start')\n"
                            "  stop         Stop containers (as 'ctr stop')\n"
                            "  wait         Wait for containers to exit (as 'ctr wait')\n";

static const char prune_usage[] = "Usage: ctr container prune [-f]\n"
                                  "\n"
                                  "Remove every container that is not running, and print\n"
                                  "their ids.  Asks first unless --force is given.\n"
                                  "\n"
                                  "Options:\n"
                                  "  -f, --force   do not ask for confirmation\n"
                                  "  -h, --help    print this help\n";

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
    static const struct option options[] = {
            {"force", no_argument, NULL, 'f'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
    };
    struct storage_container *list = NULL;
    struct storage *s;
    size_t n = 0;
    int c, force = 0, r = 0;

    while ((c = getopt_long(argc, argv, "+:fh", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            force = 1;
            break;
        case 'h':
            cmd_print_text(prune_usage);
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
    static const struct {
        const char *name;
        int (*run)(struct ctr_ctx *, int, char **, struct ctr_error **);
    } subs[] = {
            {"create", cmd_create},   {"exec", cmd_exec}, {"inspect", cmd_inspect},
            {"kill", cmd_kill},       {"logs", cmd_logs}, {"ls", cmd_ps},
            {"list", cmd_ps},         {"ps", cmd_ps},     {"prune", container_prune},
            {"restart", cmd_restart}, {"rm", cmd_rm},     {"run", cmd_run},
            {"start", cmd_start},     {"stop", cmd_stop}, {"wait", cmd_wait},
    };

    if (argc < 2) {
        cmd_print_text(usage);
        return CTR_EXIT_ERROR;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        cmd_print_text(usage);
        return 0;
    }
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        if (strcmp(argv[1], subs[i].name) == 0) {
            optind = 0;
            return subs[i].run(ctx, argc - 1, argv + 1, err);
        }
    }
    return cmd_usage_error("container", err, "has no command '%s'", argv[1]);
}

const struct ctr_command ctr_cmd_container = {
        .name = "container",
        .run = cmd_container,
        .flags = CMD_NEEDS_STORE,
        .summary = "Manage containers (create, exec, inspect, kill, logs, ls, prune, rm, run, "
                   "start, stop, wait)",
};
