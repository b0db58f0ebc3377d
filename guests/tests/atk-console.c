/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-console: floods the console (issue 12): byte-at-a-time OUTs to COM1
 * and to the debug port 0xE9, then REP OUTSB of 4,096 bytes at a time to
 * COM1, forever. Each exit must stay short and the partition's output is
 * buffered and dropped when it outruns the serial port, so neither a
 * bystander on the same host CPU nor the other CPUs' logging stalls. */
#include "rt.h"

#define COM1_THR 0x3f8
#define DEBUG_PORT 0xe9
#define FLOOD_STRING 4096
#define FLOOD_LINE 64

static char flood[FLOOD_STRING];

static void rep_outsb(uint16_t port, const void *buf, unsigned long len)
{
	asm volatile("rep outsb" : "+S"(buf), "+c"(len) : "d"(port) : "memory");
}

void guest_main(void)
{
	for (unsigned i = 0; i < FLOOD_STRING; i++)
		flood[i] = (i % FLOOD_LINE == FLOOD_LINE - 1) ? '\n' : (char)('a' + i % 26);
	for (;;) {
		for (unsigned i = 0; i < FLOOD_STRING; i++)
			outb(COM1_THR, (uint8_t)flood[i]);
		for (unsigned i = 0; i < FLOOD_STRING; i++)
			outb(DEBUG_PORT, (uint8_t)flood[i]);
		rep_outsb(COM1_THR, flood, FLOOD_STRING);
	}
}
