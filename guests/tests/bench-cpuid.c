/* SPDX-License-Identifier: BSD-2-Clause */
/* bench-cpuid: N CPUID exits (leaf 0) against the same loop with NOP in
 * place of CPUID (see bench.h). */
#include "bench.h"

static void loop_cpuid(unsigned long n)
{
	asm volatile("1: xor %%eax, %%eax\n\t"
		     "xor %%ecx, %%ecx\n\t"
		     "cpuid\n\t"
		     "dec %%rdi\n\t"
		     "jnz 1b"
		     : "+D"(n)
		     :
		     : "rax", "rbx", "rcx", "rdx", "memory");
}

static void loop_ref(unsigned long n)
{
	asm volatile("1: xor %%eax, %%eax\n\t"
		     "xor %%ecx, %%ecx\n\t"
		     "nop\n\t"
		     "dec %%rdi\n\t"
		     "jnz 1b"
		     : "+D"(n)
		     :
		     : "rax", "rbx", "rcx", "rdx", "memory");
}

void guest_main(void)
{
	bench_pair("cpuid", "cpuid_ref", loop_cpuid, loop_ref);
}
