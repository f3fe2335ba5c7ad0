/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image-archive.h"
#include "cleanup.h"
#include "cmd.h"
#include "config.h"
#include "container.h"
#include "helper.h"
#include "image.h"
#include "pull.h"
#include "log.h"
#include "xalloc.h"

/*
 * Every command ctr has, in the order `ctr --help` lists them.  Only commands that work are
 * here; help, completions and man pages are made from this table so they cannot drift.
 */
const struct ctr_command *const ctr_commands[] = {
        &ctr_cmd_completion,
        &ctr_cmd_container,
        &ctr_cmd_create,
        &ctr_cmd_exec,
        &ctr_cmd_generate,
        &ctr_cmd_help,
        &ctr_cmd_image,
        &ctr_cmd_images,
        &ctr_cmd_info,
        &ctr_cmd_inspect,
        &ctr_cmd_kill,
        &ctr_cmd_load,
        &ctr_cmd_login,
        &ctr_cmd_logout,
        &ctr_cmd_logs,
        &ctr_cmd_port,
        &ctr_cmd_ps,
        &ctr_cmd_pull,
        &ctr_cmd_restart,
        &ctr_cmd_rm,
        &ctr_cmd_rmi,
        &ctr_cmd_run,
        &ctr_cmd_save,
        &ctr_cmd_start,
        &ctr_cmd_stop,
        &ctr_cmd_tag,
        &ctr_cmd_version,
        &ctr_cmd_wait,
        NULL,
};

enum {
    OPT_ROOT = 256,
    OPT_RUNROOT,
    OPT_LOG_LEVEL,
};

static const struct cmd_option global_options[] = {
        {"root", 0, required_argument, OPT_ROOT, "DIR",
         "storage root (default $CTR_ROOT, else ctr.conf's root,\nelse $XDG_DATA_HOME/ctr or "
         "~/.local/share/ctr;\n/var/lib/ctr for root)",
         CMD_COMPLETE_DIR, NULL, NULL},
        {"runroot", 0, required_argument, OPT_RUNROOT, "DIR",
         "runtime directory (default $CTR_RUNROOT, else ctr.conf's\nrunroot, else "
         "$XDG_RUNTIME_DIR/ctr or /tmp/ctr-run-UID;\n/run/ctr for root)",
         CMD_COMPLETE_DIR, NULL, NULL},
        {"log-level", 0, required_argument, OPT_LOG_LEVEL, "LEVEL",
         "error, warn, info, debug or trace (default\n$CTR_LOG_LEVEL, else ctr.conf's log_level, "
         "else warn)",
         CMD_COMPLETE_VALUES, "error warn info debug trace", NULL},
        {"version", 'v', no_argument, 'v', NULL, "print the version of ctr and its libraries",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

/* ctr itself: its global options, and every command as a subcommand. */
const struct ctr_command ctr_main = {
        .name = "ctr",
        .summary = "A daemonless, rootless container manager",
        .synopsis = "[OPTIONS] COMMAND [ARG...]",
        .description = "A daemonless, rootless container manager.\n",
        .options = global_options,
        .operand = CMD_COMPLETE_COMMAND,
        .subcommands = ctr_commands,
};

const struct ctr_command *ctr_command_find(const char *name)
{
    for (const struct ctr_command *const *c = ctr_commands; *c != NULL; c++) {
        if (strcmp((*c)->name, name) == 0)
            return *c;
    }
    return NULL;
}

static void print_main_help(void)
{
    cmd_print_help(&ctr_main);
    fputs("\nRun 'ctr COMMAND --help' for more about a command.\n", stdout);
}

int cmd_help(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    const struct ctr_command *c;
    char *sub_argv[3];

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_main_help();
        return 0;
    }
    if (argc > 2)
        return cmd_usage_error("help", err, "expected one command name, got %d", argc - 1);
    c = ctr_command_find(argv[1]);
    if (c == NULL)
        return ctr_error_set(err, EINVAL, "unknown command '%s': see 'ctr --help'", argv[1]);
    if (c == &ctr_cmd_help) {
        print_main_help();
        return 0;
    }
    sub_argv[0] = (char *)c->name;
    sub_argv[1] = (char *)"--help";
    sub_argv[2] = NULL;
    ctx->command = c;
    optind = 0;
    return c->run(ctx, 2, sub_argv, err);
}

const struct ctr_command ctr_cmd_help = {
        .name = "help",
        .run = cmd_help,
        .summary = "Show help for ctr or one of its commands",
        .synopsis = "help [COMMAND]",
        .description = "Show the help of ctr, or of COMMAND (the same as 'ctr COMMAND --help').\n",
        .operand = CMD_COMPLETE_COMMAND,
};

static char *absolute_path(const char *opt, const char *arg, struct ctr_error **err);

/* The configuration file's settings; empty until cmd_config_load(). */
static struct ctr_config config;

const struct ctr_config *cmd_config(void)
{
    return &config;
}

int cmd_config_load(struct ctr_error **err)
{
    struct storage_env env;
    cleanup_free char *path = NULL;
    struct net_options net = {0};

    storage_env_from_process(&env);
    path = ctr_config_path(getenv("XDG_CONFIG_HOME"), env.home);
    ctr_config_clear(&config);
    /* No HOME and no XDG_CONFIG_HOME: no file to read, like a missing one. */
    if (path == NULL)
        return 0;
    if (ctr_config_load(path, &config, err) < 0)
        return -1;
    /* The mode was checked by the parser; its options are net's to check, and said here, not
     * at the first `ctr run`. */
    if (config.network != NULL) {
        if (net_options_parse(config.network, &net, err) < 0) {
            ctr_error_wrap(err, "%s:%u: 'network'", path, config.network_line);
            ctr_config_clear(&config);
            return -1;
        }
        net_options_clear(&net);
    }
    return 0;
}

/*
 * A path from the command line, else from the environment variable `var` (empty is unset), else
 * from ctr.conf: newly allocated, NULL when none of them sets it.
 */
static int path_setting(const char *opt, const char *var, const char *conf, char **ret,
                        struct ctr_error **err)
{
    const char *env = getenv(var);

    *ret = NULL;
    if (opt != NULL)
        *ret = xstrdup(opt);
    else if (env != NULL && env[0] != '\0')
        *ret = absolute_path(var, env, err);
    else if (conf != NULL)
        *ret = xstrdup(conf);
    else
        return 0;
    return *ret == NULL ? -1 : 0;
}

int ctx_paths(struct ctr_ctx *ctx, struct storage_paths *ret, struct ctr_error **err)
{
    struct storage_env env;
    struct storage_paths p = {NULL, NULL};
    char *root = NULL, *runroot = NULL;

    if (path_setting(ctx->root_opt, "CTR_ROOT", config.root, &root, err) < 0 ||
        path_setting(ctx->runroot_opt, "CTR_RUNROOT", config.runroot, &runroot, err) < 0) {
        free(root);
        return -1;
    }
    storage_env_from_process(&env);
    if (storage_paths_default(&env, &p, err) < 0) {
        free(root);
        free(runroot);
        return -1;
    }
    if (root != NULL) {
        free(p.root);
        p.root = root;
    }
    if (runroot != NULL) {
        free(p.runroot);
        p.runroot = runroot;
    }
    *ret = p;
    return 0;
}

struct storage *ctx_store(struct ctr_ctx *ctx, struct ctr_error **err)
{
    struct storage_paths p = {NULL, NULL};
    int r;

    if (ctx->store != NULL)
        return ctx->store;
#ifdef CTR_DEBUG
    /* Keeps the table's flag honest: help and completion rely on it. */
    if (ctx->command != NULL && !(ctx->command->flags & CMD_NEEDS_STORE))
        ctr_error_assert_failed(__FILE__, __LINE__, "store opened by a command not flagged so");
#endif
    if (ctx_paths(ctx, &p, err) < 0)
        return NULL;
    r = storage_open(p.root, p.runroot, 0, &ctx->store, err);
    storage_paths_clear(&p);
    return r < 0 ? NULL : ctx->store;
}

/* An absolute, normalised-enough path for --root/--runroot: relative paths become absolute. */
static char *absolute_path(const char *opt, const char *arg, struct ctr_error **err)
{
    cleanup_free char *cwd = NULL;

    if (arg[0] == '\0') {
        ctr_error_set(err, EINVAL, "%s needs a directory, got an empty string", opt);
        return NULL;
    }
    if (arg[0] == '/')
        return xstrdup(arg);
    cwd = getcwd(NULL, 0);
    if (cwd == NULL) {
        ctr_error_errno(err, "%s '%s': cannot resolve the current directory", opt, arg);
        return NULL;
    }
    return xasprintf("%s/%s", cwd, arg);
}

/* Returns the index of the command word, 0 when ctr should exit with *exit_now. */
static int parse_global(struct ctr_ctx *ctx, int argc, char **argv, char **owned, int *exit_now,
                        int *ret_level_set, struct ctr_error **err)
{
    struct cmd_getopt g;
    int c;
    enum ctr_log_level level;

    /* '+': stop at the command word, its options are its own. */
    cmd_getopt_init(&g, global_options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        switch (c) {
        case OPT_ROOT:
            free(owned[0]);
            if ((owned[0] = absolute_path("--root", optarg, err)) == NULL)
                return -1;
            ctx->root_opt = owned[0];
            break;
        case OPT_RUNROOT:
            free(owned[1]);
            if ((owned[1] = absolute_path("--runroot", optarg, err)) == NULL)
                return -1;
            ctx->runroot_opt = owned[1];
            break;
        case OPT_LOG_LEVEL:
            if (ctr_log_parse_level(optarg, &level, err) < 0)
                return -1;
            ctr_log_set_level(level);
            *ret_level_set = 1;
            break;
        case 'v':
            *exit_now = cmd_version_print(CMD_FORMAT_TEXT, err) < 0 ? -1 : 0;
            return *exit_now < 0 ? -1 : 0;
        case 'h':
            print_main_help();
            *exit_now = 0;
            return 0;
        default:
            return cmd_getopt_error(NULL, c, argv, err);
        }
    }
    if (optind >= argc) {
        ctr_error_set(err, EINVAL, "no command given: see 'ctr --help'");
        return -1;
    }
    return optind;
}

/*
 * What the command line left unset comes from the environment, then from ctr.conf: the log
 * level here, the paths in ctx_paths(), run's defaults in container_opts_parse().
 */
static int apply_settings(struct ctr_ctx *ctx, char **owned, int level_set, struct ctr_error **err)
{
    const char *env = getenv("CTR_LOG_LEVEL");
    enum ctr_log_level level;

    if (cmd_config_load(err) < 0)
        return -1;
    /* As if given as options: CreateCommand (what `generate systemd --new` runs again in a
     * unit, without this environment) then names the store the container is in. */
    if (ctx->root_opt == NULL && path_setting(NULL, "CTR_ROOT", NULL, &owned[0], err) < 0)
        return -1;
    if (ctx->root_opt == NULL)
        ctx->root_opt = owned[0];
    if (ctx->runroot_opt == NULL && path_setting(NULL, "CTR_RUNROOT", NULL, &owned[1], err) < 0)
        return -1;
    if (ctx->runroot_opt == NULL)
        ctx->runroot_opt = owned[1];
    if (level_set)
        return 0;
    if (env != NULL && env[0] != '\0') {
        if (ctr_log_parse_level(env, &level, err) < 0)
            return ctr_error_wrap(err, "CTR_LOG_LEVEL");
        ctr_log_set_level(level);
    } else if (config.has_log_level) {
        ctr_log_set_level(config.log_level);
    }
    return 0;
}

/* A full disk or a closed pipe must not look like success. */
static int flush_stdout(struct ctr_error **err)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (errno == EPIPE)
            return 0;
        return ctr_error_errno(err, "write output");
    }
    return 0;
}

/*
 * ctr re-executes itself for work done as the owner of the store's files inside a user
 * namespace (a forked thread may only exec); argv[0] names which.  Not commands: nothing a
 * user types reaches them, and they take no options.
 */
static int helper_main(int argc, char **argv, int *ret_status)
{
    const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

    if (strcmp(base, IMAGE_HELPER_UNPACK) == 0)
        *ret_status = image_helper_unpack_main(argc, argv);
    else if (strcmp(base, IMAGE_HELPER_REMOVE) == 0)
        *ret_status = image_helper_remove_main(argc, argv);
    else if (strcmp(base, IMAGE_HELPER_CHOWN) == 0)
        *ret_status = image_helper_chown_main(argc, argv);
    else if (strcmp(base, IMAGE_HELPER_TAR) == 0)
        *ret_status = image_helper_tar_main(argc, argv);
    else if (strcmp(base, CONTAINER_EXITED_HELPER) == 0)
        *ret_status = container_exited_main(argc, argv);
    else
        return 0;
    return 1;
}

int ctr_cli_main(int argc, char **argv)
{
    struct ctr_ctx ctx = {0};
    cleanup_error struct ctr_error *err = NULL;
    char *owned[2] = {NULL, NULL};
    const struct ctr_command *command;
    const char *curl_msg = NULL;
    int exit_now = -2, idx, status, level_set = 0;

    if (argc > 0 && helper_main(argc, argv, &status))
        return status;

    /* Everything ctr itself creates (store, logs, state) is the user's alone. */
    umask(077);
    /* A closed pipe (`ctr images | head`) is a write error we handle, not a silent death. */
    signal(SIGPIPE, SIG_IGN);

    /* The shell completion scripts' question (cmd/complete.c): before global options, and
     * without image_global_init(), as it must answer within a few milliseconds. */
    if (argc >= 2 && strcmp(argv[1], "__complete") == 0)
        return cmd_complete_main(argc - 2, argv + 2);

    idx = parse_global(&ctx, argc, argv, owned, &exit_now, &level_set, &err);
    if (idx < 0)
        goto fail;
    if (idx == 0) {
        status = exit_now;
        goto out;
    }
    if (apply_settings(&ctx, owned, level_set, &err) < 0)
        goto fail;
    command = ctr_command_find(argv[idx]);
    if (command == NULL) {
        ctr_error_set(&err, EINVAL, "unknown command '%s': see 'ctr --help'", argv[idx]);
        goto fail;
    }
    if (image_global_init(&curl_msg) < 0) {
        ctr_error_set(&err, EIO, "cannot initialise libcurl: %s", curl_msg);
        goto fail;
    }
    ctx.command = command;
    optind = 0; /* reset getopt for the command's own options */
    status = command->run(&ctx, argc - idx, argv + idx, &err);
    ctr_error_check(status, &err);
    if (status < 0)
        goto fail;
out:
    if (flush_stdout(&err) < 0)
        goto fail;
    storage_close(ctx.store);
    free(owned[0]);
    free(owned[1]);
    ctr_config_clear(&config);
    return status;

fail:
    fflush(stdout);
    fprintf(stderr, "ctr: %s\n", err ? err->msg : "unknown error");
    storage_close(ctx.store);
    free(owned[0]);
    free(owned[1]);
    ctr_config_clear(&config);
    return CTR_EXIT_ERROR;
}
