/* SPDX-License-Identifier: BSD-2-Clause */
/* MC146818 RTC/CMOS: calendar conversion, BCD/binary/12-hour formats, UIP
 * timing, SET and divider freezes, periodic/alarm/update interrupts,
 * register C, NVRAM and the memory-size bytes. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/iobus.h"
#include "drivers/vdev/rtc_cmos.h"
#include "tests/unit/support/host_log.h"
#include "tests/unit/support/vdev_fakes.h"

#define NS 1000000000ULL
#define T_2026_11_23_123456 1795437296ULL

static struct rtc_cmos r;
static struct fake_clock clk;
static struct irq_recorder irq;
static struct iobus bus;

static void boot_at(uint64_t unix_secs, uint64_t extra_ns)
{
	fake_clock_init(&clk, unix_secs * NS + extra_ns);
	recorder_init(&irq);
	host_log_reset();
	rtc_cmos_init(&r, "t", &clk.vc, &irq.sink, RTC_IRQ);
	memset(&bus, 0, sizeof(bus));
	cr_assert(rtc_cmos_attach(&r, &bus));
}

static void setup(void)
{
	boot_at(T_2026_11_23_123456, 0);
}

static void out(uint16_t port, uint8_t v)
{
	uint64_t val = v;
	cr_assert_eq(iobus_pio(&bus, port, 1, true, &val), IOBUS_OK);
}

static uint8_t in(uint16_t port)
{
	uint64_t val;
	cr_assert_eq(iobus_pio(&bus, port, 1, false, &val), IOBUS_OK);
	cr_assert_leq(val, 0xFF);
	return (uint8_t)val;
}

static uint8_t cmos_read(uint8_t idx)
{
	out(0x70, idx);
	return in(0x71);
}

static void cmos_write(uint8_t idx, uint8_t v)
{
	out(0x70, idx);
	out(0x71, v);
}

static void check_civil(int64_t secs, int64_t y, unsigned int mo, unsigned int d, unsigned int h,
			unsigned int mi, unsigned int s, unsigned int wday)
{
	struct rtc_datetime t;
	rtc_civil_from_unix(secs, &t);
	cr_assert_eq(t.year, y, "%lld: year %lld", (long long)secs, (long long)t.year);
	cr_assert_eq(t.month, mo);
	cr_assert_eq(t.mday, d);
	cr_assert_eq(t.hour, h);
	cr_assert_eq(t.min, mi);
	cr_assert_eq(t.sec, s);
	cr_assert_eq(t.wday, wday, "%lld: weekday %u", (long long)secs, t.wday);
	cr_assert_eq(rtc_unix_from_civil(&t), secs);
}

TestSuite(rtc, .init = setup);

Test(rtc, civil_conversion_known_dates)
{
	check_civil(0, 1970, 1, 1, 0, 0, 0, 5);
	check_civil(951782400, 2000, 2, 29, 0, 0, 0, 3);
	check_civil(951782400 + 86400, 2000, 3, 1, 0, 0, 0, 4);
	check_civil(T_2026_11_23_123456, 2026, 11, 23, 12, 34, 56, 2);
	check_civil(2147483648LL, 2038, 1, 19, 3, 14, 8, 3);
	check_civil(-1, 1969, 12, 31, 23, 59, 59, 4);
	check_civil(4107456000LL, 2100, 2, 28, 0, 0, 0, 1);
	check_civil(4107456000LL + 86400, 2100, 3, 1, 0, 0, 0, 2); /* 2100 is not leap */
	check_civil(-11670955200LL, 1600, 2, 29, 12, 0, 0, 3);
	check_civil(253402300799LL, 9999, 12, 31, 23, 59, 59, 6);
}

Test(rtc, civil_round_trip_everywhere)
{
	struct rtc_datetime t, prev;
	rtc_civil_from_unix(-5000LL * 86400 * 365, &prev);
	for (int64_t days = -5000LL * 365; days < 5000LL * 365; days += 1) {
		int64_t secs = days * 86400 + ((days * 7919) % 86400 + 86400) % 86400;
		rtc_civil_from_unix(secs, &t);
		cr_assert_eq(rtc_unix_from_civil(&t), secs);
		cr_assert(t.month >= 1 && t.month <= 12 && t.mday >= 1 && t.mday <= 31);
		cr_assert(t.wday >= 1 && t.wday <= 7);
		if (days > -5000LL * 365)
			cr_assert_eq(t.wday, prev.wday % 7 + 1, "weekdays follow each other");
		prev = t;
	}
}

Test(rtc, bcd_registers_24h)
{
	cr_assert_eq(cmos_read(RTC_SECONDS), 0x56);
	cr_assert_eq(cmos_read(RTC_MINUTES), 0x34);
	cr_assert_eq(cmos_read(RTC_HOURS), 0x12);
	cr_assert_eq(cmos_read(RTC_DAY_OF_WEEK), 0x02, "Monday");
	cr_assert_eq(cmos_read(RTC_DAY_OF_MONTH), 0x23);
	cr_assert_eq(cmos_read(RTC_MONTH), 0x11);
	cr_assert_eq(cmos_read(RTC_YEAR), 0x26);
	cr_assert_eq(cmos_read(CMOS_CENTURY), 0x20);
	cr_assert_eq(cmos_read(RTC_REG_B), RTC_B_24H);
	cr_assert_eq(cmos_read(RTC_REG_A), 0x26);
	cr_assert_eq(cmos_read(RTC_REG_D), RTC_D_VRT, "battery good, bit 6 clear");
}

Test(rtc, binary_and_12_hour_modes)
{
	cmos_write(RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY);
	cr_assert_eq(cmos_read(RTC_SECONDS), 56);
	cr_assert_eq(cmos_read(RTC_YEAR), 26);
	cr_assert_eq(cmos_read(CMOS_CENTURY), 20);
	cmos_write(RTC_REG_B, 0); /* BCD, 12-hour */
	cr_assert_eq(cmos_read(RTC_HOURS), RTC_HOUR_PM | 0x12, "12:34 is 12 PM");
	boot_at(2147483648ULL, 0); /* 03:14:08 */
	cmos_write(RTC_REG_B, 0);
	cr_assert_eq(cmos_read(RTC_HOURS), 0x03);
	boot_at(951782400ULL + 13 * 3600, 0);
	cmos_write(RTC_REG_B, RTC_B_DM_BINARY);
	cr_assert_eq(cmos_read(RTC_HOURS), RTC_HOUR_PM | 1);
	boot_at(951782400ULL, 0); /* midnight */
	cmos_write(RTC_REG_B, 0);
	cr_assert_eq(cmos_read(RTC_HOURS), 0x12, "midnight is 12 AM");
}

Test(rtc, time_advances_with_the_clock)
{
	clk.now = 3 * NS + 1;
	cr_assert_eq(cmos_read(RTC_SECONDS), 0x59);
	clk.now = 4 * NS;
	cr_assert_eq(cmos_read(RTC_SECONDS), 0x00);
	cr_assert_eq(cmos_read(RTC_MINUTES), 0x35);
	clk.now += 11ULL * 3600 * NS + 25 * 60 * NS;
	cr_assert_eq(cmos_read(RTC_HOURS), 0x00);
	cr_assert_eq(cmos_read(RTC_DAY_OF_MONTH), 0x24);
	cr_assert_eq(cmos_read(RTC_DAY_OF_WEEK), 0x03);
}

Test(rtc, uip_set_in_the_244us_before_the_update)
{
	clk.now = NS - 300000;
	cr_assert_eq(cmos_read(RTC_REG_A) & RTC_A_UIP, 0);
	clk.now = NS - RTC_UIP_NS - 1;
	cr_assert_eq(cmos_read(RTC_REG_A) & RTC_A_UIP, 0);
	clk.now = NS - RTC_UIP_NS;
	cr_assert(cmos_read(RTC_REG_A) & RTC_A_UIP);
	clk.now = NS - 1;
	cr_assert(cmos_read(RTC_REG_A) & RTC_A_UIP);
	cr_assert_eq(cmos_read(RTC_SECONDS), 0x56, "update not yet done");
	clk.now = NS;
	cr_assert_eq(cmos_read(RTC_REG_A) & RTC_A_UIP, 0);
	cr_assert_eq(cmos_read(RTC_SECONDS), 0x57);
	cmos_write(RTC_REG_A, 0xA6);
	cr_assert_eq(cmos_read(RTC_REG_A), 0x26, "UIP is read-only");
}

Test(rtc, set_bit_freezes_and_guest_time_keeps_an_offset)
{
	clk.now = 400000000;
	cmos_write(RTC_REG_B, RTC_B_24H | RTC_B_SET | RTC_B_UIE);
	cr_assert_eq(cmos_read(RTC_REG_B) & RTC_B_UIE, 0, "SET clears UIE");
	clk.now += 5 * NS;
	cr_assert_eq(cmos_read(RTC_SECONDS), 0x56, "frozen under SET");
	clk.now = NS - 1000; /* would be UIP time */
	cr_assert_eq(cmos_read(RTC_REG_A) & RTC_A_UIP, 0, "no UIP under SET");
	/* guest sets 2000-02-29 23:59:59 */
	cmos_write(RTC_SECONDS, 0x59);
	cmos_write(RTC_MINUTES, 0x59);
	cmos_write(RTC_HOURS, 0x23);
	cmos_write(RTC_DAY_OF_MONTH, 0x29);
	cmos_write(RTC_MONTH, 0x02);
	cmos_write(RTC_YEAR, 0x00);
	cr_assert_eq(cmos_read(RTC_YEAR), 0x00);
	cr_assert_eq(cmos_read(CMOS_CENTURY), 0x20);
	clk.now = 10 * NS + 123;
	cmos_write(RTC_REG_B, RTC_B_24H);
	cr_assert_eq(cmos_read(RTC_SECONDS), 0x59, "clock restarts from the set time");
	cr_assert_eq(rtc_cmos_guest_time(&r, clk.now), 951868799);
	clk.now += NS - 1;
	cr_assert_eq(cmos_read(RTC_SECONDS), 0x59, "a full second after SET cleared");
	clk.now += 1;
	cr_assert_eq(cmos_read(RTC_DAY_OF_MONTH), 0x01);
	cr_assert_eq(cmos_read(RTC_MONTH), 0x03);
	cr_assert_eq(cmos_read(RTC_DAY_OF_WEEK), 0x04, "2000-03-01 was a Wednesday");
	/* the offset holds hours later */
	clk.now += 3600 * NS;
	cr_assert_eq(rtc_cmos_guest_time(&r, clk.now), 951868800 + 3600);
}

Test(rtc, write_while_running_keeps_phase)
{
	clk.now = 300000000;
	cmos_write(RTC_MINUTES, 0x00);
	cr_assert_eq(cmos_read(RTC_MINUTES), 0x00);
	cr_assert_eq(cmos_read(RTC_SECONDS), 0x56);
	clk.now = NS;
	cr_assert_eq(cmos_read(RTC_SECONDS), 0x57, "the update still comes on the old boundary");
	cmos_write(CMOS_CENTURY, 0x21);
	cr_assert_eq(cmos_read(CMOS_CENTURY), 0x21);
	cr_assert_eq(cmos_read(RTC_YEAR), 0x26);
}

Test(rtc, divider_reset_freezes_and_releases_half_a_second_later)
{
	cmos_write(RTC_REG_A, 0x66); /* hold the divider in reset */
	clk.now = 7 * NS + 300;
	cr_assert_eq(cmos_read(RTC_SECONDS), 0x56);
	cmos_write(RTC_REG_A, 0x26);
	clk.now += NS / 2 - 1;
	cr_assert_eq(cmos_read(RTC_SECONDS), 0x56);
	clk.now += 1;
	cr_assert_eq(cmos_read(RTC_SECONDS), 0x57);
}

Test(rtc, periodic_interrupt_at_the_register_a_rate)
{
	cmos_write(RTC_REG_C, 0xFF); /* read-only: ignored */
	(void)cmos_read(RTC_REG_C);
	cr_assert_eq(rtc_cmos_next_deadline(&r), VDEV_NO_DEADLINE, "nothing enabled");
	cmos_write(RTC_REG_B, RTC_B_24H | RTC_B_PIE);
	/* 1024 Hz: 976562.5 ns */
	uint64_t d = rtc_cmos_next_deadline(&r);
	cr_assert_eq(d, 976563);
	rtc_cmos_tick(&r, d - 1);
	cr_assert_not(irq.level[RTC_IRQ]);
	rtc_cmos_tick(&r, d);
	cr_assert(irq.level[RTC_IRQ]);
	cr_assert_eq(rtc_cmos_next_deadline(&r), VDEV_NO_DEADLINE, "IRQ8 held until C is read");
	clk.now = d;
	cr_assert_eq(cmos_read(RTC_REG_C), RTC_C_IRQF | RTC_C_PF);
	cr_assert_not(irq.level[RTC_IRQ], "reading C releases IRQ8");
	cr_assert_eq(cmos_read(RTC_REG_C), 0, "and clears the flags");
	cr_assert_eq(rtc_cmos_next_deadline(&r), 1953125);
	/* 2 Hz */
	cmos_write(RTC_REG_A, 0x2F);
	cr_assert_eq(rtc_cmos_next_deadline(&r), NS / 2);
	/* rates 1 and 2 alias 256 and 128 Hz */
	cmos_write(RTC_REG_A, 0x21);
	cr_assert_eq(rtc_cmos_next_deadline(&r), 3906250);
	cmos_write(RTC_REG_A, 0x20);
	cr_assert_eq(rtc_cmos_next_deadline(&r), VDEV_NO_DEADLINE, "rate 0: no periodic");
}

Test(rtc, flags_set_without_enables_but_no_irq)
{
	clk.now = 3 * NS;
	uint8_t c = cmos_read(RTC_REG_C);
	cr_assert_eq(c, RTC_C_PF | RTC_C_UF, "PF and UF latch even when disabled");
	cr_assert_eq(irq.rises[RTC_IRQ], 0);
	/* enabling UIE with UF already latched asserts IRQF */
	clk.now = 4 * NS;
	cmos_write(RTC_REG_B, RTC_B_24H | RTC_B_UIE);
	cr_assert(irq.level[RTC_IRQ]);
}

Test(rtc, update_ended_interrupt_every_second)
{
	clk.now = 100;
	(void)cmos_read(RTC_REG_C);
	cmos_write(RTC_REG_B, RTC_B_24H | RTC_B_UIE);
	for (int i = 1; i <= 5; i++) {
		uint64_t d = rtc_cmos_next_deadline(&r);
		cr_assert_eq(d, (uint64_t)i * NS);
		rtc_cmos_tick(&r, d);
		cr_assert(irq.level[RTC_IRQ]);
		clk.now = d;
		cr_assert_eq(cmos_read(RTC_REG_C) & (RTC_C_IRQF | RTC_C_UF), RTC_C_IRQF | RTC_C_UF);
	}
	cr_assert_eq(irq.rises[RTC_IRQ], 5);
}

Test(rtc, alarm_exact_and_dont_care)
{
	(void)cmos_read(RTC_REG_C);
	cmos_write(RTC_HOURS_ALARM, 0x12);
	cmos_write(RTC_MINUTES_ALARM, 0x35);
	cmos_write(RTC_SECONDS_ALARM, 0x00);
	cmos_write(RTC_REG_B, RTC_B_24H | RTC_B_AIE);
	cr_assert_eq(rtc_cmos_next_deadline(&r), 4 * NS);
	rtc_cmos_tick(&r, 4 * NS);
	cr_assert(irq.level[RTC_IRQ]);
	clk.now = 4 * NS;
	cr_assert_eq(cmos_read(RTC_REG_C) & (RTC_C_AF | RTC_C_IRQF), RTC_C_AF | RTC_C_IRQF);
	cr_assert_eq(rtc_cmos_next_deadline(&r), (4 + 86400) * NS, "same time tomorrow");
	/* every minute at :30 */
	cmos_write(RTC_HOURS_ALARM, 0xFF);
	cmos_write(RTC_MINUTES_ALARM, 0xC0);
	cmos_write(RTC_SECONDS_ALARM, 0x30);
	cr_assert_eq(rtc_cmos_next_deadline(&r), 34 * NS);
	/* every second */
	cmos_write(RTC_SECONDS_ALARM, 0xC5);
	cr_assert_eq(rtc_cmos_next_deadline(&r), 5 * NS);
	/* an alarm that can never match */
	cmos_write(RTC_SECONDS_ALARM, 0x99);
	cr_assert_eq(rtc_cmos_next_deadline(&r), VDEV_NO_DEADLINE);
	clk.now = 200 * NS;
	cr_assert_eq(cmos_read(RTC_REG_C) & RTC_C_AF, 0);
}

Test(rtc, alarm_found_across_a_long_gap)
{
	(void)cmos_read(RTC_REG_C);
	cmos_write(RTC_HOURS_ALARM, 0x03);
	cmos_write(RTC_MINUTES_ALARM, 0x00);
	cmos_write(RTC_SECONDS_ALARM, 0x00);
	clk.now = 20ULL * 3600 * NS; /* next day 08:34: 03:00 passed in between */
	cr_assert(cmos_read(RTC_REG_C) & RTC_C_AF);
	clk.now += 3600 * NS;
	cr_assert_eq(cmos_read(RTC_REG_C) & RTC_C_AF, 0);
}

Test(rtc, alarm_in_12_hour_mode)
{
	cmos_write(RTC_REG_B, 0); /* 12-hour BCD */
	(void)cmos_read(RTC_REG_C);
	cmos_write(RTC_HOURS_ALARM, RTC_HOUR_PM | 0x01); /* 1 PM */
	cmos_write(RTC_MINUTES_ALARM, 0x00);
	cmos_write(RTC_SECONDS_ALARM, 0x00);
	cmos_write(RTC_REG_B, RTC_B_AIE);
	cr_assert_eq(rtc_cmos_next_deadline(&r), (25 * 60 + 4) * NS);
	cmos_write(RTC_HOURS_ALARM, 0x13); /* not a 12-hour value */
	cr_assert_eq(rtc_cmos_next_deadline(&r), VDEV_NO_DEADLINE);
}

Test(rtc, nvram_storage_and_index_port)
{
	for (unsigned int i = RTC_NVRAM_START; i < RTC_CMOS_SIZE; i++)
		if (i != CMOS_CENTURY)
			cmos_write((uint8_t)i, (uint8_t)(i * 7));
	for (unsigned int i = RTC_NVRAM_START; i < RTC_CMOS_SIZE; i++)
		if (i != CMOS_CENTURY)
			cr_assert_eq(cmos_read((uint8_t)i), (uint8_t)(i * 7), "byte %#x", i);
	out(0x70, 0x8F); /* NMI off, index 0x0F */
	cr_assert(rtc_cmos_nmi_disabled(&r));
	cr_assert_eq(in(0x71), (uint8_t)(0x0F * 7));
	cr_assert_eq(in(0x70), 0x8F);
	out(0x70, 0xFF); /* index 0x7F with NMI off: in range by construction */
	cr_assert_eq(in(0x71), (uint8_t)(0x7F * 7));
	out(0x70, 0x0D);
	cr_assert_not(rtc_cmos_nmi_disabled(&r));
	out(0x71, 0x00);
	cr_assert_eq(in(0x71), RTC_D_VRT, "D is read-only");
}

Test(rtc, memory_size_bytes)
{
	cr_assert_eq(cmos_read(CMOS_EQUIPMENT), CMOS_EQUIPMENT_FPU);
	rtc_cmos_set_memory_size(&r, MiB(256), GiB(2));
	cr_assert_eq(cmos_read(CMOS_BASE_MEM_LO) | cmos_read(CMOS_BASE_MEM_HI) << 8, 640);
	uint16_t ext = (uint16_t)(cmos_read(CMOS_EXT_MEM_LO) | cmos_read(CMOS_EXT_MEM_HI) << 8);
	cr_assert_eq(ext, 0xFFFF, "255 MiB in KiB saturates the 16-bit field");
	cr_assert_eq(cmos_read(CMOS_EXT_MEM2_LO), 0xFF);
	uint16_t above16 = (uint16_t)(cmos_read(CMOS_MEM_ABOVE_16M_LO) |
				      cmos_read(CMOS_MEM_ABOVE_16M_HI) << 8);
	cr_assert_eq(above16, (256 - 16) * 16, "64 KiB units");
	uint32_t high = cmos_read(CMOS_MEM_ABOVE_4G_LO) | cmos_read(CMOS_MEM_ABOVE_4G_MID) << 8 |
			(uint32_t)cmos_read(CMOS_MEM_ABOVE_4G_HI) << 16;
	cr_assert_eq(high, 2 * 16384);
	rtc_cmos_set_memory_size(&r, MiB(16), 0);
	ext = (uint16_t)(cmos_read(CMOS_EXT_MEM_LO) | cmos_read(CMOS_EXT_MEM_HI) << 8);
	cr_assert_eq(ext, 15 * 1024);
	cr_assert_eq(cmos_read(CMOS_MEM_ABOVE_16M_LO), 0);
	unsigned int sum = 0;
	for (unsigned int i = CMOS_CHECKSUM_FIRST; i <= CMOS_CHECKSUM_LAST; i++)
		sum += cmos_read((uint8_t)i);
	cr_assert_eq(sum,
		     (unsigned int)(cmos_read(CMOS_CHECKSUM_HI) << 8 | cmos_read(CMOS_CHECKSUM_LO)));
}

Test(rtc, invalid_time_written_is_clamped_once)
{
	cmos_write(RTC_REG_B, RTC_B_24H | RTC_B_SET);
	cmos_write(RTC_MONTH, 0x13);
	cmos_write(RTC_DAY_OF_MONTH, 0x45);
	cmos_write(RTC_HOURS, 0x3F); /* 3*10 + 15 */
	cmos_write(RTC_REG_B, RTC_B_24H);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("[t] rtc: guest set an invalid time"));
	cr_assert_eq(cmos_read(RTC_MONTH), 0x12);
	cr_assert_eq(cmos_read(RTC_DAY_OF_MONTH), 0x31);
	cr_assert_eq(cmos_read(RTC_HOURS), 0x23);
	cmos_write(RTC_SECONDS, 0xFF);
	cr_assert_eq(host_log_count(), 1, "not repeated");
	cr_assert_eq(cmos_read(RTC_SECONDS), 0x59);
}

Test(rtc, hostile_storm_stays_defined)
{
	srand(3);
	for (int i = 0; i < 100000; i++) {
		clk.now += (uint64_t)(rand() % 3) * (uint64_t)rand();
		if (rand() & 1)
			out((uint16_t)(0x70 + (rand() & 1)), (uint8_t)rand());
		else
			(void)in((uint16_t)(0x70 + (rand() & 1)));
		if ((rand() & 7) == 0) {
			rtc_cmos_tick(&r, clk.now);
			uint64_t d = rtc_cmos_next_deadline(&r);
			cr_assert(d == VDEV_NO_DEADLINE || d > clk.now || r.irq_level,
				  "a tick leaves nothing due behind");
		}
		cr_assert_eq(irq.level[RTC_IRQ], r.irq_level);
	}
	cr_assert_leq(host_log_count(), 2);
}

struct expect_regs {
	uint64_t unix_secs;
	uint8_t sec, min, hour, wday, mday, month, year, century; /* binary values */
};

static uint8_t enc(int binary, uint8_t v)
{
	return binary ? v : (uint8_t)((v / 10) << 4 | v % 10);
}

Test(rtc, known_dates_in_bcd_and_binary)
{
	static const struct expect_regs dates[] = {
		{ 951782400ULL, 0, 0, 0, 3, 29, 2, 0, 20 },             /* 2000-02-29 Tue */
		{ T_2026_11_23_123456, 56, 34, 12, 2, 23, 11, 26, 20 }, /* Mon */
		{ 2147483648ULL, 8, 14, 3, 3, 19, 1, 38, 20 },          /* 2038-01-19 Tue */
		{ 946684799ULL, 59, 59, 23, 6, 31, 12, 99, 19 },        /* 1999-12-31 Fri */
	};
	for (unsigned int i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		const struct expect_regs *e = &dates[i];
		for (int binary = 0; binary < 2; binary++) {
#define ENC(v) enc(binary, (v))
			boot_at(e->unix_secs, 0);
			cmos_write(RTC_REG_B, RTC_B_24H | (binary ? RTC_B_DM_BINARY : 0));
			cr_assert_eq(cmos_read(RTC_SECONDS), ENC(e->sec), "date %u", i);
			cr_assert_eq(cmos_read(RTC_MINUTES), ENC(e->min), "date %u", i);
			cr_assert_eq(cmos_read(RTC_HOURS), ENC(e->hour), "date %u", i);
			cr_assert_eq(cmos_read(RTC_DAY_OF_WEEK), ENC(e->wday), "date %u", i);
			cr_assert_eq(cmos_read(RTC_DAY_OF_MONTH), ENC(e->mday), "date %u", i);
			cr_assert_eq(cmos_read(RTC_MONTH), ENC(e->month), "date %u", i);
			cr_assert_eq(cmos_read(RTC_YEAR), ENC(e->year), "date %u", i);
			cr_assert_eq(cmos_read(CMOS_CENTURY), ENC(e->century), "date %u", i);
#undef ENC
		}
	}
}

Test(rtc, guest_sets_a_known_date_in_binary)
{
	/* Linux mc146818_set_time(): SET, divider reset, fields, restore. */
	cmos_write(RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY | RTC_B_SET);
	cmos_write(RTC_REG_A, 0x26 | RTC_A_DV_RESET);
	cmos_write(RTC_YEAR, 38);
	cmos_write(RTC_MONTH, 1);
	cmos_write(RTC_DAY_OF_MONTH, 19);
	cmos_write(RTC_HOURS, 3);
	cmos_write(RTC_MINUTES, 14);
	cmos_write(RTC_SECONDS, 8);
	cmos_write(CMOS_CENTURY, 20);
	cmos_write(RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY);
	cr_assert_eq(cmos_read(RTC_SECONDS), 8, "divider still in reset: frozen");
	clk.now = 5 * NS;
	cmos_write(RTC_REG_A, 0x26);
	cr_assert_eq(rtc_cmos_guest_time(&r, clk.now), 2147483648LL);
	clk.now += NS / 2;
	cr_assert_eq(rtc_cmos_guest_time(&r, clk.now), 2147483649LL, "first update 500 ms later");
	cr_assert_eq(cmos_read(RTC_DAY_OF_WEEK), 3);
	cr_assert_eq(host_log_count(), 0);
}
