/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_CMD_CONTAINER_H
#define CTR_CMD_CONTAINER_H

#include <sys/types.h>

#include "cmd.h"
#include "containers.h"
#include "spec.h"

/*
 * What the container commands share: creating a container from an image and the options of
 * `ctr create`/`ctr run`, starting it (in the foreground, or detached under ctr-monitor),
 * stopping and removing it.
 */

/* A container's files: ROOT/containers/ID holds all of them. */
struct container_dirs {
    char *dir;
    char *upper, *work, *merged, *empty;
    char *log; /* ctr.log, rotated to ctr.log.1 */
};
void container_dirs_init(struct container_dirs *d, const struct storage *s, const char *id);
void container_dirs_clear(struct container_dirs *d);

/* The options `ctr create` and `ctr run` share. */
struct container_opts {
    char **env;       /* -e, in order */
    char **env_files; /* --env-file */
    const char *entrypoint;
    int has_entrypoint;
    const char *workdir;
    const char *user;
    const char *hostname;
    const char *name;
    char **volumes;
    char **tmpfs;
    char **labels;
    int rm, interactive, tty, detach, init, replace;
    const char *stop_signal;
    int stop_timeout; /* -1: the default */
    const char *cidfile;
    const char *network;
    char **publish; /* -p, in order */
    int publish_all;
    char **dns;
    char **dns_search;
    char **add_hosts;
    int no_hosts;
    const char *pull; /* missing, always, never */
    int tls_verify;   /* -1 as configured */
    /* Security controls. */
    char **cap_add;
    char **cap_drop;
    int privileged;
    char **security_opts; /* --security-opt, in order */
    const char *userns;
    char **uidmaps;
    char **gidmaps;
    int read_only;
    int read_only_tmpfs; /* -1: the default (true) */
};

/* getopt_long for create/run; the option table and short options are shared. */
int container_opts_parse(const char *cmd, int argc, char **argv, struct container_opts *o,
                         int *ret_help, struct ctr_error **err);
void container_opts_clear(struct container_opts *o);
/* The options of run and create. */
extern const struct cmd_option container_options[];

/*
 * Creates the container: the image (pulled when missing, as --pull says), the spec from the
 * image config and the options, its directory and generated /etc files, its row.  Any failure
 * leaves none of them.  *ret gets the row.
 */
int container_create(struct ctr_ctx *ctx, const struct container_opts *o, const char *image,
                     char **cmd, struct storage_container *ret, struct ctr_error **err);

/*
 * Starts a created or exited container.  In the foreground (attach) ctr is its parent: it
 * passes its own stdin (with -i), stdout and stderr, or relays a terminal, forwards signals,
 * records the exit and returns the exit status (with --rm the container is then removed).
 * Detached, ctr-monitor becomes its parent and this returns 0 once it runs.  A failed start
 * leaves the container as it was; the error's code tells 125/126/127 (see runtime.h).
 */
enum container_start_flags {
    CONTAINER_START_ATTACH = 1 << 0, /* in the foreground */
    CONTAINER_START_STDIN = 1 << 1,  /* and pass stdin even if created without -i */
};
int container_start(struct ctr_ctx *ctx, struct storage_container *c, unsigned flags,
                    int *ret_status, struct ctr_error **err);

/* The exit status ctr reports for a failed start (125, 126 or 127). */
int container_start_failure_status(const struct ctr_error *err);

/*
 * Stops a running container: its stop signal, then SIGKILL after `timeout` seconds (-1: the
 * container's own).  Returns once it exited and its exit is recorded (or known to be lost).
 */
int container_stop(struct ctr_ctx *ctx, struct storage_container *c, int timeout,
                   struct ctr_error **err);

/*
 * Removes a container: kills it first when running and `force`, else refuses; then its
 * directory (as the owner of its files) and its row.
 */
int container_remove(struct ctr_ctx *ctx, struct storage_container *c, int force,
                     struct ctr_error **err);

/* Waits until the container is not running and its monitor is done; refreshes `c`. */
int container_wait_exit(struct ctr_ctx *ctx, struct storage_container *c, int timeout_ms,
                        struct ctr_error **err);

/* The security settings from the options (capabilities, seccomp, masks, id maps...). */
int container_security_build(const struct container_opts *o, struct ctr_spec *spec,
                             struct ctr_error **err);

/*
 * Writes the container's /etc/hostname, /etc/hosts and /etc/resolv.conf into its directory;
 * `dns` and `host_address` come from its network helper (NULL or "" without one).
 */
int container_write_etc(const struct container_dirs *d, const struct ctr_spec *spec,
                        const char *name, const char *dns, const char *host_address,
                        struct ctr_error **err);

/* Loads the spec stored with `c`. */
int container_spec(const struct storage_container *c, struct ctr_spec *ret, struct ctr_error **err);

/*
 * Foreground processes (run, start -a, exec): forwards SIGINT, SIGTERM, SIGHUP, SIGQUIT,
 * SIGUSR1, SIGUSR2 to `pid` (and SIGWINCH as a window size to the terminal), relays a terminal
 * `pty` (-1 without) with ours in raw mode, and returns the wait status of `pid`, our child.
 * Signals must have been blocked with attach_block_signals() before `pid` was started.
 */
void attach_block_signals(void);
void attach_unblock_signals(void);
int attach_wait(pid_t pid, int pty, int stdin_open, int *ret_status, struct ctr_error **err);

/* Ends a detached container's pasta (removes its namespace link); nothing to do otherwise. */
void container_release_network(const struct storage *s, const char *id);

/* The helper a monitor execs when its container exited (argv[0] "ctr-container-exited"). */
#define CONTAINER_EXITED_HELPER "ctr-container-exited"
int container_exited_main(int argc, char **argv);

/* The monitor binary beside ctr (build tree) or in ../libexec/ctr (installed). */
char *container_monitor_path(struct ctr_error **err);

#endif
