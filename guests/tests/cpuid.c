/* SPDX-License-Identifier: BSD-2-Clause */
/* cpuid: the guest-visible CPUID policy (docs/hypercall-abi.md, issue 3
 * "CPUID and MSRs"): a sane vendor, the hypervisor bit and leaves, and VMX /
 * SVM hidden. */
#include "rt.h"

#define CPUID_EXT_BASE 0x80000000
#define CPUID_EXT_FEATURES 0x80000001

static bool printable(uint32_t w)
{
	for (int i = 0; i < 4; i++, w >>= 8)
		if ((w & 0xff) < 0x20 || (w & 0xff) > 0x7e)
			return false;
	return true;
}

static void check_vendor(void)
{
	struct cpuid_regs r = cpuid(0, 0);
	char vendor[13];

	memcpy(vendor, &r.ebx, 4);
	memcpy(vendor + 4, &r.edx, 4);
	memcpy(vendor + 8, &r.ecx, 4);
	vendor[12] = '\0';
	rt_printf("cpuid: vendor \"%s\", max basic leaf 0x%x\n",
		  printable(r.ebx) && printable(r.edx) && printable(r.ecx) ? vendor : "(unprintable)",
		  r.eax);
	rt_check("leaf0_vendor",
		 (r.ebx == VENDOR_INTEL_EBX && r.edx == VENDOR_INTEL_EDX && r.ecx == VENDOR_INTEL_ECX) ||
				 (r.ebx == VENDOR_AMD_EBX && r.edx == VENDOR_AMD_EDX &&
				  r.ecx == VENDOR_AMD_ECX),
		 "vendor words 0x%x 0x%x 0x%x are neither GenuineIntel nor AuthenticAMD", r.ebx,
		 r.edx, r.ecx);
	rt_check("leaf0_max_leaf", r.eax >= 1 && r.eax < 0x100, "max basic leaf 0x%x", r.eax);
}

static void check_hv_leaves(void)
{
	struct cpuid_regs r1 = cpuid(1, 0);
	struct cpuid_regs hv = cpuid(CPUID_HV_BASE, 0);
	struct cpuid_regs abi;

	rt_check("leaf1_hypervisor_bit", r1.ecx & CPUID1_ECX_HYPERVISOR, "leaf 1 ECX 0x%x", r1.ecx);
	rt_check("hv_signature",
		 hv.ebx == BULKHEAD_SIG_EBX && hv.ecx == BULKHEAD_SIG_ECX &&
				 hv.edx == BULKHEAD_SIG_EDX,
		 "leaf 0x40000000 EBX ECX EDX = 0x%x 0x%x 0x%x, want \"BulkheadHV\"", hv.ebx,
		 hv.ecx, hv.edx);
	rt_check("hv_max_leaf", hv.eax >= CPUID_HV_ABI && hv.eax < CPUID_HV_BASE + 0x100,
		 "leaf 0x40000000 EAX 0x%x, want 0x40000001..0x400000ff", hv.eax);
	abi = cpuid(CPUID_HV_ABI, 0);
	rt_check_eq("hv_abi_version", "leaf 0x40000001 EAX", abi.eax, HC_ABI_VERSION);
	if (hv.eax >= CPUID_HV_TIMING) {
		struct cpuid_regs t = cpuid(CPUID_HV_TIMING, 0);

		rt_printf("cpuid: guest TSC %u kHz, LAPIC timer %u kHz\n", t.eax, t.ebx);
		rt_check("hv_tsc_khz", t.eax != 0, "leaf 0x40000010 EAX (TSC kHz) is 0");
	} else {
		rt_fail("hv_tsc_khz", "max hypervisor leaf 0x%x is below 0x40000010", hv.eax);
	}
}

static void check_virt_hidden(void)
{
	struct cpuid_regs r1 = cpuid(1, 0);
	struct cpuid_regs ext = cpuid(CPUID_EXT_BASE, 0);

	rt_check("vmx_hidden", !(r1.ecx & CPUID1_ECX_VMX), "leaf 1 ECX 0x%x has VMX (bit 5)", r1.ecx);
	if (ext.eax >= CPUID_EXT_FEATURES) {
		struct cpuid_regs e1 = cpuid(CPUID_EXT_FEATURES, 0);

		rt_check("svm_hidden", !(e1.ecx & CPUID_EXT1_ECX_SVM),
			 "leaf 0x80000001 ECX 0x%x has SVM (bit 2)", e1.ecx);
	} else {
		rt_pass("svm_hidden");
	}
}

/* The same leaf twice gives the same answer: the policy is deterministic. */
static void check_stable(void)
{
	struct cpuid_regs a = cpuid(1, 0), b = cpuid(1, 0);

	/* EBX[31:24] is the initial APIC ID: same vCPU, same value. */
	rt_check("leaf1_stable", !memcmp(&a, &b, sizeof(a)), "two reads of leaf 1 differ");
}

void guest_main(void)
{
	check_vendor();
	check_hv_leaves();
	check_virt_hidden();
	check_stable();
}
