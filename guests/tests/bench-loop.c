/* SPDX-License-Identifier: BSD-2-Clause */
/* bench-loop: the bare loop (an ADD, DEC, JNZ per iteration; no exits) for
 * calibration: under QEMU -icount shift=0, tsc / N is the instructions per
 * iteration (3), which checks the method itself (see bench.h). */
#include "bench.h"

static void loop_add(unsigned long n)
{
	unsigned long acc = 0;

	asm volatile("1: add $1, %1\n\t"
		     "dec %0\n\t"
		     "jnz 1b"
		     : "+D"(n), "+r"(acc)
		     :
		     : "memory");
}

void guest_main(void)
{
	struct bench_sample s = bench_run(loop_add);

	bench_report("loop", s);
	rt_check("loop", s.tsc >= BENCH_N, "%llu TSC ticks for %u iterations",
		 (unsigned long long)s.tsc, BENCH_N);
}
