// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// Called before an invariant violation aborts, so that a driver can save the input.
extern void (*fuzzFailureHook)();

// An invariant of a fuzz target: on violation it says which, lets the driver save the input, aborts.
#define FUZZ_CHECK(condition)                                                                                          \
    do {                                                                                                               \
        if (!(condition)) {                                                                                            \
            std::fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, #condition);                  \
            if (fuzzFailureHook)                                                                                       \
                fuzzFailureHook();                                                                                     \
            std::abort();                                                                                              \
        }                                                                                                              \
    } while (false)
