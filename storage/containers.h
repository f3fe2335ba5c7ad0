/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_STORAGE_CONTAINERS_H
#define CTR_STORAGE_CONTAINERS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "store.h"

/*
 * Containers in the database.  There is no daemon: each ctr process reads the rows and
 * reconciles them with the processes that really exist (a recorded pid that is gone, or has
 * another start time, means the container exited).  Times are nanoseconds since the epoch.
 */
enum storage_container_state {
    STORAGE_CONTAINER_CREATED, /* "created": prepared, never started (or start failed) */
    STORAGE_CONTAINER_RUNNING, /* "running": pid/pid_start name its init process */
    STORAGE_CONTAINER_EXITED,  /* "exited": finished; exit_code or -1 when unknown */
};

const char *storage_container_state_name(enum storage_container_state st);

struct storage_container {
    char *id;         /* 64 lowercase hex digits */
    char *name;       /* unique */
    char *image_id;   /* sha256:...; NULL once the image was removed with rmi -f */
    char *image_name; /* what the user asked for, normalised ("docker.io/library/busybox:latest") */
    char *command;    /* for display: the process's argv joined with spaces */
    char *config;     /* JSON text: the spec (see storage/container-spec.h) */
    enum storage_container_state state;
    int64_t created;  /* ns */
    int64_t started;  /* ns, 0 = never */
    int64_t finished; /* ns, 0 = not yet */
    pid_t pid;        /* container init, 0 = none */
    uint64_t pid_start;
    pid_t monitor_pid; /* the process that waits for it (ctr run or ctr-monitor), 0 = none */
    uint64_t monitor_start;
    int exit_code;          /* -1 = unknown or not exited */
    unsigned restart_count; /* restarts by its --restart policy since the user started it */
    int stopped_by_user;    /* ctr stop, kill or rm -f: its restart policy no longer applies */
};

void storage_container_clear(struct storage_container *c);
void storage_container_list_free(struct storage_container *list, size_t n);

/* A new random id: 64 hex digits from getrandom(). */
void storage_container_new_id(char ret[65]);

/*
 * A generated name in Podman's "adjective_surname" style, not used by any container in `s`
 * (retries; falls back to adding digits).  The caller frees.
 */
char *storage_container_new_name(struct storage *s, struct ctr_error **err);

/*
 * Inserts `c` (state created; id, name, config, created required).  A name already in use
 * fails with EEXIST: "the container name 'web' is already in use by 3f2a...: remove it
 * ('ctr rm web') or use --replace".
 */
int storage_container_add(struct storage *s, const struct storage_container *c,
                          struct ctr_error **err);

/*
 * Finds a container by exact name, full id, or unique id prefix (at least 1 hex digit), after
 * reconciling it.  ENOENT: "no container with name or id 'x' found"; an ambiguous prefix is
 * EINVAL naming how many match.
 */
int storage_container_find(struct storage *s, const char *name_or_id, struct storage_container *ret,
                           struct ctr_error **err);

/* Every container, reconciled, newest first. */
int storage_container_list(struct storage *s, struct storage_container **ret, size_t *ret_n,
                           struct ctr_error **err);

/*
 * Reconciles one container read from the database with the processes that exist: running
 * with its init gone (or replaced) becomes exited; the exit code stays unknown (-1) unless the
 * monitor recorded it; `finished` becomes now.  Writes the change (only when the row still
 * says what `c` says) and updates `c`.
 */
int storage_container_reconcile(struct storage *s, struct storage_container *c,
                                struct ctr_error **err);

/*
 * created/exited -> running, with the init and monitor identities and started = now.  A start
 * by the user: the restart count goes back to 0 and the user's stop is forgotten.
 */
int storage_container_set_running(struct storage *s, const char *id, pid_t pid, uint64_t pid_start,
                                  pid_t monitor_pid, uint64_t monitor_start,
                                  struct ctr_error **err);

/*
 * The same for a restart by the container's --restart policy after the run of init `old_pid`
 * exited: applies only while the row still shows that run exited and the user has not stopped
 * the container since (read and written in one transaction, so a `ctr stop` either comes first
 * and wins, or sees the new run), and counts the restart.  1 when it applied, 0 when not (the
 * caller then ends the new process).
 */
int storage_container_set_restarted(struct storage *s, const char *id, pid_t old_pid, pid_t pid,
                                    uint64_t pid_start, pid_t monitor_pid, uint64_t monitor_start,
                                    struct ctr_error **err);

/*
 * Marks container `id` stopped by the user (ctr stop, kill, rm -f) before it is signalled, so
 * that its restart policy does not start it again.  Nothing when there is no such row.
 */
int storage_container_mark_stopped(struct storage *s, const char *id, struct ctr_error **err);

/*
 * Records the exit of the init `pid` (exit_code as the shell reports it: code, or 128+signal)
 * and finished = now.  Applies only while the row's pid is still `pid` (a container restarted
 * since is left alone); also overwrites an exit a reconcile recorded as unknown.  1 when the
 * row changed, 0 when not.
 */
int storage_container_set_exited(struct storage *s, const char *id, pid_t pid, int exit_code,
                                 struct ctr_error **err);

/*
 * The exit code recorded for container `id` in the last five minutes, also after the
 * container was removed (--rm): 1 and *ret set, or 0 when none is known.
 */
int storage_container_exit_code(struct storage *s, const char *id, int *ret,
                                struct ctr_error **err);

/* Back to created after a failed start (pid cleared). */
int storage_container_set_created(struct storage *s, const char *id, struct ctr_error **err);

/* Deletes the row of container `id`; 1 if it was there, 0 if not. */
int storage_container_delete(struct storage *s, const char *id, struct ctr_error **err);

#endif
