/* SPDX-License-Identifier: Apache-2.0 */
#include <fnmatch.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "cmd.h"
#include "images.h"
#include "xalloc.h"

static const char usage[] =
        "Usage: ctr images [OPTIONS]\n"
        "\n"
        "List the images in your store: one row per name, and one for an image without\n"
        "names (shown as <none>).\n"
        "\n"
        "Options:\n"
        "  -a, --all                show all images (ctr keeps no intermediate images, so\n"
        "                           this is the same list)\n"
        "  -q, --quiet              print only image ids\n"
        "      --digests            show the manifest digest\n"
        "      --no-trunc           show full ids\n"
        "  -f, --filter FILTER      reference=PATTERN (a name glob) or dangling=true|false;\n"
        "                           may be repeated (all must hold)\n"
        "      --format FORMAT      'table' (default) or 'json'\n"
        "  -h, --help               print this help\n";

struct filters {
    char **references; /* globs, against the full name and against repo:tag without domain */
    int dangling;      /* -1 any, 0 named only, 1 dangling only */
};

static int parse_filter(const char *arg, struct filters *f, size_t *n_refs, struct ctr_error **err)
{
    const char *eq = strchr(arg, '=');

    if (eq == NULL)
        return cmd_usage_error("images", err, "--filter takes KEY=VALUE, got '%s'", arg);
    if (strncmp(arg, "reference=", 10) == 0) {
        f->references = xreallocarray(f->references, *n_refs + 2, sizeof(char *));
        f->references[(*n_refs)++] = xstrdup(eq + 1);
        f->references[*n_refs] = NULL;
        return 0;
    }
    if (strncmp(arg, "dangling=", 9) == 0)
        return cmd_parse_bool("images", "--filter dangling", eq + 1, &f->dangling, err);
    return cmd_usage_error("images", err, "unknown filter '%.*s': use 'reference' or 'dangling'",
                           (int)(eq - arg), arg);
}

/* A name matches a reference glob in full, without its domain, or as the bare repository. */
static int name_matches(const char *name, char *const *globs)
{
    const char *slash = strchr(name, '/');
    const char *short_name = slash ? slash + 1 : name;

    if (globs == NULL)
        return 1;
    for (; *globs != NULL; globs++) {
        if (fnmatch(*globs, name, 0) == 0 || fnmatch(*globs, short_name, 0) == 0)
            return 1;
        /* "busybox" matches docker.io/library/busybox:latest like Podman's filter does.  A
         * glob without a tag (no ':' after its last '/'; a port has one before) matches any. */
        const char *last_part = strrchr(*globs, '/') ? strrchr(*globs, '/') : *globs;

        if (strchr(last_part, ':') == NULL) {
            cleanup_free char *repo = xstrndup(name, strcspn(name, "@"));
            char *colon = strrchr(repo, ':');
            const char *last;

            if (colon != NULL && strchr(colon, '/') == NULL)
                *colon = '\0';
            last = strrchr(repo, '/') ? strrchr(repo, '/') + 1 : repo;
            if (fnmatch(*globs, repo, 0) == 0 || fnmatch(*globs, last, 0) == 0)
                return 1;
        }
    }
    return 0;
}

/* Splits "host/repo:tag" into repository and tag ("host/repo@sha256:.." has tag <none>). */
static void split_name(const char *name, char **repo, char **tag)
{
    const char *at = strchr(name, '@');
    const char *colon = strrchr(name, ':');

    if (at != NULL) {
        *repo = xstrndup(name, (size_t)(at - name));
        *tag = xstrdup("<none>");
    } else if (colon != NULL && strchr(colon, '/') == NULL) {
        *repo = xstrndup(name, (size_t)(colon - name));
        *tag = xstrdup(colon + 1);
    } else {
        *repo = xstrdup(name);
        *tag = xstrdup("<none>");
    }
}

static json_t *image_json(const struct storage_image *img)
{
    json_t *names = json_array();

    for (char **n = img->names; *n != NULL; n++)
        json_array_append_new(names, json_string(*n));
    return json_pack("{s:s, s:o, s:s, s:I, s:I, s:b, s:s, s:s, s:i}", "Id",
                     img->id + strlen("sha256:"), "Names", names, "Digest", img->manifest_digest,
                     "Created", (json_int_t)img->created, "Size", (json_int_t)img->size, "Dangling",
                     img->names[0] == NULL, "Os", img->os, "Architecture", img->architecture,
                     "Layers", (int)strv_length(img->diff_ids));
}

int cmd_images(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    enum {
        OPT_DIGESTS = 256,
        OPT_NO_TRUNC,
        OPT_FORMAT
    };
    static const struct option options[] = {
            {"all", no_argument, NULL, 'a'},
            {"quiet", no_argument, NULL, 'q'},
            {"digests", no_argument, NULL, OPT_DIGESTS},
            {"no-trunc", no_argument, NULL, OPT_NO_TRUNC},
            {"filter", required_argument, NULL, 'f'},
            {"format", required_argument, NULL, OPT_FORMAT},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
    };
    struct filters f = {NULL, -1};
    enum cmd_format format = CMD_FORMAT_TEXT;
    int quiet = 0, digests = 0, no_trunc = 0, c, status = -1;
    struct storage_image **list = NULL;
    size_t n = 0, n_refs = 0;
    json_t *out = NULL;
    struct storage *s;
    int64_t now = time(NULL);

    while ((c = getopt_long(argc, argv, "+:aqf:h", options, NULL)) != -1) {
        switch (c) {
        case 'a':
            break;
        case 'q':
            quiet = 1;
            break;
        case OPT_DIGESTS:
            digests = 1;
            break;
        case OPT_NO_TRUNC:
            no_trunc = 1;
            break;
        case 'f':
            if (parse_filter(optarg, &f, &n_refs, err) < 0)
                goto out;
            break;
        case OPT_FORMAT:
            if (cmd_parse_format("images", optarg, &format, err) < 0)
                goto out;
            break;
        case 'h':
            cmd_print_text(usage);
            status = 0;
            goto out;
        default:
            cmd_getopt_error("images", c, argv, err);
            goto out;
        }
    }
    if (optind < argc) {
        cmd_usage_error("images", err, "takes no arguments, got '%s'", argv[optind]);
        goto out;
    }
    s = ctx_store(ctx, err);
    if (s == NULL || storage_image_list(s, &list, &n, err) < 0)
        goto out;
    if (format == CMD_FORMAT_JSON)
        out = json_array();
    else if (!quiet)
        printf("%-40s %-12s %-*s%-*s  %-16s %s\n", "REPOSITORY", "TAG", digests ? 73 : 0,
               digests ? "DIGEST" : "", no_trunc ? 71 : 12, "IMAGE ID", "CREATED", "SIZE");
    for (size_t i = 0; i < n; i++) {
        const struct storage_image *img = list[i];
        int dangling = img->names[0] == NULL;
        const char *hex = img->id + strlen("sha256:");
        cleanup_free char *created = cmd_human_ago(img->created, now);
        cleanup_free char *size = cmd_human_size(img->size);
        int shown = 0;

        if ((f.dangling == 1 && !dangling) || (f.dangling == 0 && dangling))
            continue;
        if (f.references != NULL && dangling)
            continue;
        if (out != NULL) {
            int any = dangling;

            for (char **nm = img->names; *nm != NULL && !any; nm++)
                any = name_matches(*nm, f.references);
            if (any)
                json_array_append_new(out, image_json(img));
            continue;
        }
        for (char **nm = dangling ? NULL : img->names; nm == NULL || *nm != NULL;) {
            cleanup_free char *repo = NULL, *tag = NULL;

            if (nm != NULL && !name_matches(*nm, f.references)) {
                nm++;
                continue;
            }
            if (quiet) {
                if (!shown)
                    printf("%.*s\n", no_trunc ? 64 : 12, hex);
                shown = 1;
            } else {
                if (nm != NULL)
                    split_name(*nm, &repo, &tag);
                printf("%-40s %-12s %s%s%.*s  %-16s %s\n", repo ? repo : "<none>",
                       tag ? tag : "<none>", digests ? img->manifest_digest : "",
                       digests ? "  " : "", no_trunc ? 71 : 12, no_trunc ? img->id : hex, created,
                       size);
            }
            if (nm == NULL)
                break;
            nm++;
        }
    }
    if (out != NULL) {
        cleanup_free char *text = json_dumps(out, JSON_INDENT(4));

        puts(text ? text : "[]");
    }
    status = 0;
out:
    json_decref(out);
    strv_free(f.references);
    storage_image_list_free(list, n);
    return status;
}

const struct ctr_command ctr_cmd_images = {
        .name = "images",
        .run = cmd_images,
        .flags = CMD_NEEDS_STORE,
        .summary = "List images",
};
