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
    int read_only_tmpfs;             /* -1: the default (true) */
    enum ctr_restart_policy restart; /* --restart */
    unsigned restart_max;
    enum ctr_sdnotify sdnotify; /* --sdnotify; 0 is container, the default */
    /* The command's own argv as parsed ("run", options, image, ...): the CreateCommand. */
    int argc;
    char **argv;
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
 * directory (as the owner of its files) and its row.  Without `force` it also refuses (EBUSY)
 * while running containers share its network namespace (--network container:).
 */
int container_remove(struct ctr_ctx *ctx, struct storage_container *c, int force,
                     struct ctr_error **err);

/*
 * Marks the container stopped by the user (ctr stop, kill, rm -f: its --restart policy no
 * longer applies) and re-reads `c`: a restart that happened before the mark shows in it, and
 * none can follow.  One removed meanwhile (--rm) is left in `c`, as exited.
 */
int container_mark_stopped(struct ctr_ctx *ctx, struct storage_container *c,
                           struct ctr_error **err);

/*
 * Carries out the --restart policy after the run of init `pid` exited with `exit_code`: when
 * it says so, and the user did not stop the container meanwhile, waits a backoff (100 ms,
 * doubling per restart up to 10 s; 100 ms again after a run of 10 s or more) and starts the
 * container again detached, under a new monitor.  1 when it was restarted, 0 when not.
 */
int container_restart_policy(struct ctr_ctx *ctx, const char *id, pid_t pid, int exit_code,
                             struct ctr_error **err);

/*
 * The container id a --cidfile holds (up to its first blank or newline), newly allocated.  A
 * missing file fails with ENOENT ("--cidfile: open '/run/x.cid': No such file or directory").
 */
char *container_cidfile_read(const char *path, struct ctr_error **err);

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

/*
 * --network container:NAME: the container shares the network of the container whose files are
 * in `owner_dir`.  Writes its own /etc/hostname, that container's /etc/resolv.conf, and an
 * /etc/hosts with its own localhost and hostname lines followed by that container's other
 * lines (its name and hostname, which reach the same loopback, host.containers.internal and
 * --add-host entries).
 */
int container_write_etc_shared(const struct container_dirs *d, const struct ctr_spec *spec,
                               const char *name, const char *owner_dir, struct ctr_error **err);

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

/*
 * What a container run in the foreground adds (run, start -a; not exec): SIGTERM sends the
 * container its stop signal instead, and SIGKILL follows when it is still running
 * `stop_timeout` seconds later, as `ctr stop` does; with `notify_fd` >= 0 (--sdnotify=container)
 * the container's notifications are relayed to `notify_target` with ctr as MAINPID.
 */
struct attach_container {
    int stop_signal;
    unsigned stop_timeout;
    int notify_fd;
    const char *notify_target;
};
int attach_wait_container(pid_t pid, int pty, int stdin_open, const struct attach_container *ac,
                          int *ret_status, struct ctr_error **err);

/*
 * --sdnotify for one start of a container.  container_notify_prepare() takes $NOTIFY_SOCKET
 * out of ctr's environment (at its first call) and, in container mode, binds the container's
 * own socket in RUNROOT/notify/ID and adds its directory to `spec` (the plan, not the stored
 * spec) as a bind mount on /run/notify, with NOTIFY_SOCKET=/run/notify/notify.sock in the
 * container's environment.  Without $NOTIFY_SOCKET nothing is done, whatever the mode.
 */
struct container_notify {
    enum ctr_sdnotify mode;
    const char *target; /* $NOTIFY_SOCKET as ctr got it (static), or NULL */
    int fd;             /* container mode: the container's socket, to relay; else -1 */
    char *dir;          /* its directory */
};
int container_notify_prepare(const struct storage *s, const char *id, struct ctr_spec *spec,
                             struct container_notify *ret, struct ctr_error **err);
/*
 * The container's process runs and `mainpid` is the process systemd should watch (ctr, or the
 * monitor of a detached container): conmon mode sends MAINPID and READY=1; container mode
 * sends MAINPID when it is not ctr, before the monitor relays anything.  A failure to send is
 * a warning.
 */
void container_notify_started(const struct container_notify *n, pid_t mainpid);
/* Closes the socket and frees; the directory stays (a monitor may be using it). */
void container_notify_clear(struct container_notify *n);
/* Removes the container's socket directory, when there is one. */
void container_notify_remove(const char *runroot, const char *id);

/* Ends a detached container's pasta (removes its namespace link); nothing to do otherwise. */
void container_release_network(const struct storage *s, const char *id);

/* The helper a monitor execs when its container exited (argv[0] "ctr-container-exited"). */
#define CONTAINER_EXITED_HELPER "ctr-container-exited"
int container_exited_main(int argc, char **argv);

/* The monitor binary beside ctr (build tree) or in ../libexec/ctr (installed). */
char *container_monitor_path(struct ctr_error **err);

/*
 * The common shape of kill, restart and wait: each operand from argv[optind] on (at least one,
 * else a usage error of `cmd`) is looked up and given to `fn`, in order, until one fails.
 */
int container_each(struct ctr_ctx *ctx, const char *cmd, int argc, char **argv,
                   int (*fn)(struct ctr_ctx *ctx, struct storage_container *c, const char *what,
                             void *arg, struct ctr_error **err),
                   void *arg, struct ctr_error **err);

#endif
