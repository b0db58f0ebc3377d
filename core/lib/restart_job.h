/* SPDX-License-Identifier: BSD-2-Clause */
/* A partition restart as work in bounded steps (issue 12, "work that cannot
 * be preempted"), and the rate limit on restarts. Pure: host tests drive it
 * (tests/unit/test_restart_job.c); core/partition.c does each step's work
 * and core/sched.c decides when, charging it to the restarting partition.
 *
 * A restart used to zero and reload all of a partition's RAM inside the one
 * exit that asked for it: with mem=256M a partition restarting in a loop
 * held its host CPU for most of the time. Now the job is
 *
 *   WAIT (rate limit) --> ZERO (RESTART_ZERO_CHUNK bytes a step) --> LOAD --> DONE
 *
 * and the scheduler runs its steps, on the home CPU of the partition's
 * vCPU 0, in the time slices that vCPU would have had; the partition's vCPUs
 * do not run until it is done.
 *
 * Rate limit: a token bucket of RESTART_BURST restarts, one token back
 * every interval (RESTART_INTERVAL_NS at first). A restart that finds the
 * bucket empty waits for the next token, and doubles the interval (back-off,
 * at most RESTART_INTERVAL_MAX_NS); the interval returns to
 * RESTART_INTERVAL_NS once the bucket has filled up again. */
#ifndef BULKHEAD_CORE_LIB_RESTART_JOB_H
#define BULKHEAD_CORE_LIB_RESTART_JOB_H

#include <stdbool.h>
#include <stdint.h>

/* RAM zeroed per step: 2 MiB is ~0.1 ms on a current CPU (and a quarter
 * million instructions of REP STOSQ under QEMU), far below a time slice. */
#define RESTART_ZERO_CHUNK (2ULL << 20)

#define RESTART_BURST 3
#define RESTART_INTERVAL_NS 1000000000ULL      /* 1 s */
#define RESTART_INTERVAL_MAX_NS 16000000000ULL /* 16 s */

struct restart_limiter {
	bool primed;
	unsigned int tokens;
	uint64_t next_token_ns; /* when the next token arrives (tokens < BURST) */
	uint64_t interval_ns;
	uint64_t limited; /* restarts that had to wait, in all */
};

/* Take a token for a restart asked for at now_ns. Returns how long the
 * restart must wait for it (0: at once). */
uint64_t restart_limiter_take(struct restart_limiter *l, uint64_t now_ns);

enum restart_phase {
	RESTART_IDLE,
	RESTART_WAIT, /* for the rate limiter's token */
	RESTART_ZERO,
	RESTART_LOAD,
};

struct restart_job {
	enum restart_phase phase;
	uint64_t not_before_ns;
	uint64_t zero_next, zero_end;
	uint64_t steps;
};

enum restart_step_kind {
	RESTART_STEP_NONE, /* nothing to do now (idle, or waiting) */
	RESTART_STEP_ZERO, /* zero [off, off + len) of the partition's RAM */
	RESTART_STEP_LOAD, /* reset the vCPUs, load the image: the last step */
};

struct restart_step {
	enum restart_step_kind kind;
	uint64_t off, len;
};

/* Begin a job for ram_size bytes of RAM that may start at not_before_ns. */
void restart_job_begin(struct restart_job *j, uint64_t ram_size, uint64_t not_before_ns);
/* Is there a step to do at now_ns? */
bool restart_job_ready(const struct restart_job *j, uint64_t now_ns);
/* The next step at now_ns (RESTART_STEP_NONE if none), and move past it.
 * After RESTART_STEP_LOAD the job is idle again. */
struct restart_step restart_job_next(struct restart_job *j, uint64_t now_ns);
/* Drop the job (the partition stopped meanwhile). */
void restart_job_cancel(struct restart_job *j);

#endif
