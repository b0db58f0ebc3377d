/* SPDX-License-Identifier: BSD-2-Clause */
/* tlb-tag: no partition sees another's guest-virtual translations (issue
 * 12 item 6). Run as three partitions on one host CPU with asid_max=2, so
 * they must share two ASIDs (SVM) or VPIDs (VMX) between them
 * (core/tlb_tag.h). Each partition is this same image: the same
 * guest-virtual pages at the same guest-physical addresses, backed by
 * different host memory. Each writes a value of its own into TLB_PAGES
 * pages, then reads them back after every HC_YIELD for TLB_ROUNDS rounds,
 * the translations warm in the TLB from the read before the yield. A TLB
 * entry left by another partition under a shared tag would show its value
 * here. Prints "tlb-tag: foreign=N" for the test to match. */
#include "rt.h"

#define TLB_PAGES 16
#define TLB_ROUNDS 600
#define PAGE_WORDS 512

static volatile uint64_t pages[TLB_PAGES][PAGE_WORDS] __attribute__((aligned(4096)));

static uint64_t value(uint64_t own, unsigned page)
{
	return own ^ ((uint64_t)page << 56);
}

void guest_main(void)
{
	/* The TSC at start differs between the partitions (they start one
	 * after another); the odd multiplier spreads it. */
	uint64_t own = (rdtsc() * 0x9e3779b97f4a7c15ull) | 1;
	unsigned foreign = 0, bad_yield = 0;
	uint64_t first_bad = 0;

	for (unsigned p = 0; p < TLB_PAGES; p++)
		pages[p][0] = value(own, p);
	for (unsigned round = 0; round < TLB_ROUNDS; round++) {
		for (unsigned p = 0; p < TLB_PAGES; p++) {
			uint64_t got = pages[p][0];
			if (got != value(own, p)) {
				if (!foreign)
					first_bad = got;
				foreign++;
			}
		}
		if (rt_hc_yield() != 0)
			bad_yield++;
	}
	rt_printf("tlb-tag: foreign=%u (of %u reads)\n", foreign, TLB_PAGES * TLB_ROUNDS);
	rt_check("tlb_tag_yield", !bad_yield, "%u HC_YIELD calls failed", bad_yield);
	rt_check("tlb_tag_own_data", !foreign, "%u reads saw another value; first 0x%llx, own 0x%llx",
		 foreign, (unsigned long long)first_bad, (unsigned long long)own);
	rt_done();
}
