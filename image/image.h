/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_IMAGE_IMAGE_H
#define CTR_IMAGE_IMAGE_H

/* Versions of the libraries the image code is built on, as loaded at run time. */
const char *image_libcurl_version(void);
const char *image_libarchive_version(void);
const char *image_jansson_version(void);
const char *image_libcrypto_version(void);

/*
 * Kept for the callers' sake: libcurl, libarchive and libcrypto are loaded on first use (see
 * dl.h), and curl's global state is set up then, so this costs nothing and returns 0.
 */
int image_global_init(const char **ret_msg);

#endif
