/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_LIB_LOG_H
#define CTR_LIB_LOG_H

#include "error.h"

/*
 * A leveled logger writing "ctr: LEVEL: message" lines to stderr.  Library code logs at debug
 * level at most; only cmd/ decides what the user sees, and library code never prints otherwise.
 */
enum ctr_log_level {
    CTR_LOG_ERROR = 0,
    CTR_LOG_WARN,
    CTR_LOG_INFO,
    CTR_LOG_DEBUG,
    CTR_LOG_TRACE,
};

void ctr_log_set_level(enum ctr_log_level level);
enum ctr_log_level ctr_log_get_level(void);
/* Parses "error", "warn"/"warning", "info", "debug", "trace"; -1 with *err set otherwise. */
int ctr_log_parse_level(const char *s, enum ctr_log_level *ret_level, struct ctr_error **err);
const char *ctr_log_level_name(enum ctr_log_level level);

void ctr_log(enum ctr_log_level level, const char *fmt, ...) CTR_PRINTF(2, 3);

#define log_error(...) ctr_log(CTR_LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  ctr_log(CTR_LOG_WARN, __VA_ARGS__)
#define log_info(...)  ctr_log(CTR_LOG_INFO, __VA_ARGS__)
#define log_debug(...) ctr_log(CTR_LOG_DEBUG, __VA_ARGS__)

#endif
