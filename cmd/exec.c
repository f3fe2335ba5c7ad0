/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "proc.h"
#include "runtime.h"
#include "spawn.h"
#include "xalloc.h"

static const struct cmd_option options[] = {
        {"interactive", 'i', no_argument, 'i', NULL, "pass our stdin to the command",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"tty", 't', no_argument, 't', NULL, "allocate a terminal", CMD_COMPLETE_NONE, NULL, NULL},
        {"detach", 'd', no_argument, 'd', NULL, "do not wait for the command", CMD_COMPLETE_NONE,
         NULL, NULL},
        {"env", 'e', required_argument, 'e', "KEY[=VALUE]", "set an environment variable",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"user", 'u', required_argument, 'u', "USER[:GROUP]", "user in the container's /etc/passwd",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"workdir", 'w', required_argument, 'w', "DIR", "working directory inside the container",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

static const char *lookup_env(const char *key)
{
    return getenv(key);
}

int cmd_exec(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct cmd_getopt g;
    struct storage_container ct = {0};
    struct ctr_spec spec = {0};
    struct ctr_exec x = {0};
    const char *user = NULL, *workdir = NULL;
    cleanup_strv char **extra_env = NULL;
    cleanup_free char *cache_dir = NULL;
    cleanup_close int pty = -1;
    struct storage *s;
    int c, interactive = 0, tty = 0, detach = 0, status = -1, wstatus;
    pid_t pid;

    cmd_getopt_init(&g, options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        switch (c) {
        case 'i':
            interactive = 1;
            break;
        case 't':
            tty = 1;
            break;
        case 'd':
            detach = 1;
            break;
        case 'e':
            if (optarg[0] == '=' || optarg[0] == '\0')
                return cmd_usage_error(
                        "exec", err,
                        "invalid environment variable '%s': it needs a name before '='", optarg);
            ctr_env_set(&extra_env, optarg, lookup_env);
            break;
        case 'u':
            user = optarg;
            break;
        case 'w':
            if (optarg[0] != '/')
                return cmd_usage_error("exec", err, "--workdir '%s' must be an absolute path",
                                       optarg);
            workdir = optarg;
            break;
        case 'h':
            cmd_print_help(&ctr_cmd_exec);
            return 0;
        default:
            return cmd_getopt_error("exec", c, argv, err);
        }
    }
    if (argc - optind < 2)
        return cmd_usage_error("exec", err, "needs a container and a command");
    s = ctx_store(ctx, err);
    if (s == NULL)
        return -1;
    if (storage_container_find(s, argv[optind], &ct, err) < 0)
        return -1;
    if (ct.state != STORAGE_CONTAINER_RUNNING || !ctr_proc_alive(ct.pid, ct.pid_start)) {
        ctr_error_set(err, ESRCH, "container '%s' is not running: start it first", argv[optind]);
        goto out;
    }
    if (container_spec(&ct, &spec, err) < 0)
        goto out;
    for (char **p = extra_env; p && *p; p++)
        ctr_env_set(&spec.env, *p, NULL);
    x.pid = ct.pid;
    x.argv = argv + optind + 1;
    x.env = spec.env;
    x.cwd = workdir ? workdir : spec.cwd;
    x.user = user ? user : spec.user;
    x.hostname = spec.hostname;
    x.security = &spec.security;
    /* With --userns or --uidmap the process's root is not the user: no shared cache then. */
    cache_dir = spec.security.uid_map ? NULL : xasprintf("%s/seccomp", s->runroot);
    x.cache_dir = cache_dir;
    x.tty = tty;
    x.stdio[0] = interactive && !detach ? STDIN_FILENO : -1;
    x.stdio[1] = detach ? -1 : STDOUT_FILENO;
    x.stdio[2] = detach ? -1 : STDERR_FILENO;
    attach_block_signals();
    if (ctr_container_exec(&x, &pid, &pty, err) < 0) {
        attach_unblock_signals();
        status = container_start_failure_status(*err);
        if (status != CTR_EXIT_ERROR) {
            fprintf(stderr, "ctr: %s\n", (*err)->msg);
            ctr_error_clear(err);
        } else {
            status = -1;
        }
        goto out;
    }
    if (detach) {
        attach_unblock_signals();
        status = 0;
        goto out;
    }
    if (attach_wait(pid, pty, interactive, &wstatus, err) < 0) {
        attach_unblock_signals();
        goto out;
    }
    attach_unblock_signals();
    status = ctr_exit_code(wstatus);
out:
    ctr_spec_clear(&spec);
    storage_container_clear(&ct);
    return status;
}

const struct ctr_command ctr_cmd_exec = {
        .name = "exec",
        .run = cmd_exec,
        .flags = CMD_NEEDS_STORE,
        .summary = "Run a command in a running container",
        .synopsis = "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
        .description = "Run a command in a running container: it joins the container's namespaces "
                       "(its\nuser namespace first) and gets its environment, user and working "
                       "directory unless\noverridden.  Exits with the command's status (126 cannot "
                       "invoke, 127 not found).\n",
        .options = options,
        .operand = CMD_COMPLETE_CONTAINER_RUNNING,
        .operands = CMD_COMPLETE_FILE,
};
