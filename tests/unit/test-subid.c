/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "subid.h"
#include "unit.h"

static void parse(const char *text, const char *name, uid_t uid, struct ctr_subid *s)
{
    ctr_subid_parse(text, strlen(text), name, uid, s);
}

TEST(by_name)
{
    struct ctr_subid s;

    parse("alice:100000:65536\nbob:165536:65536\n", "alice", 1000, &s);
    ASSERT_UINT_EQ(s.n_ranges, 1);
    ASSERT_UINT_EQ(s.ranges[0].start, 100000);
    ASSERT_UINT_EQ(s.ranges[0].count, 65536);
    ASSERT_UINT_EQ(s.ranges[0].line, 1);
    ASSERT_INT_EQ(s.ranges[0].by_uid, 0);
    ASSERT_UINT_EQ(s.n_problems, 0);
    ASSERT_UINT_EQ(ctr_subid_total(&s), 65536);
    ctr_subid_clear(&s);
}

TEST(by_uid)
{
    struct ctr_subid s;

    /* newuidmap accepts a numeric owner for the caller's uid; so must we. */
    parse("bob:1:2\n1000:200000:1000\n", "alice", 1000, &s);
    ASSERT_UINT_EQ(s.n_ranges, 1);
    ASSERT_UINT_EQ(s.ranges[0].start, 200000);
    ASSERT_UINT_EQ(s.ranges[0].line, 2);
    ASSERT_INT_EQ(s.ranges[0].by_uid, 1);
    ctr_subid_clear(&s);
}

TEST(several_ranges_and_overlap)
{
    struct ctr_subid s;

    parse("alice:100000:100\nalice:100050:100\n1000:500000:10\n", "alice", 1000, &s);
    ASSERT_UINT_EQ(s.n_ranges, 3);
    /* 100000..100149 is 150 ids; the overlap counts once. */
    ASSERT_UINT_EQ(ctr_subid_total(&s), 160);
    ctr_subid_clear(&s);
}

TEST(no_name_matches_uid_only)
{
    struct ctr_subid s;

    parse("alice:100000:10\n42:7:3\n", NULL, 42, &s);
    ASSERT_UINT_EQ(s.n_ranges, 1);
    ASSERT_UINT_EQ(s.ranges[0].start, 7);
    ctr_subid_clear(&s);
}

TEST(comments_blank_and_no_final_newline)
{
    struct ctr_subid s;

    parse("# ranges\n\nalice:1:2", "alice", 5, &s);
    ASSERT_UINT_EQ(s.n_ranges, 1);
    ASSERT_UINT_EQ(s.ranges[0].line, 3);
    ASSERT_UINT_EQ(s.n_problems, 0);
    ctr_subid_clear(&s);
}

static void expect_malformed(const char *line, const char *reason)
{
    struct ctr_subid s;
    char text[256];

    snprintf(text, sizeof(text), "alice:10:5\n%s\nalice:20:5\n", line);
    parse(text, "alice", 1000, &s);
    if (s.n_problems != 1)
        UNIT_FAIL("line '%s': %zu problems, expected 1", line, s.n_problems);
    ASSERT_UINT_EQ(s.problems[0].line, 2);
    ASSERT_STR_EQ(s.problems[0].reason, reason);
    /* The good lines around a bad one still count. */
    ASSERT_UINT_EQ(s.n_ranges, 2);
    ASSERT_UINT_EQ(s.ranges[1].line, 3);
    ctr_subid_clear(&s);
}

TEST(malformed_lines)
{
    expect_malformed("alice:100000", "expected OWNER:START:COUNT");
    expect_malformed("alice", "expected OWNER:START:COUNT");
    expect_malformed("alice:1:2:3", "expected OWNER:START:COUNT");
    expect_malformed(":100000:65536", "empty owner");
    expect_malformed("alice::65536", "start is not a decimal id");
    expect_malformed("alice:-1:65536", "start is not a decimal id");
    expect_malformed("alice:+5:65536", "start is not a decimal id");
    expect_malformed("alice: 5:65536", "start is not a decimal id");
    expect_malformed("alice:0x10:65536", "start is not a decimal id");
    expect_malformed("alice:99999999999:1", "start is not a decimal id");
    expect_malformed("alice:5:", "count is not a decimal number");
    expect_malformed("alice:5:65536 ", "count is not a decimal number");
    expect_malformed("alice:5:65536\r", "count is not a decimal number");
    expect_malformed("alice:5:0", "count is zero");
    expect_malformed("alice:4294967290:10", "range goes past the largest id 4294967294");
}

TEST(malformed_line_of_another_user_is_reported)
{
    struct ctr_subid s;

    parse("bob:abc:1\nalice:1:1\n", "alice", 1000, &s);
    ASSERT_UINT_EQ(s.n_problems, 1);
    ASSERT_UINT_EQ(s.n_ranges, 1);
    ctr_subid_clear(&s);
}

TEST(nul_byte)
{
    static const char text[] = "alice:1:1\nal\0ce:2:2\n";
    struct ctr_subid s;

    ctr_subid_parse(text, sizeof(text) - 1, "alice", 1000, &s);
    ASSERT_UINT_EQ(s.n_ranges, 1);
    ASSERT_UINT_EQ(s.n_problems, 1);
    ASSERT_STR_EQ(s.problems[0].reason, "line contains a NUL byte");
    ctr_subid_clear(&s);
}

TEST(largest_range)
{
    struct ctr_subid s;

    parse("alice:0:4294967295\n", "alice", 1000, &s);
    ASSERT_UINT_EQ(s.n_ranges, 1);
    ASSERT_UINT_EQ(ctr_subid_total(&s), 4294967295UL);
    ctr_subid_clear(&s);
}

TEST(read_missing_file)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_subid s;

    ASSERT_OK(ctr_subid_read("/nonexistent/subuid", "alice", 1000, &s, &err), &err);
    ASSERT_INT_EQ(s.file_missing, 1);
    ASSERT_UINT_EQ(s.n_ranges, 0);
    ctr_subid_clear(&s);
}

TEST(read_file)
{
    cleanup_error struct ctr_error *err = NULL;
    char path[] = "/tmp/ctr-test-subid-XXXXXX";
    int fd = mkstemp(path);
    struct ctr_subid s;

    ASSERT_TRUE(fd >= 0);
    ASSERT_TRUE(write(fd, "alice:7:8\n", 10) == 10);
    close(fd);
    ASSERT_OK(ctr_subid_read(path, "alice", 1000, &s, &err), &err);
    unlink(path);
    ASSERT_INT_EQ(s.file_missing, 0);
    ASSERT_UINT_EQ(s.n_ranges, 1);
    ASSERT_UINT_EQ(s.ranges[0].count, 8);
    ctr_subid_clear(&s);
}

TEST(read_directory_fails)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_subid s;

    ASSERT_FAILS(ctr_subid_read("/", "alice", 1000, &s, &err), &err);
    ASSERT_INT_EQ(err->code, EISDIR);
    ASSERT_STR_CONTAINS(err->msg, "read '/'");
}

TEST(suggest_start_after_everyone)
{
    struct ctr_subid s;

    parse("", "alice", 1000, &s);
    ASSERT_UINT_EQ(ctr_subid_suggest_start(&s, 65536), 100000);
    ctr_subid_clear(&s);
    /* After the highest range anyone holds, not only the user's, so advice never overlaps. */
    parse("bob:100000:65536\ncarol:300000:10\nbad:1:x\n", "alice", 1000, &s);
    ASSERT_UINT_EQ(ctr_subid_suggest_start(&s, 65536), 300010);
    ctr_subid_clear(&s);
    parse("bob:10:5\n", "alice", 1000, &s);
    ASSERT_UINT_EQ(ctr_subid_suggest_start(&s, 65536), 100000);
    ctr_subid_clear(&s);
}
