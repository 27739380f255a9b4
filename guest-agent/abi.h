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

/*
 * Discovery leaf 0x4FFFFFF0: EAX[7:0] = ABI version, EAX[15:8] = exit reason
 * numbering (1 VMX, 2 SVM: the protocol's cpu_vendor values), and EBX, ECX,
 * EDX = this signature, read as 12 bytes in that order. Only the signature
 * tells a patched host apart: stock KVM on Intel answers unknown leaves of
 * this range with the highest basic leaf's values, not with zeros.
 */
#define ES_ABI_SIGNATURE "KVMExitStats"

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
	abi.version = (uint16_t)(r[0] & 0xFF);
	switch ((r[0] >> 8) & 0xFF) {
	case 1: abi.vendor = ES_VENDOR_VMX; break;
	case 2: abi.vendor = ES_VENDOR_SVM; break;
	default: abi.vendor = ES_VENDOR_UNKNOWN; break;
	}
	return abi;
}

#endif
