/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The CPUID leaves of the patched KVM (docs/cpuid-abi.md) and how to tell a
 * patched host from a stock one.
 */
#ifndef EXITSCOPE_ABI_H
#define EXITSCOPE_ABI_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "protocol.h"

/* EBX, ECX, EDX of the discovery leaf, read as 12 bytes in that order. */
#define ES_ABI_SIGNATURE "ExitScopeKVM"

struct es_abi {
	bool present;
	uint16_t version;
	uint8_t vendor; /* enum es_vendor */
};

static inline void es_cpuid_raw(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "0"(leaf), "2"(subleaf));
}

/* Interprets the registers the discovery leaf returned. */
static inline struct es_abi es_abi_decode(const uint32_t r[4])
{
	struct es_abi abi = { false, 0, ES_VENDOR_UNKNOWN };
	char sig[12];

	memcpy(sig, &r[1], 4);
	memcpy(sig + 4, &r[2], 4);
	memcpy(sig + 8, &r[3], 4);
	if (memcmp(sig, ES_ABI_SIGNATURE, 12) != 0)
		return abi;
	abi.present = true;
	abi.version = (uint16_t)(r[0] & 0xFFFF);
	abi.vendor = ES_VENDOR_UNKNOWN;
	return abi;
}

#endif
