/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include "workload.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define MAX_MIB 65536
#define MAX_SECONDS 3600
#define MAX_CPUIDS 100000000
#define CHUNK (1024 * 1024)

int workload_parse(const char *line, enum workload_kind *kind, double *amount, char *why, size_t whylen)
{
	static const struct {
		const char *name;
		enum workload_kind kind;
		double max;
	} table[] = {
		{ "write", WORKLOAD_WRITE, MAX_MIB },
		{ "read", WORKLOAD_READ, MAX_MIB },
		{ "write-buffered", WORKLOAD_WRITE_BUFFERED, MAX_MIB },
		{ "read-buffered", WORKLOAD_READ_BUFFERED, MAX_MIB },
		{ "cpu", WORKLOAD_CPU, MAX_SECONDS },
		{ "idle", WORKLOAD_IDLE, MAX_SECONDS },
		{ "cpuid", WORKLOAD_CPUID, MAX_CPUIDS },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		size_t n = strlen(table[i].name);
		char *end;

		if (strncmp(line, table[i].name, n) != 0 || (line[n] != ' ' && line[n] != '\0'))
			continue;
		*kind = table[i].kind;
		errno = 0;
		*amount = strtod(line + n, &end);
		while (*end == ' ')
			end++;
		bool seconds = *kind == WORKLOAD_CPU || *kind == WORKLOAD_IDLE;
		if (line[n] == '\0' || errno || *end != '\0' || !(*amount > 0) || *amount > table[i].max ||
		    (!seconds && *amount != (double)(long)*amount)) {
			const char *unit = seconds ? "a number of seconds" : "a whole number of MiB";

			if (*kind == WORKLOAD_CPUID)
				unit = "a whole number of CPUIDs";
			snprintf(why, whylen, "%s: expected %s between 1 and %.0f", line, unit, table[i].max);
			return -1;
		}
		return 1;
	}
	return 0;
}

static void report(int fd, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(fd, line, (size_t)n) < 0) {
		/* The agent is gone; nobody is left to tell. */
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes mib MiB and fsyncs; returns 0 or errno, with what failed in *what. */
static int write_file(int fd, void *buf, long mib, const char **what)
{
	for (long i = 0; i < mib; i++) {
		memset(buf, (int)(i & 0xFF), CHUNK);
		ssize_t w = write(fd, buf, CHUNK);
		if (w != CHUNK) {
			*what = "write";
			return w < 0 ? errno : ENOSPC;
		}
	}
	if (fsync(fd) != 0) {
		*what = "fsync";
		return errno;
	}
	return 0;
}

/*
 * The scratch file has no name anyone can guess or plant: O_TMPFILE makes an
 * unnamed file in dir, which disappears with its descriptor. Where the file
 * system cannot do that, a random name is created with O_EXCL|O_NOFOLLOW (a
 * planted file or link makes the open fail instead of being followed) and
 * unlinked at once. Returns the descriptor, or -1 with errno.
 */
static int open_scratch(const char *dir, bool direct, char *shown, size_t shown_size)
{
	int flags = O_RDWR | O_CLOEXEC | (direct ? O_DIRECT : 0);
	uint64_t nonce = 0;
	char path[4096];
	int file;

	snprintf(shown, shown_size, "an unnamed file in %s", dir);
	file = open(dir, O_TMPFILE | flags, 0600);
	if (file >= 0 || (errno != EOPNOTSUPP && errno != EISDIR))
		return file;
	if (getrandom(&nonce, sizeof(nonce), GRND_NONBLOCK) != sizeof(nonce))
		nonce = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);
	snprintf(path, sizeof(path), "%s/.exitscope-workload.%016llx", dir, (unsigned long long)nonce);
	file = open(path, O_CREAT | O_EXCL | O_NOFOLLOW | flags, 0600);
	if (file >= 0)
		unlink(path);
	snprintf(shown, shown_size, "%s", path);
	return file;
}

/*
 * With direct, every chunk goes to the disk with O_DIRECT. Buffered, writes
 * go through the page cache and the fsync takes them to the disk (framed
 * with the write); a buffered read first evicts the file's pages, so that it
 * reads from the disk through the page cache rather than from memory.
 */
static void disk_workload(bool reading, bool direct, long mib, const char *dir, int fd)
{
	char path[4096];
	void *buf;
	const char *what = "open";
	int err, file;
	double t0, t1;

	if (posix_memalign(&buf, 4096, CHUNK) != 0) {
		report(fd, "start");
		report(fd, "failed: out of memory");
		return;
	}
	file = open_scratch(dir, direct, path, sizeof(path));
	if (file < 0) {
		err = errno;
		report(fd, "start");
		if (err == EINVAL)
			report(fd, "failed: %s does not support O_DIRECT (tmpfs does not); use --scratch "
				   "with a directory on a disk", dir);
		else
			report(fd, "failed: cannot create %s: %s", path, strerror(err));
		free(buf);
		return;
	}

	if (!reading) {
		report(fd, "start");
		t0 = now_s();
		err = write_file(file, buf, mib, &what);
		t1 = now_s();
	} else {
		err = write_file(file, buf, mib, &what);
		if (!err && !direct) {
			err = posix_fadvise(file, 0, 0, POSIX_FADV_DONTNEED);
			what = "posix_fadvise";
		}
		report(fd, "start");
		t0 = now_s();
		if (!err && lseek(file, 0, SEEK_SET) != 0) {
			what = "lseek";
			err = errno;
		}
		for (long i = 0; !err && i < mib; i++) {
			ssize_t r = read(file, buf, CHUNK);
			if (r != CHUNK) {
				what = "read";
				err = r < 0 ? errno : EIO;
			}
		}
		t1 = now_s();
	}
	close(file);
	free(buf);
	if (err)
		report(fd, "failed: %s %s: %s", what, path, strerror(err));
	else
		report(fd, "ok %ld MiB in %.3f s, %.1f MiB/s", mib, t1 - t0, (double)mib / (t1 - t0));
}

void workload_run(enum workload_kind kind, double amount, const char *scratch_dir, int fd)
{
	switch (kind) {
	case WORKLOAD_WRITE:
	case WORKLOAD_READ:
	case WORKLOAD_WRITE_BUFFERED:
	case WORKLOAD_READ_BUFFERED:
		disk_workload(kind == WORKLOAD_READ || kind == WORKLOAD_READ_BUFFERED,
			      kind == WORKLOAD_WRITE || kind == WORKLOAD_READ, (long)amount, scratch_dir, fd);
		return;
	case WORKLOAD_CPUID: {
		/* Leaf 0 exits to the hypervisor on every execution, VMX and SVM alike. */
		uint64_t count = (uint64_t)amount;
		double t0, t1;

		report(fd, "start");
		t0 = now_s();
		for (uint64_t i = 0; i < count; i++) {
			uint32_t a = 0, b, c = 0, d;
			__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
		}
		t1 = now_s();
		report(fd, "ok %llu CPUIDs in %.3f s", (unsigned long long)count, t1 - t0);
		return;
	}
	case WORKLOAD_CPU: {
		volatile uint64_t x = 0;
		uint64_t loops = 0;
		double t0 = now_s(), t1;

		report(fd, "start");
		do {
			for (int i = 0; i < 100000; i++)
				x = x * 6364136223846793005ull + 1442695040888963407ull;
			loops++;
		} while ((t1 = now_s()) - t0 < amount);
		report(fd, "ok %.3f s, %llu Mloop", t1 - t0, (unsigned long long)loops / 10);
		return;
	}
	case WORKLOAD_IDLE: {
		struct timespec ts = { (time_t)amount, (long)((amount - (double)(time_t)amount) * 1e9) };
		double t0 = now_s();

		report(fd, "start");
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		report(fd, "ok %.3f s", now_s() - t0);
		return;
	}
	}
}

int workload_start(struct workload *w, enum workload_kind kind, double amount, const char *scratch_dir,
		   int close_fd)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) != 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int err = errno;
		close(p[0]);
		close(p[1]);
		return -err;
	}
	if (pid == 0) {
		/* The agent's handlers only set a flag; the workload must die on SIGTERM. */
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		close(p[0]);
		if (close_fd >= 0)
			close(close_fd);
		workload_run(kind, amount, scratch_dir, p[1]);
		_exit(0);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	w->pid = pid;
	w->fd = p[0];
	w->started = false;
	w->len = 0;
	return 0;
}
