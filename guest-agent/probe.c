/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * exitscope-probe: runs on a KVM host. Creates a VM with four pages of memory
 * and no operating system whose one vCPU, in real mode, executes
 *
 *     0x1000: cpuid
 *     0x1002: hlt
 *
 * The VM has no in-kernel interrupt controller, so HLT returns to this
 * program, which reads the registers CPUID left and enters the vCPU again at
 * 0x1000 with the next leaf. The readings go out as the same stream as the
 * guest agent's (docs/protocol.md), by default on standard output.
 *
 * own_cpuid in the probe's samples is the number of VM exits the probe's own
 * vCPU has made up to and including the CPUID exit of that reading, taken
 * from KVM's per-vCPU "exits" statistic: every reading costs one CPUID and
 * one HLT exit, and the first ones also the nested page faults that map the
 * code page. docs/agent.md says how to subtract it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "abi.h"
#include "channel.h"
#include "protocol.h"

#ifndef EXITSCOPE_VERSION
#define EXITSCOPE_VERSION "0.1.0"
#endif

#define NS 1000000000ull
#define GUEST_MEM 0x4000
#define CODE_GPA 0x1000
#define MAX_REASONS 16

struct vm {
	int kvm, vm, vcpu, stats;
	struct kvm_run *run;
	uint8_t *mem;
	off_t exits_offset; /* of the vCPU's "exits" statistic in the stats fd */
	uint64_t runs;      /* KVM_RUN calls that ended in HLT: the fallback count */
};

static struct channel ch;
static uint64_t session_id;
static volatile sig_atomic_t stop_signal;
static const char *kvm_path = "/dev/kvm";

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* Reports a fatal error on stderr and, as an error record, in the stream; then exits. */
static void fail(uint16_t code, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
static void fail(uint16_t code, const char *fmt, ...)
{
	char text[ES_MAX_ERROR_TEXT + 1];
	va_list ap;
	uint64_t seq;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fprintf(stderr, "exitscope-probe: %s\n", text);
	if (ch.slots) {
		struct es_error e = { now_ns(), code, text };
		uint8_t *buf = channel_reserve(&ch, &seq);
		channel_commit(&ch, es_encode_error(buf, seq, &e));
		channel_flush(&ch);
	}
	exit(1);
}

/* Finds the vCPU's "exits" counter among the binary statistics (Linux 5.14 and later). */
static void find_exits_stat(struct vm *v)
{
	struct kvm_stats_header hdr;

	v->stats = ioctl(v->vcpu, KVM_GET_STATS_FD, NULL);
	v->exits_offset = -1;
	if (v->stats < 0 || pread(v->stats, &hdr, sizeof(hdr), 0) != sizeof(hdr))
		return;
	size_t desc_size = sizeof(struct kvm_stats_desc) + hdr.name_size;
	uint8_t *descs = malloc(desc_size * hdr.num_desc);
	if (!descs)
		return;
	if (pread(v->stats, descs, desc_size * hdr.num_desc, hdr.desc_offset) == (ssize_t)(desc_size * hdr.num_desc)) {
		for (uint32_t i = 0; i < hdr.num_desc; i++) {
			struct kvm_stats_desc *d = (struct kvm_stats_desc *)(descs + i * desc_size);
			if (strncmp(d->name, "exits", hdr.name_size) == 0 && d->size == 1) {
				v->exits_offset = (off_t)(hdr.data_offset + d->offset);
				break;
			}
		}
	}
	free(descs);
}

static uint64_t vcpu_exits(struct vm *v)
{
	uint64_t n;

	if (v->exits_offset >= 0 && pread(v->stats, &n, sizeof(n), v->exits_offset) == sizeof(n))
		return n;
	/* Without statistics: one CPUID and one HLT exit per run. */
	return 2 * v->runs;
}

static void create_vm(struct vm *v)
{
	static const uint8_t code[] = { 0x0F, 0xA2, /* cpuid */ 0xF4 /* hlt */ };
	struct kvm_sregs sregs;

	v->kvm = open(kvm_path, O_RDWR | O_CLOEXEC);
	if (v->kvm < 0)
		fail(ES_ERR_NO_KVM, "cannot open %s: %s; the probe runs on a KVM host, as root or as a member of "
				    "the kvm group", kvm_path, strerror(errno));
	int api = ioctl(v->kvm, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION)
		fail(ES_ERR_NO_KVM, "%s speaks KVM API %d, not %d", kvm_path, api, KVM_API_VERSION);
	v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0);
	if (v->vm < 0)
		fail(ES_ERR_NO_KVM, "cannot create a VM: %s (is kvm_amd or kvm_intel loaded?)", strerror(errno));

	v->mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (v->mem == MAP_FAILED)
		fail(ES_ERR_NO_KVM, "cannot allocate guest memory: %s", strerror(errno));
	memcpy(v->mem + CODE_GPA, code, sizeof(code));
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = GUEST_MEM, .userspace_addr = (uintptr_t)v->mem,
	};
	if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		fail(ES_ERR_NO_KVM, "cannot give the VM memory: %s", strerror(errno));
	/* Only VMX without unrestricted guest needs it for real mode; harmless elsewhere. */
	ioctl(v->vm, KVM_SET_TSS_ADDR, 0xfffbd000ul);

	v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0);
	if (v->vcpu < 0)
		fail(ES_ERR_NO_KVM, "cannot create a vCPU: %s", strerror(errno));
	int run_size = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (int)sizeof(struct kvm_run))
		fail(ES_ERR_NO_KVM, "KVM_GET_VCPU_MMAP_SIZE failed: %s", strerror(errno));
	v->run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
	if (v->run == MAP_FAILED)
		fail(ES_ERR_NO_KVM, "cannot map the vCPU's run area: %s", strerror(errno));

	if (ioctl(v->vcpu, KVM_GET_SREGS, &sregs) < 0)
		fail(ES_ERR_NO_KVM, "KVM_GET_SREGS failed: %s", strerror(errno));
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(v->vcpu, KVM_SET_SREGS, &sregs) < 0)
		fail(ES_ERR_NO_KVM, "KVM_SET_SREGS failed: %s", strerror(errno));
	find_exits_stat(v);
	if (v->exits_offset < 0)
		fprintf(stderr, "exitscope-probe: this kernel has no per-vCPU exit statistics; own_cpuid counts "
				"two exits per reading instead of measuring them\n");
}

/* Runs CPUID(leaf, subleaf) in the VM. */
static void vm_cpuid(struct vm *v, uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
	struct kvm_regs regs = { .rax = leaf, .rcx = subleaf, .rip = CODE_GPA, .rflags = 0x2 };

	if (ioctl(v->vcpu, KVM_SET_REGS, &regs) < 0)
		fail(ES_ERR_NO_KVM, "KVM_SET_REGS failed: %s", strerror(errno));
	for (;;) {
		if (ioctl(v->vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fail(ES_ERR_NO_KVM, "KVM_RUN failed: %s", strerror(errno));
		}
		if (v->run->exit_reason == KVM_EXIT_HLT)
			break;
		if (v->run->exit_reason == KVM_EXIT_INTR)
			continue;
		fail(ES_ERR_NO_KVM, "the probe's vCPU stopped with KVM exit reason %u instead of HLT",
		     v->run->exit_reason);
	}
	v->runs++;
	if (ioctl(v->vcpu, KVM_GET_REGS, &regs) < 0)
		fail(ES_ERR_NO_KVM, "KVM_GET_REGS failed: %s", strerror(errno));
	r[0] = (uint32_t)regs.rax;
	r[1] = (uint32_t)regs.rbx;
	r[2] = (uint32_t)regs.rcx;
	r[3] = (uint32_t)regs.rdx;
}

/* The host's own CPU vendor decides the exit reason numbering of its KVM. */
static uint8_t host_vendor(void)
{
	uint32_t r[4];
	char v[12];

	es_cpuid_raw(0, 0, r);
	memcpy(v, &r[1], 4);
	memcpy(v + 4, &r[3], 4);
	memcpy(v + 8, &r[2], 4);
	if (memcmp(v, "GenuineIntel", 12) == 0)
		return ES_VENDOR_VMX;
	if (memcmp(v, "AuthenticAMD", 12) == 0 || memcmp(v, "HygonGenuine", 12) == 0)
		return ES_VENDOR_SVM;
	return ES_VENDOR_UNKNOWN;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: exitscope-probe [options]\n"
		"Reads the patched KVM's exit counters from a tiny VM of its own and streams them (docs/protocol.md).\n"
		"\n"
		"  -r, --rate HZ        readings per second, 1 to 1000 (default 20)\n"
		"  -o, --output PATH    a FIFO, a file, or - for standard output (default -)\n"
		"  --reasons LIST       also read these exit reasons (leaf 0x4FFFFFFE), comma-separated\n"
		"  --duration S         stop after S seconds\n"
		"  --buffer N           records kept while the reader is slow (default 4096)\n"
		"  --device PATH        the KVM device (default /dev/kvm)\n"
		"  -h, --help           this text\n");
}

static void emit_error(uint16_t code, const char *text)
{
	uint64_t seq;
	uint8_t *buf = channel_reserve(&ch, &seq);
	struct es_error e = { now_ns(), code, text };
	channel_commit(&ch, es_encode_error(buf, seq, &e));
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rate", required_argument, NULL, 'r' },  { "output", required_argument, NULL, 'o' },
		{ "reasons", required_argument, NULL, 'R' }, { "duration", required_argument, NULL, 'd' },
		{ "buffer", required_argument, NULL, 'b' }, { "device", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },         { 0 },
	};
	unsigned rate = 20;
	const char *output = "-";
	uint32_t reasons[MAX_REASONS];
	int nreasons = 0, c;
	double duration = 0;
	size_t buffer = 4096;
	char *end;

	while ((c = getopt_long(argc, argv, "r:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rate = (unsigned)strtoul(optarg, &end, 10);
			if (*end || rate < 1 || rate > 1000) {
				fprintf(stderr, "exitscope-probe: --rate must be a whole number from 1 to 1000\n");
				return 2;
			}
			break;
		case 'o': output = optarg; break;
		case 'R':
			for (char *t = strtok(optarg, ","); t; t = strtok(NULL, ",")) {
				unsigned long long v = strtoull(t, &end, 0);
				if (*end || nreasons == MAX_REASONS || v > 0xFFFFFFFFull) {
					fprintf(stderr, "exitscope-probe: --reasons takes at most %d numbers separated "
							"by commas, e.g. 0x72,0x78\n", MAX_REASONS);
					return 2;
				}
				reasons[nreasons++] = (uint32_t)v;
			}
			break;
		case 'd':
			duration = strtod(optarg, &end);
			if (*end || !(duration > 0)) {
				fprintf(stderr, "exitscope-probe: --duration must be a positive number of seconds\n");
				return 2;
			}
			break;
		case 'b':
			buffer = strtoul(optarg, &end, 10);
			if (*end || buffer < 16) {
				fprintf(stderr, "exitscope-probe: --buffer must be a number of records, at least 16\n");
				return 2;
			}
			break;
		case 'D': kvm_path = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "exitscope-probe: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}

	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (getrandom(&session_id, sizeof(session_id), GRND_NONBLOCK) != sizeof(session_id))
		session_id = now_ns() ^ ((uint64_t)getpid() << 32);
	if (channel_open(&ch, output, buffer) != 0)
		return 1;

	struct vm v = { 0 };
	uint32_t r[4];
	uint64_t seq;
	struct utsname un;
	char host[65] = "";

	if (uname(&un) == 0)
		snprintf(host, sizeof(host), "%s", un.nodename);
	create_vm(&v);
	vm_cpuid(&v, ES_LEAF_DISCOVERY, 0, r);
	struct es_abi abi = es_abi_decode(r);
	if (abi.vendor == ES_VENDOR_UNKNOWN)
		abi.vendor = host_vendor();

	struct es_handshake h = {
		.source_kind = ES_SOURCE_PROBE, .cpu_vendor = abi.vendor, .abi_version = abi.version,
		.total_leaf = ES_LEAF_TOTALS, .reason_leaf = nreasons ? ES_LEAF_REASON : 0,
		.discovery_leaf = ES_LEAF_DISCOVERY, .session_id = session_id, .period_ns = NS / rate,
		.sender = "exitscope-probe " EXITSCOPE_VERSION, .host = host,
	};
	uint8_t *buf = channel_reserve(&ch, &seq);
	channel_commit(&ch, es_encode_handshake(buf, seq, &h));
	if (!abi.present)
		fail(ES_ERR_LEAF_MISSING, "leaf not present: this host's KVM has no exit counters (no signature at "
					  "CPUID 0x4FFFFFF0); load the patched kvm modules");

	uint64_t start = now_ns(), next = start, next_heartbeat = start + NS, readings = 0;
	uint64_t stop_at = duration > 0 ? start + (uint64_t)(duration * 1e9) : UINT64_MAX;
	uint64_t dropped_reported = 0;

	while (!stop_signal && now_ns() < stop_at && !ch.broken) {
		struct es_sample s;

		vm_cpuid(&v, ES_LEAF_TOTALS, 0, r);
		s.t_ns = now_ns();
		s.exits = r[0];
		s.cycles = (uint64_t)r[1] << 32 | r[2];
		/* The statistic now includes the HLT after this reading's CPUID: leave it out. */
		s.own_cpuid = vcpu_exits(&v) - 1;
		readings++;
		buf = channel_reserve(&ch, &seq);
		channel_commit(&ch, es_encode_sample(buf, seq, &s));

		for (int i = 0; i < nreasons; i++) {
			struct es_reason_sample rs = { 0, reasons[i], 0, 0 };
			vm_cpuid(&v, ES_LEAF_REASON, reasons[i], r);
			rs.t_ns = now_ns();
			rs.exits = r[0];
			rs.cycles = (uint64_t)r[1] << 32 | r[2];
			buf = channel_reserve(&ch, &seq);
			channel_commit(&ch, es_encode_reason_sample(buf, seq, &rs));
		}

		uint64_t now = now_ns();
		if (now >= next_heartbeat) {
			struct es_heartbeat hb = { now, 0 };
			buf = channel_reserve(&ch, &seq);
			hb.dropped = ch.dropped;
			channel_commit(&ch, es_encode_heartbeat(buf, seq, &hb));
			next_heartbeat += NS;
		}
		if (channel_check(&ch))
			channel_commit(&ch, es_encode_handshake(channel_reserve(&ch, &seq), seq, &h));
		if (ch.dropped > dropped_reported && ch.connected) {
			char text[96];
			snprintf(text, sizeof(text), "%" PRIu64 " records dropped while the reader was not reading",
				 ch.dropped - dropped_reported);
			emit_error(ES_ERR_WRITE_FAILED, text);
			dropped_reported = ch.dropped;
		}
		channel_flush(&ch);

		next += NS / rate;
		now = now_ns();
		if (next <= now)
			next = now + NS / rate;
		if (next > stop_at)
			next = stop_at;
		struct timespec ts = { (time_t)(next / NS), (long)(next % NS) };
		while (clock_nanosleep(CLOCK_BOOTTIME, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop_signal)
			;
	}
	channel_flush(&ch);

	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr,
		"exitscope-probe: %" PRIu64 " readings, %" PRIu64 " own exits, %" PRIu64 " records written, %" PRIu64
		" dropped, cpu user %.3f s system %.3f s\n",
		readings, vcpu_exits(&v), ch.written, ch.dropped,
		(double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
		(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
	channel_close(&ch);
	return 0;
}
