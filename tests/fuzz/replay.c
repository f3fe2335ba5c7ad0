/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Replays a fuzz target over files and directories of inputs, so a gcc build runs the corpus
 * under ctest (and under ASan/UBSan) while a clang build links libFuzzer instead of this file.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "fsutil.h"
#include "fuzz.h"
#include "xalloc.h"

static int replay_file(const char *path)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *data = NULL;
    size_t len = 0;

    if (ctr_read_file(path, 16 << 20, &data, &len, &err) < 0) {
        fprintf(stderr, "%s\n", err->msg);
        return -1;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)data, len);
    return 0;
}

static int replay(const char *path, int *count)
{
    cleanup_dir DIR *d = NULL;
    struct dirent *e;
    struct stat st;

    if (stat(path, &st) < 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return replay_file(path);
    }
    d = opendir(path);
    if (d == NULL) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        cleanup_free char *sub = NULL;

        if (e->d_name[0] == '.')
            continue;
        sub = xasprintf("%s/%s", path, e->d_name);
        if (replay(sub, count) < 0)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int count = 0;

    for (int i = 1; i < argc; i++) {
        if (replay(argv[i], &count) < 0)
            return 1;
    }
    if (count == 0) {
        fprintf(stderr, "no inputs replayed: give corpus files or directories\n");
        return 1;
    }
    printf("replayed %d inputs\n", count);
    return 0;
}
