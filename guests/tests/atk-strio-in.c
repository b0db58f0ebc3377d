/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-strio-in: REP INSB whose destination lies beyond the partition's RAM
 * (issue 12): the hypervisor writes the port's bytes on the guest's behalf,
 * so a missing bounds check would write into another partition or the
 * hypervisor. The partition must be stopped. */
#include "atk.h"

void guest_main(void)
{
	void *dst = (void *)(ATK_BEYOND_RAM + 0x100);
	unsigned long n = 64;
	atk_announce("REP INSB to beyond RAM");
	asm volatile("rep insb" : "+D"(dst), "+c"(n) : "d"(0x80) : "memory");
	atk_survived("strio_in_beyond_ram");
}
