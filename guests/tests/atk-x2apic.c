/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-x2apic: the x2APIC MSR interface probed for holes (issue 12). x2APIC
 * MSRs before x2APIC mode, writes to read-only registers, reads of
 * write-only ones, reserved bits and registers that do not exist must all
 * be #GP (SDM Vol. 3A §11.12.1.2-3); a self-IPI flood with interrupts off
 * must leave one interrupt, as the IRR holds one per vector. */
#include "atk.h"

#define X2(reg) (0x800u + (reg))
#define VEC 0x61
#define FLOOD 10000

static volatile unsigned hits;

static void on_irq(uint8_t v, uintptr_t ip)
{
	(void)v;
	(void)ip;
	hits++;
	rt_try_wrmsr(MSR_X2APIC_EOI, 0);
}

static unsigned gps_of_reads(const uint32_t *msrs, unsigned n)
{
	unsigned gp = 0;
	uint64_t v;
	for (unsigned i = 0; i < n; i++)
		gp += rt_try_rdmsr(msrs[i], &v) == 13;
	return gp;
}

static unsigned gps_of_writes(const uint32_t *msrs, const uint64_t *vals, unsigned n)
{
	unsigned gp = 0;
	for (unsigned i = 0; i < n; i++)
		gp += rt_try_wrmsr(msrs[i], vals[i]) == 13;
	return gp;
}

static void before_x2apic_mode(void)
{
	static const uint32_t msrs[] = { X2(0x2), X2(0x3), X2(0x8), X2(0xB), 0x830, 0x83F };
	static const uint64_t zeros[ARRAY_SIZE(msrs)];
	unsigned r = gps_of_reads(msrs, ARRAY_SIZE(msrs));
	unsigned w = gps_of_writes(msrs, zeros, ARRAY_SIZE(msrs));
	rt_check("x2apic_msrs_in_xapic_mode_gp", r == ARRAY_SIZE(msrs) && w == ARRAY_SIZE(msrs),
		 "%u reads and %u writes of %u refused", r, w, (unsigned)ARRAY_SIZE(msrs));
}

static void read_only_and_write_only(void)
{
	/* ID, version, PPR, ISR0, TMR0, IRR0, timer current count. */
	static const uint32_t ro[] = { X2(0x2),  X2(0x3),  X2(0xA), X2(0x10),
				       X2(0x18), X2(0x20), X2(0x39) };
	static const uint64_t ones[ARRAY_SIZE(ro)] = { 1, 1, 1, 1, 1, 1, 1 };
	unsigned w = gps_of_writes(ro, ones, ARRAY_SIZE(ro));
	static const uint32_t wo[] = { X2(0xB), X2(0x3F) }; /* EOI, SELF IPI */
	unsigned r = gps_of_reads(wo, ARRAY_SIZE(wo));
	rt_check("x2apic_read_only_and_write_only_gp", w == ARRAY_SIZE(ro) && r == ARRAY_SIZE(wo),
		 "%u of %u writes, %u of %u reads", w, (unsigned)ARRAY_SIZE(ro), r,
		 (unsigned)ARRAY_SIZE(wo));
}

static void reserved(void)
{
	/* EOI with a value, SELF IPI above bit 7, a register's upper half, the
	 * ICR's delivery-status bit, registers that do not exist in x2APIC
	 * mode (0x804-0x807, ICR high 0x831, DFR 0x80E). */
	static const uint32_t msrs[] = { X2(0xB), X2(0x3F), X2(0x8),  X2(0x30),
					 X2(0x4), X2(0x7),  X2(0x31), X2(0xE) };
	static const uint64_t vals[] = { 1, 0x100, 1ull << 32, 1u << 12 | VEC, 0, 0, 0, 0 };
	unsigned w = gps_of_writes(msrs, vals, ARRAY_SIZE(msrs));
	static const uint32_t absent[] = { X2(0x4), X2(0x7), X2(0x31), X2(0xE), X2(0x40), X2(0xFF) };
	unsigned r = gps_of_reads(absent, ARRAY_SIZE(absent));
	rt_check("x2apic_reserved_gp", w == ARRAY_SIZE(msrs) && r == ARRAY_SIZE(absent),
		 "%u of %u writes, %u of %u reads", w, (unsigned)ARRAY_SIZE(msrs), r,
		 (unsigned)ARRAY_SIZE(absent));
}

static void self_ipi_flood(void)
{
	irq_disable();
	for (unsigned i = 0; i < FLOOD; i++)
		rt_try_wrmsr(MSR_X2APIC_SELF_IPI, VEC);
	irq_enable();
	atk_spin(2000);
	irq_disable();
	rt_check_eq("x2apic_self_ipi_flood_one_pending", "deliveries", hits, 1);
}

void guest_main(void)
{
	if (!(cpuid(1, 0).ecx & CPUID1_ECX_X2APIC)) {
		rt_fail("x2apic_msrs_in_xapic_mode_gp", "x2APIC not offered (x2apic=off?)");
		return;
	}
	lapic_enable();
	rt_set_irq_handler(VEC, on_irq);
	before_x2apic_mode();
	uint64_t base = 0;
	rt_try_rdmsr(MSR_APIC_BASE, &base);
	if (rt_try_wrmsr(MSR_APIC_BASE, base | APIC_BASE_EN | APIC_BASE_EXTD) >= 0) {
		rt_fail("x2apic_read_only_and_write_only_gp", "cannot enter x2APIC mode");
		return;
	}
	read_only_and_write_only();
	reserved();
	self_ipi_flood();
}
