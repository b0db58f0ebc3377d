/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/x86/cpu/cpu.h"
#include "arch/x86/cpu/features.h"
#include "core/lib/string.h"

struct cpu_info boot_cpu;

/* CPUID bit positions (SDM Vol. 2A CPUID; AMD APM Vol. 3 Appendix E). */
#define CPUID1_ECX_VMX BIT(5)
#define CPUID1_ECX_X2APIC BIT(21)
#define CPUID1_ECX_XSAVE BIT(26)
#define CPUID1_ECX_RDRAND BIT(30)
#define CPUID7_EBX_SMEP BIT(7)
#define CPUID7_EBX_RDSEED BIT(18)
#define CPUID7_EBX_SMAP BIT(20)
#define CPUID7_ECX_RDPID BIT(22)
#define CPUID81_EDX_RDTSCP BIT(27)
#define CPUID7_EDX_ARCH_CAPABILITIES BIT(29)
#define MSR_IA32_ARCH_CAPABILITIES 0x10a /* SDM Vol. 4 Table 2-2 */
#define CPUID81_ECX_SVM BIT(2)
#define CPUID81_EDX_NX BIT(20)
#define CPUID81_EDX_1G BIT(26)
#define CPUID87_EDX_INVARIANT_TSC BIT(8)

static void copy_regs(char *dst, const struct cpuid_regs *r)
{
	bh_memcpy(dst, &r->eax, 4);
	bh_memcpy(dst + 4, &r->ebx, 4);
	bh_memcpy(dst + 8, &r->ecx, 4);
	bh_memcpy(dst + 12, &r->edx, 4);
}

void cpu_features_init(void)
{
	struct cpu_info *c = &boot_cpu;
	struct cpuid_regs r = cpuid(0, 0);

	c->max_leaf = r.eax;
	bh_memcpy(c->vendor_str, &r.ebx, 4);
	bh_memcpy(c->vendor_str + 4, &r.edx, 4);
	bh_memcpy(c->vendor_str + 8, &r.ecx, 4);
	c->vendor_str[12] = '\0';
	if (!bh_strcmp(c->vendor_str, "GenuineIntel"))
		c->vendor = CPU_VENDOR_INTEL;
	else if (!bh_strcmp(c->vendor_str, "AuthenticAMD"))
		c->vendor = CPU_VENDOR_AMD;

	r = cpuid(1, 0);
	/* Family/model encoding: SDM Vol. 2A, CPUID leaf 1 EAX. */
	uint32_t fam = (r.eax >> 8) & 0xf, model = (r.eax >> 4) & 0xf;
	if (fam == 0xf)
		fam += (r.eax >> 20) & 0xff;
	if (fam == 0x6 || fam >= 0xf)
		model |= ((r.eax >> 16) & 0xf) << 4;
	c->family = fam;
	c->model = model;
	c->stepping = r.eax & 0xf;
	c->has_vmx = r.ecx & CPUID1_ECX_VMX;
	c->has_x2apic = r.ecx & CPUID1_ECX_X2APIC;
	c->has_xsave = r.ecx & CPUID1_ECX_XSAVE;
	c->has_rdrand = r.ecx & CPUID1_ECX_RDRAND;
	if (c->max_leaf >= 7) {
		r = cpuid(7, 0);
		c->has_rdseed = r.ebx & CPUID7_EBX_RDSEED;
		c->has_smep = r.ebx & CPUID7_EBX_SMEP;
		c->has_smap = r.ebx & CPUID7_EBX_SMAP;
		c->has_tsc_aux = r.ecx & CPUID7_ECX_RDPID;
		if (r.edx & CPUID7_EDX_ARCH_CAPABILITIES)
			c->arch_capabilities = rdmsr(MSR_IA32_ARCH_CAPABILITIES);
	}

	r = cpuid(0x80000000, 0);
	c->max_ext_leaf = r.eax;
	if (c->max_ext_leaf >= 0x80000001) {
		r = cpuid(0x80000001, 0);
		c->has_svm = r.ecx & CPUID81_ECX_SVM;
		c->has_nx = r.edx & CPUID81_EDX_NX;
		c->has_1g_pages = r.edx & CPUID81_EDX_1G;
		c->has_tsc_aux |= !!(r.edx & CPUID81_EDX_RDTSCP);
	}
	if (c->max_ext_leaf >= 0x80000004) {
		for (unsigned int i = 0; i < 3; i++) {
			r = cpuid(0x80000002 + i, 0);
			copy_regs(c->brand + 16 * i, &r);
		}
		c->brand[48] = '\0';
	} else {
		bh_strlcpy(c->brand, "unknown", sizeof(c->brand));
	}
	/* Trim the leading spaces some CPUs pad the brand string with. */
	char *b = c->brand;
	while (*b == ' ')
		b++;
	bh_memmove(c->brand, b, bh_strlen(b) + 1);
	if (c->max_ext_leaf >= 0x80000007)
		c->has_invariant_tsc = cpuid(0x80000007, 0).edx & CPUID87_EDX_INVARIANT_TSC;
	c->phys_addr_bits = 36;
	if (c->max_ext_leaf >= 0x80000008)
		c->phys_addr_bits = cpuid(0x80000008, 0).eax & 0xff;
}
