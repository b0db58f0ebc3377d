/* SPDX-License-Identifier: BSD-2-Clause */
/* 16550A UART model. Register behaviour follows the PC16550D datasheet
 * (National Semiconductor, June 1995): Table II (registers), Table IV
 * (interrupt control functions) and §8 (FIFO operation). */
#include "drivers/vdev/uart16550.h"

#include "drivers/vdev/isa_bytes.h"

static const uint8_t fifo_trigger_levels[4] = { 1, 4, 8, 14 }; /* FCR bits 7:6 */

static bool loopback(const struct uart16550 *u)
{
	return u->mcr & UART_MCR_LOOP;
}

static unsigned int rx_capacity(const struct uart16550 *u)
{
	/* Without FIFOs the receiver buffer holds one character (16450 mode). */
	return u->fifo_enabled ? UART16550_FIFO_SIZE : 1;
}

/* Datasheet Table IV, highest priority first. Returns the IIR bits 3:0. */
static uint8_t pending_interrupt(const struct uart16550 *u)
{
	if ((u->ier & UART_IER_ELSI) && (u->lsr_errors & UART_LSR_ERRORS))
		return UART_IIR_RLSI;
	if ((u->ier & UART_IER_ERBFI) && u->rx_count) {
		if (u->fifo_enabled && u->rx_count < fifo_trigger_levels[u->fcr_trigger])
			return UART_IIR_CTI;
		return UART_IIR_RDI;
	}
	if ((u->ier & UART_IER_ETBEI) && u->thre_pending)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_EDSSI) && (u->msr & UART_MSR_DELTAS))
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

/* On PCs the INTR pin reaches the PIC through a buffer enabled by OUT2; in
 * loopback mode the OUT2 pin is forced inactive (datasheet MCR bit 4), so the
 * interrupt does not leave the card. */
static void update_irq(struct uart16550 *u)
{
	bool level = pending_interrupt(u) != UART_IIR_NO_INT && (u->mcr & UART_MCR_OUT2) &&
		     !loopback(u);
	if (level == u->irq_level)
		return;
	u->irq_level = level;
	irq_set(&u->irq, u->irq_line, level);
}

static void rx_clear(struct uart16550 *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

/* A character completes in the receiver shift register (datasheet §8.0 and
 * LSR bit 1): it is lost with OE set when the buffer is full. In 16450 mode
 * the new character overwrites the holding register instead. */
static bool rx_push(struct uart16550 *u, uint8_t byte)
{
	if (u->rx_count < rx_capacity(u)) {
		u->rx_fifo[(u->rx_head + u->rx_count) % UART16550_FIFO_SIZE] = byte;
		u->rx_count++;
		return true;
	}
	u->lsr_errors |= UART_LSR_OE;
	u->rx_overruns++;
	if (!u->fifo_enabled)
		u->rx_fifo[u->rx_head] = byte;
	return false;
}

static uint8_t rx_pop(struct uart16550 *u)
{
	if (!u->rx_count)
		return u->rbr_last;
	u->rbr_last = u->rx_fifo[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART16550_FIFO_SIZE;
	u->rx_count--;
	return u->rbr_last;
}

/* Modem status inputs: the virtual cable, or in loopback the MCR outputs
 * (DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD, datasheet MCR bit 4). */
static uint8_t modem_inputs(const struct uart16550 *u)
{
	uint8_t in = 0;

	if (!loopback(u))
		return UART_MSR_EXTERNAL;
	if (u->mcr & UART_MCR_RTS)
		in |= UART_MSR_CTS;
	if (u->mcr & UART_MCR_DTR)
		in |= UART_MSR_DSR;
	if (u->mcr & UART_MCR_OUT1)
		in |= UART_MSR_RI;
	if (u->mcr & UART_MCR_OUT2)
		in |= UART_MSR_DCD;
	return in;
}

/* Recompute MSR bits 7:4 and latch the deltas; TERI is set only on the
 * trailing edge of RI (datasheet MSR bit 2). */
static void update_msr(struct uart16550 *u)
{
	uint8_t old = u->msr & 0xF0;
	uint8_t now = modem_inputs(u);
	uint8_t changed = old ^ now;

	if (changed & UART_MSR_CTS)
		u->msr |= UART_MSR_DCTS;
	if (changed & UART_MSR_DSR)
		u->msr |= UART_MSR_DDSR;
	if ((old & UART_MSR_RI) && !(now & UART_MSR_RI))
		u->msr |= UART_MSR_TERI;
	if (changed & UART_MSR_DCD)
		u->msr |= UART_MSR_DDCD;
	u->msr = (u->msr & UART_MSR_DELTAS) | now;
}

static void transmit(struct uart16550 *u, uint8_t byte)
{
	/* The THR write clears the THRE interrupt; the byte then moves to the
	 * shift register at once, emptying THR again: INTR drops and rises, an
	 * edge the (edge-triggered) PIC sees. */
	u->thre_pending = false;
	update_irq(u);
	if (loopback(u)) {
		rx_push(u, byte);
	} else {
		u->tx_bytes++;
		if (u->tx)
			u->tx(u->tx_ctx, byte);
	}
	u->thre_pending = true;
}

static void write_fcr(struct uart16550 *u, uint8_t val)
{
	/* FCR0 must be 1 for the other bits to be programmed; changing FCR0
	 * clears both FIFOs (datasheet FCR bits 0-2). */
	if (!(val & UART_FCR_ENABLE)) {
		if (u->fifo_enabled)
			rx_clear(u);
		u->fifo_enabled = false;
		u->fcr_trigger = 0;
		return;
	}
	if (!u->fifo_enabled)
		rx_clear(u);
	u->fifo_enabled = true;
	if (val & UART_FCR_CLEAR_RX)
		rx_clear(u);
	/* CLEAR_TX: the transmit FIFO is always empty here. */
	u->fcr_trigger = val >> UART_FCR_TRIGGER_SHIFT;
}

static void write_ier(struct uart16550 *u, uint8_t val)
{
	uint8_t old = u->ier;

	u->ier = val & UART_IER_MASK;
	/* Enabling ETBEI while THR is empty raises THRE at once: Linux's
	 * 8250 start-up test relies on this ("UART_BUG_THRE"). */
	if (!(old & UART_IER_ETBEI) && (u->ier & UART_IER_ETBEI))
		u->thre_pending = true;
}

static void write_mcr(struct uart16550 *u, uint8_t val)
{
	u->mcr = val & UART_MCR_MASK;
	update_msr(u);
}

static void uart_write_byte(void *dev, unsigned int reg, uint8_t val)
{
	struct uart16550 *u = dev;
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_THR:
		if (dlab)
			u->dll = val;
		else
			transmit(u, val);
		break;
	case UART_IER:
		if (dlab)
			u->dlm = val;
		else
			write_ier(u, val);
		break;
	case UART_FCR:
		write_fcr(u, val);
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		write_mcr(u, val);
		break;
	case UART_LSR:
	case UART_MSR:
		/* Factory test registers on real parts; writes are ignored. */
		break;
	case UART_SCR:
		u->scr = val;
		break;
	}
	update_irq(u);
}

static uint8_t read_iir(struct uart16550 *u)
{
	uint8_t id = pending_interrupt(u);

	/* Reading IIR when THRE is the reported source clears it (Table IV). */
	if (id == UART_IIR_THRI)
		u->thre_pending = false;
	return id | (u->fifo_enabled ? UART_IIR_FIFO_ON : 0);
}

static uint8_t read_lsr(struct uart16550 *u)
{
	uint8_t lsr = UART_LSR_THRE | UART_LSR_TEMT | u->lsr_errors;

	if (u->rx_count)
		lsr |= UART_LSR_DR;
	/* Error bits are cleared by the read (datasheet LSR bits 1-4). */
	u->lsr_errors = 0;
	return lsr;
}

static uint8_t read_msr(struct uart16550 *u)
{
	uint8_t msr = u->msr;

	u->msr &= ~UART_MSR_DELTAS;
	return msr;
}

static uint8_t uart_read_byte(void *dev, unsigned int reg)
{
	struct uart16550 *u = dev;
	bool dlab = u->lcr & UART_LCR_DLAB;
	uint8_t val = 0xFF;

	switch (reg) {
	case UART_RBR:
		val = dlab ? u->dll : rx_pop(u);
		break;
	case UART_IER:
		val = dlab ? u->dlm : u->ier;
		break;
	case UART_IIR:
		val = read_iir(u);
		break;
	case UART_LCR:
		val = u->lcr;
		break;
	case UART_MCR:
		val = u->mcr;
		break;
	case UART_LSR:
		val = read_lsr(u);
		break;
	case UART_MSR:
		val = read_msr(u);
		break;
	case UART_SCR:
		val = u->scr;
		break;
	}
	update_irq(u);
	return val;
}

int uart16550_io_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val)
{
	return isa_read_bytes(dev, offset, size, val, UART16550_NR_PORTS, uart_read_byte);
}

int uart16550_io_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	return isa_write_bytes(dev, offset, size, val, UART16550_NR_PORTS, uart_write_byte);
}

bool uart16550_receive(struct uart16550 *u, uint8_t byte)
{
	bool stored;

	/* In loopback the serial input is disconnected from the receiver. */
	if (loopback(u))
		return false;
	stored = rx_push(u, byte);
	update_irq(u);
	return stored;
}

unsigned int uart16550_rx_room(const struct uart16550 *u)
{
	if (loopback(u))
		return 0;
	return rx_capacity(u) - u->rx_count;
}

void uart16550_init(struct uart16550 *u, const char *owner, const struct irq_sink *irq,
		    unsigned int irq_line, uart16550_tx_fn tx, void *tx_ctx)
{
	*u = (struct uart16550){ 0 };
	u->owner = owner;
	if (irq)
		u->irq = *irq;
	u->irq_line = irq_line;
	u->tx = tx;
	u->tx_ctx = tx_ctx;
	/* Reset values, datasheet Table III: IIR reads 0x01, LSR 0x60; the
	 * divisor is undefined at reset, 12 (9600 baud) is what BIOSes set. */
	u->dll = 12;
	u->msr = modem_inputs(u);
	u->thre_pending = false;
}

bool uart16550_attach(struct uart16550 *u, struct iobus *bus, uint16_t base, const char *name)
{
	return iobus_add_pio(bus, base, UART16550_NR_PORTS, uart16550_io_read, uart16550_io_write,
			     u, name ? name : "uart16550");
}
