/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "lookup.h"
#include "ref.h"
#include "xalloc.h"

static int try_name(struct storage *s, const char *name, struct storage_image **ret,
                    char **ret_name, struct ctr_error **err)
{
    int r = storage_image_lookup(s, name, ret, err);

    if (r == 1 && ret_name != NULL)
        *ret_name = (*ret)->names && strv_contains((*ret)->names, name) ? xstrdup(name) : NULL;
    return r;
}

int image_lookup_local(struct storage *s, const char *input, struct storage_image **ret,
                       char **ret_name, struct ctr_error **err)
{
    cleanup_with(image_registries_conf_freep) struct image_registries_conf *conf = NULL;
    cleanup_with(image_ref_freep) struct image_ref *ref = NULL;
    cleanup_error struct ctr_error *parse_err = NULL;
    cleanup_strv char **names = NULL;
    char *local_search[] = {(char *)"localhost", NULL};
    int r;

    *ret = NULL;
    if (ret_name != NULL)
        *ret_name = NULL;
    r = try_name(s, input, ret, ret_name, err);
    if (r != 0)
        return r;
    /* Not a reference at all (an id prefix that matched nothing): simply not found. */
    if (image_ref_parse(input, &ref, &parse_err) < 0)
        return 0;
    {
        cleanup_free char *full = image_ref_format(ref);

        if (!ref->short_name)
            return try_name(s, full, ret, ret_name, err);
    }
    if (image_ref_candidates(input, local_search, &names, err) < 0)
        return -1;
    r = try_name(s, names[0], ret, ret_name, err);
    if (r != 0)
        return r;
    strv_free(steal_pointer(&names));
    if (image_registries_conf_load(NULL, &conf, err) < 0)
        return -1;
    if (image_ref_candidates(input, conf->search, &names, err) < 0)
        return -1;
    for (char **n = names; *n != NULL; n++) {
        r = try_name(s, *n, ret, ret_name, err);
        if (r != 0)
            return r;
    }
    return 0;
}

char *image_tag_name(const char *input, struct ctr_error **err)
{
    cleanup_with(image_ref_freep) struct image_ref *ref = NULL;
    cleanup_strv char **names = NULL;
    char *local_search[] = {(char *)"localhost", NULL};

    if (image_ref_parse(input, &ref, err) < 0)
        return NULL;
    if (ref->digest != NULL) {
        ctr_error_set(err, EINVAL, "cannot tag '%s': a tag name cannot hold a digest", input);
        return NULL;
    }
    if (!ref->short_name)
        return image_ref_format(ref);
    if (image_ref_candidates(input, local_search, &names, err) < 0)
        return NULL;
    return xstrdup(names[0]);
}
