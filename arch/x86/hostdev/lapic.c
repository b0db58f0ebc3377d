/* SPDX-License-Identifier: BSD-2-Clause */
/* The host local APIC in xAPIC mode (Intel SDM Vol. 3A chapter 10; AMD APM
 * Vol. 2 §16.3): enabled, every LVT but the timer masked, the timer in
 * one-shot mode with divide-by-1 and calibrated once against the TSC. */
#include "arch/x86/cpu/cpu.h"
#include "arch/x86/cpu/paging.h"
#include "arch/x86/cpu/trap.h"
#include "arch/x86/cpu/tsc.h"
#include "core/log.h"
#include "core/mm/frame.h"
#include "core/percpu.h"
#include "arch/x86/hostdev/lapic.h"

/* IA32_APIC_BASE (SDM Vol. 3A §10.4.4). */
#define APIC_BASE_ENABLE BIT(11)
#define APIC_BASE_ADDR_MASK 0xffffff000ULL

/* Register offsets (SDM Vol. 3A Table 10-1). */
#define APIC_REG_ID 0x20
#define APIC_REG_EOI 0xb0
#define APIC_REG_SVR 0xf0
#define APIC_REG_ESR 0x280
#define APIC_REG_ICR_LO 0x300
#define APIC_REG_ICR_HI 0x310
#define APIC_REG_LVT_TIMER 0x320
#define APIC_REG_LVT_LINT0 0x350
#define APIC_REG_LVT_LINT1 0x360
#define APIC_REG_LVT_ERROR 0x370
#define APIC_REG_TIMER_INIT 0x380
#define APIC_REG_TIMER_CUR 0x390
#define APIC_REG_TIMER_DIV 0x3e0

#define APIC_SVR_ENABLE BIT(8)
#define APIC_LVT_MASKED BIT(16)
#define APIC_LVT_DM_NMI (4u << 8)
#define APIC_BASE_BSP BIT(8)
#define APIC_TIMER_DIV_1 0xb /* divide configuration 1011b (SDM Figure 10-10) */
#define APIC_ID_SHIFT 24

/* Interrupt command register (SDM Vol. 3A §10.6.1, Figure 10-12). */
#define ICR_DM_FIXED (0u << 8)
#define ICR_DM_INIT (5u << 8)
#define ICR_DM_STARTUP (6u << 8)
#define ICR_SEND_PENDING BIT(12) /* delivery status */
#define ICR_LEVEL_ASSERT BIT(14)
#define ICR_TRIGGER_LEVEL BIT(15)
#define ICR_DEST_SHIFT 24 /* in ICR_HI */
#define ICR_MAX_DEST 0xfe /* 0xff is broadcast */
#define ICR_IDLE_WAIT_US 1000

#define CALIBRATE_US 10000

/* Set once by the boot CPU in host_lapic_init(); read-only afterwards. */
static volatile uint32_t *apic_mmio;
static uint64_t timer_hz;

/* The deadline programmed on each CPU, indexed by struct percpu id.
 * Written only by the CPU it names (host_lapic_cpu_init sets it OFF). */
static uint64_t armed_tsc[MAX_CPUS] = { [0 ... MAX_CPUS - 1] = HOST_TIMER_OFF };
/* Kicks each CPU has taken; written only by that CPU's handler. */
static uint32_t kicks_taken[MAX_CPUS];

static inline uint32_t apic_read(unsigned int reg)
{
	return apic_mmio[reg / 4];
}

static inline void apic_write(unsigned int reg, uint32_t v)
{
	apic_mmio[reg / 4] = v;
}

static void host_timer_interrupt(struct trap_frame *f)
{
	(void)f;
	/* The interrupt itself did its job (it made the guest exit, or woke the
	 * idle loop); the scheduler reads the clock. */
	armed_tsc[this_cpu()->id] = HOST_TIMER_OFF;
	apic_write(APIC_REG_EOI, 0);
}

static void host_kick_interrupt(struct trap_frame *f)
{
	(void)f; /* taking it was the point: the guest exited, or HLT ended */
	kicks_taken[this_cpu()->id]++;
	apic_write(APIC_REG_EOI, 0);
}

static void host_spurious_interrupt(struct trap_frame *f)
{
	(void)f; /* SDM §10.9: no EOI for the spurious vector */
}

void host_lapic_cpu_init(void)
{
	armed_tsc[this_cpu()->id] = HOST_TIMER_OFF;
	apic_write(APIC_REG_SVR, APIC_SVR_ENABLE | HOST_SPURIOUS_VECTOR);
	apic_write(APIC_REG_LVT_LINT0, APIC_LVT_MASKED);
	/* The platform's NMI (chipset errors, an NMI button, QEMU's `nmi`)
	 * comes in on the boot CPU's LINT1 (virtual wire mode, Intel MP spec
	 * 1.4 §3.6.2.2; SDM Vol. 3A §10.5.1), as Linux programs it; the host's
	 * NMI handler counts and reports it (arch/x86/cpu/trap.c). */
	apic_write(APIC_REG_LVT_LINT1,
		   (rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_BSP) ? APIC_LVT_DM_NMI : APIC_LVT_MASKED);
	apic_write(APIC_REG_LVT_ERROR, APIC_LVT_MASKED);
	apic_write(APIC_REG_TIMER_DIV, APIC_TIMER_DIV_1);
	apic_write(APIC_REG_TIMER_INIT, 0);
	apic_write(APIC_REG_LVT_TIMER, HOST_TIMER_VECTOR); /* one-shot, unmasked */
}

static uint64_t calibrate(void)
{
	apic_write(APIC_REG_LVT_TIMER, APIC_LVT_MASKED | HOST_TIMER_VECTOR);
	apic_write(APIC_REG_TIMER_INIT, UINT32_MAX);
	uint64_t t0 = rdtsc();
	uint32_t c0 = apic_read(APIC_REG_TIMER_CUR);
	udelay(CALIBRATE_US);
	uint32_t c1 = apic_read(APIC_REG_TIMER_CUR);
	uint64_t t1 = rdtsc();
	apic_write(APIC_REG_TIMER_INIT, 0);
	uint64_t ns = tsc_to_ns(t1 - t0);
	if (!ns || c0 <= c1)
		return 0;
	return (uint64_t)(c0 - c1) * 1000000000ULL / ns;
}

bool host_lapic_init(void)
{
	if (!(cpuid(1, 0).edx & BIT(9))) { /* CPUID.1:EDX.APIC */
		pr_warn("lapic: the CPU has no local APIC; emulated timers run only at exits");
		return false;
	}
	uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
	if (!(base & APIC_BASE_ENABLE))
		wrmsr(MSR_IA32_APIC_BASE, base |= APIC_BASE_ENABLE);
	paddr_t pa = base & APIC_BASE_ADDR_MASK;
	if (!paging_set_uncached(pa)) {
		pr_err("lapic: cannot map the APIC page at %#lx uncached", pa);
		return false;
	}
	apic_mmio = phys_to_virt(pa);
	irq_register(HOST_TIMER_VECTOR, host_timer_interrupt);
	irq_register(HOST_SPURIOUS_VECTOR, host_spurious_interrupt);
	irq_register(HOST_KICK_VECTOR, host_kick_interrupt);
	host_lapic_cpu_init();
	timer_hz = calibrate();
	apic_write(APIC_REG_LVT_TIMER, HOST_TIMER_VECTOR);
	if (!timer_hz) {
		pr_warn("lapic: timer did not count during calibration; emulated timers run only at exits");
		return false;
	}
	pr_info("lapic: host APIC at %#lx, timer %lu kHz (one-shot, vector %#x)", pa,
		timer_hz / 1000, HOST_TIMER_VECTOR);
	return true;
}

uint64_t host_lapic_timer_hz(void)
{
	return timer_hz;
}

uint64_t host_timer_armed(void)
{
	return armed_tsc[this_cpu()->id];
}

void host_timer_arm(uint64_t tsc)
{
	if (!timer_hz)
		return;
	armed_tsc[this_cpu()->id] = tsc;
	if (tsc == HOST_TIMER_OFF) {
		apic_write(APIC_REG_TIMER_INIT, 0);
		return;
	}
	uint64_t now = rdtsc();
	uint64_t ticks = 1;
	if (tsc > now) {
		uint64_t ns = tsc_to_ns(tsc - now);
		ticks = ns >= 4000000000ULL ? UINT32_MAX : ns * timer_hz / 1000000000ULL;
		if (ticks > UINT32_MAX)
			ticks = UINT32_MAX;
		if (!ticks)
			ticks = 1;
	}
	apic_write(APIC_REG_TIMER_INIT, (uint32_t)ticks);
}

uint32_t host_kicks_taken(void)
{
	return __atomic_load_n(&kicks_taken[this_cpu()->id], __ATOMIC_RELAXED);
}

bool host_lapic_mapped(void)
{
	return apic_mmio != NULL;
}

uint32_t host_lapic_id(void)
{
	if (!apic_mmio)
		return cpuid(1, 0).ebx >> 24; /* initial APIC ID (SDM Vol. 2A, CPUID.01H:EBX) */
	return apic_read(APIC_REG_ID) >> APIC_ID_SHIFT;
}

uint32_t host_lapic_take_errors(void)
{
	if (!apic_mmio)
		return 0;
	/* The ESR latches on a write (SDM Vol. 3A §10.5.3): write, then read. */
	apic_write(APIC_REG_ESR, 0);
	return apic_read(APIC_REG_ESR);
}

static bool icr_wait_idle(void)
{
	uint64_t end = rdtsc() + tsc_hz() / 1000000 * ICR_IDLE_WAIT_US;
	while (apic_read(APIC_REG_ICR_LO) & ICR_SEND_PENDING) {
		if (rdtsc() > end)
			return false;
		cpu_relax();
	}
	return true;
}

/* The ICR is two registers and writing the low one sends: no interrupt
 * handler on this CPU may send in between. */
static bool icr_send(uint32_t apic_id, uint32_t low)
{
	if (!apic_mmio || apic_id > ICR_MAX_DEST)
		return false;
	uint64_t flags = irq_save();
	bool ok = icr_wait_idle();
	if (ok) {
		apic_write(APIC_REG_ICR_HI, apic_id << ICR_DEST_SHIFT);
		apic_write(APIC_REG_ICR_LO, low);
	}
	irq_restore(flags);
	return ok;
}

bool host_ipi_send(uint32_t apic_id, uint8_t vector)
{
	return icr_send(apic_id, ICR_DM_FIXED | ICR_LEVEL_ASSERT | vector);
}

bool host_ipi_init(uint32_t apic_id)
{
	return icr_send(apic_id, ICR_DM_INIT | ICR_LEVEL_ASSERT | ICR_TRIGGER_LEVEL);
}

bool host_ipi_startup(uint32_t apic_id, uint8_t page)
{
	return icr_send(apic_id, ICR_DM_STARTUP | ICR_LEVEL_ASSERT | page);
}
