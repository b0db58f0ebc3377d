/* SPDX-License-Identifier: BSD-2-Clause */
#include "core/lib/restart_job.h"

uint64_t restart_limiter_take(struct restart_limiter *l, uint64_t now_ns)
{
	if (!l->primed) {
		l->primed = true;
		l->tokens = RESTART_BURST;
		l->interval_ns = RESTART_INTERVAL_NS;
	}
	/* Tokens that arrived since (at most RESTART_BURST loop turns). */
	while (l->tokens < RESTART_BURST && now_ns >= l->next_token_ns) {
		l->tokens++;
		l->next_token_ns += l->interval_ns;
	}
	if (l->tokens == RESTART_BURST)
		l->interval_ns = RESTART_INTERVAL_NS; /* behaved: back-off forgiven */
	if (l->tokens) {
		if (l->tokens-- == RESTART_BURST)
			l->next_token_ns = now_ns + l->interval_ns; /* the refill starts now */
		return 0;
	}
	/* Empty: this restart takes the next token when it arrives, and the
	 * one after that comes twice as late. */
	uint64_t at = l->next_token_ns > now_ns ? l->next_token_ns : now_ns;
	l->interval_ns *= 2;
	if (l->interval_ns > RESTART_INTERVAL_MAX_NS)
		l->interval_ns = RESTART_INTERVAL_MAX_NS;
	l->next_token_ns = at + l->interval_ns;
	l->limited++;
	return at - now_ns;
}

void restart_job_begin(struct restart_job *j, uint64_t ram_size, uint64_t not_before_ns)
{
	j->phase = RESTART_WAIT;
	j->not_before_ns = not_before_ns;
	j->zero_next = 0;
	j->zero_end = ram_size;
	j->steps = 0;
}

bool restart_job_ready(const struct restart_job *j, uint64_t now_ns)
{
	switch (j->phase) {
	case RESTART_IDLE:
		return false;
	case RESTART_WAIT:
		return now_ns >= j->not_before_ns;
	case RESTART_ZERO:
	case RESTART_LOAD:
		return true;
	}
	return false;
}

struct restart_step restart_job_next(struct restart_job *j, uint64_t now_ns)
{
	struct restart_step s = { RESTART_STEP_NONE, 0, 0 };

	if (!restart_job_ready(j, now_ns))
		return s;
	if (j->phase == RESTART_WAIT)
		j->phase = j->zero_next < j->zero_end ? RESTART_ZERO : RESTART_LOAD;
	j->steps++;
	if (j->phase == RESTART_ZERO) {
		uint64_t left = j->zero_end - j->zero_next;
		s.kind = RESTART_STEP_ZERO;
		s.off = j->zero_next;
		s.len = left < RESTART_ZERO_CHUNK ? left : RESTART_ZERO_CHUNK;
		j->zero_next += s.len;
		if (j->zero_next == j->zero_end)
			j->phase = RESTART_LOAD;
		return s;
	}
	s.kind = RESTART_STEP_LOAD;
	j->phase = RESTART_IDLE;
	return s;
}

void restart_job_cancel(struct restart_job *j)
{
	j->phase = RESTART_IDLE;
}
