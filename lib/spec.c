/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>

#include "cleanup.h"
#include "spec.h"
#include "text.h"
#include "xalloc.h"

/*
 * The real-time signals as Docker, Podman and `kill -l` name them: the kernel's range is 32..64,
 * glibc keeps 32 and 33 for its threads and calls 34 SIGRTMIN.  Fixed numbers rather than the
 * SIGRTMIN macro (a function call in glibc) so a name means the same signal whatever libc the
 * container runs.
 */
#define RT_MIN  34
#define RT_MAX  64
#define SIG_MAX 64

/* An argument fit to quote in a message: printable ASCII only, and not a screenful. */
#define QUOTE_MAX 128

static char *quote(const char *s)
{
    return ctr_quote(s, QUOTE_MAX);
}

static int parse_uint(const char *s, size_t n, unsigned long max, unsigned long *ret)
{
    return ctr_parse_decimal(s, n, max, ret);
}

void ctr_mount_spec_clear(struct ctr_mount_spec *m)
{
    if (m == NULL)
        return;
    free(m->source);
    free(m->destination);
    free(m->data);
    memset(m, 0, sizeof(*m));
}

void ctr_spec_clear(struct ctr_spec *spec)
{
    if (spec == NULL)
        return;
    strv_free(spec->argv);
    strv_free(spec->env);
    free(spec->cwd);
    free(spec->user);
    free(spec->hostname);
    for (size_t i = 0; i < spec->n_mounts; i++)
        ctr_mount_spec_clear(&spec->mounts[i]);
    free(spec->mounts);
    free(spec->network);
    strv_free(spec->ports);
    strv_free(spec->dns);
    strv_free(spec->dns_search);
    strv_free(spec->add_hosts);
    strv_free(spec->labels);
    ctr_security_clear(&spec->security);
    strv_free(spec->create_command);
    memset(spec, 0, sizeof(*spec));
}

static const char *const sdnotify_names[] = {
        [CTR_SDNOTIFY_CONTAINER] = "container",
        [CTR_SDNOTIFY_CONMON] = "conmon",
        [CTR_SDNOTIFY_IGNORE] = "ignore",
};

const char *ctr_sdnotify_name(enum ctr_sdnotify mode)
{
    if ((size_t)mode < sizeof(sdnotify_names) / sizeof(sdnotify_names[0]))
        return sdnotify_names[mode];
    return NULL;
}

int ctr_sdnotify_from_name(const char *name, enum ctr_sdnotify *ret)
{
    for (size_t i = 0; name != NULL && i < sizeof(sdnotify_names) / sizeof(sdnotify_names[0]);
         i++) {
        if (strcmp(name, sdnotify_names[i]) == 0) {
            *ret = (enum ctr_sdnotify)i;
            return 0;
        }
    }
    return -1;
}

static const char *const restart_names[] = {
        [CTR_RESTART_NO] = "no",
        [CTR_RESTART_ON_FAILURE] = "on-failure",
        [CTR_RESTART_ALWAYS] = "always",
        [CTR_RESTART_UNLESS_STOPPED] = "unless-stopped",
};

const char *ctr_restart_policy_name(enum ctr_restart_policy policy)
{
    if ((size_t)policy < sizeof(restart_names) / sizeof(restart_names[0]))
        return restart_names[policy];
    return NULL;
}

int ctr_restart_policy_from_name(const char *name, enum ctr_restart_policy *ret)
{
    for (size_t i = 0; name != NULL && i < sizeof(restart_names) / sizeof(restart_names[0]); i++) {
        if (strcmp(name, restart_names[i]) == 0) {
            *ret = (enum ctr_restart_policy)i;
            return 0;
        }
    }
    return -1;
}

int ctr_parse_restart(const char *arg, enum ctr_restart_policy *ret_policy, unsigned *ret_max,
                      struct ctr_error **err)
{
    const char *colon = strchr(arg, ':');
    size_t len = colon ? (size_t)(colon - arg) : strlen(arg);
    cleanup_free char *name = xstrndup(arg, len);
    cleanup_free char *q = quote(arg);
    enum ctr_restart_policy policy;
    unsigned long max = 0;

    if (strcmp(name, "never") == 0)
        policy = CTR_RESTART_NO;
    else if (ctr_restart_policy_from_name(name, &policy) < 0)
        return ctr_error_set(err, EINVAL,
                             "invalid restart policy '%s': use no, on-failure[:N], always or "
                             "unless-stopped",
                             q);
    if (colon != NULL) {
        if (policy != CTR_RESTART_ON_FAILURE)
            return ctr_error_set(err, EINVAL,
                                 "restart policy '%s': only on-failure takes a maximum count", q);
        if (parse_uint(colon + 1, strlen(colon + 1), 0x7fffffff, &max) < 0)
            return ctr_error_set(err, EINVAL,
                                 "restart policy '%s': the maximum count must be a number from 0 "
                                 "to 2147483647",
                                 q);
    }
    *ret_policy = policy;
    *ret_max = (unsigned)max;
    return 0;
}

int ctr_restart_wanted(const struct ctr_spec *spec, int exit_code, unsigned restart_count)
{
    switch (spec->restart) {
    case CTR_RESTART_ON_FAILURE:
        return exit_code != 0 && (spec->restart_max == 0 || restart_count < spec->restart_max);
    case CTR_RESTART_ALWAYS:
    case CTR_RESTART_UNLESS_STOPPED:
        return 1;
    default:
        return 0;
    }
}

/* Kernel interfaces that have no namespace: what Podman masks and makes read-only. */
const char *const ctr_default_masked_paths[] = {
        "/proc/acpi",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/proc/sched_debug",
        "/proc/scsi",
        "/sys/firmware",
        "/sys/devices/virtual/powercap",
        NULL,
};

const char *const ctr_default_readonly_paths[] = {
        "/proc/asound", "/proc/bus",           "/proc/fs", "/proc/irq",
        "/proc/sys",    "/proc/sysrq-trigger", NULL,
};

static char **strv_copy(const char *const *v)
{
    size_t n = 0;
    char **out;

    while (v[n] != NULL)
        n++;
    out = xcalloc(n + 1, sizeof(*out));
    for (size_t i = 0; i < n; i++)
        out[i] = xstrdup(v[i]);
    return out;
}

void ctr_security_defaults(struct ctr_security_spec *sec)
{
    /* CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP,
     * SETUID, SYS_CHROOT: Podman's default set. */
    static const int caps[] = {0, 1, 3, 4, 5, 10, 31, 6, 8, 7, 18};

    memset(sec, 0, sizeof(*sec));
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
        sec->caps |= 1ULL << caps[i];
    sec->no_new_privs = 1;
    sec->masked_paths = strv_copy(ctr_default_masked_paths);
    sec->readonly_paths = strv_copy(ctr_default_readonly_paths);
    sec->read_only_tmpfs = 1;
}

void ctr_security_clear(struct ctr_security_spec *sec)
{
    if (sec == NULL)
        return;
    free(sec->seccomp_profile);
    free(sec->seccomp_path);
    strv_free(sec->masked_paths);
    strv_free(sec->readonly_paths);
    free(sec->userns);
    strv_free(sec->uid_map);
    strv_free(sec->gid_map);
    free(sec->apparmor);
    free(sec->label);
    memset(sec, 0, sizeof(*sec));
}

char *ctr_path_normalise(const char *path, struct ctr_error **err)
{
    size_t len = 0;
    char *out;

    if (path == NULL || path[0] != '/') {
        cleanup_free char *q = quote(path ? path : "");

        ctr_error_set(err, EINVAL, "path '%s' is not absolute: it must start with '/'", q);
        return NULL;
    }
    /* The result is never longer than the input, except that "" would become "/". */
    out = xmalloc(strlen(path) + 2);
    for (const char *p = path; *p != '\0';) {
        const char *s;
        size_t n;

        while (*p == '/')
            p++;
        s = p;
        while (*p != '\0' && *p != '/')
            p++;
        n = (size_t)(p - s);
        if (n == 0 || (n == 1 && s[0] == '.'))
            continue;
        if (n == 2 && s[0] == '.' && s[1] == '.') {
            /* Drop the last component; at the root ".." stays at the root, as the kernel does. */
            while (len > 0 && out[len - 1] != '/')
                len--;
            if (len > 0)
                len--;
            continue;
        }
        out[len++] = '/';
        memcpy(out + len, s, n);
        len += n;
    }
    if (len == 0)
        out[len++] = '/';
    out[len] = '\0';
    return out;
}

/* Options in one group exclude each other: "ro,rw" is a conflict, "ro,ro" a repetition. */
enum option_group {
    GROUP_RW,
    GROUP_SUID,
    GROUP_DEV,
    GROUP_EXEC,
    GROUP_LABEL,
    GROUP_COUNT,
};

struct mount_option {
    const char *name;
    enum option_group group;
    int readonly; /* -1: leaves it as it is */
    unsigned long set, clear;
    int bind_only;
};

static const struct mount_option mount_options[] = {
        {"ro", GROUP_RW, 1, 0, 0, 0},
        {"rw", GROUP_RW, 0, 0, 0, 0},
        {"nosuid", GROUP_SUID, -1, MS_NOSUID, 0, 0},
        {"suid", GROUP_SUID, -1, 0, MS_NOSUID, 0},
        {"nodev", GROUP_DEV, -1, MS_NODEV, 0, 0},
        {"dev", GROUP_DEV, -1, 0, MS_NODEV, 0},
        {"noexec", GROUP_EXEC, -1, MS_NOEXEC, 0, 0},
        {"exec", GROUP_EXEC, -1, 0, MS_NOEXEC, 0},
        /* SELinux relabelling: accepted for Podman compatibility, nothing to do without it. */
        {"z", GROUP_LABEL, -1, 0, 0, 1},
        {"Z", GROUP_LABEL, -1, 0, 0, 1},
};

/* The tmpfs options that go to the kernel in the mount data, as tmpfs(5) takes them. */
enum tmpfs_value {
    VALUE_SIZE,   /* bytes with an optional k/m/g/t/p/e suffix, or a percentage of memory */
    VALUE_INODES, /* a count with an optional suffix */
    VALUE_MODE,   /* octal, at most 07777 */
    VALUE_ID,     /* a uid or gid */
};

static const struct {
    const char *key;
    enum tmpfs_value value;
    const char *example;
} tmpfs_keys[] = {
        {"size", VALUE_SIZE, "size=64m"},  {"nr_inodes", VALUE_INODES, "nr_inodes=4k"},
        {"mode", VALUE_MODE, "mode=1777"}, {"uid", VALUE_ID, "uid=1000"},
        {"gid", VALUE_ID, "gid=1000"},
};

#define N_TMPFS_KEYS (sizeof(tmpfs_keys) / sizeof(tmpfs_keys[0]))

static int valid_tmpfs_value(enum tmpfs_value kind, const char *v)
{
    size_t digits = strspn(v, "0123456789");
    unsigned long n;

    switch (kind) {
    case VALUE_SIZE:
    case VALUE_INODES:
        /* The kernel's memparse(); 20 digits is past any 64-bit count, so it bounds the text. */
        if (digits == 0 || digits > 20)
            return 0;
        if (v[digits] == '\0')
            return 1;
        if (v[digits + 1] != '\0')
            return 0;
        return strchr("kKmMgGtTpPeE", v[digits]) != NULL ||
               (kind == VALUE_SIZE && v[digits] == '%');
    case VALUE_MODE:
        n = strspn(v, "01234567");
        if (n == 0 || v[n] != '\0')
            return 0;
        /* Leading zeros are fine; the value must be a permission mode, at most 07777. */
        while (n > 1 && *v == '0') {
            v++;
            n--;
        }
        return n <= 4;
    case VALUE_ID:
        /* 32-bit ids, and (uid_t)-1 means "no id" to the kernel. */
        return parse_uint(v, strlen(v), 4294967294UL, &n) == 0;
    }
    return 0;
}

/*
 * Applies the comma-separated `opts` (modified in place) to *m.  `what` and `arg` name the
 * flag and its quoted argument in messages.
 */
static int parse_options(char *opts, int tmpfs, const char *what, const char *arg,
                         struct ctr_mount_spec *m, struct ctr_error **err)
{
    const struct mount_option *seen[GROUP_COUNT] = {NULL};
    unsigned keys_seen = 0;
    cleanup_free char *data = xmalloc(strlen(opts) + 1);
    size_t data_len = 0;
    char *next = opts;

    if (*opts == '\0')
        return ctr_error_set(err, EINVAL,
                             "%s '%s' has nothing after the last ':': give options such as "
                             "'ro' or remove the ':'",
                             what, arg);
    while (next != NULL) {
        char *opt = strsep(&next, ",");
        const struct mount_option *o = NULL;
        char *eq = tmpfs ? strchr(opt, '=') : NULL;

        if (*opt == '\0')
            return ctr_error_set(err, EINVAL,
                                 "%s '%s' has an empty option: separate options with single "
                                 "commas",
                                 what, arg);
        if (eq != NULL) {
            size_t k;

            *eq = '\0';
            for (k = 0; k < N_TMPFS_KEYS && strcmp(tmpfs_keys[k].key, opt) != 0; k++) {
            }
            if (k < N_TMPFS_KEYS) {
                if (keys_seen & (1u << k))
                    return ctr_error_set(err, EINVAL, "option '%s' is given twice in %s '%s'", opt,
                                         what, arg);
                if (!valid_tmpfs_value(tmpfs_keys[k].value, eq + 1)) {
                    cleanup_free char *v = quote(eq + 1);

                    return ctr_error_set(err, EINVAL,
                                         "invalid value '%s' for option '%s' in %s '%s': give "
                                         "it as in '%s'",
                                         v, opt, what, arg, tmpfs_keys[k].example);
                }
                keys_seen |= 1u << k;
                if (data_len > 0)
                    data[data_len++] = ',';
                *eq = '=';
                memcpy(data + data_len, opt, strlen(opt));
                data_len += strlen(opt);
                continue;
            }
            *eq = '=';
        }
        for (size_t i = 0; i < sizeof(mount_options) / sizeof(mount_options[0]); i++) {
            if (strcmp(mount_options[i].name, opt) == 0 && !(tmpfs && mount_options[i].bind_only))
                o = &mount_options[i];
        }
        if (o == NULL) {
            cleanup_free char *q = quote(opt);

            return ctr_error_set(err, EINVAL, "unknown option '%s' in %s '%s': supported are %s", q,
                                 what, arg,
                                 tmpfs ? "ro, rw, nosuid, suid, nodev, dev, noexec, exec, size=, "
                                         "nr_inodes=, mode=, uid= and gid="
                                       : "ro, rw, nosuid, suid, nodev, dev, noexec, exec, z and "
                                         "Z");
        }
        if (seen[o->group] == o)
            return ctr_error_set(err, EINVAL, "option '%s' is given twice in %s '%s'", o->name,
                                 what, arg);
        if (seen[o->group] != NULL)
            return ctr_error_set(err, EINVAL,
                                 "options '%s' and '%s' conflict in %s '%s': give one of them",
                                 seen[o->group]->name, o->name, what, arg);
        seen[o->group] = o;
        if (o->readonly >= 0)
            m->readonly = o->readonly;
        m->flags = (m->flags & ~o->clear) | o->set;
    }
    if (data_len > 0) {
        data[data_len] = '\0';
        m->data = steal_pointer(&data);
    }
    return 0;
}

/* The container side of a mount: absolute, normalised, and not the root itself. */
static char *destination(const char *path, const char *what, const char *arg,
                         struct ctr_error **err)
{
    cleanup_free char *q = quote(path);
    cleanup_free char *norm = NULL;

    if (*path == '\0') {
        ctr_error_set(err, EINVAL, "%s '%s' has an empty container path", what, arg);
        return NULL;
    }
    if (*path != '/') {
        ctr_error_set(err, EINVAL,
                      "container path '%s' in %s '%s' is not absolute: it must start with '/'", q,
                      what, arg);
        return NULL;
    }
    norm = ctr_path_normalise(path, err);
    if (norm == NULL)
        return NULL;
    if (strcmp(norm, "/") == 0) {
        ctr_error_set(err, EINVAL,
                      "%s '%s' would cover the container's root '/': choose a directory below it",
                      what, arg);
        return NULL;
    }
    return steal_pointer(&norm);
}

int ctr_parse_volume(const char *arg, struct ctr_mount_spec *ret, struct ctr_error **err)
{
    cleanup_free char *q = quote(arg);
    cleanup_free char *copy = xstrdup(arg);
    cleanup_free char *source = NULL, *dest = NULL;
    struct ctr_mount_spec m = {.kind = CTR_MOUNT_BIND};
    char *host = copy, *ctr = NULL, *opts = NULL;

    if (*arg == '\0')
        return ctr_error_set(err, EINVAL, "empty volume: expected HOST:CONTAINER[:OPTIONS]");
    ctr = strchr(host, ':');
    if (ctr != NULL) {
        *ctr++ = '\0';
        opts = strchr(ctr, ':');
        if (opts != NULL)
            *opts++ = '\0';
        if (opts != NULL && strchr(opts, ':') != NULL)
            return ctr_error_set(err, EINVAL,
                                 "volume '%s' has too many ':': expected HOST:CONTAINER[:OPTIONS] "
                                 "(a host path cannot contain ':')",
                                 q);
    }
    if (ctr == NULL && host[0] == '/')
        return ctr_error_set(err, EINVAL,
                             "volume '%s' has no container path: ctr does not create anonymous "
                             "volumes; give a host directory too, as in '/srv/data:%s'",
                             q, q);
    if (*host == '\0')
        return ctr_error_set(err, EINVAL,
                             "volume '%s' has an empty host path: expected "
                             "HOST:CONTAINER[:OPTIONS]",
                             q);
    if (*host != '/') {
        cleanup_free char *h = quote(host);
        cleanup_free char *c = quote(ctr ? ctr : "");

        if (host[0] == '.' || ctr == NULL || strchr(host, '/') != NULL)
            return ctr_error_set(err, EINVAL,
                                 "host path '%s' in volume '%s' is not absolute: give an absolute "
                                 "path such as '/srv/data' (\"$PWD/%s\" in a shell)",
                                 h, q, strncmp(h, "./", 2) == 0 ? h + 2 : h);
        return ctr_error_set(err, ENOTSUP,
                             "volume '%s' names a volume '%s', and ctr does not support named "
                             "volumes: give an absolute host path, as in '/srv/%s:%s'",
                             q, h, h, c);
    }
    source = ctr_path_normalise(host, err);
    if (source == NULL)
        return -1;
    dest = destination(ctr, "volume", q, err);
    if (dest == NULL)
        return -1;
    if (opts != NULL && parse_options(opts, 0, "volume", q, &m, err) < 0)
        return -1;
    m.source = steal_pointer(&source);
    m.destination = steal_pointer(&dest);
    *ret = m;
    return 0;
}

int ctr_parse_tmpfs(const char *arg, struct ctr_mount_spec *ret, struct ctr_error **err)
{
    cleanup_free char *q = quote(arg);
    cleanup_free char *copy = xstrdup(arg);
    cleanup_free char *dest = NULL;
    /* Podman's defaults; an option given overrides its default. */
    struct ctr_mount_spec m = {.kind = CTR_MOUNT_TMPFS, .flags = MS_NOSUID | MS_NODEV | MS_NOEXEC};
    char *opts = strchr(copy, ':');

    if (opts != NULL)
        *opts++ = '\0';
    if (*copy == '\0')
        return ctr_error_set(err, EINVAL,
                             "tmpfs '%s' has no path: expected PATH[:OPTIONS], as in "
                             "'/tmp:size=64m'",
                             q);
    dest = destination(copy, "tmpfs", q, err);
    if (dest == NULL)
        return -1;
    if (opts != NULL && parse_options(opts, 1, "tmpfs", q, &m, err) < 0)
        return -1;
    m.destination = steal_pointer(&dest);
    *ret = m;
    return 0;
}

/* Primary names first: ctr_signal_name() gives the first entry with a number. */
static const struct {
    const char *name;
    int sig;
} signals[] = {
        {"SIGHUP", SIGHUP},
        {"SIGINT", SIGINT},
        {"SIGQUIT", SIGQUIT},
        {"SIGILL", SIGILL},
        {"SIGTRAP", SIGTRAP},
        {"SIGABRT", SIGABRT},
        {"SIGBUS", SIGBUS},
        {"SIGFPE", SIGFPE},
        {"SIGKILL", SIGKILL},
        {"SIGUSR1", SIGUSR1},
        {"SIGSEGV", SIGSEGV},
        {"SIGUSR2", SIGUSR2},
        {"SIGPIPE", SIGPIPE},
        {"SIGALRM", SIGALRM},
        {"SIGTERM", SIGTERM},
#ifdef SIGSTKFLT
        {"SIGSTKFLT", SIGSTKFLT},
#endif
        {"SIGCHLD", SIGCHLD},
        {"SIGCONT", SIGCONT},
        {"SIGSTOP", SIGSTOP},
        {"SIGTSTP", SIGTSTP},
        {"SIGTTIN", SIGTTIN},
        {"SIGTTOU", SIGTTOU},
        {"SIGURG", SIGURG},
        {"SIGXCPU", SIGXCPU},
        {"SIGXFSZ", SIGXFSZ},
        {"SIGVTALRM", SIGVTALRM},
        {"SIGPROF", SIGPROF},
        {"SIGWINCH", SIGWINCH},
        {"SIGIO", SIGIO},
        {"SIGPWR", SIGPWR},
        {"SIGSYS", SIGSYS},
        /* Aliases. */
        {"SIGIOT", SIGIOT},
        {"SIGCLD", SIGCHLD},
        {"SIGPOLL", SIGPOLL},
};

static const char *const rt_names[RT_MAX - RT_MIN + 1] = {
        "SIGRTMIN",    "SIGRTMIN+1",  "SIGRTMIN+2",  "SIGRTMIN+3",  "SIGRTMIN+4",  "SIGRTMIN+5",
        "SIGRTMIN+6",  "SIGRTMIN+7",  "SIGRTMIN+8",  "SIGRTMIN+9",  "SIGRTMIN+10", "SIGRTMIN+11",
        "SIGRTMIN+12", "SIGRTMIN+13", "SIGRTMIN+14", "SIGRTMIN+15", "SIGRTMAX-14", "SIGRTMAX-13",
        "SIGRTMAX-12", "SIGRTMAX-11", "SIGRTMAX-10", "SIGRTMAX-9",  "SIGRTMAX-8",  "SIGRTMAX-7",
        "SIGRTMAX-6",  "SIGRTMAX-5",  "SIGRTMAX-4",  "SIGRTMAX-3",  "SIGRTMAX-2",  "SIGRTMAX-1",
        "SIGRTMAX",
};

const char *ctr_signal_name(int sig)
{
    for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
        if (signals[i].sig == sig)
            return signals[i].name;
    }
    if (sig >= RT_MIN && sig <= RT_MAX)
        return rt_names[sig - RT_MIN];
    return NULL;
}

/* "RTMIN", "RTMIN+N", "RTMAX", "RTMAX-N" within the range; 0 when `s` is none of them. */
static int parse_rt(const char *s)
{
    unsigned long n;

    if (strncasecmp(s, "RTMIN", 5) == 0) {
        if (s[5] == '\0')
            return RT_MIN;
        if (s[5] == '+' && parse_uint(s + 6, strlen(s + 6), RT_MAX - RT_MIN, &n) == 0)
            return RT_MIN + (int)n;
    } else if (strncasecmp(s, "RTMAX", 5) == 0) {
        if (s[5] == '\0')
            return RT_MAX;
        if (s[5] == '-' && parse_uint(s + 6, strlen(s + 6), RT_MAX - RT_MIN, &n) == 0)
            return RT_MAX - (int)n;
    }
    return 0;
}

int ctr_parse_signal(const char *arg, struct ctr_error **err)
{
    cleanup_free char *q = NULL;
    const char *name = arg;
    unsigned long n;
    int sig;

    if (arg == NULL || *arg == '\0')
        return ctr_error_set(err, EINVAL,
                             "empty signal: give a name such as 'TERM' or a number from 1 to %d",
                             SIG_MAX);
    q = quote(arg);
    if (strspn(arg, "0123456789") == strlen(arg)) {
        if (parse_uint(arg, strlen(arg), SIG_MAX, &n) < 0 || n == 0)
            return ctr_error_set(err, EINVAL, "signal '%s' is out of range: give 1 to %d", q,
                                 SIG_MAX);
        return (int)n;
    }
    if (strncasecmp(name, "SIG", 3) == 0)
        name += 3;
    for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
        if (strcasecmp(signals[i].name + 3, name) == 0)
            return signals[i].sig;
    }
    sig = parse_rt(name);
    if (sig > 0)
        return sig;
    return ctr_error_set(err, EINVAL,
                         "unknown signal '%s': give a name such as 'TERM', 'SIGKILL' or "
                         "'RTMIN+3', or a number from 1 to %d",
                         q, SIG_MAX);
}

#define ENV_SPACE " \t\n\v\f\r"

int ctr_parse_env_line(const char *line, const char *(*lookup)(const char *key), char **ret,
                       struct ctr_error **err)
{
    const char *p = line, *end = line + strlen(line), *eq, *key_end;
    cleanup_free char *key = NULL;
    const char *value;

    /* Docker trims leading space and reads CRLF files as LF ones. */
    while (*p != '\0' && strchr(ENV_SPACE, *p) != NULL)
        p++;
    if (end > p && end[-1] == '\n')
        end--;
    if (end > p && end[-1] == '\r')
        end--;
    if (p == end || *p == '#') {
        *ret = NULL;
        return 0;
    }
    eq = memchr(p, '=', (size_t)(end - p));
    key_end = eq ? eq : end;
    if (key_end == p) {
        cleanup_free char *q = quote(line);

        return ctr_error_set(err, EINVAL,
                             "env file line '%s' has no variable name before '=': expected "
                             "KEY=VALUE",
                             q);
    }
    for (const char *k = p; k < key_end; k++) {
        if (strchr(ENV_SPACE, *k) != NULL) {
            cleanup_free char *q = quote(line);

            return ctr_error_set(err, EINVAL,
                                 "variable name in env file line '%s' contains whitespace: "
                                 "expected KEY=VALUE with no space before '='",
                                 q);
        }
    }
    if (eq != NULL) {
        *ret = xstrndup(p, (size_t)(end - p));
        return 0;
    }
    key = xstrndup(p, (size_t)(end - p));
    value = lookup ? lookup(key) : NULL;
    *ret = value ? xasprintf("%s=%s", key, value) : NULL;
    return 0;
}

void ctr_env_set(char ***env, const char *kv, const char *(*lookup)(const char *key))
{
    const char *eq = strchr(kv, '=');
    char *entry;
    size_t key_len, n;

    if (eq == NULL) {
        const char *value = lookup ? lookup(kv) : NULL;

        if (value == NULL)
            return;
        entry = xasprintf("%s=%s", kv, value);
        key_len = strlen(kv);
    } else {
        entry = xstrdup(kv);
        key_len = (size_t)(eq - kv);
    }
    n = strv_length(*env);
    for (size_t i = 0; i < n; i++) {
        if (strncmp((*env)[i], entry, key_len) == 0 && (*env)[i][key_len] == '=') {
            free((*env)[i]);
            (*env)[i] = entry;
            return;
        }
    }
    *env = xreallocarray(*env, n + 2, sizeof(**env));
    (*env)[n] = entry;
    (*env)[n + 1] = NULL;
}
