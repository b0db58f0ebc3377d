/* SPDX-License-Identifier: BSD-2-Clause */
/* Pure VMX helpers: attribute conversion, control computation, CR0/CR4
 * fixed bits and the guest-state checks of VM entry. See vmx_state.h. */
#include "arch/x86/cpu/ctlregs.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_state.h"

/* Architectural bits used here (SDM Vol. 3A §2.5, §2.2.1, Vol. 1 §3.4.3);
 * CR0, CR4 and EFER bits come from arch/x86/cpu/ctlregs.h. */

/* CR4 bits no guest may set, whatever IA32_VMX_CR4_FIXED1 allows: the
 * features behind them are hidden from guests' CPUID (core/cpuid_policy.c)
 * and their state is not switched between partitions (docs/cpu-state.md):
 * OSXSAVE would give a guest the XCR0 the host left (AVX state that FXSAVE
 * does not save), PKE the PKRU register every partition would share, CET
 * and PKS supervisor state. They are host-owned in the CR4 guest/host mask,
 * so setting one exits and is refused with #GP by core's CR policy
 * (core/cr_policy.h, through virt_caps.cr4_forbidden). */
#define CR4_GUEST_NEVER (CR4_VMXE | CR4_SMXE | CR4_OSXSAVE | CR4_PKE | CR4_CET | CR4_PKS)
#define EFER_VALID (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)
#define RFLAGS_FIXED1 BIT(1)
#define RFLAGS_IF BIT(9)
#define RFLAGS_VM BIT(17)
#define RFLAGS_RESERVED (0xffffffffffc00000ULL | BIT(15) | BIT(5) | BIT(3))
#define PENDING_DBG_VALID (0xfULL | BIT(12) | BIT(14)) /* B0-B3, enabled bkpt, BS */
#define VMCS_LINK_NONE (~0ULL)
#define SEL_TI BIT(2)
#define SEL_RPL(s) ((s)&3)
#define SEG_TYPE_ACCESSED 1u
#define SEG_TYPE_READABLE 2u
#define SEG_TYPE_CODE 8u
/* SEG_TYPE_LDT and SEG_TYPE_TSS16_BUSY come from core/vcpu.h. */
#define SEG_TYPE_TSS_BUSY SEG_TYPE_TSS64_BUSY

/* ---- attributes ---------------------------------------------------------- */

/* core's attr: bits 0-7 = descriptor bits 40-47, bits 8-11 = descriptor
 * bits 52-55. The VMCS keeps the same two groups at bits 0-7 and 12-15. */
uint32_t vmx_ar_from_attr(uint16_t attr)
{
	if (!(attr & SEG_ATTR_P))
		return VMX_AR_UNUSABLE | (attr & (uint32_t)SEG_ATTR_DPL(3));
	return (attr & 0xffu) | ((uint32_t)(attr & 0xf00u) << 4);
}

/* An unusable segment reads back as attr 0 (core's "not present"); SS keeps
 * its DPL, which is the CPL even when SS is unusable (SDM Vol. 3C §25.4.1). */
uint16_t vmx_attr_from_ar(uint32_t ar, bool keep_dpl)
{
	if (ar & VMX_AR_UNUSABLE)
		return keep_dpl ? (uint16_t)(ar & SEG_ATTR_DPL(3)) : 0;
	return (uint16_t)((ar & 0xffu) | ((ar >> 4) & 0xf00u));
}

/* ---- controls ------------------------------------------------------------- */

/* Low half: allowed-0 settings (a 1 there forces the control to 1); high
 * half: allowed-1 settings (a 0 there forces it to 0). Appendix A.3.1. */
bool vmx_adjust_controls(uint64_t cap_msr, uint32_t want, uint32_t need, uint32_t *out)
{
	uint32_t must = (uint32_t)cap_msr, may = (uint32_t)(cap_msr >> 32);

	if ((need & may) != need)
		return false;
	*out = (want | need | must) & may;
	return true;
}

/* ---- CR0/CR4 --------------------------------------------------------------- */

static uint64_t cr0_fixed0(const struct vmx_fixed_bits *f)
{
	return f->unrestricted ? f->cr0_fixed0 & ~(CR0_PE | CR0_PG) : f->cr0_fixed0;
}

uint64_t vmx_cr0_host_mask(const struct vmx_fixed_bits *f)
{
	return (cr0_fixed0(f) | ~f->cr0_fixed1) & 0xffffffffULL;
}

uint64_t vmx_cr4_host_mask(const struct vmx_fixed_bits *f)
{
	return f->cr4_fixed0 | ~f->cr4_fixed1 | CR4_GUEST_NEVER;
}

uint64_t vmx_cr0_real(const struct vmx_fixed_bits *f, uint64_t guest_cr0)
{
	return (guest_cr0 | cr0_fixed0(f)) & f->cr0_fixed1;
}

uint64_t vmx_cr4_real(const struct vmx_fixed_bits *f, uint64_t guest_cr4)
{
	return (guest_cr4 | f->cr4_fixed0) & f->cr4_fixed1;
}

uint64_t vmx_cr4_guest_forbidden(const struct vmx_fixed_bits *f)
{
	return ~f->cr4_fixed1 | CR4_GUEST_NEVER;
}

/* ---- guest-state checks (SDM Vol. 3C §27.3.1) ------------------------------ */

/* Bits 63:N-1 all equal, N the guest's linear-address width: 57 with
 * CR4.LA57 (5-level paging), else 48 (SDM Vol. 1 §3.3.7.1, Vol. 3A §4.5). */
static bool canonical(const struct vmx_guest_state *g, uint64_t a)
{
	unsigned int bits = (g->cr4 & CR4_LA57) ? 57 : 48;
	uint64_t top = a >> (bits - 1);
	return top == 0 || top == (~0ULL >> (bits - 1));
}

static bool pat_valid(uint64_t pat)
{
	for (unsigned int i = 0; i < 8; i++) {
		unsigned int t = (pat >> (8 * i)) & 0xff;
		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

/* G must be 0 if limit[11:0] is not all ones and 1 if limit[31:20] is not
 * all zeros. */
static bool limit_matches_g(uint32_t limit, uint32_t ar)
{
	if ((limit & 0xfff) != 0xfff && (ar & VMX_AR_G))
		return false;
	if ((limit & 0xfff00000u) && !(ar & VMX_AR_G))
		return false;
	return true;
}

#define FAIL(msg, v)          \
	do {                  \
		*value = (v); \
		return (msg); \
	} while (0)

static const char *check_control_regs(const struct vmx_guest_state *g,
				      const struct vmx_fixed_bits *f, uint64_t *value)
{
	bool ia32e = g->entry_controls & ENTRY_IA32E_MODE_GUEST;

	if (~g->cr0 & cr0_fixed0(f))
		FAIL("guest CR0: a bit IA32_VMX_CR0_FIXED0 requires is clear", g->cr0);
	if (g->cr0 & ~f->cr0_fixed1)
		FAIL("guest CR0: a bit IA32_VMX_CR0_FIXED1 forbids is set", g->cr0);
	if ((g->cr0 & CR0_PG) && !(g->cr0 & CR0_PE))
		FAIL("guest CR0: PG set without PE", g->cr0);
	if (~g->cr4 & f->cr4_fixed0)
		FAIL("guest CR4: a bit IA32_VMX_CR4_FIXED0 requires is clear", g->cr4);
	if (g->cr4 & ~f->cr4_fixed1)
		FAIL("guest CR4: a bit IA32_VMX_CR4_FIXED1 forbids is set", g->cr4);
	if (ia32e && !(g->cr0 & CR0_PG))
		FAIL("guest in IA-32e mode with CR0.PG clear", g->cr0);
	if (ia32e && !(g->cr4 & CR4_PAE))
		FAIL("guest in IA-32e mode with CR4.PAE clear", g->cr4);
	if (!ia32e && (g->cr4 & CR4_PCIDE))
		FAIL("guest CR4.PCIDE set outside IA-32e mode", g->cr4);
	if (f->phys_bits && f->phys_bits < 64 && (g->cr3 >> f->phys_bits))
		FAIL("guest CR3: bits beyond MAXPHYADDR set", g->cr3);
	if ((g->entry_controls & ENTRY_LOAD_DEBUG_CONTROLS) && (g->dr7 >> 32))
		FAIL("guest DR7: bits 63:32 set", g->dr7);
	if (!canonical(g, g->sysenter_esp))
		FAIL("guest IA32_SYSENTER_ESP not canonical", g->sysenter_esp);
	if (!canonical(g, g->sysenter_eip))
		FAIL("guest IA32_SYSENTER_EIP not canonical", g->sysenter_eip);
	if ((g->entry_controls & ENTRY_LOAD_PAT) && !pat_valid(g->pat))
		FAIL("guest IA32_PAT: invalid memory type", g->pat);
	if (g->entry_controls & ENTRY_LOAD_EFER) {
		if (g->efer & ~EFER_VALID)
			FAIL("guest IA32_EFER: reserved bits set", g->efer);
		if (!!(g->efer & EFER_LMA) != ia32e)
			FAIL("guest IA32_EFER.LMA differs from the IA-32e mode guest entry control",
			     g->efer);
		if ((g->cr0 & CR0_PG) && !!(g->efer & EFER_LMA) != !!(g->efer & EFER_LME))
			FAIL("guest IA32_EFER: LMA differs from LME with CR0.PG set", g->efer);
	}
	return NULL;
}

/* Per-register message tables keep the strings static. */
#define SEG_MSG(what)                                                                   \
	{                                                                               \
		"guest ES " what, "guest CS " what, "guest SS " what, "guest DS " what, \
				"guest FS " what, "guest GS " what, "guest LDTR " what, \
				"guest TR " what                                        \
	}
static const char *const msg_base_hi[SEG_COUNT] = SEG_MSG("base: bits 63:32 set");
static const char *const msg_base_nc[SEG_COUNT] = SEG_MSG("base not canonical");
static const char *const msg_not_s[SEG_COUNT] = SEG_MSG("access rights: S (code/data) clear");
static const char *const msg_not_p[SEG_COUNT] = SEG_MSG("access rights: not present");
static const char *const msg_rsvd[SEG_COUNT] = SEG_MSG("access rights: reserved bits set");
static const char *const msg_g[SEG_COUNT] = SEG_MSG("limit does not match the G bit");
static const char *const msg_acc[SEG_COUNT] = SEG_MSG("type: accessed bit clear");
static const char *const msg_rd[SEG_COUNT] = SEG_MSG("type: code segment not readable");
static const char *const msg_dpl[SEG_COUNT] = SEG_MSG("DPL below RPL");
static const char *const msg_v86[SEG_COUNT] = SEG_MSG("invalid for virtual-8086 mode");

static const char *check_v86_segs(const struct vmx_guest_state *g, uint64_t *value)
{
	for (unsigned int i = SEG_ES; i <= SEG_GS; i++) {
		const struct vmx_seg_state *s = &g->seg[i];
		if (s->base != (uint64_t)s->sel << 4 || s->limit != 0xffff || s->ar != 0xf3)
			FAIL(msg_v86[i], s->ar);
	}
	return NULL;
}

static const char *check_cs(const struct vmx_guest_state *g, const struct vmx_fixed_bits *f,
			    uint64_t *value)
{
	const struct vmx_seg_state *cs = &g->seg[SEG_CS], *ss = &g->seg[SEG_SS];
	unsigned int type = VMX_AR_TYPE(cs->ar), dpl = VMX_AR_DPL(cs->ar);

	if (cs->ar & VMX_AR_UNUSABLE)
		FAIL("guest CS unusable", cs->ar);
	if (type == 3) {
		if (!f->unrestricted)
			FAIL("guest CS type 3 (data) needs unrestricted guest", cs->ar);
		if (dpl != 0)
			FAIL("guest CS: type 3 with DPL other than 0", cs->ar);
	} else if (type == 9 || type == 11) {
		if (dpl != VMX_AR_DPL(ss->ar))
			FAIL("guest CS: non-conforming code with DPL other than SS.DPL", cs->ar);
	} else if (type == 13 || type == 15) {
		if (dpl > VMX_AR_DPL(ss->ar))
			FAIL("guest CS: conforming code with DPL above SS.DPL", cs->ar);
	} else {
		FAIL("guest CS type: must be accessed code (9, 11, 13, 15) or 3", cs->ar);
	}
	if ((g->entry_controls & ENTRY_IA32E_MODE_GUEST) && (cs->ar & VMX_AR_L) &&
	    (cs->ar & VMX_AR_DB))
		FAIL("guest CS: L and D/B both set in IA-32e mode", cs->ar);
	return NULL;
}

static const char *check_code_data_segs(const struct vmx_guest_state *g,
					const struct vmx_fixed_bits *f, uint64_t *value)
{
	const char *err;
	const struct vmx_seg_state *ss = &g->seg[SEG_SS];

	if ((err = check_cs(g, f, value)))
		return err;
	for (unsigned int i = SEG_ES; i <= SEG_GS; i++) {
		const struct vmx_seg_state *s = &g->seg[i];
		unsigned int type = VMX_AR_TYPE(s->ar);
		if (i != SEG_CS && (s->ar & VMX_AR_UNUSABLE))
			continue;
		if (!(s->ar & VMX_AR_S))
			FAIL(msg_not_s[i], s->ar);
		if (!(s->ar & VMX_AR_P))
			FAIL(msg_not_p[i], s->ar);
		if (s->ar & VMX_AR_RESERVED)
			FAIL(msg_rsvd[i], s->ar);
		if (!limit_matches_g(s->limit, s->ar))
			FAIL(msg_g[i], s->limit);
		if (i == SEG_SS && type != 3 && type != 7)
			FAIL("guest SS type: must be read/write accessed data (3 or 7)", s->ar);
		if (i != SEG_CS && i != SEG_SS) {
			if (!(type & SEG_TYPE_ACCESSED))
				FAIL(msg_acc[i], s->ar);
			if ((type & SEG_TYPE_CODE) && !(type & SEG_TYPE_READABLE))
				FAIL(msg_rd[i], s->ar);
			if (!f->unrestricted && type <= 11 && VMX_AR_DPL(s->ar) < SEL_RPL(s->sel))
				FAIL(msg_dpl[i], s->ar);
		}
	}
	/* These two hold even for an unusable SS: its DPL is the CPL. */
	if (!f->unrestricted && VMX_AR_DPL(ss->ar) != SEL_RPL(ss->sel))
		FAIL("guest SS: DPL differs from RPL", ss->ar);
	if ((!(g->cr0 & CR0_PE) || VMX_AR_TYPE(g->seg[SEG_CS].ar) == 3) && VMX_AR_DPL(ss->ar) != 0)
		FAIL("guest SS: DPL must be 0 in real mode or with CS type 3", ss->ar);
	if (!f->unrestricted && SEL_RPL(ss->sel) != SEL_RPL(g->seg[SEG_CS].sel))
		FAIL("guest SS selector: RPL differs from CS.RPL", ss->sel);
	return NULL;
}

static const char *check_system_segs(const struct vmx_guest_state *g, uint64_t *value)
{
	const struct vmx_seg_state *tr = &g->seg[SEG_TR], *ldtr = &g->seg[SEG_LDTR];
	unsigned int type = VMX_AR_TYPE(tr->ar);
	bool ia32e = g->entry_controls & ENTRY_IA32E_MODE_GUEST;

	if (tr->sel & SEL_TI)
		FAIL("guest TR selector: TI set", tr->sel);
	if (tr->ar & VMX_AR_UNUSABLE)
		FAIL("guest TR unusable (a busy TSS is required)", tr->ar);
	if (!(type == SEG_TYPE_TSS_BUSY || (type == SEG_TYPE_TSS16_BUSY && !ia32e)))
		FAIL("guest TR type: must be a busy TSS (11, or 3 outside IA-32e mode)", tr->ar);
	if (tr->ar & VMX_AR_S)
		FAIL("guest TR access rights: S set", tr->ar);
	if (!(tr->ar & VMX_AR_P))
		FAIL(msg_not_p[SEG_TR], tr->ar);
	if (tr->ar & VMX_AR_RESERVED)
		FAIL(msg_rsvd[SEG_TR], tr->ar);
	if (!limit_matches_g(tr->limit, tr->ar))
		FAIL(msg_g[SEG_TR], tr->limit);
	if (ldtr->ar & VMX_AR_UNUSABLE)
		return NULL;
	if (ldtr->sel & SEL_TI)
		FAIL("guest LDTR selector: TI set", ldtr->sel);
	if (VMX_AR_TYPE(ldtr->ar) != SEG_TYPE_LDT)
		FAIL("guest LDTR type: must be 2 (LDT)", ldtr->ar);
	if (ldtr->ar & VMX_AR_S)
		FAIL("guest LDTR access rights: S set", ldtr->ar);
	if (!(ldtr->ar & VMX_AR_P))
		FAIL(msg_not_p[SEG_LDTR], ldtr->ar);
	if (ldtr->ar & VMX_AR_RESERVED)
		FAIL(msg_rsvd[SEG_LDTR], ldtr->ar);
	if (!limit_matches_g(ldtr->limit, ldtr->ar))
		FAIL(msg_g[SEG_LDTR], ldtr->limit);
	return NULL;
}

static const char *check_seg_bases(const struct vmx_guest_state *g, uint64_t *value)
{
	static const unsigned int nc[] = { SEG_TR, SEG_FS, SEG_GS, SEG_LDTR };
	static const unsigned int hi[] = { SEG_CS, SEG_SS, SEG_DS, SEG_ES };

	for (unsigned int i = 0; i < ARRAY_SIZE(nc); i++) {
		const struct vmx_seg_state *s = &g->seg[nc[i]];
		if (nc[i] == SEG_LDTR && (s->ar & VMX_AR_UNUSABLE))
			continue;
		if (!canonical(g, s->base))
			FAIL(msg_base_nc[nc[i]], s->base);
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(hi); i++) {
		const struct vmx_seg_state *s = &g->seg[hi[i]];
		if (hi[i] != SEG_CS && (s->ar & VMX_AR_UNUSABLE))
			continue;
		if (s->base >> 32)
			FAIL(msg_base_hi[hi[i]], s->base);
	}
	return NULL;
}

static const char *check_segments(const struct vmx_guest_state *g, const struct vmx_fixed_bits *f,
				  uint64_t *value)
{
	const char *err;

	if ((err = check_seg_bases(g, value)))
		return err;
	if ((err = check_system_segs(g, value)))
		return err;
	if (g->rflags & RFLAGS_VM)
		return check_v86_segs(g, value);
	return check_code_data_segs(g, f, value);
}

static const char *check_tables_rip_rflags(const struct vmx_guest_state *g, uint64_t *value)
{
	bool ia32e = g->entry_controls & ENTRY_IA32E_MODE_GUEST;
	bool long_cs = ia32e && (g->seg[SEG_CS].ar & VMX_AR_L);

	if (!canonical(g, g->gdtr_base))
		FAIL("guest GDTR base not canonical", g->gdtr_base);
	if (!canonical(g, g->idtr_base))
		FAIL("guest IDTR base not canonical", g->idtr_base);
	if (g->gdtr_limit > 0xffff)
		FAIL("guest GDTR limit above 0xffff", g->gdtr_limit);
	if (g->idtr_limit > 0xffff)
		FAIL("guest IDTR limit above 0xffff", g->idtr_limit);
	if (!long_cs && (g->rip >> 32))
		FAIL("guest RIP: bits 63:32 set outside 64-bit mode", g->rip);
	if (long_cs && !canonical(g, g->rip))
		FAIL("guest RIP not canonical", g->rip);
	if (g->rflags & RFLAGS_RESERVED)
		FAIL("guest RFLAGS: reserved bits set", g->rflags);
	if (!(g->rflags & RFLAGS_FIXED1))
		FAIL("guest RFLAGS: bit 1 clear", g->rflags);
	if ((g->rflags & RFLAGS_VM) && (ia32e || !(g->cr0 & CR0_PE)))
		FAIL("guest RFLAGS.VM set in IA-32e mode or real mode", g->rflags);
	if ((g->entry_intr_info & INTR_INFO_VALID) &&
	    INTR_INFO_TYPE(g->entry_intr_info) == INTR_TYPE_EXTINT && !(g->rflags & RFLAGS_IF))
		FAIL("external interrupt injected with RFLAGS.IF clear", g->rflags);
	return NULL;
}

static const char *check_non_register(const struct vmx_guest_state *g, uint64_t *value)
{
	uint32_t intr = g->interruptibility;
	bool injecting = g->entry_intr_info & INTR_INFO_VALID;
	unsigned int type = INTR_INFO_TYPE(g->entry_intr_info);

	if (g->activity > ACTIVITY_WAIT_SIPI)
		FAIL("guest activity state: undefined value", g->activity);
	if (g->activity == ACTIVITY_HLT && VMX_AR_DPL(g->seg[SEG_SS].ar) != 0)
		FAIL("guest activity state HLT with SS.DPL other than 0", g->activity);
	if (intr & INTERRUPTIBILITY_RESERVED)
		FAIL("guest interruptibility state: reserved bits set", intr);
	if ((intr & INTERRUPTIBILITY_STI) && (intr & INTERRUPTIBILITY_MOV_SS))
		FAIL("guest interruptibility state: blocking by STI and by MOV SS both set", intr);
	if ((intr & INTERRUPTIBILITY_STI) && !(g->rflags & RFLAGS_IF))
		FAIL("guest interruptibility state: blocking by STI with RFLAGS.IF clear", intr);
	if ((intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS)) &&
	    g->activity != ACTIVITY_ACTIVE)
		FAIL("guest interruptibility state: STI/MOV SS blocking in a non-active state", intr);
	if (intr & INTERRUPTIBILITY_SMI)
		FAIL("guest interruptibility state: blocking by SMI outside SMM", intr);
	if (injecting && type == INTR_TYPE_EXTINT &&
	    (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS)))
		FAIL("external interrupt injected during STI/MOV SS blocking", intr);
	if (injecting && type == INTR_TYPE_NMI && (intr & INTERRUPTIBILITY_MOV_SS))
		FAIL("NMI injected during MOV SS blocking", intr);
	if (g->pending_dbg & ~PENDING_DBG_VALID)
		FAIL("guest pending debug exceptions: reserved bits set", g->pending_dbg);
	if (g->link_pointer != VMCS_LINK_NONE)
		FAIL("VMCS link pointer is not ~0 (no shadow VMCS is used)", g->link_pointer);
	return NULL;
}

const char *vmx_check_guest_state(const struct vmx_guest_state *g, const struct vmx_fixed_bits *f,
				  uint64_t *value)
{
	const char *err;

	*value = 0;
	if ((err = check_control_regs(g, f, value)))
		return err;
	/* RFLAGS before segments: with a stray VM flag the segment checks
	 * would only say "invalid for virtual-8086 mode". */
	if ((err = check_tables_rip_rflags(g, value)))
		return err;
	if ((err = check_segments(g, f, value)))
		return err;
	return check_non_register(g, value);
}
