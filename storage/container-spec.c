/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "container-spec.h"
#include "xalloc.h"

#define SPEC_VERSION 1
/* The largest signal number ctr_parse_signal() gives. */
#define SIGNAL_MAX 64

/* jansson fails only on out-of-memory once its input is checked: abort, as xmalloc does. */
static json_t *check(json_t *v)
{
    if (v == NULL)
        abort();
    return v;
}

static void set(json_t *obj, const char *key, json_t *v)
{
    if (json_object_set_new(obj, key, check(v)) < 0)
        abort();
}

static void append(json_t *arr, json_t *v)
{
    if (json_array_append_new(arr, check(v)) < 0)
        abort();
}

/* RFC 3629 UTF-8, as jansson demands of every string: no overlongs, surrogates or > U+10FFFF. */
static int utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p != '\0') {
        unsigned c = *p, n, min, cp;

        if (c < 0x80) {
            p++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1, min = 0x80, cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2, min = 0x800, cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3, min = 0x10000, cp = c & 0x07;
        } else {
            return 0;
        }
        for (unsigned i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        p += n + 1;
    }
    return 1;
}

static int not_utf8(const char *what, struct ctr_error **err)
{
    return ctr_error_set(err, EILSEQ,
                         "container config member %s is not valid UTF-8: the config is stored "
                         "as JSON, which holds only UTF-8 text",
                         what);
}

/* `where` prefixes the key in messages: "mounts[2]." */
static int add_string(json_t *obj, const char *where, const char *key, const char *s,
                      struct ctr_error **err)
{
    if (s == NULL)
        return 0;
    if (!utf8_valid(s)) {
        cleanup_free char *what = xasprintf("'%s%s'", where, key);

        return not_utf8(what, err);
    }
    set(obj, key, json_string(s));
    return 0;
}

static int add_strv(json_t *obj, const char *key, char *const *v, struct ctr_error **err)
{
    json_t *arr;

    if (v == NULL)
        return 0;
    arr = check(json_array());
    set(obj, key, arr);
    for (size_t i = 0; v[i] != NULL; i++) {
        if (!utf8_valid(v[i])) {
            cleanup_free char *what = xasprintf("'%s' element %zu", key, i);

            return not_utf8(what, err);
        }
        append(arr, json_string(v[i]));
    }
    return 0;
}

static json_t *mount_to_json(const struct ctr_mount_spec *m, size_t i, struct ctr_error **err)
{
    json_auto_t *obj = check(json_object());
    cleanup_free char *where = xasprintf("mounts[%zu].", i);

    set(obj, "kind", json_string(m->kind == CTR_MOUNT_TMPFS ? "tmpfs" : "bind"));
    if (add_string(obj, where, "source", m->source, err) < 0 ||
        add_string(obj, where, "destination", m->destination, err) < 0 ||
        add_string(obj, where, "data", m->data, err) < 0)
        return NULL;
    set(obj, "readonly", json_boolean(m->readonly));
    set(obj, "flags", json_integer((json_int_t)m->flags));
    return steal_pointer(&obj);
}

static int security_to_json(json_t *root, const struct ctr_security_spec *sec,
                            struct ctr_error **err)
{
    json_t *o = check(json_object());

    set(root, "security", o);
    set(o, "caps", json_integer((json_int_t)sec->caps));
    set(o, "privileged", json_boolean(sec->privileged));
    set(o, "no_new_privs", json_boolean(sec->no_new_privs));
    set(o, "seccomp_unconfined", json_boolean(sec->seccomp_unconfined));
    set(o, "read_only", json_boolean(sec->read_only));
    set(o, "read_only_tmpfs", json_boolean(sec->read_only_tmpfs));
    if (add_string(o, "security.", "seccomp_profile", sec->seccomp_profile, err) < 0 ||
        add_string(o, "security.", "seccomp_path", sec->seccomp_path, err) < 0 ||
        add_strv(o, "masked_paths", sec->masked_paths, err) < 0 ||
        add_strv(o, "readonly_paths", sec->readonly_paths, err) < 0 ||
        add_string(o, "security.", "userns", sec->userns, err) < 0 ||
        add_strv(o, "uid_map", sec->uid_map, err) < 0 ||
        add_strv(o, "gid_map", sec->gid_map, err) < 0 ||
        add_string(o, "security.", "apparmor", sec->apparmor, err) < 0 ||
        add_string(o, "security.", "label", sec->label, err) < 0)
        return -1;
    return 0;
}

char *storage_spec_to_json(const struct ctr_spec *spec, struct ctr_error **err)
{
    json_auto_t *root = check(json_object());
    json_t *mounts;
    char *text;

    set(root, "version", json_integer(SPEC_VERSION));
    if (add_strv(root, "argv", spec->argv, err) < 0 || add_strv(root, "env", spec->env, err) < 0 ||
        add_string(root, "", "cwd", spec->cwd, err) < 0 ||
        add_string(root, "", "user", spec->user, err) < 0 ||
        add_string(root, "", "hostname", spec->hostname, err) < 0)
        return NULL;
    mounts = check(json_array());
    set(root, "mounts", mounts);
    for (size_t i = 0; i < spec->n_mounts; i++) {
        json_t *m = mount_to_json(&spec->mounts[i], i, err);

        if (m == NULL)
            return NULL;
        append(mounts, m);
    }
    set(root, "tty", json_boolean(spec->tty));
    set(root, "interactive", json_boolean(spec->interactive));
    set(root, "init", json_boolean(spec->init));
    set(root, "remove", json_boolean(spec->remove));
    set(root, "stop_signal", json_integer(spec->stop_signal));
    set(root, "stop_timeout", json_integer(spec->stop_timeout));
    if (add_string(root, "", "network", spec->network, err) < 0 ||
        add_strv(root, "labels", spec->labels, err) < 0 ||
        add_strv(root, "ports", spec->ports, err) < 0 ||
        add_strv(root, "dns", spec->dns, err) < 0 ||
        add_strv(root, "dns_search", spec->dns_search, err) < 0 ||
        add_strv(root, "add_hosts", spec->add_hosts, err) < 0)
        return NULL;
    set(root, "no_hosts", json_boolean(spec->no_hosts));
    if (security_to_json(root, &spec->security, err) < 0)
        return NULL;
    if (spec->restart != CTR_RESTART_NO) {
        set(root, "restart_policy", json_string(ctr_restart_policy_name(spec->restart)));
        set(root, "restart_max", json_integer(spec->restart_max));
    }
    if (add_strv(root, "create_command", spec->create_command, err) < 0)
        return NULL;
    set(root, "sdnotify", json_string(ctr_sdnotify_name(spec->sdnotify)));
    text = json_dumps(root, JSON_COMPACT);
    if (text == NULL)
        abort();
    return text;
}

/* Member `key` of `obj`, or NULL when absent or null. */
static json_t *member(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    return json_is_null(v) ? NULL : v;
}

static int wrong_type(const char *where, const char *key, const char *what, struct ctr_error **err)
{
    return ctr_error_set(err, EBADMSG, "container config member '%s%s' is not %s", where, key,
                         what);
}

static int get_string(json_t *obj, const char *where, const char *key, int required, char **ret,
                      struct ctr_error **err)
{
    json_t *v = member(obj, key);

    if (v == NULL) {
        if (required)
            return ctr_error_set(err, EBADMSG, "container config has no member '%s%s'", where, key);
        return 0;
    }
    if (!json_is_string(v))
        return wrong_type(where, key, "a string", err);
    /* jansson refuses "\u0000" unless asked, so the C string is the whole value. */
    *ret = xstrdup(json_string_value(v));
    return 0;
}

/* Attaches the vector to *ret as it fills, so ctr_spec_clear() frees a half-built one. */
static int get_strv(json_t *obj, const char *key, char ***ret, struct ctr_error **err)
{
    json_t *v = member(obj, key);
    size_t n;

    if (v == NULL)
        return 0;
    if (!json_is_array(v))
        return wrong_type("", key, "an array of strings", err);
    n = json_array_size(v);
    *ret = xcalloc(n + 1, sizeof(**ret));
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(v, i);

        if (!json_is_string(s))
            return ctr_error_set(err, EBADMSG,
                                 "container config member '%s' element %zu is not a string", key,
                                 i);
        (*ret)[i] = xstrdup(json_string_value(s));
    }
    return 0;
}

static int get_bool(json_t *obj, const char *where, const char *key, int *ret,
                    struct ctr_error **err)
{
    json_t *v = member(obj, key);

    if (v == NULL)
        return 0;
    if (!json_is_boolean(v))
        return wrong_type(where, key, "true or false", err);
    *ret = json_is_true(v);
    return 0;
}

static int get_int(json_t *obj, const char *where, const char *key, json_int_t max, json_int_t *ret,
                   struct ctr_error **err)
{
    json_t *v = member(obj, key);
    cleanup_free char *what = NULL;

    if (v == NULL)
        return 0;
    if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= max) {
        *ret = json_integer_value(v);
        return 0;
    }
    what = xasprintf("an integer from 0 to %lld", (long long)max);
    return wrong_type(where, key, what, err);
}

static int mount_from_json(json_t *obj, size_t i, struct ctr_mount_spec *m, struct ctr_error **err)
{
    cleanup_free char *where = xasprintf("mounts[%zu].", i);
    cleanup_free char *kind = NULL;
    json_int_t flags = 0;

    if (!json_is_object(obj))
        return ctr_error_set(err, EBADMSG,
                             "container config member 'mounts' element %zu is not "
                             "an object",
                             i);
    if (get_string(obj, where, "kind", 1, &kind, err) < 0)
        return -1;
    if (strcmp(kind, "bind") == 0)
        m->kind = CTR_MOUNT_BIND;
    else if (strcmp(kind, "tmpfs") == 0)
        m->kind = CTR_MOUNT_TMPFS;
    else
        return wrong_type(where, "kind", "\"bind\" or \"tmpfs\"", err);
    if (get_string(obj, where, "source", m->kind == CTR_MOUNT_BIND, &m->source, err) < 0 ||
        get_string(obj, where, "destination", 1, &m->destination, err) < 0 ||
        get_string(obj, where, "data", 0, &m->data, err) < 0 ||
        get_bool(obj, where, "readonly", &m->readonly, err) < 0)
        return -1;
    /* MS_* bits: unsigned long, which is 32 bits on some targets. */
    if (get_int(obj, where, "flags", (json_int_t)(ULONG_MAX < LLONG_MAX ? ULONG_MAX : LLONG_MAX),
                &flags, err) < 0)
        return -1;
    m->flags = (unsigned long)flags;
    return 0;
}

/* A config without "security" (none was ever stored so) would get the defaults, never less. */
static int security_from_json(json_t *root, struct ctr_security_spec *sec, struct ctr_error **err)
{
    json_t *o = member(root, "security");
    json_int_t caps = 0;

    ctr_security_defaults(sec);
    if (o == NULL)
        return 0;
    if (!json_is_object(o))
        return wrong_type("", "security", "an object", err);
    strv_free(sec->masked_paths);
    strv_free(sec->readonly_paths);
    sec->masked_paths = sec->readonly_paths = NULL;
    if (get_int(o, "security.", "caps", LLONG_MAX, &caps, err) < 0 ||
        get_bool(o, "security.", "privileged", &sec->privileged, err) < 0 ||
        get_bool(o, "security.", "no_new_privs", &sec->no_new_privs, err) < 0 ||
        get_bool(o, "security.", "seccomp_unconfined", &sec->seccomp_unconfined, err) < 0 ||
        get_bool(o, "security.", "read_only", &sec->read_only, err) < 0 ||
        get_bool(o, "security.", "read_only_tmpfs", &sec->read_only_tmpfs, err) < 0 ||
        get_string(o, "security.", "seccomp_profile", 0, &sec->seccomp_profile, err) < 0 ||
        get_string(o, "security.", "seccomp_path", 0, &sec->seccomp_path, err) < 0 ||
        get_strv(o, "masked_paths", &sec->masked_paths, err) < 0 ||
        get_strv(o, "readonly_paths", &sec->readonly_paths, err) < 0 ||
        get_string(o, "security.", "userns", 0, &sec->userns, err) < 0 ||
        get_strv(o, "uid_map", &sec->uid_map, err) < 0 ||
        get_strv(o, "gid_map", &sec->gid_map, err) < 0 ||
        get_string(o, "security.", "apparmor", 0, &sec->apparmor, err) < 0 ||
        get_string(o, "security.", "label", 0, &sec->label, err) < 0)
        return -1;
    if (caps < 0)
        return wrong_type("security.", "caps", "a capability mask", err);
    sec->caps = (uint64_t)caps;
    return 0;
}

/* "restart_policy" (absent: no) and "restart_max". */
static int restart_from_json(json_t *root, struct ctr_spec *s, struct ctr_error **err)
{
    cleanup_free char *name = NULL;
    json_int_t max = 0;

    if (get_string(root, "", "restart_policy", 0, &name, err) < 0 ||
        get_int(root, "", "restart_max", INT_MAX, &max, err) < 0)
        return -1;
    if (name != NULL && ctr_restart_policy_from_name(name, &s->restart) < 0)
        return wrong_type("", "restart_policy",
                          "\"no\", \"on-failure\", \"always\" or \"unless-stopped\"", err);
    s->restart_max = (unsigned)max;
    return 0;
}

/* "sdnotify" (absent: container, the default). */
static int sdnotify_from_json(json_t *root, struct ctr_spec *s, struct ctr_error **err)
{
    cleanup_free char *name = NULL;

    if (get_string(root, "", "sdnotify", 0, &name, err) < 0)
        return -1;
    if (name != NULL && ctr_sdnotify_from_name(name, &s->sdnotify) < 0)
        return wrong_type("", "sdnotify", "\"container\", \"conmon\" or \"ignore\"", err);
    return 0;
}

static int spec_from_json(json_t *root, struct ctr_spec *s, struct ctr_error **err)
{
    json_int_t version = 0, stop_signal = 0, stop_timeout = 0;
    json_t *mounts;

    if (member(root, "version") == NULL)
        return ctr_error_set(err, EBADMSG, "container config has no member 'version'");
    if (get_int(root, "", "version", LLONG_MAX, &version, err) < 0)
        return -1;
    if (version != SPEC_VERSION)
        return ctr_error_set(err, EPROTO,
                             "container config version %lld is not %d, the one this ctr "
                             "understands: use the ctr version that created the container",
                             (long long)version, SPEC_VERSION);
    if (get_strv(root, "argv", &s->argv, err) < 0)
        return -1;
    if (s->argv == NULL || s->argv[0] == NULL)
        return ctr_error_set(err, EBADMSG, "container config has no command in member 'argv'");
    if (get_strv(root, "env", &s->env, err) < 0 ||
        get_string(root, "", "cwd", 0, &s->cwd, err) < 0 ||
        get_string(root, "", "user", 0, &s->user, err) < 0 ||
        get_string(root, "", "hostname", 0, &s->hostname, err) < 0)
        return -1;
    mounts = member(root, "mounts");
    if (mounts != NULL) {
        if (!json_is_array(mounts))
            return wrong_type("", "mounts", "an array of objects", err);
        s->mounts = xcalloc(json_array_size(mounts), sizeof(*s->mounts));
        for (size_t i = 0; i < json_array_size(mounts); i++) {
            /* Counted before the element fills, so ctr_spec_clear() frees a half-built one. */
            s->n_mounts++;
            if (mount_from_json(json_array_get(mounts, i), i, &s->mounts[i], err) < 0)
                return -1;
        }
    }
    if (get_bool(root, "", "tty", &s->tty, err) < 0 ||
        get_bool(root, "", "interactive", &s->interactive, err) < 0 ||
        get_bool(root, "", "init", &s->init, err) < 0 ||
        get_bool(root, "", "remove", &s->remove, err) < 0 ||
        get_int(root, "", "stop_signal", SIGNAL_MAX, &stop_signal, err) < 0 ||
        get_int(root, "", "stop_timeout", UINT_MAX, &stop_timeout, err) < 0 ||
        get_string(root, "", "network", 0, &s->network, err) < 0 ||
        get_strv(root, "labels", &s->labels, err) < 0 ||
        get_strv(root, "ports", &s->ports, err) < 0 || get_strv(root, "dns", &s->dns, err) < 0 ||
        get_strv(root, "dns_search", &s->dns_search, err) < 0 ||
        get_strv(root, "add_hosts", &s->add_hosts, err) < 0 ||
        get_bool(root, "", "no_hosts", &s->no_hosts, err) < 0)
        return -1;
    s->stop_signal = (int)stop_signal;
    s->stop_timeout = (unsigned)stop_timeout;
    if (restart_from_json(root, s, err) < 0 || sdnotify_from_json(root, s, err) < 0 ||
        get_strv(root, "create_command", &s->create_command, err) < 0)
        return -1;
    return security_from_json(root, &s->security, err);
}

int storage_spec_from_json(const char *json, struct ctr_spec *ret, struct ctr_error **err)
{
    json_auto_t *root = NULL;
    struct ctr_spec s = {0};
    json_error_t jerr;

    /* The jansson adapter: line, column and jansson's text. */
    root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return ctr_error_set(err, EBADMSG,
                             "container config is not valid JSON: line %d, column %d: %s",
                             jerr.line, jerr.column, jerr.text);
    if (!json_is_object(root))
        return ctr_error_set(err, EBADMSG, "container config is not a JSON object");
    if (spec_from_json(root, &s, err) < 0) {
        ctr_spec_clear(&s);
        return -1;
    }
    *ret = s;
    return 0;
}
