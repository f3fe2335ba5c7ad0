/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "log.h"
#include "store.h"
#include "xalloc.h"

DEFINE_CLEANUP_FUNC(sqlite3 *, sqlite3_close_v2)

/* How long a ctr process waits for another holding the database before it gives up. */
#define BUSY_TIMEOUT_MS 10000

/*
 * Forward migrations, applied in order at open: migrations[i] takes the schema from version i
 * to i + 1.  Never edit a migration that has shipped; add a new one.
 */
static const char *const migrations[] = {
        /* 1: images, their names and layer chains, layers, containers. */
        /* A layer is unpacked once per diff id, on its own: overlayfs stacks the
         * directories, so one layer under different parents is still one directory. */
        "CREATE TABLE layers ("
        "  diff_id TEXT PRIMARY KEY," /* sha256:... of the uncompressed tar */
        "  size INTEGER NOT NULL DEFAULT 0,"
        "  created INTEGER NOT NULL"
        ");"
        "CREATE TABLE images ("
        "  id TEXT PRIMARY KEY," /* config digest, sha256:... */
        "  manifest_digest TEXT NOT NULL,"
        "  manifest BLOB NOT NULL,"
        "  config BLOB NOT NULL,"
        "  os TEXT NOT NULL,"
        "  architecture TEXT NOT NULL,"
        "  variant TEXT,"
        "  size INTEGER NOT NULL DEFAULT 0,"
        "  created INTEGER,"       /* from the image config */
        "  added INTEGER NOT NULL" /* when this store got it */
        ");"
        "CREATE TABLE image_layers ("
        "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
        "  position INTEGER NOT NULL,"
        "  diff_id TEXT NOT NULL REFERENCES layers(diff_id),"
        "  PRIMARY KEY (image_id, position)"
        ");"
        "CREATE INDEX image_layers_diff_id ON image_layers(diff_id);"
        "CREATE TABLE image_names ("
        "  name TEXT PRIMARY KEY," /* docker.io/library/busybox:latest */
        "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE"
        ");"
        "CREATE INDEX image_names_image_id ON image_names(image_id);"
        "CREATE TABLE containers ("
        "  id TEXT PRIMARY KEY,"
        "  name TEXT NOT NULL UNIQUE,"
        "  image_id TEXT REFERENCES images(id),"
        "  image_name TEXT,"
        "  command TEXT,"
        "  config TEXT NOT NULL," /* JSON: the validated run plan */
        "  state TEXT NOT NULL,"
        "  created INTEGER NOT NULL,"
        "  started INTEGER,"
        "  finished INTEGER,"
        "  pid INTEGER,"
        "  pid_start INTEGER," /* /proc/PID/stat starttime, against pid reuse */
        "  exit_code INTEGER"
        ");"
        "CREATE INDEX containers_image_id ON containers(image_id);",
        /* 2: the process that waits for a container's init (ctr run, or ctr-monitor): while
         * it lives, it and not a reconciling reader records the exit. */
        "ALTER TABLE containers ADD COLUMN monitor_pid INTEGER;"
        "ALTER TABLE containers ADD COLUMN monitor_start INTEGER;",
        /* 3: exit codes outlive their container for a while (as Podman keeps them), so that
         * 'ctr wait' of a --rm container still learns the code after the row is gone. */
        "CREATE TABLE container_exits ("
        "  id TEXT PRIMARY KEY,"
        "  exit_code INTEGER NOT NULL,"
        "  finished INTEGER NOT NULL"
        ");",
        /* 4: --restart.  How often the policy restarted the container since the user last
         * started it (Podman's RestartCount), and whether the user stopped it (ctr stop, kill,
         * rm -f): then the policy no longer applies, until the user starts it again. */
        "ALTER TABLE containers ADD COLUMN restart_count INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE containers ADD COLUMN stopped_by_user INTEGER NOT NULL DEFAULT 0;",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int storage_schema_version(void)
{
    return N_MIGRATIONS;
}

int storage_sqlite_error(struct ctr_error **err, sqlite3 *db, const char *fmt, ...)
{
    cleanup_free char *what = NULL;
    va_list ap;

    va_start(ap, fmt);
    what = xvasprintf(fmt, ap);
    va_end(ap);
    return ctr_error_set(err, EIO, "%s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
}

void storage_env_from_process(struct storage_env *env)
{
    const char *home = getenv("HOME");

    memset(env, 0, sizeof(*env));
    env->euid = geteuid();
    if (home == NULL || home[0] != '/') {
        struct passwd *pw = getpwuid(env->euid);

        home = pw ? pw->pw_dir : NULL;
    }
    env->home = home;
    env->xdg_data_home = getenv("XDG_DATA_HOME");
    env->xdg_runtime_dir = getenv("XDG_RUNTIME_DIR");
    env->tmpdir = getenv("TMPDIR");
}

static int is_abs(const char *s)
{
    return s != NULL && s[0] == '/';
}

int storage_paths_default(const struct storage_env *env, struct storage_paths *ret,
                          struct ctr_error **err)
{
    cleanup_free char *root = NULL;
    char *runroot;

    if (env->euid == 0) {
        ret->root = xstrdup("/var/lib/ctr");
        ret->runroot = xstrdup("/run/ctr");
        return 0;
    }
    if (is_abs(env->xdg_data_home))
        root = xasprintf("%s/ctr", env->xdg_data_home);
    else if (is_abs(env->home))
        root = xasprintf("%s/.local/share/ctr", env->home);
    else
        return ctr_error_set(err, ENOENT,
                             "cannot find a storage root: HOME is not set and uid %u has no "
                             "home directory; set XDG_DATA_HOME or pass --root",
                             (unsigned)env->euid);
    if (is_abs(env->xdg_runtime_dir))
        runroot = xasprintf("%s/ctr", env->xdg_runtime_dir);
    else
        runroot = xasprintf("%s/ctr-run-%u", is_abs(env->tmpdir) ? env->tmpdir : "/tmp",
                            (unsigned)env->euid);
    ret->root = steal_pointer(&root);
    ret->runroot = runroot;
    return 0;
}

void storage_paths_clear(struct storage_paths *p)
{
    free(p->root);
    free(p->runroot);
    p->root = p->runroot = NULL;
}

static int exec_sql(sqlite3 *db, const char *sql, struct ctr_error **err)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return storage_sqlite_error(err, db, "database");
    return 0;
}

static int read_user_version(sqlite3 *db, int *ret, struct ctr_error **err)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return storage_sqlite_error(err, db, "read schema version");
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *ret = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return storage_sqlite_error(err, db, "read schema version");
    return 0;
}

/* Applies the missing migrations, each in its own IMMEDIATE transaction so that two ctr
 * processes opening a fresh store at once migrate it exactly once. */
static int migrate(sqlite3 *db, const char *path, int *ret_version, struct ctr_error **err)
{
    int version = 0;

    for (;;) {
        cleanup_free char *sql = NULL;

        if (exec_sql(db, "BEGIN IMMEDIATE", err) < 0)
            return ctr_error_wrap(err, "migrate '%s'", path);
        if (read_user_version(db, &version, err) < 0)
            goto fail;
        if (version > N_MIGRATIONS) {
            ctr_error_set(err, EPROTO,
                          "database '%s' has schema version %d, newer than this ctr knows "
                          "(%d): upgrade ctr",
                          path, version, N_MIGRATIONS);
            goto fail;
        }
        if (version == N_MIGRATIONS)
            break;
        sql = xasprintf("%s; PRAGMA user_version = %d;", migrations[version], version + 1);
        if (exec_sql(db, sql, err) < 0) {
            ctr_error_wrap(err, "migrate '%s' to schema version %d", path, version + 1);
            goto fail;
        }
        if (exec_sql(db, "COMMIT", err) < 0)
            goto fail;
        log_debug("migrated '%s' to schema version %d", path, version + 1);
    }
    if (exec_sql(db, "COMMIT", err) < 0)
        goto fail;
    *ret_version = version;
    return 0;

fail:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

static int journal_is_wal(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int wal = 0;

    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        wal = strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
    sqlite3_finalize(st);
    return wal;
}

/*
 * WAL lets readers (ctr ps) run beside a writer.  The mode is stored in the file, so only the
 * first open of a new store switches it, and that switch needs an exclusive lock SQLite's busy
 * handler does not wait for: when another process holds the database at that moment, retry
 * for as long as the busy timeout would have waited.
 */
static int set_wal(sqlite3 *db, struct ctr_error **err)
{
    const struct timespec pause = {0, 10 * 1000 * 1000};

    for (int tries = 0; !journal_is_wal(db); tries++) {
        int rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);

        if (rc == SQLITE_OK)
            continue;
        if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
            return storage_sqlite_error(err, db, "switch to WAL");
        if (tries * 10 >= BUSY_TIMEOUT_MS)
            return storage_sqlite_error(err, db, "switch to WAL");
        nanosleep(&pause, NULL);
    }
    return 0;
}

static int open_db(const char *path, unsigned flags, sqlite3 **ret, struct ctr_error **err)
{
    cleanup_with(sqlite3_close_v2p) sqlite3 *db = NULL;
    int oflags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;

    oflags |= (flags & STORAGE_OPEN_READONLY) ? SQLITE_OPEN_READONLY
                                              : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path, &db, oflags, NULL) != SQLITE_OK)
        return storage_sqlite_error(err, db, "open database '%s'", path);
    sqlite3_extended_result_codes(db, 1);
    /* Concurrent ctr processes wait for each other rather than failing with SQLITE_BUSY. */
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    /*
     * Every ctr command is a short process, usually the last one with the database open: by
     * default each would checkpoint the WAL and delete it on close, with three fsyncs.  The
     * WAL is checkpointed as it grows instead (every 1000 pages) and kept between processes;
     * with synchronous=NORMAL a commit is still durable against a crash of ctr, and the WAL
     * is replayed after a power loss.
     */
    sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    {
        int persist = 1;

        sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
    }
    if (exec_sql(db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;", err) < 0)
        return ctr_error_wrap(err, "set up '%s'", path);
    if (!(flags & STORAGE_OPEN_READONLY) && set_wal(db, err) < 0)
        return ctr_error_wrap(err, "set up '%s'", path);
    *ret = steal_pointer(&db);
    return 0;
}

int storage_open(const char *root, const char *runroot, unsigned flags, struct storage **ret,
                 struct ctr_error **err)
{
    uid_t uid = geteuid();
    struct storage *s;
    cleanup_free char *db_path = xasprintf("%s/ctr.db", root);
    cleanup_with(sqlite3_close_v2p) sqlite3 *db = NULL;
    int version = 0;
    struct stat st;

    if (flags & STORAGE_OPEN_READONLY) {
        if (ctr_check_owned(root, "storage root", uid, err) < 0)
            return -1;
    } else {
        if (ctr_mkdir_private(root, uid, err) < 0)
            return ctr_error_wrap(err, "storage root");
        if (ctr_mkdir_private(runroot, uid, err) < 0)
            return ctr_error_wrap(err, "runtime directory");
    }
    /* Refuse a database someone else planted: it would steer ctr to their files. */
    if (lstat(db_path, &st) == 0) {
        if (ctr_check_owned(db_path, "database", uid, err) < 0)
            return -1;
        if (!S_ISREG(st.st_mode))
            return ctr_error_set(err, EINVAL, "database '%s' is not a regular file", db_path);
    } else if (errno != ENOENT) {
        return ctr_error_errno(err, "database '%s'", db_path);
    } else if (flags & STORAGE_OPEN_READONLY) {
        return ctr_error_set(err, ENOENT, "no database at '%s' yet", db_path);
    }
    if (open_db(db_path, flags, &db, err) < 0)
        return -1;
    if (flags & STORAGE_OPEN_READONLY) {
        if (read_user_version(db, &version, err) < 0)
            return -1;
        if (version != N_MIGRATIONS)
            return ctr_error_set(err, EPROTO,
                                 "database '%s' has schema version %d, this ctr needs %d: run "
                                 "any ctr command that writes to migrate it",
                                 db_path, version, N_MIGRATIONS);
    } else {
        if (migrate(db, db_path, &version, err) < 0)
            return -1;
        /* The database may hold image configs and credentials' traces: owner only. */
        if (chmod(db_path, 0600) < 0)
            return ctr_error_errno(err, "chmod '%s'", db_path);
    }
    s = xzalloc(sizeof(*s));
    s->root = xstrdup(root);
    s->runroot = xstrdup(runroot);
    s->db_path = steal_pointer(&db_path);
    s->db = steal_pointer(&db);
    s->schema_version = version;
    *ret = s;
    return 0;
}

void storage_close(struct storage *s)
{
    if (s == NULL)
        return;
    sqlite3_close_v2(s->db);
    free(s->root);
    free(s->runroot);
    free(s->db_path);
    free(s);
}
