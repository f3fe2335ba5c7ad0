/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "digest.h"
#include "unit.h"
#include "xalloc.h"

#define SHA256_EMPTY "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA256_ABC   "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA512_EMPTY                                                                               \
    "sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff831" \
    "8d2877eec2f63b931bd47417a81a538327af927da3e"
#define SHA512_ABC                                                                                 \
    "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3" \
    "c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
/* FIPS 180-2's long vectors: one million 'a'. */
#define SHA256_MILLION_A "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
#define SHA512_MILLION_A                                                                           \
    "sha512:e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb04" \
    "32ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b"

static void expect_buffer(const char *alg, const char *data, const char *want)
{
    cleanup_error struct ctr_error *err = NULL;
    char out[IMAGE_DIGEST_MAX];

    ASSERT_OK(image_digest_buffer(alg, data, strlen(data), out, &err), &err);
    ASSERT_STR_EQ(out, want);
}

TEST(known_vectors)
{
    expect_buffer("sha256", "", SHA256_EMPTY);
    expect_buffer("sha256", "abc", SHA256_ABC);
    expect_buffer("sha512", "", SHA512_EMPTY);
    expect_buffer("sha512", "abc", SHA512_ABC);
}

/* Feeds one million 'a' in uneven pieces, as blobs arrive from the network. */
static void expect_streamed(const char *alg, const char *want)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *a = xmalloc(1000000);
    struct image_hasher *h = NULL;
    char out[IMAGE_DIGEST_MAX];
    size_t done = 0, piece = 1;

    memset(a, 'a', 1000000);
    h = image_hasher_new(alg, &err);
    ASSERT_OK(h, &err);
    while (done < 1000000) {
        size_t n = piece < 1000000 - done ? piece : 1000000 - done;

        image_hasher_update(h, a + done, n);
        done += n;
        piece = piece * 7 % 65521 + 1; /* 1, 8, 57, ...: sizes that straddle block borders */
    }
    image_hasher_update(h, a, 0); /* empty updates change nothing */
    image_hasher_final(h, out);
    image_hasher_free(h);
    ASSERT_STR_EQ(out, want);

    ASSERT_OK(image_digest_buffer(alg, a, 1000000, out, &err), &err);
    ASSERT_STR_EQ(out, want);
}

TEST(streaming_equals_one_shot)
{
    expect_streamed("sha256", SHA256_MILLION_A);
    expect_streamed("sha512", SHA512_MILLION_A);
}

TEST(unknown_algorithm)
{
    cleanup_error struct ctr_error *err = NULL;
    char out[IMAGE_DIGEST_MAX];

    ASSERT_TRUE(image_hasher_new("md5", &err) == NULL);
    ASSERT_INT_EQ(err->code, ENOTSUP);
    ASSERT_STR_EQ(err->msg, "unsupported digest algorithm 'md5': expected sha256 or sha512");
    ctr_error_clear(&err);
    ASSERT_FAILS(image_digest_buffer("SHA256", "", 0, out, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "'SHA256'");
}

TEST(verify_success)
{
    cleanup_error struct ctr_error *err = NULL;
    struct image_hasher *h = image_hasher_for(SHA512_ABC, &err);

    ASSERT_OK(h, &err);
    image_hasher_update(h, "a", 1);
    image_hasher_update(h, "bc", 2);
    ASSERT_OK(image_hasher_verify(h, SHA512_ABC, &err), &err);
    image_hasher_free(h);
}

TEST(verify_mismatch)
{
    cleanup_error struct ctr_error *err = NULL;
    struct image_hasher *h = image_hasher_for(SHA256_ABC, &err);

    ASSERT_OK(h, &err);
    image_hasher_update(h, "abd", 3);
    ASSERT_FAILS(image_hasher_verify(h, SHA256_ABC, &err), &err);
    image_hasher_free(h);
    ASSERT_INT_EQ(err->code, EBADMSG);
    ASSERT_STR_EQ(err->msg, "digest mismatch: expected " SHA256_ABC ", got sha256:"
                            "a52d159f262b2c6ddb724a61840befc36eb30c88877a4030b65cbe86298449c9");
}

TEST(verify_refuses_invalid_expected)
{
    cleanup_error struct ctr_error *err = NULL;
    struct image_hasher *h = NULL;

    ASSERT_TRUE(image_hasher_for("sha256:../../etc/passwd", &err) == NULL);
    ASSERT_INT_EQ(err->code, EINVAL);
    ASSERT_STR_CONTAINS(err->msg, "invalid digest 'sha256:../../etc/passwd'");
    ctr_error_clear(&err);

    /* A hasher of the right kind, but an expected value that is not a digest at all. */
    h = image_hasher_new("sha256", &err);
    ASSERT_OK(h, &err);
    ASSERT_FAILS(image_hasher_verify(h, "sha256:E3B0", &err), &err);
    image_hasher_free(h);
    ASSERT_STR_CONTAINS(err->msg, "invalid digest 'sha256:E3B0'");
}

TEST(hex_part)
{
    ASSERT_STR_EQ(image_digest_hex(SHA256_ABC), SHA256_ABC + 7);
    ASSERT_STR_EQ(image_digest_hex(SHA512_ABC), SHA512_ABC + 7);
    ASSERT_TRUE(image_digest_hex("sha256:abc") == NULL);
    ASSERT_TRUE(image_digest_hex("") == NULL);
}

TEST(validate_accepts)
{
    static const char *const ok[] = {SHA256_EMPTY, SHA256_ABC, SHA512_EMPTY, SHA512_ABC};

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        cleanup_error struct ctr_error *err = NULL;

        ASSERT_OK(image_digest_validate(ok[i], &err), &err);
    }
}

TEST(validate_refuses)
{
    static const char hex64[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    static const char *const sha256_msg = "expected sha256: and 64 lowercase hex digits";
    static const char *const sha512_msg = "expected sha512: and 128 lowercase hex digits";
    static const struct {
        const char *input;
        const char *msg;
    } cases[] = {
            {"", "invalid digest '': expected sha256: and 64 lowercase hex digits"},
            {"sha256:", NULL},
            {"sha256", NULL},
            {hex64, NULL},
            {":e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", NULL},
            {"sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", NULL},
            {"SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", NULL},
            {"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85", NULL},
            {"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555", NULL},
            {"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n", NULL},
            {" sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", NULL},
            {"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85g", NULL},
            {"sha256:../../../../../../../../../../../../../../../../../../../../../etc/passwd",
             NULL},
            {"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855/..", NULL},
            {"sha384:"
             "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fb"
             "d51ad2f14898b95b",
             NULL},
            {"md5:d41d8cd98f00b204e9800998ecf8427e", NULL},
            {"sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha512"},
            {"sha256:"
             "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff"
             "8318d2877eec2f63b931bd47417a81a538327af927da3e",
             NULL},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cleanup_error struct ctr_error *err = NULL;

        if (image_digest_validate(cases[i].input, &err) != -1 || err == NULL)
            UNIT_FAIL("'%s' was accepted", cases[i].input);
        ASSERT_INT_EQ(err->code, EINVAL);
        ASSERT_STR_CONTAINS(err->msg, "invalid digest '");
        if (cases[i].msg != NULL && strcmp(cases[i].msg, "sha512") == 0)
            ASSERT_STR_CONTAINS(err->msg, sha512_msg);
        else if (cases[i].msg != NULL)
            ASSERT_STR_EQ(err->msg, cases[i].msg);
        else
            ASSERT_STR_CONTAINS(err->msg, sha256_msg);
    }
}

TEST(validate_message_is_short_and_printable)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *long_input = xmalloc(10001);

    memset(long_input, 'x', 10000);
    long_input[10000] = '\0';
    ASSERT_FAILS(image_digest_validate(long_input, &err), &err);
    /* 80 characters of the input, then "...". */
    ASSERT_TRUE(strlen(err->msg) < 200);
    ASSERT_STR_CONTAINS(err->msg,
                        "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                        "xxxxxxxxxxxxxxx...'");
    ctr_error_clear(&err);

    /* A registry could send escape sequences; the message must not pass them to a terminal. */
    ASSERT_FAILS(image_digest_validate("sha256:\x1b[2J\n\xff", &err), &err);
    ASSERT_STR_EQ(err->msg, "invalid digest 'sha256:?[2J?"
                            "?': expected sha256: and 64 lowercase hex digits");
}
