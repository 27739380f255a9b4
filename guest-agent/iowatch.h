/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Finds bursts of disk and network traffic in /proc/diskstats and
 * /proc/net/dev. A device is in a burst from the first watch interval whose
 * rate reaches the threshold until the rate has stayed below it for the quiet
 * time. The start is seen one interval late at most.
 */
#ifndef EXITSCOPE_IOWATCH_H
#define EXITSCOPE_IOWATCH_H

#include <stdbool.h>
#include <stdint.h>

#define IOWATCH_MAX_DEVICES 32

struct io_device {
	char name[32];
	bool is_net;
	bool known;       /* scanned before: the counters are a baseline */
	bool seen;        /* present in this scan */
	bool active;      /* in a burst */
	uint64_t in, out; /* bytes read/received, written/sent, cumulative */
	uint64_t burst_in, burst_out, burst_start_ns, last_busy_ns;
	uint32_t span;
};

struct iowatch {
	uint64_t disk_threshold; /* bytes per second that start a burst */
	uint64_t net_threshold;
	uint64_t quiet_ns;       /* below threshold this long ends a burst */
	uint64_t last_ns;
	bool disk_failed, net_failed;
	int ndev;
	struct io_device dev[IOWATCH_MAX_DEVICES];
};

enum io_event_kind { IO_EVENT_START, IO_EVENT_END, IO_EVENT_FAILED };

/* text: "vda" for a start, "vda: read 1.0 MiB, wrote 12.0 MiB in 0.80 s" for an end. */
typedef void (*io_event_fn)(void *ctx, enum io_event_kind kind, uint32_t span, const char *text);

void iowatch_init(struct iowatch *w, uint64_t disk_bps, uint64_t net_bps, uint64_t quiet_ns);
/* Reads both files, compares with the previous scan and reports events. */
void iowatch_scan(struct iowatch *w, uint64_t now_ns, uint32_t (*new_span)(void *ctx), io_event_fn fn,
		  void *ctx);

/* Ends the bursts still open (text: "vda: watch stopped"). */
void iowatch_close(struct iowatch *w, io_event_fn fn, void *ctx);

#endif
