/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image/dl-*.c: libcurl, libarchive and libcrypto are not mapped until ctr first calls them,
 * and the wrappers hand every argument through with its type intact.
 */
#include <errno.h>
#include <stdbool.h>

#include <archive.h>
#include <curl/curl.h>

#include "cleanup.h"
#include "digest.h"
#include "image.h"
#include "unit.h"

/* Whether a file whose name starts with `prefix` ("libcurl") is mapped into this process. */
static bool mapped(const char *prefix)
{
    cleanup_fclose FILE *f = fopen("/proc/self/maps", "re");
    char line[4096];
    cleanup_free char *needle = NULL;

    ASSERT_TRUE(f != NULL);
    ASSERT_TRUE(asprintf(&needle, "/%s", prefix) > 0);
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strstr(line, needle) != NULL)
            return true;
    }
    return false;
}

static void expect_mapped(bool curl, bool archive, bool crypto)
{
    ASSERT_INT_EQ(mapped("libcurl"), curl);
    ASSERT_INT_EQ(mapped("libarchive"), archive);
    ASSERT_INT_EQ(mapped("libcrypto"), crypto);
}

TEST(nothing_loaded_at_startup)
{
    const char *msg = NULL;

    expect_mapped(false, false, false);
    /* What every command runs at startup loads nothing either. */
    ASSERT_INT_EQ(image_global_init(&msg), 0);
    expect_mapped(false, false, false);
    /* Nor anything libcurl would have pulled in. */
    ASSERT_TRUE(!mapped("libgnutls"));
    ASSERT_TRUE(!mapped("libldap"));
    ASSERT_TRUE(!mapped("libxml2"));
}

TEST(archive_loads_on_first_use)
{
    const char *v = image_libarchive_version();

    ASSERT_TRUE(v[0] >= '1' && v[0] <= '9');
    expect_mapped(false, true, false);
}

TEST(crypto_loads_on_first_use)
{
    cleanup_error struct ctr_error *err = NULL;
    char out[IMAGE_DIGEST_MAX];

    ASSERT_TRUE(image_libcrypto_version()[0] >= '3');
    expect_mapped(false, false, true);
    ASSERT_OK(image_digest_buffer("sha256", "abc", 3, out, &err), &err);
    ASSERT_STR_EQ(out, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(curl_loads_on_first_use)
{
    const char *v = image_libcurl_version();

    ASSERT_TRUE(v[0] >= '7');
    ASSERT_TRUE(mapped("libcurl"));
    ASSERT_TRUE(!mapped("libarchive"));
}

static size_t discard(char *data, size_t size, size_t n, void *user)
{
    (void)data;
    (void)user;
    return size * n;
}

/* curl_easy_setopt()'s one variadic argument: a long, a pointer, a function, a curl_off_t. */
TEST(curl_setopt_forwards_each_type)
{
    CURL *curl = curl_easy_init();
    char *url = NULL;
    void *priv = NULL;
    int cookie = 0;

    ASSERT_TRUE(curl != NULL);
    ASSERT_INT_EQ(curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L), CURLE_OK);
    /* The range checks see the value as passed: -1 reaches libcurl as -1. */
    ASSERT_INT_EQ(curl_easy_setopt(curl, CURLOPT_TIMEOUT, -1L), CURLE_BAD_FUNCTION_ARGUMENT);
    ASSERT_INT_EQ(curl_easy_setopt(curl, CURLOPT_URL, "http://registry.invalid/v2/"), CURLE_OK);
    ASSERT_INT_EQ(curl_easy_setopt(curl, CURLOPT_PRIVATE, &cookie), CURLE_OK);
    ASSERT_INT_EQ(curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard), CURLE_OK);
    ASSERT_INT_EQ(curl_easy_setopt(curl, CURLOPT_MAX_RECV_SPEED_LARGE, (curl_off_t)1 << 40),
                  CURLE_OK);
    ASSERT_INT_EQ(curl_easy_setopt(curl, CURLOPT_MAX_RECV_SPEED_LARGE, (curl_off_t)-1),
                  CURLE_BAD_FUNCTION_ARGUMENT);

    ASSERT_INT_EQ(curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &url), CURLE_OK);
    ASSERT_STR_EQ(url, "http://registry.invalid/v2/");
    ASSERT_INT_EQ(curl_easy_getinfo(curl, CURLINFO_PRIVATE, &priv), CURLE_OK);
    ASSERT_TRUE(priv == &cookie);
    ASSERT_STR_EQ(curl_easy_strerror(CURLE_OK), "No error");
    curl_easy_cleanup(curl);
}

/* archive_set_error() is printf-like: the wrapper formats, libarchive keeps the text. */
TEST(archive_set_error_formats)
{
    struct archive *a = archive_read_new();

    ASSERT_TRUE(a != NULL);
    archive_set_error(a, EIO, "entry '%s' at %d", "etc/passwd", 512);
    ASSERT_INT_EQ(archive_errno(a), EIO);
    ASSERT_STR_EQ(archive_error_string(a), "entry 'etc/passwd' at 512");
    archive_read_free(a);
}
