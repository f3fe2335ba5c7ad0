/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "copylayer.h"
#include "fsutil.h"
#include "xalloc.h"

/* Layers are unpacked for overlayfs' userxattr mode (see image/unpack.c). */
#define OPAQUE_XATTR "user.overlay.opaque"

/* Deeper trees are refused rather than exhausting fds. */
#define MAX_DEPTH 512

struct link_seen {
    dev_t dev;
    ino_t ino;
    char *path; /* relative to the destination root */
};

struct copy {
    int dst_root;
    struct link_seen *links;
    size_t n_links;
};

static int is_whiteout(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

/* Copies the xattrs of `src` to `dst` (both opened), except overlayfs' own. */
static int copy_xattrs(int src, int dst, const char *path, struct ctr_error **err)
{
    char names[65536];
    ssize_t len = flistxattr(src, names, sizeof(names));

    if (len < 0)
        return errno == ENOTSUP ? 0 : ctr_error_errno(err, "list the xattrs of '%s'", path);
    for (char *n = names; n < names + len; n += strlen(n) + 1) {
        char value[65536];
        ssize_t vlen;

        if (strncmp(n, "user.overlay.", 13) == 0 || strncmp(n, "trusted.overlay.", 16) == 0)
            continue;
        vlen = fgetxattr(src, n, value, sizeof(value));
        if (vlen < 0 || fsetxattr(dst, n, value, (size_t)vlen, 0) < 0)
            return ctr_error_errno(err, "copy xattr '%s' of '%s'", n, path);
    }
    return 0;
}

/* Owner, mode and times of `dst` from `st`; for a directory after its contents. */
static int copy_meta(int dst, const struct stat *st, const char *path, struct ctr_error **err)
{
    struct timespec times[2] = {st->st_atim, st->st_mtim};

    if (fchown(dst, st->st_uid, st->st_gid) < 0 || fchmod(dst, st->st_mode & 07777) < 0 ||
        futimens(dst, times) < 0)
        return ctr_error_errno(err, "set the owner and mode of '%s'", path);
    return 0;
}

static int copy_file(struct copy *c, int src_dir, int dst_dir, const char *name,
                     const struct stat *st, const char *path, struct ctr_error **err)
{
    cleanup_close int in = -1, out = -1;

    if (st->st_nlink > 1) {
        for (size_t i = 0; i < c->n_links; i++)
            if (c->links[i].dev == st->st_dev && c->links[i].ino == st->st_ino) {
                if (linkat(c->dst_root, c->links[i].path, dst_dir, name, 0) < 0)
                    return ctr_error_errno(err, "link '%s'", path);
                return 0;
            }
        c->links = xreallocarray(c->links, c->n_links + 1, sizeof(*c->links));
        c->links[c->n_links++] = (struct link_seen){st->st_dev, st->st_ino, xstrdup(path)};
    }
    in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    out = openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (in < 0 || out < 0)
        return ctr_error_errno(err, "copy '%s'", path);
    for (;;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);

        if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL)) {
            char buf[65536];

            n = read(in, buf, sizeof(buf));
            if (n > 0 && ctr_write_all(out, buf, (size_t)n) < 0)
                n = -1;
        }
        if (n < 0)
            return ctr_error_errno(err, "copy '%s'", path);
        if (n == 0)
            break;
    }
    if (copy_xattrs(in, out, path, err) < 0)
        return -1;
    return copy_meta(out, st, path, err);
}

static int copy_dir(struct copy *c, int src, int dst, const char *path, int depth,
                    struct ctr_error **err);

static int copy_entry(struct copy *c, int src_dir, int dst_dir, const char *name, const char *path,
                      int depth, struct ctr_error **err)
{
    struct stat st, old;
    int exists;

    if (fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return ctr_error_errno(err, "stat '%s'", path);
    exists = fstatat(dst_dir, name, &old, AT_SYMLINK_NOFOLLOW) == 0;
    /* A whiteout removes what lower layers had; anything but a merged directory is replaced. */
    if (exists && (is_whiteout(&st) || !S_ISDIR(st.st_mode) || !S_ISDIR(old.st_mode))) {
        if (ctr_remove_tree_at(dst_dir, name, err) < 0)
            return -1;
        exists = 0;
    }
    if (is_whiteout(&st))
        return 0;
    if (S_ISDIR(st.st_mode)) {
        cleanup_close int s = -1, d = -1;
        char opaque[2];

        s = openat(src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (s < 0)
            return ctr_error_errno(err, "open '%s'", path);
        /* An opaque directory hides what lower layers had in it. */
        if (exists && fgetxattr(s, OPAQUE_XATTR, opaque, sizeof(opaque)) == 1 && opaque[0] == 'y') {
            if (ctr_remove_tree_at(dst_dir, name, err) < 0)
                return -1;
            exists = 0;
        }
        if (!exists && mkdirat(dst_dir, name, 0700) < 0)
            return ctr_error_errno(err, "create '%s'", path);
        d = openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (d < 0)
            return ctr_error_errno(err, "open '%s'", path);
        if (copy_dir(c, s, d, path, depth + 1, err) < 0 || copy_xattrs(s, d, path, err) < 0)
            return -1;
        return copy_meta(d, &st, path, err);
    }
    if (S_ISREG(st.st_mode))
        return copy_file(c, src_dir, dst_dir, name, &st, path, err);
    if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t n = readlinkat(src_dir, name, target, sizeof(target) - 1);

        if (n < 0)
            return ctr_error_errno(err, "read the link '%s'", path);
        target[n] = '\0';
        if (symlinkat(target, dst_dir, name) < 0 ||
            fchownat(dst_dir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
            return ctr_error_errno(err, "create the link '%s'", path);
        return 0;
    }
    if (mknodat(dst_dir, name, st.st_mode, st.st_rdev) < 0 ||
        fchownat(dst_dir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return ctr_error_errno(err, "create '%s'", path);
    return 0;
}

static int copy_dir(struct copy *c, int src, int dst, const char *path, int depth,
                    struct ctr_error **err)
{
    cleanup_dir DIR *dir = NULL;
    int fd;
    struct dirent *e;

    if (depth > MAX_DEPTH)
        return ctr_error_set(err, ELOOP, "'%s' is nested too deeply", path);
    fd = dup(src);
    if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
        if (fd >= 0)
            close(fd);
        return ctr_error_errno(err, "read '%s'", path);
    }
    while ((errno = 0, e = readdir(dir)) != NULL) {
        cleanup_free char *child = NULL;

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        child = path[0] ? xasprintf("%s/%s", path, e->d_name) : xstrdup(e->d_name);
        if (copy_entry(c, src, dst, e->d_name, child, depth, err) < 0)
            return -1;
    }
    if (errno != 0)
        return ctr_error_errno(err, "read '%s'", path);
    return 0;
}

int ctr_copy_layer(const char *src, const char *dst, struct ctr_error **err)
{
    cleanup_close int s = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_close int d = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct copy c = {.dst_root = d};
    struct stat st;
    int r;

    if (s < 0)
        return ctr_error_errno(err, "open the layer '%s'", src);
    if (d < 0)
        return ctr_error_errno(err, "open '%s'", dst);
    r = copy_dir(&c, s, d, "", 0, err);
    if (r == 0 && fstat(s, &st) == 0 && fchmod(d, st.st_mode & 07777) < 0)
        r = ctr_error_errno(err, "set the mode of '%s'", dst);
    for (size_t i = 0; i < c.n_links; i++)
        free(c.links[i].path);
    free(c.links);
    return r;
}
