/* SPDX-License-Identifier: BSD-2-Clause */
/* triple-fault: loads an empty IDT (limit 0) and divides by zero. #DE cannot
 * be delivered (#GP), neither can #GP (#DF), nor #DF: a triple fault (SDM
 * Vol. 3A §6.15, "Interrupt 8"). The hypervisor must stop this partition
 * ("partition stopped: triple fault ...") and only it; if the guest keeps
 * running it says so and fails. */
#include "rt.h"

struct empty_idt {
	uint16_t limit;
	uintptr_t base;
} __attribute__((packed));

void guest_main(void)
{
	static const struct empty_idt idt = { 0, 0 };
	unsigned long a = 1, d = 0, zero = 0;

	rt_puts("triple-fault: loading an empty IDT and dividing by zero\n");
	asm volatile("lidt %0" : : "m"(idt));
	asm volatile("div %2" : "+a"(a), "+d"(d) : "r"(zero));
	rt_idt_load();
	rt_fail("triple_fault", "still running after #DE with an empty IDT");
}
