/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cmd.h"
#include "container.h"
#include "containers.h"
#include "images.h"
#include "lookup.h"
#include "pull.h"
#include "xalloc.h"

const struct cmd_option cmd_rmi_options[] = {
        {"all", 'a', no_argument, 'a', NULL, "remove all images", CMD_COMPLETE_NONE, NULL, NULL},
        {"force", 'f', no_argument, 'f', NULL, "remove images even when containers use them",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

/* rmi -f removes the containers made from the image first (as 'ctr rm -f'), as Podman does. */
static int remove_containers(struct ctr_ctx *ctx, const char *image_id, struct ctr_error **err)
{
    cleanup_strv char **ids = NULL;

    if (storage_image_containers(ctx->store, image_id, &ids, err) < 0)
        return -1;
    for (char **id = ids; *id != NULL; id++) {
        struct storage_container c = {0};
        int r = storage_container_find(ctx->store, *id, &c, err);

        if (r == 0)
            r = container_remove(ctx, &c, 1, err);
        storage_container_clear(&c);
        if (r < 0)
            return -1;
        printf("Removed container: %s\n", *id);
    }
    return 0;
}

/* Removes one image as the user named it; prints what it did as Podman does. */
static int remove_one(struct ctr_ctx *ctx, const char *key, int force, struct ctr_error **err)
{
    struct storage *s = ctx->store;
    struct storage_image *img = NULL;
    cleanup_free char *name = NULL;
    int users, r;

    r = image_lookup_local(s, key, &img, &name, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return ctr_error_set(err, ENOENT, "image '%s' not known: see 'ctr images'", key);
    if (name != NULL && strv_length(img->names) > 1) {
        r = storage_image_untag(s, name, err);
        storage_image_free(img);
        if (r < 0)
            return -1;
        printf("Untagged: %s\n", name);
        return 0;
    }
    users = storage_image_users(s, img->id, err);
    if (users < 0 || (users > 0 && !force)) {
        if (users > 0)
            ctr_error_set(err, EBUSY,
                          "image '%s' is used by %d container(s): remove them first, or use "
                          "-f",
                          key, users);
        storage_image_free(img);
        return -1;
    }
    r = users > 0 ? remove_containers(ctx, img->id, err) : 0;
    if (r == 0)
        r = storage_image_delete(s, img->id, err);
    if (r == 0) {
        for (char **n = img->names; *n != NULL; n++)
            printf("Untagged: %s\n", *n);
        printf("Deleted: %s\n", img->id + strlen("sha256:"));
    }
    storage_image_free(img);
    return r;
}

int cmd_rmi(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct cmd_getopt g;
    int all = 0, force = 0, c, status = 0;
    struct image_store_ns ns = {0};
    struct ctr_error *gc_err = NULL;
    struct storage *s;

    cmd_getopt_init(&g, cmd_rmi_options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        switch (c) {
        case 'a':
            all = 1;
            break;
        case 'f':
            force = 1;
            break;
        case 'h':
            cmd_print_help(&ctr_cmd_rmi);
            return 0;
        default:
            return cmd_getopt_error("rmi", c, argv, err);
        }
    }
    if (all && optind < argc)
        return cmd_usage_error("rmi", err, "--all takes no image names");
    if (!all && optind >= argc)
        return cmd_usage_error("rmi", err, "needs an image to remove (or --all)");
    s = ctx_store(ctx, err);
    if (s == NULL)
        return -1;
    if (all) {
        struct storage_image **list = NULL;
        size_t n = 0;

        if (storage_image_list(s, &list, &n, err) < 0)
            return -1;
        for (size_t i = 0; i < n && status == 0; i++)
            status = remove_one(ctx, list[i]->id, force, err);
        storage_image_list_free(list, n);
    }
    for (int i = optind; i < argc && status == 0; i++)
        status = remove_one(ctx, argv[i], force, err);
    /* Layers go after the rows, even when a later name failed: nothing is left half-used. */
    if (image_store_ns_init(&ns, &gc_err) == 0)
        image_collect_layers(s, &ns, &gc_err);
    if (gc_err != NULL && status == 0) {
        *err = steal_pointer(&gc_err);
        status = -1;
    }
    ctr_error_free(gc_err);
    image_store_ns_clear(&ns);
    return status;
}

const struct ctr_command ctr_cmd_rmi = {
        .name = "rmi",
        .run = cmd_rmi,
        .flags = CMD_NEEDS_STORE,
        .summary = "Remove images",
        .synopsis = "rmi [OPTIONS] IMAGE...",
        .description = "Remove images.  Naming an image by one of several names removes only that "
                       "name;\nby its id (or its last name) removes the image, and then every "
                       "layer no image\nneeds any more.\n",
        .options = cmd_rmi_options,
        .operand = CMD_COMPLETE_IMAGE,
        .operands = CMD_COMPLETE_IMAGE,
};
