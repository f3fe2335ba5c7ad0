/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "container-spec.h"
#include "container.h"
#include "fsutil.h"
#include "helper.h"
#include "ports.h"
#include "image.h"
#include "lookup.h"
#include "manifest.h"
#include "proc.h"
#include "pull.h"
#include "xalloc.h"

DEFINE_CLEANUP_FUNC(struct storage_image *, storage_image_free)

void container_dirs_init(struct container_dirs *d, const struct storage *s, const char *id)
{
    d->dir = xasprintf("%s/containers/%s", s->root, id);
    d->upper = xasprintf("%s/upper", d->dir);
    d->work = xasprintf("%s/work", d->dir);
    d->merged = xasprintf("%s/merged", d->dir);
    d->empty = xasprintf("%s/empty", d->dir);
    d->log = xasprintf("%s/ctr.log", d->dir);
}

void container_dirs_clear(struct container_dirs *d)
{
    free(d->dir);
    free(d->upper);
    free(d->work);
    free(d->merged);
    free(d->empty);
    free(d->log);
    memset(d, 0, sizeof(*d));
}

int container_spec(const struct storage_container *c, struct ctr_spec *ret, struct ctr_error **err)
{
    if (storage_spec_from_json(c->config, ret, err) < 0)
        return ctr_error_wrap(err, "container '%s': its stored configuration", c->name);
    return 0;
}

/* Podman's rule for names, so they are safe in paths and unit names. */
static int name_valid(const char *name)
{
    if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') ||
          (name[0] >= '0' && name[0] <= '9')))
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '.' || *p == '-'))
            return 0;
    return strlen(name) <= 253;
}

static const char *lookup_env(const char *key)
{
    return getenv(key);
}

static int read_env_file(char ***env, const char *path, struct ctr_error **err)
{
    cleanup_free char *data = NULL;
    size_t len;
    char *line, *save = NULL;
    int lineno = 0;

    if (ctr_read_file(path, 16 << 20, &data, &len, err) < 0)
        return ctr_error_wrap(err, "--env-file '%s'", path);
    for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cleanup_free char *kv = NULL;

        lineno++;
        line[strcspn(line, "\r")] = '\0';
        if (ctr_parse_env_line(line, lookup_env, &kv, err) < 0)
            return ctr_error_wrap(err, "--env-file '%s' line %d", path, lineno);
        if (kv != NULL)
            ctr_env_set(env, kv, NULL);
    }
    return 0;
}

/* A mapping as -p reads it back, with its host port chosen. */
static char *port_text(const struct net_port *p)
{
    int v6 = strchr(p->host_ip, ':') != NULL;
    cleanup_free char *host =
            p->count > 1 ? xasprintf("%u-%u", p->host_port, p->host_port + p->count - 1)
                         : xasprintf("%u", p->host_port);
    cleanup_free char *ctr =
            p->count > 1 ? xasprintf("%u-%u", p->container_port, p->container_port + p->count - 1)
                         : xasprintf("%u", p->container_port);

    if (p->host_ip[0] == '\0')
        return xasprintf("%s:%s/%s", host, ctr, p->protocol);
    return xasprintf(v6 ? "[%s]:%s:%s/%s" : "%s:%s:%s/%s", p->host_ip, host, ctr, p->protocol);
}

/* -p and -P: host ports are chosen now (free ones for -P and for -p without one). */
static int build_ports(const struct container_opts *o, const struct image_config *cfg,
                       struct ctr_spec *spec, struct ctr_error **err)
{
    size_t n = strv_length(o->publish), k = 0;
    size_t total = n + (o->publish_all ? cfg->n_exposed_ports : 0);
    cleanup_free struct net_port *ports = xcalloc(total ? total : 1, sizeof(*ports));

    for (size_t i = 0; i < n; i++)
        if (net_port_parse(o->publish[i], &ports[k++], err) < 0)
            return -1;
    for (size_t i = 0; o->publish_all && i < cfg->n_exposed_ports; i++) {
        cleanup_free char *arg =
                xasprintf("%u/%s", cfg->exposed_ports[i].port, cfg->exposed_ports[i].protocol);

        if (net_port_parse(arg, &ports[k++], err) < 0)
            return ctr_error_wrap(err, "the image's ExposedPorts");
    }
    if (k > 0 && net_ports_reserve(ports, k, err) < 0)
        return -1;
    for (size_t i = 0; i < k; i++) {
        cleanup_free char *text = port_text(&ports[i]);

        strv_push(&spec->ports, text);
    }
    return 0;
}

/* The spec from the image config and the options. */
static int build_spec(const struct container_opts *o, const struct image_config *cfg, char **cmd,
                      const char *id, struct ctr_spec *spec, struct ctr_error **err)
{
    char **entrypoint = cfg->entrypoint;
    char **args = cmd && cmd[0] ? cmd : NULL;

    /* An --entrypoint replaces the image's, and its Cmd goes with it, as in Docker. */
    if (o->has_entrypoint) {
        entrypoint = NULL;
        if (o->entrypoint[0] != '\0')
            strv_push(&spec->argv, o->entrypoint);
    } else {
        for (char **p = entrypoint; p && *p; p++)
            strv_push(&spec->argv, *p);
    }
    if (args == NULL && !o->has_entrypoint)
        args = cfg->cmd;
    for (char **p = args; p && *p; p++)
        strv_push(&spec->argv, *p);
    if (spec->argv == NULL || spec->argv[0] == NULL)
        return ctr_error_set(err, EINVAL,
                             "no command given: the image has no Entrypoint or Cmd, so name one "
                             "after the image ('ctr run IMAGE sh')");
    for (char **p = cfg->env; p && *p; p++)
        ctr_env_set(&spec->env, *p, NULL);
    for (char **p = o->env_files; p && *p; p++)
        if (read_env_file(&spec->env, *p, err) < 0)
            return -1;
    for (char **p = o->env; p && *p; p++)
        ctr_env_set(&spec->env, *p, lookup_env);
    spec->cwd = xstrdup(o->workdir                                       ? o->workdir
                        : cfg->working_dir && cfg->working_dir[0] == '/' ? cfg->working_dir
                                                                         : "/");
    if (o->user)
        spec->user = xstrdup(o->user);
    else if (cfg->user && cfg->user[0])
        spec->user = xstrdup(cfg->user);
    spec->hostname = xstrndup(o->hostname ? o->hostname : id, o->hostname ? 253 : 12);
    for (char **p = o->volumes; p && *p; p++) {
        struct ctr_mount_spec m = {0};
        struct stat st;

        if (ctr_parse_volume(*p, &m, err) < 0)
            return -1;
        spec->mounts = xreallocarray(spec->mounts, spec->n_mounts + 1, sizeof(*spec->mounts));
        spec->mounts[spec->n_mounts++] = m;
        if (stat(m.source, &st) < 0)
            return ctr_error_errno(err, "volume source '%s'", m.source);
    }
    for (char **p = o->tmpfs; p && *p; p++) {
        struct ctr_mount_spec m = {0};

        if (ctr_parse_tmpfs(*p, &m, err) < 0)
            return -1;
        spec->mounts = xreallocarray(spec->mounts, spec->n_mounts + 1, sizeof(*spec->mounts));
        spec->mounts[spec->n_mounts++] = m;
    }
    for (size_t i = 0; i < cfg->n_labels; i++) {
        cleanup_free char *kv = xasprintf("%s=%s", cfg->labels[i].key, cfg->labels[i].value);

        ctr_env_set(&spec->labels, kv, NULL);
    }
    for (char **p = o->labels; p && *p; p++) {
        cleanup_free char *kv = strchr(*p, '=') ? xstrdup(*p) : xasprintf("%s=", *p);

        ctr_env_set(&spec->labels, kv, NULL);
    }
    spec->tty = o->tty;
    spec->interactive = o->interactive;
    spec->init = o->init;
    spec->remove = o->rm;
    spec->stop_signal = SIGTERM;
    if (o->stop_signal || cfg->stop_signal) {
        int sig = ctr_parse_signal(o->stop_signal ? o->stop_signal : cfg->stop_signal, err);

        if (sig < 0)
            return ctr_error_wrap(err, "%s",
                                  o->stop_signal ? "--stop-signal" : "the image's StopSignal");
        spec->stop_signal = sig;
    }
    spec->stop_timeout = o->stop_timeout >= 0 ? (unsigned)o->stop_timeout : 10;
    spec->network = xstrdup(o->network ? o->network : "");
    if (build_ports(o, cfg, spec, err) < 0)
        return -1;
    for (char **p = o->dns; p && *p; p++)
        strv_push(&spec->dns, *p);
    for (char **p = o->dns_search; p && *p; p++)
        strv_push(&spec->dns_search, *p);
    for (char **p = o->add_hosts; p && *p; p++)
        strv_push(&spec->add_hosts, *p);
    spec->no_hosts = o->no_hosts;
    spec->restart = o->restart;
    spec->restart_max = o->restart_max;
    spec->sdnotify = o->sdnotify;
    return container_security_build(o, spec, err);
}

/*
 * What inspect shows as CreateCommand and `ctr generate systemd --new` runs again: ctr, the
 * global options that chose the store, and the command's own argv as typed.
 */
static char **create_command(const struct ctr_ctx *ctx, const struct container_opts *o)
{
    char **v = NULL;

    strv_push(&v, "ctr");
    if (ctx->root_opt != NULL) {
        strv_push(&v, "--root");
        strv_push(&v, ctx->root_opt);
    }
    if (ctx->runroot_opt != NULL) {
        strv_push(&v, "--runroot");
        strv_push(&v, ctx->runroot_opt);
    }
    for (int i = 0; i < o->argc && o->argv[i] != NULL; i++)
        strv_push(&v, o->argv[i]);
    return v;
}

static int write_file(const char *path, const char *text, struct ctr_error **err)
{
    cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);

    if (fd < 0 || ctr_write_all(fd, text, strlen(text)) < 0)
        return ctr_error_errno(err, "write '%s'", path);
    /* The umask (077) must not keep the container's users from reading them. */
    if (fchmod(fd, 0644) < 0)
        return ctr_error_errno(err, "chmod '%s'", path);
    return 0;
}

/* out + a + b + c, freeing out. */
static char *append(char *out, const char *a, const char *b, const char *c)
{
    char *longer = xasprintf("%s%s%s%s", out, a, b ? b : "", c ? c : "");

    free(out);
    return longer;
}

/*
 * /etc/resolv.conf: --dns servers when given; else the network helper's forwarder (`dns`)
 * when there is one; else the host's servers, without loopback ones unless the container
 * shares the host's network (its own namespace cannot reach them).  The host's search and
 * options lines are kept; --dns-search replaces the search list.
 */
static char *resolv_conf(const struct ctr_spec *spec, const char *dns)
{
    cleanup_free char *host = NULL;
    cleanup_error struct ctr_error *ignored = NULL;
    char *out = xstrdup(""), *line, *save = NULL;
    size_t len;
    int host_net = spec->network && strcmp(spec->network, "host") == 0;
    int own_servers = spec->dns != NULL || (dns != NULL && dns[0] != '\0');

    if (spec->dns_search != NULL) {
        out = append(out, "search", NULL, NULL);
        for (char **p = spec->dns_search; *p; p++)
            out = append(out, " ", *p, NULL);
        out = append(out, "\n", NULL, NULL);
    }
    for (char **p = spec->dns; p && *p; p++)
        out = append(out, "nameserver ", *p, "\n");
    if (spec->dns == NULL && dns != NULL && dns[0] != '\0')
        out = append(out, "nameserver ", dns, "\n");
    if (ctr_read_file("/etc/resolv.conf", 1 << 20, &host, &len, &ignored) < 0)
        return out;
    for (line = strtok_r(host, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "nameserver", 10) == 0) {
            const char *addr = line + 10 + strspn(line + 10, " \t");

            if (own_servers ||
                (!host_net && (strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0)))
                continue;
        }
        if (spec->dns_search != NULL &&
            (strncmp(line, "search", 6) == 0 || strncmp(line, "domain", 6) == 0))
            continue;
        out = append(out, line, "\n", NULL);
    }
    return out;
}

int container_write_etc(const struct container_dirs *d, const struct ctr_spec *spec,
                        const char *name, const char *dns, const char *host_address,
                        struct ctr_error **err)
{
    cleanup_free char *path = xasprintf("%s/hostname", d->dir);
    cleanup_free char *text = xasprintf("%s\n", spec->hostname);
    cleanup_free char *hosts = NULL;
    cleanup_free char *resolv = NULL;

    if (write_file(path, text, err) < 0)
        return -1;
    free(path);
    path = xasprintf("%s/hosts", d->dir);
    hosts = xasprintf("127.0.0.1\tlocalhost localhost.localdomain\n"
                      "::1\tlocalhost localhost.localdomain\n"
                      "127.0.1.1\t%s %s\n",
                      spec->hostname, name);
    /* host.containers.internal reaches the host, where the network helper gives a way. */
    if (host_address != NULL && host_address[0] != '\0')
        hosts = append(hosts, host_address, "\thost.containers.internal host.docker.internal\n",
                       NULL);
    for (char **p = spec->add_hosts; p && *p; p++) {
        const char *colon = strchr(*p, ':');
        cleanup_free char *host_name = xstrndup(*p, (size_t)(colon - *p));

        hosts = append(hosts, colon + 1, "\t", host_name);
        hosts = append(hosts, "\n", NULL, NULL);
    }
    if (write_file(path, hosts, err) < 0)
        return -1;
    free(path);
    path = xasprintf("%s/resolv.conf", d->dir);
    resolv = resolv_conf(spec, dns);
    return write_file(path, resolv, err);
}

int container_write_etc_shared(const struct container_dirs *d, const struct ctr_spec *spec,
                               const char *name, const char *owner_dir, struct ctr_error **err)
{
    cleanup_free char *owner_path = xasprintf("%s/hosts", owner_dir);
    cleanup_free char *path = xasprintf("%s/hosts", d->dir);
    cleanup_free char *theirs = NULL;
    cleanup_free char *hosts = NULL;
    cleanup_free char *resolv = NULL;
    char *line, *save = NULL;
    size_t len;

    /* Our own hostname, localhost lines and (empty: refused at create) --add-host. */
    if (container_write_etc(d, spec, name, NULL, NULL, err) < 0 ||
        ctr_read_file(path, 1 << 20, &hosts, &len, err) < 0 ||
        ctr_read_file(owner_path, 1 << 20, &theirs, &len, err) < 0)
        return -1;
    for (line = strtok_r(theirs, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if (strncmp(line, "127.0.0.1\tlocalhost ", 20) != 0 &&
            strncmp(line, "::1\tlocalhost ", 14) != 0)
            hosts = append(hosts, line, "\n", NULL);
    if (write_file(path, hosts, err) < 0)
        return -1;
    free(owner_path);
    owner_path = xasprintf("%s/resolv.conf", owner_dir);
    free(path);
    path = xasprintf("%s/resolv.conf", d->dir);
    if (ctr_read_file(owner_path, 1 << 20, &resolv, &len, err) < 0)
        return -1;
    return write_file(path, resolv, err);
}

static int make_dirs(const struct storage *s, const struct container_dirs *d,
                     struct ctr_error **err)
{
    cleanup_free char *parent = xasprintf("%s/containers", s->root);

    if (ctr_mkdir_private(parent, geteuid(), err) < 0)
        return -1;
    if (mkdir(d->dir, 0700) < 0)
        return ctr_error_errno(err, "create '%s'", d->dir);
    /* The upper directory is the container's "/": root's, 0755 (not our umask's 0700). */
    if (mkdir(d->upper, 0755) < 0 || chmod(d->upper, 0755) < 0 || mkdir(d->work, 0700) < 0 ||
        mkdir(d->merged, 0755) < 0 || mkdir(d->empty, 0755) < 0 || chmod(d->empty, 0755) < 0)
        return ctr_error_errno(err, "create the directories of container in '%s'", d->dir);
    return 0;
}

/* The id of the user's namespace (0 the user, 1.. the subordinate ids) for host id `host`. */
static int ns_id(const struct ctr_idmap *m, size_t n, unsigned long host, unsigned long *ret)
{
    for (size_t i = 0; i < n; i++)
        if (host >= m[i].outside && host - m[i].outside < m[i].count) {
            *ret = m[i].inside + (host - m[i].outside);
            return 0;
        }
    return -1;
}

/* The host id that container id 0 has under maps stored as "INSIDE:HOST:COUNT". */
static int root_of(char **maps, unsigned long *ret)
{
    for (char **p = maps; p && *p; p++) {
        unsigned long inside, host, count;

        if (sscanf(*p, "%lu:%lu:%lu", &inside, &host, &count) == 3 && inside == 0 && count > 0) {
            *ret = host;
            return 0;
        }
    }
    return -1;
}

/*
 * With --userns or --uidmap the container's root may not be the user: its root directory (the
 * overlay's upper) is made its own, so "/" belongs to root inside, through the store's user
 * namespace, which maps the subordinate ids.
 */
static int give_dir(const struct container_dirs *d, const struct ctr_security_spec *sec,
                    struct ctr_error **err)
{
    struct image_store_ns ns;
    unsigned long host_uid, host_gid, uid, gid;
    int r;

    if (sec->uid_map == NULL || root_of(sec->uid_map, &host_uid) < 0 ||
        root_of(sec->gid_map, &host_gid) < 0)
        return 0;
    if (host_uid == geteuid() && host_gid == getegid())
        return 0;
    if (image_store_ns_init(&ns, err) < 0)
        return -1;
    if (ns_id(ns.maps.uid, ns.maps.n_uid, host_uid, &uid) < 0 ||
        ns_id(ns.maps.gid, ns.maps.n_gid, host_gid, &gid) < 0)
        r = ctr_error_set(err, ERANGE, "the container's root (host uid %lu) is not one of your ids",
                          host_uid);
    else {
        char *paths[] = {d->upper, d->work, NULL};

        r = image_store_chown(&ns, paths, uid, gid, err);
    }
    image_store_ns_clear(&ns);
    return r;
}

static char *join_argv(char **argv)
{
    char *out = xstrdup("");

    for (char **p = argv; p && *p; p++) {
        char *longer = xasprintf("%s%s%s", out, p == argv ? "" : " ", *p);

        free(out);
        out = longer;
    }
    return out;
}

/* Finds the image, pulling it when the policy says so. */
static int resolve_image(struct ctr_ctx *ctx, const struct container_opts *o, const char *image,
                         struct storage_image **ret, char **ret_name, struct ctr_error **err)
{
    struct storage *s = ctx_store(ctx, err);
    cleanup_with(storage_image_freep) struct storage_image *img = NULL;
    cleanup_free char *name = NULL;
    cleanup_free char *id = NULL;

    if (s == NULL)
        return -1;
    if (strcmp(o->pull, "always") != 0 && image_lookup_local(s, image, &img, &name, err) < 0)
        return -1;
    if (img == NULL) {
        struct image_pull_opts po = {.tls_verify = o->tls_verify, .retries = 3};
        struct image_store_ns ns;
        int r;

        if (strcmp(o->pull, "never") == 0)
            return ctr_error_set(err, ENOENT,
                                 "image '%s' is not in local storage and --pull=never: pull it "
                                 "first ('ctr pull %s')",
                                 image, image);
        po.authfile = getenv("REGISTRY_AUTH_FILE");
        if (image_store_ns_init(&ns, err) < 0)
            return -1;
        fprintf(stderr, "Trying to pull %s...\n", image);
        r = image_pull(s, &ns, image, &po, &id, &name, err);
        image_store_ns_clear(&ns);
        if (r < 0)
            return -1;
        if (storage_image_lookup(s, id, &img, err) < 0)
            return -1;
        if (img == NULL)
            return ctr_error_set(err, ENOENT, "image '%s' vanished after its pull", image);
    } else if (img->config == NULL) {
        cleanup_with(storage_image_freep) struct storage_image *full = NULL;

        if (storage_image_lookup(s, img->id, &full, err) < 0)
            return -1;
        if (full == NULL)
            return ctr_error_set(err, ENOENT, "image '%s' was removed meanwhile", image);
        storage_image_free(img);
        img = steal_pointer(&full);
    }
    *ret_name = name ? steal_pointer(&name) : xstrdup(image);
    *ret = steal_pointer(&img);
    return 0;
}

char *container_cidfile_read(const char *path, struct ctr_error **err)
{
    cleanup_free char *text = NULL;
    size_t len;

    if (ctr_read_file(path, 4096, &text, &len, err) < 0) {
        ctr_error_wrap(err, "--cidfile");
        return NULL;
    }
    text[strcspn(text, " \t\r\n")] = '\0';
    if (text[0] == '\0') {
        ctr_error_set(err, EINVAL, "--cidfile '%s' is empty: it names no container", path);
        return NULL;
    }
    return steal_pointer(&text);
}

/*
 * --cidfile: an existing file is refused, as in Podman, since it may name another container;
 * with --replace it is replaced (a unit restarted after a crash finds its old one), through a
 * new file renamed over it, so a reader (ExecStop's --cidfile) sees the old id or the new one.
 */
static int write_cidfile(const char *path, const char *id, int replace, struct ctr_error **err)
{
    cleanup_close int fd = -1;

    if (replace) {
        if (ctr_write_file_replace(path, id, strlen(id), 0600) < 0)
            return ctr_error_errno(err, "write --cidfile '%s'", path);
        return 0;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST)
        return ctr_error_set(err, EEXIST,
                             "--cidfile '%s' exists: remove it, or it names another "
                             "container (--replace overwrites it)",
                             path);
    if (fd < 0)
        return ctr_error_errno(err, "write --cidfile '%s'", path);
    if (ctr_write_all(fd, id, strlen(id)) < 0) {
        ctr_error_errno(err, "write --cidfile '%s'", path);
        unlink(path); /* ours: O_EXCL made it */
        return -1;
    }
    return 0;
}

/*
 * --network container:NAME joins that container's network namespace and, with it, its user
 * namespace, so the options that need either of its own are refused (as Podman refuses them),
 * and the container must exist: *ret_owner gets it (its id is stored, so the name may be
 * reused).  ns:PATH publishes no ports either; the rest of it is checked at each start.
 */
static int check_joined_network(struct storage *s, const struct container_opts *o,
                                struct storage_container *ret_owner, struct ctr_error **err)
{
    const char *net = o->network;
    int to_container = net != NULL && strncmp(net, "container:", 10) == 0;
    const char *ids = o->userns ? "--userns" : o->uidmaps ? "--uidmap" : "--gidmap";
    const char *dns = o->dns ? "--dns" : o->dns_search ? "--dns-search" : "--add-host";
    struct net_options parsed = {0};

    if (!to_container && (net == NULL || strncmp(net, "ns:", 3) != 0))
        return 0;
    /* Only its syntax: these two modes need no helper, so nothing depends on $PATH. */
    if (net_options_parse(net, &parsed, err) < 0)
        return -1;
    net_options_clear(&parsed);
    if (o->publish != NULL || o->publish_all)
        return ctr_error_set(err, EINVAL, "%s cannot be used with --network '%s': %s",
                             o->publish ? "-p" : "-P", net,
                             to_container ? "publish ports on the container that owns the "
                                            "network namespace"
                                          : "ctr starts no network helper for a namespace it "
                                            "joins");
    if (!to_container)
        return 0;
    if (o->userns != NULL || o->uidmaps != NULL || o->gidmaps != NULL)
        return ctr_error_set(err, EINVAL,
                             "%s cannot be used with --network '%s': the container joins the "
                             "user namespace of the container that owns the network namespace",
                             ids, net);
    if (o->dns != NULL || o->dns_search != NULL || o->add_hosts != NULL)
        return ctr_error_set(err, EINVAL,
                             "%s cannot be used with --network '%s': the container shares that "
                             "container's /etc/resolv.conf and /etc/hosts",
                             dns, net);
    if (storage_container_find(s, net + 10, ret_owner, err) < 0)
        return ctr_error_wrap(err, "--network '%s'", net);
    return 0;
}

/*
 * The network of the container `owner` (container:NAME), stored by id, and its id maps: its
 * user namespace is this one's, so inspect shows them and the root directory gets its root.
 */
static int join_owner(const struct storage_container *owner, struct ctr_spec *spec,
                      struct ctr_error **err)
{
    struct ctr_spec theirs = {0};

    if (container_spec(owner, &theirs, err) < 0) {
        ctr_spec_clear(&theirs);
        return -1;
    }
    free(spec->network);
    spec->network = xasprintf("container:%s", owner->id);
    for (char **p = theirs.security.uid_map; p && *p; p++)
        strv_push(&spec->security.uid_map, *p);
    for (char **p = theirs.security.gid_map; p && *p; p++)
        strv_push(&spec->security.gid_map, *p);
    ctr_spec_clear(&theirs);
    return 0;
}

int container_create(struct ctr_ctx *ctx, const struct container_opts *o, const char *image,
                     char **cmd, struct storage_container *ret, struct ctr_error **err)
{
    struct storage *s = ctx_store(ctx, err);
    cleanup_with(storage_image_freep) struct storage_image *img = NULL;
    cleanup_with(image_config_freep) struct image_config *cfg = NULL;
    cleanup_free char *image_name = NULL;
    cleanup_free char *name = NULL;
    struct storage_container c = {0};
    struct storage_container owner = {0};
    struct container_dirs d = {0};
    struct ctr_spec spec = {0};
    char id[65];
    int dirs_made = 0, row_added = 0;

    if (s == NULL)
        return -1;
    if (o->name != NULL && !name_valid(o->name))
        return ctr_error_set(err, EINVAL,
                             "invalid container name '%s': use letters, digits, '_', '.' and "
                             "'-', starting with a letter or digit",
                             o->name);
    if (check_joined_network(s, o, &owner, err) < 0)
        return -1;
    if (resolve_image(ctx, o, image, &img, &image_name, err) < 0) {
        storage_container_clear(&owner);
        return -1;
    }
    cfg = image_config_parse(img->config, img->config_len, err);
    if (cfg == NULL) {
        storage_container_clear(&owner);
        return ctr_error_wrap(err, "image '%s': its config", image);
    }
    storage_container_new_id(id);
    if (o->argv != NULL)
        spec.create_command = create_command(ctx, o);
    if (build_spec(o, cfg, cmd, id, &spec, err) < 0 ||
        (owner.id != NULL && join_owner(&owner, &spec, err) < 0))
        goto fail;
    if (o->replace) {
        struct storage_container old = {0};
        cleanup_error struct ctr_error *missing = NULL;

        if (storage_container_find(s, o->name, &old, &missing) == 0) {
            int r = strcmp(old.name, o->name) == 0 ? container_remove(ctx, &old, 1, err) : 0;

            storage_container_clear(&old);
            if (r < 0)
                goto fail;
        }
    }
    name = o->name ? xstrdup(o->name) : storage_container_new_name(s, err);
    if (name == NULL)
        goto fail;
    container_dirs_init(&d, s, id);
    if (make_dirs(s, &d, err) < 0)
        goto fail;
    dirs_made = 1;
    if (container_write_etc(&d, &spec, name, NULL, NULL, err) < 0 ||
        give_dir(&d, &spec.security, err) < 0)
        goto fail;
    c.id = id;
    c.name = name;
    c.image_id = img->id;
    c.image_name = image_name;
    c.command = join_argv(spec.argv);
    c.config = storage_spec_to_json(&spec, err);
    if (c.config == NULL)
        goto fail;
    c.state = STORAGE_CONTAINER_CREATED;
    c.created = ctr_now_ns();
    c.exit_code = -1;
    if (storage_container_add(s, &c, err) < 0)
        goto fail;
    row_added = 1;
    if (o->cidfile && write_cidfile(o->cidfile, id, o->replace, err) < 0)
        goto fail;
    free(c.command);
    free(c.config);
    memset(&c, 0, sizeof(c));
    ctr_spec_clear(&spec);
    container_dirs_clear(&d);
    storage_container_clear(&owner);
    return storage_container_find(s, id, ret, err);

fail:
    if (row_added) {
        cleanup_error struct ctr_error *ignored = NULL;

        storage_container_delete(s, id, &ignored);
    }
    if (dirs_made) {
        cleanup_error struct ctr_error *ignored = NULL;

        ctr_remove_tree_at(AT_FDCWD, d.dir, &ignored);
    }
    free(c.command);
    free(c.config);
    ctr_spec_clear(&spec);
    container_dirs_clear(&d);
    storage_container_clear(&owner);
    return -1;
}

static int64_t now_ms(void)
{
    return ctr_now_ns() / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

    nanosleep(&ts, NULL);
}

int container_wait_exit(struct ctr_ctx *ctx, struct storage_container *c, int timeout_ms,
                        struct ctr_error **err)
{
    struct storage *s = ctx_store(ctx, err);
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : now_ms() + timeout_ms;
    cleanup_free char *id = NULL;

    int64_t started = c->started;
    unsigned restarts = c->restart_count;

    if (s == NULL)
        return -1;
    id = xstrdup(c->id);
    for (long delay = 2;; delay = delay < 50 ? delay * 2 : 50) {
        struct storage_container fresh = {0};
        int monitor_alive, code = -1;

        if (storage_container_find(s, id, &fresh, err) < 0) {
            /* Removed meanwhile (--rm): it exited, and its code is kept for a while. */
            if ((*err)->code != ENOENT)
                return -1;
            ctr_error_clear(err);
            if (storage_container_exit_code(s, id, &code, err) < 0)
                return -1;
            c->state = STORAGE_CONTAINER_EXITED;
            c->exit_code = code;
            c->monitor_pid = 0;
            return 0;
        }
        monitor_alive = fresh.monitor_pid > 0 && fresh.monitor_pid != getpid() &&
                        ctr_proc_alive(fresh.monitor_pid, fresh.monitor_start);
        storage_container_clear(c);
        *c = fresh;
        if (c->state != STORAGE_CONTAINER_RUNNING && !monitor_alive)
            return 0;
        /*
         * Its restart policy (or the user) started it again: the run waited for exited, and
         * its code is the last one recorded.  `ctr wait` returns then, as Podman's does,
         * rather than for as long as the policy keeps restarting it.
         */
        if (started != 0 && (c->started != started || c->restart_count != restarts)) {
            if (storage_container_exit_code(s, id, &code, err) < 0)
                return -1;
            c->exit_code = code;
            return 0;
        }
        if (now_ms() >= deadline)
            return ctr_error_set(err, ETIMEDOUT, "container '%s' did not exit in time", c->name);
        sleep_ms(delay);
    }
}

/* Waits up to `ms` for `pid` (started at `start`) to die; 1 when it did. */
static int wait_dead(pid_t pid, uint64_t start, long ms)
{
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    int dead;

    if (fd >= 0) {
        struct pollfd p = {fd, POLLIN, 0};

        /* The pid may have been reused between the check and pidfd_open. */
        if (!ctr_proc_alive(pid, start)) {
            close(fd);
            return 1;
        }
        while (poll(&p, 1, (int)ms) < 0 && errno == EINTR)
            ;
        close(fd);
    }
    /* Without pidfd_open (Linux < 5.3), or for a zombie: poll. */
    dead = !ctr_proc_alive(pid, start);
    for (int64_t deadline = now_ms() + (fd >= 0 ? 0 : ms); !dead && now_ms() < deadline;) {
        sleep_ms(10);
        dead = !ctr_proc_alive(pid, start);
    }
    return dead;
}

int container_mark_stopped(struct ctr_ctx *ctx, struct storage_container *c, struct ctr_error **err)
{
    struct storage *s = ctx_store(ctx, err);
    struct storage_container fresh = {0};

    if (s == NULL || storage_container_mark_stopped(s, c->id, err) < 0)
        return -1;
    if (storage_container_find(s, c->id, &fresh, err) < 0) {
        if ((*err)->code != ENOENT)
            return -1;
        /* Removed meanwhile (--rm): it is stopped for good. */
        ctr_error_clear(err);
        c->state = STORAGE_CONTAINER_EXITED;
        return 0;
    }
    storage_container_clear(c);
    *c = fresh;
    return 0;
}

int container_stop(struct ctr_ctx *ctx, struct storage_container *c, int timeout,
                   struct ctr_error **err)
{
    struct ctr_spec spec = {0};
    int sig;

    /* Before any signal: the exit that follows is the user's doing, not one to restart. */
    if (container_mark_stopped(ctx, c, err) < 0)
        return -1;
    /* Between two runs of a restart policy, its helper sees the mark and ends: wait for it. */
    if (c->state != STORAGE_CONTAINER_RUNNING)
        return container_wait_exit(ctx, c, 10000, err);
    if (container_spec(c, &spec, err) < 0)
        return -1;
    sig = spec.stop_signal > 0 ? spec.stop_signal : SIGTERM;
    if (timeout < 0)
        timeout = (int)spec.stop_timeout;
    ctr_spec_clear(&spec);
    if (ctr_proc_alive(c->pid, c->pid_start) && kill(c->pid, sig) < 0 && errno != ESRCH)
        return ctr_error_errno(err, "signal container '%s'", c->name);
    if (!wait_dead(c->pid, c->pid_start, (long)timeout * 1000)) {
        fprintf(stderr, "ctr: warning: %s did not stop container '%s' in %d seconds: killing it\n",
                ctr_signal_name(sig) ? ctr_signal_name(sig) : "the stop signal", c->name, timeout);
        if (kill(c->pid, SIGKILL) < 0 && errno != ESRCH)
            return ctr_error_errno(err, "kill container '%s'", c->name);
        wait_dead(c->pid, c->pid_start, 10000);
    }
    return container_wait_exit(ctx, c, 10000, err);
}

/* Removes the directory as its owner: files the container's other users made need the
 * user namespace. */
static int remove_dir(const char *dir, struct ctr_error **err)
{
    cleanup_error struct ctr_error *direct = NULL;
    struct image_store_ns ns;
    int r;

    if (ctr_remove_tree_at(AT_FDCWD, dir, &direct) == 0)
        return 0;
    if (image_store_ns_init(&ns, err) < 0)
        return -1;
    r = ns.direct ? ctr_error_set(err, direct->code, "%s", direct->msg)
                  : image_store_remove_tree(&ns, dir, err);
    image_store_ns_clear(&ns);
    return r;
}

/*
 * The running containers that joined the network namespace of container `id`
 * (--network container:) as "'a', 'b'" in *ret_names, or NULL when there are none.
 */
static int running_dependents(struct storage *s, const char *id, char **ret_names,
                              struct ctr_error **err)
{
    cleanup_free char *mode = xasprintf("container:%s", id);
    struct storage_container *list = NULL;
    char *names = NULL;
    size_t n = 0;

    if (storage_container_list(s, &list, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        cleanup_error struct ctr_error *ignored = NULL;
        struct ctr_spec spec = {0};

        if (list[i].state == STORAGE_CONTAINER_RUNNING &&
            container_spec(&list[i], &spec, &ignored) == 0 && spec.network != NULL &&
            strcmp(spec.network, mode) == 0) {
            char *longer =
                    xasprintf("%s%s'%s'", names ? names : "", names ? ", " : "", list[i].name);

            free(names);
            names = longer;
        }
        ctr_spec_clear(&spec);
    }
    storage_container_list_free(list, n);
    *ret_names = names;
    return 0;
}

int container_remove(struct ctr_ctx *ctx, struct storage_container *c, int force,
                     struct ctr_error **err)
{
    struct storage *s = ctx_store(ctx, err);
    struct container_dirs d = {0};
    int r;

    if (s == NULL)
        return -1;
    /* A container removed is stopped for good: no restart policy may start it meanwhile (the
     * mark is skipped for one that runs and is not forced: that is refused below). */
    if ((force || c->state != STORAGE_CONTAINER_RUNNING) && c->monitor_pid != getpid() &&
        container_mark_stopped(ctx, c, err) < 0)
        return -1;
    if (c->state == STORAGE_CONTAINER_RUNNING) {
        if (!force)
            return ctr_error_set(err, EBUSY,
                                 "container '%s' is running: stop it first ('ctr stop %s') or "
                                 "use 'ctr rm -f'",
                                 c->name, c->name);
        if (ctr_proc_alive(c->pid, c->pid_start) && kill(c->pid, SIGKILL) < 0 && errno != ESRCH)
            return ctr_error_errno(err, "kill container '%s'", c->name);
    }
    /* Their namespace would outlive it, but they could never start again. */
    if (!force) {
        cleanup_free char *dependents = NULL;

        if (running_dependents(s, c->id, &dependents, err) < 0)
            return -1;
        if (dependents != NULL)
            return ctr_error_set(err, EBUSY,
                                 "container '%s' is in use: running containers share its "
                                 "network namespace (%s): stop them first, or use 'ctr rm -f'",
                                 c->name, dependents);
    }
    /* Its monitor records the exit (and may be removing it for --rm): let it finish. */
    if (c->monitor_pid != getpid() && container_wait_exit(ctx, c, 15000, err) < 0)
        return -1;
    container_release_network(s, c->id);
    container_notify_remove(s->runroot, c->id);
    container_dirs_init(&d, s, c->id);
    r = remove_dir(d.dir, err);
    container_dirs_clear(&d);
    if (r < 0)
        return ctr_error_wrap(err, "remove container '%s'", c->name);
    return storage_container_delete(s, c->id, err) < 0 ? -1 : 0;
}

int container_each(struct ctr_ctx *ctx, const char *cmd, int argc, char **argv,
                   int (*fn)(struct ctr_ctx *ctx, struct storage_container *c, const char *what,
                             void *arg, struct ctr_error **err),
                   void *arg, struct ctr_error **err)
{
    struct storage *s;
    int r = 0;

    if (optind >= argc)
        return cmd_usage_error(cmd, err, "needs at least one container");
    s = ctx_store(ctx, err);
    if (s == NULL)
        return -1;
    for (int i = optind; i < argc && r == 0; i++) {
        struct storage_container ct = {0};

        r = storage_container_find(s, argv[i], &ct, err);
        if (r == 0)
            r = fn(ctx, &ct, argv[i], arg, err);
        storage_container_clear(&ct);
    }
    return r;
}
