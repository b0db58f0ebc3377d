/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz the 8259A pair: accesses to 0x20/0x21, 0xA0/0xA1, 0x4D0/0x4D1,
 * device lines going up and down, and CPU interrupt acknowledges.
 * Invariants: INTR (as the platform sees it through the sink) equals
 * pic8259_has_interrupt(); an acknowledge while INTR is high never returns
 * the "not initialised" answer and always gives a byte; the ELCR never
 * holds reserved bits; each kind of misuse is logged at most once. */
#include "drivers/vdev/pic8259.h"
#include "tests/fuzz/vdev_ops.h"
#include "tests/unit/support/host_log.h"

static const uint16_t ports[] = { 0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1, 0x22 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct pic8259 p;
	struct irq_recorder intr;
	struct iobus bus = { 0 };
	struct vdev_op op;
	const unsigned int nports = sizeof(ports) / sizeof(ports[0]);

	host_log_reset();
	recorder_init(&intr);
	pic8259_init(&p, "fuzz", &intr.sink);
	CHECK(pic8259_attach(&p, &bus));
	while (vdev_next_op(&data, &len, &op)) {
		unsigned int sel = op.sel % (nports + 2);
		if (sel < nports) {
			vdev_pio(&bus, ports[sel], &op);
		} else if (sel == nports) {
			pic8259_set_irq(&p, op.value % 18, op.value & 0x100);
		} else {
			bool had = pic8259_has_interrupt(&p);
			int v = pic8259_acknowledge(&p);
			CHECK(v >= -1 && v <= 255);
			if (had)
				CHECK(v >= 0);
		}
		CHECK(intr.level[0] == pic8259_has_interrupt(&p));
		CHECK((p.chip[0].elcr & ~PIC_ELCR_MASTER_MASK) == 0);
		CHECK((p.chip[1].elcr & ~PIC_ELCR_SLAVE_MASK) == 0);
		CHECK(p.chip[0].priority_add < 8 && p.chip[1].priority_add < 8);
	}
	CHECK(host_log_count() <= 4);
	return 0;
}
