/* SPDX-License-Identifier: BSD-2-Clause */
/* The console multiplexer: the machine has one serial port, shared by the
 * hypervisor's log and every partition's console.
 *
 * Output: whole lines, each attributed to its source: the hypervisor's own
 * lines as they are, a partition's lines prefixed "[name] ". A partition's
 * bytes only go into its source's ring (core/lib/console_ring.h): writing
 * costs the guest's exit no serial-port time and takes no global lock. The
 * scheduler drains each ring a line at a time in its partition's own time
 * slices (console_source_drain), so lines from different partitions never
 * interleave mid-line and a partition that floods its console pays for its
 * output itself; what does not fit in the ring is dropped and counted
 * (docs/console.md, "Output").
 * Input: goes to the partition that has focus; Ctrl-A pressed three times in
 * a row moves focus to the next partition (as Xen's console does). The
 * state machine is core/lib/console_input.c; docs/console.md tells the user. */
#ifndef BULKHEAD_CORE_CONSOLE_H
#define BULKHEAD_CORE_CONSOLE_H

#include "core/lib/console_input.h"
#include "core/lib/console_ring.h"
#include "core/spinlock.h"
#include "core/types.h"

#define CONSOLE_LINE_MAX 256

struct console_source {
	const char *name;                /* partition name; NULL for the hypervisor */
	spinlock_t lock;                 /* around the ring only, never while printing */
	struct console_ring ring;        /* output not yet on the serial port */
	uint64_t drop_report_ns;         /* when drops were last reported (0: never) */
	struct console_input_port input; /* typed bytes for this partition */
};

void console_init(void);
/* A second place every console byte goes (the screen console). Set by the
 * boot CPU before others start; called with the console lock held. */
void console_set_mirror(void (*write)(const char *s, size_t len));
/* The calling CPU is about to halt for good (fatal exception): if it holds
 * the output lock (it faulted while printing), free it for the other CPUs. */
void console_break_lock(void);
/* Write raw hypervisor text (already formatted; may hold several lines). */
void console_write(const char *s, size_t len);
/* A partition's output byte: queued in its ring (or dropped and counted). */
void console_source_putc(struct console_source *src, char c);
/* Print complete lines from src's ring until about max_bytes went out
 * (each line counts its bytes and its newline) or the TSC passes
 * deadline_tsc; at least one line if there is one. With partial, a last
 * unfinished line too. One line holds the console lock for at most
 * CONSOLE_LINE_MAX bytes plus the name. Returns the bytes printed. */
size_t console_source_drain(struct console_source *src, size_t max_bytes, uint64_t deadline_tsc,
			    bool partial);
/* Has src output waiting? */
bool console_source_pending(struct console_source *src);
/* Print all of src's ring, a last unfinished line too (a partition stops):
 * at most CONSOLE_RING_SIZE bytes. */
void console_source_flush(struct console_source *src);
/* Bytes src's partition wrote, and of those dropped because its ring was
 * full (the statistics print them). */
void console_source_counts(struct console_source *src, uint64_t *written, uint64_t *dropped);

/* Where typed bytes for src go (the partition's emulated UART receiver):
 * sink(ctx, buf, len) takes what fits and returns how many it took. Call it
 * before console_source_input_start(); again after a device reset is fine. */
void console_source_set_input(struct console_source *src, console_input_sink_fn sink, void *ctx);
/* The partition runs: it joins the Ctrl-A x3 focus cycle (the first one
 * with an input gets the focus). Idempotent. */
void console_source_input_start(struct console_source *src);
/* The partition stopped: it leaves the cycle, input waiting for it is
 * dropped, and if it had the focus the focus moves on. */
void console_source_input_stop(struct console_source *src);

/* Read what was typed on the serial port and hand it to the focused
 * partition; deliver input that waited for a slow guest. Call it from the
 * scheduler loop on the CPU that runs the partitions (the sinks touch their
 * device models): it costs one UART status read when nothing was typed. */
void console_poll_input(void);

#endif
