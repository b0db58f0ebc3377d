/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-pause-icr: spins on PAUSE while writing its local APIC's ICR (issue
 * 12: on VMX this stopped every other partition on its host CPU). It sends
 * itself a fixed IPI with interrupts disabled, so the vector stays pending
 * and nothing but the hypervisor's time slice can take the CPU from it. */
#include "rt.h"

#define LAPIC_BASE 0xFEE00000ul
#define LAPIC_ICR_LOW 0x300
#define ICR_SHORTHAND_SELF (1u << 18) /* SDM Vol. 3A §11.6.1 */
#define ATK_VECTOR 0x40

static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

void guest_main(void)
{
	rt_printf("atk-pause-icr: spinning\n");
	asm volatile("cli");
	for (;;) {
		mmio_write32(LAPIC_BASE + LAPIC_ICR_LOW, ICR_SHORTHAND_SELF | ATK_VECTOR);
		for (unsigned i = 0; i < 64; i++)
			cpu_relax();
	}
}
