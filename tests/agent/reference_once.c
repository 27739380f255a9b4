/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The original test program for the 0x4FFFFFFF leaf, unchanged in behaviour:
 * `exitscope-agent --once` must print exactly what this prints, apart from
 * the counter values. (__asm__ instead of asm only so that it builds as ISO C.)
 */
#include <stdio.h>

static inline void native_cpuid(unsigned int *eax, unsigned int *ebx, unsigned int *ecx, unsigned int *edx)
{
	__asm__ volatile("cpuid" : "=a"(*eax), "=b"(*ebx), "=c"(*ecx), "=d"(*edx) : "0"(*eax), "2"(*ecx));
}

int main(void)
{
	unsigned int eax, ebx, ecx = 0, edx;

	eax = 0x4FFFFFFF;
	native_cpuid(&eax, &ebx, &ecx, &edx);
	printf("Total Exits: 0x%08x\n", eax);
	printf("Total CPU Cycles Handling Exits: 0x%08x%08x \n", ebx, ecx);
	return 0;
}
