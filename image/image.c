/* SPDX-License-Identifier: Apache-2.0 */
#include <archive.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>

#include "image.h"

const char *image_libcurl_version(void)
{
    return curl_version_info(CURLVERSION_NOW)->version;
}

const char *image_libarchive_version(void)
{
    /* "libarchive 3.6.2": the number alone reads better beside the others. */
    const char *v = archive_version_string();
    const char *prefix = "libarchive ";

    for (const char *p = prefix; *p != '\0'; p++, v++) {
        if (*v != *p)
            return archive_version_string();
    }
    return v;
}

const char *image_jansson_version(void)
{
    return jansson_version_str();
}

const char *image_libcrypto_version(void)
{
    /* The numbers, not OpenSSL_version(): its text carries a build date and a name. */
    static char v[32];

    snprintf(v, sizeof(v), "%u.%u.%u", OPENSSL_version_major(), OPENSSL_version_minor(),
             OPENSSL_version_patch());
    return v;
}

/*
 * Nothing left to do at startup: libcurl is loaded, and curl_global_init() run, by the first
 * curl call (dl-curl.c), so that commands without a registry never load it.  Kept so that
 * callers need not change; a libcurl that cannot start ends the process there instead.
 */
int image_global_init(const char **ret_msg)
{
    (void)ret_msg;
    return 0;
}
