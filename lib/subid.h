/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_LIB_SUBID_H
#define CTR_LIB_SUBID_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/*
 * Subordinate id ranges from /etc/subuid or /etc/subgid (shadow's format, subuid(5)):
 * one "OWNER:START:COUNT" a line, OWNER a login name or a decimal uid.  A range belongs to the
 * user when OWNER is the user's name or the user's uid, as newuidmap(1) decides.
 */
struct ctr_id_range {
    unsigned long start;
    unsigned long count;
    unsigned line; /* 1-based line in the file */
    int by_uid;    /* matched through the numeric uid rather than the name */
};

struct ctr_subid_problem {
    unsigned line;
    char *reason;
};

struct ctr_subid {
    struct ctr_id_range *ranges; /* the user's ranges, in file order */
    size_t n_ranges;
    struct ctr_subid_problem *problems; /* malformed lines, whoever they belong to */
    size_t n_problems;
    int file_missing;         /* the file does not exist (no ranges for anybody) */
    unsigned long end_of_all; /* one past the highest id any valid line (anyone's) holds */
};

/*
 * Parses `len` bytes of subuid/subgid text for user `name` (may be NULL) with id `uid`.
 * Malformed lines are skipped, as shadow skips them, and each is recorded in ret->problems.
 * Never fails on content; fills *ret, which the caller frees with ctr_subid_clear().
 */
void ctr_subid_parse(const char *data, size_t len, const char *name, uid_t uid,
                     struct ctr_subid *ret);

/* Reads and parses `path`; a missing file sets ret->file_missing and is not an error. */
int ctr_subid_read(const char *path, const char *name, uid_t uid, struct ctr_subid *ret,
                   struct ctr_error **err);

/* The number of ids in all ranges (overlaps counted once). */
unsigned long ctr_subid_total(const struct ctr_subid *s);

/*
 * The first id of a `count`-id range that overlaps nobody's in the file: at or after 100000
 * (shadow's SUB_UID_MIN) and after every range the file holds, for a usermod suggestion.
 */
unsigned long ctr_subid_suggest_start(const struct ctr_subid *s, unsigned long count);

void ctr_subid_clear(struct ctr_subid *s);

#endif
