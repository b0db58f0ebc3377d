/* SPDX-License-Identifier: BSD-2-Clause */
/* core/spec_policy.c: the speculation barriers between partitions, by
 * what the host CPU reports (CPUID bits, IA32_ARCH_CAPABILITIES). */
#include <criterion/criterion.h>
#include <string.h>

#include "core/msr_policy.h"
#include "core/spec_policy.h"

static const struct spec_host skylake_vmx = {
	.intel = true,
	.vmx = true,
	.ibpb = true,
	.md_clear = true,
	.l1d_flush = true,
};

Test(spec_policy, bare_cpu_only_fills_the_rsb)
{
	struct spec_host h = { 0 };
	cr_assert_eq(spec_decide(&h), SPEC_RSB_FILL_ON_EXIT);
	h.vmx = h.intel = true;
	cr_assert_eq(spec_decide(&h), SPEC_RSB_FILL_ON_EXIT);
}

Test(spec_policy, vulnerable_intel_gets_everything)
{
	cr_assert_eq(spec_decide(&skylake_vmx), SPEC_IBPB_ON_SWITCH | SPEC_VERW_ON_ENTRY |
								SPEC_L1D_FLUSH_ON_ENTRY |
								SPEC_RSB_FILL_ON_EXIT);
}

Test(spec_policy, l1d_flush_skipped_when_arch_cap_says_so)
{
	struct spec_host h = skylake_vmx;
	h.has_arch_cap = true;
	h.arch_cap = ARCH_CAP_SKIP_L1DFL_VMENTRY;
	cr_assert_not(spec_decide(&h) & SPEC_L1D_FLUSH_ON_ENTRY);
	h.arch_cap = ARCH_CAP_RDCL_NO;
	cr_assert_not(spec_decide(&h) & SPEC_L1D_FLUSH_ON_ENTRY);
	h.arch_cap = ARCH_CAP_MDS_NO; /* says nothing about L1TF */
	cr_assert(spec_decide(&h) & SPEC_L1D_FLUSH_ON_ENTRY);
}

Test(spec_policy, arch_cap_value_ignored_without_the_msr)
{
	struct spec_host h = skylake_vmx;
	h.has_arch_cap = false;
	h.arch_cap = ARCH_CAP_RDCL_NO | ARCH_CAP_MDS_NO | ARCH_CAP_TAA_NO;
	cr_assert(spec_decide(&h) & SPEC_L1D_FLUSH_ON_ENTRY);
	cr_assert(spec_decide(&h) & SPEC_VERW_ON_ENTRY);
}

Test(spec_policy, l1d_flush_only_for_intel_vmx)
{
	struct spec_host h = skylake_vmx;
	h.vmx = false;
	cr_assert_not(spec_decide(&h) & SPEC_L1D_FLUSH_ON_ENTRY, "SVM: AMD is not affected by L1TF");
	h = skylake_vmx;
	h.intel = false;
	cr_assert_not(spec_decide(&h) & SPEC_L1D_FLUSH_ON_ENTRY);
	h = skylake_vmx;
	h.l1d_flush = false;
	cr_assert_not(spec_decide(&h) & SPEC_L1D_FLUSH_ON_ENTRY, "no FLUSH_CMD to write");
}

Test(spec_policy, verw_needs_md_clear_and_is_dropped_only_for_mds_no_and_taa_no)
{
	struct spec_host h = skylake_vmx;
	h.md_clear = false;
	cr_assert_not(spec_decide(&h) & SPEC_VERW_ON_ENTRY, "without MD_CLEAR VERW clears nothing");
	h = skylake_vmx;
	h.has_arch_cap = true;
	h.arch_cap = ARCH_CAP_MDS_NO;
	cr_assert(spec_decide(&h) & SPEC_VERW_ON_ENTRY, "TAA still applies");
	h.arch_cap = ARCH_CAP_MDS_NO | ARCH_CAP_TAA_NO;
	cr_assert_not(spec_decide(&h) & SPEC_VERW_ON_ENTRY);
}

Test(spec_policy, ibpb_where_the_cpu_has_it)
{
	struct spec_host h = { .ibpb = true };
	cr_assert(spec_decide(&h) & SPEC_IBPB_ON_SWITCH, "AMD Fn8000_0008 EBX[12] counts too");
	h.ibpb = false;
	cr_assert_not(spec_decide(&h) & SPEC_IBPB_ON_SWITCH);
}

Test(spec_policy, describe)
{
	char buf[128];
	spec_describe(SPEC_RSB_FILL_ON_EXIT, buf, sizeof(buf));
	cr_assert_str_eq(buf, "rsb-fill-on-exit");
	spec_describe(spec_decide(&skylake_vmx), buf, sizeof(buf));
	cr_assert_str_eq(buf, "ibpb-on-switch verw-on-entry l1d-flush-on-entry rsb-fill-on-exit");
	spec_describe(0, buf, sizeof(buf));
	cr_assert_str_eq(buf, "none");
	spec_describe(SPEC_IBPB_ON_SWITCH | SPEC_VERW_ON_ENTRY, buf, 20);
	cr_assert_str_eq(buf, "ibpb-on-switch", "cut at a whole name");
}
