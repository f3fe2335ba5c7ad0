/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cmd.h"
#include "net.h"
#include "probe.h"
#include "subid.h"
#include "xalloc.h"

static const struct cmd_option options[] = {
        {"format", 'f', required_argument, 'f', "FORMAT", "'text' (default) or 'json'",
         CMD_COMPLETE_VALUES, "text json", NULL},
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

#define SUBUID_FILE "/etc/subuid"
#define SUBGID_FILE "/etc/subgid"

/* jansson ships json_decrefp() for its json_auto_t; cleanup_with() uses it directly. */

static void add_problem(json_t *problems, const char *what, const char *fix)
{
    json_array_append_new(problems, json_pack("{s:s, s:s?}", "problem", what, "fix", fix));
}

static json_t *check_json(const struct ctr_check *c, json_t *problems)
{
    if (!c->ok)
        add_problem(problems, c->problem ? c->problem : "check failed", c->fix);
    return json_pack("{s:b, s:s?, s:s?}", "ok", c->ok, "problem", c->problem, "fix", c->fix);
}

static json_t *subid_json(const char *file, const char *kind, const struct ctr_subid *s,
                          const char *user, unsigned id, json_t *problems)
{
    json_t *ranges = json_array(), *bad = json_array();

    for (size_t i = 0; i < s->n_ranges; i++)
        json_array_append_new(ranges, json_pack("{s:I, s:I, s:i, s:s}", "start",
                                                (json_int_t)s->ranges[i].start, "count",
                                                (json_int_t)s->ranges[i].count, "line",
                                                (int)s->ranges[i].line, "matched",
                                                s->ranges[i].by_uid ? "uid" : "name"));
    for (size_t i = 0; i < s->n_problems; i++) {
        cleanup_free char *what = xasprintf("%s line %u is malformed (%s) and is ignored", file,
                                            s->problems[i].line, s->problems[i].reason);
        cleanup_free char *fix = xasprintf("edit %s: each line is NAME:START:COUNT", file);

        json_array_append_new(bad, json_pack("{s:i, s:s}", "line", (int)s->problems[i].line,
                                             "reason", s->problems[i].reason));
        add_problem(problems, what, fix);
    }
    if (s->n_ranges == 0) {
        cleanup_free char *what = xasprintf(
                "no subordinate %s range for user '%s' (%s %u) in %s%s: containers get a "
                "single-id mapping",
                kind, user, kind, id, file, s->file_missing ? " (the file does not exist)" : "");
        unsigned long start = ctr_subid_suggest_start(s, 65536);
        cleanup_free char *fix =
                xasprintf("usermod --add-sub%ss %lu-%lu %s", kind, start, start + 65535, user);

        add_problem(problems, what, fix);
    }
    return json_pack("{s:s, s:b, s:o, s:I, s:o}", "file", file, "exists", !s->file_missing,
                     "ranges", ranges, "total", (json_int_t)ctr_subid_total(s), "malformed", bad);
}

static json_t *idmap_tool_json(const char *name, const struct ctr_idmap_tool *t, json_t *problems)
{
    json_t *check = check_json(&t->check, problems);

    json_object_set_new(check, "name", json_string(name));
    json_object_set_new(check, "path", t->path ? json_string(t->path) : json_null());
    json_object_set_new(check, "privileged", json_boolean(t->setuid_or_fcaps));
    return check;
}

static json_t *host_json(const struct ctr_probe *p, json_t *problems)
{
    json_t *userns = check_json(&p->userns, problems);
    json_t *overlay = check_json(&p->overlay, problems);
    json_t *seccomp = check_json(&p->seccomp, problems);

    json_object_set_new(userns, "max_user_namespaces", json_integer(p->max_user_namespaces));
    if (p->unprivileged_userns_clone >= 0)
        json_object_set_new(userns, "unprivileged_userns_clone",
                            json_integer(p->unprivileged_userns_clone));
    json_object_set_new(overlay, "userxattr", json_boolean(p->overlay_userxattr));
    json_object_set_new(seccomp, "libseccomp", json_string(p->libseccomp_version));
    json_object_set_new(seccomp, "api_level", json_integer(p->seccomp_api));
    return json_pack(
            "{s:{s:s?, s:s?, s:s?}, s:o, s:o, s:o, s:o, s:o, s:{s:i, s:b, s:s?, s:o, "
            "s:o}}",
            "kernel", "release", p->kernel_release, "version", p->kernel_version, "machine",
            p->machine, "newuidmap", idmap_tool_json("newuidmap", &p->newuidmap, problems),
            "newgidmap", idmap_tool_json("newgidmap", &p->newgidmap, problems), "userns", userns,
            "overlay", overlay, "seccomp", seccomp, "cgroup", "version", p->cgroup_version,
            "hybrid", p->cgroup_hybrid, "path", p->cgroup_path, "controllers",
            cmd_strv_json(p->cgroup_controllers), "delegated", cmd_strv_json(p->cgroup_delegated));
}

static json_t *net_json(json_t *problems)
{
    struct net_helper_info h[NET_HELPER_COUNT];
    json_t *a = json_array();
    int any = 0;

    net_helpers_detect(h);
    for (int i = 0; i < NET_HELPER_COUNT; i++) {
        json_array_append_new(a, json_pack("{s:s, s:s?, s:s?, s:s}", "name", h[i].name, "path",
                                           h[i].path, "version", h[i].version, "package",
                                           h[i].package));
        any |= h[i].path != NULL;
    }
    if (!any)
        add_problem(problems,
                    "no user-mode network helper (pasta or slirp4netns) is installed: containers "
                    "can only use --network none or host",
                    "apt-get install passt");
    net_helpers_clear(h);
    return a;
}

static json_t *build_report(struct ctr_ctx *ctx, struct ctr_error **err)
{
    uid_t uid = geteuid();
    gid_t gid = getegid();
    struct passwd *pw = getpwuid(uid);
    cleanup_free char *user = pw ? xstrdup(pw->pw_name) : xasprintf("%u", (unsigned)uid);
    struct ctr_subid subuid = {0}, subgid = {0};
    struct ctr_probe probe = {0};
    struct storage *store;
    json_t *problems = json_array(), *report = NULL;
    cleanup_free char *scratch = NULL;

    store = ctx_store(ctx, err);
    if (store == NULL)
        goto out;
    if (ctr_subid_read(SUBUID_FILE, user, uid, &subuid, err) < 0 ||
        ctr_subid_read(SUBGID_FILE, user, uid, &subgid, err) < 0)
        goto out;
    /* The overlay probe mounts in a private scratch directory of the runtime dir. */
    scratch = xstrdup(store->runroot);
    if (ctr_probe_host(scratch, uid, gid, &subuid, &subgid, &probe, err) < 0)
        goto out;
    report = json_pack(
            "{s:s, s:{s:s, s:I, s:I}, s:o, s:o, s:o, s:o, s:{s:s, s:s, s:s, s:i}}", "version",
            CTR_VERSION, "user", "name", user, "uid", (json_int_t)uid, "gid", (json_int_t)gid,
            "subuid", subid_json(SUBUID_FILE, "uid", &subuid, user, (unsigned)uid, problems),
            "subgid", subid_json(SUBGID_FILE, "gid", &subgid, user, (unsigned)gid, problems),
            "host", host_json(&probe, problems), "network_helpers", net_json(problems), "store",
            "root", store->root, "runroot", store->runroot, "database", store->db_path,
            "schema_version", store->schema_version);
    json_object_set(report, "problems", problems);
out:
    json_decref(problems);
    ctr_probe_clear(&probe);
    ctr_subid_clear(&subuid);
    ctr_subid_clear(&subgid);
    return report;
}

/* Text rendering of the report. */

static const char *jstr(json_t *o, const char *path)
{
    char key[64];
    const char *dot;

    while ((dot = strchr(path, '.')) != NULL) {
        snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
        o = json_object_get(o, key);
        path = dot + 1;
    }
    o = json_object_get(o, path);
    return json_is_string(o) ? json_string_value(o) : NULL;
}

static void print_check(const char *label, json_t *c, const char *ok_text)
{
    if (json_is_true(json_object_get(c, "ok")))
        printf("%-18s %s\n", label, ok_text);
    else
        printf("%-18s no: %s\n", label, jstr(c, "problem"));
}

static void print_subid(const char *label, json_t *s)
{
    json_t *ranges = json_object_get(s, "ranges"), *r;
    size_t i;

    if (json_array_size(ranges) == 0) {
        printf("%-18s none in %s\n", label, jstr(s, "file"));
        return;
    }
    json_array_foreach(ranges, i, r)
    {
        json_int_t start = json_integer_value(json_object_get(r, "start"));
        json_int_t count = json_integer_value(json_object_get(r, "count"));

        printf("%-18s %" JSON_INTEGER_FORMAT "-%" JSON_INTEGER_FORMAT " (%" JSON_INTEGER_FORMAT
               " ids, %s line %d, by %s)\n",
               i == 0 ? label : "", start, start + count - 1, count, jstr(s, "file"),
               (int)json_integer_value(json_object_get(r, "line")), jstr(r, "matched"));
    }
}

static void print_idmap_tool(json_t *t)
{
    const char *path = jstr(t, "path");

    if (path == NULL) {
        printf("%-18s not installed\n", jstr(t, "name"));
        return;
    }
    if (json_is_true(json_object_get(t, "ok")))
        printf("%-18s %s (%s): works\n", jstr(t, "name"), path,
               json_is_true(json_object_get(t, "privileged")) ? "setuid or file capabilities"
                                                              : "not privileged");
    else
        printf("%-18s %s: %s\n", jstr(t, "name"), path, jstr(t, "problem"));
}

static void print_words(json_t *a)
{
    json_t *v;
    size_t i;

    if (json_array_size(a) == 0)
        fputs("none", stdout);
    json_array_foreach(a, i, v) printf("%s%s", i ? " " : "", json_string_value(v));
}

static void print_text(json_t *r)
{
    json_t *host = json_object_get(r, "host"), *cg = json_object_get(host, "cgroup"), *v;
    json_t *problems = json_object_get(r, "problems");
    cleanup_free char *okline = NULL;
    size_t i;
    int first = 1;

    printf("%-18s %s\n", "ctr version", jstr(r, "version"));
    printf("%-18s %s %s (%s)\n", "kernel", jstr(host, "kernel.release"),
           jstr(host, "kernel.machine"), jstr(host, "kernel.version"));
    printf("%-18s %s (uid %" JSON_INTEGER_FORMAT ", gid %" JSON_INTEGER_FORMAT ")\n", "user",
           jstr(r, "user.name"),
           json_integer_value(json_object_get(json_object_get(r, "user"), "uid")),
           json_integer_value(json_object_get(json_object_get(r, "user"), "gid")));
    print_subid("subordinate uids", json_object_get(r, "subuid"));
    print_subid("subordinate gids", json_object_get(r, "subgid"));
    print_idmap_tool(json_object_get(host, "newuidmap"));
    print_idmap_tool(json_object_get(host, "newgidmap"));
    print_check("user namespaces", json_object_get(host, "userns"), "work");
    print_check("overlayfs", json_object_get(host, "overlay"),
                json_is_true(json_object_get(json_object_get(host, "overlay"), "userxattr"))
                        ? "mounts inside a user namespace (userxattr)"
                        : "mounts inside a user namespace");
    okline = xasprintf(
            "works (libseccomp %s, API level %" JSON_INTEGER_FORMAT ")",
            jstr(host, "seccomp.libseccomp"),
            json_integer_value(json_object_get(json_object_get(host, "seccomp"), "api_level")));
    print_check("seccomp", json_object_get(host, "seccomp"), okline);
    printf("%-18s ", "cgroups");
    switch (json_integer_value(json_object_get(cg, "version"))) {
    case 2:
        fputs("v2", stdout);
        break;
    case 1:
        fputs(json_is_true(json_object_get(cg, "hybrid")) ? "v1 (hybrid)" : "v1", stdout);
        break;
    default:
        fputs("unknown", stdout);
    }
    if (jstr(cg, "path") != NULL)
        printf(", cgroup %s", jstr(cg, "path"));
    fputs(", controllers: ", stdout);
    print_words(json_object_get(cg, "controllers"));
    fputs(", delegated to you: ", stdout);
    print_words(json_object_get(cg, "delegated"));
    putchar('\n');
    json_array_foreach(json_object_get(r, "network_helpers"), i, v)
    {
        const char *path = jstr(v, "path");

        printf("%-18s %s: ", first ? "network helpers" : "", jstr(v, "name"));
        if (path != NULL)
            printf("%s%s%s\n", path, jstr(v, "version") ? ", " : "",
                   jstr(v, "version") ? jstr(v, "version") : "");
        else
            printf("not installed (apt-get install %s)\n", jstr(v, "package"));
        first = 0;
    }
    printf("%-18s %s\n", "storage root", jstr(r, "store.root"));
    printf("%-18s %s\n", "runtime dir", jstr(r, "store.runroot"));
    printf("%-18s %s (schema version %" JSON_INTEGER_FORMAT ")\n", "database",
           jstr(r, "store.database"),
           json_integer_value(json_object_get(json_object_get(r, "store"), "schema_version")));
    if (json_array_size(problems) == 0) {
        printf("\nproblems: none\n");
        return;
    }
    printf("\nproblems:\n");
    json_array_foreach(problems, i, v)
    {
        printf("  - %s\n", jstr(v, "problem"));
        if (jstr(v, "fix") != NULL)
            printf("    fix (as root): %s\n", jstr(v, "fix"));
    }
}

int cmd_info(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct cmd_getopt g;
    enum cmd_format format = CMD_FORMAT_TEXT;
    cleanup_with(json_decrefp) json_t *report = NULL;
    int c;

    cmd_getopt_init(&g, options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        switch (c) {
        case 'f':
            if (cmd_parse_format("info", optarg, &format, err) < 0)
                return -1;
            break;
        case 'h':
            cmd_print_help(&ctr_cmd_info);
            return 0;
        default:
            return cmd_getopt_error("info", c, argv, err);
        }
    }
    if (optind < argc)
        return cmd_usage_error("info", err, "takes no arguments, got '%s'", argv[optind]);
    report = build_report(ctx, err);
    if (report == NULL)
        return -1;
    if (format == CMD_FORMAT_JSON) {
        cleanup_free char *text = json_dumps(report, JSON_INDENT(2));

        if (text == NULL)
            return ctr_error_set(err, ENOMEM, "format the report");
        puts(text);
    } else {
        print_text(report);
    }
    return 0;
}

const struct ctr_command ctr_cmd_info = {
        .name = "info",
        .run = cmd_info,
        .flags = CMD_NEEDS_STORE,
        .summary = "Show what this host and user can run, and what to fix",
        .synopsis = "info [--format json]",
        .description =
                "Report what this host lets you run: kernel, user namespaces, your "
                "subordinate\nid ranges, newuidmap/newgidmap, overlayfs, seccomp, cgroups, "
                "network helpers,\nand where ctr keeps its state.  Each check is really tried, "
                "not guessed, and\neach missing piece is named with the command an "
                "administrator runs to fix it.\n",
        .options = options,
};
