/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_CMD_CMD_H
#define CTR_CMD_CMD_H

#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "store.h"

struct ctr_template;

/* State shared by every subcommand: the parsed global options and what they resolve to. */
struct ctr_ctx {
    const char *root_opt;              /* --root, else $CTR_ROOT, or NULL */
    const char *runroot_opt;           /* --runroot, else $CTR_RUNROOT, or NULL */
    const struct ctr_command *command; /* the command being run */
    struct storage *store;             /* opened on first use by ctx_store() */
};

enum ctr_command_flags {
    CMD_NEEDS_STORE = 1 << 0, /* opens the per-user store (never before its own --help) */
};

/*
 * What a word completes to, for shell completion (cmd/complete.c): an option's argument or a
 * command's operands.  Dynamic ones are answered from the store, read-only.
 */
enum cmd_complete {
    CMD_COMPLETE_NONE,              /* free text: nothing is offered */
    CMD_COMPLETE_FILE,              /* a path */
    CMD_COMPLETE_DIR,               /* a directory */
    CMD_COMPLETE_CONTAINER,         /* any container's name */
    CMD_COMPLETE_CONTAINER_RUNNING, /* a running container's name */
    CMD_COMPLETE_CONTAINER_STOPPED, /* a created or exited one: what start starts */
    CMD_COMPLETE_IMAGE,             /* an image reference */
    CMD_COMPLETE_SIGNAL,            /* SIGTERM, TERM, 15 */
    CMD_COMPLETE_CAPABILITY,        /* CAP_NET_ADMIN */
    CMD_COMPLETE_NETWORK,           /* a --network mode */
    CMD_COMPLETE_FORMAT,            /* json, table, {{.Field}} of the command's output */
    CMD_COMPLETE_COMMAND,           /* one of ctr's commands */
    CMD_COMPLETE_VALUES,            /* the option's own `values` */
};

/*
 * One option of a command.  A command's table of these is what it parses (cmd_getopt), what
 * its --help prints, and what completion and the manual pages are made from.
 */
struct cmd_option {
    const char *name;           /* the long name without "--"; NULL ends a table */
    int short_name;             /* 'd' for -d, or 0 */
    int has_arg;                /* no_argument, required_argument or optional_argument */
    int val;                    /* what cmd_getopt() returns for it */
    const char *arg;            /* the value's name in help ("N", "FILE"); NULL without one */
    const char *help;           /* what it does; a '\n' continues on the next line */
    enum cmd_complete complete; /* what its value completes to */
    const char *values;         /* CMD_COMPLETE_VALUES: the candidates, space-separated */
    const char *section;        /* when set, help prints this heading before the option */
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
    const char *synopsis;             /* after "Usage: ctr ": "stop [OPTIONS] CONTAINER..." */
    const char *description;          /* what --help prints under the synopsis */
    const struct cmd_option *options; /* NULL-name terminated; may be NULL */
    enum cmd_complete operand;        /* what the first operand completes to */
    enum cmd_complete operands;       /* and the ones after it */
    const struct ctr_command *const *subcommands; /* container, image: NULL-terminated */
    const char *const *format_fields;             /* --format's {{.Field}} names */
    const char *operand_values; /* CMD_COMPLETE_VALUES operands: the candidates, space-separated */
};

/* The one table every command is dispatched from, and help, completion and man pages are made
 * from. */
extern const struct ctr_command *const ctr_commands[];
const struct ctr_command *ctr_command_find(const char *name);
/* ctr itself, for help and completion: the global options, ctr_commands as subcommands. */
extern const struct ctr_command ctr_main;

/*
 * Everything ctr's main() does, returning its exit status.  main() alone is in cmd/main.c, so
 * that other programs (the man page generator) can link the command tables.
 */
int ctr_cli_main(int argc, char **argv);

/*
 * The configuration file, ctr.conf (lib/config.h): cmd_config_load() reads it from
 * $XDG_CONFIG_HOME/ctr, else ~/.config/ctr, and checks its network's options too; errors name
 * the file and line.  cmd_config() is what was loaded, an empty configuration before that or
 * without a file.  The command line wins over the environment (CTR_ROOT, CTR_RUNROOT,
 * CTR_LOG_LEVEL), and the environment over the file.
 */
struct ctr_config;
int cmd_config_load(struct ctr_error **err);
const struct ctr_config *cmd_config(void);

/* Opens the store on first use; only for commands flagged CMD_NEEDS_STORE. */
struct storage *ctx_store(struct ctr_ctx *ctx, struct ctr_error **err);

/*
 * Resolves the root and runtime paths from the options, then $CTR_ROOT and $CTR_RUNROOT, then
 * ctr.conf, then the defaults (no side effects).
 */
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

/* A JSON array of the strings of v (NULL: empty). */
json_t *cmd_strv_json(char **v);
/* Podman's Labels object from KEY[=VALUE] strings (a KEY alone has the value ""). */
json_t *cmd_labels_json(char **labels);

/* "4.26 MB", as Podman prints sizes; the caller frees. */
char *cmd_human_size(int64_t bytes);
/* "3 weeks ago" for `when` seen at `now` (seconds since the epoch); the caller frees. */
char *cmd_human_ago(int64_t when, int64_t now);
/* Go's time.Time String() in local time, as Podman's {{.CreatedAt}}: "2024-05-01 12:00:00.5
 * +0200 CEST", for `ns` nanoseconds since the epoch; the caller frees. */
char *cmd_go_time(int64_t ns);
/*
 * Prints `text` to stdout aligned as Go's text/tabwriter does for Podman's tables (minimum
 * width 12, padding 2): every tab-terminated cell is padded to the widest cell of its column;
 * the text after a line's last tab is not.
 */
void cmd_print_aligned(const char *text, size_t len);
/*
 * The --format output of a listing command (images, ps), zeroed before use.  "json" collects
 * the caller's rows in `json`, printed as one array; any other format is a template that each
 * row is rendered with into a buffer, printed as an aligned table (cmd_print_aligned).
 */
struct cmd_output {
    const char *cmd;           /* "ps": names the command in errors */
    json_t *json;              /* "json": the array the caller appends its rows to */
    struct ctr_template *tmpl; /* a template: rows are rendered into mem */
    FILE *mem;
    char *text; /* mem's buffer: freed by hand, after fclose() last updates it */
    size_t text_len;
};
/*
 * Sets up `out` for `format`: "json", or a template (a "table ..." one starts with its header
 * row, the names from `headers` as ctr_template_header() takes them, unless `noheading`).
 * Errors name `cmd`: "ps --format: template: unclosed action at offset 2".
 */
int cmd_output_open(struct cmd_output *out, const char *cmd, const char *format, int noheading,
                    const char *(*headers)(const char *field), struct ctr_error **err);
/* Renders `row` with the template as one line of the table; takes `row` over (NULL is fine). */
int cmd_output_row(struct cmd_output *out, json_t *row, struct ctr_error **err);
/* Prints what was collected, the JSON array or the table; nothing when `out` was not opened. */
int cmd_output_print(struct cmd_output *out, struct ctr_error **err);
/* Frees what `out` holds; a zeroed or half-opened one is fine. */
void cmd_output_clear(struct cmd_output *out);

/*
 * The command line of an inspect command (`cmd`'s options: --format and --help; `name` as
 * errors call it, "image inspect").  Returns 1 after printing the help; else 0, with optind at
 * the first operand (one is needed, `operand` says what: "an image") and *ret_tmpl the
 * --format template, NULL for JSON (no --format, or "json").
 */
int cmd_inspect_parse(const struct ctr_command *cmd, const char *name, const char *operand,
                      int argc, char **argv, struct ctr_template **ret_tmpl,
                      struct ctr_error **err);
/*
 * Prints the inspected objects in the array `all`: each rendered with `tmpl` on a line of its
 * own, or, when `tmpl` is NULL, the whole array as JSON.  Fails when a rendering does.
 */
int cmd_inspect_print(json_t *all, const struct ctr_template *tmpl, struct ctr_error **err);

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

/*
 * getopt_long over a command's option table: cmd_getopt_init() builds the arrays (options end
 * at the first operand: "+"; a missing value is ':'), cmd_getopt() returns each option's `val`
 * as getopt_long does.
 */
#define CMD_MAX_OPTIONS 96
struct cmd_getopt {
    struct option longopts[CMD_MAX_OPTIONS + 1];
    char shortopts[3 * CMD_MAX_OPTIONS + 3];
};
void cmd_getopt_init(struct cmd_getopt *g, const struct cmd_option *options);
int cmd_getopt(struct cmd_getopt *g, int argc, char **argv);

/* Prints a command's --help, made from its table: usage, description and options. */
void cmd_print_help(const struct ctr_command *cmd);
/* The options part alone ("  -t, --time N   ..."), as help prints it. */
void cmd_print_options(FILE *out, const struct cmd_option *options);

/*
 * Runs the subcommand of `parent` (container, image) that argv[1] names, from its
 * `subcommands`; prints parent's help for --help, -h or help.
 */
int cmd_run_subcommand(const struct ctr_command *parent, struct ctr_ctx *ctx, int argc, char **argv,
                       struct ctr_error **err);

/* Tables shared with the aliases `ctr image ls`, `image rm` and `container ls`. */
extern const struct cmd_option cmd_images_options[];
extern const char *const cmd_images_format_fields[];
extern const struct cmd_option cmd_ps_options[];
extern const char *const cmd_ps_format_fields[];
extern const struct cmd_option cmd_rmi_options[];

/* Subcommand entry points. */
int cmd_completion(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
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

/* Their table entries, each beside its command. */
extern const struct ctr_command ctr_cmd_completion;
extern const struct ctr_command ctr_cmd_container;
extern const struct ctr_command ctr_cmd_create;
extern const struct ctr_command ctr_cmd_exec;
extern const struct ctr_command ctr_cmd_generate;
extern const struct ctr_command ctr_cmd_help;
extern const struct ctr_command ctr_cmd_image;
extern const struct ctr_command ctr_cmd_images;
extern const struct ctr_command ctr_cmd_info;
extern const struct ctr_command ctr_cmd_inspect;
extern const struct ctr_command ctr_cmd_kill;
extern const struct ctr_command ctr_cmd_load;
extern const struct ctr_command ctr_cmd_login;
extern const struct ctr_command ctr_cmd_logout;
extern const struct ctr_command ctr_cmd_logs;
extern const struct ctr_command ctr_cmd_port;
extern const struct ctr_command ctr_cmd_ps;
extern const struct ctr_command ctr_cmd_pull;
extern const struct ctr_command ctr_cmd_restart;
extern const struct ctr_command ctr_cmd_rm;
extern const struct ctr_command ctr_cmd_rmi;
extern const struct ctr_command ctr_cmd_run;
extern const struct ctr_command ctr_cmd_save;
extern const struct ctr_command ctr_cmd_start;
extern const struct ctr_command ctr_cmd_stop;
extern const struct ctr_command ctr_cmd_tag;
extern const struct ctr_command ctr_cmd_version;
extern const struct ctr_command ctr_cmd_wait;

/*
 * `ctr __complete WORD...` (cmd/complete.c, where its protocol is described): the candidates
 * for the last WORD, for the completion scripts.  Not a command: it is not in the table, takes
 * no global options before it, prints nothing to stderr and always returns 0.
 */
int cmd_complete_main(int argc, char **argv);

/* Prints the version report (shared by `ctr version` and `ctr --version`). */
int cmd_version_print(enum cmd_format format, struct ctr_error **err);

#endif
