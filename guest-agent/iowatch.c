/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include "iowatch.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void iowatch_init(struct iowatch *w, uint64_t disk_bps, uint64_t net_bps, uint64_t quiet_ns)
{
	memset(w, 0, sizeof(*w));
	w->disk_threshold = disk_bps;
	w->net_threshold = net_bps;
	w->quiet_ns = quiet_ns;
}

static struct io_device *lookup(struct iowatch *w, const char *name, bool is_net)
{
	for (int i = 0; i < w->ndev; i++)
		if (w->dev[i].is_net == is_net && strcmp(w->dev[i].name, name) == 0)
			return &w->dev[i];
	if (w->ndev == IOWATCH_MAX_DEVICES)
		return NULL;
	struct io_device *d = &w->dev[w->ndev++];
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->is_net = is_net;
	return d;
}

/* Whole disks only: a partition's traffic is already in its disk's line. */
static bool is_whole_disk(const char *name)
{
	char path[96];

	if (strncmp(name, "loop", 4) == 0 || strncmp(name, "ram", 3) == 0)
		return false;
	snprintf(path, sizeof(path), "/sys/class/block/%s/partition", name);
	return access(path, F_OK) != 0;
}

static void update(struct iowatch *w, struct io_device *d, uint64_t in, uint64_t out, uint64_t now,
		   uint64_t dt, uint32_t (*new_span)(void *), io_event_fn fn, void *ctx)
{
	bool first = !d->known;
	uint64_t delta = first ? 0 : (in - d->in) + (out - d->out);
	uint64_t threshold = d->is_net ? w->net_threshold : w->disk_threshold;
	/* Rate over the interval against the threshold, without overflow. */
	bool busy = dt > 0 && delta > 0 && (double)delta * 1e9 / (double)dt >= (double)threshold;

	d->seen = true;
	d->known = true;
	if (busy && !d->active) {
		d->active = true;
		d->span = new_span(ctx);
		d->burst_in = d->in;
		d->burst_out = d->out;
		d->burst_start_ns = now;
		fn(ctx, IO_EVENT_START, d->span, d->name);
	}
	if (busy)
		d->last_busy_ns = now;
	d->in = in;
	d->out = out;
	if (d->active && !busy && now - d->last_busy_ns >= w->quiet_ns) {
		char text[160];
		const char *verb_in = d->is_net ? "received" : "read";
		const char *verb_out = d->is_net ? "sent" : "wrote";

		snprintf(text, sizeof(text), "%s: %s %.1f MiB, %s %.1f MiB in %.2f s", d->name, verb_in,
			 (double)(d->in - d->burst_in) / 1048576.0, verb_out,
			 (double)(d->out - d->burst_out) / 1048576.0,
			 (double)(d->last_busy_ns - d->burst_start_ns) / 1e9 + (double)dt / 1e9);
		d->active = false;
		fn(ctx, IO_EVENT_END, d->span, text);
	}
}

static bool scan_disks(struct iowatch *w, uint64_t now, uint64_t dt, uint32_t (*new_span)(void *),
		       io_event_fn fn, void *ctx)
{
	FILE *f = fopen("/proc/diskstats", "re");
	char line[512];

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned major, minor;
		char name[32];
		uint64_t rd, rd_merged, rd_sectors, rd_ms, wr, wr_merged, wr_sectors;

		if (sscanf(line, "%u %u %31s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
			   " %" SCNu64, &major, &minor, name, &rd, &rd_merged, &rd_sectors, &rd_ms, &wr,
			   &wr_merged, &wr_sectors) != 10 || !is_whole_disk(name))
			continue;
		struct io_device *d = lookup(w, name, false);
		if (d)
			update(w, d, rd_sectors * 512, wr_sectors * 512, now, dt, new_span, fn, ctx);
	}
	fclose(f);
	return true;
}

static bool scan_net(struct iowatch *w, uint64_t now, uint64_t dt, uint32_t (*new_span)(void *),
		     io_event_fn fn, void *ctx)
{
	FILE *f = fopen("/proc/net/dev", "re");
	char line[512];

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		char name[32];
		uint64_t rx, tx, skip;

		if (!colon)
			continue; /* the two header lines */
		*colon = '\0';
		if (sscanf(line, "%31s", name) != 1 || strcmp(name, "lo") == 0)
			continue;
		/* rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes ... */
		if (sscanf(colon + 1, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
			   " %" SCNu64 " %" SCNu64 " %" SCNu64, &rx, &skip, &skip, &skip, &skip, &skip, &skip,
			   &skip, &tx) != 9)
			continue;
		struct io_device *d = lookup(w, name, true);
		if (d)
			update(w, d, rx, tx, now, dt, new_span, fn, ctx);
	}
	fclose(f);
	return true;
}

void iowatch_scan(struct iowatch *w, uint64_t now_ns, uint32_t (*new_span)(void *ctx), io_event_fn fn,
		  void *ctx)
{
	uint64_t dt = w->last_ns ? now_ns - w->last_ns : 0;

	for (int i = 0; i < w->ndev; i++)
		w->dev[i].seen = false;
	if (!w->disk_failed && !scan_disks(w, now_ns, dt, new_span, fn, ctx)) {
		w->disk_failed = true;
		fn(ctx, IO_EVENT_FAILED, 0, "cannot read /proc/diskstats: disk bursts are not marked");
	}
	if (!w->net_failed && !scan_net(w, now_ns, dt, new_span, fn, ctx)) {
		w->net_failed = true;
		fn(ctx, IO_EVENT_FAILED, 0, "cannot read /proc/net/dev: network bursts are not marked");
	}
	/* A device that went away ends its burst. */
	for (int i = 0; i < w->ndev; i++) {
		struct io_device *d = &w->dev[i];
		if (d->active && !d->seen) {
			char text[64];
			snprintf(text, sizeof(text), "%s: device removed", d->name);
			d->active = false;
			fn(ctx, IO_EVENT_END, d->span, text);
		}
	}
	w->last_ns = now_ns;
}

void iowatch_close(struct iowatch *w, io_event_fn fn, void *ctx)
{
	for (int i = 0; i < w->ndev; i++) {
		struct io_device *d = &w->dev[i];
		if (d->active) {
			char text[64];
			snprintf(text, sizeof(text), "%s: watch stopped", d->name);
			d->active = false;
			fn(ctx, IO_EVENT_END, d->span, text);
		}
	}
}
