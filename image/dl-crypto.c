/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libcrypto, loaded on first use (dl.h says why): digests and base64.  Every OpenSSL function
 * ctr calls is defined here; one missing shows up as an undefined reference when linking.
 * libcurl loads the same libcrypto for TLS; the dynamic loader maps it once.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "dl.h"

#ifndef CTR_SONAME_CRYPTO
#define CTR_SONAME_CRYPTO "libcrypto.so.3"
#endif
#ifndef CTR_PACKAGE_CRYPTO
#define CTR_PACKAGE_CRYPTO "libssl3"
#endif

DL_LIBRARY(crypto, "libcrypto", CTR_SONAME_CRYPTO, CTR_PACKAGE_CRYPTO, NULL)

DL_FUNC(crypto, unsigned int, OPENSSL_version_major, (void), ())
DL_FUNC(crypto, unsigned int, OPENSSL_version_minor, (void), ())
DL_FUNC(crypto, unsigned int, OPENSSL_version_patch, (void), ())

DL_FUNC(crypto, const EVP_MD *, EVP_sha256, (void), ())
DL_FUNC(crypto, const EVP_MD *, EVP_sha512, (void), ())
DL_FUNC(crypto, EVP_MD_CTX *, EVP_MD_CTX_new, (void), ())
DL_VOID(crypto, EVP_MD_CTX_free, (EVP_MD_CTX * ctx), (ctx))
DL_FUNC(crypto, int, EVP_DigestInit_ex, (EVP_MD_CTX * ctx, const EVP_MD *type, ENGINE *impl),
        (ctx, type, impl))
DL_FUNC(crypto, int, EVP_DigestUpdate, (EVP_MD_CTX * ctx, const void *d, size_t cnt), (ctx, d, cnt))
DL_FUNC(crypto, int, EVP_DigestFinal_ex, (EVP_MD_CTX * ctx, unsigned char *md, unsigned int *s),
        (ctx, md, s))

DL_FUNC(crypto, int, EVP_EncodeBlock, (unsigned char *t, const unsigned char *f, int n), (t, f, n))
DL_FUNC(crypto, int, EVP_DecodeBlock, (unsigned char *t, const unsigned char *f, int n), (t, f, n))
