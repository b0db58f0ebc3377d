/* SPDX-License-Identifier: BSD-2-Clause */
/* core/cpuid_policy.c: the guest's CPUID (SDM Vol. 2A "CPUID", AMD APM Vol. 3
 * Appendix E; hypervisor leaves in docs/hypercall-abi.md), computed from a
 * fake host that reports every feature bit set. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/cpuid_policy.h"
#include "core/msr_policy.h"

/* Leaf 1 ECX/EDX bits (SDM Vol. 2A Tables 3-10/3-11), leaf 7 and
 * 8000_0001h bits named by the test itself so it does not trust the module's
 * constants. */
#define ECX_MONITOR (1u << 3)
#define ECX_VMX (1u << 5)
#define ECX_SMX (1u << 6)
#define ECX_X2APIC (1u << 21)
#define ECX_XSAVE (1u << 26)
#define ECX_OSXSAVE (1u << 27)
#define ECX_AVX (1u << 28)
#define ECX_HYPERVISOR (1u << 31)
#define ECX_SSE3 (1u << 0)
#define ECX_SSE42 (1u << 20)
#define EDX_FPU (1u << 0)
#define EDX_APIC (1u << 9)
#define EDX_ACPI (1u << 22)
#define L7_EBX_AVX2 (1u << 5)
#define L7_EBX_AVX512F (1u << 16)
#define L7_EBX_BMI1 (1u << 3)
#define LX1_ECX_SVM (1u << 2)
#define LX1_ECX_LAHF (1u << 0)
#define LX1_EDX_LM (1u << 29)

static uint32_t host_max_basic = 0x16;
static uint32_t host_max_ext = 0x80000008;

/* "AuthenticAMD" as leaf 0 EBX, EDX, ECX. */
#define VENDOR_EBX 0x68747541u
#define VENDOR_EDX 0x69746e65u
#define VENDOR_ECX 0x444d4163u

static struct cpuid_result fake_host(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_result r = { 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu };
	if (leaf == 0)
		return (struct cpuid_result){ host_max_basic, VENDOR_EBX, VENDOR_ECX, VENDOR_EDX };
	if (leaf == 1)
		/* APIC ID 0x12, 0x34 logical processors, CLFLUSH line 8 qwords. */
		return (struct cpuid_result){ 0x00a20f10u, 0x12340800u, 0xffffffffu, 0xffffffffu };
	if (leaf == CPUID_EXT_BASE)
		return (struct cpuid_result){ host_max_ext, VENDOR_EBX, VENDOR_ECX, VENDOR_EDX };
	if (leaf == 0xb || leaf == 4)
		return (struct cpuid_result){ 0x100 + subleaf, 0x200 + subleaf, subleaf, 0x99 };
	if ((leaf & 0xffff0000u) == HV_CPUID_BASE)
		cr_assert_fail("the host is asked for hypervisor leaf %#x", leaf);
	return r;
}

static const struct cpuid_policy policy = {
	.vcpu_id = 3,
	.nr_vcpus = 4,
	.tsc_khz = 2500000,
	.lapic_khz = 1000000,
};

static struct cpuid_result apply(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_result r = fake_host(leaf, subleaf);
	cpuid_policy_apply(&policy, leaf, subleaf, &r);
	return r;
}

static struct cpuid_result apply_hv(uint32_t leaf)
{
	struct cpuid_result r = { 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu };
	cpuid_policy_apply(&policy, leaf, 0, &r);
	return r;
}

static void assert_zero(struct cpuid_result r, const char *what)
{
	cr_assert(r.eax == 0 && r.ebx == 0 && r.ecx == 0 && r.edx == 0, "%s: %08x %08x %08x %08x",
		  what, r.eax, r.ebx, r.ecx, r.edx);
}

static void assert_signature(struct cpuid_result r)
{
	char sig[12];
	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	cr_assert(memcmp(sig, "BulkheadHV\0\0", 12) == 0, "signature %.12s", sig);
}

Test(cpuid_policy, leaf1_hypervisor_bit_and_hidden_features)
{
	struct cpuid_result r = apply(1, 0);
	cr_assert(r.ecx & ECX_HYPERVISOR);
	cr_assert_not(r.ecx & ECX_VMX, "VMX must be hidden");
	cr_assert_not(r.ecx & ECX_SMX);
	cr_assert_not(r.ecx & ECX_MONITOR);
	cr_assert_not(r.ecx & ECX_XSAVE, "XSAVE state is not switched");
	cr_assert_not(r.ecx & ECX_OSXSAVE);
	cr_assert_not(r.ecx & ECX_AVX, "AVX needs XSAVE");
	cr_assert_not(r.ecx & ECX_X2APIC);
	cr_assert(r.ecx & (1u << 24), "the emulated LAPIC offers TSC-deadline mode");
	cr_assert_not(r.edx & EDX_ACPI);
	/* Ordinary features pass through. */
	cr_assert(r.ecx & ECX_SSE3);
	cr_assert(r.ecx & ECX_SSE42);
	cr_assert(r.edx & EDX_FPU);
	cr_assert(r.edx & EDX_APIC);
	cr_assert_eq(r.eax, 0x00a20f10u, "family/model/stepping unchanged");
}

Test(cpuid_policy, leaf1_apic_id_and_logical_count)
{
	struct cpuid_result r = apply(1, 0);
	cr_assert_eq(r.ebx >> 24, policy.vcpu_id, "initial APIC ID");
	cr_assert_eq((r.ebx >> 16) & 0xff, policy.nr_vcpus);
	cr_assert_eq(r.ebx & 0xffff, 0x0800, "CLFLUSH size and brand index kept");
}

Test(cpuid_policy, svm_hidden)
{
	struct cpuid_result r = apply(0x80000001, 0);
	cr_assert_not(r.ecx & LX1_ECX_SVM);
	cr_assert(r.ecx & LX1_ECX_LAHF);
	cr_assert(r.edx & LX1_EDX_LM, "long mode stays");
	assert_zero(apply(0x8000000a, 0), "SVM feature leaf");
}

Test(cpuid_policy, xsave_leaf_and_avx_hidden)
{
	for (uint32_t sub = 0; sub < 4; sub++)
		assert_zero(apply(0xd, sub), "leaf 0xD");
	struct cpuid_result r = apply(7, 0);
	cr_assert_not(r.ebx & L7_EBX_AVX2);
	cr_assert_not(r.ebx & L7_EBX_AVX512F);
	cr_assert(r.ebx & L7_EBX_BMI1, "non-vector features stay");
	assert_zero(apply(7, 1), "leaf 7 subleaf 1");
	assert_zero(apply(5, 0), "MONITOR leaf");
	assert_zero(apply(0xa, 0), "PMU leaf");
}

/* Features whose state or MSRs are not virtualised are hidden
 * (docs/cpu-state.md): protection keys, CET, CORE_CAPABILITIES and AMD's
 * VIRT_SSBD. (The speculation controls whose MSRs are emulated are offered
 * where the host has them: the cpuid_models tests.) */
Test(cpuid_policy, unswitched_state_hidden)
{
	struct cpuid_result r = apply(7, 0);
	cr_assert_not(r.ecx & (1u << 3), "PKU");
	cr_assert_not(r.ecx & (1u << 4), "OSPKE");
	cr_assert_not(r.ecx & (1u << 7), "CET_SS");
	cr_assert_not(r.edx & (1u << 20), "CET_IBT");
	cr_assert_not(r.edx & (1u << 30), "CORE_CAPABILITIES");
	cr_assert(r.ecx & (1u << 2), "UMIP stays");
	r = apply(0x80000008, 0);
	cr_assert_not(r.ebx & (1u << 25), "AMD VIRT_SSBD");
}

Test(cpuid_policy, hypervisor_leaves)
{
	struct cpuid_result r = apply_hv(HV_CPUID_BASE);
	cr_assert_eq(r.eax, 0x40000010u, "max hypervisor leaf");
	assert_signature(r);

	r = apply_hv(HV_CPUID_VERSION);
	cr_assert_eq(r.eax, HV_ABI_VERSION);
	cr_assert_eq(r.ebx | r.ecx | r.edx, 0);

	r = apply_hv(HV_CPUID_TIMING);
	cr_assert_eq(r.eax, 2500000u, "TSC kHz");
	cr_assert_eq(r.ebx, 1000000u, "LAPIC timer kHz");
	cr_assert_eq(r.ecx | r.edx, 0);

	/* Everything else in the range reads as zeros, whatever was in r. */
	assert_zero(apply_hv(0x40000002), "0x40000002");
	assert_zero(apply_hv(0x4000000f), "0x4000000f");
	assert_zero(apply_hv(0x40000011), "0x40000011");
	assert_zero(apply_hv(0x4000ffff), "0x4000ffff");
}

static struct cpuid_table table;

static void build(void)
{
	cpuid_table_build(&table, &policy, fake_host);
}

Test(cpuid_table, basic_leaves_and_vendor)
{
	build();
	struct cpuid_result r = cpuid_table_lookup(&table, 0, 0, 0);
	cr_assert_eq(r.eax, 0x16);
	cr_assert_eq(r.ebx, VENDOR_EBX);
	cr_assert_eq(r.ecx, VENDOR_ECX);
	cr_assert_eq(r.edx, VENDOR_EDX);
	assert_zero(cpuid_table_lookup(&table, 0, 0x17, 0), "above max basic");
	assert_zero(cpuid_table_lookup(&table, 0, 0x3fffffff, 0), "between ranges");
}

Test(cpuid_table, max_basic_clamped_to_table)
{
	host_max_basic = 0x24;
	build();
	cr_assert_eq(cpuid_table_lookup(&table, 0, 0, 0).eax, CPUID_BASIC_MAX - 1);
	assert_zero(cpuid_table_lookup(&table, 0, 0x20, 0), "leaf 0x20 is past the table");
	assert_zero(cpuid_table_lookup(&table, 0, 0x24, 0), "leaf 0x24");
	assert_zero(cpuid_table_lookup(&table, 0, UINT32_MAX, 0), "leaf ~0");
}

Test(cpuid_table, apic_id_per_vcpu)
{
	build();
	for (uint32_t id = 0; id < 4; id++) {
		struct cpuid_result r = cpuid_table_lookup(&table, id, 1, 0);
		cr_assert_eq(r.ebx >> 24, id);
		cr_assert_eq((r.ebx >> 16) & 0xff, policy.nr_vcpus);
		cr_assert(r.ecx & ECX_HYPERVISOR);
		cr_assert_not(r.ecx & (ECX_VMX | ECX_XSAVE));
		cr_assert_eq(cpuid_table_lookup(&table, id, 0xb, 1).edx, id, "x2APIC ID in leaf 0xB");
	}
}

Test(cpuid_table, subleaves)
{
	build();
	cr_assert_eq(cpuid_table_lookup(&table, 0, 4, 2).eax, 0x102);
	cr_assert_eq(cpuid_table_lookup(&table, 0, 4, 7).eax, 0x107);
	assert_zero(cpuid_table_lookup(&table, 0, 4, 8), "subleaf past the table");
	assert_zero(cpuid_table_lookup(&table, 0, 4, UINT32_MAX), "subleaf ~0");
	/* Non-indexed leaves ignore ECX. */
	struct cpuid_result a = cpuid_table_lookup(&table, 1, 1, 0),
			    b = cpuid_table_lookup(&table, 1, 1, 77);
	cr_assert(memcmp(&a, &b, sizeof(a)) == 0);
	for (uint32_t sub = 0; sub < 10; sub++)
		assert_zero(cpuid_table_lookup(&table, 0, 0xd, sub), "leaf 0xD");
	assert_zero(cpuid_table_lookup(&table, 0, 7, 1), "leaf 7.1");
}

Test(cpuid_table, extended_and_hypervisor_ranges)
{
	build();
	cr_assert_eq(cpuid_table_lookup(&table, 0, 0x80000000, 0).eax, 0x80000008);
	cr_assert_not(cpuid_table_lookup(&table, 0, 0x80000001, 0).ecx & LX1_ECX_SVM);
	assert_zero(cpuid_table_lookup(&table, 0, 0x80000009, 0), "above max extended");

	struct cpuid_result r = cpuid_table_lookup(&table, 2, HV_CPUID_BASE, 0);
	cr_assert_eq(r.eax, HV_CPUID_TIMING);
	assert_signature(r);
	cr_assert_eq(cpuid_table_lookup(&table, 2, HV_CPUID_TIMING, 0).eax, policy.tsc_khz);
	cr_assert_eq(cpuid_table_lookup(&table, 2, HV_CPUID_TIMING, 0).ebx, policy.lapic_khz);
	assert_zero(cpuid_table_lookup(&table, 2, HV_CPUID_TIMING + 1, 0),
		    "past the hypervisor range");
}

Test(cpuid_table, extended_max_clamped)
{
	host_max_ext = 0x80000028;
	build();
	cr_assert_eq(cpuid_table_lookup(&table, 0, 0x80000000, 0).eax,
		     CPUID_EXT_BASE + CPUID_EXT_MAX - 1);
	cr_assert_eq(cpuid_table_lookup(&table, 0, 0x8000000a, 0).eax, 0, "SVM leaf zero");
	assert_zero(cpuid_table_lookup(&table, 0, 0x80000020, 0), "past the table");
	assert_zero(cpuid_table_lookup(&table, 0, 0x80000028, 0), "past the table");

	/* A host without extended leaves (old Intel answers with max basic data). */
	host_max_ext = 0x16;
	build();
	cr_assert_eq(cpuid_table_lookup(&table, 0, 0x80000000, 0).eax, CPUID_EXT_BASE);
	assert_zero(cpuid_table_lookup(&table, 0, 0x80000001, 0), "no extended leaves");
}

Test(cpuid_table, fast_path_answers_plain_basic_leaves_only)
{
	build();
	/* A leaf that ignores ECX answers the same through the fast path for
	 * every ECX it covers, and the same as the full lookup. */
	const struct cpuid_result *f0 = cpuid_table_fast(&table, 0, 0);
	cr_assert_not_null(f0);
	for (uint32_t sub = 0; sub < CPUID_SUBLEAVES; sub++) {
		const struct cpuid_result *f = cpuid_table_fast(&table, 0, sub);
		cr_assert_not_null(f, "leaf 0 ECX %u", sub);
		cr_assert(memcmp(f, f0, sizeof(*f)) == 0, "leaf 0 ECX %u", sub);
	}
	cr_assert_eq(f0->ebx, VENDOR_EBX);
	/* An indexed leaf: one slot per ECX. */
	cr_assert_eq(cpuid_table_fast(&table, 4, 5)->eax, 0x105);
	/* The APIC-ID leaves, ECX >= 8 and the other ranges take the slow path. */
	cr_assert_null(cpuid_table_fast(&table, 1, 0), "leaf 1 carries the APIC ID");
	cr_assert_null(cpuid_table_fast(&table, 0xb, 0), "leaf 0xB carries the x2APIC ID");
	cr_assert_null(cpuid_table_fast(&table, 0, 8), "ECX 8");
	cr_assert_null(cpuid_table_fast(&table, 0x17, 0), "above max basic");
	cr_assert_null(cpuid_table_fast(&table, 0x80000000, 0), "extended");
	cr_assert_null(cpuid_table_fast(&table, HV_CPUID_BASE, 0), "hypervisor");
}

Test(cpuid_table, apic_id_in_every_subleaf)
{
	build();
	/* Leaf 1 ignores ECX: its APIC ID is patched whatever ECX holds. */
	cr_assert_eq(cpuid_table_lookup(&table, 2, 1, 5).ebx >> 24, 2);
	cr_assert_eq(cpuid_table_lookup(&table, 2, 1, 0x1234).ebx >> 24, 2);
	/* Leaf 0xB is indexed: past the table only EDX (the x2APIC ID) is set. */
	struct cpuid_result r = cpuid_table_lookup(&table, 3, 0xb, 9);
	cr_assert_eq(r.edx, 3);
	cr_assert_eq(r.eax | r.ebx | r.ecx, 0);
	cr_assert_eq(cpuid_table_lookup(&table, 1, 0xb, 7).eax, 0x107);
	cr_assert_eq(cpuid_table_lookup(&table, 1, 0xb, 7).edx, 1);
}

/* ---- the allow-list against real machines ----------------------------------
 * Host CPUID as four machines report it (leaves that matter; the values are
 * those of the models' feature lists, vendor strings shortened to the
 * registers), then what their guests see. */

struct host_leaf {
	uint32_t leaf, sub;
	struct cpuid_result r;
};

struct host_model {
	const char *name;
	const struct host_leaf *leaves;
	size_t n;
};

#define INTEL_EBX 0x756e6547u /* "GenuineIntel" */
#define INTEL_EDX 0x49656e69u
#define INTEL_ECX 0x6c65746eu

/* QEMU qemu64,+svm,+npt (TCG): the CI default. */
static const struct host_leaf qemu64_leaves[] = {
	{ 0, 0, { 0xd, VENDOR_EBX, VENDOR_ECX, VENDOR_EDX } },
	{ 1, 0, { 0x000f0fb1, 0x00000800, 0x80802001, 0x078bfbfd } },
	{ 0x80000000, 0, { 0x8000000a, VENDOR_EBX, VENDOR_ECX, VENDOR_EDX } },
	{ 0x80000001, 0, { 0x000f0fb1, 0, 0x00000065, 0x2191abfd } },
	{ 0x80000008, 0, { 0x00003028, 0, 0, 0 } },
	{ 0x8000000a, 0, { 1, 0x10, 0, 1 } },
};

/* QEMU -cpu max (TCG 7.2): XSAVE/AVX/AVX2, PKU, LA57, UMIP, RDPID, RDTSCP,
 * 1 GiB pages, 57-bit linear addresses. */
static const struct host_leaf max_leaves[] = {
	{ 0, 0, { 0xd, VENDOR_EBX, VENDOR_ECX, VENDOR_EDX } },
	{ 1, 0, { 0x000806f1, 0x00000800, 0xfed83203, 0x178bfbff } },
	{ 7, 0, { 0, 0x219c07ab, 0x0041061c, 0x00000000 } },
	{ 0xd, 0, { 0x207, 0x340, 0xa88, 0 } },
	{ 0xd, 1, { 0xf, 0, 0, 0 } },
	{ 0x80000000, 0, { 0x8000000a, VENDOR_EBX, VENDOR_ECX, VENDOR_EDX } },
	{ 0x80000001, 0, { 0x000806f1, 0, 0x00000165, 0xeffbfbff } },
	{ 0x80000008, 0, { 0x00003928, 0, 0, 0 } },
	{ 0x8000000a, 0, { 1, 0x10, 0, 0x10010001 } },
};

/* QEMU EPYC-Milan,+svm,+npt: AMD speculation controls in Fn8000_0008 EBX,
 * topology extensions, SEV leaf. */
static const struct host_leaf milan_leaves[] = {
	{ 0, 0, { 0xd, VENDOR_EBX, VENDOR_ECX, VENDOR_EDX } },
	{ 1, 0, { 0x00a00f11, 0x00000800, 0xfef83203, 0x178bfbff } },
	{ 7, 0, { 0, 0x219c07a9, 0x00400604, 0x00000010 } },
	{ 0xd, 0, { 0x7, 0x340, 0x340, 0 } },
	{ 0x80000000, 0, { 0x8000001f, VENDOR_EBX, VENDOR_ECX, VENDOR_EDX } },
	{ 0x80000001, 0, { 0x00a00f11, 0x40000000, 0x0040037f, 0x2fd3fbff } },
	{ 0x80000007, 0, { 0, 0, 0, 0x00000100 } },
	{ 0x80000008, 0, { 0x00003030, 0x0111d205, 0x0000707f, 0 } },
	{ 0x8000000a, 0, { 1, 0x10, 0, 0x0001af8d } },
	{ 0x8000001e, 0, { 3, 0x00000101, 0, 0 } },
	{ 0x8000001f, 0, { 0x0101fd3f, 0x00004173, 0x1fd, 1 } },
};

/* Bochs corei7_icelake_u: Intel, VMX, AVX-512, PKU (no LA57), the full set of
 * speculation controls with IA32_ARCH_CAPABILITIES. */
static const struct host_leaf icelake_leaves[] = {
	{ 0, 0, { 0x1b, INTEL_EBX, INTEL_ECX, INTEL_EDX } },
	{ 1, 0, { 0x000706e5, 0x00100800, 0x7ffafbbf, 0xbfebfbff } },
	{ 6, 0, { 0x000027f7, 2, 9, 0 } },
	{ 7, 0, { 0, 0xf2bf27ef, 0x40407f5e, 0xbc000410 } },
	{ 0xd, 0, { 0x2e7, 0xa88, 0xa88, 0 } },
	{ 0xa, 0, { 0x08300805, 0, 0, 0x8603 } },
	{ 0x14, 0, { 1, 0xf, 7, 0 } },
	{ 0x80000000, 0, { 0x80000008, 0, 0, 0 } },
	{ 0x80000001, 0, { 0, 0, 0x00000121, 0x2c100800 } },
	{ 0x80000007, 0, { 0, 0, 0, 0x00000100 } },
	{ 0x80000008, 0, { 0x00003027, 0x00000200, 0, 0 } },
};

#define MODEL(n, l)                              \
	{                                        \
		n, l, sizeof(l) / sizeof((l)[0]) \
	}
static const struct host_model models[] = {
	MODEL("qemu64", qemu64_leaves),
	MODEL("max", max_leaves),
	MODEL("EPYC-Milan", milan_leaves),
	MODEL("Icelake", icelake_leaves),
};
static const struct host_model *cur_model;

static struct cpuid_result model_host(uint32_t leaf, uint32_t subleaf)
{
	for (size_t i = 0; i < cur_model->n; i++)
		if (cur_model->leaves[i].leaf == leaf && cur_model->leaves[i].sub == subleaf)
			return cur_model->leaves[i].r;
	return (struct cpuid_result){ 0, 0, 0, 0 };
}

static struct cpuid_table mt;

static void build_model(const char *name, bool tsc_aux)
{
	struct cpuid_policy p = policy;
	p.tsc_aux = tsc_aux;
	cur_model = NULL;
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		if (!strcmp(models[i].name, name))
			cur_model = &models[i];
	cr_assert_not_null(cur_model, "%s", name);
	cpuid_table_build(&mt, &p, model_host);
}

static struct cpuid_result guest(uint32_t leaf, uint32_t sub)
{
	return cpuid_table_lookup(&mt, 0, leaf, sub);
}

/* CR4 bits (SDM Vol. 3A §2.5), named here so the test does not trust the
 * module's constants. */
#define T_CR4_VME (1ull << 0)
#define T_CR4_PVI (1ull << 1)
#define T_CR4_TSD (1ull << 2)
#define T_CR4_DE (1ull << 3)
#define T_CR4_PSE (1ull << 4)
#define T_CR4_PAE (1ull << 5)
#define T_CR4_MCE (1ull << 6)
#define T_CR4_PGE (1ull << 7)
#define T_CR4_PCE (1ull << 8)
#define T_CR4_OSFXSR (1ull << 9)
#define T_CR4_OSXMMEXCPT (1ull << 10)
#define T_CR4_UMIP (1ull << 11)
#define T_CR4_LA57 (1ull << 12)
#define T_CR4_VMXE (1ull << 13)
#define T_CR4_SMXE (1ull << 14)
#define T_CR4_FSGSBASE (1ull << 16)
#define T_CR4_PCIDE (1ull << 17)
#define T_CR4_OSXSAVE (1ull << 18)
#define T_CR4_SMEP (1ull << 20)
#define T_CR4_SMAP (1ull << 21)
#define T_CR4_PKE (1ull << 22)
#define T_CR4_CET (1ull << 23)
#define T_CR4_PKS (1ull << 24)

enum { A, B, C, D };
/* Which CPUID flag (leaf, subleaf 0, register, bit) announces which CR4
 * bit, from the SDM's CR4 description. */
static const struct {
	uint64_t cr4;
	uint32_t leaf;
	int reg;
	int bit;
} cr4_map[] = {
	{ T_CR4_VME, 1, D, 1 },         { T_CR4_PVI, 1, D, 1 },      { T_CR4_TSD, 1, D, 4 },
	{ T_CR4_DE, 1, D, 2 },          { T_CR4_PSE, 1, D, 3 },      { T_CR4_PAE, 1, D, 6 },
	{ T_CR4_MCE, 1, D, 7 },         { T_CR4_PGE, 1, D, 13 },     { T_CR4_OSFXSR, 1, D, 24 },
	{ T_CR4_OSXMMEXCPT, 1, D, 25 }, { T_CR4_UMIP, 7, C, 2 },     { T_CR4_LA57, 7, C, 16 },
	{ T_CR4_VMXE, 1, C, 5 },        { T_CR4_SMXE, 1, C, 6 },     { T_CR4_FSGSBASE, 7, B, 0 },
	{ T_CR4_PCIDE, 1, C, 17 },      { T_CR4_OSXSAVE, 1, C, 26 }, { T_CR4_SMEP, 7, B, 7 },
	{ T_CR4_SMAP, 7, B, 20 },       { T_CR4_PKE, 7, C, 3 },      { T_CR4_CET, 7, C, 7 },
	{ T_CR4_CET, 7, D, 20 },        { T_CR4_PKS, 7, C, 31 },
};

static uint32_t reg(struct cpuid_result r, int which)
{
	return which == A ? r.eax : which == B ? r.ebx : which == C ? r.ecx : r.edx;
}

/* For every machine: a CPUID flag the guest sees has its CR4 bit allowed,
 * and no CR4 bit is allowed whose flag it does not see (PCE excepted). */
static void assert_cr4_matches_cpuid(const char *what)
{
	uint64_t allowed = mt.cr4_allowed, explained = T_CR4_PCE;
	cr_assert_eq(allowed, cpuid_cr4_allowed(&mt), "%s: stored and computed agree", what);
	for (size_t i = 0; i < sizeof(cr4_map) / sizeof(cr4_map[0]); i++) {
		bool shown = (reg(guest(cr4_map[i].leaf, 0), cr4_map[i].reg) >> cr4_map[i].bit) & 1;
		if (shown) {
			cr_assert(allowed & cr4_map[i].cr4,
				  "%s: CPUID %#x bit %d offered but CR4 %#llx refused", what,
				  cr4_map[i].leaf, cr4_map[i].bit,
				  (unsigned long long)cr4_map[i].cr4);
			explained |= cr4_map[i].cr4;
		}
	}
	cr_assert_eq(allowed & ~explained, 0, "%s: CR4 bits %#llx allowed without their CPUID flag",
		     what, (unsigned long long)(allowed & ~explained));
	cr_assert_eq(allowed & (T_CR4_VMXE | T_CR4_SMXE | T_CR4_OSXSAVE | T_CR4_PKE | T_CR4_CET |
				T_CR4_PKS),
		     0, "%s: a CR4 bit that is not virtualised", what);
	cr_assert_eq(allowed >> 32, 0, "%s", what);
}

Test(cpuid_models, cr4_policy_follows_the_cpuid_the_guest_sees)
{
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
		build_model(models[i].name, false);
		assert_cr4_matches_cpuid(models[i].name);
		build_model(models[i].name, true);
		assert_cr4_matches_cpuid(models[i].name);
	}
	/* A host that claims everything. */
	cpuid_table_build(&mt, &policy, fake_host);
	assert_cr4_matches_cpuid("all ones");
}

Test(cpuid_models, qemu64)
{
	build_model("qemu64", false);
	struct cpuid_result r = guest(1, 0);
	cr_assert_eq(r.ecx, 0x80802001u | (1u << 24),
		     "SSE3, CX16, POPCNT, hypervisor, TSC deadline: %#x", r.ecx);
	cr_assert_eq(r.edx, 0x078bfbfdu | (1u << 28), "leaf 1 EDX unchanged, HTT for 4 vCPUs: %#x",
		     r.edx);
	r = guest(0x80000001, 0);
	cr_assert_eq(r.ecx, 0x61u, "LAHF, ABM, SSE4A; SVM hidden: %#x", r.ecx);
	cr_assert(r.edx & LX1_EDX_LM);
	cr_assert(guest(0x80000007, 0).edx & (1u << 8), "invariant TSC");
	/* qemu64 has no TSC_ADJUST; the emulated one is offered, so that
	 * Linux trusts the invariant TSC without a watchdog. */
	cr_assert(guest(7, 0).ebx & (1u << 1), "TSC_ADJUST: %#x", guest(7, 0).ebx);
	cr_assert_not(guest(7, 1).ebx & (1u << 1), "only subleaf 0");
	assert_zero(guest(0x8000000a, 0), "SVM leaf");
	cr_assert_eq(mt.cr4_allowed & T_CR4_SMEP, 0, "no SMEP on qemu64");
	cr_assert(mt.cr4_allowed & T_CR4_PAE);
}

Test(cpuid_models, max_offers_la57_hides_pku_and_xsave)
{
	build_model("max", false);
	struct cpuid_result l1 = guest(1, 0), l7 = guest(7, 0);
	cr_assert_not(l1.ecx & (ECX_XSAVE | ECX_OSXSAVE | ECX_AVX | (1u << 12) | (1u << 29)),
		      "XSAVE, AVX, FMA, F16C: %#x", l1.ecx);
	cr_assert(l1.ecx & (1u << 19), "SSE4.1 stays");
	cr_assert(l7.ecx & (1u << 16), "LA57: 5-level guest paging is virtualised");
	cr_assert_not(l7.ecx & (1u << 3), "PKU");
	cr_assert_not(l7.ecx & (1u << 4), "OSPKE");
	cr_assert_not(l7.ecx & ((1u << 9) | (1u << 10)), "VAES, VPCLMULQDQ need AVX");
	cr_assert_not(l7.ebx & L7_EBX_AVX2);
	cr_assert(l7.ebx & (1u << 7), "SMEP");
	cr_assert(l7.ebx & (1u << 20), "SMAP");
	cr_assert(l7.ecx & (1u << 2), "UMIP");
	cr_assert_eq(l7.eax, 0, "no subleaf past 0");
	for (uint32_t sub = 0; sub < 4; sub++)
		assert_zero(guest(0xd, sub), "XSAVE leaf");
	cr_assert_eq((guest(0x80000008, 0).eax >> 8) & 0xff, 57,
		     "linear addresses: 57 bits with LA57");
	cr_assert_eq(guest(0x80000008, 0).eax & 0xff, 0x28, "physical address bits kept");
	cr_assert(mt.cr4_allowed & T_CR4_LA57);
	cr_assert_eq(mt.cr4_allowed & (T_CR4_PKE | T_CR4_OSXSAVE), 0);
	cr_assert_eq(mt.cr4_allowed & (T_CR4_SMEP | T_CR4_SMAP | T_CR4_UMIP | T_CR4_FSGSBASE),
		     T_CR4_SMEP | T_CR4_SMAP | T_CR4_UMIP | T_CR4_FSGSBASE);
	/* Without a per-vCPU TSC_AUX, RDTSCP and RDPID are hidden; with it, offered. */
	cr_assert_not(guest(0x80000001, 0).edx & (1u << 27));
	cr_assert_not(l7.ecx & (1u << 22));
	build_model("max", true);
	cr_assert(guest(0x80000001, 0).edx & (1u << 27), "RDTSCP");
	cr_assert(guest(7, 0).ecx & (1u << 22), "RDPID");
}

Test(cpuid_models, epyc_milan)
{
	build_model("EPYC-Milan", true);
	struct cpuid_result x1 = guest(0x80000001, 0), x8 = guest(0x80000008, 0);
	cr_assert_not(x1.ecx & LX1_ECX_SVM);
	cr_assert_not(x1.ecx & (1u << 1), "CmpLegacy");
	cr_assert_not(x1.ecx & (1u << 22), "TOPOEXT (its leaves are not virtualised)");
	cr_assert_not(x1.ecx & (1u << 9), "OSVW");
	cr_assert_not(x1.edx & (1u << 25), "FFXSR: EFER.FFXSR is refused");
	cr_assert(x1.edx & (1u << 26), "1 GiB pages");
	cr_assert_eq(x8.ebx & ((1u << 12) | (1u << 14) | (1u << 15) | (1u << 24)),
		     (1u << 12) | (1u << 14) | (1u << 15) | (1u << 24), "IBPB IBRS STIBP SSBD: %#x",
		     x8.ebx);
	cr_assert_not(x8.ebx & (1u << 9), "WBNOINVD");
	cr_assert_eq(x8.ecx, policy.nr_vcpus - 1, "NC only: %#x", x8.ecx);
	cr_assert_eq(x8.edx, 0);
	assert_zero(guest(0x8000001e, 0), "topology extensions");
	assert_zero(guest(0x8000001f, 0), "SEV");
	assert_zero(guest(0x8000000a, 0), "SVM");
	cr_assert_eq(guest(0x80000007, 0).edx, 1u << 8, "TscInvariant only");
	cr_assert_not(guest(7, 0).ecx & (1u << 3), "PKU");
	/* The MSRs behind the flags. */
	cr_assert_eq(msr_spec_ctrl_writable(&mt), 7u, "IBRS, STIBP, SSBD");
	cr_assert(msr_guest_has_spec_ctrl(&mt));
	cr_assert(msr_guest_has_pred_cmd(&mt));
	cr_assert_not(msr_guest_has_flush_cmd(&mt));
	cr_assert_not(msr_guest_has_arch_caps(&mt));
}

Test(cpuid_models, icelake)
{
	build_model("Icelake", true);
	struct cpuid_result l1 = guest(1, 0), l7 = guest(7, 0);
	cr_assert_not(l1.ecx & (ECX_VMX | ECX_MONITOR | ECX_X2APIC | ECX_XSAVE | ECX_AVX), "%#x",
		      l1.ecx);
	cr_assert_not(l1.ecx & (1u << 15), "PDCM: no IA32_PERF_CAPABILITIES");
	cr_assert_not(l1.ecx & (1u << 14), "xTPR");
	cr_assert(l1.ecx & (1u << 17), "PCID");
	cr_assert_not(l7.ebx & L7_EBX_AVX512F);
	cr_assert_not(l7.ebx & (1u << 2), "SGX");
	cr_assert_not(l7.ecx & (1u << 3), "PKU");
	cr_assert_not(l7.ecx & (1u << 16), "no LA57 on this host");
	cr_assert_eq(l7.edx,
		     (1u << 4) | (1u << 10) | (1u << 26) | (1u << 27) | (1u << 28) | (1u << 29) |
				     (1u << 31),
		     "FSRM MD_CLEAR IBRS_IBPB STIBP L1D_FLUSH ARCH_CAPABILITIES SSBD: %#x", l7.edx);
	assert_zero(guest(6, 0), "thermal and power");
	assert_zero(guest(0xa, 0), "PMU");
	assert_zero(guest(0x14, 0), "processor trace");
	assert_zero(guest(0xd, 0), "XSAVE");
	cr_assert_eq(msr_spec_ctrl_writable(&mt), 7u);
	cr_assert(msr_guest_has_pred_cmd(&mt));
	cr_assert(msr_guest_has_flush_cmd(&mt));
	cr_assert(msr_guest_has_arch_caps(&mt));
	cr_assert(mt.cr4_allowed & T_CR4_PCIDE);
	cr_assert_eq(mt.cr4_allowed & (T_CR4_VMXE | T_CR4_PKE | T_CR4_LA57), 0);
	cr_assert_eq((guest(0x80000008, 0).eax >> 8) & 0xff, 48, "linear addresses as the host: 48");
}

Test(cpuid_models, speculation_msrs_need_their_flags)
{
	build_model("qemu64", true);
	cr_assert_eq(msr_spec_ctrl_writable(&mt), 0);
	cr_assert_not(msr_guest_has_spec_ctrl(&mt));
	cr_assert_not(msr_guest_has_pred_cmd(&mt));
	cr_assert_not(msr_guest_has_flush_cmd(&mt));
	cr_assert_not(msr_guest_has_arch_caps(&mt));
}

Test(cpuid_models, arch_capabilities_value)
{
	/* Bits describing the processor pass; bits announcing MSRs the guest
	 * does not have (TSX_CTRL 7, MCU_CONTROL 9, MISC_PACKAGE_CTLS 10,
	 * ENERGY_FILTERING_CTL 11, DOITM 12, FB_CLEAR_CTRL 18) and
	 * SKIP_L1DFL_VMENTRY (3) do not. */
	cr_assert_eq(msr_arch_caps_for_guest(0x1f), 0x17, "RDCL_NO IBRS_ALL RSBA SSB_NO");
	cr_assert_eq(msr_arch_caps_for_guest(1ull << 7), 0, "TSX_CTRL");
	cr_assert_eq(msr_arch_caps_for_guest((1ull << 9) | (1ull << 10) | (1ull << 11) |
					     (1ull << 12) | (1ull << 18)),
		     0);
	cr_assert_eq(msr_arch_caps_for_guest((1ull << 5) | (1ull << 8) | (1ull << 17) | (1ull << 26)),
		     (1ull << 5) | (1ull << 8) | (1ull << 17) | (1ull << 26),
		     "MDS_NO TAA_NO FB_CLEAR GDS_NO");
	cr_assert_eq(msr_arch_caps_for_guest(~0ull) >> 32, 0, "no unknown bit");
}

Test(cpuid_models, unknown_leaves_read_zero)
{
	cpuid_table_build(&mt, &policy, fake_host); /* every host bit set */
	static const uint32_t hidden[] = { 3,   5,   6,   8,    9,    0xa,  0xc,
					   0xd, 0xe, 0xf, 0x10, 0x12, 0x13, 0x14 };
	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
		for (uint32_t sub = 0; sub < 3; sub++)
			assert_zero(guest(hidden[i], sub), "hidden basic leaf");
	assert_zero(guest(0x80000009, 0), "reserved extended leaf");
	assert_zero(guest(7, 1), "leaf 7 subleaf 1");
	cr_assert_eq(guest(7, 0).eax, 0, "leaf 7 reports no subleaf past 0");
	cr_assert_eq(guest(0x80000007, 0).eax | guest(0x80000007, 0).ebx | guest(0x80000007, 0).ecx,
		     0);
}

/* The MOV-to-CR4 rules are tested in test_cr_policy.c. */

/* WRMSR to EFER: LME may not change under paging (found by atk-entry: on
 * VMX the write went through and the next VM entry failed). */
Test(efer_write, lme_fixed_while_paging)
{
	uint64_t lme = 1ull << 8, lma = 1ull << 10, sce = 1, nxe = 1ull << 11, pg = 1ull << 31;
	cr_assert_not(efer_write_ok(lme | lma, lma, pg | 1), "LME off under paging");
	cr_assert_not(efer_write_ok(0, lme, pg | 1), "LME on under 32-bit paging");
	cr_assert(efer_write_ok(lme | lma, lme | lma | sce | nxe, pg | 1), "other bits");
	cr_assert(efer_write_ok(0, lme, 1), "LME on before paging (the way into long mode)");
	cr_assert(efer_write_ok(lme, 0, 1), "LME off without paging");
}

/* x2APIC and KVM's leaves (manifest keys x2apic= and kvm-pv=). */
static const struct cpuid_policy pv_policy = {
	.vcpu_id = 1,
	.nr_vcpus = 2,
	.tsc_khz = 2500000,
	.lapic_khz = 1000000,
	.x2apic = true,
	.kvm_pv = true,
};

static struct cpuid_result host_without_x2apic(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_result r = fake_host(leaf, subleaf);
	if (leaf == 1)
		r.ecx &= ~ECX_X2APIC;
	return r;
}

Test(cpuid_policy, x2apic_offered_whatever_the_host_has)
{
	struct cpuid_table t;
	cpuid_table_build(&t, &pv_policy, host_without_x2apic);
	cr_assert(cpuid_table_lookup(&t, 1, 1, 0).ecx & ECX_X2APIC, "the LAPIC is emulated");
	cr_assert(cpuid_table_has(&t, CPUID_F_X2APIC));
	cpuid_table_build(&t, &policy, fake_host);
	cr_assert_not(cpuid_table_lookup(&t, 3, 1, 0).ecx & ECX_X2APIC, "x2apic=off hides it");
}

Test(cpuid_policy, kvm_leaves_after_bulkheads_own)
{
	struct cpuid_table t;
	cpuid_table_build(&t, &pv_policy, fake_host);
	struct cpuid_result r = cpuid_table_lookup(&t, 1, KVM_CPUID_SIGNATURE, 0);
	char sig[12];
	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	cr_assert(memcmp(sig, "KVMKVMKVM\0\0\0", 12) == 0, "signature %.12s", sig);
	cr_assert_eq(r.eax, 0x40000101u, "max KVM leaf");
	r = cpuid_table_lookup(&t, 1, KVM_CPUID_FEATURES, 0);
	cr_assert_eq(r.eax, (1u << 1) | (1u << 6), "NOP_IO_DELAY and PV_EOI only: %#x", r.eax);
	cr_assert_eq(r.ebx | r.ecx | r.edx, 0, "no hints");
	assert_signature(cpuid_table_lookup(&t, 1, HV_CPUID_BASE, 0));
	assert_zero(cpuid_table_lookup(&t, 1, 0x40000102, 0), "past the KVM leaves");
}

Test(cpuid_policy, kvm_leaves_zero_when_off)
{
	struct cpuid_table t;
	cpuid_table_build(&t, &policy, fake_host);
	assert_zero(cpuid_table_lookup(&t, 3, KVM_CPUID_SIGNATURE, 0), "kvm-pv=off");
	assert_zero(cpuid_table_lookup(&t, 3, KVM_CPUID_FEATURES, 0), "kvm-pv=off");
	assert_zero(apply_hv(KVM_CPUID_SIGNATURE), "kvm-pv=off");
}

Test(cpuid_table, maxphyaddr_from_leaf_80000008)
{
	struct cpuid_table t;
	memset(&t, 0, sizeof(t));
	t.max_ext = 0x80000008;
	t.ext[8].eax = 0x3028; /* 48-bit linear, 40-bit physical */
	cr_assert_eq(cpuid_table_maxphyaddr(&t), 40);
	t.max_ext = 0x80000004;
	cr_assert_eq(cpuid_table_maxphyaddr(&t), 36, "no leaf: 36 (SDM Vol. 3A 4.1.4)");
	t.max_ext = 0x80000008;
	t.ext[8].eax = 0;
	cr_assert_eq(cpuid_table_maxphyaddr(&t), 36);
}
