/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `ctr __complete WORD...`: what the shell completion scripts (cmd/completion.c) ask.  The
 * words are those after `ctr` on the command line up to the cursor, the last one being the
 * word under completion (possibly empty), with the shell's quoting removed.  The walk over
 * them follows ctr's own command table, the one main() dispatches from, so completion knows
 * exactly the commands and options the binary accepts.
 *
 * The answer, on stdout:
 *   - one candidate per line: `WORD` or `WORD<TAB>DESCRIPTION`.  Every WORD is a whole
 *     replacement of the word under completion and starts with what was typed (a signal or a
 *     capability may differ in case: "te" offers "term"), so `--network=co` offers
 *     `--network=container:`.  A WORD ending in '=', ':' or ',' is a prefix of a longer value:
 *     the scripts add no space after it.
 *   - a last line `:N`, N the sum of:
 *       1  the shell should also offer file names (for the word without a leading `--opt=`);
 *       2  the shell should also offer directory names (likewise).
 *     `:0` means the candidates, if any, are all there is.
 *
 * Dynamic candidates (containers, images) come from the store opened read-only: it is never
 * created or migrated, no namespace is joined, and nothing is written.  A container recorded
 * as running counts as running only while its process exists (a read of /proc, as every
 * listing does; a read-only store is never written back).  Without a store, or on any error,
 * they are simply missing: completion never prints to stderr and always exits 0.  It must
 * feel instant, so this path touches neither libcurl nor anything else an image command
 * loads (bench/complete.sh: under 20 ms with 1000 containers).
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "caps.h"
#include "cleanup.h"
#include "cmd.h"
#include "containers.h"
#include "images.h"
#include "spec.h"
#include "xalloc.h"

enum complete_directive {
    COMPLETE_FILES = 1 << 0,
    COMPLETE_DIRS = 1 << 1,
};

struct completion {
    unsigned directive;
    struct ctr_ctx ctx;    /* --root and --runroot as given on the line being completed */
    struct storage *store; /* opened read-only on first use */
    int store_tried;
};

/* The store, or NULL when there is none (yet) or it cannot be read: then nothing is offered. */
static struct storage *completion_store(struct completion *c)
{
    cleanup_error struct ctr_error *err = NULL;
    struct storage_paths p = {NULL, NULL};

    if (c->store_tried)
        return c->store;
    c->store_tried = 1;
    /* ctr.conf may name the store; a file ctr would refuse offers nothing from it. */
    if (cmd_config_load(&err) < 0 || ctx_paths(&c->ctx, &p, &err) < 0)
        return NULL;
    if (storage_open(p.root, p.runroot, STORAGE_OPEN_READONLY, &c->store, &err) < 0)
        c->store = NULL;
    storage_paths_clear(&p);
    return c->store;
}

/* Prints PREFIX WORD [TAB DESC] when WORD starts with TYPED; DESC on one line. */
static void offer(const char *prefix, const char *typed, const char *word, const char *desc)
{
    if (strncmp(word, typed, strlen(typed)) != 0 || strpbrk(word, "\t\n") != NULL)
        return;
    fputs(prefix, stdout);
    fputs(word, stdout);
    if (desc != NULL && desc[0] != '\0') {
        putchar('\t');
        for (const char *p = desc; *p != '\0'; p++)
            putchar(*p == '\t' || *p == '\n' ? ' ' : *p);
    }
    putchar('\n');
}

static int is_hex_prefix(const char *s, size_t min)
{
    size_t len = strlen(s);

    return len >= min && strspn(s, "0123456789abcdef") == len;
}

/*
 * Containers in `kind`'s states: names always, ids too when what was typed is three or more
 * hex digits (typing an id is the only reason to start so, and a blank TAB should not list
 * 1000 ids).  The twelve-digit short id, as `ctr ps` shows it, or the full one once more is
 * typed.
 */
static void offer_containers(struct completion *c, const char *prefix, const char *typed,
                             enum cmd_complete kind)
{
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = completion_store(c);
    struct storage_container *list = NULL;
    size_t n = 0;
    int ids = is_hex_prefix(typed, 3);
    char desc[256], id[13];

    if (s == NULL || storage_container_list(s, &list, &n, &err) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        const struct storage_container *ct = &list[i];
        int running = ct->state == STORAGE_CONTAINER_RUNNING;

        if ((kind == CMD_COMPLETE_CONTAINER_RUNNING && !running) ||
            (kind == CMD_COMPLETE_CONTAINER_STOPPED && running))
            continue;
        snprintf(desc, sizeof(desc), "%s, %s", storage_container_state_name(ct->state),
                 ct->image_name != NULL ? ct->image_name : "no image");
        offer(prefix, typed, ct->name, desc);
        if (!ids || ct->id == NULL)
            continue;
        if (strlen(typed) > 12) {
            offer(prefix, typed, ct->id, ct->name);
        } else {
            snprintf(id, sizeof(id), "%.12s", ct->id);
            offer(prefix, typed, id, ct->name);
        }
    }
    storage_container_list_free(list, n);
}

/*
 * "localhost/busybox:latest" is also "busybox:latest" to ctr, and so is
 * "docker.io/library/busybox:latest" (image/lookup.h): the short form, or NULL.
 */
static const char *short_image_name(const char *name)
{
    static const char *const prefixes[] = {"localhost/", "docker.io/library/"};

    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            return name + strlen(prefixes[i]);
    }
    return NULL;
}

/*
 * Image names as stored (fully qualified), or their short form when that is what is being
 * typed; short ids (as `ctr images` shows them) once three hex digits are typed, and for
 * images without a name.
 */
static void offer_images(struct completion *c, const char *prefix, const char *typed)
{
    cleanup_error struct ctr_error *err = NULL;
    struct storage *s = completion_store(c);
    struct storage_image **list = NULL;
    size_t n = 0;
    int ids = is_hex_prefix(typed, 3);
    char id[13];

    if (s == NULL || storage_image_list(s, &list, &n, &err) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        const struct storage_image *img = list[i];
        const char *hex = strncmp(img->id, "sha256:", 7) == 0 ? img->id + 7 : img->id;

        snprintf(id, sizeof(id), "%.12s", hex);
        for (char **name = img->names; *name != NULL; name++) {
            const char *short_name = short_image_name(*name);

            if (strncmp(*name, typed, strlen(typed)) == 0)
                offer(prefix, typed, *name, id);
            else if (short_name != NULL)
                offer(prefix, typed, short_name, *name);
        }
        if (ids || img->names[0] == NULL)
            offer(prefix, typed, id, img->names[0] != NULL ? img->names[0] : "<none>");
    }
    storage_image_list_free(list, n);
}

/*
 * Names written in capitals with a common part ("SIG", "CAP_") that the user may leave out
 * and may type in lowercase, as ctr accepts them: "TERM", "sigterm", "net_admin".  What is
 * offered follows what was typed, so that every shell's prefix match keeps it: the full name
 * while the typed word could still be the common part, without it otherwise; lowercase when
 * the typed word has no capitals.
 */
static void offer_named(const char *prefix, const char *typed, const char *name, const char *common)
{
    size_t len = strlen(typed), clen = strlen(common);
    int lower = 0, upper = 0;
    char word[64];

    for (const char *p = typed; *p != '\0'; p++) {
        lower |= islower((unsigned char)*p);
        upper |= isupper((unsigned char)*p);
    }
    lower = lower && !upper;
    if (strncasecmp(name, common, clen) == 0 &&
        strncasecmp(typed, common, len < clen ? len : clen) != 0)
        name += clen;
    if (strlen(name) >= sizeof(word) || strncasecmp(name, typed, len) != 0)
        return;
    for (size_t i = 0; name[i] != '\0'; i++)
        word[i] = lower ? (char)tolower((unsigned char)name[i]) : name[i];
    word[strlen(name)] = '\0';
    memcpy(word, typed, len); /* what was typed stays as typed */
    offer(prefix, typed, word, NULL);
}

/* SIGHUP..SIGSYS, SIGRTMIN and SIGRTMAX: the names `kill -s` and --stop-signal take. */
static void offer_signals(const char *prefix, const char *typed)
{
    for (int sig = 1; sig <= 64; sig++) {
        const char *name = ctr_signal_name(sig);

        if (name == NULL || strpbrk(name, "+-") != NULL)
            continue;
        offer_named(prefix, typed, name, "SIG");
    }
}

/* CAP_CHOWN... and ALL; a comma-separated list completes its last element. */
static void offer_capabilities(const char *prefix, const char *typed)
{
    cleanup_free char *base = NULL;
    const char *comma = strrchr(typed, ',');

    if (comma != NULL) {
        base = xasprintf("%s%.*s", prefix, (int)(comma + 1 - typed), typed);
        prefix = base;
        typed = comma + 1;
    }
    offer_named(prefix, typed, "ALL", "");
    for (int cap = 0; cap < 64; cap++) {
        const char *name = ctr_cap_name(cap);

        if (name != NULL)
            offer_named(prefix, typed, name, "CAP_");
    }
}

/* --network: the modes, running containers after "container:", options after "slirp4netns:". */
static void offer_network(struct completion *c, const char *prefix, const char *typed)
{
    static const struct {
        const char *word, *desc;
    } modes[] = {
            {"pasta", "user-mode networking by pasta (the default when installed)"},
            {"slirp4netns", "user-mode networking by slirp4netns"},
            {"slirp4netns:", "slirp4netns with options"},
            {"none", "a network namespace with only lo"},
            {"host", "your own network namespace"},
            {"ns:", "the network namespace at a path"},
            {"container:", "the network namespace of a running container"},
    };
    static const char *const slirp_options[] = {
            "allow_host_loopback=true", "cidr=", "enable_ipv6=true", "mtu=", "port_handler=",
    };

    if (strncmp(typed, "container:", 10) == 0) {
        cleanup_free char *base = xasprintf("%scontainer:", prefix);

        offer_containers(c, base, typed + 10, CMD_COMPLETE_CONTAINER_RUNNING);
        return;
    }
    if (strncmp(typed, "slirp4netns:", 12) == 0) {
        const char *last = strrchr(typed, ',') ? strrchr(typed, ',') + 1 : typed + 12;
        cleanup_free char *base = xasprintf("%s%.*s", prefix, (int)(last - typed), typed);

        for (size_t i = 0; i < sizeof(slirp_options) / sizeof(slirp_options[0]); i++)
            offer(base, last, slirp_options[i], NULL);
        return;
    }
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
        offer(prefix, typed, modes[i].word, modes[i].desc);
}

/* --format: json, table, and the command's fields, also inside a template being typed. */
static void offer_format(const char *prefix, const char *typed, const struct ctr_command *cmd)
{
    const char *open = NULL;
    cleanup_free char *base = NULL;

    for (const char *p = strstr(typed, "{{"); p != NULL; p = strstr(p + 2, "{{"))
        open = p;
    if (open == NULL) {
        offer(prefix, typed, "json", "a JSON document");
        offer(prefix, typed, "table", "the table, with its header");
    } else {
        base = xasprintf("%s%.*s", prefix, (int)(open - typed), typed);
        prefix = base;
        typed = open;
    }
    for (const char *const *f = cmd->format_fields; f != NULL && *f != NULL; f++) {
        cleanup_free char *field = NULL;

        if (strncmp(*f, "{{", 2) != 0)
            field = xasprintf("{{.%s}}", *f);
        offer(prefix, typed, field != NULL ? field : *f, NULL);
    }
}

/* The space-separated `values` of an option or a command. */
static void offer_values(const char *prefix, const char *typed, const char *values)
{
    char word[128];

    while (values != NULL && *values != '\0') {
        size_t len = strcspn(values, " ");

        if (len > 0 && len < sizeof(word)) {
            memcpy(word, values, len);
            word[len] = '\0';
            offer(prefix, typed, word, NULL);
        }
        values += len;
        values += strspn(values, " ");
    }
}

static void offer_commands(const char *typed, const struct ctr_command *const *commands)
{
    for (const struct ctr_command *const *c = commands; c != NULL && *c != NULL; c++)
        offer("", typed, (*c)->name, (*c)->summary);
}

/* What a value of `kind` completes to; `values` for CMD_COMPLETE_VALUES. */
static void offer_kind(struct completion *c, enum cmd_complete kind, const char *values,
                       const struct ctr_command *cmd, const char *prefix, const char *typed)
{
    switch (kind) {
    case CMD_COMPLETE_NONE:
        break;
    case CMD_COMPLETE_FILE:
        c->directive |= COMPLETE_FILES;
        break;
    case CMD_COMPLETE_DIR:
        c->directive |= COMPLETE_DIRS;
        break;
    case CMD_COMPLETE_CONTAINER:
    case CMD_COMPLETE_CONTAINER_RUNNING:
    case CMD_COMPLETE_CONTAINER_STOPPED:
        offer_containers(c, prefix, typed, kind);
        break;
    case CMD_COMPLETE_IMAGE:
        offer_images(c, prefix, typed);
        break;
    case CMD_COMPLETE_SIGNAL:
        offer_signals(prefix, typed);
        break;
    case CMD_COMPLETE_CAPABILITY:
        offer_capabilities(prefix, typed);
        break;
    case CMD_COMPLETE_NETWORK:
        offer_network(c, prefix, typed);
        break;
    case CMD_COMPLETE_FORMAT:
        offer_format(prefix, typed, cmd);
        break;
    case CMD_COMPLETE_COMMAND:
        offer_commands(typed, ctr_commands);
        break;
    case CMD_COMPLETE_VALUES:
        offer_values(prefix, typed, values);
        break;
    }
}

/* The option `--name` (or an abbreviation of one, as getopt_long takes it), or NULL. */
static const struct cmd_option *find_long(const struct cmd_option *options, const char *name,
                                          size_t len)
{
    const struct cmd_option *found = NULL;
    int ambiguous = 0;

    for (const struct cmd_option *o = options; o != NULL && o->name != NULL; o++) {
        if (strncmp(o->name, name, len) != 0)
            continue;
        if (o->name[len] == '\0')
            return o;
        if (found != NULL && found->val != o->val)
            ambiguous = 1;
        found = o;
    }
    return ambiguous ? NULL : found;
}

static const struct cmd_option *find_short(const struct cmd_option *options, int ch)
{
    for (const struct cmd_option *o = options; o != NULL && o->name != NULL; o++) {
        if (o->short_name == ch)
            return o;
    }
    return NULL;
}

/* `-x` and `--long` of `cmd`, with the first line of their help. */
static void offer_options(const struct ctr_command *cmd, const char *typed)
{
    char word[128];

    for (const struct cmd_option *o = cmd->options; o != NULL && o->name != NULL; o++) {
        if (o->short_name != 0 && strlen(typed) <= 2) {
            snprintf(word, sizeof(word), "-%c", o->short_name);
            offer("", typed, word, o->help);
        }
        snprintf(word, sizeof(word), "--%s", o->name);
        offer("", typed, word, o->help);
    }
}

/* Where the walk over the words is. */
struct walk {
    const struct ctr_command *cmd;
    const struct cmd_option *pending; /* the option whose value the next word is */
    int options_done;                 /* after "--" or the first operand, as getopt's '+' */
    int operands;                     /* operands of cmd so far */
};

/* The global options that say where the store is, kept for the dynamic candidates. */
static void note_global(struct completion *c, const struct walk *w, const struct cmd_option *o,
                        const char *value)
{
    if (w->cmd != &ctr_main || value == NULL)
        return;
    if (strcmp(o->name, "root") == 0)
        c->ctx.root_opt = value;
    else if (strcmp(o->name, "runroot") == 0)
        c->ctx.runroot_opt = value;
}

/* One option word that is not the last one: it may take the next word as its value. */
static void walk_option(struct completion *c, struct walk *w, const char *word)
{
    const struct cmd_option *o;

    if (word[1] == '-') {
        const char *eq = strchr(word + 2, '=');

        o = find_long(w->cmd->options, word + 2, eq ? (size_t)(eq - word - 2) : strlen(word + 2));
        if (o == NULL)
            return;
        if (eq != NULL)
            note_global(c, w, o, eq + 1);
        else if (o->has_arg == required_argument)
            w->pending = o;
        return;
    }
    /* A cluster of short options: "-it", "-p8080", "-dp" followed by the value. */
    for (const char *p = word + 1; *p != '\0'; p++) {
        o = find_short(w->cmd->options, (unsigned char)*p);
        if (o == NULL || o->has_arg == no_argument)
            continue;
        if (p[1] != '\0')
            note_global(c, w, o, p + 1);
        else if (o->has_arg == required_argument)
            w->pending = o;
        return;
    }
}

/* One complete word before the one under completion. */
static int walk_word(struct completion *c, struct walk *w, const char *word)
{
    if (w->pending != NULL) {
        note_global(c, w, w->pending, word);
        w->pending = NULL;
        return 0;
    }
    if (!w->options_done && strcmp(word, "--") == 0) {
        w->options_done = 1;
        return 0;
    }
    if (!w->options_done && word[0] == '-' && word[1] != '\0') {
        walk_option(c, w, word);
        return 0;
    }
    if (w->cmd->subcommands != NULL && w->operands == 0) {
        for (const struct ctr_command *const *sub = w->cmd->subcommands; *sub != NULL; sub++) {
            if (strcmp((*sub)->name, word) == 0) {
                w->cmd = *sub;
                w->options_done = 0;
                return 0;
            }
        }
        return -1; /* an unknown command: nothing to offer after it */
    }
    w->options_done = 1;
    w->operands++;
    return 0;
}

/* The word under completion, after the walk. */
static void complete_last(struct completion *c, struct walk *w, const char *typed)
{
    const struct ctr_command *cmd = w->cmd;

    if (w->pending != NULL) {
        offer_kind(c, w->pending->complete, w->pending->values, cmd, "", typed);
        return;
    }
    if (!w->options_done && strncmp(typed, "--", 2) == 0 && strchr(typed, '=') != NULL) {
        const char *eq = strchr(typed, '=');
        const struct cmd_option *o = find_long(cmd->options, typed + 2, (size_t)(eq - typed - 2));
        cleanup_free char *prefix = NULL;

        if (o == NULL || o->has_arg == no_argument)
            return;
        prefix = xasprintf("%.*s", (int)(eq + 1 - typed), typed);
        offer_kind(c, o->complete, o->values, cmd, prefix, eq + 1);
        return;
    }
    if (!w->options_done && typed[0] == '-') {
        offer_options(cmd, typed);
        return;
    }
    if (cmd->subcommands != NULL && w->operands == 0) {
        offer_commands(typed, cmd->subcommands);
        return;
    }
    offer_kind(c, w->operands == 0 ? cmd->operand : cmd->operands, cmd->operand_values, cmd, "",
               typed);
}

int cmd_complete_main(int argc, char **argv)
{
    struct completion c = {0};
    struct walk w = {.cmd = &ctr_main};
    int i;

    for (i = 0; i < argc - 1; i++) {
        if (walk_word(&c, &w, argv[i]) < 0)
            break;
    }
    if (argc > 0 && i == argc - 1)
        complete_last(&c, &w, argv[argc - 1]);
    printf(":%u\n", c.directive);
    storage_close(c.store);
    fflush(stdout);
    return 0;
}
