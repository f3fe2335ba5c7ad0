/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "fsutil.h"
#include "scmp.h"
#include "security.h"
#include "xalloc.h"

DEFINE_CLEANUP_FUNC(cap_t, cap_free)

/* The highest capability this kernel knows. */
static int last_cap(void)
{
    char buf[16] = "";
    cleanup_close int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);

    if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
        return CAP_LAST_CAP;
    return atoi(buf) > 0 ? atoi(buf) : CAP_LAST_CAP;
}

/* Drops from the bounding set every capability not in `caps` (needs CAP_SETPCAP: call it while
 * still root of the user namespace). */
static int drop_bounding(uint64_t caps, struct ctr_error **err)
{
    int last = last_cap();

    for (int cap = 0; cap <= last && cap < 64; cap++) {
        if (caps & (1ULL << cap))
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            return ctr_error_errno(err, "drop %s from the bounding set", ctr_cap_name(cap));
    }
    return 0;
}

/* Permitted, effective, inheritable and ambient all empty: a non-root user's start. */
static int clear_caps(struct ctr_error **err)
{
    cleanup_with(cap_freep) cap_t none = cap_init();

    if (none == NULL || cap_set_proc(none) < 0)
        return ctr_error_errno(err, "clear the capabilities of the container's user");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return ctr_error_errno(err, "clear the ambient capabilities");
    return 0;
}

/* AppArmor profile or SELinux label for the next execve. */
static int set_exec_attr(const char *lsm, const char *value, struct ctr_error **err)
{
    const char *paths[2];
    int errnum = ENOENT;

    if (strcmp(lsm, "apparmor") == 0) {
        paths[0] = "/proc/thread-self/attr/apparmor/exec";
        paths[1] = "/proc/thread-self/attr/exec";
    } else {
        paths[0] = "/proc/thread-self/attr/exec";
        paths[1] = NULL;
    }
    for (int i = 0; i < 2 && paths[i]; i++) {
        cleanup_close int fd = open(paths[i], O_WRONLY | O_CLOEXEC);
        char text[4096];
        int n = strcmp(lsm, "apparmor") == 0 ? snprintf(text, sizeof(text), "exec %s", value)
                                             : snprintf(text, sizeof(text), "%s", value);

        if (fd < 0) {
            errnum = errno;
            continue;
        }
        if (n < 0 || (size_t)n >= sizeof(text) || write(fd, text, (size_t)n) != n)
            return ctr_error_errno(err, "apply the %s %s '%s'", lsm,
                                   strcmp(lsm, "apparmor") == 0 ? "profile" : "label", value);
        return 0;
    }
    return ctr_error_errnum(err, errnum,
                            "apply the %s setting '%s': the kernel has no interface "
                            "for it",
                            lsm, value);
}

void ctr_bpf_clear(struct ctr_bpf *b)
{
    free(b->insns);
    b->insns = NULL;
    b->len = 0;
}

/* FNV-1a, to name a cache entry after what went into it (not a security boundary: the
 * cache directory is the user's own, 0700). */
static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;

    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

/*
 * The cache key: the capabilities and the profile that decide the filter, and the identity
 * of the ctr binary that compiles the built-in one (an upgraded ctr never reuses an old
 * filter).
 */
static char *cache_path(const char *dir, const struct ctr_security_spec *sec)
{
    struct stat st;
    uint64_t h = 0xcbf29ce484222325ULL;

    if (stat("/proc/self/exe", &st) == 0) {
        h = fnv(h, &st.st_dev, sizeof(st.st_dev));
        h = fnv(h, &st.st_ino, sizeof(st.st_ino));
        h = fnv(h, &st.st_size, sizeof(st.st_size));
        h = fnv(h, &st.st_mtim, sizeof(st.st_mtim));
    }
    h = fnv(h, &sec->caps, sizeof(sec->caps));
    if (sec->seccomp_profile != NULL)
        h = fnv(h, sec->seccomp_profile, strlen(sec->seccomp_profile));
    return xasprintf("%s/%016llx.bpf", dir, (unsigned long long)h);
}

static int read_cached(const char *path, struct ctr_bpf *ret)
{
    cleanup_error struct ctr_error *ignored = NULL;
    char *data = NULL;
    size_t len;

    if (ctr_read_file(path, 1 << 20, &data, &len, &ignored) < 0)
        return -1;
    if (len == 0 || len % sizeof(struct sock_filter) != 0) {
        free(data);
        return -1;
    }
    ret->insns = (struct sock_filter *)(void *)data;
    ret->len = len / sizeof(struct sock_filter);
    return 0;
}

/* Compiles the filter with libseccomp into a BPF program. */
static int compile(const struct ctr_security_spec *sec, struct ctr_bpf *ret, struct ctr_error **err)
{
    scmp_filter_ctx ctx = NULL;
    cleanup_close int fd = -1;
    struct stat st;
    int rc;

    if (sec->seccomp_profile != NULL)
        rc = ctr_seccomp_from_json(sec->seccomp_profile, strlen(sec->seccomp_profile),
                                   sec->seccomp_path ? sec->seccomp_path : "profile", sec->caps,
                                   &ctx, err);
    else
        rc = ctr_seccomp_default(sec->caps, &ctx, err);
    if (rc < 0)
        return -1;
    fd = memfd_create("ctr-seccomp", MFD_CLOEXEC);
    if (fd < 0) {
        seccomp_release(ctx);
        return ctr_error_errno(err, "compile the seccomp filter");
    }
    rc = seccomp_export_bpf(ctx, fd);
    seccomp_release(ctx);
    if (rc < 0)
        return ctr_error_errnum(err, -rc, "compile the seccomp filter");
    if (fstat(fd, &st) < 0 || st.st_size <= 0 ||
        (size_t)st.st_size % sizeof(struct sock_filter) != 0)
        return ctr_error_set(err, EIO, "compile the seccomp filter: no program came out");
    ret->insns = xmalloc((size_t)st.st_size);
    if (pread(fd, ret->insns, (size_t)st.st_size, 0) != st.st_size) {
        ctr_bpf_clear(ret);
        return ctr_error_errno(err, "compile the seccomp filter");
    }
    ret->len = (size_t)st.st_size / sizeof(struct sock_filter);
    return 0;
}

static void write_cache(const char *dir, const char *path, const struct ctr_bpf *b)
{
    cleanup_free char *tmp = xasprintf("%s.%d", path, (int)getpid());
    cleanup_close int fd = -1;
    size_t len = b->len * sizeof(struct sock_filter);

    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return;
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return;
    if (ctr_write_all(fd, b->insns, len) < 0 || rename(tmp, path) < 0)
        unlink(tmp);
}

int ctr_security_prepare(const struct ctr_security_spec *sec, const char *cache_dir,
                         struct ctr_bpf *ret, struct ctr_error **err)
{
    cleanup_free char *path = NULL;

    ret->insns = NULL;
    ret->len = 0;
    if (sec->seccomp_unconfined)
        return 0;
    /* libseccomp takes some 10 ms to compile the default filter, as long as all the rest of
     * a container's start: the program is kept in the runtime directory. */
    if (cache_dir != NULL) {
        path = cache_path(cache_dir, sec);
        if (read_cached(path, ret) == 0)
            return 0;
    }
    if (compile(sec, ret, err) < 0)
        return -1;
    if (path != NULL)
        write_cache(cache_dir, path, ret);
    return 0;
}

static int load_filter(const struct ctr_bpf *b, struct ctr_error **err)
{
    struct sock_fprog prog = {.len = (unsigned short)b->len, .filter = b->insns};

    if (b->len > 0xffff)
        return ctr_error_set(err, E2BIG, "the seccomp filter is too long (%zu instructions)",
                             b->len);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
        return ctr_error_errno(err, "load the seccomp filter");
    return 0;
}

int ctr_security_apply(const struct ctr_security_spec *sec, const struct ctr_bpf *filter, uid_t uid,
                       int (*become_user)(void *arg, struct ctr_error **err), void *arg,
                       struct ctr_error **err)
{
    int have_filter = filter != NULL && filter->len > 0;

    if (sec->apparmor != NULL && set_exec_attr("apparmor", sec->apparmor, err) < 0)
        return -1;
    if (sec->label != NULL && strcmp(sec->label, "disable") != 0 &&
        set_exec_attr("selinux", sec->label, err) < 0)
        return -1;
    if (sec->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return ctr_error_errno(err, "set no_new_privs");
    /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it while we have it. */
    if (have_filter && !sec->no_new_privs && load_filter(filter, err) < 0)
        return -1;
    if (drop_bounding(sec->caps, err) < 0)
        return -1;
    /* Changing to a non-root uid clears permitted and effective (no PR_SET_KEEPCAPS). */
    if (become_user(arg, err) < 0)
        return -1;
    if (uid == 0 ? ctr_caps_apply(sec->caps, err) < 0 : clear_caps(err) < 0)
        return -1;
    if (have_filter && sec->no_new_privs && load_filter(filter, err) < 0)
        return -1;
    return 0;
}
