/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libcurl, loaded on first use (dl.h says why).  Every curl_* function ctr calls is defined
 * here; one missing shows up as an undefined reference when linking ctr.
 */
#include <stdarg.h>

#include <curl/curl.h>

#include "dl.h"

#ifndef CTR_SONAME_CURL
#define CTR_SONAME_CURL "libcurl.so.4"
#endif
#ifndef CTR_PACKAGE_CURL
#define CTR_PACKAGE_CURL "libcurl4"
#endif

static void curl_setup(void *handle);

DL_LIBRARY(curl, "libcurl", CTR_SONAME_CURL, CTR_PACKAGE_CURL, curl_setup)

/*
 * curl_global_init() runs here, once, before any other curl function, rather than at the
 * startup of every command.  Calling it while other threads exist (the puller's) is safe since
 * libcurl 7.84 made it thread-safe; Debian 12 ships 7.88.  The wrappers below cannot be used:
 * they would wait for the very pthread_once() running this.
 */
static void curl_setup(void *handle)
{
    CURLcode (*init)(long) = (CURLcode(*)(long))dlsym(handle, "curl_global_init");
    const char *(*message)(CURLcode) =
            (const char *(*)(CURLcode))dlsym(handle, "curl_easy_strerror");
    CURLcode rc;

    if (init == NULL || message == NULL)
        image_dl_fail(&curl_dl);
    rc = init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        fprintf(stderr, "ctr: cannot initialise libcurl (%s): %s\n", CTR_SONAME_CURL, message(rc));
        exit(125);
    }
}

/* Already done by the loader; a further call only counts one more user, as libcurl does. */
DL_FUNC(curl, CURLcode, curl_global_init, (long flags), (flags))
DL_FUNC(curl, curl_version_info_data *, curl_version_info, (CURLversion v), (v))
DL_FUNC(curl, const char *, curl_easy_strerror, (CURLcode code), (code))
DL_VOID(curl, curl_free, (void *p), (p))

DL_FUNC(curl, CURL *, curl_easy_init, (void), ())
DL_FUNC(curl, CURLcode, curl_easy_perform, (CURL * curl), (curl))
DL_VOID(curl, curl_easy_reset, (CURL * curl), (curl))
DL_VOID(curl, curl_easy_cleanup, (CURL * curl), (curl))

DL_FUNC(curl, struct curl_slist *, curl_slist_append, (struct curl_slist * list, const char *data),
        (list, data))
DL_VOID(curl, curl_slist_free_all, (struct curl_slist * list), (list))

DL_FUNC(curl, CURLU *, curl_url, (void), ())
DL_VOID(curl, curl_url_cleanup, (CURLU * u), (u))
DL_FUNC(curl, CURLUcode, curl_url_get, (CURLU * u, CURLUPart what, char **part, unsigned int flags),
        (u, what, part, flags))
DL_FUNC(curl, CURLUcode, curl_url_set,
        (CURLU * u, CURLUPart what, const char *part, unsigned int flags), (u, what, part, flags))

/*
 * The variadic two take exactly one argument after the option, whose type follows from the
 * option number's range (curl.h, CURLOPTTYPE_*).  Forward it with that type, as libcurl's own
 * setopt.c reads it: a long, a pointer (data and function pointers alike, one size on every
 * platform curl supports), a curl_off_t, or a blob pointer.
 */
CURLcode(curl_easy_setopt)(CURL *curl, CURLoption option, ...)
{
    __typeof__(curl_easy_setopt) *real = DL_REAL(curl, curl_easy_setopt);
    CURLcode rc;
    va_list ap;

    va_start(ap, option);
    if (option < CURLOPTTYPE_OBJECTPOINT)
        rc = real(curl, option, va_arg(ap, long));
    else if (option < CURLOPTTYPE_OFF_T || option >= CURLOPTTYPE_BLOB)
        rc = real(curl, option, va_arg(ap, void *));
    else
        rc = real(curl, option, va_arg(ap, curl_off_t));
    va_end(ap);
    return rc;
}

/* Every CURLINFO_* takes a pointer to where the answer goes. */
CURLcode(curl_easy_getinfo)(CURL *curl, CURLINFO info, ...)
{
    __typeof__(curl_easy_getinfo) *real = DL_REAL(curl, curl_easy_getinfo);
    CURLcode rc;
    va_list ap;

    va_start(ap, info);
    rc = real(curl, info, va_arg(ap, void *));
    va_end(ap);
    return rc;
}
