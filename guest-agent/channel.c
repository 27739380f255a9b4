/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include "channel.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * One write() per flush: virtio-serial turns every write (and every iovec
 * of a writev) into a buffer and a notification of the host, which costs an
 * exit, so records are copied together first. 32 KiB is the most a
 * virtio-serial write takes at once.
 */
#define STAGE_SIZE (32 * 1024)
static uint8_t stage[STAGE_SIZE];

static void disconnect(struct channel *c)
{
	c->connected = false;
	/* The reader saw half a record; the next reader must start on a boundary. */
	if (c->head_off > 0) {
		c->head = (c->head + 1) % c->cap;
		c->count--;
		c->head_off = 0;
		c->dropped++;
	}
	if (c->kind == CHANNEL_FIFO && c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	if (c->kind == CHANNEL_STDOUT)
		c->broken = true;
}

static bool port_has_reader(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	if (poll(&p, 1, 0) < 0)
		return false;
	return !(p.revents & (POLLHUP | POLLERR | POLLNVAL));
}

int channel_open(struct channel *c, const char *path, size_t capacity)
{
	struct stat st;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->path = path;
	c->cap = capacity < 2 ? 2 : capacity;
	c->slots = calloc(c->cap, sizeof(*c->slots));
	if (!c->slots) {
		fprintf(stderr, "exitscope: cannot allocate a queue of %zu records\n", c->cap);
		return -ENOMEM;
	}

	if (!path || strcmp(path, "-") == 0) {
		c->kind = CHANNEL_STDOUT;
		c->fd = STDOUT_FILENO;
		c->connected = true;
		fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
		return 0;
	}

	if (stat(path, &st) == 0 && S_ISFIFO(st.st_mode)) {
		c->kind = CHANNEL_FIFO;
		c->fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (c->fd < 0 && errno != ENXIO) {
			int err = errno;
			fprintf(stderr, "exitscope: cannot open FIFO %s: %s\n", path, strerror(err));
			return -err;
		}
		c->connected = c->fd >= 0;
		return 0;
	}

	if (stat(path, &st) == 0 && S_ISCHR(st.st_mode)) {
		c->kind = CHANNEL_PORT;
		c->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	} else {
		/*
		 * A missing port must not become a regular file on devtmpfs: it
		 * would fill memory and hide the port udev creates later.
		 */
		int create = strncmp(path, "/dev/", 5) == 0 ? 0 : O_CREAT;

		c->kind = CHANNEL_FILE;
		c->fd = open(path, O_WRONLY | create | O_APPEND | O_NONBLOCK | O_CLOEXEC, 0644);
	}
	if (c->fd < 0) {
		int err = errno;
		fprintf(stderr, "exitscope: cannot open %s: %s\n", path, strerror(err));
		if (err == ENOENT)
			fprintf(stderr, "exitscope: for a virtio-serial port, give the VM a virtserialport "
					"named org.exitscope.agent.0 and load virtio_console\n");
		return -err;
	}
	c->connected = c->kind == CHANNEL_PORT ? port_has_reader(c->fd) : true;
	return 0;
}

void channel_close(struct channel *c)
{
	if (c->fd >= 0 && c->kind != CHANNEL_STDOUT)
		close(c->fd);
	c->fd = -1;
	free(c->slots);
	c->slots = NULL;
}

uint8_t *channel_reserve(struct channel *c, uint64_t *seq)
{
	if (c->count == c->cap) {
		if (c->head_off > 0) {
			/* The head is half written: keep it, drop the record behind it. */
			size_t next = (c->head + 1) % c->cap;
			c->slots[next] = c->slots[c->head];
			c->head = next;
		} else {
			c->head = (c->head + 1) % c->cap;
		}
		c->count--;
		c->dropped++;
	}
	*seq = c->next_seq++;
	return c->slots[(c->head + c->count) % c->cap].bytes;
}

void channel_commit(struct channel *c, size_t len)
{
	c->slots[(c->head + c->count) % c->cap].len = (uint16_t)len;
	c->count++;
}

int channel_check(struct channel *c)
{
	bool was = c->connected;

	switch (c->kind) {
	case CHANNEL_PORT:
		if (port_has_reader(c->fd)) {
			c->connected = true;
		} else if (was) {
			disconnect(c);
		}
		break;
	case CHANNEL_FIFO:
		if (c->fd < 0) {
			c->fd = open(c->path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
			c->connected = c->fd >= 0;
		}
		break;
	case CHANNEL_FILE:
	case CHANNEL_STDOUT:
		break;
	}
	return !was && c->connected;
}

size_t channel_flush(struct channel *c)
{
	size_t done = 0;

	while (c->count > 0 && c->connected && !c->broken) {
		size_t n = 0;

		for (size_t i = 0; i < c->count; i++) {
			const struct slot *s = &c->slots[(c->head + i) % c->cap];
			size_t off = i == 0 ? c->head_off : 0;
			size_t len = s->len - off;

			if (n + len > STAGE_SIZE)
				break;
			memcpy(stage + n, s->bytes + off, len);
			n += len;
		}

		ssize_t w = write(c->fd, stage, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				disconnect(c);
			break;
		}
		while (w > 0) {
			const struct slot *s = &c->slots[c->head];
			size_t rest = s->len - c->head_off;

			if ((size_t)w >= rest) {
				w -= (ssize_t)rest;
				c->head = (c->head + 1) % c->cap;
				c->count--;
				c->head_off = 0;
				c->written++;
				done++;
			} else {
				c->head_off += (size_t)w;
				w = 0;
			}
		}
	}
	return done;
}

int channel_command_fd(const struct channel *c)
{
	return c->kind == CHANNEL_PORT && c->connected ? c->fd : -1;
}
