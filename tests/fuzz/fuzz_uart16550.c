/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz the 16550A UART: port accesses at 0x3F8-0x3FF (and one past the
 * range), input bytes from the user and the time between them.
 * Invariants: the receive buffer never exceeds its capacity, LSR always
 * shows an empty transmitter, the IRQ line matches the model's own view,
 * and nothing is logged (register abuse is not a log event). */
#include "drivers/vdev/uart16550.h"
#include "tests/fuzz/vdev_ops.h"
#include "tests/unit/support/host_log.h"

static void tx(void *ctx, uint8_t b)
{
	(*(unsigned long *)ctx)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct uart16550 u;
	struct irq_recorder irq;
	struct fake_clock clk;
	struct iobus bus = { 0 };
	struct vdev_op op;
	unsigned long sent = 0;

	host_log_reset();
	recorder_init(&irq);
	fake_clock_init(&clk, 0);
	uart16550_init(&u, "fuzz", &irq.sink, UART_COM1_IRQ, tx, &sent);
	CHECK(uart16550_attach(&u, &bus, UART_COM1_BASE, "ttyS0"));
	while (vdev_next_op(&data, &len, &op)) {
		unsigned int sel = op.sel % 10;
		vdev_advance(&clk, op.advance_ns);
		if (sel < 9) {
			vdev_pio(&bus, (uint16_t)(UART_COM1_BASE + sel), &op);
		} else {
			unsigned int room = uart16550_rx_room(&u);
			bool ok = uart16550_receive(&u, (uint8_t)op.value);
			CHECK(ok == (room > 0));
		}
		CHECK(u.rx_count <= (u.fifo_enabled ? UART16550_FIFO_SIZE : 1u));
		CHECK(u.rx_head < UART16550_FIFO_SIZE);
		CHECK(irq.level[UART_COM1_IRQ] == u.irq_level);
		CHECK((u.ier & ~UART_IER_MASK) == 0);
		CHECK(sent == u.tx_bytes);
	}
	uint64_t lsr;
	CHECK(uart16550_io_read(&u, UART_LSR, 1, &lsr) == 0);
	CHECK((lsr & (UART_LSR_THRE | UART_LSR_TEMT)) == (UART_LSR_THRE | UART_LSR_TEMT));
	CHECK(host_log_count() == 0);
	return 0;
}
