/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared helpers of the adversarial guests (guests/tests/atk-*.c; issue 12,
 * "The adversarial suite"; docs/isolation.md has the inventory).
 *
 * Every attacker reports what it tried as test cases ("TEST <attack>:
 * PASS" when the hypervisor contained it: the attack had no effect beyond
 * the attacker's own partition, it got the fault the CPU would give, and
 * nothing it read held data that is not its own). An attack the hypervisor
 * answers by stopping the partition prints "ATTACK <what>" first; the
 * test then matches the hypervisor's one "partition stopped: ..." line. */
#ifndef BULKHEAD_GUEST_ATK_H
#define BULKHEAD_GUEST_ATK_H

#include "rt.h"

/* Local APIC (SDM Vol. 3A §11.4.1, Table 11-1) and I/O APIC (82093AA §3). */
#define LAPIC_BASE 0xFEE00000ul
#define LAPIC_ID 0x20
#define LAPIC_EOI 0xB0
#define LAPIC_LDR 0xD0
#define LAPIC_SVR 0xF0
#define LAPIC_ICR_LOW 0x300
#define LAPIC_ICR_HIGH 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_DIV 0x3E0
#define LAPIC_SVR_ENABLE (1u << 8)
#define IOAPIC_BASE 0xFEC00000ul
#define IOAPIC_REGSEL 0x00
#define IOAPIC_WIN 0x10
#define IOAPIC_REDTBL(pin) (0x10 + 2 * (pin))
/* The test device's MMIO page (guests/README.md, "Test devices"). */
#define TESTDEV_MMIO 0xFEB00000ul

/* ICR fields (SDM Vol. 3A §11.6.1, Figure 11-12). */
#define ICR_DM_FIXED (0u << 8)
#define ICR_DM_LOWEST (1u << 8)
#define ICR_DM_SMI (2u << 8)
#define ICR_DM_RESERVED (3u << 8)
#define ICR_DM_NMI (4u << 8)
#define ICR_DM_INIT (5u << 8)
#define ICR_DM_STARTUP (6u << 8)
#define ICR_DM_EXTINT (7u << 8)
#define ICR_DEST_LOGICAL (1u << 11)
#define ICR_BUSY (1u << 12)
#define ICR_ASSERT (1u << 14)
#define ICR_LEVEL (1u << 15)
#define ICR_SH_SELF (1u << 18)
#define ICR_SH_ALL (2u << 18)
#define ICR_SH_OTHERS (3u << 18)

/* x2APIC (SDM Vol. 3A §11.12): IA32_APIC_BASE bits, the ICR and SELF IPI MSRs. */
#define MSR_APIC_BASE 0x1B
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_EN (1ull << 11)
#define MSR_X2APIC_EOI 0x80B
#define MSR_X2APIC_LDR 0x80D
#define MSR_X2APIC_ICR 0x830
#define MSR_X2APIC_SELF_IPI 0x83F
#define CPUID1_ECX_X2APIC (1u << 21)

/* A guest-physical address far beyond any attacker's RAM and outside every
 * MMIO hole (as bad-gpa.c). */
#define ATK_BEYOND_RAM 0x3f000000ul

static inline uint32_t mmio_rd32(uintptr_t a)
{
	return *(volatile uint32_t *)a;
}
static inline void mmio_wr32(uintptr_t a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}
static inline uint32_t lapic_rd(unsigned off)
{
	return mmio_rd32(LAPIC_BASE + off);
}
static inline void lapic_wr(unsigned off, uint32_t v)
{
	mmio_wr32(LAPIC_BASE + off, v);
}
static inline void lapic_enable(void)
{
	lapic_wr(LAPIC_SVR, LAPIC_SVR_ENABLE | 0xFF);
}

/* Sends one IPI through the xAPIC ICR and waits (bounded) for it to leave. */
static inline void lapic_ipi(uint8_t dest, uint32_t low)
{
	lapic_wr(LAPIC_ICR_HIGH, (uint32_t)dest << 24);
	lapic_wr(LAPIC_ICR_LOW, low);
	for (unsigned i = 0; i < 1000 && (lapic_rd(LAPIC_ICR_LOW) & ICR_BUSY); i++)
		cpu_relax();
}

static inline void ioapic_wr(unsigned reg, uint32_t v)
{
	mmio_wr32(IOAPIC_BASE + IOAPIC_REGSEL, reg);
	mmio_wr32(IOAPIC_BASE + IOAPIC_WIN, v);
}
static inline uint32_t ioapic_rd(unsigned reg)
{
	mmio_wr32(IOAPIC_BASE + IOAPIC_REGSEL, reg);
	return mmio_rd32(IOAPIC_BASE + IOAPIC_WIN);
}

/* Spins (interrupts as they are) for about n iterations. */
static inline void atk_spin(unsigned long n)
{
	while (n--)
		cpu_relax();
}

/* The vector of the exception the tried instruction raised, -1 if none. */
static inline int atk_vector(void)
{
	struct rt_exc_record r = rt_exc_result();
	return r.hit ? (int)r.vector : -1;
}

/* Announces an attack the hypervisor must answer by stopping this
 * partition; if the guest is still running afterwards, that is a failure. */
static inline void atk_announce(const char *what)
{
	rt_printf("ATTACK %s; the partition must stop\n", what);
}
static inline noreturn void atk_survived(const char *name)
{
	rt_fail(name, "the partition was not stopped");
	rt_done();
}

#endif
