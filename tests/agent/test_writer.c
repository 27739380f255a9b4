/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Encodes every record of vectors/records.tsv with the senders' C encoder and
 * compares the bytes with vectors/stream.bin, record by record.
 * Usage: test_writer VECTOR_DIR
 */
#include "protocol.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond, ...)                                                        \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);    \
			fprintf(stderr, __VA_ARGS__);                           \
			fputc('\n', stderr);                                    \
			failures++;                                             \
		}                                                               \
	} while (0)

static uint64_t num(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	if (*s == '\0' || *end != '\0') {
		fprintf(stderr, "FAIL: records.tsv: '%s' is not a number\n", s);
		exit(1);
	}
	return v;
}

/* Decodes the escapes of records.tsv in place. */
static char *unescape(char *s)
{
	char *w = s;

	for (const char *r = s; *r;) {
		if (r[0] == '\\' && r[1] == '\\') {
			*w++ = '\\';
			r += 2;
		} else if (r[0] == '\\' && r[1] == 't') {
			*w++ = '\t';
			r += 2;
		} else if (r[0] == '\\' && r[1] == 'x') {
			char hex[3] = { r[2], r[3], 0 };
			*w++ = (char)strtoul(hex, NULL, 16);
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return s;
}

static size_t encode_line(char *line, uint8_t *out, int lineno)
{
	char *f[16];
	int n = 0;

	for (char *p = line;; p++) {
		f[n++] = p;
		p = strchr(p, '\t');
		if (!p || n == 16)
			break;
		*p = '\0';
	}
	uint64_t seq = num(f[1]);
	if (strcmp(f[0], "handshake") == 0 && n == 12) {
		struct es_handshake h = {
			.source_kind = (uint8_t)num(f[2]), .cpu_vendor = (uint8_t)num(f[3]),
			.abi_version = (uint16_t)num(f[4]), .total_leaf = (uint32_t)num(f[5]),
			.reason_leaf = (uint32_t)num(f[6]), .discovery_leaf = (uint32_t)num(f[7]),
			.session_id = num(f[8]), .period_ns = num(f[9]),
			.sender = unescape(f[10]), .host = unescape(f[11]),
		};
		return es_encode_handshake(out, seq, &h);
	}
	if (strcmp(f[0], "sample") == 0 && n == 6) {
		struct es_sample s = { num(f[2]), (uint32_t)num(f[3]), num(f[4]), num(f[5]) };
		return es_encode_sample(out, seq, &s);
	}
	if (strcmp(f[0], "marker") == 0 && n == 9) {
		struct es_marker m = { num(f[2]), (uint32_t)num(f[3]), num(f[4]), (uint8_t)num(f[5]),
				       (uint8_t)num(f[6]), (uint32_t)num(f[7]), unescape(f[8]) };
		return es_encode_marker(out, seq, &m);
	}
	if (strcmp(f[0], "heartbeat") == 0 && n == 4) {
		struct es_heartbeat h = { num(f[2]), num(f[3]) };
		return es_encode_heartbeat(out, seq, &h);
	}
	if (strcmp(f[0], "error") == 0 && n == 5) {
		struct es_error e = { num(f[2]), (uint16_t)num(f[3]), unescape(f[4]) };
		return es_encode_error(out, seq, &e);
	}
	if (strcmp(f[0], "reason") == 0 && n == 6) {
		struct es_reason_sample r = { num(f[2]), (uint32_t)num(f[3]), (uint32_t)num(f[4]), num(f[5]) };
		return es_encode_reason_sample(out, seq, &r);
	}
	fprintf(stderr, "FAIL: records.tsv line %d: unknown type '%s' or wrong field count %d\n", lineno, f[0], n);
	exit(1);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf;

	if (!fp) {
		fprintf(stderr, "FAIL: cannot open %s\n", path);
		exit(1);
	}
	fseek(fp, 0, SEEK_END);
	*len = (size_t)ftell(fp);
	rewind(fp);
	buf = malloc(*len + 1);
	if (!buf || fread(buf, 1, *len, fp) != *len) {
		fprintf(stderr, "FAIL: cannot read %s\n", path);
		exit(1);
	}
	buf[*len] = 0;
	fclose(fp);
	return buf;
}

int main(int argc, char **argv)
{
	char path[4096];
	size_t tsv_len, bin_len, pos = 0;
	int lineno = 0, records = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s VECTOR_DIR\n", argv[0]);
		return 2;
	}

	/* The check value of CRC-32/ISO-HDLC (zlib's crc32). */
	CHECK(es_crc32(0, "123456789", 9) == 0xCBF43926u, "CRC-32 of \"123456789\" is %08x, expected cbf43926",
	      es_crc32(0, "123456789", 9));
	CHECK(es_crc32(es_crc32(0, "1234", 4), "56789", 5) == 0xCBF43926u, "CRC-32 does not chain");

	snprintf(path, sizeof(path), "%s/records.tsv", argv[1]);
	char *tsv = (char *)slurp(path, &tsv_len);
	snprintf(path, sizeof(path), "%s/stream.bin", argv[1]);
	uint8_t *bin = slurp(path, &bin_len);

	for (char *line = strtok(tsv, "\n"); line; line = strtok(NULL, "\n")) {
		uint8_t out[ES_MAX_RECORD];

		lineno++;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		size_t len = encode_line(line, out, lineno);
		records++;
		if (pos + len > bin_len) {
			CHECK(0, "record %d (%.20s...) runs past the end of stream.bin", records, line);
			break;
		}
		for (size_t i = 0; i < len; i++) {
			if (out[i] != bin[pos + i]) {
				CHECK(0, "record %d (%s): byte %zu of the record (offset %zu in stream.bin)"
					 " is %02x, expected %02x", records, line, i, pos + i,
				      out[i], bin[pos + i]);
				break;
			}
		}
		CHECK(len >= 16 && out[3] == len - 16, "record %d: length field %u for a %zu-byte record", records,
		      out[3], len);
		pos += len;
	}
	CHECK(pos == bin_len, "encoded %zu bytes, stream.bin has %zu", pos, bin_len);
	CHECK(records >= 10, "only %d vectors read from records.tsv", records);

	struct es_sample s = { 0 };
	uint8_t out[ES_MAX_RECORD];
	CHECK(es_encode_sample(out, 0, &s) == 44, "a sample record is not 44 bytes");

	if (failures) {
		fprintf(stderr, "test_writer: %d check(s) failed\n", failures);
		return 1;
	}
	printf("test_writer: %d records, %zu bytes match the vectors\n", records, pos);
	return 0;
}
