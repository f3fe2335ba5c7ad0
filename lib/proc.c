/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "proc.h"

/* starttime is field 22 of proc(5); field 3, the state, is the first after the comm. */
#define STARTTIME_FIELD 22
#define STATE_FIELD     3

/*
 * Splits the parts of /proc/PID/stat that ctr needs: the state letter and the start time.
 * The comm (field 2) is whatever the process set with prctl(PR_SET_NAME) or exec'd as, so it
 * may hold spaces, '(' and ')': only the LAST ')' ends it.
 */
static int parse_stat(const char *stat, char *ret_state, uint64_t *ret_start,
                      struct ctr_error **err)
{
    const char *lparen = strchr(stat, '(');
    const char *p = strrchr(stat, ')');
    unsigned long long start;
    char state = 0;
    char *end;

    if (lparen == NULL || p == NULL || p < lparen)
        return ctr_error_set(err, EINVAL, "malformed process stat: no '(comm)' field");
    p++;
    /* Fields 3 .. 22, each preceded by one space. */
    for (int field = STATE_FIELD; field < STARTTIME_FIELD; field++) {
        if (*p != ' ' || p[1] == ' ' || p[1] == '\0' || p[1] == '\n')
            return ctr_error_set(err, EINVAL, "malformed process stat: field %d is missing", field);
        p++;
        if (field == STATE_FIELD) {
            state = *p;
            if (p[1] != ' ')
                return ctr_error_set(err, EINVAL,
                                     "malformed process stat: the state is not one letter");
        }
        p += strcspn(p, " \n");
    }
    if (*p != ' ' || p[1] < '0' || p[1] > '9')
        return ctr_error_set(err, EINVAL, "malformed process stat: no start time (field %d)",
                             STARTTIME_FIELD);
    p++;
    errno = 0;
    start = strtoull(p, &end, 10);
    if (errno != 0)
        return ctr_error_set(err, EINVAL, "malformed process stat: start time out of range");
    /* The next field follows (or, from a truncated buffer, nothing does). */
    if (*end != ' ' && *end != '\n' && *end != '\0')
        return ctr_error_set(err, EINVAL, "malformed process stat: start time is not a number");
    *ret_state = state;
    *ret_start = start;
    return 0;
}

int ctr_proc_parse_start_time(const char *stat, uint64_t *ret, struct ctr_error **err)
{
    char state;

    return parse_stat(stat, &state, ret, err);
}

/*
 * Reads /proc/PID/stat.  A pid that does not exist, or that was reaped after open(), is
 * ESRCH: procfs answers the read of a vanished task with ESRCH itself.
 */
static int read_stat(pid_t pid, char *buf, size_t size, struct ctr_error **err)
{
    char path[64];
    cleanup_close int fd = -1;
    size_t len = 0;

    if (pid <= 0)
        return ctr_error_set(err, ESRCH, "no process with pid %d", (int)pid);
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT || errno == ESRCH)
            return ctr_error_set(err, ESRCH, "no process with pid %d", (int)pid);
        return ctr_error_errno(err, "open '%s'", path);
    }
    while (len < size - 1) {
        ssize_t n = read(fd, buf + len, size - 1 - len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == ESRCH)
                return ctr_error_set(err, ESRCH, "no process with pid %d", (int)pid);
            return ctr_error_errno(err, "read '%s'", path);
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return 0;
}

int ctr_proc_start_time(pid_t pid, uint64_t *ret, struct ctr_error **err)
{
    /* 52 numeric fields of at most 20 digits and a comm of at most 64 bytes fit. */
    char buf[2048];
    uint64_t start;
    char state;

    if (read_stat(pid, buf, sizeof(buf), err) < 0)
        return -1;
    if (parse_stat(buf, &state, &start, err) < 0)
        return ctr_error_wrap(err, "process %d", (int)pid);
    /* A zombie has exited; only its parent's wait() keeps the pid. 'X' is never seen in
     * practice (the task is gone by then) but means the same. */
    if (state == 'Z' || state == 'X')
        return ctr_error_set(err, ESRCH, "process %d has exited", (int)pid);
    *ret = start;
    return 0;
}

int ctr_proc_alive(pid_t pid, uint64_t start)
{
    cleanup_error struct ctr_error *err = NULL;
    uint64_t now_start = 0;

    if (pid <= 0)
        return 0;
    /* Any failure, not only ESRCH, leaves nothing to show the process is ours and alive. */
    if (ctr_proc_start_time(pid, &now_start, &err) < 0)
        return 0;
    return now_start == start;
}

int64_t ctr_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
