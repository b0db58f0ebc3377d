/* SPDX-License-Identifier: BSD-2-Clause */
/* core/msr_policy.c, the rules of issue 14: which MSRs hold linear
 * addresses and must be written canonical, the guest's linear-address
 * width, IA32_MISC_ENABLE's value and writes, and that no PMU or x2APIC is
 * offered (so RDPMC and IA32_APIC_BASE.EXTD are #GP); also CPUID.1:EDX.APIC
 * following IA32_APIC_BASE.EN (core/cpuid_policy.h). */
#include <criterion/criterion.h>

#include "core/cpuid_policy.h"
#include "core/msr_policy.h"

static uint32_t host_la_bits = 48;

/* A host with everything: a PMU (leaf 0AH version 4), x2APIC, and
 * host_la_bits of linear address in CPUID.80000008H:EAX[15:8]. */
static struct cpuid_result host(uint32_t leaf, uint32_t subleaf)
{
	(void)subleaf;
	switch (leaf) {
	case 0:
		return (struct cpuid_result){ 0xd, 0x756e6547, 0x6c65746e, 0x49656e69 };
	case 1:
		return (struct cpuid_result){ 0x000506e3, 0x00010800, 0xffffffffu, 0xffffffffu };
	case 0xa:
		return (struct cpuid_result){ 0x07300404, 0, 0, 0x603 };
	case 0x80000000:
		return (struct cpuid_result){ 0x80000008, 0, 0, 0 };
	case 0x80000008:
		return (struct cpuid_result){ (host_la_bits << 8) | 46, 0, 0, 0 };
	default:
		return (struct cpuid_result){ 0 };
	}
}

static const struct cpuid_policy policy = { .vcpu_id = 0, .nr_vcpus = 1 };
static struct cpuid_table t;

Test(msr_policy, address_msrs)
{
	static const uint32_t yes[] = { 0x175,      0x176,      0xc0000082, 0xc0000083,
					0xc0000100, 0xc0000101, 0xc0000102 };
	static const uint32_t no[] = { 0x10,       0x174,      0x1a0,      0x1b, 0xc0000080,
				       0xc0000081, 0xc0000084, 0xc0000103, 0 };
	for (unsigned int i = 0; i < ARRAY_SIZE(yes); i++)
		cr_assert(msr_holds_address(yes[i]), "%#x", yes[i]);
	for (unsigned int i = 0; i < ARRAY_SIZE(no); i++)
		cr_assert_not(msr_holds_address(no[i]), "%#x", no[i]);
}

Test(msr_policy, canonical_48_and_57)
{
	cr_assert(addr_is_canonical(0, 48));
	cr_assert(addr_is_canonical(0x00007fffffffffffULL, 48));
	cr_assert(addr_is_canonical(0xffff800000000000ULL, 48));
	cr_assert(addr_is_canonical(0xffffffffffffffffULL, 48));
	cr_assert_not(addr_is_canonical(0x0000800000000000ULL, 48));
	cr_assert_not(addr_is_canonical(0xffff7fffffffffffULL, 48));
	cr_assert_not(addr_is_canonical(0x8000000000000000ULL, 48));
	cr_assert_not(addr_is_canonical(0x0001000000000000ULL, 48));
	/* 5-level: bits 63:56 follow bit 56 */
	cr_assert(addr_is_canonical(0x0000800000000000ULL, 57));
	cr_assert(addr_is_canonical(0x00ffffffffffffffULL, 57));
	cr_assert(addr_is_canonical(0xff00000000000000ULL, 57));
	cr_assert_not(addr_is_canonical(0x0100000000000000ULL, 57));
	cr_assert_not(addr_is_canonical(0xfeffffffffffffffULL, 57));
}

Test(msr_policy, guest_linear_width)
{
	host_la_bits = 48;
	cpuid_table_build(&t, &policy, host);
	cr_assert_eq(msr_guest_la_bits(&t), 48);
	host_la_bits = 57;
	cpuid_table_build(&t, &policy, host);
	cr_assert_eq(msr_guest_la_bits(&t), 57);
	host_la_bits = 0; /* absent or odd: the 4-level width */
	cpuid_table_build(&t, &policy, host);
	cr_assert_eq(msr_guest_la_bits(&t), 48);
	host_la_bits = 48;
}

Test(msr_policy, no_pmu_and_no_x2apic_offered)
{
	cpuid_table_build(&t, &policy, host);
	cr_assert_not(msr_guest_has_pmu(&t), "the host's PMU must not show: RDPMC is #GP");
	cr_assert_not(cpuid_table_has(&t, CPUID_F_X2APIC), "x2APIC is not offered: EXTD is #GP");
}

Test(msr_policy, misc_enable_value)
{
	cr_assert_eq(msr_misc_enable_value(false), 0x1801, "fast strings, BTS/PEBS unavailable");
	cr_assert_eq(msr_misc_enable_value(true), 0x1881, "and performance monitoring");
}

Test(msr_policy, misc_enable_writes)
{
	uint64_t cur = msr_misc_enable_value(false);
	cr_assert(msr_misc_enable_write_ok(cur, cur));
	cr_assert(msr_misc_enable_write_ok(cur, cur & ~MISC_ENABLE_FAST_STRINGS), "ignored");
	cr_assert(msr_misc_enable_write_ok(cur, cur | MISC_ENABLE_PERF_MON), "ignored");
	cr_assert(msr_misc_enable_write_ok(cur, cur | BIT(22) | BIT(34)), "ignored");
	cr_assert_not(msr_misc_enable_write_ok(cur, cur & ~MISC_ENABLE_BTS_UNAVAIL));
	cr_assert_not(msr_misc_enable_write_ok(cur, cur & ~MISC_ENABLE_PEBS_UNAVAIL));
	cr_assert_not(msr_misc_enable_write_ok(cur, 0));
}

Test(msr_policy, cpuid_apic_bit_follows_apic_base_en)
{
	struct cpuid_result r = { 0, 0, 0, 0xffffffffu };
	cpuid_apply_apic_enable(&r, true);
	cr_assert_eq(r.edx, 0xffffffffu);
	cpuid_apply_apic_enable(&r, false);
	cr_assert_eq(r.edx, 0xffffffffu & ~BIT(9));
	cr_assert_eq(r.eax | r.ebx | r.ecx, 0);
}
