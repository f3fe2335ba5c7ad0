/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "container.h"
#include "ctrlog.h"
#include "proc.h"
#include "xalloc.h"

enum {
    OPT_SINCE = 256,
    OPT_UNTIL,
};

static const struct cmd_option options[] = {
        {"follow", 'f', no_argument, 'f', NULL,
         "keep printing new output until the container exits", CMD_COMPLETE_NONE, NULL, NULL},
        {"tail", 'n', required_argument, 'n', "N", "only the last N lines (-1: all)",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"timestamps", 't', no_argument, 't', NULL,
         "start each line with the time it was written (RFC 3339)", CMD_COMPLETE_NONE, NULL, NULL},
        {"since", 0, required_argument, OPT_SINCE, "TIME", "only output written at or after TIME",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"until", 0, required_argument, OPT_UNTIL, "TIME", "only output written before TIME",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

#define NS_PER_SEC 1000000000LL
/* How often -f looks for more output and whether the container still runs. */
#define FOLLOW_POLL_NS (100 * 1000000L)

/* One record of the log: its text stays in a buffer of struct output. */
struct record {
    const char *ts; /* the time as written */
    size_t ts_len;
    const char *data;
    size_t len;
    int64_t ns;
    unsigned char stream, partial, line_start;
};

struct output {
    int timestamps;
    int64_t since, until; /* ns: since <= time < until */
    int at_start[3];      /* per stream: the next record begins a line */
    FILE *last;           /* the stream written last, flushed before the other one */
    int collecting;       /* before --tail is applied: keep records (and their buffers) */
    struct record *recs;
    size_t n_recs, cap_recs;
    char **bufs;
    size_t n_bufs;
};

static void output_clear(struct output *o)
{
    for (size_t i = 0; i < o->n_bufs; i++)
        free(o->bufs[i]);
    free(o->bufs);
    free(o->recs);
    o->bufs = NULL;
    o->recs = NULL;
    o->n_bufs = o->n_recs = o->cap_recs = 0;
}

static void emit(struct output *o, const struct record *r)
{
    FILE *f = r->stream == CTR_LOG_STDERR ? stderr : stdout;

    if (r->ns < o->since || r->ns >= o->until)
        return;
    /* Both may be one terminal: keep the order the container wrote in. */
    if (o->last != NULL && o->last != f)
        fflush(o->last);
    o->last = f;
    if (o->timestamps && o->at_start[r->stream]) {
        fwrite(r->ts, 1, r->ts_len, f);
        fputc(' ', f);
    }
    fwrite(r->data, 1, r->len, f);
    /* P parts join the next part; a last P part is output that ended without a newline. */
    if (!r->partial)
        fputc('\n', f);
    o->at_start[r->stream] = !r->partial;
}

/* Takes `buf`, `len` bytes of whole lines: prints their records, or keeps them when collecting. */
static void feed(struct output *o, char *buf, size_t len)
{
    const char *end = buf + len;

    for (const char *line = buf; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        struct ctr_logline l;
        struct record r;

        if (nl == NULL)
            nl = end;
        /* A damaged line (a crash mid-write, a full disk) is skipped. */
        if (ctr_logline_parse(line, (size_t)(nl - line), &l) == 0) {
            r.ts = line;
            r.ts_len = strcspn(line, " ");
            r.data = l.data;
            r.len = l.len;
            r.ns = l.ns;
            r.stream = (unsigned char)l.stream;
            r.partial = (unsigned char)l.partial;
            r.line_start = 0;
            if (o->collecting) {
                if (o->n_recs == o->cap_recs) {
                    o->cap_recs = o->cap_recs ? o->cap_recs * 2 : 1024;
                    o->recs = xreallocarray(o->recs, o->cap_recs, sizeof(*o->recs));
                }
                o->recs[o->n_recs++] = r;
            } else {
                emit(o, &r);
            }
        }
        line = nl + 1;
    }
    if (o->collecting) {
        o->bufs = xreallocarray(o->bufs, o->n_bufs + 1, sizeof(char *));
        o->bufs[o->n_bufs++] = buf;
    } else {
        free(buf);
    }
}

/* Prints what was collected: the records in [since, until), the last `tail` lines of them. */
static void flush_collected(struct output *o, long tail)
{
    int prev_partial[3] = {0, 0, 0};
    size_t n = 0, start, lines = 0;

    for (size_t i = 0; i < o->n_recs; i++) {
        struct record *r = &o->recs[i];

        if (r->ns < o->since || r->ns >= o->until)
            continue;
        r->line_start = !prev_partial[r->stream];
        prev_partial[r->stream] = r->partial;
        o->recs[n++] = *r;
    }
    start = tail < 0 ? 0 : n;
    /* A line is its parts of one stream; the other stream's lines may come between them. */
    for (size_t i = n; tail > 0 && i > 0 && lines < (size_t)tail; i--) {
        if (o->recs[i - 1].line_start) {
            lines++;
            start = i - 1;
        }
    }
    if (tail > 0 && lines < (size_t)tail)
        start = 0;
    for (size_t i = start; i < n; i++)
        emit(o, &o->recs[i]);
    o->collecting = 0;
    output_clear(o);
}

/* The log file being read: ctr.log, which the monitor renames to ctr.log.1 when it is full. */
struct logfile {
    const char *path;
    char *old_path;
    int fd;
    dev_t dev;
    ino_t ino;
    char *pending; /* an incomplete last line */
    size_t n_pending;
};

static void logfile_close(struct logfile *lf)
{
    if (lf->fd >= 0)
        close(lf->fd);
    lf->fd = -1;
    free(lf->pending);
    lf->pending = NULL;
    lf->n_pending = 0;
}

static int logfile_open(struct logfile *lf, struct ctr_error **err)
{
    struct stat st;

    logfile_close(lf);
    lf->fd = open(lf->path, O_RDONLY | O_CLOEXEC);
    if (lf->fd < 0)
        return errno == ENOENT ? 0 : ctr_error_errno(err, "open '%s'", lf->path);
    if (fstat(lf->fd, &st) < 0)
        return ctr_error_errno(err, "stat '%s'", lf->path);
    lf->dev = st.st_dev;
    lf->ino = st.st_ino;
    return 0;
}

/*
 * Reads `fd` to its end after `*buf` (holding *len bytes).  The whole lines go to *ret (NULL
 * when none); an incomplete last line stays in *buf.  1 when anything was read.
 */
static int read_lines(int fd, const char *path, char **buf, size_t *len, char **ret,
                      size_t *ret_len, struct ctr_error **err)
{
    size_t cap = *len + 65536;
    int got = 0;
    char *nl;

    *buf = xrealloc(*buf, cap);
    for (;;) {
        ssize_t n;

        if (cap - *len < 16384) {
            cap *= 2;
            *buf = xrealloc(*buf, cap);
        }
        n = read(fd, *buf + *len, cap - *len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ctr_error_errno(err, "read '%s'", path);
        if (n == 0)
            break;
        *len += (size_t)n;
        got = 1;
    }
    *ret = NULL;
    *ret_len = 0;
    nl = *len > 0 ? memrchr(*buf, '\n', *len) : NULL;
    if (nl != NULL) {
        size_t whole = (size_t)(nl - *buf) + 1;
        char *rest = xmalloc(*len - whole + 1);

        memcpy(rest, nl + 1, *len - whole);
        *ret = *buf;
        *ret_len = whole;
        *buf = rest;
        *len -= whole;
    }
    return got;
}

/* Reads what was appended to the current file since last time; 1 when anything was. */
static int logfile_read(struct logfile *lf, struct output *o, struct ctr_error **err)
{
    char *lines = NULL;
    size_t n = 0;
    int r;

    if (lf->fd < 0)
        return 0;
    r = read_lines(lf->fd, lf->path, &lf->pending, &lf->n_pending, &lines, &n, err);
    if (lines != NULL)
        feed(o, lines, n);
    return r;
}

/* Reads all of the rotated file `path`, unless it is the file skip1 or skip2 names. */
static int read_rotated(const char *path, struct output *o, const struct stat *skip1,
                        const struct stat *skip2, struct ctr_error **err)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    char *rest = NULL, *lines = NULL;
    size_t n_rest = 0, n = 0;
    struct stat st;
    int r;

    if (fd < 0)
        return errno == ENOENT ? 0 : ctr_error_errno(err, "open '%s'", path);
    if (fstat(fd, &st) < 0)
        return ctr_error_errno(err, "stat '%s'", path);
    if ((skip1 != NULL && st.st_dev == skip1->st_dev && st.st_ino == skip1->st_ino) ||
        (skip2 != NULL && st.st_dev == skip2->st_dev && st.st_ino == skip2->st_ino))
        return 0;
    r = read_lines(fd, path, &rest, &n_rest, &lines, &n, err);
    /* A rotated file is complete: an incomplete last line is damage, dropped. */
    free(rest);
    if (r < 0)
        return -1;
    if (lines != NULL)
        feed(o, lines, n);
    return 0;
}

/*
 * Notices the monitor's rotation (ctr.log renamed to ctr.log.1 and a new ctr.log) or a file
 * cut short, and moves to the new file after reading the rest of the old one.  1 when it did.
 */
static int logfile_check(struct logfile *lf, struct output *o, struct ctr_error **err)
{
    struct stat st, ours;

    if (stat(lf->path, &st) < 0)
        return errno == ENOENT ? 0 : ctr_error_errno(err, "stat '%s'", lf->path);
    if (lf->fd >= 0 && st.st_dev == lf->dev && st.st_ino == lf->ino) {
        off_t off = lseek(lf->fd, 0, SEEK_CUR);

        if (off < 0 || st.st_size >= off)
            return 0;
        /* Truncated: start again from its beginning. */
        if (lseek(lf->fd, 0, SEEK_SET) < 0)
            return ctr_error_errno(err, "seek '%s'", lf->path);
        free(lf->pending);
        lf->pending = NULL;
        lf->n_pending = 0;
        return 1;
    }
    if (lf->fd >= 0) {
        /* The monitor wrote its last record to the old file before renaming it. */
        if (logfile_read(lf, o, err) < 0)
            return -1;
        ours.st_dev = lf->dev;
        ours.st_ino = lf->ino;
        /* Two rotations since we last looked: ctr.log.1 is a file we have not seen. */
        if (read_rotated(lf->old_path, o, &ours, &st, err) < 0)
            return -1;
    }
    if (logfile_open(lf, err) < 0)
        return -1;
    return 1;
}

/* Reads ctr.log.1 and ctr.log as they are now, and the rotations that happen meanwhile. */
static int read_current(struct logfile *lf, struct output *o, struct ctr_error **err)
{
    struct stat ours;
    int r;

    if (logfile_open(lf, err) < 0)
        return -1;
    ours.st_dev = lf->dev;
    ours.st_ino = lf->ino;
    if (read_rotated(lf->old_path, o, lf->fd >= 0 ? &ours : NULL, NULL, err) < 0 ||
        logfile_read(lf, o, err) < 0)
        return -1;
    while ((r = logfile_check(lf, o, err)) > 0) {
        if (logfile_read(lf, o, err) < 0)
            return -1;
    }
    return r;
}

/* 1 while the container runs or its monitor may still write; 0 when it is gone. */
static int still_running(struct storage *s, const char *id, struct ctr_error **err)
{
    struct storage_container c = {0};
    int alive;

    if (storage_container_find(s, id, &c, err) < 0) {
        if ((*err)->code != ENOENT)
            return -1;
        ctr_error_clear(err);
        return 0;
    }
    alive = c.state == STORAGE_CONTAINER_RUNNING ||
            (c.monitor_pid > 0 && ctr_proc_alive(c.monitor_pid, c.monitor_start));
    storage_container_clear(&c);
    return alive;
}

/* Writes what is buffered; 1 when stdout is closed (a reader like `head` is done). */
static int flush_output(struct ctr_error **err)
{
    fflush(stderr);
    if (fflush(stdout) == 0 && !ferror(stdout))
        return 0;
    if (errno == EPIPE) {
        clearerr(stdout);
        return 1;
    }
    return ctr_error_errno(err, "write output");
}

static int follow(struct storage *s, const char *id, struct logfile *lf, struct output *o,
                  struct ctr_error **err)
{
    const struct timespec pause = {0, FOLLOW_POLL_NS};
    int last_round = 0, r, closed;

    for (;;) {
        r = logfile_read(lf, o, err);
        if (r == 0)
            r = logfile_check(lf, o, err);
        if (r < 0)
            return -1;
        closed = flush_output(err);
        if (closed != 0)
            return closed < 0 ? -1 : 0;
        /* Something new, or a new file: look again at once. */
        if (r > 0)
            continue;
        if (last_round)
            return 0;
        /* Once it is gone (or --until passed), one more round reads what it wrote last. */
        if (ctr_now_ns() >= o->until) {
            last_round = 1;
            continue;
        }
        r = still_running(s, id, err);
        if (r < 0)
            return -1;
        if (r == 0) {
            last_round = 1;
            continue;
        }
        nanosleep(&pause, NULL);
    }
}

/* A Go duration ("1h30m", "1.5s", "300ms"); 0 on success. */
static int parse_duration(const char *s, int64_t *ret)
{
    static const struct {
        const char *unit;
        double ns;
    } units[] = {
            {"ns", 1},   {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
            {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9},
    };
    double total = 0;
    int sign = 1;

    if (*s == '-' || *s == '+')
        sign = *s++ == '-' ? -1 : 1;
    if (strcmp(s, "0") == 0) {
        *ret = 0;
        return 0;
    }
    if (*s == '\0')
        return -1;
    while (*s != '\0') {
        size_t digits = strspn(s, "0123456789"), best = 0;
        char *end = NULL;
        double v;
        size_t u = sizeof(units) / sizeof(units[0]);

        if (digits == 0 && !(s[0] == '.' && s[1] >= '0' && s[1] <= '9'))
            return -1;
        errno = 0;
        v = strtod(s, &end);
        if (errno != 0 || end == s || *end == 'e' || *end == 'E')
            return -1;
        /* The longest unit that matches: "ms" before "m". */
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
            size_t n = strlen(units[i].unit);

            if (strncmp(end, units[i].unit, n) == 0 && n > best) {
                best = n;
                u = i;
            }
        }
        if (u == sizeof(units) / sizeof(units[0]))
            return -1;
        total += v * units[u].ns;
        s = end + best;
    }
    if (total > 9.2e18)
        return -1;
    *ret = sign * (int64_t)total;
    return 0;
}

/* Unix seconds with up to nine decimals ("1714564800.5"); 0 on success. */
static int parse_unix(const char *s, int64_t *ret)
{
    size_t digits = strspn(s, "0123456789");
    int64_t secs = 0, frac = 0;
    int n = 0;

    if (digits == 0 || digits > 11)
        return -1;
    for (size_t i = 0; i < digits; i++)
        secs = secs * 10 + (s[i] - '0');
    s += digits;
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++, n++) {
            if (n < 9)
                frac = frac * 10 + (*s - '0');
        }
        if (n == 0)
            return -1;
        for (; n < 9; n++)
            frac *= 10;
    }
    if (*s != '\0')
        return -1;
    *ret = secs * NS_PER_SEC + frac;
    return 0;
}

/* "2024-05-01" or "2024-05-01T12:00:00" (also with a space), in local time; 0 on success. */
static int parse_local(const char *s, int64_t *ret)
{
    static const char *const formats[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"};

    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        struct tm tm = {0};
        const char *end = strptime(s, formats[i], &tm);
        time_t t;

        if (end == NULL || *end != '\0')
            continue;
        tm.tm_isdst = -1;
        t = mktime(&tm);
        if (t == (time_t)-1)
            return -1;
        *ret = (int64_t)t * NS_PER_SEC;
        return 0;
    }
    return -1;
}

static int parse_time(const char *opt, const char *arg, int64_t now, int64_t *ret,
                      struct ctr_error **err)
{
    int64_t d;

    if (ctr_parse_rfc3339(arg, strlen(arg), ret) == 0 || parse_unix(arg, ret) == 0 ||
        parse_local(arg, ret) == 0)
        return 0;
    if (parse_duration(arg, &d) == 0) {
        *ret = now - d;
        return 0;
    }
    return cmd_usage_error("logs", err,
                           "%s takes an RFC 3339 time, unix seconds or a duration such as "
                           "'10m', got '%s'",
                           opt, arg);
}

int cmd_logs(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct cmd_getopt g;
    struct output o = {.since = INT64_MIN, .until = INT64_MAX, .at_start = {1, 1, 1}};
    struct storage_container ct = {0};
    struct container_dirs d = {0};
    struct logfile lf = {.fd = -1};
    int64_t now = ctr_now_ns();
    struct storage *s;
    int c, follow_opt = 0, r = -1;
    long tail = -1;
    unsigned n;

    cmd_getopt_init(&g, options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        switch (c) {
        case 'f':
            follow_opt = 1;
            break;
        case 'n':
            if (strcmp(optarg, "-1") == 0)
                tail = -1;
            else if (cmd_parse_uint("logs", "--tail", optarg, INT_MAX, &n, err) < 0)
                return -1;
            else
                tail = n;
            break;
        case 't':
            o.timestamps = 1;
            break;
        case OPT_SINCE:
            if (parse_time("--since", optarg, now, &o.since, err) < 0)
                return -1;
            break;
        case OPT_UNTIL:
            if (parse_time("--until", optarg, now, &o.until, err) < 0)
                return -1;
            break;
        case 'h':
            cmd_print_help(&ctr_cmd_logs);
            return 0;
        default:
            return cmd_getopt_error("logs", c, argv, err);
        }
    }
    if (optind >= argc)
        return cmd_usage_error("logs", err, "needs a container");
    if (argc - optind > 1)
        return cmd_usage_error("logs", err, "takes one container, got %d", argc - optind);
    s = ctx_store(ctx, err);
    if (s == NULL || storage_container_find(s, argv[optind], &ct, err) < 0)
        return -1;
    /* Lines go out whole on both streams (flushed when the stream changes), not per call. */
    setvbuf(stderr, NULL, _IOFBF, BUFSIZ);
    container_dirs_init(&d, s, ct.id);
    lf.path = d.log;
    lf.old_path = xasprintf("%s.1", d.log);
    o.collecting = 1;
    if (read_current(&lf, &o, err) < 0)
        goto out;
    flush_collected(&o, tail);
    if (follow_opt) {
        if (follow(s, ct.id, &lf, &o, err) < 0)
            goto out;
    } else if (flush_output(err) < 0) {
        goto out;
    }
    r = 0;
out:
    output_clear(&o);
    logfile_close(&lf);
    free(lf.old_path);
    container_dirs_clear(&d);
    storage_container_clear(&ct);
    return r;
}

const struct ctr_command ctr_cmd_logs = {
        .name = "logs",
        .run = cmd_logs,
        .flags = CMD_NEEDS_STORE,
        .summary = "Show the output of a container",
        .synopsis = "logs [OPTIONS] CONTAINER",
        .description =
                "Show what a detached container wrote: its standard output on ours, its "
                "standard\nerror on ours, byte for byte.  (A container run in the foreground "
                "wrote to the\nterminal directly and has no log.)\n\nTIME is an RFC 3339 time "
                "(2024-05-01T12:00:00Z; without a zone: local time; or a\ndate alone), unix "
                "seconds (1714564800.5), or a duration before now (10m, 1h30m).\n",
        .options = options,
        .operand = CMD_COMPLETE_CONTAINER,
        .operands = CMD_COMPLETE_NONE,
};
