/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-ipi: interprocessor interrupts aimed past the partition (issue 12,
 * "IPIs, INIT and SIPI aimed at other partitions' vCPUs"). A one-vCPU
 * partition sends fixed, NMI, INIT and start-up IPIs to every APIC ID that
 * is not its own, with every shorthand and destination mode, then the same
 * through the x2APIC ICR MSR, and IPIs with delivery modes that do not
 * exist. Each partition has its own local APICs (platform/pc), so none of
 * them may reach the bystander, which must run on undisturbed (the test
 * rejects any restart); the attacker itself must receive exactly the
 * messages that name it (a broadcast, all-including-self), no more. */
#include "atk.h"

#define VEC_FOREIGN 0x50
#define VEC_BCAST 0x51
#define VEC_MODES 0x52
#define VEC_X2 0x53
#define SIPI_PAGE 0x10 /* start-up vector: page 0x10000 */

static volatile unsigned hits[256];

static void on_irq(uint8_t v, uintptr_t ip)
{
	(void)ip;
	hits[v]++;
	lapic_wr(LAPIC_EOI, 0);
}

static void on_x2_irq(uint8_t v, uintptr_t ip)
{
	(void)ip;
	hits[v]++;
	uint64_t zero = 0;
	rt_try_wrmsr(MSR_X2APIC_EOI, zero);
}

static uint8_t own_id(void)
{
	return (uint8_t)(lapic_rd(LAPIC_ID) >> 24);
}

/* Lets any delivered interrupt in (IF = 1 for a moment). */
static void drain(void)
{
	irq_enable();
	atk_spin(2000);
	irq_disable();
}

static void foreign_fixed(uint8_t me)
{
	for (unsigned id = 0; id < 0xFF; id++)
		if (id != me)
			lapic_ipi((uint8_t)id, ICR_DM_FIXED | VEC_FOREIGN);
	drain();
	rt_check_eq("ipi_fixed_foreign_ids", "deliveries to self", hits[VEC_FOREIGN], 0);
}

static void foreign_nmi(uint8_t me)
{
	/* An NMI reaching this vCPU would be an unexpected exception (FAIL). */
	for (unsigned id = 0; id < 0xFF; id++)
		if (id != me)
			lapic_ipi((uint8_t)id, ICR_DM_NMI | ICR_ASSERT);
	lapic_ipi(0, ICR_DM_NMI | ICR_ASSERT | ICR_SH_OTHERS);
	drain();
	rt_pass("ipi_nmi_foreign_ids");
}

static void foreign_init_sipi(uint8_t me)
{
	for (unsigned id = 0; id < 0xFF; id++) {
		if (id == me)
			continue;
		lapic_ipi((uint8_t)id, ICR_DM_INIT | ICR_ASSERT | ICR_LEVEL);
		lapic_ipi((uint8_t)id, ICR_DM_INIT | ICR_LEVEL); /* de-assert */
		lapic_ipi((uint8_t)id, ICR_DM_STARTUP | SIPI_PAGE);
		lapic_ipi((uint8_t)id, ICR_DM_STARTUP | SIPI_PAGE);
	}
	lapic_ipi(0, ICR_DM_INIT | ICR_ASSERT | ICR_SH_OTHERS);
	lapic_ipi(0, ICR_DM_STARTUP | SIPI_PAGE | ICR_SH_OTHERS);
	/* Broadcast ID and logical all-ones, except self: still nobody else. */
	lapic_ipi(0xFF, ICR_DM_STARTUP | SIPI_PAGE);
	lapic_ipi(0xFF, ICR_DM_STARTUP | SIPI_PAGE | ICR_DEST_LOGICAL);
	drain();
	rt_check_eq("ipi_init_sipi_foreign", "own APIC ID after", own_id(), me);
}

static void broadcasts(void)
{
	/* One at a time: two pending of one vector are one IRR bit. */
	lapic_ipi(0xFF, ICR_DM_FIXED | VEC_BCAST); /* physical broadcast */
	drain();
	lapic_ipi(0, ICR_DM_FIXED | VEC_BCAST | ICR_SH_ALL); /* all including self */
	drain();
	lapic_ipi(0, ICR_DM_FIXED | VEC_BCAST | ICR_SH_OTHERS); /* nobody */
	drain();
	lapic_ipi(0xFF, ICR_DM_LOWEST | VEC_BCAST); /* one of all: self */
	drain();
	/* Two certain deliveries; lowest priority may pick this vCPU or none. */
	rt_check("ipi_broadcast_shorthand", hits[VEC_BCAST] == 2 || hits[VEC_BCAST] == 3,
		 "%u deliveries to self, want 2 or 3", hits[VEC_BCAST]);
	unsigned before = hits[VEC_BCAST];
	lapic_wr(LAPIC_LDR, 0x01000000); /* logical ID 1 (flat model) */
	for (unsigned d = 1; d < 0x100; d <<= 1)
		lapic_ipi((uint8_t)d, ICR_DM_FIXED | VEC_BCAST | ICR_DEST_LOGICAL);
	drain();
	rt_check_eq("ipi_logical_destinations", "deliveries to self", hits[VEC_BCAST] - before, 1);
}

static void bad_modes(void)
{
	static const uint32_t modes[] = { ICR_DM_SMI, ICR_DM_RESERVED, ICR_DM_EXTINT };
	for (unsigned i = 0; i < ARRAY_SIZE(modes); i++) {
		lapic_ipi(0, modes[i] | VEC_MODES | ICR_SH_SELF);
		lapic_ipi(0, modes[i] | VEC_MODES | ICR_SH_ALL);
		lapic_ipi(0xFF, modes[i] | VEC_MODES | ICR_ASSERT | ICR_LEVEL);
	}
	drain();
	rt_check_eq("ipi_invalid_delivery_modes", "deliveries", hits[VEC_MODES], 0);
}

static bool x2apic_logical_self(uint32_t dest, uint64_t ldr)
{
	return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xFFFF);
}

static void x2apic(uint8_t me)
{
	if (!(cpuid(1, 0).ecx & CPUID1_ECX_X2APIC)) {
		rt_printf("atk-ipi: no x2APIC offered\n");
		rt_pass("x2apic_icr_foreign");
		return;
	}
	uint64_t base;
	if (rt_try_rdmsr(MSR_APIC_BASE, &base) >= 0 ||
	    rt_try_wrmsr(MSR_APIC_BASE, base | APIC_BASE_EN | APIC_BASE_EXTD) >= 0) {
		rt_fail("x2apic_icr_foreign", "cannot enter x2APIC mode");
		return;
	}
	rt_set_irq_handler(VEC_X2, on_x2_irq);
	uint64_t ldr = 0;
	rt_try_rdmsr(MSR_X2APIC_LDR, &ldr);
	static const uint32_t dests[] = { 1, 2, 0xFE, 0x100, 0xFFFF, 0x12345678, 0xFFFFFFFE };
	for (unsigned i = 0; i < ARRAY_SIZE(dests); i++) {
		if (dests[i] == me)
			continue;
		uint64_t d = (uint64_t)dests[i] << 32;
		rt_try_wrmsr(MSR_X2APIC_ICR, d | ICR_DM_FIXED | VEC_X2);
		rt_try_wrmsr(MSR_X2APIC_ICR, d | ICR_DM_NMI | ICR_ASSERT);
		rt_try_wrmsr(MSR_X2APIC_ICR, d | ICR_DM_INIT | ICR_ASSERT | ICR_LEVEL);
		rt_try_wrmsr(MSR_X2APIC_ICR, d | ICR_DM_STARTUP | SIPI_PAGE);
		/* Cluster mode (SDM Vol. 3A §10.12.10.2): a logical destination
		 * that names this vCPU's own cluster and bit is not foreign. */
		if (!x2apic_logical_self(dests[i], ldr))
			rt_try_wrmsr(MSR_X2APIC_ICR, d | ICR_DM_FIXED | VEC_X2 | ICR_DEST_LOGICAL);
	}
	drain();
	rt_check_eq("x2apic_icr_foreign", "deliveries to self", hits[VEC_X2], 0);
	/* The x2APIC broadcast ID reaches this vCPU only. */
	rt_try_wrmsr(MSR_X2APIC_ICR, 0xFFFFFFFFull << 32 | ICR_DM_FIXED | VEC_X2);
	drain();
	rt_try_wrmsr(MSR_X2APIC_SELF_IPI, VEC_X2);
	drain();
	rt_check_eq("x2apic_broadcast_and_self", "deliveries to self", hits[VEC_X2], 2);
}

void guest_main(void)
{
	uint8_t me = own_id();

	rt_set_irq_handler(VEC_FOREIGN, on_irq);
	rt_set_irq_handler(VEC_BCAST, on_irq);
	rt_set_irq_handler(VEC_MODES, on_irq);
	lapic_enable();
	rt_printf("atk-ipi: APIC ID %u sends to every other ID\n", me);
	foreign_fixed(me);
	foreign_nmi(me);
	foreign_init_sipi(me);
	broadcasts();
	bad_modes();
	x2apic(me);
}
