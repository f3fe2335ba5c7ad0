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
#include "container.h"
#include "image.h"
#include "pull.h"
#include "log.h"
#include "xalloc.h"

/*
 * Every command ctr has, in the order `ctr --help` lists them.  Only commands that work are
 * here; help, completions and man pages are made from this table so they cannot drift.
 */
const struct ctr_command ctr_commands[] = {
        {"container", cmd_container, CMD_NEEDS_STORE,
         "Manage containers (create, exec, inspect, kill, logs, ls, prune, rm, run, start, stop, "
         "wait)"},
        {"create", cmd_create, CMD_NEEDS_STORE, "Create a container without starting it"},
        {"exec", cmd_exec, CMD_NEEDS_STORE, "Run a command in a running container"},
        {"help", cmd_help, 0, "Show help for ctr or one of its commands"},
        {"image", cmd_image, CMD_NEEDS_STORE, "Manage images (inspect, ls, prune, pull, rm, tag)"},
        {"images", cmd_images, CMD_NEEDS_STORE, "List images"},
        {"info", cmd_info, CMD_NEEDS_STORE,
         "Show what this host and user can run, and what to fix"},
        {"inspect", cmd_inspect, CMD_NEEDS_STORE, "Show containers' configuration and state"},
        {"kill", cmd_kill, CMD_NEEDS_STORE, "Send a signal to running containers"},
        {"load", cmd_load, CMD_NEEDS_STORE, "Load images from a docker-archive or an OCI archive"},
        {"login", cmd_login, 0, "Log in to a registry and store the credentials"},
        {"logout", cmd_logout, 0, "Remove the credentials stored for a registry"},
        {"logs", cmd_logs, CMD_NEEDS_STORE, "Show the output of a container"},
        {"port", cmd_port, CMD_NEEDS_STORE, "List a container's published ports"},
        {"ps", cmd_ps, CMD_NEEDS_STORE, "List containers"},
        {"pull", cmd_pull, CMD_NEEDS_STORE, "Pull images from a registry"},
        {"restart", cmd_restart, CMD_NEEDS_STORE, "Stop containers and start them again"},
        {"rm", cmd_rm, CMD_NEEDS_STORE, "Remove containers"},
        {"rmi", cmd_rmi, CMD_NEEDS_STORE, "Remove images"},
        {"run", cmd_run, CMD_NEEDS_STORE, "Create a container from an image and start it"},
        {"save", cmd_save, CMD_NEEDS_STORE, "Save images to a docker-archive or an OCI archive"},
        {"start", cmd_start, CMD_NEEDS_STORE, "Start created or exited containers"},
        {"stop", cmd_stop, CMD_NEEDS_STORE, "Stop running containers"},
        {"tag", cmd_tag, CMD_NEEDS_STORE, "Give an image another name"},
        {"version", cmd_version, 0, "Show the version of ctr and its libraries"},
        {"wait", cmd_wait, CMD_NEEDS_STORE, "Wait for containers to exit and print their codes"},
        {NULL, NULL, 0, NULL},
};

static const char main_usage[] =
        "Usage: ctr [OPTIONS] COMMAND [ARG...]\n"
        "\n"
        "A daemonless, rootless container manager.\n"
        "\n"
        "Options:\n"
        "  --root DIR         storage root (default $XDG_DATA_HOME/ctr, else\n"
        "                     ~/.local/share/ctr; /var/lib/ctr for root)\n"
        "  --runroot DIR      runtime directory (default $XDG_RUNTIME_DIR/ctr, else\n"
        "                     /tmp/ctr-run-UID; /run/ctr for root)\n"
        "  --log-level LEVEL  error, warn, info, debug or trace (default warn)\n"
        "  -v, --version      print the version of ctr and its libraries\n"
        "  -h, --help         print this help\n";

const struct ctr_command *ctr_command_find(const char *name)
{
    for (const struct ctr_command *c = ctr_commands; c->name != NULL; c++) {
        if (strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

static void print_main_help(void)
{
    fputs(main_usage, stdout);
    fputs("\nCommands:\n", stdout);
    for (const struct ctr_command *c = ctr_commands; c->name != NULL; c++)
        printf("  %-12s %s\n", c->name, c->summary);
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
    if (c->run == cmd_help) {
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

int ctx_paths(struct ctr_ctx *ctx, struct storage_paths *ret, struct ctr_error **err)
{
    struct storage_env env;
    struct storage_paths p = {NULL, NULL};

    storage_env_from_process(&env);
    if (storage_paths_default(&env, &p, err) < 0)
        return -1;
    if (ctx->root_opt != NULL) {
        free(p.root);
        p.root = xstrdup(ctx->root_opt);
    }
    if (ctx->runroot_opt != NULL) {
        free(p.runroot);
        p.runroot = xstrdup(ctx->runroot_opt);
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

enum {
    OPT_ROOT = 256,
    OPT_RUNROOT,
    OPT_LOG_LEVEL,
};

static const struct option global_options[] = {
        {"root", required_argument, NULL, OPT_ROOT},
        {"runroot", required_argument, NULL, OPT_RUNROOT},
        {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
        {"version", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
};

/* Returns the index of the command word, 0 when ctr should exit with *exit_now. */
static int parse_global(struct ctr_ctx *ctx, int argc, char **argv, char **owned, int *exit_now,
                        struct ctr_error **err)
{
    int c;
    enum ctr_log_level level;

    opterr = 0;
    /* '+': stop at the command word, its options are its own. */
    while ((c = getopt_long(argc, argv, "+:hv", global_options, NULL)) != -1) {
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

int main(int argc, char **argv)
{
    struct ctr_ctx ctx = {0};
    cleanup_error struct ctr_error *err = NULL;
    char *owned[2] = {NULL, NULL};
    const struct ctr_command *command;
    const char *curl_msg = NULL;
    int exit_now = -2, idx, status;

    if (argc > 0 && helper_main(argc, argv, &status))
        return status;

    /* Everything ctr itself creates (store, logs, state) is the user's alone. */
    umask(077);
    /* A closed pipe (`ctr images | head`) is a write error we handle, not a silent death. */
    signal(SIGPIPE, SIG_IGN);

    idx = parse_global(&ctx, argc, argv, owned, &exit_now, &err);
    if (idx < 0)
        goto fail;
    if (idx == 0) {
        status = exit_now;
        goto out;
    }
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
    return status;

fail:
    fflush(stdout);
    fprintf(stderr, "ctr: %s\n", err ? err->msg : "unknown error");
    storage_close(ctx.store);
    free(owned[0]);
    free(owned[1]);
    return CTR_EXIT_ERROR;
}
