/* SPDX-License-Identifier: BSD-2-Clause */
/* Polled driver for the machine's 16550 UART (register layout from the
 * PC16550D datasheet). Polled, not interrupt driven: the console must work
 * from exception handlers and before interrupts are set up. */
#include "arch/x86/cpu/cpu.h"
#include "arch/x86/hostdev/uart.h"

#define UART_THR 0 /* transmit holding (write) */
#define UART_RBR 0 /* receive buffer (read) */
#define UART_DLL 0 /* divisor latch low (DLAB=1) */
#define UART_IER 1
#define UART_DLM 1 /* divisor latch high (DLAB=1) */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5

#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define FCR_ENABLE_CLEAR 0x07 /* enable FIFOs, clear RX and TX */
#define MCR_DTR_RTS_OUT2 0x0b
#define LSR_DR 0x01
#define LSR_PE 0x04 /* parity error */
#define LSR_FE 0x08 /* framing error */
#define LSR_BI 0x10 /* break: the "byte" is a 0 standing for the break */
#define LSR_BAD_BYTE (LSR_PE | LSR_FE | LSR_BI)
#define LSR_NO_PORT 0xff /* floating ISA bus: no UART at this address */
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define UART_BASE_CLOCK 115200
#define UART_BAUD 115200
#define UART_POLL_LIMIT 100000 /* give up on a dead port rather than hang */
#define UART_RX_FIFO_DEPTH 16  /* the 16550 receive FIFO (PC16550D, FIFO mode) */

/* The console port: set once by the boot CPU before anything is printed. */
static uint16_t uart_base = UART_COM1;

void uart_init(uint16_t port)
{
	uint16_t div = UART_BASE_CLOCK / UART_BAUD;

	uart_base = port;
	outb(port + UART_IER, 0);
	outb(port + UART_LCR, LCR_DLAB);
	outb(port + UART_DLL, div & 0xff);
	outb(port + UART_DLM, div >> 8);
	outb(port + UART_LCR, LCR_8N1);
	outb(port + UART_FCR, FCR_ENABLE_CLEAR);
	outb(port + UART_MCR, MCR_DTR_RTS_OUT2);
}

uint16_t uart_port(void)
{
	return uart_base;
}

void uart_putc(char c)
{
	for (unsigned int i = 0; i < UART_POLL_LIMIT; i++)
		if (inb(uart_base + UART_LSR) & LSR_THRE)
			break;
	outb(uart_base + UART_THR, (uint8_t)c);
}

void uart_flush(void)
{
	for (unsigned int i = 0; i < UART_POLL_LIMIT; i++)
		if ((inb(uart_base + UART_LSR) & (LSR_THRE | LSR_TEMT)) == (LSR_THRE | LSR_TEMT))
			return;
}

/* LSR is read before every byte: its error bits describe the byte at the
 * head of the FIFO (PC16550D, Line Status Register bits 2-4). A byte
 * received with a parity or framing error, or a break, is read to discard
 * it. */
int uart_getc(void)
{
	for (unsigned int i = 0; i <= UART_RX_FIFO_DEPTH; i++) {
		uint8_t lsr = inb(uart_base + UART_LSR);
		if (lsr == LSR_NO_PORT || !(lsr & LSR_DR))
			return -1;
		uint8_t byte = inb(uart_base + UART_RBR);
		if (!(lsr & LSR_BAD_BYTE))
			return byte;
	}
	return -1;
}
