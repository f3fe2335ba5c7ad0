/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libarchive, loaded on first use (dl.h says why).  Every archive_* function ctr and its tests
 * call is defined here; one missing shows up as an undefined reference when linking.
 */
#include <stdarg.h>

#include <archive.h>
#include <archive_entry.h>

#include "dl.h"

#ifndef CTR_SONAME_ARCHIVE
#define CTR_SONAME_ARCHIVE "libarchive.so.13"
#endif
#ifndef CTR_PACKAGE_ARCHIVE
#define CTR_PACKAGE_ARCHIVE "libarchive13"
#endif

DL_LIBRARY(archive, "libarchive", CTR_SONAME_ARCHIVE, CTR_PACKAGE_ARCHIVE, NULL)

/* The library and its errors. */
DL_FUNC(archive, const char *, archive_version_string, (void), ())
DL_FUNC(archive, int, archive_errno, (struct archive * a), (a))
DL_FUNC(archive, const char *, archive_error_string, (struct archive * a), (a))
DL_FUNC(archive, int, archive_filter_count, (struct archive * a), (a))
DL_FUNC(archive, int, archive_filter_code, (struct archive * a, int n), (a, n))

/* Reading. */
DL_FUNC(archive, struct archive *, archive_read_new, (void), ())
DL_FUNC(archive, int, archive_read_free, (struct archive * a), (a))
DL_FUNC(archive, int, archive_read_support_filter_gzip, (struct archive * a), (a))
DL_FUNC(archive, int, archive_read_support_filter_zstd, (struct archive * a), (a))
DL_FUNC(archive, int, archive_read_support_format_raw, (struct archive * a), (a))
DL_FUNC(archive, int, archive_read_support_format_tar, (struct archive * a), (a))
DL_FUNC(archive, int, archive_read_open,
        (struct archive * a, void *data, archive_open_callback *open_cb,
         archive_read_callback *read_cb, archive_close_callback *close_cb),
        (a, data, open_cb, read_cb, close_cb))
DL_FUNC(archive, int, archive_read_next_header, (struct archive * a, struct archive_entry **ret),
        (a, ret))
DL_FUNC(archive, la_ssize_t, archive_read_data, (struct archive * a, void *buf, size_t len),
        (a, buf, len))
DL_FUNC(archive, int, archive_read_data_block,
        (struct archive * a, const void **buf, size_t *len, la_int64_t *offset),
        (a, buf, len, offset))

/* Writing. */
DL_FUNC(archive, struct archive *, archive_write_new, (void), ())
DL_FUNC(archive, int, archive_write_free, (struct archive * a), (a))
DL_FUNC(archive, int, archive_write_close, (struct archive * a), (a))
DL_FUNC(archive, int, archive_write_add_filter, (struct archive * a, int code), (a, code))
DL_FUNC(archive, int, archive_write_add_filter_none, (struct archive * a), (a))
DL_FUNC(archive, int, archive_write_set_format_pax, (struct archive * a), (a))
DL_FUNC(archive, int, archive_write_set_format_pax_restricted, (struct archive * a), (a))
DL_FUNC(archive, int, archive_write_set_format_raw, (struct archive * a), (a))
DL_FUNC(archive, int, archive_write_open_fd, (struct archive * a, int fd), (a, fd))
DL_FUNC(archive, int, archive_write_open_memory,
        (struct archive * a, void *buf, size_t size, size_t *used), (a, buf, size, used))
DL_FUNC(archive, int, archive_write_header, (struct archive * a, struct archive_entry *e), (a, e))
DL_FUNC(archive, la_ssize_t, archive_write_data, (struct archive * a, const void *buf, size_t len),
        (a, buf, len))

/* Entries. */
DL_FUNC(archive, struct archive_entry *, archive_entry_new, (void), ())
DL_VOID(archive, archive_entry_free, (struct archive_entry * e), (e))
DL_FUNC(archive, const char *, archive_entry_pathname, (struct archive_entry * e), (e))
DL_FUNC(archive, const char *, archive_entry_hardlink, (struct archive_entry * e), (e))
DL_FUNC(archive, const char *, archive_entry_symlink, (struct archive_entry * e), (e))
DL_FUNC(archive, __LA_MODE_T, archive_entry_filetype, (struct archive_entry * e), (e))
DL_FUNC(archive, __LA_MODE_T, archive_entry_perm, (struct archive_entry * e), (e))
DL_FUNC(archive, la_int64_t, archive_entry_uid, (struct archive_entry * e), (e))
DL_FUNC(archive, la_int64_t, archive_entry_gid, (struct archive_entry * e), (e))
DL_FUNC(archive, dev_t, archive_entry_rdev, (struct archive_entry * e), (e))
DL_FUNC(archive, la_int64_t, archive_entry_size, (struct archive_entry * e), (e))
DL_FUNC(archive, int, archive_entry_size_is_set, (struct archive_entry * e), (e))
DL_FUNC(archive, time_t, archive_entry_atime, (struct archive_entry * e), (e))
DL_FUNC(archive, long, archive_entry_atime_nsec, (struct archive_entry * e), (e))
DL_FUNC(archive, int, archive_entry_atime_is_set, (struct archive_entry * e), (e))
DL_FUNC(archive, time_t, archive_entry_mtime, (struct archive_entry * e), (e))
DL_FUNC(archive, long, archive_entry_mtime_nsec, (struct archive_entry * e), (e))
DL_FUNC(archive, int, archive_entry_mtime_is_set, (struct archive_entry * e), (e))
DL_VOID(archive, archive_entry_set_pathname, (struct archive_entry * e, const char *s), (e, s))
DL_VOID(archive, archive_entry_set_hardlink, (struct archive_entry * e, const char *s), (e, s))
DL_VOID(archive, archive_entry_set_symlink, (struct archive_entry * e, const char *s), (e, s))
DL_VOID(archive, archive_entry_set_filetype, (struct archive_entry * e, unsigned int type),
        (e, type))
DL_VOID(archive, archive_entry_set_mode, (struct archive_entry * e, __LA_MODE_T mode), (e, mode))
DL_VOID(archive, archive_entry_set_perm, (struct archive_entry * e, __LA_MODE_T perm), (e, perm))
DL_VOID(archive, archive_entry_set_uid, (struct archive_entry * e, la_int64_t uid), (e, uid))
DL_VOID(archive, archive_entry_set_gid, (struct archive_entry * e, la_int64_t gid), (e, gid))
DL_VOID(archive, archive_entry_set_rdev, (struct archive_entry * e, dev_t rdev), (e, rdev))
DL_VOID(archive, archive_entry_set_size, (struct archive_entry * e, la_int64_t size), (e, size))
DL_VOID(archive, archive_entry_set_mtime, (struct archive_entry * e, time_t sec, long nsec),
        (e, sec, nsec))
DL_VOID(archive, archive_entry_sparse_add_entry,
        (struct archive_entry * e, la_int64_t offset, la_int64_t length), (e, offset, length))
DL_FUNC(archive, int, archive_entry_sparse_count, (struct archive_entry * e), (e))
DL_FUNC(archive, int, archive_entry_sparse_reset, (struct archive_entry * e), (e))
DL_FUNC(archive, int, archive_entry_sparse_next,
        (struct archive_entry * e, la_int64_t *offset, la_int64_t *length), (e, offset, length))
DL_VOID(archive, archive_entry_xattr_add_entry,
        (struct archive_entry * e, const char *name, const void *value, size_t size),
        (e, name, value, size))
DL_FUNC(archive, int, archive_entry_xattr_reset, (struct archive_entry * e), (e))
DL_FUNC(archive, int, archive_entry_xattr_next,
        (struct archive_entry * e, const char **name, const void **value, size_t *size),
        (e, name, value, size))

/*
 * Variadic, printf-like: format here and hand libarchive the finished text.  A message that
 * cannot be formatted (no memory) keeps at least its format string.
 */
void archive_set_error(struct archive *a, int err, const char *fmt, ...)
{
    __typeof__(archive_set_error) *real = DL_REAL(archive, archive_set_error);
    char *msg = NULL;
    va_list ap;

    if (fmt == NULL) {
        real(a, err, NULL);
        return;
    }
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    real(a, err, "%s", msg != NULL ? msg : fmt);
    free(msg);
}
