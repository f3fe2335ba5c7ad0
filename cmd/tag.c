/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "cleanup.h"
#include "cmd.h"
#include "images.h"
#include "lookup.h"

static const struct cmd_option options[] = {
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

int cmd_tag(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct cmd_getopt g;
    struct storage_image *img = NULL;
    struct storage *s;
    int c, r, status = 0;

    cmd_getopt_init(&g, options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        if (c == 'h') {
            cmd_print_help(&ctr_cmd_tag);
            return 0;
        }
        return cmd_getopt_error("tag", c, argv, err);
    }
    if (argc - optind < 2)
        return cmd_usage_error("tag", err, "needs an image and at least one new name");
    s = ctx_store(ctx, err);
    if (s == NULL)
        return -1;
    r = image_lookup_local(s, argv[optind], &img, NULL, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return ctr_error_set(err, ENOENT, "image '%s' not known: see 'ctr images'", argv[optind]);
    /* Every name is checked before any is added: a bad one changes nothing. */
    for (int i = optind + 1; i < argc && status == 0; i++) {
        cleanup_free char *name = image_tag_name(argv[i], err);

        if (name == NULL)
            status = -1;
    }
    for (int i = optind + 1; i < argc && status == 0; i++) {
        cleanup_free char *name = image_tag_name(argv[i], err);

        status = storage_image_tag(s, img->id, name, err);
    }
    storage_image_free(img);
    return status;
}

const struct ctr_command ctr_cmd_tag = {
        .name = "tag",
        .run = cmd_tag,
        .flags = CMD_NEEDS_STORE,
        .summary = "Give an image another name",
        .synopsis = "tag IMAGE NAME...",
        .description = "Give a local image more names.  A short NAME is put under\nlocalhost/ "
                       "(as Podman does) and gets ':latest' when it has no tag.\n",
        .options = options,
        .operand = CMD_COMPLETE_IMAGE,
        .operands = CMD_COMPLETE_NONE,
};
