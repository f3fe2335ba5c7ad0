/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "image-archive.h"
#include "cleanup.h"
#include "cmd.h"
#include "lookup.h"
#include "xalloc.h"

enum {
    OPT_FORMAT = 256,
};

static const struct cmd_option options[] = {
        {"output", 'o', required_argument, 'o', "FILE",
         "write the archive to FILE, replacing it only once the\narchive is complete (default: "
         "standard output, when it\nis not a terminal)",
         CMD_COMPLETE_FILE, NULL, NULL},
        {"format", 0, required_argument, OPT_FORMAT, "FORMAT",
         "docker-archive (default) or oci-archive", CMD_COMPLETE_VALUES,
         "docker-archive oci-archive", NULL},
        {"quiet", 'q', no_argument, 'q', NULL, "print nothing (save prints nothing anyway)",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

int cmd_save(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct cmd_getopt g;
    enum image_archive_format format = IMAGE_ARCHIVE_DOCKER;
    struct image_save_item *items = NULL;
    struct storage_image **imgs = NULL;
    char **names = NULL;
    struct image_store_ns ns = {0};
    const char *output = NULL;
    int c, n = 0, status = -1;
    struct storage *s;

    cmd_getopt_init(&g, options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        switch (c) {
        case 'o':
            output = optarg;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "docker-archive") == 0)
                format = IMAGE_ARCHIVE_DOCKER;
            else if (strcmp(optarg, "oci-archive") == 0)
                format = IMAGE_ARCHIVE_OCI;
            else
                return cmd_usage_error("save", err,
                                       "unknown format '%s': use 'docker-archive' or "
                                       "'oci-archive'",
                                       optarg);
            break;
        case 'q':
            break;
        case 'h':
            cmd_print_help(&ctr_cmd_save);
            return 0;
        default:
            return cmd_getopt_error("save", c, argv, err);
        }
    }
    if (optind >= argc)
        return cmd_usage_error("save", err, "needs an image to save");
    if (output != NULL && output[0] == '\0')
        return cmd_usage_error("save", err, "-o needs a file name");
    if (output == NULL && isatty(STDOUT_FILENO))
        return cmd_usage_error("save", err,
                               "will not write an archive to a terminal: use -o FILE or "
                               "redirect standard output");
    s = ctx_store(ctx, err);
    if (s == NULL)
        return -1;
    imgs = xcalloc((size_t)(argc - optind), sizeof(*imgs));
    names = xcalloc((size_t)(argc - optind), sizeof(*names));
    items = xcalloc((size_t)(argc - optind), sizeof(*items));
    for (int i = optind; i < argc; i++, n++) {
        int r = image_lookup_local(s, argv[i], &imgs[n], &names[n], err);

        if (r < 0)
            goto out;
        if (r == 0) {
            ctr_error_set(err, ENOENT, "image '%s' not known: see 'ctr images'", argv[i]);
            goto out;
        }
        items[n].img = imgs[n];
        items[n].name = names[n];
    }
    if (image_store_ns_init(&ns, err) < 0)
        goto out;
    status = image_save(s, &ns, items, (size_t)n, format, output, STDOUT_FILENO, err);
out:
    image_store_ns_clear(&ns);
    for (int i = 0; i < n; i++) {
        storage_image_free(imgs[i]);
        free(names[i]);
    }
    free(imgs);
    free(names);
    free(items);
    return status;
}

const struct ctr_command ctr_cmd_save = {
        .name = "save",
        .run = cmd_save,
        .flags = CMD_NEEDS_STORE,
        .summary = "Save images to a docker-archive or an OCI archive",
        .synopsis = "save [OPTIONS] IMAGE...",
        .description =
                "Save images to an archive that 'ctr load', 'podman load', 'docker load' and "
                "skopeo\nread.  Layers are written uncompressed, re-created from your store; "
                "when their\ndigests differ from the image's diff ids, the config gets the new "
                "ones (and the\nimage a new id), as with 'podman save'.  An image named by its "
                "id is saved\nwithout a name.\n",
        .options = options,
        .operand = CMD_COMPLETE_IMAGE,
        .operands = CMD_COMPLETE_IMAGE,
};
