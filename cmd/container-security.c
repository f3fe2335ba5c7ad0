/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "container.h"
#include "fsutil.h"
#include "idmap-opts.h"
#include "scmp.h"
#include "userns.h"
#include "xalloc.h"

/* A seccomp profile larger than this is refused (Docker's default is about 20 KiB). */
#define SECCOMP_PROFILE_MAX (4 << 20)

static void strv_remove(char **v, const char *s)
{
    size_t j = 0;

    for (size_t i = 0; v && v[i]; i++) {
        if (strcmp(v[i], s) == 0)
            free(v[i]);
        else
            v[j++] = v[i];
    }
    if (v)
        v[j] = NULL;
}

/* Whether an LSM is enabled: its name in the kernel's list of active modules. */
static int lsm_enabled(const char *name)
{
    cleanup_free char *list = NULL;
    cleanup_error struct ctr_error *ignored = NULL;
    size_t len;

    if (strcmp(name, "apparmor") == 0 &&
        access("/sys/module/apparmor/parameters/enabled", F_OK) == 0) {
        cleanup_free char *yes = NULL;

        if (ctr_read_file("/sys/module/apparmor/parameters/enabled", 16, &yes, &len, &ignored) ==
                    0 &&
            yes[0] == 'Y')
            return 1;
        ctr_error_clear(&ignored);
    }
    if (strcmp(name, "selinux") == 0 && access("/sys/fs/selinux/enforce", F_OK) == 0)
        return 1;
    if (ctr_read_file("/sys/kernel/security/lsm", 4096, &list, &len, &ignored) < 0)
        return 0;
    for (char *p = strtok(list, ",\n"); p; p = strtok(NULL, ",\n"))
        if (strcmp(p, name) == 0)
            return 1;
    return 0;
}

static int paths_opt(char ***list, const char *value, int add, struct ctr_error **err)
{
    cleanup_free char *copy = xstrdup(value);

    for (char *p = strtok(copy, ":"); p; p = strtok(NULL, ":")) {
        cleanup_free char *norm = ctr_path_normalise(p, err);

        if (norm == NULL)
            return ctr_error_wrap(err, "--security-opt %s", add ? "mask" : "unmask");
        strv_remove(*list, norm);
        if (add)
            strv_push(list, norm);
    }
    return 0;
}

static int security_opt(struct ctr_security_spec *sec, const char *opt, struct ctr_error **err)
{
    const char *eq = strchr(opt, '=');
    cleanup_free char *key = eq ? xstrndup(opt, (size_t)(eq - opt)) : xstrdup(opt);
    const char *value = eq ? eq + 1 : NULL;

    if (strcmp(key, "no-new-privileges") == 0) {
        if (value == NULL || strcmp(value, "true") == 0)
            sec->no_new_privs = 1;
        else if (strcmp(value, "false") == 0)
            sec->no_new_privs = 0;
        else
            return ctr_error_set(err, EINVAL,
                                 "--security-opt no-new-privileges takes true or false, not '%s'",
                                 value);
        return 0;
    }
    if (value == NULL)
        return ctr_error_set(err, EINVAL,
                             "--security-opt '%s' needs a value: seccomp=, mask=, unmask=, "
                             "apparmor=, label= or no-new-privileges",
                             opt);
    if (strcmp(key, "seccomp") == 0) {
        free(sec->seccomp_profile);
        free(sec->seccomp_path);
        sec->seccomp_profile = sec->seccomp_path = NULL;
        sec->seccomp_unconfined = strcmp(value, "unconfined") == 0;
        if (!sec->seccomp_unconfined) {
            size_t len;
            scmp_filter_ctx ctx = NULL;

            if (ctr_read_file(value, SECCOMP_PROFILE_MAX, &sec->seccomp_profile, &len, err) < 0)
                return ctr_error_wrap(err, "--security-opt seccomp");
            sec->seccomp_path = xstrdup(value);
            /* Checked now, so a bad profile fails create rather than a later start. */
            if (ctr_seccomp_from_json(sec->seccomp_profile, len, value, sec->caps, &ctx, err) < 0)
                return -1;
            seccomp_release(ctx);
        }
        return 0;
    }
    if (strcmp(key, "mask") == 0)
        return paths_opt(&sec->masked_paths, value, 1, err);
    if (strcmp(key, "unmask") == 0) {
        if (strcmp(value, "ALL") == 0 || strcmp(value, "all") == 0) {
            strv_free(sec->masked_paths);
            strv_free(sec->readonly_paths);
            sec->masked_paths = sec->readonly_paths = NULL;
            return 0;
        }
        if (paths_opt(&sec->masked_paths, value, 0, err) < 0)
            return -1;
        return paths_opt(&sec->readonly_paths, value, 0, err);
    }
    if (strcmp(key, "apparmor") == 0) {
        if (strcmp(value, "unconfined") != 0 && !lsm_enabled("apparmor"))
            return ctr_error_set(err, ENOTSUP,
                                 "--security-opt apparmor=%s: AppArmor is not enabled on this "
                                 "kernel, so the profile cannot be applied; drop the option",
                                 value);
        free(sec->apparmor);
        sec->apparmor = strcmp(value, "unconfined") == 0 ? NULL : xstrdup(value);
        return 0;
    }
    if (strcmp(key, "label") == 0) {
        if (strcmp(value, "disable") != 0 && !lsm_enabled("selinux"))
            return ctr_error_set(err, ENOTSUP,
                                 "--security-opt label=%s: SELinux is not enabled on this "
                                 "kernel, so the label cannot be applied; drop the option",
                                 value);
        free(sec->label);
        sec->label = xstrdup(value);
        return 0;
    }
    return ctr_error_set(err, EINVAL,
                         "unknown --security-opt '%s': use seccomp=, mask=, unmask=, apparmor=, "
                         "label= or no-new-privileges",
                         opt);
}

static char **map_strv(const struct ctr_idmap *m, size_t n)
{
    char **v = xcalloc(n + 1, sizeof(*v));

    for (size_t i = 0; i < n; i++)
        v[i] = xasprintf("%lu:%lu:%lu", m[i].inside, m[i].outside, m[i].count);
    return v;
}

static int parse_maps(char **args, const char *opt, struct ctr_idmap **ret, size_t *ret_n,
                      struct ctr_error **err)
{
    size_t n = strv_length(args);
    struct ctr_idmap *m = xcalloc(n ? n : 1, sizeof(*m));

    for (size_t i = 0; i < n; i++)
        if (ctr_idmap_parse(args[i], &m[i], err) < 0) {
            free(m);
            return ctr_error_wrap(err, "%s", opt);
        }
    *ret = m;
    *ret_n = n;
    return 0;
}

/* --userns and --uidmap/--gidmap: the maps are computed now, so an impossible one fails here. */
static int id_maps(const struct container_opts *o, struct ctr_spec *spec, struct ctr_error **err)
{
    struct ctr_security_spec *sec = &spec->security;
    struct ctr_userns_opts uo = {0};
    struct ctr_idmaps user = {0}, out = {0};
    cleanup_free struct ctr_idmap *um = NULL;
    cleanup_free struct ctr_idmap *gm = NULL;
    size_t n_um = 0, n_gm = 0;
    int has_ranges, r = -1;

    if (o->userns == NULL && o->uidmaps == NULL && o->gidmaps == NULL)
        return 0;
    if (o->userns != NULL && ctr_userns_parse(o->userns, &uo, err) < 0)
        return ctr_error_wrap(err, "--userns");
    if (parse_maps(o->uidmaps, "--uidmap", &um, &n_um, err) < 0 ||
        parse_maps(o->gidmaps, "--gidmap", &gm, &n_gm, err) < 0)
        return -1;
    if (geteuid() == 0)
        return ctr_error_set(err, ENOTSUP,
                             "--userns, --uidmap and --gidmap are for rootless containers; as "
                             "root ctr maps the host's ids");
    if (ctr_idmaps_for_current_user(&user, &has_ranges, err) < 0)
        return -1;
    if (ctr_idmaps_for_container(&user, getuid(), getgid(), &uo, um, n_um, gm, n_gm, &out, err) ==
        0) {
        sec->uid_map = map_strv(out.uid, out.n_uid);
        sec->gid_map = map_strv(out.gid, out.n_gid);
        sec->userns = o->userns ? xstrdup(o->userns) : NULL;
        /* keep-id runs the process as that user too, unless --user says otherwise. */
        if (uo.mode == CTR_USERNS_KEEP_ID && o->user == NULL) {
            free(spec->user);
            spec->user =
                    xasprintf("%lu:%lu", uo.has_keep_uid ? uo.keep_uid : (unsigned long)getuid(),
                              uo.has_keep_gid ? uo.keep_gid : (unsigned long)getgid());
        }
        r = 0;
    }
    ctr_idmaps_clear(&out);
    ctr_idmaps_clear(&user);
    return r;
}

int container_security_build(const struct container_opts *o, struct ctr_spec *spec,
                             struct ctr_error **err)
{
    struct ctr_security_spec *sec = &spec->security;
    uint64_t base;

    ctr_security_defaults(sec);
    if (o->privileged) {
        /* All capabilities, no seccomp, nothing masked: still inside the user namespace. */
        sec->privileged = 1;
        sec->seccomp_unconfined = 1;
        strv_free(sec->masked_paths);
        strv_free(sec->readonly_paths);
        sec->masked_paths = sec->readonly_paths = NULL;
    }
    base = o->privileged ? ctr_caps_all() : ctr_caps_default();
    if (ctr_caps_compute(base, o->cap_add, o->cap_drop, &sec->caps, err) < 0)
        return -1;
    for (char **p = o->security_opts; p && *p; p++)
        if (security_opt(sec, *p, err) < 0)
            return -1;
    sec->read_only = o->read_only;
    sec->read_only_tmpfs = o->read_only_tmpfs != 0;
    return id_maps(o, spec, err);
}
