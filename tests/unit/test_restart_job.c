/* SPDX-License-Identifier: BSD-2-Clause */
/* core/lib/restart_job.c: a restart as bounded steps, and the restart rate
 * limiter (issue 12, "work that cannot be preempted"). */
#include <criterion/criterion.h>

#include "core/lib/restart_job.h"

#define MiB(x) ((uint64_t)(x) << 20)
#define SEC 1000000000ULL

Test(restart_job, zeroes_ram_in_bounded_chunks_then_loads_once)
{
	struct restart_job j = { 0 };
	uint64_t covered = 0, zero_steps = 0;

	restart_job_begin(&j, MiB(256), 0);
	for (;;) {
		struct restart_step s = restart_job_next(&j, 0);
		if (s.kind == RESTART_STEP_LOAD)
			break;
		cr_assert_eq(s.kind, RESTART_STEP_ZERO);
		cr_assert_eq(s.off, covered, "chunks in order, no gap or overlap");
		cr_assert(s.len > 0 && s.len <= RESTART_ZERO_CHUNK, "chunk of %lu bytes", s.len);
		covered += s.len;
		zero_steps++;
	}
	cr_assert_eq(covered, MiB(256), "all RAM zeroed before the load");
	cr_assert_eq(zero_steps, MiB(256) / RESTART_ZERO_CHUNK);
	cr_assert_eq(restart_job_next(&j, 0).kind, RESTART_STEP_NONE, "idle after the load");
	cr_assert(!restart_job_ready(&j, 0));
}

Test(restart_job, last_chunk_is_the_remainder)
{
	struct restart_job j = { 0 };
	restart_job_begin(&j, RESTART_ZERO_CHUNK + 4096, 0);
	struct restart_step a = restart_job_next(&j, 0), b = restart_job_next(&j, 0);
	cr_assert_eq(a.len, RESTART_ZERO_CHUNK);
	cr_assert_eq(b.off, RESTART_ZERO_CHUNK);
	cr_assert_eq(b.len, 4096);
	cr_assert_eq(restart_job_next(&j, 0).kind, RESTART_STEP_LOAD);
}

Test(restart_job, waits_for_its_start_time)
{
	struct restart_job j = { 0 };
	restart_job_begin(&j, MiB(4), 5 * SEC);
	cr_assert(!restart_job_ready(&j, 5 * SEC - 1));
	cr_assert_eq(restart_job_next(&j, 1 * SEC).kind, RESTART_STEP_NONE);
	cr_assert(restart_job_ready(&j, 5 * SEC));
	cr_assert_eq(restart_job_next(&j, 5 * SEC).kind, RESTART_STEP_ZERO);
}

Test(restart_job, no_ram_goes_straight_to_load)
{
	struct restart_job j = { 0 };
	restart_job_begin(&j, 0, 0);
	cr_assert_eq(restart_job_next(&j, 0).kind, RESTART_STEP_LOAD);
}

Test(restart_job, cancel_leaves_nothing_to_do)
{
	struct restart_job j = { 0 };
	restart_job_begin(&j, MiB(64), 0);
	(void)restart_job_next(&j, 0);
	restart_job_cancel(&j);
	cr_assert(!restart_job_ready(&j, 0));
	cr_assert_eq(restart_job_next(&j, 0).kind, RESTART_STEP_NONE);
}

Test(restart_job, idle_job_is_never_ready)
{
	struct restart_job j = { 0 };
	cr_assert(!restart_job_ready(&j, ~0ULL));
}

Test(restart_limiter, a_burst_goes_at_once)
{
	struct restart_limiter l = { 0 };
	for (unsigned i = 0; i < RESTART_BURST; i++)
		cr_assert_eq(restart_limiter_take(&l, 100), 0, "restart %u of the burst waited", i);
	cr_assert_eq(l.limited, 0);
}

Test(restart_limiter, then_waits_with_doubling_back_off)
{
	struct restart_limiter l = { 0 };
	uint64_t now = 0;
	for (unsigned i = 0; i < RESTART_BURST; i++)
		restart_limiter_take(&l, now);
	/* The bucket is empty: the first token is due one interval after the
	 * burst began; each restart after it waits twice as long as before. */
	uint64_t w1 = restart_limiter_take(&l, now);
	cr_assert_eq(w1, RESTART_INTERVAL_NS);
	now += w1;
	uint64_t w2 = restart_limiter_take(&l, now);
	cr_assert_eq(w2, 2 * RESTART_INTERVAL_NS);
	now += w2;
	uint64_t w3 = restart_limiter_take(&l, now);
	cr_assert_eq(w3, 4 * RESTART_INTERVAL_NS);
	cr_assert_eq(l.limited, 3);
}

Test(restart_limiter, back_off_is_capped)
{
	struct restart_limiter l = { 0 };
	uint64_t now = 0, w = 0;
	for (unsigned i = 0; i < 40; i++) {
		w = restart_limiter_take(&l, now);
		cr_assert(w <= RESTART_INTERVAL_MAX_NS, "waited %lu ns", w);
		now += w;
	}
	cr_assert_eq(w, RESTART_INTERVAL_MAX_NS);
}

Test(restart_limiter, restarts_over_a_long_run_are_few)
{
	/* A partition restarting as fast as it may for 60 s gets at most the
	 * burst plus what the doubling intervals allow. */
	struct restart_limiter l = { 0 };
	uint64_t now = 0;
	unsigned n = 0;
	while (now < 60 * SEC) {
		now += restart_limiter_take(&l, now);
		n++;
	}
	cr_assert(n <= RESTART_BURST + 8, "%u restarts in 60 s", n);
}

Test(restart_limiter, a_calm_partition_is_forgiven)
{
	struct restart_limiter l = { 0 };
	uint64_t now = 0;
	for (unsigned i = 0; i < 6; i++)
		now += restart_limiter_take(&l, now);
	cr_assert(l.interval_ns > RESTART_INTERVAL_NS, "backed off");
	/* Quiet long enough for the bucket to fill at the backed-off rate. */
	now += 10 * RESTART_INTERVAL_MAX_NS;
	for (unsigned i = 0; i < RESTART_BURST; i++)
		cr_assert_eq(restart_limiter_take(&l, now), 0, "restart %u after the calm waited", i);
	cr_assert_eq(l.interval_ns, RESTART_INTERVAL_NS, "back-off forgiven");
	cr_assert_eq(restart_limiter_take(&l, now), RESTART_INTERVAL_NS);
}

Test(restart_limiter, tokens_come_back_one_interval_apart)
{
	struct restart_limiter l = { 0 };
	for (unsigned i = 0; i < RESTART_BURST; i++)
		restart_limiter_take(&l, 0);
	/* 2.5 intervals later, two tokens are back. */
	uint64_t t = 2 * RESTART_INTERVAL_NS + RESTART_INTERVAL_NS / 2;
	cr_assert_eq(restart_limiter_take(&l, t), 0);
	cr_assert_eq(restart_limiter_take(&l, t), 0);
	cr_assert_eq(restart_limiter_take(&l, t), RESTART_INTERVAL_NS / 2);
}
