// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// Called before an invariant violation aborts, so that a driver can save the input.
extern void (*fuzzFailureHook)();
