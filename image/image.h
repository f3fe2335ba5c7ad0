/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_IMAGE_IMAGE_H
#define CTR_IMAGE_IMAGE_H

/* Versions of the libraries the image code is built on, as loaded at run time. */
const char *image_libcurl_version(void);
const char *image_libarchive_version(void);
const char *image_jansson_version(void);
const char *image_libcrypto_version(void);

/*
 * Sets up the libraries the image code needs (curl's global state) once per process, before
 * any thread exists.  Returns -1 and a message in *ret_msg only when curl cannot start.
 */
int image_global_init(const char **ret_msg);

#endif
