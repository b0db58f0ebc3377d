/* SPDX-License-Identifier: BSD-2-Clause */
/* core/memmap.c: usable RAM = firmware's usable ranges minus everything
 * firmware or the hypervisor says must not be handed out. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/memmap.h"
#include "tests/unit/support/host_log.h"

static struct boot_info bi;
static struct memmap map;

static void reset(void)
{
	memset(&bi, 0, sizeof(bi));
	memset(&map, 0xa5, sizeof(map)); /* memmap_build must not rely on a zeroed map */
	host_log_reset();
}

static void add(uint64_t base, uint64_t len, uint32_t type)
{
	cr_assert_lt(bi.nr_mem, BOOT_MAX_MEM_RANGES);
	bi.mem[bi.nr_mem++] = (struct boot_mem_range){ base, len, type, 0 };
}

static void expect_range(unsigned int i, uint64_t base, uint64_t len)
{
	cr_assert_lt(i, map.nr, "range %u missing (nr %u)", i, map.nr);
	cr_expect_eq(map.usable[i].base, base, "range %u base %#lx, want %#lx", i,
		     map.usable[i].base, base);
	cr_expect_eq(map.usable[i].len, len, "range %u len %#lx, want %#lx", i, map.usable[i].len,
		     len);
}

/* Invariants every result must keep: sorted, disjoint, non-adjacent (merged),
 * page aligned, non-empty, and the byte count adds up. */
static void check_invariants(void)
{
	uint64_t sum = 0;
	for (unsigned int i = 0; i < map.nr; i++) {
		const struct mem_range *r = &map.usable[i];
		cr_assert_neq(r->len, 0);
		cr_assert(IS_ALIGNED(r->base, PAGE_SIZE) && IS_ALIGNED(r->len, PAGE_SIZE));
		cr_assert(r->base + r->len > r->base, "range %u wraps", i);
		if (i > 0)
			cr_assert_gt(r->base, map.usable[i - 1].base + map.usable[i - 1].len,
				     "range %u", i);
		sum += r->len;
	}
	cr_assert_eq(sum, map.usable_bytes);
}

Test(memmap, single_range, .init = reset)
{
	add(MiB(1), MiB(127), BOOT_MEM_USABLE);
	cr_assert_eq(memmap_build(&map, &bi, NULL, 0), MiB(127));
	cr_assert_eq(map.nr, 1);
	expect_range(0, MiB(1), MiB(127));
	cr_assert_eq(map.highest_addr, MiB(128));
	check_invariants();
}

Test(memmap, overlapping_usable_entries_merge, .init = reset)
{
	add(MiB(2), MiB(3), BOOT_MEM_USABLE); /* [2M, 5M) */
	add(MiB(1), MiB(2), BOOT_MEM_USABLE); /* [1M, 3M) overlaps */
	add(MiB(4), MiB(4), BOOT_MEM_USABLE); /* [4M, 8M) overlaps */
	add(MiB(3), MiB(1), BOOT_MEM_USABLE); /* contained */
	cr_assert_eq(memmap_build(&map, &bi, NULL, 0), MiB(7));
	cr_assert_eq(map.nr, 1);
	expect_range(0, MiB(1), MiB(7));
	check_invariants();
}

Test(memmap, adjacent_usable_entries_merge, .init = reset)
{
	add(0x200000, 0x1000, BOOT_MEM_USABLE);
	add(0x201000, 0x1000, BOOT_MEM_USABLE);
	add(0x1ff000, 0x1000, BOOT_MEM_USABLE);
	memmap_build(&map, &bi, NULL, 0);
	cr_assert_eq(map.nr, 1);
	expect_range(0, 0x1ff000, 0x3000);
}

Test(memmap, unsorted_input_gives_sorted_output, .init = reset)
{
	add(GiB(4), GiB(1), BOOT_MEM_USABLE);
	add(MiB(1), MiB(100), BOOT_MEM_USABLE);
	add(0, 0x9f000, BOOT_MEM_USABLE);
	memmap_build(&map, &bi, NULL, 0);
	cr_assert_eq(map.nr, 3);
	expect_range(0, 0, 0x9f000);
	expect_range(1, MiB(1), MiB(100));
	expect_range(2, GiB(4), GiB(1));
	cr_assert_eq(map.highest_addr, GiB(5));
	check_invariants();
}

Test(memmap, reserved_inside_usable_splits_it, .init = reset)
{
	add(0, MiB(16), BOOT_MEM_USABLE);
	add(MiB(4), 0x2000, BOOT_MEM_RESERVED);
	memmap_build(&map, &bi, NULL, 0);
	cr_assert_eq(map.nr, 2);
	expect_range(0, 0, MiB(4));
	expect_range(1, MiB(4) + 0x2000, MiB(12) - 0x2000);
	check_invariants();
}

Test(memmap, firmware_wins_whatever_the_order, .init = reset)
{
	add(MiB(4), 0x1000, BOOT_MEM_ACPI_NVS); /* listed before the usable range */
	add(0, MiB(8), BOOT_MEM_USABLE);
	add(MiB(7), MiB(2), BOOT_MEM_BAD); /* overlaps the end */
	add(MiB(6), 0x1000, 42);           /* unknown type: not usable */
	memmap_build(&map, &bi, NULL, 0);
	cr_assert_eq(map.nr, 3);
	expect_range(0, 0, MiB(4));
	expect_range(1, MiB(4) + 0x1000, MiB(2) - 0x1000);
	expect_range(2, MiB(6) + 0x1000, MiB(1) - 0x1000);
	cr_assert_eq(map.highest_addr, MiB(9));
	check_invariants();
}

Test(memmap, unaligned_usable_edges_rounded_inward, .init = reset)
{
	add(0x1234, 0x5678 - 0x1234, BOOT_MEM_USABLE); /* [0x1234, 0x5678) */
	add(0x10000, 0xfff, BOOT_MEM_USABLE);          /* less than a page: gone */
	add(0x20001, 0x1000, BOOT_MEM_USABLE);         /* page-sized, unaligned: gone */
	memmap_build(&map, &bi, NULL, 0);
	cr_assert_eq(map.nr, 1);
	expect_range(0, 0x2000, 0x3000);
	check_invariants();
}

Test(memmap, unaligned_reserved_edges_rounded_outward, .init = reset)
{
	add(0, MiB(1), BOOT_MEM_USABLE);
	add(0x3001, 1, BOOT_MEM_RESERVED); /* takes the whole page 0x3000 */
	add(0x7fff, 2, BOOT_MEM_RESERVED); /* straddles: takes two pages */
	memmap_build(&map, &bi, NULL, 0);
	cr_assert_eq(map.nr, 3);
	expect_range(0, 0, 0x3000);
	expect_range(1, 0x4000, 0x3000);
	expect_range(2, 0x9000, MiB(1) - 0x9000);
	check_invariants();
}

Test(memmap, wrapping_usable_entry_ignored, .init = reset)
{
	add(MiB(1), MiB(1), BOOT_MEM_USABLE);
	add(0xfffffffffffff001ull, 0x100, BOOT_MEM_USABLE);   /* rounding its base up wraps */
	add(0xffffffffffff0000ull, 0x20000, BOOT_MEM_USABLE); /* base + len wraps */
	add(0x8000000, UINT64_MAX, BOOT_MEM_USABLE);
	memmap_build(&map, &bi, NULL, 0);
	cr_assert_eq(map.nr, 1, "got %u ranges, first %#lx+%#lx", map.nr, map.usable[0].base,
		     map.usable[0].len);
	expect_range(0, MiB(1), MiB(1));
	check_invariants();
}

Test(memmap, usable_entry_ending_at_top_of_address_space, .init = reset)
{
	/* [2^64 - 64 KiB, 2^64): the end is not representable. Either take it
	 * (minus what cannot be expressed) or drop it, but never wrap. */
	add(0xffffffffffff0000ull, 0x10000, BOOT_MEM_USABLE);
	memmap_build(&map, &bi, NULL, 0);
	for (unsigned int i = 0; i < map.nr; i++)
		cr_assert_geq(map.usable[i].base, 0xffffffffffff0000ull);
	check_invariants();
}

Test(memmap, wrapping_reserved_entry_cuts_to_the_top, .init = reset)
{
	add(0, MiB(64), BOOT_MEM_USABLE);
	add(MiB(32), UINT64_MAX, BOOT_MEM_RESERVED);
	memmap_build(&map, &bi, NULL, 0);
	cr_assert_eq(map.nr, 1);
	expect_range(0, 0, MiB(32));
}

Test(memmap, reserved_ending_unaligned_in_last_page_cuts_to_the_top, .init = reset)
{
	add(0, MiB(64), BOOT_MEM_USABLE);
	/* base + len = 2^64 - 0xfff: no wrap, but rounding the end up does. */
	add(MiB(32), 0xfffffffffffff001ull - MiB(32), BOOT_MEM_RESERVED);
	memmap_build(&map, &bi, NULL, 0);
	cr_assert_eq(map.nr, 1);
	expect_range(0, 0, MiB(32));
}

Test(memmap, reserve_list_cut_after_firmware_map, .init = reset)
{
	add(0, 0x9fc00, BOOT_MEM_USABLE);
	add(MiB(1), MiB(255), BOOT_MEM_USABLE);
	struct mem_range reserve[] = {
		{ 0, MiB(1) },        /* the first MiB */
		{ MiB(2), 0x123456 }, /* the image, unaligned length */
		{ MiB(64), MiB(8) },  /* a module */
		{ GiB(8), MiB(1) },   /* outside RAM: no effect */
		{ MiB(100), 0 },      /* empty: no effect */
	};
	uint64_t bytes = memmap_build(&map, &bi, reserve, ARRAY_SIZE(reserve));
	cr_assert_eq(map.nr, 3);
	expect_range(0, MiB(1), MiB(1));
	expect_range(1, MiB(2) + 0x124000, MiB(62) - 0x124000);
	expect_range(2, MiB(72), MiB(184));
	cr_assert_eq(bytes, MiB(1) + MiB(62) - 0x124000 + MiB(184));
	cr_assert_eq(map.highest_addr, MiB(256), "the reserve list does not change highest_addr");
	check_invariants();
}

Test(memmap, highest_addr_counts_every_type, .init = reset)
{
	add(MiB(1), MiB(127), BOOT_MEM_USABLE);
	add(0xfee00000, 0x1000, BOOT_MEM_RESERVED);
	add(0xfd00000000ull, 0x1000, BOOT_MEM_RESERVED);
	add(MiB(200), MiB(1), BOOT_MEM_ACPI_RECLAIM);
	memmap_build(&map, &bi, NULL, 0);
	cr_assert_eq(map.highest_addr, 0xfd00001000ull);
	cr_assert_eq(map.nr, 1);
}

Test(memmap, highest_addr_ignores_wrapping_entry, .init = reset)
{
	add(MiB(1), MiB(127), BOOT_MEM_USABLE);
	add(0xfffffffffffff000ull, 0x2000, BOOT_MEM_RESERVED);
	memmap_build(&map, &bi, NULL, 0);
	cr_assert_eq(map.highest_addr, MiB(128));
}

Test(memmap, empty_map, .init = reset)
{
	cr_assert_eq(memmap_build(&map, &bi, NULL, 0), 0);
	cr_assert_eq(map.nr, 0);
	cr_assert_eq(map.highest_addr, 0);
}

Test(memmap, cut_directly, .init = reset)
{
	add(0, MiB(4), BOOT_MEM_USABLE);
	add(MiB(8), MiB(4), BOOT_MEM_USABLE);
	memmap_build(&map, &bi, NULL, 0);
	memmap_cut(&map, MiB(3), MiB(6)); /* spans the gap between both ranges */
	cr_assert_eq(map.nr, 2);
	expect_range(0, 0, MiB(3));
	expect_range(1, MiB(9), MiB(3));
	memmap_cut(&map, 0, UINT64_MAX);
	cr_assert_eq(map.nr, 0);
}

Test(memmap, many_fragments_bounded_and_logged, .init = reset)
{
	add(0, GiB(1), BOOT_MEM_USABLE);
	/* 127 holes make 128 ranges; the reserve list adds more. */
	for (unsigned int i = 1; i < BOOT_MAX_MEM_RANGES; i++)
		add(i * MiB(4), 0x1000, BOOT_MEM_RESERVED);
	struct mem_range reserve[60];
	for (unsigned int i = 0; i < ARRAY_SIZE(reserve); i++)
		reserve[i] = (struct mem_range){ i * MiB(4) + MiB(2), 0x1000 };
	memmap_build(&map, &bi, reserve, ARRAY_SIZE(reserve));
	cr_assert_eq(map.nr, MEMMAP_MAX);
	cr_assert(host_log_contains("usable ranges"));
	/* Whatever did not fit is lost, never a reserved page handed out. */
	for (unsigned int i = 0; i < map.nr; i++) {
		const struct mem_range *r = &map.usable[i];
		for (unsigned int j = 1; j < BOOT_MAX_MEM_RANGES; j++)
			cr_assert(r->base + r->len <= j * MiB(4) || r->base >= j * MiB(4) + 0x1000);
	}
	check_invariants();
}
