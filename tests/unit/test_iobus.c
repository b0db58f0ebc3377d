/* SPDX-License-Identifier: BSD-2-Clause */
/* The I/O bus's port lookup cache (core/iobus.h): a hit answers with the
 * range the scan would find, ports sharing a slot each get their own
 * range, a range added after a miss is found, unclaimed ports stay
 * unclaimed, and a cached slot never answers for a port outside its
 * range. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/iobus.h"

struct latch {
	unsigned int reads, writes;
	uint64_t value;
};

static int latch_read(void *dev, uint64_t off, unsigned int size, uint64_t *val)
{
	struct latch *l = dev;
	l->reads++;
	*val = l->value + off;
	return 0;
}

static int latch_write(void *dev, uint64_t off, unsigned int size, uint64_t val)
{
	struct latch *l = dev;
	l->writes++;
	l->value = val;
	return 0;
}

static struct iobus bus;
static struct latch a, b;

static void setup(void)
{
	memset(&bus, 0, sizeof(bus));
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
}

TestSuite(iobus, .init = setup);

/* Two ports whose slots collide (iobus_pio_slot): found until then. */
static uint16_t colliding_port(uint16_t port)
{
	for (uint32_t p = port + 1; p < 0x10000; p++)
		if (iobus_pio_slot((uint16_t)p) == iobus_pio_slot(port))
			return (uint16_t)p;
	cr_assert_fail("no port shares slot %u", iobus_pio_slot(port));
	return 0;
}

Test(iobus, cache_hit_is_the_scanned_range)
{
	uint64_t v = 0;
	cr_assert(iobus_add_pio(&bus, 0x520, 4, latch_read, latch_write, &a, "a"));
	cr_assert_null(iobus_pio_cached(&bus, 0x521), "empty before the first access");
	cr_assert_eq(iobus_pio(&bus, 0x521, 1, false, &v), IOBUS_OK);
	cr_assert_eq(iobus_pio_cached(&bus, 0x521), iobus_find_pio(&bus, 0x521));
	v = 0x5a;
	cr_assert_eq(iobus_pio(&bus, 0x521, 1, true, &v), IOBUS_OK);
	cr_assert_eq(a.writes, 1);
	cr_assert_eq(a.value, 0x5a);
}

Test(iobus, ports_sharing_a_slot_get_their_own_range)
{
	uint16_t p1 = 0x3f8, p2 = colliding_port(p1);
	uint64_t v;
	cr_assert(iobus_add_pio(&bus, p1, 1, latch_read, latch_write, &a, "a"));
	cr_assert(iobus_add_pio(&bus, p2, 1, latch_read, latch_write, &b, "b"));
	for (unsigned int i = 0; i < 3; i++) {
		v = 1;
		iobus_pio(&bus, p1, 1, true, &v);
		v = 2;
		iobus_pio(&bus, p2, 1, true, &v);
	}
	cr_assert_eq(a.writes, 3);
	cr_assert_eq(b.writes, 3);
	cr_assert_eq(a.value, 1);
	cr_assert_eq(b.value, 2);
	/* The slot holds the last one; the other is not answered by it. */
	cr_assert_eq(iobus_pio_cached(&bus, p2), iobus_find_pio(&bus, p2));
	cr_assert_null(iobus_pio_cached(&bus, p1));
}

Test(iobus, unclaimed_port_reads_all_ones_and_is_not_cached_as_a_neighbour)
{
	uint64_t v = 0;
	cr_assert(iobus_add_pio(&bus, 0x60, 1, latch_read, latch_write, &a, "a"));
	cr_assert_eq(iobus_pio(&bus, 0x60, 1, false, &v), IOBUS_OK);
	/* 0x61 shares no range with 0x60: a miss, all ones. */
	cr_assert_eq(iobus_pio(&bus, 0x61, 2, false, &v), IOBUS_UNCLAIMED);
	cr_assert_eq(v, 0xffff);
	cr_assert_null(iobus_pio_cached(&bus, 0x61));
	/* A port below a cached range's base is not in it (no wrap). */
	uint16_t below = 0x60;
	for (uint32_t p = 0; p < 0x60; p++)
		if (iobus_pio_slot((uint16_t)p) == iobus_pio_slot(0x60))
			below = (uint16_t)p;
	if (below != 0x60)
		cr_assert_null(iobus_pio_cached(&bus, below));
}

Test(iobus, range_added_after_a_miss_is_found)
{
	uint64_t v = 0;
	cr_assert_eq(iobus_pio(&bus, 0x70, 1, false, &v), IOBUS_UNCLAIMED);
	cr_assert(iobus_add_pio(&bus, 0x70, 2, latch_read, latch_write, &a, "rtc"));
	a.value = 0x40;
	cr_assert_eq(iobus_pio(&bus, 0x71, 1, false, &v), IOBUS_OK);
	cr_assert_eq(v, 0x41);
	cr_assert_eq(a.reads, 1);
}
