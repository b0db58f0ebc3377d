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

/* The MSRs that hold linear addresses (SDM Vol. 4 Table 2-2 and AMD APM
 * Vol. 2 Table A-7): SYSENTER_ESP, SYSENTER_EIP, LSTAR, CSTAR, FS_BASE,
 * GS_BASE, KERNEL_GS_BASE. */
static const uint32_t address_msrs[] = {
	0x175, 0x176, 0xc0000082, 0xc0000083, 0xc0000100, 0xc0000101, 0xc0000102,
};

bool msr_holds_address(uint32_t index)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(address_msrs); i++)
		if (address_msrs[i] == index)
			return true;
	return false;
}

bool addr_is_canonical(uint64_t a, unsigned int bits)
{
	if (bits == 0 || bits >= 64)
		return true;
	int64_t s = (int64_t)(a << (64 - bits)) >> (64 - bits);
	return (uint64_t)s == a;
}

#define LEAF_ADDR_SIZES 0x80000008u
#define LEAF_PERFMON 0xau
#define LX8_EAX_LINEAR_SHIFT 8
#define PERFMON_EAX_VERSION_MASK 0xffu

unsigned int msr_guest_la_bits(const struct cpuid_table *t)
{
	struct cpuid_result r = cpuid_table_lookup(t, 0, LEAF_ADDR_SIZES, 0);
	unsigned int bits = (r.eax >> LX8_EAX_LINEAR_SHIFT) & 0xff;

	return bits == LA_BITS_5LEVEL ? LA_BITS_5LEVEL : LA_BITS_4LEVEL;
}

bool msr_guest_has_pmu(const struct cpuid_table *t)
{
	if (t->max_basic < LEAF_PERFMON)
		return false;
	return (cpuid_table_lookup(t, 0, LEAF_PERFMON, 0).eax & PERFMON_EAX_VERSION_MASK) != 0;
}

uint64_t msr_misc_enable_value(bool pmu)
{
	return MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL |
	       (pmu ? MISC_ENABLE_PERF_MON : 0);
}

bool msr_misc_enable_write_ok(uint64_t cur, uint64_t val)
{
	return !((cur ^ val) & (MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL));
}
