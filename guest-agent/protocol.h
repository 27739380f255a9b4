/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Encoder for the ExitScope sample stream, version 1 (docs/protocol.md).
 * Shared by exitscope-agent and exitscope-probe; no allocation, no I/O.
 */
#ifndef EXITSCOPE_PROTOCOL_H
#define EXITSCOPE_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ES_SYNC0 0xE5
#define ES_SYNC1 0x58
#define ES_HEADER_SIZE 12
#define ES_TRAILER_SIZE 4
#define ES_MAX_PAYLOAD 255
#define ES_MAX_RECORD (ES_HEADER_SIZE + ES_MAX_PAYLOAD + ES_TRAILER_SIZE)
#define ES_MAX_HANDSHAKE_STRING 100
#define ES_MAX_MARKER_TEXT 228 /* 255 - 26 fixed - 1 length byte */
#define ES_MAX_ERROR_TEXT 244  /* 255 - 10 fixed - 1 length byte */

#define ES_PROTOCOL_MAJOR 1
#define ES_PROTOCOL_MINOR 0

#define ES_LEAF_TOTALS 0x4FFFFFFFu
#define ES_LEAF_REASON 0x4FFFFFFEu
#define ES_LEAF_DISCOVERY 0x4FFFFFF0u

enum es_type {
	ES_HANDSHAKE = 0x01,
	ES_SAMPLE = 0x02,
	ES_MARKER = 0x03,
	ES_HEARTBEAT = 0x04,
	ES_ERROR = 0x05,
	ES_REASON_SAMPLE = 0x06,
};

enum es_source_kind {
	ES_SOURCE_AGENT = 1,
	ES_SOURCE_PROBE = 2,
	ES_SOURCE_REPLAY = 3,
	ES_SOURCE_SYNTHETIC = 4,
};

enum es_vendor { ES_VENDOR_UNKNOWN = 0, ES_VENDOR_VMX = 1, ES_VENDOR_SVM = 2 };

enum es_marker_kind {
	ES_MARK_BOOT = 1,
	ES_MARK_BOOT_STAGE = 2,
	ES_MARK_IO_START = 3,
	ES_MARK_IO_END = 4,
	ES_MARK_WORKLOAD_START = 5,
	ES_MARK_WORKLOAD_END = 6,
	ES_MARK_USER = 7,
	ES_MARK_COUNTER_RESET = 8,
};

#define ES_MARKER_COUNTERS_VALID 0x01

enum es_error_code {
	ES_ERR_LEAF_MISSING = 1,
	ES_ERR_WRITE_FAILED = 2,
	ES_ERR_IO_WATCHER = 3,
	ES_ERR_COMMAND_REJECTED = 4,
	ES_ERR_WORKLOAD_FAILED = 5,
	ES_ERR_NO_KVM = 6,
};

struct es_handshake {
	uint8_t source_kind;
	uint8_t cpu_vendor;
	uint16_t abi_version;
	uint32_t total_leaf;
	uint32_t reason_leaf;
	uint32_t discovery_leaf;
	uint64_t session_id;
	uint64_t period_ns;
	const char *sender;
	const char *host;
};

struct es_sample {
	uint64_t t_ns;
	uint32_t exits;
	uint64_t cycles;
	uint64_t own_cpuid;
};

struct es_marker {
	uint64_t t_ns;
	uint32_t exits;
	uint64_t cycles;
	uint8_t kind;
	uint8_t flags;
	uint32_t span;
	const char *text;
};

struct es_heartbeat {
	uint64_t t_ns;
	uint64_t dropped;
};

struct es_error {
	uint64_t t_ns;
	uint16_t code;
	const char *text;
};

struct es_reason_sample {
	uint64_t t_ns;
	uint32_t reason;
	uint32_t exits;
	uint64_t cycles;
};

/* zlib-compatible CRC-32; pass 0 as crc to start. */
uint32_t es_crc32(uint32_t crc, const void *data, size_t len);

/*
 * Each encoder writes one complete record (sync .. CRC) into out, which must
 * hold ES_MAX_RECORD bytes, and returns its length. Strings longer than the
 * ES_MAX_* limits above are cut at a UTF-8 character boundary.
 */
size_t es_encode_handshake(uint8_t *out, uint64_t seq, const struct es_handshake *h);
size_t es_encode_sample(uint8_t *out, uint64_t seq, const struct es_sample *s);
size_t es_encode_marker(uint8_t *out, uint64_t seq, const struct es_marker *m);
size_t es_encode_heartbeat(uint8_t *out, uint64_t seq, const struct es_heartbeat *h);
size_t es_encode_error(uint8_t *out, uint64_t seq, const struct es_error *e);
size_t es_encode_reason_sample(uint8_t *out, uint64_t seq, const struct es_reason_sample *r);

#ifdef __cplusplus
}
#endif

#endif
