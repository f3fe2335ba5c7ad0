/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "container.h"
#include "ports.h"

static const struct cmd_option options[] = {
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

int cmd_port(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct cmd_getopt g;
    struct storage_container ct = {0};
    struct ctr_spec spec = {0};
    const char *want = NULL;
    struct storage *s;
    int c, r = -1, found = 0;

    cmd_getopt_init(&g, options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        if (c == 'h') {
            cmd_print_help(&ctr_cmd_port);
            return 0;
        }
        return cmd_getopt_error("port", c, argv, err);
    }
    if (argc - optind < 1 || argc - optind > 2)
        return cmd_usage_error("port", err, "needs a container and at most one port");
    want = argc - optind == 2 ? argv[optind + 1] : NULL;
    s = ctx_store(ctx, err);
    if (s == NULL || storage_container_find(s, argv[optind], &ct, err) < 0 ||
        container_spec(&ct, &spec, err) < 0)
        goto out;
    for (char **p = spec.ports; p && *p; p++) {
        struct net_port port;

        if (net_port_parse(*p, &port, err) < 0)
            goto out;
        for (unsigned i = 0; i < port.count; i++) {
            char ctr_port[32], host[96];
            const char *ip = port.host_ip[0] ? port.host_ip : "0.0.0.0";

            snprintf(ctr_port, sizeof(ctr_port), "%u/%s", port.container_port + i, port.protocol);
            snprintf(host, sizeof(host), strchr(ip, ':') ? "[%s]:%u" : "%s:%u", ip,
                     port.host_port + i);
            if (want == NULL) {
                printf("%s -> %s\n", ctr_port, host);
            } else if (strcmp(want, ctr_port) == 0 ||
                       (strchr(want, '/') == NULL &&
                        strtoul(want, NULL, 10) == (unsigned long)(port.container_port + i) &&
                        strcmp(port.protocol, "tcp") == 0)) {
                printf("%s\n", host);
                found = 1;
            }
        }
    }
    if (want != NULL && !found) {
        ctr_error_set(err, ENOENT, "container '%s' does not publish port '%s'", argv[optind], want);
        goto out;
    }
    r = 0;
out:
    ctr_spec_clear(&spec);
    storage_container_clear(&ct);
    return r;
}

const struct ctr_command ctr_cmd_port = {
        .name = "port",
        .run = cmd_port,
        .flags = CMD_NEEDS_STORE,
        .summary = "List a container's published ports",
        .synopsis = "port CONTAINER [PORT[/PROTO]]",
        .description = "List a container's published ports as Podman does:\n'80/tcp -> "
                       "0.0.0.0:8080', one mapping per line; with PORT only\nwhere that "
                       "container port goes ('0.0.0.0:8080').\n",
        .options = options,
        .operand = CMD_COMPLETE_CONTAINER,
        .operands = CMD_COMPLETE_NONE,
};
