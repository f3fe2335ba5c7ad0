/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <seccomp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "cmd.h"
#include "image.h"
#include "probe.h"
#include "xalloc.h"

static const struct cmd_option options[] = {
        {"format", 'f', required_argument, 'f', "FORMAT", "'text' (default) or 'json'",
         CMD_COMPLETE_VALUES, "text json", NULL},
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

static char *seccomp_version_string(void)
{
    const struct scmp_version *v = seccomp_version();

    return xasprintf("%u.%u.%u", v->major, v->minor, v->micro);
}

int cmd_version_print(enum cmd_format format, struct ctr_error **err)
{
    cleanup_free char *seccomp = seccomp_version_string();
    /* One row per library, so a name can never lose its version. */
    const struct {
        const char *name;
        const char *version;
    } libs[] = {
            {"libarchive", image_libarchive_version()}, {"libcurl", image_libcurl_version()},
            {"jansson", image_jansson_version()},       {"libseccomp", seccomp},
            {"libcap", ctr_libcap_version()},           {"sqlite", sqlite3_libversion()},
            {"libcrypto", image_libcrypto_version()},
    };
    size_t n = sizeof(libs) / sizeof(libs[0]);

    if (format == CMD_FORMAT_JSON) {
        json_t *obj = json_object(), *root;
        char *text;

        for (size_t i = 0; i < n; i++)
            json_object_set_new(obj, libs[i].name, json_string(libs[i].version));
        root = json_pack("{s:s, s:o}", "version", CTR_VERSION, "libraries", obj);
        text = json_dumps(root, JSON_INDENT(2));
        json_decref(root);
        if (text == NULL)
            return ctr_error_set(err, ENOMEM, "format the version report");
        puts(text);
        free(text);
        return 0;
    }
    printf("ctr version %s\n", CTR_VERSION);
    for (size_t i = 0; i < n; i++)
        printf("%-11s %s\n", libs[i].name, libs[i].version);
    return 0;
}

int cmd_version(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct cmd_getopt g;
    enum cmd_format format = CMD_FORMAT_TEXT;
    int c;

    (void)ctx;
    cmd_getopt_init(&g, options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        switch (c) {
        case 'f':
            if (cmd_parse_format("version", optarg, &format, err) < 0)
                return -1;
            break;
        case 'h':
            cmd_print_help(&ctr_cmd_version);
            return 0;
        default:
            return cmd_getopt_error("version", c, argv, err);
        }
    }
    if (optind < argc)
        return cmd_usage_error("version", err, "takes no arguments, got '%s'", argv[optind]);
    return cmd_version_print(format, err) < 0 ? -1 : 0;
}

const struct ctr_command ctr_cmd_version = {
        .name = "version",
        .run = cmd_version,
        .flags = 0,
        .summary = "Show the version of ctr and its libraries",
        .synopsis = "version [--format json]",
        .description = "Show the version of ctr and of the libraries it runs with.\n",
        .options = options,
};
