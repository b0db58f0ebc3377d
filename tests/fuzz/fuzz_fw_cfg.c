/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz QEMU's fw_cfg (drivers/vdev/fw_cfg.c) and isa-debug-exit
 * (drivers/vdev/debug_exit.c) with guest port accesses (vdev_ops.h).
 * Invariants: a selected item's read position never passes its length (a
 * read past it gives 0), data bytes come only from the item's own bytes,
 * the items never change, and every write to the debug-exit ports reports
 * status (v << 1) | 1 of the value the access could carry. */
#include <string.h>

#include "drivers/vdev/debug_exit.h"
#include "drivers/vdev/fw_cfg.h"
#include "tests/fuzz/vdev_ops.h"

static const uint16_t ports[] = { 0x510, 0x511, 0x512, 0xf4, 0xf5, 0x50f };

static unsigned int exits;
static uint32_t last_value, last_status;

static void exit_seen(void *ctx, uint32_t value, uint32_t status)
{
	(void)ctx;
	exits++;
	last_value = value;
	last_status = status;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const struct fw_cfg_e820 e820[] = { { 0, 0x9fc00, 1 }, { 0x100000, 0xf00000, 1 } };
	static struct fw_cfg f, pristine;
	struct fw_cfg_config cfg = { 0x1000000, 2, 4, e820, 2 };
	struct debug_exit d = { 0xf4, exit_seen, NULL };
	struct iobus bus = { 0 };
	struct vdev_op op;

	CHECK(fw_cfg_init(&f, &cfg));
	pristine = f;
	CHECK(fw_cfg_attach(&f, &bus));
	CHECK(debug_exit_attach(&d, &bus));
	exits = 0;
	while (vdev_next_op(&data, &len, &op)) {
		uint16_t port = ports[op.sel % (sizeof(ports) / sizeof(ports[0]))];
		unsigned int before = exits;
		uint32_t before_pos = f.pos;
		const struct fw_cfg_item *before_cur = f.cur;
		uint64_t val = op.value;
		CHECK(iobus_pio(&bus, port, op.size, op.write, &val) != IOBUS_DEVICE_ERROR);
		CHECK(!f.cur || f.pos <= f.cur->len);
		CHECK(memcmp(f.blob, pristine.blob, sizeof(f.blob)) == 0);
		CHECK(memcmp(f.item, pristine.item, sizeof(f.item)) == 0);
		bool is_exit_port = port == 0xf4 || port == 0xf5;
		CHECK(exits == before + (op.write && is_exit_port));
		if (exits != before) {
			uint32_t mask = op.size >= 4 ? 0xffffffffu : (1u << (op.size * 8)) - 1;
			CHECK(last_value == (op.value & mask));
			CHECK(last_status == ((last_value << 1) | 1));
		}
		if (!op.write && (port == 0x510 || port == 0x511) && op.size == 1) {
			/* A data read: the item's next byte, or 0 past its end. */
			if (before_cur && before_pos < before_cur->len)
				CHECK(val == f.blob[before_cur->off + before_pos] &&
				      f.pos == before_pos + 1);
			else
				CHECK(val == 0);
		}
	}
	return 0;
}
