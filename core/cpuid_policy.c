/* SPDX-License-Identifier: BSD-2-Clause */
#include "core/cpuid_policy.h"
#include "arch/x86/cpu/cr4.h"
#include "core/lib/string.h"

/* ---- feature bits (SDM Vol. 2A "CPUID" Tables 3-8, 3-10, 3-11 and leaf
 * 07H; AMD APM Vol. 3 Appendix E.3 and E.4) ---------------------------- */

/* Leaf 1 ECX (Table 3-10) */
#define L1_ECX_SSE3 BIT(0)
#define L1_ECX_PCLMULQDQ BIT(1)
#define L1_ECX_SSSE3 BIT(9)
#define L1_ECX_CX16 BIT(13)
#define L1_ECX_PCID BIT(17)
#define L1_ECX_SSE41 BIT(19)
#define L1_ECX_SSE42 BIT(20)
#define L1_ECX_X2APIC BIT(21)
#define L1_ECX_MOVBE BIT(22)
#define L1_ECX_POPCNT BIT(23)
#define L1_ECX_TSC_DEADLINE BIT(24)
#define L1_ECX_AES BIT(25)
#define L1_ECX_RDRAND BIT(30)
#define L1_ECX_HYPERVISOR BIT(31)
/* named for the CR4 map below; never offered */
#define L1_ECX_VMX BIT(5)
#define L1_ECX_SMX BIT(6)
#define L1_ECX_XSAVE BIT(26)

/* Leaf 1 EDX (Table 3-11); the same positions in Fn8000_0001 EDX on AMD */
#define L1_EDX_FPU BIT(0)
#define L1_EDX_VME BIT(1)
#define L1_EDX_DE BIT(2)
#define L1_EDX_PSE BIT(3)
#define L1_EDX_TSC BIT(4)
#define L1_EDX_MSR BIT(5)
#define L1_EDX_PAE BIT(6)
#define L1_EDX_MCE BIT(7)
#define L1_EDX_CX8 BIT(8)
#define L1_EDX_APIC BIT(9)
#define L1_EDX_SEP BIT(11)
#define L1_EDX_MTRR BIT(12)
#define L1_EDX_PGE BIT(13)
#define L1_EDX_MCA BIT(14)
#define L1_EDX_CMOV BIT(15)
#define L1_EDX_PAT BIT(16)
#define L1_EDX_PSE36 BIT(17)
#define L1_EDX_CLFSH BIT(19)
#define L1_EDX_MMX BIT(23)
#define L1_EDX_FXSR BIT(24)
#define L1_EDX_SSE BIT(25)
#define L1_EDX_SSE2 BIT(26)
#define L1_EDX_SS BIT(27)
#define L1_EDX_HTT BIT(28) /* EBX[23:16] counts logical processors */
#define L1_EBX_LOGICAL_SHIFT 16

/* Leaf 7 subleaf 0 EBX */
#define L7_EBX_FSGSBASE BIT(0)
#define L7_EBX_TSC_ADJUST BIT(1) /* core/msr.c: reads 0, takes only 0; always offered */
#define L7_EBX_BMI1 BIT(3)
#define L7_EBX_HLE BIT(4)
#define L7_EBX_FDP_EXCPTN_ONLY BIT(6)
#define L7_EBX_SMEP BIT(7)
#define L7_EBX_BMI2 BIT(8)
#define L7_EBX_ERMS BIT(9)
#define L7_EBX_INVPCID BIT(10)
#define L7_EBX_RTM BIT(11)
#define L7_EBX_ZERO_FCS_FDS BIT(13)
#define L7_EBX_RDSEED BIT(18)
#define L7_EBX_ADX BIT(19)
#define L7_EBX_SMAP BIT(20)
#define L7_EBX_CLFLUSHOPT BIT(23)
#define L7_EBX_CLWB BIT(24)
#define L7_EBX_SHA BIT(29)
/* Leaf 7 subleaf 0 ECX */
#define L7_ECX_PREFETCHWT1 BIT(0)
#define L7_ECX_UMIP BIT(2)
#define L7_ECX_PKU BIT(3)
#define L7_ECX_CET_SS BIT(7)
#define L7_ECX_GFNI BIT(8)  /* has legacy-SSE encodings */
#define L7_ECX_LA57 BIT(16) /* 5-level paging: the hardware walks the guest's tables */
#define L7_ECX_RDPID BIT(22)
#define L7_ECX_KL BIT(23)
#define L7_ECX_CLDEMOTE BIT(25)
#define L7_ECX_MOVDIRI BIT(27)
#define L7_ECX_MOVDIR64B BIT(28)
#define L7_ECX_PKS BIT(31)
/* Leaf 7 subleaf 0 EDX */
#define L7_EDX_FSRM BIT(4)
#define L7_EDX_UINTR BIT(5)
#define L7_EDX_MD_CLEAR BIT(10)
#define L7_EDX_RTM_ALWAYS_ABORT BIT(11)
#define L7_EDX_SERIALIZE BIT(14)
#define L7_EDX_TSXLDTRK BIT(16)
#define L7_EDX_CET_IBT BIT(20)
#define L7_EDX_IBRS_IBPB BIT(26)
#define L7_EDX_STIBP BIT(27)
#define L7_EDX_L1D_FLUSH BIT(28)
#define L7_EDX_ARCH_CAPS BIT(29)
#define L7_EDX_SSBD BIT(31)

/* Fn8000_0001 ECX (APM Vol. 3 E.4.2) */
#define LX1_ECX_LAHF_SAHF BIT(0)
#define LX1_ECX_ABM BIT(5)
#define LX1_ECX_SSE4A BIT(6)
#define LX1_ECX_MISALIGN_SSE BIT(7)
#define LX1_ECX_3DNOW_PREFETCH BIT(8)
#define LX1_ECX_TBM BIT(21)
/* Fn8000_0001 EDX */
#define LX1_EDX_SYSCALL BIT(11)
#define LX1_EDX_NX BIT(20)
#define LX1_EDX_MMXEXT BIT(22)
#define LX1_EDX_PAGE1GB BIT(26)
#define LX1_EDX_RDTSCP BIT(27)
#define LX1_EDX_LM BIT(29)
#define LX1_EDX_3DNOWEXT BIT(30)
#define LX1_EDX_3DNOW BIT(31)

/* CPUID Fn8000_0007 EDX[8] TscInvariant (APM Vol. 3 App. E.4.6; SDM
 * Vol. 2A CPUID 80000007H): the TSC ticks at a constant rate. Bulkhead
 * keeps all time by the TSC and needs that; guests are told so (Linux then
 * trusts its TSC and, on an SMP guest, copies loops_per_jiffy to the APs
 * instead of timing a delay loop against a time-sliced tick). */
#define LX7_EDX_TSC_INVARIANT BIT(8)

/* Fn8000_0008 (APM Vol. 3 E.4.7; SDM CPUID 80000008H) */
/* EAX (address sizes) passes: its linear-address size is 57 exactly when
 * the host has LA57, which is then offered. */
#define LX8_EBX_CLZERO BIT(0)
#define LX8_EBX_RSTR_FP_ERR_PTRS BIT(2)
#define LX8_EBX_IBPB BIT(12)
#define LX8_EBX_IBRS BIT(14)
#define LX8_EBX_STIBP BIT(15)
#define LX8_EBX_IBRS_ALWAYS_ON BIT(16)
#define LX8_EBX_STIBP_ALWAYS_ON BIT(17)
#define LX8_EBX_IBRS_PREFERRED BIT(18)
#define LX8_EBX_IBRS_SAME_MODE BIT(19)
#define LX8_EBX_EFER_LMSLE_UNSUPPORTED BIT(20)
#define LX8_EBX_SSBD BIT(24)
#define LX8_EBX_SSB_NO BIT(26)
/* ECX[7:0] NC: cores per package minus one: the vCPUs are the cores of
 * one package. ApicIdSize (ECX[15:12]) is left 0: derived from NC. */
#define LX8_ECX_NC_MASK 0xffu

/* ---- the allow-list ------------------------------------------------------ */

#define ALL 0xffffffffu

/* Features whose instructions, registers and state the hypervisor
 * virtualises (or that only describe the machine). */
#define L1_ECX_OFFERED                                                               \
	(L1_ECX_SSE3 | L1_ECX_PCLMULQDQ | L1_ECX_SSSE3 | L1_ECX_CX16 | L1_ECX_PCID | \
	 L1_ECX_SSE41 | L1_ECX_SSE42 | L1_ECX_MOVBE | L1_ECX_POPCNT | L1_ECX_AES | L1_ECX_RDRAND)
#define L1_EDX_COMMON                                                                              \
	(L1_EDX_FPU | L1_EDX_VME | L1_EDX_DE | L1_EDX_PSE | L1_EDX_TSC | L1_EDX_MSR | L1_EDX_PAE | \
	 L1_EDX_MCE | L1_EDX_CX8 | L1_EDX_APIC | L1_EDX_MTRR | L1_EDX_PGE | L1_EDX_MCA |           \
	 L1_EDX_CMOV | L1_EDX_PAT | L1_EDX_PSE36 | L1_EDX_MMX | L1_EDX_FXSR)
#define L1_EDX_OFFERED \
	(L1_EDX_COMMON | L1_EDX_SEP | L1_EDX_CLFSH | L1_EDX_SSE | L1_EDX_SSE2 | L1_EDX_SS)
#define L7_EBX_OFFERED                                                                             \
	(L7_EBX_FSGSBASE | L7_EBX_TSC_ADJUST | L7_EBX_BMI1 | L7_EBX_HLE | L7_EBX_FDP_EXCPTN_ONLY | \
	 L7_EBX_SMEP | L7_EBX_BMI2 | L7_EBX_ERMS | L7_EBX_INVPCID | L7_EBX_RTM |                   \
	 L7_EBX_ZERO_FCS_FDS | L7_EBX_RDSEED | L7_EBX_ADX | L7_EBX_SMAP | L7_EBX_CLFLUSHOPT |      \
	 L7_EBX_CLWB | L7_EBX_SHA)
#define L7_ECX_OFFERED                                                                 \
	(L7_ECX_PREFETCHWT1 | L7_ECX_UMIP | L7_ECX_GFNI | L7_ECX_LA57 | L7_ECX_RDPID | \
	 L7_ECX_CLDEMOTE | L7_ECX_MOVDIRI | L7_ECX_MOVDIR64B)
/* IBRS/IBPB, STIBP, SSBD: IA32_SPEC_CTRL per vCPU and IA32_PRED_CMD;
 * L1D_FLUSH: IA32_FLUSH_CMD; ARCH_CAPABILITIES: read-only (core/msr.c). */
#define L7_EDX_OFFERED                                                                             \
	(L7_EDX_FSRM | L7_EDX_MD_CLEAR | L7_EDX_RTM_ALWAYS_ABORT | L7_EDX_SERIALIZE |              \
	 L7_EDX_TSXLDTRK | L7_EDX_IBRS_IBPB | L7_EDX_STIBP | L7_EDX_L1D_FLUSH | L7_EDX_ARCH_CAPS | \
	 L7_EDX_SSBD)
#define LX1_ECX_OFFERED                                                           \
	(LX1_ECX_LAHF_SAHF | LX1_ECX_ABM | LX1_ECX_SSE4A | LX1_ECX_MISALIGN_SSE | \
	 LX1_ECX_3DNOW_PREFETCH | LX1_ECX_TBM)
#define LX1_EDX_OFFERED                                                                    \
	(L1_EDX_COMMON | LX1_EDX_SYSCALL | LX1_EDX_NX | LX1_EDX_MMXEXT | LX1_EDX_PAGE1GB | \
	 LX1_EDX_RDTSCP | LX1_EDX_LM | LX1_EDX_3DNOWEXT | LX1_EDX_3DNOW)
#define LX8_EBX_OFFERED                                                                            \
	(LX8_EBX_CLZERO | LX8_EBX_RSTR_FP_ERR_PTRS | LX8_EBX_IBPB | LX8_EBX_IBRS | LX8_EBX_STIBP | \
	 LX8_EBX_IBRS_ALWAYS_ON | LX8_EBX_STIBP_ALWAYS_ON | LX8_EBX_IBRS_PREFERRED |               \
	 LX8_EBX_IBRS_SAME_MODE | LX8_EBX_EFER_LMSLE_UNSUPPORTED | LX8_EBX_SSBD | LX8_EBX_SSB_NO)

/* What the guest sees of one host leaf: the host's bits under keep[]
 * (EAX..EDX). A leaf with no rule reads as zero, whatever the host has:
 * power management (6), MONITOR (5), PMU (0xa), XSAVE (0xd, hidden with
 * XSAVE), RDT, SGX, PT, AMX, Key Locker, SVM (8000_000A), SEV, ... */
struct leaf_rule {
	uint32_t leaf;
	bool first_subleaf_only; /* indexed leaf whose other subleaves read zero */
	uint32_t keep[4];
};

static const struct leaf_rule leaf_rules[] = {
	{ 0, false, { ALL, ALL, ALL, ALL } }, /* max leaf (clamped), vendor */
	{ 1, false, { ALL, ALL, L1_ECX_OFFERED, L1_EDX_OFFERED } },
	{ 2, false, { ALL, ALL, ALL, ALL } }, /* cache and TLB descriptors */
	{ 4, false, { ALL, ALL, ALL, ALL } }, /* cache parameters */
	/* EAX, the last subleaf, is 0: subleaves 1+ (AVX-VNNI, LAM, ...) are hidden */
	{ 7, true, { 0, L7_EBX_OFFERED, L7_ECX_OFFERED, L7_EDX_OFFERED } },
	{ 0xb, false, { ALL, ALL, ALL, ALL } }, /* topology (x2APIC ID patched) */
	{ 0x15, false, { ALL, ALL, ALL, ALL } }, /* TSC/crystal ratio: the guest's TSC is the host's */
	{ 0x16, false, { ALL, ALL, ALL, ALL } }, /* frequencies */
	{ 0x1f, false, { ALL, ALL, ALL, ALL } }, /* topology v2 */
	{ 0x80000000, false, { ALL, ALL, ALL, ALL } },
	{ 0x80000001, false, { ALL, ALL, LX1_ECX_OFFERED, LX1_EDX_OFFERED } },
	{ 0x80000002, false, { ALL, ALL, ALL, ALL } }, /* brand string */
	{ 0x80000003, false, { ALL, ALL, ALL, ALL } },
	{ 0x80000004, false, { ALL, ALL, ALL, ALL } },
	{ 0x80000005, false, { ALL, ALL, ALL, ALL } }, /* L1 cache and TLB */
	{ 0x80000006, false, { ALL, ALL, ALL, ALL } }, /* L2/L3 */
	{ 0x80000007, false, { 0, 0, 0, 0 } },         /* power management: TscInvariant only */
	{ 0x80000008, false, { ALL, LX8_EBX_OFFERED, 0, 0 } },
};

/* CR4 bits the hypervisor virtualises: those both backends let the guest
 * own (the hardware does the work with the guest's value; for LA57 the
 * stage-2 tables do not care how many levels the guest's own tables have,
 * and the instruction emulator's page walker and the VMX guest-state
 * checks know 5-level paging). Not VMXE/SMXE, OSXSAVE (XSAVE state is not switched), PKE, CET, PKS, UINTR,
 * KL (their state lives in XSAVE components or MSRs not virtualised). */
#define CR4_VIRTUALISED                                                                            \
	(CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_MCE | CR4_PGE | CR4_PCE |  \
	 CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_UMIP | CR4_LA57 | CR4_FSGSBASE | CR4_PCIDE | CR4_SMEP | \
	 CR4_SMAP)
/* CR4.PCE has no CPUID flag (RDPMC exists on every x86-64 CPU). */
#define CR4_WITHOUT_FEATURE CR4_PCE

/* Which CPUID flag announces which CR4 bit (SDM Vol. 3A §2.5). */
struct cr4_feature {
	uint64_t cr4;
	struct cpuid_feature f;
};

/* The CPUID flags (subleaf 0) that announce a CR4 bit, each named by leaf,
 * subleaf where the leaf has them, register and flag (SDM Vol. 2A CPUID
 * Tables 3-10, 3-11 and leaf 07H; SDM Vol. 3A §2.5 names the CR4 bit each
 * one enables). The bit numbers come from the masks above. */
#define CPUID_FLAG(leaf, reg, mask)                           \
	{                                                     \
		(leaf), (reg), (uint8_t)__builtin_ctzll(mask) \
	}
#define CPUID_1_EDX_VME CPUID_FLAG(1, CPUID_EDX, L1_EDX_VME)
#define CPUID_1_EDX_DE CPUID_FLAG(1, CPUID_EDX, L1_EDX_DE)
#define CPUID_1_EDX_PSE CPUID_FLAG(1, CPUID_EDX, L1_EDX_PSE)
#define CPUID_1_EDX_TSC CPUID_FLAG(1, CPUID_EDX, L1_EDX_TSC)
#define CPUID_1_EDX_PAE CPUID_FLAG(1, CPUID_EDX, L1_EDX_PAE)
#define CPUID_1_EDX_MCE CPUID_FLAG(1, CPUID_EDX, L1_EDX_MCE)
#define CPUID_1_EDX_PGE CPUID_FLAG(1, CPUID_EDX, L1_EDX_PGE)
#define CPUID_1_EDX_FXSR CPUID_FLAG(1, CPUID_EDX, L1_EDX_FXSR)
#define CPUID_1_EDX_SSE CPUID_FLAG(1, CPUID_EDX, L1_EDX_SSE)
#define CPUID_1_ECX_VMX CPUID_FLAG(1, CPUID_ECX, L1_ECX_VMX)
#define CPUID_1_ECX_SMX CPUID_FLAG(1, CPUID_ECX, L1_ECX_SMX)
#define CPUID_1_ECX_PCID CPUID_FLAG(1, CPUID_ECX, L1_ECX_PCID)
#define CPUID_1_ECX_XSAVE CPUID_FLAG(1, CPUID_ECX, L1_ECX_XSAVE)
#define CPUID_7_0_EBX_FSGSBASE CPUID_FLAG(7, CPUID_EBX, L7_EBX_FSGSBASE)
#define CPUID_7_0_EBX_SMEP CPUID_FLAG(7, CPUID_EBX, L7_EBX_SMEP)
#define CPUID_7_0_EBX_SMAP CPUID_FLAG(7, CPUID_EBX, L7_EBX_SMAP)
#define CPUID_7_0_ECX_UMIP CPUID_FLAG(7, CPUID_ECX, L7_ECX_UMIP)
#define CPUID_7_0_ECX_PKU CPUID_FLAG(7, CPUID_ECX, L7_ECX_PKU)
#define CPUID_7_0_ECX_CET_SS CPUID_FLAG(7, CPUID_ECX, L7_ECX_CET_SS)
#define CPUID_7_0_ECX_LA57 CPUID_FLAG(7, CPUID_ECX, L7_ECX_LA57)
#define CPUID_7_0_ECX_KL CPUID_FLAG(7, CPUID_ECX, L7_ECX_KL)
#define CPUID_7_0_ECX_PKS CPUID_FLAG(7, CPUID_ECX, L7_ECX_PKS)
#define CPUID_7_0_EDX_UINTR CPUID_FLAG(7, CPUID_EDX, L7_EDX_UINTR)
#define CPUID_7_0_EDX_CET_IBT CPUID_FLAG(7, CPUID_EDX, L7_EDX_CET_IBT)

static const struct cr4_feature cr4_features[] = {
	{ CR4_VME, CPUID_1_EDX_VME },
	{ CR4_PVI, CPUID_1_EDX_VME },
	{ CR4_TSD, CPUID_1_EDX_TSC },
	{ CR4_DE, CPUID_1_EDX_DE },
	{ CR4_PSE, CPUID_1_EDX_PSE },
	{ CR4_PAE, CPUID_1_EDX_PAE },
	{ CR4_MCE, CPUID_1_EDX_MCE },
	{ CR4_PGE, CPUID_1_EDX_PGE },
	{ CR4_OSFXSR, CPUID_1_EDX_FXSR },
	{ CR4_OSXMMEXCPT, CPUID_1_EDX_SSE },
	{ CR4_UMIP, CPUID_7_0_ECX_UMIP },
	{ CR4_LA57, CPUID_7_0_ECX_LA57 },
	{ CR4_VMXE, CPUID_1_ECX_VMX },
	{ CR4_SMXE, CPUID_1_ECX_SMX },
	{ CR4_FSGSBASE, CPUID_7_0_EBX_FSGSBASE },
	{ CR4_PCIDE, CPUID_1_ECX_PCID },
	{ CR4_OSXSAVE, CPUID_1_ECX_XSAVE },
	{ CR4_KL, CPUID_7_0_ECX_KL },
	{ CR4_SMEP, CPUID_7_0_EBX_SMEP },
	{ CR4_SMAP, CPUID_7_0_EBX_SMAP },
	{ CR4_PKE, CPUID_7_0_ECX_PKU },
	{ CR4_CET, CPUID_7_0_ECX_CET_SS },
	{ CR4_CET, CPUID_7_0_EDX_CET_IBT },
	{ CR4_PKS, CPUID_7_0_ECX_PKS },
	{ CR4_UINTR, CPUID_7_0_EDX_UINTR },
};

static uint32_t *reg_of(struct cpuid_result *r, uint8_t reg)
{
	switch (reg) {
	case CPUID_EAX:
		return &r->eax;
	case CPUID_EBX:
		return &r->ebx;
	case CPUID_ECX:
		return &r->ecx;
	default:
		return &r->edx;
	}
}

static void signature(struct cpuid_result *r)
{
	/* "BulkheadHV\0\0" in EBX, ECX, EDX */
	static const char sig[12] = "BulkheadHV\0";
	bh_memcpy(&r->ebx, sig, 4);
	bh_memcpy(&r->ecx, sig + 4, 4);
	bh_memcpy(&r->edx, sig + 8, 4);
}

static void hypervisor_leaf(const struct cpuid_policy *p, uint32_t leaf, struct cpuid_result *r)
{
	*r = (struct cpuid_result){ 0, 0, 0, 0 };
	switch (leaf) {
	case HV_CPUID_BASE:
		r->eax = HV_CPUID_TIMING;
		signature(r);
		break;
	case HV_CPUID_VERSION:
		r->eax = HV_ABI_VERSION;
		break;
	case HV_CPUID_TIMING:
		r->eax = p->tsc_khz;
		r->ebx = p->lapic_khz;
		break;
	default:
		break;
	}
}

static void kvm_leaf(const struct cpuid_policy *p, uint32_t leaf, struct cpuid_result *r)
{
	/* "KVMKVMKVM\0\0\0" in EBX, ECX, EDX */
	static const char sig[12] = "KVMKVMKVM\0\0";
	*r = (struct cpuid_result){ 0, 0, 0, 0 };
	if (!p->kvm_pv)
		return;
	if (leaf == KVM_CPUID_SIGNATURE) {
		r->eax = KVM_CPUID_FEATURES;
		bh_memcpy(&r->ebx, sig, 4);
		bh_memcpy(&r->ecx, sig + 4, 4);
		bh_memcpy(&r->edx, sig + 8, 4);
	} else if (leaf == KVM_CPUID_FEATURES) {
		r->eax = KVM_FEATURE_NOP_IO_DELAY | KVM_FEATURE_PV_EOI;
	}
}

static const struct leaf_rule *rule_for(uint32_t leaf)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(leaf_rules); i++)
		if (leaf_rules[i].leaf == leaf)
			return &leaf_rules[i];
	return NULL;
}

/* The host's bits the allow-list keeps; zeros for a leaf it does not list. */
static void filter(uint32_t leaf, uint32_t subleaf, struct cpuid_result *r)
{
	const struct leaf_rule *rule = rule_for(leaf);
	if (!rule || (rule->first_subleaf_only && subleaf != 0)) {
		*r = (struct cpuid_result){ 0, 0, 0, 0 };
		return;
	}
	r->eax &= rule->keep[CPUID_EAX];
	r->ebx &= rule->keep[CPUID_EBX];
	r->ecx &= rule->keep[CPUID_ECX];
	r->edx &= rule->keep[CPUID_EDX];
}

/* Whatever the lists above say, a feature whose CR4 bit the guest may not
 * set is never offered. */
static void hide_unvirtualised_cr4_features(uint32_t leaf, uint32_t subleaf, struct cpuid_result *r)
{
	if (subleaf != 0)
		return;
	for (unsigned int i = 0; i < ARRAY_SIZE(cr4_features); i++) {
		const struct cr4_feature *c = &cr4_features[i];
		if (c->f.leaf == leaf && !(c->cr4 & CR4_VIRTUALISED))
			*reg_of(r, c->f.reg) &= ~(1u << c->f.bit);
	}
}

static void leaf1(const struct cpuid_policy *p, struct cpuid_result *r)
{
	/* Every vCPU's emulated LAPIC has the TSC-deadline timer
	 * (drivers/vdev/lapic.c): one MSR write per timer, no MMIO. */
	r->ecx |= L1_ECX_HYPERVISOR | L1_ECX_TSC_DEADLINE;
	r->ecx &= ~L1_ECX_X2APIC;
	if (p->x2apic)
		r->ecx |= L1_ECX_X2APIC;
	r->ebx = (r->ebx & 0xffffu) | (p->vcpu_id << L1_EBX_APIC_ID_SHIFT) |
		 ((p->nr_vcpus & 0xff) << L1_EBX_LOGICAL_SHIFT);
	r->edx &= ~L1_EDX_HTT;
	if (p->nr_vcpus > 1)
		r->edx |= L1_EDX_HTT;
}

/* IA32_TSC_AUX, read by RDTSCP and RDPID, must be the vCPU's own. */
static void tsc_aux_users(const struct cpuid_policy *p, uint32_t leaf, uint32_t subleaf,
			  struct cpuid_result *r)
{
	if (p->tsc_aux)
		return;
	if (leaf == 7 && subleaf == 0)
		r->ecx &= ~L7_ECX_RDPID;
	if (leaf == 0x80000001)
		r->edx &= ~LX1_EDX_RDTSCP;
}

static void leaf_80000008(const struct cpuid_policy *p, struct cpuid_result *r)
{
	r->ecx = (p->nr_vcpus - 1) & LX8_ECX_NC_MASK;
}

void cpuid_policy_apply(const struct cpuid_policy *p, uint32_t leaf, uint32_t subleaf,
			struct cpuid_result *r)
{
	if (leaf - KVM_CPUID_SIGNATURE < KVM_CPUID_LEAVES) {
		kvm_leaf(p, leaf, r);
		return;
	}
	if ((leaf & 0xffff0000u) == HV_CPUID_BASE) {
		hypervisor_leaf(p, leaf, r);
		return;
	}
	filter(leaf, subleaf, r);
	hide_unvirtualised_cr4_features(leaf, subleaf, r);
	tsc_aux_users(p, leaf, subleaf, r);
	switch (leaf) {
	case 1:
		leaf1(p, r);
		break;
	case 7:
		/* IA32_TSC_ADJUST is core/msr.c's, whatever the host has (as
		 * KVM offers it). With an invariant TSC it tells Linux (6.1, Debian
		 * 12's: check_system_tsc_reliable) that nothing can change the TSC
		 * behind its back, so it keeps no clocksource watchdog on it:
		 * on a busy host the watchdog's reads of the ACPI PM timer (an
		 * exit each) came late, it called the TSC unstable and moved
		 * the guest's clock to port reads, an exit per timestamp. */
		if (subleaf == 0)
			r->ebx |= L7_EBX_TSC_ADJUST;
		break;
	case 0x80000007:
		r->edx |= LX7_EDX_TSC_INVARIANT;
		break;
	case 0x80000008:
		leaf_80000008(p, r);
		break;
	default:
		break;
	}
}

bool cpuid_table_has(const struct cpuid_table *t, struct cpuid_feature f)
{
	struct cpuid_result r;
	if (f.leaf >= CPUID_EXT_BASE) {
		if (t->max_ext < f.leaf || f.leaf - CPUID_EXT_BASE >= CPUID_EXT_MAX)
			return false;
		r = t->ext[f.leaf - CPUID_EXT_BASE];
	} else {
		if (f.leaf > t->max_basic)
			return false;
		r = t->basic[f.leaf][0];
	}
	return (*reg_of(&r, f.reg) >> f.bit) & 1;
}

#define MAXPHYADDR_LEAF 0x80000008u
#define MAXPHYADDR_MASK 0xffu
#define MAXPHYADDR_DEFAULT 36

uint8_t cpuid_table_maxphyaddr(const struct cpuid_table *t)
{
	if (t->max_ext < MAXPHYADDR_LEAF)
		return MAXPHYADDR_DEFAULT;
	uint8_t w = t->ext[MAXPHYADDR_LEAF - CPUID_EXT_BASE].eax & MAXPHYADDR_MASK;
	return w ? w : MAXPHYADDR_DEFAULT;
}

uint64_t cpuid_cr4_allowed(const struct cpuid_table *t)
{
	uint64_t ok = CR4_WITHOUT_FEATURE;
	for (unsigned int i = 0; i < ARRAY_SIZE(cr4_features); i++)
		if (cpuid_table_has(t, cr4_features[i].f))
			ok |= cr4_features[i].cr4;
	return ok & CR4_VIRTUALISED;
}

#define EFER_LME_BIT BIT(8)
#define CR0_PG_BIT BIT(31)

bool efer_write_ok(uint64_t old_efer, uint64_t new_efer, uint64_t cr0)
{
	return !((cr0 & CR0_PG_BIT) && ((old_efer ^ new_efer) & EFER_LME_BIT));
}

void cpuid_table_build(struct cpuid_table *t, const struct cpuid_policy *p, cpuid_host_fn host)
{
	bh_memset(t, 0, sizeof(*t));
	struct cpuid_result r = host(0, 0);
	t->max_basic = MIN(r.eax, CPUID_BASIC_MAX - 1);
	for (uint32_t leaf = 0; leaf <= t->max_basic; leaf++) {
		bool indexed = cpuid_leaf_is_indexed(leaf);
		for (uint32_t sub = 0; sub < CPUID_SUBLEAVES; sub++) {
			if (indexed || sub == 0) {
				r = host(leaf, sub);
				cpuid_policy_apply(p, leaf, sub, &r);
				if (leaf == 0)
					r.eax = t->max_basic; /* what the table holds */
			}
			t->basic[leaf][sub] = r; /* not indexed: slot 0's answer */
		}
	}
	r = host(CPUID_EXT_BASE, 0);
	t->max_ext = r.eax >= CPUID_EXT_BASE ? MIN(r.eax, CPUID_EXT_BASE + CPUID_EXT_MAX - 1)
					     : CPUID_EXT_BASE;
	for (uint32_t leaf = CPUID_EXT_BASE; leaf <= t->max_ext; leaf++) {
		r = host(leaf, 0);
		cpuid_policy_apply(p, leaf, 0, &r);
		t->ext[leaf - CPUID_EXT_BASE] = r;
	}
	t->ext[0].eax = t->max_ext;
	for (uint32_t i = 0; i < CPUID_HV_MAX; i++)
		hypervisor_leaf(p, HV_CPUID_BASE + i, &t->hv[i]);
	for (uint32_t i = 0; i < KVM_CPUID_LEAVES; i++)
		kvm_leaf(p, KVM_CPUID_SIGNATURE + i, &t->kvm[i]);
	t->cr4_allowed = cpuid_cr4_allowed(t);
}

struct cpuid_result cpuid_table_lookup_slow(const struct cpuid_table *t, uint32_t apic_id,
					    uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_result r = { 0, 0, 0, 0 };
	if (leaf <= t->max_basic) {
		/* ECX >= 8: leaves that ignore it answer as for ECX = 0;
		 * indexed leaves have nothing there but the x2APIC ID. */
		if (subleaf < CPUID_SUBLEAVES)
			r = t->basic[leaf][subleaf];
		else if (!cpuid_leaf_is_indexed(leaf))
			r = t->basic[leaf][0];
		if ((CPUID_APIC_ID_LEAVES >> leaf) & 1)
			cpuid_patch_apic_id(&r, leaf, apic_id);
	} else if (leaf - CPUID_EXT_BASE <= t->max_ext - CPUID_EXT_BASE) {
		r = t->ext[leaf - CPUID_EXT_BASE];
	} else if (leaf - HV_CPUID_BASE < CPUID_HV_MAX) {
		r = t->hv[leaf - HV_CPUID_BASE];
	} else if (leaf - KVM_CPUID_SIGNATURE < KVM_CPUID_LEAVES) {
		r = t->kvm[leaf - KVM_CPUID_SIGNATURE];
	}
	return r;
}
