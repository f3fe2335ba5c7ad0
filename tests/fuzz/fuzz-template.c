/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --format strings come from the command line and the objects from ctr's own JSON, but both
 * are worth hammering: the input is "FORMAT\0JSON", the JSON being optional.
 */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "cleanup.h"
#include "fuzz.h"
#include "template.h"
#include "xalloc.h"

static const char *headers(const char *field)
{
    return strcmp(field, "ID") == 0 ? "CONTAINER ID" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nul = memchr(data, '\0', size);
    size_t format_len = nul != NULL ? (size_t)(nul - (const char *)data) : size;
    cleanup_free char *format = xstrndup((const char *)data, format_len);
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *out = NULL, *header = NULL;
    struct ctr_template *t = NULL;
    json_t *obj = NULL;
    int table = -1;

    if (ctr_template_parse(format, &t, &table, &err) < 0) {
        /* Failure comes with a message and leaves the outputs alone. */
        if (err == NULL || err->msg == NULL || t != NULL || table != -1)
            __builtin_trap();
        return 0;
    }
    if (err != NULL || t == NULL || (table != 0 && table != 1))
        __builtin_trap();
    if (nul != NULL)
        obj = json_loadb(nul + 1, size - format_len - 1, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);

    out = ctr_template_render(t, obj, &err);
    if ((out == NULL) != (err != NULL))
        __builtin_trap();
    ctr_error_clear(&err);

    header = ctr_template_header(t, headers);
    if (header == NULL)
        __builtin_trap();
    free(header);
    header = ctr_template_header(t, NULL);
    if (header == NULL)
        __builtin_trap();

    /* A template renders the same way twice and holds no reference (singletons count -1). */
    if (obj != NULL && out != NULL) {
        cleanup_free char *again = ctr_template_render(t, obj, &err);

        if (again == NULL || strcmp(again, out) != 0 ||
            (obj->refcount != 1 && obj->refcount != (size_t)-1))
            __builtin_trap();
    }
    json_decref(obj);
    ctr_template_free(t);
    return 0;
}
