/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "container.h"

static const char usage[] =
        "Usage: ctr rm [OPTIONS] CONTAINER...\n"
        "\n"
        "Remove containers: their files, logs and records.  A container is named by its\n"
        "name, its id, or a prefix of its id that no other container shares.\n"
        "\n"
        "Options:\n"
        "  -f, --force     kill running containers first; a missing one is no error\n"
        "  -a, --all       remove every container\n"
        "  -v, --volumes   accepted for Podman compatibility (ctr has no named volumes)\n"
        "  -h, --help      print this help\n";

/* Keeps the newest failure in *last, printing the one it replaces. */
static void report(struct ctr_error **err, struct ctr_error **last)
{
    if (*last != NULL) {
        fflush(stdout);
        fprintf(stderr, "ctr: %s\n", (*last)->msg);
        ctr_error_clear(last);
    }
    *last = *err;
    *err = NULL;
}

int cmd_rm(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct ctr_error *last = NULL;
    static const struct option options[] = {
            {"force", no_argument, NULL, 'f'},
            {"all", no_argument, NULL, 'a'},
            {"volumes", no_argument, NULL, 'v'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
    };
    struct storage_container *list = NULL;
    struct storage *s;
    size_t n = 0;
    int c, force = 0, all = 0, failed = 0, total = 0;

    while ((c = getopt_long(argc, argv, "+:favh", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            force = 1;
            break;
        case 'a':
            all = 1;
            break;
        case 'v':
            break;
        case 'h':
            cmd_print_text(usage);
            return 0;
        default:
            return cmd_getopt_error("rm", c, argv, err);
        }
    }
    if (!all && optind >= argc)
        return cmd_usage_error("rm", err, "needs at least one container, or --all");
    if (all && optind < argc)
        return cmd_usage_error("rm", err, "--all takes no container names");
    s = ctx_store(ctx, err);
    if (s == NULL)
        return -1;
    /* Like Podman, every container that can go goes; each one that cannot is named. */
    if (all) {
        if (storage_container_list(s, &list, &n, err) < 0)
            return -1;
        for (size_t i = 0; i < n; i++) {
            total++;
            if (container_remove(ctx, &list[i], force, err) == 0) {
                printf("%s\n", list[i].id);
                continue;
            }
            report(err, &last);
            failed++;
        }
        storage_container_list_free(list, n);
    }
    for (int i = optind; !all && i < argc; i++) {
        struct storage_container ct = {0};
        int r = storage_container_find(s, argv[i], &ct, err);

        total++;
        if (r < 0 && force && (*err)->code == ENOENT) {
            ctr_error_clear(err);
            continue;
        }
        if (r == 0)
            r = container_remove(ctx, &ct, force, err);
        storage_container_clear(&ct);
        if (r == 0) {
            printf("%s\n", argv[i]);
            continue;
        }
        report(err, &last);
        failed++;
    }
    (void)total;
    if (failed > 0) {
        /* The last failure is ctr's error; the earlier ones were printed as they came. */
        *err = last;
        return -1;
    }
    return 0;
}

const struct ctr_command ctr_cmd_rm = {
        .name = "rm",
        .run = cmd_rm,
        .flags = CMD_NEEDS_STORE,
        .summary = "Remove containers",
};
