/* SPDX-License-Identifier: BSD-2-Clause */
/* EPT through the shared stage-2 builder: arch/x86/vmx/ept_format.c's entry
 * encoding (Intel SDM Vol. 3C §29.3.2, Tables 29-1..29-6) driven by
 * arch/x86/paging/s2pt.c over a fake physical memory ("physical" addresses
 * are offsets into a page-aligned arena plus FAKE_PA_BASE). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/vmx/ept_format.c" /* pure, but not in libpure.a */

#include "arch/x86/paging/s2pt.h"
#include "arch/x86/vmx/vmcs.h"
#include "core/vcpu.h"

#define ARENA_PAGES 1024
#define FAKE_PA_BASE 0x40000000ULL
#define WB_BITS (6ULL << 3)
#define RAM_HPA 0x80000000ULL /* 1 GiB aligned host RAM */

static uint8_t *arena;
static unsigned int next_page, allocs, frees, alloc_limit;
static struct s2pt pt;

static paddr_t fake_alloc(void *ctx)
{
	if (allocs >= alloc_limit || next_page >= ARENA_PAGES)
		return 0;
	memset(arena + (uint64_t)next_page * PAGE_SIZE, 0, PAGE_SIZE);
	allocs++;
	return FAKE_PA_BASE + (uint64_t)next_page++ * PAGE_SIZE;
}

static void fake_free(void *ctx, paddr_t pa)
{
	frees++;
}

static void *fake_ptr(void *ctx, paddr_t pa)
{
	cr_assert(pa >= FAKE_PA_BASE && pa < FAKE_PA_BASE + ARENA_PAGES * PAGE_SIZE,
		  "stray table %#lx", (unsigned long)pa);
	return arena + (pa - FAKE_PA_BASE);
}

static void setup(bool allow_2m, bool allow_1g)
{
	arena = aligned_alloc(PAGE_SIZE, ARENA_PAGES * PAGE_SIZE);
	cr_assert_not_null(arena);
	next_page = allocs = frees = 0;
	alloc_limit = ARENA_PAGES;
	pt = (struct s2pt){ .fmt = &ept_format,
			    .alloc_table = fake_alloc,
			    .free_table = fake_free,
			    .table_ptr = fake_ptr,
			    .allow_2m = allow_2m,
			    .allow_1g = allow_1g };
	cr_assert_eq(s2pt_init(&pt), 0);
}

static void setup_2m(void)
{
	setup(true, false);
}
static void setup_1g(void)
{
	setup(true, true);
}

static void teardown(void)
{
	s2pt_destroy(&pt);
	cr_assert_eq(frees, allocs, "freed %u of %u tables", frees, allocs);
	free(arena);
}

static uint64_t *table_at(paddr_t pa)
{
	return fake_ptr(NULL, pa);
}

/* Walk by hand (not through s2pt_lookup) so the encoding itself is checked:
 * returns the entry mapping gpa and sets *level (1 = PTE, 2 = PDE, 3 = PDPTE). */
static uint64_t leaf(gpa_t gpa, unsigned int *level)
{
	uint64_t *t = table_at(pt.root);
	for (unsigned int l = 4; l >= 1; l--) {
		uint64_t e = t[(gpa >> (12 + 9 * (l - 1))) & 511];
		if (!(e & 7)) {
			*level = 0;
			return 0;
		}
		if (l == 1 || (e & EPT_LARGE)) {
			*level = l;
			return e;
		}
		cr_assert_eq(e & 0xf8, 0, "non-leaf entry %#lx: bits 7:3 must be 0",
			     (unsigned long)e);
		cr_assert_eq(e & 7, 7, "non-leaf entries grant RWX; the leaf restricts");
		t = table_at(e & EPT_ADDR_MASK);
	}
	return 0;
}

TestSuite(ept_2m, .init = setup_2m, .fini = teardown);
TestSuite(ept_1g, .init = setup_1g, .fini = teardown);

Test(ept_2m, ram_uses_2m_write_back_leaves)
{
	unsigned int level;

	cr_assert_eq(s2pt_map(&pt, 0, RAM_HPA, MiB(16), S2_RWX), 0);
	for (gpa_t g = 0; g < MiB(16); g += MiB(2)) {
		uint64_t e = leaf(g + 0x1234, &level);
		cr_assert_eq(level, 2, "gpa %#lx", (unsigned long)g);
		cr_assert_eq(e & EPT_ADDR_MASK, RAM_HPA + g);
		cr_assert_eq(e & 7, 7);
		cr_assert_eq(e & (7 << 3), WB_BITS, "memory type WB");
		cr_assert_eq(e & EPT_IGNORE_PAT, 0, "ignore PAT is off");
	}
	cr_assert_eq(pt.nr_tables, 3, "PML4, PDPT, one PD");
	leaf(MiB(16), &level);
	cr_assert_eq(level, 0, "nothing beyond RAM: an access there is an EPT violation");
}

Test(ept_2m, unaligned_host_memory_gets_4k_leaves)
{
	unsigned int level;

	cr_assert_eq(s2pt_map(&pt, 0, RAM_HPA + PAGE_SIZE, MiB(2), S2_RWX), 0);
	uint64_t e = leaf(0x3000, &level);
	cr_assert_eq(level, 1);
	cr_assert_eq(e & EPT_ADDR_MASK, RAM_HPA + 0x4000);
	cr_assert_eq(e & EPT_LARGE, 0, "bit 7 is ignored in a PTE but we keep it clear");
	cr_assert_eq(e & (7 << 3), WB_BITS);
}

Test(ept_2m, permissions_and_misconfiguration_rules)
{
	unsigned int level;

	cr_assert_eq(s2pt_map(&pt, 0, RAM_HPA, 3 * PAGE_SIZE, S2_READ), 0);
	cr_assert_eq(leaf(0, &level) & 7, EPT_READ);
	/* Write-only would be an EPT misconfiguration (§29.3.3.1): R is added. */
	cr_assert_eq(s2pt_map(&pt, PAGE_SIZE, RAM_HPA + PAGE_SIZE, PAGE_SIZE, S2_WRITE), 0);
	cr_assert_eq(leaf(PAGE_SIZE, &level) & 7, EPT_READ | EPT_WRITE);
	cr_assert_eq(s2pt_map(&pt, 2 * PAGE_SIZE, RAM_HPA + 2 * PAGE_SIZE, PAGE_SIZE, S2_EXEC), 0);
	cr_assert_eq(leaf(2 * PAGE_SIZE, &level) & 7, EPT_READ | EPT_EXEC);
	/* prot 0 unmaps */
	cr_assert_eq(s2pt_map(&pt, PAGE_SIZE, 0, PAGE_SIZE, 0), 0);
	cr_assert_eq(leaf(PAGE_SIZE, &level), 0);
	cr_assert_eq(level, 0);
	cr_assert_eq(leaf(0, &level) & 7, EPT_READ, "neighbours untouched");
}

Test(ept_2m, mmio_hole_splits_a_2m_leaf)
{
	unsigned int level;
	paddr_t hpa;
	unsigned int prot;

	cr_assert_eq(s2pt_map(&pt, 0, RAM_HPA, MiB(4), S2_RWX), 0);
	/* Punch a 4 KiB hole (an MMIO page that must trap) into the first 2 MiB. */
	cr_assert_eq(s2pt_map(&pt, 0x100000, 0, PAGE_SIZE, 0), 0);
	leaf(0x100000, &level);
	cr_assert_eq(level, 0, "the hole traps");
	uint64_t e = leaf(0x101000, &level);
	cr_assert_eq(level, 1, "the rest of the 2 MiB is now 4 KiB pages");
	cr_assert_eq(e & EPT_ADDR_MASK, RAM_HPA + 0x101000);
	cr_assert_eq(e & (7 << 3), WB_BITS, "split leaves keep the memory type");
	cr_assert_eq(e & 7, 7, "and the rights");
	cr_assert_eq(leaf(MiB(2), &level) & EPT_ADDR_MASK, RAM_HPA + MiB(2));
	cr_assert_eq(level, 2, "the second 2 MiB stays large");
	cr_assert(s2pt_lookup(&pt, 0xfffff, &hpa, &prot));
	cr_assert_eq(hpa, RAM_HPA + 0xfffff);
	cr_assert_eq(prot, S2_RWX);
}

Test(ept_1g, one_gib_leaves_when_aligned)
{
	unsigned int level;

	cr_assert_eq(s2pt_map(&pt, GiB(1), RAM_HPA, GiB(1), S2_RWX), 0);
	uint64_t e = leaf(GiB(1) + 0x123456, &level);
	cr_assert_eq(level, 3);
	cr_assert_eq(e & EPT_ADDR_MASK, RAM_HPA);
	cr_assert(e & EPT_LARGE);
	cr_assert_eq(e & (7 << 3), WB_BITS);
}

Test(ept_2m, out_of_tables_fails_cleanly)
{
	alloc_limit = allocs + 1; /* a PDPT, but no PD */
	cr_assert_neq(s2pt_map(&pt, 0, RAM_HPA, MiB(2), S2_RWX), 0);
}

Test(ept_2m, eptp_layout)
{
	uint64_t eptp = ept_make_eptp(0x12345000);
	cr_assert_eq(eptp & 7, 6, "write-back paging structures");
	cr_assert_eq((eptp >> 3) & 7, 3, "4-level walk (length - 1)");
	cr_assert_eq(eptp & EPTP_AD_ENABLE, 0, "A/D flags off");
	cr_assert_eq(eptp & EPT_ADDR_MASK, 0x12345000);
	cr_assert_eq(ept_make_eptp(pt.root) & EPT_ADDR_MASK, pt.root);
}
