/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/x86/cpu/cpu.h"
#include "arch/x86/cpu/tsc.h"
#include "arch/x86/boot/acpi_host.h"
#include "arch/x86/cpu/paging.h"
#include "arch/x86/cpu/smp.h"
#include "arch/x86/cpu/tsc_calib.h"
#include "core/log.h"

/* 8254 PIT (Intel 8254 datasheet): input clock 1.193182 MHz. Channel 2's
 * gate is bit 0 of port 0x61 (bit 1 would drive the speaker). It runs in
 * mode 2 from 65536 down and is read as a counter (latch command). */
#define PIT_HZ 1193182ULL
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_CMD_CH2 (2u << 6)
#define PIT_CMD_LATCH (0u << 4)
#define PIT_CMD_LOHI (3u << 4)
#define PIT_CMD_MODE2 (2u << 1)
#define PIT_COUNT_MASK 0xffffULL
#define PORT_SYS_CTRL_B 0x61
#define SYS_CTRL_B_GATE2 0x01
#define SYS_CTRL_B_SPEAKER 0x02

/* HPET (IA-PC HPET Specification 1.0a §2.3): capabilities with the
 * counter period in femtoseconds, the enable bit, the main counter. */
#define HPET_REG_CAP_ID 0x000
#define HPET_CAP_COUNT_SIZE_64 BIT(13)
#define HPET_CAP_PERIOD_SHIFT 32
#define HPET_MAX_PERIOD_FS 100000000ULL /* 100 ns at most (§2.3.4) */
#define HPET_REG_CONFIG 0x010
#define HPET_CFG_ENABLE BIT(0)
#define HPET_REG_COUNTER 0x0f0
#define FS_PER_S 1000000000000000ULL

#define PM_TIMER_MASK_24 0xffffffULL
#define PM_TIMER_MASK_32 0xffffffffULL

/* CPUID 0x15 (SDM Vol. 2A): TSC/crystal ratio EBX/EAX and the crystal's
 * frequency ECX; exact where given. */
#define CPUID_LEAF_TSC 0x15

/* Written once by the boot CPU in tsc_init(); read-only afterwards. */
static uint64_t tsc_freq_hz;
static uint64_t tsc_at_boot;

static uint64_t read_tsc(void *ctx)
{
	return rdtsc();
}

static uint64_t read_pit(void *ctx)
{
	outb(PIT_CMD, PIT_CMD_CH2 | PIT_CMD_LATCH);
	uint8_t lo = inb(PIT_CH2);
	return lo | (uint64_t)inb(PIT_CH2) << 8;
}

static uint64_t read_pm_timer(void *ctx)
{
	return inl((uint16_t)(uintptr_t)ctx);
}

static uint64_t read_hpet(void *ctx)
{
	return *(volatile uint64_t *)((uintptr_t)ctx + HPET_REG_COUNTER);
}

static void add_ref(struct tsc_calib *c, const char *name, uint64_t hz, uint64_t mask, bool down,
		    uint64_t (*read)(void *), void *ctx)
{
	if (c->nr_refs < TSC_CALIB_MAX_REFS)
		c->ref[c->nr_refs++] = (struct tsc_calib_ref){ name, hz, mask, down, read, ctx };
}

/* The HPET the firmware describes, its main counter enabled (firmware
 * leaves it stopped; nothing else of the host uses it). */
static void add_hpet(struct tsc_calib *c, uint64_t pa)
{
	if (!pa || !paging_set_uncached(pa))
		return;
	volatile uint64_t *regs = (volatile uint64_t *)(uintptr_t)pa;
	uint64_t cap = regs[HPET_REG_CAP_ID / 8];
	uint64_t period_fs = cap >> HPET_CAP_PERIOD_SHIFT;
	if (!period_fs || period_fs > HPET_MAX_PERIOD_FS) {
		pr_warn("time: the HPET at %#lx reports a period of %lu fs; not used", pa, period_fs);
		return;
	}
	regs[HPET_REG_CONFIG / 8] |= HPET_CFG_ENABLE;
	add_ref(c, "HPET", FS_PER_S / period_fs,
		(cap & HPET_CAP_COUNT_SIZE_64) ? UINT64_MAX : PM_TIMER_MASK_32, false, read_hpet,
		(void *)(uintptr_t)pa);
}

static void pit_start_counter(void)
{
	uint8_t b = inb(PORT_SYS_CTRL_B);
	outb(PORT_SYS_CTRL_B, (b & ~SYS_CTRL_B_SPEAKER) | SYS_CTRL_B_GATE2);
	outb(PIT_CMD, PIT_CMD_CH2 | PIT_CMD_LOHI | PIT_CMD_MODE2);
	outb(PIT_CH2, 0); /* 0 = 65536 */
	outb(PIT_CH2, 0);
}

static uint64_t cpuid_tsc_hz(void)
{
	if (cpuid(0, 0).eax < CPUID_LEAF_TSC)
		return 0;
	struct cpuid_regs t = cpuid(CPUID_LEAF_TSC, 0);
	return (t.eax && t.ebx && t.ecx) ? (uint64_t)t.ecx * t.ebx / t.eax : 0;
}

/* Guests learn this frequency (CPUID, tsc_early_khz=), so their clocks are
 * only as good as it is: every reference the machine has is measured and
 * the log says which one was used and how the others compare. */
static void calibrate(void)
{
	const struct acpi_host *acpi = smp_firmware_acpi();
	struct tsc_calib c = { .rdtsc = read_tsc };
	add_hpet(&c, acpi->hpet_pa);
	if (acpi->pm_timer_port)
		add_ref(&c, "ACPI PM timer", ACPI_PM_TIMER_HZ,
			acpi->pm_timer_32bit ? PM_TIMER_MASK_32 : PM_TIMER_MASK_24, false,
			read_pm_timer, (void *)(uintptr_t)acpi->pm_timer_port);
	pit_start_counter();
	add_ref(&c, "PIT", PIT_HZ, PIT_COUNT_MASK, true, read_pit, NULL);

	tsc_freq_hz = tsc_calib_run(&c);
	uint64_t exact = cpuid_tsc_hz();
	for (unsigned int i = 0; i < c.nr_refs; i++) {
		const struct tsc_calib_result *r = &c.result[i];
		if (r->verdict == TSC_CALIB_OK)
			pr_info("time:   %-13s %lu kHz (%u of %u measurements good, spread %u ppm)",
				c.ref[i].name, r->hz / 1000, r->good, TSC_CALIB_RUNS, r->spread_ppm);
		else
			pr_info("time:   %-13s not used: %s (%u of %u measurements good)",
				c.ref[i].name, tsc_calib_verdict_name(r->verdict), r->good,
				TSC_CALIB_RUNS);
	}
	if (exact) {
		tsc_freq_hz = exact;
		pr_info("time: TSC runs at %lu kHz (CPUID 15h, exact)", tsc_freq_hz / 1000);
	} else if (tsc_freq_hz) {
		pr_info("time: TSC runs at %lu kHz (measured against the %s)", tsc_freq_hz / 1000,
			c.ref[c.chosen].name);
	} else {
		tsc_freq_hz = 1000000000ULL;
		pr_warn("time: no clock to calibrate the TSC against; assuming 1 GHz");
	}
}

void tsc_init(void)
{
	tsc_at_boot = rdtsc();
	calibrate();
}

uint64_t tsc_hz(void)
{
	return tsc_freq_hz;
}

uint64_t tsc_to_ns(uint64_t cycles)
{
	/* Split to avoid overflow: whole seconds, then the remainder. */
	uint64_t sec = cycles / tsc_freq_hz, rem = cycles % tsc_freq_hz;
	return sec * 1000000000ULL + rem * 1000000000ULL / tsc_freq_hz;
}

uint64_t ns_to_tsc(uint64_t ns)
{
	uint64_t sec = ns / 1000000000ULL, rem = ns % 1000000000ULL;
	return sec * tsc_freq_hz + rem * tsc_freq_hz / 1000000000ULL;
}

uint64_t tsc_at_time_ns(uint64_t ns)
{
	return tsc_at_boot + ns_to_tsc(ns);
}

uint64_t time_ns(void)
{
	return tsc_to_ns(rdtsc() - tsc_at_boot);
}

void udelay(uint64_t us)
{
	uint64_t end = rdtsc() + tsc_freq_hz / 1000000 * us;
	while (rdtsc() < end)
		cpu_relax();
}
