/* What CPUID tells a guest (docs/hypercall-abi.md lists the hypervisor
 * leaves). The host's answer is filtered: virtualisation extensions and
 * features Bulkhead does not virtualise are hidden, the hypervisor bit and
 * leaves 0x40000000+ are added. Pure code. */
#ifndef BULKHEAD_CORE_CPUID_POLICY_H
#define BULKHEAD_CORE_CPUID_POLICY_H

#include "core/types.h"

struct cpuid_result {
	uint32_t eax, ebx, ecx, edx;
};

struct cpuid_policy {
	uint32_t vcpu_id;       /* initial APIC ID */
	uint32_t nr_vcpus;
	uint32_t tsc_khz;
	uint32_t lapic_khz;
};

#define HV_CPUID_BASE 0x40000000u
#define HV_CPUID_VERSION 0x40000001u
#define HV_CPUID_TIMING 0x40000010u
#define HV_ABI_VERSION 0x00010000u

/* r holds the host's answer for (leaf, subleaf) on entry, the guest's on
 * return. Leaves 0x4000xxxx are answered without the host. */
void cpuid_policy_apply(const struct cpuid_policy *p, uint32_t leaf, uint32_t subleaf,
			struct cpuid_result *r);

#endif
