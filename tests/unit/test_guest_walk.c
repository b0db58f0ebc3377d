/* SPDX-License-Identifier: BSD-2-Clause */
/* core/emul/guest_walk.c: software guest page walks in every paging mode,
 * access rights and #PF error codes (Intel SDM Vol. 3A §4.3-§4.7). */
#include <criterion/criterion.h>

#include "tests/unit/support/emul_fixture.h"

#define P GW_PTE_P
#define RW GW_PTE_RW
#define US GW_PTE_US
#define PS GW_PTE_PS
#define XD GW_PTE_XD

/* Long-mode tables for these tests (the fixture's identity map is replaced). */
#define T_PML4 0x1000ULL
#define T_PDPT 0x2000ULL
#define T_PD 0x3000ULL
#define T_PT 0x4000ULL
#define T_PML5 0x5000ULL

static struct fx *f;

static void setup(void)
{
	f = fx_new();
	memset(f->ram, 0, FX_RAM_SIZE);
}

static void teardown(void)
{
	fx_free(f);
}

static void e64(uint64_t table, unsigned int idx, uint64_t v)
{
	fx_put64(f, table + idx * 8ULL, v);
}

static void e32(uint64_t table, unsigned int idx, uint32_t v)
{
	fx_put32(f, table + idx * 4ULL, v);
}

static struct guest_walk_ctx long4(void)
{
	return (struct guest_walk_ctx){
		.cr0 = GW_CR0_PE | GW_CR0_PG | GW_CR0_WP,
		.cr4 = GW_CR4_PAE,
		.cr3 = T_PML4,
		.efer = GW_EFER_LMA | GW_EFER_NXE | BIT(8),
		.cpl = 0,
	};
}

static enum gw_status walk(const struct guest_walk_ctx *c, uint64_t gla, unsigned int acc,
			   struct gw_result *r)
{
	return guest_walk(c, &f->mem, gla, acc, r);
}

static void expect_gpa(const struct guest_walk_ctx *c, uint64_t gla, unsigned int acc, uint64_t gpa)
{
	struct gw_result r;
	enum gw_status st = walk(c, gla, acc, &r);
	cr_assert_eq(st, GW_OK, "gla %#lx: %s (ec %#x)", gla, gw_status_name(st), r.error_code);
	cr_assert_eq(r.gpa, gpa, "gla %#lx -> %#lx, want %#lx", gla, r.gpa, gpa);
}

static void expect_pf(const struct guest_walk_ctx *c, uint64_t gla, unsigned int acc, uint32_t ec)
{
	struct gw_result r;
	enum gw_status st = walk(c, gla, acc, &r);
	cr_assert_eq(st, GW_PAGE_FAULT, "gla %#lx: %s", gla, gw_status_name(st));
	cr_assert_eq(r.error_code, ec, "gla %#lx: error code %#x, want %#x", gla, r.error_code, ec);
	cr_assert_eq(r.fault_addr, gla);
}

/* 4-level: gla 0x40201123 = PML4[0] PDPT[1] PD[1] PT[1] + 0x123 */
#define GLA_4K 0x40201123ULL
static void map_4k(uint64_t l4, uint64_t l3, uint64_t l2, uint64_t l1)
{
	e64(T_PML4, 0, T_PDPT | l4);
	e64(T_PDPT, 1, T_PD | l3);
	e64(T_PD, 1, T_PT | l2);
	e64(T_PT, 1, 0x55000 | l1);
}

TestSuite(guest_walk, .init = setup, .fini = teardown);

Test(guest_walk, ctx_from_sregs_derives_cpl)
{
	struct guest_walk_ctx c;
	struct vcpu_sregs s = { 0 };

	s.seg[SEG_SS].attr = FX_ATTR_DATA | SEG_ATTR_DPL(3);
	s.cr0 = 0;
	guest_walk_ctx_from_sregs(&c, &s, 0);
	cr_assert_eq(c.cpl, 0, "real mode is CPL 0 whatever SS says");
	s.cr0 = GW_CR0_PE | GW_CR0_PG;
	s.cr3 = 0x1234000;
	s.cr4 = GW_CR4_PAE;
	s.efer = GW_EFER_LMA;
	guest_walk_ctx_from_sregs(&c, &s, GW_RFLAGS_AC);
	cr_assert_eq(c.cpl, 3);
	cr_assert_eq(c.cr3, 0x1234000);
	cr_assert_eq(c.rflags, GW_RFLAGS_AC);
	cr_assert_eq(guest_walk_mode(&c), GW_MODE_LONG4);
	s.seg[SEG_SS].attr = FX_ATTR_DATA;
	s.seg[SEG_CS].attr = FX_ATTR_CODE | SEG_ATTR_DPL(3); /* conforming code: CS.DPL != CPL */
	guest_walk_ctx_from_sregs(&c, &s, 0);
	cr_assert_eq(c.cpl, 0);
	guest_walk_ctx_from_sregs(&c, &s, GW_RFLAGS_VM);
	cr_assert_eq(c.cpl, 3, "virtual-8086 mode runs at CPL 3");
}

Test(guest_walk, paging_off_is_identity_32bit)
{
	struct guest_walk_ctx c = { .cr0 = GW_CR0_PE };
	cr_assert_eq(guest_walk_mode(&c), GW_MODE_NONE);
	expect_gpa(&c, 0xfee000b0, 0, 0xfee000b0);
	expect_gpa(&c, 0x100001234ULL, GW_ACC_WRITE, 0x1234); /* 32-bit linear addresses */
	c.cpl = 3;
	expect_gpa(&c, 0x5000, GW_ACC_WRITE | GW_ACC_FETCH, 0x5000); /* no rights without paging */
}

Test(guest_walk, two_level_4k_and_4m_pages)
{
	struct guest_walk_ctx c = { .cr0 = GW_CR0_PE | GW_CR0_PG, .cr3 = 0x1000 | 0xfff };
	cr_assert_eq(guest_walk_mode(&c), GW_MODE_32);
	e32(0x1000, 1, 0x2000 | P | RW | US);
	e32(0x2000, 5, 0x50000 | P | RW | US);
	expect_gpa(&c, 0x00405123, 0, 0x50123);
	expect_gpa(&c, 0xffffffff00405123ULL, 0, 0x50123); /* upper half ignored */

	/* 4 MiB page only with CR4.PSE */
	e32(0x1000, 2, 0x00c00000 | P | RW | PS);
	struct gw_result r;
	cr_assert_eq(walk(&c, 0x00812345, 0, &r), GW_BAD_TABLE,
		     "without CR4.PSE, PS is ignored and 0xc00000 is a page table");
	cr_assert_eq(r.bad_table_gpa, 0xc00000 + 0x12 * 4);
	c.cr4 = GW_CR4_PSE;
	expect_gpa(&c, 0x00812345, 0, 0x00c12345);
	cr_assert_eq(walk(&c, 0x00812345, 0, &r), GW_OK);
	cr_assert_eq(r.page_size, 4 * 1024 * 1024);

	/* PSE-36: bits 20:13 hold physical address bits 39:32 */
	e32(0x1000, 3, 0x00400000 | (0x12 << 13) | P | PS);
	expect_gpa(&c, 0x00c00010, 0, 0x1200400010ULL);
	/* bit 21 is reserved */
	e32(0x1000, 3, 0x00400000 | BIT(21) | P | PS);
	expect_pf(&c, 0x00c00010, 0, GW_PFEC_P | GW_PFEC_RSVD);
	/* with MAXPHYADDR 36, bits 20:17 are reserved too */
	c.maxphyaddr = 36;
	e32(0x1000, 3, 0x00400000 | (0x10 << 13) | P | PS);
	expect_pf(&c, 0x00c00010, GW_ACC_WRITE, GW_PFEC_P | GW_PFEC_RSVD | GW_PFEC_WR);
	e32(0x1000, 3, 0x00400000 | (0x08 << 13) | P | PS);
	expect_gpa(&c, 0x00c00010, 0, 0x800400010ULL);
}

Test(guest_walk, two_level_not_present_and_no_nx)
{
	struct guest_walk_ctx c = {
		.cr0 = GW_CR0_PE | GW_CR0_PG, .cr3 = 0x1000, .cpl = 3, .efer = GW_EFER_NXE
	};
	expect_pf(&c, 0x00400000, GW_ACC_WRITE, GW_PFEC_WR | GW_PFEC_US);
	e32(0x1000, 1, 0x2000 | P | RW | US);
	e32(0x2000, 0, 0x50000 | P | RW); /* supervisor page */
	/* I/D stays 0 in 32-bit paging without SMEP, even with EFER.NXE */
	expect_pf(&c, 0x00400000, GW_ACC_FETCH, GW_PFEC_P | GW_PFEC_US);
	c.cr4 = GW_CR4_SMEP;
	expect_pf(&c, 0x00400000, GW_ACC_FETCH, GW_PFEC_P | GW_PFEC_US | GW_PFEC_ID);
}

Test(guest_walk, pae_three_level)
{
	struct guest_walk_ctx c = { .cr0 = GW_CR0_PE | GW_CR0_PG | GW_CR0_WP,
				    .cr4 = GW_CR4_PAE,
				    .cr3 = 0x1020,
				    .efer = GW_EFER_NXE };
	cr_assert_eq(guest_walk_mode(&c), GW_MODE_PAE);
	/* CR3 bits 31:5 locate the 32-byte PDPT; index from gla bits 31:30 */
	e64(0x1020, 3, 0x2000 | P);
	e64(0x2000, 0, 0x3000 | P | RW);
	e64(0x3000, 0x10, 0x40000 | P | RW | XD);
	expect_gpa(&c, 0xc0010abcULL, GW_ACC_WRITE, 0x40abc);
	expect_pf(&c, 0xc0010abcULL, GW_ACC_FETCH, GW_PFEC_P | GW_PFEC_ID);
	/* 2 MiB page */
	e64(0x2000, 1, 0x00200000 | P | PS);
	expect_gpa(&c, 0xc0201234ULL, 0, 0x201234);
	expect_pf(&c, 0xc0201234ULL, GW_ACC_WRITE, GW_PFEC_P | GW_PFEC_WR); /* WP, R/W=0 */
	/* bits 20:13 of a 2 MiB PDE are reserved */
	e64(0x2000, 1, 0x00200000 | BIT(13) | P | PS);
	expect_pf(&c, 0xc0201234ULL, 0, GW_PFEC_P | GW_PFEC_RSVD);
	/* XD is reserved without EFER.NXE */
	c.efer = 0;
	expect_pf(&c, 0xc0010abcULL, 0, GW_PFEC_P | GW_PFEC_RSVD);
	c.efer = GW_EFER_NXE;
	/* PDPTE reserved bits (R/W is one of them in PAE paging) */
	e64(0x1020, 3, 0x2000 | P | RW);
	expect_pf(&c, 0xc0010abcULL, 0, GW_PFEC_P | GW_PFEC_RSVD);
	/* PAE bits 62:52 are reserved, unlike 4-level paging */
	e64(0x1020, 3, 0x2000 | P);
	e64(0x3000, 0x10, 0x40000 | P | BIT(60));
	expect_pf(&c, 0xc0010abcULL, 0, GW_PFEC_P | GW_PFEC_RSVD);
	/* not-present PDPTE */
	expect_pf(&c, 0x00001000, 0, 0);
}

Test(guest_walk, long_mode_4k_2m_1g)
{
	struct guest_walk_ctx c = long4();
	map_4k(P | RW, P | RW, P | RW, P | RW);
	expect_gpa(&c, GLA_4K, GW_ACC_WRITE, 0x55123);
	/* 2 MiB page: PD[2] */
	e64(T_PD, 2, 0x00600000 | P | RW | PS);
	expect_gpa(&c, 0x40405678ULL, 0, 0x605678);
	/* 1 GiB page: PDPT[2] */
	e64(T_PDPT, 2, 0x1c0000000ULL | P | RW | PS);
	struct gw_result r;
	cr_assert_eq(walk(&c, 0x80001234ULL, 0, &r), GW_OK);
	cr_assert_eq(r.gpa, 0x1c0001234ULL);
	cr_assert_eq(r.page_size, 1ULL << 30);
	cr_assert_eq(r.level, 3);
	/* bits 29:13 of a 1 GiB PDPTE are reserved */
	e64(T_PDPT, 2, 0x1c0000000ULL | BIT(20) | P | RW | PS);
	expect_pf(&c, 0x80001234ULL, 0, GW_PFEC_P | GW_PFEC_RSVD);
	/* PS in a PML4E is reserved */
	e64(T_PML4, 0, T_PDPT | P | RW | PS);
	expect_pf(&c, GLA_4K, GW_ACC_WRITE, GW_PFEC_P | GW_PFEC_RSVD | GW_PFEC_WR);
}

Test(guest_walk, long_mode_maxphyaddr_reserved_bits)
{
	struct guest_walk_ctx c = long4();
	map_4k(P | RW, P | RW, P | RW, P | RW | BIT(45));
	expect_gpa(&c, GLA_4K, 0, 0x200000055123ULL); /* MAXPHYADDR 52 default */
	c.maxphyaddr = 40;
	expect_pf(&c, GLA_4K, 0, GW_PFEC_P | GW_PFEC_RSVD);
	/* bits 62:52 are ignored (software-available) in 4-level paging */
	c.maxphyaddr = 0;
	map_4k(P | RW, P | RW, P | RW, P | RW | BIT(55));
	expect_gpa(&c, GLA_4K, 0, 0x55123);
}

Test(guest_walk, long_mode_canonical_and_high_half)
{
	struct guest_walk_ctx c = long4();
	struct gw_result r;
	cr_assert_eq(walk(&c, 0x0000800000000000ULL, 0, &r), GW_NONCANONICAL);
	cr_assert_eq(r.fault_addr, 0x0000800000000000ULL);
	cr_assert_eq(walk(&c, 0xfff0000000000000ULL, 0, &r), GW_NONCANONICAL);
	/* high canonical half: PML4[511] */
	expect_pf(&c, 0xffffffff80001000ULL, 0, 0);
	e64(T_PML4, 511, T_PDPT | P | RW);
	e64(T_PDPT, 510, 0x1c0000000ULL | P | RW | PS);
	expect_gpa(&c, 0xffffffff80001000ULL, 0, 0x1c0001000ULL);
}

Test(guest_walk, five_level_paging)
{
	struct guest_walk_ctx c = long4();
	c.cr4 |= GW_CR4_LA57;
	c.cr3 = T_PML5;
	cr_assert_eq(guest_walk_mode(&c), GW_MODE_LONG5);
	e64(T_PML5, 0, T_PML4 | P | RW);
	e64(T_PML4, 256, T_PDPT | P | RW);
	e64(T_PDPT, 0, 0x40000000ULL | P | RW | PS);
	/* 2^47 is non-canonical with 4 levels but fine with 5 */
	expect_gpa(&c, 0x0000800000000040ULL, 0, 0x40000040ULL);
	struct gw_result r;
	cr_assert_eq(walk(&c, 0x0100000000000000ULL, 0, &r), GW_NONCANONICAL);
	/* PML5[1] not present */
	expect_pf(&c, 0x0001000000000000ULL, GW_ACC_WRITE, GW_PFEC_WR);
	e64(T_PML5, 0, T_PML4 | P | RW | PS);
	expect_pf(&c, 0x0000800000000040ULL, 0, GW_PFEC_P | GW_PFEC_RSVD);
}

Test(guest_walk, user_access_to_supervisor_page)
{
	struct guest_walk_ctx c = long4();
	c.cpl = 3;
	map_4k(P | RW | US, P | RW | US, P | RW | US, P | RW);
	expect_pf(&c, GLA_4K, 0, GW_PFEC_P | GW_PFEC_US);
	expect_pf(&c, GLA_4K, GW_ACC_WRITE, GW_PFEC_P | GW_PFEC_US | GW_PFEC_WR);
	/* U/S=0 in any one level is enough */
	map_4k(P | RW | US, P | RW, P | RW | US, P | RW | US);
	expect_pf(&c, GLA_4K, 0, GW_PFEC_P | GW_PFEC_US);
	map_4k(P | RW | US, P | RW | US, P | RW | US, P | RW | US);
	expect_gpa(&c, GLA_4K, GW_ACC_WRITE, 0x55123);
}

Test(guest_walk, write_to_read_only_and_cr0_wp)
{
	struct guest_walk_ctx c = long4();
	map_4k(P | RW, P | RW, P, P | RW); /* R/W=0 at the PD level */
	expect_gpa(&c, GLA_4K, 0, 0x55123);
	expect_pf(&c, GLA_4K, GW_ACC_WRITE, GW_PFEC_P | GW_PFEC_WR);
	c.cr0 &= ~GW_CR0_WP;
	expect_gpa(&c, GLA_4K, GW_ACC_WRITE, 0x55123); /* supervisor ignores R/W without WP */
	c.cpl = 3;
	map_4k(P | RW | US, P | RW | US, P | US, P | RW | US);
	expect_pf(&c, GLA_4K, GW_ACC_WRITE, GW_PFEC_P | GW_PFEC_WR | GW_PFEC_US);
}

Test(guest_walk, nx_fetch)
{
	struct guest_walk_ctx c = long4();
	map_4k(P | RW | XD, P | RW, P | RW, P | RW); /* XD at the top level */
	expect_gpa(&c, GLA_4K, 0, 0x55123);
	expect_pf(&c, GLA_4K, GW_ACC_FETCH, GW_PFEC_P | GW_PFEC_ID);
	c.cpl = 3;
	map_4k(P | RW | US, P | RW | US, P | RW | US, P | RW | US | XD);
	expect_pf(&c, GLA_4K, GW_ACC_FETCH, GW_PFEC_P | GW_PFEC_ID | GW_PFEC_US);
	/* not present fetch still reports I/D with NXE */
	expect_pf(&c, 0x1000, GW_ACC_FETCH, GW_PFEC_ID | GW_PFEC_US);
}

Test(guest_walk, smep_and_smap)
{
	struct guest_walk_ctx c = long4();
	map_4k(P | RW | US, P | RW | US, P | RW | US, P | RW | US); /* a user page */
	expect_gpa(&c, GLA_4K, GW_ACC_FETCH, 0x55123);
	expect_gpa(&c, GLA_4K, GW_ACC_WRITE, 0x55123);
	c.cr4 |= GW_CR4_SMEP;
	expect_pf(&c, GLA_4K, GW_ACC_FETCH, GW_PFEC_P | GW_PFEC_ID);
	expect_gpa(&c, GLA_4K, 0, 0x55123);
	c.cr4 |= GW_CR4_SMAP;
	expect_pf(&c, GLA_4K, 0, GW_PFEC_P);
	expect_pf(&c, GLA_4K, GW_ACC_WRITE, GW_PFEC_P | GW_PFEC_WR);
	c.rflags = GW_RFLAGS_AC;
	expect_gpa(&c, GLA_4K, GW_ACC_WRITE, 0x55123);
	c.cpl = 3; /* SMAP/SMEP do not restrict user mode */
	c.rflags = 0;
	expect_gpa(&c, GLA_4K, GW_ACC_FETCH, 0x55123);
}

Test(guest_walk, not_present_error_codes)
{
	struct guest_walk_ctx c = long4();
	map_4k(P | RW | US, P | RW | US, P | RW | US, RW | US); /* leaf not present */
	expect_pf(&c, GLA_4K, 0, 0);
	expect_pf(&c, GLA_4K, GW_ACC_WRITE, GW_PFEC_WR);
	c.cpl = 3;
	expect_pf(&c, GLA_4K, GW_ACC_WRITE, GW_PFEC_WR | GW_PFEC_US);
	/* reserved bits in a not-present entry do not matter */
	map_4k(P | RW | US, P | RW | US, P | RW | US, US | BIT(51) | PS);
	expect_pf(&c, GLA_4K, 0, GW_PFEC_US);
	struct gw_result r;
	walk(&c, GLA_4K, 0, &r);
	cr_assert_eq(r.level, 1);
}

Test(guest_walk, table_outside_ram_fails_cleanly)
{
	struct guest_walk_ctx c = long4();
	struct gw_result r;
	e64(T_PML4, 0, T_PDPT | P | RW);
	e64(T_PDPT, 1, 0x70000000ULL | P | RW); /* PD far outside the 1 MiB of RAM */
	cr_assert_eq(walk(&c, GLA_4K, 0, &r), GW_BAD_TABLE);
	cr_assert_eq(r.bad_table_gpa, 0x70000000ULL + 8);
	cr_assert_eq(r.level, 2);
	/* CR3 itself outside RAM */
	c.cr3 = 0xfffff000ULL;
	cr_assert_eq(walk(&c, GLA_4K, 0, &r), GW_BAD_TABLE);
	/* PAE PDPT in the last 32 bytes of RAM, then just past it */
	struct guest_walk_ctx p = { .cr0 = GW_CR0_PE | GW_CR0_PG,
				    .cr4 = GW_CR4_PAE,
				    .cr3 = FX_RAM_SIZE - 0x20 };
	cr_assert_eq(walk(&p, 0xc0000000ULL, 0, &r), GW_PAGE_FAULT); /* PDPT[3]: zero */
	p.cr3 = FX_RAM_SIZE;
	cr_assert_eq(walk(&p, 0xc0000000ULL, 0, &r), GW_BAD_TABLE);
	cr_assert_eq(r.bad_table_gpa, FX_RAM_SIZE + 24);
}

Test(guest_walk, accessed_and_dirty_bits)
{
	struct guest_walk_ctx c = long4();
	map_4k(P | RW, P | RW, P | RW, P | RW);
	expect_gpa(&c, GLA_4K, GW_ACC_WRITE, 0x55123);
	cr_assert_eq(fx_get64(f, T_PT + 8) & (GW_PTE_A | GW_PTE_D), 0, "no A/D without SET_AD");
	expect_gpa(&c, GLA_4K, GW_ACC_SET_AD, 0x55123);
	cr_assert(fx_get64(f, T_PML4) & GW_PTE_A);
	cr_assert(fx_get64(f, T_PDPT + 8) & GW_PTE_A);
	cr_assert(fx_get64(f, T_PD + 8) & GW_PTE_A);
	cr_assert(fx_get64(f, T_PT + 8) & GW_PTE_A);
	cr_assert_not(fx_get64(f, T_PT + 8) & GW_PTE_D);
	expect_gpa(&c, GLA_4K, GW_ACC_SET_AD | GW_ACC_WRITE, 0x55123);
	cr_assert(fx_get64(f, T_PT + 8) & GW_PTE_D);
	cr_assert_not(fx_get64(f, T_PD + 8) & GW_PTE_D, "D only in the leaf");
	/* a faulting walk changes nothing */
	map_4k(P | RW, P | RW, P | RW, P);
	expect_pf(&c, GLA_4K, GW_ACC_SET_AD | GW_ACC_WRITE, GW_PFEC_P | GW_PFEC_WR);
	cr_assert_not(fx_get64(f, T_PML4) & GW_PTE_A);
	/* 32-bit entries are 4 bytes: the neighbour is untouched */
	struct guest_walk_ctx c32 = { .cr0 = GW_CR0_PE | GW_CR0_PG, .cr3 = 0x6000 };
	e32(0x6000, 0, 0x7000 | P | RW);
	e32(0x7000, 0, 0x8000 | P | RW);
	e32(0x7000, 1, 0xdead0000);
	expect_gpa(&c32, 0x10, GW_ACC_SET_AD | GW_ACC_WRITE, 0x8010);
	uint32_t pte, next;
	memcpy(&pte, f->ram + 0x7000, 4);
	memcpy(&next, f->ram + 0x7004, 4);
	cr_assert_eq(pte, 0x8000 | P | RW | GW_PTE_A | GW_PTE_D);
	cr_assert_eq(next, 0xdead0000);
}

Test(guest_walk, status_names)
{
	cr_assert_str_eq(gw_status_name(GW_OK), "ok");
	cr_assert_str_eq(gw_status_name(GW_BAD_TABLE), "page-table entry outside guest RAM");
}

/* ---- #PF error codes, every combination (issue 14) ----------------------
 *
 * One leaf PTE, permissive upper levels, in each paging mode; every mix of
 * the leaf's P, R/W, U/S and XD bits, the access (read, write, fetch), the
 * CPL, CR0.WP, CR4.SMEP, CR4.SMAP with RFLAGS.AC and EFER.NXE, plus a
 * reserved bit in a present entry. The expected outcome is computed here
 * from SDM Vol. 3A §4.6.1 (access rights) and §4.7 (error code) on their
 * own terms:
 *   P    0 for a not-present entry, 1 for a protection or reserved-bit fault
 *   W/R  the access was a write
 *   U/S  the access was at CPL 3
 *   RSVD a reserved bit was set in a present entry (then P is 1 too)
 *   I/D  an instruction fetch with CR4.SMEP = 1, or with PAE/4-level paging
 *        and EFER.NXE = 1 */

#define M_GLA 0x00001000ULL /* PML4[0] PDPT[0] PD[0] PT[1]; 32-bit PD[0] PT[1] */
#define M_PAGE 0x55000ULL
#define M_RSVD_BIT BIT(40) /* above MAXPHYADDR 36: reserved in PAE and 4-level PTEs */

enum m_mode { M_32, M_PAE, M_LONG4 };

static struct guest_walk_ctx matrix_ctx(enum m_mode m)
{
	struct guest_walk_ctx c = { .cr0 = GW_CR0_PE | GW_CR0_PG, .maxphyaddr = 36 };

	memset(f->ram, 0, FX_RAM_SIZE);
	switch (m) {
	case M_32:
		c.cr3 = T_PD;
		e32(T_PD, 0, (uint32_t)T_PT | P | RW | US);
		break;
	case M_PAE:
		c.cr4 = GW_CR4_PAE;
		c.cr3 = T_PDPT;
		e64(T_PDPT, 0, T_PD | P); /* PAE PDPTEs have no R/W or U/S */
		e64(T_PD, 0, T_PT | P | RW | US);
		break;
	case M_LONG4:
		c.cr4 = GW_CR4_PAE;
		c.cr3 = T_PML4;
		c.efer = GW_EFER_LMA;
		e64(T_PML4, 0, T_PDPT | P | RW | US);
		e64(T_PDPT, 0, T_PD | P | RW | US);
		e64(T_PD, 0, T_PT | P | RW | US);
		break;
	}
	return c;
}

static void set_leaf(enum m_mode m, uint64_t e)
{
	if (m == M_32)
		e32(T_PT, 1, (uint32_t)e);
	else
		e64(T_PT, 1, e);
}

/* SDM Vol. 3A §4.6.1, for a leaf whose combined rights are us, rw, xd. */
static bool ref_allowed(const struct guest_walk_ctx *c, bool nx_paging, unsigned int acc, bool us,
			bool rw, bool xd)
{
	bool user = c->cpl == 3;

	if (acc & GW_ACC_FETCH) {
		if (xd && nx_paging)
			return false;
		return user ? us : !(us && (c->cr4 & GW_CR4_SMEP));
	}
	if (user)
		return us && (!(acc & GW_ACC_WRITE) || rw);
	if (us && (c->cr4 & GW_CR4_SMAP) && !(c->rflags & GW_RFLAGS_AC))
		return false;
	return !(acc & GW_ACC_WRITE) || !(c->cr0 & GW_CR0_WP) || rw;
}

/* SDM Vol. 3A §4.7. */
static uint32_t ref_error_code(const struct guest_walk_ctx *c, enum m_mode m, unsigned int acc,
			       bool present, bool rsvd)
{
	uint32_t ec = present ? GW_PFEC_P : 0;

	if (acc & GW_ACC_WRITE)
		ec |= GW_PFEC_WR;
	if (c->cpl == 3)
		ec |= GW_PFEC_US;
	if (rsvd)
		ec |= GW_PFEC_RSVD;
	if ((acc & GW_ACC_FETCH) && ((c->cr4 & GW_CR4_SMEP) || (m != M_32 && (c->efer & GW_EFER_NXE))))
		ec |= GW_PFEC_ID;
	return ec;
}

static void check_case(const struct guest_walk_ctx *c, enum m_mode m, unsigned int acc,
		       uint64_t leaf, bool expect_ok, uint32_t want_ec, unsigned int *n)
{
	struct gw_result r;
	enum gw_status st = walk(c, M_GLA, acc, &r);

	(*n)++;
	if (expect_ok) {
		cr_assert_eq(st, GW_OK,
			     "mode %d leaf %#lx acc %#x cpl %u cr0 %#lx cr4 %#lx efer %#lx "
			     "rflags %#lx: %s ec %#x, want success",
			     m, leaf, acc, c->cpl, c->cr0, c->cr4, c->efer, c->rflags,
			     gw_status_name(st), r.error_code);
		cr_assert_eq(r.gpa, M_PAGE);
		return;
	}
	cr_assert_eq(st, GW_PAGE_FAULT,
		     "mode %d leaf %#lx acc %#x cpl %u cr0 %#lx cr4 %#lx efer %#lx rflags %#lx: %s, "
		     "want #PF %#x",
		     m, leaf, acc, c->cpl, c->cr0, c->cr4, c->efer, c->rflags, gw_status_name(st),
		     want_ec);
	cr_assert_eq(r.error_code, want_ec,
		     "mode %d leaf %#lx acc %#x cpl %u cr0 %#lx cr4 %#lx efer %#lx rflags %#lx: "
		     "error code %#x, want %#x",
		     m, leaf, acc, c->cpl, c->cr0, c->cr4, c->efer, c->rflags, r.error_code, want_ec);
	cr_assert_eq(r.fault_addr, M_GLA);
}

Test(guest_walk, error_code_every_combination)
{
	static const unsigned int accs[] = { 0, GW_ACC_WRITE, GW_ACC_FETCH };
	unsigned int n = 0;

	for (enum m_mode m = M_32; m <= M_LONG4; m++) {
		for (unsigned int env = 0; env < 64; env++) {
			struct guest_walk_ctx c = matrix_ctx(m);
			bool nxe = env & 1;
			if (m == M_32 && nxe)
				continue; /* EFER.NXE without PAE changes nothing */
			c.efer |= nxe ? GW_EFER_NXE : 0;
			c.cr0 |= (env & 2) ? GW_CR0_WP : 0;
			c.cr4 |= (env & 4) ? GW_CR4_SMEP : 0;
			c.cr4 |= (env & 8) ? GW_CR4_SMAP : 0;
			c.rflags = (env & 16) ? GW_RFLAGS_AC : 0;
			c.cpl = (env & 32) ? 3 : 0;
			bool nx_paging = m != M_32 && nxe;

			for (unsigned int bits = 0; bits < 16; bits++) {
				bool present = bits & 1, rw = bits & 2, us = bits & 4, xd = bits & 8;
				if (m == M_32 && xd)
					continue; /* 32-bit entries have no XD bit */
				uint64_t leaf = M_PAGE | (present ? P : 0) | (rw ? RW : 0) |
						(us ? US : 0) | (xd ? XD : 0);
				set_leaf(m, leaf);
				for (unsigned int a = 0; a < ARRAY_SIZE(accs); a++) {
					unsigned int acc = accs[a];
					/* XD without EFER.NXE is a reserved bit. */
					bool rsvd = present && xd && !nxe;
					bool ok = present && !rsvd &&
						  ref_allowed(&c, nx_paging, acc, us, rw, xd);
					check_case(&c, m, acc, leaf, ok,
						   ref_error_code(&c, m, acc, present, rsvd), &n);
				}
			}
			/* A reserved bit in a present leaf: P and RSVD both set
			 * (32-bit paging: a 4 MiB PDE's bit 21, with CR4.PSE). */
			for (unsigned int a = 0; a < ARRAY_SIZE(accs); a++) {
				unsigned int acc = accs[a];
				if (m == M_32) {
					struct guest_walk_ctx c32 = c;
					c32.cr4 |= GW_CR4_PSE;
					e32(T_PD, 0, 0x00400000 | BIT(21) | P | RW | US | PS);
					check_case(&c32, m, acc,
						   0x00400000 | BIT(21) | P | RW | US | PS, false,
						   ref_error_code(&c32, m, acc, true, true), &n);
					e32(T_PD, 0, (uint32_t)T_PT | P | RW | US);
				} else {
					uint64_t leaf = M_PAGE | M_RSVD_BIT | P | RW | US;
					set_leaf(m, leaf);
					check_case(&c, m, acc, leaf, false,
						   ref_error_code(&c, m, acc, true, true), &n);
				}
			}
		}
	}
	cr_assert_gt(n, 3000, "%u cases", n);
}
