/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "idmap-opts.h"
#include "xalloc.h"

/* Since Linux 4.15 a map holds up to 340 extents (before: 5). */
#define MAX_EXTENTS 340

/* Ids are 32-bit, and (uid_t)-1 is "no id": a map may reach 4294967295 but not include it. */
#define ID_END 4294967295UL

#define USERNS_HINT "use keep-id, keep-id:uid=UID,gid=GID or nomap, or leave --userns out"

/*
 * Parses the decimal number s[0..len) no larger than `max`.  Returns 0, or -1 when it is not a
 * number and -2 when it is too large.
 */
static int parse_number(const char *s, size_t len, unsigned long max, unsigned long *ret)
{
    unsigned long v = 0;

    if (len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
    }
    for (size_t i = 0; i < len; i++) {
        v = v * 10 + (unsigned long)(s[i] - '0');
        if (v > max)
            return -2;
    }
    *ret = v;
    return 0;
}

static int parse_keep_id(const char *arg, const char *opts, struct ctr_userns_opts *o,
                         struct ctr_error **err)
{
    const char *p = opts;

    for (;;) {
        size_t len = strcspn(p, ","), klen = strcspn(p, "=");
        unsigned long *value;
        int *has;

        if (len == 0)
            return ctr_error_set(err, EINVAL,
                                 "--userns '%s' has an empty option: give uid=UID and gid=GID "
                                 "separated by one comma, e.g. 'keep-id:uid=1000,gid=1000'",
                                 arg);
        if (klen >= len)
            return ctr_error_set(err, EINVAL,
                                 "--userns '%s': option '%.*s' has no value: give uid=UID and/or "
                                 "gid=GID, e.g. 'keep-id:uid=1000,gid=1000'",
                                 arg, (int)len, p);
        if (klen == 3 && strncmp(p, "uid", 3) == 0) {
            value = &o->keep_uid;
            has = &o->has_keep_uid;
        } else if (klen == 3 && strncmp(p, "gid", 3) == 0) {
            value = &o->keep_gid;
            has = &o->has_keep_gid;
        } else {
            return ctr_error_set(err, klen == 4 && strncmp(p, "size", 4) == 0 ? ENOTSUP : EINVAL,
                                 "--userns '%s': keep-id has no option '%.*s' in ctr: give "
                                 "uid=UID and/or gid=GID, e.g. 'keep-id:uid=1000,gid=1000'",
                                 arg, (int)klen, p);
        }
        if (*has)
            return ctr_error_set(err, EINVAL, "--userns '%s' gives %.3s twice: give it once", arg,
                                 p);
        if (parse_number(p + 4, len - 4, ID_END - 1, value) < 0)
            return ctr_error_set(err, EINVAL,
                                 "--userns '%s': %.3s '%.*s' is not a number from 0 to 4294967294",
                                 arg, p, (int)(len - 4), p + 4);
        *has = 1;
        if (p[len] == '\0')
            return 0;
        p += len + 1;
    }
}

/* Whether `arg` is `mode` alone or `mode` followed by ':' and options. */
static int is_mode(const char *arg, const char *mode)
{
    size_t len = strlen(mode);

    return strncmp(arg, mode, len) == 0 && (arg[len] == '\0' || arg[len] == ':');
}

int ctr_userns_parse(const char *arg, struct ctr_userns_opts *ret, struct ctr_error **err)
{
    struct ctr_userns_opts o = {.mode = CTR_USERNS_DEFAULT};

    if (arg == NULL || arg[0] == '\0') {
        *ret = o;
        return 0;
    }
    if (strcmp(arg, "keep-id") == 0) {
        o.mode = CTR_USERNS_KEEP_ID;
    } else if (strncmp(arg, "keep-id:", 8) == 0) {
        o.mode = CTR_USERNS_KEEP_ID;
        if (parse_keep_id(arg, arg + 8, &o, err) < 0)
            return -1;
    } else if (strcmp(arg, "nomap") == 0) {
        o.mode = CTR_USERNS_NOMAP;
    } else if (strcmp(arg, "host") == 0) {
        o.mode = CTR_USERNS_HOST;
    } else if (is_mode(arg, "nomap") || is_mode(arg, "host")) {
        return ctr_error_set(err, EINVAL, "--userns '%s': %.*s takes no options: give it alone",
                             arg, (int)strcspn(arg, ":"), arg);
    } else if (is_mode(arg, "auto")) {
        return ctr_error_set(err, ENOTSUP,
                             "--userns=auto is not supported: ctr maps your own subordinate ids "
                             "instead of sharing out a pool among containers; " USERNS_HINT);
    } else if (is_mode(arg, "private") || strncmp(arg, "ns:", 3) == 0 ||
               strncmp(arg, "container:", 10) == 0) {
        return ctr_error_set(err, ENOTSUP, "--userns '%s' is not supported: " USERNS_HINT, arg);
    } else {
        return ctr_error_set(err, EINVAL, "unknown --userns mode '%s': " USERNS_HINT, arg);
    }
    *ret = o;
    return 0;
}

int ctr_idmap_parse(const char *arg, struct ctr_idmap *ret, struct ctr_error **err)
{
    static const char *const field[3] = {"container id", "host id", "size"};
    unsigned long v[3];
    const char *p = arg;

    for (int i = 0; i < 3; i++) {
        size_t len = strcspn(p, ":");
        /* A size may be 4294967295 (all ids from 0); the ids themselves stop one below. */
        unsigned long max = i == 2 ? ID_END : ID_END - 1;
        int r;

        if (p[len] != (i < 2 ? ':' : '\0'))
            return ctr_error_set(err, EINVAL,
                                 "id mapping '%s' is not CONTAINER:HOST:SIZE: give three numbers "
                                 "separated by colons, e.g. '0:1:65536'",
                                 arg);
        r = parse_number(p, len, max, &v[i]);
        if (r == -1)
            return ctr_error_set(err, EINVAL,
                                 "id mapping '%s': the %s '%.*s' is not a decimal number: give "
                                 "CONTAINER:HOST:SIZE, e.g. '0:1:65536'",
                                 arg, field[i], (int)len, p);
        if (r == -2)
            return ctr_error_set(err, EINVAL,
                                 "id mapping '%s': the %s %.*s is larger than %lu, the largest "
                                 "there is",
                                 arg, field[i], (int)len, p, max);
        p += len + 1;
    }
    if (v[2] == 0)
        return ctr_error_set(err, EINVAL, "id mapping '%s': the size is 0: map at least one id",
                             arg);
    for (int i = 0; i < 2; i++) {
        if (v[2] > ID_END - v[i])
            return ctr_error_set(err, EINVAL,
                                 "id mapping '%s': %ss %lu-%lu go past 4294967294, the largest "
                                 "id: make the size at most %lu",
                                 arg, field[i], v[i], v[i] + v[2] - 1, ID_END - v[i]);
    }
    *ret = (struct ctr_idmap){.inside = v[0], .outside = v[1], .count = v[2]};
    return 0;
}

/* What one map is about, for messages. */
struct map_kind {
    const char *kind;   /* "uid" */
    const char *file;   /* "/etc/subuid" */
    const char *flag;   /* the flag the explicit ranges came from, "--uidmap" */
    const char *shared; /* "" or why a --uidmap also maps gids */
};

/* One extent of a container's map, with the extent of the user's map it came from. */
struct piece {
    struct ctr_idmap m;
    size_t src;
};

static int compare_ul(unsigned long a, unsigned long b)
{
    return a < b ? -1 : a > b;
}

static int compare_inside(const void *a, const void *b)
{
    const struct ctr_idmap *x = a, *y = b;

    return compare_ul(x->inside, y->inside);
}

static int compare_outside(const void *a, const void *b)
{
    const struct ctr_idmap *x = a, *y = b;

    return compare_ul(x->outside, y->outside);
}

static int compare_piece(const void *a, const void *b)
{
    const struct piece *x = a, *y = b;

    return compare_ul(x->m.inside, y->m.inside);
}

static int valid_extent(const struct ctr_idmap *m)
{
    return m->count > 0 && m->inside < ID_END && m->outside < ID_END &&
           m->count <= ID_END - m->inside && m->count <= ID_END - m->outside;
}

/*
 * Finds two extents of `m` that overlap on the side `outside` (0: inside) and returns the first
 * in sort order, or NULL.  Sorted copies: the arguments may hold many ranges.
 */
static int find_overlap(const struct ctr_idmap *m, size_t n, int outside, struct ctr_idmap *ret_a,
                        struct ctr_idmap *ret_b)
{
    cleanup_free struct ctr_idmap *s = NULL;

    if (n < 2)
        return 0;
    s = xcalloc(n, sizeof(*s));
    memcpy(s, m, n * sizeof(*s));
    qsort(s, n, sizeof(*s), outside ? compare_outside : compare_inside);
    for (size_t i = 0; i + 1 < n; i++) {
        unsigned long a = outside ? s[i].outside : s[i].inside;
        unsigned long b = outside ? s[i + 1].outside : s[i + 1].inside;

        if (b - a < s[i].count) {
            *ret_a = s[i];
            *ret_b = s[i + 1];
            return 1;
        }
    }
    return 0;
}

/* The user's map must be one the kernel would take: checked so a broken one is not amplified. */
static int check_user_map(const struct ctr_idmap *m, size_t n, const struct map_kind *k,
                          struct ctr_error **err)
{
    struct ctr_idmap a, b;

    for (size_t i = 0; i < n; i++) {
        if (!valid_extent(&m[i]))
            return ctr_error_set(err, EINVAL,
                                 "your %s mapping has an invalid extent '%lu %lu %lu': check %s",
                                 k->kind, m[i].inside, m[i].outside, m[i].count, k->file);
    }
    if (find_overlap(m, n, 0, &a, &b) || find_overlap(m, n, 1, &a, &b))
        return ctr_error_set(err, EINVAL,
                             "your %s mapping has overlapping extents '%lu %lu %lu' and '%lu %lu "
                             "%lu': check %s",
                             k->kind, a.inside, a.outside, a.count, b.inside, b.outside, b.count,
                             k->file);
    return 0;
}

/* Overlapping container ranges, or ranges of the user's namespace used twice, are refused. */
static int check_explicit(const struct ctr_idmap *m, size_t n, const struct map_kind *k,
                          struct ctr_error **err)
{
    struct ctr_idmap a, b;

    if (find_overlap(m, n, 0, &a, &b)) {
        unsigned long end =
                a.inside + a.count < b.inside + b.count ? a.inside + a.count : b.inside + b.count;

        return ctr_error_set(err, EINVAL,
                             "%s %lu:%lu:%lu and %s %lu:%lu:%lu%s both map container %ss %lu-%lu: "
                             "give each container id one mapping",
                             k->flag, a.inside, a.outside, a.count, k->flag, b.inside, b.outside,
                             b.count, k->shared, k->kind, b.inside, end - 1);
    }
    if (find_overlap(m, n, 1, &a, &b)) {
        unsigned long end = a.outside + a.count < b.outside + b.count ? a.outside + a.count
                                                                      : b.outside + b.count;

        return ctr_error_set(err, EINVAL,
                             "%s %lu:%lu:%lu and %s %lu:%lu:%lu%s both use ids %lu-%lu of your "
                             "user namespace: map each of them to one container id",
                             k->flag, a.inside, a.outside, a.count, k->flag, b.inside, b.outside,
                             b.count, k->shared, b.outside, end - 1);
    }
    return 0;
}

static int uncovered(const struct ctr_idmap *want, const struct ctr_idmap *user, size_t n_user,
                     const struct map_kind *k, struct ctr_error **err)
{
    unsigned long have = ctr_idmaps_contiguous(user, n_user);
    unsigned long last = want->outside + want->count - 1;
    cleanup_free char *what = NULL;

    if (have == 0)
        what = xasprintf("none (%s does not map your own %s)", k->file, k->kind);
    else if (have == 1)
        what = xasprintf("1 (your %s: %s has no range for you)", k->kind, k->file);
    else
        what = xasprintf("only %lu (your %s and %lu subordinate ids in %s)", have, k->kind,
                         have - 1, k->file);
    return ctr_error_set(err, ERANGE,
                         "%s %lu:%lu:%lu%s needs ids %lu-%lu of your user namespace, but you "
                         "have %s: map fewer ids, or add subordinate ids to %s",
                         k->flag, want->inside, want->outside, want->count, k->shared,
                         want->outside, last, what, k->file);
}

/*
 * Translates `want` (container id -> id of the user's namespace) through `user` into pieces of
 * container id -> host id.
 */
static int compose(const struct ctr_idmap *want, size_t n_want, const struct ctr_idmap *user,
                   size_t n_user, const struct map_kind *k, struct piece **ret, size_t *ret_n,
                   struct ctr_error **err)
{
    cleanup_free struct piece *p = NULL;
    size_t n = 0;

    for (size_t i = 0; i < n_want; i++) {
        const struct ctr_idmap *w = &want[i];
        unsigned long covered = 0;

        for (size_t j = 0; j < n_user; j++) {
            const struct ctr_idmap *u = &user[j];
            unsigned long s = w->outside > u->inside ? w->outside : u->inside;
            unsigned long we = w->outside + w->count, ue = u->inside + u->count;
            unsigned long e = we < ue ? we : ue;

            if (s >= e)
                continue;
            p = xreallocarray(p, n + 1, sizeof(*p));
            p[n++] = (struct piece){.m = {.inside = w->inside + (s - w->outside),
                                          .outside = u->outside + (s - u->inside),
                                          .count = e - s},
                                    .src = j};
            covered += e - s;
        }
        /* The user's extents do not overlap (check_user_map): anything short is a hole. */
        if (covered < w->count)
            return uncovered(w, user, n_user, k, err);
    }
    *ret = steal_pointer(&p);
    *ret_n = n;
    return 0;
}

/* Sorts, merges pieces that continue each other within one extent of the user's map. */
static int finish(struct piece *p, size_t n, const struct map_kind *k, struct ctr_idmap **ret,
                  size_t *ret_n, struct ctr_error **err)
{
    cleanup_free struct ctr_idmap *m = NULL;
    size_t out = 0;

    if (n > 0)
        qsort(p, n, sizeof(*p), compare_piece);
    m = xcalloc(n > 0 ? n : 1, sizeof(*m));
    for (size_t i = 0; i < n; i++) {
        if (out > 0 && p[i - 1].src == p[i].src &&
            m[out - 1].inside + m[out - 1].count == p[i].m.inside &&
            m[out - 1].outside + m[out - 1].count == p[i].m.outside) {
            m[out - 1].count += p[i].m.count;
            continue;
        }
        m[out++] = p[i].m;
    }
    if (out == 0)
        return ctr_error_set(err, EINVAL, "the container would have no %s mapped", k->kind);
    if (out > MAX_EXTENTS)
        return ctr_error_set(err, E2BIG,
                             "the container's %s map would have %zu extents, more than the %d a "
                             "user namespace can hold: give fewer ranges, or merge the ranges in "
                             "%s",
                             k->kind, out, MAX_EXTENTS, k->file);
    *ret = steal_pointer(&m);
    *ret_n = out;
    return 0;
}

/* Podman's keep-id layout in ids of the user's namespace, `max` being its subordinate ids. */
static size_t keep_id_want(unsigned long x, unsigned long max, struct ctr_idmap w[3])
{
    size_t n = 0;

    if (max > 0 && x > 0)
        w[n++] = (struct ctr_idmap){.inside = 0, .outside = 1, .count = x < max ? x : max};
    w[n++] = (struct ctr_idmap){.inside = x, .outside = 0, .count = 1};
    if (max > x)
        w[n++] = (struct ctr_idmap){.inside = x + 1, .outside = x + 1, .count = max - x};
    return n;
}

static int build_map(const struct ctr_idmap *user, size_t n_user, unsigned long id,
                     const struct ctr_userns_opts *opts, const struct ctr_idmap *explicit_map,
                     size_t n_explicit, const struct map_kind *k, struct ctr_idmap **ret,
                     size_t *ret_n, struct ctr_error **err)
{
    cleanup_free struct ctr_idmap *identity = NULL;
    cleanup_free struct piece *p = NULL;
    const struct ctr_idmap *want = explicit_map;
    struct ctr_idmap w[3];
    size_t n_want = n_explicit, n = 0;
    unsigned long have;

    if (check_user_map(user, n_user, k, err) < 0)
        return -1;
    have = ctr_idmaps_contiguous(user, n_user);
    if (opts->mode == CTR_USERNS_KEEP_ID) {
        if (have == 0)
            return ctr_error_set(err, EINVAL,
                                 "keep-id needs your own %s as id 0 of your user namespace, which "
                                 "does not map it: check %s",
                                 k->kind, k->file);
        if (id >= ID_END)
            return ctr_error_set(err, EINVAL, "keep-id cannot keep %s %lu: it is not an id",
                                 k->kind, id);
        n_want = keep_id_want(id, have - 1, w);
        want = w;
    } else if (opts->mode == CTR_USERNS_NOMAP) {
        if (have <= 1)
            return ctr_error_set(err, EINVAL,
                                 "--userns=nomap needs subordinate %ss, but %s has none for you: "
                                 "add a range (usermod --add-sub%ss)",
                                 k->kind, k->file, k->kind);
        w[0] = (struct ctr_idmap){.inside = 0, .outside = 1, .count = have - 1};
        n_want = 1;
        want = w;
    } else if (n_explicit > 0) {
        if (check_explicit(explicit_map, n_explicit, k, err) < 0)
            return -1;
    } else {
        /* The default: the user's namespace itself. */
        identity = xcalloc(n_user > 0 ? n_user : 1, sizeof(*identity));
        for (size_t i = 0; i < n_user; i++)
            identity[i] = (struct ctr_idmap){user[i].inside, user[i].inside, user[i].count};
        want = identity;
        n_want = n_user;
    }
    if (compose(want, n_want, user, n_user, k, &p, &n, err) < 0)
        return -1;
    return finish(p, n, k, ret, ret_n, err);
}

static const char *mode_name(enum ctr_userns_mode mode)
{
    switch (mode) {
    case CTR_USERNS_KEEP_ID:
        return "keep-id";
    case CTR_USERNS_NOMAP:
        return "nomap";
    case CTR_USERNS_HOST:
        return "host";
    case CTR_USERNS_DEFAULT:
        break;
    }
    return "";
}

int ctr_idmaps_for_container(const struct ctr_idmaps *user, unsigned long uid, unsigned long gid,
                             const struct ctr_userns_opts *opts, const struct ctr_idmap *uidmap,
                             size_t n_uidmap, const struct ctr_idmap *gidmap, size_t n_gidmap,
                             struct ctr_idmaps *ret, struct ctr_error **err)
{
    struct map_kind uk = {"uid", "/etc/subuid", "--uidmap", ""};
    struct map_kind gk = {"gid", "/etc/subgid", "--gidmap", ""};
    struct ctr_idmaps m = {0};

    if (opts->mode != CTR_USERNS_DEFAULT && (n_uidmap > 0 || n_gidmap > 0))
        return ctr_error_set(err, EINVAL, "--userns=%s and --%s conflict: give one of them",
                             mode_name(opts->mode), n_uidmap > 0 ? "uidmap" : "gidmap");
    if (opts->mode == CTR_USERNS_HOST) {
        if (uid != 0)
            return ctr_error_set(err, EPERM,
                                 "--userns=host is not possible without root: a rootless "
                                 "container always runs in a user namespace (root inside is "
                                 "your uid outside)");
        /* Root: every id is itself, which is what running without a user namespace means. */
        m.uid = xcalloc(1, sizeof(*m.uid));
        m.gid = xcalloc(1, sizeof(*m.gid));
        m.uid[0] = m.gid[0] = (struct ctr_idmap){.inside = 0, .outside = 0, .count = ID_END};
        m.n_uid = m.n_gid = 1;
        *ret = m;
        return 0;
    }
    /* As in Podman, one list given alone serves both. */
    if (n_gidmap == 0 && n_uidmap > 0) {
        gidmap = uidmap;
        n_gidmap = n_uidmap;
        gk.flag = "--uidmap";
        gk.shared = " (used for gids too, as no --gidmap is given)";
    } else if (n_uidmap == 0 && n_gidmap > 0) {
        uidmap = gidmap;
        n_uidmap = n_gidmap;
        uk.flag = "--gidmap";
        uk.shared = " (used for uids too, as no --uidmap is given)";
    }
    if (build_map(user->uid, user->n_uid, opts->has_keep_uid ? opts->keep_uid : uid, opts, uidmap,
                  n_uidmap, &uk, &m.uid, &m.n_uid, err) < 0)
        return -1;
    if (build_map(user->gid, user->n_gid, opts->has_keep_gid ? opts->keep_gid : gid, opts, gidmap,
                  n_gidmap, &gk, &m.gid, &m.n_gid, err) < 0) {
        ctr_idmaps_clear(&m);
        return -1;
    }
    *ret = m;
    return 0;
}
