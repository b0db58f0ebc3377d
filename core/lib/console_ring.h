/* SPDX-License-Identifier: BSD-2-Clause */
/* A partition's console output on its way to the machine's serial port
 * (issue 12): the guest's writes only queue bytes here; the scheduler takes
 * them out a line at a time, in the partition's own time slices, and writes
 * them to the UART (core/console.c). A guest that writes faster than the
 * port drains loses the bytes that do not fit, counted in `dropped`; the
 * first drop after the ring was last empty is reported once (put returns
 * CONSOLE_RING_DROP_STARTED).
 *
 * Pure and not thread safe: core/console.c holds the source's lock around
 * every call. */
#ifndef BULKHEAD_CORE_LIB_CONSOLE_RING_H
#define BULKHEAD_CORE_LIB_CONSOLE_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_RING_SIZE 4096 /* a power of two */

struct console_ring {
	char buf[CONSOLE_RING_SIZE];
	uint32_t head, tail; /* free-running: used = head - tail */
	bool dropping;       /* dropped since the ring was last empty */
	uint64_t written;    /* bytes offered, in all */
	uint64_t dropped;    /* of them, lost because the ring was full */
	uint64_t drop_bursts;
};

enum console_ring_put {
	CONSOLE_RING_QUEUED,
	CONSOLE_RING_DROPPED,
	CONSOLE_RING_DROP_STARTED, /* dropped, and the first since the ring was empty */
};

enum console_ring_put console_ring_put(struct console_ring *r, char c);
size_t console_ring_used(const struct console_ring *r);
/* Take the next line: the bytes up to and including the first '\n' (which
 * is not copied), or max bytes if no '\n' comes within them; with partial,
 * also a last line that has no '\n' yet. Returns the bytes copied to out
 * (*complete: a line was taken; false: nothing to take). */
size_t console_ring_take_line(struct console_ring *r, char *out, size_t max, bool partial,
			      bool *complete);

#endif
