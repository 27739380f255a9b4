// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * Checks the exit counter CPUID leaves from inside a guest.
 *
 *   exit_stats_check check   discovery signature, then the per-reason counts
 *                            read one after another must add up to the total
 *                            read before and after them
 *   exit_stats_check final   read the total, write it to the debug console
 *                            port 0x402 as "T=xxxxxxxx\n" (11 port writes
 *                            through /dev/port) and signal pvpanic (port
 *                            0x505, 1 write), which
 *                            pauses the VM so that the host can read KVM's own
 *                            "exits" statistic for the same interval
 *
 * Exit status 0 on success, 1 on a failed check, 2 if the leaves are absent.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#define LEAF_DISCOVERY 0x4ffffff0u
#define LEAF_REASON 0x4ffffffeu
#define LEAF_TOTAL 0x4fffffffu

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "0"(leaf), "2"(sub));
}

/* Returns the numbering (1 VMX, 2 SVM) or 0 if the leaves are absent. */
static unsigned discover(void)
{
	uint32_t r[4];
	char sig[13];

	cpuid(LEAF_DISCOVERY, 0, r);
	memcpy(sig, &r[1], 4);
	memcpy(sig + 4, &r[2], 4);
	memcpy(sig + 8, &r[3], 4);
	sig[12] = '\0';
	if (strcmp(sig, "KVMExitStats") != 0) {
		printf("EXITSTATS-ABSENT discovery leaf 0x%08x: %08x %08x %08x %08x\n",
		       LEAF_DISCOVERY, r[0], r[1], r[2], r[3]);
		return 0;
	}
	printf("EXITSTATS-DISCOVERY version=%u numbering=%u\n", r[0] & 0xff,
	       (r[0] >> 8) & 0xff);
	return (r[0] >> 8) & 0xff;
}

static int check(unsigned numbering)
{
	uint32_t r[4], t0, t1, sum = 0, max_reason, reason, defined = 0;

	max_reason = numbering == 1 ? 75 : 0x403;
	cpuid(LEAF_TOTAL, 0, r);
	t0 = r[0];
	for (reason = 0; reason <= max_reason; reason++) {
		cpuid(LEAF_REASON, reason, r);
		if (r[3] == 0) {
			sum += r[0];
			defined++;
		} else if (r[3] != 0xffffffffu || r[0] || r[1] || r[2]) {
			printf("EXITSTATS-FAIL reason 0x%x: bad pattern %08x %08x %08x %08x\n",
			       reason, r[0], r[1], r[2], r[3]);
			return 1;
		}
	}
	cpuid(LEAF_TOTAL, 0, r);
	t1 = r[0];
	printf("EXITSTATS-SUM total_before=%u sum=%u total_after=%u defined=%u\n",
	       t0, sum, t1, defined);
	/* Unsigned differences survive a wrap of the 32-bit counts. */
	if ((uint32_t)(sum - t0) > (uint32_t)(t1 - t0)) {
		printf("EXITSTATS-FAIL per-reason sum %u outside [%u, %u]\n", sum, t0, t1);
		return 1;
	}
	cpuid(LEAF_REASON, 0x12345678u, r);
	if (r[0] || r[1] || r[2] || r[3] != 0xffffffffu) {
		printf("EXITSTATS-FAIL undefined reason gives %08x %08x %08x %08x\n",
		       r[0], r[1], r[2], r[3]);
		return 1;
	}
	printf("EXITSTATS-CHECK-OK\n");
	return 0;
}

static int final(void)
{
	static const char hex[] = "0123456789abcdef";
	const char one = 1;
	uint32_t r[4];
	char line[11];
	int fd, i;

	/* /dev/port turns each one-byte write into one OUT instruction. */
	fd = open("/dev/port", O_WRONLY);
	if (fd < 0) {
		perror("/dev/port");
		return 1;
	}
	fflush(stdout);
	cpuid(LEAF_TOTAL, 0, r);
	line[0] = 'T';
	line[1] = '=';
	for (i = 0; i < 8; i++)
		line[2 + i] = hex[(r[0] >> (28 - 4 * i)) & 0xf];
	line[10] = '\n';
	for (i = 0; i < 11; i++)
		if (pwrite(fd, &line[i], 1, 0x402) != 1)
			return 1;
	if (pwrite(fd, &one, 1, 0x505) != 1)
		return 1;
	/* Not reached while the VM stays paused. */
	return 0;
}

int main(int argc, char **argv)
{
	unsigned numbering;

	if (argc != 2 || (strcmp(argv[1], "check") && strcmp(argv[1], "final"))) {
		fprintf(stderr, "usage: %s check|final\n", argv[0]);
		return 1;
	}
	numbering = discover();
	if (!numbering)
		return 2;
	if (!strcmp(argv[1], "check"))
		return check(numbering);
	return final();
}
