/* SPDX-License-Identifier: BSD-2-Clause */
#include "core/lib/console_ring.h"

#define RING_MASK (CONSOLE_RING_SIZE - 1)

size_t console_ring_used(const struct console_ring *r)
{
	return r->head - r->tail;
}

enum console_ring_put console_ring_put(struct console_ring *r, char c)
{
	r->written++;
	if (console_ring_used(r) == CONSOLE_RING_SIZE) {
		r->dropped++;
		if (r->dropping)
			return CONSOLE_RING_DROPPED;
		r->dropping = true;
		r->drop_bursts++;
		return CONSOLE_RING_DROP_STARTED;
	}
	r->buf[r->head++ & RING_MASK] = c;
	return CONSOLE_RING_QUEUED;
}

size_t console_ring_take_line(struct console_ring *r, char *out, size_t max, bool partial,
			      bool *complete)
{
	size_t used = console_ring_used(r), n = 0;
	bool newline = false;

	*complete = false;
	while (n < used && n < max) {
		if (r->buf[(r->tail + n) & RING_MASK] == '\n') {
			newline = true;
			break;
		}
		n++;
	}
	if (!newline && n < max && !(partial && n))
		return 0; /* the line is not finished yet */
	for (size_t i = 0; i < n; i++)
		out[i] = r->buf[(r->tail + i) & RING_MASK];
	r->tail += (uint32_t)(n + (newline ? 1 : 0));
	if (r->head == r->tail)
		r->dropping = false; /* drained: the next drop is news again */
	*complete = true;
	return n;
}
