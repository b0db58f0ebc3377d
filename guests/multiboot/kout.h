/* SPDX-License-Identifier: BSD-2-Clause */
/* Port I/O and polled COM1 output for the project's Multiboot test kernels
 * (mbtest, 32-bit; cpuconf, 64-bit). They run under bare QEMU as well as
 * in a partition, so they use no runtime of the project's own: only the
 * 16550's transmit-holding-register-empty bit (LSR bit 5) is needed. */
#ifndef BULKHEAD_GUESTS_MULTIBOOT_KOUT_H
#define BULKHEAD_GUESTS_MULTIBOOT_KOUT_H

#include <stdint.h>

#define COM1 0x3f8
#define UART_LSR 5    /* line status register */
#define LSR_THRE 0x20 /* transmit holding register empty */
#define LSR_IDLE 0x60 /* THRE and TEMT: the transmitter is idle */

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void putc_com1(char c)
{
	while (!(inb(COM1 + UART_LSR) & LSR_THRE))
		;
	outb(COM1, (uint8_t)c);
}

/* "\n" goes out as CR LF. */
static inline void puts(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			putc_com1('\r');
		putc_com1(*s);
	}
}

#endif
