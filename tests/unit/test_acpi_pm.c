/* SPDX-License-Identifier: BSD-2-Clause */
/* ACPI PM registers: PM timer rate and wraparound against a fake clock,
 * PM1 status write-1-to-clear, enables and the SCI, the TMR_STS deadline,
 * S5 power-off and refused sleep states, hostile sizes and offsets. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/iobus.h"
#include "drivers/vdev/acpi_pm.h"
#include "tests/unit/support/host_log.h"
#include "tests/unit/support/vdev_fakes.h"

#define PM 0x600

struct power_counter {
	unsigned int count;
	char last[32];
	struct power_sink sink;
};

static void power_off(void *ctx, const char *source)
{
	struct power_counter *p = ctx;
	p->count++;
	strncpy(p->last, source, sizeof(p->last) - 1);
}

static struct acpi_pm pm;
static struct fake_clock clk;
static struct irq_recorder irq;
static struct power_counter power;
static struct iobus bus;

static void setup(void)
{
	fake_clock_init(&clk, 0);
	recorder_init(&irq);
	memset(&power, 0, sizeof(power));
	power.sink = (struct power_sink){ .off = power_off, .ctx = &power };
	host_log_reset();
	acpi_pm_init(&pm, "t", &clk.vc, &irq.sink, ACPI_SCI_IRQ, &power.sink);
	memset(&bus, 0, sizeof(bus));
	cr_assert(acpi_pm_attach(&pm, &bus, PM));
}

static uint64_t in(uint16_t port, unsigned int size)
{
	uint64_t v = 0;
	cr_assert_eq(iobus_pio(&bus, port, size, false, &v), IOBUS_OK);
	return v;
}

static void out(uint16_t port, unsigned int size, uint64_t v)
{
	cr_assert_eq(iobus_pio(&bus, port, size, true, &v), IOBUS_OK);
}

TestSuite(acpi_pm, .init = setup);

Test(acpi_pm, timer_rate)
{
	cr_assert_eq(acpi_pm_ns_to_ticks(0), 0);
	cr_assert_eq(acpi_pm_ns_to_ticks(1000000000ULL), 3579545);
	cr_assert_eq(acpi_pm_ns_to_ticks(1000ULL), 3, "1 us = 3.58 ticks, floored");
	cr_assert_eq(acpi_pm_ns_to_ticks(279), 0);
	cr_assert_eq(acpi_pm_ns_to_ticks(280), 1, "one tick is 279.37 ns");
	cr_assert_eq(acpi_pm_ns_to_ticks(3600ULL * 1000000000ULL), 3600ULL * 3579545);
	cr_assert_eq(acpi_pm_ticks_to_ns(1), 280, "ceiling");
	cr_assert_eq(acpi_pm_ticks_to_ns(3579545), 1000000000ULL);
	cr_assert_eq(acpi_pm_ticks_to_ns(UINT64_MAX), UINT64_MAX, "saturates");
	for (uint64_t t = 0; t < 100000; t += 977)
		cr_assert_eq(acpi_pm_ns_to_ticks(acpi_pm_ticks_to_ns(t)), t);
	clk.now = 1000000000ULL;
	cr_assert_eq(in(PM + ACPI_PM_TMR_OFFSET, 4), 3579545);
	clk.now = 2500000000ULL;
	cr_assert_eq(in(PM + ACPI_PM_TMR_OFFSET, 4), 8948862, "2.5 s");
}

Test(acpi_pm, timer_wraps_at_32_bits)
{
	uint64_t wrap = 1ULL << 32;
	clk.now = acpi_pm_ticks_to_ns(wrap - 1);
	cr_assert_eq(in(PM + ACPI_PM_TMR_OFFSET, 4), 0xFFFFFFFF);
	clk.now = acpi_pm_ticks_to_ns(wrap + 5);
	cr_assert_eq(in(PM + ACPI_PM_TMR_OFFSET, 4), 5);
	/* About 20 minutes per wrap; the counter never stops. */
	clk.now = 1200ULL * 1000000000ULL;
	cr_assert_eq(in(PM + ACPI_PM_TMR_OFFSET, 4), (uint32_t)(1200ULL * 3579545));
	/* Byte and word reads see the same counter. */
	uint32_t v = (uint32_t)in(PM + ACPI_PM_TMR_OFFSET, 4);
	cr_assert_eq(in(PM + ACPI_PM_TMR_OFFSET + 3, 1), v >> 24);
	cr_assert_eq(in(PM + ACPI_PM_TMR_OFFSET + 2, 2), v >> 16);
}

static unsigned int clock_calls;
static uint64_t racing_now(void *ctx)
{
	clock_calls++;
	return (uint64_t)clock_calls * 0x01010101ULL * 280; /* every byte moves */
}

Test(acpi_pm, timer_read_samples_once)
{
	struct vclock racing = { .now_ns = racing_now };
	acpi_pm_init(&pm, "t", &racing, NULL, ACPI_SCI_IRQ, NULL);
	clock_calls = 0;
	uint64_t v;
	cr_assert_eq(acpi_pm_io_read(&pm, ACPI_PM_TMR_OFFSET, 4, &v), 0);
	cr_assert_eq(clock_calls, 1, "a dword read must not tear");
	cr_assert_eq(v, acpi_pm_timer_value(0x01010101ULL * 280));
}

Test(acpi_pm, timer_is_read_only)
{
	clk.now = 5000;
	out(PM + ACPI_PM_TMR_OFFSET, 4, 0);
	out(PM + ACPI_PM_TMR_OFFSET + 1, 1, 0xFF);
	cr_assert_eq(in(PM + ACPI_PM_TMR_OFFSET, 4), acpi_pm_timer_value(5000));
	cr_assert_eq(host_log_count(), 1, "one warning, not one per write");
	cr_assert(host_log_contains("[t] acpi-pm"));
}

Test(acpi_pm, control_sci_en_fixed_slp_en_reads_zero)
{
	cr_assert_eq(in(PM + ACPI_PM1_CNT_OFFSET, 2), ACPI_PM1_SCI_EN);
	out(PM + ACPI_PM1_CNT_OFFSET, 2, 0);
	cr_assert_eq(in(PM + ACPI_PM1_CNT_OFFSET, 2) & ACPI_PM1_SCI_EN, ACPI_PM1_SCI_EN,
		     "the system cannot leave ACPI mode");
	out(PM + ACPI_PM1_CNT_OFFSET, 2, 3u << ACPI_PM1_SLP_TYP_SHIFT | ACPI_PM1_BM_RLD);
	cr_assert_eq(in(PM + ACPI_PM1_CNT_OFFSET, 2),
		     3u << ACPI_PM1_SLP_TYP_SHIFT | ACPI_PM1_BM_RLD | ACPI_PM1_SCI_EN);
	cr_assert_eq(power.count, 0, "SLP_TYP alone does nothing");
	cr_assert_eq(pm.refused_sleeps, 0);
	cr_assert_eq(in(PM + 6, 2), 0xFFFF, "the gap decodes nothing");
}

/* Linux's acpi_hw_legacy_sleep: SLP_TYP first, then SLP_TYP | SLP_EN. */
Test(acpi_pm, s5_powers_off)
{
	uint16_t typ = ACPI_SLP_TYP_S5 << ACPI_PM1_SLP_TYP_SHIFT;
	uint16_t cnt = (uint16_t)in(PM + ACPI_PM1_CNT_OFFSET, 2);
	out(PM + ACPI_PM1_CNT_OFFSET, 2, cnt | typ);
	cr_assert_eq(power.count, 0);
	out(PM + ACPI_PM1_CNT_OFFSET, 2, cnt | typ | ACPI_PM1_SLP_EN);
	cr_assert_eq(power.count, 1);
	cr_assert_str_eq(power.last, "acpi S5");
	cr_assert_eq(in(PM + ACPI_PM1_CNT_OFFSET, 2) & ACPI_PM1_SLP_EN, 0);
	/* The high byte alone carries SLP_TYP and SLP_EN. */
	out(PM + ACPI_PM1_CNT_OFFSET + 1, 1, (typ | ACPI_PM1_SLP_EN) >> 8);
	cr_assert_eq(power.count, 2);
	cr_assert_eq(host_log_count(), 1, "one info line");
	cr_assert_eq(pm.power_offs, 2);
}

Test(acpi_pm, other_sleep_types_refused)
{
	for (unsigned int typ = 0; typ < 8; typ++) {
		if (typ == ACPI_SLP_TYP_S5)
			continue;
		host_log_reset();
		out(PM + ACPI_PM1_STS, 2, 0xFFFF);
		out(PM + ACPI_PM1_CNT_OFFSET, 2, typ << ACPI_PM1_SLP_TYP_SHIFT | ACPI_PM1_SLP_EN);
		cr_assert_eq(power.count, 0, "type %u", typ);
		cr_assert_eq(host_log_count(), 1, "type %u: one line", typ);
		cr_assert(host_log_contains("refused"));
		cr_assert(in(PM + ACPI_PM1_STS, 2) & ACPI_PM1_WAK_STS, "woken at once");
		out(PM + ACPI_PM1_CNT_OFFSET, 2, typ << ACPI_PM1_SLP_TYP_SHIFT | ACPI_PM1_SLP_EN);
		cr_assert_eq(host_log_count(), 1, "type %u: not logged again", typ);
	}
	cr_assert_eq(pm.refused_sleeps, 14);
}

Test(acpi_pm, status_write_one_to_clear_and_sci)
{
	acpi_pm_power_button(&pm);
	cr_assert_eq(in(PM + ACPI_PM1_STS, 2), ACPI_PM1_PWRBTN_STS);
	cr_assert_not(irq.level[ACPI_SCI_IRQ], "not enabled: no SCI");
	out(PM + ACPI_PM1_EN, 2, ACPI_PM1_PWRBTN_EN);
	cr_assert(irq.level[ACPI_SCI_IRQ], "enabling a pending event raises the SCI");
	out(PM + ACPI_PM1_STS, 2, 0);
	cr_assert_eq(in(PM + ACPI_PM1_STS, 2), ACPI_PM1_PWRBTN_STS, "writing 0 keeps it");
	out(PM + ACPI_PM1_STS, 1, 0xFF);
	cr_assert_eq(in(PM + ACPI_PM1_STS, 2), ACPI_PM1_PWRBTN_STS, "low byte has other bits");
	cr_assert(irq.level[ACPI_SCI_IRQ]);
	out(PM + ACPI_PM1_STS + 1, 1, ACPI_PM1_PWRBTN_STS >> 8);
	cr_assert_eq(in(PM + ACPI_PM1_STS, 2), 0);
	cr_assert_not(irq.level[ACPI_SCI_IRQ], "level SCI drops with the status");
	cr_assert_eq(irq.rises[ACPI_SCI_IRQ], 1);
	/* A dword write to the event block clears status and sets enables. */
	acpi_pm_power_button(&pm);
	cr_assert(irq.level[ACPI_SCI_IRQ]);
	out(PM + ACPI_PM1_EVT_OFFSET, 4, (uint32_t)ACPI_PM1_TMR_EN << 16 | ACPI_PM1_PWRBTN_STS);
	cr_assert_eq(in(PM + ACPI_PM1_EVT_OFFSET, 4), (uint32_t)ACPI_PM1_TMR_EN << 16);
	cr_assert_not(irq.level[ACPI_SCI_IRQ]);
}

Test(acpi_pm, enable_register_keeps_only_real_events)
{
	out(PM + ACPI_PM1_EN, 2, 0xFFFF);
	cr_assert_eq(in(PM + ACPI_PM1_EN, 2), ACPI_PM1_EN_WRITABLE);
	/* ACPICA enables the global-lock event and reads it back. */
	cr_assert(ACPI_PM1_EN_WRITABLE & ACPI_PM1_GBL_EN);
	out(PM + ACPI_PM1_EN + 1, 1, 0);
	cr_assert_eq(in(PM + ACPI_PM1_EN, 2), ACPI_PM1_TMR_EN | ACPI_PM1_GBL_EN,
		     "byte lanes are independent");
}

Test(acpi_pm, timer_status_deadline_and_sci)
{
	uint64_t half = 1ULL << 31; /* bit 31 changes every 2^31 ticks (600 s) */
	cr_assert_eq(acpi_pm_next_deadline(&pm), VDEV_NO_DEADLINE, "TMR_EN clear");
	out(PM + ACPI_PM1_EN, 2, ACPI_PM1_TMR_EN);
	uint64_t d = acpi_pm_next_deadline(&pm);
	cr_assert_eq(d, acpi_pm_ticks_to_ns(half));
	acpi_pm_tick(&pm, d - 1);
	cr_assert_not(irq.level[ACPI_SCI_IRQ], "early");
	clk.now = d;
	acpi_pm_tick(&pm, d);
	cr_assert(irq.level[ACPI_SCI_IRQ]);
	cr_assert(in(PM + ACPI_PM1_STS, 2) & ACPI_PM1_TMR_STS);
	cr_assert_eq(acpi_pm_next_deadline(&pm), VDEV_NO_DEADLINE, "until the guest clears it");
	out(PM + ACPI_PM1_STS, 2, ACPI_PM1_TMR_STS);
	cr_assert_not(irq.level[ACPI_SCI_IRQ]);
	cr_assert_eq(acpi_pm_next_deadline(&pm), acpi_pm_ticks_to_ns(2 * half));
	/* Without TMR_EN the status still latches, silently. */
	out(PM + ACPI_PM1_EN, 2, 0);
	clk.now = acpi_pm_ticks_to_ns(2 * half);
	cr_assert(in(PM + ACPI_PM1_STS, 2) & ACPI_PM1_TMR_STS);
	cr_assert_not(irq.level[ACPI_SCI_IRQ]);
	cr_assert_eq(irq.rises[ACPI_SCI_IRQ], 1);
}

Test(acpi_pm, hostile_sizes_and_offsets)
{
	uint64_t v = 0x1234;
	cr_assert_eq(acpi_pm_io_read(&pm, ACPI_PM1_CNT_OFFSET, 0, &v), 0);
	cr_assert_eq(v, 0, "zero-byte read");
	cr_assert_eq(acpi_pm_io_read(&pm, ACPI_PM1_CNT_OFFSET, 3, &v), 0);
	cr_assert_eq(v, 0xFF0001, "three bytes: PM1_CNT and the gap");
	cr_assert_eq(acpi_pm_io_read(&pm, 10, 4, &v), 0);
	cr_assert_eq(v >> 16, 0xFFFF, "past the block floats");
	cr_assert_eq(acpi_pm_io_read(&pm, 0, 64, &v), 0, "capped at 8 bytes");
	cr_assert_eq(acpi_pm_io_read(&pm, UINT64_MAX - 1, 4, &v), 0);
	cr_assert_eq(v, 0xFFFFFFFF, "no wraparound into the block");
	cr_assert_eq(acpi_pm_io_write(&pm, UINT64_MAX - 3, 8, ~0ULL), 0);
	cr_assert_eq(acpi_pm_io_write(&pm, 0, 64, ~0ULL), 0);
	cr_assert_eq(power.count, 0, "SLP_TYP 7 with SLP_EN is refused");
	cr_assert_eq(iobus_pio(&bus, PM + ACPI_PM_NR_PORTS, 1, false, &v), IOBUS_UNCLAIMED,
		     "the block is 12 ports");
	cr_assert_not(acpi_pm_attach(&pm, &bus, PM + 4), "overlapping attach refused");
	cr_assert_not(acpi_pm_attach(&pm, &bus, 0xFFF8), "range past 0xFFFF refused");
}

Test(acpi_pm, no_sinks_wired)
{
	acpi_pm_init(&pm, NULL, NULL, NULL, ACPI_SCI_IRQ, NULL);
	uint64_t v;
	acpi_pm_power_button(&pm);
	acpi_pm_io_write(&pm, ACPI_PM1_EN, 2, ACPI_PM1_PWRBTN_EN);
	acpi_pm_io_write(&pm, ACPI_PM1_CNT_OFFSET, 2,
			 ACPI_SLP_TYP_S5 << ACPI_PM1_SLP_TYP_SHIFT | ACPI_PM1_SLP_EN);
	cr_assert_eq(pm.power_offs, 1);
	cr_assert(pm.sci_level);
	acpi_pm_io_read(&pm, ACPI_PM_TMR_OFFSET, 4, &v);
	cr_assert_eq(v, 0, "no clock: time stands at 0");
	cr_assert(host_log_contains("[?] acpi-pm"));
}
