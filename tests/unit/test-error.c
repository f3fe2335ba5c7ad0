/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>

#include "cleanup.h"
#include "log.h"
#include "unit.h"

static int fails_with_errno(struct ctr_error **err)
{
    errno = ENOENT;
    return ctr_error_errno(err, "open '%s'", "x");
}

TEST(set)
{
    cleanup_error struct ctr_error *err = NULL;

    ASSERT_INT_EQ(ctr_error_set(&err, EINVAL, "bad '%s'", "thing"), -1);
    ASSERT_INT_EQ(err->code, EINVAL);
    ASSERT_STR_EQ(err->msg, "bad 'thing'");
}

TEST(errno_appends_strerror)
{
    cleanup_error struct ctr_error *err = NULL;

    ASSERT_FAILS(fails_with_errno(&err), &err);
    ASSERT_INT_EQ(err->code, ENOENT);
    ASSERT_STR_EQ(err->msg, "open 'x': No such file or directory");
}

TEST(errnum_accepts_negative)
{
    cleanup_error struct ctr_error *err = NULL;

    ctr_error_errnum(&err, -EACCES, "seccomp");
    ASSERT_INT_EQ(err->code, EACCES);
    ASSERT_STR_EQ(err->msg, "seccomp: Permission denied");
}

TEST(wrap_prefixes_and_keeps_code)
{
    cleanup_error struct ctr_error *err = NULL;

    ctr_error_set(&err, ECONNREFUSED, "connection refused");
    ASSERT_INT_EQ(ctr_error_wrap(&err, "fetch blob '%s'", "sha256:ab"), -1);
    ctr_error_wrap(&err, "pull '%s'", "alpine");
    ASSERT_INT_EQ(err->code, ECONNREFUSED);
    ASSERT_STR_EQ(err->msg, "pull 'alpine': fetch blob 'sha256:ab': connection refused");
}

TEST(null_err_is_allowed)
{
    ASSERT_INT_EQ(ctr_error_set(NULL, EINVAL, "dropped"), -1);
}

TEST(clear)
{
    struct ctr_error *err = NULL;

    ctr_error_set(&err, 1, "x");
    ctr_error_clear(&err);
    ASSERT_TRUE(err == NULL);
    ctr_error_free(NULL);
}

TEST(log_levels)
{
    cleanup_error struct ctr_error *err = NULL;
    enum ctr_log_level level = CTR_LOG_ERROR;

    ASSERT_OK(ctr_log_parse_level("debug", &level, &err), &err);
    ASSERT_INT_EQ(level, CTR_LOG_DEBUG);
    ASSERT_OK(ctr_log_parse_level("warn", &level, &err), &err);
    ASSERT_INT_EQ(level, CTR_LOG_WARN);
    ASSERT_FAILS(ctr_log_parse_level("loud", &level, &err), &err);
    ASSERT_STR_EQ(err->msg, "invalid log level 'loud': use error, warn, info, debug or trace");
}
