/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image-archive.h"
#include "cleanup.h"
#include "cmd.h"

static const struct cmd_option options[] = {
        {"input", 'i', required_argument, 'i', "FILE",
         "read the archive from FILE (default: standard input, when it\nis not a terminal)",
         CMD_COMPLETE_FILE, NULL, NULL},
        {"quiet", 'q', no_argument, 'q', NULL, "print no progress", CMD_COMPLETE_NONE, NULL, NULL},
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

struct progress {
    int tty;
    int quiet;
};

static void on_event(void *arg, const struct image_load_event *ev)
{
    const struct progress *p = arg;

    switch (ev->kind) {
    case IMAGE_LOAD_WARNING:
        fprintf(stderr, "ctr: warning: %s\n", ev->message);
        return;
    case IMAGE_LOAD_LAYER_EXISTS:
        if (p->tty && !p->quiet)
            fprintf(stderr, "Copying blob %.19s skipped: already exists\n", ev->digest);
        return;
    case IMAGE_LOAD_LAYER_DONE:
        if (p->tty && !p->quiet)
            fprintf(stderr, "Copying blob %.19s done\n", ev->digest);
        return;
    }
}

/* A readable, seekable fd for the archive: the file itself, or a private copy of a stream. */
static int open_input(struct storage *s, const char *path, int *ret_fd, struct ctr_error **err)
{
    cleanup_close int fd = -1;
    struct stat st;

    if (path != NULL) {
        fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
            return ctr_error_errno(err, "open '%s'", path);
    } else {
        fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
            return ctr_error_errno(err, "standard input");
    }
    if (fstat(fd, &st) < 0)
        return ctr_error_errno(err, "inspect '%s'", path ? path : "standard input");
    if (S_ISDIR(st.st_mode))
        return ctr_error_set(err, EISDIR, "'%s' is a directory, not an archive", path);
    /* Read twice, so a pipe (or a FIFO given with -i) is copied under the runtime dir first. */
    if (!S_ISREG(st.st_mode) || lseek(fd, 0, SEEK_SET) < 0)
        return image_archive_spool(fd, s->runroot, ret_fd, err);
    *ret_fd = steal_fd(&fd);
    return 0;
}

int cmd_load(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct cmd_getopt g;
    struct progress prog = {.tty = isatty(STDERR_FILENO)};
    struct image_load_opts o = {.progress = on_event, .progress_arg = &prog};
    struct image_store_ns ns;
    cleanup_strv char **names = NULL;
    cleanup_close int fd = -1;
    const char *input = NULL;
    struct storage *s;
    int c, r;

    cmd_getopt_init(&g, options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        switch (c) {
        case 'i':
            input = optarg;
            break;
        case 'q':
            prog.quiet = 1;
            break;
        case 'h':
            cmd_print_help(&ctr_cmd_load);
            return 0;
        default:
            return cmd_getopt_error("load", c, argv, err);
        }
    }
    if (optind < argc)
        return cmd_usage_error("load", err, "takes no arguments, got '%s' (use -i FILE)",
                               argv[optind]);
    if (input == NULL && isatty(STDIN_FILENO))
        return cmd_usage_error("load", err,
                               "needs an archive: use -i FILE, or pipe one to standard input");
    s = ctx_store(ctx, err);
    if (s == NULL)
        return -1;
    if (open_input(s, input, &fd, err) < 0)
        return -1;
    if (image_store_ns_init(&ns, err) < 0)
        return -1;
    r = image_load(s, &ns, fd, input ? input : "standard input", &o, &names, err);
    image_store_ns_clear(&ns);
    if (r < 0)
        return -1;
    for (char **n = names; *n != NULL; n++)
        printf("Loaded image: %s\n", *n);
    return 0;
}

const struct ctr_command ctr_cmd_load = {
        .name = "load",
        .run = cmd_load,
        .flags = CMD_NEEDS_STORE,
        .summary = "Load images from a docker-archive or an OCI archive",
        .synopsis = "load [OPTIONS]",
        .description =
                "Load images from an archive made by 'ctr save', 'podman save', 'docker save' "
                "or\nskopeo: an OCI archive or a docker-archive, plain or compressed with gzip "
                "or zstd.\nEvery layer is checked against the image's digests before it is "
                "stored, and\nunpacked inside your user namespace as 'ctr pull' does.\n",
        .options = options,
};
