/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_IMAGE_PULL_H
#define CTR_IMAGE_PULL_H

#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "store.h"
#include "userns.h"

/*
 * Acting on the store's files as their owner.  Layer files belong to the user's subordinate
 * ids, so unpacking and removing them happens in a user namespace with the user's mapping,
 * in a re-executed ctr (IMAGE_HELPER_* below as argv[0]): forking threads may only exec.
 * As real root no namespace is needed.
 */
#define IMAGE_HELPER_UNPACK "ctr-unpack-layer"
#define IMAGE_HELPER_REMOVE "ctr-remove-tree"
#define IMAGE_HELPER_CHOWN  "ctr-chown-dir"

struct image_store_ns {
    struct ctr_idmaps maps;
    int direct;            /* real root: no user namespace */
    int has_ranges;        /* the user has subordinate ranges */
    unsigned long max_uid; /* ids mapped from 0 without a gap; 0 = no limit */
    unsigned long max_gid;
    char *self_exe; /* the ctr binary to re-execute */
};

int image_store_ns_init(struct image_store_ns *ns, struct ctr_error **err);
void image_store_ns_clear(struct image_store_ns *ns);

/* Removes `path` and everything below it, as the owner of its files. */
int image_store_remove_tree(const struct image_store_ns *ns, const char *path,
                            struct ctr_error **err);

/*
 * Gives `paths` (NULL-terminated, absolute; symlinks not followed) to uid/gid as the store's
 * user namespace numbers them (0 is the user, 1.. the subordinate ids): the root directory of
 * a container whose root is not the user (--userns, --uidmap) is that root's.
 */
int image_store_chown(const struct image_store_ns *ns, char *const *paths, unsigned long uid,
                      unsigned long gid, struct ctr_error **err);

/*
 * Starts the re-executed helper argv[0] (one of the IMAGE_HELPER_* names) as the owner of the
 * store's files.  In the helper, `fd_in` becomes stdin, `fd_out` stdout and `fd_result` fd 3, the
 * result line (each -1 to leave that fd as it is); the caller closes its own copies.  The caller
 * reaps *ret_pid with ctr_waitpid().  On failure no child is left.
 */
int image_store_spawn(const struct image_store_ns *ns, char *const *argv, int fd_in, int fd_out,
                      int fd_result, pid_t *ret_pid, struct ctr_error **err);

/*
 * Helpers end with one result line on fd 3: "ok DETAILS" or "error MESSAGE".  The parent reads
 * it (to its end, at most `max - 1` bytes, without the newline) into `buf`.
 */
void image_helper_read_result(int fd, char *buf, size_t max);
void image_helper_result(int ok, const char *fmt, ...) CTR_PRINTF(2, 3);

/* The entry points of the re-executed helpers; they return the process exit status. */
int image_helper_unpack_main(int argc, char **argv);
int image_helper_remove_main(int argc, char **argv);
int image_helper_chown_main(int argc, char **argv);

enum image_pull_event_kind {
    IMAGE_PULL_RESOLVED,       /* `name` is what is being pulled */
    IMAGE_PULL_LAYER_EXISTS,   /* `digest` is already in the store */
    IMAGE_PULL_LAYER_PROGRESS, /* `digest`: `bytes` of `total` so far, after `seconds` */
    IMAGE_PULL_LAYER_DONE,     /* `digest` fetched and unpacked: `bytes` in `seconds` */
    IMAGE_PULL_WARNING,        /* `message` is a warning that does not stop the pull */
};

struct image_pull_event {
    enum image_pull_event_kind kind;
    const char *name;
    const char *digest;
    int64_t bytes;
    int64_t total;
    double seconds;
    const char *message;
};

struct image_pull_opts {
    const char *platform;            /* "os/arch[/variant]"; NULL: this host */
    const char *os, *arch, *variant; /* overrides of single fields, or NULL */
    int tls_verify; /* 1 verify (default), 0 plain HTTP / no verify, -1 as configured */
    const char *cert_dir;
    const char *authfile;
    const char *username, *password; /* --creds */
    unsigned retries;
    unsigned jobs; /* layers fetched at once; 0: default 3 */
    /* Called from several threads (serialised by the puller). */
    void (*progress)(void *arg, const struct image_pull_event *ev);
    void *progress_arg;
};

/*
 * Pulls `ref` (short names resolve through the search registries, first that has it wins)
 * into the store and names it.  Every blob is verified while it streams, every layer's diff id
 * against the config; an interrupted or failed pull leaves no image row, no layer row and no
 * half-written layer in place (staging directories of a killed pull are removed by the next).
 * Returns the image id (config digest) in *ret_id and the name it got in *ret_name.
 */
int image_pull(struct storage *s, const struct image_store_ns *ns, const char *ref,
               const struct image_pull_opts *opts, char **ret_id, char **ret_name,
               struct ctr_error **err);

/*
 * Removes the recorded layers no image uses and the leftovers of killed pulls, unless a pull
 * is running (then nothing is removed and 0 is returned).  Returns the number removed.
 */
int image_collect_layers(struct storage *s, const struct image_store_ns *ns,
                         struct ctr_error **err);

#endif
