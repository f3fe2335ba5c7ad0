/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_STORAGE_STORE_H
#define CTR_STORAGE_STORE_H

#include <sqlite3.h>
#include <sys/types.h>

#include "error.h"

/*
 * Where a user's ctr state lives.  `root` holds images, layers, containers and the database;
 * `runroot` holds what dies with a reboot (locks, sockets, mount points).
 */
struct storage_paths {
    char *root;
    char *runroot;
};

/* What the defaults are computed from; a struct so tests can pass what they like. */
struct storage_env {
    uid_t euid;
    const char *home;            /* $HOME, or the passwd entry's home */
    const char *xdg_data_home;   /* may be NULL or empty */
    const char *xdg_runtime_dir; /* may be NULL or empty */
    const char *tmpdir;          /* for the runtime fallback; NULL means /tmp */
};

/* Fills `env` from the process environment and passwd. */
void storage_env_from_process(struct storage_env *env);

/*
 * Default paths, as Podman chooses its own:
 *   root     $XDG_DATA_HOME/ctr, else $HOME/.local/share/ctr; /var/lib/ctr for uid 0
 *   runroot  $XDG_RUNTIME_DIR/ctr, else TMPDIR/ctr-run-UID (private, owned by the user);
 *            /run/ctr for uid 0
 * Relative XDG values are ignored, as the XDG base directory spec requires.
 * Fails only when no home is known for the root.
 */
int storage_paths_default(const struct storage_env *env, struct storage_paths *ret,
                          struct ctr_error **err);
void storage_paths_clear(struct storage_paths *p);

/* The newest schema this build knows. */
int storage_schema_version(void);

enum storage_open_flags {
    STORAGE_OPEN_READONLY = 1 << 0, /* never create or migrate; fail if absent */
};

struct storage {
    char *root;
    char *runroot;
    char *db_path;
    sqlite3 *db;
    int schema_version;
};

/*
 * Opens (creating when needed, mode 0700) `root` and `runroot` and the database `root`/ctr.db,
 * set up for several concurrent ctr processes (WAL, busy timeout, foreign keys,
 * synchronous=NORMAL) and migrated forward to storage_schema_version().  A directory or
 * database owned by another user is refused; so is a database newer than this build.
 * Returns the new store in *ret, which the caller closes with storage_close().
 */
int storage_open(const char *root, const char *runroot, unsigned flags, struct storage **ret,
                 struct ctr_error **err);
void storage_close(struct storage *s);

/* The sqlite adapter: an error from the last failed call on `db`, as "what: sqlite message". */
int storage_sqlite_error(struct ctr_error **err, sqlite3 *db, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#endif
