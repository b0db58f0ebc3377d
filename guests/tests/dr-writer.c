/* SPDX-License-Identifier: BSD-2-Clause */
/* dr-writer: writes its own values into DR0-DR3 every round, yields to the
 * partition on the same CPU (dr-reader) and checks they are still there
 * (dr-leak.h). Its values must neither leak to dr-reader nor be replaced
 * by dr-reader's. */
#include "dr-leak.h"

void guest_main(void)
{
	unsigned lost = 0, foreign = 0, bad_yield = 0;
	uint64_t d[DR_REGS], first_bad[DR_REGS] = { 0 };

	for (unsigned round = 0; round < DR_ROUNDS; round++) {
		dr_write_all(DR_TAG_WRITER, round);
		if (rt_hc_yield() != 0)
			bad_yield++;
		dr_read_all(d);
		unsigned bad = dr_mismatches(d, DR_TAG_WRITER, round, DR_TAG_READER, &foreign);
		if (bad && !lost)
			memcpy(first_bad, d, sizeof(d));
		lost += bad;
	}
	rt_check("dr_writer_yield", !bad_yield, "%u HC_YIELD calls failed", bad_yield);
	rt_check("dr_writer_kept", !lost,
		 "%u of %u register reads lost the value written (%u held dr-reader's); first: "
		 "0x%llx 0x%llx 0x%llx 0x%llx",
		 lost, DR_ROUNDS * DR_REGS, foreign, (unsigned long long)first_bad[0],
		 (unsigned long long)first_bad[1], (unsigned long long)first_bad[2],
		 (unsigned long long)first_bad[3]);
	rt_done();
}
