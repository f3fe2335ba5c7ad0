/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_LIB_SPAWN_H
#define CTR_LIB_SPAWN_H

#include <stddef.h>

#include "error.h"

/*
 * Runs argv[0] (a path; no $PATH search, no shell) with stdin from /dev/null and stdout plus
 * stderr captured, at most `max` bytes kept (the rest is read and dropped so the child never
 * blocks).  *ret_output (NUL-terminated, caller frees) and *ret_status (the wait status) are
 * set on success.  Fails only when the program cannot be started at all.
 */
int ctr_spawn_capture(char *const argv[], size_t max, char **ret_output, int *ret_status,
                      struct ctr_error **err);

/*
 * The same with a deadline: a program still running `timeout_ms` milliseconds after it was
 * started is killed (SIGKILL) and reaped, and the call fails with ETIMEDOUT.  0 means no limit.
 * For setuid helpers such as newuidmap, which can hang in an NSS lookup.
 */
int ctr_spawn_capture_timeout(char *const argv[], size_t max, int timeout_ms, char **ret_output,
                              int *ret_status, struct ctr_error **err);

/* Reaps `pid`, retrying on EINTR.  Returns the wait status, or -1 with errno set. */
int ctr_waitpid(int pid);

#endif
