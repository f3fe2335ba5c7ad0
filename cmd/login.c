/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "cmd.h"
#include "ref.h"
#include "registry.h"
#include "xalloc.h"

enum {
    OPT_PASSWORD_STDIN = 256,
    OPT_AUTHFILE,
    OPT_TLS_VERIFY,
    OPT_CERT_DIR,
    OPT_GET_LOGIN
};

static const struct cmd_option options[] = {
        {"username", 'u', required_argument, 'u', "USER",
         "the user name (asked for when not given)", CMD_COMPLETE_NONE, NULL, NULL},
        {"password", 'p', required_argument, 'p', "PASS",
         "the password (visible to other users in ps: avoid)", CMD_COMPLETE_NONE, NULL, NULL},
        {"password-stdin", 0, no_argument, OPT_PASSWORD_STDIN, NULL,
         "read the password from standard input", CMD_COMPLETE_NONE, NULL, NULL},
        {"authfile", 0, required_argument, OPT_AUTHFILE, "FILE",
         "the auth file (default $REGISTRY_AUTH_FILE, else the\none above)", CMD_COMPLETE_FILE,
         NULL, NULL},
        {"tls-verify", 0, optional_argument, OPT_TLS_VERIFY, "BOOL",
         "require https and a valid certificate (default true,\nunless registries.conf marks "
         "REGISTRY insecure)",
         CMD_COMPLETE_VALUES, "true false", NULL},
        {"cert-dir", 0, required_argument, OPT_CERT_DIR, "DIR",
         "CA certificates (*.crt) and a client certificate\n(*.cert, *.key) for REGISTRY",
         CMD_COMPLETE_DIR, NULL, NULL},
        {"get-login", 0, no_argument, OPT_GET_LOGIN, NULL,
         "print the user name stored for REGISTRY", CMD_COMPLETE_NONE, NULL, NULL},
        {"help", 'h', no_argument, 'h', NULL, "print this help", CMD_COMPLETE_NONE, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, CMD_COMPLETE_NONE, NULL, NULL},
};

#define SECRET_MAX 4096

struct login_opts {
    const char *username;
    char *password; /* owned: from -p, stdin or the terminal */
    int password_stdin;
    const char *authfile;
    int tls_verify; /* -1: as registries.conf says */
    const char *cert_dir;
    int get_login;
    char *domain;
};

static void wipe(char *s)
{
    if (s != NULL) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

/* "https://quay.io/" is how people copy a registry from a browser: take the host from it. */
char *cmd_registry_domain(const char *cmd, const char *arg, struct ctr_error **err)
{
    const char *p = arg;
    cleanup_free char *host = NULL;

    if (strncmp(p, "https://", 8) == 0)
        p += 8;
    else if (strncmp(p, "http://", 7) == 0)
        p += 7;
    host = xstrndup(p, strcspn(p, "/"));
    if (p[strlen(host)] != '\0' && strcmp(p + strlen(host), "/") != 0) {
        cmd_usage_error(cmd, err, "takes a registry host, not a repository: '%s'", arg);
        return NULL;
    }
    if (strcmp(host, "index.docker.io") == 0 || strcmp(host, "registry-1.docker.io") == 0) {
        free(host);
        host = xstrdup(IMAGE_REF_DEFAULT_DOMAIN);
    }
    if (image_ref_validate_domain(host, err) < 0)
        return NULL;
    return steal_pointer(&host);
}

/* One line from stdin without its newline; the terminal does not echo it when `hide`. */
static char *read_line(const char *prompt, int hide, struct ctr_error **err)
{
    struct termios old, quiet;
    cleanup_free char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int hidden = 0;

    if (prompt != NULL) {
        fputs(prompt, stderr);
        fflush(stderr);
    }
    if (hide && tcgetattr(STDIN_FILENO, &old) == 0) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        hidden = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    }
    n = getline(&line, &cap, stdin);
    if (hidden) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (n < 0 || n > SECRET_MAX) {
        ctr_error_set(err, EINVAL, "no %s was read from standard input",
                      hide ? "password" : "user name");
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    return steal_pointer(&line);
}

static int parse(int argc, char **argv, struct login_opts *o, struct ctr_error **err)
{
    struct cmd_getopt g;
    int c;

    cmd_getopt_init(&g, options);
    while ((c = cmd_getopt(&g, argc, argv)) != -1) {
        switch (c) {
        case 'u':
            o->username = optarg;
            break;
        case 'p':
            wipe(o->password);
            o->password = xstrdup(optarg);
            fputs("ctr: warning: a password given with -p is visible to other users (ps, /proc); "
                  "use --password-stdin\n",
                  stderr);
            break;
        case OPT_PASSWORD_STDIN:
            o->password_stdin = 1;
            break;
        case OPT_AUTHFILE:
            o->authfile = optarg;
            break;
        case OPT_TLS_VERIFY:
            if (cmd_parse_bool("login", "--tls-verify", optarg, &o->tls_verify, err) < 0)
                return -1;
            break;
        case OPT_CERT_DIR:
            o->cert_dir = optarg;
            break;
        case OPT_GET_LOGIN:
            o->get_login = 1;
            break;
        case 'h':
            cmd_print_help(&ctr_cmd_login);
            return 1;
        default:
            return cmd_getopt_error("login", c, argv, err);
        }
    }
    if (optind + 1 != argc)
        return cmd_usage_error("login", err, "needs exactly one registry, got %d arguments",
                               argc - optind);
    if (o->password != NULL && o->password_stdin)
        return cmd_usage_error("login", err, "takes -p or --password-stdin, not both");
    if (o->authfile == NULL && getenv("REGISTRY_AUTH_FILE") && *getenv("REGISTRY_AUTH_FILE"))
        o->authfile = getenv("REGISTRY_AUTH_FILE");
    o->domain = cmd_registry_domain("login", argv[optind], err);
    return o->domain == NULL ? -1 : 0;
}

/* --get-login: the stored user name, or the same error logout gives. */
static int get_login(const struct login_opts *o, struct ctr_error **err)
{
    cleanup_free char *user = NULL;
    char *pass = NULL;
    int found = image_creds_lookup(o->authfile, o->domain, &user, &pass, err);

    if (found < 0)
        return -1;
    wipe(pass);
    if (found == 0)
        return ctr_error_set(err, ENOENT, "not logged into '%s'", o->domain);
    puts(user);
    return 0;
}

static int ask_credentials(struct login_opts *o, char **ret_user, struct ctr_error **err)
{
    int tty = isatty(STDIN_FILENO);

    if (o->username != NULL)
        *ret_user = xstrdup(o->username);
    else if (tty && !o->password_stdin)
        *ret_user = read_line("Username: ", 0, err);
    else
        return ctr_error_set(err, EINVAL, "login needs a user name: use -u USER");
    if (*ret_user == NULL)
        return -1;
    if (o->password != NULL)
        return 0;
    if (!o->password_stdin && !tty)
        return ctr_error_set(err, EINVAL,
                             "login needs a password: use --password-stdin, or run it in a "
                             "terminal");
    o->password = read_line(o->password_stdin ? NULL : "Password: ", 1, err);
    return o->password == NULL ? -1 : 0;
}

static int login(struct login_opts *o, struct ctr_error **err)
{
    cleanup_with(image_registries_conf_freep) struct image_registries_conf *conf = NULL;
    cleanup_free char *user = NULL;
    struct image_registry_opts ro = {.cert_dir = o->cert_dir, .retries = -1};
    struct image_registry *r = NULL;
    int rc;

    if (o->tls_verify < 0) {
        if (image_registries_conf_load(NULL, &conf, err) < 0)
            return -1;
        o->tls_verify = !image_registries_conf_insecure(conf, o->domain);
    }
    ro.insecure = !o->tls_verify;
    if (ask_credentials(o, &user, err) < 0)
        return -1;
    ro.username = user;
    ro.password = o->password;
    rc = image_registry_new(o->domain, &ro, &r, err);
    /* Nothing is stored until the registry has accepted the credentials. */
    if (rc == 0)
        rc = image_registry_ping(r, err);
    image_registry_free(r);
    /* An authentication error names the registry already; others get it as context. */
    if (rc < 0 && (*err)->code != EACCES)
        return ctr_error_wrap(err, "login to '%s'", o->domain);
    if (rc < 0)
        return -1;
    if (image_creds_store(o->authfile, o->domain, user, o->password, err) < 0)
        return -1;
    puts("Login Succeeded!");
    return 0;
}

int cmd_login(struct ctr_ctx *ctx, int argc, char **argv, struct ctr_error **err)
{
    struct login_opts o = {.tls_verify = -1};
    int rc;

    (void)ctx;
    rc = parse(argc, argv, &o, err);
    if (rc == 0)
        rc = o.get_login ? get_login(&o, err) : login(&o, err);
    wipe(o.password);
    free(o.domain);
    return rc < 0 ? -1 : 0;
}

const struct ctr_command ctr_cmd_login = {
        .name = "login",
        .run = cmd_login,
        .flags = 0,
        .summary = "Log in to a registry and store the credentials",
        .synopsis = "login [OPTIONS] REGISTRY",
        .description =
                "Check a user name and password against REGISTRY and store them in the auth "
                "file\n(default $XDG_RUNTIME_DIR/containers/auth.json, mode 0600), where pull "
                "finds them.\nWithout -p or --password-stdin the password is asked for on the "
                "terminal.\n",
        .options = options,
};
