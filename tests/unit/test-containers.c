/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "containers.h"
#include "proc.h"
#include "unit.h"
#include "xalloc.h"

/* Full ids are 64 hex digits: 8 that tell them apart and a common tail of 56. */
#define TAIL "0123456789abcdef0123456789abcdef0123456789abcdef01234567"
#define ID_A "aaaa1111" TAIL
#define ID_B "aaab2222" TAIL
#define ID_C "c0ffee33" TAIL
#define ID_D "aaac4444" TAIL
#define ID_E "dddd5555" TAIL
#define ID_9 "9f000000" TAIL
#define ID_0 "a0000000" TAIL
#define ID_F "ffffffff" TAIL

static char scratch[] = "/tmp/ctr-test-containers-XXXXXX";
static pid_t scratch_owner;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_scratch(void)
{
    /* Forked children leave with _exit(), but a failing assertion exits: not theirs to clean. */
    if (getpid() == scratch_owner)
        nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *make_scratch(void)
{
    if (mkdtemp(scratch) == NULL)
        UNIT_FAIL("mkdtemp: %s", strerror(errno));
    scratch_owner = getpid();
    atexit(remove_scratch);
    return scratch;
}

static struct storage *reopen(void)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *root = xasprintf("%s/root", scratch);
    cleanup_free char *run = xasprintf("%s/run", scratch);
    struct storage *s = NULL;

    ASSERT_OK(storage_open(root, run, 0, &s, &err), &err);
    return s;
}

static struct storage *open_store(void)
{
    make_scratch();
    return reopen();
}

static void add(struct storage *s, const char *id, const char *name, int64_t created)
{
    cleanup_error struct ctr_error *err = NULL;
    struct storage_container c = {
            .id = (char *)id,
            .name = (char *)name,
            .image_name = (char *)"docker.io/library/busybox:latest",
            .command = (char *)"sh -c true",
            .config = (char *)"{}",
            .created = created,
    };

    ASSERT_OK(storage_container_add(s, &c, &err), &err);
}

/* Finds `key` and returns the container's id (the caller frees). */
static char *find_id(struct storage *s, const char *key)
{
    cleanup_error struct ctr_error *err = NULL;
    struct storage_container c = {0};
    char *id;

    ASSERT_OK(storage_container_find(s, key, &c, &err), &err);
    id = steal_pointer(&c.id);
    storage_container_clear(&c);
    return id;
}

static void find(struct storage *s, const char *key, struct storage_container *ret)
{
    cleanup_error struct ctr_error *err = NULL;

    ASSERT_OK(storage_container_find(s, key, ret, &err), &err);
}

/* What the row of `id` says, read around the library: "state|exit_code or NULL". */
static char *row_state(struct storage *s, const char *id)
{
    sqlite3_stmt *st = NULL;
    char *v;

    ASSERT_INT_EQ(sqlite3_prepare_v2(s->db,
                                     "SELECT state || '|' || coalesce(exit_code, 'NULL') FROM "
                                     "containers WHERE id = ?",
                                     -1, &st, NULL),
                  SQLITE_OK);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    ASSERT_INT_EQ(sqlite3_step(st), SQLITE_ROW);
    v = xstrdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
}

static uint64_t start_time(pid_t pid)
{
    cleanup_error struct ctr_error *err = NULL;
    uint64_t start = 0;

    ASSERT_OK(ctr_proc_start_time(pid, &start, &err), &err);
    return start;
}

/* A process that has come and gone: its pid and start time, already reaped. */
static pid_t dead_process(uint64_t *ret_start)
{
    int fds[2];
    pid_t pid;
    char c;

    ASSERT_INT_EQ(pipe(fds), 0);
    pid = fork();
    ASSERT_TRUE(pid >= 0);
    if (pid == 0) {
        close(fds[1]);
        if (read(fds[0], &c, 1) < 0)
            _exit(2);
        _exit(0);
    }
    close(fds[0]);
    *ret_start = start_time(pid);
    close(fds[1]);
    ASSERT_INT_EQ(waitpid(pid, NULL, 0), pid);
    return pid;
}

TEST(state_names)
{
    ASSERT_STR_EQ(storage_container_state_name(STORAGE_CONTAINER_CREATED), "created");
    ASSERT_STR_EQ(storage_container_state_name(STORAGE_CONTAINER_RUNNING), "running");
    ASSERT_STR_EQ(storage_container_state_name(STORAGE_CONTAINER_EXITED), "exited");
    ASSERT_STR_EQ(storage_container_state_name((enum storage_container_state)42), "unknown");
}

TEST(add_and_find)
{
    struct storage *s = open_store();
    struct storage_container c = {0};
    cleanup_free char *by_id = NULL, *by_prefix = NULL, *by_one = NULL;

    add(s, ID_A, "web", 100);
    add(s, ID_C, "db", 200);
    find(s, "web", &c);
    ASSERT_STR_EQ(c.id, ID_A);
    ASSERT_STR_EQ(c.name, "web");
    ASSERT_TRUE(c.image_id == NULL);
    ASSERT_STR_EQ(c.image_name, "docker.io/library/busybox:latest");
    ASSERT_STR_EQ(c.command, "sh -c true");
    ASSERT_STR_EQ(c.config, "{}");
    ASSERT_INT_EQ(c.state, STORAGE_CONTAINER_CREATED);
    ASSERT_INT_EQ(c.created, 100);
    ASSERT_INT_EQ(c.started, 0);
    ASSERT_INT_EQ(c.finished, 0);
    ASSERT_INT_EQ(c.pid, 0);
    ASSERT_INT_EQ(c.monitor_pid, 0);
    ASSERT_INT_EQ(c.exit_code, -1);
    storage_container_clear(&c);
    ASSERT_TRUE(c.id == NULL);
    storage_container_clear(NULL);
    by_id = find_id(s, ID_C);
    by_prefix = find_id(s, "c0ffee");
    by_one = find_id(s, "c");
    ASSERT_STR_EQ(by_id, ID_C);
    ASSERT_STR_EQ(by_prefix, ID_C);
    ASSERT_STR_EQ(by_one, ID_C);
    storage_close(s);
}

TEST(find_name_before_prefix)
{
    struct storage *s = open_store();
    cleanup_free char *a = NULL;

    /* A name that is also a prefix of another container's id means the named one. */
    add(s, ID_A, "c0ffee", 100);
    add(s, ID_C, "db", 200);
    a = find_id(s, "c0ffee");
    ASSERT_STR_EQ(a, ID_A);
    storage_close(s);
}

TEST(find_ambiguous_prefix)
{
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = open_store();
    struct storage_container c = {0};
    cleanup_free char *b = NULL;

    add(s, ID_A, "one", 100);
    add(s, ID_B, "two", 200);
    add(s, ID_D, "three", 300);
    ASSERT_FAILS(storage_container_find(s, "aaa", &c, &err), &err);
    ASSERT_INT_EQ(err->code, EINVAL);
    ASSERT_STR_CONTAINS(err->msg, "'aaa' matches 3 containers");
    ASSERT_TRUE(c.id == NULL); /* untouched */
    ctr_error_clear(&err);
    ASSERT_FAILS(storage_container_find(s, "a", &c, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "matches 3 containers");
    b = find_id(s, "aaab");
    ASSERT_STR_EQ(b, ID_B);
    storage_close(s);
}

TEST(find_missing)
{
    const char *keys[] = {"nope", "", "ffff", "AAAA", "aaa%", "aaa_", ID_A "0", "a*"};
    struct storage *s = open_store();

    add(s, ID_A, "web", 100);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        cleanup_error struct ctr_error *err = NULL;
        cleanup_free char *want = xasprintf("no container with name or id '%s' found", keys[i]);
        struct storage_container c = {0};

        ASSERT_FAILS(storage_container_find(s, keys[i], &c, &err), &err);
        ASSERT_INT_EQ(err->code, ENOENT);
        ASSERT_STR_EQ(err->msg, want);
    }
    storage_close(s);
}

TEST(prefix_bounds)
{
    struct storage *s = open_store();
    cleanup_free char *a = NULL, *b = NULL;

    /* Raising the last digit of "...9" gives ':' and of "...f" gives 'g': both still bound
     * exactly the ids that start with the prefix. */
    add(s, ID_9, "nine", 100);
    add(s, ID_0, "ay", 200);
    add(s, ID_F, "ef", 300);
    a = find_id(s, "9");
    b = find_id(s, "9f");
    ASSERT_STR_EQ(a, ID_9);
    ASSERT_STR_EQ(b, ID_9);
    free(a);
    free(b);
    a = find_id(s, "a");
    b = find_id(s, "f");
    ASSERT_STR_EQ(a, ID_0);
    ASSERT_STR_EQ(b, ID_F);
    free(a);
    a = find_id(s, ID_F);
    ASSERT_STR_EQ(a, ID_F);
    storage_close(s);
}

TEST(name_conflict)
{
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = open_store();
    struct storage_container c = {
            .id = (char *)ID_B,
            .name = (char *)"web",
            .config = (char *)"{}",
            .created = 5,
    };
    struct storage_container *list = NULL;
    size_t n = 0;

    add(s, ID_A, "web", 100);
    ASSERT_FAILS(storage_container_add(s, &c, &err), &err);
    ASSERT_INT_EQ(err->code, EEXIST);
    ASSERT_STR_EQ(err->msg, "the container name 'web' is already in use by aaaa11110123: remove "
                            "it ('ctr rm web') or use --replace");
    ctr_error_clear(&err);
    /* The same id twice. */
    c.id = (char *)ID_A;
    c.name = (char *)"other";
    ASSERT_FAILS(storage_container_add(s, &c, &err), &err);
    ASSERT_INT_EQ(err->code, EEXIST);
    ASSERT_STR_CONTAINS(err->msg, "a container with id '" ID_A "' already exists");
    ctr_error_clear(&err);
    /* An image that is not in the store. */
    c.id = (char *)ID_B;
    c.image_id = (char *)"sha256:0000";
    ASSERT_FAILS(storage_container_add(s, &c, &err), &err);
    ASSERT_INT_EQ(err->code, ENOENT);
    ASSERT_STR_CONTAINS(err->msg, "no image 'sha256:0000'");
    ctr_error_clear(&err);
    /* Required fields. */
    c.image_id = NULL;
    c.config = NULL;
    ASSERT_FAILS(storage_container_add(s, &c, &err), &err);
    ASSERT_INT_EQ(err->code, EINVAL);
    ctr_error_clear(&err);
    /* Nothing half-added, and the store still takes writes (no transaction left open). */
    ASSERT_OK(storage_container_list(s, &list, &n, &err), &err);
    ASSERT_UINT_EQ(n, 1);
    storage_container_list_free(list, n);
    add(s, ID_B, "other", 200);
    storage_close(s);
}

TEST(list_newest_first)
{
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = open_store();
    struct storage_container *list = NULL;
    size_t n = 99;

    ASSERT_OK(storage_container_list(s, &list, &n, &err), &err);
    ASSERT_UINT_EQ(n, 0);
    storage_container_list_free(list, n);
    add(s, ID_B, "middle", 200);
    add(s, ID_C, "newest", 300);
    add(s, ID_A, "oldest", 100);
    add(s, ID_E, "tie", 300); /* same time as "newest", added later */
    ASSERT_OK(storage_container_list(s, &list, &n, &err), &err);
    ASSERT_UINT_EQ(n, 4);
    ASSERT_STR_EQ(list[0].name, "tie");
    ASSERT_STR_EQ(list[1].name, "newest");
    ASSERT_STR_EQ(list[2].name, "middle");
    ASSERT_STR_EQ(list[3].name, "oldest");
    storage_container_list_free(list, n);
    storage_container_list_free(NULL, 0);
    storage_close(s);
}

TEST(running_exited_guarded_by_pid)
{
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = open_store();
    struct storage_container c = {0};
    uint64_t me = start_time(getpid());
    int64_t before = ctr_now_ns();
    pid_t parent = getppid();

    add(s, ID_A, "web", 100);
    ASSERT_OK(
            storage_container_set_running(s, ID_A, getpid(), me, parent, start_time(parent), &err),
            &err);
    find(s, "web", &c);
    ASSERT_INT_EQ(c.state, STORAGE_CONTAINER_RUNNING);
    ASSERT_INT_EQ(c.pid, getpid());
    ASSERT_UINT_EQ(c.pid_start, me);
    ASSERT_INT_EQ(c.monitor_pid, parent);
    ASSERT_UINT_EQ(c.monitor_start, start_time(parent));
    ASSERT_TRUE(c.started >= before);
    ASSERT_INT_EQ(c.finished, 0);
    ASSERT_INT_EQ(c.exit_code, -1);
    storage_container_clear(&c);
    /* Running and alive: a second start is refused. */
    ASSERT_FAILS(storage_container_set_running(s, ID_A, getpid(), me, 0, 0, &err), &err);
    ASSERT_INT_EQ(err->code, EBUSY);
    ASSERT_STR_CONTAINS(err->msg, "container 'web' is already running");
    ctr_error_clear(&err);
    /* An exit reported for another pid (an earlier run) is ignored. */
    ASSERT_INT_EQ(storage_container_set_exited(s, ID_A, getpid() + 1, 9, &err), 0);
    ASSERT_TRUE(err == NULL);
    find(s, "web", &c);
    ASSERT_INT_EQ(c.state, STORAGE_CONTAINER_RUNNING);
    storage_container_clear(&c);
    ASSERT_INT_EQ(storage_container_set_exited(s, ID_A, getpid(), 137, &err), 1);
    ASSERT_TRUE(err == NULL);
    find(s, "web", &c);
    ASSERT_INT_EQ(c.state, STORAGE_CONTAINER_EXITED);
    ASSERT_INT_EQ(c.exit_code, 137);
    ASSERT_TRUE(c.finished >= c.started);
    storage_container_clear(&c);
    /* A known code is not overwritten by a second report. */
    ASSERT_INT_EQ(storage_container_set_exited(s, ID_A, getpid(), 1, &err), 0);
    ASSERT_TRUE(err == NULL);
    /* Back to created after a failed start clears the run. */
    ASSERT_INT_EQ(storage_container_set_created(s, ID_A, &err), 1);
    ASSERT_TRUE(err == NULL);
    find(s, "web", &c);
    ASSERT_INT_EQ(c.state, STORAGE_CONTAINER_CREATED);
    ASSERT_INT_EQ(c.pid, 0);
    ASSERT_INT_EQ(c.started, 0);
    ASSERT_INT_EQ(c.exit_code, -1);
    storage_container_clear(&c);
    ASSERT_INT_EQ(storage_container_set_created(s, ID_B, &err), 0);
    ASSERT_TRUE(err == NULL);
    ASSERT_FAILS(storage_container_set_running(s, ID_B, getpid(), me, 0, 0, &err), &err);
    ASSERT_INT_EQ(err->code, ENOENT);
    storage_close(s);
}

TEST(reconcile_live_pid)
{
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = open_store();
    struct storage_container c = {0};
    cleanup_free char *row = NULL;

    add(s, ID_A, "web", 100);
    ASSERT_OK(storage_container_set_running(s, ID_A, getpid(), start_time(getpid()), 0, 0, &err),
              &err);
    find(s, "web", &c);
    ASSERT_INT_EQ(c.state, STORAGE_CONTAINER_RUNNING);
    ASSERT_OK(storage_container_reconcile(s, &c, &err), &err);
    ASSERT_INT_EQ(c.state, STORAGE_CONTAINER_RUNNING);
    storage_container_clear(&c);
    row = row_state(s, ID_A);
    ASSERT_STR_EQ(row, "running|NULL");
    storage_close(s);
}

TEST(reconcile_dead_pid)
{
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = open_store();
    struct storage_container c = {0};
    cleanup_free char *row = NULL;
    struct storage_container *list = NULL;
    size_t n = 0;
    uint64_t start = 0;
    pid_t pid = dead_process(&start);
    int64_t before = ctr_now_ns();

    add(s, ID_A, "web", 100);
    add(s, ID_C, "same-pid-new-start", 200);
    ASSERT_OK(storage_container_set_running(s, ID_A, pid, start, 0, 0, &err), &err);
    /* A live pid whose start time differs is another process: reused. */
    ASSERT_OK(
            storage_container_set_running(s, ID_C, getpid(), start_time(getpid()) + 1, 0, 0, &err),
            &err);
    ASSERT_OK(storage_container_list(s, &list, &n, &err), &err);
    ASSERT_UINT_EQ(n, 2);
    for (size_t i = 0; i < n; i++) {
        ASSERT_INT_EQ(list[i].state, STORAGE_CONTAINER_EXITED);
        ASSERT_INT_EQ(list[i].exit_code, -1);
        ASSERT_TRUE(list[i].finished >= before);
    }
    storage_container_list_free(list, n);
    /* The monitor is gone too (there was none): the row now says exited, code unknown. */
    row = row_state(s, ID_A);
    ASSERT_STR_EQ(row, "exited|NULL");
    free(row);
    row = row_state(s, ID_C);
    ASSERT_STR_EQ(row, "exited|NULL");
    /* A late report from the monitor still records the code over the unknown one. */
    ASSERT_INT_EQ(storage_container_set_exited(s, ID_A, pid, 3, &err), 1);
    ASSERT_TRUE(err == NULL);
    find(s, ID_A, &c);
    ASSERT_INT_EQ(c.state, STORAGE_CONTAINER_EXITED);
    ASSERT_INT_EQ(c.exit_code, 3);
    storage_container_clear(&c);
    /* Exited and not running: starting again is allowed. */
    ASSERT_OK(storage_container_set_running(s, ID_A, getpid(), start_time(getpid()), 0, 0, &err),
              &err);
    storage_close(s);
}

TEST(reconcile_leaves_row_to_live_monitor)
{
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = open_store();
    struct storage_container c = {0};
    cleanup_free char *row = NULL;
    uint64_t start = 0;
    pid_t pid = dead_process(&start);

    add(s, ID_A, "web", 100);
    /* This test process plays the monitor that has yet to record the exit. */
    ASSERT_OK(storage_container_set_running(s, ID_A, pid, start, getpid(), start_time(getpid()),
                                            &err),
              &err);
    find(s, "web", &c);
    ASSERT_INT_EQ(c.state, STORAGE_CONTAINER_EXITED);
    ASSERT_INT_EQ(c.exit_code, -1);
    ASSERT_TRUE(c.finished > 0);
    storage_container_clear(&c);
    row = row_state(s, ID_A);
    ASSERT_STR_EQ(row, "running|NULL");
    free(row);
    ASSERT_INT_EQ(storage_container_set_exited(s, ID_A, pid, 0, &err), 1);
    ASSERT_TRUE(err == NULL);
    row = row_state(s, ID_A);
    ASSERT_STR_EQ(row, "exited|0");
    storage_close(s);
}

TEST(reconcile_readonly_store)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *root = NULL, *run = NULL, *row = NULL;
    struct storage *s = open_store();
    struct storage *ro = NULL;
    struct storage_container c = {0};
    uint64_t start = 0;
    pid_t pid = dead_process(&start);

    add(s, ID_A, "web", 100);
    ASSERT_OK(storage_container_set_running(s, ID_A, pid, start, 0, 0, &err), &err);
    /* A reader that cannot write still shows the exit. */
    root = xasprintf("%s/root", scratch);
    run = xasprintf("%s/run", scratch);
    ASSERT_OK(storage_open(root, run, STORAGE_OPEN_READONLY, &ro, &err), &err);
    ASSERT_OK(storage_container_find(ro, "web", &c, &err), &err);
    ASSERT_INT_EQ(c.state, STORAGE_CONTAINER_EXITED);
    ASSERT_INT_EQ(c.exit_code, -1);
    storage_container_clear(&c);
    storage_close(ro);
    row = row_state(s, ID_A);
    ASSERT_STR_EQ(row, "running|NULL");
    storage_close(s);
}

TEST(reconcile_stale_struct_rereads_row)
{
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = open_store();
    struct storage_container stale = {0};
    cleanup_free char *row = NULL;
    uint64_t start = 0;
    pid_t pid = dead_process(&start);

    add(s, ID_A, "web", 100);
    ASSERT_OK(storage_container_set_running(s, ID_A, pid, start, getpid(), start_time(getpid()),
                                            &err),
              &err);
    find(s, "web", &stale); /* exited in the struct; the row is the monitor's */
    /* Meanwhile the container is started again, with a live init. */
    ASSERT_OK(storage_container_set_running(s, ID_A, getpid(), start_time(getpid()), 0, 0, &err),
              &err);
    stale.state = STORAGE_CONTAINER_RUNNING;
    stale.monitor_pid = 0;
    /* The guarded write misses; the struct takes what the row says now. */
    ASSERT_OK(storage_container_reconcile(s, &stale, &err), &err);
    ASSERT_INT_EQ(stale.state, STORAGE_CONTAINER_RUNNING);
    ASSERT_INT_EQ(stale.pid, getpid());
    storage_container_clear(&stale);
    row = row_state(s, ID_A);
    ASSERT_STR_EQ(row, "running|NULL");
    storage_close(s);
}

TEST(delete)
{
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = open_store();
    struct storage_container c = {0};

    add(s, ID_A, "web", 100);
    ASSERT_INT_EQ(storage_container_delete(s, ID_A, &err), 1);
    ASSERT_INT_EQ(storage_container_delete(s, ID_A, &err), 0);
    ASSERT_TRUE(err == NULL);
    ASSERT_FAILS(storage_container_find(s, "web", &c, &err), &err);
    ASSERT_INT_EQ(err->code, ENOENT);
    storage_close(s);
}

TEST(new_id)
{
    char a[65], b[65];

    storage_container_new_id(a);
    storage_container_new_id(b);
    ASSERT_UINT_EQ(strlen(a), 64);
    ASSERT_UINT_EQ(strspn(a, "0123456789abcdef"), 64);
    ASSERT_TRUE(strcmp(a, b) != 0);
}

static int valid_generated_name(const char *name)
{
    size_t adj = strspn(name, "abcdefghijklmnopqrstuvwxyz");
    size_t sur;

    if (adj == 0 || name[adj] != '_')
        return 0;
    sur = strspn(name + adj + 1, "abcdefghijklmnopqrstuvwxyz");
    if (sur == 0)
        return 0;
    return strspn(name + adj + 1 + sur, "0123456789") == strlen(name + adj + 1 + sur);
}

TEST(new_name_unique)
{
    struct storage *s = open_store();
    int with_digits = 0;

    /* More names than plain adjective_surname pairs exist: the digits take over, and no name
     * is ever handed out twice (add() would fail on a duplicate). */
    for (int i = 0; i < 2000; i++) {
        cleanup_error struct ctr_error *err = NULL;
        cleanup_free char *name = storage_container_new_name(s, &err);
        char id[65];

        ASSERT_OK(name, &err);
        if (!valid_generated_name(name))
            UNIT_FAIL("generated name '%s' is not adjective_surname[digits]", name);
        with_digits += name[strlen(name) - 1] >= '0' && name[strlen(name) - 1] <= '9';
        storage_container_new_id(id);
        add(s, id, name, 1 + i);
    }
    ASSERT_TRUE(with_digits > 0);
    storage_close(s);
}

TEST(schema_v2_monitor_columns)
{
    struct storage *s = open_store();
    const char *cols[] = {"monitor_pid", "monitor_start"};

    ASSERT_TRUE(storage_schema_version() >= 2);
    ASSERT_INT_EQ(s->schema_version, storage_schema_version());
    for (size_t i = 0; i < 2; i++) {
        sqlite3_stmt *st = NULL;

        ASSERT_INT_EQ(sqlite3_prepare_v2(s->db,
                                         "SELECT type FROM pragma_table_info('containers') "
                                         "WHERE name = ?",
                                         -1, &st, NULL),
                      SQLITE_OK);
        sqlite3_bind_text(st, 1, cols[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW)
            UNIT_FAIL("column containers.%s is missing", cols[i]);
        ASSERT_STR_EQ((const char *)sqlite3_column_text(st, 0), "INTEGER");
        sqlite3_finalize(st);
    }
    storage_close(s);
}

TEST(migrate_v1_store)
{
    const char *dir = make_scratch();
    cleanup_free char *root = xasprintf("%s/root", dir);
    cleanup_free char *db_path = xasprintf("%s/ctr.db", root);
    struct storage_container c = {0};
    struct storage *s;
    sqlite3 *db = NULL;

    /* A store as schema version 1 left it, with a container running under an old ctr. */
    ASSERT_INT_EQ(mkdir(root, 0700), 0);
    ASSERT_INT_EQ(sqlite3_open(db_path, &db), SQLITE_OK);
    ASSERT_INT_EQ(sqlite3_exec(db,
                               "CREATE TABLE containers (id TEXT PRIMARY KEY, name TEXT NOT NULL "
                               "UNIQUE, image_id TEXT, image_name TEXT, command TEXT, config "
                               "TEXT NOT NULL, state TEXT NOT NULL, created INTEGER NOT NULL, "
                               "started INTEGER, finished INTEGER, pid INTEGER, pid_start "
                               "INTEGER, exit_code INTEGER);"
                               "INSERT INTO containers(id, name, config, state, created, "
                               "finished, exit_code) VALUES ('" ID_A
                               "', 'old', '{}', 'exited', 1, 2, 7);"
                               "PRAGMA user_version = 1;",
                               NULL, NULL, NULL),
                  SQLITE_OK);
    sqlite3_close(db);
    s = reopen();
    ASSERT_INT_EQ(s->schema_version, storage_schema_version());
    find(s, "old", &c);
    ASSERT_INT_EQ(c.state, STORAGE_CONTAINER_EXITED);
    ASSERT_INT_EQ(c.exit_code, 7);
    ASSERT_INT_EQ(c.monitor_pid, 0);
    ASSERT_UINT_EQ(c.monitor_start, 0);
    storage_container_clear(&c);
    storage_close(s);
}

TEST(unknown_state_is_an_error)
{
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = open_store();
    struct storage_container c = {0};

    add(s, ID_A, "web", 100);
    ASSERT_INT_EQ(sqlite3_exec(s->db, "UPDATE containers SET state = 'paused'", NULL, NULL, NULL),
                  SQLITE_OK);
    ASSERT_FAILS(storage_container_find(s, "web", &c, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "container 'web' has an unknown state 'paused'");
    storage_close(s);
}

/* Writers in several processes at once: every row arrives, none is lost or torn. */
TEST(concurrent_writers)
{
    enum {
        WRITERS = 6,
        EACH = 40
    };
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = open_store();
    struct storage_container *list = NULL;
    pid_t pids[WRITERS];
    size_t n = 0;

    /* Fork with no connection open: SQLite's per-process lock bookkeeping must not be
     * inherited by a child that opens the same file. */
    storage_close(s);
    for (int w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        ASSERT_TRUE(pids[w] >= 0);
        if (pids[w] != 0)
            continue;
        /* The child: its own connection; _exit() so the parent's scratch stays. */
        {
            cleanup_free char *root = xasprintf("%s/root", scratch);
            cleanup_free char *run = xasprintf("%s/run", scratch);
            struct storage *cs = NULL;
            struct ctr_error *e = NULL;

            if (storage_open(root, run, 0, &cs, &e) < 0)
                goto child_fail;
            for (int i = 0; i < EACH; i++) {
                char id[65];
                char *name = NULL;
                struct storage_container c = {.config = (char *)"{}", .created = 1};

                /* Two writers may draw the same free name: the loser draws again. */
                do {
                    ctr_error_clear(&e);
                    free(name);
                    name = storage_container_new_name(cs, &e);
                    if (name == NULL)
                        goto child_fail;
                    storage_container_new_id(id);
                    c.id = id;
                    c.name = name;
                } while (storage_container_add(cs, &c, &e) < 0 && e->code == EEXIST);
                free(name);
                if (e != NULL)
                    goto child_fail;
                if (storage_container_set_running(cs, id, getpid(), 1, 0, 0, &e) < 0 ||
                    storage_container_set_exited(cs, id, getpid(), i, &e) != 1)
                    goto child_fail;
            }
            storage_close(cs);
            _exit(0);
        child_fail:
            fprintf(stderr, "writer %d: %s\n", w, e ? e->msg : "set_exited changed nothing");
            _exit(1);
        }
    }
    for (int w = 0; w < WRITERS; w++) {
        int status = 0;

        ASSERT_INT_EQ(waitpid(pids[w], &status, 0), pids[w]);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_INT_EQ(WEXITSTATUS(status), 0);
    }
    s = reopen();
    ASSERT_OK(storage_container_list(s, &list, &n, &err), &err);
    ASSERT_UINT_EQ(n, WRITERS * EACH);
    for (size_t i = 0; i < n; i++) {
        ASSERT_INT_EQ(list[i].state, STORAGE_CONTAINER_EXITED);
        ASSERT_TRUE(list[i].exit_code >= 0 && list[i].exit_code < EACH);
    }
    storage_container_list_free(list, n);
    storage_close(s);
}

TEST(exit_code_outlives_the_row)
{
    struct storage *s = open_store();
    cleanup_error struct ctr_error *err = NULL;
    int code = -1;

    add(s, ID_A, "gone", 1);
    ASSERT_OK(storage_container_set_running(s, ID_A, 4242, 1, 0, 0, &err), &err);
    ASSERT_INT_EQ(storage_container_exit_code(s, ID_A, &code, &err), 0);
    ASSERT_INT_EQ(storage_container_set_exited(s, ID_A, 4242, 3, &err), 1);
    ASSERT_INT_EQ(storage_container_delete(s, ID_A, &err), 1);
    ASSERT_INT_EQ(storage_container_exit_code(s, ID_A, &code, &err), 1);
    ASSERT_INT_EQ(code, 3);
    storage_close(s);
}

TEST(restart_count_and_user_stop)
{
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = open_store();
    struct storage_container c = {0};
    uint64_t me = start_time(getpid()), old_start;
    pid_t old = dead_process(&old_start);

    add(s, ID_A, "web", 100);
    find(s, "web", &c);
    ASSERT_UINT_EQ(c.restart_count, 0);
    ASSERT_INT_EQ(c.stopped_by_user, 0);
    storage_container_clear(&c);
    /* A restart follows only an exited run: not a created container. */
    ASSERT_INT_EQ(storage_container_set_restarted(s, ID_A, old, getpid(), me, 0, 0, &err), 0);
    ASSERT_TRUE(err == NULL);
    ASSERT_OK(storage_container_set_running(s, ID_A, old, old_start, 0, 0, &err), &err);
    ASSERT_INT_EQ(storage_container_set_exited(s, ID_A, old, 3, &err), 1);
    /* Not for another run than the one that exited. */
    ASSERT_INT_EQ(storage_container_set_restarted(s, ID_A, old + 1, getpid(), me, 0, 0, &err), 0);
    ASSERT_INT_EQ(storage_container_set_restarted(s, ID_A, old, getpid(), me, 0, 0, &err), 1);
    ASSERT_TRUE(err == NULL);
    find(s, "web", &c);
    ASSERT_INT_EQ(c.state, STORAGE_CONTAINER_RUNNING);
    ASSERT_INT_EQ(c.pid, getpid());
    ASSERT_UINT_EQ(c.restart_count, 1);
    storage_container_clear(&c);
    /* Stopped by the user: the next exit is not restarted. */
    ASSERT_OK(storage_container_mark_stopped(s, ID_A, &err), &err);
    ASSERT_INT_EQ(storage_container_set_exited(s, ID_A, getpid(), 143, &err), 1);
    ASSERT_INT_EQ(storage_container_set_restarted(s, ID_A, getpid(), old, old_start, 0, 0, &err),
                  0);
    find(s, "web", &c);
    ASSERT_INT_EQ(c.state, STORAGE_CONTAINER_EXITED);
    ASSERT_INT_EQ(c.stopped_by_user, 1);
    ASSERT_UINT_EQ(c.restart_count, 1);
    storage_container_clear(&c);
    /* A start by the user forgets both. */
    ASSERT_OK(storage_container_set_running(s, ID_A, getpid(), me, 0, 0, &err), &err);
    find(s, "web", &c);
    ASSERT_INT_EQ(c.stopped_by_user, 0);
    ASSERT_UINT_EQ(c.restart_count, 0);
    storage_container_clear(&c);
    /* Marking a container that is gone is no error. */
    ASSERT_OK(storage_container_mark_stopped(s, ID_B, &err), &err);
    storage_close(s);
}
