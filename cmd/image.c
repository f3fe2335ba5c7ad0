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
#include "template.h"
#include "xalloc.h"

static const struct cmd_option inspect_options[] = {
        {"format", 'f', required_argument, 'f', "FORMAT",
         "json (default), or a Go template such as '{{.Architecture}}'", CMD_COMPLETE_FORMAT, NULL,
         NULL},
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

static const struct cmd_option prune_options[] = {
        {"all", 'a', no_argument, 'a', NULL, "remove every image no container uses",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

static const struct cmd_option image_options[] = {
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

static int image_inspect(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);
static int image_prune(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err);

/* The members of inspect_json(), which --format's {{.Field}} can name. */
static const char *const inspect_format_fields[] = {
        "Architecture", "Config",   "Created", "Digest", "Id",      "Names",
        "Os",           "RepoTags", "RootFS",  "Size",   "Variant", NULL,
};

static const struct ctr_command image_inspect_cmd = {
        .name = "inspect",
        .run = image_inspect,
        .flags = CMD_NEEDS_STORE,
        .summary = "Show the details of images as JSON",
        .synopsis = "image inspect [OPTIONS] IMAGE...",
        .description = "Show images as a JSON array: ids, names, digests, the\nplatform, the "
                       "layers and the image configuration; or, with a --format\ntemplate, one "
                       "line per image.\n",
        .options = inspect_options,
        .operand = CMD_COMPLETE_IMAGE,
        .operands = CMD_COMPLETE_IMAGE,
        .format_fields = inspect_format_fields,
};

static const struct ctr_command image_ls_cmd = {
        .name = "ls",
        .run = cmd_images,
        .flags = CMD_NEEDS_STORE,
        .summary = "List images (as 'ctr images')",
        .synopsis = "image ls [OPTIONS]",
        .description = "List the images in your store, as 'ctr images' does.\n",
        .options = cmd_images_options,
        .format_fields = cmd_images_format_fields,
};

static const struct ctr_command image_list_cmd = {
        .name = "list",
        .run = cmd_images,
        .flags = CMD_NEEDS_STORE,
        .summary = "List images (as 'ctr images')",
        .synopsis = "image list [OPTIONS]",
        .description = "List the images in your store, as 'ctr images' does.\n",
        .options = cmd_images_options,
        .format_fields = cmd_images_format_fields,
};

static const struct ctr_command image_prune_cmd = {
        .name = "prune",
        .run = image_prune,
        .flags = CMD_NEEDS_STORE,
        .summary = "Remove images without names, and unused layers",
        .synopsis = "image prune [-a]",
        .description = "Remove images that have no name and no container, then\nevery layer no "
                       "image needs.\n",
        .options = prune_options,
};

static const struct ctr_command image_rm_cmd = {
        .name = "rm",
        .run = cmd_rmi,
        .flags = CMD_NEEDS_STORE,
        .summary = "Remove images (as 'ctr rmi')",
        .synopsis = "image rm [OPTIONS] IMAGE...",
        .description = "Remove images, as 'ctr rmi' does.\n",
        .options = cmd_rmi_options,
        .operand = CMD_COMPLETE_IMAGE,
        .operands = CMD_COMPLETE_IMAGE,
};

static const struct ctr_command *const image_subcommands[] = {
        &image_inspect_cmd, &image_list_cmd, &image_ls_cmd, &image_prune_cmd,
        &ctr_cmd_pull,      &image_rm_cmd,   &ctr_cmd_tag,  NULL,
};

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
    cleanup_with(json_decrefp) json_t *out = json_array();
    struct ctr_template *tmpl = NULL;
    struct storage *s;
    int status;

    status = cmd_inspect_parse(&image_inspect_cmd, "image inspect", "an image", argc, argv, &tmpl,
                               err);
    if (status != 0)
        return status < 0 ? -1 : 0;
    s = ctx_store(ctx, err);
    if (s == NULL)
        status = -1;
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
    if (status == 0 && cmd_inspect_print(out, tmpl, err) < 0)
        status = ctr_error_wrap(err, "image inspect --format");
    ctr_template_free(tmpl);
    return status;
}

static int image_prune(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct cmd_getopt g;
    struct storage_image **list = NULL;
    struct image_store_ns ns;
    struct storage *s;
    size_t n = 0;
    int all = 0, c, status = 0;

    cmd_getopt_init(&g, prune_options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        switch (c) {
        case 'a':
            all = 1;
            break;
        case 'h':
            cmd_print_help(&image_prune_cmd);
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
    return cmd_run_subcommand(&ctr_cmd_image, ctx, argc, argv, err);
}

const struct ctr_command ctr_cmd_image = {
        .name = "image",
        .run = cmd_image,
        .flags = CMD_NEEDS_STORE,
        .summary = "Manage images (inspect, ls, prune, pull, rm, tag)",
        .synopsis = "image COMMAND [ARG...]",
        .description = "Manage images.\n",
        .options = image_options,
        .operand = CMD_COMPLETE_COMMAND,
        .subcommands = image_subcommands,
};
