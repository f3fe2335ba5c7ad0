/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The k8s-file log line (ctrlog.h).  Calendar arithmetic is done here rather than with
 * gmtime_r()/timegm(): glibc's first gmtime_r() call runs tzset, which reads TZ and may load
 * /etc/localtime into malloc'd memory in the monitor, and timegm() is not in POSIX.
 */
#include <stdio.h>
#include <string.h>

#include "ctrlog.h"

#define NS_PER_SEC 1000000000LL

/*
 * Days since 1970-01-01 of a proleptic Gregorian date, and back: the era-based algorithms
 * from Howard Hinnant's "chrono-Compatible Low-Level Date Algorithms".  Valid far beyond the
 * years an int64_t of nanoseconds can reach (1677 to 2262).
 */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *ret_y, int *ret_m, int *ret_d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);

    *ret_d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *ret_m = m;
    *ret_y = yoe + era * 400 + (m <= 2);
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

size_t ctr_logline_prefix(char buf[CTR_LOGLINE_PREFIX_MAX], int64_t ns, enum ctr_log_stream stream,
                          int partial)
{
    /* Floor division, so times before 1970 keep a fraction in [0, 1e9). */
    int64_t secs = ns / NS_PER_SEC, frac = ns % NS_PER_SEC;
    int64_t days, sod, year;
    int mon, day, n;

    if (frac < 0) {
        frac += NS_PER_SEC;
        secs--;
    }
    days = secs / 86400;
    sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        days--;
    }
    civil_from_days(days, &year, &mon, &day);
    n = snprintf(buf, CTR_LOGLINE_PREFIX_MAX, "%04lld-%02d-%02dT%02d:%02d:%02d.%09lldZ %s %c ",
                 (long long)year, mon, day, (int)(sod / 3600), (int)(sod / 60 % 60),
                 (int)(sod % 60), (long long)frac, stream == CTR_LOG_STDERR ? "stderr" : "stdout",
                 partial ? 'P' : 'F');
    /* At most 40 bytes for any int64_t: years 1677 to 2262 take four digits. */
    return n < 0 ? 0 : (size_t)n;
}

/* Reads exactly `n` digits at *p (before `end`) into *ret. */
static int take_digits(const char **p, const char *end, int n, int *ret)
{
    int v = 0;

    if (end - *p < n)
        return -1;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];

        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *ret = v;
    return 0;
}

/* Consumes one of the characters in `set` at *p. */
static int take_char(const char **p, const char *end, const char *set)
{
    if (*p >= end || **p == '\0' || strchr(set, **p) == NULL)
        return -1;
    (*p)++;
    return 0;
}

int ctr_parse_rfc3339_sec(const char *s, size_t len, int64_t *ret_sec, int64_t *ret_nsec)
{
    const char *p = s, *end = s + len;
    int year, mon, day, hour, min, sec, off_h = 0, off_m = 0, sign = 0;
    int64_t frac = 0;

    if (take_digits(&p, end, 4, &year) < 0 || take_char(&p, end, "-") < 0 ||
        take_digits(&p, end, 2, &mon) < 0 || take_char(&p, end, "-") < 0 ||
        take_digits(&p, end, 2, &day) < 0 ||
        /* RFC 3339 section 5.6 lets applications write a space for the T. */
        take_char(&p, end, "Tt ") < 0 || take_digits(&p, end, 2, &hour) < 0 ||
        take_char(&p, end, ":") < 0 || take_digits(&p, end, 2, &min) < 0 ||
        take_char(&p, end, ":") < 0 || take_digits(&p, end, 2, &sec) < 0)
        return -1;
    if (take_char(&p, end, ".") == 0) {
        /* Go trims trailing zeros (".5"); digits past nanoseconds are cut, not rounded. */
        int digits = 0;

        for (; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
            if (digits < 9)
                frac = frac * 10 + (*p - '0');
        }
        if (digits == 0)
            return -1;
        for (; digits < 9; digits++)
            frac *= 10;
    }
    if (take_char(&p, end, "Zz") < 0) {
        if (p < end && (*p == '+' || *p == '-'))
            sign = *p++ == '+' ? 1 : -1;
        if (sign == 0 || take_digits(&p, end, 2, &off_h) < 0 || take_char(&p, end, ":") < 0 ||
            take_digits(&p, end, 2, &off_m) < 0)
            return -1;
    }
    /* Second 60 is a leap second, which the count cannot name: it becomes the next one. */
    if (p != end || year < 1 || mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) ||
        hour > 23 || min > 59 || sec > 60 || off_h > 23 || off_m > 59)
        return -1;
    /* The local time is UTC plus the offset.  Years 0001-9999 cannot overflow the seconds. */
    *ret_sec = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec -
               sign * (off_h * 3600 + off_m * 60);
    *ret_nsec = frac;
    return 0;
}

int ctr_parse_rfc3339(const char *s, size_t len, int64_t *ret_ns)
{
    int64_t secs, frac, ns;

    if (ctr_parse_rfc3339_sec(s, len, &secs, &frac) < 0)
        return -1;
    /* Borrow a second so that INT64_MIN, whose second alone does not fit, still parses. */
    if (secs < 0 && frac > 0) {
        secs++;
        frac -= NS_PER_SEC;
    }
    /* Outside 1677-09-21 to 2262-04-11 the nanoseconds do not fit: refused, not wrapped. */
    if (__builtin_mul_overflow(secs, NS_PER_SEC, &ns) || __builtin_add_overflow(ns, frac, &ns))
        return -1;
    *ret_ns = ns;
    return 0;
}

/* The next space-delimited field at *p, or -1 when there is no space before `end`. */
static int take_field(const char **p, const char *end, const char **ret_field, size_t *ret_len)
{
    const char *sp = memchr(*p, ' ', (size_t)(end - *p));

    if (sp == NULL)
        return -1;
    *ret_field = *p;
    *ret_len = (size_t)(sp - *p);
    *p = sp + 1;
    return 0;
}

int ctr_logline_parse(const char *line, size_t len, struct ctr_logline *ret)
{
    const char *p = line, *end = line + len, *time, *stream;
    size_t time_len, stream_len;
    struct ctr_logline l;

    if (take_field(&p, end, &time, &time_len) < 0 || ctr_parse_rfc3339(time, time_len, &l.ns) < 0 ||
        take_field(&p, end, &stream, &stream_len) < 0 || stream_len != 6)
        return -1;
    if (memcmp(stream, "stdout", 6) == 0)
        l.stream = CTR_LOG_STDOUT;
    else if (memcmp(stream, "stderr", 6) == 0)
        l.stream = CTR_LOG_STDERR;
    else
        return -1;
    if (p >= end || (*p != 'F' && *p != 'P'))
        return -1;
    l.partial = *p++ == 'P';
    /* An empty line is "... F " as written, but "... F" alone is as clear. */
    if (p < end && *p++ != ' ')
        return -1;
    l.data = p;
    l.len = (size_t)(end - p);
    *ret = l;
    return 0;
}
