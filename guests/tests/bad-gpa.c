/* SPDX-License-Identifier: BSD-2-Clause */
/* bad-gpa: reads guest-physical memory far beyond its RAM (0x3F000000 in a
 * 16 MiB partition; not an MMIO hole), through the loader's identity map.
 * The hypervisor must stop this partition with a clear report
 * ("[bad-gpa] partition stopped: access to unmapped guest-physical
 * 0x3f000000 ..."); if the read returns, the guest says so and fails. */
#include "rt.h"

#define BAD_GPA 0x3f000000ul

void guest_main(void)
{
	uint32_t v;

	rt_printf("bad-gpa: reading guest-physical 0x%lx (beyond RAM); the partition must stop\n",
		  BAD_GPA);
	v = *(volatile uint32_t *)BAD_GPA;
	rt_fail("bad_gpa", "still running (the read returned 0x%x)", v);
}
