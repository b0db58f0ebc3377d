/* SPDX-License-Identifier: BSD-2-Clause */
/* The C side of start-up: runs after start32.S / start64.S loaded the
 * runtime's GDT and cleared .bss. */
#include "rt.h"

/* In .data: the start code fills it before it clears .bss. */
struct rt_boot rt_boot __attribute__((section(".data")));

void rt_main(void);
noreturn void rt_main(void)
{
	rt_idt_load();
	if (!rt_hv_present())
		rt_puts("rt: Bulkhead not detected (no BulkheadHV signature at CPUID 0x40000000): hypercalls disabled\n");
	guest_main();
	rt_done();
}
