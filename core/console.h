/* The console multiplexer: the machine has one serial port, shared by the
 * hypervisor's log and every partition's console.
 *
 * Output: whole lines, each attributed to its source: the hypervisor's own
 * lines as they are, a partition's lines prefixed "[name] ". Partition bytes
 * are buffered per source until newline (or the buffer fills), so lines from
 * different partitions never interleave mid-line.
 * Input: goes to the partition that has focus; Ctrl-A pressed three times in
 * a row moves focus to the next partition (as Xen's console does). The
 * state machine is core/lib/console_input.c; docs/console.md tells the user. */
#ifndef BULKHEAD_CORE_CONSOLE_H
#define BULKHEAD_CORE_CONSOLE_H

#include "core/lib/console_input.h"
#include "core/types.h"

#define CONSOLE_LINE_MAX 256

struct console_source {
	const char *name;            /* partition name; NULL for the hypervisor */
	char line[CONSOLE_LINE_MAX]; /* the line being assembled */
	unsigned int len;
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
/* A partition's output byte. */
void console_source_putc(struct console_source *src, char c);
void console_source_flush(struct console_source *src);

/* Where typed bytes for src go (the partition's emulated UART receiver):
 * sink(ctx, buf, len) takes what fits and returns how many it took. Call it
 * before console_source_input_start(); again after a device reset is fine. */
void console_source_set_input(struct console_source *src, console_input_sink_fn sink,
			      void *ctx);
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
