/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --userns, --uidmap and --gidmap come from the command line (and from scripts that build it).
 * Input: the first line is the --userns argument; each further line is a --uidmap, or a --gidmap
 * when it starts with "g ".  The maps are computed for a fixed user with two subordinate ranges,
 * and every map accepted must be one the kernel would take.
 */
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fuzz.h"
#include "idmap-opts.h"
#include "xalloc.h"

#define MAX_LINES 1000

/* uid 1000 with 100000:1000 and 200000:65536; gid 1000 with 300000:70000. */
static struct ctr_idmap user_uid[] = {{0, 1000, 1}, {1, 100000, 1000}, {1001, 200000, 65536}};
static struct ctr_idmap user_gid[] = {{0, 1000, 1}, {1, 300000, 70000}};

static int host_in_user(unsigned long start, unsigned long count, const struct ctr_idmap *u,
                        size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (start >= u[i].outside && start - u[i].outside + count <= u[i].count)
            return 1;
    return 0;
}

static void check_map(const struct ctr_idmap *m, size_t n, const struct ctr_idmap *u, size_t nu,
                      int host)
{
    if (n == 0 || n > 340)
        __builtin_trap();
    for (size_t i = 0; i < n; i++) {
        if (m[i].count == 0 || m[i].inside + m[i].count > 4294967295UL ||
            m[i].outside + m[i].count > 4294967295UL)
            __builtin_trap();
        /* Sorted by container id, hence no two share one. */
        if (i > 0 && m[i - 1].inside + m[i - 1].count > m[i].inside)
            __builtin_trap();
        /* Only host ids the user owns (the identity map is root's --userns=host). */
        if (!host && !host_in_user(m[i].outside, m[i].count, u, nu))
            __builtin_trap();
        for (size_t j = 0; j < i; j++)
            if (m[j].outside < m[i].outside + m[i].count &&
                m[i].outside < m[j].outside + m[j].count)
                __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct ctr_idmaps user = {user_uid, 3, user_gid, 2};
    cleanup_free char *text = xstrndup((const char *)data, size);
    cleanup_free struct ctr_idmap *uidmap = xcalloc(MAX_LINES, sizeof(*uidmap));
    cleanup_free struct ctr_idmap *gidmap = xcalloc(MAX_LINES, sizeof(*gidmap));
    struct ctr_error *err = NULL;
    struct ctr_userns_opts opts;
    struct ctr_idmaps m = {0};
    size_t n_uid = 0, n_gid = 0, lines = 0;
    char *line = text, *next;
    int rc;

    next = strchr(line, '\n');
    if (next != NULL)
        *next++ = '\0';
    rc = ctr_userns_parse(line, &opts, &err);
    if ((rc < 0) != (err != NULL))
        __builtin_trap();
    if (rc < 0) {
        ctr_error_free(err);
        err = NULL;
        opts = (struct ctr_userns_opts){.mode = CTR_USERNS_DEFAULT};
    }
    for (line = next; line != NULL && lines < MAX_LINES; line = next, lines++) {
        int gid = strncmp(line, "g ", 2) == 0;
        struct ctr_idmap one;

        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        rc = ctr_idmap_parse(gid ? line + 2 : line, &one, &err);
        if ((rc < 0) != (err != NULL))
            __builtin_trap();
        if (rc < 0) {
            ctr_error_free(err);
            err = NULL;
            continue;
        }
        if (one.count == 0 || one.inside + one.count > 4294967295UL ||
            one.outside + one.count > 4294967295UL)
            __builtin_trap();
        if (gid)
            gidmap[n_gid++] = one;
        else
            uidmap[n_uid++] = one;
    }
    /* Both as the user and as root (--userns=host is only for root). */
    for (unsigned long uid = 1000;; uid = 0) {
        rc = ctr_idmaps_for_container(&user, uid, uid, &opts, uidmap, n_uid, gidmap, n_gid, &m,
                                      &err);
        if ((rc < 0) != (err != NULL))
            __builtin_trap();
        if (rc < 0) {
            if (err->msg == NULL || err->msg[0] == '\0')
                __builtin_trap();
            ctr_error_free(err);
            err = NULL;
        } else {
            int host = opts.mode == CTR_USERNS_HOST;

            check_map(m.uid, m.n_uid, user_uid, 3, host);
            check_map(m.gid, m.n_gid, user_gid, 2, host);
            ctr_idmaps_clear(&m);
        }
        if (uid == 0)
            break;
    }
    return 0;
}
