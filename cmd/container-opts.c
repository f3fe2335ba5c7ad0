/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "config.h"
#include "container.h"
#include "xalloc.h"

enum {
    OPT_ENV_FILE = 256,
    OPT_ENTRYPOINT,
    OPT_NAME,
    OPT_TMPFS,
    OPT_RM,
    OPT_INIT,
    OPT_STOP_SIGNAL,
    OPT_STOP_TIMEOUT,
    OPT_CIDFILE,
    OPT_REPLACE,
    OPT_NETWORK,
    OPT_PULL,
    OPT_TLS_VERIFY,
    OPT_HELP,
    OPT_CAP_ADD,
    OPT_CAP_DROP,
    OPT_PRIVILEGED,
    OPT_SECURITY_OPT,
    OPT_USERNS,
    OPT_UIDMAP,
    OPT_GIDMAP,
    OPT_READ_ONLY,
    OPT_READ_ONLY_TMPFS,
    OPT_DNS,
    OPT_DNS_SEARCH,
    OPT_ADD_HOST,
    OPT_NO_HOSTS,
    OPT_RESTART,
    OPT_SDNOTIFY,
};

const struct cmd_option container_options[] = {
        {"detach", 'd', no_argument, 'd', NULL,
         "run in the background and print the container's id", CMD_COMPLETE_NONE, NULL, NULL},
        {"env", 'e', required_argument, 'e', "KEY[=VALUE]",
         "set an environment variable (KEY alone: from ours)", CMD_COMPLETE_NONE, NULL, NULL},
        {"env-file", 0, required_argument, OPT_ENV_FILE, "FILE", "read KEY=VALUE lines from FILE",
         CMD_COMPLETE_FILE, NULL, NULL},
        {"entrypoint", 0, required_argument, OPT_ENTRYPOINT, "CMD",
         "override the image's entrypoint (its Cmd is dropped)", CMD_COMPLETE_NONE, NULL, NULL},
        {"interactive", 'i', no_argument, 'i', NULL, "keep stdin open and pass it to the container",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"tty", 't', no_argument, 't', NULL, "allocate a terminal for the container",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"workdir", 'w', required_argument, 'w', "DIR", "working directory inside the container",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"user", 'u', required_argument, 'u', "USER[:GROUP]",
         "user (name or id) in the container's /etc/passwd", CMD_COMPLETE_NONE, NULL, NULL},
        {"hostname", 'h', required_argument, 'h', "NAME",
         "the container's hostname (default: its short id)", CMD_COMPLETE_NONE, NULL, NULL},
        {"name", 0, required_argument, OPT_NAME, "NAME",
         "the container's name (default: a generated one)", CMD_COMPLETE_NONE, NULL, NULL},
        {"volume", 'v', required_argument, 'v', "HOST:CTR[:ro|rw]",
         "bind-mount a host path into the container", CMD_COMPLETE_FILE, NULL, NULL},
        {"tmpfs", 0, required_argument, OPT_TMPFS, "PATH[:OPTS]",
         "mount a tmpfs (default rw,noexec,nosuid,nodev)", CMD_COMPLETE_NONE, NULL, NULL},
        {"label", 'l', required_argument, 'l', "KEY=VALUE", "set a label", CMD_COMPLETE_NONE, NULL,
         NULL},
        {"rm", 0, no_argument, OPT_RM, NULL, "remove the container when it exits",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"init", 0, no_argument, OPT_INIT, NULL,
         "run a small init as PID 1 that reaps zombies and\nforwards signals", CMD_COMPLETE_NONE,
         NULL, NULL},
        {"stop-signal", 0, required_argument, OPT_STOP_SIGNAL, "SIG",
         "signal that stops the container (default: the image's,\nelse SIGTERM)",
         CMD_COMPLETE_SIGNAL, NULL, NULL},
        {"stop-timeout", 0, required_argument, OPT_STOP_TIMEOUT, "N",
         "seconds from the stop signal to SIGKILL, for 'ctr stop'\nand for SIGTERM to ctr or its "
         "monitor (default 10)",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"cidfile", 0, required_argument, OPT_CIDFILE, "FILE",
         "write the container's id to FILE (which must not exist,\nunless --replace)",
         CMD_COMPLETE_FILE, NULL, NULL},
        {"replace", 0, no_argument, OPT_REPLACE, NULL,
         "remove a container with the same --name first, and\noverwrite --cidfile",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"sdnotify", 0, required_argument, OPT_SDNOTIFY, "MODE",
         "with systemd's $NOTIFY_SOCKET: container (the default:\nthe container notifies through "
         "a socket of its own),\nconmon (READY=1 once it runs) or ignore",
         CMD_COMPLETE_VALUES, "container conmon ignore", NULL},
        {"restart", 0, required_argument, OPT_RESTART, "POLICY",
         "restart it when it exits: no (default), on-failure[:N]\n(a non-zero code, at most N "
         "times), always, unless-stopped\n(as always); never after ctr stop, kill or rm -f",
         CMD_COMPLETE_VALUES, "no on-failure always unless-stopped", NULL},
        {"network", 0, required_argument, OPT_NETWORK, "MODE",
         "pasta[:OPTIONS] (the default when installed),\nslirp4netns[:OPTIONS], none (only lo), "
         "host,\nns:PATH or container:NAME",
         CMD_COMPLETE_NETWORK, NULL, NULL},
        {"net", 0, required_argument, OPT_NETWORK, "MODE", "the same as --network",
         CMD_COMPLETE_NETWORK, NULL, NULL},
        {"publish", 'p', required_argument, 'p', "[IP:][HOSTPORT:]PORT[/tcp|/udp]",
         "publish a container port", CMD_COMPLETE_NONE, NULL, NULL},
        {"publish-all", 'P', no_argument, 'P', NULL,
         "publish the image's exposed ports on free host ports", CMD_COMPLETE_NONE, NULL, NULL},
        {"dns", 0, required_argument, OPT_DNS, "IP", "a nameserver for /etc/resolv.conf",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"dns-search", 0, required_argument, OPT_DNS_SEARCH, "DOMAIN",
         "a search domain for /etc/resolv.conf", CMD_COMPLETE_NONE, NULL, NULL},
        {"add-host", 0, required_argument, OPT_ADD_HOST, "NAME:IP", "a line for /etc/hosts",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"no-hosts", 0, no_argument, OPT_NO_HOSTS, NULL, "leave the image's /etc/hosts alone",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"pull", 0, required_argument, OPT_PULL, "POLICY", "missing (default), always or never",
         CMD_COMPLETE_VALUES, "missing always never", NULL},
        {"tls-verify", 0, optional_argument, OPT_TLS_VERIFY, "BOOL",
         "verify the registry's TLS certificate when pulling", CMD_COMPLETE_VALUES, "true false",
         NULL},
        {"cap-add", 0, required_argument, OPT_CAP_ADD, "CAP",
         "add a capability (NET_ADMIN, cap_net_admin, ALL)", CMD_COMPLETE_CAPABILITY, NULL,
         "Security (defaults: the eleven capabilities Podman grants, a seccomp "
         "allow-list,\nno_new_privs, /proc and /sys paths without a namespace masked or "
         "read-only):"},
        {"cap-drop", 0, required_argument, OPT_CAP_DROP, "CAP",
         "drop a capability (ALL drops every one)", CMD_COMPLETE_CAPABILITY, NULL, NULL},
        {"privileged", 0, no_argument, OPT_PRIVILEGED, NULL,
         "all capabilities, no seccomp, no masks, the host's devices\n(still confined by the user "
         "namespace)",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"security-opt", 0, required_argument, OPT_SECURITY_OPT, "OPT",
         "seccomp=PROFILE.json, seccomp=unconfined,\nno-new-privileges[=true|false], "
         "mask=PATH[:PATH...],\nunmask=PATH[:PATH...]|ALL, apparmor=PROFILE, label=...",
         CMD_COMPLETE_VALUES,
         "seccomp= seccomp=unconfined no-new-privileges no-new-privileges=false mask= unmask= "
         "unmask=ALL apparmor= label=",
         NULL},
        {"userns", 0, required_argument, OPT_USERNS, "MODE",
         "keep-id[:uid=U,gid=G] (your uid is the same inside) or nomap", CMD_COMPLETE_VALUES,
         "keep-id nomap", NULL},
        {"uidmap", 0, required_argument, OPT_UIDMAP, "C:H:N",
         "map container uids C.. to ids H.. of your user namespace", CMD_COMPLETE_NONE, NULL, NULL},
        {"gidmap", 0, required_argument, OPT_GIDMAP, "C:H:N", "the same for gids",
         CMD_COMPLETE_NONE, NULL, NULL},
        {"read-only", 0, no_argument, OPT_READ_ONLY, NULL,
         "make the root filesystem read-only (volumes stay writable)", CMD_COMPLETE_NONE, NULL,
         NULL},
        {"read-only-tmpfs", 0, optional_argument, OPT_READ_ONLY_TMPFS, "BOOL",
         "with --read-only, tmpfs on /tmp, /var/tmp, /run and\n/dev/shm (default true)",
         CMD_COMPLETE_VALUES, "true false", NULL},
        {"help", 0, no_argument, OPT_HELP, NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

int container_opts_parse(const char *cmd, int argc, char **argv, struct container_opts *o,
                         int *ret_help, struct ctr_error **err)
{
    struct cmd_getopt g;
    unsigned timeout;
    int c;

    *ret_help = 0;
    o->stop_timeout = -1;
    o->tls_verify = -1;
    /* ctr.conf's defaults; the options below override them. */
    o->pull = cmd_config()->pull != NULL ? cmd_config()->pull : "missing";
    o->network = cmd_config()->network;
    o->read_only_tmpfs = -1;
    /* '+': options end at the image; what follows is the container's command. */
    cmd_getopt_init(&g, container_options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        switch (c) {
        case 'd':
            o->detach = 1;
            break;
        case 'e':
            if (optarg[0] == '=' || optarg[0] == '\0')
                return cmd_usage_error(cmd, err,
                                       "invalid environment variable '%s': it needs a name before "
                                       "'='",
                                       optarg);
            strv_push(&o->env, optarg);
            break;
        case OPT_ENV_FILE:
            strv_push(&o->env_files, optarg);
            break;
        case OPT_ENTRYPOINT:
            o->entrypoint = optarg;
            o->has_entrypoint = 1;
            break;
        case 'i':
            o->interactive = 1;
            break;
        case 't':
            o->tty = 1;
            break;
        case 'w':
            if (optarg[0] != '/')
                return cmd_usage_error(cmd, err, "--workdir '%s' must be an absolute path", optarg);
            o->workdir = optarg;
            break;
        case 'u':
            o->user = optarg;
            break;
        case 'h':
            o->hostname = optarg;
            break;
        case OPT_NAME:
            o->name = optarg;
            break;
        case 'v':
            strv_push(&o->volumes, optarg);
            break;
        case OPT_TMPFS:
            strv_push(&o->tmpfs, optarg);
            break;
        case 'l':
            strv_push(&o->labels, optarg);
            break;
        case OPT_RM:
            o->rm = 1;
            break;
        case OPT_INIT:
            o->init = 1;
            break;
        case OPT_STOP_SIGNAL:
            o->stop_signal = optarg;
            break;
        case OPT_STOP_TIMEOUT:
            if (cmd_parse_uint(cmd, "--stop-timeout", optarg, 86400 * 365, &timeout, err) < 0)
                return -1;
            o->stop_timeout = (int)timeout;
            break;
        case OPT_CIDFILE:
            o->cidfile = optarg;
            break;
        case OPT_REPLACE:
            o->replace = 1;
            break;
        case OPT_RESTART:
            if (ctr_parse_restart(optarg, &o->restart, &o->restart_max, err) < 0)
                return ctr_error_wrap(err, "%s --restart", cmd);
            break;
        case OPT_SDNOTIFY:
            if (ctr_sdnotify_from_name(optarg, &o->sdnotify) < 0)
                return cmd_usage_error(
                        cmd, err, "--sdnotify takes container, conmon or ignore, not '%s'", optarg);
            break;
        case OPT_NETWORK:
            o->network = optarg;
            break;
        case OPT_PULL:
            if (strcmp(optarg, "missing") != 0 && strcmp(optarg, "always") != 0 &&
                strcmp(optarg, "never") != 0)
                return cmd_usage_error(cmd, err, "--pull takes missing, always or never, not '%s'",
                                       optarg);
            o->pull = optarg;
            break;
        case OPT_TLS_VERIFY:
            if (cmd_parse_bool(cmd, "--tls-verify", optarg, &o->tls_verify, err) < 0)
                return -1;
            break;
        case OPT_HELP:
            *ret_help = 1;
            return 0;
        case OPT_CAP_ADD:
            strv_push(&o->cap_add, optarg);
            break;
        case OPT_CAP_DROP:
            strv_push(&o->cap_drop, optarg);
            break;
        case OPT_PRIVILEGED:
            o->privileged = 1;
            break;
        case OPT_SECURITY_OPT:
            strv_push(&o->security_opts, optarg);
            break;
        case OPT_USERNS:
            o->userns = optarg;
            break;
        case OPT_UIDMAP:
            strv_push(&o->uidmaps, optarg);
            break;
        case OPT_GIDMAP:
            strv_push(&o->gidmaps, optarg);
            break;
        case OPT_READ_ONLY:
            o->read_only = 1;
            break;
        case 'p':
            strv_push(&o->publish, optarg);
            break;
        case 'P':
            o->publish_all = 1;
            break;
        case OPT_DNS:
            strv_push(&o->dns, optarg);
            break;
        case OPT_DNS_SEARCH:
            strv_push(&o->dns_search, optarg);
            break;
        case OPT_ADD_HOST:
            if (strchr(optarg, ':') == NULL || optarg[0] == ':')
                return cmd_usage_error(cmd, err, "--add-host '%s' must be NAME:IP", optarg);
            strv_push(&o->add_hosts, optarg);
            break;
        case OPT_NO_HOSTS:
            o->no_hosts = 1;
            break;
        case OPT_READ_ONLY_TMPFS:
            if (cmd_parse_bool(cmd, "--read-only-tmpfs", optarg, &o->read_only_tmpfs, err) < 0)
                return -1;
            break;
        default:
            return cmd_getopt_error(cmd, c, argv, err);
        }
    }
    if (o->replace && o->name == NULL)
        return cmd_usage_error(cmd, err,
                               "--replace needs --name: it replaces the container "
                               "of that name");
    /* Podman refuses the pair too: a container removed as it exits cannot be restarted. */
    if (o->rm && o->restart != CTR_RESTART_NO)
        return cmd_usage_error(cmd, err,
                               "--rm and --restart %s exclude each other: a container removed "
                               "when it exits cannot be restarted",
                               ctr_restart_policy_name(o->restart));
    o->argc = argc;
    o->argv = argv;
    return 0;
}

void container_opts_clear(struct container_opts *o)
{
    strv_free(o->env);
    strv_free(o->env_files);
    strv_free(o->volumes);
    strv_free(o->tmpfs);
    strv_free(o->labels);
    strv_free(o->cap_add);
    strv_free(o->cap_drop);
    strv_free(o->security_opts);
    strv_free(o->uidmaps);
    strv_free(o->gidmaps);
    strv_free(o->publish);
    strv_free(o->dns);
    strv_free(o->dns_search);
    strv_free(o->add_hosts);
    memset(o, 0, sizeof(*o));
}
