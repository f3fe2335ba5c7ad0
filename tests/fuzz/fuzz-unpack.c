/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Layers come from registries: any byte string may arrive as one.  Each input is unpacked into
 * a fresh scratch/layer directory beside scratch/outside/file; whatever the input, nothing but
 * scratch/layer may change.  Run as root the unpacker also chowns and creates devices, so root
 * is the stronger fuzzing run.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "fuzz.h"
#include "unpack.h"
#include "xalloc.h"

/* A fresh scratch directory with outside/file planted; *ret_planted is that file's stat. */
static char *setup(int *ret_fd, struct stat *ret_planted)
{
    const char *tmp = getenv("TMPDIR");
    char *scratch = xasprintf("%s/ctr-fuzz-unpack-XXXXXX", tmp != NULL && tmp[0] ? tmp : "/tmp");
    int fd;

    if (mkdtemp(scratch) == NULL)
        abort();
    *ret_fd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*ret_fd < 0 || mkdirat(*ret_fd, "outside", 0755) < 0 || mkdirat(*ret_fd, "layer", 0700) < 0)
        abort();
    fd = openat(*ret_fd, "outside/file", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, "precious", 8) != 8 || fstat(fd, ret_planted) < 0)
        abort();
    close(fd);
    return scratch;
}

/* scratch holds exactly "layer" and "outside", and outside/ exactly the untouched file. */
static void check_outside(int scratch_fd, const struct stat *planted)
{
    cleanup_close int fd = openat(scratch_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_dir DIR *d = fd < 0 ? NULL : fdopendir(fd);
    struct dirent *de;
    struct stat st;
    int n = 0;

    if (d == NULL)
        abort();
    steal_fd(&fd);
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (strcmp(de->d_name, "layer") != 0 && strcmp(de->d_name, "outside") != 0)
            __builtin_trap();
        n++;
    }
    if (n != 2 || fstatat(scratch_fd, "outside/file", &st, AT_SYMLINK_NOFOLLOW) < 0 ||
        st.st_ino != planted->st_ino || st.st_size != 8 || st.st_nlink != 1 ||
        st.st_mode != planted->st_mode || st.st_mtim.tv_sec != planted->st_mtim.tv_sec ||
        st.st_mtim.tv_nsec != planted->st_mtim.tv_nsec ||
        fstatat(scratch_fd, "outside", &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_nlink != 2)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct image_unpack_opts opts = {.compression = IMAGE_UNPACK_AUTO};
    struct image_unpack_result res;
    cleanup_error struct ctr_error *err = NULL;
    cleanup_close int input = memfd_create("layer", MFD_CLOEXEC);
    cleanup_close int scratch_fd = -1, dir = -1;
    struct stat planted;
    cleanup_free char *scratch = setup(&scratch_fd, &planted);
    int rc;

    if (input < 0 || (size > 0 && write(input, data, size) != (ssize_t)size) ||
        lseek(input, 0, SEEK_SET) != 0)
        abort();
    dir = openat(scratch_fd, "layer", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        abort();
    rc = image_unpack_layer(input, dir, &opts, &res, &err);
    /* The convention: failure if and only if an error was set. */
    if ((rc < 0) != (err != NULL))
        __builtin_trap();
    if (rc == 0 && strncmp(res.diff_id, "sha256:", 7) != 0)
        __builtin_trap();
    check_outside(scratch_fd, &planted);
    if (ctr_remove_tree_at(AT_FDCWD, scratch, NULL) < 0)
        abort();
    return 0;
}
