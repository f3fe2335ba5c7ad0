/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CTR_TESTS_FUZZ_H
#define CTR_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* The libFuzzer entry point every fuzz target defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
