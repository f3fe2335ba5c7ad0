/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_LIB_SPEC_H
#define CTR_LIB_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * What a container is started from: the validated plan that `ctr create`/`ctr run` build from
 * the image config and the command line, stored with the container (as JSON, by storage/) and
 * carried out by the runtime.  Every string is owned by the spec; ctr_spec_clear() frees it.
 */
enum ctr_mount_kind {
    CTR_MOUNT_BIND,  /* -v HOST:CTR[:ro|rw] */
    CTR_MOUNT_TMPFS, /* --tmpfs PATH[:opts] */
};

struct ctr_mount_spec {
    enum ctr_mount_kind kind;
    char *source;      /* absolute host path (bind), NULL for tmpfs */
    char *destination; /* absolute path inside the container, normalised */
    int readonly;
    char *data; /* tmpfs: "size=...,mode=..." as the kernel takes it (flags split out); NULL */
    unsigned long flags; /* MS_NOSUID, MS_NODEV, MS_NOEXEC, ... from the options */
};

/*
 * The security settings of a container, decided at create time (so inspect shows what will be
 * applied) and carried out by the runtime just before the process is executed.
 */
struct ctr_security_spec {
    uint64_t caps;          /* bounding, permitted and effective set: 1ULL << CAP_* */
    int privileged;         /* --privileged: all caps, no seccomp, no masks, host devices */
    int no_new_privs;       /* PR_SET_NO_NEW_PRIVS (default 1) */
    int seccomp_unconfined; /* seccomp=unconfined (or --privileged) */
    char *seccomp_profile;  /* a Docker-format profile's JSON text; NULL: the built-in one */
    char *seccomp_path;     /* the file it was read from, for inspect */
    char **masked_paths;    /* made unreadable: /dev/null over files, an empty tmpfs over dirs */
    char **readonly_paths;  /* bind-mounted read-only over themselves */
    int read_only;          /* --read-only */
    int read_only_tmpfs;    /* with --read-only: tmpfs on /tmp, /var/tmp, /run, /dev/shm */
    char *userns;           /* --userns as given ("keep-id", "nomap"), NULL: the default */
    char **uid_map;         /* "INSIDE:HOST:COUNT" in host ids; NULL: the user's default map */
    char **gid_map;
    char *apparmor; /* --security-opt apparmor=PROFILE, NULL: none */
    char *label;    /* --security-opt label=..., as given */
};

/* The defaults of a container nobody asked anything of: Podman's eleven capabilities,
 * no_new_privs, the built-in seccomp profile, the default masked and read-only paths. */
void ctr_security_defaults(struct ctr_security_spec *sec);
void ctr_security_clear(struct ctr_security_spec *sec);

/* The paths masked and made read-only by default (NULL-terminated, static). */
extern const char *const ctr_default_masked_paths[];
extern const char *const ctr_default_readonly_paths[];

/*
 * --restart: what a container's monitor does when the container exits by itself (never after
 * `ctr stop`, `ctr kill` or `ctr rm -f`).  unless-stopped is always under another name: the
 * two differ only in restarting at boot, which ctr, without a daemon, does not do (Podman
 * treats them alike too).
 */
enum ctr_restart_policy {
    CTR_RESTART_NO,
    CTR_RESTART_ON_FAILURE, /* a non-zero exit code; at most restart_max times when set */
    CTR_RESTART_ALWAYS,
    CTR_RESTART_UNLESS_STOPPED,
};

/*
 * --sdnotify: what becomes of $NOTIFY_SOCKET, systemd's socket of a Type=notify unit, when ctr
 * starts the container.  Without it nothing is sent whatever the mode.
 */
enum ctr_sdnotify {
    CTR_SDNOTIFY_CONTAINER, /* the container gets a socket of its own; ctr relays (the default) */
    CTR_SDNOTIFY_CONMON,    /* ctr sends READY=1 once the container's process runs */
    CTR_SDNOTIFY_IGNORE,    /* nothing is sent, and the container never sees the socket */
};
/* "container", "conmon", "ignore"; the mode of such a name: 0, or -1 for any other text. */
const char *ctr_sdnotify_name(enum ctr_sdnotify mode);
int ctr_sdnotify_from_name(const char *name, enum ctr_sdnotify *ret);

struct ctr_spec {
    char **argv; /* the process: entrypoint + cmd, at least one element */
    char **env;  /* KEY=VALUE */
    char *cwd;   /* absolute path inside the container */
    char *user;  /* as given: "NAME|UID[:GROUP|GID]"; resolved in the container's /etc/passwd */
    char *hostname;
    struct ctr_mount_spec *mounts;
    size_t n_mounts;
    int tty;               /* -t */
    int interactive;       /* -i */
    int init;              /* --init */
    int remove;            /* --rm */
    int stop_signal;       /* signal number */
    unsigned stop_timeout; /* seconds */
    char *network;         /* --network as given ("" for the default helper) */
    char **ports;          /* -p mappings, host ports assigned: "[IP:]HOST:CTR[/proto]" */
    char **dns;            /* --dns servers, for inspect (resolv.conf is written at create) */
    char **dns_search;
    char **add_hosts; /* --add-host NAME:IP */
    int no_hosts;     /* --no-hosts: the image's /etc/hosts is left alone */
    char **labels;    /* KEY=VALUE, from the image config and --label */
    struct ctr_security_spec security;
    enum ctr_restart_policy restart; /* --restart */
    unsigned restart_max;            /* on-failure:N; 0 is no limit */
    enum ctr_sdnotify sdnotify;      /* --sdnotify */
    /* The command line that created the container ("ctr", global options, "run", ...), for
     * inspect's CreateCommand and `ctr generate systemd --new`; NULL when not known. */
    char **create_command;
};

/* Frees what *spec owns and zeroes it; NULL and a half-built spec are fine. */
void ctr_spec_clear(struct ctr_spec *spec);

/*
 * --restart POLICY: "no" (or Podman's synonym "never"), "on-failure", "on-failure:N" (N from 0
 * to 2^31-1; 0 is no limit), "always", "unless-stopped".  A maximum with any other policy is an
 * error, as in Podman.  One message naming the value and the valid ones otherwise.
 */
int ctr_parse_restart(const char *arg, enum ctr_restart_policy *ret_policy, unsigned *ret_max,
                      struct ctr_error **err);
/* "no", "on-failure", "always", "unless-stopped" (Podman's RestartPolicy.Name); NULL if none. */
const char *ctr_restart_policy_name(enum ctr_restart_policy policy);
/* The policy of a name ctr_restart_policy_name() gives: 0, or -1 for any other text. */
int ctr_restart_policy_from_name(const char *name, enum ctr_restart_policy *ret);
/*
 * Whether a container that exited by itself with `exit_code` (as the shell reports it) after
 * `restart_count` restarts by its policy is started again.  Stops by the user are the caller's
 * to rule out.
 */
int ctr_restart_wanted(const struct ctr_spec *spec, int exit_code, unsigned restart_count);

/*
 * -v/--volume HOST:CTR[:OPTIONS], OPTIONS a comma list of ro, rw, nosuid, suid, nodev, dev,
 * noexec, exec, z, Z (z/Z accepted and ignored without SELinux).  An option given twice, or
 * two that exclude each other (ro and rw, nosuid and suid, ...), is an error, as in Podman.
 * HOST must be absolute (named and anonymous volumes are not supported: the error says so);
 * CTR must be absolute and not "/"; both are normalised (no "..", no "//", no trailing "/").
 * ret->flags holds MS_NOSUID, MS_NODEV and MS_NOEXEC; ro sets ret->readonly (not MS_RDONLY).
 * The error names the part that is wrong.  *ret is written only on success.
 */
int ctr_parse_volume(const char *arg, struct ctr_mount_spec *ret, struct ctr_error **err);

/*
 * --tmpfs PATH[:OPTIONS], as Podman: rw,nosuid,nodev,noexec unless an option says otherwise
 * (ro, rw, nosuid, suid, nodev, dev, noexec, exec; the same conflicts as for volumes).  The
 * tmpfs(5) options size=N[kmgtpe|%], nr_inodes=N[kmgtpe], mode=OCTAL (at most 07777), uid=N and
 * gid=N are checked and go to ret->data in the order given, NULL when there are none.  Unlike
 * Podman, the image's content under PATH is not copied up (no "tmpcopyup").
 */
int ctr_parse_tmpfs(const char *arg, struct ctr_mount_spec *ret, struct ctr_error **err);
/* Frees what *m owns and zeroes it; NULL and a zeroed struct are fine. */
void ctr_mount_spec_clear(struct ctr_mount_spec *m);

/*
 * An absolute path normalised lexically: "//a/./b/../c/" is "/a/c"; ".." never climbs above
 * "/".  NULL (EINVAL) for a relative path.  The caller frees.
 */
char *ctr_path_normalise(const char *path, struct ctr_error **err);

/*
 * A signal by name or number: "TERM", "SIGTERM", "sigterm", "15", "RTMIN+3", "RTMAX-2" (real-
 * time signals numbered as Docker and glibc do: RTMIN 34, RTMAX 64), a number from 1 to 64.
 * -1 with *err set for anything else (the message lists a few valid names).
 */
int ctr_parse_signal(const char *arg, struct ctr_error **err);
/*
 * "SIGTERM" for 15; "SIGRTMIN+3" for 37, "SIGRTMAX-1" for 63 (as `kill -l`); NULL for 32 and
 * 33 (glibc's own) and numbers outside 1..64.  A static string.
 */
const char *ctr_signal_name(int sig);

/*
 * One line of an --env-file (Docker's format): "KEY=VALUE" as is, "KEY" alone takes KEY from
 * `lookup` (the caller's environment; skipped when unset: *ret is NULL), blank lines and lines
 * starting with '#' give *ret NULL.  Leading whitespace and a final "\n" or "\r\n" are dropped;
 * the value is kept as is.  A KEY with whitespace or '=' first is an error naming the line.
 * The caller frees *ret.
 */
int ctr_parse_env_line(const char *line, const char *(*lookup)(const char *key), char **ret,
                       struct ctr_error **err);

/*
 * Sets KEY=VALUE in the NULL-terminated, heap-allocated vector *env (replacing an existing
 * KEY, else appending).  `kv` without '=' takes the value from `lookup` and is skipped when
 * unset, as Podman's -e KEY does.
 */
void ctr_env_set(char ***env, const char *kv, const char *(*lookup)(const char *key));

#endif
