/* core/cpuid_policy.c: the guest's CPUID (SDM Vol. 2A "CPUID", AMD APM Vol. 3
 * Appendix E; hypervisor leaves in docs/hypercall-abi.md), computed from a
 * fake host that reports every feature bit set. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/cpuid_policy.h"

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
	cr_assert(r.eax == 0 && r.ebx == 0 && r.ecx == 0 && r.edx == 0, "%s: %08x %08x %08x %08x", what, r.eax,
		  r.ebx, r.ecx, r.edx);
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
 * (docs/cpu-state.md): protection keys, CET, the speculation controls. */
Test(cpuid_policy, unswitched_state_hidden)
{
	struct cpuid_result r = apply(7, 0);
	cr_assert_not(r.ecx & (1u << 3), "PKU");
	cr_assert_not(r.ecx & (1u << 4), "OSPKE");
	cr_assert_not(r.ecx & (1u << 7), "CET_SS");
	cr_assert_not(r.edx & (1u << 20), "CET_IBT");
	cr_assert_eq(r.edx & 0xfc000000u, 0, "IBRS, STIBP, L1D_FLUSH, ARCH_CAP, CORE_CAP, SSBD");
	cr_assert(r.ecx & (1u << 2), "UMIP stays");
	r = apply(0x80000008, 0);
	cr_assert_eq(r.ebx & ((1u << 12) | (1u << 14) | (1u << 15) | (1u << 24) | (1u << 25)), 0,
		     "AMD IBPB, IBRS, STIBP, SSBD, VIRT_SSBD");
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
	struct cpuid_result a = cpuid_table_lookup(&table, 1, 1, 0), b = cpuid_table_lookup(&table, 1, 1, 77);
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
	assert_zero(cpuid_table_lookup(&table, 2, HV_CPUID_TIMING + 1, 0), "past the hypervisor range");
}

Test(cpuid_table, extended_max_clamped)
{
	host_max_ext = 0x80000028;
	build();
	cr_assert_eq(cpuid_table_lookup(&table, 0, 0x80000000, 0).eax, CPUID_EXT_BASE + CPUID_EXT_MAX - 1);
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
