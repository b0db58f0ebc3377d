/* SPDX-License-Identifier: BSD-2-Clause */
/* bench-pio: N port-I/O exits (OUT to the echo device at 0x520) against the
 * same loop with NOP in place of OUT (see bench.h). */
#include "bench.h"

#define ECHO_PORT 0x520

static void loop_out(unsigned long n)
{
	asm volatile("1: mov %1, %%dx\n\t"
		     "out %%al, %%dx\n\t"
		     "dec %0\n\t"
		     "jnz 1b"
		     : "+D"(n)
		     : "i"(ECHO_PORT), "a"(0x5a)
		     : "rdx", "memory");
}

static void loop_ref(unsigned long n)
{
	asm volatile("1: mov %1, %%dx\n\t"
		     "nop\n\t"
		     "dec %0\n\t"
		     "jnz 1b"
		     : "+D"(n)
		     : "i"(ECHO_PORT), "a"(0x5a)
		     : "rdx", "memory");
}

void guest_main(void)
{
	bench_pair("pio", "pio_ref", loop_out, loop_ref);
}
