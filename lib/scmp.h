/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_LIB_SCMP_H
#define CTR_LIB_SCMP_H

#include <seccomp.h>

#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"
#include "error.h"

/*
 * Seccomp filters for a container's process.
 *
 * Both constructors return a libseccomp filter context that is built but not loaded: the
 * caller loads it with seccomp_load() in the container's process, after setting no_new_privs
 * and just before execve(), so the filter allows execve() and everything a dynamic loader and
 * libc need.  The caller owns the context and frees it with seccomp_release(), or declares it
 * `cleanup_with(seccomp_releasep) scmp_filter_ctx ctx = NULL;`.
 *
 * The context has SCMP_FLTATR_API_SYSRAWRC set, so a failing seccomp_load() returns the
 * kernel's own -errno rather than -ECANCELED.
 *
 * Capabilities are a 64-bit mask of CAP_* bits (1ULL << CAP_SYS_ADMIN, ...): the capabilities
 * the container's process will hold (its bounding set).  They decide which capability-gated
 * syscalls the default profile allows, and a profile's includes/excludes by "caps".
 *
 * Architectures: the filter covers the native architecture and the compat ones the same
 * kernel runs (x86_64 adds x86 and x32, aarch64 adds arm, s390x adds s390, mips64 adds its
 * o32 and n32 siblings).  A syscall a given architecture does not have is skipped there, and
 * a syscall name libseccomp does not know at all is skipped, as Docker does.
 *
 * Syscalls newer than libseccomp's table: on the native architecture, every number from 424
 * (the first number shared by all architectures since Linux 5.1) up to 511 that libseccomp
 * cannot name answers ENOSYS instead of the default action, unless that default is "allow"
 * or "log".  A libc or library that probes a syscall the kernel has but libseccomp does not
 * yet know then falls back as on an older kernel instead of failing with EPERM (runc does
 * the same for the same reason).  Compat architectures keep the default action there.
 */

DEFINE_CLEANUP_FUNC(scmp_filter_ctx, seccomp_release)

/* Profile files are small; callers read at most this many bytes of one (Docker's is 20 KiB). */
#define CTR_SECCOMP_PROFILE_MAX (4u << 20)

/* The name of the built-in default profile, for `--security-opt seccomp=` and messages. */
const char *ctr_seccomp_default_name(void);

/*
 * Builds ctr's default profile, with the effect of Docker's and Podman's defaults:
 *
 *  - unlisted syscalls fail with EPERM;
 *  - the ordinary syscalls of programs are allowed: files, sockets, memory, processes,
 *    signals, time, scheduling, SysV and POSIX IPC, including the newer ones (statx,
 *    openat2, close_range, faccessat2, fchmodat2, epoll_pwait2, rseq, futex_waitv, ...);
 *  - clone() is allowed without namespace flags, clone3() answers ENOSYS so libcs fall back
 *    to clone() (seccomp cannot inspect clone3's flags, which live in memory);
 *  - personality() only for PER_LINUX, PER_LINUX32, UNAME26, both, and the 0xffffffff query;
 *  - socket() for every family but AF_VSOCK, which reaches the host and not the container's
 *    network namespace;
 *  - ptrace(), process_vm_readv() and process_vm_writev() on Linux 4.8 and later, as Docker
 *    allows them: from 4.8 the kernel re-checks seccomp after a tracer changes a syscall, so
 *    ptrace no longer bypasses the filter (Kees Cook's "run seccomp after ptrace" series);
 *  - refused unless a capability allows them:
 *      CAP_SYS_ADMIN: mount, umount2, pivot_root, unshare, setns, clone with namespace
 *        flags, clone3, the new mount API, fanotify_init, quotactl, sethostname,
 *        setdomainname, lookup_dcookie, bpf, perf_event_open, syslog;
 *      CAP_BPF: bpf;  CAP_PERFMON: perf_event_open;  CAP_SYSLOG: syslog;
 *      CAP_SYS_PACCT: acct;  CAP_SYS_BOOT: reboot;  CAP_SYS_CHROOT: chroot;
 *      CAP_SYS_MODULE: init_module, finit_module, delete_module;
 *      CAP_SYS_TIME: settimeofday, stime, clock_settime;
 *      CAP_SYS_TTY_CONFIG: vhangup;  CAP_SYS_RAWIO: iopl, ioperm;
 *      CAP_SYS_NICE: get_mempolicy, set_mempolicy, mbind, set_mempolicy_home_node;
 *      CAP_SYS_PTRACE: kcmp, pidfd_getfd, process_madvise;
 *      CAP_DAC_READ_SEARCH: open_by_handle_at;
 *  - always refused: keyctl, add_key, request_key, userfaultfd, kexec_load,
 *    kexec_file_load, swapon, swapoff, nfsservctl, uselib, personality with other values,
 *    the io_uring syscalls (refused by Docker since 25.0, by ChromeOS and Android: many
 *    recent kernel exploits went through io_uring), and anything unlisted.
 *
 * adjtimex() and clock_adjtime() are allowed as Docker allows them: the kernel itself
 * requires CAP_SYS_TIME for any change, and reading the clock's state needs no privilege.
 *
 * On failure (a libseccomp error, which would be a bug or out of memory) returns -1 with
 * *err set and leaves *ret untouched.
 */
int ctr_seccomp_default(uint64_t caps, scmp_filter_ctx *ret, struct ctr_error **err);

/*
 * Builds the filter of a Docker-format seccomp profile: `json` is `len` bytes (no NUL needed;
 * the caller limits the size, see CTR_SECCOMP_PROFILE_MAX) and `what` names it in messages,
 * usually its path.
 *
 * Understood: defaultAction, defaultErrnoRet, architectures or archMap (with
 * subArchitectures; only the native architecture's entry is used), flags
 * (SECCOMP_FILTER_FLAG_TSYNC, _LOG, _SPEC_ALLOW), and syscalls[] with names[] or name,
 * action, errnoRet, args[] (index, value, valueTwo, op), includes and excludes (caps, arches
 * with Docker's Go names like "amd64" or libseccomp's like "x86_64", minKernel "MAJOR.MINOR")
 * and comment.  Other members are ignored, as Docker ignores them.
 *
 * Actions: SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL (the thread), SCMP_ACT_KILL_THREAD,
 * SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_TRACE, SCMP_ACT_LOG.  SCMP_ACT_NOTIFY is
 * refused: ctr has no agent to answer notifications.  errnoRet (default EPERM) is only for
 * SCMP_ACT_ERRNO and SCMP_ACT_TRACE.
 *
 * Operators: SCMP_CMP_NE, _LT, _LE, _EQ, _GE, _GT and _MASKED_EQ (value is the mask,
 * valueTwo the value the masked argument must equal).  Conditions on different arguments
 * must all hold; but when some argument has several conditions, every condition of the entry
 * becomes a rule of its own and any one matching is enough (what runc and crun do with
 * Docker's profiles, whose personality and clone entries rely on it).
 * Values are JSON integers from 0 to 2^63-1.
 *
 * Unknown syscall names are skipped, as Docker skips them.  An unknown action, operator,
 * architecture, flag or capability, a member of the wrong type, or invalid JSON is an error
 * naming the member: "seccomp profile 'x.json': syscalls[3].args[0].op: unknown operator
 * 'SCMP_CMP_FOO'" (code EINVAL).  On failure *ret is untouched.
 */
int ctr_seccomp_from_json(const char *json, size_t len, const char *what, uint64_t caps,
                          scmp_filter_ctx *ret, struct ctr_error **err);

#endif
