/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "cleanup.h"
#include "containers.h"
#include "proc.h"
#include "xalloc.h"

DEFINE_CLEANUP_FUNC(sqlite3_stmt *, sqlite3_finalize)
#define cleanup_stmt cleanup_with(sqlite3_finalizep)

#define CONTAINER_COLUMNS                                                                       \
    "id, name, image_id, image_name, command, config, state, created, started, finished, pid, " \
    "pid_start, monitor_pid, monitor_start, exit_code, restart_count, stopped_by_user"

/* How a full id is written; prefixes are compared against it byte for byte. */
#define ID_LEN 64

static sqlite3_stmt *prepare(struct storage *s, const char *sql, struct ctr_error **err)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        storage_sqlite_error(err, s->db, "prepare a query");
        return NULL;
    }
    return st;
}

static int exec(struct storage *s, const char *sql, struct ctr_error **err)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return storage_sqlite_error(err, s->db, "database");
    return 0;
}

static void rollback(struct storage *s)
{
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    return t ? xstrdup((const char *)t) : NULL;
}

/* SQLite has no unsigned integers: a start time is stored as its int64 bit pattern. */
static void bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
    sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

/* 0, the struct's "none", is NULL in the database. */
static void bind_pid(sqlite3_stmt *st, int i, pid_t pid)
{
    if (pid > 0)
        sqlite3_bind_int64(st, i, pid);
    else
        sqlite3_bind_null(st, i);
}

static const char *const state_names[] = {
        [STORAGE_CONTAINER_CREATED] = "created",
        [STORAGE_CONTAINER_RUNNING] = "running",
        [STORAGE_CONTAINER_EXITED] = "exited",
};

const char *storage_container_state_name(enum storage_container_state st)
{
    if ((size_t)st < sizeof(state_names) / sizeof(state_names[0]))
        return state_names[st];
    return "unknown";
}

static int parse_state(const char *text, enum storage_container_state *ret)
{
    for (size_t i = 0; text != NULL && i < sizeof(state_names) / sizeof(state_names[0]); i++) {
        if (strcmp(text, state_names[i]) == 0) {
            *ret = (enum storage_container_state)i;
            return 0;
        }
    }
    return -1;
}

void storage_container_clear(struct storage_container *c)
{
    if (c == NULL)
        return;
    free(c->id);
    free(c->name);
    free(c->image_id);
    free(c->image_name);
    free(c->command);
    free(c->config);
    memset(c, 0, sizeof(*c));
    c->exit_code = -1;
}

void storage_container_list_free(struct storage_container *list, size_t n)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        storage_container_clear(&list[i]);
    free(list);
}

/* A row of CONTAINER_COLUMNS into `c`, which the caller clears even on failure. */
static int container_from_row(struct storage *s, sqlite3_stmt *st, struct storage_container *c,
                              struct ctr_error **err)
{
    const char *state = (const char *)sqlite3_column_text(st, 6);

    c->id = col_dup(st, 0);
    c->name = col_dup(st, 1);
    c->image_id = col_dup(st, 2);
    c->image_name = col_dup(st, 3);
    c->command = col_dup(st, 4);
    c->config = col_dup(st, 5);
    if (parse_state(state, &c->state) < 0)
        return ctr_error_set(err, EPROTO,
                             "container '%s' has an unknown state '%s' in '%s': is a newer ctr "
                             "using this store?",
                             c->name ? c->name : "", state ? state : "", s->db_path);
    c->created = sqlite3_column_int64(st, 7);
    c->started = sqlite3_column_int64(st, 8);
    c->finished = sqlite3_column_int64(st, 9);
    c->pid = (pid_t)sqlite3_column_int64(st, 10);
    c->pid_start = (uint64_t)sqlite3_column_int64(st, 11);
    c->monitor_pid = (pid_t)sqlite3_column_int64(st, 12);
    c->monitor_start = (uint64_t)sqlite3_column_int64(st, 13);
    c->exit_code = sqlite3_column_type(st, 14) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 14);
    c->restart_count = (unsigned)sqlite3_column_int64(st, 15);
    c->stopped_by_user = sqlite3_column_int(st, 16) != 0;
    return 0;
}

/* Steps `st` to its end, appending every row; `what` names the query in errors. */
static int read_rows(struct storage *s, sqlite3_stmt *st, const char *what,
                     struct storage_container **ret, size_t *ret_n, struct ctr_error **err)
{
    struct storage_container *list = NULL;
    size_t n = 0;
    int rc;

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        list = xreallocarray(list, n + 1, sizeof(*list));
        memset(&list[n], 0, sizeof(list[n]));
        n++;
        if (container_from_row(s, st, &list[n - 1], err) < 0) {
            storage_container_list_free(list, n);
            return -1;
        }
    }
    if (rc != SQLITE_DONE) {
        storage_container_list_free(list, n);
        return storage_sqlite_error(err, s->db, "%s", what);
    }
    *ret = list;
    *ret_n = n;
    return 0;
}

/* The row of `id` into *ret: 1, or 0 when there is none. */
static int load_by_id(struct storage *s, const char *id, struct storage_container *ret,
                      struct ctr_error **err)
{
    cleanup_stmt sqlite3_stmt *st =
            prepare(s, "SELECT " CONTAINER_COLUMNS " FROM containers WHERE id = ?", err);
    struct storage_container *rows = NULL;
    size_t n = 0;

    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (read_rows(s, st, "read container", &rows, &n, err) < 0)
        return ctr_error_wrap(err, "container '%s'", id);
    if (n == 0) {
        free(rows);
        return 0;
    }
    *ret = rows[0];
    free(rows);
    return 1;
}

/*
 * Random bytes for ids and names.  getrandom() blocks only until the kernel's pool is first
 * seeded, and requests of at most 256 bytes are never cut short once it is: a failure here
 * means a kernel without getrandom (before 3.17) or a seccomp filter denying it, and ctr
 * cannot name anything without randomness, so it aborts like the x* allocators do.
 */
static void fill_random(void *buf, size_t len)
{
    static const char msg[] = "ctr: getrandom() failed: no source of random ids\n";
    size_t done = 0;

    while (done < len) {
        ssize_t n = getrandom((char *)buf + done, len - done, 0);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
                /* nothing left to report with */
            }
            abort();
        }
        done += (size_t)n;
    }
}

void storage_container_new_id(char ret[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[ID_LEN / 2];

    fill_random(raw, sizeof(raw));
    for (size_t i = 0; i < sizeof(raw); i++) {
        ret[2 * i] = hex[raw[i] >> 4];
        ret[2 * i + 1] = hex[raw[i] & 0xf];
    }
    ret[ID_LEN] = '\0';
}

static uint32_t random_below(uint32_t n)
{
    uint32_t v;

    fill_random(&v, sizeof(v));
    /* The modulo bias over 2^32 is far below what a name needs to care about. */
    return v % n;
}

/* Words for generated names: plain ASCII, lowercase, short enough to type. */
static const char *const adjectives[] = {
        "agile",  "amber",  "bold",   "brave",  "bright", "calm",   "clever",  "cosy",
        "crisp",  "daring", "eager",  "fair",   "fancy",  "fluent", "gentle",  "glad",
        "golden", "happy",  "honest", "humble", "jolly",  "keen",   "kind",    "lively",
        "lucid",  "mellow", "merry",  "modest", "nimble", "noble",  "patient", "placid",
        "polite", "proud",  "quick",  "quiet",  "rapid",  "serene", "steady",  "witty",
};

static const char *const surnames[] = {
        "agnesi",   "babbage",  "banach",    "bohr",     "boole",   "cantor",  "cauchy",  "curie",
        "darwin",   "dirac",    "euclid",    "euler",    "faraday", "fermat",  "fermi",   "galois",
        "gauss",    "germain",  "hamilton",  "hilbert",  "hopper",  "huygens", "jacobi",  "kepler",
        "lagrange", "laplace",  "leibniz",   "lovelace", "maxwell", "meitner", "noether", "pascal",
        "planck",   "poincare", "ramanujan", "riemann",  "shannon", "turing",  "volta",   "wiles",
};

#define N_ADJECTIVES ((uint32_t)(sizeof(adjectives) / sizeof(adjectives[0])))
#define N_SURNAMES   ((uint32_t)(sizeof(surnames) / sizeof(surnames[0])))

/* Plain "adjective_surname" names tried before digits are added. */
#define NAME_PLAIN_TRIES 16
/* Then "adjective_surnameNNN"; a store this full of generated names asks for --name. */
#define NAME_TOTAL_TRIES 1000

/* 1 when a container is called `name`, 0 when none is. */
static int name_taken(struct storage *s, sqlite3_stmt *st, const char *name, struct ctr_error **err)
{
    int rc;

    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc != SQLITE_DONE)
        return storage_sqlite_error(err, s->db, "look up container name '%s'", name);
    return 0;
}

char *storage_container_new_name(struct storage *s, struct ctr_error **err)
{
    cleanup_stmt sqlite3_stmt *st = prepare(s, "SELECT 1 FROM containers WHERE name = ?", err);

    if (st == NULL)
        return NULL;
    for (int i = 0; i < NAME_TOTAL_TRIES; i++) {
        const char *adj = adjectives[random_below(N_ADJECTIVES)];
        const char *sur = surnames[random_below(N_SURNAMES)];
        cleanup_free char *name = NULL;
        int r;

        if (i < NAME_PLAIN_TRIES)
            name = xasprintf("%s_%s", adj, sur);
        else
            name = xasprintf("%s_%s%u", adj, sur, (unsigned)random_below(i < 100 ? 100 : 10000));
        r = name_taken(s, st, name, err);
        if (r < 0)
            return NULL;
        if (r == 0)
            return steal_pointer(&name);
    }
    ctr_error_set(err, EEXIST, "cannot find an unused container name after %d tries: use --name",
                  NAME_TOTAL_TRIES);
    return NULL;
}

int storage_container_add(struct storage *s, const struct storage_container *c,
                          struct ctr_error **err)
{
    cleanup_stmt sqlite3_stmt *st = NULL;
    int rc;

    if (c->id == NULL || c->name == NULL || c->config == NULL || c->created == 0)
        return ctr_error_set(err, EINVAL,
                             "add container: id, name, config and creation time are required");
    /* Check the name and insert in one IMMEDIATE transaction: the message names the container
     * that holds the name, and it cannot be removed between the two. */
    if (exec(s, "BEGIN IMMEDIATE", err) < 0)
        return ctr_error_wrap(err, "add container '%s'", c->name);
    st = prepare(s, "SELECT id FROM containers WHERE name = ?", err);
    if (st == NULL)
        goto fail;
    sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        ctr_error_set(err, EEXIST,
                      "the container name '%s' is already in use by %.12s: remove it ('ctr rm "
                      "%s') or use --replace",
                      c->name, (const char *)sqlite3_column_text(st, 0), c->name);
        sqlite3_finalize(steal_pointer(&st));
        rollback(s);
        return -1;
    }
    if (rc != SQLITE_DONE) {
        storage_sqlite_error(err, s->db, "look up container name '%s'", c->name);
        goto fail;
    }
    sqlite3_finalize(steal_pointer(&st));
    st = prepare(s,
                 "INSERT INTO containers(id, name, image_id, image_name, command, config, state, "
                 "created) VALUES (?, ?, ?, ?, ?, ?, 'created', ?)",
                 err);
    if (st == NULL)
        goto fail;
    sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, c->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, c->image_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, c->image_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, c->command, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, c->config, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, c->created);
    rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        ctr_error_set(err, EEXIST, "a container with id '%s' already exists", c->id);
        sqlite3_finalize(steal_pointer(&st));
        rollback(s);
        return -1;
    }
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
        ctr_error_set(err, ENOENT, "add container '%s': no image '%s' in the store", c->name,
                      c->image_id);
        sqlite3_finalize(steal_pointer(&st));
        rollback(s);
        return -1;
    }
    if (rc != SQLITE_DONE) {
        storage_sqlite_error(err, s->db, "record container");
        goto fail;
    }
    if (exec(s, "COMMIT", err) < 0)
        goto fail;
    return 0;

fail:
    sqlite3_finalize(steal_pointer(&st));
    rollback(s);
    return ctr_error_wrap(err, "add container '%s'", c->name);
}

static void mark_exited(struct storage_container *c, int64_t now)
{
    c->state = STORAGE_CONTAINER_EXITED;
    c->finished = now;
    c->exit_code = -1;
}

/* How often reconcile re-reads a row that changed under it before it settles for the struct. */
#define RECONCILE_TRIES 5

int storage_container_reconcile(struct storage *s, struct storage_container *c,
                                struct ctr_error **err)
{
    for (int tries = 0; tries < RECONCILE_TRIES; tries++) {
        cleanup_stmt sqlite3_stmt *st = NULL;
        struct storage_container fresh;
        int64_t now;
        int r;

        if (c->state != STORAGE_CONTAINER_RUNNING || ctr_proc_alive(c->pid, c->pid_start))
            return 0;
        now = ctr_now_ns();
        /*
         * The init is gone.  A live monitor is about to record the real exit code (it may not
         * even have reaped the zombie yet): show the exit, but leave the row to it so that a
         * reader's "unknown" never races with the monitor's code.  A read-only store cannot be
         * written either.
         */
        if ((c->monitor_pid > 0 && ctr_proc_alive(c->monitor_pid, c->monitor_start)) ||
            sqlite3_db_readonly(s->db, "main") == 1) {
            mark_exited(c, now);
            return 0;
        }
        /* The guard makes the read-then-write safe without a transaction: the update applies
         * only to the run this struct describes. */
        st = prepare(s,
                     "UPDATE containers SET state = 'exited', finished = ? WHERE id = ? AND "
                     "state = 'running' AND coalesce(pid, 0) = ? AND coalesce(pid_start, 0) = ?",
                     err);
        if (st == NULL)
            return -1;
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_text(st, 2, c->id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, c->pid);
        bind_u64(st, 4, c->pid_start);
        if (sqlite3_step(st) != SQLITE_DONE)
            return storage_sqlite_error(err, s->db, "record the exit of container '%s'", c->name);
        if (sqlite3_changes(s->db) > 0) {
            mark_exited(c, now);
            return 0;
        }
        /* Someone changed the row since `c` was read (the monitor recorded the exit, or the
         * container was started again): show what it says now. */
        r = load_by_id(s, c->id, &fresh, err);
        if (r < 0)
            return -1;
        if (r == 0) {
            /* Removed meanwhile: what `c` shows is its last state. */
            mark_exited(c, now);
            return 0;
        }
        storage_container_clear(c);
        *c = fresh;
    }
    if (c->state == STORAGE_CONTAINER_RUNNING && !ctr_proc_alive(c->pid, c->pid_start))
        mark_exited(c, ctr_now_ns());
    return 0;
}

static int reconcile_all(struct storage *s, struct storage_container *list, size_t n,
                         struct ctr_error **err)
{
    for (size_t i = 0; i < n; i++) {
        if (storage_container_reconcile(s, &list[i], err) < 0)
            return -1;
    }
    return 0;
}

static int is_id_prefix(const char *s)
{
    size_t len = strlen(s);

    return len >= 1 && len <= ID_LEN && strspn(s, "0123456789abcdef") == len;
}

/* How many ids start with `prefix`; [lo, hi) is the range find_rows computed. */
static int count_prefix(struct storage *s, const char *lo, const char *hi, size_t *ret,
                        struct ctr_error **err)
{
    cleanup_stmt sqlite3_stmt *st =
            prepare(s, "SELECT count(*) FROM containers WHERE id >= ? AND id < ?", err);

    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, lo, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW)
        return storage_sqlite_error(err, s->db, "count containers");
    *ret = (size_t)sqlite3_column_int64(st, 0);
    return 0;
}

/*
 * The rows matching `key` as the exact name, else as an id prefix (a full id included): at
 * most two, and in *ret_matches how many there are in all.
 */
static int find_rows(struct storage *s, const char *key, struct storage_container **ret,
                     size_t *ret_n, size_t *ret_matches, struct ctr_error **err)
{
    cleanup_stmt sqlite3_stmt *st =
            prepare(s, "SELECT " CONTAINER_COLUMNS " FROM containers WHERE name = ?", err);
    struct storage_container *rows = NULL;
    cleanup_free char *hi = NULL;
    size_t n = 0, matches;

    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (read_rows(s, st, "look up container", &rows, &n, err) < 0)
        return -1;
    /* Only hex can be an id prefix: a name like "web" must not match an id by accident. */
    if (n > 0 || !is_id_prefix(key)) {
        *ret = rows;
        *ret_n = *ret_matches = n;
        return 0;
    }
    free(rows);
    rows = NULL;
    sqlite3_finalize(steal_pointer(&st));
    /*
     * Ids are lowercase hex and compare bytewise, so the ids starting with `key` are those in
     * [key, key with its last digit raised by one): the primary key index answers that, and
     * no LIKE pattern needs escaping.  Two rows are enough to tell unique from ambiguous.
     */
    hi = xstrdup(key);
    hi[strlen(hi) - 1]++;
    st = prepare(s,
                 "SELECT " CONTAINER_COLUMNS
                 " FROM containers WHERE id >= ? AND id < ? ORDER BY id LIMIT 2",
                 err);
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
    if (read_rows(s, st, "look up container", &rows, &n, err) < 0)
        return -1;
    matches = n;
    if (n > 1 && count_prefix(s, key, hi, &matches, err) < 0) {
        storage_container_list_free(rows, n);
        return -1;
    }
    *ret = rows;
    *ret_n = n;
    *ret_matches = matches;
    return 0;
}

int storage_container_find(struct storage *s, const char *name_or_id, struct storage_container *ret,
                           struct ctr_error **err)
{
    struct storage_container *rows = NULL;
    size_t n = 0, matches = 0;

    if (find_rows(s, name_or_id, &rows, &n, &matches, err) < 0)
        return -1;
    if (n == 0) {
        free(rows);
        return ctr_error_set(err, ENOENT, "no container with name or id '%s' found", name_or_id);
    }
    if (n > 1) {
        storage_container_list_free(rows, n);
        return ctr_error_set(err, EINVAL,
                             "'%s' matches %zu containers: give more of the id, or the name",
                             name_or_id, matches);
    }
    if (storage_container_reconcile(s, &rows[0], err) < 0) {
        storage_container_list_free(rows, n);
        return -1;
    }
    *ret = rows[0];
    free(rows);
    return 0;
}

int storage_container_list(struct storage *s, struct storage_container **ret, size_t *ret_n,
                           struct ctr_error **err)
{
    /* rowid breaks ties between containers created in the same nanosecond, newest first. */
    cleanup_stmt sqlite3_stmt *st = prepare(
            s, "SELECT " CONTAINER_COLUMNS " FROM containers ORDER BY created DESC, rowid DESC",
            err);
    struct storage_container *list = NULL;
    size_t n = 0;

    if (st == NULL)
        return -1;
    if (read_rows(s, st, "list containers", &list, &n, err) < 0)
        return -1;
    /* Reconcile only after the read is finished: its writes must not run inside the read. */
    sqlite3_finalize(steal_pointer(&st));
    if (reconcile_all(s, list, n, err) < 0) {
        storage_container_list_free(list, n);
        return -1;
    }
    *ret = list;
    *ret_n = n;
    return 0;
}

/*
 * set_running and set_restarted: `old_pid` 0 is a start by the user, else a restart by the
 * policy after that init exited.  1 when the row changed, 0 when a restart no longer applies.
 */
static int mark_running(struct storage *s, const char *id, pid_t old_pid, pid_t pid,
                        uint64_t pid_start, pid_t monitor_pid, uint64_t monitor_start,
                        struct ctr_error **err)
{
    cleanup_stmt sqlite3_stmt *st = NULL;
    int rc;

    /* Read the state and write the new one in one IMMEDIATE transaction: two starts of one
     * container must not both see it stopped. */
    if (exec(s, "BEGIN IMMEDIATE", err) < 0)
        return ctr_error_wrap(err, "start container '%s'", id);
    st = prepare(s,
                 "SELECT name, state, pid, pid_start, stopped_by_user FROM containers WHERE id = ?",
                 err);
    if (st == NULL)
        goto fail;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        ctr_error_set(err, ENOENT, "no container with id '%s'", id);
        sqlite3_finalize(steal_pointer(&st));
        rollback(s);
        return -1;
    }
    if (rc != SQLITE_ROW) {
        storage_sqlite_error(err, s->db, "read container");
        goto fail;
    }
    /* A restart is for the run that exited, and only while nobody stopped or started the
     * container since. */
    if (old_pid > 0 &&
        (strcmp((const char *)sqlite3_column_text(st, 1), "exited") != 0 ||
         (pid_t)sqlite3_column_int64(st, 2) != old_pid || sqlite3_column_int(st, 4) != 0)) {
        sqlite3_finalize(steal_pointer(&st));
        rollback(s);
        return 0;
    }
    /* A row that says running is stale only if its init is gone (its monitor's set_exited is
     * tied to the old pid and will leave the new run alone). */
    if (strcmp((const char *)sqlite3_column_text(st, 1), "running") == 0 &&
        ctr_proc_alive((pid_t)sqlite3_column_int64(st, 2), (uint64_t)sqlite3_column_int64(st, 3))) {
        ctr_error_set(err, EBUSY, "container '%s' is already running",
                      (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(steal_pointer(&st));
        rollback(s);
        return -1;
    }
    sqlite3_finalize(steal_pointer(&st));
    st = prepare(s,
                 old_pid > 0
                         ? "UPDATE containers SET state = 'running', pid = ?, pid_start = ?, "
                           "monitor_pid = ?, monitor_start = ?, started = ?, finished = NULL, "
                           "exit_code = NULL, restart_count = restart_count + 1 WHERE id = ?"
                         : "UPDATE containers SET state = 'running', pid = ?, pid_start = ?, "
                           "monitor_pid = ?, monitor_start = ?, started = ?, finished = NULL, "
                           "exit_code = NULL, restart_count = 0, stopped_by_user = 0 WHERE id = ?",
                 err);
    if (st == NULL)
        goto fail;
    bind_pid(st, 1, pid);
    bind_u64(st, 2, pid_start);
    bind_pid(st, 3, monitor_pid);
    if (monitor_pid > 0)
        bind_u64(st, 4, monitor_start);
    else
        sqlite3_bind_null(st, 4);
    sqlite3_bind_int64(st, 5, ctr_now_ns());
    sqlite3_bind_text(st, 6, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        storage_sqlite_error(err, s->db, "record container");
        goto fail;
    }
    if (exec(s, "COMMIT", err) < 0)
        goto fail;
    return 1;

fail:
    sqlite3_finalize(steal_pointer(&st));
    rollback(s);
    return ctr_error_wrap(err, "start container '%s'", id);
}

int storage_container_set_running(struct storage *s, const char *id, pid_t pid, uint64_t pid_start,
                                  pid_t monitor_pid, uint64_t monitor_start, struct ctr_error **err)
{
    return mark_running(s, id, 0, pid, pid_start, monitor_pid, monitor_start, err) < 0 ? -1 : 0;
}

int storage_container_set_restarted(struct storage *s, const char *id, pid_t old_pid, pid_t pid,
                                    uint64_t pid_start, pid_t monitor_pid, uint64_t monitor_start,
                                    struct ctr_error **err)
{
    if (old_pid <= 0)
        return ctr_error_set(err, EINVAL, "restart container '%s': no run it follows", id);
    return mark_running(s, id, old_pid, pid, pid_start, monitor_pid, monitor_start, err);
}

int storage_container_mark_stopped(struct storage *s, const char *id, struct ctr_error **err)
{
    cleanup_stmt sqlite3_stmt *st =
            prepare(s, "UPDATE containers SET stopped_by_user = 1 WHERE id = ?", err);

    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return storage_sqlite_error(err, s->db, "mark container '%s' stopped", id);
    return 0;
}

static int record_exit(struct storage *s, const char *id, int exit_code, struct ctr_error **err);

int storage_container_set_exited(struct storage *s, const char *id, pid_t pid, int exit_code,
                                 struct ctr_error **err)
{
    /* One statement, so no transaction: the guard is the read.  A code already known (this
     * call made twice) is kept; an unknown one from a reconcile is replaced. */
    cleanup_stmt sqlite3_stmt *st =
            prepare(s,
                    "UPDATE containers SET state = 'exited', finished = ?, exit_code = ? "
                    "WHERE id = ? AND pid = ? AND (state = 'running' OR (state = 'exited' AND "
                    "exit_code IS NULL))",
                    err);

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, ctr_now_ns());
    sqlite3_bind_int(st, 2, exit_code);
    sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, pid);
    if (sqlite3_step(st) != SQLITE_DONE)
        return storage_sqlite_error(err, s->db, "record the exit of container '%s'", id);
    if (sqlite3_changes(s->db) == 0)
        return 0;
    return record_exit(s, id, exit_code, err) < 0 ? -1 : 1;
}

/* How long an exit code is kept after it was recorded (Podman keeps them five minutes). */
#define EXIT_KEEP_NS (300LL * 1000000000LL)

static int record_exit(struct storage *s, const char *id, int exit_code, struct ctr_error **err)
{
    cleanup_stmt sqlite3_stmt *st = prepare(
            s, "INSERT OR REPLACE INTO container_exits (id, exit_code, finished) VALUES (?, ?, ?)",
            err);
    cleanup_stmt sqlite3_stmt *old = NULL;
    int64_t now = ctr_now_ns();

    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, exit_code);
    sqlite3_bind_int64(st, 3, now);
    if (sqlite3_step(st) != SQLITE_DONE)
        return storage_sqlite_error(err, s->db, "keep the exit code of container '%s'", id);
    old = prepare(s, "DELETE FROM container_exits WHERE finished < ?", err);
    if (old == NULL)
        return -1;
    sqlite3_bind_int64(old, 1, now - EXIT_KEEP_NS);
    if (sqlite3_step(old) != SQLITE_DONE)
        return storage_sqlite_error(err, s->db, "forget old exit codes");
    return 0;
}

int storage_container_exit_code(struct storage *s, const char *id, int *ret, struct ctr_error **err)
{
    cleanup_stmt sqlite3_stmt *st =
            prepare(s, "SELECT exit_code FROM container_exits WHERE id = ?", err);
    int rc;

    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return storage_sqlite_error(err, s->db, "read the exit code of container '%s'", id);
    *ret = sqlite3_column_int(st, 0);
    return 1;
}

int storage_container_set_created(struct storage *s, const char *id, struct ctr_error **err)
{
    cleanup_stmt sqlite3_stmt *st =
            prepare(s,
                    "UPDATE containers SET state = 'created', pid = NULL, pid_start = NULL, "
                    "monitor_pid = NULL, monitor_start = NULL, started = NULL, finished = NULL, "
                    "exit_code = NULL WHERE id = ?",
                    err);

    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return storage_sqlite_error(err, s->db, "reset container '%s'", id);
    return sqlite3_changes(s->db) > 0;
}

int storage_container_delete(struct storage *s, const char *id, struct ctr_error **err)
{
    cleanup_stmt sqlite3_stmt *st = prepare(s, "DELETE FROM containers WHERE id = ?", err);

    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return storage_sqlite_error(err, s->db, "remove container '%s'", id);
    return sqlite3_changes(s->db) > 0;
}
