/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "copylayer.h"
#include "fsutil.h"
#include "mounts.h"
#include "spawn.h"
#include "xalloc.h"

/* The kernel takes at most one page of mount options. */
#define MOUNT_DATA_MAX 4096

/* Devices a container gets, bound from the host's (a user namespace cannot mknod them). */
static const char *const devices[] = {"null", "zero", "full", "random", "urandom", "tty"};

static int option_safe(const char *path)
{
    /* overlayfs splits its options at ',' and its lower directories at ':'. */
    return strpbrk(path, ",:\\") == NULL;
}

/* The overlay options for `r`, or NULL with *err set. */
static char *overlay_options(const struct ctr_rootfs *r, struct ctr_error **err)
{
    cleanup_free char *lower = NULL;
    char *data;
    const char *parent_dir = NULL;
    size_t parent_len = 0, n = strv_length(r->lowerdirs);

    if (!option_safe(r->upper) || !option_safe(r->work)) {
        ctr_error_set(err, EINVAL,
                      "the storage path '%s' holds ',', ':' or '\\', which overlayfs "
                      "cannot take: move the store (--root)",
                      r->upper);
        return NULL;
    }
    /*
     * Layers all live in one directory: naming them relative to it (after a chdir, harmless in
     * this short-lived process) keeps a deep image within the one page the options may take.
     */
    if (n > 0) {
        const char *slash = strrchr(r->lowerdirs[0], '/');

        parent_len = (size_t)(slash - r->lowerdirs[0]);
        parent_dir = r->lowerdirs[0];
        for (size_t i = 0; i < n; i++)
            if (strncmp(r->lowerdirs[i], parent_dir, parent_len) != 0 ||
                r->lowerdirs[i][parent_len] != '/' ||
                strchr(r->lowerdirs[i] + parent_len + 1, '/') != NULL)
                parent_dir = NULL;
    }
    lower = xstrdup("");
    for (size_t i = 0; i < n; i++) {
        const char *dir = parent_dir ? r->lowerdirs[i] + parent_len + 1 : r->lowerdirs[i];
        char *longer;

        if (!option_safe(dir)) {
            ctr_error_set(err, EINVAL, "layer path '%s' holds ',', ':' or '\\'", r->lowerdirs[i]);
            return NULL;
        }
        longer = xasprintf("%s%s%s", lower, i ? ":" : "", dir);
        free(lower);
        lower = longer;
    }
    if (n == 0) {
        free(lower);
        lower = xstrdup(r->empty);
    }
    if (parent_dir != NULL) {
        cleanup_free char *dir = xstrndup(parent_dir, parent_len);

        if (chdir(dir) < 0) {
            ctr_error_errno(err, "enter the layer directory '%s'", dir);
            return NULL;
        }
    }
    data = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, r->upper, r->work);
    if (strlen(data) + strlen(",userxattr") >= MOUNT_DATA_MAX) {
        free(data);
        ctr_error_set(err, E2BIG,
                      "the image has too many layers (%zu) for one overlay mount: flatten it "
                      "(e.g. 'podman build --squash')",
                      n);
        return NULL;
    }
    return data;
}

/* fuse-overlayfs, run in the container's namespaces: it daemonizes once mounted. */
static int mount_fuse(const struct ctr_rootfs *r, const char *fuse, const char *options,
                      struct ctr_error **err)
{
    cleanup_free char *out = NULL;
    char *argv[] = {(char *)fuse, (char *)"-o", (char *)options, (char *)r->merged, NULL};
    int status;

    if (ctr_spawn_capture(argv, 4096, &out, &status, err) < 0)
        return -1;
    if (status != 0)
        return ctr_error_set(err, EIO, "fuse-overlayfs failed (wait status %d): %s", status, out);
    return 0;
}

/* The copy fallback: the layers are copied, bottom first, into the upper directory once. */
static int mount_copy(const struct ctr_rootfs *r, struct ctr_error **err)
{
    size_t n = strv_length(r->lowerdirs);

    if (access(r->copied, F_OK) < 0) {
        cleanup_close int marker = -1;

        for (size_t i = n; i > 0; i--)
            if (ctr_copy_layer(r->lowerdirs[i - 1], r->upper, err) < 0)
                return ctr_error_wrap(err, "copy the image's layers");
        marker = open(r->copied, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (marker < 0)
            return ctr_error_errno(err, "create '%s'", r->copied);
    }
    if (mount(r->upper, r->merged, NULL, MS_BIND, NULL) < 0)
        return ctr_error_errno(err, "bind-mount '%s' on '%s'", r->upper, r->merged);
    return 0;
}

int ctr_mount_rootfs(const struct ctr_rootfs *r, char **ret_warning, struct ctr_error **err)
{
    cleanup_free char *options = NULL;
    cleanup_free char *kernel = NULL;
    cleanup_free char *fuse = NULL;
    char *data;
    int errnum;

    *ret_warning = NULL;
    /* A store copied once stays copied: its upper directory is the whole root now. */
    if (access(r->copied, F_OK) == 0)
        return mount_copy(r, err);
    options = overlay_options(r, err);
    if (options == NULL)
        return -1;
    data = xasprintf("%s,userxattr", options);
    errnum = r->force_fallback ? EPERM : 0;
    if (errnum == 0 && mount("overlay", r->merged, "overlay", MS_NODEV, data) < 0)
        errnum = errno;
    free(data);
    if (errnum == 0)
        return 0;
    kernel = xasprintf("the kernel refused an overlay mount in the user namespace (%s)",
                       strerror(errnum));
    /* Looked up only now: most starts never need it. */
    fuse = r->no_fuse ? NULL : ctr_find_program("fuse-overlayfs");
    if (fuse != NULL) {
        if (mount_fuse(r, fuse, options, err) < 0)
            return ctr_error_wrap(err, "%s, and fuse-overlayfs failed too", kernel);
        *ret_warning = xasprintf("%s: using fuse-overlayfs, whose file access is slower", kernel);
        return 0;
    }
    if (mount_copy(r, err) < 0)
        return ctr_error_wrap(err, "%s; fuse-overlayfs is not installed", kernel);
    *ret_warning = xasprintf("%s and fuse-overlayfs is not installed: the image's layers were "
                             "copied into the container, which costs the image's size in disk "
                             "space and copy time for each container",
                             kernel);
    return 0;
}

static int openat2_in_root(int rootfd, const char *path, int flags)
{
    struct open_how how = {
            .flags = (unsigned long long)(flags | O_CLOEXEC),
            .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };

    while (*path == '/')
        path++;
    if (*path == '\0')
        path = ".";
    return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

enum target_kind {
    TARGET_DIR,
    TARGET_FILE,
};

/*
 * Opens (O_PATH) `path` inside the root, creating it and its missing parents: directories
 * 0755, the last one a directory or an empty file 0644 as `kind` says.  Symlinks in the image
 * are followed but stay inside the root.
 */
static int prepare_target(int rootfd, const char *path, enum target_kind kind,
                          struct ctr_error **err)
{
    cleanup_free char *copy = xstrdup(path);
    cleanup_close int parent = -1;
    char *p = copy;
    int fd;
    struct stat st;

    fd = openat2_in_root(rootfd, path, O_PATH);
    if (fd >= 0)
        goto check;
    if (errno != ENOENT)
        return ctr_error_errno(err, "resolve '%s' in the container", path);
    parent = openat2_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
    if (parent < 0)
        return ctr_error_errno(err, "open the container's root");
    while (*p == '/')
        p++;
    for (;;) {
        char *slash = strchr(p, '/');
        int last = slash == NULL, next;

        if (slash)
            *slash = '\0';
        next = openat2_in_root(rootfd, copy, O_PATH);
        if (next < 0 && errno == ENOENT) {
            if (!last || kind == TARGET_DIR) {
                if (mkdirat(parent, p, 0755) < 0 && errno != EEXIST)
                    return ctr_error_errno(err, "create '%s' in the container", copy);
            } else {
                int created = openat(parent, p,
                                     O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);

                if (created < 0 && errno != EEXIST)
                    return ctr_error_errno(err, "create '%s' in the container", copy);
                if (created >= 0)
                    close(created);
            }
            next = openat2_in_root(rootfd, copy, O_PATH);
        }
        if (next < 0)
            return ctr_error_errno(err, "resolve '%s' in the container", copy);
        if (last) {
            fd = next;
            break;
        }
        close(parent);
        parent = next;
        *slash = '/';
        p = slash + 1;
    }
check:
    if (fstat(fd, &st) < 0) {
        close(fd);
        return ctr_error_errno(err, "stat '%s' in the container", path);
    }
    if (kind == TARGET_DIR && !S_ISDIR(st.st_mode)) {
        close(fd);
        return ctr_error_set(err, ENOTDIR,
                             "'%s' in the container is not a directory, so a directory cannot "
                             "be mounted there",
                             path);
    }
    if (kind == TARGET_FILE && S_ISDIR(st.st_mode)) {
        close(fd);
        return ctr_error_set(err, EISDIR,
                             "'%s' in the container is a directory, so a file cannot be "
                             "mounted there",
                             path);
    }
    return fd;
}

static void fd_path(char buf[32], int fd)
{
    snprintf(buf, 32, "/proc/self/fd/%d", fd);
}

/* mount(2) on `path` inside the root; the error names the container path. */
static int mount_in_root(int rootfd, const char *source, const char *path, enum target_kind kind,
                         const char *type, unsigned long flags, const char *data,
                         struct ctr_error **err)
{
    cleanup_close int fd = prepare_target(rootfd, path, kind, err);
    char target[32];

    if (fd < 0)
        return -1;
    fd_path(target, fd);
    if (mount(source, target, type, flags, data) < 0)
        return ctr_error_errno(err, "mount %s on '%s'", type ? type : source, path);
    return 0;
}

/*
 * Applies `set` (MOUNT_ATTR_*) to the mount at `path` and everything below it.  A user
 * namespace may add restrictions but never lift those its owner's mounts carry; mount_setattr
 * (Linux 5.12) needs no knowledge of them, unlike a MS_REMOUNT.
 */
static int restrict_mount(int rootfd, const char *path, unsigned long long set,
                          struct ctr_error **err)
{
    cleanup_close int fd = openat2_in_root(rootfd, path, O_PATH);
    struct mount_attr attr = {.attr_set = set};

    if (fd < 0)
        return ctr_error_errno(err, "resolve '%s' in the container", path);
    if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
        return ctr_error_errno(err, "make '%s' read-only", path);
    return 0;
}

static int mount_sys(int rootfd, int own_netns, struct ctr_error **err)
{
    const unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    cleanup_error struct ctr_error *first = NULL;

    /* A fresh sysfs shows the container's own network devices; only the owner of the network
     * namespace may mount one.  Otherwise the host's, read-only, as Podman does. */
    if (own_netns && mount_in_root(rootfd, "sysfs", "/sys", TARGET_DIR, "sysfs", flags | MS_RDONLY,
                                   NULL, &first) == 0)
        return 0;
    if (mount_in_root(rootfd, "/sys", "/sys", TARGET_DIR, NULL, MS_BIND | MS_REC, NULL, err) < 0)
        return -1;
    return restrict_mount(
            rootfd, "/sys",
            MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err);
}

/*
 * --privileged: the host's /dev, as far as the user namespace lets its devices be used (the
 * kernel still checks every open against the owner's real permissions), with the container's
 * own pts, shm and mqueue over it.
 */
static int mount_host_dev(int rootfd, struct ctr_error **err)
{
    if (mount_in_root(rootfd, "/dev", "/dev", TARGET_DIR, NULL, MS_BIND | MS_REC, NULL, err) < 0)
        return -1;
    if (mount_in_root(rootfd, "devpts", "/dev/pts", TARGET_DIR, "devpts", MS_NOSUID | MS_NOEXEC,
                      "newinstance,ptmxmode=0666,mode=0620", err) < 0)
        return -1;
    /* The host's /dev belongs to the real root: only what it has can be mounted over. */
    if (access("/dev/shm", F_OK) == 0 &&
        mount_in_root(rootfd, "shm", "/dev/shm", TARGET_DIR, "tmpfs",
                      MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k", err) < 0)
        return -1;
    if (access("/dev/mqueue", F_OK) == 0 &&
        mount_in_root(rootfd, "mqueue", "/dev/mqueue", TARGET_DIR, "mqueue",
                      MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err) < 0)
        return -1;
    return 0;
}

static int mount_dev(int rootfd, struct ctr_error **err)
{
    static const struct {
        const char *name, *target;
    } links[] = {
            {"ptmx", "pts/ptmx"},          {"fd", "/proc/self/fd"},
            {"stdin", "/proc/self/fd/0"},  {"stdout", "/proc/self/fd/1"},
            {"stderr", "/proc/self/fd/2"}, {"core", "/proc/kcore"},
    };
    cleanup_close int dev = -1;
    char path[64];

    if (mount_in_root(rootfd, "tmpfs", "/dev", TARGET_DIR, "tmpfs",
                      MS_NOSUID | MS_NOEXEC | MS_STRICTATIME, "mode=755,size=65536k", err) < 0)
        return -1;
    /* Reopened: the descriptor used for the mount names the directory below it. */
    dev = openat2_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY);
    if (dev < 0)
        return ctr_error_errno(err, "open the container's /dev");
    for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
        snprintf(path, sizeof(path), "/dev/%s", devices[i]);
        if (access(path, F_OK) < 0)
            continue; /* a host without /dev/tty (no console): the container has none either */
        if (mount_in_root(rootfd, path, path, TARGET_FILE, NULL, MS_BIND, NULL, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
        if (symlinkat(links[i].target, dev, links[i].name) < 0)
            return ctr_error_errno(err, "create /dev/%s in the container", links[i].name);
    /* gid 5 is the tty group of most images; without it in the map the kernel refuses it. */
    if (mount_in_root(rootfd, "devpts", "/dev/pts", TARGET_DIR, "devpts", MS_NOSUID | MS_NOEXEC,
                      "newinstance,ptmxmode=0666,mode=0620,gid=5", NULL) < 0 &&
        mount_in_root(rootfd, "devpts", "/dev/pts", TARGET_DIR, "devpts", MS_NOSUID | MS_NOEXEC,
                      "newinstance,ptmxmode=0666,mode=0620", err) < 0)
        return -1;
    if (mount_in_root(rootfd, "shm", "/dev/shm", TARGET_DIR, "tmpfs",
                      MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k", err) < 0)
        return -1;
    return mount_in_root(rootfd, "mqueue", "/dev/mqueue", TARGET_DIR, "mqueue",
                         MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err);
}

static int mount_etc_files(int rootfd, const char *etc_dir, int no_hosts, struct ctr_error **err)
{
    static const char *const files[] = {"hosts", "hostname", "resolv.conf"};

    /* --no-hosts: the image's own /etc/hosts stays. */
    for (size_t i = no_hosts ? 1 : 0; i < sizeof(files) / sizeof(files[0]); i++) {
        cleanup_free char *source = xasprintf("%s/%s", etc_dir, files[i]);
        cleanup_free char *target = xasprintf("/etc/%s", files[i]);

        if (mount_in_root(rootfd, source, target, TARGET_FILE, NULL, MS_BIND, NULL, err) < 0)
            return -1;
    }
    return 0;
}

static int mount_volume(int rootfd, const struct ctr_mount_spec *m, struct ctr_error **err)
{
    unsigned long long attrs = 0;
    struct stat st;

    if (m->kind == CTR_MOUNT_TMPFS)
        return mount_in_root(rootfd, "tmpfs", m->destination, TARGET_DIR, "tmpfs",
                             m->flags | (m->readonly ? MS_RDONLY : 0), m->data, err);
    if (stat(m->source, &st) < 0)
        return ctr_error_errno(err, "volume source '%s'", m->source);
    if (mount_in_root(rootfd, m->source, m->destination,
                      S_ISDIR(st.st_mode) ? TARGET_DIR : TARGET_FILE, NULL, MS_BIND | MS_REC, NULL,
                      err) < 0)
        return -1;
    if (m->readonly)
        attrs |= MOUNT_ATTR_RDONLY;
    if (m->flags & MS_NOSUID)
        attrs |= MOUNT_ATTR_NOSUID;
    if (m->flags & MS_NODEV)
        attrs |= MOUNT_ATTR_NODEV;
    if (m->flags & MS_NOEXEC)
        attrs |= MOUNT_ATTR_NOEXEC;
    return attrs ? restrict_mount(rootfd, m->destination, attrs, err) : 0;
}

int ctr_mount_kernel(const char *root, const struct ctr_spec *spec, int own_netns,
                     struct ctr_error **err)
{
    cleanup_close int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);

    if (rootfd < 0)
        return ctr_error_errno(err, "open the container's root '%s'", root);
    if (mount_in_root(rootfd, "proc", "/proc", TARGET_DIR, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                      NULL, err) < 0 ||
        mount_sys(rootfd, own_netns, err) < 0 ||
        (spec->security.privileged ? mount_host_dev(rootfd, err) : mount_dev(rootfd, err)) < 0)
        return -1;
    return 0;
}

int ctr_mount_paths(const char *root, const struct ctr_rootfs *r, const struct ctr_spec *spec,
                    struct ctr_error **err)
{
    cleanup_close int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);

    if (rootfd < 0)
        return ctr_error_errno(err, "open the container's root '%s'", root);
    if (mount_etc_files(rootfd, r->etc_dir, spec->no_hosts, err) < 0)
        return -1;
    for (size_t i = 0; i < spec->n_mounts; i++)
        if (mount_volume(rootfd, &spec->mounts[i], err) < 0)
            return -1;
    return 0;
}

int ctr_mount_container(const char *root, const struct ctr_rootfs *r, const struct ctr_spec *spec,
                        int own_netns, struct ctr_error **err)
{
    if (ctr_mount_kernel(root, spec, own_netns, err) < 0)
        return -1;
    return ctr_mount_paths(root, r, spec, err);
}

/*
 * Masks `path`: /dev/null over a file, an empty read-only tmpfs over a directory.  A path the
 * container does not have needs no mask.
 */
static int mask_path(int rootfd, const char *path, struct ctr_error **err)
{
    cleanup_close int fd = openat2_in_root(rootfd, path, O_PATH | O_NOFOLLOW);
    struct stat st;
    char target[32];

    if (fd < 0 && (errno == ENOENT || errno == ELOOP))
        return 0;
    if (fd < 0 || fstat(fd, &st) < 0)
        return ctr_error_errno(err, "mask '%s'", path);
    fd_path(target, fd);
    if (S_ISDIR(st.st_mode)) {
        if (mount("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  "size=0,mode=0555") < 0)
            return ctr_error_errno(err, "mask '%s'", path);
    } else if (mount("/dev/null", target, NULL, MS_BIND, NULL) < 0) {
        return ctr_error_errno(err, "mask '%s'", path);
    }
    return 0;
}

/* Makes `path` read-only: a bind mount of itself, made read-only with everything below it. */
static int readonly_path(int rootfd, const char *path, struct ctr_error **err)
{
    cleanup_close int fd = openat2_in_root(rootfd, path, O_PATH | O_NOFOLLOW);
    char target[32];

    if (fd < 0 && (errno == ENOENT || errno == ELOOP))
        return 0;
    if (fd < 0)
        return ctr_error_errno(err, "make '%s' read-only", path);
    fd_path(target, fd);
    if (mount(target, target, NULL, MS_BIND | MS_REC, NULL) < 0)
        return ctr_error_errno(err, "make '%s' read-only", path);
    return restrict_mount(
            rootfd, path,
            MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err);
}

/* Whether `path` inside the root is the root of a mount (a volume or --tmpfs made it one). */
static int is_mount_point(int rootfd, const char *path)
{
    cleanup_close int fd = openat2_in_root(rootfd, path, O_PATH | O_NOFOLLOW);
    struct statx stx;

    if (fd < 0 || statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, 0, &stx) < 0)
        return 0;
    return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
           (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

int ctr_mount_security(const char *root, const struct ctr_security_spec *sec,
                       struct ctr_error **err)
{
    static const char *const tmp_dirs[] = {"/tmp", "/var/tmp", "/run"};
    cleanup_close int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};

    if (rootfd < 0)
        return ctr_error_errno(err, "open the container's root '%s'", root);
    for (char **p = sec->readonly_paths; p && *p; p++)
        if (readonly_path(rootfd, *p, err) < 0)
            return -1;
    for (char **p = sec->masked_paths; p && *p; p++)
        if (mask_path(rootfd, *p, err) < 0)
            return -1;
    if (!sec->read_only)
        return 0;
    /* A directory with a mount of its own already (a volume, --tmpfs) keeps it, as in Podman:
     * a tmpfs over it would hide it and what was mounted below it. */
    if (sec->read_only_tmpfs)
        for (size_t i = 0; i < sizeof(tmp_dirs) / sizeof(tmp_dirs[0]); i++)
            if (!is_mount_point(rootfd, tmp_dirs[i]) &&
                mount_in_root(rootfd, "tmpfs", tmp_dirs[i], TARGET_DIR, "tmpfs",
                              MS_NOSUID | MS_NODEV,
                              strcmp(tmp_dirs[i], "/run") == 0 ? "mode=755" : "mode=1777", err) < 0)
                return -1;
    /* The root alone: volumes, tmpfs mounts, /proc and /dev below it keep their own flags. */
    if (mount_setattr(rootfd, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0)
        return ctr_error_errno(err, "make the root filesystem read-only");
    return 0;
}

int ctr_pivot_root(const char *root, struct ctr_error **err)
{
    if (chdir(root) < 0)
        return ctr_error_errno(err, "enter the container's root '%s'", root);
    /* pivot_root(".", "."): the old root is stacked under the new one, then detached. */
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return ctr_error_errno(err, "pivot_root into '%s'", root);
    if (umount2(".", MNT_DETACH) < 0)
        return ctr_error_errno(err, "detach the old root");
    if (chdir("/") < 0)
        return ctr_error_errno(err, "enter the new root");
    return 0;
}
