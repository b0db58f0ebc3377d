/* SPDX-License-Identifier: BSD-2-Clause */
/* hog: a CPU-bound partition for the scheduler's fairness test (suite
 * fairness). It spins for HOG_WINDOW_NS of partition time, counting blocks
 * of HOG_BLOCK loop iterations, and prints
 *     HOG blocks=<N>
 * Partitions that share one host CPU at equal priority and start together
 * should print counts within a few percent of each other: each got the
 * same share of the CPU. One time hypercall per block keeps the exits few
 * (the slices are cut by the host timer, not by exits). */
#include "rt.h"

#define HOG_WINDOW_NS 3000000000UL
#define HOG_BLOCK 200000UL

static void spin_block(void)
{
	unsigned long n = HOG_BLOCK, acc = 0;

	asm volatile("1: add $1, %1\n\t"
		     "dec %0\n\t"
		     "jnz 1b"
		     : "+r"(n), "+r"(acc)
		     :
		     : "memory");
}

void guest_main(void)
{
	unsigned long end = rt_hc_time_ns() + HOG_WINDOW_NS;
	unsigned long blocks = 0;

	while (rt_hc_time_ns() < end) {
		spin_block();
		blocks++;
	}
	rt_printf("HOG blocks=%lu\n", blocks);
	rt_check("hog", blocks > 0, "no block finished in %lu ms", HOG_WINDOW_NS / 1000000);
}
