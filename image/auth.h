/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_IMAGE_AUTH_H
#define CTR_IMAGE_AUTH_H

#include <stddef.h>

#include "error.h"

/*
 * Authentication challenges from a registry's WWW-Authenticate header (RFC 7235 section 4.1),
 * e.g. `Bearer realm="https://auth.example/token",service="registry.example",scope="..."`.
 * The header is untrusted input: the parser is strict about syntax and bounded in size.
 */
struct image_auth_param {
    char *name;  /* lowercased: parameter names are case-insensitive */
    char *value; /* unquoted, escapes resolved */
};

struct image_auth_challenge {
    char *scheme;  /* lowercased: "bearer", "basic" */
    char *token68; /* the rare token68 form, else NULL */
    struct image_auth_param *params;
    size_t n_params;
};

struct image_auth_challenges {
    struct image_auth_challenge *items;
    size_t n;
};

#define IMAGE_AUTH_HEADER_MAX 8192

/*
 * Parses one WWW-Authenticate header value (which may hold several challenges) into *ret,
 * which the caller frees with image_auth_challenges_clear(), also after a failure.
 */
int image_auth_parse(const char *header, struct image_auth_challenges *ret, struct ctr_error **err);

void image_auth_challenges_clear(struct image_auth_challenges *c);

/* The first challenge with `scheme` (case-insensitive), or NULL. */
const struct image_auth_challenge *image_auth_find(const struct image_auth_challenges *c,
                                                   const char *scheme);

/* The value of parameter `name` (case-insensitive) of a challenge, or NULL. */
const char *image_auth_param(const struct image_auth_challenge *c, const char *name);

#endif
