/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "protocol.h"

#include <string.h>

static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

uint32_t es_crc32(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	/* Filling the table twice from two threads is harmless: same values. */
	if (crc_table[1] == 0)
		crc_init();
	crc ^= 0xFFFFFFFFu;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
	return crc ^ 0xFFFFFFFFu;
}

struct builder {
	uint8_t *buf;
	size_t pos;
};

static void put_le(struct builder *b, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		b->buf[b->pos++] = (uint8_t)(v >> (8 * i));
}

static void put_u8(struct builder *b, uint8_t v) { put_le(b, v, 1); }
static void put_u16(struct builder *b, uint16_t v) { put_le(b, v, 2); }
static void put_u32(struct builder *b, uint32_t v) { put_le(b, v, 4); }
static void put_u64(struct builder *b, uint64_t v) { put_le(b, v, 8); }

static void begin(struct builder *b, uint8_t *out, uint8_t type, uint64_t seq)
{
	b->buf = out;
	b->pos = 0;
	put_u8(b, ES_SYNC0);
	put_u8(b, ES_SYNC1);
	put_u8(b, type);
	put_u8(b, 0); /* length, set by finish() */
	put_u64(b, seq);
}

/*
 * Strings are cut at max bytes, at a UTF-8 character boundary, so that every
 * record fits its frame (docs/protocol.md: handshake strings 100 bytes each,
 * marker text 228, error text 244).
 */
static void put_str(struct builder *b, const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n > max) {
		n = max;
		while (n > 0 && ((uint8_t)s[n] & 0xC0) == 0x80)
			n--;
	}
	put_u8(b, (uint8_t)n);
	if (n)
		memcpy(b->buf + b->pos, s, n);
	b->pos += n;
}

static size_t finish(struct builder *b)
{
	size_t payload = b->pos - ES_HEADER_SIZE;

	b->buf[3] = (uint8_t)payload;
	put_u32(b, es_crc32(0, b->buf + 2, b->pos - 2));
	return b->pos;
}

size_t es_encode_handshake(uint8_t *out, uint64_t seq, const struct es_handshake *h)
{
	struct builder b;

	begin(&b, out, ES_HANDSHAKE, seq);
	put_u16(&b, ES_PROTOCOL_MAJOR);
	put_u16(&b, ES_PROTOCOL_MINOR);
	put_u8(&b, h->source_kind);
	put_u8(&b, h->cpu_vendor);
	put_u16(&b, h->abi_version);
	put_u32(&b, h->total_leaf);
	put_u32(&b, h->reason_leaf);
	put_u32(&b, h->discovery_leaf);
	put_u64(&b, h->session_id);
	put_u64(&b, h->period_ns);
	put_str(&b, h->sender, ES_MAX_HANDSHAKE_STRING);
	put_str(&b, h->host, ES_MAX_HANDSHAKE_STRING);
	return finish(&b);
}

size_t es_encode_sample(uint8_t *out, uint64_t seq, const struct es_sample *s)
{
	struct builder b;

	begin(&b, out, ES_SAMPLE, seq);
	put_u64(&b, s->t_ns);
	put_u32(&b, s->exits);
	put_u64(&b, s->cycles);
	put_u64(&b, s->own_cpuid);
	return finish(&b);
}

size_t es_encode_marker(uint8_t *out, uint64_t seq, const struct es_marker *m)
{
	struct builder b;

	begin(&b, out, ES_MARKER, seq);
	put_u64(&b, m->t_ns);
	put_u32(&b, m->exits);
	put_u64(&b, m->cycles);
	put_u8(&b, m->kind);
	put_u8(&b, m->flags);
	put_u32(&b, m->span);
	put_str(&b, m->text, ES_MAX_MARKER_TEXT);
	return finish(&b);
}

size_t es_encode_heartbeat(uint8_t *out, uint64_t seq, const struct es_heartbeat *h)
{
	struct builder b;

	begin(&b, out, ES_HEARTBEAT, seq);
	put_u64(&b, h->t_ns);
	put_u64(&b, h->dropped);
	return finish(&b);
}

size_t es_encode_error(uint8_t *out, uint64_t seq, const struct es_error *e)
{
	struct builder b;

	begin(&b, out, ES_ERROR, seq);
	put_u64(&b, e->t_ns);
	put_u16(&b, e->code);
	put_str(&b, e->text, ES_MAX_ERROR_TEXT);
	return finish(&b);
}

size_t es_encode_reason_sample(uint8_t *out, uint64_t seq, const struct es_reason_sample *r)
{
	struct builder b;

	begin(&b, out, ES_REASON_SAMPLE, seq);
	put_u64(&b, r->t_ns);
	put_u32(&b, r->reason);
	put_u32(&b, r->exits);
	put_u64(&b, r->cycles);
	return finish(&b);
}
