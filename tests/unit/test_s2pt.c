/* SPDX-License-Identifier: BSD-2-Clause */
/* arch/x86/paging/s2pt.c, the generic stage-2 builder, driven with the real
 * NPT entry encoding (arch/x86/svm/npt.c, AMD APM Vol. 2 §15.25) over a fake
 * physical memory: tables come from a page-aligned arena and "physical"
 * addresses are offsets into it plus FAKE_PA_BASE (so 0 stays "failed"). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/svm/npt.c" /* not in libpure.a; only needs paging.h constants */

#include "arch/x86/cpu/paging.h"
#include "arch/x86/paging/s2pt.h"
#include "core/vcpu.h"

#define ARENA_PAGES 2048
#define FAKE_PA_BASE 0x10000000ULL

struct fake_phys {
	uint8_t *arena;
	unsigned int next;  /* bump allocator */
	unsigned int limit; /* allocations allowed (for failure tests) */
	unsigned int allocs, frees;
	bool live[ARENA_PAGES]; /* catches double frees and stray pointers */
};

static struct fake_phys phys;
static struct s2pt pt;

static paddr_t fake_alloc(void *ctx)
{
	struct fake_phys *f = ctx;
	if (f->allocs >= f->limit || f->next >= ARENA_PAGES)
		return 0;
	unsigned int i = f->next++;
	memset(f->arena + (uint64_t)i * PAGE_SIZE, 0, PAGE_SIZE);
	f->live[i] = true;
	f->allocs++;
	return FAKE_PA_BASE + (uint64_t)i * PAGE_SIZE;
}

static unsigned int page_index(paddr_t pa)
{
	cr_assert(pa >= FAKE_PA_BASE && IS_ALIGNED(pa, PAGE_SIZE), "bad table address %#lx",
		  (unsigned long)pa);
	unsigned int i = (unsigned int)((pa - FAKE_PA_BASE) / PAGE_SIZE);
	cr_assert_lt(i, ARENA_PAGES, "table address %#lx outside the arena", (unsigned long)pa);
	return i;
}

static void fake_free(void *ctx, paddr_t pa)
{
	struct fake_phys *f = ctx;
	unsigned int i = page_index(pa);
	cr_assert(f->live[i], "double free or stray free of %#lx", (unsigned long)pa);
	f->live[i] = false;
	f->frees++;
}

static void *fake_ptr(void *ctx, paddr_t pa)
{
	struct fake_phys *f = ctx;
	unsigned int i = page_index(pa);
	cr_assert(f->live[i], "access to a freed table %#lx", (unsigned long)pa);
	return f->arena + (uint64_t)i * PAGE_SIZE;
}

static void setup_tables(bool allow_2m, bool allow_1g)
{
	memset(&phys, 0, sizeof(phys));
	phys.arena = aligned_alloc(PAGE_SIZE, ARENA_PAGES * PAGE_SIZE);
	cr_assert_not_null(phys.arena);
	phys.limit = ARENA_PAGES;
	pt = (struct s2pt){
		.fmt = &npt_format,
		.alloc_table = fake_alloc,
		.free_table = fake_free,
		.table_ptr = fake_ptr,
		.ctx = &phys,
		.allow_2m = allow_2m,
		.allow_1g = allow_1g,
	};
	cr_assert_eq(s2pt_init(&pt), 0);
	cr_assert_eq(pt.nr_tables, 1);
}

static void setup_4k(void)
{
	setup_tables(false, false);
}
static void setup_2m(void)
{
	setup_tables(true, false);
}
static void setup_1g(void)
{
	setup_tables(true, true);
}

static void teardown(void)
{
	s2pt_destroy(&pt);
	cr_assert_eq(pt.nr_tables, 0, "nr_tables after destroy: %lu", (unsigned long)pt.nr_tables);
	cr_assert_eq(phys.frees, phys.allocs, "destroy freed %u of %u tables", phys.frees,
		     phys.allocs);
	free(phys.arena);
}

/* The raw NPT entry that maps gpa and the level it sits at (1 = 4K PTE,
 * 2 = 2M PDE, 3 = 1G PDPTE); 0 if not mapped. */
static unsigned int leaf_of(gpa_t gpa, uint64_t *entry)
{
	uint64_t *t = fake_ptr(&phys, pt.root);
	for (unsigned int level = 4; level >= 1; level--) {
		uint64_t e = t[(gpa >> (12 + 9 * (level - 1))) & 511];
		if (!(e & PTE_P))
			return 0;
		if (level == 1 || (e & PTE_PS)) {
			*entry = e;
			return level;
		}
		cr_assert((e & (PTE_P | PTE_W | PTE_U)) == (PTE_P | PTE_W | PTE_U),
			  "NPT table entries need P, W and U (guest accesses are user accesses)");
		cr_assert_not(e & PTE_NX);
		t = fake_ptr(&phys, e & PTE_ADDR_MASK);
	}
	return 0;
}

static unsigned int level_of(gpa_t gpa)
{
	uint64_t e;
	return leaf_of(gpa, &e);
}

static void assert_maps(gpa_t gpa, paddr_t want_hpa, unsigned int want_prot)
{
	paddr_t hpa = 0;
	unsigned int prot = 0;
	cr_assert(s2pt_lookup(&pt, gpa, &hpa, &prot), "gpa %#lx not mapped", (unsigned long)gpa);
	cr_assert_eq(hpa, want_hpa, "gpa %#lx -> %#lx, want %#lx", (unsigned long)gpa,
		     (unsigned long)hpa, (unsigned long)want_hpa);
	cr_assert_eq(prot, want_prot, "gpa %#lx prot %u, want %u", (unsigned long)gpa, prot,
		     want_prot);
}

static void assert_unmapped(gpa_t gpa)
{
	paddr_t hpa;
	unsigned int prot;
	cr_assert_not(s2pt_lookup(&pt, gpa, &hpa, &prot), "gpa %#lx still mapped",
		      (unsigned long)gpa);
}

TestSuite(s2pt_4k, .init = setup_4k, .fini = teardown);
TestSuite(s2pt_2m, .init = setup_2m, .fini = teardown);
TestSuite(s2pt_1g, .init = setup_1g, .fini = teardown);

Test(s2pt_2m, aligned_ranges_use_2m_leaves)
{
	cr_assert_eq(s2pt_map(&pt, MiB(2), GiB(1), MiB(4), S2_RWX), 0);
	cr_assert_eq(pt.nr_tables, 3, "root, PDPT, PD: no page tables");
	cr_assert_eq(level_of(MiB(2)), 2);
	cr_assert_eq(level_of(MiB(4)), 2);
	assert_maps(MiB(2), GiB(1), S2_RWX);
	assert_maps(MiB(2) + 0x1234, GiB(1) + 0x1234, S2_RWX);
	assert_maps(MiB(6) - 1, GiB(1) + MiB(4) - 1, S2_RWX);
	assert_unmapped(MiB(2) - 1);
	assert_unmapped(MiB(6));

	uint64_t e;
	leaf_of(MiB(4), &e);
	cr_assert_eq(e, (GiB(1) + MiB(2)) | PTE_P | PTE_W | PTE_U | PTE_PS, "PDE %#lx",
		     (unsigned long)e);
}

Test(s2pt_2m, misaligned_ranges_fall_back_to_4k)
{
	/* GPA aligned, HPA not: every page must be a 4K leaf. */
	cr_assert_eq(s2pt_map(&pt, MiB(2), GiB(1) + 0x1000, MiB(2), S2_RWX), 0);
	cr_assert_eq(level_of(MiB(2)), 1);
	cr_assert_eq(level_of(MiB(4) - 0x1000), 1);
	cr_assert_eq(pt.nr_tables, 4);
	assert_maps(MiB(3) + 0x10, GiB(1) + 0x1000 + MiB(1) + 0x10, S2_RWX);

	/* GPA misaligned, range crossing a 2M boundary: 4K up to it, 2M after
	 * when the rest is a whole aligned 2M, 4K for the tail. */
	cr_assert_eq(s2pt_map(&pt, MiB(8) - 0x3000, GiB(2) - 0x3000, 0x3000 + MiB(2) + 0x2000, S2_RWX),
		     0);
	cr_assert_eq(level_of(MiB(8) - 0x3000), 1);
	cr_assert_eq(level_of(MiB(8)), 2);
	cr_assert_eq(level_of(MiB(10)), 1);
	cr_assert_eq(level_of(MiB(10) + 0x1000), 1);
	assert_unmapped(MiB(10) + 0x2000);
	assert_maps(MiB(9), GiB(2) + MiB(1), S2_RWX);
	assert_maps(MiB(10) + 0x1fff, GiB(2) + MiB(2) + 0x1fff, S2_RWX);
}

Test(s2pt_4k, large_leaves_only_when_allowed)
{
	cr_assert_eq(s2pt_map(&pt, 0, 0, MiB(4), S2_RWX), 0);
	cr_assert_eq(level_of(0), 1);
	cr_assert_eq(level_of(MiB(4) - 1), 1);
	cr_assert_eq(pt.nr_tables, 5, "root, PDPT, PD, two PTs");
	assert_maps(MiB(3) + 0x777, MiB(3) + 0x777, S2_RWX);
}

Test(s2pt_1g, one_gib_leaves_when_allowed)
{
	cr_assert_eq(s2pt_map(&pt, GiB(1), GiB(4), GiB(1), S2_READ | S2_WRITE), 0);
	cr_assert_eq(pt.nr_tables, 2, "root and PDPT only");
	cr_assert_eq(level_of(GiB(1)), 3);
	assert_maps(GiB(1) + 0x12345678, GiB(4) + 0x12345678, S2_READ | S2_WRITE);
	uint64_t e;
	leaf_of(GiB(1), &e);
	cr_assert_eq(e, GiB(4) | PTE_P | PTE_W | PTE_U | PTE_PS | PTE_NX);
}

Test(s2pt_2m, one_gib_aligned_without_1g_uses_2m)
{
	cr_assert_eq(s2pt_map(&pt, GiB(1), GiB(4), GiB(1), S2_RWX), 0);
	cr_assert_eq(pt.nr_tables, 3);
	cr_assert_eq(level_of(GiB(1)), 2);
	cr_assert_eq(level_of(GiB(2) - 1), 2);
}

Test(s2pt_2m, unmapping_a_page_splits_the_2m_leaf)
{
	cr_assert_eq(s2pt_map(&pt, MiB(2), GiB(1), MiB(2), S2_READ | S2_WRITE), 0);
	uint64_t before = pt.nr_tables;
	cr_assert_eq(s2pt_map(&pt, MiB(2) + 0x5000, 0, PAGE_SIZE, 0), 0);
	cr_assert_eq(pt.nr_tables, before + 1, "one new page table");
	assert_unmapped(MiB(2) + 0x5000);
	assert_unmapped(MiB(2) + 0x5fff);
	/* The neighbours keep their frames and rights. */
	assert_maps(MiB(2) + 0x4fff, GiB(1) + 0x4fff, S2_READ | S2_WRITE);
	assert_maps(MiB(2) + 0x6000, GiB(1) + 0x6000, S2_READ | S2_WRITE);
	assert_maps(MiB(2), GiB(1), S2_READ | S2_WRITE);
	assert_maps(MiB(4) - 1, GiB(1) + MiB(2) - 1, S2_READ | S2_WRITE);
	cr_assert_eq(level_of(MiB(2)), 1);
	uint64_t e;
	leaf_of(MiB(2) + 0x6000, &e);
	cr_assert_eq(e, (GiB(1) + 0x6000) | PTE_P | PTE_W | PTE_U | PTE_NX, "split PTE %#lx",
		     (unsigned long)e);
}

Test(s2pt_1g, unmapping_a_page_splits_1g_then_2m)
{
	cr_assert_eq(s2pt_map(&pt, 0, GiB(8), GiB(1), S2_RWX), 0);
	cr_assert_eq(s2pt_map(&pt, MiB(6) + 0x3000, 0, PAGE_SIZE, 0), 0);
	cr_assert_eq(pt.nr_tables, 4,
		     "root, PDPT, one PD from the 1G split, one PT from the 2M split");
	assert_unmapped(MiB(6) + 0x3000);
	assert_maps(MiB(6) + 0x2000, GiB(8) + MiB(6) + 0x2000, S2_RWX);
	assert_maps(MiB(6) + 0x4000, GiB(8) + MiB(6) + 0x4000, S2_RWX);
	assert_maps(0, GiB(8), S2_RWX);
	assert_maps(GiB(1) - 1, GiB(9) - 1, S2_RWX);
	cr_assert_eq(level_of(0), 2);
	cr_assert_eq(level_of(MiB(6)), 1);
	cr_assert_eq(level_of(MiB(8)), 2);
}

Test(s2pt_2m, remap_with_other_rights_and_frames)
{
	cr_assert_eq(s2pt_map(&pt, 0, MiB(64), MiB(4), S2_RWX), 0);
	uint64_t tables = pt.nr_tables;
	/* Same size as the leaf: replaced in place, no new table. */
	cr_assert_eq(s2pt_map(&pt, MiB(2), MiB(64) + MiB(2), MiB(2), S2_READ), 0);
	cr_assert_eq(pt.nr_tables, tables);
	assert_maps(MiB(3), MiB(67), S2_READ);
	assert_maps(MiB(1), MiB(65), S2_RWX);
	uint64_t e;
	leaf_of(MiB(2), &e);
	cr_assert(e & PTE_NX, "no S2_EXEC -> NX");
	cr_assert_not(e & PTE_W, "no S2_WRITE -> W clear");

	/* One page of the first 2M to a different frame, read+exec. */
	cr_assert_eq(s2pt_map(&pt, 0x7000, MiB(200), PAGE_SIZE, S2_READ | S2_EXEC), 0);
	assert_maps(0x7abc, MiB(200) + 0xabc, S2_READ | S2_EXEC);
	assert_maps(0x6abc, MiB(64) + 0x6abc, S2_RWX);
	assert_maps(0x8000, MiB(64) + 0x8000, S2_RWX);
}

Test(s2pt_2m, remap_2m_over_split_table)
{
	cr_assert_eq(s2pt_map(&pt, 0, 0, MiB(2), S2_RWX), 0);
	cr_assert_eq(s2pt_map(&pt, 0x1000, 0, PAGE_SIZE, 0), 0);
	/* The whole 2M again: the page table stays (entries are rewritten), so
	 * every page is mapped again with the new rights. */
	cr_assert_eq(s2pt_map(&pt, 0, MiB(2), MiB(2), S2_READ), 0);
	for (uint64_t off = 0; off < MiB(2); off += PAGE_SIZE)
		assert_maps(off, MiB(2) + off, S2_READ);
}

Test(s2pt_2m, unmap_a_whole_leaf_and_an_empty_range)
{
	cr_assert_eq(s2pt_map(&pt, 0, 0, MiB(4), S2_RWX), 0);
	uint64_t tables = pt.nr_tables;
	cr_assert_eq(s2pt_map(&pt, MiB(2), 0, MiB(2), 0), 0);
	cr_assert_eq(pt.nr_tables, tables, "no split for an aligned unmap");
	assert_unmapped(MiB(2));
	assert_unmapped(MiB(4) - 1);
	assert_maps(MiB(2) - 1, MiB(2) - 1, S2_RWX);

	/* Unmapping 4 GiB of which nothing but the first 2M is mapped allocates
	 * nothing and skips the holes by whole tables (else this is 1M steps). */
	unsigned int allocs = phys.allocs;
	cr_assert_eq(s2pt_map(&pt, 0, 0, GiB(4), 0), 0);
	cr_assert_eq(phys.allocs, allocs);
	assert_unmapped(0);
	cr_assert_eq(s2pt_map(&pt, GiB(512), 0, GiB(1024), 0), 0,
		     "unmapping never-mapped PML4 slots");
	cr_assert_eq(phys.allocs, allocs);
}

Test(s2pt_2m, lookup_misses)
{
	assert_unmapped(0);
	assert_unmapped(GiB(513));
	cr_assert_eq(s2pt_map(&pt, 0x3000, 0x9000, PAGE_SIZE, S2_READ), 0);
	assert_unmapped(0x2fff);
	assert_unmapped(0x4000);
	assert_unmapped(GiB(1) + 0x3000);
	assert_maps(0x3fff, 0x9fff, S2_READ);
}

Test(s2pt_2m, addresses_beyond_48_bits_do_not_alias)
{
	/* Four levels translate 48 bits; GPA 2^48 must not land on GPA 0. */
	cr_assert_eq(s2pt_map(&pt, BIT(48), MiB(2), MiB(2), S2_RWX), -1);
	assert_unmapped(0);
	cr_assert_eq(s2pt_map(&pt, BIT(48) - MiB(2), MiB(2), MiB(4), S2_RWX), -1, "straddles 2^48");
	cr_assert_eq(s2pt_map(&pt, BIT(48) - MiB(2), MiB(2), MiB(2), S2_RWX), 0,
		     "the last 2M is fine");
	cr_assert_eq(s2pt_map(&pt, 0, MiB(8), MiB(2), S2_RWX), 0);
	assert_unmapped(BIT(48));
	assert_unmapped(BIT(48) + MiB(2));
	assert_maps(BIT(48) - 1, MiB(4) - 1, S2_RWX);
}

Test(s2pt_2m, unaligned_arguments_refused)
{
	uint64_t tables = pt.nr_tables;
	cr_assert_eq(s2pt_map(&pt, 0x1001, 0, PAGE_SIZE, S2_RWX), -1);
	cr_assert_eq(s2pt_map(&pt, 0x1000, 0x10, PAGE_SIZE, S2_RWX), -1);
	cr_assert_eq(s2pt_map(&pt, 0x1000, 0, 0x800, S2_RWX), -1);
	cr_assert_eq(s2pt_map(&pt, 0x1000, 0, PAGE_SIZE + 1, 0), -1);
	cr_assert_eq(pt.nr_tables, tables);
	assert_unmapped(0x1000);
	cr_assert_eq(s2pt_map(&pt, 0x1000, 0, 0, S2_RWX), 0, "an empty range is a no-op");
	cr_assert_eq(pt.nr_tables, tables);
}

Test(s2pt_2m, wrapping_range_refused)
{
	cr_assert_eq(s2pt_map(&pt, 0xfffffffffffff000ULL, 0, 0x2000, S2_RWX), -1);
	cr_assert_eq(s2pt_map(&pt, 0xffffffffffe00000ULL, 0, MiB(4), 0), -1);
	cr_assert_eq(s2pt_map(&pt, PAGE_SIZE, 0, 0xfffffffffffff000ULL, S2_RWX), -1);
	assert_unmapped(0);
	cr_assert_eq(pt.nr_tables, 1);
}

Test(s2pt_2m, allocation_failure)
{
	phys.limit = phys.allocs + 2; /* PDPT and PD, but no PT */
	cr_assert_eq(s2pt_map(&pt, 0x1000, 0x1000, PAGE_SIZE, S2_RWX), -1);
	assert_unmapped(0x1000);
	cr_assert_eq(pt.nr_tables, 3, "what was allocated is counted (and freed by destroy)");

	/* A 2M leaf needs no PT: still possible. */
	cr_assert_eq(s2pt_map(&pt, MiB(2), 0, MiB(2), S2_RWX), 0);
	/* But splitting it is not: the leaf survives intact. */
	cr_assert_eq(s2pt_map(&pt, MiB(2) + 0x1000, 0, PAGE_SIZE, 0), -1);
	for (uint64_t off = 0; off < MiB(2); off += 0x1000)
		assert_maps(MiB(2) + off, off, S2_RWX);
}

Test(s2pt_2m, init_failure)
{
	struct fake_phys none = { .arena = phys.arena, .limit = 0 };
	struct s2pt t = pt;
	t.ctx = &none;
	cr_assert_eq(s2pt_init(&t), -1);
	cr_assert_eq(t.nr_tables, 0);
	cr_assert_eq(t.root, 0);
}

Test(s2pt_1g, destroy_frees_every_table_once)
{
	/* A messy tree: 4K, 2M, 1G leaves, splits, several PML4 slots. */
	cr_assert_eq(s2pt_map(&pt, 0, 0, GiB(2), S2_RWX), 0);
	cr_assert_eq(s2pt_map(&pt, 0x5000, 0, PAGE_SIZE, 0), 0);
	cr_assert_eq(s2pt_map(&pt, GiB(1) + MiB(2), 0, PAGE_SIZE, S2_READ), 0);
	cr_assert_eq(s2pt_map(&pt, GiB(600) + 0x1000, GiB(3), MiB(5), S2_READ), 0);
	cr_assert_eq(s2pt_map(&pt, BIT(47) + GiB(1), 0, GiB(1), S2_READ), 0);
	cr_assert_eq(pt.nr_tables, phys.allocs);
	cr_assert_gt(pt.nr_tables, 8);
	s2pt_destroy(&pt);
	cr_assert_eq(pt.root, 0);
	for (unsigned int i = 0; i < ARENA_PAGES; i++)
		cr_assert_not(phys.live[i], "table %u leaked", i);
	/* teardown destroys again: must be harmless. */
}
