/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_LIB_CTRLOG_H
#define CTR_LIB_CTRLOG_H

#include <stddef.h>
#include <stdint.h>

/*
 * A container's log file, in the format Podman calls k8s-file, so tools that read Podman's
 * logs read ours:
 *
 *     2026-11-23T12:49:47.123456789Z stdout F hello world
 *
 * one line per line the container wrote: RFC 3339 time with nanoseconds (UTC), the stream,
 * F for a full line or P for a partial one (a line longer than the monitor's buffer, or the
 * last bytes before exit without a newline), then the bytes without their newline.  No
 * allocation and no ctr_error here: the monitor links only this file and libc.
 */
enum ctr_log_stream {
    CTR_LOG_STDOUT = 1,
    CTR_LOG_STDERR = 2,
};

/* The largest line prefix ctr_logline_prefix() writes, with its NUL. */
#define CTR_LOGLINE_PREFIX_MAX 64

/* Writes "TIME STREAM F|P " for `ns` into buf; returns its length. */
size_t ctr_logline_prefix(char buf[CTR_LOGLINE_PREFIX_MAX], int64_t ns, enum ctr_log_stream stream,
                          int partial);

struct ctr_logline {
    int64_t ns;
    enum ctr_log_stream stream;
    int partial;
    const char *data; /* points into the parsed line; not NUL-terminated */
    size_t len;
};

/*
 * Parses one line (without its '\n') as written above.  0 on success, -1 when the line is not
 * in the format (a damaged file: the reader skips it).
 */
int ctr_logline_parse(const char *line, size_t len, struct ctr_logline *ret);

/* Parses an RFC 3339 time ("2026-11-23T12:49:47.5Z", "...+01:00") into ns; -1 when invalid. */
int ctr_parse_rfc3339(const char *s, size_t len, int64_t *ret_ns);
/*
 * The same for any time of years 0001-9999 (an image's "created" may be Go's zero time):
 * seconds since the epoch and the nanoseconds of the second, [0, 1e9).
 */
int ctr_parse_rfc3339_sec(const char *s, size_t len, int64_t *ret_sec, int64_t *ret_nsec);

#endif
