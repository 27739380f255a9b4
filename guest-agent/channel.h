/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The sender's side of the stream: numbers records, keeps them in a bounded
 * queue that drops the oldest record when full, and writes them without ever
 * blocking. Knows whether a reader is there:
 *  - a virtio-serial port (character device) reports POLLHUP while the host
 *    side is closed; writes would block then, so nothing is written;
 *  - a FIFO has no reader until open(O_WRONLY|O_NONBLOCK) succeeds, and loses
 *    it when write() fails with EPIPE; it is reopened on every check;
 *  - a regular file or standard output always has a reader.
 * check() reports a (re)connection so that the caller sends a handshake.
 */
#ifndef EXITSCOPE_CHANNEL_H
#define EXITSCOPE_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

enum channel_kind { CHANNEL_PORT, CHANNEL_FIFO, CHANNEL_FILE, CHANNEL_STDOUT };

struct slot {
	uint16_t len;
	uint8_t bytes[ES_MAX_RECORD];
};

struct channel {
	enum channel_kind kind;
	const char *path;
	int fd;
	bool connected;
	bool broken;          /* stdout lost its reader: nothing more can be written */
	uint64_t next_seq;
	uint64_t dropped;     /* cumulative for the session */
	uint64_t written;     /* records fully written */
	struct slot *slots;
	size_t cap, head, count;
	size_t head_off;      /* bytes of the head record already written */
};

/* Opens path ("-" or NULL: standard output). Returns 0 or -errno with a message on stderr. */
int channel_open(struct channel *c, const char *path, size_t capacity);
void channel_close(struct channel *c);

/*
 * Reserves the next slot (dropping the oldest queued record if the queue is
 * full) and numbers it: *seq receives the record's sequence number. The caller
 * encodes the record into the returned buffer and passes its length to
 * channel_commit().
 */
uint8_t *channel_reserve(struct channel *c, uint64_t *seq);
void channel_commit(struct channel *c, size_t len);

/*
 * Re-examines the connection. Returns 1 if a reader has just appeared (the
 * caller should send a handshake), 0 otherwise.
 */
int channel_check(struct channel *c);

/* Writes queued records until the channel would block. Returns records written. */
size_t channel_flush(struct channel *c);

/* The fd to poll for incoming command bytes, or -1. */
int channel_command_fd(const struct channel *c);

#endif
