/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "proc.h"
#include "unit.h"
#include "xalloc.h"

/* A /proc/PID/stat line as Linux 6.x writes it (52 fields), with `comm` and starttime 777. */
static char *stat_line(const char *comm)
{
    return xasprintf("4242 (%s) S 1 4242 4242 0 -1 4194560 120 0 0 0 0 0 0 0 20 0 1 0 777 "
                     "8192000 200 18446744073709551615 1 1 0 0 0 0 0 4096 16384 0 0 0 17 3 0 0 "
                     "0 0 0 0 0 0 0 0 0 0 0\n",
                     comm);
}

static uint64_t parse_ok(const char *stat)
{
    cleanup_error struct ctr_error *err = NULL;
    uint64_t start = 0;

    ASSERT_OK(ctr_proc_parse_start_time(stat, &start, &err), &err);
    return start;
}

static void parse_fails(const char *stat, const char *msg)
{
    cleanup_error struct ctr_error *err = NULL;
    uint64_t start = 12345;

    ASSERT_FAILS(ctr_proc_parse_start_time(stat, &start, &err), &err);
    ASSERT_INT_EQ(err->code, EINVAL);
    ASSERT_STR_CONTAINS(err->msg, msg);
    ASSERT_UINT_EQ(start, 12345); /* untouched on failure */
}

TEST(parse_plain)
{
    cleanup_free char *line = stat_line("bash");

    ASSERT_UINT_EQ(parse_ok(line), 777);
}

TEST(parse_comm_with_parens_and_spaces)
{
    /* The comm is the process's to choose: only the last ')' ends it. */
    const char *comms[] = {"a) b (c", ") 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 (",
                           "x)",      "((",
                           " ",       ""};

    for (size_t i = 0; i < sizeof(comms) / sizeof(comms[0]); i++) {
        cleanup_free char *line = stat_line(comms[i]);

        ASSERT_UINT_EQ(parse_ok(line), 777);
    }
}

TEST(parse_edges)
{
    /* Without a trailing newline, and cut right after the start time. */
    ASSERT_UINT_EQ(parse_ok("1 (x) R 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5"), 5);
    ASSERT_UINT_EQ(parse_ok("1 (x) R 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 18446744073709551615 "
                            "1"),
                   UINT64_MAX);
}

TEST(parse_malformed)
{
    parse_fails("", "no '(comm)'");
    parse_fails("1 x R 0", "no '(comm)'");
    parse_fails("1 )x( R 0", "no '(comm)'");
    parse_fails("1 (x)", "field 3 is missing");
    parse_fails("1 (x) R 0 0 0", "field 7 is missing");
    parse_fails("1 (x) R 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0", "no start time");
    parse_fails("1 (x) R 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 ", "no start time");
    parse_fails("1 (x) R 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 -5 0", "no start time");
    parse_fails("1 (x) R 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 12ab 0", "not a number");
    parse_fails("1 (x) R 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99999999999999999999999 0",
                "out of range");
    parse_fails("1 (x) R  0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0", "field 4 is missing");
    parse_fails("1 (x) RS 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0", "not one letter");
}

TEST(start_time_of_self)
{
    cleanup_error struct ctr_error *err = NULL;
    uint64_t a = 0, b = 0;

    ASSERT_OK(ctr_proc_start_time(getpid(), &a, &err), &err);
    ASSERT_TRUE(a > 0);
    /* A comm that would fool a parser splitting at the first ')' changes nothing. */
    ASSERT_INT_EQ(prctl(PR_SET_NAME, "a) b (c) 1 2", 0, 0, 0), 0);
    ASSERT_OK(ctr_proc_start_time(getpid(), &b, &err), &err);
    ASSERT_UINT_EQ(a, b);
    ASSERT_INT_EQ(ctr_proc_alive(getpid(), a), 1);
    ASSERT_INT_EQ(ctr_proc_alive(getpid(), a + 1), 0);
}

TEST(missing_and_invalid_pids)
{
    cleanup_error struct ctr_error *err = NULL;
    uint64_t start = 0;

    ASSERT_FAILS(ctr_proc_start_time(0, &start, &err), &err);
    ASSERT_INT_EQ(err->code, ESRCH);
    ctr_error_clear(&err);
    ASSERT_FAILS(ctr_proc_start_time(-1, &start, &err), &err);
    ASSERT_INT_EQ(err->code, ESRCH);
    ASSERT_INT_EQ(ctr_proc_alive(0, 0), 0);
    ASSERT_INT_EQ(ctr_proc_alive(-1, 0), 0);
}

TEST(zombie_and_reaped_are_not_alive)
{
    cleanup_error struct ctr_error *err = NULL;
    uint64_t start = 0, dummy = 0;
    int fds[2];
    siginfo_t si;
    pid_t pid;
    char c;

    ASSERT_INT_EQ(pipe(fds), 0);
    pid = fork();
    ASSERT_TRUE(pid >= 0);
    if (pid == 0) {
        close(fds[1]);
        /* Wait for the parent to record who we are, then exit. */
        if (read(fds[0], &c, 1) < 0)
            _exit(2);
        _exit(0);
    }
    close(fds[0]);
    ASSERT_OK(ctr_proc_start_time(pid, &start, &err), &err);
    ASSERT_INT_EQ(ctr_proc_alive(pid, start), 1);
    ASSERT_INT_EQ(close(fds[1]), 0);
    /* Wait until it is a zombie, but leave it one. */
    memset(&si, 0, sizeof(si));
    ASSERT_INT_EQ(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
    ASSERT_INT_EQ(ctr_proc_alive(pid, start), 0);
    ASSERT_FAILS(ctr_proc_start_time(pid, &dummy, &err), &err);
    ASSERT_INT_EQ(err->code, ESRCH);
    ASSERT_STR_CONTAINS(err->msg, "has exited");
    ctr_error_clear(&err);
    ASSERT_INT_EQ(waitpid(pid, NULL, 0), pid);
    ASSERT_INT_EQ(ctr_proc_alive(pid, start), 0);
    ASSERT_FAILS(ctr_proc_start_time(pid, &dummy, &err), &err);
    ASSERT_INT_EQ(err->code, ESRCH);
}

TEST(now_ns)
{
    int64_t before = (int64_t)time(NULL);
    int64_t now = ctr_now_ns();
    int64_t after = (int64_t)time(NULL);

    ASSERT_TRUE(now / 1000000000 >= before);
    ASSERT_TRUE(now / 1000000000 <= after);
}
