/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Seccomp filters.  The built-in default profile and Docker-format JSON profiles both become a
 * plan (default action, extra architectures, rules by syscall name); build() then turns the
 * plan into a libseccomp context.  Parse, then plan, then execute: nothing reaches libseccomp
 * until the whole profile has been checked.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include <jansson.h>

#include "cleanup.h"
#include "log.h"
#include "scmp.h"
#include "xalloc.h"

#define CAP(c) (UINT64_C(1) << (c))

/* A kernel version as one comparable number. */
#define KV(major, minor) (((unsigned)(major) << 16) | (unsigned)(minor))

/*
 * The ENOSYS stubs cover [STUB_FIRST, STUB_END) on the native architecture.  Since Linux 5.1
 * (pidfd_send_signal, 424) every architecture but alpha and mips numbers new syscalls alike;
 * x32's own syscalls start at 512 (with the x32 bit), so 511 is the last number that means
 * the same thing everywhere on x86.
 */
#define STUB_FIRST 424
#define STUB_END   512

/* MAX_ERRNO of the kernel: a larger SECCOMP_RET_ERRNO value is clamped to it. */
#define ERRNO_MAX 4095

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the host ---- */

struct arch_info {
    uint32_t token;
    const char *name;    /* libseccomp's name: SCMP_ARCH_X86_64 is "x86_64" */
    const char *go;      /* Go's GOARCH, which Docker's includes/excludes use; or NULL */
    uint32_t compat[2];  /* what the default profile adds on this native architecture */
    bool shared_numbers; /* numbers from STUB_FIRST are the generic ones (see above) */
};

static const struct arch_info arch_table[] = {
        {SCMP_ARCH_X86_64, "x86_64", "amd64", {SCMP_ARCH_X86, SCMP_ARCH_X32}, true},
        {SCMP_ARCH_X86, "x86", "386", {0, 0}, true},
        {SCMP_ARCH_X32, "x32", NULL, {0, 0}, false},
        {SCMP_ARCH_AARCH64, "aarch64", "arm64", {SCMP_ARCH_ARM, 0}, true},
        {SCMP_ARCH_ARM, "arm", "arm", {0, 0}, true},
        {SCMP_ARCH_MIPS, "mips", "mips", {0, 0}, false},
        {SCMP_ARCH_MIPSEL, "mipsel", "mipsle", {0, 0}, false},
        {SCMP_ARCH_MIPS64, "mips64", "mips64", {SCMP_ARCH_MIPS, SCMP_ARCH_MIPS64N32}, false},
        {SCMP_ARCH_MIPS64N32, "mips64n32", NULL, {SCMP_ARCH_MIPS, SCMP_ARCH_MIPS64}, false},
        {SCMP_ARCH_MIPSEL64,
         "mipsel64",
         "mips64le",
         {SCMP_ARCH_MIPSEL, SCMP_ARCH_MIPSEL64N32},
         false},
        {SCMP_ARCH_MIPSEL64N32, "mipsel64n32", NULL, {SCMP_ARCH_MIPSEL, SCMP_ARCH_MIPSEL64}, false},
        {SCMP_ARCH_PPC, "ppc", "ppc", {0, 0}, true},
        {SCMP_ARCH_PPC64, "ppc64", "ppc64", {0, 0}, true},
        {SCMP_ARCH_PPC64LE, "ppc64le", "ppc64le", {0, 0}, true},
        {SCMP_ARCH_S390, "s390", "s390", {0, 0}, true},
        {SCMP_ARCH_S390X, "s390x", "s390x", {SCMP_ARCH_S390, 0}, true},
        {SCMP_ARCH_PARISC, "parisc", NULL, {0, 0}, true},
        {SCMP_ARCH_PARISC64, "parisc64", NULL, {0, 0}, true},
        {SCMP_ARCH_RISCV64, "riscv64", "riscv64", {0, 0}, true},
#ifdef SCMP_ARCH_LOONGARCH64
        {SCMP_ARCH_LOONGARCH64, "loongarch64", "loong64", {0, 0}, true},
#endif
};

struct host {
    uint32_t native;
    const struct arch_info *arch; /* NULL when the native architecture is not in the table */
    unsigned kernel;              /* KV() of the running kernel, 0 if unknown */
};

static const struct arch_info *arch_lookup(uint32_t token)
{
    for (size_t i = 0; i < LEN(arch_table); i++) {
        if (arch_table[i].token == token)
            return &arch_table[i];
    }
    return NULL;
}

static const char *arch_name(uint32_t token)
{
    const struct arch_info *a = arch_lookup(token);

    return a != NULL ? a->name : "unknown";
}

/* "MAJOR.MINOR" with nothing after it when `strict`, else followed by anything. */
static int parse_kernel_version(const char *s, bool strict, unsigned *ret)
{
    unsigned part[2] = {0, 0};

    for (int i = 0; i < 2; i++) {
        if (*s < '0' || *s > '9')
            return -1;
        while (*s >= '0' && *s <= '9') {
            part[i] = part[i] * 10 + (unsigned)(*s++ - '0');
            if (part[i] > 0xffff)
                return -1;
        }
        if (i == 0 && *s++ != '.')
            return -1;
    }
    if (strict && *s != '\0')
        return -1;
    *ret = KV(part[0], part[1]);
    return 0;
}

static void host_probe(struct host *h)
{
    struct utsname u;

    h->native = seccomp_arch_native();
    h->arch = arch_lookup(h->native);
    h->kernel = 0;
    /* An unreadable version leaves minKernel rules out, the safe direction. */
    if (uname(&u) < 0 || parse_kernel_version(u.release, false, &h->kernel) < 0)
        log_debug("seccomp: cannot tell the kernel version; rules with minKernel are left out");
}

/* Whether a list of architecture names (Go's or libseccomp's) names the native one. */
static bool arch_listed(const struct host *h, const char *name)
{
    if (h->arch == NULL)
        return false;
    return strcmp(name, h->arch->name) == 0 || (h->arch->go && strcmp(name, h->arch->go) == 0);
}

/* A string from the profile, fit for a message: printable, and not too long. */
static char *shown(const char *s)
{
    size_t n = strnlen(s, 64);
    char *out = xmalloc(n + 4);

    for (size_t i = 0; i < n; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (s[n] != '\0')
        memcpy(out + n, "...", 4);
    else
        out[n] = '\0';
    return out;
}

/* ---- the plan ---- */

struct rule {
    const char *name; /* borrowed from the static tables or the parsed document */
    int nr;           /* seccomp_syscall_resolve_name(): native number or libseccomp's pseudo */
    uint32_t action;
    const struct scmp_arg_cmp *args;
    size_t n_args;
};

enum plan_flag {
    PLAN_TSYNC = 1 << 0,
    PLAN_LOG = 1 << 1,
    PLAN_SPEC_ALLOW = 1 << 2,
};

struct plan {
    uint32_t default_action;
    unsigned flags;
    uint32_t arches[LEN(arch_table)]; /* besides the native one, each at most once */
    size_t n_arches;
    struct rule *rules;
    size_t n_rules, rules_size;
    struct scmp_arg_cmp **owned; /* argument arrays parsed from JSON */
    size_t n_owned, owned_size;
};

static void plan_clear(struct plan *p)
{
    for (size_t i = 0; i < p->n_owned; i++)
        free(p->owned[i]);
    free(p->owned);
    free(p->rules);
    memset(p, 0, sizeof(*p));
}

static void plan_add_arch(struct plan *p, const struct host *h, uint32_t token)
{
    if (token == h->native)
        return;
    for (size_t i = 0; i < p->n_arches; i++) {
        if (p->arches[i] == token)
            return;
    }
    /* Each token of the table at most once, so this holds for every known architecture. */
    if (p->n_arches < LEN(p->arches))
        p->arches[p->n_arches++] = token;
}

static void plan_add_rule(struct plan *p, const char *name, uint32_t action,
                          const struct scmp_arg_cmp *args, size_t n_args)
{
    int nr;

    /* libseccomp refuses a rule that repeats the default action (EACCES); it changes nothing. */
    if (action == p->default_action)
        return;
    nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) {
        /* A name from a newer kernel than libseccomp knows, or a typo: Docker skips both. */
        cleanup_free char *shown_name = shown(name);

        log_debug("seccomp: libseccomp does not know the syscall '%s'; skipped", shown_name);
        return;
    }
    if (p->n_rules == p->rules_size) {
        p->rules_size = p->rules_size == 0 ? 256 : p->rules_size * 2;
        p->rules = xreallocarray(p->rules, p->rules_size, sizeof(*p->rules));
    }
    p->rules[p->n_rules++] = (struct rule){name, nr, action, args, n_args};
}

/* Takes `args` over; it lives as long as the plan. */
static const struct scmp_arg_cmp *plan_own(struct plan *p, struct scmp_arg_cmp *args)
{
    if (p->n_owned == p->owned_size) {
        p->owned_size = p->owned_size == 0 ? 16 : p->owned_size * 2;
        p->owned = xreallocarray(p->owned, p->owned_size, sizeof(*p->owned));
    }
    p->owned[p->n_owned++] = args;
    return args;
}

/* ---- plan to filter ---- */

static int set_attr(scmp_filter_ctx ctx, enum scmp_filter_attr attr, uint32_t value,
                    const char *what, struct ctr_error **err)
{
    int rc = seccomp_attr_set(ctx, attr, value);

    if (rc < 0)
        return ctr_error_errnum(err, -rc, "set %s", what);
    return 0;
}

/*
 * A filter with the plan's default action and attributes, for the native architecture alone
 * (n == 0) or for `arches` alone.  seccomp_merge() wants the attributes of both alike.
 */
static scmp_filter_ctx new_filter(const struct plan *p, const struct host *h,
                                  const uint32_t *arches, size_t n, struct ctr_error **err)
{
    cleanup_with(seccomp_releasep) scmp_filter_ctx ctx = seccomp_init(p->default_action);
    int rc;

    if (ctx == NULL) {
        ctr_error_set(err, EINVAL,
                      "the default action is not supported by libseccomp or the kernel");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        rc = seccomp_arch_add(ctx, arches[i]);
        if (rc == -EDOM) {
            ctr_error_set(err, EINVAL,
                          "architecture '%s' cannot share a filter with the native '%s' "
                          "(byte order or word size)",
                          arch_name(arches[i]), arch_name(h->native));
            return NULL;
        }
        if (rc < 0 && rc != -EEXIST) {
            ctr_error_errnum(err, -rc, "add architecture '%s'", arch_name(arches[i]));
            return NULL;
        }
    }
    if (n > 0) {
        rc = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
        if (rc < 0) {
            ctr_error_errnum(err, -rc, "remove the native architecture");
            return NULL;
        }
    }
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 5)
    /* The kernel's own errno from seccomp_load(), not libseccomp's ECANCELED. */
    if (set_attr(ctx, SCMP_FLTATR_API_SYSRAWRC, 1, "raw return codes", err) < 0)
        return NULL;
    /* A binary tree of syscall numbers: a few hundred rules stay a few comparisons away. */
    if (set_attr(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2, "optimisation level", err) < 0)
        return NULL;
#endif
    if ((p->flags & PLAN_TSYNC) && set_attr(ctx, SCMP_FLTATR_CTL_TSYNC, 1, "tsync", err) < 0)
        return NULL;
    if ((p->flags & PLAN_LOG) && set_attr(ctx, SCMP_FLTATR_CTL_LOG, 1, "log", err) < 0)
        return NULL;
    if ((p->flags & PLAN_SPEC_ALLOW) &&
        set_attr(ctx, SCMP_FLTATR_CTL_SSB, 1, "spec_allow", err) < 0)
        return NULL;
    return steal_pointer(&ctx);
}

static int add_rule(scmp_filter_ctx ctx, const struct rule *r, struct ctr_error **err)
{
    unsigned count[6] = {0};
    bool repeated = false;
    int rc = 0;

    for (size_t i = 0; i < r->n_args; i++) {
        if (r->args[i].arg < LEN(count) && ++count[r->args[i].arg] > 1)
            repeated = true;
    }
    if (!repeated) {
        rc = seccomp_rule_add_array(ctx, r->action, r->nr, (unsigned)r->n_args, r->args);
    } else {
        /*
         * libseccomp cannot AND two conditions on one argument; Docker's profiles mean OR
         * there (runc and crun read them so), hence one rule per condition.
         */
        for (size_t i = 0; i < r->n_args && rc == 0; i++)
            rc = seccomp_rule_add_array(ctx, r->action, r->nr, 1, &r->args[i]);
    }
    if (rc == -EFAULT) {
        cleanup_free char *name = shown(r->name);

        log_debug("seccomp: '%s' is on none of the filter's architectures; skipped", name);
        return 0;
    }
    if (rc < 0) {
        cleanup_free char *name = shown(r->name);

        return ctr_error_errnum(err, -rc, "add a rule for '%s'", name);
    }
    return 0;
}

static int add_rules(scmp_filter_ctx ctx, const struct plan *p, struct ctr_error **err)
{
    for (size_t i = 0; i < p->n_rules; i++) {
        if (add_rule(ctx, &p->rules[i], err) < 0)
            return -1;
    }
    return 0;
}

/* ENOSYS for the native numbers libseccomp cannot name (the header says why). */
static int add_stubs(scmp_filter_ctx ctx, const struct plan *p, const struct host *h,
                     struct ctr_error **err)
{
    const uint32_t enosys = SCMP_ACT_ERRNO(ENOSYS);

    if (h->arch == NULL || !h->arch->shared_numbers || p->default_action == SCMP_ACT_ALLOW ||
        p->default_action == SCMP_ACT_LOG || p->default_action == enosys)
        return 0;
    for (int nr = STUB_FIRST; nr < STUB_END; nr++) {
        char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
        int rc;

        if (name != NULL) {
            free(name);
            continue;
        }
        rc = seccomp_rule_add(ctx, enosys, nr, 0);
        if (rc < 0)
            return ctr_error_errnum(err, -rc, "add the ENOSYS rule for syscall %d", nr);
    }
    return 0;
}

/*
 * The native architecture is built alone, because libseccomp takes a raw syscall number it
 * cannot name (the stubs) only in a filter for the native architecture alone; the others are
 * built together and merged in.
 */
static int build(const struct plan *p, const struct host *h, scmp_filter_ctx *ret,
                 struct ctr_error **err)
{
    cleanup_with(seccomp_releasep) scmp_filter_ctx ctx = NULL;
    cleanup_with(seccomp_releasep) scmp_filter_ctx compat = NULL;

    ctx = new_filter(p, h, NULL, 0, err);
    if (ctx == NULL || add_rules(ctx, p, err) < 0 || add_stubs(ctx, p, h, err) < 0)
        return -1;
    if (p->n_arches > 0) {
        scmp_filter_ctx src;
        int rc;

        compat = new_filter(p, h, p->arches, p->n_arches, err);
        if (compat == NULL || add_rules(compat, p, err) < 0)
            return -1;
        /* On success seccomp_merge() frees `src`; on failure it is still ours. */
        src = steal_pointer(&compat);
        rc = seccomp_merge(ctx, src);
        if (rc < 0) {
            seccomp_release(src);
            return ctr_error_errnum(err, -rc, "merge the architectures' filters");
        }
    }
    *ret = steal_pointer(&ctx);
    return 0;
}

/* ---- selection by capabilities, architecture and kernel ---- */

/* An "includes" or "excludes", resolved against the host. */
struct cond {
    uint64_t caps;       /* includes: all of them needed; excludes: any of them excludes */
    int arch;            /* -1: no architectures given; else whether they name the native one */
    bool has_min;        /* whether min_kernel is given */
    unsigned min_kernel; /* KV() */
};

static bool selected(const struct host *h, uint64_t caps, const struct cond *inc,
                     const struct cond *exc)
{
    if ((exc->caps & caps) != 0 || exc->arch == 1 || (exc->has_min && h->kernel >= exc->min_kernel))
        return false;
    if ((inc->caps & caps) != inc->caps || inc->arch == 0 ||
        (inc->has_min && h->kernel < inc->min_kernel))
        return false;
    return true;
}

/* ---- the default profile ---- */

#define NAMES(...)  ((const char *const[]){__VA_ARGS__, NULL})
#define ARCHES(...) NAMES(__VA_ARGS__)

/* The flags of clone() that make namespaces, which need CAP_SYS_ADMIN. */
#define CLONE_NS_FLAGS                                                                     \
    ((uint64_t)(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | \
                CLONE_NEWNET | CLONE_NEWCGROUP))

/* Masked with the namespace flags, clone's flags argument must be 0. */
static const struct scmp_arg_cmp clone_flags_arg0[] = {
        {.arg = 0, .op = SCMP_CMP_MASKED_EQ, .datum_a = CLONE_NS_FLAGS, .datum_b = 0},
};
/* s390 swaps clone's first two arguments. */
static const struct scmp_arg_cmp clone_flags_arg1[] = {
        {.arg = 1, .op = SCMP_CMP_MASKED_EQ, .datum_a = CLONE_NS_FLAGS, .datum_b = 0},
};

/*
 * Conditions on one argument are alternatives: Linux, 32-bit Linux, the 2.6 uname, both, and
 * the query that changes nothing.  Anything else (READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE, ...)
 * weakens the process's own defences.
 */
static const struct scmp_arg_cmp personality_args[] = {
        {.arg = 0, .op = SCMP_CMP_EQ, .datum_a = PER_LINUX},
        {.arg = 0, .op = SCMP_CMP_EQ, .datum_a = PER_LINUX32},
        {.arg = 0, .op = SCMP_CMP_EQ, .datum_a = UNAME26},
        {.arg = 0, .op = SCMP_CMP_EQ, .datum_a = UNAME26 | PER_LINUX32},
        {.arg = 0, .op = SCMP_CMP_EQ, .datum_a = 0xffffffffu},
};

/* AF_VSOCK talks to the hypervisor or host, past the container's network namespace. */
static const struct scmp_arg_cmp socket_args[] = {
        {.arg = 0, .op = SCMP_CMP_NE, .datum_a = AF_VSOCK},
};

struct group {
    const char *const *names;
    uint32_t action;
    const struct scmp_arg_cmp *args;
    size_t n_args;
    /* Selection, as a profile's includes/excludes: all of inc_caps, none of exc_caps... */
    uint64_t inc_caps, exc_caps;
    const char *const *inc_arches, *const *exc_arches;
    unsigned min_kernel; /* KV(), 0 for none */
};

#define ALLOW SCMP_ACT_ALLOW

static const struct group default_groups[] = {
        /* Files: data. */
        {.names = NAMES("read", "write", "readv", "writev", "pread64", "pwrite64", "preadv",
                        "preadv2", "pwritev", "pwritev2", "lseek", "_llseek", "open", "openat",
                        "openat2", "creat", "close", "close_range", "dup", "dup2", "dup3", "fcntl",
                        "fcntl64", "ioctl", "flock", "fsync", "fdatasync", "sync", "syncfs",
                        "sync_file_range", "fallocate", "ftruncate", "ftruncate64", "truncate",
                        "truncate64", "fadvise64", "fadvise64_64", "readahead", "sendfile",
                        "sendfile64", "splice", "tee", "vmsplice", "copy_file_range", "cachestat"),
         .action = ALLOW},
        /* Files: names, metadata and extended attributes. */
        {.names = NAMES("stat", "stat64", "lstat", "lstat64", "fstat", "fstat64", "fstatat64",
                        "newfstatat", "statx", "statfs", "statfs64", "fstatfs", "fstatfs64",
                        "access", "faccessat", "faccessat2", "readlink", "readlinkat", "getdents",
                        "getdents64", "getcwd", "chdir", "fchdir", "umask", "chmod", "fchmod",
                        "fchmodat", "fchmodat2", "chown", "chown32", "fchown", "fchown32",
                        "fchownat", "lchown", "lchown32", "utime", "utimes", "utimensat",
                        "utimensat_time64", "futimesat", "mkdir", "mkdirat", "mknod", "mknodat",
                        "rmdir", "rename", "renameat", "renameat2", "link", "linkat", "symlink",
                        "symlinkat", "unlink", "unlinkat", "name_to_handle_at", "file_getattr",
                        "file_setattr", "getxattr", "lgetxattr", "fgetxattr", "getxattrat",
                        "setxattr", "lsetxattr", "fsetxattr", "setxattrat", "listxattr",
                        "llistxattr", "flistxattr", "listxattrat", "removexattr", "lremovexattr",
                        "fremovexattr", "removexattrat"),
         .action = ALLOW},
        /*
         * What a process may learn of its own mount namespace: no more than
         * /proc/self/mountinfo tells it (Linux 6.8).
         */
        {.names = NAMES("statmount", "listmount"), .action = ALLOW},
        /* Waiting and notification. */
        {.names = NAMES("select", "_newselect", "pselect6", "pselect6_time64", "poll", "ppoll",
                        "ppoll_time64", "epoll_create", "epoll_create1", "epoll_ctl",
                        "epoll_ctl_old", "epoll_wait", "epoll_wait_old", "epoll_pwait",
                        "epoll_pwait2", "eventfd", "eventfd2", "signalfd", "signalfd4",
                        "timerfd_create", "timerfd_settime", "timerfd_settime64", "timerfd_gettime",
                        "timerfd_gettime64", "inotify_init", "inotify_init1", "inotify_add_watch",
                        "inotify_rm_watch", "fanotify_mark", "pipe", "pipe2", "io_setup",
                        "io_destroy", "io_submit", "io_cancel", "io_getevents", "io_pgetevents",
                        "io_pgetevents_time64"),
         .action = ALLOW},
        /* Memory. */
        {.names = NAMES("brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise",
                        "mincore", "msync", "mlock", "mlock2", "mlockall", "munlock", "munlockall",
                        "remap_file_pages", "membarrier", "memfd_create", "memfd_secret",
                        "pkey_alloc", "pkey_free", "pkey_mprotect", "mseal", "map_shadow_stack",
                        "process_mrelease"),
         .action = ALLOW},
        /* Processes and threads. */
        {.names = NAMES("execve", "execveat", "exit", "exit_group", "fork", "vfork", "wait4",
                        "waitid", "waitpid", "kill", "tkill", "tgkill", "pidfd_open",
                        "pidfd_send_signal", "getpid", "getppid", "gettid", "getpgid", "setpgid",
                        "getpgrp", "getsid", "setsid", "prctl", "set_tid_address",
                        "set_robust_list", "get_robust_list", "get_thread_area", "set_thread_area",
                        "rseq", "futex", "futex_time64", "futex_waitv", "futex_wait", "futex_wake",
                        "futex_requeue", "restart_syscall", "seccomp", "capget", "capset",
                        "getrlimit", "setrlimit", "ugetrlimit", "prlimit64", "getrusage",
                        "getpriority", "setpriority", "ioprio_get", "ioprio_set", "getcpu",
                        "getrandom", "uname", "sysinfo", "times", "landlock_create_ruleset",
                        "landlock_add_rule", "landlock_restrict_self",
                        /* Linux 6.11: the return path of a uretprobe, which must not be refused. */
                        "uretprobe"),
         .action = ALLOW},
        /* Credentials: the kernel checks the capabilities these need. */
        {.names = NAMES("getuid", "getuid32", "geteuid", "geteuid32", "getgid", "getgid32",
                        "getegid", "getegid32", "getresuid", "getresuid32", "getresgid",
                        "getresgid32", "setuid", "setuid32", "setgid", "setgid32", "setreuid",
                        "setreuid32", "setregid", "setregid32", "setresuid", "setresuid32",
                        "setresgid", "setresgid32", "setfsuid", "setfsuid32", "setfsgid",
                        "setfsgid32", "getgroups", "getgroups32", "setgroups", "setgroups32"),
         .action = ALLOW},
        /* Signals. */
        {.names = NAMES("rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending",
                        "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64",
                        "rt_sigqueueinfo", "rt_tgsigqueueinfo", "sigaltstack", "sigreturn",
                        "sigprocmask", "pause"),
         .action = ALLOW},
        /* Scheduling. */
        {.names = NAMES("sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getparam",
                        "sched_setparam", "sched_getscheduler", "sched_setscheduler",
                        "sched_getattr", "sched_setattr", "sched_get_priority_max",
                        "sched_get_priority_min", "sched_rr_get_interval",
                        "sched_rr_get_interval_time64"),
         .action = ALLOW},
        /* Time and timers; adjtimex changes the clock only with CAP_SYS_TIME. */
        {.names = NAMES("time", "gettimeofday", "clock_gettime", "clock_gettime64", "clock_getres",
                        "clock_getres_time64", "clock_nanosleep", "clock_nanosleep_time64",
                        "nanosleep", "adjtimex", "clock_adjtime", "clock_adjtime64", "alarm",
                        "getitimer", "setitimer", "timer_create", "timer_delete", "timer_settime",
                        "timer_settime64", "timer_gettime", "timer_gettime64", "timer_getoverrun"),
         .action = ALLOW},
        /* Sockets (socket() itself below). i386's socketcall cannot be inspected. */
        {.names = NAMES("socketpair", "bind", "connect", "listen", "accept", "accept4",
                        "getsockname", "getpeername", "getsockopt", "setsockopt", "send", "sendto",
                        "sendmsg", "sendmmsg", "recv", "recvfrom", "recvmsg", "recvmmsg",
                        "recvmmsg_time64", "shutdown", "socketcall"),
         .action = ALLOW},
        {.names = NAMES("socket"),
         .action = ALLOW,
         .args = socket_args,
         .n_args = LEN(socket_args)},
        /* SysV and POSIX IPC, in the container's IPC namespace. */
        {.names = NAMES("ipc", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop",
                        "semtimedop", "semtimedop_time64", "semctl", "shmget", "shmat", "shmdt",
                        "shmctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedsend_time64",
                        "mq_timedreceive", "mq_timedreceive_time64", "mq_notify", "mq_getsetattr"),
         .action = ALLOW},
        {.names = NAMES("personality"),
         .action = ALLOW,
         .args = personality_args,
         .n_args = LEN(personality_args)},

        /* Architecture-specific. */
        {.names = NAMES("arch_prctl"),
         .action = ALLOW,
         .inc_arches = ARCHES("amd64", "x86_64", "x32")},
        {.names = NAMES("modify_ldt"),
         .action = ALLOW,
         .inc_arches = ARCHES("amd64", "x86_64", "x32", "x86", "386")},
        {.names = NAMES("arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint",
                        "cacheflush", "set_tls"),
         .action = ALLOW,
         .inc_arches = ARCHES("arm", "arm64", "aarch64")},
        {.names = NAMES("sync_file_range2", "swapcontext"),
         .action = ALLOW,
         .inc_arches = ARCHES("ppc64le", "ppc64", "ppc")},
        {.names = NAMES("s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"),
         .action = ALLOW,
         .inc_arches = ARCHES("s390", "s390x")},
        {.names = NAMES("riscv_flush_icache", "riscv_hwprobe"),
         .action = ALLOW,
         .inc_arches = ARCHES("riscv64")},

        /* Tracing, safe from Linux 4.8 (see the header). */
        {.names = NAMES("ptrace", "process_vm_readv", "process_vm_writev"),
         .action = ALLOW,
         .min_kernel = KV(4, 8)},

        /* Namespaces: clone without namespace flags; clone3 falls back to it. */
        {.names = NAMES("clone"),
         .action = ALLOW,
         .args = clone_flags_arg0,
         .n_args = LEN(clone_flags_arg0),
         .exc_caps = CAP(CAP_SYS_ADMIN),
         .exc_arches = ARCHES("s390", "s390x")},
        {.names = NAMES("clone"),
         .action = ALLOW,
         .args = clone_flags_arg1,
         .n_args = LEN(clone_flags_arg1),
         .exc_caps = CAP(CAP_SYS_ADMIN),
         .inc_arches = ARCHES("s390", "s390x")},
        {.names = NAMES("clone3"),
         .action = SCMP_ACT_ERRNO(ENOSYS),
         .exc_caps = CAP(CAP_SYS_ADMIN)},

        /* Capability-gated groups. */
        {.names = NAMES("clone", "clone3", "unshare", "setns", "mount", "umount", "umount2",
                        "pivot_root", "mount_setattr", "move_mount", "open_tree", "open_tree_attr",
                        "fsopen", "fsconfig", "fsmount", "fspick", "fanotify_init", "quotactl",
                        "quotactl_fd", "sethostname", "setdomainname", "lookup_dcookie", "bpf",
                        "perf_event_open", "syslog"),
         .action = ALLOW,
         .inc_caps = CAP(CAP_SYS_ADMIN)},
        {.names = NAMES("bpf"), .action = ALLOW, .inc_caps = CAP(CAP_BPF)},
        {.names = NAMES("perf_event_open"), .action = ALLOW, .inc_caps = CAP(CAP_PERFMON)},
        {.names = NAMES("syslog"), .action = ALLOW, .inc_caps = CAP(CAP_SYSLOG)},
        {.names = NAMES("open_by_handle_at"),
         .action = ALLOW,
         .inc_caps = CAP(CAP_DAC_READ_SEARCH)},
        {.names = NAMES("reboot"), .action = ALLOW, .inc_caps = CAP(CAP_SYS_BOOT)},
        {.names = NAMES("chroot"), .action = ALLOW, .inc_caps = CAP(CAP_SYS_CHROOT)},
        {.names = NAMES("init_module", "finit_module", "delete_module"),
         .action = ALLOW,
         .inc_caps = CAP(CAP_SYS_MODULE)},
        {.names = NAMES("acct"), .action = ALLOW, .inc_caps = CAP(CAP_SYS_PACCT)},
        {.names = NAMES("kcmp", "pidfd_getfd", "process_madvise", "ptrace", "process_vm_readv",
                        "process_vm_writev"),
         .action = ALLOW,
         .inc_caps = CAP(CAP_SYS_PTRACE)},
        {.names = NAMES("iopl", "ioperm"), .action = ALLOW, .inc_caps = CAP(CAP_SYS_RAWIO)},
        {.names = NAMES("settimeofday", "stime", "clock_settime", "clock_settime64"),
         .action = ALLOW,
         .inc_caps = CAP(CAP_SYS_TIME)},
        {.names = NAMES("vhangup"), .action = ALLOW, .inc_caps = CAP(CAP_SYS_TTY_CONFIG)},
        {.names = NAMES("get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"),
         .action = ALLOW,
         .inc_caps = CAP(CAP_SYS_NICE)},
};

const char *ctr_seccomp_default_name(void)
{
    return "builtin:default";
}

static int list_cond(const struct host *h, const char *const *arches)
{
    if (arches == NULL)
        return -1;
    for (; *arches != NULL; arches++) {
        if (arch_listed(h, *arches))
            return 1;
    }
    return 0;
}

int ctr_seccomp_default(uint64_t caps, scmp_filter_ctx *ret, struct ctr_error **err)
{
    struct plan p = {.default_action = SCMP_ACT_ERRNO(EPERM)};
    struct host h;
    int rc;

    host_probe(&h);
    for (size_t i = 0; h.arch != NULL && i < LEN(h.arch->compat); i++) {
        if (h.arch->compat[i] != 0)
            plan_add_arch(&p, &h, h.arch->compat[i]);
    }
    for (size_t i = 0; i < LEN(default_groups); i++) {
        const struct group *g = &default_groups[i];
        struct cond inc = {g->inc_caps, list_cond(&h, g->inc_arches), g->min_kernel != 0,
                           g->min_kernel};
        struct cond exc = {g->exc_caps, list_cond(&h, g->exc_arches), false, 0};

        if (!selected(&h, caps, &inc, &exc))
            continue;
        for (const char *const *n = g->names; *n != NULL; n++)
            plan_add_rule(&p, *n, g->action, g->args, g->n_args);
    }
    rc = build(&p, &h, ret, err);
    plan_clear(&p);
    if (rc < 0)
        return ctr_error_wrap(err, "build the seccomp profile '%s'", ctr_seccomp_default_name());
    return 0;
}

/* ---- Docker-format JSON profiles ---- */

struct parser {
    const char *what;
    uint64_t caps;
    const struct host *host;
    struct plan *plan;
};

/* "seccomp profile 'x.json': syscalls[3].action: message" (no path: at the top). */
static int CTR_PRINTF(4, 5) perr(const struct parser *ps, struct ctr_error **err, const char *path,
                                 const char *fmt, ...)
{
    cleanup_free char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = xvasprintf(fmt, ap);
    va_end(ap);
    if (path == NULL || *path == '\0')
        return ctr_error_set(err, EINVAL, "seccomp profile '%s': %s", ps->what, msg);
    return ctr_error_set(err, EINVAL, "seccomp profile '%s': %s: %s", ps->what, path, msg);
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number with a fraction";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "something else";
}

static int expected(const struct parser *ps, struct ctr_error **err, const char *path,
                    const char *type, const json_t *v)
{
    return perr(ps, err, path, "expected %s, not %s", type, json_type_name(v));
}

/* Member `key` of `obj`, NULL when absent or null: Docker's decoder takes null for absent. */
static json_t *member(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    return json_is_null(v) ? NULL : v;
}

static char *path_key(const char *base, const char *key)
{
    return *base == '\0' ? xstrdup(key) : xasprintf("%s.%s", base, key);
}

static char *path_index(const char *base, size_t i)
{
    return xasprintf("%s[%zu]", base, i);
}

/* Member `key` of `obj` as an array (NULL and 0 when absent), with its path in *ret_path. */
static int get_array(const struct parser *ps, const json_t *obj, const char *base, const char *key,
                     json_t **ret, char **ret_path, struct ctr_error **err)
{
    json_t *v = member(obj, key);
    char *path = path_key(base, key);

    if (v != NULL && !json_is_array(v)) {
        expected(ps, err, path, "an array", v);
        free(path);
        return -1;
    }
    *ret = v;
    *ret_path = path;
    return 0;
}

static int get_uint(const struct parser *ps, const json_t *v, const char *path, uint64_t max,
                    uint64_t *ret, struct ctr_error **err)
{
    json_int_t n;

    if (!json_is_integer(v))
        return expected(ps, err, path, "an integer", v);
    n = json_integer_value(v);
    if (n < 0 || (uint64_t)n > max)
        return perr(ps, err, path, "%" JSON_INTEGER_FORMAT " is out of range (0 to %" PRIu64 ")", n,
                    max);
    *ret = (uint64_t)n;
    return 0;
}

static const struct {
    const char *name;
    uint32_t action;
    uint32_t ret_max; /* 0: takes no errnoRet */
} action_table[] = {
        {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, 0},
        {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), ERRNO_MAX},
        {"SCMP_ACT_KILL", SCMP_ACT_KILL, 0},
        {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, 0},
        {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, 0},
        {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, 0},
        {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), 0xffff},
        {"SCMP_ACT_LOG", SCMP_ACT_LOG, 0},
};

/* obj[key_action] with obj[key_ret], e.g. "action" and "errnoRet". */
static int parse_action(const struct parser *ps, const json_t *obj, const char *base,
                        const char *key_action, const char *key_ret, uint32_t *ret,
                        struct ctr_error **err)
{
    json_t *v = member(obj, key_action);
    json_t *r = member(obj, key_ret);
    cleanup_free char *path = path_key(base, key_action);
    cleanup_free char *ret_path = path_key(base, key_ret);
    cleanup_free char *s = NULL;
    uint64_t value = EPERM;

    if (v == NULL)
        return perr(ps, err, base, "missing member '%s'", key_action);
    if (!json_is_string(v))
        return expected(ps, err, path, "a string", v);
    for (size_t i = 0; i < LEN(action_table); i++) {
        if (strcmp(json_string_value(v), action_table[i].name) != 0)
            continue;
        if (r != NULL && action_table[i].ret_max == 0)
            return perr(ps, err, ret_path,
                        "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take a return value");
        if (r != NULL && get_uint(ps, r, ret_path, action_table[i].ret_max, &value, err) < 0)
            return -1;
        *ret = action_table[i].action | (action_table[i].ret_max != 0 ? (uint32_t)value : 0);
        return 0;
    }
    s = shown(json_string_value(v));
    if (strcmp(json_string_value(v), "SCMP_ACT_NOTIFY") == 0)
        return perr(ps, err, path, "'%s' is not supported: ctr has no agent to answer it", s);
    return perr(ps, err, path, "unknown action '%s'", s);
}

static const struct {
    const char *name;
    enum scmp_compare op;
} op_table[] = {
        {"SCMP_CMP_NE", SCMP_CMP_NE},
        {"SCMP_CMP_LT", SCMP_CMP_LT},
        {"SCMP_CMP_LE", SCMP_CMP_LE},
        {"SCMP_CMP_EQ", SCMP_CMP_EQ},
        {"SCMP_CMP_GE", SCMP_CMP_GE},
        {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

static int parse_arg(const struct parser *ps, const json_t *v, const char *path,
                     struct scmp_arg_cmp *ret, struct ctr_error **err)
{
    cleanup_free char *p_index = path_key(path, "index");
    cleanup_free char *p_value = path_key(path, "value");
    cleanup_free char *p_two = path_key(path, "valueTwo");
    cleanup_free char *p_op = path_key(path, "op");
    json_t *index, *value, *two, *op;
    uint64_t n = 0;

    if (!json_is_object(v))
        return expected(ps, err, path, "an object", v);
    index = member(v, "index");
    value = member(v, "value");
    two = member(v, "valueTwo");
    op = member(v, "op");
    if (index == NULL)
        return perr(ps, err, path, "missing member 'index'");
    if (get_uint(ps, index, p_index, 5, &n, err) < 0)
        return -1;
    ret->arg = (unsigned)n;
    if (value == NULL)
        return perr(ps, err, path, "missing member 'value'");
    if (get_uint(ps, value, p_value, INT64_MAX, &ret->datum_a, err) < 0)
        return -1;
    ret->datum_b = 0;
    if (two != NULL && get_uint(ps, two, p_two, INT64_MAX, &ret->datum_b, err) < 0)
        return -1;
    if (op == NULL)
        return perr(ps, err, path, "missing member 'op'");
    if (!json_is_string(op))
        return expected(ps, err, p_op, "a string", op);
    for (size_t i = 0; i < LEN(op_table); i++) {
        if (strcmp(json_string_value(op), op_table[i].name) == 0) {
            ret->op = op_table[i].op;
            return 0;
        }
    }
    {
        cleanup_free char *s = shown(json_string_value(op));

        return perr(ps, err, p_op, "unknown operator '%s'", s);
    }
}

/* "CAP_SYS_ADMIN" to its number, refusing what libcap would take only a prefix of. */
static int cap_number(const char *name)
{
    cap_value_t v;
    char *back;
    int same;

    if (strncmp(name, "CAP_", 4) != 0 || name[4] == '\0' ||
        strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(name))
        return -1;
    if (cap_from_name(name, &v) < 0)
        return -1;
    back = cap_to_name(v);
    if (back == NULL)
        return -1;
    same = strcasecmp(back, name) == 0;
    cap_free(back);
    return same ? (int)v : -1;
}

static int parse_caps(const struct parser *ps, const json_t *arr, const char *path, uint64_t *ret,
                      struct ctr_error **err)
{
    size_t i;
    json_t *v;

    *ret = 0;
    json_array_foreach(arr, i, v)
    {
        cleanup_free char *p = path_index(path, i);
        int cap;

        if (!json_is_string(v))
            return expected(ps, err, p, "a string", v);
        cap = cap_number(json_string_value(v));
        if (cap < 0) {
            cleanup_free char *s = shown(json_string_value(v));

            return perr(ps, err, p, "unknown capability '%s'", s);
        }
        /* A capability past bit 63 cannot be in the mask, so it is never held. */
        if (cap < 64)
            *ret |= CAP(cap);
    }
    return 0;
}

/* An "includes" or "excludes" object (absent: no condition). */
static int parse_cond(const struct parser *ps, const json_t *entry, const char *base,
                      const char *key, struct cond *ret, struct ctr_error **err)
{
    json_t *v = member(entry, key), *caps, *arches, *min;
    cleanup_free char *path = path_key(base, key);
    cleanup_free char *p_caps = NULL;
    cleanup_free char *p_arches = NULL;
    cleanup_free char *p_min = path_key(path, "minKernel");
    size_t i;
    json_t *a;

    *ret = (struct cond){0, -1, false, 0};
    if (v == NULL)
        return 0;
    if (!json_is_object(v))
        return expected(ps, err, path, "an object", v);
    if (get_array(ps, v, path, "caps", &caps, &p_caps, err) < 0 ||
        get_array(ps, v, path, "arches", &arches, &p_arches, err) < 0)
        return -1;
    if (caps != NULL && parse_caps(ps, caps, p_caps, &ret->caps, err) < 0)
        return -1;
    /* An empty list is no condition, as in Docker. */
    if (arches != NULL && json_array_size(arches) > 0)
        ret->arch = 0;
    json_array_foreach(arches, i, a)
    {
        if (!json_is_string(a)) {
            cleanup_free char *p = path_index(p_arches, i);

            return expected(ps, err, p, "a string", a);
        }
        if (arch_listed(ps->host, json_string_value(a)))
            ret->arch = 1;
    }
    min = member(v, "minKernel");
    if (min != NULL) {
        if (!json_is_string(min))
            return expected(ps, err, p_min, "a string", min);
        ret->has_min = true;
        if (parse_kernel_version(json_string_value(min), true, &ret->min_kernel) < 0) {
            cleanup_free char *s = shown(json_string_value(min));

            return perr(ps, err, p_min, "invalid kernel version '%s': expected 'MAJOR.MINOR'", s);
        }
    }
    return 0;
}

static int parse_syscall(const struct parser *ps, const json_t *entry, const char *path,
                         struct ctr_error **err)
{
    struct plan *plan = ps->plan;
    json_t *name = member(entry, "name"), *names, *args, *v;
    cleanup_free char *p_name = path_key(path, "name");
    cleanup_free char *p_names = NULL;
    cleanup_free char *p_args = NULL;
    cleanup_free struct scmp_arg_cmp *cmp = NULL;
    const struct scmp_arg_cmp *owned = NULL;
    struct cond inc, exc;
    uint32_t action = 0;
    size_t n_args, i;

    if (!json_is_object(entry))
        return expected(ps, err, path, "an object", entry);
    /* Go writes an unset "name" as "", and Docker takes that for absent. */
    if (json_is_string(name) && json_string_length(name) == 0)
        name = NULL;
    if (get_array(ps, entry, path, "names", &names, &p_names, err) < 0 ||
        get_array(ps, entry, path, "args", &args, &p_args, err) < 0)
        return -1;
    if (name != NULL && names != NULL)
        return perr(ps, err, path, "give 'name' or 'names', not both");
    if (name == NULL && names == NULL)
        return perr(ps, err, path, "missing member 'names'");
    if (name != NULL && !json_is_string(name))
        return expected(ps, err, p_name, "a string", name);
    json_array_foreach(names, i, v)
    {
        if (!json_is_string(v)) {
            cleanup_free char *p = path_index(p_names, i);

            return expected(ps, err, p, "a string", v);
        }
    }
    if (parse_action(ps, entry, path, "action", "errnoRet", &action, err) < 0)
        return -1;
    n_args = json_array_size(args);
    if (n_args > 0)
        cmp = xcalloc(n_args, sizeof(*cmp));
    json_array_foreach(args, i, v)
    {
        cleanup_free char *p = path_index(p_args, i);

        if (parse_arg(ps, v, p, &cmp[i], err) < 0)
            return -1;
    }
    if (parse_cond(ps, entry, path, "includes", &inc, err) < 0 ||
        parse_cond(ps, entry, path, "excludes", &exc, err) < 0)
        return -1;
    if (!selected(ps->host, ps->caps, &inc, &exc))
        return 0;

    if (cmp != NULL)
        owned = plan_own(plan, steal_pointer(&cmp));
    if (name != NULL)
        plan_add_rule(plan, json_string_value(name), action, owned, n_args);
    json_array_foreach(names, i, v)
            plan_add_rule(plan, json_string_value(v), action, owned, n_args);
    return 0;
}

/* "SCMP_ARCH_X86_64" to libseccomp's token, 0 if unknown. */
static uint32_t arch_from_name(const char *s)
{
    char lower[32];
    size_t n;

    if (strncmp(s, "SCMP_ARCH_", 10) != 0)
        return 0;
    s += 10;
    n = strlen(s);
    if (n == 0 || n >= sizeof(lower) || strcmp(s, "NATIVE") == 0 ||
        strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != n)
        return 0;
    for (size_t i = 0; i <= n; i++)
        lower[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
    return seccomp_arch_resolve_name(lower);
}

static int parse_arch(const struct parser *ps, const json_t *v, const char *path, uint32_t *ret,
                      struct ctr_error **err)
{
    if (!json_is_string(v))
        return expected(ps, err, path, "a string", v);
    *ret = arch_from_name(json_string_value(v));
    if (*ret == 0) {
        cleanup_free char *s = shown(json_string_value(v));

        return perr(ps, err, path, "unknown architecture '%s'", s);
    }
    return 0;
}

/* Member `key` of the profile as an array, or NULL when absent; its path is `key` itself. */
static int top_array(const struct parser *ps, const json_t *root, const char *key, json_t **ret,
                     struct ctr_error **err)
{
    json_t *v = member(root, key);

    if (v != NULL && !json_is_array(v))
        return expected(ps, err, key, "an array", v);
    *ret = v;
    return 0;
}

static int parse_arches(const struct parser *ps, const json_t *root, struct ctr_error **err)
{
    json_t *arches = NULL, *map = NULL, *v;
    size_t i;

    if (top_array(ps, root, "architectures", &arches, err) < 0 ||
        top_array(ps, root, "archMap", &map, err) < 0)
        return -1;
    if (json_array_size(arches) > 0 && json_array_size(map) > 0)
        return perr(ps, err, NULL, "give 'architectures' or 'archMap', not both");
    json_array_foreach(arches, i, v)
    {
        cleanup_free char *p = path_index("architectures", i);
        uint32_t token = 0;

        if (parse_arch(ps, v, p, &token, err) < 0)
            return -1;
        plan_add_arch(ps->plan, ps->host, token);
    }
    json_array_foreach(map, i, v)
    {
        cleanup_free char *p = path_index("archMap", i);
        cleanup_free char *p_arch = path_key(p, "architecture");
        cleanup_free char *p_subs = NULL;
        json_t *arch, *subs, *s;
        uint32_t token = 0, sub = 0;
        size_t j;

        if (!json_is_object(v))
            return expected(ps, err, p, "an object", v);
        arch = member(v, "architecture");
        if (arch == NULL)
            return perr(ps, err, p, "missing member 'architecture'");
        if (parse_arch(ps, arch, p_arch, &token, err) < 0 ||
            get_array(ps, v, p, "subArchitectures", &subs, &p_subs, err) < 0)
            return -1;
        json_array_foreach(subs, j, s)
        {
            cleanup_free char *ps_sub = path_index(p_subs, j);

            if (parse_arch(ps, s, ps_sub, &sub, err) < 0)
                return -1;
            /* Only the native architecture's entry counts; the others are checked. */
            if (token == ps->host->native)
                plan_add_arch(ps->plan, ps->host, sub);
        }
    }
    return 0;
}

static const struct {
    const char *name;
    unsigned flag;
} flag_table[] = {
        {"SECCOMP_FILTER_FLAG_TSYNC", PLAN_TSYNC},
        {"SECCOMP_FILTER_FLAG_LOG", PLAN_LOG},
        {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", PLAN_SPEC_ALLOW},
};

static int parse_flags(const struct parser *ps, const json_t *root, struct ctr_error **err)
{
    json_t *flags = NULL, *v;
    size_t i;

    if (top_array(ps, root, "flags", &flags, err) < 0)
        return -1;
    json_array_foreach(flags, i, v)
    {
        cleanup_free char *p = path_index("flags", i);
        cleanup_free char *s = NULL;
        size_t k;

        if (!json_is_string(v))
            return expected(ps, err, p, "a string", v);
        for (k = 0; k < LEN(flag_table); k++) {
            if (strcmp(json_string_value(v), flag_table[k].name) == 0)
                break;
        }
        if (k == LEN(flag_table)) {
            s = shown(json_string_value(v));
            return perr(ps, err, p, "unknown or unsupported flag '%s'", s);
        }
        ps->plan->flags |= flag_table[k].flag;
    }
    return 0;
}

static int parse_profile(const struct parser *ps, const json_t *root, struct ctr_error **err)
{
    json_t *syscalls = NULL, *v;
    size_t i;

    if (!json_is_object(root))
        return perr(ps, err, NULL, "expected a JSON object, not %s", json_type_name(root));
    if (parse_action(ps, root, "", "defaultAction", "defaultErrnoRet", &ps->plan->default_action,
                     err) < 0)
        return -1;
    if (parse_arches(ps, root, err) < 0 || parse_flags(ps, root, err) < 0)
        return -1;
    if (top_array(ps, root, "syscalls", &syscalls, err) < 0)
        return -1;
    json_array_foreach(syscalls, i, v)
    {
        cleanup_free char *p = path_index("syscalls", i);

        if (parse_syscall(ps, v, p, err) < 0)
            return -1;
    }
    return 0;
}

int ctr_seccomp_from_json(const char *json, size_t len, const char *what, uint64_t caps,
                          scmp_filter_ctx *ret, struct ctr_error **err)
{
    cleanup_with(json_decrefp) json_t *root = NULL;
    struct plan plan = {0};
    struct host h;
    struct parser ps = {what != NULL ? what : "-", caps, &h, &plan};
    json_error_t jerr;
    int rc;

    /* Duplicate keys refused: which of two "defaultAction"s holds would be a guess. */
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        cleanup_free char *text = shown(jerr.text);

        return perr(&ps, err, NULL, "invalid JSON at line %d, column %d: %s", jerr.line,
                    jerr.column, text);
    }
    host_probe(&h);
    rc = parse_profile(&ps, root, err);
    if (rc == 0) {
        rc = build(&plan, &h, ret, err);
        if (rc < 0)
            ctr_error_wrap(err, "seccomp profile '%s'", ps.what);
    }
    plan_clear(&plan);
    return rc;
}
