/* SPDX-License-Identifier: BSD-2-Clause */
/* drivers/vdev/fw_cfg.c (QEMU's fw_cfg, traditional interface) and
 * drivers/vdev/debug_exit.c (isa-debug-exit), reached through core/iobus.c
 * as the exit dispatcher reaches them. The expected bytes follow QEMU's
 * docs/specs/fw_cfg.rst: little-endian items, a big-endian file directory. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/iobus.h"
#include "drivers/vdev/debug_exit.h"
#include "drivers/vdev/fw_cfg.h"

static struct iobus bus;
static struct fw_cfg fw;
static const struct fw_cfg_e820 e820[] = {
	{ 0, 0x9fc00, 1 },
	{ 0x9fc00, 0x400, 2 },
	{ 0x100000, 0x1f00000, 1 },
};

static void setup(void)
{
	struct fw_cfg_config cfg = {
		.ram_size = 0x2000000,
		.nr_cpus = 2,
		.max_cpus = 4,
		.e820 = e820,
		.e820_entries = 3,
	};
	memset(&bus, 0, sizeof(bus));
	cr_assert(fw_cfg_init(&fw, &cfg));
	cr_assert(fw_cfg_attach(&fw, &bus));
}

TestSuite(fw_cfg, .init = setup);

static void select_key(uint16_t key)
{
	uint64_t v = key;
	cr_assert_eq(iobus_pio(&bus, 0x510, 2, true, &v), IOBUS_OK);
}

static uint8_t data(void)
{
	uint64_t v = 0xbad;
	cr_assert_eq(iobus_pio(&bus, 0x511, 1, false, &v), IOBUS_OK);
	return (uint8_t)v;
}

static void read_bytes(uint16_t key, uint8_t *buf, size_t n)
{
	select_key(key);
	for (size_t i = 0; i < n; i++)
		buf[i] = data();
}

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

Test(fw_cfg, signature_and_id)
{
	uint8_t b[8];
	read_bytes(0x0000, b, 4);
	cr_assert_eq(memcmp(b, "QEMU", 4), 0);
	read_bytes(0x0001, b, 4);
	cr_assert_eq(b[0], 1, "traditional interface, no DMA (bit 1 clear)");
	cr_assert_eq(b[1] | b[2] | b[3], 0);
	cr_assert_eq(data(), 0, "past the end reads 0");
}

Test(fw_cfg, ram_and_cpus)
{
	uint8_t b[8];
	uint64_t ram;
	uint16_t n;
	read_bytes(0x0003, b, 8);
	memcpy(&ram, b, 8);
	cr_assert_eq(ram, 0x2000000);
	read_bytes(0x0005, b, 2);
	memcpy(&n, b, 2);
	cr_assert_eq(n, 2);
	read_bytes(0x000f, b, 2);
	memcpy(&n, b, 2);
	cr_assert_eq(n, 4);
}

Test(fw_cfg, file_directory_and_e820)
{
	uint8_t dir[4 + 64];
	read_bytes(0x0019, dir, sizeof(dir));
	cr_assert_eq(be32(dir), 1, "one file");
	cr_assert_eq(be32(dir + 4), 3 * 20, "size, big-endian");
	cr_assert_eq(dir[8] << 8 | dir[9], 0x0020, "select, big-endian");
	cr_assert_str_eq((char *)dir + 12, "etc/e820");

	uint8_t t[60];
	uint64_t addr, len;
	uint32_t type;
	read_bytes(0x0020, t, sizeof(t));
	memcpy(&addr, t + 40, 8);
	memcpy(&len, t + 48, 8);
	memcpy(&type, t + 56, 4);
	cr_assert_eq(addr, 0x100000);
	cr_assert_eq(len, 0x1f00000);
	cr_assert_eq(type, 1);
}

Test(fw_cfg, reselect_rewinds_unknown_reads_zero)
{
	select_key(0x0000);
	cr_assert_eq(data(), 'Q');
	cr_assert_eq(data(), 'E');
	select_key(0x0000);
	cr_assert_eq(data(), 'Q', "a selector write rewinds");
	select_key(0x1234);
	cr_assert_eq(data(), 0);
	select_key(0x4000 | 0x0000); /* the write-channel bit names the same item */
	cr_assert_eq(data(), 'Q');
	select_key(0x8000 | 0x0000); /* arch-local keys: none */
	cr_assert_eq(data(), 0);
}

Test(fw_cfg, other_widths)
{
	uint64_t v = 0x0000;
	/* An 8-bit write to the data port is ignored (QEMU since 2.4). */
	select_key(0x0000);
	v = 0x55;
	cr_assert_eq(iobus_pio(&bus, 0x511, 1, true, &v), IOBUS_OK);
	cr_assert_eq(data(), 'Q');
	/* A 16-bit read is not a valid access: 0, and the position stays. */
	cr_assert_eq(iobus_pio(&bus, 0x510, 2, false, &v), IOBUS_OK);
	cr_assert_eq(v, 0);
	cr_assert_eq(data(), 'E');
	/* An 8-bit read at the selector port reads data too (QEMU's comb). */
	cr_assert_eq(iobus_pio(&bus, 0x510, 1, false, &v), IOBUS_OK);
	cr_assert_eq(v, 'M');
	/* A 32-bit write does not select. */
	v = 0x0005;
	cr_assert_eq(iobus_pio(&bus, 0x510, 4, true, &v), IOBUS_OK);
	cr_assert_eq(data(), 'U');
	/* Next door is open bus. */
	cr_assert_eq(iobus_pio(&bus, 0x512, 1, false, &v), IOBUS_UNCLAIMED);
}

Test(fw_cfg, too_many_e820_entries)
{
	struct fw_cfg_e820 many[FW_CFG_E820_MAX + 1];
	struct fw_cfg_config cfg = { .e820 = many, .e820_entries = FW_CFG_E820_MAX + 1 };
	memset(many, 0, sizeof(many));
	cr_assert_not(fw_cfg_init(&fw, &cfg));
}

/* ---- isa-debug-exit ---------------------------------------------------- */

static uint32_t got_value, got_status;
static unsigned int exits;

static void exit_seen(void *ctx, uint32_t value, uint32_t status)
{
	(void)ctx;
	got_value = value;
	got_status = status;
	exits++;
}

Test(debug_exit, status_is_value_shifted_with_bit_0)
{
	struct debug_exit d = { 0xf4, exit_seen, NULL };
	uint64_t v;
	memset(&bus, 0, sizeof(bus));
	exits = 0;
	cr_assert(debug_exit_attach(&d, &bus));
	v = 5;
	cr_assert_eq(iobus_pio(&bus, 0xf4, 1, true, &v), IOBUS_OK);
	cr_assert_eq(exits, 1);
	cr_assert_eq(got_value, 5);
	cr_assert_eq(got_status, 11);
	v = 0x1ff; /* a byte write keeps the byte */
	cr_assert_eq(iobus_pio(&bus, 0xf4, 1, true, &v), IOBUS_OK);
	cr_assert_eq(got_value, 0xff);
	cr_assert_eq(got_status, 0x1ff);
	v = 0x0102; /* QEMU's default iosize 2: a word write at the port */
	cr_assert_eq(iobus_pio(&bus, 0xf4, 2, true, &v), IOBUS_OK);
	cr_assert_eq(got_value, 0x0102);
	v = 0;
	cr_assert_eq(iobus_pio(&bus, 0xf5, 1, true, &v), IOBUS_OK);
	cr_assert_eq(got_status, 1, "value 0: status 1 (QEMU's 'success' convention)");
	cr_assert_eq(iobus_pio(&bus, 0xf4, 1, false, &v), IOBUS_OK);
	cr_assert_eq(v, 0);
	cr_assert_eq(exits, 4, "reads end nothing");
	cr_assert_eq(iobus_pio(&bus, 0xf6, 1, true, &v), IOBUS_UNCLAIMED);
}
