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

static const char usage[] =
        "Usage: ctr save [OPTIONS] IMAGE...\n"
        "\n"
        "Save images to an archive that 'ctr load', 'podman load', 'docker load' and skopeo\n"
        "read.  Layers are written uncompressed, re-created from your store; when their\n"
        "digests differ from the image's diff ids, the config gets the new ones (and the\n"
        "image a new id), as with 'podman save'.  An image named by its id is saved\n"
        "without a name.\n"
        "\n"
        "Options:\n"
        "  -o, --output FILE    write the archive to FILE, replacing it only once the\n"
        "                       archive is complete (default: standard output, when it\n"
        "                       is not a terminal)\n"
        "      --format FORMAT  docker-archive (default) or oci-archive\n"
        "  -q, --quiet          print nothing (save prints nothing anyway)\n"
        "  -h, --help           print this help\n";

int cmd_save(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    enum {
        OPT_FORMAT = 256,
    };
    static const struct option options[] = {
            {"output", required_argument, NULL, 'o'},
            {"format", required_argument, NULL, OPT_FORMAT},
            {"quiet", no_argument, NULL, 'q'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
    };
    enum image_archive_format format = IMAGE_ARCHIVE_DOCKER;
    struct image_save_item *items = NULL;
    struct storage_image **imgs = NULL;
    char **names = NULL;
    struct image_store_ns ns = {0};
    const char *output = NULL;
    int c, n = 0, status = -1;
    struct storage *s;

    while ((c = getopt_long(argc, argv, "+:o:qh", options, NULL)) != -1) {
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
            cmd_print_text(usage);
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
};
