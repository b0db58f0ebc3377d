/* SPDX-License-Identifier: BSD-2-Clause */
/* core/lib/console_ring.c: a partition's console output waiting for the
 * serial port, taken out a line at a time, with drops counted (issue 12). */
#include <criterion/criterion.h>
#include <string.h>

#include "core/lib/console_ring.h"

static struct console_ring ring;

static void put_str(struct console_ring *r, const char *s)
{
	while (*s)
		console_ring_put(r, *s++);
}

static size_t take(struct console_ring *r, char *out, size_t max, bool partial, bool *complete)
{
	size_t n = console_ring_take_line(r, out, max, partial, complete);
	out[n] = 0;
	return n;
}

Test(console_ring, lines_come_out_whole_and_in_order)
{
	char line[64];
	bool complete;
	memset(&ring, 0, sizeof(ring));
	put_str(&ring, "hello\nworld\npart");
	take(&ring, line, 63, false, &complete);
	cr_assert(complete);
	cr_assert_str_eq(line, "hello");
	take(&ring, line, 63, false, &complete);
	cr_assert_str_eq(line, "world");
	/* An unfinished line waits for its newline... */
	cr_assert_eq(take(&ring, line, 63, false, &complete), 0);
	cr_assert(!complete);
	/* ... unless the partition stops (partial). */
	take(&ring, line, 63, true, &complete);
	cr_assert(complete);
	cr_assert_str_eq(line, "part");
	cr_assert_eq(console_ring_used(&ring), 0);
}

Test(console_ring, empty_line_is_a_line)
{
	char line[8];
	bool complete;
	memset(&ring, 0, sizeof(ring));
	put_str(&ring, "\n");
	cr_assert_eq(take(&ring, line, 7, false, &complete), 0);
	cr_assert(complete);
	cr_assert_eq(console_ring_used(&ring), 0);
	take(&ring, line, 7, true, &complete);
	cr_assert(!complete, "nothing left");
}

Test(console_ring, long_line_is_cut_at_max)
{
	char line[16];
	bool complete;
	memset(&ring, 0, sizeof(ring));
	put_str(&ring, "0123456789abcdefXYZ");
	cr_assert_eq(take(&ring, line, 10, false, &complete), 10);
	cr_assert(complete);
	cr_assert_str_eq(line, "0123456789");
}

Test(console_ring, full_ring_drops_and_counts_and_reports_once)
{
	char line[CONSOLE_RING_SIZE + 1];
	bool complete;
	unsigned started = 0;
	memset(&ring, 0, sizeof(ring));
	for (unsigned i = 0; i < CONSOLE_RING_SIZE + 100; i++)
		if (console_ring_put(&ring, 'x') == CONSOLE_RING_DROP_STARTED)
			started++;
	cr_assert_eq(ring.written, CONSOLE_RING_SIZE + 100);
	cr_assert_eq(ring.dropped, 100);
	cr_assert_eq(started, 1, "one report per burst of drops");
	cr_assert_eq(console_ring_used(&ring), CONSOLE_RING_SIZE);
	/* Draining part of it: still in the same burst. */
	take(&ring, line, 100, false, &complete);
	cr_assert_eq(console_ring_put(&ring, 'y'), CONSOLE_RING_QUEUED);
	for (unsigned i = 0; i < 99; i++)
		console_ring_put(&ring, 'y');
	cr_assert_eq(console_ring_put(&ring, 'y'), CONSOLE_RING_DROPPED, "not reported again");
	/* Emptied: the next drop is reported again. */
	while (console_ring_used(&ring))
		take(&ring, line, CONSOLE_RING_SIZE, true, &complete);
	for (unsigned i = 0; i < CONSOLE_RING_SIZE; i++)
		cr_assert_eq(console_ring_put(&ring, 'z'), CONSOLE_RING_QUEUED);
	cr_assert_eq(console_ring_put(&ring, 'z'), CONSOLE_RING_DROP_STARTED);
	cr_assert_eq(ring.drop_bursts, 2);
	cr_assert_eq(ring.dropped, 102);
}

Test(console_ring, wraps_around)
{
	char line[64];
	bool complete;
	memset(&ring, 0, sizeof(ring));
	for (unsigned round = 0; round < 3 * CONSOLE_RING_SIZE / 8; round++) {
		put_str(&ring, "abcdefg\n");
		take(&ring, line, 63, false, &complete);
		cr_assert(complete);
		cr_assert_str_eq(line, "abcdefg", "round %u", round);
	}
	cr_assert_eq(ring.dropped, 0);
}
