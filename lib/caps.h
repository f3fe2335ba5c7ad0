/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_LIB_CAPS_H
#define CTR_LIB_CAPS_H

#include <stdint.h>

#include "error.h"

/*
 * Capabilities of a container's process, with Podman's defaults and rules for --cap-add,
 * --cap-drop and --privileged.  A set is a 64-bit mask with bit (1ULL << CAP_X) for CAP_X.
 */

/*
 * Podman's default set, eleven capabilities: CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL,
 * NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID and SYS_CHROOT.
 */
uint64_t ctr_caps_default(void);

/* Every capability this kernel knows and ctr can name (--privileged, --cap-add ALL). */
uint64_t ctr_caps_all(void);

/*
 * Parses one capability name: "NET_ADMIN", "CAP_NET_ADMIN", "cap_net_admin" (any case), or
 * "ALL" (any case) for ctr_caps_all().  Sets *ret_bits to its mask.  Fails (EINVAL) for an
 * unknown name, saying how to spell one, and (ENOTSUP) for a name this kernel does not know.
 */
int ctr_cap_parse(const char *name, uint64_t *ret_bits, struct ctr_error **err);

/* "CAP_NET_ADMIN" for CAP_NET_ADMIN; NULL for a number ctr has no name for.  Static storage. */
const char *ctr_cap_name(int cap);

/*
 * Podman's rule for --cap-add and --cap-drop over `base` (ctr_caps_default(), or
 * ctr_caps_all() for --privileged).  `add` and `drop` are NULL-terminated lists (either may be
 * NULL); an element may hold several names separated by commas, as on Podman's command line.
 *   - neither given: `base`;
 *   - ALL dropped: only the added capabilities (adding ALL too is refused);
 *   - ALL added: every capability but the dropped ones;
 *   - otherwise `base` without the dropped, plus the added.
 * A capability both added and dropped by name is refused, as Podman does (Docker instead keeps
 * it): the order of the flags would otherwise decide silently.  Sets *ret on success.
 */
int ctr_caps_compute(uint64_t base, char *const *add, char *const *drop, uint64_t *ret,
                     struct ctr_error **err);

/*
 * "CAP_CHOWN,CAP_KILL": the names sorted as Podman's inspect shows them ("" for none; a bit
 * without a name as its number).  The caller frees the string.
 */
char *ctr_caps_format(uint64_t caps);

/*
 * Gives the calling process exactly `caps`: every other capability is dropped from the bounding
 * set, the ambient and inheritable sets are cleared, and permitted and effective become `caps`.
 * The caller is root of the container's user namespace with the full set it got there (it needs
 * CAP_SETPCAP to shrink the bounding set), in a forked child just before it switches to the
 * container's user and execs.  PR_SET_KEEPCAPS is left off, so a setresuid() to a non-zero uid
 * afterwards clears permitted and effective and only the bounding set remains: Podman's
 * behaviour for a non-root --user.  Allocates one small libcap object.  Fails (EINVAL) before
 * changing anything if `caps` has a bit this kernel does not know, else with the errno of the
 * step that failed, leaving the sets partly reduced: the caller must not exec then.
 */
int ctr_caps_apply(uint64_t caps, struct ctr_error **err);

#endif
