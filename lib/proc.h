/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_LIB_PROC_H
#define CTR_LIB_PROC_H

#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/*
 * A process's identity across pid reuse: its pid plus its start time (field 22 of
 * /proc/PID/stat, clock ticks since boot).  ctr records both for every process it must find
 * again (container init, monitor); a pid whose start time differs is another process.
 */

/*
 * Parses the contents of /proc/PID/stat into its start time (the comm field may hold spaces and
 * ')': the last ')' ends it).  Malformed text is EINVAL; the state is not looked at.
 */
int ctr_proc_parse_start_time(const char *stat, uint64_t *ret, struct ctr_error **err);

/* The start time of `pid`; ESRCH when there is no such process (or it is a zombie). */
int ctr_proc_start_time(pid_t pid, uint64_t *ret, struct ctr_error **err);

/* 1 when `pid` is alive (not a zombie) and started at `start`, else 0.  pid <= 0 is 0. */
int ctr_proc_alive(pid_t pid, uint64_t start);

/* Nanoseconds since the epoch (CLOCK_REALTIME). */
int64_t ctr_now_ns(void);

#endif
