/* SPDX-License-Identifier: BSD-2-Clause */
/* bystander: measures the share of its host CPU it gets while an attacker
 * partition shares that CPU (issue 12, "work that cannot be preempted";
 * tests/integration/isolation-share-*.test).
 *
 * Method: it spins in blocks of BYSTANDER_BLOCK iterations and reads the TSC
 * after each. The cheapest block is what a block costs when nothing else
 * runs (some block of the hundreds always runs without a switch); the work
 * done over the whole window at that cost, divided by the window, is the
 * fraction of the CPU this partition got:
 *     share = blocks * min_block_tsc / window_tsc
 * It needs no reference run and no TSC frequency. It prints
 *     SHARE permille=<N> blocks=<B> min_block_tsc=<M> window_tsc=<W>
 * and checks share >= BYSTANDER_SHARE_MIN_PERMILLE (the bound the
 * hypervisor promises a bystander beside any one attacker; docs/
 * architecture.md, "Isolation"). */
#include "rt.h"

#define BYSTANDER_WINDOW_NS 1000000000UL /* partition time */
#define BYSTANDER_BLOCK 20000UL          /* ~60,000 instructions */
#define BYSTANDER_SHARE_MIN_PERMILLE 400
/* The time hypercall is an exit: read it only every so many blocks. */
#define BYSTANDER_BLOCKS_PER_CLOCK 16

static void spin_block(void)
{
	unsigned long n = BYSTANDER_BLOCK, acc = 0;

	asm volatile("1: add $1, %1\n\t"
		     "dec %0\n\t"
		     "jnz 1b"
		     : "+r"(n), "+r"(acc)
		     :
		     : "memory");
}

void guest_main(void)
{
	unsigned long end = rt_hc_time_ns() + BYSTANDER_WINDOW_NS;
	uint64_t t0 = rdtsc(), prev = t0, min_block = ~0ULL;
	unsigned long blocks = 0;

	for (;;) {
		spin_block();
		uint64_t now = rdtsc();
		if (now - prev < min_block)
			min_block = now - prev;
		prev = now;
		blocks++;
		if (blocks % BYSTANDER_BLOCKS_PER_CLOCK == 0 && rt_hc_time_ns() >= end)
			break;
	}
	/* The hypercall's own cost is inside some blocks: not in the cheapest. */
	uint64_t window = prev - t0;
	uint64_t permille = window ? (uint64_t)blocks * min_block * 1000 / window : 0;
	rt_printf("SHARE permille=%lu blocks=%lu min_block_tsc=%lu window_tsc=%lu\n",
		  (unsigned long)permille, blocks, (unsigned long)min_block, (unsigned long)window);
	rt_check("bystander_share", permille >= BYSTANDER_SHARE_MIN_PERMILLE,
		 "got %lu permille of its CPU, want at least %u", (unsigned long)permille,
		 BYSTANDER_SHARE_MIN_PERMILLE);
}
