/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cmd.h"
#include "images.h"
#include "lookup.h"
#include "pull.h"
#include "xalloc.h"

static const char usage[] = "Usage: ctr image COMMAND [ARG...]\n"
                            "\n"
                            "Manage images.\n"
                            "\n"
                            "Commands:\n"
                            "  inspect      Show the details of images as JSON\n"
                            "  ls           List images (as 'ctr images')\n"
                            "  prune        Remove images without names, and unused layers\n"
                            "  pull         Pull images (as 'ctr pull')\n"
                            "  rm           Remove images (as 'ctr rmi')\n"
                            "  tag          Name an image (as 'ctr tag')\n";

static const char inspect_usage[] = "Usage: ctr image inspect IMAGE...\n"
                                    "\n"
                                    "Show images as a JSON array: ids, names, digests, the\n"
                                    "platform, the layers and the image configuration.\n"
                                    "\n"
                                    "Options:\n"
                                    "  -h, --help    print this help\n";

static const char prune_usage[] = "Usage: ctr image prune [-a]\n"
                                  "\n"
                                  "Remove images that have no name and no container, then\n"
                                  "every layer no image needs.\n"
                                  "\n"
                                  "Options:\n"
                                  "  -a, --all     remove every image no container uses\n"
                                  "  -h, --help    print this help\n";

static json_t *inspect_json(const struct storage_image *img, struct ctr_error **err)
{
    json_error_t jerr;
    json_t *config = json_loadb(img->config, img->config_len, 0, &jerr);
    json_t *names = json_array(), *layers = json_array(), *out;

    if (config == NULL) {
        ctr_error_set(err, EINVAL, "stored config of '%s' does not parse: %s (line %d)", img->id,
                      jerr.text, jerr.line);
        json_decref(names);
        json_decref(layers);
        return NULL;
    }
    for (char **n = img->names; *n != NULL; n++)
        json_array_append_new(names, json_string(*n));
    for (char **d = img->diff_ids; *d != NULL; d++)
        json_array_append_new(layers, json_string(*d));
    out = json_pack("{s:s, s:s, s:O, s:I, s:s, s:s, s:s?, s:I, s:O?, s:{s:s, s:o}, s:o}", "Id",
                    img->id + strlen("sha256:"), "Digest", img->manifest_digest, "RepoTags", names,
                    "Created", (json_int_t)img->created, "Os", img->os, "Architecture",
                    img->architecture, "Variant", img->variant, "Size", (json_int_t)img->size,
                    "Config", json_object_get(config, "config"), "RootFS", "Type", "layers",
                    "Layers", layers, "Names", names);
    json_decref(config);
    return out;
}

static int image_inspect(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    static const struct option options[] = {
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
    };
    cleanup_free char *text = NULL;
    struct storage *s;
    json_t *out;
    int c, status = 0;

    while ((c = getopt_long(argc, argv, "+:h", options, NULL)) != -1) {
        if (c == 'h') {
            cmd_print_text(inspect_usage);
            return 0;
        }
        return cmd_getopt_error("image inspect", c, argv, err);
    }
    if (optind >= argc)
        return cmd_usage_error("image inspect", err, "needs an image");
    s = ctx_store(ctx, err);
    if (s == NULL)
        return -1;
    out = json_array();
    for (int i = optind; i < argc && status == 0; i++) {
        struct storage_image *img = NULL;
        json_t *one;
        int r = image_lookup_local(s, argv[i], &img, NULL, err);

        if (r == 0)
            ctr_error_set(err, ENOENT, "image '%s' not known: see 'ctr images'", argv[i]);
        if (r <= 0) {
            status = -1;
            break;
        }
        one = inspect_json(img, err);
        storage_image_free(img);
        if (one == NULL)
            status = -1;
        else
            json_array_append_new(out, one);
    }
    if (status == 0) {
        text = json_dumps(out, JSON_INDENT(4));
        puts(text ? text : "[]");
    }
    json_decref(out);
    return status;
}

static int image_prune(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    static const struct option options[] = {
            {"all", no_argument, NULL, 'a'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
    };
    struct storage_image **list = NULL;
    struct image_store_ns ns;
    struct storage *s;
    size_t n = 0;
    int all = 0, c, status = 0;

    while ((c = getopt_long(argc, argv, "+:ah", options, NULL)) != -1) {
        switch (c) {
        case 'a':
            all = 1;
            break;
        case 'h':
            cmd_print_text(prune_usage);
            return 0;
        default:
            return cmd_getopt_error("image prune", c, argv, err);
        }
    }
    if (optind < argc)
        return cmd_usage_error("image prune", err, "takes no arguments, got '%s'", argv[optind]);
    s = ctx_store(ctx, err);
    if (s == NULL || storage_image_list(s, &list, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n && status == 0; i++) {
        int users;

        if (!all && list[i]->names[0] != NULL)
            continue;
        users = storage_image_users(s, list[i]->id, err);
        if (users < 0)
            status = -1;
        else if (users == 0 && (status = storage_image_delete(s, list[i]->id, err)) == 0)
            printf("%s\n", list[i]->id + strlen("sha256:"));
    }
    storage_image_list_free(list, n);
    if (status < 0 || image_store_ns_init(&ns, err) < 0)
        return -1;
    status = image_collect_layers(s, &ns, err) < 0 ? -1 : 0;
    image_store_ns_clear(&ns);
    return status;
}

int cmd_image(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    static const struct {
        const char *name;
        int (*run)(struct ctr_ctx *, int, char **, struct ctr_error **);
    } subs[] = {
            {"inspect", image_inspect}, {"ls", cmd_images}, {"list", cmd_images},
            {"prune", image_prune},     {"pull", cmd_pull}, {"rm", cmd_rmi},
            {"tag", cmd_tag},
    };

    if (argc < 2) {
        cmd_print_text(usage);
        return CTR_EXIT_ERROR;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        cmd_print_text(usage);
        return 0;
    }
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        if (strcmp(argv[1], subs[i].name) == 0) {
            optind = 0;
            return subs[i].run(ctx, argc - 1, argv + 1, err);
        }
    }
    return cmd_usage_error("image", err, "has no command '%s'", argv[1]);
}

const struct ctr_command ctr_cmd_image = {
        .name = "image",
        .run = cmd_image,
        .flags = CMD_NEEDS_STORE,
        .summary = "Manage images (inspect, ls, prune, pull, rm, tag)",
};
