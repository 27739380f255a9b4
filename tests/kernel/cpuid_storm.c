// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * CPUID exit storm: each of T threads (pinned to CPU i) executes N CPUID
 * instructions of leaf 0; every one is a VM-Exit. Prints the exit rate and
 * the storm's duration in nanoseconds of the guest's monotonic clock; when
 * the host runs under an instruction-counting emulator, that duration counts
 * the instructions that L1 and L2 executed for the storm.
 *
 *   cpuid_storm THREADS ITERATIONS
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long iterations;

static void *storm(void *arg)
{
	long cpu = (long)arg, i;
	uint32_t a, b, c, d;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	for (i = 0; i < iterations; i++)
		__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "0"(0), "2"(0));
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	pthread_t tid[256];
	long threads, i;
	long long ns;
	double s;

	if (argc != 3 || (threads = atol(argv[1])) < 1 || threads > 256 ||
	    (iterations = atol(argv[2])) < 1) {
		fprintf(stderr, "usage: %s THREADS ITERATIONS\n", argv[0]);
		return 1;
	}
	/* Lets a host that watches the console time the storm itself. */
	printf("STORM-START threads=%ld iterations=%ld\n", threads, iterations);
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < threads; i++)
		if (pthread_create(&tid[i], NULL, storm, (void *)i)) {
			perror("pthread_create");
			return 1;
		}
	for (i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
	s = ns / 1e9;
	printf("STORM threads=%ld iterations=%ld seconds=%.3f exits_per_second=%.0f ns=%lld\n",
	       threads, iterations, s, threads * iterations / s, ns);
	fflush(stdout);
	return 0;
}
