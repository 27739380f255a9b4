/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Built-in workloads, run in a child process so that sampling goes on while
 * they run. The child reports on a pipe, one line each: "start" when the part
 * to be framed begins, then "ok ..." or "failed: ...".
 */
#ifndef EXITSCOPE_WORKLOAD_H
#define EXITSCOPE_WORKLOAD_H

#include <stdbool.h>
#include <sys/types.h>

enum workload_kind {
	WORKLOAD_WRITE,          /* O_DIRECT */
	WORKLOAD_READ,           /* O_DIRECT */
	WORKLOAD_WRITE_BUFFERED, /* through the page cache, then fsync */
	WORKLOAD_READ_BUFFERED,  /* through the page cache, evicted first */
	WORKLOAD_CPU,
	WORKLOAD_IDLE,
	WORKLOAD_CPUID,          /* a known number of CPUID exits */
};

struct workload {
	pid_t pid;       /* 0: none running */
	int fd;          /* read end of the report pipe */
	unsigned span;
	bool started;    /* "start" seen, start marker sent */
	char command[64];
	char line[256];
	size_t len;
};

/*
 * Parses a command line ("write 16", "cpu 2", ...). Returns 1 and fills kind
 * and amount for a workload command, 0 if the line is not a workload command,
 * -1 with a reason in why for a workload command with a bad argument.
 */
int workload_parse(const char *line, enum workload_kind *kind, double *amount, char *why, size_t whylen);

/* Forks the child. Returns 0, or -errno. close_fd is closed in the child. */
int workload_start(struct workload *w, enum workload_kind kind, double amount, const char *scratch_dir,
		   int close_fd);

/* Runs the workload in the calling process, writing the report lines to fd. */
void workload_run(enum workload_kind kind, double amount, const char *scratch_dir, int fd);

#endif
