/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>

#include "cleanup.h"
#include "text.h"
#include "unit.h"

static void expect_quoted(const char *word, unsigned flags, const char *want)
{
    cleanup_free char *got = ctr_systemd_quote(word, flags);

    ASSERT_STR_EQ(got, want);
}

TEST(systemd_quote_plain)
{
    expect_quoted("busybox", CTR_SYSTEMD_EXEC, "busybox");
    expect_quoted("--publish=8080:80/tcp", CTR_SYSTEMD_EXEC, "--publish=8080:80/tcp");
    expect_quoted("/srv/a,b+c@d", CTR_SYSTEMD_EXEC, "/srv/a,b+c@d");
    /* UTF-8 is written as it is. */
    expect_quoted("caf\xc3\xa9", CTR_SYSTEMD_EXEC, "caf\xc3\xa9");
}

TEST(systemd_quote_specifiers_and_variables)
{
    expect_quoted("100%", CTR_SYSTEMD_EXEC, "100%%");
    expect_quoted("%t/%N", CTR_SYSTEMD_EXEC, "%%t/%%N");
    expect_quoted("$HOME", CTR_SYSTEMD_EXEC, "$$HOME");
    expect_quoted("${X}", CTR_SYSTEMD_EXEC, "$${X}");
    /* Outside Exec*= lines '$' means nothing. */
    expect_quoted("/a$b%c", 0, "/a$b%%c");
}

TEST(systemd_quote_quotes)
{
    expect_quoted("", CTR_SYSTEMD_EXEC, "\"\"");
    expect_quoted(";", CTR_SYSTEMD_EXEC, "\";\"");
    expect_quoted("a;b", CTR_SYSTEMD_EXEC, "a;b");
    expect_quoted("hello world", CTR_SYSTEMD_EXEC, "\"hello world\"");
    expect_quoted("say \"hi\"", CTR_SYSTEMD_EXEC, "\"say \\\"hi\\\"\"");
    expect_quoted("it's", CTR_SYSTEMD_EXEC, "\"it's\"");
    expect_quoted("a\\b", CTR_SYSTEMD_EXEC, "\"a\\\\b\"");
    expect_quoted("x=$1 %d", CTR_SYSTEMD_EXEC, "\"x=$$1 %%d\"");
    expect_quoted("/my dir", 0, "\"/my dir\"");
}

TEST(systemd_quote_control_characters)
{
    expect_quoted("a\nb", CTR_SYSTEMD_EXEC, "\"a\\nb\"");
    expect_quoted("a\tb", CTR_SYSTEMD_EXEC, "\"a\\tb\"");
    expect_quoted("\x01\x7f", CTR_SYSTEMD_EXEC, "\"\\x01\\x7f\"");
    ASSERT_TRUE(ctr_systemd_quote("a\nb", 0) == NULL);
}
