/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-hlt-cli: HLT with interrupts disabled, forever (issue 12). Nothing
 * can wake a one-vCPU partition from it: the hypervisor must take the host
 * CPU back at once and stop the partition with one line. */
#include "atk.h"

void guest_main(void)
{
	atk_announce("HLT with IF=0");
	for (;;)
		asm volatile("cli; hlt" : : : "memory");
}
