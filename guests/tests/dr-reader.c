/* SPDX-License-Identifier: BSD-2-Clause */
/* dr-reader: runs on the same host CPU as dr-writer (affinity=0) and reads
 * DR0-DR3 after every HC_YIELD (dr-leak.h). For the first half of its
 * rounds it writes nothing, so every register must read 0 (its reset
 * value); for the second half it writes values of its own before each
 * yield and must read exactly those back. Every other value is a leak.
 * It prints "dr-reader: leaks=N" for the suite to match. */
#include "dr-leak.h"

void guest_main(void)
{
	unsigned leaks = 0, foreign = 0, bad_yield = 0;
	uint64_t d[DR_REGS], first_bad[DR_REGS] = { 0 };

	for (unsigned round = 0; round < DR_ROUNDS; round++) {
		bool own = round >= DR_ROUNDS / 2;

		if (own)
			dr_write_all(DR_TAG_READER, round);
		if (rt_hc_yield() != 0)
			bad_yield++;
		dr_read_all(d);
		unsigned bad = dr_mismatches(d, DR_TAG_READER, own ? (long)round : -1,
					     DR_TAG_WRITER, &foreign);
		if (bad && !leaks)
			memcpy(first_bad, d, sizeof(d));
		leaks += bad;
	}
	rt_printf("dr-reader: leaks=%u (of %u reads; %u held dr-writer's values)\n", leaks,
		  DR_ROUNDS * DR_REGS, foreign);
	rt_check("dr_reader_yield", !bad_yield, "%u HC_YIELD calls failed", bad_yield);
	rt_check("dr_reader_no_leak", !leaks, "%u foreign values; first: 0x%llx 0x%llx 0x%llx 0x%llx",
		 leaks, (unsigned long long)first_bad[0], (unsigned long long)first_bad[1],
		 (unsigned long long)first_bad[2], (unsigned long long)first_bad[3]);
	rt_done();
}
