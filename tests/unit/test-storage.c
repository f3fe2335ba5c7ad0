/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "store.h"
#include "unit.h"
#include "xalloc.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* A fresh scratch directory, removed at exit. */
static char scratch[] = "/tmp/ctr-test-storage-XXXXXX";

static void remove_scratch(void)
{
    nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *make_scratch(void)
{
    if (mkdtemp(scratch) == NULL)
        UNIT_FAIL("mkdtemp: %s", strerror(errno));
    atexit(remove_scratch);
    return scratch;
}

static void paths(const struct storage_env *env, const char *root, const char *runroot)
{
    cleanup_error struct ctr_error *err = NULL;
    struct storage_paths p = {NULL, NULL};

    ASSERT_OK(storage_paths_default(env, &p, &err), &err);
    ASSERT_STR_EQ(p.root, root);
    ASSERT_STR_EQ(p.runroot, runroot);
    storage_paths_clear(&p);
}

TEST(paths_xdg)
{
    struct storage_env env = {.euid = 1000,
                              .home = "/home/a",
                              .xdg_data_home = "/data",
                              .xdg_runtime_dir = "/run/user/1000"};

    paths(&env, "/data/ctr", "/run/user/1000/ctr");
}

TEST(paths_fallbacks)
{
    struct storage_env env = {.euid = 1000, .home = "/home/a"};

    paths(&env, "/home/a/.local/share/ctr", "/tmp/ctr-run-1000");
    env.tmpdir = "/var/tmp";
    paths(&env, "/home/a/.local/share/ctr", "/var/tmp/ctr-run-1000");
    /* The XDG spec says relative values are invalid and must be ignored. */
    env.xdg_data_home = "rel/data";
    env.xdg_runtime_dir = "";
    env.tmpdir = "relative";
    paths(&env, "/home/a/.local/share/ctr", "/tmp/ctr-run-1000");
}

TEST(paths_root)
{
    struct storage_env env = {.euid = 0, .home = "/root", .xdg_data_home = "/x"};

    paths(&env, "/var/lib/ctr", "/run/ctr");
}

TEST(paths_no_home)
{
    cleanup_error struct ctr_error *err = NULL;
    struct storage_env env = {.euid = 1000};
    struct storage_paths p = {NULL, NULL};

    ASSERT_FAILS(storage_paths_default(&env, &p, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "set XDG_DATA_HOME or pass --root");
}

static struct storage *open_store(const char *root, const char *runroot)
{
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = NULL;

    ASSERT_OK(storage_open(root, runroot, 0, &s, &err), &err);
    return s;
}

static char *pragma(sqlite3 *db, const char *name)
{
    cleanup_free char *sql = xasprintf("PRAGMA %s", name);
    sqlite3_stmt *st = NULL;
    char *v;

    ASSERT_INT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    ASSERT_INT_EQ(sqlite3_step(st), SQLITE_ROW);
    v = xstrdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
}

TEST(open_creates_private_store)
{
    const char *dir = make_scratch();
    cleanup_free char *root = xasprintf("%s/a/b/root", dir);
    cleanup_free char *runroot = xasprintf("%s/run", dir);
    cleanup_free char *wal = NULL, *fk = NULL, *sync = NULL;
    struct storage *s = open_store(root, runroot);
    struct stat st;

    ASSERT_INT_EQ(s->schema_version, storage_schema_version());
    ASSERT_TRUE(storage_schema_version() >= 1);
    ASSERT_INT_EQ(stat(root, &st), 0);
    ASSERT_UINT_EQ(st.st_mode & 07777, 0700);
    ASSERT_INT_EQ(stat(runroot, &st), 0);
    ASSERT_UINT_EQ(st.st_mode & 07777, 0700);
    ASSERT_INT_EQ(stat(s->db_path, &st), 0);
    ASSERT_UINT_EQ(st.st_mode & 07777, 0600);
    wal = pragma(s->db, "journal_mode");
    fk = pragma(s->db, "foreign_keys");
    sync = pragma(s->db, "synchronous");
    ASSERT_STR_EQ(wal, "wal");
    ASSERT_STR_EQ(fk, "1");
    ASSERT_STR_EQ(sync, "1"); /* NORMAL */
    storage_close(s);
    /* Reopening is idempotent and keeps the version. */
    s = open_store(root, runroot);
    ASSERT_INT_EQ(s->schema_version, storage_schema_version());
    storage_close(s);
}

TEST(schema_has_tables)
{
    const char *dir = make_scratch();
    cleanup_free char *root = xasprintf("%s/root", dir);
    cleanup_free char *runroot = xasprintf("%s/run", dir);
    struct storage *s = open_store(root, runroot);
    const char *tables[] = {"images", "image_names", "image_layers", "layers", "containers"};

    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        sqlite3_stmt *st = NULL;

        ASSERT_INT_EQ(sqlite3_prepare_v2(s->db,
                                         "SELECT count(*) FROM sqlite_master WHERE type = "
                                         "'table' AND name = ?",
                                         -1, &st, NULL),
                      SQLITE_OK);
        sqlite3_bind_text(st, 1, tables[i], -1, SQLITE_STATIC);
        ASSERT_INT_EQ(sqlite3_step(st), SQLITE_ROW);
        if (sqlite3_column_int(st, 0) != 1)
            UNIT_FAIL("table '%s' is missing", tables[i]);
        sqlite3_finalize(st);
    }
    /* Foreign keys are enforced: a name cannot point at a missing image. */
    ASSERT_TRUE(sqlite3_exec(s->db, "INSERT INTO image_names(name, image_id) VALUES ('x', 'nope')",
                             NULL, NULL, NULL) != SQLITE_OK);
    storage_close(s);
}

TEST(newer_schema_refused)
{
    const char *dir = make_scratch();
    cleanup_free char *root = xasprintf("%s/root", dir);
    cleanup_free char *runroot = xasprintf("%s/run", dir);
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = open_store(root, runroot);

    ASSERT_INT_EQ(sqlite3_exec(s->db, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
    storage_close(s);
    s = NULL;
    ASSERT_FAILS(storage_open(root, runroot, 0, &s, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "schema version 999, newer than this ctr knows");
    ASSERT_STR_CONTAINS(err->msg, "upgrade ctr");
}

TEST(world_writable_root_refused)
{
    const char *dir = make_scratch();
    cleanup_free char *root = xasprintf("%s/root", dir);
    cleanup_free char *runroot = xasprintf("%s/run", dir);
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = NULL;

    ASSERT_INT_EQ(mkdir(root, 0700), 0);
    ASSERT_INT_EQ(chmod(root, 0777), 0);
    ASSERT_FAILS(storage_open(root, runroot, 0, &s, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "is writable by other users (mode 0777)");
    ASSERT_STR_CONTAINS(err->msg, "chmod go-w");
}

TEST(root_owned_by_another_user_refused)
{
    const char *dir = make_scratch();
    cleanup_free char *root = xasprintf("%s/root", dir);
    cleanup_free char *runroot = xasprintf("%s/run", dir);
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = NULL;

    if (geteuid() == 0) {
        ASSERT_INT_EQ(mkdir(root, 0700), 0);
        ASSERT_INT_EQ(chown(root, 65534, 65534), 0);
    } else {
        /* Unprivileged, the nearest directory someone else owns is the filesystem root. */
        free(root);
        root = xstrdup("/");
    }
    ASSERT_FAILS(storage_open(root, runroot, 0, &s, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "is owned by uid");
    ASSERT_STR_CONTAINS(err->msg, "not by you");
}

TEST(foreign_database_refused)
{
    const char *dir = make_scratch();
    cleanup_free char *root = xasprintf("%s/root", dir);
    cleanup_free char *runroot = xasprintf("%s/run", dir);
    cleanup_free char *db = xasprintf("%s/ctr.db", root);
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = NULL;

    ASSERT_INT_EQ(mkdir(root, 0700), 0);
    /* A link to a file another user owns (root's /etc/passwd) must not be opened. */
    ASSERT_INT_EQ(symlink("/etc/passwd", db), 0);
    if (geteuid() == 0) {
        ASSERT_INT_EQ(unlink(db), 0);
        ASSERT_INT_EQ(close(creat(db, 0600)), 0);
        ASSERT_INT_EQ(chown(db, 65534, 65534), 0);
    }
    ASSERT_FAILS(storage_open(root, runroot, 0, &s, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "database");
    ASSERT_STR_CONTAINS(err->msg, "is owned by uid");
}

TEST(readonly_open)
{
    const char *dir = make_scratch();
    cleanup_free char *root = xasprintf("%s/root", dir);
    cleanup_free char *runroot = xasprintf("%s/run", dir);
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = NULL;

    ASSERT_FAILS(storage_open(root, runroot, STORAGE_OPEN_READONLY, &s, &err), &err);
    ASSERT_INT_EQ(access(root, F_OK), -1); /* read-only open created nothing */
    ctr_error_clear(&err);
    storage_close(open_store(root, runroot));
    ASSERT_OK(storage_open(root, runroot, STORAGE_OPEN_READONLY, &s, &err), &err);
    ASSERT_TRUE(sqlite3_exec(s->db, "DELETE FROM images", NULL, NULL, NULL) != SQLITE_OK);
    storage_close(s);
}

TEST(concurrent_first_open)
{
    const char *dir = make_scratch();
    cleanup_free char *root = xasprintf("%s/root", dir);
    cleanup_free char *runroot = xasprintf("%s/run", dir);
    pid_t pids[8];
    struct storage *s;

    /* Eight processes creating and migrating one fresh store at once all succeed. */
    for (int i = 0; i < 8; i++) {
        pids[i] = fork();
        ASSERT_TRUE(pids[i] >= 0);
        if (pids[i] == 0) {
            struct ctr_error *err = NULL;
            struct storage *c = NULL;

            if (storage_open(root, runroot, 0, &c, &err) < 0) {
                fprintf(stderr, "child %d: %s\n", i, err->msg);
                _exit(1);
            }
            storage_close(c);
            _exit(0);
        }
    }
    for (int i = 0; i < 8; i++) {
        int status;

        ASSERT_INT_EQ(waitpid(pids[i], &status, 0), pids[i]);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_INT_EQ(WEXITSTATUS(status), 0);
    }
    s = open_store(root, runroot);
    ASSERT_INT_EQ(s->schema_version, storage_schema_version());
    storage_close(s);
}
