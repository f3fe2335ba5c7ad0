/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cleanup.h"
#include "digest.h"
#include "quote.h"
#include "xalloc.h"

struct algorithm {
    const char *name;
    size_t hex_len;
    const EVP_MD *(*md)(void);
};

/*
 * sha384 is also registered by the OCI spec, but no registry we know of emits it; accepting
 * fewer algorithms means fewer untested paths for content that decides what gets unpacked.
 */
static const struct algorithm algorithms[] = {
        {"sha256", 64, EVP_sha256},
        {"sha512", 128, EVP_sha512},
};

struct image_hasher {
    const struct algorithm *alg;
    EVP_MD_CTX *ctx;
    int finished;
};

static const struct algorithm *find_algorithm(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(algorithms) / sizeof(algorithms[0]); i++) {
        if (strlen(algorithms[i].name) == len && memcmp(algorithms[i].name, name, len) == 0)
            return &algorithms[i];
    }
    return NULL;
}

static int is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* The algorithm of a valid digest, or NULL. */
static const struct algorithm *digest_algorithm(const char *s)
{
    const char *colon = strchr(s, ':');
    const struct algorithm *alg;
    const char *hex;

    if (colon == NULL)
        return NULL;
    alg = find_algorithm(s, (size_t)(colon - s));
    if (alg == NULL)
        return NULL;
    hex = colon + 1;
    for (size_t i = 0; i < alg->hex_len; i++) {
        /* Stops at the NUL of a short string, which is not hex. */
        if (!is_lower_hex(hex[i]))
            return NULL;
    }
    return hex[alg->hex_len] == '\0' ? alg : NULL;
}

int image_digest_validate(const char *s, struct ctr_error **err)
{
    cleanup_free char *quoted = NULL;
    const char *expect = "sha256: and 64 lowercase hex digits";

    if (digest_algorithm(s) != NULL)
        return 0;
    /* Name the shape the user most likely meant, from the algorithm they wrote. */
    if (strncmp(s, "sha512:", 7) == 0)
        expect = "sha512: and 128 lowercase hex digits";
    quoted = image_quote(s);
    return ctr_error_set(err, EINVAL, "invalid digest '%s': expected %s", quoted, expect);
}

const char *image_digest_hex(const char *s)
{
    if (digest_algorithm(s) == NULL)
        return NULL;
    return strchr(s, ':') + 1;
}

/*
 * libcrypto fails these calls only when it cannot allocate or the provider is broken; both are
 * treated like out-of-memory (see xalloc.h) so that update and final need no error paths.
 */
static void __attribute__((noreturn)) crypto_failed(void)
{
    static const char msg[] = "ctr: libcrypto digest operation failed\n";

    if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
        /* nothing left to report with */
    }
    abort();
}

static struct image_hasher *hasher_new(const struct algorithm *alg, struct ctr_error **err)
{
    struct image_hasher *h = xzalloc(sizeof(*h));

    h->alg = alg;
    h->ctx = EVP_MD_CTX_new();
    if (h->ctx == NULL)
        crypto_failed();
    /* Can fail for real: a FIPS-only provider configuration may refuse an algorithm. */
    if (EVP_DigestInit_ex(h->ctx, alg->md(), NULL) != 1) {
        image_hasher_free(h);
        ctr_error_set(err, ENOTSUP, "libcrypto cannot compute %s digests", alg->name);
        return NULL;
    }
    return h;
}

struct image_hasher *image_hasher_new(const char *algorithm, struct ctr_error **err)
{
    const struct algorithm *alg = find_algorithm(algorithm, strlen(algorithm));

    if (alg == NULL) {
        cleanup_free char *quoted = image_quote(algorithm);

        ctr_error_set(err, ENOTSUP, "unsupported digest algorithm '%s': expected sha256 or sha512",
                      quoted);
        return NULL;
    }
    return hasher_new(alg, err);
}

void image_hasher_update(struct image_hasher *h, const void *data, size_t len)
{
    if (h->finished)
        abort(); /* a caller bug: the result was already taken */
    if (len > 0 && EVP_DigestUpdate(h->ctx, data, len) != 1)
        crypto_failed();
}

void image_hasher_final(struct image_hasher *h, char out[IMAGE_DIGEST_MAX])
{
    static const char hexdigits[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    size_t n;

    if (h->finished)
        abort(); /* a caller bug: the result was already taken */
    if (EVP_DigestFinal_ex(h->ctx, md, &md_len) != 1 || md_len * 2 != h->alg->hex_len)
        crypto_failed();
    h->finished = 1;
    n = strlen(h->alg->name);
    memcpy(out, h->alg->name, n);
    out[n++] = ':';
    for (unsigned int i = 0; i < md_len; i++) {
        out[n++] = hexdigits[md[i] >> 4];
        out[n++] = hexdigits[md[i] & 0xf];
    }
    out[n] = '\0';
}

void image_hasher_free(struct image_hasher *h)
{
    if (h == NULL)
        return;
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

struct image_hasher *image_hasher_for(const char *expected, struct ctr_error **err)
{
    const struct algorithm *alg = digest_algorithm(expected);

    if (alg == NULL) {
        image_digest_validate(expected, err);
        return NULL;
    }
    return hasher_new(alg, err);
}

int image_hasher_verify(struct image_hasher *h, const char *expected, struct ctr_error **err)
{
    char got[IMAGE_DIGEST_MAX];

    image_hasher_final(h, got);
    if (strcmp(got, expected) == 0)
        return 0;
    if (digest_algorithm(expected) == NULL)
        return image_digest_validate(expected, err);
    return ctr_error_set(err, EBADMSG, "digest mismatch: expected %s, got %s", expected, got);
}

int image_digest_buffer(const char *algorithm, const void *data, size_t len,
                        char out[IMAGE_DIGEST_MAX], struct ctr_error **err)
{
    struct image_hasher *h = image_hasher_new(algorithm, err);

    if (h == NULL)
        return -1;
    image_hasher_update(h, data, len);
    image_hasher_final(h, out);
    image_hasher_free(h);
    return 0;
}
