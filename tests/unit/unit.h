/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_TESTS_UNIT_H
#define CTR_TESTS_UNIT_H

/*
 * A minimal unit-test harness.  Each TEST(name) is one ctest case (tests/CMakeLists.txt finds
 * them in the source), run in its own process as `test-MODULE name`.  Assertions print
 * file:line, the expression and both values, then exit 1; ctr_test_skip() exits 77.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

struct unit_case {
    const char *name;
    void (*fn)(void);
    struct unit_case *next;
};

void unit_register(struct unit_case *c);
void __attribute__((noreturn)) unit_skip(const char *why);

#define TEST(name)                                                         \
    static void test_##name(void);                                         \
    static struct unit_case unit_case_##name = {#name, test_##name, NULL}; \
    static void __attribute__((constructor)) unit_register_##name(void)    \
    {                                                                      \
        unit_register(&unit_case_##name);                                  \
    }                                                                      \
    static void test_##name(void)

#define UNIT_FAIL(...)                                  \
    do {                                                \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__); \
        fprintf(stderr, __VA_ARGS__);                   \
        fputc('\n', stderr);                            \
        exit(1);                                        \
    } while (0)

#define ASSERT_TRUE(x)                               \
    do {                                             \
        if (!(x))                                    \
            UNIT_FAIL("ASSERT_TRUE(%s) failed", #x); \
    } while (0)

#define ASSERT_INT_EQ(a, b)                                                          \
    do {                                                                             \
        long long a_ = (long long)(a), b_ = (long long)(b);                          \
        if (a_ != b_)                                                                \
            UNIT_FAIL("ASSERT_INT_EQ(%s, %s) failed: %lld != %lld", #a, #b, a_, b_); \
    } while (0)

#define ASSERT_UINT_EQ(a, b)                                                           \
    do {                                                                               \
        unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
        if (a_ != b_)                                                                  \
            UNIT_FAIL("ASSERT_UINT_EQ(%s, %s) failed: %llu != %llu", #a, #b, a_, b_);  \
    } while (0)

#define ASSERT_STR_EQ(a, b)                                                     \
    do {                                                                        \
        const char *a_ = (a), *b_ = (b);                                        \
        if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)                    \
            UNIT_FAIL("ASSERT_STR_EQ(%s, %s) failed: \"%s\" != \"%s\"", #a, #b, \
                      a_ ? a_ : "(null)", b_ ? b_ : "(null)");                  \
    } while (0)

#define ASSERT_STR_CONTAINS(hay, needle)                                                          \
    do {                                                                                          \
        const char *h_ = (hay), *n_ = (needle);                                                   \
        if (h_ == NULL || strstr(h_, n_) == NULL)                                                 \
            UNIT_FAIL("ASSERT_STR_CONTAINS(%s, %s) failed: \"%s\" does not contain \"%s\"", #hay, \
                      #needle, h_ ? h_ : "(null)", n_);                                           \
    } while (0)

/* `expr` must succeed (return >= 0 or non-NULL) and leave *errp NULL; prints the error if not. */
#define ASSERT_OK(expr, errp)                                          \
    do {                                                               \
        long long r_ = (long long)(intptr_t)(expr);                    \
        if (*(errp) != NULL)                                           \
            UNIT_FAIL("%s failed: %s", #expr, (*(errp))->msg);         \
        if (r_ < 0)                                                    \
            UNIT_FAIL("%s returned %lld without an error", #expr, r_); \
    } while (0)

/* `expr` must fail with -1 and set *errp (the error stays for the test to inspect). */
#define ASSERT_FAILS(expr, errp)                                         \
    do {                                                                 \
        long long r_ = (long long)(expr);                                \
        if (r_ != -1)                                                    \
            UNIT_FAIL("%s returned %lld, expected -1", #expr, r_);       \
        if (*(errp) == NULL)                                             \
            UNIT_FAIL("%s returned -1 without setting an error", #expr); \
    } while (0)

#endif
