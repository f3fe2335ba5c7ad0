/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image references come from the command line, from scripts and from stored metadata.  Every
 * accepted reference must format to a string that parses back to the same reference, or two
 * spellings could name different images in the store.
 */
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fuzz.h"
#include "ref.h"
#include "xalloc.h"

static int str_eq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void check_candidates(const char *input, const struct image_ref *r)
{
    static char quay[] = "quay.io", local[] = "localhost:5000", docker[] = "docker.io";
    static char *const regs[] = {quay, local, docker, NULL};
    cleanup_error struct ctr_error *err = NULL;
    cleanup_strv char **names = NULL;
    int n = image_ref_candidates(input, regs, &names, &err);

    /* Only a too-long name on a longer registry may fail once the input parsed. */
    if (n < 0) {
        if (strstr(err->msg, "more than 255") == NULL)
            __builtin_trap();
        return;
    }
    if (n < 1 || n > 3 || (!r->short_name && n != 1))
        __builtin_trap();
    for (int i = 0; i < n; i++) {
        cleanup_with(image_ref_freep) struct image_ref *c = NULL;
        cleanup_free char *again = NULL;

        if (image_ref_parse(names[i], &c, &err) < 0 || c->short_name)
            __builtin_trap();
        again = image_ref_format(c);
        if (strcmp(again, names[i]) != 0 || !str_eq(c->tag, r->tag) ||
            !str_eq(c->digest, r->digest))
            __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cleanup_free char *s = xstrndup((const char *)data, size);
    cleanup_with(image_ref_freep) struct image_ref *r = NULL;
    cleanup_with(image_ref_freep) struct image_ref *again = NULL;
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *out = NULL;
    cleanup_free char *out_again = NULL;

    if (image_ref_parse(s, &r, &err) < 0) {
        /* Failure means exactly one message and no reference. */
        if (err == NULL || err->msg == NULL || r != NULL)
            __builtin_trap();
        return 0;
    }
    if (err != NULL || r->domain == NULL || r->path == NULL || (r->tag == NULL && !r->digest))
        __builtin_trap();
    out = image_ref_format(r);
    if (image_ref_parse(out, &again, &err) < 0)
        __builtin_trap();
    out_again = image_ref_format(again);
    if (strcmp(out, out_again) != 0 || strcmp(r->domain, again->domain) != 0 ||
        strcmp(r->path, again->path) != 0 || !str_eq(r->tag, again->tag) ||
        !str_eq(r->digest, again->digest) || again->short_name)
        __builtin_trap();
    check_candidates(s, r);
    return 0;
}
