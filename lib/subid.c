/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fsutil.h"
#include "subid.h"
#include "xalloc.h"

/* Ids are 32 bits and (uid_t)-1 is never valid, so a range must end at or below 2^32 - 1. */
#define ID_LIMIT 4294967295UL

static void add_problem(struct ctr_subid *s, unsigned line, const char *reason)
{
    s->problems = xreallocarray(s->problems, s->n_problems + 1, sizeof(*s->problems));
    s->problems[s->n_problems].line = line;
    s->problems[s->n_problems].reason = xstrdup(reason);
    s->n_problems++;
}

/* Strict decimal: digits only, no sign, no spaces, no overflow past ID_LIMIT. */
static int parse_id(const char *s, size_t n, unsigned long *ret)
{
    unsigned long v = 0;

    if (n == 0 || n > 10)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > ID_LIMIT)
        return -1;
    *ret = v;
    return 0;
}

static int owner_matches(const char *owner, size_t n, const char *name, uid_t uid, int *by_uid)
{
    unsigned long v;

    if (name != NULL && strlen(name) == n && memcmp(owner, name, n) == 0) {
        *by_uid = 0;
        return 1;
    }
    if (parse_id(owner, n, &v) == 0 && v == (unsigned long)uid) {
        *by_uid = 1;
        return 1;
    }
    return 0;
}

static void parse_line(struct ctr_subid *s, const char *p, size_t n, unsigned lineno,
                       const char *name, uid_t uid)
{
    const char *c1, *c2;
    unsigned long start, count;
    int by_uid;

    if (n == 0 || p[0] == '#')
        return;
    c1 = memchr(p, ':', n);
    c2 = c1 ? memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - p)) : NULL;
    if (c1 == NULL || c2 == NULL || memchr(c2 + 1, ':', n - (size_t)(c2 + 1 - p)) != NULL) {
        add_problem(s, lineno, "expected OWNER:START:COUNT");
        return;
    }
    if (c1 == p) {
        add_problem(s, lineno, "empty owner");
        return;
    }
    if (parse_id(c1 + 1, (size_t)(c2 - c1 - 1), &start) < 0) {
        add_problem(s, lineno, "start is not a decimal id");
        return;
    }
    if (parse_id(c2 + 1, (size_t)(p + n - c2 - 1), &count) < 0) {
        add_problem(s, lineno, "count is not a decimal number");
        return;
    }
    if (count == 0) {
        add_problem(s, lineno, "count is zero");
        return;
    }
    if (count > ID_LIMIT - start) {
        add_problem(s, lineno, "range goes past the largest id 4294967294");
        return;
    }
    if (start + count > s->end_of_all)
        s->end_of_all = start + count;
    if (!owner_matches(p, (size_t)(c1 - p), name, uid, &by_uid))
        return;
    s->ranges = xreallocarray(s->ranges, s->n_ranges + 1, sizeof(*s->ranges));
    s->ranges[s->n_ranges] =
            (struct ctr_id_range){.start = start, .count = count, .line = lineno, .by_uid = by_uid};
    s->n_ranges++;
}

void ctr_subid_parse(const char *data, size_t len, const char *name, uid_t uid,
                     struct ctr_subid *ret)
{
    const char *p = data, *end = data + len;
    unsigned lineno = 0;

    memset(ret, 0, sizeof(*ret));
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

        lineno++;
        if (memchr(p, '\0', n) != NULL)
            add_problem(ret, lineno, "line contains a NUL byte");
        else
            parse_line(ret, p, n, lineno, name, uid);
        p += n + (nl ? 1 : 0);
    }
}

int ctr_subid_read(const char *path, const char *name, uid_t uid, struct ctr_subid *ret,
                   struct ctr_error **err)
{
    cleanup_free char *data = NULL;
    size_t len = 0;

    /* shadow's files are small; a cap keeps a hostile or corrupt file from eating memory. */
    if (ctr_read_file(path, 16 << 20, &data, &len, err) < 0) {
        if ((*err)->code == ENOENT) {
            ctr_error_clear(err);
            memset(ret, 0, sizeof(*ret));
            ret->file_missing = 1;
            return 0;
        }
        return -1;
    }
    ctr_subid_parse(data, len, name, uid, ret);
    return 0;
}

static int cmp_range(const void *a, const void *b)
{
    const struct ctr_id_range *x = a, *y = b;

    return (x->start > y->start) - (x->start < y->start);
}

unsigned long ctr_subid_total(const struct ctr_subid *s)
{
    cleanup_free struct ctr_id_range *r = NULL;
    unsigned long total = 0, covered_to = 0;

    if (s->n_ranges == 0)
        return 0;
    r = xcalloc(s->n_ranges, sizeof(*r));
    memcpy(r, s->ranges, s->n_ranges * sizeof(*r));
    qsort(r, s->n_ranges, sizeof(*r), cmp_range);
    for (size_t i = 0; i < s->n_ranges; i++) {
        unsigned long lo = r[i].start, hi = r[i].start + r[i].count;

        if (lo < covered_to)
            lo = covered_to;
        if (hi > lo)
            total += hi - lo;
        if (hi > covered_to)
            covered_to = hi;
    }
    return total;
}

unsigned long ctr_subid_suggest_start(const struct ctr_subid *s, unsigned long count)
{
    unsigned long start = s->end_of_all > 100000 ? s->end_of_all : 100000;

    /* Past the top there is no room after every range; the administrator must choose. */
    return count > ID_LIMIT - start ? 100000 : start;
}

void ctr_subid_clear(struct ctr_subid *s)
{
    for (size_t i = 0; i < s->n_problems; i++)
        free(s->problems[i].reason);
    free(s->problems);
    free(s->ranges);
    memset(s, 0, sizeof(*s));
}
