/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-pveoi: KVM's PV EOI turned against the hypervisor (issue 12;
 * docs/hypercall-abi.md, "KVM-compatible leaves"). The enable MSR gets
 * addresses outside RAM, in the LAPIC page and with the reserved bit; an
 * interrupt flood is ended by clearing the bit; the bit is forged, and the
 * word moved or PV EOI turned off while an interrupt is in service. The
 * hypervisor writes only bit 0 of a word in this partition's RAM, so none
 * of it may reach beyond the partition; the attacker's own interrupts must
 * keep flowing (an EOI lost or taken twice would stop or double them). */
#include "atk.h"

#define MSR_KVM_PV_EOI_EN 0x4b564d04u
#define PV_ENABLE 1ull
#define PV_RESERVED 2ull
#define VEC 0x60
#define LAPIC_ISR 0x100
#define FLOOD 500

static volatile uint32_t word[2] __attribute__((aligned(8)));
static volatile unsigned hits, skipped_eois;
static volatile int in_handler_action;

enum { ACT_NONE, ACT_MOVE_WORD, ACT_DISABLE };

/* Linux's kvm_guest_apic_eoi_write: one instruction tests and clears bit
 * 0 of the current word; only if it was clear is the EOI register written. */
static void pv_eoi(volatile uint32_t *w)
{
	uint8_t was;
	asm volatile("btrl $0, %0; setc %1" : "+m"(*w), "=r"(was) : : "memory");
	if (was)
		skipped_eois++;
	else
		lapic_wr(LAPIC_EOI, 0);
}

static volatile uint32_t *current = &word[0];

static void on_irq(uint8_t v, uintptr_t ip)
{
	(void)v;
	(void)ip;
	hits++;
	if (in_handler_action == ACT_MOVE_WORD) {
		rt_try_wrmsr(MSR_KVM_PV_EOI_EN, (uintptr_t)&word[1] | PV_ENABLE);
		current = &word[1];
	} else if (in_handler_action == ACT_DISABLE) {
		rt_try_wrmsr(MSR_KVM_PV_EOI_EN, 0);
	}
	in_handler_action = ACT_NONE;
	pv_eoi(current);
}

static uint8_t own_id(void)
{
	return (uint8_t)(lapic_rd(LAPIC_ID) >> 24);
}

static bool in_service(void)
{
	return lapic_rd(LAPIC_ISR + 0x10 * (VEC / 32)) & (1u << (VEC % 32));
}

/* One self-IPI, let in and handled. */
static void one_ipi(void)
{
	lapic_ipi(own_id(), ICR_DM_FIXED | VEC);
	irq_enable();
	atk_spin(200);
	irq_disable();
}

static void bad_values(void)
{
	const uint64_t bad[] = {
		(uintptr_t)&word[0] | PV_ENABLE | PV_RESERVED,
		ATK_BEYOND_RAM | PV_ENABLE,
		LAPIC_BASE | PV_ENABLE,
		IOAPIC_BASE | PV_ENABLE,
		0xfffffffffffff000ull | PV_ENABLE,
		0x8000000000000000ull | PV_ENABLE,
	};
	unsigned gp = 0;
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++)
		gp += rt_try_wrmsr(MSR_KVM_PV_EOI_EN, bad[i]) == 13;
	uint64_t now = 1;
	rt_try_rdmsr(MSR_KVM_PV_EOI_EN, &now);
	rt_check("pveoi_bad_values_gp", gp == ARRAY_SIZE(bad) && now == 0,
		 "%u of %u refused with #GP, MSR now 0x%llx", gp, (unsigned)ARRAY_SIZE(bad),
		 (unsigned long long)now);
}

static void flood(void)
{
	unsigned before = hits;
	for (unsigned i = 0; i < FLOOD; i++)
		one_ipi();
	rt_check("pveoi_flood_each_once", hits - before == FLOOD && !in_service(),
		 "%u of %u delivered, %u EOIs skipped, vector %s in service", hits - before, FLOOD,
		 skipped_eois, in_service() ? "still" : "not");
}

static void forged_bit(void)
{
	unsigned before = hits;
	*current |= 1; /* claims an EOI the hypervisor never offered */
	one_ipi();
	/* Whether or not the hypervisor armed the bit for this delivery, the
	 * handler's test-and-clear skipped the EOI: any ISR bit left is this
	 * partition's own, and an EOI it writes ends it. */
	if (in_service())
		lapic_wr(LAPIC_EOI, 0);
	one_ipi();
	rt_check("pveoi_forged_bit_own_harm_only", hits - before == 2 && !in_service(),
		 "%u of 2 delivered", hits - before);
}

static void moved_and_disabled(void)
{
	unsigned before = hits;
	in_handler_action = ACT_MOVE_WORD;
	one_ipi();
	one_ipi();
	rt_check("pveoi_word_moved_in_service", hits - before == 2 && !in_service() && !word[0],
		 "%u of 2 delivered, old word %#x", hits - before, word[0]);
	before = hits;
	in_handler_action = ACT_DISABLE;
	one_ipi();
	one_ipi();
	rt_check("pveoi_disabled_in_service", hits - before == 2 && !in_service() && !word[1],
		 "%u of 2 delivered, word %#x", hits - before, word[1]);
}

void guest_main(void)
{
	lapic_enable();
	rt_set_irq_handler(VEC, on_irq);
	bad_values();
	if (rt_try_wrmsr(MSR_KVM_PV_EOI_EN, (uintptr_t)&word[0] | PV_ENABLE) >= 0) {
		rt_fail("pveoi_flood_each_once", "PV EOI cannot be enabled (kvm-pv=off?)");
		return;
	}
	flood();
	forged_bit();
	moved_and_disabled();
}
