/* SPDX-License-Identifier: BSD-2-Clause */
/* 16550A UART (National Semiconductor PC16550D datasheet), as a PC serial
 * port: eight byte registers at base..base+7, IRQ output gated by MCR.OUT2.
 *
 * Transmission is instantaneous: every byte written to THR goes to the tx
 * callback (the console multiplexer), so THR and the transmitter are always
 * empty again by the time the guest looks (LSR.THRE and LSR.TEMT read 1).
 * Reception: the platform pushes typed input with uart16550_receive(). The
 * character-timeout interrupt (IIR 0xC) is reported as soon as fewer bytes
 * than the trigger level are waiting: no baud-rate timing is modelled. */
#ifndef BULKHEAD_DRIVERS_VDEV_UART16550_H
#define BULKHEAD_DRIVERS_VDEV_UART16550_H

#include "core/iobus.h"
#include "drivers/vdev/vdev.h"

#define UART16550_NR_PORTS 8
#define UART16550_FIFO_SIZE 16

#define UART_COM1_BASE 0x3F8
#define UART_COM1_IRQ 4
#define UART_COM2_BASE 0x2F8
#define UART_COM2_IRQ 3

/* Register offsets (datasheet Table II). */
#define UART_RBR 0 /* read, DLAB=0 */
#define UART_THR 0 /* write, DLAB=0 */
#define UART_DLL 0 /* DLAB=1 */
#define UART_IER 1 /* DLAB=0 */
#define UART_DLM 1 /* DLAB=1 */
#define UART_IIR 2 /* read */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_IER_ERBFI 0x01 /* received data available */
#define UART_IER_ETBEI 0x02 /* transmitter holding register empty */
#define UART_IER_ELSI 0x04  /* receiver line status */
#define UART_IER_EDSSI 0x08 /* modem status */
#define UART_IER_MASK 0x0F  /* bits 4-7 are always 0 on the 16550A */

#define UART_IIR_NO_INT 0x01
#define UART_IIR_ID_MASK 0x0E
#define UART_IIR_MSI 0x00  /* priority 4: modem status */
#define UART_IIR_THRI 0x02 /* priority 3: THR empty */
#define UART_IIR_RDI 0x04  /* priority 2: received data available */
#define UART_IIR_RLSI 0x06 /* priority 1: receiver line status */
#define UART_IIR_CTI 0x0C  /* priority 2: character timeout */
#define UART_IIR_FIFO_ON 0xC0

#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_FCR_CLEAR_TX 0x04
#define UART_FCR_DMA_MODE 0x08
#define UART_FCR_TRIGGER_SHIFT 6

#define UART_LCR_DLAB 0x80

#define UART_MCR_DTR 0x01
#define UART_MCR_RTS 0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10
#define UART_MCR_MASK 0x1F /* bits 5-7 are always 0 on the 16550A */

#define UART_LSR_DR 0x01
#define UART_LSR_OE 0x02
#define UART_LSR_PE 0x04
#define UART_LSR_FE 0x08
#define UART_LSR_BI 0x10
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_LSR_FIFO_ERR 0x80
#define UART_LSR_ERRORS (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)

#define UART_MSR_DCTS 0x01
#define UART_MSR_DDSR 0x02
#define UART_MSR_TERI 0x04
#define UART_MSR_DDCD 0x08
#define UART_MSR_DELTAS 0x0F
#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_RI 0x40
#define UART_MSR_DCD 0x80

/* What the other end of the virtual cable drives: carrier, data set ready,
 * clear to send (a terminal that is always there, never ringing). */
#define UART_MSR_EXTERNAL (UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS)

typedef void (*uart16550_tx_fn)(void *ctx, uint8_t byte);

struct uart16550 {
	const char *owner; /* partition name, for log lines */
	struct irq_sink irq;
	unsigned int irq_line;
	bool irq_level; /* what we last drove on the line */
	uart16550_tx_fn tx;
	void *tx_ctx;

	uint8_t rx_fifo[UART16550_FIFO_SIZE];
	unsigned int rx_head;
	unsigned int rx_count;
	uint8_t rbr_last; /* what RBR shows when nothing is waiting */

	uint8_t ier, lcr, mcr, lsr_errors, msr, scr, dll, dlm;
	bool fifo_enabled;
	uint8_t fcr_trigger; /* FCR bits 7:6 */
	bool thre_pending;   /* THRE interrupt armed, datasheet Table IV */

	uint64_t tx_bytes;
	uint64_t rx_overruns;
};

/* tx may be NULL (bytes are dropped). irq may be NULL (no interrupts). */
void uart16550_init(struct uart16550 *u, const char *owner, const struct irq_sink *irq,
		    unsigned int irq_line, uart16550_tx_fn tx, void *tx_ctx);

/* io_read_fn/io_write_fn for a range of UART16550_NR_PORTS ports. */
int uart16550_io_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val);
int uart16550_io_write(void *dev, uint64_t offset, unsigned int size, uint64_t val);
bool uart16550_attach(struct uart16550 *u, struct iobus *bus, uint16_t base, const char *name);

/* Input from the user. False if the byte was lost because the receiver was
 * full: the byte is dropped and LSR.OE set, as the hardware does. */
bool uart16550_receive(struct uart16550 *u, uint8_t byte);
/* How many bytes uart16550_receive() accepts without overrun right now. */
unsigned int uart16550_rx_room(const struct uart16550 *u);

#endif
