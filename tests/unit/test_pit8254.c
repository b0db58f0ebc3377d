/* SPDX-License-Identifier: BSD-2-Clause */
/* 8254 PIT: time conversion, modes 0-5, latch and read-back, BCD, port 0x61
 * and channel 2 the way Linux calibrates with it, IRQ0 deadlines. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/iobus.h"
#include "drivers/vdev/pit8254.h"
#include "tests/unit/support/host_log.h"
#include "tests/unit/support/vdev_fakes.h"

static struct pit8254 p;
static struct fake_clock clk;
static struct irq_recorder irq;
static struct iobus bus;

static void setup(void)
{
	fake_clock_init(&clk, 0);
	recorder_init(&irq);
	host_log_reset();
	pit8254_init(&p, "t", &clk.vc, &irq.sink, PIT_IRQ);
	memset(&bus, 0, sizeof(bus));
	cr_assert(pit8254_attach(&p, &bus));
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

/* Advance the fake clock to exactly the start of input tick t. */
static void at_tick(uint64_t t)
{
	clk.now = pit8254_ticks_to_ns(t);
	cr_assert_eq(pit8254_ns_to_ticks(clk.now), t);
}

static void program(unsigned int ch, unsigned int mode, uint16_t count)
{
	out(0x43, (uint8_t)(ch << 6 | PIT_RW_LSB_MSB << 4 | mode << 1));
	out(0x40 + ch, count & 0xFF);
	out(0x40 + ch, count >> 8);
}

/* Two byte reads, LSB first (operand evaluation order is unspecified). */
static uint16_t read16(uint16_t port)
{
	uint8_t lo = in(port);
	uint8_t hi = in(port);
	return (uint16_t)(lo | hi << 8);
}

static uint16_t latched(unsigned int ch)
{
	out(0x43, (uint8_t)(ch << 6)); /* counter latch command */
	uint8_t lo = in(0x40 + ch);
	return (uint16_t)(lo | in(0x40 + ch) << 8);
}

TestSuite(pit, .init = setup);

Test(pit, tick_conversion_is_exact_and_does_not_overflow)
{
	cr_assert_eq(pit8254_ns_to_ticks(1000000000ULL), PIT_INPUT_HZ);
	cr_assert_eq(pit8254_ns_to_ticks(999), 1); /* 838.1 ns per tick */
	cr_assert_eq(pit8254_ns_to_ticks(838), 0);
	cr_assert_eq(pit8254_ticks_to_ns(1), 839);
	cr_assert_eq(pit8254_ticks_to_ns(PIT_INPUT_HZ), 1000000000ULL);
	/* 1000 hours of uptime */
	uint64_t ns = 1000ULL * 3600 * 1000000000ULL;
	cr_assert_eq(pit8254_ns_to_ticks(ns), 1000ULL * 3600 * PIT_INPUT_HZ);
	cr_assert_eq(pit8254_ns_to_ticks(ns + 500000000ULL),
		     1000ULL * 3600 * PIT_INPUT_HZ + PIT_INPUT_HZ / 2);
	/* ceil/floor round trip, everywhere in range */
	srand(7);
	for (int i = 0; i < 100000; i++) {
		uint64_t t = ((uint64_t)rand() << 31 ^ (uint64_t)rand()) % (1ULL << 52);
		uint64_t n = pit8254_ticks_to_ns(t);
		cr_assert_eq(pit8254_ns_to_ticks(n), t);
		cr_assert_lt(pit8254_ns_to_ticks(n - 1), t);
	}
	cr_assert_eq(pit8254_ticks_to_ns(UINT64_MAX), UINT64_MAX, "saturates");
	cr_assert_eq(pit8254_ns_to_ticks(UINT64_MAX),
		     18446744073709551615ULL / 1000000000ULL * PIT_INPUT_HZ +
				     (18446744073709551615ULL % 1000000000ULL) * PIT_INPUT_HZ /
						     1000000000ULL);
}

Test(pit, mode2_periodic_irq0)
{
	uint64_t period = 1193; /* ~1 kHz */
	program(0, 2, (uint16_t)period);
	cr_assert_eq(pit8254_next_deadline(&p), pit8254_ticks_to_ns(period));
	pit8254_tick(&p, pit8254_ticks_to_ns(period) - 1);
	cr_assert_eq(irq.rises[0], 0, "not yet due");
	pit8254_tick(&p, pit8254_ticks_to_ns(period));
	cr_assert_eq(irq.rises[0], 1);
	cr_assert_eq(irq.falls[0], 1, "a pulse");
	cr_assert_eq(pit8254_next_deadline(&p), pit8254_ticks_to_ns(2 * period));
	/* The scheduler slept through edges 2..12: one interrupt, 10 lost. */
	pit8254_tick(&p, pit8254_ticks_to_ns(12 * period) + 5);
	cr_assert_eq(irq.rises[0], 2);
	cr_assert_eq(p.irq_lost, 10);
	cr_assert_eq(pit8254_next_deadline(&p), pit8254_ticks_to_ns(13 * period), "phase kept");
}

Test(pit, mode2_count_and_out)
{
	program(0, 2, 1000);
	at_tick(300);
	cr_assert_eq(latched(0), 700);
	at_tick(999);
	cr_assert_eq(latched(0), 1);
	cr_assert_not(pit8254_out(&p, 0), "OUT low for the clock at count 1");
	at_tick(1000);
	cr_assert_eq(latched(0), 1000, "reloaded");
	cr_assert(pit8254_out(&p, 0));
}

Test(pit, mode0_one_shot_irq0)
{
	program(0, 0, 100);
	cr_assert_not(pit8254_out(&p, 0));
	at_tick(99);
	cr_assert_not(pit8254_out(&p, 0));
	at_tick(100);
	cr_assert(pit8254_out(&p, 0), "OUT high at terminal count");
	pit8254_tick(&p, clk.now);
	cr_assert_eq(irq.rises[0], 1);
	cr_assert_eq(pit8254_next_deadline(&p), VDEV_NO_DEADLINE, "one shot");
	at_tick(100 + 65536 * 3);
	pit8254_tick(&p, clk.now);
	cr_assert_eq(irq.rises[0], 1);
	cr_assert(pit8254_out(&p, 0), "stays high while the counter wraps");
	cr_assert_eq(latched(0), 0, "counter kept counting and wrapped");
	/* Linux's oneshot clockevent rewrites the count: re-armed. */
	out(0x40, 50);
	cr_assert_not(pit8254_out(&p, 0), "first byte stops the count, OUT low");
	cr_assert_eq(pit8254_next_deadline(&p), VDEV_NO_DEADLINE);
	out(0x40, 0);
	cr_assert_eq(pit8254_next_deadline(&p), pit8254_ticks_to_ns(100 + 65536 * 3 + 50));
}

Test(pit, count_zero_means_65536)
{
	program(0, 2, 0);
	cr_assert_eq(pit8254_next_deadline(&p), pit8254_ticks_to_ns(65536));
	at_tick(1);
	cr_assert_eq(latched(0), 65535);
}

Test(pit, mode3_square_wave)
{
	program(0, 3, 100);
	at_tick(10);
	cr_assert(pit8254_out(&p, 0));
	cr_assert_eq(latched(0), 80, "mode 3 counts down by two");
	at_tick(49);
	cr_assert(pit8254_out(&p, 0));
	at_tick(50);
	cr_assert_not(pit8254_out(&p, 0), "second half low");
	at_tick(100);
	cr_assert(pit8254_out(&p, 0));
	pit8254_tick(&p, clk.now);
	cr_assert_eq(irq.rises[0], 1);
	cr_assert_eq(pit8254_next_deadline(&p), pit8254_ticks_to_ns(200));
}

Test(pit, mode4_strobe)
{
	program(0, 4, 10);
	at_tick(9);
	cr_assert(pit8254_out(&p, 0));
	at_tick(10);
	cr_assert_not(pit8254_out(&p, 0), "one clock low at terminal count");
	at_tick(11);
	cr_assert(pit8254_out(&p, 0));
	cr_assert_eq(pit8254_next_deadline(&p), pit8254_ticks_to_ns(11),
		     "rising edge after the strobe");
}

Test(pit, latch_holds_and_second_latch_is_ignored)
{
	program(0, 2, 5000);
	at_tick(1000);
	out(0x43, 0x00);
	at_tick(2000);
	out(0x43, 0x00); /* ignored: first latch not read yet */
	uint8_t lo = in(0x40);
	at_tick(3000);
	uint8_t hi = in(0x40);
	cr_assert_eq(lo | hi << 8, 4000, "value of the first latch");
	cr_assert_eq(latched(0), 2000, "released after reading, new latch works");
	/* live lo/hi reads alternate */
	at_tick(3500);
	cr_assert_eq(read16(0x40), 1500);
}

Test(pit, readback_status_then_count)
{
	program(2, 0, 1000); /* gate 2 low: loaded, not counting */
	out(0x61, PORT61_GATE2);
	at_tick(10);
	out(0x43, 0xC0 | PIT_RB_CHANNEL(2)); /* latch count and status */
	uint8_t st = in(0x42);
	cr_assert_eq(st, PIT_RW_LSB_MSB << 4 | 0 << 1, "mode 0, lo/hi, OUT low, count loaded");
	cr_assert_eq(read16(0x42), 990);
	/* status only */
	out(0x43, 0xC0 | PIT_RB_NOT_COUNT | PIT_RB_CHANNEL(2));
	cr_assert_eq(in(0x42), st);
	/* null count after a control word */
	out(0x43, 0xB6);
	out(0x43, 0xC0 | PIT_RB_NOT_COUNT | PIT_RB_CHANNEL(2));
	cr_assert_eq(in(0x42), PIT_STATUS_NULL_COUNT | PIT_STATUS_OUT | 0x36);
	/* both latched with a repeated read-back: still the first values */
	out(0x42, 0x10);
	out(0x42, 0x00);
	out(0x43, 0xC0 | PIT_RB_CHANNEL(2));
	out(0x43, 0xC0 | PIT_RB_CHANNEL(2));
	cr_assert_eq(in(0x42), PIT_STATUS_OUT | 0x36);
	cr_assert_eq(read16(0x42), 16);
}

Test(pit, linux_pit_calibrate_tsc_channel2)
{
	/* arch/x86/kernel/tsc.c pit_calibrate_tsc(): gate high, speaker off,
	 * channel 2 mode 0 with a 50 ms latch, then poll port 0x61 bit 5. */
	uint16_t latch = (uint16_t)(PIT_INPUT_HZ / 20);
	out(0x61, (uint8_t)((in(0x61) & ~PORT61_SPEAKER) | PORT61_GATE2));
	out(0x43, 0xB0);
	out(0x42, latch & 0xFF);
	out(0x42, latch >> 8);
	uint64_t start = clk.now;
	unsigned int polls = 0;
	while (!(in(0x61) & PORT61_OUT2)) {
		clk.now += 7000; /* each poll costs a few microseconds */
		polls++;
		cr_assert_lt(polls, 100000);
	}
	uint64_t took = clk.now - start;
	cr_assert_geq(took, 50000000ULL - 7000);
	cr_assert_leq(took, 50000000ULL + 7000);
}

Test(pit, linux_quick_pit_calibrate_reads_msb)
{
	out(0x61, PORT61_GATE2);
	out(0x43, 0xB0);
	out(0x42, 0xFF);
	out(0x42, 0xFF);
	uint8_t last_msb = 0xFF;
	for (int i = 0; i < 200; i++) {
		clk.now += 200000; /* 200 us: about 238 ticks */
		(void)in(0x42);
		uint8_t msb = in(0x42);
		cr_assert_leq(msb, last_msb, "MSB only decreases");
		last_msb = msb;
	}
	cr_assert_lt(last_msb, 0xFF - 150);
}

Test(pit, gate_low_suspends_mode0)
{
	out(0x61, PORT61_GATE2);
	program(2, 0, 1000);
	at_tick(400);
	out(0x61, 0);
	at_tick(5000);
	cr_assert_eq(latched(2), 600, "no counting with gate low");
	cr_assert_eq(in(0x61) & PORT61_OUT2, 0);
	out(0x61, PORT61_GATE2);
	at_tick(5000 + 600);
	cr_assert(in(0x61) & PORT61_OUT2);
	cr_assert_eq(in(0x61) & PORT61_WRITABLE, PORT61_GATE2, "writable bits read back");
}

Test(pit, mode1_and_mode5_need_a_gate_trigger)
{
	program(2, 1, 100);
	at_tick(500);
	cr_assert(in(0x61) & PORT61_OUT2, "armed, not triggered: OUT high");
	out(0x61, PORT61_GATE2); /* rising edge triggers */
	at_tick(550);
	cr_assert_eq(in(0x61) & PORT61_OUT2, 0, "one-shot low while counting");
	at_tick(600);
	cr_assert(in(0x61) & PORT61_OUT2);
	out(0x61, 0);
	program(2, 5, 10);
	out(0x61, PORT61_GATE2);
	at_tick(610);
	cr_assert_eq(in(0x61) & PORT61_OUT2, 0, "mode 5 strobe");
	at_tick(611);
	cr_assert(in(0x61) & PORT61_OUT2);
}

Test(pit, mode2_gate_reloads)
{
	out(0x61, PORT61_GATE2);
	program(2, 2, 100);
	at_tick(30);
	out(0x61, 0);
	cr_assert(in(0x61) & PORT61_OUT2, "gate low forces OUT high");
	at_tick(1000);
	out(0x61, PORT61_GATE2);
	at_tick(1010);
	cr_assert_eq(latched(2), 90, "restarted from the full count");
}

Test(pit, bcd_counting)
{
	out(0x43, 0x31); /* ch0 lo/hi mode 0 BCD */
	out(0x40, 0x99);
	out(0x40, 0x99);
	at_tick(1);
	cr_assert_eq(latched(0), 0x9998);
	at_tick(9999);
	cr_assert(pit8254_out(&p, 0));
	out(0x43, 0x35); /* mode 2 BCD, count 0 = 10000 */
	out(0x40, 0);
	out(0x40, 0);
	cr_assert_eq(pit8254_next_deadline(&p), pit8254_ticks_to_ns(9999 + 10000));
	at_tick(9999 + 1);
	cr_assert_eq(latched(0), 0x9999);
}

Test(pit, lobyte_and_hibyte_access_modes)
{
	out(0x43, 0x14); /* ch0 LSB only, mode 2 */
	out(0x40, 200);
	cr_assert_eq(pit8254_next_deadline(&p), pit8254_ticks_to_ns(200));
	at_tick(50);
	cr_assert_eq(in(0x40), 150);
	cr_assert_eq(in(0x40), 150, "LSB-only reads never toggle");
	out(0x43, 0x24); /* MSB only */
	out(0x40, 0x02);
	cr_assert_eq(pit8254_next_deadline(&p), pit8254_ticks_to_ns(50 + 512));
	at_tick(50 + 256);
	cr_assert_eq(in(0x40), 0x01);
}

Test(pit, refresh_toggle_follows_time)
{
	clk.now = 0;
	uint8_t a = in(0x61) & PORT61_REFRESH;
	clk.now = PORT61_REFRESH_NS;
	uint8_t b = in(0x61) & PORT61_REFRESH;
	clk.now = 2 * PORT61_REFRESH_NS;
	uint8_t c = in(0x61) & PORT61_REFRESH;
	cr_assert_neq(a, b);
	cr_assert_eq(a, c);
	out(0x61, 0xFF);
	cr_assert_eq(p.port61, PORT61_WRITABLE, "bits 4-7 are read-only");
}

Test(pit, hostile_sequences_stay_defined)
{
	/* before any programming */
	cr_assert_eq(in(0x40), 0);
	cr_assert_eq(in(0x43), 0xFF, "control register cannot be read");
	cr_assert_eq(pit8254_next_deadline(&p), VDEV_NO_DEADLINE);
	pit8254_tick(&p, 123456789);
	cr_assert_eq(irq.rises[0], 0);
	/* illegal count 1 in mode 2: clamped, warned once */
	program(0, 2, 1);
	program(0, 3, 1);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("[t] pit:"));
	cr_assert_eq(pit8254_next_deadline(&p), pit8254_ticks_to_ns(2));
	/* lo/hi write interrupted by a new control word */
	out(0x43, 0x34);
	out(0x40, 0x10);
	out(0x43, 0x34);
	out(0x40, 0x20);
	out(0x40, 0x00);
	cr_assert_eq(p.ch[0].period, 0x20);
	/* invalid BCD digits */
	out(0x43, 0x35);
	out(0x40, 0xFF);
	out(0x40, 0xFF);
	cr_assert_eq(host_log_count(), 2);
	/* modes 6 and 7 alias 2 and 3 */
	out(0x43, 0x3C);
	cr_assert_eq(p.ch[0].mode, 2);
	/* wide accesses */
	uint64_t v;
	cr_assert_eq(pit8254_io_read(&p, 2, 4, &v), 0);
	cr_assert_eq(v >> 8, 0xFFFFFF, "control byte and past the range float");
	/* storm */
	srand(5);
	for (int i = 0; i < 100000; i++) {
		uint16_t port = (rand() % 5 == 4) ? 0x61 : (uint16_t)(0x40 + rand() % 4);
		clk.now += (uint64_t)(rand() % 100000);
		if (rand() & 1)
			out(port, (uint8_t)rand());
		else
			(void)in(port);
		if ((rand() & 15) == 0) {
			pit8254_tick(&p, clk.now);
			uint64_t d = pit8254_next_deadline(&p);
			cr_assert(d == VDEV_NO_DEADLINE || d > clk.now,
				  "a tick consumes every due edge");
		}
		for (int c = 0; c < 3; c++)
			cr_assert(p.ch[c].period >= 1 && p.ch[c].mode <= 5);
	}
}

Test(pit, deadlines_after_hours_of_uptime)
{
	clk.now = 30ULL * 3600 * 1000000000ULL + 123456789; /* 30 hours */
	program(0, 2, 11932);                               /* 100 Hz */
	uint64_t d = pit8254_next_deadline(&p);
	cr_assert_gt(d, clk.now);
	cr_assert_lt(d - clk.now, 10000838ULL + 1000);
	cr_assert_gt(d - clk.now, 9998000ULL);
	for (int i = 0; i < 1000; i++) {
		pit8254_tick(&p, pit8254_next_deadline(&p));
	}
	cr_assert_eq(irq.rises[0], 1000);
	cr_assert_eq(p.irq_lost, 0);
}
