/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * exitscope-agent: runs in a guest, reads the patched KVM's exit counters
 * with CPUID and streams them to the host (docs/protocol.md, docs/agent.md).
 *
 * One thread, one ppoll() loop: sampling, heartbeats, the I/O watcher and
 * flushing are deadlines; commands and workload reports are file
 * descriptors. Workloads run in a child process so that sampling goes on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "abi.h"
#include "channel.h"
#include "iowatch.h"
#include "protocol.h"
#include "workload.h"

#ifndef EXITSCOPE_VERSION
#define EXITSCOPE_VERSION "0.1.0"
#endif

#define DEFAULT_PORT "/dev/virtio-ports/org.exitscope.agent.0"
#define NS 1000000000ull
#define MAX_REASONS 16
#define FLUSH_RETRY_NS 10000000ull /* 10 ms between writes to a port that takes nothing */

static struct {
	const char *output;
	unsigned rate_hz;
	size_t buffer;
	bool once;
	bool no_discovery;
	uint32_t reasons[MAX_REASONS];
	int nreasons;
	unsigned io_interval_ms;
	uint64_t disk_kibps, net_kibps;
	unsigned io_quiet_ms;
	bool no_io;
	const char *scratch;
	unsigned flush_ms;
	double duration_s;
	const char *stage;
} opt = {
	.output = DEFAULT_PORT,
	.rate_hz = 20,
	.buffer = 4096,
	.io_interval_ms = 100,
	.disk_kibps = 256,
	.net_kibps = 64,
	.io_quiet_ms = 500,
	.scratch = "/var/tmp",
	.flush_ms = 50,
};

static struct channel ch;
static struct es_abi abi;
static uint64_t own_cpuid;      /* CPUID instructions this process executed */
static uint64_t session_id;
static char hostname[65];
static uint32_t last_span;
static uint64_t last_cycles;
static bool have_cycles;
static bool urgent;             /* something the reader should see without waiting for the flush tick */
static uint64_t dropped_reported;
static struct workload work;
static volatile sig_atomic_t stop_signal;
static uint64_t samples_taken;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

/* Every CPUID this program executes goes through here, so own_cpuid is exact. */
static void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
	own_cpuid++;
	es_cpuid_raw(leaf, subleaf, r);
}

static uint32_t new_span(void *ctx)
{
	(void)ctx;
	if (++last_span == 0)
		last_span = 1;
	return last_span;
}

/* ---- records ------------------------------------------------------------ */

static void emit_handshake(void)
{
	uint64_t seq;
	uint8_t *buf = channel_reserve(&ch, &seq);
	struct es_handshake h = {
		.source_kind = ES_SOURCE_AGENT,
		.cpu_vendor = abi.vendor,
		.abi_version = abi.version,
		.total_leaf = ES_LEAF_TOTALS,
		.reason_leaf = opt.nreasons ? ES_LEAF_REASON : 0,
		.discovery_leaf = ES_LEAF_DISCOVERY,
		.session_id = session_id,
		.period_ns = NS / opt.rate_hz,
		.sender = "exitscope-agent " EXITSCOPE_VERSION,
		.host = hostname,
	};

	channel_commit(&ch, es_encode_handshake(buf, seq, &h));
	urgent = true;
}

static void emit_error(uint16_t code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit_error(uint16_t code, const char *fmt, ...)
{
	char text[ES_MAX_ERROR_TEXT + 1];
	va_list ap;
	uint64_t seq;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	uint8_t *buf = channel_reserve(&ch, &seq);
	struct es_error e = { now_ns(), code, text };
	channel_commit(&ch, es_encode_error(buf, seq, &e));
	urgent = true;
}

/* A marker with the counters read now (when the host is patched). */
static void emit_marker(uint8_t kind, uint32_t span, const char *text)
{
	struct es_marker m = { .kind = kind, .span = span, .text = text };
	uint64_t seq;

	if (abi.present || opt.no_discovery) {
		uint32_t r[4];
		cpuid(ES_LEAF_TOTALS, 0, r);
		m.exits = r[0];
		m.cycles = (uint64_t)r[1] << 32 | r[2];
		m.flags = ES_MARKER_COUNTERS_VALID;
	}
	m.t_ns = now_ns();
	uint8_t *buf = channel_reserve(&ch, &seq);
	channel_commit(&ch, es_encode_marker(buf, seq, &m));
	urgent = true;
}

static void emit_sample(void)
{
	uint32_t r[4];
	uint64_t seq;
	struct es_sample s;

	cpuid(ES_LEAF_TOTALS, 0, r);
	s.t_ns = now_ns();
	s.exits = r[0];
	s.cycles = (uint64_t)r[1] << 32 | r[2];
	s.own_cpuid = own_cpuid;
	samples_taken++;

	if (have_cycles && s.cycles < last_cycles)
		emit_marker(ES_MARK_COUNTER_RESET, 0, "counters went backwards: the host's KVM was reloaded");
	last_cycles = s.cycles;
	have_cycles = true;

	uint8_t *buf = channel_reserve(&ch, &seq);
	channel_commit(&ch, es_encode_sample(buf, seq, &s));

	for (int i = 0; i < opt.nreasons; i++) {
		struct es_reason_sample rs;

		cpuid(ES_LEAF_REASON, opt.reasons[i], r);
		rs.t_ns = now_ns();
		rs.reason = opt.reasons[i];
		rs.exits = r[0];
		rs.cycles = (uint64_t)r[1] << 32 | r[2];
		buf = channel_reserve(&ch, &seq);
		channel_commit(&ch, es_encode_reason_sample(buf, seq, &rs));
	}
}

static void emit_heartbeat(void)
{
	uint64_t seq;
	uint8_t *buf = channel_reserve(&ch, &seq);
	struct es_heartbeat h = { now_ns(), 0 };

	/* Counted after reserving: the slot just taken may have pushed one out. */
	h.dropped = ch.dropped;
	channel_commit(&ch, es_encode_heartbeat(buf, seq, &h));
}

/* ---- boot marker ---------------------------------------------------------- */

/*
 * The kernel's share of the boot is the moment PID 1 started, in clock ticks
 * since boot (field 22 of /proc/1/stat); the rest of the uptime is userspace.
 */
static void emit_boot_marker(void)
{
	char text[ES_MAX_MARKER_TEXT + 1];
	double uptime = (double)now_ns() / 1e9;
	double kernel = -1;
	FILE *f = fopen("/proc/1/stat", "re");

	if (f) {
		char line[1024];
		if (fgets(line, sizeof(line), f)) {
			/* The command name may hold spaces; fields are counted after its ')'. */
			char *p = strrchr(line, ')');
			unsigned long long start;
			if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
					       "%*d %*d %*d %llu", &start) == 1)
				kernel = (double)start / (double)sysconf(_SC_CLK_TCK);
		}
		fclose(f);
	}
	if (kernel >= 0)
		snprintf(text, sizeof(text), "boot: kernel %.2f s, userspace %.2f s, uptime %.2f s", kernel,
			 uptime - kernel, uptime);
	else
		snprintf(text, sizeof(text), "boot: uptime %.2f s", uptime);
	emit_marker(ES_MARK_BOOT, 0, text);
	if (opt.stage)
		emit_marker(ES_MARK_BOOT_STAGE, 0, opt.stage);
}

/* ---- I/O watcher and workloads --------------------------------------------- */

static void on_io_event(void *ctx, enum io_event_kind kind, uint32_t span, const char *text)
{
	(void)ctx;
	if (kind == IO_EVENT_FAILED)
		emit_error(ES_ERR_IO_WATCHER, "%s", text);
	else
		emit_marker(kind == IO_EVENT_START ? ES_MARK_IO_START : ES_MARK_IO_END, span, text);
}

static void workload_finish(const char *result)
{
	int status;

	if (!work.started)
		emit_marker(ES_MARK_WORKLOAD_START, work.span, work.command);
	emit_marker(ES_MARK_WORKLOAD_END, work.span, result);
	if (strncmp(result, "failed", 6) == 0)
		emit_error(ES_ERR_WORKLOAD_FAILED, "%s: %s", work.command, result);
	close(work.fd);
	waitpid(work.pid, &status, 0);
	work.pid = 0;
	work.fd = -1;
}

static void workload_input(void)
{
	ssize_t n = read(work.fd, work.line + work.len, sizeof(work.line) - 1 - work.len);

	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		workload_finish("failed: the workload process ended without a result");
		return;
	}
	work.len += (size_t)n;
	for (char *nl; work.pid && (nl = memchr(work.line, '\n', work.len));) {
		*nl = '\0';
		if (strcmp(work.line, "start") == 0) {
			work.started = true;
			emit_marker(ES_MARK_WORKLOAD_START, work.span, work.command);
		} else {
			workload_finish(work.line);
			return;
		}
		size_t used = (size_t)(nl + 1 - work.line);
		memmove(work.line, nl + 1, work.len - used);
		work.len -= used;
	}
}

/* ---- commands --------------------------------------------------------------- */

static bool parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/*
 * "0x72,0x78" into reasons[]; false (and nothing changed) for anything else,
 * more than MAX_REASONS numbers included.
 */
static bool parse_reasons(const char *text, uint32_t *reasons, int *nreasons)
{
	uint32_t parsed[MAX_REASONS];
	char list[256];
	char *save = NULL;
	uint64_t v;
	int n = 0;

	if (strlen(text) >= sizeof(list))
		return false;
	strcpy(list, text);
	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (n == MAX_REASONS || !parse_uint(t, 0, 0xFFFFFFFF, &v))
			return false;
		parsed[n++] = (uint32_t)v;
	}
	if (n == 0)
		return false;
	memcpy(reasons, parsed, sizeof(parsed[0]) * (size_t)n);
	*nreasons = n;
	return true;
}

static void handle_command(char *line)
{
	enum workload_kind kind;
	double amount;
	char why[200];
	size_t len = strlen(line);

	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	if (len == 0)
		return;

	if (strcmp(line, "hello") == 0) {
		emit_handshake();
		return;
	}
	if (strncmp(line, "rate ", 5) == 0) {
		char *end;
		unsigned long hz = strtoul(line + 5, &end, 10);
		if (*end != '\0' || hz < 1 || hz > 1000) {
			emit_error(ES_ERR_COMMAND_REJECTED, "%s: expected a rate between 1 and 1000 Hz", line);
			return;
		}
		opt.rate_hz = (unsigned)hz;
		/* The period is part of the handshake: tell the reader. */
		emit_handshake();
		return;
	}
	if (strncmp(line, "reasons ", 8) == 0) {
		/* Which exit reasons each sample also reads; "off" for none. */
		if (strcmp(line + 8, "off") == 0) {
			opt.nreasons = 0;
		} else if (!parse_reasons(line + 8, opt.reasons, &opt.nreasons)) {
			emit_error(ES_ERR_COMMAND_REJECTED, "%.64s: expected 'off' or at most %d reason numbers "
					   "separated by commas, e.g. 0x72,0x78", line, MAX_REASONS);
			return;
		}
		/* The reason leaf is part of the handshake: tell the reader. */
		emit_handshake();
		return;
	}
	if (strncmp(line, "mark ", 5) == 0 && line[5] != '\0') {
		emit_marker(ES_MARK_USER, 0, line + 5);
		return;
	}
	int w = workload_parse(line, &kind, &amount, why, sizeof(why));
	if (w < 0) {
		emit_error(ES_ERR_COMMAND_REJECTED, "%s", why);
		return;
	}
	if (w == 0) {
		emit_error(ES_ERR_COMMAND_REJECTED, "unknown command '%.64s'; commands: hello, rate HZ, reasons LIST, mark TEXT, "
				   "write MIB, read MIB, write-buffered MIB, read-buffered MIB, cpu SECONDS, "
				   "idle SECONDS, cpuid COUNT", line);
		return;
	}
	if (!abi.present && !opt.no_discovery) {
		emit_error(ES_ERR_COMMAND_REJECTED, "%s: no exit counters on this host, nothing to measure", line);
		return;
	}
	if (work.pid) {
		emit_error(ES_ERR_COMMAND_REJECTED, "%s: busy with '%s'", line, work.command);
		return;
	}
	snprintf(work.command, sizeof(work.command), "%s", line);
	work.span = new_span(NULL);
	int err = workload_start(&work, kind, amount, opt.scratch, ch.fd);
	if (err) {
		work.pid = 0;
		emit_error(ES_ERR_WORKLOAD_FAILED, "%s: cannot start: %s", line, strerror(-err));
	}
}

struct line_reader {
	char buf[256];
	size_t len;
	bool overlong;
};

/* Returns false at end of input. */
static bool read_commands(int fd, struct line_reader *lr)
{
	char chunk[512];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		return false;
	for (ssize_t i = 0; i < n; i++) {
		char c = chunk[i];
		if (c == '\n') {
			lr->buf[lr->len] = '\0';
			if (lr->overlong)
				emit_error(ES_ERR_COMMAND_REJECTED, "command longer than 255 bytes: %.40s...", lr->buf);
			else
				handle_command(lr->buf);
			lr->len = 0;
			lr->overlong = false;
		} else if (lr->len < sizeof(lr->buf) - 1) {
			lr->buf[lr->len++] = c;
		} else {
			lr->overlong = true;
		}
	}
	return true;
}

/* ---- --once ------------------------------------------------------------------ */

static int run_once(void)
{
	uint32_t r[4];

	if (!opt.no_discovery) {
		cpuid(ES_LEAF_DISCOVERY, 0, r);
		abi = es_abi_decode(r);
		if (!abi.present) {
			fprintf(stderr, "exitscope-agent: the host's KVM does not have the exit counters (no signature "
					"at CPUID 0x4FFFFFF0); load the patched kvm modules on the host, or use "
					"--no-discovery for a kernel patched without the discovery leaf\n");
			return 1;
		}
	}
	cpuid(ES_LEAF_TOTALS, 0, r);
	/* Byte for byte the output of the original test program. */
	printf("Total Exits: 0x%08x\n", r[0]);
	printf("Total CPU Cycles Handling Exits: 0x%08x%08x \n", r[1], r[2]);
	return 0;
}

/* ---- main loop ----------------------------------------------------------------- */

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: exitscope-agent [options]\n"
		"Reads KVM's exit counters (CPUID 0x4FFFFFFF) in a guest and streams them to ExitScope.\n"
		"\n"
		"  --once               print the totals once, in the original test program's format, and exit\n"
		"  -o, --output PATH    where to stream: a virtio-serial port, a FIFO, a file, or - for standard\n"
		"                       output (default " DEFAULT_PORT ")\n"
		"  -r, --rate HZ        samples per second, 1 to 1000 (default 20)\n"
		"  --reasons LIST       also sample these exit reasons (leaf 0x4FFFFFFE), comma-separated,\n"
		"                       at most %d\n"
		"  --buffer N           records kept while the host is not reading; the oldest are dropped\n"
		"                       beyond that (default 4096)\n"
		"  --flush-ms MS        write queued samples at most this often (default 50); markers go at once\n"
		"  --io-interval MS     how often /proc/diskstats and /proc/net/dev are read (default 100)\n"
		"  --disk-threshold KIB disk rate in KiB/s that starts an I/O burst (default 256)\n"
		"  --net-threshold KIB  network rate in KiB/s that starts an I/O burst (default 64)\n"
		"  --io-quiet MS        time below the threshold that ends a burst (default 500)\n"
		"  --no-io              do not watch for I/O bursts\n"
		"  --scratch DIR        directory for the write and read workloads; needs O_DIRECT, so not\n"
		"                       tmpfs (default /var/tmp)\n"
		"  --stage TEXT         send a boot stage marker with TEXT after the boot marker\n"
		"  --duration S         stop after S seconds (for measurements)\n"
		"  --no-discovery       do not check the discovery leaf 0x4FFFFFF0 (for kernels patched\n"
		"                       without it); the counters are trusted as they are\n"
		"  -h, --help           this text\n"
		"Commands from the host (one per line on the port, or on standard input with -o -):\n"
		"  hello, rate HZ, reasons LIST|off, mark TEXT, write MIB, read MIB, write-buffered MIB, read-buffered MIB,\n"
		"  cpu SECONDS, idle SECONDS, cpuid COUNT\n",
		MAX_REASONS);
}

static bool parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (*s == '\0' || *end != '\0' || errno || v < min || v > max || *s == '-')
		return false;
	*out = v;
	return true;
}

static void parse_args(int argc, char **argv)
{
	enum { O_ONCE = 256, O_REASONS, O_BUFFER, O_FLUSH, O_IOINT, O_DISK, O_NET, O_QUIET, O_NOIO, O_SCRATCH,
	       O_STAGE, O_DURATION, O_NODISC };
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, O_ONCE },
		{ "output", required_argument, NULL, 'o' },
		{ "rate", required_argument, NULL, 'r' },
		{ "reasons", required_argument, NULL, O_REASONS },
		{ "buffer", required_argument, NULL, O_BUFFER },
		{ "flush-ms", required_argument, NULL, O_FLUSH },
		{ "io-interval", required_argument, NULL, O_IOINT },
		{ "disk-threshold", required_argument, NULL, O_DISK },
		{ "net-threshold", required_argument, NULL, O_NET },
		{ "io-quiet", required_argument, NULL, O_QUIET },
		{ "no-io", no_argument, NULL, O_NOIO },
		{ "scratch", required_argument, NULL, O_SCRATCH },
		{ "stage", required_argument, NULL, O_STAGE },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "no-discovery", no_argument, NULL, O_NODISC },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	uint64_t v;

#define NUMBER(name, min, max)                                                                           \
	do {                                                                                              \
		if (!parse_uint(optarg, min, max, &v)) {                                                  \
			fprintf(stderr, "exitscope-agent: %s must be a whole number from %llu to %llu, not '%s'\n", \
				name, (unsigned long long)(min), (unsigned long long)(max), optarg);      \
			exit(2);                                                                          \
		}                                                                                         \
	} while (0)

	while ((c = getopt_long(argc, argv, "o:r:h", longopts, NULL)) != -1) {
		switch (c) {
		case O_ONCE: opt.once = true; break;
		case 'o': opt.output = optarg; break;
		case 'r': NUMBER("--rate", 1, 1000); opt.rate_hz = (unsigned)v; break;
		case O_REASONS:
			if (!parse_reasons(optarg, opt.reasons, &opt.nreasons)) {
				fprintf(stderr, "exitscope-agent: --reasons takes at most %d numbers "
						"separated by commas, e.g. 0x72,0x78\n", MAX_REASONS);
				exit(2);
			}
			break;
		case O_BUFFER: NUMBER("--buffer", 16, 1 << 20); opt.buffer = v; break;
		case O_FLUSH: NUMBER("--flush-ms", 0, 1000); opt.flush_ms = (unsigned)v; break;
		case O_IOINT: NUMBER("--io-interval", 10, 10000); opt.io_interval_ms = (unsigned)v; break;
		case O_DISK: NUMBER("--disk-threshold", 1, 1 << 30); opt.disk_kibps = v; break;
		case O_NET: NUMBER("--net-threshold", 1, 1 << 30); opt.net_kibps = v; break;
		case O_QUIET: NUMBER("--io-quiet", 0, 60000); opt.io_quiet_ms = (unsigned)v; break;
		case O_NOIO: opt.no_io = true; break;
		case O_SCRATCH: opt.scratch = optarg; break;
		case O_STAGE: opt.stage = optarg; break;
		case O_DURATION: {
			char *end;
			opt.duration_s = strtod(optarg, &end);
			if (*end != '\0' || !(opt.duration_s > 0)) {
				fprintf(stderr, "exitscope-agent: --duration must be a positive number of seconds\n");
				exit(2);
			}
			break;
		}
		case O_NODISC: opt.no_discovery = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "exitscope-agent: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		exit(2);
	}
#undef NUMBER
}

static void print_summary(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr,
		"exitscope-agent: %" PRIu64 " samples, %" PRIu64 " own CPUID, %" PRIu64 " records written, %" PRIu64
		" dropped, cpu user %.3f s system %.3f s\n",
		samples_taken, own_cpuid, ch.written, ch.dropped,
		(double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
		(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct utsname un;
	struct line_reader port_lines = { 0 }, stdin_lines = { 0 };
	struct iowatch io;
	bool stdin_open;
	uint32_t r[4];

	parse_args(argc, argv);
	if (opt.once)
		return run_once();

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (getrandom(&session_id, sizeof(session_id), GRND_NONBLOCK) != sizeof(session_id))
		session_id = now_ns() ^ ((uint64_t)getpid() << 32);
	if (uname(&un) == 0)
		snprintf(hostname, sizeof(hostname), "%s", un.nodename);

	if (channel_open(&ch, opt.output, opt.buffer) != 0)
		return 1;
	stdin_open = ch.kind == CHANNEL_STDOUT;
	if (stdin_open)
		fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);

	if (!opt.no_discovery) {
		cpuid(ES_LEAF_DISCOVERY, 0, r);
		abi = es_abi_decode(r);
	}
	bool sampling = abi.present || opt.no_discovery;
	emit_handshake();
	if (!sampling) {
		static const char msg[] = "leaf not present: the host's KVM has no exit counters (no signature at "
					  "CPUID 0x4FFFFFF0); load the patched kvm modules on the host";
		emit_error(ES_ERR_LEAF_MISSING, "%s", msg);
		fprintf(stderr, "exitscope-agent: %s\n", msg);
		/* A file or a pipe gets the error and that is all; a port keeps telling every new reader. */
		if (ch.kind == CHANNEL_FILE || ch.kind == CHANNEL_STDOUT) {
			channel_flush(&ch);
			channel_close(&ch);
			return 1;
		}
	} else {
		emit_boot_marker();
	}

	iowatch_init(&io, opt.disk_kibps * 1024, opt.net_kibps * 1024, (uint64_t)opt.io_quiet_ms * 1000000);
	work.fd = -1;

	uint64_t start = now_ns();
	uint64_t next_sample = start, next_heartbeat = start + NS, next_io = start, last_flush = 0;
	uint64_t flush_ns = (uint64_t)opt.flush_ms * 1000000;
	bool flush_blocked = false;
	uint64_t stop_at = opt.duration_s > 0 ? start + (uint64_t)(opt.duration_s * 1e9) : UINT64_MAX;

	while (!stop_signal) {
		uint64_t now = now_ns();

		if (now >= stop_at)
			break;
		if (ch.broken) {
			fprintf(stderr, "exitscope-agent: standard output has no reader any more; stopping\n");
			break;
		}
		if (channel_check(&ch)) {
			emit_handshake();
			if (!sampling)
				emit_error(ES_ERR_LEAF_MISSING, "leaf not present: the host's KVM has no exit counters");
		}
		/* Said once the reader takes records again, not once per record a stalled reader costs. */
		if (ch.dropped > dropped_reported && ch.connected && ch.count <= ch.cap / 2) {
			emit_error(ES_ERR_WRITE_FAILED, "%" PRIu64 " records dropped while the host was not reading",
				   ch.dropped - dropped_reported);
			dropped_reported = ch.dropped;
		}
		/*
		 * Every wakeup of the guest costs exits (timer, HLT, interrupt
		 * delivery), so heartbeats and I/O scans ride on the wakeup of a
		 * sample when samples come at least as often.
		 */
		uint64_t period = NS / opt.rate_hz, io_interval = (uint64_t)opt.io_interval_ms * 1000000;
		bool sampled = false;
		if (sampling && now >= next_sample) {
			emit_sample();
			sampled = true;
			next_sample += period;
			/* Late by more than a period (suspended, starved): skip, do not catch up in a burst. */
			if (next_sample <= now)
				next_sample = now + period;
		}
		bool hb_rides = sampling && period <= NS;
		if (hb_rides ? sampled && now + period / 2 >= next_heartbeat : now >= next_heartbeat) {
			emit_heartbeat();
			next_heartbeat += NS;
			if (next_heartbeat <= now)
				next_heartbeat = now + NS;
		}
		bool io_rides = period <= io_interval;
		if (sampling && !opt.no_io && (io_rides ? sampled && now + period / 2 >= next_io : now >= next_io)) {
			iowatch_scan(&io, now, new_span, on_io_event, NULL);
			next_io = now + io_interval;
		}
		/* Half a period of slack, so that a flush falls on a sample's wakeup rather than just after it. */
		if (ch.count && (urgent || now + period / 2 - last_flush >= flush_ns)) {
			channel_flush(&ch);
			last_flush = now;
			urgent = false;
			flush_blocked = ch.count > 0;
		}

		/* Sleep until the next deadline or input. */
		uint64_t wake = UINT64_MAX;
		if (!hb_rides)
			wake = next_heartbeat;
		if (sampling && next_sample < wake)
			wake = next_sample;
		if (sampling && !opt.no_io && !io_rides && next_io < wake)
			wake = next_io;
		/* A port that takes nothing (closed, or a stalled reader) is retried, not spun on. */
		if (ch.count && ch.connected) {
			uint64_t retry = flush_blocked && flush_ns < FLUSH_RETRY_NS ? FLUSH_RETRY_NS : flush_ns;

			if (last_flush + retry < wake)
				wake = last_flush + retry;
		}
		if (!ch.connected && now + 100000000 < wake)
			wake = now + 100000000; /* look for a reader ten times a second */
		if (stop_at < wake)
			wake = stop_at;

		struct pollfd pfd[3];
		int n = 0, port_i = -1, stdin_i = -1, work_i = -1;
		int cfd = channel_command_fd(&ch);
		if (cfd >= 0) {
			port_i = n;
			pfd[n++] = (struct pollfd){ .fd = cfd, .events = POLLIN };
		}
		if (stdin_open) {
			stdin_i = n;
			pfd[n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		}
		if (work.pid) {
			work_i = n;
			pfd[n++] = (struct pollfd){ .fd = work.fd, .events = POLLIN };
		}
		now = now_ns();
		uint64_t wait = wake > now ? wake - now : 0;
		struct timespec ts = { (time_t)(wait / NS), (long)(wait % NS) };
		if (ppoll(pfd, (nfds_t)n, &ts, NULL) <= 0)
			continue;

		if (port_i >= 0 && pfd[port_i].revents & POLLIN)
			read_commands(cfd, &port_lines);
		/* POLLHUP on the port is noticed by channel_check() at the top of the loop. */
		if (stdin_i >= 0 && pfd[stdin_i].revents & (POLLIN | POLLHUP | POLLERR))
			stdin_open = read_commands(STDIN_FILENO, &stdin_lines);
		if (work_i >= 0 && pfd[work_i].revents & (POLLIN | POLLHUP | POLLERR))
			workload_input();
	}

	if (work.pid) {
		kill(work.pid, SIGTERM);
		workload_finish("failed: the agent stopped");
	}
	iowatch_close(&io, on_io_event, NULL);
	/* Deliver what is queued if the reader takes it; never wait for one that does not. */
	if (ch.connected)
		channel_flush(&ch);
	print_summary();
	channel_close(&ch);
	return ch.broken ? 1 : 0;
}
