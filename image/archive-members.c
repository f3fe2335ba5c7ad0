/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The members of an image archive being loaded: pass 1 of archive-load.c.  The archive is read
 * once through, each name checked, and the small JSON members kept; later lookups follow the
 * links between members (docker save writes repeated layers as symlinks) without leaving the
 * archive.  Nothing is written to disk.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "archive-members.h"
#include "cleanup.h"
#include "image-archive.h"
#include "manifest.h"
#include "quote.h"
#include "xalloc.h"

#define READ_BUF (128 * 1024)
/* Far beyond a real archive (one image has at most IMAGE_LAYERS_MAX layers). */
#define MAX_MEMBERS 100000
/* JSON members kept in memory, in total. */
#define KEEP_TOTAL (256 << 20)
/* Symbolic and hard links between members (docker save links repeated layers). */
#define MAX_HOPS 16

DEFINE_CLEANUP_FUNC(struct archive *, archive_read_free)

int image_members_fail(struct ctr_error **err, struct archive *a)
{
    const char *s = archive_error_string(a);
    cleanup_free char *q = image_quote_max(s != NULL ? s : "unknown libarchive error", 300);
    int code = archive_errno(a);

    return ctr_error_set(err, code > 0 ? code : EINVAL, "read the archive: %s", q);
}

static la_ssize_t read_cb(struct archive *a, void *data, const void **ret_buf)
{
    struct image_members *l = data;

    for (;;) {
        ssize_t n = read(l->fd, l->buf, READ_BUF);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            l->read_failed = 1;
            archive_set_error(a, errno, "%s", strerror(errno));
            return -1;
        }
        *ret_buf = l->buf;
        return n;
    }
}

/* A reader at the start of the archive: tar, plain or compressed with gzip or zstd. */
struct archive *image_members_open(struct image_members *l, struct ctr_error **err)
{
    cleanup_with(archive_read_freep) struct archive *a = archive_read_new();

    if (a == NULL)
        abort();
    if (l->buf == NULL)
        l->buf = xmalloc(READ_BUF);
    if (lseek(l->fd, 0, SEEK_SET) < 0) {
        ctr_error_errno(err, "rewind '%s'", l->what);
        return NULL;
    }
    /* In-process decompression only: with the library missing, libarchive would exec gzip. */
    if (archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
        archive_read_support_filter_zstd(a) != ARCHIVE_OK) {
        ctr_error_set(err, ENOTSUP, "this libarchive cannot decompress gzip and zstd in-process");
        return NULL;
    }
    archive_read_support_format_tar(a);
    if (archive_read_open(a, l, NULL, read_cb, NULL) != ARCHIVE_OK) {
        image_members_fail(err, a);
        if (!l->read_failed)
            ctr_error_wrap(err, "not a tar archive (plain, gzip or zstd)");
        return NULL;
    }
    return steal_pointer(&a);
}

/* Reads up to `len` bytes of the current member. */
static ssize_t read_data(struct archive *a, char *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        la_ssize_t n = archive_read_data(a, buf + got, len - got);

        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* Keeps a regular member's content when it is small enough to be metadata and looks like JSON. */
static int maybe_keep(struct image_members *l, struct archive *a, struct image_member *m,
                      struct ctr_error **err)
{
    char head[64];
    size_t want = m->size < (int64_t)sizeof(head) ? (size_t)m->size : sizeof(head), i = 0;
    ssize_t n;

    if (m->size == 0 || m->size > IMAGE_CONFIG_MAX)
        return 0;
    n = read_data(a, head, want);
    if (n < 0)
        return image_members_fail(err, a);
    while (i < (size_t)n && strchr(" \t\r\n", head[i]) != NULL)
        i++;
    if (i == (size_t)n || (head[i] != '{' && head[i] != '['))
        return 0;
    if ((size_t)m->size > KEEP_TOTAL - l->kept) {
        return ctr_error_set(err, EFBIG, "'%s' holds more than %d MiB of JSON documents", l->what,
                             KEEP_TOTAL >> 20);
    }
    m->data = xmalloc((size_t)m->size + 1);
    memcpy(m->data, head, (size_t)n);
    if ((size_t)n < want || read_data(a, m->data + n, (size_t)m->size - (size_t)n) !=
                                    (ssize_t)((size_t)m->size - (size_t)n))
        return image_members_fail(err, a);
    m->len = (size_t)m->size;
    m->data[m->len] = '\0';
    l->kept += m->len;
    return 0;
}

static int cmp_member(const void *a, const void *b)
{
    return strcmp(((const struct image_member *)a)->name, ((const struct image_member *)b)->name);
}

static int add_member(struct image_members *l, struct archive *a, struct archive_entry *ae,
                      struct ctr_error **err)
{
    const char *raw = archive_entry_pathname(ae), *hl = archive_entry_hardlink(ae);
    mode_t type = archive_entry_filetype(ae);
    cleanup_free char *name = NULL;
    struct image_member *m;

    if (raw == NULL)
        return ctr_error_set(err, EINVAL, "an archive member has no name");
    if (image_archive_member_clean(raw, &name, err) < 0)
        return -1;
    if (name[0] == '\0' || (type == AE_IFDIR && hl == NULL))
        return 0;
    if (l->n >= MAX_MEMBERS)
        return ctr_error_set(err, E2BIG, "more than %d archive members", MAX_MEMBERS);
    l->list = xreallocarray(l->list, l->n + 1, sizeof(*l->list));
    m = &l->list[l->n++];
    *m = (struct image_member){.name = steal_pointer(&name), .kind = MEMBER_OTHER};
    if (hl != NULL) {
        m->kind = MEMBER_HARDLINK;
        return image_archive_member_clean(hl, &m->target, err);
    }
    if (type == AE_IFLNK) {
        m->kind = MEMBER_SYMLINK;
        m->target = xstrdup(archive_entry_symlink(ae) ? archive_entry_symlink(ae) : "");
        return 0;
    }
    if (type != AE_IFREG)
        return 0;
    m->kind = MEMBER_FILE;
    m->size = archive_entry_size(ae);
    if (m->size < 0 || m->size > IMAGE_BLOB_MAX)
        return ctr_error_set(err, EFBIG, "archive member '%s' is too large", m->name);
    return maybe_keep(l, a, m, err);
}

/* Pass 1: the member table and the JSON members. */
int image_members_index(struct image_members *l, struct ctr_error **err)
{
    cleanup_with(archive_read_freep) struct archive *a = image_members_open(l, err);
    struct archive_entry *ae;
    int r;

    if (a == NULL)
        return -1;
    while ((r = archive_read_next_header(a, &ae)) != ARCHIVE_EOF) {
        if (r < ARCHIVE_WARN)
            return image_members_fail(err, a);
        if (add_member(l, a, ae, err) < 0)
            return -1;
    }
    if (l->n > 0)
        qsort(l->list, l->n, sizeof(*l->list), cmp_member);
    for (size_t i = 1; i < l->n; i++) {
        /* Readers that keep the first or the last copy would disagree on what was verified. */
        if (strcmp(l->list[i - 1].name, l->list[i].name) == 0) {
            cleanup_free char *q = image_quote(l->list[i].name);

            return ctr_error_set(err, EBADMSG, "archive member '%s' appears twice", q);
        }
    }
    return 0;
}

struct image_member *image_members_find(struct image_members *l, const char *name)
{
    struct image_member key = {.name = (char *)name};

    if (l->n == 0)
        return NULL;
    return bsearch(&key, l->list, l->n, sizeof(key), cmp_member);
}

/* `target` of a symlink at `from`, resolved lexically inside the archive. */
static int link_target(const char *from, const char *target, char **ret, struct ctr_error **err)
{
    cleanup_free char *joined = NULL, *out = NULL;
    const char *slash = strrchr(from, '/'), *p;
    size_t len = 0;

    if (target[0] == '/' || target[0] == '\0')
        return ctr_error_set(err, EXDEV, "archive member '%s' links outside the archive", from);
    joined = slash ? xasprintf("%.*s/%s", (int)(slash - from), from, target) : xstrdup(target);
    out = xmalloc(strlen(joined) + 1);
    for (p = joined; *p != '\0';) {
        size_t n = strcspn(p, "/");

        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (len == 0)
                return ctr_error_set(err, EXDEV, "archive member '%s' links outside the archive",
                                     from);
            while (len > 0 && out[len - 1] != '/')
                len--;
            if (len > 0)
                len--;
        } else if (n > 0 && !(n == 1 && p[0] == '.')) {
            if (len > 0)
                out[len++] = '/';
            memcpy(out + len, p, n);
            len += n;
        }
        p += n;
        while (*p == '/')
            p++;
    }
    out[len] = '\0';
    *ret = steal_pointer(&out);
    return 0;
}

/* The regular member `name` names, through links. */
struct image_member *image_members_resolve(struct image_members *l, const char *name,
                                           struct ctr_error **err)
{
    cleanup_free char *cur = xstrdup(name);

    for (int hops = 0; hops <= MAX_HOPS; hops++) {
        struct image_member *m = image_members_find(l, cur);
        cleanup_free char *q = image_quote(cur);
        char *next = NULL;

        if (m == NULL) {
            ctr_error_set(err, ENOENT, "archive member '%s' is missing", q);
            return NULL;
        }
        if (m->kind == MEMBER_FILE)
            return m;
        if (m->kind == MEMBER_OTHER) {
            ctr_error_set(err, EINVAL, "archive member '%s' is not a regular file", q);
            return NULL;
        }
        if (m->kind == MEMBER_HARDLINK)
            next = xstrdup(m->target);
        else if (link_target(m->name, m->target, &next, err) < 0)
            return NULL;
        free(cur);
        cur = next;
    }
    ctr_error_set(err, ELOOP, "archive member '%s' is a chain of more than %d links", name,
                  MAX_HOPS);
    return NULL;
}

/* A JSON member's content (it must have been kept in pass 1). */
int image_members_json(struct image_members *l, const char *name, size_t max, const char **ret,
                       size_t *ret_len, struct ctr_error **err)
{
    struct image_member *m = image_members_resolve(l, name, err);
    cleanup_free char *q = image_quote(name);

    if (m == NULL)
        return -1;
    if (m->size > (int64_t)max)
        return ctr_error_set(err, EFBIG, "archive member '%s' is larger than %zu bytes", q, max);
    if (m->data == NULL)
        return ctr_error_set(err, EBADMSG, "archive member '%s' is not a JSON document", q);
    *ret = m->data;
    *ret_len = m->len;
    return 0;
}

void image_members_clear(struct image_members *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->list[i].name);
        free(l->list[i].target);
        free(l->list[i].data);
    }
    free(l->list);
    free(l->buf);
    l->list = NULL;
    l->buf = NULL;
    l->n = 0;
}
