/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Layer unpacking.  Every entry of a layer is hostile input: the tar stream comes from a
 * registry, and a layer that writes outside its directory owns the user's account (Docker
 * CVE-2014-6407 and CVE-2014-9356, CVE-2018-15664; containerd CVE-2021-32760; libarchive's
 * own CVE-2015-2304 and CVE-2016-5418).  Hence:
 *
 * - Names are cleaned lexically first: a leading "/" and "." components are dropped (so an
 *   absolute name is confined to the layer, as Docker and containerd do), and a ".." that would
 *   climb above the layer directory refuses the whole layer.  Docker and containerd confine
 *   such a name instead; refusing is safer, and no tar writer produces one by accident.
 * - The parent directory of an entry is opened with openat2(RESOLVE_IN_ROOT |
 *   RESOLVE_NO_MAGICLINKS) (Linux 5.6): a symlink inside the layer may be followed, but ".."
 *   and absolute targets resolve as if the layer directory were "/", so they stay inside
 *   (confined, as containerd's fs.RootPath does).  Without openat2 the fallback walks one
 *   component at a time with O_NOFOLLOW and refuses any symlink on the way.
 * - The final component is only ever touched with calls that do not follow a symlink there:
 *   O_CREAT|O_EXCL|O_NOFOLLOW, mkdirat, symlinkat, mknodat, linkat without AT_SYMLINK_FOLLOW,
 *   fchownat and utimensat with AT_SYMLINK_NOFOLLOW, unlinkat to replace.  Whatever was there
 *   before (from earlier in this layer) is removed first, so a file entry replaces a planted
 *   symlink rather than writing through it.
 * - A hardlink must name a regular file of this layer, reached without any symlink
 *   (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS): the directory starts empty, so what is there came
 *   from this layer.
 * - Owners are checked against the ids the namespace maps before anything is created, and
 *   nothing from a layer may set trusted.* or user.overlay.* xattrs: those carry overlayfs'
 *   own metadata (redirects, opaque markers, metacopy), which a layer must not forge.  They are
 *   dropped and counted in skipped_xattrs.
 *
 * libarchive's archive_write_disk is not used: its path checks are its own, and this file is
 * where ctr states and tests its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "cleanup.h"
#include "fsutil.h"
#include "quote.h"
#include "unpack.h"
#include "xalloc.h"

/* A layer with more entries is refused: base images hold tens of thousands, not millions. */
#define MAX_ENTRIES (1UL << 20)

/* How deep a directory being replaced may be (each level holds a DIR stream). */

/* Far more than any file carries (security.capability, an ACL or two, user.* tags). */
#define MAX_XATTRS 128

/* Symlink targets and names are quoted in messages up to this length. */
#define QUOTE_NAME 200

#define READ_BUF_SIZE (128 * 1024)

/* Files past 2 GiB (a layer may hold a 5 GiB disk image) need a 64-bit off_t for pwrite and
 * ftruncate: every 64-bit Linux has one, a 32-bit build only with _FILE_OFFSET_BITS=64. */
_Static_assert(sizeof(off_t) == 8, "off_t must be 64 bits");

/* The xattr overlayfs reads (with userxattr, Linux 5.11) to make a directory opaque. */
#define OPAQUE_XATTR "user.overlay.opaque"

#define WH      ".wh."
#define WH_OPQ  ".wh..wh..opq"
#define WH_META ".wh..wh."

DEFINE_CLEANUP_FUNC(struct archive *, archive_read_free)
DEFINE_CLEANUP_FUNC(struct image_hasher *, image_hasher_free)

/* A directory whose mode and times are applied once its children are in place. */
struct pending_dir {
    char *path;
    size_t depth;
    size_t order;
    dev_t dev;
    ino_t ino;
    mode_t mode;
    struct timespec times[2];
};

struct unpacker {
    int root; /* the layer directory, O_PATH */
    const struct image_unpack_opts *opts;
    struct image_unpack_result res;
    struct archive *raw; /* reader A: decompresses the input into a byte stream */
    struct archive *tar; /* reader B: reads tar entries from A */
    struct image_hasher *hasher;
    int input_fd;
    uint64_t input_bytes;
    int input_failed;
    char *buf;
    struct pending_dir *dirs;
    size_t n_dirs;
    int no_openat2;
};

/* The entry being applied, as error messages name it. */
struct entry {
    struct archive_entry *ae;
    char *path;   /* cleaned: no leading '/', no "." or "..", "" for the layer directory */
    char *quoted; /* the name from the tar header, fit for a message */
    char *dir;    /* the parent part of path ("" at the top) */
    char *name;   /* the final component ("" for the layer directory) */
};

static void entry_clear(struct entry *e)
{
    free(e->path);
    free(e->quoted);
    free(e->dir);
    free(e->name);
}

/* The one adapter from libarchive errors to ours. */
static int archive_fail(struct ctr_error **err, struct archive *a, const char *what)
{
    const char *s = archive_error_string(a);
    cleanup_free char *q = image_quote_max(s != NULL ? s : "unknown libarchive error", 300);
    int code = archive_errno(a);

    return ctr_error_set(err, code > 0 ? code : EINVAL, "%s: %s", what, q);
}

/* Reader callbacks. */

static la_ssize_t read_input(struct archive *a, void *data, const void **ret_buf)
{
    struct unpacker *u = data;

    for (;;) {
        ssize_t n = read(u->input_fd, u->buf, READ_BUF_SIZE);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            u->input_failed = 1;
            archive_set_error(a, errno, "%s", strerror(errno));
            return -1;
        }
        u->input_bytes += (uint64_t)n;
        *ret_buf = u->buf;
        return n;
    }
}

/* The next block of the decompressed stream, hashed as it passes: 0 at its end. */
static la_ssize_t read_decompressed(struct archive *a, void *data, const void **ret_buf)
{
    struct unpacker *u = data;

    for (;;) {
        size_t size = 0;
        la_int64_t offset;
        int r = archive_read_data_block(u->raw, ret_buf, &size, &offset);

        if (r == ARCHIVE_EOF)
            return 0;
        if (r < ARCHIVE_WARN) {
            const char *s = archive_error_string(u->raw);

            archive_set_error(a, archive_errno(u->raw), "%s", s ? s : "decompression failed");
            return -1;
        }
        if (size == 0)
            continue;
        image_hasher_update(u->hasher, *ret_buf, size);
        return (la_ssize_t)size;
    }
}

static int add_filter(struct archive *a, int (*support)(struct archive *), const char *name,
                      struct ctr_error **err)
{
    /* Without the library built in, libarchive would run an external program: not for us. */
    if (support(a) != ARCHIVE_OK)
        return ctr_error_set(err, ENOTSUP, "this libarchive cannot decompress %s in-process", name);
    return 0;
}

static int open_readers(struct unpacker *u, struct ctr_error **err)
{
    enum image_unpack_compression c = u->opts->compression;
    struct archive_entry *ae;
    int code, want;

    u->raw = archive_read_new();
    u->tar = archive_read_new();
    if (u->raw == NULL || u->tar == NULL)
        abort();
    /*
     * Both decompressors whatever the media type says, so that the bytes decide and a mismatch
     * is named rather than reported as a broken tar.
     */
    if (add_filter(u->raw, archive_read_support_filter_gzip, "gzip", err) < 0 ||
        add_filter(u->raw, archive_read_support_filter_zstd, "zstd", err) < 0)
        return -1;
    archive_read_support_format_raw(u->raw);
    if (archive_read_open(u->raw, u, NULL, read_input, NULL) != ARCHIVE_OK ||
        archive_read_next_header(u->raw, &ae) != ARCHIVE_OK) {
        /* The raw format takes any byte; only an empty input (or a read error) gets here. */
        if (u->input_bytes == 0 && !u->input_failed)
            return ctr_error_set(err, EINVAL, "the layer is empty: not even a tar end marker");
        return archive_fail(err, u->raw, "read the layer");
    }
    /* libarchive would also undo a second compression inside the first: no layer has that. */
    if (archive_filter_count(u->raw) > 2)
        return ctr_error_set(err, EINVAL, "the layer is compressed more than once");
    code = archive_filter_code(u->raw, 0);
    want = c == IMAGE_UNPACK_GZIP   ? ARCHIVE_FILTER_GZIP
           : c == IMAGE_UNPACK_ZSTD ? ARCHIVE_FILTER_ZSTD
           : c == IMAGE_UNPACK_NONE ? ARCHIVE_FILTER_NONE
                                    : code;
    if (code != want)
        return ctr_error_set(err, EINVAL, "the layer is not %s as its media type says",
                             c == IMAGE_UNPACK_GZIP   ? "gzip-compressed"
                             : c == IMAGE_UNPACK_ZSTD ? "zstd-compressed"
                                                      : "an uncompressed tar");
    /* ustar, pax and GNU tar, no filters: its input is already decompressed. */
    archive_read_support_format_tar(u->tar);
    if (archive_read_open(u->tar, u, NULL, read_decompressed, NULL) != ARCHIVE_OK)
        return archive_fail(err, u->tar, "read the layer");
    return 0;
}

/* Reads what follows the tar end marker, so the diff id covers the whole stream. */
static int drain(struct unpacker *u, struct ctr_error **err)
{
    const void *buf;
    la_ssize_t n;

    while ((n = read_decompressed(u->tar, u, &buf)) > 0)
        ;
    if (n < 0)
        return archive_fail(err, u->tar, "read the layer");
    /* And the compressed input to its end, for a caller that hashes what we read. */
    while ((n = read_input(u->raw, u, &buf)) > 0)
        ;
    if (n < 0)
        return archive_fail(err, u->raw, "read the layer");
    return 0;
}

/* Names. */

/*
 * Cleans `in` lexically into *ret: "/" and "." dropped, ".." applied.  Returns 0, or -1 when a
 * ".." would climb above the top.
 */
static int clean_path(const char *in, char **ret)
{
    size_t len = strlen(in), out_len = 0;
    char *out = xmalloc(len + 1);

    out[0] = '\0';
    for (const char *p = in; *p != '\0';) {
        size_t n = strcspn(p, "/");

        if (n == 0 || (n == 1 && p[0] == '.')) {
            /* an empty or "." component */
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (out_len == 0) {
                free(out);
                return -1;
            }
            while (out_len > 0 && out[out_len - 1] != '/')
                out_len--;
            if (out_len > 0)
                out_len--;
            out[out_len] = '\0';
        } else {
            if (out_len > 0)
                out[out_len++] = '/';
            memcpy(out + out_len, p, n);
            out_len += n;
            out[out_len] = '\0';
        }
        p += n;
        if (*p == '/')
            p++;
    }
    *ret = out;
    return 0;
}

static void split_path(const char *path, char **ret_dir, char **ret_name)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL) {
        *ret_dir = xstrdup("");
        *ret_name = xstrdup(path);
    } else {
        *ret_dir = xstrndup(path, (size_t)(slash - path));
        *ret_name = xstrdup(slash + 1);
    }
}

static size_t path_depth(const char *path)
{
    size_t d = path[0] != '\0';

    for (const char *p = path; *p != '\0'; p++)
        d += *p == '/';
    return d;
}

/* Resolution. */

enum resolve_mode {
    RESOLVE_FOLLOW_INSIDE, /* symlinks followed, confined to the layer (RESOLVE_IN_ROOT) */
    RESOLVE_NO_LINKS,      /* no symlink at all (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) */
};

/*
 * Without openat2 (Linux < 5.6, or a seccomp filter that answers ENOSYS): one component at a
 * time, never following a symlink, so no resolution can leave the layer.  A symlink on the way
 * fails with ELOOP, in both modes: emulating RESOLVE_IN_ROOT in user space is where the bugs of
 * others lived (CVE-2018-15664).
 */
static int walk_nofollow(struct unpacker *u, const char *path, int oflags)
{
    cleanup_close int cur = openat(u->root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);

    if (cur < 0)
        return -1;
    for (const char *p = path; *p != '\0';) {
        size_t n = strcspn(p, "/");
        char comp[NAME_MAX + 1];
        struct stat st;
        int next;

        if (n > NAME_MAX) {
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy(comp, p, n);
        comp[n] = '\0';
        next = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0)
            return -1;
        close(cur);
        cur = next;
        if (fstat(cur, &st) < 0)
            return -1;
        if (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode)) {
            errno = S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR;
            return -1;
        }
        p += n;
        if (*p == '/')
            p++;
    }
    if ((oflags & O_PATH) != 0)
        return steal_fd(&cur);
    return openat(cur, ".", oflags | O_DIRECTORY | O_CLOEXEC);
}

/* Opens the directory `path` (cleaned, relative to the layer).  -1 with errno set. */
static int resolve_dir(struct unpacker *u, const char *path, int oflags, enum resolve_mode mode)
{
    if (path[0] == '\0')
        return openat(u->root, ".", oflags | O_DIRECTORY | O_CLOEXEC);
    if (!u->no_openat2) {
        struct open_how how = {
                .flags = (unsigned long long)(oflags | O_DIRECTORY | O_CLOEXEC),
                .resolve = mode == RESOLVE_FOLLOW_INSIDE
                                   ? RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS
                                   : RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };

        /* EAGAIN: a rename raced with a ".." lookup; the kernel asks us to try again. */
        for (int i = 0; i < 32; i++) {
            long fd = syscall(SYS_openat2, u->root, path, &how, sizeof(how));

            if (fd >= 0)
                return (int)fd;
            if (errno != EAGAIN)
                break;
        }
        if (errno != ENOSYS)
            return -1;
        u->no_openat2 = 1;
    }
    return walk_nofollow(u, path, oflags);
}

static int resolve_fail(struct unpacker *u, struct entry *e, const char *dir,
                        struct ctr_error **err)
{
    cleanup_free char *qdir = image_quote_max(dir, QUOTE_NAME);

    if (errno == ELOOP && u->no_openat2)
        return ctr_error_set(err, ELOOP,
                             "layer entry '%s': its directory '%s' goes through a symbolic link, "
                             "which needs openat2 (Linux 5.6) to follow safely",
                             e->quoted, qdir);
    if (errno == ELOOP)
        return ctr_error_set(err, ELOOP,
                             "layer entry '%s': its directory '%s' goes through too many "
                             "symbolic links",
                             e->quoted, qdir);
    return ctr_error_errno(err, "layer entry '%s': open its directory '%s'", e->quoted, qdir);
}

/*
 * Opens (O_PATH) the parent directory of an entry, creating missing directories (mode 0755,
 * as Docker does for parents a layer does not list) one component at a time.
 */
static int open_parent(struct unpacker *u, struct entry *e, struct ctr_error **err)
{
    int fd = resolve_dir(u, e->dir, O_PATH, RESOLVE_FOLLOW_INSIDE);

    if (fd >= 0)
        return fd;
    if (errno != ENOENT)
        return resolve_fail(u, e, e->dir, err);
    cleanup_close int cur = resolve_dir(u, "", O_PATH, RESOLVE_FOLLOW_INSIDE);
    if (cur < 0)
        return resolve_fail(u, e, "", err);
    for (size_t end = 0, start = 0; e->dir[start] != '\0'; start = end + (e->dir[end] == '/')) {
        cleanup_free char *prefix = NULL, *comp = NULL;
        int next;

        end = start + strcspn(e->dir + start, "/");
        prefix = xstrndup(e->dir, end);
        comp = xstrndup(e->dir + start, end - start);
        next = resolve_dir(u, prefix, O_PATH, RESOLVE_FOLLOW_INSIDE);
        if (next < 0 && errno == ENOENT) {
            /* mkdirat never follows a symlink at `comp`: a dangling one gives EEXIST. */
            if (mkdirat(cur, comp, 0755) < 0) {
                cleanup_free char *q = image_quote_max(prefix, QUOTE_NAME);

                if (errno == EEXIST)
                    return ctr_error_set(err, ELOOP,
                                         "layer entry '%s': '%s' is a symbolic link to nothing "
                                         "inside the layer",
                                         e->quoted, q);
                return ctr_error_errno(err, "layer entry '%s': create directory '%s'", e->quoted,
                                       q);
            }
            next = resolve_dir(u, prefix, O_PATH, RESOLVE_FOLLOW_INSIDE);
        }
        if (next < 0)
            return resolve_fail(u, e, prefix, err);
        close(cur);
        cur = next;
    }
    return steal_fd(&cur);
}

/*
 * Clears the way for an entry at `name`: a later entry replaces an earlier one.  Returns 1 when
 * an existing directory stays (keep_dir), 0 when the name is free, -1 on error.
 */
static int make_room(int parent, struct entry *e, int keep_dir, struct ctr_error **err)
{
    struct stat st;

    if (fstatat(parent, e->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return 0;
        return ctr_error_errno(err, "layer entry '%s': inspect what is there", e->quoted);
    }
    if (S_ISDIR(st.st_mode) && keep_dir)
        return 1;
    if (ctr_remove_tree_at(parent, e->name, err) < 0)
        return ctr_error_wrap(err, "layer entry '%s': remove what it replaces", e->quoted);
    return 0;
}

/* Metadata. */

static int check_owner(struct unpacker *u, struct entry *e, struct ctr_error **err)
{
    la_int64_t uid = archive_entry_uid(e->ae), gid = archive_entry_gid(e->ae);
    unsigned long max_uid = u->opts->max_uid, max_gid = u->opts->max_gid;

    /* (uid_t)-1 means "unchanged" to chown(2), and larger ids do not exist. */
    if (uid < 0 || uid >= 4294967295LL || gid < 0 || gid >= 4294967295LL)
        return ctr_error_set(err, EINVAL, "layer entry '%s' has an impossible owner %lld:%lld",
                             e->quoted, (long long)uid, (long long)gid);
    if (max_uid != 0 && (unsigned long long)uid >= max_uid)
        return ctr_error_set(err, ERANGE,
                             "layer needs uid %lld but the user namespace maps only uids 0-%lu: "
                             "ask an administrator for a larger range in /etc/subuid "
                             "(usermod --add-subuids)",
                             (long long)uid, max_uid - 1);
    if (max_gid != 0 && (unsigned long long)gid >= max_gid)
        return ctr_error_set(err, ERANGE,
                             "layer needs gid %lld but the user namespace maps only gids 0-%lu: "
                             "ask an administrator for a larger range in /etc/subgid "
                             "(usermod --add-subgids)",
                             (long long)gid, max_gid - 1);
    return 0;
}

static struct timespec clamp_time(time_t sec, long nsec)
{
    return (struct timespec){.tv_sec = sec, .tv_nsec = nsec >= 0 && nsec < 1000000000 ? nsec : 0};
}

static void entry_times(struct archive_entry *ae, struct timespec ts[2])
{
    if (archive_entry_mtime_is_set(ae))
        ts[1] = clamp_time(archive_entry_mtime(ae), archive_entry_mtime_nsec(ae));
    else
        ts[1] = (struct timespec){.tv_nsec = UTIME_OMIT};
    /* Without an atime in the header, the mtime: the layer then unpacks the same every time. */
    if (archive_entry_atime_is_set(ae))
        ts[0] = clamp_time(archive_entry_atime(ae), archive_entry_atime_nsec(ae));
    else
        ts[0] = ts[1];
}

/* A time the file system cannot store (before 1901 on some) is left as it is, not an error. */
static int times_fail(struct entry *e, struct ctr_error **err)
{
    if (errno == EINVAL || errno == EOVERFLOW || errno == ERANGE)
        return 0;
    return ctr_error_errno(err, "layer entry '%s': set its times", e->quoted);
}

/* Errors of setxattr that mean "not here, not for you": counted, not fatal. */
static int xattr_skippable(int errnum)
{
    return errnum == EPERM || errnum == ENOTSUP || errnum == EACCES || errnum == EINVAL ||
           errnum == E2BIG || errnum == ERANGE;
}

/*
 * Sets the entry's xattrs on `fd` (an open file or directory), or else on `parent`/name without
 * following a symlink there (lsetxattr through the parent's /proc/self/fd link).  libarchive
 * reports a name twice when the header has both its own LIBARCHIVE.xattr and SCHILY.xattr
 * records: the first one counts.
 */
static int apply_xattrs(struct unpacker *u, struct entry *e, int fd, int parent,
                        struct ctr_error **err)
{
    cleanup_free char *proc = NULL;
    const char *names[MAX_XATTRS];
    const void *values[MAX_XATTRS];
    size_t sizes[MAX_XATTRS], n = 0;
    int count = archive_entry_xattr_reset(e->ae);

    if (count == 0)
        return 0;
    if (count > MAX_XATTRS)
        return ctr_error_set(err, E2BIG, "layer entry '%s' has more than %d xattrs", e->quoted,
                             MAX_XATTRS);
    while (n < MAX_XATTRS &&
           archive_entry_xattr_next(e->ae, &names[n], &values[n], &sizes[n]) == ARCHIVE_OK)
        n++;
    if (fd < 0)
        proc = xasprintf("/proc/self/fd/%d/%s", parent, e->name);
    for (size_t i = 0; i < n; i++) {
        const char *xname = names[i];
        int seen = 0, r;

        for (size_t k = 0; k < i && !seen; k++)
            seen = names[k] != NULL && xname != NULL && strcmp(names[k], xname) == 0;
        if (seen)
            continue;
        if (xname == NULL || strncmp(xname, "trusted.", 8) == 0 ||
            strncmp(xname, "user.overlay.", 13) == 0) {
            u->res.skipped_xattrs++;
            continue;
        }
        r = fd >= 0 ? fsetxattr(fd, xname, values[i], sizes[i], 0)
                    : lsetxattr(proc, xname, values[i], sizes[i], 0);
        if (r == 0)
            continue;
        if (!xattr_skippable(errno)) {
            cleanup_free char *q = image_quote_max(xname, QUOTE_NAME);

            return ctr_error_errno(err, "layer entry '%s': set xattr '%s'", e->quoted, q);
        }
        u->res.skipped_xattrs++;
    }
    return 0;
}

/* Owner, then mode (chown(2) clears setuid/setgid), xattrs and times of an open file. */
static int apply_fd_meta(struct unpacker *u, struct entry *e, int fd, int with_mode,
                         struct ctr_error **err)
{
    struct timespec ts[2];

    if (fchown(fd, (uid_t)archive_entry_uid(e->ae), (gid_t)archive_entry_gid(e->ae)) < 0)
        return ctr_error_errno(err, "layer entry '%s': set its owner", e->quoted);
    if (with_mode && fchmod(fd, archive_entry_perm(e->ae) & 07777) < 0)
        return ctr_error_errno(err, "layer entry '%s': set its mode", e->quoted);
    if (apply_xattrs(u, e, fd, -1, err) < 0)
        return -1;
    if (!with_mode)
        return 0;
    entry_times(e->ae, ts);
    if (futimens(fd, ts) < 0)
        return times_fail(e, err);
    return 0;
}

/* Entry kinds. */

static int write_content(struct unpacker *u, struct entry *e, int fd, struct ctr_error **err)
{
    la_int64_t end = 0;

    for (;;) {
        const void *buf;
        size_t size;
        la_int64_t off;
        int r = archive_read_data_block(u->tar, &buf, &size, &off);

        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN)
            return archive_fail(err, u->tar, "read the layer");
        if (off < 0 || (uint64_t)off > (uint64_t)INT64_MAX - size)
            return ctr_error_set(err, EINVAL, "layer entry '%s' has data at an impossible offset",
                                 e->quoted);
        /* A sparse file's holes are skipped offsets: pwrite past them leaves them holes. */
        for (size_t done = 0; done < size;) {
            ssize_t n = pwrite(fd, (const char *)buf + done, size - done, off + (off_t)done);

            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return ctr_error_errno(err, "layer entry '%s': write", e->quoted);
            done += (size_t)n;
        }
        u->res.size += size;
        if (off + (la_int64_t)size > end)
            end = off + (la_int64_t)size;
    }
    /* A trailing hole has no data block. */
    if (archive_entry_size_is_set(e->ae) && archive_entry_size(e->ae) > end &&
        ftruncate(fd, archive_entry_size(e->ae)) < 0)
        return ctr_error_errno(err, "layer entry '%s': set its size", e->quoted);
    return 0;
}

static int apply_file(struct unpacker *u, struct entry *e, int parent, struct ctr_error **err)
{
    if (make_room(parent, e, 0, err) < 0)
        return -1;
    /* O_EXCL: fails on anything already there, a symlink included, so nothing is followed. */
    cleanup_close int fd =
            openat(parent, e->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return ctr_error_errno(err, "layer entry '%s': create", e->quoted);
    if (write_content(u, e, fd, err) < 0)
        return -1;
    return apply_fd_meta(u, e, fd, 1, err);
}

static int apply_dir(struct unpacker *u, struct entry *e, int parent, struct ctr_error **err)
{
    cleanup_close int fd = -1;
    struct pending_dir *p;
    struct stat st;

    if (e->name[0] == '\0') {
        fd = openat(u->root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } else {
        int kept = make_room(parent, e, 1, err);

        if (kept < 0)
            return -1;
        /* 0700 until the final pass: a 0555 directory must still take its children. */
        if (!kept && mkdirat(parent, e->name, 0700) < 0)
            return ctr_error_errno(err, "layer entry '%s': create directory", e->quoted);
        fd = openat(parent, e->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0 || fstat(fd, &st) < 0)
        return ctr_error_errno(err, "layer entry '%s': open directory", e->quoted);
    if (apply_fd_meta(u, e, fd, 0, err) < 0)
        return -1;
    u->dirs = xreallocarray(u->dirs, u->n_dirs + 1, sizeof(*u->dirs));
    p = &u->dirs[u->n_dirs];
    *p = (struct pending_dir){.path = xstrdup(e->path),
                              .depth = path_depth(e->path),
                              .order = u->n_dirs,
                              .dev = st.st_dev,
                              .ino = st.st_ino,
                              .mode = archive_entry_perm(e->ae) & 07777};
    entry_times(e->ae, p->times);
    u->n_dirs++;
    return 0;
}

static int apply_symlink(struct unpacker *u, struct entry *e, int parent, struct ctr_error **err)
{
    const char *target = archive_entry_symlink(e->ae);
    struct timespec ts[2];

    if (target == NULL || target[0] == '\0' || strlen(target) >= PATH_MAX)
        return ctr_error_set(err, EINVAL,
                             "layer entry '%s' is a symbolic link without a valid "
                             "target",
                             e->quoted);
    if (make_room(parent, e, 0, err) < 0)
        return -1;
    /* The target is stored as it is: it is never followed here, only in the container. */
    if (symlinkat(target, parent, e->name) < 0)
        return ctr_error_errno(err, "layer entry '%s': create symbolic link", e->quoted);
    if (fchownat(parent, e->name, (uid_t)archive_entry_uid(e->ae), (gid_t)archive_entry_gid(e->ae),
                 AT_SYMLINK_NOFOLLOW) < 0)
        return ctr_error_errno(err, "layer entry '%s': set its owner", e->quoted);
    if (apply_xattrs(u, e, -1, parent, err) < 0)
        return -1;
    entry_times(e->ae, ts);
    if (utimensat(parent, e->name, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return times_fail(e, err);
    return 0;
}

static int apply_node(struct unpacker *u, struct entry *e, int parent, struct ctr_error **err)
{
    mode_t type = archive_entry_filetype(e->ae);
    cleanup_free char *proc = NULL;
    struct timespec ts[2];
    struct stat st;

    if (make_room(parent, e, 0, err) < 0)
        return -1;
    if (mknodat(parent, e->name, type | 0600, archive_entry_rdev(e->ae)) < 0) {
        /* A user namespace may not create devices; the caller warns once per image. */
        if (errno == EPERM && type != AE_IFIFO) {
            u->res.skipped_devices++;
            return 0;
        }
        return ctr_error_errno(err, "layer entry '%s': create %s", e->quoted,
                               type == AE_IFIFO ? "fifo" : "device node");
    }
    /* An O_PATH handle on the node itself; its /proc link leads to it and nowhere else. */
    cleanup_close int fd = openat(parent, e->name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0)
        return ctr_error_errno(err, "layer entry '%s': open", e->quoted);
    if ((st.st_mode & S_IFMT) != type)
        return ctr_error_set(err, EEXIST, "layer entry '%s' changed while it was created",
                             e->quoted);
    if (fchownat(fd, "", (uid_t)archive_entry_uid(e->ae), (gid_t)archive_entry_gid(e->ae),
                 AT_EMPTY_PATH) < 0)
        return ctr_error_errno(err, "layer entry '%s': set its owner", e->quoted);
    proc = xasprintf("/proc/self/fd/%d", fd);
    if (chmod(proc, archive_entry_perm(e->ae) & 07777) < 0)
        return ctr_error_errno(err, "layer entry '%s': set its mode", e->quoted);
    if (apply_xattrs(u, e, -1, parent, err) < 0)
        return -1;
    entry_times(e->ae, ts);
    if (utimensat(parent, e->name, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return times_fail(e, err);
    return 0;
}

static int apply_hardlink(struct unpacker *u, struct entry *e, int parent, const char *raw_target,
                          struct ctr_error **err)
{
    cleanup_free char *target = NULL, *tdir = NULL, *tname = NULL;
    cleanup_free char *qt = image_quote_max(raw_target, QUOTE_NAME);
    cleanup_close int tparent = -1;
    struct stat st;

    if (strlen(raw_target) >= PATH_MAX || clean_path(raw_target, &target) < 0)
        return ctr_error_set(err, EXDEV,
                             "layer entry '%s' links to '%s', outside the layer directory",
                             e->quoted, qt);
    if (strcmp(target, e->path) == 0)
        return 0;
    split_path(target, &tdir, &tname);
    tparent = resolve_dir(u, tdir, O_PATH, RESOLVE_NO_LINKS);
    if (tname[0] == '\0' || tparent < 0 || fstatat(tparent, tname, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
        !S_ISREG(st.st_mode))
        return ctr_error_set(err, EXDEV,
                             "layer entry '%s' links to '%s', which is not a regular file "
                             "earlier in this layer",
                             e->quoted, qt);
    if (make_room(parent, e, 0, err) < 0)
        return -1;
    /* Flags 0: a symlink at the target would be linked itself, never followed. */
    if (linkat(tparent, tname, parent, e->name, 0) < 0)
        return ctr_error_errno(err, "layer entry '%s': link to '%s'", e->quoted, qt);
    return 0;
}

/* `.wh.NAME`: a 0/0 character device NAME, overlayfs' whiteout. */
static int apply_whiteout(struct entry *e, int parent, const char *victim, struct ctr_error **err)
{
    cleanup_free char *qv = image_quote_max(victim, QUOTE_NAME);
    struct stat st;

    if (victim[0] == '\0' || strchr(victim, '/') != NULL || strcmp(victim, ".") == 0 ||
        strcmp(victim, "..") == 0)
        return ctr_error_set(err, EXDEV,
                             "layer entry '%s' escapes the layer directory: whiteout of '%s'",
                             e->quoted, qv);
    /*
     * Whiteouts hide what lower layers hold (OCI image spec, "Whiteouts").  Something this layer
     * already put there is not hidden by it, and already hides the lower file.
     */
    if (fstatat(parent, victim, &st, AT_SYMLINK_NOFOLLOW) == 0)
        return 0;
    if (errno != ENOENT)
        return ctr_error_errno(err, "layer entry '%s': inspect '%s'", e->quoted, qv);
    /* Creating a 0/0 device in a user namespace needs Linux 5.8 ("allow unprivileged whiteout
     * creation"). */
    if (mknodat(parent, victim, S_IFCHR | 0, makedev(0, 0)) < 0)
        return ctr_error_errno(err,
                               "layer entry '%s': create the whiteout '%s' (in a user namespace "
                               "this needs Linux 5.8 or newer)",
                               e->quoted, qv);
    return 0;
}

static int apply_opaque(struct entry *e, int parent, struct ctr_error **err)
{
    cleanup_close int fd = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0 || fsetxattr(fd, OPAQUE_XATTR, "y", 1, 0) < 0)
        return ctr_error_errno(err, "layer entry '%s': mark its directory opaque (%s)", e->quoted,
                               OPAQUE_XATTR);
    return 0;
}

/* Applies an entry below the layer directory, in its parent. */
static int apply_in_parent(struct unpacker *u, struct entry *e, struct ctr_error **err)
{
    const char *link = archive_entry_hardlink(e->ae);
    mode_t type = archive_entry_filetype(e->ae);
    int is_wh = strncmp(e->name, WH, strlen(WH)) == 0;

    /* Owners first, before anything of this entry exists. */
    if (link == NULL && !is_wh && check_owner(u, e, err) < 0)
        return -1;
    cleanup_close int parent = open_parent(u, e, err);
    if (parent < 0)
        return -1;
    if (strcmp(e->name, WH_OPQ) == 0)
        return apply_opaque(e, parent, err);
    if (strncmp(e->name, WH_META, strlen(WH_META)) == 0)
        return 0; /* .wh..wh.plnk and the like: AUFS internals, ignored as the spec says */
    if (is_wh)
        return apply_whiteout(e, parent, e->name + strlen(WH), err);
    if (link != NULL)
        return apply_hardlink(u, e, parent, link, err);
    switch (type) {
    case AE_IFREG:
        return apply_file(u, e, parent, err);
    case AE_IFDIR:
        return apply_dir(u, e, parent, err);
    case AE_IFLNK:
        return apply_symlink(u, e, parent, err);
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
        return apply_node(u, e, parent, err);
    default:
        return ctr_error_set(err, EINVAL, "layer entry '%s' has an unsupported type 0%o", e->quoted,
                             (unsigned)type);
    }
}

static int apply_entry(struct unpacker *u, struct archive_entry *ae, struct ctr_error **err)
{
    const char *raw = archive_entry_pathname(ae);
    struct entry e = {.ae = ae};
    int rc = -1;

    if (raw == NULL)
        return ctr_error_set(err, EINVAL, "a layer entry has no name");
    e.quoted = image_quote_max(raw, QUOTE_NAME);
    if (strlen(raw) >= PATH_MAX) {
        ctr_error_set(err, ENAMETOOLONG, "layer entry '%s' has a name longer than %d bytes",
                      e.quoted, PATH_MAX - 1);
        goto out;
    }
    if (clean_path(raw, &e.path) < 0) {
        ctr_error_set(err, EXDEV, "layer entry '%s' escapes the layer directory", e.quoted);
        goto out;
    }
    split_path(e.path, &e.dir, &e.name);
    if (e.name[0] != '\0') {
        rc = apply_in_parent(u, &e, err);
        goto out;
    }
    /* "./" or "/" names the layer directory itself. */
    if (archive_entry_hardlink(ae) != NULL || archive_entry_filetype(ae) != AE_IFDIR)
        ctr_error_set(err, EINVAL, "layer entry '%s' would replace the layer directory", e.quoted);
    else if (check_owner(u, &e, err) == 0)
        rc = apply_dir(u, &e, -1, err);
out:
    entry_clear(&e);
    return rc;
}

static int cmp_pending(const void *a, const void *b)
{
    const struct pending_dir *x = a, *y = b;

    if (x->depth != y->depth)
        return x->depth > y->depth ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * Directory modes and times, deepest first: a child's mode is set before its parent may
 * become unsearchable, and nothing touches a directory's mtime after it was set.  Each is
 * reopened inside the layer and changed through its fd, never chmod by path, and one replaced
 * meanwhile (another inode at the path) keeps what it has: a chmod that follows a path later
 * swapped for a symlink is containerd's CVE-2021-32760.
 */
static int finish_dirs(struct unpacker *u, struct ctr_error **err)
{
    if (u->n_dirs > 0)
        qsort(u->dirs, u->n_dirs, sizeof(*u->dirs), cmp_pending);
    for (size_t i = 0; i < u->n_dirs; i++) {
        struct pending_dir *p = &u->dirs[i];
        cleanup_close int fd = resolve_dir(u, p->path, O_RDONLY, RESOLVE_FOLLOW_INSIDE);
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0 || st.st_dev != p->dev || st.st_ino != p->ino)
            continue;
        if (fchmod(fd, p->mode) < 0) {
            cleanup_free char *q = image_quote_max(p->path, QUOTE_NAME);

            return ctr_error_errno(err, "set the mode of directory '%s'", q);
        }
        if (futimens(fd, p->times) < 0 && errno != EINVAL && errno != EOVERFLOW) {
            cleanup_free char *q = image_quote_max(p->path, QUOTE_NAME);

            return ctr_error_errno(err, "set the times of directory '%s'", q);
        }
    }
    return 0;
}

static int unpack(struct unpacker *u, struct ctr_error **err)
{
    unsigned long entries = 0;

    if (open_readers(u, err) < 0)
        return -1;
    for (;;) {
        struct archive_entry *ae;
        int r = archive_read_next_header(u->tar, &ae);

        if (r == ARCHIVE_EOF)
            break;
        /* ARCHIVE_WARN: e.g. a UTF-8 name this locale cannot show; the bytes are kept. */
        if (r < ARCHIVE_WARN)
            return archive_fail(err, u->tar, "read the layer");
        if (++entries > MAX_ENTRIES)
            return ctr_error_set(err, E2BIG, "the layer has more than %lu entries", MAX_ENTRIES);
        if (r == ARCHIVE_RETRY)
            continue;
        if (apply_entry(u, ae, err) < 0)
            return -1;
    }
    if (drain(u, err) < 0)
        return -1;
    return finish_dirs(u, err);
}

int image_unpack_layer(int input_fd, int dirfd, const struct image_unpack_opts *opts,
                       struct image_unpack_result *ret, struct ctr_error **err)
{
    cleanup_with(archive_read_freep) struct archive *raw = NULL;
    cleanup_with(archive_read_freep) struct archive *tar = NULL;
    cleanup_with(image_hasher_freep) struct image_hasher *hasher = NULL;
    cleanup_free char *buf = xmalloc(READ_BUF_SIZE);
    cleanup_close int root = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct unpacker u = {.root = root, .opts = opts, .input_fd = input_fd, .buf = buf};
    int rc;

    if (root < 0)
        return ctr_error_errno(err, "open the layer directory");
    hasher = image_hasher_new("sha256", err);
    if (hasher == NULL)
        return -1;
    u.hasher = hasher;
    rc = unpack(&u, err);
    /* Freed here, in this order: B reads from A. */
    tar = u.tar;
    raw = u.raw;
    for (size_t i = 0; i < u.n_dirs; i++)
        free(u.dirs[i].path);
    free(u.dirs);
    if (rc < 0)
        return -1;
    image_hasher_final(hasher, u.res.diff_id);
    *ret = u.res;
    return 0;
}
