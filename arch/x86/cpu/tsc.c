#include "arch/x86/cpu/cpu.h"
#include "arch/x86/cpu/tsc.h"
#include "core/log.h"

/* 8254 PIT (Intel 8254 datasheet): input clock 1.193182 MHz; channel 2's gate
 * is bit 0 of port 0x61 and its output reads back in bit 5. */
#define PIT_HZ 1193182ULL
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_CMD_CH2_LOHI_MODE0 0xb0
#define PORT_SYS_CTRL_B 0x61
#define SYS_CTRL_B_GATE2 0x01
#define SYS_CTRL_B_SPEAKER 0x02
#define SYS_CTRL_B_OUT2 0x20
#define CALIBRATE_MS 10
#define CALIBRATE_RUNS 5

/* Written once by the boot CPU in tsc_init(); read-only afterwards. */
static uint64_t tsc_freq_hz;
static uint64_t tsc_at_boot;

static uint64_t calibrate_with_pit(void)
{
	uint16_t count = (uint16_t)(PIT_HZ * CALIBRATE_MS / 1000);
	uint8_t b = inb(PORT_SYS_CTRL_B);
	outb(PORT_SYS_CTRL_B, (b & ~SYS_CTRL_B_SPEAKER) | SYS_CTRL_B_GATE2);
	outb(PIT_CMD, PIT_CMD_CH2_LOHI_MODE0);
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, count >> 8);
	uint64_t start = rdtsc();
	for (uint64_t spins = 0; !(inb(PORT_SYS_CTRL_B) & SYS_CTRL_B_OUT2); spins++)
		if (spins > 100000000ULL)
			return 0;
	uint64_t cycles = rdtsc() - start;
	outb(PORT_SYS_CTRL_B, b);
	return cycles * (1000 / CALIBRATE_MS);
}

/* Guests learn this frequency (CPUID, tsc_early_khz=), so their clocks are
 * only as good as it is. A run can only come out too long (the CPU was busy
 * elsewhere: an SMI, or an emulator's host thread descheduled), so keep the
 * lowest of several. */
static uint64_t calibrate_shortest(void)
{
	uint64_t best = 0;
	for (unsigned int i = 0; i < CALIBRATE_RUNS; i++) {
		uint64_t hz = calibrate_with_pit();
		if (hz && (!best || hz < best))
			best = hz;
	}
	return best;
}

void tsc_init(void)
{
	tsc_at_boot = rdtsc();
	/* CPUID 0x15 (SDM Vol. 2A): TSC/crystal ratio and crystal frequency. */
	struct cpuid_regs r = cpuid(0, 0);
	if (r.eax >= 0x15) {
		struct cpuid_regs t = cpuid(0x15, 0);
		if (t.eax && t.ebx && t.ecx)
			tsc_freq_hz = (uint64_t)t.ecx * t.ebx / t.eax;
	}
	if (!tsc_freq_hz)
		tsc_freq_hz = calibrate_shortest();
	if (!tsc_freq_hz) {
		tsc_freq_hz = 1000000000ULL;
		pr_warn("time: could not calibrate the TSC; assuming 1 GHz");
	}
	pr_info("time: TSC runs at %lu kHz", tsc_freq_hz / 1000);
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
