/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_STORAGE_CONTAINER_SPEC_H
#define CTR_STORAGE_CONTAINER_SPEC_H

#include "error.h"
#include "spec.h"

/*
 * The spec as the containers table's `config` column stores it: a JSON object with a
 * "version": 1 member and one member per field of struct ctr_spec (argv, env, cwd, user,
 * hostname, mounts [{kind "bind"|"tmpfs", source, destination, readonly, data, flags}], tty,
 * interactive, init, remove, stop_signal, stop_timeout, network, labels, restart_policy
 * "no"|"on-failure"|"always"|"unless-stopped" with restart_max, create_command).  NULL strings
 * and vectors are left out, and so is the restart policy "no".
 *
 * storage_spec_to_json() returns compact JSON the caller frees with free(), or NULL with *err
 * set when a string is not UTF-8 (JSON holds nothing else; the message names the member).
 *
 * storage_spec_from_json() requires "version" 1, a non-empty "argv", and in each mount "kind",
 * "destination" and, for a bind mount, "source".  Other absent (or null) members take their
 * zero value; unknown members are ignored; a wrong type or range is an error naming the
 * member.  *ret is written only on success; free it with ctr_spec_clear().
 */
char *storage_spec_to_json(const struct ctr_spec *spec, struct ctr_error **err);
int storage_spec_from_json(const char *json, struct ctr_spec *ret, struct ctr_error **err);

#endif
