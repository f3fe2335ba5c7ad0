/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "container.h"
#include "xalloc.h"

const char container_opts_help[] =
        "  -d, --detach             run in the background and print the container's id\n"
        "  -e, --env KEY[=VALUE]    set an environment variable (KEY alone: from ours)\n"
        "      --env-file FILE      read KEY=VALUE lines from FILE\n"
        "      --entrypoint CMD     override the image's entrypoint (its Cmd is dropped)\n"
        "  -i, --interactive        keep stdin open and pass it to the container\n"
        "  -t, --tty                allocate a terminal for the container\n"
        "  -w, --workdir DIR        working directory inside the container\n"
        "  -u, --user USER[:GROUP]  user (name or id) in the container's /etc/passwd\n"
        "  -h, --hostname NAME      the container's hostname (default: its short id)\n"
        "      --name NAME          the container's name (default: a generated one)\n"
        "  -v, --volume HOST:CTR[:ro|rw]  bind-mount a host path into the container\n"
        "      --tmpfs PATH[:OPTS]  mount a tmpfs (default rw,noexec,nosuid,nodev)\n"
        "  -l, --label KEY=VALUE    set a label\n"
        "      --rm                 remove the container when it exits\n"
        "      --init               run a small init as PID 1 that reaps zombies and\n"
        "                           forwards signals\n"
        "      --stop-signal SIG    signal that stops the container (default: the image's,\n"
        "                           else SIGTERM)\n"
        "      --stop-timeout N     seconds before 'ctr stop' kills it (default 10)\n"
        "      --cidfile FILE       write the container's id to FILE\n"
        "      --replace            remove a container with the same --name first\n"
        "      --network MODE       pasta[:OPTIONS] (the default when installed),\n"
        "                           slirp4netns[:OPTIONS], none (only lo), host,\n"
        "                           ns:PATH or container:NAME (alias --net)\n"
        "  -p, --publish [IP:][HOSTPORT:]PORT[/tcp|/udp]  publish a container port\n"
        "  -P, --publish-all        publish the image's exposed ports on free host ports\n"
        "      --dns IP             a nameserver for /etc/resolv.conf\n"
        "      --dns-search DOMAIN  a search domain for /etc/resolv.conf\n"
        "      --add-host NAME:IP   a line for /etc/hosts\n"
        "      --no-hosts           leave the image's /etc/hosts alone\n"
        "      --pull POLICY        missing (default), always or never\n"
        "      --tls-verify[=BOOL]  verify the registry's TLS certificate when pulling\n"
        "\n"
        "Security (defaults: the eleven capabilities Podman grants, a seccomp allow-list,\n"
        "no_new_privs, /proc and /sys paths without a namespace masked or read-only):\n"
        "      --cap-add CAP        add a capability (NET_ADMIN, cap_net_admin, ALL)\n"
        "      --cap-drop CAP       drop a capability (ALL drops every one)\n"
        "      --privileged         all capabilities, no seccomp, no masks, the host's devices\n"
        "                           (still confined by the user namespace)\n"
        "      --security-opt OPT   seccomp=PROFILE.json, seccomp=unconfined,\n"
        "                           no-new-privileges[=true|false], mask=PATH[:PATH...],\n"
        "                           unmask=PATH[:PATH...]|ALL, apparmor=PROFILE, label=...\n"
        "      --userns MODE        keep-id[:uid=U,gid=G] (your uid is the same inside) or nomap\n"
        "      --uidmap C:H:N       map container uids C.. to ids H.. of your user namespace\n"
        "      --gidmap C:H:N       the same for gids\n"
        "      --read-only          make the root filesystem read-only (volumes stay writable)\n"
        "      --read-only-tmpfs[=BOOL]  with --read-only, tmpfs on /tmp, /var/tmp, /run and\n"
        "                           /dev/shm (default true)\n"
        "      --help               print this help\n";

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
};

static const struct option options[] = {
        {"detach", no_argument, NULL, 'd'},
        {"env", required_argument, NULL, 'e'},
        {"env-file", required_argument, NULL, OPT_ENV_FILE},
        {"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
        {"interactive", no_argument, NULL, 'i'},
        {"tty", no_argument, NULL, 't'},
        {"workdir", required_argument, NULL, 'w'},
        {"user", required_argument, NULL, 'u'},
        {"hostname", required_argument, NULL, 'h'},
        {"name", required_argument, NULL, OPT_NAME},
        {"volume", required_argument, NULL, 'v'},
        {"tmpfs", required_argument, NULL, OPT_TMPFS},
        {"label", required_argument, NULL, 'l'},
        {"rm", no_argument, NULL, OPT_RM},
        {"init", no_argument, NULL, OPT_INIT},
        {"stop-signal", required_argument, NULL, OPT_STOP_SIGNAL},
        {"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
        {"cidfile", required_argument, NULL, OPT_CIDFILE},
        {"replace", no_argument, NULL, OPT_REPLACE},
        {"network", required_argument, NULL, OPT_NETWORK},
        {"net", required_argument, NULL, OPT_NETWORK},
        {"pull", required_argument, NULL, OPT_PULL},
        {"tls-verify", optional_argument, NULL, OPT_TLS_VERIFY},
        {"help", no_argument, NULL, OPT_HELP},
        {"cap-add", required_argument, NULL, OPT_CAP_ADD},
        {"cap-drop", required_argument, NULL, OPT_CAP_DROP},
        {"privileged", no_argument, NULL, OPT_PRIVILEGED},
        {"security-opt", required_argument, NULL, OPT_SECURITY_OPT},
        {"userns", required_argument, NULL, OPT_USERNS},
        {"uidmap", required_argument, NULL, OPT_UIDMAP},
        {"gidmap", required_argument, NULL, OPT_GIDMAP},
        {"read-only", no_argument, NULL, OPT_READ_ONLY},
        {"read-only-tmpfs", optional_argument, NULL, OPT_READ_ONLY_TMPFS},
        {"publish", required_argument, NULL, 'p'},
        {"publish-all", no_argument, NULL, 'P'},
        {"dns", required_argument, NULL, OPT_DNS},
        {"dns-search", required_argument, NULL, OPT_DNS_SEARCH},
        {"add-host", required_argument, NULL, OPT_ADD_HOST},
        {"no-hosts", no_argument, NULL, OPT_NO_HOSTS},
        {NULL, 0, NULL, 0},
};

int container_opts_parse(const char *cmd, int argc, char **argv, struct container_opts *o,
                         int *ret_help, struct ctr_error **err)
{
    unsigned timeout;
    int c;

    *ret_help = 0;
    o->stop_timeout = -1;
    o->tls_verify = -1;
    o->pull = "missing";
    o->read_only_tmpfs = -1;
    opterr = 0;
    /* '+': options end at the image; what follows is the container's command. */
    while ((c = getopt_long(argc, argv, "+:de:itw:u:h:v:l:p:P", options, NULL)) != -1) {
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
