/* SPDX-License-Identifier: BSD-2-Clause */
/* cpu-conform: the CPU departures of issue 14 deliverable 5, checked from
 * inside a partition as a test kernel would check them. Runs in long mode.
 *
 *   - WRMSR of a non-canonical address to FS_BASE, GS_BASE,
 *     KERNEL_GS_BASE, LSTAR, CSTAR, SYSENTER_EIP and SYSENTER_ESP raises
 *     #GP(0) and leaves the MSR as it was (SDM Vol. 3A §3.3.7.1 and the
 *     WRMSR entry of Vol. 2B; SYSENTER_EIP/ESP: Vol. 3A §5.8.7.1).
 *   - IA32_MISC_ENABLE reads fast strings (bit 0) and BTS/PEBS unavailable
 *     (bits 11, 12); bit 7 (performance monitoring available) only with a
 *     PMU in CPUID leaf 0AH; changing bit 11 or 12 is #GP (SDM Vol. 4
 *     Table 2-2).
 *   - RDPMC with no PMU (CPUID.0AH:EAX[7:0] = 0) is #GP(0).
 *   - IA32_APIC_BASE (SDM Vol. 3A §10.4.4, §10.12.5): clearing EN clears
 *     CPUID.1:EDX.APIC; EXTD without x2APIC offered, EXTD without EN,
 *     x2APIC straight to xAPIC and reserved bits are #GP.
 *   - LGDT and LIDT of a non-canonical base in 64-bit mode are #GP(0) and
 *     change nothing (SDM Vol. 2A, LGDT/LIDT, 64-bit mode exceptions). */
#include "rt.h"

#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_IA32_APIC_BASE 0x1b
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_CSTAR 0xc0000083

#define NONCANONICAL 0x0000800000000000ull /* bit 47 set, 63:48 clear */

#define MISC_FAST_STRINGS (1ull << 0)
#define MISC_PERF_MON (1ull << 7)
#define MISC_BTS_UNAVAIL (1ull << 11)
#define MISC_PEBS_UNAVAIL (1ull << 12)

#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_RESERVED_BIT9 (1ull << 9)
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_EN (1ull << 11)
#define CPUID1_EDX_APIC (1u << 9)
#define CPUID1_ECX_X2APIC (1u << 21)

static void expect_gp0(const char *name, int vec)
{
	struct rt_exc_record r = rt_exc_result();

	if (vec < 0)
		rt_fail(name, "no exception, want #GP(0)");
	else if (vec != VEC_GP)
		rt_fail(name, "vector %d, want 13 (#GP)", vec);
	else
		rt_check_eq(name, "#GP error code", r.error, 0);
}

/* A non-canonical WRMSR must fault and leave the old value. */
static void noncanonical_msr(const char *name, uint32_t msr)
{
	uint64_t before = 0, after = 0;
	int vec;

	if (rt_try_rdmsr(msr, &before) >= 0) {
		rt_fail(name, "rdmsr 0x%x faulted", msr);
		return;
	}
	vec = rt_try_wrmsr(msr, NONCANONICAL);
	expect_gp0(name, vec);
	rt_try_rdmsr(msr, &after);
	if (after != before) {
		rt_fail(name, "MSR 0x%x changed to 0x%llx", msr, (unsigned long long)after);
		rt_try_wrmsr(msr, before);
	}
}

static bool pmu_offered(void)
{
	return cpuid(0, 0).eax >= 0xa && (cpuid(0xa, 0).eax & 0xff) != 0;
}

static void misc_enable(void)
{
	uint64_t v = 0, want = MISC_FAST_STRINGS | MISC_BTS_UNAVAIL | MISC_PEBS_UNAVAIL;
	int vec;

	if (pmu_offered())
		want |= MISC_PERF_MON;
	vec = rt_try_rdmsr(MSR_IA32_MISC_ENABLE, &v);
	if (!rt_check("misc_enable_read", vec < 0, "exception %d", vec))
		return;
	rt_check_eq("misc_enable_value", "IA32_MISC_ENABLE", v, want);
	vec = rt_try_wrmsr(MSR_IA32_MISC_ENABLE, v);
	rt_check("misc_enable_write_same", vec < 0, "exception %d", vec);
	vec = rt_try_wrmsr(MSR_IA32_MISC_ENABLE, v & ~MISC_BTS_UNAVAIL);
	expect_gp0("misc_enable_bts_readonly_gp", vec);
}

static void rdpmc_gp(void)
{
	if (pmu_offered()) {
		rt_printf("cpu-conform: a PMU is offered: rdpmc not checked\n");
		rt_pass("rdpmc_no_pmu_gp");
		return;
	}
	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "rdpmc" RT_TRY_END : : "c"(0) : "rax", "rdx", "memory");
	rt_expect_exc("rdpmc_no_pmu_gp", VEC_GP, 0, RT_FAULT);
}

static bool cpuid_apic(void)
{
	return cpuid(1, 0).edx & CPUID1_EDX_APIC;
}

static void apic_base(void)
{
	uint64_t base = 0, now = 0;
	bool x2 = cpuid(1, 0).ecx & CPUID1_ECX_X2APIC;
	int vec;

	rt_try_rdmsr(MSR_IA32_APIC_BASE, &base);
	rt_check("apic_base_enabled", (base & APIC_BASE_EN) && cpuid_apic(),
		 "IA32_APIC_BASE 0x%llx, CPUID.1:EDX.APIC %d", (unsigned long long)base,
		 cpuid_apic());
	vec = rt_try_wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_RESERVED_BIT9);
	expect_gp0("apic_base_reserved_gp", vec);
	vec = rt_try_wrmsr(MSR_IA32_APIC_BASE, (base & ~APIC_BASE_EN) | APIC_BASE_EXTD);
	expect_gp0("apic_base_extd_without_en_gp", vec);
	if (!x2) {
		vec = rt_try_wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EXTD);
		expect_gp0("apic_base_x2apic_not_offered_gp", vec);
	} else {
		vec = rt_try_wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EXTD);
		rt_check("apic_base_x2apic_on", vec < 0, "exception %d", vec);
		vec = rt_try_wrmsr(MSR_IA32_APIC_BASE, base);
		expect_gp0("apic_base_x2apic_to_xapic_gp", vec);
		rt_try_wrmsr(MSR_IA32_APIC_BASE, base & ~(APIC_BASE_EN | APIC_BASE_EXTD));
		rt_try_wrmsr(MSR_IA32_APIC_BASE, base);
	}
	/* Disabled, the APIC is gone from CPUID; enabled again, it is back. */
	vec = rt_try_wrmsr(MSR_IA32_APIC_BASE, base & ~APIC_BASE_EN);
	rt_try_rdmsr(MSR_IA32_APIC_BASE, &now);
	rt_check("apic_disable_clears_cpuid", vec < 0 && !(now & APIC_BASE_EN) && !cpuid_apic(),
		 "exception %d, IA32_APIC_BASE 0x%llx, CPUID.1:EDX.APIC %d", vec,
		 (unsigned long long)now, cpuid_apic());
	vec = rt_try_wrmsr(MSR_IA32_APIC_BASE, (base & ~APIC_BASE_EN) | APIC_BASE_EXTD);
	expect_gp0("apic_disabled_to_x2apic_gp", vec);
	vec = rt_try_wrmsr(MSR_IA32_APIC_BASE, base);
	rt_check("apic_reenable_sets_cpuid", vec < 0 && cpuid_apic(),
		 "exception %d, CPUID.1:EDX.APIC %d", vec, cpuid_apic());
}

struct __attribute__((packed)) pseudo_desc {
	uint16_t limit;
	uint64_t base;
};

static void noncanonical_lgdt_lidt(void)
{
	struct pseudo_desc before, bad, after;

	asm volatile("sgdt %0" : "=m"(before));
	bad = before;
	bad.base = NONCANONICAL;
	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "lgdt %0" RT_TRY_END : : "m"(bad) : "memory");
	rt_expect_exc("lgdt_noncanonical_gp", VEC_GP, 0, RT_FAULT);
	asm volatile("sgdt %0" : "=m"(after));
	if (after.base != before.base) {
		rt_fail("lgdt_unchanged", "GDTR base 0x%llx", (unsigned long long)after.base);
		asm volatile("lgdt %0" : : "m"(before) : "memory");
	} else {
		rt_pass("lgdt_unchanged");
	}

	asm volatile("sidt %0" : "=m"(before));
	bad = before;
	bad.base = NONCANONICAL;
	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "lidt %0" RT_TRY_END : : "m"(bad) : "memory");
	rt_expect_exc("lidt_noncanonical_gp", VEC_GP, 0, RT_FAULT);
	asm volatile("sidt %0" : "=m"(after));
	if (after.base != before.base) {
		asm volatile("lidt %0" : : "m"(before) : "memory");
		rt_fail("lidt_unchanged", "IDTR base 0x%llx", (unsigned long long)after.base);
	} else {
		rt_pass("lidt_unchanged");
	}
}

void guest_main(void)
{
	noncanonical_msr("fs_base_noncanonical_gp", MSR_FS_BASE);
	noncanonical_msr("gs_base_noncanonical_gp", MSR_GS_BASE);
	noncanonical_msr("kernel_gs_base_noncanonical_gp", MSR_KERNEL_GS_BASE);
	noncanonical_msr("lstar_noncanonical_gp", MSR_LSTAR);
	noncanonical_msr("cstar_noncanonical_gp", MSR_CSTAR);
	noncanonical_msr("sysenter_eip_noncanonical_gp", MSR_SYSENTER_EIP);
	noncanonical_msr("sysenter_esp_noncanonical_gp", MSR_SYSENTER_ESP);
	misc_enable();
	rdpmc_gp();
	apic_base();
	noncanonical_lgdt_lidt();
	rt_done();
}
