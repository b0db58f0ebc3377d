/* SPDX-License-Identifier: BSD-2-Clause */
#include "core/msr_policy.h"

/* Bits that only describe the processor (which flaws it lacks, which
 * mitigations behave how): the guest runs on that processor, so they are
 * true for it too. Left out: TSX_CTRL, MCU_CONTROL, MISC_PACKAGE_CTLS,
 * ENERGY_FILTERING_CTL, DOITM, FB_CLEAR_CTRL (each announces an MSR the
 * guest does not get) and SKIP_L1DFL_VMENTRY (for a hypervisor inside the
 * guest, and guests get no VMX). */
#define ARCH_CAP_GUEST_MASK                                                                    \
	(ARCH_CAP_RDCL_NO | ARCH_CAP_IBRS_ALL | ARCH_CAP_RSBA | ARCH_CAP_SSB_NO |              \
	 ARCH_CAP_MDS_NO | ARCH_CAP_PSCHANGE_MC_NO | ARCH_CAP_TAA_NO | ARCH_CAP_SBDR_SSDP_NO | \
	 ARCH_CAP_FBSDP_NO | ARCH_CAP_PSDP_NO | ARCH_CAP_FB_CLEAR | ARCH_CAP_RRSBA |           \
	 ARCH_CAP_BHI_NO | ARCH_CAP_PBRSB_NO | ARCH_CAP_GDS_NO | ARCH_CAP_RFDS_NO)

uint64_t msr_spec_ctrl_writable(const struct cpuid_table *t)
{
	uint64_t ok = 0;
	if (cpuid_table_has(t, CPUID_F_IBRS_IBPB) || cpuid_table_has(t, CPUID_F_AMD_IBRS))
		ok |= SPEC_CTRL_IBRS;
	if (cpuid_table_has(t, CPUID_F_STIBP) || cpuid_table_has(t, CPUID_F_AMD_STIBP))
		ok |= SPEC_CTRL_STIBP;
	if (cpuid_table_has(t, CPUID_F_SSBD) || cpuid_table_has(t, CPUID_F_AMD_SSBD))
		ok |= SPEC_CTRL_SSBD;
	return ok;
}

bool msr_guest_has_spec_ctrl(const struct cpuid_table *t)
{
	return msr_spec_ctrl_writable(t) != 0;
}

bool msr_guest_has_pred_cmd(const struct cpuid_table *t)
{
	return cpuid_table_has(t, CPUID_F_IBRS_IBPB) || cpuid_table_has(t, CPUID_F_AMD_IBPB);
}

bool msr_guest_has_flush_cmd(const struct cpuid_table *t)
{
	return cpuid_table_has(t, CPUID_F_L1D_FLUSH);
}

bool msr_guest_has_arch_caps(const struct cpuid_table *t)
{
	return cpuid_table_has(t, CPUID_F_ARCH_CAPS);
}

uint64_t msr_arch_caps_for_guest(uint64_t host)
{
	return host & ARCH_CAP_GUEST_MASK;
}
