/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_LIB_FSUTIL_H
#define CTR_LIB_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/*
 * Reads the whole of `path` (at most `max` bytes, else EFBIG) into a NUL-terminated buffer the
 * caller frees.  *ret_len excludes the terminator.  Errors carry the errno as their code.
 */
int ctr_read_file(const char *path, size_t max, char **ret_data, size_t *ret_len,
                  struct ctr_error **err);
/*
 * The same from an open `fd`, read from where it stands to its end; `path` names it in errors.
 * The caller keeps `fd`.
 */
int ctr_read_fd(int fd, const char *path, size_t max, char **ret_data, size_t *ret_len,
                struct ctr_error **err);

/*
 * Creates `path` and missing parents with mode 0700 (like mkdir -p), then checks that the final
 * directory is a real directory (not a symlink) owned by `uid` and not writable by group or
 * others.  An existing directory that fails the check is refused with an error that says how to
 * fix it: ctr never trusts a directory another user can change.
 */
int ctr_mkdir_private(const char *path, uid_t uid, struct ctr_error **err);

/* The check alone, for a path that must already exist.  `what` names it in the message. */
int ctr_check_owned(const char *path, const char *what, uid_t uid, struct ctr_error **err);

/*
 * write(2) until all of `len` is written, retrying on EINTR.  Like write(2) it returns -1 with
 * errno set: callers say what they were writing.
 */
int ctr_write_all(int fd, const void *data, size_t len);

/*
 * Writes `path` whole or not at all: a temporary file beside it (mode `mode`), renamed over
 * it once written, so a reader never sees half of it and a failure leaves the old file (or
 * none).  -1 with errno set, the temporary file removed.
 */
int ctr_write_file_replace(const char *path, const void *data, size_t len, mode_t mode);

/*
 * Removes `name` under directory `dfd` and, for a directory, everything below it, never
 * following a symlink (each level is opened O_NOFOLLOW relative to its parent).  Directories
 * a layer made unreadable (mode 0000, 0555) are opened up first.  A missing `name` is fine.
 * Refuses trees deeper than 512 levels (ELOOP) rather than exhausting fds or the stack.
 */
int ctr_remove_tree_at(int dfd, const char *name, struct ctr_error **err);

/* Searches $PATH (or a default when unset) for an executable `name`; NULL when not found. */
char *ctr_find_program(const char *name);

#endif
