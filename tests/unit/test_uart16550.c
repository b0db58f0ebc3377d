/* SPDX-License-Identifier: BSD-2-Clause */
/* 16550A UART model: register semantics, interrupts, FIFOs, loopback, and
 * the probe sequences of Linux's 8250 driver. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/iobus.h"
#include "drivers/vdev/uart16550.h"
#include "tests/unit/support/host_log.h"
#include "tests/unit/support/vdev_fakes.h"

#define LINE 4

static struct uart16550 u;
static struct irq_recorder irq;
static uint8_t txbuf[256];
static unsigned int ntx;

static void tx(void *ctx, uint8_t b)
{
	cr_assert_eq(ctx, &ntx);
	if (ntx < sizeof(txbuf))
		txbuf[ntx] = b;
	ntx++;
}

static void setup(void)
{
	recorder_init(&irq);
	ntx = 0;
	host_log_reset();
	uart16550_init(&u, "t", &irq.sink, LINE, tx, &ntx);
}

static uint8_t rd(unsigned int reg)
{
	uint64_t v = 0x1234;
	cr_assert_eq(uart16550_io_read(&u, reg, 1, &v), 0);
	cr_assert_leq(v, 0xFF);
	return (uint8_t)v;
}

static void wr(unsigned int reg, uint8_t val)
{
	cr_assert_eq(uart16550_io_write(&u, reg, 1, val), 0);
}

TestSuite(uart, .init = setup);

Test(uart, reset_values)
{
	cr_assert_eq(rd(UART_IER), 0);
	cr_assert_eq(rd(UART_IIR), UART_IIR_NO_INT);
	cr_assert_eq(rd(UART_LCR), 0);
	cr_assert_eq(rd(UART_MCR), 0);
	cr_assert_eq(rd(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	cr_assert_eq(rd(UART_MSR) & 0xF0, UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
	cr_assert_eq(rd(UART_RBR), 0, "reading an empty receiver is defined");
	cr_assert_not(irq.level[LINE]);
}

Test(uart, scratch_and_ier_probe)
{
	/* Linux autoconfig: IER 0 reads 0, IER 0x0F reads 0x0F; the upper
	 * nibble (XScale UUE bit etc.) does not exist on a 16550A. */
	wr(UART_IER, 0);
	cr_assert_eq(rd(UART_IER), 0);
	wr(UART_IER, 0x0F);
	cr_assert_eq(rd(UART_IER), 0x0F);
	wr(UART_IER, 0xFF);
	cr_assert_eq(rd(UART_IER), 0x0F);
	wr(UART_SCR, 0xA5);
	cr_assert_eq(rd(UART_SCR), 0xA5);
	wr(UART_SCR, 0x5A);
	cr_assert_eq(rd(UART_SCR), 0x5A);
	wr(UART_MCR, 0xFF);
	cr_assert_eq(rd(UART_MCR), UART_MCR_MASK);
}

Test(uart, fifo_probe_reports_16550a)
{
	wr(UART_LCR, 0);
	wr(UART_FCR, UART_FCR_ENABLE);
	cr_assert_eq(rd(UART_IIR) >> 6, 3, "IIR bits 7:6 = 11: 16550A");
	/* EFR probes with DLAB set read IIR, which is not 0 on a 16550A. */
	wr(UART_LCR, 0x80);
	cr_assert_neq(rd(UART_IIR), 0);
	wr(UART_LCR, 0xBF);
	cr_assert_neq(rd(UART_IIR), 0);
	/* TI16750 probe: FCR bit 5 must not show in IIR bit 5. */
	wr(UART_LCR, 0);
	wr(UART_FCR, UART_FCR_ENABLE | 0x20);
	cr_assert_eq(rd(UART_IIR) >> 5, 6);
	/* NS SuperIO probe: IIR never reflects MCR.LOOP in bit 4. */
	wr(UART_MCR, UART_MCR_LOOP);
	wr(UART_LCR, 0xE0);
	cr_assert_eq(rd(UART_IIR) & UART_MCR_LOOP, 0);
	wr(UART_LCR, 0);
	wr(UART_MCR, 0);
	wr(UART_FCR, 0);
	cr_assert_eq(rd(UART_IIR) & 0xC0, 0, "FIFOs off: IIR bits 7:6 clear");
}

Test(uart, loopback_msr_probe)
{
	/* Linux: MCR = LOOP | OUT2 | RTS must give MSR[7:4] = DCD | CTS. */
	wr(UART_MCR, UART_MCR_LOOP | 0x0A);
	cr_assert_eq(rd(UART_MSR) & 0xF0, 0x90);
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_OUT1);
	cr_assert_eq(rd(UART_MSR) & 0xF0, UART_MSR_DSR | UART_MSR_RI);
	wr(UART_MCR, UART_MCR_LOOP);
	cr_assert_eq(rd(UART_MSR) & 0xF0, 0);
	wr(UART_MCR, 0);
	cr_assert_eq(rd(UART_MSR) & 0xF0, UART_MSR_EXTERNAL, "back on the cable");
}

Test(uart, loopback_data_stays_inside)
{
	wr(UART_FCR, UART_FCR_ENABLE);
	wr(UART_MCR, UART_MCR_LOOP);
	wr(UART_THR, 'x');
	wr(UART_THR, 'y');
	cr_assert_eq(ntx, 0, "nothing leaves the chip in loopback");
	cr_assert(rd(UART_LSR) & UART_LSR_DR);
	cr_assert_eq(rd(UART_RBR), 'x');
	cr_assert_eq(rd(UART_RBR), 'y');
	cr_assert_eq(rd(UART_LSR) & UART_LSR_DR, 0);
	cr_assert_not(uart16550_receive(&u, 'z'), "serial input disconnected in loopback");
	cr_assert_eq(uart16550_rx_room(&u), 0);
}

Test(uart, transmit_goes_to_callback)
{
	const char *msg = "hello";
	for (const char *p = msg; *p; p++)
		wr(UART_THR, (uint8_t)*p);
	cr_assert_eq(ntx, 5);
	cr_assert_eq(memcmp(txbuf, msg, 5), 0);
	cr_assert_eq(rd(UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT), UART_LSR_THRE | UART_LSR_TEMT);
	cr_assert_eq(u.tx_bytes, 5);
}

Test(uart, thre_interrupt_raised_by_ier_and_cleared_by_iir_read)
{
	wr(UART_MCR, UART_MCR_OUT2);
	cr_assert_not(irq.level[LINE]);
	wr(UART_IER, UART_IER_ETBEI);
	cr_assert(irq.level[LINE], "THR empty + ETBEI -> interrupt at once");
	cr_assert_eq(rd(UART_IIR), UART_IIR_THRI);
	cr_assert_not(irq.level[LINE], "IIR read naming THRE clears it");
	cr_assert_eq(rd(UART_IIR), UART_IIR_NO_INT);
	/* A THR write re-arms it, with a fresh edge for the PIC. */
	unsigned int rises = irq.rises[LINE];
	wr(UART_THR, 'a');
	cr_assert(irq.level[LINE]);
	cr_assert_eq(irq.rises[LINE], rises + 1);
	cr_assert_eq(irq.falls[LINE], 1);
	wr(UART_IER, 0);
	cr_assert_not(irq.level[LINE]);
}

Test(uart, linux_thre_retest_is_not_buggy)
{
	/* serial8250_do_startup: IER=THRI, read IIR; IER=0; IER=THRI, read IIR:
	 * both must report an interrupt or Linux sets UART_BUG_THRE. */
	wr(UART_IER, UART_IER_ETBEI);
	uint8_t iir1 = rd(UART_IIR);
	wr(UART_IER, 0);
	wr(UART_IER, UART_IER_ETBEI);
	uint8_t iir = rd(UART_IIR);
	wr(UART_IER, 0);
	cr_assert_eq(iir1 & UART_IIR_NO_INT, 0);
	cr_assert_eq(iir & UART_IIR_NO_INT, 0);
}

Test(uart, out2_gates_the_irq_line)
{
	wr(UART_IER, UART_IER_ETBEI);
	cr_assert_eq(rd(UART_IIR), UART_IIR_THRI, "pending inside the chip");
	wr(UART_IER, 0);
	wr(UART_IER, UART_IER_ETBEI);
	cr_assert_not(irq.level[LINE], "OUT2 low: no IRQ reaches the PIC");
	wr(UART_MCR, UART_MCR_OUT2);
	cr_assert(irq.level[LINE]);
	wr(UART_MCR, UART_MCR_OUT2 | UART_MCR_LOOP);
	cr_assert_not(irq.level[LINE], "loopback forces OUT2 inactive");
	wr(UART_MCR, 0);
	cr_assert_not(irq.level[LINE]);
}

static void fill(unsigned int n, uint8_t first)
{
	for (unsigned int i = 0; i < n; i++)
		cr_assert(uart16550_receive(&u, (uint8_t)(first + i)));
}

Test(uart, fifo_trigger_level_and_timeout)
{
	wr(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX | (2 << UART_FCR_TRIGGER_SHIFT));
	wr(UART_MCR, UART_MCR_OUT2);
	wr(UART_IER, UART_IER_ERBFI);
	cr_assert_not(irq.level[LINE]);
	fill(7, 'a');
	cr_assert(irq.level[LINE], "data pending below the trigger: character timeout");
	cr_assert_eq(rd(UART_IIR), UART_IIR_FIFO_ON | UART_IIR_CTI);
	fill(1, 'h');
	cr_assert_eq(rd(UART_IIR), UART_IIR_FIFO_ON | UART_IIR_RDI, "8 bytes reach trigger 8");
	for (unsigned int i = 0; i < 8; i++)
		cr_assert_eq(rd(UART_RBR), 'a' + i);
	cr_assert_eq(rd(UART_IIR), UART_IIR_FIFO_ON | UART_IIR_NO_INT);
	cr_assert_not(irq.level[LINE]);
}

Test(uart, every_trigger_level)
{
	static const unsigned int levels[4] = { 1, 4, 8, 14 };
	wr(UART_IER, UART_IER_ERBFI);
	for (unsigned int t = 0; t < 4; t++) {
		wr(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX | (t << UART_FCR_TRIGGER_SHIFT));
		fill(levels[t] - 1, 0);
		if (levels[t] > 1)
			cr_assert_eq(rd(UART_IIR) & UART_IIR_ID_MASK, UART_IIR_CTI, "level %u",
				     levels[t]);
		fill(1, 0);
		cr_assert_eq(rd(UART_IIR) & UART_IIR_ID_MASK, UART_IIR_RDI, "level %u", levels[t]);
	}
}

Test(uart, fifo_overrun_keeps_fifo_and_sets_oe)
{
	wr(UART_FCR, UART_FCR_ENABLE);
	cr_assert_eq(uart16550_rx_room(&u), 16);
	fill(16, 0x40);
	cr_assert_eq(uart16550_rx_room(&u), 0);
	cr_assert_not(uart16550_receive(&u, 0xEE), "17th byte is lost");
	wr(UART_IER, UART_IER_ELSI | UART_IER_ERBFI);
	cr_assert_eq(rd(UART_IIR) & UART_IIR_ID_MASK, UART_IIR_RLSI, "line status outranks data");
	uint8_t lsr = rd(UART_LSR);
	cr_assert(lsr & UART_LSR_OE);
	cr_assert(lsr & UART_LSR_DR);
	cr_assert_eq(rd(UART_LSR) & UART_LSR_OE, 0, "OE clears on read");
	cr_assert_eq(rd(UART_IIR) & UART_IIR_ID_MASK, UART_IIR_RDI);
	for (unsigned int i = 0; i < 16; i++)
		cr_assert_eq(rd(UART_RBR), 0x40 + i, "the overrun byte did not enter");
	cr_assert_eq(rd(UART_LSR) & UART_LSR_DR, 0);
	cr_assert_eq(u.rx_overruns, 1);
}

Test(uart, non_fifo_overrun_overwrites)
{
	cr_assert_eq(uart16550_rx_room(&u), 1);
	cr_assert(uart16550_receive(&u, 'a'));
	cr_assert_not(uart16550_receive(&u, 'b'));
	uint8_t lsr = rd(UART_LSR);
	cr_assert_eq(lsr & (UART_LSR_OE | UART_LSR_DR), UART_LSR_OE | UART_LSR_DR);
	cr_assert_eq(rd(UART_RBR), 'b', "16450 mode: the new character overwrote RBR");
	cr_assert_eq(rd(UART_LSR) & UART_LSR_DR, 0);
}

Test(uart, fifo_reset_and_disable_clear_receiver)
{
	wr(UART_FCR, UART_FCR_ENABLE);
	fill(5, 0);
	wr(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
	cr_assert_eq(rd(UART_LSR) & UART_LSR_DR, 0);
	fill(3, 0);
	wr(UART_FCR, UART_FCR_CLEAR_RX); /* FCR0=0: FIFOs off, which clears them */
	cr_assert_eq(rd(UART_LSR) & UART_LSR_DR, 0);
	cr_assert_eq(rd(UART_IIR) & 0xC0, 0);
	/* Bits other than FCR0 are not programmed while FCR0 is 0. */
	wr(UART_FCR, 0xC0);
	cr_assert_eq(u.fcr_trigger, 0);
}

Test(uart, dlab_switches_registers)
{
	wr(UART_IER, UART_IER_ERBFI);
	wr(UART_LCR, UART_LCR_DLAB | 0x03);
	wr(UART_DLL, 0x01);
	wr(UART_DLM, 0x00);
	cr_assert_eq(rd(UART_DLL), 0x01);
	cr_assert_eq(rd(UART_DLM), 0x00);
	cr_assert_eq(ntx, 0, "DLL write is not a transmission");
	wr(UART_DLL, 0);
	wr(UART_DLM, 0); /* divisor 0: meaningless, but stays defined */
	cr_assert_eq(rd(UART_DLL), 0);
	wr(UART_LCR, 0x03);
	cr_assert_eq(rd(UART_LCR), 0x03);
	cr_assert_eq(rd(UART_IER), UART_IER_ERBFI, "IER untouched by DLM writes");
	wr(UART_THR, 'q');
	cr_assert_eq(ntx, 1);
}

Test(uart, modem_status_interrupt_and_deltas)
{
	wr(UART_MCR, UART_MCR_LOOP);
	(void)rd(UART_MSR);
	wr(UART_IER, UART_IER_EDSSI);
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_OUT1);
	cr_assert_eq(rd(UART_IIR), UART_IIR_MSI);
	uint8_t msr = rd(UART_MSR);
	cr_assert(msr & UART_MSR_DDSR);
	cr_assert_eq(msr & UART_MSR_TERI, 0, "RI rose: no trailing edge yet");
	cr_assert_eq(rd(UART_IIR), UART_IIR_NO_INT, "MSR read clears the deltas");
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_DTR);
	cr_assert(rd(UART_MSR) & UART_MSR_TERI, "RI trailing edge");
}

Test(uart, interrupt_priority_order)
{
	wr(UART_FCR, UART_FCR_ENABLE);
	wr(UART_MCR, UART_MCR_LOOP);
	(void)rd(UART_MSR);
	wr(UART_IER, 0x0F);
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_RTS); /* modem delta */
	for (unsigned int i = 0; i < 17; i++)
		wr(UART_THR, (uint8_t)i); /* fills the FIFO and overruns */
	cr_assert_eq(rd(UART_IIR) & UART_IIR_ID_MASK, UART_IIR_RLSI);
	(void)rd(UART_LSR);
	cr_assert_eq(rd(UART_IIR) & UART_IIR_ID_MASK, UART_IIR_RDI);
	wr(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
	cr_assert_eq(rd(UART_IIR) & UART_IIR_ID_MASK, UART_IIR_THRI);
	cr_assert_eq(rd(UART_IIR) & UART_IIR_ID_MASK, UART_IIR_MSI, "THRE cleared by the read");
	(void)rd(UART_MSR);
	cr_assert_eq(rd(UART_IIR) & 0x0F, UART_IIR_NO_INT);
}

Test(uart, wide_and_out_of_range_accesses)
{
	uint64_t v;
	/* outw to base+6 writes MSR (ignored) and SCR. */
	cr_assert_eq(uart16550_io_write(&u, UART_MSR, 2, 0x7700), 0);
	cr_assert_eq(rd(UART_SCR), 0x77);
	/* A dword read at offset 6 floats past the end of the range. */
	cr_assert_eq(uart16550_io_read(&u, UART_MSR, 4, &v), 0);
	cr_assert_eq(v >> 8, 0xFFFF77);
	cr_assert_eq(uart16550_io_read(&u, 100, 1, &v), 0);
	cr_assert_eq(v, 0xFF);
	cr_assert_eq(uart16550_io_write(&u, 100, 4, 0xFFFFFFFF), 0);
}

Test(uart, through_the_iobus)
{
	struct iobus bus;
	uint64_t v = 'Z';
	memset(&bus, 0, sizeof(bus));
	cr_assert(uart16550_attach(&u, &bus, UART_COM1_BASE, "ttyS0"));
	cr_assert_eq(iobus_pio(&bus, UART_COM1_BASE, 1, true, &v), IOBUS_OK);
	cr_assert_eq(ntx, 1);
	cr_assert_eq(txbuf[0], 'Z');
	cr_assert_eq(iobus_pio(&bus, UART_COM1_BASE + UART_LSR, 1, false, &v), IOBUS_OK);
	cr_assert_eq(v, 0x60);
	cr_assert_not(uart16550_attach(&u, &bus, UART_COM1_BASE + 4, "dup"), "overlap refused");
}

Test(uart, hostile_register_storm_stays_consistent)
{
	srand(1234);
	for (unsigned int i = 0; i < 200000; i++) {
		unsigned int reg = (unsigned int)rand() % 8;
		uint8_t val = (uint8_t)rand();
		if (rand() & 1)
			wr(reg, val);
		else
			(void)rd(reg);
		if ((rand() & 7) == 0)
			(void)uart16550_receive(&u, val);
		cr_assert_leq(u.rx_count, UART16550_FIFO_SIZE);
		cr_assert_lt(u.rx_head, UART16550_FIFO_SIZE);
		cr_assert_eq(irq.level[LINE], u.irq_level);
		cr_assert_eq(u.ier & ~UART_IER_MASK, 0);
		cr_assert_eq(u.mcr & ~UART_MCR_MASK, 0);
	}
	cr_assert_eq(host_log_count(), 0, "register abuse is not a log event");
}
