/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_IMAGE_REF_H
#define CTR_IMAGE_REF_H

#include <stddef.h>

#include "cleanup.h"
#include "error.h"

/*
 * Image references, parsed and normalised as Docker and Podman do (the grammar of
 * github.com/distribution/reference):
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] path
 *   domain    := host [ ":" port ]        host: DNS-like labels or an IPv6 literal in brackets
 *   path      := component { "/" component }
 *   component := [a-z0-9]+ { separator [a-z0-9]+ }   separator: "." | "_" | "__" | "-"+
 *   tag       := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
 *
 * The first component of a name is a registry host if it contains '.' or ':', is "localhost",
 * or has an uppercase letter (paths are lowercase, so it cannot be one); otherwise the name has
 * no domain, is a "short name", and gets docker.io.  On docker.io a one-component path gets
 * "library/" in front, and "index.docker.io" is spelled "docker.io".  A name with neither tag
 * nor digest gets the tag "latest".  domain "/" path is at most 255 characters.
 */
#define IMAGE_REF_DEFAULT_DOMAIN "docker.io"
#define IMAGE_REF_DEFAULT_TAG    "latest"
#define IMAGE_REF_NAME_MAX       255

struct image_ref {
    char *domain;   /* "docker.io", "localhost:5000", "[::1]:5000"; never NULL */
    char *path;     /* "library/busybox"; never NULL */
    char *tag;      /* "latest"; NULL when the input gave only a digest */
    char *digest;   /* "sha256:..." (valid, see digest.h); NULL when the input gave none */
    int short_name; /* the input named no registry: resolve it with image_ref_candidates() */
};

/*
 * Parses and normalises `s`.  On success *ret is a new reference the caller frees with
 * image_ref_free().  Fails with EINVAL and a one-line message naming the input and the problem:
 * "invalid reference 'Foo': repository name must be lowercase".
 */
int image_ref_parse(const char *s, struct image_ref **ret, struct ctr_error **err);

/* "domain/path[:tag][@digest]", newly allocated; parsing it again gives the same reference. */
char *image_ref_format(const struct image_ref *r);

/* "domain/path" alone (the repository), newly allocated. */
char *image_ref_name(const struct image_ref *r);

/* Frees a reference; NULL and half-built references are fine. */
void image_ref_free(struct image_ref *r);
DEFINE_CLEANUP_FUNC(struct image_ref *, image_ref_free)

/*
 * 0 if `s` is a registry host as a reference may name it ("quay.io", "localhost:5000",
 * "[::1]:5000"); -1 and a message naming `s` otherwise.
 */
int image_ref_validate_domain(const char *s, struct ctr_error **err);

/*
 * The fully qualified names to try, in order, for the user's `input`.  A short name gives one
 * per search registry in `registries` (a NULL-terminated list; NULL means docker.io alone), in
 * that order, each normalised: "busybox" is "docker.io/library/busybox:latest" on docker.io and
 * "quay.io/busybox:latest" on quay.io.  A fully qualified name gives itself.  On success
 * *ret_names is a NULL-terminated list the caller frees with strv_free(), and the count is
 * returned.  Fails when `input` does not parse, when a registry does not combine with it into a
 * valid reference, or when a short name meets an empty list of registries.  Never prompts:
 * choosing among candidates is the caller's business.
 */
int image_ref_candidates(const char *input, char *const *registries, char ***ret_names,
                         struct ctr_error **err);

/*
 * ctr's registries.conf: which registries short names search, and which registries may be
 * reached over plain HTTP.  It is a small, strict subset of TOML in the spirit of Podman's
 * containers-registries.conf(5), read from $XDG_CONFIG_HOME/ctr/registries.conf (or
 * ~/.config/ctr/registries.conf):
 *
 *   # Short names ("busybox") are tried on these registries, in order.
 *   unqualified-search-registries = ["docker.io", "quay.io"]
 *
 *   # A registry that is reached over plain HTTP, such as a local test registry.
 *   [[registry]]
 *   location = "localhost:5000"
 *   insecure = true
 *
 * Understood: comments (#), blank lines, "key = value" with bare or "quoted" keys, values that
 * are "basic" or 'literal' one-line strings, true/false, integers, and arrays of these (which
 * may span lines and end in a comma); [table] and [[array-of-table]] headers.  Of the keys, ctr
 * reads unqualified-search-registries (top level, an array of hosts) and, in each [[registry]],
 * location (a host, required) and insecure (a boolean); all other keys and tables are checked
 * for syntax and ignored.  Anything else (inline tables, multi-line strings, dates, floats,
 * \u escapes) is an error that names the line: a config that ctr half-understands is refused
 * rather than guessed at.
 */
struct image_registries_entry {
    char *location; /* "host[:port]" */
    int insecure;   /* plain HTTP is allowed */
    unsigned line;  /* of the [[registry]] header */
};

struct image_registries_conf {
    char **search; /* NULL-terminated, never NULL; docker.io alone when the file does not say */
    struct image_registries_entry *registries;
    size_t n_registries;
};

/*
 * Parses `len` bytes of registries.conf text; `name` names the source in messages ("'NAME'
 * line 3: ...").  On success *ret is a new configuration the caller frees with
 * image_registries_conf_free().  Fails with EINVAL on the first problem.
 */
int image_registries_conf_parse(const char *data, size_t len, const char *name,
                                struct image_registries_conf **ret, struct ctr_error **err);

/*
 * Reads `path`, or the default location when `path` is NULL.  A missing file at the default
 * location gives the defaults (docker.io, no registry entries); a missing file the caller named
 * is an error.  Fails also when neither $XDG_CONFIG_HOME nor $HOME gives a default location.
 */
int image_registries_conf_load(const char *path, struct image_registries_conf **ret,
                               struct ctr_error **err);

/* The default location, newly allocated; NULL with *err set when no home is known. */
char *image_registries_conf_path(struct ctr_error **err);

/* 1 if `domain` is listed with insecure = true, else 0. */
int image_registries_conf_insecure(const struct image_registries_conf *c, const char *domain);

void image_registries_conf_free(struct image_registries_conf *c);
DEFINE_CLEANUP_FUNC(struct image_registries_conf *, image_registries_conf_free)

#endif
