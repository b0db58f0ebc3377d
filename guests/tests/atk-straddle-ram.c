/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-straddle-ram: a quadword load that starts in the last bytes of the
 * partition's RAM (4 MiB) and ends beyond it (issue 12, "page-straddling"
 * accesses): the part outside RAM is nobody's, so the partition is
 * stopped at the unmapped guest-physical page. */
#include "atk.h"

#define RAM_END 0x400000ul /* mem=4M in the test */

void guest_main(void)
{
	atk_announce("quadword across the end of RAM");
	uint64_t v = *(volatile uint64_t *)(RAM_END - 4);
	rt_printf("read %lx\n", (unsigned long)v);
	atk_survived("straddle_ram_end");
}
