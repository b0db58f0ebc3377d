/* SPDX-License-Identifier: BSD-2-Clause */
/* drivers/vdev/testdev.c (the guest suite's echo latch and MMIO page,
 * docs/test-guests.md) reached through core/iobus.c the way the exit
 * dispatcher reaches it. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/iobus.h"
#include "drivers/vdev/testdev.h"

static struct iobus bus;
static struct testdev dev;

static void setup(void)
{
	memset(&bus, 0, sizeof(bus));
	memset(&dev, 0, sizeof(dev));
	cr_assert(testdev_attach(&dev, &bus));
}

TestSuite(testdev, .init = setup);
TestSuite(iobus);

static uint64_t pio_in(uint16_t port, unsigned int size)
{
	uint64_t v = 0xbadbadbadULL;
	cr_assert_eq(iobus_pio(&bus, port, size, false, &v), IOBUS_OK, "in %#x", port);
	return v;
}

static void pio_out(uint16_t port, unsigned int size, uint64_t v)
{
	cr_assert_eq(iobus_pio(&bus, port, size, true, &v), IOBUS_OK, "out %#x", port);
}

static uint64_t mmio_rd(uint64_t off, unsigned int size)
{
	uint64_t v = 0xbadbadbadULL;
	cr_assert_eq(iobus_mmio(&bus, TESTDEV_MMIO_BASE + off, size, false, &v), IOBUS_OK);
	return v;
}

static void mmio_wr(uint64_t off, unsigned int size, uint64_t v)
{
	cr_assert_eq(iobus_mmio(&bus, TESTDEV_MMIO_BASE + off, size, true, &v), IOBUS_OK);
}

Test(testdev, echo_byte)
{
	cr_assert_eq(pio_in(0x520, 1), 0, "latch starts at zero");
	pio_out(0x520, 1, 0x5a);
	cr_assert_eq(pio_in(0x520, 1), 0x5a);
	cr_assert_eq(pio_in(0x520, 2), 0x005a);
	pio_out(0x523, 1, 0xa5);
	cr_assert_eq(pio_in(0x523, 1), 0xa5);
	cr_assert_eq(pio_in(0x520, 4), 0xa500005a);
	/* Only the low byte of the value counts. */
	pio_out(0x521, 1, 0xffffff33);
	cr_assert_eq(pio_in(0x520, 4), 0xa500335a);
}

Test(testdev, echo_word)
{
	pio_out(0x520, 2, 0x1234);
	cr_assert_eq(pio_in(0x520, 2), 0x1234);
	cr_assert_eq(pio_in(0x521, 1), 0x12);
	pio_out(0x522, 2, 0xabcd);
	cr_assert_eq(pio_in(0x520, 4), 0xabcd1234);
	cr_assert_eq(pio_in(0x521, 2), 0xcd12, "unaligned word");
	pio_out(0x520, 2, 0xffff0000);
	cr_assert_eq(pio_in(0x520, 4), 0xabcd0000, "word write leaves the high half");
}

Test(testdev, echo_dword)
{
	pio_out(0x520, 4, 0xdeadbeef);
	cr_assert_eq(pio_in(0x520, 4), 0xdeadbeef);
	cr_assert_eq(pio_in(0x523, 1), 0xde);
	cr_assert_eq(pio_in(0x522, 2), 0xdead);
	pio_out(0x522, 1, 0);
	cr_assert_eq(pio_in(0x520, 4), 0xde00beef);
	pio_out(0x520, 4, 0x1122334455667788ULL);
	cr_assert_eq(pio_in(0x520, 4), 0x55667788, "I/O is at most 32 bits");
}

Test(testdev, echo_access_at_the_last_port)
{
	/* A dword at 0x523 only reaches the latch's top byte (bytes 0x524+
	 * belong to nobody). */
	pio_out(0x520, 4, 0x11223344);
	cr_assert_eq(pio_in(0x523, 4), 0x11);
	pio_out(0x523, 4, 0xffffffaa);
	cr_assert_eq(pio_in(0x520, 4), 0xaa223344);
}

Test(testdev, neighbouring_ports_are_open_bus)
{
	pio_out(0x520, 4, 0x01020304);
	uint64_t v = 0;
	cr_assert_eq(iobus_pio(&bus, 0x51f, 1, false, &v), IOBUS_UNCLAIMED);
	cr_assert_eq(v, 0xff);
	cr_assert_eq(iobus_pio(&bus, 0x525, 2, false, &v), IOBUS_UNCLAIMED);
	cr_assert_eq(v, 0xffff);
	cr_assert_eq(iobus_pio(&bus, 0x525, 4, false, &v), IOBUS_UNCLAIMED);
	cr_assert_eq(v, 0xffffffff);
	cr_assert_eq(pio_in(TESTDEV_IRQ_PORT, 1), 0xff, "the IRQ port is write-only");
	v = 0;
	cr_assert_eq(iobus_pio(&bus, 0x525, 1, true, &v), IOBUS_UNCLAIMED);
	cr_assert_eq(iobus_pio(&bus, 0x51f, 4, true, &v), IOBUS_UNCLAIMED);
	pio_out(TESTDEV_IRQ_PORT, 1, 0);
	cr_assert_eq(pio_in(0x520, 4), 0x01020304, "writes next door do not reach the latch");
}

static uint8_t raised[8];
static unsigned int nr_raised;

static void record_irq(void *ctx, uint8_t vector)
{
	cr_assert_eq(ctx, &dev);
	if (nr_raised < sizeof(raised))
		raised[nr_raised] = vector;
	nr_raised++;
}

static unsigned int gsi_pin[4];
static bool gsi_level[4];
static unsigned int nr_gsi;

static void record_gsi(void *ctx, unsigned int pin, bool level)
{
	cr_assert_eq(ctx, &dev);
	if (nr_gsi < 4) {
		gsi_pin[nr_gsi] = pin;
		gsi_level[nr_gsi] = level;
	}
	nr_gsi++;
}

Test(testdev, gsi_port_drives_a_pin_and_its_level)
{
	pio_out(TESTDEV_GSI_PORT, 1, 0x85); /* no sink yet: ignored, no crash */
	dev.set_gsi = record_gsi;
	dev.irq_ctx = &dev;
	pio_out(TESTDEV_GSI_PORT, 1, TESTDEV_GSI_LEVEL | 22);
	pio_out(TESTDEV_GSI_PORT, 1, 22);
	pio_out(TESTDEV_GSI_PORT, 1, 0x7f); /* bits 6:5 are not the pin */
	cr_assert_eq(nr_gsi, 3);
	cr_assert(gsi_pin[0] == 22 && gsi_level[0]);
	cr_assert(gsi_pin[1] == 22 && !gsi_level[1]);
	cr_assert(gsi_pin[2] == 31 && !gsi_level[2]);
}

Test(testdev, irq_port_raises_vectors_32_to_255)
{
	pio_out(TESTDEV_IRQ_PORT, 1, 0x40); /* no sink yet: ignored, no crash */
	dev.raise_irq = record_irq;
	dev.irq_ctx = &dev;
	pio_out(TESTDEV_IRQ_PORT, 1, 32);
	pio_out(TESTDEV_IRQ_PORT, 1, 255);
	pio_out(TESTDEV_IRQ_PORT, 4, 0x41);
	cr_assert_eq(nr_raised, 3);
	cr_assert_eq(raised[0], 32);
	cr_assert_eq(raised[1], 255);
	cr_assert_eq(raised[2], 0x41);
	/* Exception vectors and out-of-range values are not interrupts. */
	pio_out(TESTDEV_IRQ_PORT, 1, 0);
	pio_out(TESTDEV_IRQ_PORT, 1, 2);
	pio_out(TESTDEV_IRQ_PORT, 1, 31);
	pio_out(TESTDEV_IRQ_PORT, 2, 256);
	pio_out(TESTDEV_IRQ_PORT, 4, 0x100000040ULL);
	cr_assert_eq(nr_raised, 3);
	/* The echo latch is not an IRQ port. */
	pio_out(0x520, 1, 0x40);
	cr_assert_eq(nr_raised, 3);
}

Test(testdev, mmio_scratch_all_sizes)
{
	mmio_wr(TESTDEV_MMIO_SCRATCH, 4, 0x11223344);
	cr_assert_eq(mmio_rd(0, 4), 0x11223344);
	cr_assert_eq(mmio_rd(0, 1), 0x44);
	cr_assert_eq(mmio_rd(3, 1), 0x11);
	cr_assert_eq(mmio_rd(0, 2), 0x3344);
	cr_assert_eq(mmio_rd(2, 2), 0x1122);
	mmio_wr(1, 1, 0x99);
	cr_assert_eq(mmio_rd(0, 4), 0x11229944);
	mmio_wr(2, 2, 0xbeef);
	cr_assert_eq(mmio_rd(0, 4), 0xbeef9944);
	mmio_wr(0, 2, 0x12345678);
	cr_assert_eq(mmio_rd(0, 4), 0xbeef5678, "a word write takes the low 16 bits");
}

Test(testdev, mmio_magic_all_sizes)
{
	cr_assert_eq(mmio_rd(TESTDEV_MMIO_MAGIC, 4), TESTDEV_MAGIC);
	cr_assert_eq(mmio_rd(4, 4), 0x4d4d494f, "\"OIMM\" little-endian: reads as 'MMIO' big-endian");
	cr_assert_eq(mmio_rd(4, 1), 0x4f);
	cr_assert_eq(mmio_rd(7, 1), 0x4d);
	cr_assert_eq(mmio_rd(4, 2), 0x494f);
	cr_assert_eq(mmio_rd(6, 2), 0x4d4d);
	cr_assert_eq(mmio_rd(4, 8), TESTDEV_MAGIC, "bytes past the magic read zero");
}

Test(testdev, mmio_qword_covers_scratch_and_magic)
{
	mmio_wr(0, 4, 0xcafef00d);
	cr_assert_eq(mmio_rd(0, 8), ((uint64_t)TESTDEV_MAGIC << 32) | 0xcafef00d);
	mmio_wr(0, 8, 0xffffffffaabbccddULL);
	cr_assert_eq(mmio_rd(0, 4), 0xaabbccdd);
	cr_assert_eq(mmio_rd(4, 4), TESTDEV_MAGIC, "qword write must not touch the magic");
	cr_assert_eq(mmio_rd(0, 8), ((uint64_t)TESTDEV_MAGIC << 32) | 0xaabbccdd);
}

Test(testdev, writes_to_the_magic_are_ignored)
{
	mmio_wr(0, 4, 0x01020304);
	for (unsigned int size = 1; size <= 8; size *= 2) {
		mmio_wr(4, size, 0);
		mmio_wr(4, size, ~0ULL);
		cr_assert_eq(mmio_rd(4, 4), TESTDEV_MAGIC, "size %u", size);
	}
	mmio_wr(5, 1, 0);
	mmio_wr(6, 2, 0);
	mmio_wr(7, 1, 0);
	cr_assert_eq(mmio_rd(4, 4), TESTDEV_MAGIC);
	cr_assert_eq(mmio_rd(0, 4), 0x01020304, "scratch untouched by magic writes");
	/* A dword at offset 2 straddles: its low half lands in the scratch. */
	mmio_wr(2, 4, 0xaaaabbbb);
	cr_assert_eq(mmio_rd(0, 4), 0xbbbb0304);
	cr_assert_eq(mmio_rd(4, 4), TESTDEV_MAGIC);
	mmio_wr(3, 8, ~0ULL);
	cr_assert_eq(mmio_rd(0, 4), 0xffbb0304);
	cr_assert_eq(mmio_rd(4, 4), TESTDEV_MAGIC);
}

Test(testdev, rest_of_the_page)
{
	mmio_wr(0x8, 4, 0x12345678);
	mmio_wr(0xffc, 4, 0x12345678);
	cr_assert_eq(mmio_rd(0x8, 4), 0);
	cr_assert_eq(mmio_rd(0xffc, 4), 0);
	cr_assert_eq(mmio_rd(0xff8, 8), 0);
	cr_assert_eq(mmio_rd(0x800, 1), 0);
	cr_assert_eq(mmio_rd(4, 4), TESTDEV_MAGIC);
	cr_assert_eq(mmio_rd(0, 4), 0);
	uint64_t v = 0;
	cr_assert_eq(iobus_mmio(&bus, TESTDEV_MMIO_BASE + TESTDEV_MMIO_LEN, 4, false, &v),
		     IOBUS_UNCLAIMED);
	cr_assert_eq(iobus_mmio(&bus, TESTDEV_MMIO_BASE - 1, 1, true, &v), IOBUS_UNCLAIMED);
}

Test(testdev, attach_twice_refused)
{
	struct testdev other = { 0 };
	cr_assert_not(testdev_attach(&other, &bus), "the ports are taken");
	cr_assert_eq(bus.nr_pio, 3, "echo latch, IRQ port and GSI port, once");
	cr_assert_eq(iobus_find_pio(&bus, 0x522)->dev, &dev);
	cr_assert_eq(iobus_find_mmio(&bus, TESTDEV_MMIO_BASE + 4)->dev, &dev);
	cr_assert_str_eq(iobus_find_mmio(&bus, TESTDEV_MMIO_BASE)->name, "testdev-mmio");
}

/* --- core/iobus.c itself --- */

static int reads;

static int rd_offset(void *dev, uint64_t off, unsigned int size, uint64_t *val)
{
	reads++;
	*val = off;
	return 0;
}

static int rd_fail(void *dev, uint64_t off, unsigned int size, uint64_t *val)
{
	return -1;
}

static int wr_fail(void *dev, uint64_t off, unsigned int size, uint64_t val)
{
	return -1;
}

Test(iobus, registration_limits)
{
	struct iobus b = { 0 };
	cr_assert_not(iobus_add_pio(&b, 0x100, 0, rd_offset, NULL, NULL, "empty"), "zero length");
	cr_assert_not(iobus_add_pio(&b, 0xfff0, 0x11, rd_offset, NULL, NULL, "past 64K"));
	cr_assert(iobus_add_pio(&b, 0xfff0, 0x10, rd_offset, NULL, NULL, "top"));
	cr_assert_not(iobus_add_pio(&b, 0xffff, 1, rd_offset, NULL, NULL, "overlap"));
	cr_assert(iobus_add_pio(&b, 0xffef, 1, rd_offset, NULL, NULL, "just below"));
	cr_assert_not(iobus_add_mmio(&b, UINT64_MAX - 0xfff, 0x1000, rd_offset, NULL, NULL, "wraps"));
	cr_assert_not(iobus_add_mmio(&b, 0x1000, 0, rd_offset, NULL, NULL, "empty"));
	cr_assert(iobus_add_mmio(&b, 0x1000, 0x1000, rd_offset, NULL, NULL, "a"));
	cr_assert_not(iobus_add_mmio(&b, 0x1fff, 0x10, rd_offset, NULL, NULL, "overlaps a's end"));
	cr_assert_not(iobus_add_mmio(&b, 0x0, 0x1001, rd_offset, NULL, NULL, "overlaps a's start"));
	cr_assert_not(iobus_add_mmio(&b, 0x0, 0x10000, rd_offset, NULL, NULL, "covers a"));
	cr_assert(iobus_add_mmio(&b, 0x2000, 0x1000, rd_offset, NULL, NULL, "adjacent"));
	cr_assert(iobus_add_pio(&b, 0x1000, 0x1000, rd_offset, NULL, NULL,
				"pio and mmio are separate"));
}

Test(iobus, table_full)
{
	struct iobus b = { 0 };
	for (unsigned int i = 0; i < IOBUS_MAX_RANGES; i++)
		cr_assert(iobus_add_mmio(&b, 0x1000 * (i + 1), 0x1000, rd_offset, NULL, NULL, "r"));
	cr_assert_not(iobus_add_mmio(&b, 0x1000000, 0x1000, rd_offset, NULL, NULL, "one too many"));
	cr_assert_eq(b.nr_mmio, IOBUS_MAX_RANGES);
}

Test(iobus, dispatch_offsets_and_errors)
{
	struct iobus b = { 0 };
	uint64_t v;
	cr_assert(iobus_add_mmio(&b, 0xfee00000, 0x1000, rd_offset, wr_fail, NULL, "lapic"));
	cr_assert(iobus_add_mmio(&b, 0xfec00000, 0x20, rd_fail, NULL, NULL, "ioapic"));
	cr_assert(iobus_add_pio(&b, 0x60, 1, NULL, NULL, NULL, "nothing"));
	cr_assert_eq(iobus_mmio(&b, 0xfee00300, 4, false, &v), IOBUS_OK);
	cr_assert_eq(v, 0x300, "offset is relative to the base");
	cr_assert_eq(iobus_mmio(&b, 0xfee00300, 4, true, &v), IOBUS_DEVICE_ERROR);
	cr_assert_eq(iobus_mmio(&b, 0xfec00010, 4, false, &v), IOBUS_DEVICE_ERROR);
	cr_assert_eq(iobus_mmio(&b, 0xfec00000, 4, true, &v), IOBUS_OK, "no write callback: dropped");
	cr_assert_eq(iobus_mmio(&b, 0xfec00020, 4, false, &v), IOBUS_UNCLAIMED);
	cr_assert_eq(iobus_pio(&b, 0x60, 2, false, &v), IOBUS_OK);
	cr_assert_eq(v, 0xffff, "no read callback reads all ones");
	cr_assert_eq(iobus_mmio(&b, 0xfec00000, 8, false, &v), IOBUS_DEVICE_ERROR);
}

Test(iobus, move_mmio)
{
	struct iobus b = { 0 };
	int a, c;
	uint64_t v;
	cr_assert(iobus_add_mmio(&b, 0xe0000000, 0x1000, rd_offset, NULL, &a, "bar-a"));
	cr_assert(iobus_add_mmio(&b, 0xe0001000, 0x1000, rd_offset, NULL, &c, "bar-c"));
	cr_assert_not(iobus_move_mmio(&b, &a, 0xe0000000, 0xe0001800), "onto c");
	cr_assert_not(iobus_move_mmio(&b, &a, 0xe0000000, UINT64_MAX - 0x800), "wraps");
	cr_assert_not(iobus_move_mmio(&b, &c, 0xe0000000, 0xf0000000), "c is not at a's base");
	cr_assert_eq(iobus_find_mmio(&b, 0xe0000000)->dev, &a, "a refused move leaves it in place");
	cr_assert(iobus_move_mmio(&b, &a, 0xe0000000, 0xdffff800), "overlapping its own old place");
	cr_assert_eq(iobus_find_mmio(&b, 0xdffff800)->dev, &a);
	cr_assert_null(iobus_find_mmio(&b, 0xe0000800));
	cr_assert(iobus_move_mmio(&b, &a, 0xdffff800, 0xd0000000));
	cr_assert_eq(iobus_mmio(&b, 0xd0000010, 4, false, &v), IOBUS_OK);
	cr_assert_eq(v, 0x10);
	cr_assert_eq(iobus_mmio(&b, 0xe0000810, 4, false, &v), IOBUS_UNCLAIMED);
}
