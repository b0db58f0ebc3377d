/* SPDX-License-Identifier: BSD-2-Clause */
/* Speculation barriers between partitions (issue 12 item 7): which ones
 * this host needs is decided once at boot (core/spec_policy.h) and carried
 * out here, in the world-switch code (spec_asm.h) and in the scheduler's
 * partition switch. */
#ifndef BULKHEAD_ARCH_X86_CPU_SPEC_H
#define BULKHEAD_ARCH_X86_CPU_SPEC_H

#ifndef __ASSEMBLY__
#include "arch/x86/cpu/cpu.h"
#include "core/msr_policy.h"
#include "core/spec_policy.h"

/* SPEC_* of core/spec_policy.h; written once by the boot CPU before any
 * guest runs. */
extern uint32_t spec_mitigations;
/* Read by svm_entry.S and vmx_entry.S: 1 for VERW before each entry. */
extern uint8_t spec_verw_entry;

/* Decide from the boot CPU's CPUID and IA32_ARCH_CAPABILITIES, for the
 * backend in use, and print "cpu: mitigations: ...". */
void spec_init(bool vmx);

/* Just before a VMX entry. */
static inline void spec_before_vmx_entry(void)
{
	if (unlikely(spec_mitigations & SPEC_L1D_FLUSH_ON_ENTRY))
		wrmsr(MSR_IA32_FLUSH_CMD, FLUSH_CMD_L1D);
}
#endif

#endif
