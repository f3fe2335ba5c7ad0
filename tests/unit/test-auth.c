/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>

#include "auth.h"
#include "cleanup.h"
#include "unit.h"
#include "xalloc.h"

static void parse_ok(const char *h, struct image_auth_challenges *c)
{
    cleanup_error struct ctr_error *err = NULL;

    ASSERT_OK(image_auth_parse(h, c, &err), &err);
}

static void parse_fails(const char *h, const char *msg)
{
    cleanup_error struct ctr_error *err = NULL;
    struct image_auth_challenges c;

    ASSERT_FAILS(image_auth_parse(h, &c, &err), &err);
    ASSERT_STR_EQ(err->msg, msg);
    image_auth_challenges_clear(&c);
}

TEST(bearer_as_registries_send_it)
{
    struct image_auth_challenges c;
    const struct image_auth_challenge *b;

    parse_ok("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
             "scope=\"repository:library/busybox:pull\"",
             &c);
    ASSERT_UINT_EQ(c.n, 1);
    b = image_auth_find(&c, "bearer");
    ASSERT_TRUE(b != NULL);
    ASSERT_STR_EQ(b->scheme, "bearer");
    ASSERT_UINT_EQ(b->n_params, 3);
    ASSERT_STR_EQ(image_auth_param(b, "realm"), "https://auth.docker.io/token");
    ASSERT_STR_EQ(image_auth_param(b, "SERVICE"), "registry.docker.io");
    ASSERT_STR_EQ(image_auth_param(b, "scope"), "repository:library/busybox:pull");
    ASSERT_TRUE(image_auth_param(b, "error") == NULL);
    image_auth_challenges_clear(&c);
}

TEST(basic_and_case)
{
    struct image_auth_challenges c;

    parse_ok("BASIC Realm=\"Registry Realm\"", &c);
    ASSERT_UINT_EQ(c.n, 1);
    ASSERT_STR_EQ(c.items[0].scheme, "basic");
    ASSERT_STR_EQ(c.items[0].params[0].name, "realm");
    ASSERT_STR_EQ(image_auth_param(&c.items[0], "realm"), "Registry Realm");
    ASSERT_TRUE(image_auth_find(&c, "Basic") != NULL);
    ASSERT_TRUE(image_auth_find(&c, "bearer") == NULL);
    image_auth_challenges_clear(&c);
}

TEST(several_challenges_rfc7235_example)
{
    struct image_auth_challenges c;

    parse_ok("Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", Basic "
             "realm=\"simple\"",
             &c);
    ASSERT_UINT_EQ(c.n, 2);
    ASSERT_STR_EQ(c.items[0].scheme, "newauth");
    ASSERT_UINT_EQ(c.items[0].n_params, 3);
    ASSERT_STR_EQ(image_auth_param(&c.items[0], "type"), "1");
    ASSERT_STR_EQ(image_auth_param(&c.items[0], "title"), "Login to \"apps\"");
    ASSERT_STR_EQ(c.items[1].scheme, "basic");
    ASSERT_STR_EQ(image_auth_param(&c.items[1], "realm"), "simple");
    image_auth_challenges_clear(&c);
}

TEST(token68_and_bare_scheme)
{
    struct image_auth_challenges c;

    parse_ok("Negotiate abc+/def==, Basic, Bearer realm=x", &c);
    ASSERT_UINT_EQ(c.n, 3);
    ASSERT_STR_EQ(c.items[0].token68, "abc+/def==");
    ASSERT_UINT_EQ(c.items[0].n_params, 0);
    ASSERT_STR_EQ(c.items[1].scheme, "basic");
    ASSERT_UINT_EQ(c.items[1].n_params, 0);
    ASSERT_TRUE(c.items[1].token68 == NULL);
    ASSERT_STR_EQ(image_auth_param(&c.items[2], "realm"), "x");
    image_auth_challenges_clear(&c);
}

TEST(whitespace_and_empty_elements)
{
    struct image_auth_challenges c;

    parse_ok(" ,Bearer   realm = \"r\" ,  service=s ,, ", &c);
    ASSERT_UINT_EQ(c.n, 1);
    ASSERT_STR_EQ(image_auth_param(&c.items[0], "realm"), "r");
    ASSERT_STR_EQ(image_auth_param(&c.items[0], "service"), "s");
    image_auth_challenges_clear(&c);
}

TEST(malformed)
{
    parse_fails("", "empty WWW-Authenticate header");
    parse_fails("  ,  ", "empty WWW-Authenticate header");
    parse_fails("Bearer realm=\"unterminated",
                "invalid WWW-Authenticate header: parameter 'realm': unterminated quoted string");
    parse_fails("Bearer realm=\"a\nb\"", "invalid WWW-Authenticate header: parameter 'realm': "
                                         "control character in a quoted string");
    parse_fails("Bearer realm=\"x\", service=",
                "invalid WWW-Authenticate header: parameter 'service' has no value");
    parse_fails("\"Bearer\"", "invalid WWW-Authenticate header: unexpected '\"' at offset 0");
    parse_fails("Bearer \"x\"", "invalid WWW-Authenticate header: unexpected '\"' at offset 7");
    parse_fails("Bearer realm=a b", "invalid WWW-Authenticate header: unexpected 'b' at offset 15");
}

TEST(oversized_header)
{
    size_t n = IMAGE_AUTH_HEADER_MAX + 10;
    cleanup_free char *h = xmalloc(n + 1);

    memset(h, 'a', n);
    h[n] = '\0';
    parse_fails(h, "WWW-Authenticate header longer than 8192 bytes");
}
