/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_IMAGE_LOOKUP_H
#define CTR_IMAGE_LOOKUP_H

#include "error.h"
#include "images.h"

/*
 * Finds a local image the way Podman reads what a user typed: an exact name, an id or unique
 * id prefix, then for a short name "localhost/NAME" and NAME on each search registry
 * ("busybox" finds "docker.io/library/busybox:latest").  Not found: 0 with *ret NULL.  When it
 * matched by name, *ret_name (if not NULL) gets that full name, else NULL.
 */
int image_lookup_local(struct storage *s, const char *input, struct storage_image **ret,
                       char **ret_name, struct ctr_error **err);

/*
 * The name a new tag gets: fully qualified as given, a short name under "localhost/" (as
 * Podman tags), ":latest" added when no tag is given.  Digests are refused.
 */
char *image_tag_name(const char *input, struct ctr_error **err);

#endif
