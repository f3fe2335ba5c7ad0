/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "caps.h"
#include "cleanup.h"
#include "xalloc.h"

DEFINE_CLEANUP_FUNC(cap_t, cap_free)

#define CAP_NAME(c) [c] = #c

/* The names of <linux/capability.h>, indexed by number. */
static const char *const cap_names[] = {
        CAP_NAME(CAP_CHOWN),
        CAP_NAME(CAP_DAC_OVERRIDE),
        CAP_NAME(CAP_DAC_READ_SEARCH),
        CAP_NAME(CAP_FOWNER),
        CAP_NAME(CAP_FSETID),
        CAP_NAME(CAP_KILL),
        CAP_NAME(CAP_SETGID),
        CAP_NAME(CAP_SETUID),
        CAP_NAME(CAP_SETPCAP),
        CAP_NAME(CAP_LINUX_IMMUTABLE),
        CAP_NAME(CAP_NET_BIND_SERVICE),
        CAP_NAME(CAP_NET_BROADCAST),
        CAP_NAME(CAP_NET_ADMIN),
        CAP_NAME(CAP_NET_RAW),
        CAP_NAME(CAP_IPC_LOCK),
        CAP_NAME(CAP_IPC_OWNER),
        CAP_NAME(CAP_SYS_MODULE),
        CAP_NAME(CAP_SYS_RAWIO),
        CAP_NAME(CAP_SYS_CHROOT),
        CAP_NAME(CAP_SYS_PTRACE),
        CAP_NAME(CAP_SYS_PACCT),
        CAP_NAME(CAP_SYS_ADMIN),
        CAP_NAME(CAP_SYS_BOOT),
        CAP_NAME(CAP_SYS_NICE),
        CAP_NAME(CAP_SYS_RESOURCE),
        CAP_NAME(CAP_SYS_TIME),
        CAP_NAME(CAP_SYS_TTY_CONFIG),
        CAP_NAME(CAP_MKNOD),
        CAP_NAME(CAP_LEASE),
        CAP_NAME(CAP_AUDIT_WRITE),
        CAP_NAME(CAP_AUDIT_CONTROL),
        CAP_NAME(CAP_SETFCAP),
        CAP_NAME(CAP_MAC_OVERRIDE),
        CAP_NAME(CAP_MAC_ADMIN),
        CAP_NAME(CAP_SYSLOG),
        CAP_NAME(CAP_WAKE_ALARM),
        CAP_NAME(CAP_BLOCK_SUSPEND),
        CAP_NAME(CAP_AUDIT_READ),
        CAP_NAME(CAP_PERFMON),
        CAP_NAME(CAP_BPF),
        CAP_NAME(CAP_CHECKPOINT_RESTORE),
};

#define N_NAMES ((int)(sizeof(cap_names) / sizeof(cap_names[0])))

#define BIT(c) (1ULL << (c))

/*
 * How many capabilities the running kernel knows: libcap probes it once (PR_CAPBSET_READ), and
 * /proc/sys/kernel/cap_last_cap says the same.  A newer kernel's extra ones have no name here
 * and are left out, as Podman leaves out those its list lacks; an older kernel's missing ones
 * are refused by name.
 */
static int known_caps(void)
{
    int n = (int)cap_max_bits();

    if (n <= 0 || n > N_NAMES)
        n = N_NAMES;
    return n;
}

uint64_t ctr_caps_default(void)
{
    return BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_FOWNER) | BIT(CAP_FSETID) |
           BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_SETFCAP) | BIT(CAP_SETGID) |
           BIT(CAP_SETPCAP) | BIT(CAP_SETUID) | BIT(CAP_SYS_CHROOT);
}

uint64_t ctr_caps_all(void)
{
    int n = known_caps();

    return n >= 64 ? ~0ULL : BIT(n) - 1;
}

const char *ctr_cap_name(int cap)
{
    return cap >= 0 && cap < N_NAMES ? cap_names[cap] : NULL;
}

/* The number of `name` (without "CAP_", any case), or -1. */
static int lookup(const char *name)
{
    if (strncasecmp(name, "CAP_", 4) == 0)
        name += 4;
    for (int i = 0; i < N_NAMES; i++)
        if (cap_names[i] != NULL && strcasecmp(name, cap_names[i] + 4) == 0)
            return i;
    return -1;
}

/* Parses one name; *ret_all tells ALL apart from a single capability. */
static int parse_one(const char *name, uint64_t *ret_bits, int *ret_all, struct ctr_error **err)
{
    int cap, n;

    /* Podman upper-cases, then takes ALL as is and prefixes anything else with CAP_. */
    if (strcasecmp(name, "ALL") == 0) {
        *ret_bits = ctr_caps_all();
        *ret_all = 1;
        return 0;
    }
    cap = lookup(name);
    if (cap < 0)
        return ctr_error_set(err, EINVAL,
                             "unknown capability '%s': name one from capabilities(7) with or "
                             "without 'CAP_', in any case (e.g. 'NET_ADMIN' or 'cap_net_admin'), "
                             "or 'ALL'",
                             name);
    n = known_caps();
    if (cap >= n)
        return ctr_error_set(err, ENOTSUP,
                             "capability '%s' is not supported by this kernel, which knows "
                             "capabilities up to '%s': leave it out or use a newer kernel",
                             cap_names[cap], cap_names[n - 1]);
    *ret_bits = BIT(cap);
    *ret_all = 0;
    return 0;
}

int ctr_cap_parse(const char *name, uint64_t *ret_bits, struct ctr_error **err)
{
    int all;

    return parse_one(name, ret_bits, &all, err);
}

/* ORs the capabilities of a list whose elements may be comma-separated. */
static int parse_list(char *const *list, const char *flag, uint64_t *ret_bits, int *ret_all,
                      struct ctr_error **err)
{
    uint64_t bits = 0;
    int all = 0;

    for (; list != NULL && *list != NULL; list++) {
        const char *p = *list;

        for (;;) {
            size_t len = strcspn(p, ",");
            cleanup_free char *name = xstrndup(p, len);
            uint64_t one;
            int one_all;

            if (len == 0)
                return ctr_error_set(err, EINVAL,
                                     "%s '%s' has an empty capability name: separate names with "
                                     "single commas",
                                     flag, *list);
            if (parse_one(name, &one, &one_all, err) < 0)
                return ctr_error_wrap(err, "%s", flag);
            if (one_all)
                all = 1;
            else
                bits |= one;
            if (p[len] == '\0')
                break;
            p += len + 1;
        }
    }
    *ret_bits = bits;
    *ret_all = all;
    return 0;
}

int ctr_caps_compute(uint64_t base, char *const *add, char *const *drop, uint64_t *ret,
                     struct ctr_error **err)
{
    uint64_t add_bits, drop_bits, both;
    int add_all, drop_all;

    if (parse_list(add, "--cap-add", &add_bits, &add_all, err) < 0 ||
        parse_list(drop, "--cap-drop", &drop_bits, &drop_all, err) < 0)
        return -1;
    if (drop_all) {
        if (add_all)
            return ctr_error_set(err, EINVAL,
                                 "--cap-add ALL and --cap-drop ALL contradict each other: give "
                                 "one of them");
        *ret = add_bits;
        return 0;
    }
    if (add_all) {
        /* Every capability; a name added beside ALL is no conflict with a drop of it. */
        base = ctr_caps_all();
        add_bits = 0;
    }
    both = add_bits & drop_bits;
    if (both != 0) {
        int cap = __builtin_ctzll(both);

        return ctr_error_set(err, EINVAL,
                             "capability '%s' is both added and dropped: give it to only one of "
                             "--cap-add and --cap-drop",
                             cap_names[cap]);
    }
    *ret = (base & ~drop_bits) | add_bits;
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *ctr_caps_format(uint64_t caps)
{
    const char *names[64];
    char numbers[64][4];
    size_t n = 0, len = 1;
    char *text, *p;

    for (int i = 0; i < 64; i++) {
        if (!(caps & BIT(i)))
            continue;
        if (ctr_cap_name(i) != NULL) {
            names[n] = cap_names[i];
        } else {
            snprintf(numbers[i], sizeof(numbers[i]), "%d", i);
            names[n] = numbers[i];
        }
        len += strlen(names[n]) + 1;
        n++;
    }
    qsort(names, n, sizeof(names[0]), compare_names);
    text = p = xmalloc(len);
    *p = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(names[i]);

        if (i > 0)
            *p++ = ',';
        memcpy(p, names[i], l + 1);
        p += l;
    }
    return text;
}

int ctr_caps_apply(uint64_t caps, struct ctr_error **err)
{
    cleanup_with(cap_freep) cap_t c = NULL;
    uint64_t unknown = caps & ~ctr_caps_all();
    cap_value_t list[64];
    int n = known_caps(), count = 0;

    if (unknown != 0)
        return ctr_error_set(err, EINVAL, "capability number %d is not known to this kernel",
                             __builtin_ctzll(unknown));
    /*
     * Ambient first: it needs no capability.  Kernels before 4.3 have no ambient set, and say
     * EINVAL: there is nothing to clear then.
     */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return ctr_error_errno(err, "clear the ambient capabilities");
    /*
     * The bounding set before capset(): dropping needs CAP_SETPCAP in the effective set, which
     * `caps` may not keep.  Dropping CAP_SETPCAP from the bounding set leaves it effective, so
     * the loop can go on after it.
     */
    for (int i = 0; i < n; i++) {
        if (caps & BIT(i))
            continue;
        if (prctl(PR_CAPBSET_DROP, (unsigned long)i, 0, 0, 0) < 0)
            return ctr_error_errno(err, "drop '%s' from the bounding capability set", cap_names[i]);
    }
    c = cap_init();
    if (c == NULL)
        return ctr_error_errno(err, "allocate a capability set");
    for (int i = 0; i < n; i++)
        if (caps & BIT(i))
            list[count++] = i;
    /* cap_init() starts empty: inheritable stays clear. */
    if (count > 0 && (cap_set_flag(c, CAP_PERMITTED, count, list, CAP_SET) < 0 ||
                      cap_set_flag(c, CAP_EFFECTIVE, count, list, CAP_SET) < 0))
        return ctr_error_errno(err, "build the capability set");
    if (cap_set_proc(c) < 0)
        return ctr_error_errno(err, "set the process capabilities (capset)");
    return 0;
}
