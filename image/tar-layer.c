/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctr-tar-layer DIR: writes an unpacked layer directory back out as an uncompressed tar, for
 * `ctr save`.  It runs in the store's user namespace (image_store_spawn), because the files
 * belong to subordinate ids and some are readable by their owner only.
 *
 * The tar undoes what unpack.c did: an overlayfs whiteout (a 0/0 character device) becomes a
 * `.wh.NAME` entry, a directory with user.overlay.opaque=y gets a `.wh..wh..opq` entry, and
 * other user.overlay.* xattrs (overlayfs' own metadata) stay out.  Only user.* xattrs are
 * written: trusted.* cannot be set in a user namespace and security.* would need the
 * namespace's root to be mapped back on the way in.
 *
 * The output is deterministic, so the same layer saves to the same bytes (and diff id) every
 * time: PAX format, entries in byte order of their names (a directory before its contents),
 * owner, mode and mtime only (no atime or ctime, no user or group names), xattrs sorted, and a
 * file that is linked several times written once and then as hardlinks to its first name.
 *
 * A file with holes is written as a sparse entry (see add_sparse_map), so that a 5 GiB disk
 * image holding a few MiB costs a few MiB in the archive, not 5 GiB of zeros.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "image-archive.h"
#include "cleanup.h"
#include "xalloc.h"

#define COPY_BUF     (128 * 1024)
#define MAX_DEPTH    512
#define XATTR_LIST   (64 * 1024)
#define OPAQUE_XATTR "user.overlay.opaque"

/* Files past 2 GiB need a 64-bit off_t for lseek and pread (see unpack.c). */
_Static_assert(sizeof(off_t) == 8, "off_t must be 64 bits");

DEFINE_CLEANUP_FUNC(struct archive *, archive_write_free)
DEFINE_CLEANUP_FUNC(struct archive_entry *, archive_entry_free)

struct seen_inode {
    dev_t dev;
    ino_t ino;
    char *path;
};

struct tarrer {
    struct archive *a;
    struct seen_inode *links;
    size_t n_links;
    char *buf;
};

static int write_fail(struct archive *a, const char *path, struct ctr_error **err)
{
    const char *s = archive_error_string(a);

    return ctr_error_set(err, EIO, "write the tar entry '%s': %s", path,
                         s != NULL ? s : "unknown libarchive error");
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The names in a directory (without "." and ".."), sorted; NULL-terminated. */
static int list_dir(int dfd, char ***ret, struct ctr_error **err)
{
    cleanup_strv char **names = xcalloc(1, sizeof(char *));
    int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_dir DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;
    size_t n = 0;

    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return ctr_error_errno(err, "read a directory");
    }
    while ((errno = 0, e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        names = xreallocarray(names, n + 2, sizeof(char *));
        names[n++] = xstrdup(e->d_name);
        names[n] = NULL;
    }
    if (errno != 0)
        return ctr_error_errno(err, "read a directory");
    qsort(names, n, sizeof(char *), cmp_str);
    *ret = steal_pointer(&names);
    return 0;
}

/* The user.* xattrs of an open file or directory, except overlayfs' own, sorted by name. */
static int add_xattrs(struct archive_entry *ae, int fd, const char *path, struct ctr_error **err)
{
    cleanup_free char *list = xmalloc(XATTR_LIST);
    cleanup_free char **names = NULL;
    ssize_t len = flistxattr(fd, list, XATTR_LIST);
    size_t n = 0;

    if (len < 0)
        return errno == ENOTSUP ? 0 : ctr_error_errno(err, "list the xattrs of '%s'", path);
    for (char *p = list; p < list + len; p += strlen(p) + 1) {
        if (strncmp(p, "user.", 5) != 0 || strncmp(p, "user.overlay.", 13) == 0)
            continue;
        names = xreallocarray(names, n + 1, sizeof(char *));
        names[n++] = p;
    }
    if (n > 0)
        qsort(names, n, sizeof(char *), cmp_str);
    for (size_t i = 0; i < n; i++) {
        cleanup_free char *value = xmalloc(XATTR_SIZE_MAX);
        ssize_t vlen = fgetxattr(fd, names[i], value, XATTR_SIZE_MAX);

        if (vlen < 0)
            return ctr_error_errno(err, "read xattr '%s' of '%s'", names[i], path);
        archive_entry_xattr_add_entry(ae, names[i], value, (size_t)vlen);
    }
    return 0;
}

static struct archive_entry *new_entry(const char *path, const struct stat *st)
{
    struct archive_entry *ae = archive_entry_new();

    if (ae == NULL)
        abort();
    archive_entry_set_pathname(ae, path);
    archive_entry_set_mode(ae, st->st_mode);
    archive_entry_set_uid(ae, st->st_uid);
    archive_entry_set_gid(ae, st->st_gid);
    archive_entry_set_mtime(ae, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
    return ae;
}

/*
 * An empty regular file entry: a whiteout or an opaque marker, owned by root, mtime 0.  Not the
 * whiteout's own time: unpacking makes the 0/0 device when it loads the layer, so its mtime is
 * the time of that load, and a layer saved, loaded and saved again would not keep its diff id.
 */
static int write_marker(struct tarrer *t, const char *path, struct ctr_error **err)
{
    struct stat st = {.st_mode = S_IFREG | 0644};
    cleanup_with(archive_entry_freep) struct archive_entry *ae = new_entry(path, &st);

    archive_entry_set_size(ae, 0);
    if (archive_write_header(t->a, ae) != ARCHIVE_OK)
        return write_fail(t->a, path, err);
    return 0;
}

/*
 * The data regions of a file with holes as the entry's sparse map.  libarchive's pax writer then
 * writes a GNU sparse 1.0 entry (the GNU.sparse.* keys and the map ahead of the data, as
 * `tar --format=pax --sparse` does), which GNU tar, libarchive, Go's archive/tar (Docker,
 * containerd, Podman) and Python's tarfile read, and which unpack.c turns back into holes.
 *
 * The map is what SEEK_DATA/SEEK_HOLE (Linux 3.1) report, so the same store saves the same bytes
 * every time, and a layer saved, loaded and saved again keeps its diff id: unpack.c writes
 * exactly the data regions, which the filesystem allocates as it did before.  A file without
 * holes (SEEK_HOLE finds only the end of the file, as it does on every file of a filesystem that
 * cannot tell) gets no map and is written as it always was.  Must run after the entry's size is
 * set: libarchive drops a run that ends past it.
 */
static int add_sparse_map(struct archive_entry *ae, int fd, const struct stat *st, const char *path,
                          struct ctr_error **err)
{
    off_t hole;

    if (st->st_size == 0)
        return 0; /* and SEEK_HOLE at the end of a file fails with ENXIO */
    hole = lseek(fd, 0, SEEK_HOLE);
    if (hole < 0 && errno == EINVAL)
        return 0; /* no SEEK_HOLE here: read it all */
    if (hole < 0)
        return ctr_error_errno(err, "find the holes of '%s'", path);
    if (hole >= st->st_size)
        return 0;
    for (off_t pos = 0; pos < st->st_size;) {
        off_t data = lseek(fd, pos, SEEK_DATA);

        if (data < 0 && errno == ENXIO)
            break; /* a hole up to the end */
        if (data < 0)
            return ctr_error_errno(err, "find the data of '%s'", path);
        if (data >= st->st_size)
            break;
        hole = lseek(fd, data, SEEK_HOLE);
        if (hole < 0)
            return ctr_error_errno(err, "find the holes of '%s'", path);
        if (hole <= data)
            return ctr_error_set(err, EIO, "'%s' changed while it was read", path);
        if (hole > st->st_size)
            hole = st->st_size;
        archive_entry_sparse_add_entry(ae, data, hole - data);
        pos = hole;
    }
    /* Holes only: an empty run at the end, or libarchive would see no map and want every byte. */
    if (archive_entry_sparse_count(ae) == 0)
        archive_entry_sparse_add_entry(ae, st->st_size, 0);
    return 0;
}

/* `len` bytes of the file from `off` into the entry. */
static int copy_range(struct tarrer *t, int fd, off_t off, off_t len, const char *path,
                      struct ctr_error **err)
{
    while (len > 0) {
        size_t want = len < COPY_BUF ? (size_t)len : COPY_BUF;
        ssize_t n = pread(fd, t->buf, want, off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ctr_error_errno(err, "read '%s'", path);
        if (n == 0)
            return ctr_error_set(err, EIO, "'%s' shrank while it was read", path);
        if (archive_write_data(t->a, t->buf, (size_t)n) != n)
            return write_fail(t->a, path, err);
        off += n;
        len -= n;
    }
    return 0;
}

/*
 * A hole of `len` bytes: the pax writer wants a sparse file's whole content and counts the bytes
 * that fall in a hole off against its map without writing them, so zeros from one buffer do, and
 * nothing is read.
 */
static int skip_hole(struct tarrer *t, off_t len, const char *path, struct ctr_error **err)
{
    static const char zeros[COPY_BUF];

    while (len > 0) {
        size_t n = len < COPY_BUF ? (size_t)len : COPY_BUF;

        if (archive_write_data(t->a, zeros, n) != (la_ssize_t)n)
            return write_fail(t->a, path, err);
        len -= (off_t)n;
    }
    return 0;
}

/* The content after the header: all of it, or the runs of its sparse map and holes between. */
static int write_content(struct tarrer *t, int fd, struct archive_entry *ae, off_t size,
                         const char *path, struct ctr_error **err)
{
    la_int64_t off, len;
    off_t pos = 0;

    if (archive_entry_sparse_reset(ae) == 0)
        return copy_range(t, fd, 0, size, path, err);
    while (archive_entry_sparse_next(ae, &off, &len) == ARCHIVE_OK) {
        if (skip_hole(t, off - pos, path, err) < 0 || copy_range(t, fd, off, len, path, err) < 0)
            return -1;
        pos = off + len;
    }
    return skip_hole(t, size - pos, path, err);
}

static int write_file(struct tarrer *t, int dfd, const char *name, const char *path,
                      const struct stat *st, struct ctr_error **err)
{
    cleanup_with(archive_entry_freep) struct archive_entry *ae = new_entry(path, st);
    cleanup_close int fd = -1;

    if (st->st_nlink > 1) {
        for (size_t i = 0; i < t->n_links; i++) {
            if (t->links[i].dev == st->st_dev && t->links[i].ino == st->st_ino) {
                archive_entry_set_hardlink(ae, t->links[i].path);
                archive_entry_set_size(ae, 0);
                if (archive_write_header(t->a, ae) != ARCHIVE_OK)
                    return write_fail(t->a, path, err);
                return 0;
            }
        }
        t->links = xreallocarray(t->links, t->n_links + 1, sizeof(*t->links));
        t->links[t->n_links++] = (struct seen_inode){st->st_dev, st->st_ino, xstrdup(path)};
    }
    fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return ctr_error_errno(err, "open '%s'", path);
    archive_entry_set_size(ae, st->st_size);
    if (add_sparse_map(ae, fd, st, path, err) < 0 || add_xattrs(ae, fd, path, err) < 0)
        return -1;
    if (archive_write_header(t->a, ae) != ARCHIVE_OK)
        return write_fail(t->a, path, err);
    return write_content(t, fd, ae, st->st_size, path, err);
}

static int walk(struct tarrer *t, int dfd, const char *prefix, int depth, struct ctr_error **err);

static int write_dir(struct tarrer *t, int dfd, const char *name, const char *path,
                     const struct stat *st, int depth, struct ctr_error **err)
{
    cleanup_with(archive_entry_freep) struct archive_entry *ae = new_entry(path, st);
    cleanup_close int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    cleanup_free char *opq = NULL;
    char v[2];

    if (fd < 0)
        return ctr_error_errno(err, "open directory '%s'", path);
    if (depth > MAX_DEPTH)
        return ctr_error_set(err, ELOOP, "'%s' is nested more than %d levels deep", path,
                             MAX_DEPTH);
    if (add_xattrs(ae, fd, path, err) < 0)
        return -1;
    if (archive_write_header(t->a, ae) != ARCHIVE_OK)
        return write_fail(t->a, path, err);
    /* The opaque marker first, as Docker writes it: it hides what lower layers have here. */
    if (fgetxattr(fd, OPAQUE_XATTR, v, sizeof(v)) == 1 && v[0] == 'y') {
        opq = xasprintf("%s/.wh..wh..opq", path);
        if (write_marker(t, opq, err) < 0)
            return -1;
    }
    return walk(t, fd, path, depth + 1, err);
}

static int write_other(struct tarrer *t, int dfd, const char *name, const char *path,
                       const struct stat *st, struct ctr_error **err)
{
    cleanup_with(archive_entry_freep) struct archive_entry *ae = NULL;
    char target[PATH_MAX];

    if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0)) {
        /* An overlayfs whiteout: the OCI form is an empty `.wh.NAME` beside it. */
        const char *slash = strrchr(path, '/');
        cleanup_free char *wh = slash ? xasprintf("%.*s/.wh.%s", (int)(slash - path), path, name)
                                      : xasprintf(".wh.%s", name);

        return write_marker(t, wh, err);
    }
    if (S_ISSOCK(st->st_mode))
        return 0; /* a socket is no content; tar has no type for it */
    ae = new_entry(path, st);
    if (S_ISLNK(st->st_mode)) {
        ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);

        if (n < 0)
            return ctr_error_errno(err, "read the symbolic link '%s'", path);
        target[n] = '\0';
        archive_entry_set_symlink(ae, target);
    } else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
        archive_entry_set_rdev(ae, st->st_rdev);
    }
    if (archive_write_header(t->a, ae) != ARCHIVE_OK)
        return write_fail(t->a, path, err);
    return 0;
}

static int walk(struct tarrer *t, int dfd, const char *prefix, int depth, struct ctr_error **err)
{
    cleanup_strv char **names = NULL;

    if (list_dir(dfd, &names, err) < 0)
        return ctr_error_wrap(err, "'%s'", prefix[0] ? prefix : ".");
    for (char **n = names; *n != NULL; n++) {
        cleanup_free char *path = prefix[0] ? xasprintf("%s/%s", prefix, *n) : xstrdup(*n);
        struct stat st;
        int r;

        if (fstatat(dfd, *n, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return ctr_error_errno(err, "inspect '%s'", path);
        if (S_ISREG(st.st_mode))
            r = write_file(t, dfd, *n, path, &st, err);
        else if (S_ISDIR(st.st_mode))
            r = write_dir(t, dfd, *n, path, &st, depth, err);
        else
            r = write_other(t, dfd, *n, path, &st, err);
        if (r < 0)
            return -1;
    }
    return 0;
}

static int tar_dir(const char *dir, int out_fd, struct ctr_error **err)
{
    cleanup_with(archive_write_freep) struct archive *a = archive_write_new();
    cleanup_close int root = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    cleanup_free char *buf = xmalloc(COPY_BUF);
    struct tarrer t = {.a = a, .buf = buf};
    int r;

    if (a == NULL)
        abort();
    if (root < 0)
        return ctr_error_errno(err, "open '%s'", dir);
    /* Restricted PAX: plain ustar headers unless an entry needs more (xattrs, long names). */
    if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        archive_write_add_filter_none(a) != ARCHIVE_OK ||
        archive_write_open_fd(a, out_fd) != ARCHIVE_OK)
        return write_fail(a, ".", err);
    r = walk(&t, root, "", 0, err);
    for (size_t i = 0; i < t.n_links; i++)
        free(t.links[i].path);
    free(t.links);
    if (r < 0)
        return -1;
    if (archive_write_close(a) != ARCHIVE_OK)
        return write_fail(a, "(end)", err);
    return 0;
}

int image_helper_tar_main(int argc, char **argv)
{
    cleanup_error struct ctr_error *err = NULL;

    if (argc != 2 || argv[1][0] != '/') {
        image_helper_result(0, "usage: %s ABSOLUTE-DIR", IMAGE_HELPER_TAR);
        return 2;
    }
    if (tar_dir(argv[1], STDOUT_FILENO, &err) < 0) {
        image_helper_result(0, "%s", err->msg);
        return 1;
    }
    image_helper_result(1, "done");
    return 0;
}
