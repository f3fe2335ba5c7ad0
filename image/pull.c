/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "images.h"
#include "manifest.h"
#include "pull.h"
#include "ref.h"
#include "registry.h"
#include "spawn.h"
#include "unpack.h"
#include "xalloc.h"

/* --- acting as the owner of the store's files --- */

int image_store_ns_init(struct image_store_ns *ns, struct ctr_error **err)
{
    memset(ns, 0, sizeof(*ns));
    /* /proc/self/exe, not argv[0]: it is this very binary even if the file was replaced. */
    ns->self_exe = xstrdup("/proc/self/exe");
    if (geteuid() == 0) {
        ns->direct = 1;
        return 0;
    }
    if (ctr_idmaps_for_current_user(&ns->maps, &ns->has_ranges, err) < 0)
        return -1;
    ns->max_uid = ctr_idmaps_contiguous(ns->maps.uid, ns->maps.n_uid);
    ns->max_gid = ctr_idmaps_contiguous(ns->maps.gid, ns->maps.n_gid);
    return 0;
}

void image_store_ns_clear(struct image_store_ns *ns)
{
    ctr_idmaps_clear(&ns->maps);
    free(ns->self_exe);
    memset(ns, 0, sizeof(*ns));
}

struct helper_exec {
    const char *exe;
    char *const *argv;
    int fds[3]; /* become stdin, stdout and fd 3; -1 leaves one as it is */
};

/* Runs in the forked child: only async-signal-safe calls until execv. */
static int exec_helper(void *arg)
{
    const struct helper_exec *h = arg;
    static const int targets[3] = {STDIN_FILENO, STDOUT_FILENO, 3};
    int src[3];

    /*
     * Every source is moved above the targets first: a pipe made while stdin was closed can be
     * fd 0 or 3 itself, and dup2() of an fd onto itself would keep its O_CLOEXEC.
     */
    for (int i = 0; i < 3; i++) {
        src[i] = h->fds[i] >= 0 ? fcntl(h->fds[i], F_DUPFD_CLOEXEC, 10) : -1;
        if (h->fds[i] >= 0 && src[i] < 0)
            return 127;
    }
    for (int i = 0; i < 3; i++) {
        if (src[i] >= 0 && dup2(src[i], targets[i]) < 0)
            return 127;
    }
    execv(h->exe, h->argv);
    return 127;
}

int image_store_spawn(const struct image_store_ns *ns, char *const *argv, int fd_in, int fd_out,
                      int fd_result, pid_t *ret_pid, struct ctr_error **err)
{
    struct helper_exec h = {ns->self_exe, argv, {fd_in, fd_out, fd_result}};
    pid_t pid;

    if (!ns->direct)
        return ctr_userns_spawn(&ns->maps, 0, exec_helper, &h, ret_pid, err);
    pid = fork();
    if (pid < 0)
        return ctr_error_errno(err, "fork");
    if (pid == 0)
        _exit(exec_helper(&h));
    *ret_pid = pid;
    return 0;
}

static int spawn_helper(const struct image_store_ns *ns, char *const *argv, int fd_in, int fd_out,
                        pid_t *ret_pid, struct ctr_error **err)
{
    return image_store_spawn(ns, argv, fd_in, -1, fd_out, ret_pid, err);
}

void image_helper_read_result(int fd, char *buf, size_t max)
{
    size_t len = 0;

    while (len < max - 1) {
        ssize_t n = read(fd, buf + len, max - 1 - len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
}

/* Runs a helper to completion; its "error MSG" result line becomes the error. */
static int run_helper(const struct image_store_ns *ns, char *const *argv, struct ctr_error **err)
{
    cleanup_close int r = -1, w = -1;
    char result[1024];
    int fds[2], status;
    pid_t pid;

    if (pipe2(fds, O_CLOEXEC) < 0)
        return ctr_error_errno(err, "pipe");
    r = fds[0];
    w = fds[1];
    if (spawn_helper(ns, argv, -1, w, &pid, err) < 0)
        return -1;
    close(steal_fd(&w));
    image_helper_read_result(r, result, sizeof(result));
    status = ctr_waitpid(pid);
    if (status == 0)
        return 0;
    if (strncmp(result, "error ", 6) == 0)
        return ctr_error_set(err, EIO, "%s", result + 6);
    return ctr_error_set(err, EIO, "%s helper failed (wait status %d)", argv[0], status);
}

int image_store_remove_tree(const struct image_store_ns *ns, const char *path,
                            struct ctr_error **err)
{
    char *argv[] = {(char *)IMAGE_HELPER_REMOVE, (char *)path, NULL};

    return run_helper(ns, argv, err);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
    return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* Lets the walk enter directories a layer made unreadable (mode 0 dirs exist in images). */
static int open_up(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)ftw;
    if (flag == FTW_D || flag == FTW_DNR)
        chmod(path, (st->st_mode & 07777) | 0700);
    return 0;
}

void image_helper_result(int ok, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    int n = snprintf(buf, sizeof(buf), "%s ", ok ? "ok" : "error");

    va_start(ap, fmt);
    vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
    va_end(ap);
    dprintf(3, "%s\n", buf);
}

int image_helper_remove_main(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] != '/') {
        image_helper_result(0, "usage: %s ABSOLUTE-PATH", IMAGE_HELPER_REMOVE);
        return 2;
    }
    /* FTW_PHYS: never follow a symlink out of the tree being removed. */
    nftw(argv[1], open_up, 64, FTW_PHYS | FTW_MOUNT);
    if (nftw(argv[1], remove_entry, 64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 && errno != ENOENT) {
        image_helper_result(0, "remove '%s': %s", argv[1], strerror(errno));
        return 1;
    }
    return 0;
}

int image_store_chown(const struct image_store_ns *ns, char *const *paths, unsigned long uid,
                      unsigned long gid, struct ctr_error **err)
{
    size_t n = strv_length((char **)paths);
    cleanup_free char **argv = xcalloc(n + 4, sizeof(char *));
    char u[24], g[24];

    snprintf(u, sizeof(u), "%lu", uid);
    snprintf(g, sizeof(g), "%lu", gid);
    argv[0] = (char *)IMAGE_HELPER_CHOWN;
    argv[1] = u;
    argv[2] = g;
    for (size_t i = 0; i < n; i++)
        argv[3 + i] = paths[i];
    return run_helper(ns, argv, err);
}

int image_helper_chown_main(int argc, char **argv)
{
    uid_t uid;
    gid_t gid;

    if (argc < 4) {
        image_helper_result(0, "usage: %s UID GID ABSOLUTE-PATH...", IMAGE_HELPER_CHOWN);
        return 2;
    }
    uid = (uid_t)strtoul(argv[1], NULL, 10);
    gid = (gid_t)strtoul(argv[2], NULL, 10);
    for (int i = 3; i < argc; i++)
        if (argv[i][0] != '/' || lchown(argv[i], uid, gid) < 0) {
            image_helper_result(0, "chown '%s': %s", argv[i],
                                argv[i][0] != '/' ? "not absolute" : strerror(errno));
            return 1;
        }
    return 0;
}

int image_helper_unpack_main(int argc, char **argv)
{
    cleanup_error struct ctr_error *err = NULL;
    struct image_unpack_opts opts = {0};
    struct image_unpack_result res = {0};
    cleanup_close int dirfd = -1;

    if (argc != 4) {
        image_helper_result(0, "usage: %s DIR MAX-UID MAX-GID", IMAGE_HELPER_UNPACK);
        return 2;
    }
    opts.max_uid = strtoul(argv[2], NULL, 10);
    opts.max_gid = strtoul(argv[3], NULL, 10);
    dirfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dirfd < 0) {
        image_helper_result(0, "open '%s': %s", argv[1], strerror(errno));
        return 1;
    }
    if (image_unpack_layer(STDIN_FILENO, dirfd, &opts, &res, &err) < 0) {
        image_helper_result(0, "%s", err->msg);
        return 1;
    }
    image_helper_result(1, "%s %llu %u %u", res.diff_id, (unsigned long long)res.size,
                        res.skipped_devices, res.skipped_xattrs);
    return 0;
}

/* --- pulling --- */

struct puller {
    struct storage *s;
    const struct image_store_ns *ns;
    const struct image_pull_opts *opts;
    struct image_registry *reg;
    const char *path;
    const struct image_manifest *m;
    const struct image_config *c;
    size_t *todo; /* indexes of the layers to fetch */
    size_t n_todo;
    pthread_mutex_t lock; /* the database, progress, and the fields below */
    size_t next;
    struct ctr_error *first_err;
    unsigned skipped_devices;
};

static void emit(struct puller *p, const struct image_pull_event *ev)
{
    if (p->opts->progress != NULL)
        p->opts->progress(p->opts->progress_arg, ev);
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct layer_feed {
    struct puller *p;
    const struct image_descriptor *layer;
    int fd;
    int64_t bytes;
    double start;
    double last_report;
};

/* Progress at most ten times a second: a terminal cannot show more, and the lock is shared. */
#define PROGRESS_INTERVAL_S 0.1

static int pipe_sink(void *arg, const void *data, size_t len, struct ctr_error **err)
{
    struct layer_feed *f = arg;
    double now;

    if (ctr_write_all(f->fd, data, len) < 0)
        return ctr_error_errno(err, "feed the layer to the unpacker");
    f->bytes += (int64_t)len;
    if (f->p->opts->progress == NULL)
        return 0;
    now = now_s();
    if (now - f->last_report >= PROGRESS_INTERVAL_S) {
        struct image_pull_event ev = {.kind = IMAGE_PULL_LAYER_PROGRESS,
                                      .digest = f->layer->digest,
                                      .bytes = f->bytes,
                                      .total = f->layer->size,
                                      .seconds = now - f->start};

        f->last_report = now;
        pthread_mutex_lock(&f->p->lock);
        emit(f->p, &ev);
        pthread_mutex_unlock(&f->p->lock);
    }
    return 0;
}

/* Fetches layer `i` into a staging directory, verifies its diff id and commits it. */
static int fetch_layer(struct puller *p, size_t i, struct ctr_error **err)
{
    const struct image_descriptor *layer = &p->m->layers[i];
    const char *want = p->c->diff_ids[i];
    cleanup_free char *staging = NULL;
    cleanup_close int lock = -1, data_r = -1, data_w = -1, res_r = -1, res_w = -1;
    char max_uid[24], max_gid[24], result[1024], diff_id[IMAGE_DIGEST_MAX];
    unsigned long long size = 0;
    unsigned devices = 0, xattrs = 0;
    int fds[2], status, r, committed = 0;
    double t0 = now_s();
    struct layer_feed feed = {.p = p, .layer = layer, .start = t0};
    pid_t pid;

    if (storage_layer_stage(p->s, &staging, &lock, err) < 0)
        return -1;
    if (pipe2(fds, O_CLOEXEC) < 0) {
        r = ctr_error_errno(err, "pipe");
        goto out;
    }
    data_r = fds[0];
    data_w = fds[1];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        r = ctr_error_errno(err, "pipe");
        goto out;
    }
    res_r = fds[0];
    res_w = fds[1];
    snprintf(max_uid, sizeof(max_uid), "%lu", p->ns->max_uid);
    snprintf(max_gid, sizeof(max_gid), "%lu", p->ns->max_gid);
    {
        char *argv[] = {(char *)IMAGE_HELPER_UNPACK, staging, max_uid, max_gid, NULL};

        r = spawn_helper(p->ns, argv, data_r, res_w, &pid, err);
    }
    if (r < 0)
        goto out;
    close(steal_fd(&data_r));
    close(steal_fd(&res_w));
    feed.fd = data_w;
    r = image_registry_get_blob(p->reg, p->path, layer->digest, layer->size, pipe_sink, &feed, err);
    close(steal_fd(&data_w));
    image_helper_read_result(res_r, result, sizeof(result));
    if (r < 0)
        kill(pid, SIGKILL);
    status = ctr_waitpid(pid);
    if (strncmp(result, "error ", 6) == 0) {
        /* The unpacker stopping (a hostile entry) explains a broken pipe better. */
        ctr_error_clear(err);
        r = ctr_error_set(err, EINVAL, "%s", result + 6);
    } else if (r == 0 && (status != 0 || sscanf(result, "ok %135s %llu %u %u", diff_id, &size,
                                                &devices, &xattrs) != 4)) {
        r = ctr_error_set(err, EIO, "the layer unpacker failed (wait status %d)", status);
    } else if (r == 0 && strcmp(diff_id, want) != 0) {
        r = ctr_error_set(err, EBADMSG,
                          "layer '%s' unpacks to diff id '%s', but the image config says '%s'",
                          layer->digest, diff_id, want);
    }
    if (r < 0) {
        ctr_error_wrap(err, "layer '%s'", layer->digest);
        goto out;
    }
    pthread_mutex_lock(&p->lock);
    r = storage_layer_commit(p->s, staging, want, size, err);
    p->skipped_devices += devices;
    if (r >= 0) {
        struct image_pull_event ev = {.kind = IMAGE_PULL_LAYER_DONE,
                                      .digest = layer->digest,
                                      .bytes = layer->size,
                                      .total = layer->size,
                                      .seconds = now_s() - t0};

        emit(p, &ev);
    }
    pthread_mutex_unlock(&p->lock);
    committed = r == 0;
    if (r > 0)
        r = 0;
out:
    if (!committed) {
        struct ctr_error *rm_err = NULL;

        /* Nothing half-written stays: a failed or duplicate layer goes. */
        if (image_store_remove_tree(p->ns, staging, &rm_err) < 0)
            ctr_error_free(rm_err);
    }
    return r;
}

static void *worker(void *arg)
{
    struct puller *p = arg;

    for (;;) {
        struct ctr_error *err = NULL;
        size_t i;

        pthread_mutex_lock(&p->lock);
        if (p->first_err != NULL || p->next >= p->n_todo) {
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        i = p->todo[p->next++];
        pthread_mutex_unlock(&p->lock);
        if (fetch_layer(p, i, &err) < 0) {
            pthread_mutex_lock(&p->lock);
            if (p->first_err == NULL)
                p->first_err = steal_pointer(&err);
            pthread_mutex_unlock(&p->lock);
            ctr_error_free(err);
        }
    }
}

/* Decides which layers to fetch: not in the store, each diff id once. */
static int plan_layers(struct puller *p, struct ctr_error **err)
{
    p->todo = xcalloc(p->m->n_layers, sizeof(*p->todo));
    for (size_t i = 0; i < p->m->n_layers; i++) {
        const char *d = p->c->diff_ids[i];
        int dup = 0, r;

        for (size_t j = 0; j < p->n_todo && !dup; j++)
            dup = strcmp(p->c->diff_ids[p->todo[j]], d) == 0;
        r = storage_layer_present(p->s, d, err);
        if (r < 0)
            return -1;
        if (r == 1) {
            struct image_pull_event ev = {.kind = IMAGE_PULL_LAYER_EXISTS,
                                          .digest = p->m->layers[i].digest};

            emit(p, &ev);
        } else if (!dup) {
            p->todo[p->n_todo++] = i;
        }
    }
    return 0;
}

static int fetch_layers(struct puller *p, struct ctr_error **err)
{
    unsigned jobs = p->opts->jobs ? p->opts->jobs : 3;
    pthread_t threads[16];
    unsigned started = 0;

    if (jobs > 16)
        jobs = 16;
    if (jobs > p->n_todo)
        jobs = (unsigned)p->n_todo;
    pthread_mutex_init(&p->lock, NULL);
    for (; started < jobs; started++) {
        if (pthread_create(&threads[started], NULL, worker, p) != 0)
            break;
    }
    if (started == 0 && p->n_todo > 0)
        worker(p);
    for (unsigned i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    pthread_mutex_destroy(&p->lock);
    if (p->first_err != NULL) {
        *err = steal_pointer(&p->first_err);
        return -1;
    }
    if (p->skipped_devices > 0) {
        cleanup_free char *msg =
                xasprintf("skipped %u device node(s): a rootless store cannot create them",
                          p->skipped_devices);
        struct image_pull_event ev = {.kind = IMAGE_PULL_WARNING, .message = msg};

        emit(p, &ev);
    }
    return 0;
}

struct buffer {
    char *data;
    size_t len;
    size_t max;
};

static int buffer_sink(void *arg, const void *data, size_t len, struct ctr_error **err)
{
    struct buffer *b = arg;

    if (len > b->max - b->len)
        return ctr_error_set(err, EFBIG, "larger than %zu bytes", b->max);
    b->data = xrealloc(b->data, b->len + len + 1);
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

static int want_platform(const struct image_pull_opts *o, struct image_platform *ret,
                         unsigned *ret_flags, struct ctr_error **err)
{
    *ret_flags = 0;
    if (o->platform != NULL) {
        if (image_platform_parse(o->platform, ret, err) < 0)
            return -1;
    } else {
        if (image_platform_host(ret, err) < 0)
            return -1;
        *ret_flags = IMAGE_SELECT_COMPATIBLE;
    }
    if (o->os != NULL) {
        free(ret->os);
        ret->os = xstrdup(o->os);
    }
    if (o->arch != NULL) {
        free(ret->architecture);
        ret->architecture = xstrdup(o->arch);
        *ret_flags = 0;
    }
    if (o->variant != NULL) {
        free(ret->variant);
        ret->variant = xstrdup(o->variant);
        *ret_flags = 0;
    }
    image_platform_normalize(ret);
    return 0;
}

static const char *const manifest_accept[] = {
        IMAGE_MEDIA_OCI_INDEX,
        IMAGE_MEDIA_DOCKER_LIST,
        IMAGE_MEDIA_OCI_MANIFEST,
        IMAGE_MEDIA_DOCKER_MANIFEST,
        NULL,
};

/* Fetches the manifest for the wanted platform: through the index when there is one. */
static int get_manifest(struct image_registry *reg, const struct image_ref *ref,
                        const struct image_pull_opts *opts, const char *name, char **ret_body,
                        size_t *ret_len, char **ret_type, char ret_digest[IMAGE_DIGEST_MAX],
                        struct ctr_error **err)
{
    cleanup_free char *body = NULL, *type = NULL;
    enum image_manifest_kind kind;
    size_t len = 0;

    if (image_registry_get_manifest(reg, ref->path, ref->digest ? ref->digest : ref->tag,
                                    manifest_accept, IMAGE_MANIFEST_MAX, &body, &len, &type,
                                    ret_digest, err) < 0)
        return -1;
    if (image_manifest_detect(type, body, len, &kind, err) < 0)
        return -1;
    if (image_manifest_kind_is_index(kind)) {
        cleanup_with(image_index_freep) struct image_index *ix = NULL;
        struct image_platform want = {0};
        const struct image_descriptor *d;
        unsigned flags;

        ix = image_index_parse(type, body, len, err);
        if (ix == NULL)
            return -1;
        if (want_platform(opts, &want, &flags, err) < 0)
            return -1;
        d = image_index_select(ix, &want, name, flags, err);
        image_platform_clear(&want);
        if (d == NULL)
            return -1;
        free(steal_pointer(&body));
        free(steal_pointer(&type));
        if (image_registry_get_manifest(reg, ref->path, d->digest, manifest_accept,
                                        IMAGE_MANIFEST_MAX, &body, &len, &type, ret_digest,
                                        err) < 0)
            return -1;
    }
    *ret_body = steal_pointer(&body);
    *ret_len = len;
    *ret_type = steal_pointer(&type);
    return 0;
}

static int open_registry(const struct image_ref *ref, const struct image_pull_opts *opts,
                         struct image_registry **ret, struct ctr_error **err)
{
    cleanup_with(image_registries_conf_freep) struct image_registries_conf *conf = NULL;
    struct image_registry_opts ro = {
            .cert_dir = opts->cert_dir,
            .username = opts->username,
            .password = opts->password,
            .retries = (int)opts->retries,
            .authfile = opts->authfile,
    };

    if (opts->tls_verify == 0) {
        ro.insecure = 1;
    } else if (opts->tls_verify < 0) {
        if (image_registries_conf_load(NULL, &conf, err) < 0)
            return -1;
        ro.insecure = image_registries_conf_insecure(conf, ref->domain);
    }
    return image_registry_new(ref->domain, &ro, ret, err);
}

/* Removes leftovers of killed pulls, when no other pull is running. */
static void clean_leftovers(struct storage *s, const struct image_store_ns *ns)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_close int lock = -1;
    cleanup_strv char **left = NULL;

    if (storage_layers_lock(s, 1, 0, &lock, &err) != 0)
        return;
    if (storage_layer_leftovers(s, &left, &err) < 0)
        return;
    for (char **p = left; *p != NULL; p++) {
        if (image_store_remove_tree(ns, *p, &err) < 0)
            ctr_error_clear(&err);
    }
}

static int pull_one(struct storage *s, const struct image_store_ns *ns, const char *name,
                    const struct image_pull_opts *opts, char **ret_id, struct ctr_error **err)
{
    cleanup_with(image_ref_freep) struct image_ref *ref = NULL;
    cleanup_with(image_manifest_freep) struct image_manifest *m = NULL;
    cleanup_with(image_config_freep) struct image_config *c = NULL;
    cleanup_free char *body = NULL, *type = NULL, *id = NULL;
    struct puller p = {0};
    struct buffer config = {NULL, 0, IMAGE_CONFIG_MAX};
    struct storage_image img = {0};
    char digest[IMAGE_DIGEST_MAX];
    cleanup_close int lock = -1;
    size_t len = 0;
    int r = -1;

    if (image_ref_parse(name, &ref, err) < 0)
        return -1;
    if (open_registry(ref, opts, &p.reg, err) < 0)
        return -1;
    if (get_manifest(p.reg, ref, opts, name, &body, &len, &type, digest, err) < 0)
        goto out;
    m = image_manifest_parse(type, body, len, err);
    if (m == NULL)
        goto out;
    if (image_registry_get_blob(p.reg, ref->path, m->config.digest, m->config.size, buffer_sink,
                                &config, err) < 0) {
        ctr_error_wrap(err, "config '%s'", m->config.digest);
        goto out;
    }
    c = image_config_parse(config.data ? config.data : "", config.len, err);
    if (c == NULL || image_config_check_manifest(c, m, err) < 0)
        goto out;
    clean_leftovers(s, ns);
    /* Shared: other pulls go on beside this one; layer collection waits. */
    if (storage_layers_lock(s, 0, 1, &lock, err) < 0)
        goto out;
    p.s = s;
    p.ns = ns;
    p.opts = opts;
    p.path = ref->path;
    p.m = m;
    p.c = c;
    if (plan_layers(&p, err) < 0 || fetch_layers(&p, err) < 0)
        goto out;
    img.id = m->config.digest;
    img.manifest_digest = digest;
    img.manifest = body;
    img.manifest_len = len;
    img.config = config.data;
    img.config_len = config.len;
    img.os = c->os;
    img.architecture = c->architecture;
    img.variant = c->variant;
    img.created = c->has_created ? (int64_t)c->created : 0;
    img.diff_ids = c->diff_ids;
    img.size = storage_layers_size(s, c->diff_ids, err);
    if (img.size < 0)
        goto out;
    if (storage_image_add(s, &img, name, err) < 0)
        goto out;
    *ret_id = xstrdup(m->config.digest);
    r = 0;
out:
    free(p.todo);
    free(config.data);
    image_registry_free(p.reg);
    return r;
}

int image_pull(struct storage *s, const struct image_store_ns *ns, const char *input,
               const struct image_pull_opts *opts, char **ret_id, char **ret_name,
               struct ctr_error **err)
{
    cleanup_with(image_registries_conf_freep) struct image_registries_conf *conf = NULL;
    cleanup_strv char **names = NULL;
    cleanup_free char *tried = NULL;
    int n;

    if (image_registries_conf_load(NULL, &conf, err) < 0)
        return -1;
    n = image_ref_candidates(input, conf->search, &names, err);
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        struct image_pull_event ev = {.kind = IMAGE_PULL_RESOLVED, .name = names[i]};
        struct ctr_error *one = NULL;
        char *id = NULL;

        if (opts->progress != NULL)
            opts->progress(opts->progress_arg, &ev);
        if (pull_one(s, ns, names[i], opts, &id, &one) == 0) {
            *ret_id = id;
            *ret_name = xstrdup(names[i]);
            return 0;
        }
        if (n == 1) {
            *err = one;
            return ctr_error_wrap(err, "pull '%s'", names[i]);
        }
        /* A short name goes on to the next search registry; say what each said. */
        {
            char *t = xasprintf("%s%s%s: %s", tried ? tried : "", tried ? "; " : "", names[i],
                                one->msg);

            free(tried);
            tried = t;
        }
        ctr_error_free(one);
    }
    return ctr_error_set(err, ENOENT, "pull '%s': no search registry has it (%s)", input, tried);
}

int image_collect_layers(struct storage *s, const struct image_store_ns *ns, struct ctr_error **err)
{
    cleanup_close int lock = -1;
    cleanup_strv char **unused = NULL, **left = NULL;
    int r, removed = 0;

    r = storage_layers_lock(s, 1, 0, &lock, err);
    if (r != 0)
        return r < 0 ? -1 : 0; /* a pull is running: its layers may not have images yet */
    if (storage_layers_unused(s, &unused, err) < 0)
        return -1;
    for (char **d = unused; *d != NULL; d++) {
        cleanup_free char *dir = storage_layer_dir(s, *d);

        /* Row first: a crash in between leaves a directory the next collection removes. */
        if (storage_layer_forget(s, *d, err) < 0 || image_store_remove_tree(ns, dir, err) < 0)
            return -1;
        removed++;
    }
    if (storage_layer_leftovers(s, &left, err) < 0)
        return -1;
    for (char **p = left; *p != NULL; p++) {
        if (image_store_remove_tree(ns, *p, err) < 0)
            return -1;
    }
    return removed;
}
