/* SPDX-License-Identifier: BSD-2-Clause */
/* Fakes shared by the legacy device-model tests: a clock advanced by hand,
 * an interrupt-line recorder and a reset counter. Header-only. */
#ifndef BULKHEAD_TESTS_VDEV_FAKES_H
#define BULKHEAD_TESTS_VDEV_FAKES_H

#include <string.h>

#include "drivers/vdev/reset_sink.h"
#include "drivers/vdev/vdev.h"

struct fake_clock {
	uint64_t now;
	struct vclock vc;
};

static inline uint64_t fake_now(void *ctx)
{
	return ((struct fake_clock *)ctx)->now;
}

static inline void fake_clock_init(struct fake_clock *c, uint64_t wall_ns_at_zero)
{
	c->now = 0;
	c->vc = (struct vclock){ .now_ns = fake_now, .ctx = c, .wall_ns_at_zero = wall_ns_at_zero };
}

#define REC_LINES 32

struct irq_recorder {
	bool level[REC_LINES];
	unsigned int rises[REC_LINES];
	unsigned int falls[REC_LINES];
	struct irq_sink sink;
};

static inline void recorder_set(void *ctx, unsigned int line, bool level)
{
	struct irq_recorder *r = ctx;
	if (line >= REC_LINES)
		return;
	if (level && !r->level[line])
		r->rises[line]++;
	if (!level && r->level[line])
		r->falls[line]++;
	r->level[line] = level;
}

static inline void recorder_init(struct irq_recorder *r)
{
	memset(r, 0, sizeof(*r));
	r->sink = (struct irq_sink){ .set_level = recorder_set, .ctx = r };
}

struct reset_counter {
	unsigned int count;
	char last[64];
	struct reset_sink sink;
};

static inline void reset_counter_request(void *ctx, const char *source)
{
	struct reset_counter *r = ctx;
	r->count++;
	strncpy(r->last, source, sizeof(r->last) - 1);
}

static inline void reset_counter_init(struct reset_counter *r)
{
	memset(r, 0, sizeof(*r));
	r->sink = (struct reset_sink){ .request = reset_counter_request, .ctx = r };
}

#endif
