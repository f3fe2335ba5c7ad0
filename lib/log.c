/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static enum ctr_log_level current_level = CTR_LOG_WARN;

static const char *const level_names[] = {
        [CTR_LOG_ERROR] = "error", [CTR_LOG_WARN] = "warning", [CTR_LOG_INFO] = "info",
        [CTR_LOG_DEBUG] = "debug", [CTR_LOG_TRACE] = "trace",
};

void ctr_log_set_level(enum ctr_log_level level)
{
    current_level = level;
}

enum ctr_log_level ctr_log_get_level(void)
{
    return current_level;
}

const char *ctr_log_level_name(enum ctr_log_level level)
{
    if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
        return "unknown";
    return level_names[level];
}

int ctr_log_parse_level(const char *s, enum ctr_log_level *ret_level, struct ctr_error **err)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *ret_level = (enum ctr_log_level)i;
            return 0;
        }
    }
    if (strcmp(s, "warn") == 0) {
        *ret_level = CTR_LOG_WARN;
        return 0;
    }
    return ctr_error_set(err, EINVAL,
                         "invalid log level '%s': use error, warn, info, debug or trace", s);
}

void ctr_log(enum ctr_log_level level, const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    if (level > current_level)
        return;
    /* One write per line so lines from concurrent processes do not interleave mid-line. */
    char buf[4096];
    int n = snprintf(buf, sizeof(buf), "ctr: %s: ", ctr_log_level_name(level));
    if (n < 0)
        n = 0;
    va_start(ap, fmt);
    if ((size_t)n < sizeof(buf))
        vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", buf);
    errno = saved;
}
