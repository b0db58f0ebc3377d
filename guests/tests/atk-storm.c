/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-storm: interrupt storms (issue 12), one after another, each for
 * STORM_NS of the partition's time, while a bystander shares the host CPU
 * and measures its share (bystander.c): a self-IPI storm (the ICR written
 * back to back, each interrupt EOId at once), a LAPIC timer in periodic
 * mode with an initial count of 1 and divide-by-1, the PIT at its highest
 * rate through the I/O APIC (edge, EOId), the same pin level-triggered and
 * never EOId (the I/O APIC's remote IRR must hold it to one delivery),
 * and every I/O APIC pin pointed at vectors 0-15, which a local APIC
 * refuses as illegal (SDM Vol. 3A §11.5.3): none may reach the IDT as an
 * exception. Each storm must only cost this partition its own time: the
 * bystander beside it keeps at least 40% of the CPU. */
#include "atk.h"

#define STORM_NS 250000000ul
#define VEC_SELF 0x60
#define VEC_TIMER 0x61
#define VEC_PIT 0x62
#define VEC_LEVEL 0x63
#define LVT_PERIODIC (1u << 17)
#define LVT_MASKED (1u << 16)
#define TIMER_DIV_1 0xB
#define PIT_CMD 0x43
#define PIT_CH0 0x40
#define PIT_CH0_RATEGEN 0x34 /* channel 0, lobyte/hibyte, mode 2 */
#define PIC1_DATA 0x21
#define PIC2_DATA 0xA1
#define PIT_1KHZ 1193
#define PIT_GSI 2 /* IRQ 0 -> GSI 2 (the MADT's override) */
#define IOAPIC_LEVEL (1u << 15)
#define IOAPIC_MASKED (1u << 16)
#define IOAPIC_PINS 24

static volatile unsigned long hits[256];

/* Where an interrupt and its EOI take longer than the period (Bochs counts
 * the hypervisor's instructions as time), a storm leaves the interrupted
 * loop no time to see its end: the handlers end a storm themselves after
 * STORM_MAX interrupts. */
#define STORM_MAX 20000ul

static void on_irq_eoi(uint8_t v, uintptr_t ip)
{
	(void)ip;
	if (++hits[v] == STORM_MAX) {
		if (v == VEC_TIMER)
			lapic_wr(LAPIC_LVT_TIMER, LVT_MASKED);
		if (v == VEC_PIT)
			ioapic_wr(IOAPIC_REDTBL(PIT_GSI), IOAPIC_MASKED);
	}
	lapic_wr(LAPIC_EOI, 0);
}

static void on_irq_no_eoi(uint8_t v, uintptr_t ip)
{
	(void)ip;
	hits[v]++;
}

static unsigned long until(void)
{
	return rt_hc_time_ns() + STORM_NS;
}

static void self_ipi_storm(void)
{
	unsigned long end = until(), sent = 0;
	irq_enable();
	while (rt_hc_time_ns() < end)
		for (unsigned i = 0; i < 256; i++, sent++)
			lapic_wr(LAPIC_ICR_LOW, ICR_SH_SELF | ICR_DM_FIXED | VEC_SELF);
	irq_disable();
	rt_printf("atk-storm: %lu self-IPIs sent, %lu taken\n", sent, hits[VEC_SELF]);
	rt_check("self_ipi_storm", hits[VEC_SELF] > 0 && hits[VEC_SELF] <= sent, "%lu taken of %lu",
		 hits[VEC_SELF], sent);
}

static void timer_storm(void)
{
	unsigned long end = until();
	lapic_wr(LAPIC_TIMER_DIV, TIMER_DIV_1);
	lapic_wr(LAPIC_LVT_TIMER, LVT_PERIODIC | VEC_TIMER);
	lapic_wr(LAPIC_TIMER_INIT, 1);
	irq_enable();
	while (rt_hc_time_ns() < end)
		atk_spin(1000);
	irq_disable();
	lapic_wr(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_wr(LAPIC_TIMER_INIT, 0);
	rt_printf("atk-storm: periodic timer of count 1: %lu interrupts\n", hits[VEC_TIMER]);
	rt_check("lapic_timer_storm", hits[VEC_TIMER] > 0, "no timer interrupt");
}

static void pit_rate(uint16_t divisor)
{
	outb(PIT_CMD, PIT_CH0_RATEGEN);
	outb(PIT_CH0, (uint8_t)divisor);
	outb(PIT_CH0, (uint8_t)(divisor >> 8));
}

static void pit_storms(void)
{
	outb(PIC1_DATA, 0xFF);
	outb(PIC2_DATA, 0xFF);
	ioapic_wr(IOAPIC_REDTBL(PIT_GSI) + 1, 0);
	ioapic_wr(IOAPIC_REDTBL(PIT_GSI), VEC_PIT);
	pit_rate(2);
	unsigned long end = until();
	irq_enable();
	while (rt_hc_time_ns() < end)
		atk_spin(1000);
	irq_disable();
	rt_printf("atk-storm: PIT at divisor 2: %lu interrupts\n", hits[VEC_PIT]);
	rt_check("pit_ioapic_storm", hits[VEC_PIT] > 0, "no PIT interrupt");

	/* Level-triggered, never EOId: remote IRR holds the pin. The PIT
	 * goes back to 1 kHz first: at divisor 2 its deadlines, due on every
	 * entry, leave this vCPU no time of its own under Bochs' clock. */
	pit_rate(PIT_1KHZ);
	ioapic_wr(IOAPIC_REDTBL(PIT_GSI), VEC_LEVEL | IOAPIC_LEVEL);
	end = until();
	irq_enable();
	while (rt_hc_time_ns() < end)
		atk_spin(1000);
	irq_disable();
	ioapic_wr(IOAPIC_REDTBL(PIT_GSI), IOAPIC_MASKED);
	rt_printf("atk-storm: level-triggered without EOI: %lu interrupts\n", hits[VEC_LEVEL]);
	rt_check("level_irq_without_eoi", hits[VEC_LEVEL] <= 1, "%lu deliveries, want at most 1",
		 hits[VEC_LEVEL]);
	lapic_wr(LAPIC_EOI, 0);
}

static void low_vectors(void)
{
	/* Vectors 0-15 on every pin, edge and level, with the PIT still
	 * running: an illegal vector is dropped (an exception vector
	 * reaching the IDT would be "unexpected_exception: FAIL"). */
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		ioapic_wr(IOAPIC_REDTBL(pin) + 1, 0xFF000000u);
		ioapic_wr(IOAPIC_REDTBL(pin), (pin % 16) | (pin & 1 ? IOAPIC_LEVEL : 0));
	}
	unsigned long end = until();
	irq_enable();
	while (rt_hc_time_ns() < end)
		atk_spin(1000);
	irq_disable();
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		ioapic_wr(IOAPIC_REDTBL(pin), IOAPIC_MASKED);
	pit_rate(0);
	rt_pass("ioapic_illegal_vectors");
}

void guest_main(void)
{
	rt_set_irq_handler(VEC_SELF, on_irq_eoi);
	rt_set_irq_handler(VEC_TIMER, on_irq_eoi);
	rt_set_irq_handler(VEC_PIT, on_irq_eoi);
	rt_set_irq_handler(VEC_LEVEL, on_irq_no_eoi);
	lapic_enable();
	self_ipi_storm();
	timer_storm();
	pit_storms();
	low_vectors();
}
