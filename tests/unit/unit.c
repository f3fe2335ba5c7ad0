/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

static struct unit_case *cases;

void unit_register(struct unit_case *c)
{
    c->next = cases;
    cases = c;
}

void unit_skip(const char *why)
{
    fprintf(stderr, "skipped: %s\n", why);
    exit(77);
}

/* `test-x NAME` runs one case (what ctest does); `test-x` alone runs all, `--list` lists. */
int main(int argc, char **argv)
{
    int ran = 0;

    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (struct unit_case *c = cases; c != NULL; c = c->next)
            puts(c->name);
        return 0;
    }
    for (struct unit_case *c = cases; c != NULL; c = c->next) {
        if (argc > 1 && strcmp(argv[1], c->name) != 0)
            continue;
        c->fn();
        ran++;
    }
    if (ran == 0) {
        fprintf(stderr, "no test case named '%s'\n", argc > 1 ? argv[1] : "");
        return 1;
    }
    return 0;
}
