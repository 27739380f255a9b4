/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The senders' output queue (guest-agent/channel.c) on a FIFO: records made
 * while nobody reads are kept up to the queue's size and the oldest dropped;
 * a reader that opens the FIFO is noticed and gets whole records in sequence
 * order; a reader that goes away and a new one that comes are noticed too.
 */
#define _GNU_SOURCE
#include "channel.h"
#include "protocol.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                                     \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                        \
			fputc('\n', stderr);                                 \
			failures++;                                          \
		}                                                            \
	} while (0)

static void put_sample(struct channel *c, uint64_t t)
{
	uint64_t seq;
	uint8_t *buf = channel_reserve(c, &seq);
	struct es_sample s = { t, (uint32_t)t, t, t };
	channel_commit(c, es_encode_sample(buf, seq, &s));
}

/* Reads whole 44-byte samples from fd and returns their sequence numbers. */
static int read_seqs(int fd, uint64_t *seqs, int max)
{
	uint8_t buf[44 * 64];
	ssize_t n = read(fd, buf, sizeof(buf));
	int count = 0;

	if (n < 0)
		return 0;
	CHECK(n % 44 == 0, "read %zd bytes, not whole 44-byte samples", n);
	for (ssize_t off = 0; off + 44 <= n && count < max; off += 44) {
		uint64_t seq = 0;
		CHECK(buf[off] == 0xE5 && buf[off + 1] == 0x58, "no sync word at offset %zd", off);
		CHECK(es_crc32(0, buf + off + 2, 38) ==
			      (uint32_t)(buf[off + 40] | buf[off + 41] << 8 | buf[off + 42] << 16 |
					 (uint32_t)buf[off + 43] << 24),
		      "bad CRC at offset %zd", off);
		for (int i = 0; i < 8; i++)
			seq |= (uint64_t)buf[off + 4 + i] << (8 * i);
		seqs[count++] = seq;
	}
	return count;
}

int main(void)
{
	char dir[] = "/tmp/exitscope-test-channel.XXXXXX";
	char path[64];
	struct channel c;
	uint64_t seqs[64];
	int n;

	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/fifo", dir);
	if (mkfifo(path, 0600) != 0) {
		perror("mkfifo");
		return 1;
	}

	CHECK(channel_open(&c, path, 4) == 0, "channel_open on a FIFO without reader failed");
	CHECK(c.kind == CHANNEL_FIFO, "a FIFO was not recognised as one");
	CHECK(!c.connected, "connected without a reader");
	CHECK(channel_check(&c) == 0, "check reported a reader that is not there");

	for (int i = 0; i < 10; i++)
		put_sample(&c, (uint64_t)i);
	CHECK(c.count == 4, "queue holds %zu records, expected its capacity 4", c.count);
	CHECK(c.dropped == 6, "dropped %llu, expected 6", (unsigned long long)c.dropped);
	CHECK(channel_flush(&c) == 0, "wrote without a reader");

	int reader = open(path, O_RDONLY | O_NONBLOCK);
	CHECK(reader >= 0, "cannot open the FIFO for reading: %s", strerror(errno));
	CHECK(channel_check(&c) == 1, "a new reader was not reported");
	CHECK(channel_check(&c) == 0, "the same reader was reported twice");
	CHECK(channel_flush(&c) == 4, "flush did not write the 4 queued records");
	n = read_seqs(reader, seqs, 64);
	CHECK(n == 4, "reader got %d records, expected 4", n);
	for (int i = 0; i < n; i++)
		CHECK(seqs[i] == (uint64_t)(6 + i), "record %d has seq %llu, expected %d (oldest dropped first)", i,
		      (unsigned long long)seqs[i], 6 + i);

	/* The reader goes away: the next write fails with EPIPE and the channel notices. */
	close(reader);
	put_sample(&c, 10);
	channel_flush(&c);
	CHECK(!c.connected, "a closed reader was not noticed");
	CHECK(c.count == 1, "the record that could not be written was lost (%zu queued)", c.count);
	put_sample(&c, 11);

	reader = open(path, O_RDONLY | O_NONBLOCK);
	CHECK(channel_check(&c) == 1, "a reader that came back was not reported");
	channel_flush(&c);
	n = read_seqs(reader, seqs, 64);
	CHECK(n == 2 && seqs[0] == 10 && seqs[1] == 11, "after reconnecting the reader got %d records (first seq %llu), "
							"expected seq 10 and 11",
	      n, n ? (unsigned long long)seqs[0] : 0ull);
	close(reader);
	channel_close(&c);
	unlink(path);
	rmdir(dir);

	/* A regular file is always connected and gets everything. */
	snprintf(path, sizeof(path), "%s.file", dir);
	CHECK(channel_open(&c, path, 8) == 0, "channel_open on a file failed");
	CHECK(c.kind == CHANNEL_FILE && c.connected, "a file is not an always-connected channel");
	for (int i = 0; i < 5; i++)
		put_sample(&c, (uint64_t)i);
	CHECK(channel_flush(&c) == 5, "flush to a file did not write 5 records");
	channel_close(&c);
	struct stat st;
	CHECK(stat(path, &st) == 0 && st.st_size == 5 * 44, "file holds %lld bytes, expected 220",
	      (long long)st.st_size);
	unlink(path);

	if (failures) {
		fprintf(stderr, "test_channel: %d check(s) failed\n", failures);
		return 1;
	}
	printf("test_channel: queue, drop-oldest and FIFO reconnect behave\n");
	return 0;
}
