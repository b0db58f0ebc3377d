/* SPDX-License-Identifier: BSD-2-Clause */
/* core/cr_policy.c: the control-register policy both backends use. Each
 * CR0/CR3/CR4/CR8 rule of Intel SDM Vol. 2B "MOV-Move to/from Control
 * Registers" (#GP(0) list), Vol. 2A CLTS/LMSW, Vol. 3A §2.5, §4.5, §4.10.1
 * and §10.8.5, and AMD APM Vol. 2 §3.1, legal and #GP; and the CR4 bits
 * gated by the CPUID the guest was offered (core/cpuid_policy.c). */
#include <criterion/criterion.h>
#include <string.h>
#include "core/cpuid_policy.h"
#include "core/cr_policy.h"

/* Architectural bits, named here so the test does not trust the module's
 * constants (SDM Vol. 3A §2.5 Figures 2-7, 2-8; §2.2.1). */
#define T_CR0_PE (1ull << 0)
#define T_CR0_MP (1ull << 1)
#define T_CR0_EM (1ull << 2)
#define T_CR0_TS (1ull << 3)
#define T_CR0_ET (1ull << 4)
#define T_CR0_NE (1ull << 5)
#define T_CR0_WP (1ull << 16)
#define T_CR0_NW (1ull << 29)
#define T_CR0_CD (1ull << 30)
#define T_CR0_PG (1ull << 31)
#define T_CR4_VME (1ull << 0)
#define T_CR4_PAE (1ull << 5)
#define T_CR4_PGE (1ull << 7)
#define T_CR4_OSFXSR (1ull << 9)
#define T_CR4_UMIP (1ull << 11)
#define T_CR4_LA57 (1ull << 12)
#define T_CR4_VMXE (1ull << 13)
#define T_CR4_FSGSBASE (1ull << 16)
#define T_CR4_PCIDE (1ull << 17)
#define T_CR4_OSXSAVE (1ull << 18)
#define T_CR4_SMEP (1ull << 20)
#define T_CR4_SMAP (1ull << 21)
#define T_CR4_PKE (1ull << 22)
#define T_EFER_LME (1ull << 8)
#define T_EFER_LMA (1ull << 10)
#define T_EFER_NXE (1ull << 11)

#define ALL_CR4 0xffffffffffffffffull

/* Long mode, paging on: what a 64-bit kernel runs with. */
static const struct cr_regs long64 = {
	.cr0 = T_CR0_PE | T_CR0_ET | T_CR0_NE | T_CR0_WP | T_CR0_PG,
	.cr3 = 0x1000,
	.cr4 = T_CR4_PAE | T_CR4_OSFXSR,
	.efer = T_EFER_LME | T_EFER_LMA | T_EFER_NXE,
};
/* Protected mode, paging off, EFER.LME set: a kernel about to enter long mode. */
static const struct cr_regs prot_lme = {
	.cr0 = T_CR0_PE | T_CR0_ET,
	.cr4 = 0,
	.efer = T_EFER_LME,
};
/* Protected mode, paging off. */
static const struct cr_regs prot32 = {
	.cr0 = T_CR0_PE | T_CR0_ET,
};

static struct cr_limits lim_all = { .cr4_allowed = ALL_CR4 & 0xffffffffull, .phys_bits = 40 };

static struct cr_result mov_to(const struct cr_limits *lim, const struct cr_regs *cur, uint8_t cr,
			       uint64_t val, bool long_mode)
{
	struct cr_access a = { .cr = cr, .op = CR_OP_MOV_TO, .src = val, .long_mode = long_mode };
	return cr_apply(lim, cur, &a);
}

static void assert_gp(struct cr_result r, enum cr_verdict why, const struct cr_regs *cur,
		      const char *what)
{
	cr_assert_eq(r.verdict, why, "%s: verdict %d (%s), want %d (%s)", what, r.verdict,
		     cr_verdict_reason(r.verdict), why, cr_verdict_reason(why));
	cr_assert(memcmp(&r.regs, cur, sizeof(*cur)) == 0, "%s: registers unchanged on #GP", what);
}

/* ---- CR0 ----------------------------------------------------------------------- */

Test(cr0, legal_writes_change_only_cr0)
{
	struct cr_result r = mov_to(&lim_all, &long64, 0, long64.cr0 | T_CR0_TS | T_CR0_MP, true);
	cr_assert_eq(r.verdict, CR_OK);
	cr_assert_eq(r.regs.cr0, long64.cr0 | T_CR0_TS | T_CR0_MP);
	cr_assert_eq(r.regs.efer, long64.efer);
	cr_assert_eq(r.regs.cr4, long64.cr4);
	r = mov_to(&lim_all, &long64, 0, long64.cr0 | T_CR0_CD | T_CR0_NW, true);
	cr_assert_eq(r.verdict, CR_OK, "NW with CD is legal");
}

Test(cr0, reserved_high_bits)
{
	assert_gp(mov_to(&lim_all, &long64, 0, long64.cr0 | (1ull << 32), true), CR_GP_CR0_RESERVED,
		  &long64, "CR0 bit 32 in 64-bit mode");
	/* Outside 64-bit mode the operand is 32 bits: the high half is not seen. */
	struct cr_result r = mov_to(&lim_all, &prot32, 0, prot32.cr0 | (1ull << 40), false);
	cr_assert_eq(r.verdict, CR_OK);
	cr_assert_eq(r.regs.cr0, prot32.cr0);
}

Test(cr0, pg_needs_pe)
{
	assert_gp(mov_to(&lim_all, &prot32, 0, T_CR0_PG, false), CR_GP_CR0_PG_WITHOUT_PE, &prot32,
		  "PG without PE");
}

Test(cr0, nw_needs_cd)
{
	assert_gp(mov_to(&lim_all, &prot32, 0, prot32.cr0 | T_CR0_NW, false),
		  CR_GP_CR0_NW_WITHOUT_CD, &prot32, "NW without CD");
}

Test(cr0, entering_long_mode_sets_lma_and_needs_pae)
{
	assert_gp(mov_to(&lim_all, &prot_lme, 0, prot_lme.cr0 | T_CR0_PG, false),
		  CR_GP_CR0_LONG_WITHOUT_PAE, &prot_lme, "PG with LME and no PAE");
	struct cr_regs pae = prot_lme;
	pae.cr4 = T_CR4_PAE;
	struct cr_result r = mov_to(&lim_all, &pae, 0, pae.cr0 | T_CR0_PG, false);
	cr_assert_eq(r.verdict, CR_OK);
	cr_assert_eq(r.regs.efer, T_EFER_LME | T_EFER_LMA, "EFER.LMA follows CR0.PG");
	/* Without LME, PG turns on 32-bit paging and LMA stays clear. */
	r = mov_to(&lim_all, &prot32, 0, prot32.cr0 | T_CR0_PG, false);
	cr_assert_eq(r.verdict, CR_OK);
	cr_assert_eq(r.regs.efer & T_EFER_LMA, 0);
}

Test(cr0, leaving_long_mode_only_from_compatibility_mode)
{
	assert_gp(mov_to(&lim_all, &long64, 0, long64.cr0 & ~T_CR0_PG, true),
		  CR_GP_CR0_PG_OFF_IN_64BIT, &long64, "PG cleared in 64-bit mode");
	struct cr_result r = mov_to(&lim_all, &long64, 0, long64.cr0 & ~T_CR0_PG, false);
	cr_assert_eq(r.verdict, CR_OK, "from compatibility mode");
	cr_assert_eq(r.regs.efer, T_EFER_LME | T_EFER_NXE, "EFER.LMA cleared");
}

Test(cr0, pg_off_with_pcide)
{
	struct cr_regs pcid = long64;
	pcid.cr4 |= T_CR4_PCIDE;
	assert_gp(mov_to(&lim_all, &pcid, 0, pcid.cr0 & ~T_CR0_PG, false),
		  CR_GP_CR0_PG_OFF_WITH_PCIDE, &pcid, "PG cleared with PCIDE");
}

Test(cr0, clts_clears_ts_only)
{
	struct cr_regs ts = long64;
	ts.cr0 |= T_CR0_TS | T_CR0_MP;
	struct cr_access a = { .cr = 0, .op = CR_OP_CLTS, .long_mode = true };
	struct cr_result r = cr_apply(&lim_all, &ts, &a);
	cr_assert_eq(r.verdict, CR_OK);
	cr_assert_eq(r.regs.cr0, long64.cr0 | T_CR0_MP);
}

Test(cr0, lmsw_loads_the_low_four_bits_and_never_clears_pe)
{
	struct cr_access a = { .cr = 0, .op = CR_OP_LMSW, .src = 0xfff0 | T_CR0_TS | T_CR0_EM };
	struct cr_result r = cr_apply(&lim_all, &prot32, &a);
	cr_assert_eq(r.verdict, CR_OK);
	cr_assert_eq(r.regs.cr0, T_CR0_PE | T_CR0_ET | T_CR0_TS | T_CR0_EM,
		     "PE kept, MSW bits loaded, bits 15:4 ignored: %#llx",
		     (unsigned long long)r.regs.cr0);
	struct cr_regs real = { .cr0 = T_CR0_ET };
	a.src = T_CR0_PE;
	r = cr_apply(&lim_all, &real, &a);
	cr_assert_eq(r.regs.cr0, T_CR0_ET | T_CR0_PE, "LMSW can set PE");
}

/* ---- CR3 ----------------------------------------------------------------------- */

Test(cr3, reserved_bits_above_maxphyaddr)
{
	struct cr_result r = mov_to(&lim_all, &long64, 3, 0xffff000, true);
	cr_assert_eq(r.verdict, CR_OK);
	cr_assert_eq(r.regs.cr3, 0xffff000);
	assert_gp(mov_to(&lim_all, &long64, 3, 1ull << 40, true), CR_GP_CR3_RESERVED, &long64,
		  "bit MAXPHYADDR");
	assert_gp(mov_to(&lim_all, &long64, 3, 1ull << 63, true), CR_GP_CR3_RESERVED, &long64,
		  "bit 63 without PCIDE");
	struct cr_limits unknown = { .cr4_allowed = lim_all.cr4_allowed, .phys_bits = 0 };
	cr_assert_eq(mov_to(&unknown, &long64, 3, 1ull << 51, true).verdict, CR_OK,
		     "unknown MAXPHYADDR: 52");
	cr_assert_eq(mov_to(&unknown, &long64, 3, 1ull << 52, true).verdict, CR_GP_CR3_RESERVED);
}

Test(cr3, noflush_bit_with_pcide_is_not_stored)
{
	struct cr_regs pcid = long64;
	pcid.cr4 |= T_CR4_PCIDE;
	struct cr_result r = mov_to(&lim_all, &pcid, 3, (1ull << 63) | 0x2005, true);
	cr_assert_eq(r.verdict, CR_OK);
	cr_assert_eq(r.regs.cr3, 0x2005);
}

/* ---- CR4 ----------------------------------------------------------------------- */

Test(cr4, bits_not_allowed_fault)
{
	struct cr_limits lim = { .cr4_allowed = T_CR4_PAE | T_CR4_OSFXSR | T_CR4_PGE };
	cr_assert_eq(mov_to(&lim, &long64, 4, long64.cr4 | T_CR4_PGE, true).verdict, CR_OK);
	assert_gp(mov_to(&lim, &long64, 4, long64.cr4 | T_CR4_SMEP, true), CR_GP_CR4_RESERVED,
		  &long64, "a feature not offered");
	assert_gp(mov_to(&lim, &long64, 4, long64.cr4 | (1ull << 40), true), CR_GP_CR4_RESERVED,
		  &long64, "a reserved bit");
	assert_gp(mov_to(&lim_all, &long64, 4, long64.cr4 | (1ull << 40), true), CR_GP_CR4_RESERVED,
		  &long64, "bits 63:32 are never allowed");
}

Test(cr4, pae_stays_set_in_long_mode)
{
	assert_gp(mov_to(&lim_all, &long64, 4, T_CR4_OSFXSR, true), CR_GP_CR4_PAE_OFF_IN_LONG,
		  &long64, "PAE cleared in IA-32e mode");
	cr_assert_eq(mov_to(&lim_all, &prot32, 4, 0, false).verdict, CR_OK,
		     "PAE cleared outside IA-32e mode");
}

Test(cr4, la57_fixed_in_long_mode)
{
	assert_gp(mov_to(&lim_all, &long64, 4, long64.cr4 | T_CR4_LA57, true),
		  CR_GP_CR4_LA57_IN_LONG, &long64, "LA57 set in IA-32e mode");
	struct cr_regs five = long64;
	five.cr4 |= T_CR4_LA57;
	assert_gp(mov_to(&lim_all, &five, 4, long64.cr4, true), CR_GP_CR4_LA57_IN_LONG, &five,
		  "LA57 cleared in IA-32e mode");
	cr_assert_eq(mov_to(&lim_all, &five, 4, five.cr4 | T_CR4_PGE, true).verdict, CR_OK,
		     "LA57 unchanged");
	cr_assert_eq(mov_to(&lim_all, &prot_lme, 4, T_CR4_PAE | T_CR4_LA57, false).verdict, CR_OK,
		     "LA57 set before entering IA-32e mode");
}

Test(cr4, pcide_rules)
{
	assert_gp(mov_to(&lim_all, &prot32, 4, T_CR4_PCIDE, false), CR_GP_CR4_PCIDE, &prot32,
		  "PCIDE outside IA-32e mode");
	struct cr_regs pcid_cr3 = long64;
	pcid_cr3.cr3 = 0x1005;
	assert_gp(mov_to(&lim_all, &pcid_cr3, 4, long64.cr4 | T_CR4_PCIDE, true), CR_GP_CR4_PCIDE,
		  &pcid_cr3, "PCIDE with CR3[11:0] set");
	cr_assert_eq(mov_to(&lim_all, &long64, 4, long64.cr4 | T_CR4_PCIDE, true).verdict, CR_OK);
	struct cr_regs on = pcid_cr3;
	on.cr4 |= T_CR4_PCIDE;
	cr_assert_eq(mov_to(&lim_all, &on, 4, on.cr4 | T_CR4_SMEP, true).verdict, CR_OK,
		     "PCIDE already set: CR3's PCID may be non-zero");
}

Test(cr4, operand_is_32_bits_outside_64bit_mode)
{
	struct cr_result r = mov_to(&lim_all, &prot32, 4, (1ull << 40) | T_CR4_PGE, false);
	cr_assert_eq(r.verdict, CR_OK);
	cr_assert_eq(r.regs.cr4, T_CR4_PGE);
}

/* ---- CR8, reads, others ---------------------------------------------------------- */

Test(cr8, task_priority)
{
	struct cr_result r = mov_to(&lim_all, &long64, 8, 15, true);
	cr_assert_eq(r.verdict, CR_OK);
	cr_assert_eq(r.regs.cr8, 15);
	assert_gp(mov_to(&lim_all, &long64, 8, 16, true), CR_GP_CR8_RESERVED, &long64, "CR8 bit 4");
}

Test(cr_read, mov_from_cr)
{
	struct cr_regs cur = long64;
	cur.cr8 = 7;
	static const struct {
		uint8_t cr;
		uint64_t want;
	} cases[] = { { 0, long64.cr0 }, { 3, 0x1000 }, { 4, long64.cr4 }, { 8, 7 } };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cr_access a = { .cr = cases[i].cr, .op = CR_OP_MOV_FROM, .long_mode = true };
		struct cr_result r = cr_apply(&lim_all, &cur, &a);
		cr_assert_eq(r.verdict, CR_OK);
		cr_assert_eq(r.read, cases[i].want, "CR%u", cases[i].cr);
		cr_assert(memcmp(&r.regs, &cur, sizeof(cur)) == 0);
	}
}

Test(cr_other, not_emulated)
{
	cr_assert_eq(mov_to(&lim_all, &long64, 2, 0, true).verdict, CR_UNHANDLED);
	cr_assert_eq(mov_to(&lim_all, &long64, 5, 0, true).verdict, CR_UNHANDLED);
	struct cr_access a = { .cr = 4, .op = CR_OP_CLTS };
	cr_assert_eq(cr_apply(&lim_all, &long64, &a).verdict, CR_UNHANDLED);
	cr_assert_str_neq(cr_verdict_reason(CR_GP_CR4_PCIDE), "?");
	cr_assert_str_eq(cr_verdict_reason((enum cr_verdict)99), "?");
}

/* ---- CR4 gated by the guest's CPUID ---------------------------------------------- */

/* A host with every flag of leaves 1 and 7 except the one in `hide`. */
static struct {
	uint32_t leaf;
	int reg;
	int bit;
} hide;
enum { A, B, C, D };

static struct cpuid_result host(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_result r = { 0, 0, 0, 0 };
	if (leaf == 0)
		return (struct cpuid_result){ 0xd, 0, 0, 0 };
	if (leaf == CPUID_EXT_BASE)
		return (struct cpuid_result){ CPUID_EXT_BASE + 8, 0, 0, 0 };
	if (leaf == 1)
		r = (struct cpuid_result){ 0x00a20f10u, 0x00010800u, 0xffffffffu, 0xffffffffu };
	if (leaf == 7 && subleaf == 0)
		r = (struct cpuid_result){ 0, 0xffffffffu, 0xffffffffu, 0xffffffffu };
	if (leaf == hide.leaf && (leaf != 7 || subleaf == 0)) {
		uint32_t *regs[] = { &r.eax, &r.ebx, &r.ecx, &r.edx };
		*regs[hide.reg] &= ~(1u << hide.bit);
	}
	return r;
}

static struct cr_limits limits_for_host(void)
{
	static struct cpuid_table t;
	const struct cpuid_policy p = { .vcpu_id = 0, .nr_vcpus = 1 };
	cpuid_table_build(&t, &p, host);
	return (struct cr_limits){ .cr4_allowed = t.cr4_allowed, .phys_bits = 40 };
}

/* Each CR4 bit, the CPUID flag that announces it (SDM Vol. 3A §2.5; Vol.
 * 2A CPUID) and whether Bulkhead lets a guest have it at all. */
static const struct {
	const char *name;
	uint64_t cr4;
	uint32_t leaf;
	int reg, bit;
	bool virtualised;
	bool long_mode; /* tested from IA-32e mode (PCIDE), else from protected mode */
} gated[] = {
	{ "PAE", T_CR4_PAE, 1, D, 6, true, false },
	{ "LA57", T_CR4_LA57, 7, C, 16, true, false },
	{ "PCIDE", T_CR4_PCIDE, 1, C, 17, true, true },
	{ "VMXE", T_CR4_VMXE, 1, C, 5, false, false },
	{ "SMEP", T_CR4_SMEP, 7, B, 7, true, false },
	{ "SMAP", T_CR4_SMAP, 7, B, 20, true, false },
	{ "PKE", T_CR4_PKE, 7, C, 3, false, false },
	{ "OSXSAVE", T_CR4_OSXSAVE, 1, C, 26, false, false },
	{ "FSGSBASE", T_CR4_FSGSBASE, 7, B, 0, true, false },
	{ "UMIP", T_CR4_UMIP, 7, C, 2, true, false },
	{ "VME", T_CR4_VME, 1, D, 1, true, false },
};

Test(cr4_cpuid, each_bit_follows_its_flag)
{
	for (size_t i = 0; i < sizeof(gated) / sizeof(gated[0]); i++) {
		const struct cr_regs *cur = gated[i].long_mode ? &long64 : &prot32;
		uint64_t val = cur->cr4 | gated[i].cr4;

		hide.leaf = 0; /* offer everything */
		struct cr_limits lim = limits_for_host();
		struct cr_result r = mov_to(&lim, cur, 4, val, gated[i].long_mode);
		if (gated[i].virtualised) {
			cr_assert_eq(r.verdict, CR_OK, "CR4.%s with its flag offered: %s",
				     gated[i].name, cr_verdict_reason(r.verdict));
			cr_assert_eq(r.regs.cr4, val);
		} else {
			assert_gp(r, CR_GP_CR4_RESERVED, cur, gated[i].name);
		}

		hide.leaf = gated[i].leaf;
		hide.reg = gated[i].reg;
		hide.bit = gated[i].bit;
		lim = limits_for_host();
		assert_gp(mov_to(&lim, cur, 4, val, gated[i].long_mode), CR_GP_CR4_RESERVED, cur,
			  gated[i].name);
	}
}

Test(cr4_cpuid, backend_forbidden_bits_fault_too)
{
	/* core/exits.c takes virt_caps.cr4_forbidden (VMX: outside
	 * CR4_FIXED1) out of the CPUID-derived set. */
	hide.leaf = 0;
	struct cr_limits lim = limits_for_host();
	lim.cr4_allowed &= ~T_CR4_SMEP;
	assert_gp(mov_to(&lim, &prot32, 4, T_CR4_SMEP, false), CR_GP_CR4_RESERVED, &prot32,
		  "SMEP the CPU cannot hold");
}
