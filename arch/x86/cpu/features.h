/* SPDX-License-Identifier: BSD-2-Clause */
/* What the host CPU is and has, read once at boot for the banner and for
 * the backends' decisions. */
#ifndef BULKHEAD_ARCH_X86_CPU_FEATURES_H
#define BULKHEAD_ARCH_X86_CPU_FEATURES_H

#include "core/types.h"

enum cpu_vendor { CPU_VENDOR_OTHER, CPU_VENDOR_INTEL, CPU_VENDOR_AMD };

struct cpu_info {
	enum cpu_vendor vendor;
	char vendor_str[13];
	char brand[49];
	uint32_t family, model, stepping;
	bool has_vmx, has_svm, has_nx, has_1g_pages, has_x2apic, has_rdrand, has_rdseed,
			has_invariant_tsc, has_xsave, has_smep, has_smap;
	/* IA32_TSC_AUX exists (RDTSCP or RDPID): its value is the guest's to
	 * set, so the backends switch it between vCPUs. */
	bool has_tsc_aux;
	uint32_t max_leaf, max_ext_leaf;
	uint8_t phys_addr_bits;
	/* IA32_ARCH_CAPABILITIES, 0 if CPUID.7.EDX[29] says there is none */
	uint64_t arch_capabilities;
};

/* Filled by cpu_features_init() on the boot CPU; read-only afterwards. */
extern struct cpu_info boot_cpu;

void cpu_features_init(void);

#endif
