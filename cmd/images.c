/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
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
#include "template.h"
#include "xalloc.h"

enum {
    OPT_DIGESTS = 256,
    OPT_NO_TRUNC,
    OPT_FORMAT
};

const struct cmd_option cmd_images_options[] = {
        {"all", 'a', no_argument, 'a', NULL,
         "show all images (ctr keeps no intermediate images, so\nthis is the same list)",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"quiet", 'q', no_argument, 'q', NULL, "print only image ids", CMD_COMPLETE_NONE, NULL,
         NULL},
        {"digests", 0, no_argument, OPT_DIGESTS, NULL, "show the manifest digest",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"no-trunc", 0, no_argument, OPT_NO_TRUNC, NULL, "show full ids", CMD_COMPLETE_NONE, NULL,
         NULL},
        {"filter", 'f', required_argument, 'f', "FILTER",
         "reference=PATTERN (a name glob) or dangling=true|false;\nmay be repeated (all must hold)",
         CMD_COMPLETE_VALUES, "reference= dangling=true dangling=false", NULL},
        {"format", 0, required_argument, OPT_FORMAT, "FORMAT",
         "'table' (default), 'json', or a Go template such as\n'{{.Repository}}:{{.Tag}}' "
         "('table ...' adds a header)",
         CMD_COMPLETE_FORMAT, NULL, NULL},
        {"noheading", 'n', no_argument, 'n', NULL, "print no header row", CMD_COMPLETE_NONE, NULL,
         NULL},
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

/* What --format's {{.Field}} can name, as Podman's images names them. */
const char *const cmd_images_format_fields[] = {
        "Containers", "Created",  "CreatedAt",   "CreatedSince", "CreatedTime", "Dangling",
        "Digest",     "History",  "ID",          "Id",           "Labels",      "Names",
        "ParentId",   "ReadOnly", "RepoDigests", "RepoTags",     "Repository",  "SharedSize",
        "Size",       "Tag",      "VirtualSize", NULL,
};

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

/* Podman's JSON time: RFC 3339 in UTC. */
static json_t *rfc3339_json(int64_t sec)
{
    time_t t = (time_t)sec;
    struct tm tm;
    char buf[64];

    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(buf);
}

static json_t *names_json(const struct storage_image *img)
{
    json_t *a = json_array();

    for (char **n = img->names; *n != NULL; n++)
        json_array_append_new(a, json_string(*n));
    return a;
}

/* "host/repo@sha256:..." for each repository the image is named in, as Podman lists them. */
static json_t *repo_digests_json(const struct storage_image *img)
{
    json_t *a = json_array();

    for (char **n = img->names; *n != NULL; n++) {
        cleanup_free char *repo = NULL, *tag = NULL, *one = NULL;
        int seen = 0;
        size_t i;
        json_t *e;

        split_name(*n, &repo, &tag);
        one = xasprintf("%s@%s", repo, img->manifest_digest);
        json_array_foreach(a, i, e)
        {
            seen |= strcmp(json_string_value(e), one) == 0;
        }
        if (!seen)
            json_array_append_new(a, json_string(one));
    }
    return a;
}

/* The image config's labels (a new reference), JSON null when it has none. */
static json_t *labels_json(struct storage *s, const struct storage_image *img,
                           struct ctr_error **err)
{
    struct storage_image *full = NULL;
    json_error_t jerr;
    json_t *config, *labels;

    if (storage_image_lookup(s, img->id, &full, err) < 0)
        return NULL;
    if (full == NULL) {
        ctr_error_set(err, ENOENT, "image '%s' was removed meanwhile", img->id);
        return NULL;
    }
    config = json_loadb(full->config, full->config_len, 0, &jerr);
    storage_image_free(full);
    if (config == NULL) {
        ctr_error_set(err, EINVAL, "stored config of '%s' does not parse: %s (line %d)", img->id,
                      jerr.text, jerr.line);
        return NULL;
    }
    labels = json_object_get(json_object_get(config, "config"), "Labels");
    labels = json_is_object(labels) ? json_incref(labels) : json_null();
    json_decref(config);
    return labels;
}

/*
 * One image as Podman's `images --format json` shows it (its member names and order), then
 * what ctr adds: Dangling, Os, Architecture and the number of Layers.
 */
static json_t *image_json(struct storage *s, const struct storage_image *img, int want_labels,
                          struct ctr_error **err)
{
    json_t *labels = want_labels ? labels_json(s, img, err) : json_null();
    int users = labels != NULL ? storage_image_users(s, img->id, err) : -1;

    if (users < 0) {
        json_decref(labels);
        return NULL;
    }
    return json_pack("{s:s, s:s, s:o, s:o, s:I, s:i, s:I, s:o, s:i, s:o, s:s, s:o, s:I, s:o, "
                     "s:b, s:s, s:s, s:i}",
                     "Id", img->id + strlen("sha256:"), "ParentId", "", "RepoTags", names_json(img),
                     "RepoDigests", repo_digests_json(img), "Size", (json_int_t)img->size,
                     "SharedSize", 0, "VirtualSize", (json_int_t)img->size, "Labels", labels,
                     "Containers", users, "Names", names_json(img), "Digest", img->manifest_digest,
                     "History", names_json(img), "Created", (json_int_t)img->created, "CreatedAt",
                     rfc3339_json(img->created), "Dangling", img->names[0] == NULL, "Os", img->os,
                     "Architecture", img->architecture, "Layers", (int)strv_length(img->diff_ids));
}

/*
 * What a --format template sees for one row (one name of an image), as Podman's images names
 * it: its JSON, with ID, Created, Size... as the table shows them.
 */
static json_t *template_row(json_t *image, const struct storage_image *img, const char *name,
                            int no_trunc, int64_t now)
{
    cleanup_free char *repo = NULL, *tag = NULL;
    cleanup_free char *ago = cmd_human_ago(img->created, now);
    cleanup_free char *size = cmd_human_size(img->size);
    cleanup_free char *at = cmd_go_time(img->created * 1000000000LL);
    json_t *o = json_copy(image);

    if (name != NULL)
        split_name(name, &repo, &tag);
    json_object_set_new(o, "ID",
                        no_trunc ? json_string(img->id)
                                 : json_stringn(img->id + strlen("sha256:"), 12));
    json_object_set_new(o, "Repository", json_string(repo ? repo : "<none>"));
    json_object_set_new(o, "Tag", json_string(tag ? tag : "<none>"));
    json_object_set_new(o, "Created", json_string(ago));
    json_object_set_new(o, "CreatedSince", json_string(ago));
    json_object_set_new(o, "CreatedAt", json_string(at));
    json_object_set_new(o, "CreatedTime", json_string(at));
    json_object_set_new(o, "Size", json_string(size));
    json_object_set_new(o, "ReadOnly", json_false());
    return o;
}

static const char *images_header(const char *field)
{
    if (strcmp(field, "ID") == 0)
        return "IMAGE ID";
    if (strcmp(field, "ReadOnly") == 0)
        return "R/O";
    return NULL;
}

/* Whether a template may read the image config's labels (or the whole row: "."). */
static int template_needs_labels(const char *format)
{
    if (strstr(format, "Labels") != NULL)
        return 1;
    for (const char *p = strchr(format, '.'); p != NULL; p = strchr(p + 1, '.')) {
        char next = p[1];

        if (!((next >= 'A' && next <= 'Z') || (next >= 'a' && next <= 'z') || next == '_'))
            return 1;
    }
    return 0;
}

struct images_opts {
    int quiet, digests, no_trunc, noheading;
    const char *format; /* NULL, "json", "table" or a template */
    struct filters f;
};

static int parse_args(int argc, char **argv, struct images_opts *o, int *ret_help,
                      struct ctr_error **err)
{
    struct cmd_getopt g;
    size_t n_refs = 0;
    int c;

    cmd_getopt_init(&g, cmd_images_options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        switch (c) {
        case 'a':
            break;
        case 'q':
            o->quiet = 1;
            break;
        case OPT_DIGESTS:
            o->digests = 1;
            break;
        case OPT_NO_TRUNC:
            o->no_trunc = 1;
            break;
        case 'n':
            o->noheading = 1;
            break;
        case 'f':
            if (parse_filter(optarg, &o->f, &n_refs, err) < 0)
                return -1;
            break;
        case OPT_FORMAT:
            o->format = optarg;
            break;
        case 'h':
            *ret_help = 1;
            return 0;
        default:
            return cmd_getopt_error("images", c, argv, err);
        }
    }
    if (optind < argc)
        return cmd_usage_error("images", err, "takes no arguments, got '%s'", argv[optind]);
    /* 'text' is what ctr's other reports call the default. */
    if (o->format != NULL && (strcmp(o->format, "table") == 0 || strcmp(o->format, "text") == 0))
        o->format = NULL;
    return 0;
}

/* The rows of one image: `names` are those the filters let through, NULL for <none>. */
static int print_rows(struct storage *s, const struct storage_image *img, char **names,
                      const struct images_opts *o, struct cmd_output *out, int64_t now,
                      struct ctr_error **err)
{
    const struct ctr_template *tmpl = out->tmpl;
    const char *hex = img->id + strlen("sha256:");
    cleanup_free char *created = cmd_human_ago(img->created, now);
    cleanup_free char *size = cmd_human_size(img->size);
    cleanup_with(json_decrefp) json_t *image = NULL;

    if (tmpl == NULL && o->quiet) {
        printf("%.*s\n", o->no_trunc ? 64 : 12, hex);
        return 0;
    }
    if (tmpl != NULL && (image = image_json(s, img, template_needs_labels(o->format), err)) == NULL)
        return -1;
    for (char **nm = names; nm == NULL || *nm != NULL; nm++) {
        cleanup_free char *repo = NULL, *tag = NULL;

        if (tmpl != NULL) {
            json_t *row = template_row(image, img, nm ? *nm : NULL, o->no_trunc, now);

            if (cmd_output_row(out, row, err) < 0)
                return -1;
        } else {
            if (nm != NULL)
                split_name(*nm, &repo, &tag);
            printf("%-40s %-12s %s%s%.*s  %-16s %s\n", repo ? repo : "<none>", tag ? tag : "<none>",
                   o->digests ? img->manifest_digest : "", o->digests ? "  " : "",
                   o->no_trunc ? 71 : 12, o->no_trunc ? img->id : hex, created, size);
        }
        if (nm == NULL)
            break;
    }
    return 0;
}

int cmd_images(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct images_opts o = {.f = {NULL, -1}};
    struct cmd_output out = {0};
    struct storage_image **list = NULL;
    size_t n = 0;
    struct storage *s;
    int64_t now = time(NULL);
    int help = 0, status = -1;

    if (parse_args(argc, argv, &o, &help, err) < 0)
        goto out;
    if (help) {
        cmd_print_help(&ctr_cmd_images);
        status = 0;
        goto out;
    }
    if (o.format != NULL &&
        cmd_output_open(&out, "images", o.format, o.noheading, images_header, err) < 0)
        goto out;
    s = ctx_store(ctx, err);
    if (s == NULL || storage_image_list(s, &list, &n, err) < 0)
        goto out;
    if (o.format == NULL && !o.quiet && !o.noheading)
        printf("%-40s %-12s %-*s%-*s  %-16s %s\n", "REPOSITORY", "TAG", o.digests ? 73 : 0,
               o.digests ? "DIGEST" : "", o.no_trunc ? 71 : 12, "IMAGE ID", "CREATED", "SIZE");
    for (size_t i = 0; i < n; i++) {
        const struct storage_image *img = list[i];
        int dangling = img->names[0] == NULL;
        cleanup_strv char **names = NULL;

        if ((o.f.dangling == 1 && !dangling) || (o.f.dangling == 0 && dangling))
            continue;
        if (o.f.references != NULL && dangling)
            continue;
        for (char **nm = img->names; *nm != NULL; nm++) {
            if (name_matches(*nm, o.f.references))
                strv_push(&names, *nm);
        }
        if (!dangling && names == NULL)
            continue;
        if (out.json != NULL) {
            json_t *one = image_json(s, img, 1, err);

            if (one == NULL)
                goto out;
            json_array_append_new(out.json, one);
        } else if (print_rows(s, img, names, &o, &out, now, err) < 0) {
            goto out;
        }
    }
    if (cmd_output_print(&out, err) < 0)
        goto out;
    status = 0;
out:
    cmd_output_clear(&out);
    strv_free(o.f.references);
    storage_image_list_free(list, n);
    return status;
}

const struct ctr_command ctr_cmd_images = {
        .name = "images",
        .run = cmd_images,
        .flags = CMD_NEEDS_STORE,
        .summary = "List images",
        .synopsis = "images [OPTIONS]",
        .description = "List the images in your store: one row per name, and one for an image "
                       "without\nnames (shown as <none>).\n",
        .options = cmd_images_options,
        .format_fields = cmd_images_format_fields,
};
