/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cleanup.h"
#include "fsutil.h"
#include "net.h"
#include "spawn.h"
#include "xalloc.h"

static const struct {
    const char *name;
    const char *package;
} helpers[NET_HELPER_COUNT] = {
        [NET_HELPER_PASTA] = {"pasta", "passt"},
        [NET_HELPER_SLIRP4NETNS] = {"slirp4netns", "slirp4netns"},
};

static char *first_line_of_version(const char *path)
{
    char *argv[] = {(char *)path, (char *)"--version", NULL};
    cleanup_free char *out = NULL;
    cleanup_error struct ctr_error *err = NULL;
    int status;
    size_t n;

    if (ctr_spawn_capture(argv, 4096, &out, &status, &err) < 0)
        return NULL;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return NULL;
    n = strcspn(out, "\n");
    return n ? xstrndup(out, n) : NULL;
}

void net_helpers_detect(struct net_helper_info ret[NET_HELPER_COUNT])
{
    for (int i = 0; i < NET_HELPER_COUNT; i++) {
        ret[i].name = helpers[i].name;
        ret[i].package = helpers[i].package;
        ret[i].path = ctr_find_program(helpers[i].name);
        ret[i].version = ret[i].path ? first_line_of_version(ret[i].path) : NULL;
    }
}

void net_helpers_clear(struct net_helper_info info[NET_HELPER_COUNT])
{
    for (int i = 0; i < NET_HELPER_COUNT; i++) {
        free(info[i].path);
        free(info[i].version);
        info[i].path = info[i].version = NULL;
    }
}
