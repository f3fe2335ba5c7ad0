/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "xalloc.h"

int ctr_read_file(const char *path, size_t max, char **ret_data, size_t *ret_len,
                  struct ctr_error **err)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

    if (fd < 0)
        return ctr_error_errno(err, "open '%s'", path);
    return ctr_read_fd(fd, path, max, ret_data, ret_len, err);
}

int ctr_read_fd(int fd, const char *path, size_t max, char **ret_data, size_t *ret_len,
                struct ctr_error **err)
{
    cleanup_free char *buf = NULL;
    size_t len = 0, cap = 0;

    for (;;) {
        ssize_t n;

        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 8192;
            buf = xrealloc(buf, cap + 1);
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return ctr_error_errno(err, "read '%s'", path);
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > max)
            return ctr_error_set(err, EFBIG, "'%s' is larger than %zu bytes", path, max);
    }
    if (buf == NULL)
        buf = xmalloc(1);
    buf[len] = '\0';
    *ret_data = steal_pointer(&buf);
    *ret_len = len;
    return 0;
}

int ctr_check_owned(const char *path, const char *what, uid_t uid, struct ctr_error **err)
{
    struct stat st;

    if (lstat(path, &st) < 0)
        return ctr_error_errno(err, "%s '%s'", what, path);
    /* A link the user made (storage moved to another disk) is followed; anyone else's is not. */
    if (S_ISLNK(st.st_mode) && st.st_uid == uid && stat(path, &st) < 0)
        return ctr_error_errno(err, "%s '%s'", what, path);
    if (S_ISLNK(st.st_mode))
        return ctr_error_set(err, ELOOP,
                             "%s '%s' is a symbolic link: ctr does not follow links it "
                             "does not own; point ctr at the real directory",
                             what, path);
    if (st.st_uid != uid)
        return ctr_error_set(err, EPERM,
                             "%s '%s' is owned by uid %u, not by you (uid %u): remove it, "
                             "or choose another location",
                             what, path, (unsigned)st.st_uid, (unsigned)uid);
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return ctr_error_set(err, EPERM,
                             "%s '%s' is writable by other users (mode %04o): run "
                             "'chmod go-w %s'",
                             what, path, (unsigned)(st.st_mode & 07777), path);
    return 0;
}

int ctr_mkdir_private(const char *path, uid_t uid, struct ctr_error **err)
{
    cleanup_free char *copy = xstrdup(path);
    struct stat st;

    if (path[0] != '/')
        return ctr_error_set(err, EINVAL, "'%s' is not an absolute path", path);
    /* Parents first; an existing parent is left as it is (it may be the user's home). */
    for (char *p = copy + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, 0700) < 0 && errno != EEXIST)
            return ctr_error_errno(err, "create directory '%s'", copy);
        *p = '/';
    }
    if (mkdir(path, 0700) < 0 && errno != EEXIST)
        return ctr_error_errno(err, "create directory '%s'", path);
    if (lstat(path, &st) < 0)
        return ctr_error_errno(err, "stat '%s'", path);
    if (!S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))
        return ctr_error_set(err, ENOTDIR, "'%s' exists and is not a directory", path);
    return ctr_check_owned(path, "directory", uid, err);
}

char *ctr_find_program(const char *name)
{
    const char *path = getenv("PATH");
    cleanup_free char *copy = NULL;
    char *save = NULL;

    if (strchr(name, '/') != NULL)
        return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
    if (path == NULL || *path == '\0')
        path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    copy = xstrdup(path);
    for (char *dir = strtok_r(copy, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save)) {
        cleanup_free char *full = xasprintf("%s/%s", *dir ? dir : ".", name);
        struct stat st;

        if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
            return steal_pointer(&full);
    }
    return NULL;
}

int ctr_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int ctr_write_file_replace(const char *path, const void *data, size_t len, mode_t mode)
{
    cleanup_free char *tmp = xasprintf("%s.XXXXXX", path);
    int fd = mkostemp(tmp, O_CLOEXEC), saved;

    if (fd < 0)
        return -1;
    if (fchmod(fd, mode) == 0 && ctr_write_all(fd, data, len) == 0 && close(fd) == 0) {
        fd = -1;
        if (rename(tmp, path) == 0)
            return 0;
    }
    saved = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    errno = saved;
    return -1;
}

#define REMOVE_DEPTH_MAX 512

/* -1 with errno; the public wrapper words the error. */
static int remove_tree(int dfd, const char *name, int depth)
{
    struct dirent *de;
    struct stat st;

    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlinkat(dfd, name, 0);
    if (depth > REMOVE_DEPTH_MAX) {
        errno = ELOOP;
        return -1;
    }
    /* Without CAP_DAC_OVERRIDE a 0555 or 0000 directory cannot be emptied; EPERM means it is
     * not ours to change, and then opening or unlinking reports the real problem. */
    if ((st.st_mode & 0700) != 0700 && fchmodat(dfd, name, 0700, 0) < 0 && errno != EPERM)
        return -1;
    cleanup_close int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    cleanup_dir DIR *d = fdopendir(fd);
    if (d == NULL)
        return -1;
    steal_fd(&fd);
    while ((errno = 0, de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (remove_tree(dirfd(d), de->d_name, depth + 1) < 0)
            return -1;
    }
    if (errno != 0)
        return -1;
    return unlinkat(dfd, name, AT_REMOVEDIR);
}

int ctr_remove_tree_at(int dfd, const char *name, struct ctr_error **err)
{
    if (remove_tree(dfd, name, 0) < 0)
        return ctr_error_errno(err, "remove '%s'", name);
    return 0;
}
