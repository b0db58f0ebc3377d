/* SPDX-License-Identifier: BSD-2-Clause */
/* The hypervisor's own serial port (a real or emulator-provided 16550). */
#ifndef BULKHEAD_DRIVERS_UART_UART_H
#define BULKHEAD_DRIVERS_UART_UART_H

#include "core/types.h"

#define UART_COM1 0x3f8
#define UART_COM2 0x2f8
#define UART_COM3 0x3e8
#define UART_COM4 0x2e8

void uart_init(uint16_t port);
void uart_putc(char c);
/* Wait until everything written has left the transmitter (Bochs drops bytes
 * if the emulator stops while the FIFO still holds some). */
void uart_flush(void);
/* Non-blocking read (one LSR poll): -1 if no byte is waiting or there is
 * no UART; bytes with line errors (parity, framing, break) are skipped. */
int uart_getc(void);
uint16_t uart_port(void);

#endif
