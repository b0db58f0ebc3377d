/* SPDX-License-Identifier: BSD-2-Clause */
/* Speculation barriers between partitions: the decision's inputs from the
 * boot CPU, the banner line, and the data the entry code reads
 * (arch/x86/cpu/spec.h). */
#include "arch/x86/cpu/features.h"
#include "arch/x86/cpu/gdt.h"
#include "arch/x86/cpu/spec.h"
#include "core/lib/string.h"
#include "core/log.h"

/* CPUID leaf 7 EDX (SDM Vol. 2A, CPUID) and AMD Fn8000_0008 EBX (APM
 * Vol. 3, Appendix E.4.7). */
#define CPUID7_EDX_MD_CLEAR BIT(10)
#define CPUID7_EDX_IBRS_IBPB BIT(26)
#define CPUID7_EDX_L1D_FLUSH BIT(28)
#define CPUID7_EDX_ARCH_CAP BIT(29)
#define AMD_8_EBX_IBPB BIT(12)

uint32_t spec_mitigations;
uint8_t spec_verw_entry;
/* The memory operand of VERW: the hypervisor's data selector. */
const uint16_t spec_verw_sel = GDT_SEL_DATA;

static struct spec_host read_host(bool vmx)
{
	struct spec_host h = { .vmx = vmx };
	uint32_t max = cpuid(0, 0).eax, max_ext = cpuid(0x80000000, 0).eax;

	h.intel = bh_memcmp(boot_cpu.vendor_str, "GenuineIntel", 12) == 0;
	if (max >= 7) {
		uint32_t edx = cpuid(7, 0).edx;
		h.ibpb = edx & CPUID7_EDX_IBRS_IBPB;
		h.md_clear = edx & CPUID7_EDX_MD_CLEAR;
		h.l1d_flush = edx & CPUID7_EDX_L1D_FLUSH;
		h.has_arch_cap = edx & CPUID7_EDX_ARCH_CAP;
	}
	if (max_ext >= 0x80000008 && (cpuid(0x80000008, 0).ebx & AMD_8_EBX_IBPB))
		h.ibpb = true;
	if (h.has_arch_cap)
		h.arch_cap = rdmsr(MSR_IA32_ARCH_CAPABILITIES);
	return h;
}

void spec_init(bool vmx)
{
	struct spec_host h = read_host(vmx);
	char names[96];

	spec_mitigations = spec_decide(&h);
	spec_verw_entry = (spec_mitigations & SPEC_VERW_ON_ENTRY) ? 1 : 0;
	spec_describe(spec_mitigations, names, sizeof(names));
	pr_info("cpu: mitigations: %s", names);
}

void spec_partition_switch(void)
{
	if (spec_mitigations & SPEC_IBPB_ON_SWITCH)
		wrmsr(MSR_IA32_PRED_CMD, PRED_CMD_IBPB);
}
