/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "passwd.h"
#include "text.h"
#include "xalloc.h"

/* Ids are 32 bits and (uid_t)-1 means "no id" to setresuid(2) and chown(2). */
#define ID_MAX 4294967294UL
/* The kernel's NGROUPS_MAX: setgroups(2) takes no more. */
#define MAX_GROUPS 65536
#define SPACE      " \t\r\v\f"

struct span {
    const char *p;
    size_t n;
};

struct pw_entry {
    struct span name, home;
    unsigned long uid, gid;
};

struct gr_entry {
    struct span name, members;
    unsigned long gid;
};

/* Text from the image fit to quote in a message. */
static char *quote(const char *s)
{
    return ctr_quote(s, 80);
}

static int parse_id(const char *s, size_t n, unsigned long *ret)
{
    return ctr_parse_decimal(s, n, ID_MAX, ret);
}

static int span_eq(struct span s, const char *str, size_t n)
{
    return s.n == n && memcmp(s.p, str, n) == 0;
}

/*
 * The next line of `*pos`, trimmed of surrounding space as moby's parser trims it.  0 at the
 * end of the text.
 */
static int next_line(const char **pos, struct span *ret)
{
    const char *p = *pos, *nl, *end;

    if (p == NULL || *p == '\0')
        return 0;
    nl = strchr(p, '\n');
    end = nl ? nl : p + strlen(p);
    *pos = nl ? nl + 1 : end;
    while (p < end && strchr(SPACE, *p) != NULL)
        p++;
    while (end > p && strchr(SPACE, end[-1]) != NULL)
        end--;
    ret->p = p;
    ret->n = (size_t)(end - p);
    return 1;
}

/* Splits at ':' into at most `max` fields (the last one keeps any further ':'); the count. */
static size_t split(struct span line, struct span *f, size_t max)
{
    const char *p = line.p, *end = line.p + line.n;
    size_t n = 0;

    while (n < max) {
        const char *c = n + 1 < max ? memchr(p, ':', (size_t)(end - p)) : NULL;

        f[n].p = p;
        f[n].n = (size_t)((c ? c : end) - p);
        n++;
        if (c == NULL)
            break;
        p = c + 1;
    }
    return n;
}

/*
 * name:password:uid:gid[:gecos[:home[:shell]]].  Anything else (comments, which glibc skips
 * and moby's parser does not, NIS "+" lines, ids that are not decimal or do not fit in 32
 * bits) is skipped: a "#x:x:0:0" line must not become root's entry.
 */
static int parse_pw(struct span line, struct pw_entry *e)
{
    struct span f[7] = {{0}};
    size_t n = split(line, f, 7);

    if (line.n == 0 || line.p[0] == '#')
        return -1;
    if (n < 4 || f[0].n == 0 || parse_id(f[2].p, f[2].n, &e->uid) < 0 ||
        parse_id(f[3].p, f[3].n, &e->gid) < 0)
        return -1;
    e->name = f[0];
    e->home = n > 5 ? f[5] : (struct span){NULL, 0};
    return 0;
}

/* name:password:gid[:member,member...] */
static int parse_gr(struct span line, struct gr_entry *e)
{
    struct span f[4] = {{0}};
    size_t n = split(line, f, 4);

    if (line.n == 0 || line.p[0] == '#')
        return -1;
    if (n < 3 || f[0].n == 0 || parse_id(f[2].p, f[2].n, &e->gid) < 0)
        return -1;
    e->name = f[0];
    e->members = n > 3 ? f[3] : (struct span){NULL, 0};
    return 0;
}

/* The first valid entry with `name`, or with `uid` when name is NULL.  1 when found. */
static int find_user(const char *passwd, const char *name, unsigned long uid, struct pw_entry *ret)
{
    const char *pos = passwd;
    struct span line;

    while (next_line(&pos, &line)) {
        struct pw_entry e;

        if (parse_pw(line, &e) < 0)
            continue;
        if (name != NULL ? span_eq(e.name, name, strlen(name)) : e.uid == uid) {
            *ret = e;
            return 1;
        }
    }
    return 0;
}

static int find_group(const char *group, const char *name, unsigned long gid, struct gr_entry *ret)
{
    const char *pos = group;
    struct span line;

    while (next_line(&pos, &line)) {
        struct gr_entry e;

        if (parse_gr(line, &e) < 0)
            continue;
        if (name != NULL ? span_eq(e.name, name, strlen(name)) : e.gid == gid) {
            *ret = e;
            return 1;
        }
    }
    return 0;
}

static int is_member(struct span members, struct span user)
{
    const char *p = members.p, *end;

    /* A line with no member field has no list at all (and NULL + 0 is undefined). */
    if (p == NULL)
        return 0;
    end = p + members.n;
    while (p != NULL && p <= end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        struct span m = {p, (size_t)((c ? c : end) - p)};

        if (span_eq(m, user.p, user.n))
            return 1;
        p = c ? c + 1 : NULL;
    }
    return 0;
}

static int cmp_gid(const void *a, const void *b)
{
    gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;

    return (x > y) - (x < y);
}

/*
 * Every group whose member list names `user`, sorted, without repeats or the primary gid
 * (setgroups(2) cares for neither order nor repeats, and sorting keeps this linear-ish on a
 * hostile file with a million lines).
 */
static int supplementary(const char *group, struct span user, gid_t primary, gid_t **ret,
                         size_t *ret_n, struct ctr_error **err)
{
    cleanup_free gid_t *gids = NULL;
    size_t n = 0, cap = 0, out = 0;
    const char *pos = group;
    struct span line;

    while (next_line(&pos, &line)) {
        struct gr_entry e;

        if (parse_gr(line, &e) < 0 || e.gid == primary || !is_member(e.members, user))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            gids = xreallocarray(gids, cap, sizeof(*gids));
        }
        gids[n++] = (gid_t)e.gid;
    }
    if (n > 0)
        qsort(gids, n, sizeof(*gids), cmp_gid);
    for (size_t i = 0; i < n; i++) {
        if (out == 0 || gids[out - 1] != gids[i])
            gids[out++] = gids[i];
    }
    if (out > MAX_GROUPS) {
        cleanup_free char *name = xstrndup(user.p, user.n);
        cleanup_free char *q = quote(name);

        return ctr_error_set(err, E2BIG,
                             "user '%s' is a member of %zu groups in the image's /etc/group, "
                             "more than the kernel's limit of %d",
                             q, out, MAX_GROUPS);
    }
    *ret = out > 0 ? steal_pointer(&gids) : NULL;
    *ret_n = out;
    return 0;
}

/* An id as given in the spec: 1 and *ret when it is numeric, 0 for a name, -1 when too big. */
static int numeric(const char *s, unsigned long *ret)
{
    if (strspn(s, "0123456789") != strlen(s))
        return 0;
    return parse_id(s, strlen(s), ret) < 0 ? -1 : 1;
}

int ctr_user_resolve(const char *spec, const char *passwd, const char *group, struct ctr_user *ret,
                     struct ctr_error **err)
{
    cleanup_free char *user_arg = NULL;
    cleanup_free char *name = NULL;
    cleanup_free char *home = NULL;
    cleanup_free char *q = NULL;
    cleanup_free gid_t *groups = NULL;
    const char *group_arg = NULL;
    unsigned long uid = 0, gid = 0, num = 0;
    size_t n_groups = 0;
    struct pw_entry pw;
    int found, by_number;
    char *colon;

    /* No user means root, taking root's entry (its group and home) when there is one. */
    user_arg = xstrdup(spec ? spec : "");
    q = quote(user_arg);
    colon = strchr(user_arg, ':');
    if (colon != NULL) {
        *colon = '\0';
        group_arg = colon + 1;
        if (strchr(group_arg, ':') != NULL)
            return ctr_error_set(err, EINVAL,
                                 "user '%s' has more than one ':': expected USER[:GROUP]", q);
        if (*user_arg == '\0')
            return ctr_error_set(err, EINVAL,
                                 "user '%s' has no user before the ':': expected USER[:GROUP], "
                                 "as in '0%s'",
                                 q, q);
        /* "name:" is "name", as in Docker. */
        if (*group_arg == '\0')
            group_arg = NULL;
    }

    by_number = *user_arg == '\0' ? 1 : numeric(user_arg, &uid);
    if (by_number < 0)
        return ctr_error_set(err, ERANGE, "uid in user '%s' is out of range: ids go from 0 to %lu",
                             q, ID_MAX);
    found = find_user(passwd, by_number ? NULL : user_arg, uid, &pw);
    if (found) {
        uid = pw.uid;
        gid = pw.gid;
        name = xstrndup(pw.name.p, pw.name.n);
        if (pw.home.n > 0)
            home = xstrndup(pw.home.p, pw.home.n);
    } else if (!by_number) {
        cleanup_free char *u = quote(user_arg);

        if (passwd == NULL)
            return ctr_error_set(err, ENOENT,
                                 "unable to find user '%s': the image has no /etc/passwd; give a "
                                 "numeric uid instead",
                                 u);
        return ctr_error_set(err, ENOENT,
                             "unable to find user '%s': no matching entry in the image's "
                             "/etc/passwd; give a numeric uid or add the user to the image",
                             u);
    }

    if (group_arg != NULL) {
        struct gr_entry gr;
        int gr_number = numeric(group_arg, &num);

        if (gr_number < 0)
            return ctr_error_set(err, ERANGE,
                                 "gid in user '%s' is out of range: ids go from 0 to %lu", q,
                                 ID_MAX);
        if (find_group(group, gr_number ? NULL : group_arg, num, &gr)) {
            gid = gr.gid;
        } else if (gr_number) {
            gid = num;
        } else {
            cleanup_free char *g = quote(group_arg);

            if (group == NULL)
                return ctr_error_set(err, ENOENT,
                                     "unable to find group '%s': the image has no /etc/group; "
                                     "give a numeric gid instead",
                                     g);
            return ctr_error_set(err, ENOENT,
                                 "unable to find group '%s': no matching entry in the image's "
                                 "/etc/group; give a numeric gid or add the group to the image",
                                 g);
        }
    }

    /*
     * Supplementary groups come from the user's name with or without an explicit group:
     * leaving them out let a process escape a group's negative permissions (CVE-2022-36109 in
     * Moby, CVE-2022-2989 in Podman).
     */
    if (name != NULL && supplementary(group, (struct span){name, strlen(name)}, (gid_t)gid, &groups,
                                      &n_groups, err) < 0)
        return -1;

    ret->uid = (uid_t)uid;
    ret->gid = (gid_t)gid;
    ret->groups = steal_pointer(&groups);
    ret->n_groups = n_groups;
    ret->home = home ? steal_pointer(&home) : xstrdup("/");
    ret->name = steal_pointer(&name);
    return 0;
}

void ctr_user_clear(struct ctr_user *u)
{
    if (u == NULL)
        return;
    free(u->groups);
    free(u->home);
    free(u->name);
    memset(u, 0, sizeof(*u));
}
