/* SPDX-License-Identifier: BSD-2-Clause */
/* What CPUID tells a guest (docs/hypercall-abi.md lists the hypervisor
 * leaves). The host's answer goes through an allow-list: a feature bit
 * reaches the guest only if the host has it and Bulkhead virtualises what
 * goes with it (the CR4 bit it enables, its MSRs, its XSAVE state);
 * everything else, and every leaf not listed, reads as zero. The CR4 bits a
 * guest may set are derived from the same table (cpuid_cr4_allowed), so the
 * two cannot disagree. The hypervisor bit and leaves 0x40000000+ are added.
 * Pure code. */
#ifndef BULKHEAD_CORE_CPUID_POLICY_H
#define BULKHEAD_CORE_CPUID_POLICY_H

#include "core/types.h"

struct cpuid_result {
	uint32_t eax, ebx, ecx, edx;
};

struct cpuid_policy {
	uint32_t vcpu_id; /* initial APIC ID */
	uint32_t nr_vcpus;
	uint32_t tsc_khz;
	uint32_t lapic_khz;
	/* The backend gives each vCPU its own IA32_TSC_AUX: RDTSCP and RDPID
	 * may be offered. */
	bool tsc_aux;
	/* x2APIC mode is offered (CPUID.1:ECX[21]) whatever the host has: the
	 * guest's local APIC is emulated, its MSRs always intercepted. */
	bool x2apic;
	/* KVM's paravirtual leaves at 0x40000100 (below), which Linux finds
	 * by its signature: then it also takes x2APIC without an IOMMU. */
	bool kvm_pv;
};

#define HV_CPUID_BASE 0x40000000u
#define HV_CPUID_VERSION 0x40000001u
#define HV_CPUID_TIMING 0x40000010u
#define HV_ABI_VERSION 0x00010000u

/* KVM's paravirtual interface (Linux Documentation/virt/kvm/x86/cpuid.rst):
 * a second signature block after Bulkhead's own, as Linux scans
 * 0x40000000-0x4000ff00 in steps of 0x100 for "KVMKVMKVM". Only features
 * Bulkhead implements are set: NOP_IO_DELAY (port 0x80 delays become
 * no-ops) and PV_EOI (docs/hypercall-abi.md, "KVM-compatible leaves"). */
#define KVM_CPUID_SIGNATURE 0x40000100u
#define KVM_CPUID_FEATURES 0x40000101u
#define KVM_CPUID_LEAVES 2u
#define KVM_FEATURE_NOP_IO_DELAY BIT(1)
#define KVM_FEATURE_PV_EOI BIT(6)

/* The guest's CPUID, computed once per partition (so the exit path is a
 * table lookup, not a policy evaluation). Basic leaves 0..0x1f with up to 8
 * subleaves, extended leaves 0x80000000..0x8000001f, hypervisor leaves
 * 0x40000000..0x40000010 and 0x40000100..0x40000101; anything else reads as
 * zeros. A leaf that ignores
 * ECX has its answer in all 8 subleaf slots, so the common lookup needs no
 * "is this leaf indexed" test. The per-vCPU APIC ID fields are patched at
 * lookup (cpuid_table_lookup). */
#define CPUID_BASIC_MAX 0x20u
#define CPUID_SUBLEAVES 8u
#define CPUID_EXT_BASE 0x80000000u
#define CPUID_EXT_MAX 0x20u
#define CPUID_HV_MAX 0x11u

struct cpuid_table {
	struct cpuid_result basic[CPUID_BASIC_MAX][CPUID_SUBLEAVES];
	struct cpuid_result ext[CPUID_EXT_MAX];
	struct cpuid_result hv[CPUID_HV_MAX];
	struct cpuid_result kvm[KVM_CPUID_LEAVES];
	uint32_t max_basic, max_ext;
	uint64_t cr4_allowed; /* cpuid_cr4_allowed(), kept for the exit path */
};

/* One feature flag of subleaf 0 of a leaf: which register, which bit. */
enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };
struct cpuid_feature {
	uint32_t leaf;
	uint8_t reg;
	uint8_t bit;
};

/* The flags other modules ask the guest's table about: speculation
 * control (SDM Vol. 2A CPUID leaf 07H EDX; AMD APM Vol. 3 App. E.4.7,
 * Fn8000_0008 EBX). */
#define CPUID_F_IBRS_IBPB \
	((struct cpuid_feature){ 7, CPUID_EDX, 26 })                /* SPEC_CTRL.IBRS, PRED_CMD */
#define CPUID_F_X2APIC ((struct cpuid_feature){ 1, CPUID_ECX, 21 }) /* IA32_APIC_BASE.EXTD */
#define CPUID_F_STIBP ((struct cpuid_feature){ 7, CPUID_EDX, 27 })  /* SPEC_CTRL.STIBP */
#define CPUID_F_L1D_FLUSH ((struct cpuid_feature){ 7, CPUID_EDX, 28 }) /* IA32_FLUSH_CMD */
#define CPUID_F_ARCH_CAPS ((struct cpuid_feature){ 7, CPUID_EDX, 29 }) /* IA32_ARCH_CAPABILITIES */
#define CPUID_F_SSBD ((struct cpuid_feature){ 7, CPUID_EDX, 31 })      /* SPEC_CTRL.SSBD */
#define CPUID_F_AMD_IBPB ((struct cpuid_feature){ 0x80000008, CPUID_EBX, 12 })
#define CPUID_F_AMD_IBRS ((struct cpuid_feature){ 0x80000008, CPUID_EBX, 14 })
#define CPUID_F_AMD_STIBP ((struct cpuid_feature){ 0x80000008, CPUID_EBX, 15 })
#define CPUID_F_AMD_SSBD ((struct cpuid_feature){ 0x80000008, CPUID_EBX, 24 })

/* Does the guest's CPUID (subleaf 0) show feature f? */
bool cpuid_table_has(const struct cpuid_table *t, struct cpuid_feature f);

/* CR4 bits a guest of this table may set: PCE, and each bit whose feature
 * the table offers. Never more than CR4_VIRTUALISED (cpuid_policy.c). */
uint64_t cpuid_cr4_allowed(const struct cpuid_table *t);

/* Whether a MOV to CR4 is legal is core/cr_policy.h's to say. */

/* WRMSR to IA32_EFER (SDM Vol. 4 Table 2-2, Vol. 3A §10.8.5; APM Vol. 2
 * §3.1.7): changing LME while CR0.PG is set is #GP. Without this check a
 * guest could leave LMA = 1 with LME = 0 under paging, which VM entry
 * refuses (SDM Vol. 3C §27.3.1.1): "VM entry failed" instead of a #GP.
 * False means #GP. */
bool efer_write_ok(uint64_t old_efer, uint64_t new_efer, uint64_t cr0);

typedef struct cpuid_result (*cpuid_host_fn)(uint32_t leaf, uint32_t subleaf);

void cpuid_table_build(struct cpuid_table *t, const struct cpuid_policy *p, cpuid_host_fn host);
/* Leaves whose answer depends on ECX (SDM Vol. 2A CPUID): 4, 7, 0xb, 0xd,
 * 0xf, 0x10, 0x12, 0x14, 0x17, 0x18, 0x1f. */
#define CPUID_INDEXED_LEAVES 0x8195a890u
/* Leaves holding the APIC ID: 1 (EBX[31:24]), 0xb and 0x1f (EDX, the
 * x2APIC ID, in every subleaf). */
#define CPUID_APIC_ID_LEAVES (BIT(1) | BIT(0xb) | BIT(0x1f))
#define L1_EBX_APIC_ID_SHIFT 24

static inline bool cpuid_leaf_is_indexed(uint32_t leaf)
{
	return leaf < 32 && ((CPUID_INDEXED_LEAVES >> leaf) & 1);
}

/* Put vCPU apic_id into r, the table's answer for a leaf of
 * CPUID_APIC_ID_LEAVES. */
static inline void cpuid_patch_apic_id(struct cpuid_result *r, uint32_t leaf, uint32_t apic_id)
{
	if (leaf == 1)
		r->ebx = (r->ebx & 0x00ffffffu) | (apic_id << L1_EBX_APIC_ID_SHIFT);
	else
		r->edx = apic_id;
}

/* The common case, answered by one indexed load: a basic leaf without an
 * APIC ID, ECX below 8. NULL for anything else. */
static inline const struct cpuid_result *cpuid_table_fast(const struct cpuid_table *t,
							  uint32_t leaf, uint32_t subleaf)
{
	/* leaf <= max_basic < CPUID_BASIC_MAX = 32: the shift is defined */
	if (leaf <= t->max_basic && subleaf < CPUID_SUBLEAVES && !((CPUID_APIC_ID_LEAVES >> leaf) & 1))
		return &t->basic[0][0] + (leaf * CPUID_SUBLEAVES + subleaf);
	return NULL;
}

/* Any lookup (cpuid_table_lookup calls it when cpuid_table_fast cannot
 * answer). */
struct cpuid_result cpuid_table_lookup_slow(const struct cpuid_table *t, uint32_t apic_id,
					    uint32_t leaf, uint32_t subleaf);

/* CPUID.1:EDX.APIC reads 0 while the vCPU's IA32_APIC_BASE.EN is clear
 * (SDM Vol. 3A §10.4.3); r is the table's answer for leaf 1. */
#define L1_EDX_APIC_BIT BIT(9)
static inline void cpuid_apply_apic_enable(struct cpuid_result *r, bool apic_enabled)
{
	if (!apic_enabled)
		r->edx &= ~L1_EDX_APIC_BIT;
}

/* The guest's answer for vCPU apic_id. */
static inline struct cpuid_result cpuid_table_lookup(const struct cpuid_table *t, uint32_t apic_id,
						     uint32_t leaf, uint32_t subleaf)
{
	const struct cpuid_result *r = cpuid_table_fast(t, leaf, subleaf);
	return r ? *r : cpuid_table_lookup_slow(t, apic_id, leaf, subleaf);
}

/* MAXPHYADDR as the guest sees it: CPUID 8000_0008h EAX[7:0], or 36 where
 * that leaf is absent (SDM Vol. 3A §4.1.4). */
uint8_t cpuid_table_maxphyaddr(const struct cpuid_table *t);

/* r holds the host's answer for (leaf, subleaf) on entry, the guest's on
 * return. Leaves 0x4000xxxx are answered without the host. */
void cpuid_policy_apply(const struct cpuid_policy *p, uint32_t leaf, uint32_t subleaf,
			struct cpuid_result *r);

#endif
