/* SPDX-License-Identifier: BSD-2-Clause */
/* The control-register policy of both backends. See cr_policy.h. */
#include "core/cr_policy.h"
#include "arch/x86/cpu/ctlregs.h"

/* Without a known MAXPHYADDR, the architectural maximum (SDM Vol. 3A §4.1.4). */
#define CR_PHYS_BITS_MAX 52

/* ---- CR0 ---------------------------------------------------------------------------- */

/* MOV to CR0, CLTS and LMSW (SDM Vol. 2B MOV-Move to/from Control
 * Registers; Vol. 3A §2.5; §10.8.5 and APM Vol. 2 §14.6.1 for the switch
 * into and out of IA-32e mode, which sets or clears EFER.LMA). */
static enum cr_verdict cr0_write(const struct cr_regs *cur, uint64_t val, bool long_mode,
				 struct cr_regs *next)
{
	bool pg_on = !(cur->cr0 & CR0_PG) && (val & CR0_PG);
	bool pg_off = (cur->cr0 & CR0_PG) && !(val & CR0_PG);

	if (val & CR0_RESERVED_HIGH)
		return CR_GP_CR0_RESERVED;
	if ((val & CR0_PG) && !(val & CR0_PE))
		return CR_GP_CR0_PG_WITHOUT_PE;
	if ((val & CR0_NW) && !(val & CR0_CD))
		return CR_GP_CR0_NW_WITHOUT_CD;
	if (pg_on && (cur->efer & EFER_LME) && !(cur->cr4 & CR4_PAE))
		return CR_GP_CR0_LONG_WITHOUT_PAE;
	/* IA-32e mode is left only from compatibility mode (§10.8.5.4). */
	if (pg_off && (cur->efer & EFER_LMA) && long_mode)
		return CR_GP_CR0_PG_OFF_IN_64BIT;
	/* PCIDs exist only in IA-32e mode (§4.10.1). */
	if (pg_off && (cur->cr4 & CR4_PCIDE))
		return CR_GP_CR0_PG_OFF_WITH_PCIDE;
	if (pg_on && (cur->efer & EFER_LME))
		next->efer = cur->efer | EFER_LMA;
	else if (pg_off)
		next->efer = cur->efer & ~EFER_LMA;
	next->cr0 = val;
	return CR_OK;
}

/* LMSW loads CR0[3:0] from its source but can set PE, never clear it
 * (SDM Vol. 2A LMSW). */
static uint64_t lmsw_value(uint64_t cr0, uint64_t src)
{
	uint64_t keep_pe = cr0 & CR0_PE;
	return (cr0 & ~CR0_MSW_BITS) | (src & CR0_MSW_BITS) | keep_pe;
}

/* ---- CR3 ---------------------------------------------------------------------------- */

/* MOV to CR3: bits at and above MAXPHYADDR are reserved (SDM Vol. 3A §4.5,
 * APM Vol. 2 §3.1.2); with CR4.PCIDE, bit 63 asks the CPU to keep the
 * PCID's translations and is not stored (§4.10.4.1). */
static enum cr_verdict cr3_write(const struct cr_limits *lim, const struct cr_regs *cur,
				 uint64_t val, struct cr_regs *next)
{
	unsigned int bits = lim->phys_bits ? lim->phys_bits : CR_PHYS_BITS_MAX;

	if (cur->cr4 & CR4_PCIDE)
		val &= ~CR3_NOFLUSH;
	if (bits < 64 && (val >> bits))
		return CR_GP_CR3_RESERVED;
	next->cr3 = val;
	return CR_OK;
}

/* ---- CR4 ---------------------------------------------------------------------------- */

/* MOV to CR4 (SDM Vol. 2B MOV #GP(0) list; Vol. 3A §2.5, §4.10.1; APM
 * Vol. 2 §3.1.3). A bit is legal only if its CPUID feature was offered
 * (lim->cr4_allowed, derived in core/cpuid_policy.c): that covers the
 * reserved bits and each of PAE, LA57, PCIDE, VMXE, SMEP, SMAP, PKE,
 * OSXSAVE, FSGSBASE, UMIP, ... at once. */
static enum cr_verdict cr4_write(const struct cr_limits *lim, const struct cr_regs *cur,
				 uint64_t val, struct cr_regs *next)
{
	bool lma = cur->efer & EFER_LMA;

	if (val & ~lim->cr4_allowed)
		return CR_GP_CR4_RESERVED;
	if (lma && !(val & CR4_PAE))
		return CR_GP_CR4_PAE_OFF_IN_LONG;
	if (lma && ((cur->cr4 ^ val) & CR4_LA57))
		return CR_GP_CR4_LA57_IN_LONG;
	if ((val & CR4_PCIDE) && !(cur->cr4 & CR4_PCIDE) && (!lma || (cur->cr3 & CR3_PCID_MASK)))
		return CR_GP_CR4_PCIDE;
	next->cr4 = val;
	return CR_OK;
}

/* ---- CR8 ---------------------------------------------------------------------------- */

/* MOV to CR8: the task priority 0-15; bits 63:4 are reserved (SDM Vol. 3A
 * §2.5, APM Vol. 2 §3.1.5). */
static enum cr_verdict cr8_write(uint64_t val, struct cr_regs *next)
{
	if (val > CR8_MAX)
		return CR_GP_CR8_RESERVED;
	next->cr8 = val;
	return CR_OK;
}

/* ---- dispatch ----------------------------------------------------------------------- */

static bool cr_read(const struct cr_regs *cur, uint8_t cr, uint64_t *val)
{
	switch (cr) {
	case 0:
		*val = cur->cr0;
		return true;
	case 3:
		*val = cur->cr3;
		return true;
	case 4:
		*val = cur->cr4;
		return true;
	case 8:
		*val = cur->cr8;
		return true;
	default:
		return false;
	}
}

static enum cr_verdict mov_to_cr(const struct cr_limits *lim, const struct cr_regs *cur,
				 const struct cr_access *a, struct cr_regs *next)
{
	/* Outside 64-bit mode the operand is 32 bits (SDM Vol. 2B MOV CR). */
	uint64_t val = a->long_mode ? a->src : (uint32_t)a->src;

	switch (a->cr) {
	case 0:
		return cr0_write(cur, val, a->long_mode, next);
	case 3:
		return cr3_write(lim, cur, val, next);
	case 4:
		return cr4_write(lim, cur, val, next);
	case 8:
		return cr8_write(val, next);
	default:
		return CR_UNHANDLED;
	}
}

struct cr_result cr_apply(const struct cr_limits *lim, const struct cr_regs *cur,
			  const struct cr_access *a)
{
	struct cr_result r = { .verdict = CR_OK, .regs = *cur };

	switch (a->op) {
	case CR_OP_MOV_TO:
		r.verdict = mov_to_cr(lim, cur, a, &r.regs);
		break;
	case CR_OP_MOV_FROM:
		if (!cr_read(cur, a->cr, &r.read))
			r.verdict = CR_UNHANDLED;
		break;
	case CR_OP_CLTS:
		r.verdict = a->cr == 0 ? cr0_write(cur, cur->cr0 & ~CR0_TS, a->long_mode, &r.regs)
				       : CR_UNHANDLED;
		break;
	case CR_OP_LMSW:
		r.verdict = a->cr == 0 ? cr0_write(cur, lmsw_value(cur->cr0, a->src), a->long_mode,
						   &r.regs)
				       : CR_UNHANDLED;
		break;
	default:
		r.verdict = CR_UNHANDLED;
		break;
	}
	if (r.verdict != CR_OK)
		r.regs = *cur;
	return r;
}

const char *cr_verdict_reason(enum cr_verdict v)
{
	static const char *const reasons[] = {
		[CR_OK] = "ok",
		[CR_GP_CR0_RESERVED] = "CR0 bits 63:32 set",
		[CR_GP_CR0_PG_WITHOUT_PE] = "CR0.PG set with CR0.PE clear",
		[CR_GP_CR0_NW_WITHOUT_CD] = "CR0.NW set with CR0.CD clear",
		[CR_GP_CR0_LONG_WITHOUT_PAE] = "CR0.PG set with EFER.LME set and CR4.PAE clear",
		[CR_GP_CR0_PG_OFF_IN_64BIT] = "CR0.PG cleared in 64-bit mode",
		[CR_GP_CR0_PG_OFF_WITH_PCIDE] = "CR0.PG cleared with CR4.PCIDE set",
		[CR_GP_CR3_RESERVED] = "CR3 bit at or above MAXPHYADDR set",
		[CR_GP_CR4_RESERVED] = "CR4 bit reserved or its feature not offered",
		[CR_GP_CR4_PAE_OFF_IN_LONG] = "CR4.PAE cleared in IA-32e mode",
		[CR_GP_CR4_LA57_IN_LONG] = "CR4.LA57 changed in IA-32e mode",
		[CR_GP_CR4_PCIDE] = "CR4.PCIDE set outside IA-32e mode or with CR3[11:0] not zero",
		[CR_GP_CR8_RESERVED] = "CR8 bits 63:4 set",
		[CR_UNHANDLED] = "access not emulated",
	};
	if ((unsigned int)v < ARRAY_SIZE(reasons) && reasons[v])
		return reasons[v];
	return "?";
}
