/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_CMD_CMD_H
#define CTR_CMD_CMD_H

#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "store.h"

/* State shared by every subcommand: the parsed global options and what they resolve to. */
struct ctr_ctx {
    const char *root_opt;              /* --root, or NULL */
    const char *runroot_opt;           /* --runroot, or NULL */
    const struct ctr_command *command; /* the command being run */
    struct storage *store;             /* opened on first use by ctx_store() */
};

enum ctr_command_flags {
    CMD_NEEDS_STORE = 1 << 0, /* opens the per-user store (never before its own --help) */
};

/*
 * A subcommand.  `run` returns the process exit status (0..255, the container's status for
 * run-like commands), or -1 with *err set, which ctr reports in one line and exits 125.
 */
struct ctr_command {
    const char *name;
    int (*run)(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
    unsigned flags;
    const char *summary;
};

/* The one table every command is dispatched from (and help, later completions, are made from). */
extern const struct ctr_command ctr_commands[];
const struct ctr_command *ctr_command_find(const char *name);

/* Opens the store on first use; only for commands flagged CMD_NEEDS_STORE. */
struct storage *ctx_store(struct ctr_ctx *ctx, struct ctr_error **err);

/* Resolves the root and runtime paths from the options and the environment (no side effects). */
int ctx_paths(struct ctr_ctx *ctx, struct storage_paths *ret, struct ctr_error **err);

/*
 * Exit statuses, as Podman uses them: 125 for ctr's own errors, 126 when the command cannot be
 * invoked, 127 when it is not found.
 */
enum {
    CTR_EXIT_ERROR = 125,
    CTR_EXIT_CANNOT_INVOKE = 126,
    CTR_EXIT_NOT_FOUND = 127,
};

/* A usage error of command `cmd`: one specific line naming the mistake and where help is. */
int cmd_usage_error(const char *cmd, struct ctr_error **err, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/*
 * The error for getopt_long's return of '?' or ':' (opterr must be 0 and the optstring must
 * start with ':' or '+:'), naming the option the user typed.
 */
int cmd_getopt_error(const char *cmd, int c, char **argv, struct ctr_error **err);

/* Output formats of listing and report commands. */
enum cmd_format {
    CMD_FORMAT_TEXT,
    CMD_FORMAT_JSON,
};
int cmd_parse_format(const char *cmd, const char *arg, enum cmd_format *ret,
                     struct ctr_error **err);

/* "4.26 MB", as Podman prints sizes; the caller frees. */
char *cmd_human_size(int64_t bytes);
/* "3 weeks ago" for `when` seen at `now` (seconds since the epoch); the caller frees. */
char *cmd_human_ago(int64_t when, int64_t now);
/* --flag[=true|false]: NULL (no value) is true. */
int cmd_parse_bool(const char *cmd, const char *opt, const char *arg, int *ret,
                   struct ctr_error **err);
int cmd_parse_uint(const char *cmd, const char *opt, const char *arg, unsigned max, unsigned *ret,
                   struct ctr_error **err);

/*
 * The registry host a login command names ("quay.io", "https://quay.io/", "localhost:5000"),
 * newly allocated; a repository or an invalid host is a usage error of `cmd`.
 */
char *cmd_registry_domain(const char *cmd, const char *arg, struct ctr_error **err);

/* Prints `help` to stdout. */
void cmd_print_help(const char *help);

/* Subcommand entry points. */
int cmd_container(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
int cmd_create(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
int cmd_exec(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
int cmd_help(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
int cmd_image(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
int cmd_images(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
int cmd_info(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
int cmd_inspect(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
int cmd_kill(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
int cmd_load(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
int cmd_login(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
int cmd_logout(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
int cmd_logs(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
int cmd_port(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
int cmd_ps(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
int cmd_pull(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
int cmd_restart(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
int cmd_rm(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
int cmd_rmi(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
int cmd_run(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
int cmd_save(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
int cmd_start(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
int cmd_stop(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
int cmd_tag(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
int cmd_version(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
int cmd_wait(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);

/* Prints the version report (shared by `ctr version` and `ctr --version`). */
int cmd_version_print(enum cmd_format format, struct ctr_error **err);

#endif
