/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-hog: the reference attacker for the bystander-share tests: a plain
 * CPU hog that never exits on its own. Beside it a bystander should get
 * half its host CPU (equal priority, round-robin time slices); every other
 * attacker (atk-*.c) is measured against this. */
#include "rt.h"

void guest_main(void)
{
	rt_printf("atk-hog: spinning\n");
	for (;;)
		asm volatile("" ::: "memory");
}
