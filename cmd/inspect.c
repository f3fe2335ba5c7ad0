/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "container.h"
#include "proc.h"
#include "scmp.h"
#include "template.h"
#include "userns.h"
#include "xalloc.h"

static const struct cmd_option options[] = {
        {"format", 'f', required_argument, 'f', "FORMAT",
         "a Go template such as '{{.State.Status}}', or json", CMD_COMPLETE_FORMAT, NULL, NULL},
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

/* The top-level members of container_json(), which --format's {{.Field}} can name. */
static const char *const format_fields[] = {
        "AppArmorProfile",
        "Args",
        "BoundingCaps",
        "Config",
        "Created",
        "EffectiveCaps",
        "GraphDriver",
        "HostConfig",
        "IDMappings",
        "Id",
        "Image",
        "ImageName",
        "LogPath",
        "Mounts",
        "Name",
        "Namespaces",
        "NoNewPrivileges",
        "Path",
        "ProcessLabel",
        "SeccompProfile",
        "State",
        NULL,
};

/* RFC 3339 with nanoseconds, UTC, as Podman prints times; the zero time when unset. */
static json_t *time_json(int64_t ns)
{
    char buf[64];
    struct tm tm;
    time_t sec = (time_t)(ns / 1000000000);

    if (ns <= 0)
        return json_string("0001-01-01T00:00:00Z");
    gmtime_r(&sec, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    return json_sprintf("%s.%09lldZ", buf, (long long)(ns % 1000000000));
}

static json_t *map_json(const struct ctr_idmap *m, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; i < n; i++)
        json_array_append_new(a,
                              json_sprintf("%lu:%lu:%lu", m[i].inside, m[i].outside, m[i].count));
    return a;
}

static json_t *mounts_json(const struct ctr_spec *spec)
{
    json_t *a = json_array();

    for (size_t i = 0; i < spec->n_mounts; i++) {
        const struct ctr_mount_spec *m = &spec->mounts[i];

        json_array_append_new(a, json_pack("{s:s, s:s?, s:s, s:b, s:s?}", "Type",
                                           m->kind == CTR_MOUNT_BIND ? "bind" : "tmpfs", "Source",
                                           m->source, "Destination", m->destination, "RW",
                                           !m->readonly, "Options", m->data));
    }
    return a;
}

static json_t *namespaces_json(const struct storage_container *c)
{
    static const char *const names[] = {"user", "mnt", "pid", "uts", "ipc", "net", "cgroup"};
    json_t *o = json_object();
    int running = c->state == STORAGE_CONTAINER_RUNNING && ctr_proc_alive(c->pid, c->pid_start);

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[64];

        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)c->pid, names[i]);
        json_object_set_new(o, names[i], running ? json_string(path) : json_string(""));
    }
    return o;
}

static json_t *caps_json(uint64_t caps)
{
    json_t *a = json_array();

    for (int cap = 0; cap < 64; cap++)
        if ((caps & (1ULL << cap)) && ctr_cap_name(cap) != NULL)
            json_array_append_new(a, json_string(ctr_cap_name(cap)));
    return a;
}

static const char *seccomp_name(const struct ctr_security_spec *sec)
{
    if (sec->seccomp_unconfined)
        return "unconfined";
    return sec->seccomp_path ? sec->seccomp_path : ctr_seccomp_default_name();
}

/* The security settings, as Podman's inspect names them where it has a name. */
static void add_security(json_t *o, const struct ctr_spec *spec)
{
    const struct ctr_security_spec *sec = &spec->security;
    json_t *host = json_object_get(o, "HostConfig");
    json_t *opts = json_array();

    json_object_set_new(o, "EffectiveCaps", caps_json(sec->caps));
    json_object_set_new(o, "BoundingCaps", caps_json(sec->caps));
    json_object_set_new(o, "NoNewPrivileges", json_boolean(sec->no_new_privs));
    json_object_set_new(o, "SeccompProfile", json_string(seccomp_name(sec)));
    json_object_set_new(o, "AppArmorProfile", json_string(sec->apparmor ? sec->apparmor : ""));
    json_object_set_new(o, "ProcessLabel", json_string(sec->label ? sec->label : ""));
    json_array_append_new(opts, json_sprintf("seccomp=%s", seccomp_name(sec)));
    if (sec->no_new_privs)
        json_array_append_new(opts, json_string("no-new-privileges"));
    if (sec->apparmor)
        json_array_append_new(opts, json_sprintf("apparmor=%s", sec->apparmor));
    if (sec->label)
        json_array_append_new(opts, json_sprintf("label=%s", sec->label));
    json_object_set_new(host, "Privileged", json_boolean(sec->privileged));
    json_object_set_new(host, "SecurityOpt", opts);
    json_object_set_new(host, "ReadonlyRootfs", json_boolean(sec->read_only));
    json_object_set_new(host, "ReadOnlyTmpfs",
                        json_boolean(sec->read_only && sec->read_only_tmpfs));
    json_object_set_new(host, "MaskedPaths", cmd_strv_json(sec->masked_paths));
    json_object_set_new(host, "ReadonlyPaths", cmd_strv_json(sec->readonly_paths));
    json_object_set_new(host, "UsernsMode", json_string(sec->userns ? sec->userns : ""));
    json_object_set_new(host, "CapAdd", caps_json(sec->caps & ~ctr_caps_default()));
    json_object_set_new(host, "CapDrop", caps_json(ctr_caps_default() & ~sec->caps));
}

/* --restart and the command that created the container, with Podman's names. */
static void add_restart(json_t *o, const struct storage_container *c, const struct ctr_spec *spec)
{
    json_t *config = json_object_get(o, "Config");

    json_object_set_new(o, "RestartCount", json_integer(c->restart_count));
    json_object_set_new(json_object_get(o, "HostConfig"), "RestartPolicy",
                        json_pack("{s:s, s:I}", "Name", ctr_restart_policy_name(spec->restart),
                                  "MaximumRetryCount", (json_int_t)spec->restart_max));
    json_object_set_new(config, "CreateCommand", cmd_strv_json(spec->create_command));
}

static json_t *container_json(struct ctr_ctx *ctx, const struct storage_container *c,
                              const struct ctr_spec *spec)
{
    struct container_dirs d = {0};
    struct ctr_idmaps maps = {0};
    cleanup_error struct ctr_error *ignored = NULL;
    int has_ranges = 0, running = c->state == STORAGE_CONTAINER_RUNNING;
    json_t *o;

    container_dirs_init(&d, ctx->store, c->id);
    /* With --userns, --uidmap or --gidmap the maps computed at create replace these below. */
    if (spec->security.uid_map == NULL &&
        ctr_idmaps_for_current_user(&maps, &has_ranges, &ignored) < 0)
        ctr_error_clear(&ignored);
    o = json_pack("{s:s, s:o, s:s, s:o, s:{s:s, s:b, s:b, s:i, s:i, s:o, s:o}, s:s?, s:s?, s:s, "
                  "s:{s:s?, s:s?, s:o, s:o, s:s, s:o, s:s?, s:I, s:b, s:b}, "
                  "s:{s:b, s:s?, s:b}, s:o, s:o, s:{s:o, s:o}, s:s, "
                  "s:{s:s, s:{s:s, s:s, s:s}}}",
                  "Id", c->id, "Created", time_json(c->created), "Path", spec->argv[0], "Args",
                  cmd_strv_json(spec->argv + 1), "State", "Status",
                  storage_container_state_name(c->state), "Running", running, "Paused", 0, "Pid",
                  running ? (int)c->pid : 0, "ExitCode", c->exit_code < 0 ? 0 : c->exit_code,
                  "StartedAt", time_json(c->started), "FinishedAt", time_json(c->finished), "Image",
                  c->image_id, "ImageName", c->image_name, "Name", c->name, "Config", "Hostname",
                  spec->hostname, "User", spec->user ? spec->user : "", "Env",
                  cmd_strv_json(spec->env), "Cmd", cmd_strv_json(spec->argv), "WorkingDir",
                  spec->cwd ? spec->cwd : "/", "Labels", cmd_labels_json(spec->labels),
                  "StopSignal", ctr_signal_name(spec->stop_signal), "StopTimeout",
                  (json_int_t)spec->stop_timeout, "Tty", spec->tty, "OpenStdin", spec->interactive,
                  "HostConfig", "AutoRemove", spec->remove, "NetworkMode", spec->network, "Init",
                  spec->init, "Mounts", mounts_json(spec), "Namespaces", namespaces_json(c),
                  "IDMappings", "UidMap", map_json(maps.uid, maps.n_uid), "GidMap",
                  map_json(maps.gid, maps.n_gid), "LogPath", d.log, "GraphDriver", "Name",
                  "overlay", "Data", "UpperDir", d.upper, "WorkDir", d.work, "MergedDir", d.merged);
    ctr_idmaps_clear(&maps);
    container_dirs_clear(&d);
    if (spec->security.uid_map != NULL) {
        /* --userns, --uidmap, --gidmap: the maps computed at create. */
        json_t *m = json_object_get(o, "IDMappings");

        json_object_set_new(m, "UidMap", cmd_strv_json(spec->security.uid_map));
        json_object_set_new(m, "GidMap", cmd_strv_json(spec->security.gid_map));
    }
    add_security(o, spec);
    add_restart(o, c, spec);
    /* --sdnotify, and the process systemd is told to watch (ctr, or the monitor), as Podman
     * names them. */
    json_object_set_new(json_object_get(o, "Config"), "SdNotifyMode",
                        json_string(ctr_sdnotify_name(spec->sdnotify)));
    json_object_set_new(json_object_get(o, "State"), "ConmonPid",
                        json_integer(running ? (json_int_t)c->monitor_pid : 0));
    return o;
}

int cmd_inspect(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct ctr_template *tmpl = NULL;
    cleanup_with(json_decrefp) json_t *all = json_array();
    struct storage *s;
    int r;

    r = cmd_inspect_parse(&ctr_cmd_inspect, "inspect", "at least one container", argc, argv, &tmpl,
                          err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    s = ctx_store(ctx, err);
    for (int i = optind; s != NULL && i < argc && r == 0; i++) {
        struct storage_container ct = {0};
        struct ctr_spec spec = {0};

        r = storage_container_find(s, argv[i], &ct, err);
        if (r == 0)
            r = container_spec(&ct, &spec, err);
        if (r == 0)
            json_array_append_new(all, container_json(ctx, &ct, &spec));
        ctr_spec_clear(&spec);
        storage_container_clear(&ct);
    }
    if (s == NULL)
        r = -1;
    if (r == 0)
        r = cmd_inspect_print(all, tmpl, err);
    ctr_template_free(tmpl);
    return r;
}

const struct ctr_command ctr_cmd_inspect = {
        .name = "inspect",
        .run = cmd_inspect,
        .flags = CMD_NEEDS_STORE,
        .summary = "Show containers' configuration and state",
        .synopsis = "inspect [OPTIONS] CONTAINER...",
        .description = "Show containers as JSON: configuration, state, mounts, namespaces and id "
                       "maps, with\nPodman's field names.  (For images: 'ctr image "
                       "inspect'.)\n",
        .options = options,
        .operand = CMD_COMPLETE_CONTAINER,
        .operands = CMD_COMPLETE_CONTAINER,
        .format_fields = format_fields,
};
