/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cmd.h"
#include "pull.h"
#include "xalloc.h"

enum {
    OPT_PLATFORM = 256,
    OPT_OS,
    OPT_ARCH,
    OPT_VARIANT,
    OPT_TLS_VERIFY,
    OPT_CERT_DIR,
    OPT_AUTHFILE,
    OPT_CREDS,
    OPT_RETRY,
    OPT_JOBS,
};

static const struct cmd_option options[] = {
        {"quiet", 'q', no_argument, 'q', NULL, "print only the image id", CMD_COMPLETE_NONE, NULL,
         NULL},
        {"platform", 0, required_argument, OPT_PLATFORM, "OS/ARCH[/VARIANT]",
         "pull this platform from a multi-platform image", CMD_COMPLETE_NONE, NULL, NULL},
        {"os", 0, required_argument, OPT_OS, "OS", "override the OS of the platform",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"arch", 0, required_argument, OPT_ARCH, "ARCH",
         "override the architecture of the platform", CMD_COMPLETE_NONE, NULL, NULL},
        {"variant", 0, required_argument, OPT_VARIANT, "VARIANT",
         "override the variant of the platform", CMD_COMPLETE_NONE, NULL, NULL},
        {"tls-verify", 0, optional_argument, OPT_TLS_VERIFY, "BOOL",
         "require HTTPS with verified certificates (default: true,\nunless registries.conf marks "
         "the registry insecure)",
         CMD_COMPLETE_VALUES, "true false", NULL},
        {"cert-dir", 0, required_argument, OPT_CERT_DIR, "DIR",
         "CA certificates (*.crt) and client keys for the registry", CMD_COMPLETE_DIR, NULL, NULL},
        {"authfile", 0, required_argument, OPT_AUTHFILE, "FILE",
         "credentials file (default: what 'ctr login' wrote)", CMD_COMPLETE_FILE, NULL, NULL},
        {"creds", 0, required_argument, OPT_CREDS, "USER:PASS", "credentials for this pull",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"retry", 0, required_argument, OPT_RETRY, "N",
         "retries of a transient failure (default 3)", CMD_COMPLETE_NONE, NULL, NULL},
        {"jobs", 0, required_argument, OPT_JOBS, "N", "layers fetched at once (default 3)",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

/*
 * Progress on a terminal: one line per layer, redrawn in place (bytes, total, rate).  Silenced
 * by -q and when stdout is not a terminal, so `id=$(ctr pull x)` prints the id alone.
 */
struct progress {
    int tty;
    int quiet;
    char **digests; /* one line per layer, in the order first seen */
    char **lines;
    size_t n;
    size_t drawn; /* lines on screen to move back over */
};

static void set_line(struct progress *p, const char *digest, char *text)
{
    size_t i;

    for (i = 0; i < p->n && strcmp(p->digests[i], digest) != 0; i++) {
    }
    if (i == p->n) {
        p->digests = xreallocarray(p->digests, p->n + 1, sizeof(char *));
        p->lines = xreallocarray(p->lines, p->n + 1, sizeof(char *));
        p->digests[i] = xstrdup(digest);
        p->lines[i] = NULL;
        p->n++;
    }
    free(p->lines[i]);
    p->lines[i] = text;
    if (p->drawn > 0)
        fprintf(stderr, "\033[%zuA", p->drawn);
    for (size_t j = 0; j < p->n; j++)
        fprintf(stderr, "\r\033[K%s\n", p->lines[j]);
    p->drawn = p->n;
    fflush(stderr);
}

static void progress_clear(struct progress *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->digests[i]);
        free(p->lines[i]);
    }
    free(p->digests);
    free(p->lines);
}

static char *rate(int64_t bytes, double seconds)
{
    return cmd_human_size(seconds > 0 ? (int64_t)((double)bytes / seconds) : 0);
}

static void on_event(void *arg, const struct image_pull_event *ev)
{
    struct progress *p = arg;
    const char *hex = ev->digest ? strchr(ev->digest, ':') + 1 : NULL;
    cleanup_free char *done = NULL, *total = NULL, *speed = NULL;

    if (ev->kind == IMAGE_PULL_WARNING) {
        fprintf(stderr, "ctr: warning: %s\n", ev->message);
        p->drawn = 0;
        return;
    }
    if (p->quiet)
        return;
    if (ev->kind == IMAGE_PULL_RESOLVED) {
        fprintf(stderr, "Trying to pull %s...\n", ev->name);
        return;
    }
    if (!p->tty)
        return;
    done = cmd_human_size(ev->bytes);
    total = cmd_human_size(ev->total);
    speed = rate(ev->bytes, ev->seconds);
    switch (ev->kind) {
    case IMAGE_PULL_LAYER_EXISTS:
        set_line(p, ev->digest, xasprintf("Copying blob %.12s skipped: already exists", hex));
        break;
    case IMAGE_PULL_LAYER_PROGRESS:
        set_line(p, ev->digest,
                 xasprintf("Copying blob %.12s [%9s / %-9s] %s/s", hex, done, total, speed));
        break;
    case IMAGE_PULL_LAYER_DONE:
        set_line(p, ev->digest,
                 xasprintf("Copying blob %.12s done: %s in %.1fs (%s/s)", hex, total, ev->seconds,
                           speed));
        break;
    default:
        break;
    }
}

int cmd_pull(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct cmd_getopt g;
    struct image_pull_opts o = {.tls_verify = -1, .retries = 3};
    struct progress prog = {.tty = isatty(STDOUT_FILENO) && isatty(STDERR_FILENO)};
    struct image_store_ns ns;
    cleanup_free char *user = NULL;
    struct storage *s;
    int c, status = 0;

    cmd_getopt_init(&g, options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        switch (c) {
        case 'q':
            prog.quiet = 1;
            break;
        case OPT_PLATFORM:
            o.platform = optarg;
            break;
        case OPT_OS:
            o.os = optarg;
            break;
        case OPT_ARCH:
            o.arch = optarg;
            break;
        case OPT_VARIANT:
            o.variant = optarg;
            break;
        case OPT_TLS_VERIFY:
            if (cmd_parse_bool("pull", "--tls-verify", optarg, &o.tls_verify, err) < 0)
                return -1;
            break;
        case OPT_CERT_DIR:
            o.cert_dir = optarg;
            break;
        case OPT_AUTHFILE:
            o.authfile = optarg;
            break;
        case OPT_CREDS: {
            const char *colon = strchr(optarg, ':');

            if (colon == NULL || colon == optarg)
                return cmd_usage_error("pull", err, "--creds takes USER:PASSWORD");
            free(user);
            user = xstrndup(optarg, (size_t)(colon - optarg));
            o.username = user;
            o.password = colon + 1;
            break;
        }
        case OPT_RETRY:
            if (cmd_parse_uint("pull", "--retry", optarg, 100, &o.retries, err) < 0)
                return -1;
            break;
        case OPT_JOBS:
            if (cmd_parse_uint("pull", "--jobs", optarg, 16, &o.jobs, err) < 0)
                return -1;
            if (o.jobs == 0)
                return cmd_usage_error("pull", err, "--jobs must be at least 1");
            break;
        case 'h':
            cmd_print_help(&ctr_cmd_pull);
            return 0;
        default:
            return cmd_getopt_error("pull", c, argv, err);
        }
    }
    if (optind >= argc)
        return cmd_usage_error("pull", err, "needs an image to pull");
    /* The variable Podman's tools share, so 'ctr login' and 'ctr pull' agree on the file. */
    if (o.authfile == NULL)
        o.authfile = getenv("REGISTRY_AUTH_FILE");
    o.progress = on_event;
    o.progress_arg = &prog;
    s = ctx_store(ctx, err);
    if (s == NULL)
        return -1;
    if (image_store_ns_init(&ns, err) < 0)
        return -1;
    if (!ns.direct && !ns.has_ranges)
        fprintf(stderr, "ctr: warning: you have no subordinate id ranges: only images whose "
                        "files all belong to root can be unpacked (see 'ctr info')\n");
    for (int i = optind; i < argc; i++) {
        cleanup_free char *id = NULL, *name = NULL;

        if (image_pull(s, &ns, argv[i], &o, &id, &name, err) < 0) {
            status = -1;
            break;
        }
        printf("%s\n", id + strlen("sha256:"));
    }
    image_store_ns_clear(&ns);
    progress_clear(&prog);
    return status;
}

const struct ctr_command ctr_cmd_pull = {
        .name = "pull",
        .run = cmd_pull,
        .flags = CMD_NEEDS_STORE,
        .summary = "Pull images from a registry",
        .synopsis = "pull [OPTIONS] IMAGE...",
        .description =
                "Pull images from a registry into your store.  A short name (busybox) is tried "
                "on\neach search registry of ~/.config/ctr/registries.conf in turn (default "
                "docker.io).\nEvery blob is verified against its digest as it streams; layers "
                "are unpacked\ninside your user namespace so files keep the owners the image "
                "gives them.\n",
        .options = options,
        .operand = CMD_COMPLETE_IMAGE,
        .operands = CMD_COMPLETE_IMAGE,
};
