/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz the 8254 PIT and port 0x61 with time passing between accesses and
 * scheduler ticks. Invariants: after a tick at `now` no IRQ0 edge is left
 * due (the deadline is in the future or absent); every tick delivers at
 * most one pulse; channel periods stay within 1..65536 and modes within
 * 0..5; the IRQ line is low between ticks (IRQ0 is a pulse). */
#include "drivers/vdev/pit8254.h"
#include "tests/fuzz/vdev_ops.h"
#include "tests/unit/support/host_log.h"

static const uint16_t ports[] = { 0x40, 0x41, 0x42, 0x43, 0x61 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct pit8254 p;
	struct irq_recorder irq;
	struct fake_clock clk;
	struct iobus bus = { 0 };
	struct vdev_op op;
	const unsigned int nports = sizeof(ports) / sizeof(ports[0]);

	host_log_reset();
	recorder_init(&irq);
	fake_clock_init(&clk, 0);
	pit8254_init(&p, "fuzz", &clk.vc, &irq.sink, PIT_IRQ);
	CHECK(pit8254_attach(&p, &bus));
	while (vdev_next_op(&data, &len, &op)) {
		unsigned int sel = op.sel % (nports + 1);
		vdev_advance(&clk, op.advance_ns);
		if (sel < nports) {
			vdev_pio(&bus, ports[sel], &op);
		} else {
			unsigned int before = irq.rises[PIT_IRQ];
			pit8254_tick(&p, clk.now);
			CHECK(irq.rises[PIT_IRQ] - before <= 1);
			uint64_t d = pit8254_next_deadline(&p);
			CHECK(d == VDEV_NO_DEADLINE || d > clk.now);
		}
		CHECK(!irq.level[PIT_IRQ]);
		for (int c = 0; c < PIT_NR_CHANNELS; c++) {
			CHECK(p.ch[c].period >= 1 && p.ch[c].period <= 65536);
			CHECK(p.ch[c].mode <= 5);
		}
		CHECK(p.irq_raised == irq.rises[PIT_IRQ]);
	}
	CHECK(host_log_count() <= 2);
	return 0;
}
