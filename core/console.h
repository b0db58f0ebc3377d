/* The console multiplexer: the machine has one serial port, shared by the
 * hypervisor's log and every partition's console.
 *
 * Output: whole lines, each attributed to its source: the hypervisor's own
 * lines as they are, a partition's lines prefixed "[name] ". Partition bytes
 * are buffered per source until newline (or the buffer fills), so lines from
 * different partitions never interleave mid-line.
 * Input: goes to the partition that has focus; Ctrl-A pressed three times in
 * a row moves focus to the next partition (as Xen's console does). */
#ifndef BULKHEAD_CORE_CONSOLE_H
#define BULKHEAD_CORE_CONSOLE_H

#include "core/types.h"

#define CONSOLE_LINE_MAX 256

struct console_source {
	const char *name;            /* partition name; NULL for the hypervisor */
	char line[CONSOLE_LINE_MAX]; /* the line being assembled */
	unsigned int len;
};

void console_init(void);
/* Write raw hypervisor text (already formatted; may hold several lines). */
void console_write(const char *s, size_t len);
/* A partition's output byte. */
void console_source_putc(struct console_source *src, char c);
void console_source_flush(struct console_source *src);

#endif
