/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz the 8042 controller and the system ports (0x80, 0x92, 0xCF9).
 * Invariants: the input buffer never reads full (Linux's kb_wait must
 * always finish); IRQ1/IRQ12 match the model; every reset the devices
 * count reached the reset sink; nothing but debug/info lines about the
 * guest's own requests is logged. */
#include "drivers/vdev/i8042.h"
#include "drivers/vdev/sys_ports.h"
#include "tests/fuzz/vdev_ops.h"
#include "tests/unit/support/host_log.h"

static const uint16_t ports[] = { 0x60, 0x64, 0x80, 0x92, 0xCF9, 0x61 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct i8042 k;
	struct sys_ports s;
	struct irq_recorder irq;
	struct reset_counter rst;
	struct iobus bus = { 0 };
	struct vdev_op op;
	const unsigned int nports = sizeof(ports) / sizeof(ports[0]);

	host_log_reset();
	recorder_init(&irq);
	reset_counter_init(&rst);
	i8042_init(&k, "fuzz", &irq.sink, I8042_KBD_IRQ, I8042_AUX_IRQ, &rst.sink);
	sys_ports_init(&s, "fuzz", &rst.sink);
	CHECK(i8042_attach(&k, &bus));
	CHECK(sys_ports_attach(&s, &bus));
	CHECK(iobus_add_pio(&bus, RESET_CONTROL_PORT, 1, sys_ports_cf9_read, sys_ports_cf9_write,
			    &s, "cf9"));
	while (vdev_next_op(&data, &len, &op)) {
		vdev_pio(&bus, ports[op.sel % nports], &op);
		uint64_t st;
		CHECK(i8042_cmd_read(&k, 0, 1, &st) == 0);
		CHECK(!(st & I8042_STR_IBF));
		CHECK(irq.level[I8042_KBD_IRQ] == k.kbd_irq_level);
		CHECK(irq.level[I8042_AUX_IRQ] == k.aux_irq_level);
		CHECK(!(k.kbd_irq_level && k.aux_irq_level));
		CHECK(rst.count == k.resets + s.resets);
		CHECK(sys_ports_last_post_code(&s) == s.post_code);
	}
	return 0;
}
