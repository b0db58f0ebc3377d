/* SPDX-License-Identifier: BSD-2-Clause */
/* Which speculation barriers the hypervisor puts between partitions, from
 * what the host CPU says of itself (issue 12 item 7). Pure: the decision
 * table is tests/unit/test_spec_policy.c; arch/x86/cpu/spec.c reads the
 * inputs and carries the barriers out.
 *
 *   ibpb-on-switch      IA32_PRED_CMD.IBPB when a host CPU goes from one
 *                       partition's vCPU to another partition's: branch
 *                       predictions one partition trained must not steer
 *                       the next (Spectre v2 between guests). Where the CPU
 *                       has IBPB (CPUID 7 EDX[26], or AMD Fn8000_0008
 *                       EBX[12]).
 *   verw-on-entry       VERW before VMRUN/VMLAUNCH/VMRESUME, which with
 *                       MD_CLEAR (CPUID 7 EDX[10]) overwrites the store,
 *                       fill and load-port buffers (MDS, TAA): unless
 *                       ARCH_CAPABILITIES says MDS_NO and TAA_NO.
 *   l1d-flush-on-entry  IA32_FLUSH_CMD.L1D before a VMX entry (L1TF):
 *                       Intel with L1D_FLUSH (CPUID 7 EDX[28]), unless
 *                       ARCH_CAPABILITIES says RDCL_NO (not affected) or
 *                       SKIP_L1DFL_VMENTRY (no flush needed at entry).
 *   rsb-fill-on-exit    32 calls after every VM exit, so no return predicts
 *                       into an address the guest left in the return stack
 *                       buffer (SpectreRSB); on every CPU: the cost is a
 *                       few dozen instructions and no CPU flag says a
 *                       hypervisor may skip it in all cases.
 *
 * (Intel "Speculative Execution Side Channel Mitigations", "Deep Dive:
 * MDS", "Deep Dive: L1TF"; AMD "Software Techniques for Managing
 * Speculation"; SDM Vol. 4 Table 2-2 for ARCH_CAPABILITIES.) */
#ifndef BULKHEAD_CORE_SPEC_POLICY_H
#define BULKHEAD_CORE_SPEC_POLICY_H

#include "core/types.h"

#define SPEC_IBPB_ON_SWITCH BIT(0)
#define SPEC_VERW_ON_ENTRY BIT(1)
#define SPEC_L1D_FLUSH_ON_ENTRY BIT(2)
#define SPEC_RSB_FILL_ON_EXIT BIT(3)

struct spec_host {
	bool intel;
	bool vmx;          /* the VMX backend runs the guests */
	bool ibpb;         /* CPUID 7 EDX[26] or Fn8000_0008 EBX[12] */
	bool md_clear;     /* CPUID 7 EDX[10] */
	bool l1d_flush;    /* CPUID 7 EDX[28] */
	bool has_arch_cap; /* CPUID 7 EDX[29]: IA32_ARCH_CAPABILITIES exists */
	uint64_t arch_cap; /* its value, 0 without it */
};

uint32_t spec_decide(const struct spec_host *h);

/* The scheduler is about to run a vCPU of a partition other than the last
 * one that ran on this CPU: the barrier the decided set asks for (IBPB).
 * Declared here, implemented by the arch (arch/x86/cpu/spec.c), so the
 * scheduler needs no arch header. */
void spec_partition_switch(void);
/* "ibpb-on-switch verw-on-entry ..." in the order above, or "none". */
void spec_describe(uint32_t set, char *buf, size_t size);

#endif
