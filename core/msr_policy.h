/* SPDX-License-Identifier: BSD-2-Clause */
/* The speculation-control MSRs as a guest sees them, decided from the
 * guest's CPUID table (core/cpuid_policy.h), which offers their flags only
 * when the host has them. Pure code; core/msr.c does the accesses.
 *
 *   IA32_SPEC_CTRL (0x48)          per-vCPU value, in the hardware while the
 *                                  vCPU runs (core/exits.c); only the bits
 *                                  whose feature is offered may be set
 *   IA32_PRED_CMD (0x49)           write-only command: IBPB done on the host
 *   IA32_ARCH_CAPABILITIES (0x10a) read-only: the host's value, less the bits
 *                                  that announce MSRs the guest does not have
 *   IA32_FLUSH_CMD (0x10b)         write-only command: L1D flush on the host
 *
 * (Intel SDM Vol. 4 Table 2-2; Intel "Speculative Execution Side Channel
 * Mitigations"; AMD APM Vol. 2 and Vol. 3 App. E.4.7, Fn8000_0008 EBX.)
 *
 * Also the rules of the other MSRs whose values core checks (issue 14):
 *
 *   FS_BASE, GS_BASE, KERNEL_GS_BASE, LSTAR, CSTAR, SYSENTER_EIP,
 *   SYSENTER_ESP                   hold linear addresses: a non-canonical
 *                                  write is #GP (SDM Vol. 2B WRMSR, Vol. 3A
 *                                  §3.3.7.1; KVM adds CSTAR, as AMD)
 *   IA32_MISC_ENABLE (0x1a0)       a fixed value (fast strings, BTS and PEBS
 *                                  unavailable, performance monitoring only
 *                                  with a PMU); changing the read-only BTS/
 *                                  PEBS bits is #GP, other writes are
 *                                  ignored (as KVM's read-only bits)
 *   PMU                            none is virtualised: CPUID.0AH:EAX[7:0]
 *                                  is 0 and RDPMC is #GP (SDM Vol. 2B RDPMC) */
#ifndef BULKHEAD_CORE_MSR_POLICY_H
#define BULKHEAD_CORE_MSR_POLICY_H

#include "core/cpuid_policy.h"
#include "core/types.h"

#define MSR_IA32_SPEC_CTRL 0x48
#define MSR_IA32_PRED_CMD 0x49
#define MSR_IA32_ARCH_CAPABILITIES 0x10a
#define MSR_IA32_FLUSH_CMD 0x10b

#define SPEC_CTRL_IBRS BIT(0)
#define SPEC_CTRL_STIBP BIT(1)
#define SPEC_CTRL_SSBD BIT(2)
#define PRED_CMD_IBPB BIT(0)
#define FLUSH_CMD_L1D BIT(0)

/* IA32_ARCH_CAPABILITIES bits (SDM Vol. 4 Table 2-2). */
#define ARCH_CAP_RDCL_NO BIT(0)
#define ARCH_CAP_IBRS_ALL BIT(1)
#define ARCH_CAP_RSBA BIT(2)
#define ARCH_CAP_SKIP_L1DFL_VMENTRY BIT(3)
#define ARCH_CAP_SSB_NO BIT(4)
#define ARCH_CAP_MDS_NO BIT(5)
#define ARCH_CAP_PSCHANGE_MC_NO BIT(6)
#define ARCH_CAP_TSX_CTRL BIT(7)
#define ARCH_CAP_TAA_NO BIT(8)
#define ARCH_CAP_MCU_CONTROL BIT(9)
#define ARCH_CAP_MISC_PACKAGE_CTLS BIT(10)
#define ARCH_CAP_ENERGY_FILTERING_CTL BIT(11)
#define ARCH_CAP_DOITM BIT(12)
#define ARCH_CAP_SBDR_SSDP_NO BIT(13)
#define ARCH_CAP_FBSDP_NO BIT(14)
#define ARCH_CAP_PSDP_NO BIT(15)
#define ARCH_CAP_FB_CLEAR BIT(17)
#define ARCH_CAP_FB_CLEAR_CTRL BIT(18)
#define ARCH_CAP_RRSBA BIT(19)
#define ARCH_CAP_BHI_NO BIT(20)
#define ARCH_CAP_PBRSB_NO BIT(24)
#define ARCH_CAP_GDS_NO BIT(26)
#define ARCH_CAP_RFDS_NO BIT(27)

bool msr_guest_has_spec_ctrl(const struct cpuid_table *t);
/* The IA32_SPEC_CTRL bits this guest may set; any other bit is #GP. */
uint64_t msr_spec_ctrl_writable(const struct cpuid_table *t);
bool msr_guest_has_pred_cmd(const struct cpuid_table *t);
bool msr_guest_has_flush_cmd(const struct cpuid_table *t);
bool msr_guest_has_arch_caps(const struct cpuid_table *t);
/* What a guest reads from IA32_ARCH_CAPABILITIES on a host whose own
 * value is host. */
uint64_t msr_arch_caps_for_guest(uint64_t host);

/* IA32_MISC_ENABLE bits (SDM Vol. 4 Table 2-2). */
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MISC_ENABLE_FAST_STRINGS BIT(0)
#define MISC_ENABLE_PERF_MON BIT(7)
#define MISC_ENABLE_BTS_UNAVAIL BIT(11)
#define MISC_ENABLE_PEBS_UNAVAIL BIT(12)

/* IA32_APIC_BASE.EN (SDM Vol. 3A §10.4.4); the MSR is the board's. */
#define APIC_BASE_EN BIT(11)

/* Linear-address widths (SDM Vol. 3A §4.1.1: 4-level and 5-level paging). */
#define LA_BITS_4LEVEL 48
#define LA_BITS_5LEVEL 57

/* Does index hold a linear address that must be canonical? */
bool msr_holds_address(uint32_t index);
/* Is a canonical in a linear-address space of bits bits (bits 63:bits-1
 * all equal)? */
bool addr_is_canonical(uint64_t a, unsigned int bits);
/* The guest's linear-address width: CPUID.80000008H:EAX[15:8] of its
 * table, 48 or 57 (48 when absent or anything else). */
unsigned int msr_guest_la_bits(const struct cpuid_table *t);
/* Does the guest's CPUID offer a PMU (leaf 0AH version != 0)? */
bool msr_guest_has_pmu(const struct cpuid_table *t);
/* What IA32_MISC_ENABLE reads. */
uint64_t msr_misc_enable_value(bool pmu);
/* May the guest write val over cur? (The write changes nothing.) */
bool msr_misc_enable_write_ok(uint64_t cur, uint64_t val);

#endif
