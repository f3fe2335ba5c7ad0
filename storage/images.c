/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "images.h"
#include "xalloc.h"

DEFINE_CLEANUP_FUNC(sqlite3_stmt *, sqlite3_finalize)
#define cleanup_stmt cleanup_with(sqlite3_finalizep)

static sqlite3_stmt *prepare(struct storage *s, const char *sql, struct ctr_error **err)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        storage_sqlite_error(err, s->db, "prepare a query");
        return NULL;
    }
    return st;
}

/* Steps a statement that returns no rows. */
static int step_done(struct storage *s, sqlite3_stmt *st, const char *what, struct ctr_error **err)
{
    if (sqlite3_step(st) != SQLITE_DONE)
        return storage_sqlite_error(err, s->db, "%s", what);
    return 0;
}

static int exec(struct storage *s, const char *sql, struct ctr_error **err)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return storage_sqlite_error(err, s->db, "database");
    return 0;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    return t ? xstrdup((const char *)t) : NULL;
}

/* The hex part of "sha256:HEX"; the caller validated the digest. */
static const char *digest_hex(const char *digest)
{
    const char *colon = strchr(digest, ':');

    return colon ? colon + 1 : digest;
}

static char *layers_dir(const struct storage *s)
{
    return xasprintf("%s/layers", s->root);
}

char *storage_layer_dir(const struct storage *s, const char *diff_id)
{
    return xasprintf("%s/layers/%s", s->root, digest_hex(diff_id));
}

int storage_layer_present(struct storage *s, const char *diff_id, struct ctr_error **err)
{
    cleanup_stmt sqlite3_stmt *st = prepare(s, "SELECT 1 FROM layers WHERE diff_id = ?", err);
    int rc;

    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, diff_id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc != SQLITE_DONE)
        return storage_sqlite_error(err, s->db, "look up layer '%s'", diff_id);
    return 0;
}

static int ensure_dirs(const struct storage *s, struct ctr_error **err)
{
    cleanup_free char *staging = xasprintf("%s/layers/.staging", s->root);

    return ctr_mkdir_private(staging, geteuid(), err);
}

int storage_layer_stage(struct storage *s, char **ret_path, int *ret_lock_fd,
                        struct ctr_error **err)
{
    cleanup_free char *path = xasprintf("%s/layers/.staging/XXXXXX", s->root);
    cleanup_close int fd = -1;

    if (ensure_dirs(s, err) < 0)
        return -1;
    if (mkdtemp(path) == NULL)
        return ctr_error_errno(err, "create a staging directory in '%s/layers'", s->root);
    /* The lock tells a later cleanup that this directory is still being written. */
    fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;

        rmdir(path);
        return ctr_error_errnum(err, e, "lock staging directory '%s'", path);
    }
    *ret_path = steal_pointer(&path);
    *ret_lock_fd = steal_fd(&fd);
    return 0;
}

int storage_layer_commit(struct storage *s, const char *staging, const char *diff_id, uint64_t size,
                         struct ctr_error **err)
{
    cleanup_free char *dest = storage_layer_dir(s, diff_id);
    cleanup_stmt sqlite3_stmt *st = NULL;

    if (rename(staging, dest) < 0) {
        if (errno == EEXIST || errno == ENOTEMPTY) {
            /* A concurrent pull got there first; its row follows its rename. */
            return 1;
        }
        return ctr_error_errno(err, "move layer '%s' into place", diff_id);
    }
    st = prepare(s, "INSERT OR IGNORE INTO layers(diff_id, size, created) VALUES (?, ?, ?)", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, diff_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
    return step_done(s, st, "record layer", err);
}

int storage_layers_lock(struct storage *s, int exclusive, int wait, int *ret_fd,
                        struct ctr_error **err)
{
    cleanup_free char *path = xasprintf("%s/layers.lock", s->root);
    cleanup_close int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    int op = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);

    if (fd < 0)
        return ctr_error_errno(err, "open '%s'", path);
    while (flock(fd, op) < 0) {
        if (errno == EINTR)
            continue;
        if (errno == EWOULDBLOCK)
            return 1;
        return ctr_error_errno(err, "lock '%s'", path);
    }
    *ret_fd = steal_fd(&fd);
    return 0;
}

/* Appends `s` itself (owned) to *v, whose length *n is kept by the caller. */
static void strv_take(char ***v, size_t *n, char *s)
{
    *v = xreallocarray(*v, *n + 2, sizeof(**v));
    (*v)[(*n)++] = s;
    (*v)[*n] = NULL;
}

static char **strv_new(void)
{
    return xcalloc(1, sizeof(char *));
}

/* Staging directories whose lock nobody holds: their writer died. */
static int stale_staging(const struct storage *s, char ***v, size_t *n, struct ctr_error **err)
{
    cleanup_free char *dir = xasprintf("%s/layers/.staging", s->root);
    cleanup_dir DIR *d = opendir(dir);
    struct dirent *e;

    if (d == NULL)
        return errno == ENOENT ? 0 : ctr_error_errno(err, "open '%s'", dir);
    while ((e = readdir(d)) != NULL) {
        cleanup_close int fd = -1;

        if (e->d_name[0] == '.')
            continue;
        fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
            continue;
        strv_take(v, n, xasprintf("%s/%s", dir, e->d_name));
    }
    return 0;
}

int storage_layer_leftovers(struct storage *s, char ***ret_paths, struct ctr_error **err)
{
    cleanup_free char *dir = layers_dir(s);
    cleanup_strv char **v = strv_new();
    cleanup_dir DIR *d = NULL;
    struct dirent *e;
    size_t n = 0;

    if (stale_staging(s, &v, &n, err) < 0)
        return -1;
    d = opendir(dir);
    if (d == NULL && errno != ENOENT)
        return ctr_error_errno(err, "open '%s'", dir);
    while (d != NULL && (e = readdir(d)) != NULL) {
        cleanup_free char *diff_id = NULL;
        int r;

        if (e->d_name[0] == '.')
            continue;
        diff_id = xasprintf("sha256:%s", e->d_name);
        r = storage_layer_present(s, diff_id, err);
        if (r < 0)
            return -1;
        if (r == 0)
            strv_take(&v, &n, xasprintf("%s/%s", dir, e->d_name));
    }
    *ret_paths = steal_pointer(&v);
    return 0;
}

int storage_layers_unused(struct storage *s, char ***ret_diff_ids, struct ctr_error **err)
{
    cleanup_stmt sqlite3_stmt *st = prepare(
            s, "SELECT diff_id FROM layers WHERE diff_id NOT IN (SELECT diff_id FROM image_layers)",
            err);
    cleanup_strv char **v = strv_new();
    size_t n = 0;
    int rc;

    if (st == NULL)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        strv_take(&v, &n, col_dup(st, 0));
    if (rc != SQLITE_DONE)
        return storage_sqlite_error(err, s->db, "list unused layers");
    *ret_diff_ids = steal_pointer(&v);
    return 0;
}

int64_t storage_layers_size(struct storage *s, char *const *diff_ids, struct ctr_error **err)
{
    cleanup_stmt sqlite3_stmt *st = prepare(s, "SELECT size FROM layers WHERE diff_id = ?", err);
    int64_t total = 0;

    if (st == NULL)
        return -1;
    for (size_t i = 0; diff_ids[i] != NULL; i++) {
        int seen = 0;

        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(diff_ids[i], diff_ids[j]) == 0;
        if (seen)
            continue;
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, diff_ids[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            total += sqlite3_column_int64(st, 0);
    }
    return total;
}

int storage_layer_forget(struct storage *s, const char *diff_id, struct ctr_error **err)
{
    cleanup_stmt sqlite3_stmt *st = prepare(s, "DELETE FROM layers WHERE diff_id = ?", err);

    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, diff_id, -1, SQLITE_STATIC);
    return step_done(s, st, "forget layer", err);
}

static int set_name(struct storage *s, const char *id, const char *name, struct ctr_error **err)
{
    cleanup_stmt sqlite3_stmt *st =
            prepare(s, "INSERT OR REPLACE INTO image_names(name, image_id) VALUES (?, ?)", err);

    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    return step_done(s, st, "name image", err);
}

static int insert_image(struct storage *s, const struct storage_image *img, struct ctr_error **err)
{
    cleanup_stmt sqlite3_stmt *st = prepare(
            s,
            "INSERT OR IGNORE INTO images(id, manifest_digest, manifest, config, os, "
            "architecture, variant, size, created, added) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            err);

    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, img->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, img->manifest_digest, -1, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 3, img->manifest, img->manifest_len, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 4, img->config, img->config_len, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, img->os, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, img->architecture, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, img->variant, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, img->size);
    sqlite3_bind_int64(st, 9, img->created);
    sqlite3_bind_int64(st, 10, time(NULL));
    if (step_done(s, st, "record image", err) < 0)
        return -1;
    if (sqlite3_changes(s->db) == 0)
        return 0; /* it was there: its layers are too */
    sqlite3_finalize(steal_pointer(&st));
    st = prepare(s, "INSERT INTO image_layers(image_id, position, diff_id) VALUES (?, ?, ?)", err);
    if (st == NULL)
        return -1;
    for (int i = 0; img->diff_ids[i] != NULL; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, img->id, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, i);
        sqlite3_bind_text(st, 3, img->diff_ids[i], -1, SQLITE_STATIC);
        if (step_done(s, st, "record image layer", err) < 0)
            return -1;
    }
    return 0;
}

int storage_image_add(struct storage *s, const struct storage_image *img, const char *name,
                      struct ctr_error **err)
{
    /* One transaction: an image is visible with all its layers and its name, or not at all. */
    if (exec(s, "BEGIN IMMEDIATE", err) < 0)
        return ctr_error_wrap(err, "add image '%s'", img->id);
    if (insert_image(s, img, err) < 0 || (name != NULL && set_name(s, img->id, name, err) < 0) ||
        exec(s, "COMMIT", err) < 0) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return ctr_error_wrap(err, "add image '%s'", img->id);
    }
    return 0;
}

/* Fills names and diff ids of `img` from their tables. */
static int load_lists(struct storage *s, struct storage_image *img, struct ctr_error **err)
{
    static const char *const sql[] = {
            "SELECT name FROM image_names WHERE image_id = ? ORDER BY name",
            "SELECT diff_id FROM image_layers WHERE image_id = ? ORDER BY position",
    };
    char ***lists[] = {&img->names, &img->diff_ids};

    for (int i = 0; i < 2; i++) {
        cleanup_stmt sqlite3_stmt *st = prepare(s, sql[i], err);
        size_t n = 0;
        int rc;

        if (st == NULL)
            return -1;
        *lists[i] = strv_new();
        sqlite3_bind_text(st, 1, img->id, -1, SQLITE_STATIC);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            strv_take(lists[i], &n, col_dup(st, 0));
        if (rc != SQLITE_DONE)
            return storage_sqlite_error(err, s->db, "read image '%s'", img->id);
    }
    return 0;
}

#define IMAGE_COLUMNS "id, manifest_digest, os, architecture, variant, size, created, added"

static struct storage_image *image_from_row(sqlite3_stmt *st)
{
    struct storage_image *img = xzalloc(sizeof(*img));

    img->id = col_dup(st, 0);
    img->manifest_digest = col_dup(st, 1);
    img->os = col_dup(st, 2);
    img->architecture = col_dup(st, 3);
    img->variant = col_dup(st, 4);
    img->size = sqlite3_column_int64(st, 5);
    img->created = sqlite3_column_int64(st, 6);
    img->added = sqlite3_column_int64(st, 7);
    return img;
}

int storage_image_list(struct storage *s, struct storage_image ***ret, size_t *ret_n,
                       struct ctr_error **err)
{
    cleanup_stmt sqlite3_stmt *st = prepare(
            s, "SELECT " IMAGE_COLUMNS " FROM images ORDER BY created DESC, added DESC", err);
    struct storage_image **list = NULL;
    size_t n = 0;
    int rc;

    if (st == NULL)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        list = xreallocarray(list, n + 1, sizeof(*list));
        list[n++] = image_from_row(st);
    }
    if (rc != SQLITE_DONE) {
        storage_image_list_free(list, n);
        return storage_sqlite_error(err, s->db, "list images");
    }
    for (size_t i = 0; i < n; i++) {
        if (load_lists(s, list[i], err) < 0) {
            storage_image_list_free(list, n);
            return -1;
        }
    }
    *ret = list;
    *ret_n = n;
    return 0;
}

static int load_blobs(struct storage *s, struct storage_image *img, struct ctr_error **err)
{
    cleanup_stmt sqlite3_stmt *st =
            prepare(s, "SELECT manifest, config FROM images WHERE id = ?", err);

    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, img->id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW)
        return storage_sqlite_error(err, s->db, "read image '%s'", img->id);
    img->manifest_len = (size_t)sqlite3_column_bytes(st, 0);
    img->manifest = xmalloc(img->manifest_len + 1);
    memcpy(img->manifest, sqlite3_column_blob(st, 0), img->manifest_len);
    img->manifest[img->manifest_len] = '\0';
    img->config_len = (size_t)sqlite3_column_bytes(st, 1);
    img->config = xmalloc(img->config_len + 1);
    memcpy(img->config, sqlite3_column_blob(st, 1), img->config_len);
    img->config[img->config_len] = '\0';
    return 0;
}

/* The ids matching `key` as a name, a full id or an id prefix. */
static int find_ids(struct storage *s, const char *key, char ***ret, size_t *ret_n,
                    struct ctr_error **err)
{
    cleanup_stmt sqlite3_stmt *st =
            prepare(s,
                    "SELECT image_id FROM image_names WHERE name = ?1 UNION "
                    "SELECT id FROM images WHERE id = ?1 OR id = 'sha256:' || ?1 OR "
                    "(length(?2) >= 3 AND substr(id, 8, length(?2)) = ?2) LIMIT 10",
                    err);
    cleanup_strv char **v = strv_new();
    const char *prefix = strncmp(key, "sha256:", 7) == 0 ? key + 7 : key;
    size_t n = 0;
    int rc;

    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    /* Only hex can be an id prefix; a name like "abc" must not match an id by accident. */
    sqlite3_bind_text(st, 2, strspn(prefix, "0123456789abcdef") == strlen(prefix) ? prefix : "", -1,
                      SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        strv_take(&v, &n, col_dup(st, 0));
    if (rc != SQLITE_DONE)
        return storage_sqlite_error(err, s->db, "look up image '%s'", key);
    *ret = steal_pointer(&v);
    *ret_n = n;
    return 0;
}

int storage_image_lookup(struct storage *s, const char *key, struct storage_image **ret,
                         struct ctr_error **err)
{
    cleanup_strv char **ids = NULL;
    cleanup_stmt sqlite3_stmt *st = NULL;
    struct storage_image *img;
    size_t n = 0;

    *ret = NULL;
    if (find_ids(s, key, &ids, &n, err) < 0)
        return -1;
    if (n == 0)
        return 0;
    if (n > 1)
        return ctr_error_set(err, EINVAL,
                             "'%s' matches more than one image (%.19s, %.19s%s): give more of "
                             "the id",
                             key, ids[0], ids[1], n > 2 ? ", ..." : "");
    st = prepare(s, "SELECT " IMAGE_COLUMNS " FROM images WHERE id = ?", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, ids[0], -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW)
        return storage_sqlite_error(err, s->db, "read image '%s'", ids[0]);
    img = image_from_row(st);
    if (load_lists(s, img, err) < 0 || load_blobs(s, img, err) < 0) {
        storage_image_free(img);
        return -1;
    }
    *ret = img;
    return 1;
}

int storage_image_tag(struct storage *s, const char *id, const char *name, struct ctr_error **err)
{
    return set_name(s, id, name, err);
}

int storage_image_untag(struct storage *s, const char *name, struct ctr_error **err)
{
    cleanup_stmt sqlite3_stmt *st = prepare(s, "DELETE FROM image_names WHERE name = ?", err);

    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (step_done(s, st, "untag image", err) < 0)
        return -1;
    return sqlite3_changes(s->db) > 0;
}

int storage_image_users(struct storage *s, const char *id, struct ctr_error **err)
{
    cleanup_stmt sqlite3_stmt *st =
            prepare(s, "SELECT count(*) FROM containers WHERE image_id = ?", err);

    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW)
        return storage_sqlite_error(err, s->db, "count containers of image '%s'", id);
    return sqlite3_column_int(st, 0);
}

int storage_image_containers(struct storage *s, const char *id, char ***ret_ids,
                             struct ctr_error **err)
{
    cleanup_stmt sqlite3_stmt *st =
            prepare(s, "SELECT id FROM containers WHERE image_id = ? ORDER BY created", err);
    cleanup_strv char **v = strv_new();
    size_t n = 0;
    int rc;

    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        strv_take(&v, &n, col_dup(st, 0));
    if (rc != SQLITE_DONE)
        return storage_sqlite_error(err, s->db, "list containers of image '%s'", id);
    *ret_ids = steal_pointer(&v);
    return 0;
}

int storage_image_delete(struct storage *s, const char *id, struct ctr_error **err)
{
    cleanup_stmt sqlite3_stmt *st = prepare(s, "DELETE FROM images WHERE id = ?", err);

    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    /* image_layers and image_names go with it (ON DELETE CASCADE). */
    return step_done(s, st, "remove image", err);
}

void storage_image_free(struct storage_image *img)
{
    if (img == NULL)
        return;
    free(img->id);
    free(img->manifest_digest);
    free(img->os);
    free(img->architecture);
    free(img->variant);
    strv_free(img->names);
    strv_free(img->diff_ids);
    free(img->manifest);
    free(img->config);
    free(img);
}

void storage_image_list_free(struct storage_image **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        storage_image_free(list[i]);
    free(list);
}
