/* SPDX-License-Identifier: BSD-2-Clause */
/* The benchmark guests (bench-cpuid, bench-pio, bench-hypercall, bench-loop).
 *
 * Each runs BENCH_N iterations of a loop whose body makes one exit of its
 * kind, then the same loop with the exiting instruction replaced by one that
 * does not exit (the reference), and prints for each
 *
 *	BENCH <name> n=<N> tsc=<TSC delta> ns=<HC_TIME_NS delta>
 *
 * Under QEMU -icount shift=0 the TSC counts executed instructions, so
 * (tsc(<kind>) - tsc(<kind>_ref)) / N = instructions per round trip outside
 * the guest's loop, i.e. the hypervisor's instructions plus the exiting
 * instruction itself (minus the one it replaced). bench-loop prints the bare
 * loop cost for calibration. Loops are in assembly so their instruction
 * count does not depend on the compiler. */
#ifndef BULKHEAD_GUEST_BENCH_H
#define BULKHEAD_GUEST_BENCH_H

#include "rt.h"

#ifndef BENCH_N
#define BENCH_N 100000
#endif
#define BENCH_WARMUP 100

struct bench_sample {
	uint64_t tsc;
	unsigned long ns;
};

/* Runs fn(n) once as warm-up and once measured. */
static inline struct bench_sample bench_run(void (*fn)(unsigned long n))
{
	struct bench_sample s;
	uint64_t t0;
	unsigned long n0;

	fn(BENCH_WARMUP);
	n0 = rt_hc_time_ns();
	t0 = rdtsc();
	fn(BENCH_N);
	s.tsc = rdtsc() - t0;
	s.ns = rt_hc_time_ns() - n0;
	return s;
}

static inline void bench_report(const char *name, struct bench_sample s)
{
	rt_printf("BENCH %s n=%u tsc=%llu ns=%lu\n", name, BENCH_N, (unsigned long long)s.tsc, s.ns);
}

/* Measures an exiting loop and its reference, and passes if the exits cost
 * something (a loop that did not exit at all would show no difference). */
static inline void bench_pair(const char *name, const char *ref_name,
			      void (*exiting)(unsigned long), void (*reference)(unsigned long))
{
	struct bench_sample e = bench_run(exiting);
	struct bench_sample r = bench_run(reference);

	bench_report(name, e);
	bench_report(ref_name, r);
	rt_check(name, e.tsc > r.tsc, "exiting loop %llu TSC ticks, reference %llu",
		 (unsigned long long)e.tsc, (unsigned long long)r.tsc);
}

#endif
