/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "cmd.h"
#include "registry.h"

enum {
    OPT_AUTHFILE = 256
};

static const struct cmd_option options[] = {
        {"all", 'a', no_argument, 'a', NULL, "remove the credentials of every registry",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"authfile", 0, required_argument, OPT_AUTHFILE, "FILE",
         "the auth file (default $REGISTRY_AUTH_FILE,\nelse $XDG_RUNTIME_DIR/containers/auth.json)",
         CMD_COMPLETE_FILE, NULL, NULL},
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

int cmd_logout(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct cmd_getopt g;
    const char *authfile = getenv("REGISTRY_AUTH_FILE");
    cleanup_free char *domain = NULL;
    int c, all = 0, n;

    (void)ctx;
    if (authfile != NULL && *authfile == '\0')
        authfile = NULL;
    cmd_getopt_init(&g, options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        switch (c) {
        case 'a':
            all = 1;
            break;
        case OPT_AUTHFILE:
            authfile = optarg;
            break;
        case 'h':
            cmd_print_help(&ctr_cmd_logout);
            return 0;
        default:
            return cmd_getopt_error("logout", c, argv, err);
        }
    }
    if (all) {
        if (optind != argc)
            return cmd_usage_error("logout", err, "takes no registry with --all");
        if (image_creds_remove_all(authfile, err) < 0)
            return -1;
        puts("Removed login credentials for all registries");
        return 0;
    }
    if (optind + 1 != argc)
        return cmd_usage_error("logout", err, "needs exactly one registry, got %d arguments",
                               argc - optind);
    if ((domain = cmd_registry_domain("logout", argv[optind], err)) == NULL)
        return -1;
    if ((n = image_creds_remove(authfile, domain, err)) < 0)
        return -1;
    if (n == 0)
        return ctr_error_set(err, ENOENT, "not logged into '%s'", domain);
    printf("Removed login credentials for %s\n", domain);
    return 0;
}

const struct ctr_command ctr_cmd_logout = {
        .name = "logout",
        .run = cmd_logout,
        .flags = 0,
        .summary = "Remove the credentials stored for a registry",
        .synopsis = "logout [OPTIONS] REGISTRY\n       ctr logout [OPTIONS] --all",
        .description = "Remove the credentials stored for REGISTRY by 'ctr login'.\n",
        .options = options,
};
