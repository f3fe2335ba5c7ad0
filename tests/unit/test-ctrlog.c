/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "ctrlog.h"
#include "fsutil.h"
#include "sdnotify.h"
#include "unit.h"

#define NS 1000000000LL

static void assert_prefix(int64_t ns, enum ctr_log_stream stream, int partial, const char *want)
{
    char buf[CTR_LOGLINE_PREFIX_MAX];
    size_t n = ctr_logline_prefix(buf, ns, stream, partial);

    ASSERT_STR_EQ(buf, want);
    ASSERT_UINT_EQ(n, strlen(want));
}

/* ns of an RFC 3339 time that must parse. */
static int64_t t(const char *s)
{
    int64_t ns = 0;

    if (ctr_parse_rfc3339(s, strlen(s), &ns) < 0)
        UNIT_FAIL("ctr_parse_rfc3339(\"%s\") failed", s);
    return ns;
}

static void assert_bad_time(const char *s)
{
    int64_t ns = 42;

    if (ctr_parse_rfc3339(s, strlen(s), &ns) != -1)
        UNIT_FAIL("ctr_parse_rfc3339(\"%s\") accepted it as %lld", s, (long long)ns);
    ASSERT_INT_EQ(ns, 42);
}

TEST(prefix_format)
{
    assert_prefix(0, CTR_LOG_STDOUT, 0, "1970-01-01T00:00:00.000000000Z stdout F ");
    assert_prefix(1700000000 * NS + 123456789, CTR_LOG_STDERR, 1,
                  "2023-11-14T22:13:20.123456789Z stderr P ");
    /* 2024 is a leap year, 2100 is not, 2000 is. */
    assert_prefix(1709164800 * NS, CTR_LOG_STDOUT, 0, "2024-02-29T00:00:00.000000000Z stdout F ");
    assert_prefix(4107542400 * NS, CTR_LOG_STDOUT, 0, "2100-03-01T00:00:00.000000000Z stdout F ");
    assert_prefix(951782400 * NS, CTR_LOG_STDOUT, 0, "2000-02-29T00:00:00.000000000Z stdout F ");
}

TEST(prefix_extremes)
{
    /* Before 1970 the fraction still counts forward from the second. */
    assert_prefix(-1, CTR_LOG_STDOUT, 0, "1969-12-31T23:59:59.999999999Z stdout F ");
    assert_prefix(-NS, CTR_LOG_STDOUT, 0, "1969-12-31T23:59:59.000000000Z stdout F ");
    assert_prefix(INT64_MIN, CTR_LOG_STDOUT, 0, "1677-09-21T00:12:43.145224192Z stdout F ");
    assert_prefix(INT64_MAX, CTR_LOG_STDERR, 1, "2262-04-11T23:47:16.854775807Z stderr P ");
}

/* Every day ctr can log, against glibc's own calendar. */
TEST(prefix_matches_gmtime)
{
    for (int64_t secs = -9223372036LL + 86400; secs < 9223372036LL; secs += 86400 - 7) {
        char want[CTR_LOGLINE_PREFIX_MAX], got[CTR_LOGLINE_PREFIX_MAX];
        time_t tt = (time_t)secs;
        struct tm tm;

        ASSERT_TRUE(gmtime_r(&tt, &tm) != NULL);
        ASSERT_TRUE(strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S.000000005Z stdout F ", &tm) >
                    0);
        ctr_logline_prefix(got, secs * NS + 5, CTR_LOG_STDOUT, 0);
        ASSERT_STR_EQ(got, want);
        want[30] = '\0';
        ASSERT_INT_EQ(t(want), secs * NS + 5);
    }
}

TEST(rfc3339_offsets)
{
    int64_t utc = 1700000000 * NS;

    ASSERT_INT_EQ(t("2023-11-14T22:13:20Z"), utc);
    ASSERT_INT_EQ(t("2023-11-14T23:13:20+01:00"), utc);
    ASSERT_INT_EQ(t("2023-11-14T16:43:20-05:30"), utc);
    ASSERT_INT_EQ(t("2023-11-15T00:00:20+01:47"), utc);
    ASSERT_INT_EQ(t("2023-11-14T22:13:20+00:00"), utc);
    ASSERT_INT_EQ(t("2023-11-14t22:13:20z"), utc);
    ASSERT_INT_EQ(t("2023-11-14 22:13:20Z"), utc);
    /* Across a year boundary. */
    ASSERT_INT_EQ(t("2024-01-01T00:30:00+01:00"), t("2023-12-31T23:30:00Z"));
}

TEST(rfc3339_fractions)
{
    int64_t utc = 1700000000 * NS;

    ASSERT_INT_EQ(t("2023-11-14T22:13:20.5Z"), utc + 500000000);
    ASSERT_INT_EQ(t("2023-11-14T22:13:20.05Z"), utc + 50000000);
    ASSERT_INT_EQ(t("2023-11-14T22:13:20.123+01:00") + 3600 * NS, utc + 123000000);
    ASSERT_INT_EQ(t("2023-11-14T22:13:20.000000001Z"), utc + 1);
    /* Beyond nanoseconds the digits are cut, not rounded. */
    ASSERT_INT_EQ(t("2023-11-14T22:13:20.1234567899999Z"), utc + 123456789);
    /* A leap second becomes the next second. */
    ASSERT_INT_EQ(t("2016-12-31T23:59:60Z"), t("2017-01-01T00:00:00Z"));
}

TEST(rfc3339_leap_years)
{
    ASSERT_INT_EQ(t("2024-02-29T00:00:00Z") + 86400 * NS, t("2024-03-01T00:00:00Z"));
    ASSERT_INT_EQ(t("2000-02-29T00:00:00Z") + 86400 * NS, t("2000-03-01T00:00:00Z"));
    ASSERT_INT_EQ(t("2100-02-28T00:00:00Z") + 86400 * NS, t("2100-03-01T00:00:00Z"));
    assert_bad_time("2023-02-29T00:00:00Z");
    assert_bad_time("2100-02-29T00:00:00Z");
    assert_bad_time("1900-02-29T00:00:00Z");
    assert_bad_time("2023-04-31T00:00:00Z");
}

TEST(rfc3339_before_1970)
{
    ASSERT_INT_EQ(t("1969-12-31T23:59:59.5Z"), -NS / 2);
    ASSERT_INT_EQ(t("1970-01-01T01:00:00+01:00"), 0);
    ASSERT_INT_EQ(t("1900-01-01T00:00:00Z"), -2208988800LL * NS);
    /* The ends of int64_t nanoseconds, and just past them: refused, never wrapped. */
    ASSERT_INT_EQ(t("1677-09-21T00:12:43.145224192Z"), INT64_MIN);
    ASSERT_INT_EQ(t("2262-04-11T23:47:16.854775807Z"), INT64_MAX);
    assert_bad_time("1677-09-21T00:12:43.145224191Z");
    assert_bad_time("2262-04-11T23:47:16.854775808Z");
    assert_bad_time("0000-01-01T00:00:00Z");
    assert_bad_time("9999-12-31T23:59:59Z");
}

TEST(rfc3339_invalid)
{
    static const char *const bad[] = {
            "",
            "2023",
            "2023-11-14",
            "2023-11-14T22:13:20",
            "2023-11-14T22:13:20.Z",
            "2023-11-14T22:13:20.5",
            "2023-11-14T22:13:20+0100",
            "2023-11-14T22:13:20+01",
            "2023-11-14T22:13:20+24:00",
            "2023-11-14T22:13:20+01:60",
            "2023-11-14T22:13:20ZZ",
            "2023-11-14T22:13:20Z ",
            " 2023-11-14T22:13:20Z",
            "2023-13-14T22:13:20Z",
            "2023-00-14T22:13:20Z",
            "2023-11-00T22:13:20Z",
            "2023-11-14T24:00:00Z",
            "2023-11-14T22:60:20Z",
            "2023-11-14T22:13:61Z",
            "2023-11-14X22:13:20Z",
            "2023-1-14T22:13:20Z",
            "+2023-11-14T22:13:20Z",
            "2023-11-14T22:13:2aZ",
    };
    int64_t ns;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_bad_time(bad[i]);
    /* The length is what counts, not a NUL: a time cut short is invalid. */
    ASSERT_INT_EQ(ctr_parse_rfc3339("2023-11-14T22:13:20Z", 19, &ns), -1);
    ASSERT_INT_EQ(ctr_parse_rfc3339("2023-11-14T22:13:20Zjunk", 20, &ns), 0);
    ASSERT_INT_EQ(ns, 1700000000 * NS);
}

static struct ctr_logline parse_ok(const char *line)
{
    struct ctr_logline l;

    if (ctr_logline_parse(line, strlen(line), &l) < 0)
        UNIT_FAIL("ctr_logline_parse(\"%s\") failed", line);
    return l;
}

static void assert_data(const struct ctr_logline *l, const char *want)
{
    if (l->len != strlen(want) || memcmp(l->data, want, l->len) != 0)
        UNIT_FAIL("data \"%.*s\" != \"%s\"", (int)l->len, l->data, want);
}

TEST(parse_line)
{
    struct ctr_logline l = parse_ok("2023-11-14T22:13:20.123456789Z stdout F hello  world ");

    ASSERT_INT_EQ(l.ns, 1700000000 * NS + 123456789);
    ASSERT_INT_EQ(l.stream, CTR_LOG_STDOUT);
    ASSERT_INT_EQ(l.partial, 0);
    assert_data(&l, "hello  world ");

    l = parse_ok("2023-11-14T23:13:20.5+01:00 stderr P F P stdout");
    ASSERT_INT_EQ(l.ns, 1700000000 * NS + 500000000);
    ASSERT_INT_EQ(l.stream, CTR_LOG_STDERR);
    ASSERT_INT_EQ(l.partial, 1);
    assert_data(&l, "F P stdout");

    /* An empty line, as written and without its trailing space. */
    l = parse_ok("2023-11-14T22:13:20Z stdout F ");
    assert_data(&l, "");
    l = parse_ok("2023-11-14T22:13:20Z stdout F");
    assert_data(&l, "");
}

TEST(parse_binary_data)
{
    const char line[] = "2023-11-14T22:13:20Z stdout F a\0b\r\x7f";
    struct ctr_logline l;

    ASSERT_INT_EQ(ctr_logline_parse(line, sizeof(line) - 1, &l), 0);
    ASSERT_UINT_EQ(l.len, 5);
    ASSERT_TRUE(memcmp(l.data, "a\0b\r\x7f", 5) == 0);
}

TEST(parse_bad_lines)
{
    static const char *const bad[] = {
            "",
            "hello world",
            "2023-11-14T22:13:20Z",
            "2023-11-14T22:13:20Z ",
            "2023-11-14T22:13:20Z stdout",
            "2023-11-14T22:13:20Z stdout ",
            "2023-11-14T22:13:20Z stdin F x",
            "2023-11-14T22:13:20Z STDOUT F x",
            "2023-11-14T22:13:20Z stdoutt F x",
            "2023-11-14T22:13:20Z stdout X x",
            "2023-11-14T22:13:20Z stdout FP x",
            "2023-11-14T22:13:20Z stdout f x",
            "2023-11-14T22:13:20Z  stdout F x",
            "2023-11-14T22:13:20 stdout F x",
            "2023-02-30T22:13:20Z stdout F x",
            " 2023-11-14T22:13:20Z stdout F x",
    };
    struct ctr_logline l = {.len = 42};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (ctr_logline_parse(bad[i], strlen(bad[i]), &l) != -1)
            UNIT_FAIL("ctr_logline_parse(\"%s\") accepted it", bad[i]);
    }
    ASSERT_UINT_EQ(l.len, 42);
}

TEST(parse_round_trip)
{
    static const int64_t times[] = {0,
                                    1,
                                    -1,
                                    951782400 * NS,
                                    -NS / 3,
                                    INT64_MIN,
                                    INT64_MAX,
                                    1700000000 * NS + 999999999,
                                    4107542400 * NS};

    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
        for (int partial = 0; partial <= 1; partial++) {
            enum ctr_log_stream stream = partial ? CTR_LOG_STDERR : CTR_LOG_STDOUT;
            char line[CTR_LOGLINE_PREFIX_MAX + 16];
            size_t n = ctr_logline_prefix(line, times[i], stream, partial);
            struct ctr_logline l;

            memcpy(line + n, "x y", 3);
            ASSERT_INT_EQ(ctr_logline_parse(line, n + 3, &l), 0);
            ASSERT_INT_EQ(l.ns, times[i]);
            ASSERT_INT_EQ(l.stream, stream);
            ASSERT_INT_EQ(l.partial, partial);
            assert_data(&l, "x y");
        }
    }
}

/*
 * ctr-monitor itself, run the way ctr runs it: the test forks a process that forks the
 * "container" (so the container is its child) and then execs ctr-monitor, whose final exec is
 * a shell script standing in for ctr that records its arguments.
 */
enum {
    C_NO_STDERR = 1 << 0,    /* no fd 4: the container's stderr goes to the stdout pipe */
    C_PTY = 1 << 1,          /* fd 3 is a pty master, and no fd 4 */
    C_EXITED_EARLY = 1 << 2, /* the container is a zombie before the monitor starts */
    C_KEEPS_STDOUT = 1 << 3, /* a grandchild keeps stdout open after the container exits */
    C_IGNORES_TERM = 1 << 4, /* the container ignores SIGTERM */
};

struct container_spec {
    const char *out, *err; /* what the container writes */
    int code;              /* its exit code, once the test closes `go` */
    int flags;
    const char *max_bytes;                  /* LOG_MAX_BYTES */
    const char *stop_signal, *stop_timeout; /* STOP_SIGNAL, STOP_TIMEOUT; NULL: 15 and 10 */
    const char *notify_target;              /* NOTIFY_SOCKET, NULL: none */
    int notify_fd;                          /* NOTIFY_FD with notify_target */
};

struct monitor {
    pid_t pid;       /* the monitor, later the fake ctr */
    pid_t container; /* its child */
    int go;          /* closing it lets the container exit */
    int64_t started; /* CLOCK_REALTIME ns, to check the log's times */
    char log[PATH_MAX];
};

static char scratch[] = "/tmp/ctr-test-ctrlog-XXXXXX";

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_scratch(void)
{
    nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

/* The test binary is BUILD/tests/test-ctrlog and the monitor BUILD/cmd/ctr-monitor. */
static void monitor_binary(char path[PATH_MAX])
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

    ASSERT_TRUE(n > 0);
    exe[n] = '\0';
    ASSERT_TRUE(snprintf(path, PATH_MAX, "%s/../cmd/ctr-monitor", dirname(exe)) < PATH_MAX);
    if (access(path, X_OK) < 0)
        UNIT_FAIL("no '%s' (%s): build the ctr-monitor target first", path, strerror(errno));
}

static void __attribute__((noreturn))
run_container(const struct container_spec *spec, int out, int err, int go)
{
    char c;

    if (spec->flags & C_IGNORES_TERM)
        signal(SIGTERM, SIG_IGN);
    if (ctr_write_all(out, spec->out, strlen(spec->out)) < 0 ||
        ctr_write_all(err, spec->err, strlen(spec->err)) < 0)
        _exit(120);
    if (spec->flags & C_KEEPS_STDOUT) {
        pid_t pid = fork();

        if (pid < 0)
            _exit(121);
        if (pid > 0)
            _exit(spec->code);
    } else if (spec->flags & C_EXITED_EARLY) {
        _exit(spec->code);
    }
    while (read(go, &c, 1) < 0 && errno == EINTR)
        ;
    _exit(spec->code);
}

/* The process ctr forks: starts the container, then becomes the monitor. */
static void __attribute__((noreturn))
run_parent(const struct container_spec *spec, const char *monitor, const char *pts, int out[2],
           int err[2], int go[2], int master, int report)
{
    int pty = spec->flags & C_PTY, slave = -1, o, e;
    char pid[16], script[PATH_MAX], log[PATH_MAX], notify[16] = "-1";
    siginfo_t si;
    pid_t c;

    /* Opened before the monitor starts: a master without a slave reads EIO at once. */
    if (pty && (slave = open(pts, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
        _exit(122);
    c = fork();
    if (c < 0)
        _exit(123);
    if (c == 0) {
        close(go[1]);
        run_container(spec, pty ? slave : out[1],
                      pty                         ? slave
                      : spec->flags & C_NO_STDERR ? out[1]
                                                  : err[1],
                      go[0]);
    }
    if (spec->flags & C_EXITED_EARLY)
        waitid(P_PID, (id_t)c, &si, WEXITED | WNOWAIT);
    if (write(report, &c, sizeof(c)) != sizeof(c))
        _exit(124);
    /* Out of the way of 3 and 4 first, in case a pipe end already sits there. */
    o = fcntl(pty ? master : out[0], F_DUPFD_CLOEXEC, 20);
    e = fcntl(err[0], F_DUPFD_CLOEXEC, 20);
    if (o < 0 || e < 0 || dup2(o, 3) < 0)
        _exit(125);
    if (pty || spec->flags & C_NO_STDERR)
        close(4);
    else if (dup2(e, 4) < 0)
        _exit(125);
    /* Inherited, above 3 and 4, as ctr's starter passes it. */
    if (spec->notify_target != NULL)
        snprintf(notify, sizeof(notify), "%d", fcntl(spec->notify_fd, F_DUPFD, 20));
    snprintf(pid, sizeof(pid), "%d", (int)c);
    snprintf(script, sizeof(script), "%s/ctr", scratch);
    snprintf(log, sizeof(log), "%s/ctr.log", scratch);
    execv(monitor, (char *[]){(char *)"ctr-monitor", script, (char *)"/root", (char *)"/runroot",
                              (char *)"abc", pid, log, (char *)spec->max_bytes,
                              (char *)(spec->stop_signal ? spec->stop_signal : "15"),
                              (char *)(spec->stop_timeout ? spec->stop_timeout : "10"), notify,
                              (char *)(spec->notify_target ? spec->notify_target : ""), NULL});
    _exit(127);
}

static struct monitor start_monitor(const struct container_spec *spec)
{
    static const char script[] = "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$0.argv\"\n";
    struct monitor m = {.started = now_ns()};
    char monitor[PATH_MAX], path[PATH_MAX], pts[128] = "";
    int out[2], err[2], go[2], report[2], master = -1;
    int fd;

    monitor_binary(monitor);
    if (mkdtemp(scratch) == NULL)
        UNIT_FAIL("mkdtemp: %s", strerror(errno));
    atexit(remove_scratch);
    snprintf(path, sizeof(path), "%s/ctr", scratch);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
    ASSERT_TRUE(fd >= 0);
    ASSERT_INT_EQ(ctr_write_all(fd, script, strlen(script)), 0);
    /* Closed before any fork: a child holding it open for writing makes exec fail (ETXTBSY). */
    close(fd);
    snprintf(m.log, sizeof(m.log), "%s/ctr.log", scratch);

    ASSERT_INT_EQ(pipe2(out, O_CLOEXEC), 0);
    ASSERT_INT_EQ(pipe2(err, O_CLOEXEC), 0);
    ASSERT_INT_EQ(pipe2(go, O_CLOEXEC), 0);
    ASSERT_INT_EQ(pipe2(report, O_CLOEXEC), 0);
    if (spec->flags & C_PTY) {
        master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        ASSERT_TRUE(master >= 0);
        ASSERT_INT_EQ(grantpt(master), 0);
        ASSERT_INT_EQ(unlockpt(master), 0);
        ASSERT_INT_EQ(ptsname_r(master, pts, sizeof(pts)), 0);
    }
    m.pid = fork();
    ASSERT_TRUE(m.pid >= 0);
    if (m.pid == 0)
        run_parent(spec, monitor, pts, out, err, go, master, report[1]);
    /* Only the monitor and the container may hold the pipes, or no end of file ever comes. */
    close(out[0]);
    close(out[1]);
    close(err[0]);
    close(err[1]);
    close(go[0]);
    close(report[1]);
    if (master >= 0)
        close(master);
    m.go = go[1];
    ASSERT_INT_EQ(read(report[0], &m.container, sizeof(m.container)), sizeof(m.container));
    close(report[0]);
    /* A monitor that never finishes fails the test rather than hanging ctest. */
    alarm(30);
    return m;
}

/* A line of /proc/PID/status after `key`, or "" when the process or line is gone. */
static void proc_status(pid_t pid, const char *key, char *buf, size_t size)
{
    char path[64], line[256];
    cleanup_fclose FILE *f = NULL;

    buf[0] = '\0';
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    f = fopen(path, "re");
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, key, strlen(key)) == 0) {
            snprintf(buf, size, "%s", line + strlen(key) + strspn(line + strlen(key), " \t"));
            buf[strcspn(buf, "\n")] = '\0';
            return;
        }
    }
}

/* Until the monitor runs with its signals blocked: from then on it forwards them. */
static void wait_ready(const struct monitor *m)
{
    for (;;) {
        char name[64], blocked[64];

        proc_status(m->pid, "Name:", name, sizeof(name));
        proc_status(m->pid, "SigBlk:", blocked, sizeof(blocked));
        if (strcmp(name, "ctr-monitor") == 0 &&
            (strtoull(blocked, NULL, 16) & (1ULL << (SIGTERM - 1))) != 0)
            return;
        usleep(1000);
    }
}

/* Waits until the fake container ignores SIGTERM (C_IGNORES_TERM), so that a test's TERM
 * cannot arrive first. */
static void wait_ignores_term(const struct monitor *m)
{
    for (;;) {
        char ignored[64];

        proc_status(m->container, "SigIgn:", ignored, sizeof(ignored));
        if ((strtoull(ignored, NULL, 16) & (1ULL << (SIGTERM - 1))) != 0)
            return;
        usleep(1000);
    }
}

/* The log's records of one stream as "DATA F|P\n" each, checking every line parses. */
static char *log_text(const struct monitor *m, const char *path, enum ctr_log_stream stream)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *data = NULL;
    char *text = NULL;
    size_t len = 0, text_len = 0;
    FILE *f = open_memstream(&text, &text_len);

    ASSERT_TRUE(f != NULL);
    ASSERT_OK(ctr_read_file(path, 1 << 20, &data, &len, &err), &err);
    for (char *line = data, *nl; (nl = memchr(line, '\n', len - (size_t)(line - data))) != NULL;
         line = nl + 1) {
        struct ctr_logline l;

        if (ctr_logline_parse(line, (size_t)(nl - line), &l) < 0)
            UNIT_FAIL("bad log line '%.*s'", (int)(nl - line), line);
        ASSERT_TRUE(l.ns >= m->started && l.ns <= now_ns());
        if (l.stream == stream)
            fprintf(f, "%.*s %c\n", (int)l.len, l.data, l.partial ? 'P' : 'F');
    }
    ASSERT_INT_EQ(fclose(f), 0);
    ASSERT_TRUE(len == 0 || data[len - 1] == '\n');
    return text;
}

static void assert_log(const struct monitor *m, const char *path, enum ctr_log_stream stream,
                       const char *want)
{
    cleanup_free char *text = log_text(m, path, stream);

    ASSERT_STR_EQ(text, want);
}

/*
 * Waits for the fake ctr to finish and checks what the monitor passed to it: "stopped" last
 * when the monitor stopped the container on SIGTERM.
 */
static void finish_monitor(struct monitor *m, int status, int stopped)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *argv = NULL;
    char path[PATH_MAX], want[128];
    size_t len;
    int st;

    if (m->go >= 0)
        close(m->go);
    m->go = -1;
    ASSERT_INT_EQ(waitpid(m->pid, &st, 0), m->pid);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        UNIT_FAIL("monitor ended with wait status %#x", st);
    snprintf(path, sizeof(path), "%s/ctr.argv", scratch);
    ASSERT_OK(ctr_read_file(path, 4096, &argv, &len, &err), &err);
    snprintf(want, sizeof(want), "/root\n/runroot\nabc\n%d\n%d\n%s", (int)m->container, status,
             stopped ? "stopped\n" : "");
    ASSERT_STR_EQ(argv, want);
}

static int using_asan(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return 1;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return 1;
#endif
#endif
    return 0;
}

TEST(monitor_logs_lines)
{
    struct container_spec spec = {.out = "a\nbb", .err = "oops\n\n", .code = 3, .max_bytes = "0"};
    struct monitor m = start_monitor(&spec);
    cleanup_error struct ctr_error *err = NULL;
    char rss[64];

    /* Once the first line is logged the monitor has touched all it will. */
    wait_ready(&m);
    for (;;) {
        cleanup_free char *data = NULL;
        size_t len;

        if (ctr_read_file(m.log, 1 << 20, &data, &len, &err) == 0 && strstr(data, " a\n"))
            break;
        ctr_error_free(err);
        err = NULL;
        usleep(1000);
    }
    proc_status(m.pid, "VmRSS:", rss, sizeof(rss));
    fprintf(stderr, "ctr-monitor VmRSS: %s%s\n", rss, using_asan() ? " (not checked: ASan)" : "");
    /* ASan's shadow memory and allocator take tens of MiB in any program. */
    if (!using_asan())
        ASSERT_TRUE(strtol(rss, NULL, 10) > 0 && strtol(rss, NULL, 10) < 2048);

    finish_monitor(&m, 3, 0);
    assert_log(&m, m.log, CTR_LOG_STDOUT, "a F\nbb P\n");
    assert_log(&m, m.log, CTR_LOG_STDERR, "oops F\n F\n");
}

TEST(monitor_no_stderr_fd)
{
    struct container_spec spec = {
            .out = "out\n", .err = "err\n", .code = 0, .flags = C_NO_STDERR, .max_bytes = "0"};
    struct monitor m = start_monitor(&spec);

    finish_monitor(&m, 0, 0);
    assert_log(&m, m.log, CTR_LOG_STDOUT, "out F\nerr F\n");
    assert_log(&m, m.log, CTR_LOG_STDERR, "");
}

/* A pty master reads EIO, not 0, once the container closed the slave. */
TEST(monitor_pty)
{
    struct container_spec spec = {
            .out = "hi\n", .err = "tail", .code = 7, .flags = C_PTY, .max_bytes = "0"};
    struct monitor m = start_monitor(&spec);

    finish_monitor(&m, 7, 0);
    /* The line discipline turns "\n" into "\r\n" (ONLCR), as on a terminal. */
    assert_log(&m, m.log, CTR_LOG_STDOUT, "hi\r F\ntail P\n");
}

TEST(monitor_long_line)
{
    static char out[40000];
    struct container_spec spec = {.out = out, .err = "", .code = 0, .max_bytes = "0"};
    cleanup_free char *want = NULL;
    cleanup_free char *text = NULL;
    struct monitor m;

    /* 20000 bytes and a newline, then 19998 without one: each cut at 16 KiB. */
    memset(out, 'x', sizeof(out) - 1);
    out[20000] = '\n';
    m = start_monitor(&spec);
    finish_monitor(&m, 0, 0);
    text = log_text(&m, m.log, CTR_LOG_STDOUT);
    ASSERT_TRUE(asprintf(&want, "%.16384s P\n%.3616s F\n%.16384s P\n%.3614s P\n", out, out, out,
                         out) > 0);
    ASSERT_STR_EQ(text, want);
}

TEST(monitor_rotates)
{
    /* Each record is 40 bytes of prefix, 5 of data and a newline: two fit in 100. */
    struct container_spec spec = {
            .out = "line1\nline2\nline3\nline4\nline5\n", .err = "", .code = 0, .max_bytes = "100"};
    struct monitor m = start_monitor(&spec);
    char old[PATH_MAX + 2];

    finish_monitor(&m, 0, 0);
    snprintf(old, sizeof(old), "%s.1", m.log);
    /* LOGFILE.1 was replaced by the second rotation. */
    assert_log(&m, old, CTR_LOG_STDOUT, "line3 F\nline4 F\n");
    assert_log(&m, m.log, CTR_LOG_STDOUT, "line5 F\n");
}

TEST(monitor_forwards_signals)
{
    struct container_spec spec = {.out = "", .err = "", .code = 0, .max_bytes = "0"};
    struct monitor m = start_monitor(&spec);
    int go = m.go;

    wait_ready(&m);
    /* SIGINT is ignored, not forwarded: the container would die of it (130). */
    ASSERT_INT_EQ(kill(m.pid, SIGINT), 0);
    ASSERT_INT_EQ(kill(m.pid, SIGHUP), 0);
    ASSERT_INT_EQ(kill(m.pid, SIGTERM), 0);
    /* `go` stays open: only the forwarded SIGTERM can end the container. */
    m.go = -1;
    finish_monitor(&m, 128 + SIGTERM, 1);
    close(go);
    assert_log(&m, m.log, CTR_LOG_STDOUT, "");
}

/* systemd stopping a unit whose main process is the monitor (KillMode=mixed). */
TEST(monitor_sigterm_sends_the_stop_signal)
{
    struct container_spec spec = {
            .out = "", .err = "", .code = 0, .max_bytes = "0", .stop_signal = "10"};
    struct monitor m = start_monitor(&spec);
    int go = m.go;

    wait_ready(&m);
    ASSERT_INT_EQ(kill(m.pid, SIGTERM), 0);
    m.go = -1;
    finish_monitor(&m, 128 + SIGUSR1, 1);
    close(go);
}

TEST(monitor_sigterm_kills_after_the_stop_timeout)
{
    struct container_spec spec = {.out = "",
                                  .err = "",
                                  .code = 0,
                                  .flags = C_IGNORES_TERM,
                                  .max_bytes = "0",
                                  .stop_timeout = "1"};
    struct monitor m = start_monitor(&spec);
    int go = m.go;
    int64_t sent, elapsed;

    wait_ready(&m);
    wait_ignores_term(&m);
    sent = now_ns();
    ASSERT_INT_EQ(kill(m.pid, SIGTERM), 0);
    /* Another SIGTERM does not put SIGKILL off. */
    usleep(500 * 1000);
    ASSERT_INT_EQ(kill(m.pid, SIGTERM), 0);
    m.go = -1;
    finish_monitor(&m, 128 + SIGKILL, 1);
    elapsed = now_ns() - sent;
    if (elapsed < NS * 9 / 10 || elapsed > NS * 5)
        UNIT_FAIL("SIGKILL came %lld ms after SIGTERM, not about 1000",
                  (long long)(elapsed / 1000000));
    close(go);
}

/* --sdnotify=container with -d: the container's messages go on with the monitor as MAINPID. */
TEST(monitor_relays_notifications)
{
    char dir[] = "/tmp/ctr-test-notify-XXXXXX", manager_path[128], sock_path[128], buf[256];
    struct container_spec spec = {.out = "", .err = "", .code = 0, .max_bytes = "0"};
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct pollfd p;
    struct monitor m;
    int manager, dirfd;
    ssize_t n;

    ASSERT_TRUE(mkdtemp(dir) != NULL);
    snprintf(manager_path, sizeof(manager_path), "%s/manager.sock", dir);
    snprintf(sock_path, sizeof(sock_path), "%s/notify.sock", dir);
    manager = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_TRUE(manager >= 0);
    memcpy(sa.sun_path, manager_path, strlen(manager_path) + 1);
    ASSERT_INT_EQ(bind(manager, (struct sockaddr *)&sa, sizeof(sa)), 0);
    dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_TRUE(dirfd >= 0);
    spec.notify_fd = ctr_sd_notify_listen_at(dirfd, "notify.sock");
    ASSERT_TRUE(spec.notify_fd >= 0);
    spec.notify_target = manager_path;
    m = start_monitor(&spec);
    wait_ready(&m);
    ASSERT_INT_EQ(ctr_sd_notify(sock_path, "READY=1\nMAINPID=1", 17), 0);
    p = (struct pollfd){manager, POLLIN, 0};
    ASSERT_INT_EQ(poll(&p, 1, 5000), 1);
    n = recv(manager, buf, sizeof(buf) - 1, 0);
    ASSERT_TRUE(n > 0);
    buf[n] = '\0';
    {
        char want[64];

        snprintf(want, sizeof(want), "MAINPID=%d\nREADY=1", (int)m.pid);
        ASSERT_STR_EQ(buf, want);
    }
    finish_monitor(&m, 0, 0);
    close(spec.notify_fd);
    close(manager);
    close(dirfd);
    unlink(manager_path);
    unlink(sock_path);
    rmdir(dir);
}

TEST(monitor_container_exited_early)
{
    struct container_spec spec = {
            .out = "bye\n", .err = "", .code = 5, .flags = C_EXITED_EARLY, .max_bytes = "0"};
    struct monitor m = start_monitor(&spec);

    finish_monitor(&m, 5, 0);
    assert_log(&m, m.log, CTR_LOG_STDOUT, "bye F\n");
}

/* Without a pid namespace a process can outlive the container with its stdout open. */
TEST(monitor_drain_timeout)
{
    struct container_spec spec = {
            .out = "x\n", .err = "", .code = 0, .flags = C_KEEPS_STDOUT, .max_bytes = "0"};
    struct monitor m = start_monitor(&spec);
    int go = m.go;
    int64_t elapsed;

    /* The grandchild waits on `go`, so keep it open until the monitor is done. */
    m.go = -1;
    finish_monitor(&m, 0, 0);
    elapsed = now_ns() - m.started;
    close(go);
    ASSERT_TRUE(elapsed >= 19 * NS / 10 && elapsed < 10 * NS);
    assert_log(&m, m.log, CTR_LOG_STDOUT, "x F\n");
}
