/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "images.h"
#include "unit.h"
#include "xalloc.h"

#define D1    "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2    "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define IMG_A "sha256:aaaa000000000000000000000000000000000000000000000000000000000000"
#define IMG_B "sha256:aaab000000000000000000000000000000000000000000000000000000000000"

static char scratch[] = "/tmp/ctr-test-images-XXXXXX";

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_scratch(void)
{
    nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static struct storage *open_store(void)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *root = NULL, *run = NULL;
    struct storage *s = NULL;

    if (mkdtemp(scratch) == NULL)
        UNIT_FAIL("mkdtemp: %s", strerror(errno));
    atexit(remove_scratch);
    root = xasprintf("%s/root", scratch);
    run = xasprintf("%s/run", scratch);
    ASSERT_OK(storage_open(root, run, 0, &s, &err), &err);
    return s;
}

/* Stages, fills and commits a layer; returns what commit returned. */
static int commit_layer(struct storage *s, const char *diff_id)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *path = NULL, *file = NULL;
    int lock = -1, r;

    ASSERT_OK(storage_layer_stage(s, &path, &lock, &err), &err);
    file = xasprintf("%s/f", path);
    ASSERT_INT_EQ(close(creat(file, 0644)), 0);
    r = storage_layer_commit(s, path, diff_id, 10, &err);
    ASSERT_TRUE(r >= 0);
    ASSERT_TRUE(err == NULL);
    if (r == 1) {
        unlink(file);
        rmdir(path);
    }
    close(lock);
    return r;
}

static void add_image(struct storage *s, const char *id, const char *name, const char *layer)
{
    cleanup_error struct ctr_error *err = NULL;
    char *diff_ids[] = {(char *)layer, NULL};
    struct storage_image img = {
            .id = (char *)id,
            .manifest_digest = (char *)D2,
            .os = (char *)"linux",
            .architecture = (char *)"amd64",
            .size = 10,
            .created = 1700000000,
            .diff_ids = diff_ids,
            .manifest = (char *)"{\"m\":1}",
            .manifest_len = 7,
            .config = (char *)"{\"c\":1}",
            .config_len = 7,
    };

    ASSERT_OK(storage_image_add(s, &img, name, &err), &err);
}

TEST(layer_stage_commit_present)
{
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = open_store();
    cleanup_free char *dir = storage_layer_dir(s, D1);
    cleanup_free char *file = xasprintf("%s/f", dir);
    struct stat st;

    ASSERT_INT_EQ(storage_layer_present(s, D1, &err), 0);
    ASSERT_INT_EQ(commit_layer(s, D1), 0);
    ASSERT_INT_EQ(storage_layer_present(s, D1, &err), 1);
    ASSERT_INT_EQ(stat(file, &st), 0);
    /* A second pull of the same layer finds it committed and keeps the first. */
    ASSERT_INT_EQ(commit_layer(s, D1), 1);
    ASSERT_INT_EQ(storage_layer_present(s, D1, &err), 1);
    storage_close(s);
}

TEST(leftovers_are_stale_staging_and_unrecorded_dirs)
{
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = open_store();
    cleanup_free char *live = NULL, *dead = NULL, *orphan = storage_layer_dir(s, D2);
    cleanup_strv char **left = NULL;
    int live_lock = -1, dead_lock = -1;

    ASSERT_INT_EQ(commit_layer(s, D1), 0);
    ASSERT_OK(storage_layer_stage(s, &live, &live_lock, &err), &err);
    ASSERT_OK(storage_layer_stage(s, &dead, &dead_lock, &err), &err);
    close(dead_lock);                      /* its writer "died" */
    ASSERT_INT_EQ(mkdir(orphan, 0700), 0); /* renamed into place, row never written */
    ASSERT_OK(storage_layer_leftovers(s, &left, &err), &err);
    ASSERT_STR_EQ(left[0], dead);
    ASSERT_STR_EQ(left[1], orphan);
    ASSERT_TRUE(left[2] == NULL);
    close(live_lock);
    storage_close(s);
}

TEST(images_names_and_lookup)
{
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = open_store();
    struct storage_image *img = NULL, **list = NULL;
    size_t n = 0;

    ASSERT_INT_EQ(commit_layer(s, D1), 0);
    add_image(s, IMG_A, "docker.io/library/a:latest", D1);
    add_image(s, IMG_B, "docker.io/library/b:latest", D1);
    ASSERT_INT_EQ(storage_image_lookup(s, "docker.io/library/a:latest", &img, &err), 1);
    ASSERT_STR_EQ(img->id, IMG_A);
    ASSERT_STR_EQ(img->names[0], "docker.io/library/a:latest");
    ASSERT_STR_EQ(img->diff_ids[0], D1);
    ASSERT_TRUE(img->diff_ids[1] == NULL);
    ASSERT_STR_EQ(img->manifest, "{\"m\":1}");
    ASSERT_STR_EQ(img->config, "{\"c\":1}");
    storage_image_free(img);
    /* Full id, id without algorithm, unique prefix. */
    ASSERT_INT_EQ(storage_image_lookup(s, IMG_B, &img, &err), 1);
    storage_image_free(img);
    ASSERT_INT_EQ(storage_image_lookup(s, IMG_B + 7, &img, &err), 1);
    storage_image_free(img);
    ASSERT_INT_EQ(storage_image_lookup(s, "aaab", &img, &err), 1);
    ASSERT_STR_EQ(img->id, IMG_B);
    storage_image_free(img);
    ASSERT_INT_EQ(storage_image_lookup(s, "nothere", &img, &err), 0);
    ASSERT_TRUE(img == NULL);
    ASSERT_FAILS(storage_image_lookup(s, "aaa", &img, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "'aaa' matches more than one image");
    ctr_error_clear(&err);
    ASSERT_OK(storage_image_list(s, &list, &n, &err), &err);
    ASSERT_UINT_EQ(n, 2);
    storage_image_list_free(list, n);
    storage_close(s);
}

TEST(tag_moves_and_untag)
{
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = open_store();
    struct storage_image *img = NULL;

    ASSERT_INT_EQ(commit_layer(s, D1), 0);
    add_image(s, IMG_A, "x:1", D1);
    add_image(s, IMG_B, "x:2", D1);
    ASSERT_OK(storage_image_tag(s, IMG_B, "x:1", &err), &err);
    ASSERT_INT_EQ(storage_image_lookup(s, "x:1", &img, &err), 1);
    ASSERT_STR_EQ(img->id, IMG_B);
    storage_image_free(img);
    ASSERT_INT_EQ(storage_image_lookup(s, IMG_A, &img, &err), 1);
    ASSERT_TRUE(img->names[0] == NULL); /* dangling now */
    storage_image_free(img);
    ASSERT_INT_EQ(storage_image_untag(s, "x:2", &err), 1);
    ASSERT_INT_EQ(storage_image_untag(s, "x:2", &err), 0);
    storage_close(s);
}

TEST(delete_and_unused_layers)
{
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = open_store();
    cleanup_strv char **unused = NULL;
    struct storage_image *img = NULL;

    ASSERT_INT_EQ(commit_layer(s, D1), 0);
    ASSERT_INT_EQ(commit_layer(s, D2), 0);
    add_image(s, IMG_A, "x:1", D1);
    ASSERT_INT_EQ(storage_image_users(s, IMG_A, &err), 0);
    ASSERT_OK(storage_layers_unused(s, &unused, &err), &err);
    ASSERT_STR_EQ(unused[0], D2);
    ASSERT_TRUE(unused[1] == NULL);
    strv_free(steal_pointer(&unused));
    ASSERT_OK(storage_image_delete(s, IMG_A, &err), &err);
    ASSERT_INT_EQ(storage_image_lookup(s, "x:1", &img, &err), 0);
    ASSERT_OK(storage_layers_unused(s, &unused, &err), &err);
    ASSERT_TRUE(unused[0] != NULL && unused[1] != NULL && unused[2] == NULL);
    ASSERT_OK(storage_layer_forget(s, D1, &err), &err);
    ASSERT_INT_EQ(storage_layer_present(s, D1, &err), 0);
    storage_close(s);
}

TEST(layers_lock_excludes)
{
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = open_store();
    int shared = -1, ex = -1, shared2 = -1;

    ASSERT_INT_EQ(storage_layers_lock(s, 0, 1, &shared, &err), 0);
    ASSERT_INT_EQ(storage_layers_lock(s, 0, 0, &shared2, &err), 0); /* shared with shared */
    ASSERT_INT_EQ(storage_layers_lock(s, 1, 0, &ex, &err), 1);      /* not while pulls run */
    close(shared);
    close(shared2);
    ASSERT_INT_EQ(storage_layers_lock(s, 1, 0, &ex, &err), 0);
    close(ex);
    storage_close(s);
}
