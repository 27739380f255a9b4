/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The host side of an agent's virtio-serial port for the nested test: QEMU
 * serves the port as a unix socket (-chardev socket,server=on); this connects,
 * sends commands and saves what the agent streams, following a script of steps:
 *
 *   open             connect (the first step must be open); output goes to OUT.N, N = 1, 2, ...
 *   close            disconnect: the guest sees the port's host side close
 *   send:TEXT        send TEXT and a newline
 *   read:S           keep reading for S seconds
 *   wait:S:TEXT      read until TEXT arrives (in bytes received during this step), at most S seconds
 *   eof:S            read until QEMU closes the socket (the guest powered off), at most S seconds
 *   sleep:S          wait S seconds without reading
 *
 * usage: portclient SOCKET OUT STEP...   Exit status 1 if a wait or eof step timed out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int sock = -1;
static FILE *out;
static char *seen;  /* this connection's bytes, for wait: */
static size_t seen_len;
static int connection;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void connect_port(const char *path, const char *outbase)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char name[4096];
	double deadline = now() + 60;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	for (;;) {
		sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		close(sock);
		if (now() > deadline) {
			fprintf(stderr, "portclient: cannot connect to %s: %s\n", path, strerror(errno));
			exit(1);
		}
		usleep(100000);
	}
	snprintf(name, sizeof(name), "%s.%d", outbase, ++connection);
	out = fopen(name, "wb");
	if (!out) {
		fprintf(stderr, "portclient: cannot write %s\n", name);
		exit(1);
	}
	free(seen);
	seen = NULL;
	seen_len = 0;
	fprintf(stderr, "portclient: connected, saving to %s\n", name);
}

/* Reads until the deadline, until text shows up, or until EOF. Returns 1 if the condition was met. */
static int pump(double seconds, const char *text, int until_eof)
{
	double deadline = now() + seconds;
	char buf[65536];
	size_t from = seen_len; /* only bytes that arrive during this step count for text */

	for (;;) {
		double left = deadline - now();
		if (left <= 0)
			return !text && !until_eof;
		struct pollfd p = { .fd = sock, .events = POLLIN };
		if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		ssize_t n = read(sock, buf, sizeof(buf));
		if (n <= 0)
			return until_eof;
		fwrite(buf, 1, (size_t)n, out);
		fflush(out);
		seen = realloc(seen, seen_len + (size_t)n + 1);
		memcpy(seen + seen_len, buf, (size_t)n);
		seen_len += (size_t)n;
		seen[seen_len] = '\0';
		if (text && memmem(seen + from, seen_len - from, text, strlen(text)))
			return 1;
	}
}

int main(int argc, char **argv)
{
	int status = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: portclient SOCKET OUT STEP...\n");
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		char *step = argv[i];
		fprintf(stderr, "portclient: %s\n", step);
		if (strcmp(step, "open") == 0) {
			connect_port(argv[1], argv[2]);
		} else if (strcmp(step, "close") == 0) {
			close(sock);
			fclose(out);
			sock = -1;
		} else if (strncmp(step, "send:", 5) == 0) {
			dprintf(sock, "%s\n", step + 5);
		} else if (strncmp(step, "read:", 5) == 0) {
			pump(atof(step + 5), NULL, 0);
		} else if (strncmp(step, "wait:", 5) == 0) {
			char *text = strchr(step + 5, ':');
			if (!text || !pump(atof(step + 5), text + 1, 0)) {
				fprintf(stderr, "portclient: '%s' did not arrive in time\n", text ? text + 1 : "?");
				status = 1;
			}
		} else if (strncmp(step, "eof:", 4) == 0) {
			if (!pump(atof(step + 4), NULL, 1)) {
				fprintf(stderr, "portclient: the guest did not close the port in time\n");
				status = 1;
			}
		} else if (strncmp(step, "sleep:", 6) == 0) {
			usleep((useconds_t)(atof(step + 6) * 1e6));
		} else {
			fprintf(stderr, "portclient: unknown step %s\n", step);
			return 2;
		}
	}
	if (sock >= 0) {
		close(sock);
		fclose(out);
	}
	return status;
}
