/* SPDX-License-Identifier: BSD-2-Clause */
/* arch/x86/cpu/tsc_calib.c: the TSC measured against simulated clocks. A
 * simulated machine has one real time; every read of a clock moves it on a
 * little, and now and then a lot (the CPU taken away: a busy host). */
#include <criterion/criterion.h>
#include <string.h>

#include "arch/x86/cpu/tsc_calib.h"

struct sim {
	uint64_t now_ps;  /* real time, picoseconds */
	uint64_t read_ps; /* each clock read takes this long */
	uint64_t tsc_hz;
	uint64_t reads;
	uint64_t stall_every;  /* every Nth read is delayed ... */
	uint64_t stall_ps;     /* ... by this much (0: never) */
	uint64_t stall_offset; /* stall the read with this remainder */
};

static struct sim sim;

static void tick(void)
{
	sim.reads++;
	sim.now_ps += sim.read_ps;
	if (sim.stall_ps && sim.reads % sim.stall_every == sim.stall_offset)
		sim.now_ps += sim.stall_ps;
}

/* value of a clock of hz at now, in 128 bits: ps * hz overflows 64 */
static uint64_t at(uint64_t hz)
{
	return (uint64_t)((unsigned __int128)sim.now_ps * hz / 1000000000000ULL);
}

static uint64_t sim_rdtsc(void *ctx)
{
	tick();
	return at(sim.tsc_hz);
}

struct counter {
	uint64_t hz;
	bool down, stopped;
	uint64_t stopped_at;
};

static uint64_t sim_counter(void *ctx)
{
	struct counter *k = ctx;
	tick();
	if (k->stopped)
		return k->stopped_at;
	uint64_t v = at(k->hz);
	return k->down ? ~v : v;
}

static struct counter hpet = { 100000000ULL, false, false, 0 };
static struct counter pm = { 3579545ULL, false, false, 0 };
static struct counter pit = { 1193182ULL, true, false, 0 };
static struct tsc_calib c;

static void setup(void)
{
	memset(&sim, 0, sizeof(sim));
	sim.now_ps = 123456789000ULL;
	sim.read_ps = 1000000; /* 1 us per port read, as on hardware */
	sim.tsc_hz = 2600000000ULL;
	pit.stopped = false;
	memset(&c, 0, sizeof(c));
	c.rdtsc = sim_rdtsc;
	c.ref[0] = (struct tsc_calib_ref){ "HPET", hpet.hz, UINT64_MAX, false, sim_counter, &hpet };
	c.ref[1] = (struct tsc_calib_ref){ "ACPI PM timer", pm.hz, 0xffffff, false, sim_counter, &pm };
	c.ref[2] = (struct tsc_calib_ref){ "PIT", pit.hz, 0xffff, true, sim_counter, &pit };
	c.nr_refs = 3;
}

TestSuite(tsc_calib, .init = setup);

static void assert_close(uint64_t got, uint64_t want, uint64_t ppm)
{
	uint64_t d = got > want ? got - want : want - got;
	cr_assert_leq(d, want / 1000000 * ppm, "%lu Hz is not within %lu ppm of %lu Hz", got, ppm,
		      want);
}

Test(tsc_calib, quiet_machine_every_reference_agrees)
{
	cr_assert_neq(tsc_calib_run(&c), 0);
	cr_assert_eq(c.chosen, 0, "the first good reference is used");
	for (unsigned int i = 0; i < 3; i++) {
		cr_assert_eq(c.result[i].verdict, TSC_CALIB_OK, "%s: %s", c.ref[i].name,
			     tsc_calib_verdict_name(c.result[i].verdict));
		assert_close(c.result[i].hz, sim.tsc_hz, 100);
	}
}

/* The case of issue 11: the CPU taken away for 20 ms now and then. Waiting
 * for a timer to expire (the old way) counted the stall as TSC cycles and
 * gave frequencies up to 3 times too high; reading counters does not. */
Test(tsc_calib, long_stalls_between_reads_change_nothing)
{
	sim.stall_every = 97;
	sim.stall_offset = 50;
	sim.stall_ps = 20000000000ULL; /* 20 ms */
	pit.hz = 0;                    /* the PIT wraps every 55 ms: see the next test */
	c.nr_refs = 2;
	cr_assert_neq(tsc_calib_run(&c), 0);
	assert_close(c.result[0].hz, sim.tsc_hz, 100);
	assert_close(c.result[1].hz, sim.tsc_hz, 100);
	pit.hz = 1193182ULL;
}

Test(tsc_calib, stall_inside_a_bracket_is_rejected_not_believed)
{
	/* Every read of the 8 tries of every bracket stalls 5 us: all too wide. */
	sim.stall_every = 1;
	sim.stall_offset = 0;
	sim.stall_ps = 50000000; /* 50 us per read */
	c.nr_refs = 1;
	cr_assert_eq(tsc_calib_run(&c), 0);
	cr_assert_eq(c.result[0].verdict, TSC_CALIB_NOISY);
	cr_assert_eq(c.chosen, -1);
}

Test(tsc_calib, gated_pit_is_reported_stopped)
{
	pit.stopped = true;
	pit.stopped_at = 0x1234;
	struct tsc_calib_result r = tsc_calib_measure(&c, &c.ref[2]);
	cr_assert_eq(r.verdict, TSC_CALIB_STUCK);
	/* The machine still calibrates from the others. */
	c.ref[0] = c.ref[2];
	cr_assert_neq(tsc_calib_run(&c), 0);
	cr_assert_eq(c.chosen, 1, "the PM timer, after the stopped PIT");
	assert_close(c.result[1].hz, sim.tsc_hz, 100);
}

Test(tsc_calib, pit_alone_counts_down_and_wraps)
{
	c.ref[0] = c.ref[2];
	c.nr_refs = 1;
	sim.tsc_hz = 3700000000ULL;
	cr_assert_eq(tsc_calib_run(&c), c.result[0].hz);
	assert_close(c.result[0].hz, sim.tsc_hz, 200);
}

Test(tsc_calib, pm_timer_24_bit_wrap_inside_a_window)
{
	/* Start 2 ms before the 24-bit counter wraps. */
	uint64_t wrap_ps = (uint64_t)((unsigned __int128)0x1000000 * 1000000000000ULL / pm.hz);
	sim.now_ps = wrap_ps * 7 - 2000000000ULL;
	struct tsc_calib_result r = tsc_calib_measure(&c, &c.ref[1]);
	cr_assert_eq(r.verdict, TSC_CALIB_OK);
	assert_close(r.hz, sim.tsc_hz, 100);
}

Test(tsc_calib, a_tsc_far_too_slow_is_implausible)
{
	sim.tsc_hz = 5000000ULL; /* 5 MHz */
	c.nr_refs = 1;
	cr_assert_eq(tsc_calib_run(&c), 0);
	cr_assert_eq(c.result[0].verdict, TSC_CALIB_IMPLAUSIBLE);
}

Test(tsc_calib, a_reference_without_frequency_is_skipped)
{
	c.ref[0].hz = 0;
	cr_assert_neq(tsc_calib_run(&c), 0);
	cr_assert_eq(c.result[0].verdict, TSC_CALIB_IMPLAUSIBLE);
	cr_assert_eq(c.chosen, 1);
}
