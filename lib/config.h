/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_LIB_CONFIG_H
#define CTR_LIB_CONFIG_H

#include <stddef.h>

#include "error.h"
#include "log.h"

/*
 * ctr's own configuration file, ctr.conf: the defaults of a few options, one per line.
 *
 *     # a comment
 *     root = /srv/ctr/storage
 *     log_level = "info"        # a value may be quoted; '#' then may be part of it
 *
 * Each line is empty, a comment, or KEY = VALUE.  A value is bare (up to a '#' or the end of
 * the line, surrounding blanks dropped) or in double quotes (with \" and \\ as escapes).
 * Every key may appear once.  The keys are exactly those of struct ctr_config; anything else
 * (an unknown key, a [section], a line without '=', a bad value) is an error naming the file,
 * the line and the key.
 */
struct ctr_config {
    char *root;    /* `root`: the storage root, an absolute path; NULL when unset */
    char *runroot; /* `runroot`: the runtime directory, an absolute path */
    int has_log_level;
    enum ctr_log_level log_level; /* `log_level`: error, warn, info, debug or trace */
    char *network;                /* `network`: run and create's default --network, as given */
    unsigned network_line;        /* where `network` was set, for the caller's own checks */
    char *pull;                   /* `pull`: missing, always or never */
};

/*
 * Parses `len` bytes of `text`; `name` (the file's path) prefixes every error:
 * "NAME:LINE: unknown key 'foo': use root, runroot, log_level, network or pull".  Fills *ret
 * (freed with ctr_config_clear()) only on success.
 */
int ctr_config_parse(const char *name, const char *text, size_t len, struct ctr_config *ret,
                     struct ctr_error **err);

/*
 * Reads and parses the file at `path`.  A file that does not exist is an empty
 * configuration; one that cannot be read, or is larger than 1 MiB, is an error.
 */
int ctr_config_load(const char *path, struct ctr_config *ret, struct ctr_error **err);

/*
 * Where ctr.conf is: $XDG_CONFIG_HOME/ctr/ctr.conf when `xdg_config_home` is absolute (the
 * XDG spec says a relative one is ignored), else `home`/.config/ctr/ctr.conf; NULL when
 * neither is usable.  The caller frees the string.
 */
char *ctr_config_path(const char *xdg_config_home, const char *home);

/* Frees what *c owns and zeroes it; a zeroed *c is fine. */
void ctr_config_clear(struct ctr_config *c);

#endif
