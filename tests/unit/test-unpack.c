/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Layer unpacking.  Each test builds a layer in memory with libarchive's write API, unpacks it
 * into scratch/layer and checks the result, and every test checks that scratch/outside (and a
 * file planted there) is exactly as it was: libarchive's test_write_disk_secure* is the model.
 *
 * As root the layer is unpacked in this process (owners are then real ids); as anybody else
 * in a user namespace with the user's own mapping, through newuidmap when the user has
 * subordinate ranges, as `ctr pull` will do it.  Owners are compared as seen from outside.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <locale.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "digest.h"
#include "fsutil.h"
#include "image-archive.h"
#include "spawn.h"
#include "unit.h"
#include "unpack.h"
#include "userns.h"
#include "xalloc.h"

#define MTIME      1600000000
#define MTIME_NSEC 123456789
#define PRECIOUS   "precious\n"

/* Building layers. */

struct layer {
    struct archive *a;
    char *buf;
    size_t cap;
    size_t used;
};

static void layer_init(struct layer *l)
{
    l->cap = 8 << 20;
    l->buf = xmalloc(l->cap);
    l->used = 0;
    l->a = archive_write_new();
    ASSERT_TRUE(l->a != NULL);
    ASSERT_INT_EQ(archive_write_set_format_pax(l->a), ARCHIVE_OK);
    ASSERT_INT_EQ(archive_write_add_filter_none(l->a), ARCHIVE_OK);
    ASSERT_INT_EQ(archive_write_open_memory(l->a, l->buf, l->cap, &l->used), ARCHIVE_OK);
}

static void layer_finish(struct layer *l)
{
    ASSERT_INT_EQ(archive_write_close(l->a), ARCHIVE_OK);
    archive_write_free(l->a);
    l->a = NULL;
}

static void layer_free(struct layer *l)
{
    if (l->a != NULL)
        archive_write_free(l->a);
    free(l->buf);
}

static struct archive_entry *ent(const char *path, mode_t mode)
{
    struct archive_entry *e = archive_entry_new();

    archive_entry_set_pathname(e, path);
    archive_entry_set_mode(e, mode);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    archive_entry_set_mtime(e, MTIME, MTIME_NSEC);
    archive_entry_set_size(e, 0);
    return e;
}

static void put(struct layer *l, struct archive_entry *e, const char *data)
{
    size_t len = data != NULL ? strlen(data) : 0;

    if (archive_entry_filetype(e) == AE_IFREG && archive_entry_hardlink(e) == NULL)
        archive_entry_set_size(e, (la_int64_t)len);
    if (archive_write_header(l->a, e) != ARCHIVE_OK)
        UNIT_FAIL("write header '%s': %s", archive_entry_pathname(e), archive_error_string(l->a));
    if (len > 0)
        ASSERT_INT_EQ(archive_write_data(l->a, data, len), (long long)len);
    archive_entry_free(e);
}

static void add_file(struct layer *l, const char *path, mode_t perm, const char *data)
{
    put(l, ent(path, AE_IFREG | perm), data);
}

static void add_dir(struct layer *l, const char *path, mode_t perm)
{
    put(l, ent(path, AE_IFDIR | perm), NULL);
}

static void add_symlink(struct layer *l, const char *path, const char *target)
{
    struct archive_entry *e = ent(path, AE_IFLNK | 0777);

    archive_entry_set_symlink(e, target);
    put(l, e, NULL);
}

static void add_hardlink(struct layer *l, const char *path, const char *target)
{
    struct archive_entry *e = ent(path, AE_IFREG | 0644);

    archive_entry_set_hardlink(e, target);
    put(l, e, NULL);
}

/* The uncompressed tar compressed with a libarchive filter (raw format: one blob). */
static char *compress(const struct layer *l, int filter, size_t *ret_len)
{
    struct archive *a = archive_write_new();
    struct archive_entry *e = archive_entry_new();
    size_t cap = l->used + 65536, used = 0;
    char *out = xmalloc(cap);

    ASSERT_INT_EQ(archive_write_set_format_raw(a), ARCHIVE_OK);
    ASSERT_INT_EQ(archive_write_add_filter(a, filter), ARCHIVE_OK);
    ASSERT_INT_EQ(archive_write_open_memory(a, out, cap, &used), ARCHIVE_OK);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_pathname(e, "layer");
    archive_entry_set_size(e, (la_int64_t)l->used);
    ASSERT_INT_EQ(archive_write_header(a, e), ARCHIVE_OK);
    ASSERT_INT_EQ(archive_write_data(a, l->buf, l->used), (long long)l->used);
    ASSERT_INT_EQ(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    archive_entry_free(e);
    *ret_len = used;
    return out;
}

/* Scratch directories and running the unpacker. */

struct ctx {
    char *scratch;
    char *layer;
    char *outside;
    struct ctr_idmaps maps; /* the namespace's, when `in_ns` */
    int in_ns;
    int no_openat2;
};

static void setup(struct ctx *c)
{
    const char *tmp = getenv("TMPDIR");
    cleanup_free char *file = NULL;
    cleanup_error struct ctr_error *err = NULL;
    int has_ranges = 0;
    int fd;

    memset(c, 0, sizeof(*c));
    c->scratch = xasprintf("%s/ctr-unpack-XXXXXX", tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    ASSERT_TRUE(mkdtemp(c->scratch) != NULL);
    c->layer = xasprintf("%s/layer", c->scratch);
    c->outside = xasprintf("%s/outside", c->scratch);
    ASSERT_INT_EQ(mkdir(c->layer, 0755), 0);
    ASSERT_INT_EQ(mkdir(c->outside, 0755), 0);
    file = xasprintf("%s/file", c->outside);
    fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    ASSERT_TRUE(fd >= 0);
    ASSERT_INT_EQ(write(fd, PRECIOUS, strlen(PRECIOUS)), (long long)strlen(PRECIOUS));
    close(fd);
    c->in_ns = geteuid() != 0;
    if (c->in_ns) {
        if (access("/proc/self/ns/user", F_OK) < 0)
            unit_skip("this kernel has no user namespaces, and only root could unpack");
        ASSERT_OK(ctr_idmaps_for_current_user(&c->maps, &has_ranges, &err), &err);
    }
}

/* Root's own namespace with only root mapped: what real root gets inside a user namespace. */
static void use_root_ns(struct ctx *c)
{
    static struct ctr_idmap zero = {0, 0, 1};

    if (!c->in_ns) {
        c->in_ns = 1;
        c->maps = (struct ctr_idmaps){xmalloc(sizeof(zero)), 1, xmalloc(sizeof(zero)), 1};
        *c->maps.uid = zero;
        *c->maps.gid = zero;
    }
}

/* The id a file created with `inside` as owner has, seen from outside. */
static unsigned long outside_id(const struct ctx *c, const struct ctr_idmap *m, size_t n,
                                unsigned long inside)
{
    if (!c->in_ns)
        return inside;
    for (size_t i = 0; i < n; i++)
        if (inside >= m[i].inside && inside - m[i].inside < m[i].count)
            return m[i].outside + (inside - m[i].inside);
    UNIT_FAIL("id %lu is not mapped", inside);
}

/* ENOSYS for openat2, as an old kernel or an old seccomp profile answers. */
static int block_openat2(void)
{
    struct sock_filter f[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

struct outcome {
    int rc;
    struct image_unpack_result res;
    char msg[1024];
};

struct job {
    const struct ctx *c;
    int input;
    struct image_unpack_opts opts;
    int out; /* pipe for the outcome, in a namespace */
};

static void do_unpack(const struct job *j, struct outcome *o)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_close int dir = open(j->c->layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    memset(o, 0, sizeof(*o));
    o->rc = -1;
    if (dir < 0) {
        snprintf(o->msg, sizeof(o->msg), "open '%s': %s", j->c->layer, strerror(errno));
        return;
    }
    if (j->c->no_openat2 && block_openat2() < 0) {
        snprintf(o->msg, sizeof(o->msg), "install the seccomp filter: %s", strerror(errno));
        return;
    }
    o->rc = image_unpack_layer(j->input, dir, &j->opts, &o->res, &err);
    if (o->rc < 0)
        snprintf(o->msg, sizeof(o->msg), "%s", err ? err->msg : "failed without an error");
    else if (err != NULL)
        snprintf(o->msg, sizeof(o->msg), "succeeded with an error: %s", err->msg);
}

static int unpack_child(void *arg)
{
    const struct job *j = arg;
    struct outcome o;

    do_unpack(j, &o);
    return write(j->out, &o, sizeof(o)) == (ssize_t)sizeof(o) ? 0 : 1;
}

static int run_in_ns(const struct ctx *c, int (*fn)(void *), void *arg)
{
    cleanup_error struct ctr_error *err = NULL;
    pid_t pid;
    int status;

    fflush(NULL);
    ASSERT_OK(ctr_userns_spawn(&c->maps, 0, fn, arg, &pid, &err), &err);
    status = ctr_waitpid(pid);
    ASSERT_TRUE(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void unpack_bytes(const struct ctx *c, const void *data, size_t len,
                         enum image_unpack_compression comp, struct outcome *o)
{
    cleanup_close int input = memfd_create("layer", MFD_CLOEXEC);
    struct job j = {.c = c, .input = input, .opts = {.compression = comp}, .out = -1};

    ASSERT_TRUE(input >= 0);
    ASSERT_INT_EQ(write(input, data, len), (long long)len);
    ASSERT_INT_EQ(lseek(input, 0, SEEK_SET), 0);
    if (!c->in_ns) {
        do_unpack(&j, o);
        return;
    }
    j.opts.max_uid = ctr_idmaps_contiguous(c->maps.uid, c->maps.n_uid);
    j.opts.max_gid = ctr_idmaps_contiguous(c->maps.gid, c->maps.n_gid);
    {
        int p[2];

        ASSERT_INT_EQ(pipe2(p, O_CLOEXEC), 0);
        cleanup_close int rd = p[0];
        cleanup_close int wr = p[1];
        j.out = wr;
        ASSERT_INT_EQ(run_in_ns(c, unpack_child, &j), 0);
        close(steal_fd(&wr));
        ASSERT_INT_EQ(read(rd, o, sizeof(*o)), (long long)sizeof(*o));
    }
}

static struct image_unpack_result unpack_ok(const struct ctx *c, const struct layer *l)
{
    struct outcome o;

    unpack_bytes(c, l->buf, l->used, IMAGE_UNPACK_AUTO, &o);
    if (o.rc != 0 || o.msg[0] != '\0')
        UNIT_FAIL("unpack failed: %s", o.msg);
    return o.res;
}

/* The unpack must fail, with a message containing `want`. */
static void unpack_fails(const struct ctx *c, const struct layer *l, const char *want)
{
    struct outcome o;

    unpack_bytes(c, l->buf, l->used, IMAGE_UNPACK_AUTO, &o);
    if (o.rc != -1)
        UNIT_FAIL("unpack succeeded, expected a failure with '%s'", want);
    ASSERT_STR_CONTAINS(o.msg, want);
}

static char *path_in(const struct ctx *c, const char *rel)
{
    return xasprintf("%s/%s", c->layer, rel);
}

static int exists_in_layer(const struct ctx *c, const char *rel)
{
    cleanup_free char *p = path_in(c, rel);
    struct stat st;

    return lstat(p, &st) == 0;
}

static char *read_in_layer(const struct ctx *c, const char *rel)
{
    cleanup_free char *p = path_in(c, rel);
    cleanup_error struct ctr_error *err = NULL;
    char *data = NULL;
    size_t len;

    ASSERT_OK(ctr_read_file(p, 1 << 20, &data, &len, &err), &err);
    return data;
}

static void lstat_in_layer(const struct ctx *c, const char *rel, struct stat *st)
{
    cleanup_free char *p = path_in(c, rel);

    if (lstat(p, st) < 0)
        UNIT_FAIL("lstat '%s': %s", p, strerror(errno));
}

/* Names in `dir`, sorted and joined by ' '. */
static char *list_dir(const char *dir)
{
    cleanup_dir DIR *d = opendir(dir);
    char *names[64];
    size_t n = 0;
    char *out = xstrdup("");
    struct dirent *de;

    ASSERT_TRUE(d != NULL);
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        ASSERT_TRUE(n < 64);
        names[n++] = xstrdup(de->d_name);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t k = i + 1; k < n; k++)
            if (strcmp(names[k], names[i]) < 0) {
                char *t = names[i];

                names[i] = names[k];
                names[k] = t;
            }
    for (size_t i = 0; i < n; i++) {
        char *longer = xasprintf("%s%s%s", out, i ? " " : "", names[i]);

        free(out);
        free(names[i]);
        out = longer;
    }
    return out;
}

static int remove_child(void *arg)
{
    return ctr_remove_tree_at(AT_FDCWD, arg, NULL) < 0 ? 1 : 0;
}

/*
 * The check every test ends with: nothing beside layer/ and outside/ in the scratch directory,
 * outside/ holds only the planted file, unchanged.  Then everything is removed.
 */
static void teardown(struct ctx *c)
{
    cleanup_free char *top = list_dir(c->scratch);
    cleanup_free char *out = list_dir(c->outside);
    cleanup_free char *file = xasprintf("%s/file", c->outside);
    cleanup_free char *data = NULL;
    cleanup_error struct ctr_error *err = NULL;
    struct stat st;
    size_t len;

    ASSERT_STR_EQ(top, "layer outside");
    ASSERT_STR_EQ(out, "file");
    ASSERT_INT_EQ(lstat(file, &st), 0);
    ASSERT_TRUE(S_ISREG(st.st_mode));
    ASSERT_INT_EQ(st.st_mode & 07777, 0644);
    ASSERT_INT_EQ(st.st_nlink, 1);
    ASSERT_OK(ctr_read_file(file, 4096, &data, &len, &err), &err);
    ASSERT_STR_EQ(data, PRECIOUS);
    ASSERT_INT_EQ(lstat(c->outside, &st), 0);
    ASSERT_INT_EQ(st.st_mode & 07777, 0755);
    if (c->in_ns)
        ASSERT_INT_EQ(run_in_ns(c, remove_child, c->scratch), 0);
    else
        ASSERT_INT_EQ(ctr_remove_tree_at(AT_FDCWD, c->scratch, NULL), 0);
    ctr_idmaps_clear(&c->maps);
    free(c->scratch);
    free(c->layer);
    free(c->outside);
}

/* Features. */

TEST(files_dirs_modes_times)
{
    struct layer l;
    struct ctx c;
    struct image_unpack_result r;
    cleanup_free char *data = NULL;
    struct stat st;

    setup(&c);
    layer_init(&l);
    add_dir(&l, "./", 0751);
    add_dir(&l, "etc", 0755);
    add_file(&l, "etc/hosts", 0644, "127.0.0.1 localhost\n");
    add_dir(&l, "ro", 0555);
    add_file(&l, "ro/inside", 0400, "x");
    add_dir(&l, "sticky", 01777);
    add_file(&l, "deep/er/file", 0600, "implied parents");
    add_file(&l, "/abs", 0644, "confined");
    add_file(&l, "./dot/./slash//name", 0644, "cleaned");
    layer_finish(&l);
    r = unpack_ok(&c, &l);
    ASSERT_UINT_EQ(r.size, strlen("127.0.0.1 localhost\n") + 1 + strlen("implied parents") +
                                   strlen("confined") + strlen("cleaned"));
    data = read_in_layer(&c, "etc/hosts");
    ASSERT_STR_EQ(data, "127.0.0.1 localhost\n");
    lstat_in_layer(&c, "etc/hosts", &st);
    ASSERT_INT_EQ(st.st_mode & 07777, 0644);
    ASSERT_INT_EQ(st.st_mtim.tv_sec, MTIME);
    ASSERT_INT_EQ(st.st_mtim.tv_nsec, MTIME_NSEC);
    lstat_in_layer(&c, "ro", &st);
    ASSERT_INT_EQ(st.st_mode & 07777, 0555);
    ASSERT_INT_EQ(st.st_mtim.tv_sec, MTIME);
    ASSERT_INT_EQ(st.st_mtim.tv_nsec, MTIME_NSEC);
    lstat_in_layer(&c, "ro/inside", &st);
    ASSERT_INT_EQ(st.st_mode & 07777, 0400);
    lstat_in_layer(&c, "sticky", &st);
    ASSERT_INT_EQ(st.st_mode & 07777, 01777);
    lstat_in_layer(&c, "deep/er", &st);
    ASSERT_TRUE(S_ISDIR(st.st_mode));
    ASSERT_INT_EQ(st.st_mode & 0777, 0755);
    /* The layer directory takes the mode of the "./" entry. */
    lstat_in_layer(&c, ".", &st);
    ASSERT_INT_EQ(st.st_mode & 07777, 0751);
    ASSERT_INT_EQ(st.st_mtim.tv_sec, MTIME);
    free(data);
    data = read_in_layer(&c, "abs");
    ASSERT_STR_EQ(data, "confined");
    free(data);
    data = read_in_layer(&c, "dot/slash/name");
    ASSERT_STR_EQ(data, "cleaned");
    layer_free(&l);
    teardown(&c);
}

TEST(owners_and_setuid)
{
    struct layer l;
    struct ctx c;
    struct archive_entry *e;
    struct stat st;
    unsigned long uid = 1000, gid = 2000;

    setup(&c);
    if (c.in_ns && ctr_idmaps_contiguous(c.maps.uid, c.maps.n_uid) <= gid)
        unit_skip("owners other than root need subordinate ids (this user has none)");
    layer_init(&l);
    e = ent("bin", AE_IFDIR | 02755);
    archive_entry_set_uid(e, uid);
    archive_entry_set_gid(e, gid);
    put(&l, e, NULL);
    /* chown(2) clears setuid and setgid: the mode must be set after the owner. */
    e = ent("bin/su", AE_IFREG | 06755);
    archive_entry_set_uid(e, uid);
    archive_entry_set_gid(e, gid);
    put(&l, e, "#!/bin/false\n");
    e = ent("bin/link", AE_IFLNK | 0777);
    archive_entry_set_symlink(e, "su");
    archive_entry_set_uid(e, uid);
    archive_entry_set_gid(e, gid);
    put(&l, e, NULL);
    e = ent("rootsu", AE_IFREG | 04711);
    put(&l, e, "x");
    layer_finish(&l);
    unpack_ok(&c, &l);
    lstat_in_layer(&c, "bin/su", &st);
    ASSERT_UINT_EQ(st.st_uid, outside_id(&c, c.maps.uid, c.maps.n_uid, uid));
    ASSERT_UINT_EQ(st.st_gid, outside_id(&c, c.maps.gid, c.maps.n_gid, gid));
    ASSERT_INT_EQ(st.st_mode & 07777, 06755);
    lstat_in_layer(&c, "bin", &st);
    ASSERT_UINT_EQ(st.st_uid, outside_id(&c, c.maps.uid, c.maps.n_uid, uid));
    ASSERT_INT_EQ(st.st_mode & 07777, 02755);
    lstat_in_layer(&c, "bin/link", &st);
    ASSERT_TRUE(S_ISLNK(st.st_mode));
    ASSERT_UINT_EQ(st.st_uid, outside_id(&c, c.maps.uid, c.maps.n_uid, uid));
    ASSERT_UINT_EQ(st.st_gid, outside_id(&c, c.maps.gid, c.maps.n_gid, gid));
    lstat_in_layer(&c, "rootsu", &st);
    ASSERT_UINT_EQ(st.st_uid, outside_id(&c, c.maps.uid, c.maps.n_uid, 0));
    ASSERT_INT_EQ(st.st_mode & 07777, 04711);
    layer_free(&l);
    teardown(&c);
}

TEST(owner_beyond_mapping_refused_first)
{
    struct layer l;
    struct ctx c;
    struct archive_entry *e;
    struct outcome o;
    cleanup_close int input = memfd_create("layer", MFD_CLOEXEC);
    cleanup_close int dir = -1;
    cleanup_error struct ctr_error *err = NULL;
    struct image_unpack_opts opts = {.max_uid = 65536, .max_gid = 65536};

    setup(&c);
    layer_init(&l);
    e = ent("big", AE_IFREG | 0644);
    archive_entry_set_uid(e, 200000);
    put(&l, e, "data");
    layer_finish(&l);
    /* The limit is the caller's word; no namespace is needed to check it is kept. */
    ASSERT_INT_EQ(write(input, l.buf, l.used), (long long)l.used);
    ASSERT_INT_EQ(lseek(input, 0, SEEK_SET), 0);
    dir = open(c.layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_FAILS(image_unpack_layer(input, dir, &opts, &o.res, &err), &err);
    ASSERT_STR_EQ(err->msg, "layer needs uid 200000 but the user namespace maps only uids "
                            "0-65535: ask an administrator for a larger range in /etc/subuid "
                            "(usermod --add-subuids)");
    ASSERT_INT_EQ(exists_in_layer(&c, "big"), 0);
    layer_free(&l);
    layer_init(&l);
    e = ent("dir/big", AE_IFDIR | 0755);
    archive_entry_set_gid(e, 70000);
    put(&l, e, NULL);
    layer_finish(&l);
    ctr_error_clear(&err);
    ASSERT_INT_EQ(ftruncate(input, 0), 0);
    ASSERT_INT_EQ(lseek(input, 0, SEEK_SET), 0);
    ASSERT_INT_EQ(write(input, l.buf, l.used), (long long)l.used);
    ASSERT_INT_EQ(lseek(input, 0, SEEK_SET), 0);
    ASSERT_FAILS(image_unpack_layer(input, dir, &opts, &o.res, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "layer needs gid 70000 but the user namespace maps only gids "
                                  "0-65535");
    ASSERT_STR_CONTAINS(err->msg, "/etc/subgid (usermod --add-subgids)");
    ASSERT_INT_EQ(exists_in_layer(&c, "dir"), 0);
    layer_free(&l);
    teardown(&c);
}

TEST(symlinks_stored_verbatim)
{
    struct layer l;
    struct ctx c;
    char buf[256];
    cleanup_free char *p1 = NULL, *p2 = NULL, *p3 = NULL;
    ssize_t n;

    setup(&c);
    layer_init(&l);
    add_symlink(&l, "rel", "../../x/y");
    add_symlink(&l, "abs", "/etc/passwd");
    add_symlink(&l, "outside", c.outside);
    layer_finish(&l);
    unpack_ok(&c, &l);
    p1 = path_in(&c, "rel");
    p2 = path_in(&c, "abs");
    p3 = path_in(&c, "outside");
    n = readlink(p1, buf, sizeof(buf) - 1);
    ASSERT_TRUE(n > 0);
    buf[n] = '\0';
    ASSERT_STR_EQ(buf, "../../x/y");
    n = readlink(p2, buf, sizeof(buf) - 1);
    ASSERT_TRUE(n > 0);
    buf[n] = '\0';
    ASSERT_STR_EQ(buf, "/etc/passwd");
    n = readlink(p3, buf, sizeof(buf) - 1);
    ASSERT_TRUE(n > 0);
    buf[n] = '\0';
    ASSERT_STR_EQ(buf, c.outside);
    layer_free(&l);
    teardown(&c);
}

TEST(hardlinks_share_inode)
{
    struct layer l;
    struct ctx c;
    struct stat a, b;
    cleanup_free char *data = NULL;

    setup(&c);
    layer_init(&l);
    add_file(&l, "usr/bin/perl", 0755, "perl");
    add_hardlink(&l, "usr/bin/perl5", "usr/bin/perl");
    add_hardlink(&l, "top", "/usr/bin/perl");
    layer_finish(&l);
    unpack_ok(&c, &l);
    lstat_in_layer(&c, "usr/bin/perl", &a);
    lstat_in_layer(&c, "usr/bin/perl5", &b);
    ASSERT_UINT_EQ(a.st_ino, b.st_ino);
    lstat_in_layer(&c, "top", &b);
    ASSERT_UINT_EQ(a.st_ino, b.st_ino);
    ASSERT_INT_EQ(a.st_nlink, 3);
    data = read_in_layer(&c, "usr/bin/perl5");
    ASSERT_STR_EQ(data, "perl");
    layer_free(&l);
    teardown(&c);
}

TEST(hardlink_to_directory_or_symlink_refused)
{
    struct layer l;
    struct ctx c;

    setup(&c);
    layer_init(&l);
    add_dir(&l, "d", 0755);
    add_hardlink(&l, "x", "d");
    layer_finish(&l);
    unpack_fails(&c, &l, "layer entry 'x' links to 'd', which is not a regular file");
    layer_free(&l);
    layer_init(&l);
    add_symlink(&l, "s", "/etc/passwd");
    add_hardlink(&l, "y", "s");
    layer_finish(&l);
    unpack_fails(&c, &l, "layer entry 'y' links to 's', which is not a regular file");
    ASSERT_INT_EQ(exists_in_layer(&c, "y"), 0);
    layer_free(&l);
    teardown(&c);
}

TEST(xattrs)
{
    struct layer l;
    struct ctx c;
    struct archive_entry *e;
    struct image_unpack_result r;
    cleanup_free char *p = NULL, *d = NULL;
    char buf[64];
    ssize_t n;

    setup(&c);
    layer_init(&l);
    e = ent("f", AE_IFREG | 0644);
    archive_entry_xattr_add_entry(e, "user.mime", "text/plain", 10);
    /* A layer must not forge overlayfs metadata: dropped and counted. */
    archive_entry_xattr_add_entry(e, "user.overlay.redirect", "/etc", 4);
    archive_entry_xattr_add_entry(e, "trusted.overlay.opaque", "y", 1);
    put(&l, e, "data");
    e = ent("d", AE_IFDIR | 0755);
    archive_entry_xattr_add_entry(e, "user.overlay.opaque", "y", 1);
    archive_entry_xattr_add_entry(e, "user.kept", "1", 1);
    put(&l, e, NULL);
    layer_finish(&l);
    r = unpack_ok(&c, &l);
    ASSERT_UINT_EQ(r.skipped_xattrs, 3);
    p = path_in(&c, "f");
    n = lgetxattr(p, "user.mime", buf, sizeof(buf));
    ASSERT_INT_EQ(n, 10);
    ASSERT_TRUE(memcmp(buf, "text/plain", 10) == 0);
    ASSERT_INT_EQ(lgetxattr(p, "user.overlay.redirect", buf, sizeof(buf)), -1);
    d = path_in(&c, "d");
    ASSERT_INT_EQ(lgetxattr(d, "user.overlay.opaque", buf, sizeof(buf)), -1);
    ASSERT_INT_EQ(lgetxattr(d, "user.kept", buf, sizeof(buf)), 1);
    layer_free(&l);
    teardown(&c);
}

TEST(whiteouts_and_opaque)
{
    struct layer l;
    struct ctx c;
    struct stat st;
    cleanup_free char *dir = NULL;
    char buf[8];

    setup(&c);
    layer_init(&l);
    add_dir(&l, "etc", 0755);
    add_file(&l, "etc/.wh.passwd", 0644, NULL);
    add_file(&l, "opq/.wh..wh..opq", 0644, NULL);
    add_file(&l, "opq/kept", 0644, "k");
    add_file(&l, ".wh..wh.plnk", 0644, NULL);
    /* A whiteout does not hide what this same layer holds (OCI image spec). */
    add_file(&l, "same", 0644, "same layer");
    add_file(&l, ".wh.same", 0644, NULL);
    layer_finish(&l);
    unpack_ok(&c, &l);
    lstat_in_layer(&c, "etc/passwd", &st);
    ASSERT_TRUE(S_ISCHR(st.st_mode));
    ASSERT_UINT_EQ(major(st.st_rdev), 0);
    ASSERT_UINT_EQ(minor(st.st_rdev), 0);
    ASSERT_INT_EQ(exists_in_layer(&c, "etc/.wh.passwd"), 0);
    dir = path_in(&c, "opq");
    ASSERT_INT_EQ(lgetxattr(dir, "user.overlay.opaque", buf, sizeof(buf)), 1);
    ASSERT_INT_EQ(buf[0], 'y');
    ASSERT_INT_EQ(exists_in_layer(&c, "opq/.wh..wh..opq"), 0);
    ASSERT_INT_EQ(exists_in_layer(&c, "opq/kept"), 1);
    ASSERT_INT_EQ(exists_in_layer(&c, ".wh..wh.plnk"), 0);
    lstat_in_layer(&c, "same", &st);
    ASSERT_TRUE(S_ISREG(st.st_mode));
    layer_free(&l);
    teardown(&c);
}

TEST(replacing_entries)
{
    struct layer l;
    struct ctx c;
    struct stat st;
    cleanup_free char *data = NULL;

    setup(&c);
    layer_init(&l);
    add_dir(&l, "d", 0555);
    add_file(&l, "d/sub/file", 0644, "old");
    add_file(&l, "d", 0644, "a file now");
    add_file(&l, "f", 0644, "first");
    add_dir(&l, "f", 0700);
    add_file(&l, "twice", 0644, "one");
    add_file(&l, "twice", 0600, "two");
    add_dir(&l, "keep", 0700);
    add_file(&l, "keep/child", 0644, "c");
    add_dir(&l, "keep", 0750);
    layer_finish(&l);
    unpack_ok(&c, &l);
    data = read_in_layer(&c, "d");
    ASSERT_STR_EQ(data, "a file now");
    lstat_in_layer(&c, "f", &st);
    ASSERT_TRUE(S_ISDIR(st.st_mode));
    ASSERT_INT_EQ(st.st_mode & 07777, 0700);
    free(data);
    data = read_in_layer(&c, "twice");
    ASSERT_STR_EQ(data, "two");
    lstat_in_layer(&c, "twice", &st);
    ASSERT_INT_EQ(st.st_mode & 07777, 0600);
    lstat_in_layer(&c, "keep", &st);
    ASSERT_INT_EQ(st.st_mode & 07777, 0750);
    ASSERT_INT_EQ(exists_in_layer(&c, "keep/child"), 1);
    layer_free(&l);
    teardown(&c);
}

static void check_compression(int filter, enum image_unpack_compression explicit_kind)
{
    struct layer l;
    struct ctx c;
    struct outcome o;
    cleanup_free char *packed = NULL, *data = NULL;
    char want[IMAGE_DIGEST_MAX];
    cleanup_error struct ctr_error *err = NULL;
    size_t len;

    setup(&c);
    layer_init(&l);
    add_file(&l, "hello", 0644, "hello, world\n");
    layer_finish(&l);
    ASSERT_OK(image_digest_buffer("sha256", l.buf, l.used, want, &err), &err);
    packed = compress(&l, filter, &len);
    unpack_bytes(&c, packed, len, IMAGE_UNPACK_AUTO, &o);
    ASSERT_STR_EQ(o.msg, "");
    ASSERT_STR_EQ(o.res.diff_id, want);
    data = read_in_layer(&c, "hello");
    ASSERT_STR_EQ(data, "hello, world\n");
    /* The media type's word is checked against the bytes. */
    unpack_bytes(&c, packed, len, explicit_kind, &o);
    ASSERT_STR_EQ(o.msg, "");
    ASSERT_STR_EQ(o.res.diff_id, want);
    unpack_bytes(&c, packed, len,
                 explicit_kind == IMAGE_UNPACK_NONE ? IMAGE_UNPACK_GZIP : IMAGE_UNPACK_NONE, &o);
    ASSERT_INT_EQ(o.rc, -1);
    ASSERT_STR_CONTAINS(o.msg, "as its media type says");
    layer_free(&l);
    teardown(&c);
}

TEST(gzip_auto)
{
    check_compression(ARCHIVE_FILTER_GZIP, IMAGE_UNPACK_GZIP);
}

TEST(zstd_auto)
{
    check_compression(ARCHIVE_FILTER_ZSTD, IMAGE_UNPACK_ZSTD);
}

TEST(uncompressed_auto)
{
    check_compression(ARCHIVE_FILTER_NONE, IMAGE_UNPACK_NONE);
}

TEST(diff_id_covers_trailing_bytes)
{
    struct layer l;
    struct ctx c;
    struct outcome o;
    char want[IMAGE_DIGEST_MAX];
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *longer = NULL;

    setup(&c);
    layer_init(&l);
    add_file(&l, "a", 0644, "a");
    layer_finish(&l);
    /* Zeros after the end marker, as some writers pad: part of the diff id all the same. */
    longer = xmalloc(l.used + 4096);
    memcpy(longer, l.buf, l.used);
    memset(longer + l.used, 0, 4096);
    ASSERT_OK(image_digest_buffer("sha256", longer, l.used + 4096, want, &err), &err);
    unpack_bytes(&c, longer, l.used + 4096, IMAGE_UNPACK_AUTO, &o);
    ASSERT_STR_EQ(o.msg, "");
    ASSERT_STR_EQ(o.res.diff_id, want);
    layer_free(&l);
    teardown(&c);
}

TEST(empty_layers)
{
    struct ctx c;
    struct outcome o;
    char zeros[1024] = {0};
    char want[IMAGE_DIGEST_MAX];
    cleanup_error struct ctr_error *err = NULL;

    setup(&c);
    /* Docker's empty layer: an end marker only. */
    unpack_bytes(&c, zeros, sizeof(zeros), IMAGE_UNPACK_AUTO, &o);
    ASSERT_STR_EQ(o.msg, "");
    ASSERT_OK(image_digest_buffer("sha256", zeros, sizeof(zeros), want, &err), &err);
    ASSERT_STR_EQ(o.res.diff_id, want);
    unpack_bytes(&c, "", 0, IMAGE_UNPACK_AUTO, &o);
    ASSERT_INT_EQ(o.rc, -1);
    ASSERT_STR_CONTAINS(o.msg, "the layer is empty");
    unpack_bytes(&c, "not a tar file at all", 21, IMAGE_UNPACK_AUTO, &o);
    ASSERT_INT_EQ(o.rc, -1);
    ASSERT_STR_CONTAINS(o.msg, "read the layer");
    teardown(&c);
}

TEST(devices_skipped_in_user_namespace)
{
    struct layer l;
    struct ctx c;
    struct archive_entry *e;
    struct outcome o;
    struct stat st;

    setup(&c);
    layer_init(&l);
    e = ent("dev/null", AE_IFCHR | 0666);
    archive_entry_set_rdev(e, makedev(1, 3));
    put(&l, e, NULL);
    e = ent("dev/loop0", AE_IFBLK | 0660);
    archive_entry_set_rdev(e, makedev(7, 0));
    put(&l, e, NULL);
    put(&l, ent("run/fifo", AE_IFIFO | 0620), NULL);
    layer_finish(&l);
    if (!c.in_ns) {
        /* Real root creates them. */
        o.res = unpack_ok(&c, &l);
        ASSERT_UINT_EQ(o.res.skipped_devices, 0);
        lstat_in_layer(&c, "dev/null", &st);
        ASSERT_TRUE(S_ISCHR(st.st_mode));
        ASSERT_UINT_EQ(st.st_rdev, makedev(1, 3));
        ASSERT_INT_EQ(st.st_mode & 07777, 0666);
        teardown(&c);
        setup(&c);
    }
    /* In a user namespace mknod of a device fails with EPERM: skipped and counted. */
    use_root_ns(&c);
    o.res = unpack_ok(&c, &l);
    ASSERT_UINT_EQ(o.res.skipped_devices, 2);
    ASSERT_INT_EQ(exists_in_layer(&c, "dev/null"), 0);
    lstat_in_layer(&c, "run/fifo", &st);
    ASSERT_TRUE(S_ISFIFO(st.st_mode));
    ASSERT_INT_EQ(st.st_mode & 07777, 0620);
    layer_free(&l);
    teardown(&c);
}

TEST(long_names_refused)
{
    struct layer l;
    struct ctx c;
    char name[5000];

    setup(&c);
    memset(name, 'a', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    for (size_t i = 200; i < sizeof(name) - 1; i += 200)
        name[i] = '/';
    layer_init(&l);
    add_file(&l, name, 0644, "x");
    layer_finish(&l);
    unpack_fails(&c, &l, "has a name longer than 4095 bytes");
    layer_free(&l);
    teardown(&c);
}

TEST(non_ascii_names_kept)
{
    struct archive_entry *e;
    struct layer l;
    struct ctx c;
    cleanup_free char *data = NULL;

    /*
     * Written as a pax header carries it, UTF-8 (libarchive's writer needs a UTF-8 locale for
     * that), and read back in the C locale, which cannot show it: the bytes must survive.
     */
    if (setlocale(LC_ALL, "C.UTF-8") == NULL)
        unit_skip("no C.UTF-8 locale to write a UTF-8 pax header with");
    setup(&c);
    layer_init(&l);
    e = ent("caf\xc3\xa9", AE_IFREG | 0644);
    put(&l, e, "utf-8");
    layer_finish(&l);
    setlocale(LC_ALL, "C");
    unpack_ok(&c, &l);
    data = read_in_layer(&c, "caf\xc3\xa9");
    ASSERT_STR_EQ(data, "utf-8");
    layer_free(&l);
    teardown(&c);
}

/*
 * Sparse and large files.  A layer may carry GNU sparse entries (GNU tar --sparse, or ctr save
 * of a file with holes): only the data runs are in the tar, with a map of where they go.  The
 * holes must stay holes on disk, or a 5 GiB disk image with 10 MiB of data costs 5 GiB per
 * unpack; and offsets and sizes past 4 GiB must survive every step (off_t and la_int64_t, never
 * an int or a size_t on a 32-bit build).
 */

/* One run of data in a sparse file; the rest of the file is holes. */
struct run {
    int64_t off;
    size_t len;
};

/* The byte at `off` inside a run: never 0, and it changes with the offset, so a run that lands
 * shifted or cut short does not compare equal. */
static char pattern(int64_t off)
{
    return (char)('A' + off % 23);
}

static char byte_at(const struct run *runs, size_t n, int64_t off)
{
    for (size_t i = 0; i < n; i++)
        if (off >= runs[i].off && off - runs[i].off < (int64_t)runs[i].len)
            return pattern(off);
    return 0;
}

/*
 * A regular file `size` bytes long with data in `runs` (ascending, not overlapping), as a GNU
 * sparse 1.0 entry: libarchive's pax writer (3.6) writes the GNU.sparse.major/minor/name/
 * realsize keys and the map ahead of the data, as GNU tar --format=pax --sparse does.  The
 * writer wants the whole logical content and drops the bytes that fall in holes, so the holes
 * are handed over as zeros from one small buffer and nothing 5 GiB long is ever built.
 */
static void add_sparse(struct layer *l, const char *path, int64_t size, const struct run *runs,
                       size_t n)
{
    static const char zeros[1 << 20];
    struct archive_entry *e = ent(path, AE_IFREG | 0644);
    int64_t pos = 0;

    archive_entry_set_size(e, size);
    for (size_t i = 0; i < n; i++)
        archive_entry_sparse_add_entry(e, runs[i].off, (la_int64_t)runs[i].len);
    /* Holes only: without a run libarchive would see no map, so an empty one at the end. */
    if (n == 0)
        archive_entry_sparse_add_entry(e, size, 0);
    if (archive_write_header(l->a, e) != ARCHIVE_OK)
        UNIT_FAIL("write header '%s': %s", path, archive_error_string(l->a));
    for (size_t i = 0; i <= n; i++) {
        int64_t hole_end = i < n ? runs[i].off : size;
        cleanup_free char *data = NULL;

        while (pos < hole_end) {
            size_t k = hole_end - pos < (int64_t)sizeof(zeros) ? (size_t)(hole_end - pos)
                                                               : sizeof(zeros);

            ASSERT_INT_EQ(archive_write_data(l->a, zeros, k), (long long)k);
            pos += (int64_t)k;
        }
        if (i == n)
            break;
        data = xmalloc(runs[i].len);
        for (size_t k = 0; k < runs[i].len; k++)
            data[k] = pattern(runs[i].off + (int64_t)k);
        ASSERT_INT_EQ(archive_write_data(l->a, data, runs[i].len), (long long)runs[i].len);
        pos += (int64_t)runs[i].len;
    }
    archive_entry_free(e);
}

/* Compares `len` bytes of `fd` at `off` with what `runs` say is there. */
static void check_range(int fd, const struct run *runs, size_t n, int64_t off, int64_t len)
{
    cleanup_free char *buf = xmalloc(1 << 20);

    while (len > 0) {
        size_t want = len < (1 << 20) ? (size_t)len : (1 << 20);
        ssize_t got = pread(fd, buf, want, off);

        if (got <= 0)
            UNIT_FAIL("read at offset %lld: %s", (long long)off, got < 0 ? strerror(errno) : "EOF");
        for (ssize_t k = 0; k < got; k++)
            if (buf[k] != byte_at(runs, n, off + k))
                UNIT_FAIL("byte at offset %lld is 0x%02x, expected 0x%02x", (long long)(off + k),
                          (unsigned char)buf[k], (unsigned char)byte_at(runs, n, off + k));
        off += got;
        len -= got;
    }
}

/*
 * The unpacked file at `rel` against `runs`: its exact size, its disk use (no more than the
 * runs plus a block or two each, whatever the block size), every region the filesystem reports
 * as data (SEEK_DATA/SEEK_HOLE) read and compared, and each hole sampled in its middle.  A file
 * of at most `full_max` bytes is also read whole, holes and all.
 */
static void check_sparse(const struct ctx *c, const char *rel, int64_t size, const struct run *runs,
                         size_t n, int64_t full_max)
{
    cleanup_free char *p = path_in(c, rel);
    cleanup_close int fd = open(p, O_RDONLY | O_CLOEXEC);
    int64_t budget = 0, data_bytes = 0;
    struct stat st;

    ASSERT_TRUE(fd >= 0);
    ASSERT_INT_EQ(fstat(fd, &st), 0);
    ASSERT_INT_EQ(st.st_size, size);
    for (size_t i = 0; i < n; i++)
        budget += (int64_t)runs[i].len + 2 * 65536;
    ASSERT_TRUE(budget < size / 8);
    if ((int64_t)st.st_blocks * 512 > budget)
        UNIT_FAIL("'%s' uses %lld bytes on disk for %lld bytes of data: its holes were filled", rel,
                  (long long)st.st_blocks * 512, (long long)(budget - (int64_t)n * 2 * 65536));
    for (off_t d = lseek(fd, 0, SEEK_DATA); d >= 0 && d < size; d = lseek(fd, d, SEEK_DATA)) {
        off_t h = lseek(fd, d, SEEK_HOLE);

        ASSERT_TRUE(h > d);
        data_bytes += h - d;
        ASSERT_TRUE(data_bytes <= budget);
        check_range(fd, runs, n, d, h - d);
        d = h;
    }
    for (size_t i = 0; i <= n; i++) {
        int64_t from = i == 0 ? 0 : runs[i - 1].off + (int64_t)runs[i - 1].len;
        int64_t to = i < n ? runs[i].off : size;

        if (to > from)
            check_range(fd, runs, n, from + (to - from) / 2, (to - from) / 2 < 4096 ? 1 : 4096);
    }
    if (size <= full_max)
        check_range(fd, runs, n, 0, size);
    ASSERT_INT_EQ(st.st_mtim.tv_sec, MTIME);
    ASSERT_INT_EQ(st.st_mtim.tv_nsec, MTIME_NSEC);
}

static uint64_t run_bytes(const struct run *runs, size_t n)
{
    uint64_t sum = 0;

    for (size_t i = 0; i < n; i++)
        sum += runs[i].len;
    return sum;
}

TEST(sparse_file_keeps_holes)
{
    /* A leading hole, runs across block boundaries, and a trailing hole (no data block marks
     * the end: only the size in the header does). */
    static const struct run runs[] = {
            {4096 * 3 + 100, 5000},
            {(1 << 20) + 17, 70000},
            {5 << 20, 1},
    };
    const int64_t size = (8 << 20) + 123;
    struct image_unpack_result r;
    char want[IMAGE_DIGEST_MAX];
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *data = NULL;
    struct layer l;
    struct ctx c;

    setup(&c);
    layer_init(&l);
    add_sparse(&l, "disk.img", size, runs, 3);
    add_sparse(&l, "holes", 1 << 20, NULL, 0);
    add_file(&l, "after", 0644, "next entry");
    layer_finish(&l);
    /* Only the data is in the tar. */
    ASSERT_TRUE(l.used < 100 * 1024);
    ASSERT_OK(image_digest_buffer("sha256", l.buf, l.used, want, &err), &err);
    r = unpack_ok(&c, &l);
    ASSERT_STR_EQ(r.diff_id, want);
    ASSERT_UINT_EQ(r.size, run_bytes(runs, 3) + strlen("next entry"));
    check_sparse(&c, "disk.img", size, runs, 3, size);
    check_sparse(&c, "holes", 1 << 20, NULL, 0, 1 << 20);
    /* The entry after it starts where the sparse one's data ends. */
    data = read_in_layer(&c, "after");
    ASSERT_STR_EQ(data, "next entry");
    layer_free(&l);
    teardown(&c);
}

TEST(large_sparse_file_past_4gib)
{
    /* 5 GiB and a few bytes, data at the start, across 2 GiB and 4 GiB (where a 32-bit offset
     * goes negative or wraps) and up to the very end: a few KiB on disk and in the tar. */
    const int64_t gib = INT64_C(1) << 30, size = 5 * gib + 7;
    const struct run runs[] = {
            {0, 5000},
            {2 * gib - 5, 10},
            {4 * gib - 3000, 6000},
            {size - 4100, 4100},
    };
    struct image_unpack_result r;
    char want[IMAGE_DIGEST_MAX];
    cleanup_error struct ctr_error *err = NULL;
    struct layer l;
    struct ctx c;

    setup(&c);
    layer_init(&l);
    add_sparse(&l, "big", size, runs, 4);
    layer_finish(&l);
    ASSERT_TRUE(l.used < 100 * 1024);
    ASSERT_OK(image_digest_buffer("sha256", l.buf, l.used, want, &err), &err);
    r = unpack_ok(&c, &l);
    ASSERT_STR_EQ(r.diff_id, want);
    ASSERT_UINT_EQ(r.size, run_bytes(runs, 4));
    check_sparse(&c, "big", size, runs, 4, 0);
    layer_free(&l);
    teardown(&c);
}

/* What ctr save's tar helper (IMAGE_HELPER_TAR) gets: stdout for the tar, fd 3 for its word. */
struct save_job {
    const struct ctx *c;
    int out;
    int result;
};

/* More than any layer here saves to: a tar with 5 GiB of zeros in it fails with EFBIG instead. */
#define SAVE_MAX (64 << 20)

static int save_child(void *arg)
{
    const struct save_job *j = arg;
    char *argv[] = {(char *)IMAGE_HELPER_TAR, j->c->layer, NULL};
    struct rlimit fsize = {SAVE_MAX, SAVE_MAX};

    if (dup2(j->out, STDOUT_FILENO) < 0 || dup2(j->result, 3) < 0 ||
        signal(SIGXFSZ, SIG_IGN) == SIG_ERR || setrlimit(RLIMIT_FSIZE, &fsize) < 0)
        return 125;
    return image_helper_tar_main(2, argv);
}

/* The layer directory tarred again as ctr save does it, in the namespace when not root. */
static char *save_layer(const struct ctx *c, size_t *ret_len)
{
    cleanup_close int out = memfd_create("saved", MFD_CLOEXEC);
    struct save_job j = {.c = c, .out = out};
    char result[256] = "";
    char *tar;
    off_t len;
    int p[2], status;

    ASSERT_TRUE(out >= 0);
    ASSERT_INT_EQ(pipe2(p, O_CLOEXEC), 0);
    cleanup_close int rd = p[0];
    cleanup_close int wr = p[1];
    j.result = wr;
    if (c->in_ns) {
        status = run_in_ns(c, save_child, &j);
    } else {
        pid_t pid;

        fflush(NULL);
        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0)
            _exit(save_child(&j));
        status = ctr_waitpid(pid);
        ASSERT_TRUE(WIFEXITED(status));
        status = WEXITSTATUS(status);
    }
    close(steal_fd(&wr));
    ASSERT_TRUE(read(rd, result, sizeof(result) - 1) >= 0);
    ASSERT_STR_EQ(result, "ok done\n");
    ASSERT_INT_EQ(status, 0);
    len = lseek(out, 0, SEEK_END);
    ASSERT_TRUE(len > 0);
    tar = xmalloc((size_t)len);
    ASSERT_INT_EQ(pread(out, tar, (size_t)len, 0), (long long)len);
    *ret_len = (size_t)len;
    return tar;
}

TEST(save_keeps_holes)
{
    /* ctr save tars the unpacked directory again: the 5 GiB file must come out as a sparse entry
     * of a few KiB, not 5 GiB of zeros, load back as the same file, and save to the same bytes. */
    const int64_t gib = INT64_C(1) << 30, size = 5 * gib + 7;
    const struct run runs[] = {
            {0, 5000},
            {4 * gib - 3000, 6000},
            {size - 4100, 4100},
    };
    cleanup_free char *saved = NULL, *again = NULL, *data = NULL;
    size_t saved_len, again_len;
    struct outcome o;
    struct layer l;
    struct ctx c;

    setup(&c);
    layer_init(&l);
    add_sparse(&l, "big", size, runs, 3);
    add_sparse(&l, "holes", 1 << 20, NULL, 0);
    add_file(&l, "dense", 0644, "written as it always was");
    add_file(&l, "empty", 0644, "");
    layer_finish(&l);
    unpack_ok(&c, &l);
    saved = save_layer(&c, &saved_len);
    layer_free(&l);
    teardown(&c);
    ASSERT_TRUE(saved_len < 100 * 1024);

    setup(&c);
    unpack_bytes(&c, saved, saved_len, IMAGE_UNPACK_NONE, &o);
    ASSERT_STR_EQ(o.msg, "");
    /* The map is the filesystem's: the runs rounded out to whole blocks. */
    ASSERT_TRUE(o.res.size >= run_bytes(runs, 3) + strlen("written as it always was"));
    ASSERT_TRUE(o.res.size < 100 * 1024);
    check_sparse(&c, "big", size, runs, 3, 0);
    check_sparse(&c, "holes", 1 << 20, NULL, 0, 1 << 20);
    data = read_in_layer(&c, "dense");
    ASSERT_STR_EQ(data, "written as it always was");
    free(data);
    data = read_in_layer(&c, "empty");
    ASSERT_STR_EQ(data, "");
    again = save_layer(&c, &again_len);
    ASSERT_UINT_EQ(again_len, saved_len);
    ASSERT_TRUE(memcmp(again, saved, saved_len) == 0);
    teardown(&c);
}

/* Escapes: each must leave outside/ untouched (teardown checks), most are refused. */

TEST(escape_dotdot)
{
    struct layer l;
    struct ctx c;

    setup(&c);
    layer_init(&l);
    add_file(&l, "../outside/file", 0644, "pwned");
    layer_finish(&l);
    unpack_fails(&c, &l, "layer entry '../outside/file' escapes the layer directory");
    layer_free(&l);
    layer_init(&l);
    add_file(&l, "../x", 0644, "pwned");
    layer_finish(&l);
    unpack_fails(&c, &l, "layer entry '../x' escapes the layer directory");
    layer_free(&l);
    teardown(&c);
}

TEST(escape_inner_dotdot)
{
    struct layer l;
    struct ctx c;

    setup(&c);
    layer_init(&l);
    add_dir(&l, "a", 0755);
    add_file(&l, "a/../../outside/x", 0644, "pwned");
    layer_finish(&l);
    unpack_fails(&c, &l, "layer entry 'a/../../outside/x' escapes the layer directory");
    layer_free(&l);
    /* Within the layer ".." is fine. */
    layer_init(&l);
    add_file(&l, "a/../b", 0644, "fine");
    layer_finish(&l);
    unpack_ok(&c, &l);
    ASSERT_INT_EQ(exists_in_layer(&c, "b"), 1);
    layer_free(&l);
    teardown(&c);
}

TEST(escape_absolute_confined)
{
    struct layer l;
    struct ctx c;
    cleanup_free char *abs = NULL, *rel = NULL;

    setup(&c);
    abs = xasprintf("%s/file", c.outside);
    layer_init(&l);
    /* Confined: "/scratch/outside/file" becomes "scratch/outside/file" inside the layer. */
    add_file(&l, abs, 0644, "confined");
    layer_finish(&l);
    unpack_ok(&c, &l);
    rel = xasprintf("%s/file", c.outside + 1);
    ASSERT_INT_EQ(exists_in_layer(&c, rel), 1);
    layer_free(&l);
    teardown(&c);
}

TEST(escape_symlink_dotdot_parent)
{
    struct layer l;
    struct ctx c;
    cleanup_free char *data = NULL;

    setup(&c);
    layer_init(&l);
    add_symlink(&l, "evil", "..");
    add_file(&l, "evil/outside/file", 0644, "confined");
    layer_finish(&l);
    /* ".." at the layer directory stays there, as at "/": confined, not refused. */
    unpack_ok(&c, &l);
    data = read_in_layer(&c, "outside/file");
    ASSERT_STR_EQ(data, "confined");
    layer_free(&l);
    teardown(&c);
}

TEST(escape_symlink_root_parent)
{
    struct layer l;
    struct ctx c;
    cleanup_free char *data = NULL;

    setup(&c);
    layer_init(&l);
    add_symlink(&l, "evil", "/");
    add_file(&l, "evil/x", 0644, "confined");
    layer_finish(&l);
    unpack_ok(&c, &l);
    data = read_in_layer(&c, "x");
    ASSERT_STR_EQ(data, "confined");
    layer_free(&l);
    teardown(&c);
}

TEST(escape_symlink_absolute_outside)
{
    struct layer l;
    struct ctx c;

    setup(&c);
    layer_init(&l);
    /* The real absolute path of outside/: inside the layer it names nothing. */
    add_symlink(&l, "evil", c.outside);
    add_file(&l, "evil/file", 0644, "pwned");
    layer_finish(&l);
    unpack_fails(&c, &l, "'evil' is a symbolic link to nothing inside the layer");
    layer_free(&l);
    layer_init(&l);
    add_symlink(&l, "evil", c.outside);
    add_file(&l, "evil/new", 0644, "pwned");
    layer_finish(&l);
    unpack_fails(&c, &l, "'evil' is a symbolic link to nothing inside the layer");
    layer_free(&l);
    teardown(&c);
}

TEST(escape_symlink_chain)
{
    struct layer l;
    struct ctx c;
    cleanup_free char *data = NULL;

    setup(&c);
    layer_init(&l);
    add_dir(&l, "d", 0755);
    add_symlink(&l, "a", "d/b");
    add_symlink(&l, "d/b", "../c");
    add_symlink(&l, "c", "../../../..");
    add_file(&l, "a/outside/file", 0644, "confined");
    layer_finish(&l);
    unpack_ok(&c, &l);
    data = read_in_layer(&c, "outside/file");
    ASSERT_STR_EQ(data, "confined");
    layer_free(&l);
    teardown(&c);
}

TEST(escape_hardlink_dotdot)
{
    struct layer l;
    struct ctx c;

    setup(&c);
    layer_init(&l);
    add_hardlink(&l, "x", "../outside/file");
    layer_finish(&l);
    unpack_fails(&c, &l, "layer entry 'x' links to '../outside/file', outside the layer directory");
    ASSERT_INT_EQ(exists_in_layer(&c, "x"), 0);
    layer_free(&l);
    teardown(&c);
}

TEST(escape_hardlink_absolute)
{
    struct layer l;
    struct ctx c;
    cleanup_free char *abs = NULL, *want = NULL;

    setup(&c);
    abs = xasprintf("%s/file", c.outside);
    layer_init(&l);
    add_hardlink(&l, "x", abs);
    layer_finish(&l);
    want = xasprintf("which is not a regular file earlier in this layer");
    unpack_fails(&c, &l, want);
    ASSERT_INT_EQ(exists_in_layer(&c, "x"), 0);
    layer_free(&l);
    teardown(&c);
}

TEST(escape_hardlink_through_symlink)
{
    struct layer l;
    struct ctx c;

    setup(&c);
    layer_init(&l);
    add_symlink(&l, "evil", c.outside);
    add_hardlink(&l, "x", "evil/file");
    layer_finish(&l);
    unpack_fails(&c, &l, "layer entry 'x' links to 'evil/file', which is not a regular file");
    layer_free(&l);
    /* Even a symlink to a directory inside: hardlink names are the files' own paths. */
    layer_init(&l);
    add_file(&l, "real/file", 0644, "x");
    add_symlink(&l, "alias", "real");
    add_hardlink(&l, "x", "alias/file");
    layer_finish(&l);
    unpack_fails(&c, &l, "layer entry 'x' links to 'alias/file', which is not a regular file");
    layer_free(&l);
    teardown(&c);
}

TEST(escape_whiteout_dotdot)
{
    struct layer l;
    struct ctx c;

    setup(&c);
    layer_init(&l);
    add_file(&l, "../outside/.wh.file", 0644, NULL);
    layer_finish(&l);
    unpack_fails(&c, &l, "escapes the layer directory");
    layer_free(&l);
    layer_init(&l);
    add_file(&l, "d/.wh...", 0644, NULL);
    layer_finish(&l);
    unpack_fails(&c, &l, "layer entry 'd/.wh...' escapes the layer directory: whiteout of '..'");
    layer_free(&l);
    layer_init(&l);
    add_file(&l, "d/.wh..", 0644, NULL);
    layer_finish(&l);
    unpack_fails(&c, &l, "layer entry 'd/.wh..' escapes the layer directory: whiteout of '.'");
    layer_free(&l);
    teardown(&c);
}

TEST(escape_whiteout_in_symlinked_dir)
{
    struct layer l;
    struct ctx c;
    struct stat st;

    setup(&c);
    layer_init(&l);
    add_symlink(&l, "evil", c.outside);
    add_file(&l, "evil/.wh.file", 0644, NULL);
    layer_finish(&l);
    unpack_fails(&c, &l, "'evil' is a symbolic link to nothing inside the layer");
    layer_free(&l);
    /* Through a ".." link: confined, the whiteout lands in the layer. */
    layer_init(&l);
    add_symlink(&l, "up", "..");
    add_file(&l, "up/.wh.file", 0644, NULL);
    layer_finish(&l);
    unpack_ok(&c, &l);
    lstat_in_layer(&c, "file", &st);
    ASSERT_TRUE(S_ISCHR(st.st_mode));
    layer_free(&l);
    teardown(&c);
}

TEST(escape_file_replaces_symlink)
{
    struct layer l;
    struct ctx c;
    cleanup_free char *target = NULL, *data = NULL;
    struct stat st;

    setup(&c);
    target = xasprintf("%s/file", c.outside);
    layer_init(&l);
    add_symlink(&l, "evil", target);
    add_file(&l, "evil", 0644, "replaced");
    add_symlink(&l, "evil2", "../outside/file");
    add_file(&l, "evil2", 0644, "replaced too");
    layer_finish(&l);
    unpack_ok(&c, &l);
    lstat_in_layer(&c, "evil", &st);
    ASSERT_TRUE(S_ISREG(st.st_mode));
    data = read_in_layer(&c, "evil");
    ASSERT_STR_EQ(data, "replaced");
    lstat_in_layer(&c, "evil2", &st);
    ASSERT_TRUE(S_ISREG(st.st_mode));
    layer_free(&l);
    teardown(&c);
}

TEST(escape_dir_over_symlink)
{
    struct layer l;
    struct ctx c;
    struct stat st;

    setup(&c);
    layer_init(&l);
    add_symlink(&l, "evil", c.outside);
    add_dir(&l, "evil", 0700);
    add_file(&l, "evil/file", 0600, "inside");
    add_symlink(&l, "evil2", "../outside");
    add_dir(&l, "evil2", 0777);
    layer_finish(&l);
    unpack_ok(&c, &l);
    lstat_in_layer(&c, "evil", &st);
    ASSERT_TRUE(S_ISDIR(st.st_mode));
    ASSERT_INT_EQ(st.st_mode & 07777, 0700);
    ASSERT_INT_EQ(exists_in_layer(&c, "evil/file"), 1);
    lstat_in_layer(&c, "evil2", &st);
    ASSERT_TRUE(S_ISDIR(st.st_mode));
    layer_free(&l);
    teardown(&c);
}

TEST(escape_hardlink_then_write)
{
    struct layer l;
    struct ctx c;
    cleanup_free char *data = NULL;

    setup(&c);
    layer_init(&l);
    /* Rewriting one name of a hardlinked file must not change the other. */
    add_file(&l, "a", 0644, "original");
    add_hardlink(&l, "b", "a");
    add_file(&l, "b", 0644, "rewritten");
    layer_finish(&l);
    unpack_ok(&c, &l);
    data = read_in_layer(&c, "a");
    ASSERT_STR_EQ(data, "original");
    layer_free(&l);
    teardown(&c);
}

TEST(fallback_without_openat2)
{
    struct layer l;
    struct ctx c;
    cleanup_free char *data = NULL;

    setup(&c);
    c.no_openat2 = 1;
    layer_init(&l);
    add_dir(&l, "etc", 0755);
    add_file(&l, "etc/os-release", 0644, "ID=test\n");
    add_file(&l, "implied/dir/f", 0644, "f");
    add_file(&l, "x", 0644, "x");
    add_hardlink(&l, "etc/x", "x");
    layer_finish(&l);
    unpack_ok(&c, &l);
    data = read_in_layer(&c, "etc/os-release");
    ASSERT_STR_EQ(data, "ID=test\n");
    ASSERT_INT_EQ(exists_in_layer(&c, "implied/dir/f"), 1);
    layer_free(&l);
    /* Without openat2 no symlink is followed at all: refused, not confined. */
    layer_init(&l);
    add_symlink(&l, "evil", "..");
    add_file(&l, "evil/x", 0644, "pwned");
    layer_finish(&l);
    unpack_fails(&c, &l, "goes through a symbolic link, which needs openat2");
    layer_free(&l);
    layer_init(&l);
    add_symlink(&l, "evil", c.outside);
    add_file(&l, "evil/file", 0644, "pwned");
    layer_finish(&l);
    unpack_fails(&c, &l, "layer entry 'evil/file'");
    layer_free(&l);
    teardown(&c);
}
