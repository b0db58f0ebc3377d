/* SPDX-License-Identifier: BSD-2-Clause */
/* core/mm/frame.c: the free-range physical frame allocator. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/mm/frame.h"
#include "tests/unit/support/host_log.h"

static struct memmap map;
static struct frame_allocator fa;

static void reset(void)
{
	memset(&map, 0, sizeof(map));
	memset(&fa, 0x5a, sizeof(fa)); /* frame_init must not rely on a zeroed struct */
	host_log_reset();
}

static void map_add(uint64_t base, uint64_t len)
{
	map.usable[map.nr++] = (struct mem_range){ base, len };
	map.usable_bytes += len;
}

/* Sorted, disjoint, coalesced, page aligned; free_bytes adds up. */
static void check_invariants(void)
{
	uint64_t sum = 0;
	cr_assert_leq(fa.nr, FRAME_MAX_RANGES);
	for (unsigned int i = 0; i < fa.nr; i++) {
		const struct mem_range *r = &fa.free[i];
		cr_assert_neq(r->len, 0, "empty free range %u", i);
		cr_assert(IS_ALIGNED(r->base, PAGE_SIZE) && IS_ALIGNED(r->len, PAGE_SIZE),
			  "range %u", i);
		if (i > 0)
			cr_assert_gt(r->base, fa.free[i - 1].base + fa.free[i - 1].len,
				     "ranges %u and %u overlap or touch", i - 1, i);
		sum += r->len;
	}
	cr_assert_eq(sum, fa.free_bytes);
}

Test(frame, init_copies_the_map, .init = reset)
{
	map_add(MiB(1), MiB(1));
	map_add(MiB(4), MiB(12));
	frame_init(&fa, &map, NULL);
	cr_assert_eq(fa.nr, 2);
	cr_assert_eq(fa.free_bytes, MiB(13));
	cr_assert_eq(fa.total_bytes, MiB(13));
	cr_assert_null(fa.direct_map);
	check_invariants();
}

Test(frame, single_pages_come_from_the_top, .init = reset)
{
	map_add(MiB(1), MiB(1));
	map_add(MiB(4), MiB(1));
	frame_init(&fa, &map, NULL);
	cr_assert_eq(frame_alloc_range(&fa, PAGE_SIZE, PAGE_SIZE), MiB(5) - PAGE_SIZE);
	cr_assert_eq(frame_alloc_range(&fa, 1, PAGE_SIZE), MiB(5) - 2 * PAGE_SIZE,
		     "rounded up to a page");
	cr_assert_eq(fa.free_bytes, MiB(2) - 2 * PAGE_SIZE);
	check_invariants();
}

Test(frame, two_mib_alignment, .init = reset)
{
	map_add(MiB(1), MiB(8) + PAGE_SIZE); /* [1M, 9M + 4K) */
	frame_init(&fa, &map, NULL);
	paddr_t pa = frame_alloc_range(&fa, MiB(2), MiB(2));
	cr_assert_eq(pa, MiB(6));
	cr_assert_eq(fa.nr, 2);
	cr_assert_eq(fa.free[0].base, MiB(1));
	cr_assert_eq(fa.free[0].len, MiB(5));
	cr_assert_eq(fa.free[1].base, MiB(8));
	cr_assert_eq(fa.free[1].len, MiB(1) + PAGE_SIZE);
	check_invariants();
	/* Two more fit at 4M and 2M; the fourth finds no aligned room. */
	cr_assert_eq(frame_alloc_range(&fa, MiB(2), MiB(2)), MiB(4));
	cr_assert_eq(frame_alloc_range(&fa, MiB(2), MiB(2)), MiB(2));
	cr_assert_eq(frame_alloc_range(&fa, MiB(2), MiB(2)), 0);
	cr_assert_eq(fa.free_bytes, MiB(8) + PAGE_SIZE - MiB(6));
	check_invariants();
}

Test(frame, alignment_larger_than_any_fit_fails, .init = reset)
{
	map_add(MiB(1) + PAGE_SIZE, MiB(2)); /* [1M+4K, 3M+4K): contains 2M but not 2M..4M */
	frame_init(&fa, &map, NULL);
	cr_assert_eq(frame_alloc_range(&fa, MiB(2), MiB(2)), 0);
	cr_assert_eq(frame_alloc_range(&fa, MiB(1), MiB(1)), MiB(2));
	check_invariants();
}

Test(frame, every_power_of_two_alignment_respected, .init = reset)
{
	map_add(0x123000, MiB(64));
	frame_init(&fa, &map, NULL);
	for (uint64_t align = PAGE_SIZE; align <= MiB(16); align <<= 1) {
		paddr_t pa = frame_alloc_range(&fa, 3 * PAGE_SIZE, align);
		cr_assert_neq(pa, 0, "align %#lx", align);
		cr_assert(IS_ALIGNED(pa, align), "pa %#lx align %#lx", pa, align);
		cr_assert_geq(pa, 0x123000);
		cr_assert_leq(pa + 3 * PAGE_SIZE, 0x123000 + MiB(64));
		check_invariants();
	}
}

Test(frame, bad_arguments_refused, .init = reset)
{
	map_add(MiB(1), MiB(8));
	frame_init(&fa, &map, NULL);
	cr_assert_eq(frame_alloc_range(&fa, 0, PAGE_SIZE), 0);
	cr_assert_eq(frame_alloc_range(&fa, PAGE_SIZE, 0), 0);
	cr_assert_eq(frame_alloc_range(&fa, PAGE_SIZE, 2048), 0);
	cr_assert_eq(frame_alloc_range(&fa, PAGE_SIZE, 3 * PAGE_SIZE), 0, "not a power of two");
	cr_assert_eq(fa.free_bytes, MiB(8));
}

Test(frame, huge_request_does_not_wrap_to_zero_bytes, .init = reset)
{
	map_add(MiB(1), MiB(8));
	frame_init(&fa, &map, NULL);
	/* Rounding this up to a page wraps to 0 bytes. */
	cr_assert_eq(frame_alloc_range(&fa, UINT64_MAX - 100, PAGE_SIZE), 0);
	cr_assert_eq(frame_alloc_range(&fa, UINT64_MAX, PAGE_SIZE), 0);
	cr_assert_eq(fa.free_bytes, MiB(8));
	cr_assert_eq(fa.nr, 1);
	check_invariants();
}

Test(frame, exhaustion_returns_zero, .init = reset)
{
	map_add(MiB(1), 16 * PAGE_SIZE);
	map_add(MiB(2), 3 * PAGE_SIZE);
	frame_init(&fa, &map, NULL);
	for (unsigned int i = 0; i < 19; i++)
		cr_assert_neq(frame_alloc_range(&fa, PAGE_SIZE, PAGE_SIZE), 0, "page %u", i);
	cr_assert_eq(fa.free_bytes, 0);
	cr_assert_eq(fa.nr, 0);
	cr_assert_eq(frame_alloc_range(&fa, PAGE_SIZE, PAGE_SIZE), 0);
	check_invariants();
}

Test(frame, too_big_for_any_single_range, .init = reset)
{
	map_add(MiB(1), MiB(1));
	map_add(MiB(4), MiB(1));
	frame_init(&fa, &map, NULL);
	cr_assert_eq(frame_alloc_range(&fa, MiB(2), PAGE_SIZE), 0, "free memory is not contiguous");
	cr_assert_eq(fa.free_bytes, MiB(2));
}

Test(frame, free_coalesces_both_sides, .init = reset)
{
	map_add(MiB(1), 3 * PAGE_SIZE);
	frame_init(&fa, &map, NULL);
	paddr_t c = frame_alloc_range(&fa, PAGE_SIZE, PAGE_SIZE);
	paddr_t b = frame_alloc_range(&fa, PAGE_SIZE, PAGE_SIZE);
	paddr_t a = frame_alloc_range(&fa, PAGE_SIZE, PAGE_SIZE);
	cr_assert_eq(a, MiB(1));
	cr_assert_eq(b, MiB(1) + PAGE_SIZE);
	cr_assert_eq(c, MiB(1) + 2 * PAGE_SIZE);
	cr_assert_eq(fa.nr, 0);
	frame_free_range(&fa, a, PAGE_SIZE); /* new range */
	frame_free_range(&fa, c, PAGE_SIZE); /* new range, not touching a */
	cr_assert_eq(fa.nr, 2);
	frame_free_range(&fa, b, PAGE_SIZE); /* joins both */
	cr_assert_eq(fa.nr, 1);
	cr_assert_eq(fa.free[0].base, MiB(1));
	cr_assert_eq(fa.free[0].len, 3 * PAGE_SIZE);
	cr_assert_eq(fa.free_bytes, 3 * PAGE_SIZE);
	cr_assert_eq(host_log_count(), 0);
	check_invariants();
}

Test(frame, free_coalesces_with_previous_or_next_only, .init = reset)
{
	map_add(MiB(1), 4 * PAGE_SIZE);
	frame_init(&fa, &map, NULL);
	paddr_t all = frame_alloc_range(&fa, 4 * PAGE_SIZE, PAGE_SIZE);
	cr_assert_eq(all, MiB(1));
	frame_free_range(&fa, MiB(1), PAGE_SIZE);
	frame_free_range(&fa, MiB(1) + PAGE_SIZE, PAGE_SIZE); /* merges with previous */
	cr_assert_eq(fa.nr, 1);
	frame_free_range(&fa, MiB(1) + 3 * PAGE_SIZE, PAGE_SIZE);
	frame_free_range(&fa, MiB(1) + 2 * PAGE_SIZE, PAGE_SIZE); /* merges both */
	cr_assert_eq(fa.nr, 1);
	cr_assert_eq(fa.free[0].len, 4 * PAGE_SIZE);

	frame_alloc_range(&fa, 4 * PAGE_SIZE, PAGE_SIZE);
	frame_free_range(&fa, MiB(1) + 3 * PAGE_SIZE, PAGE_SIZE);
	frame_free_range(&fa, MiB(1) + 2 * PAGE_SIZE, PAGE_SIZE); /* merges with next */
	cr_assert_eq(fa.nr, 1);
	cr_assert_eq(fa.free[0].base, MiB(1) + 2 * PAGE_SIZE);
	check_invariants();
}

Test(frame, double_free_refused_with_one_line, .init = reset)
{
	map_add(MiB(1), MiB(1));
	frame_init(&fa, &map, NULL);
	paddr_t pa = frame_alloc_range(&fa, 2 * PAGE_SIZE, PAGE_SIZE);
	frame_free_range(&fa, pa, 2 * PAGE_SIZE);
	uint64_t before = fa.free_bytes;
	frame_free_range(&fa, pa, 2 * PAGE_SIZE);
	cr_assert_eq(fa.free_bytes, before);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("double free"));
	check_invariants();
}

Test(frame, partially_overlapping_free_refused, .init = reset)
{
	map_add(MiB(1), 8 * PAGE_SIZE);
	frame_init(&fa, &map, NULL);
	frame_alloc_range(&fa, 8 * PAGE_SIZE, PAGE_SIZE);
	frame_free_range(&fa, MiB(1) + 2 * PAGE_SIZE, PAGE_SIZE);     /* page 2 free */
	frame_free_range(&fa, MiB(1) + 6 * PAGE_SIZE, PAGE_SIZE);     /* page 6 free */
	frame_free_range(&fa, MiB(1) + 1 * PAGE_SIZE, 2 * PAGE_SIZE); /* pages 1-2: runs into page 2 */
	frame_free_range(&fa, MiB(1) + 3 * PAGE_SIZE, 4 * PAGE_SIZE); /* pages 3-6: runs into page 6 */
	frame_free_range(&fa, MiB(1) + 2 * PAGE_SIZE, PAGE_SIZE);     /* page 2 again */
	cr_assert_eq(host_log_count(), 3);
	cr_assert_eq(fa.free_bytes, 2 * PAGE_SIZE);
	/* Freeing exactly what is allocated between them still works. */
	frame_free_range(&fa, MiB(1) + 3 * PAGE_SIZE, 3 * PAGE_SIZE);
	cr_assert_eq(fa.nr, 1);
	cr_assert_eq(fa.free[0].base, MiB(1) + 2 * PAGE_SIZE);
	cr_assert_eq(fa.free_bytes, 5 * PAGE_SIZE);
	check_invariants();
}

Test(frame, unaligned_or_wrapping_free_refused, .init = reset)
{
	map_add(MiB(1), 8 * PAGE_SIZE);
	frame_init(&fa, &map, NULL);
	frame_alloc_range(&fa, 8 * PAGE_SIZE, PAGE_SIZE);
	frame_free_range(&fa, MiB(1) + 0x800, PAGE_SIZE);
	cr_assert_eq(fa.nr, 0, "an unaligned base must not enter the free list");
	cr_assert_eq(host_log_count(), 1);
	frame_free_range(&fa, 0xfffffffffffff000ull, 2 * PAGE_SIZE);
	cr_assert_eq(fa.nr, 0, "a range wrapping past 2^64 must not enter the free list");
	cr_assert_eq(host_log_count(), 2);
	frame_free_range(&fa, MiB(1), UINT64_MAX); /* rounds up to 0 bytes */
	cr_assert_eq(fa.nr, 0);
	cr_assert_eq(fa.free_bytes, 0);
	cr_assert_eq(host_log_count(), 3);
	frame_free_range(&fa, MiB(1), 0); /* nothing to do, not an error */
	cr_assert_eq(host_log_count(), 3);
	check_invariants();
}

Test(frame, fragmentation, .init = reset)
{
	map_add(MiB(1), 64 * PAGE_SIZE);
	frame_init(&fa, &map, NULL);
	paddr_t pages[64];
	for (unsigned int i = 0; i < 64; i++)
		pages[i] = frame_alloc_range(&fa, PAGE_SIZE, PAGE_SIZE);
	for (unsigned int i = 0; i < 64; i += 2)
		frame_free_range(&fa, pages[i], PAGE_SIZE);
	cr_assert_eq(fa.nr, 32);
	cr_assert_eq(fa.free_bytes, 32 * PAGE_SIZE);
	cr_assert_eq(frame_alloc_range(&fa, 2 * PAGE_SIZE, PAGE_SIZE), 0, "no two free pages touch");
	check_invariants();
	for (unsigned int i = 1; i < 64; i += 2)
		frame_free_range(&fa, pages[i], PAGE_SIZE);
	cr_assert_eq(fa.nr, 1);
	cr_assert_eq(fa.free_bytes, 64 * PAGE_SIZE);
	cr_assert_eq(frame_alloc_range(&fa, 64 * PAGE_SIZE, PAGE_SIZE), MiB(1));
	cr_assert_eq(host_log_count(), 0);
}

Test(frame, full_table_logs_instead_of_corrupting, .init = reset)
{
	/* 2 * FRAME_MAX_RANGES + 2 pages: freeing every other page fills the table. */
	unsigned int n = 2 * FRAME_MAX_RANGES + 2;
	map_add(MiB(1), n * PAGE_SIZE);
	frame_init(&fa, &map, NULL);
	paddr_t all = frame_alloc_range(&fa, n * PAGE_SIZE, PAGE_SIZE);
	cr_assert_eq(all, MiB(1));
	for (unsigned int i = 0; i < n; i += 2)
		frame_free_range(&fa, all + i * PAGE_SIZE, PAGE_SIZE);
	cr_assert_eq(fa.nr, FRAME_MAX_RANGES);
	cr_assert(host_log_contains("table full"));
	check_invariants();
}

Test(frame, split_with_full_table_does_not_lose_memory_silently, .init = reset)
{
	/* A table full of single free pages above a big range that an aligned
	 * allocation must split into three pieces. */
	unsigned int n = 2 * (FRAME_MAX_RANGES - 1);
	map_add(MiB(1) + PAGE_SIZE, MiB(8));
	map_add(MiB(64), n * PAGE_SIZE);
	frame_init(&fa, &map, NULL);
	cr_assert_eq(frame_alloc_range(&fa, n * PAGE_SIZE, PAGE_SIZE), MiB(64));
	for (unsigned int i = 0; i < n; i += 2)
		frame_free_range(&fa, MiB(64) + i * PAGE_SIZE, PAGE_SIZE);
	cr_assert_eq(fa.nr, FRAME_MAX_RANGES);
	cr_assert_eq(host_log_count(), 0);
	uint64_t before = fa.free_bytes;
	paddr_t pa = frame_alloc_range(&fa, MiB(2), MiB(2));
	cr_assert_eq(pa, MiB(6));
	uint64_t sum = 0;
	for (unsigned int i = 0; i < fa.nr; i++)
		sum += fa.free[i].len;
	cr_assert_eq(sum, fa.free_bytes, "free_bytes %#lx must match the table %#lx", fa.free_bytes,
		     sum);
	cr_assert(fa.free_bytes == before - MiB(2) || host_log_contains("leaked"),
		  "memory that could not be recorded must be reported");
	check_invariants();
}

/* ---- The hypervisor instance over a malloc'd "physical" buffer -------- */

#define HV_BASE MiB(16)
#define HV_SIZE MiB(4)

static uint8_t *hv_buf;

static void hv_setup(void)
{
	reset();
	hv_buf = aligned_alloc(PAGE_SIZE, HV_SIZE);
	cr_assert_not_null(hv_buf);
	memset(hv_buf, 0xcc, HV_SIZE);
	map_add(HV_BASE, HV_SIZE);
	frame_init(&hv_frames, &map, hv_buf - HV_BASE);
}

static void hv_teardown(void)
{
	free(hv_buf);
}

Test(frame_hv, alloc_pages_zeroes_through_the_direct_map, .init = hv_setup, .fini = hv_teardown)
{
	paddr_t pa = frame_alloc_pages(3 * PAGE_SIZE + 1, PAGE_SIZE);
	cr_assert_eq(pa, HV_BASE + HV_SIZE - 4 * PAGE_SIZE);
	uint8_t *va = phys_to_virt(pa);
	cr_assert_eq(va, hv_buf + (pa - HV_BASE));
	cr_assert_eq(virt_to_phys(va), pa);
	for (uint64_t i = 0; i < 4 * PAGE_SIZE; i++)
		cr_assert_eq(va[i], 0, "byte %lu", i);
	cr_assert_eq(va[-1], 0xcc, "memory below the allocation untouched");
}

Test(frame_hv, alloc_free_single_frames, .init = hv_setup, .fini = hv_teardown)
{
	paddr_t a = frame_alloc();
	paddr_t b = frame_alloc_zeroed();
	cr_assert_neq(a, 0);
	cr_assert_eq(b, a - PAGE_SIZE);
	memset(phys_to_virt(a), 0x77, PAGE_SIZE);
	frame_free(a);
	paddr_t c = frame_alloc();
	cr_assert_eq(c, a, "the freed frame comes back");
	cr_assert_eq(((uint8_t *)phys_to_virt(c))[100], 0, "and is zeroed again");
	frame_free(b);
	frame_free(c);
	cr_assert_eq(hv_frames.free_bytes, HV_SIZE);
	cr_assert_eq(hv_frames.nr, 1);
}

Test(frame_hv, free_pages_and_exhaustion, .init = hv_setup, .fini = hv_teardown)
{
	paddr_t pa = frame_alloc_pages(MiB(2), MiB(2));
	cr_assert(IS_ALIGNED(pa, MiB(2)));
	paddr_t pb = frame_alloc_pages(MiB(2), MiB(2));
	cr_assert(IS_ALIGNED(pb, MiB(2)));
	cr_assert_eq(frame_alloc_pages(PAGE_SIZE, PAGE_SIZE), 0);
	frame_free_pages(pa, MiB(2));
	frame_free_pages(pb, MiB(2));
	cr_assert_eq(hv_frames.free_bytes, HV_SIZE);
}

Test(frame, page_zero_is_never_handed_out, .init = reset)
{
	/* 0 is the failure value: a block there would look like a failure
	 * and leak. */
	map_add(0, 4 * PAGE_SIZE);
	frame_init(&fa, &map, NULL);
	cr_assert_eq(fa.free_bytes, 3 * PAGE_SIZE);
	cr_assert_eq(frame_alloc_range(&fa, PAGE_SIZE, 4 * PAGE_SIZE), 0,
		     "only page 0 is 16K-aligned");
	cr_assert_eq(fa.free_bytes, 3 * PAGE_SIZE, "a failed allocation takes nothing");
	for (int i = 0; i < 3; i++)
		cr_assert_neq(frame_alloc_range(&fa, PAGE_SIZE, PAGE_SIZE), 0);
	cr_assert_eq(frame_alloc_range(&fa, PAGE_SIZE, PAGE_SIZE), 0);
	frame_free_range(&fa, 0, PAGE_SIZE);
	cr_assert_eq(fa.nr, 0, "page 0 is not taken back either");
	cr_assert_eq(host_log_count(), 1);

	reset();
	map_add(0, PAGE_SIZE); /* only page 0: nothing */
	frame_init(&fa, &map, NULL);
	cr_assert_eq(fa.nr, 0);
	cr_assert_eq(fa.total_bytes, 0);
}

/* Boot allocates its page tables below what the boot tables map (issue 11:
 * with 8 GiB the first frame came from the top of RAM and faulted). */
Test(frame, limit_keeps_allocations_below_it, .init = reset)
{
	map_add(MiB(1), MiB(3)); /* 1..4 MiB */
	map_add(MiB(8), MiB(8)); /* 8..16 MiB, straddles the limit */
	frame_init(&fa, &map, NULL);
	frame_set_limit(&fa, MiB(10));
	cr_assert_eq(frame_alloc_range(&fa, PAGE_SIZE, PAGE_SIZE), MiB(10) - PAGE_SIZE);
	cr_assert_eq(frame_alloc_range(&fa, MiB(1), PAGE_SIZE), MiB(9) - PAGE_SIZE,
		     "below the limit, not from the range's top");
	cr_assert_eq(frame_alloc_range(&fa, MiB(2), MiB(2)), MiB(2),
		     "no aligned 2 MiB left below the limit in 8..10 MiB: the low range");
	cr_assert_eq(frame_alloc_range(&fa, MiB(4), PAGE_SIZE), 0,
		     "nothing this large below the limit");
	check_invariants();
	frame_set_limit(&fa, 0);
	cr_assert_eq(frame_alloc_range(&fa, PAGE_SIZE, PAGE_SIZE), MiB(16) - PAGE_SIZE,
		     "no limit: the top again");
	check_invariants();
}

Test(frame, limit_below_every_range_fails_cleanly, .init = reset)
{
	map_add(MiB(8), MiB(8));
	frame_init(&fa, &map, NULL);
	frame_set_limit(&fa, MiB(4));
	cr_assert_eq(frame_alloc_range(&fa, PAGE_SIZE, PAGE_SIZE), 0);
	cr_assert_eq(fa.free_bytes, MiB(8));
	check_invariants();
}
