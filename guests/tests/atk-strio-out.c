/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-strio-out: REP OUTSB whose source lies beyond the partition's RAM
 * (issue 12, "attempts to read the hypervisor's or another partition's
 * memory through every device"): the string is read by the hypervisor on
 * the guest's behalf, so a missing bounds check would send another
 * partition's bytes to the port. The partition must be stopped. */
#include "atk.h"

void guest_main(void)
{
	const void *src = (const void *)ATK_BEYOND_RAM;
	unsigned long n = 64;
	atk_announce("REP OUTSB from beyond RAM");
	asm volatile("rep outsb" : "+S"(src), "+c"(n) : "d"(0x80) : "memory");
	atk_survived("strio_out_beyond_ram");
}
