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

static const char usage[] =
        "Usage: ctr exec [OPTIONS] CONTAINER COMMAND [ARG...]\n"
        "\n"
        "Run a command in a running container: it joins the container's namespaces (its\n"
        "user namespace first) and gets its environment, user and working directory unless\n"
        "overridden.  Exits with the command's status (126 cannot invoke, 127 not found).\n"
        "\n"
        "Options:\n"
        "  -i, --interactive       pass our stdin to the command\n"
        "  -t, --tty               allocate a terminal\n"
        "  -d, --detach            do not wait for the command\n"
        "  -e, --env KEY[=VALUE]   set an environment variable\n"
        "  -u, --user USER[:GROUP] user in the container's /etc/passwd\n"
        "  -w, --workdir DIR       working directory inside the container\n"
        "  -h, --help              print this help\n";

static const char *lookup_env(const char *key)
{
    return getenv(key);
}

int cmd_exec(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    static const struct option options[] = {
            {"interactive", no_argument, NULL, 'i'}, {"tty", no_argument, NULL, 't'},
            {"detach", no_argument, NULL, 'd'},      {"env", required_argument, NULL, 'e'},
            {"user", required_argument, NULL, 'u'},  {"workdir", required_argument, NULL, 'w'},
            {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
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

    while ((c = getopt_long(argc, argv, "+:itde:u:w:h", options, NULL)) != -1) {
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
            cmd_print_text(usage);
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
};
