/* SPDX-License-Identifier: BSD-2-Clause */
/* arch/x86/cpu/smp_plan.c: where the AP trampoline goes in low memory, and
 * which CPUs of the firmware's list are started. */
#include <criterion/criterion.h>
#include <string.h>

#include "arch/x86/cpu/smp_plan.h"
#include "tests/unit/support/host_log.h"

static struct boot_info bi;
static struct acpi_host ai;

static void reset(void)
{
	memset(&bi, 0, sizeof(bi));
	memset(&ai, 0, sizeof(ai));
	host_log_reset();
}

static void mem(uint64_t base, uint64_t len, uint32_t type)
{
	bi.mem[bi.nr_mem++] = (struct boot_mem_range){ base, len, type, 0 };
}

static void module(uint64_t start, uint64_t end)
{
	bi.modules[bi.nr_modules++].start = start;
	bi.modules[bi.nr_modules - 1].end = end;
}

/* SeaBIOS's E820 under QEMU. */
static void seabios_map(void)
{
	mem(0, 0x9fc00, BOOT_MEM_USABLE);
	mem(0x9fc00, 0x400, BOOT_MEM_RESERVED);
	mem(0xf0000, 0x10000, BOOT_MEM_RESERVED);
	mem(0x100000, 0x1fee0000, BOOT_MEM_USABLE);
}

static void cpus(const uint32_t *ids, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		ai.cpus[i].apic_id = ids[i];
	ai.nr_cpus = n;
}

Test(trampoline, highest_two_free_pages_below_the_ebda, .init = reset)
{
	seabios_map();
	/* 0x9f000 holds the EBDA's start: the run must end at or below it. */
	cr_assert_eq(smp_pick_trampoline(&bi), 0x9d000);
}

Test(trampoline, modules_are_avoided, .init = reset)
{
	seabios_map();
	module(0x9d800, 0x9d900);
	cr_assert_eq(smp_pick_trampoline(&bi), 0x9b000);
}

Test(trampoline, a_reserved_range_overlapping_usable_memory_wins, .init = reset)
{
	seabios_map();
	mem(0x9d400, 0x100, BOOT_MEM_ACPI_NVS); /* firmware maps do overlap */
	cr_assert_eq(smp_pick_trampoline(&bi), 0x9b000);
}

Test(trampoline, adjacent_usable_ranges_join, .init = reset)
{
	/* A UEFI map cut into many small descriptors. */
	mem(0x1000, 0x1000, BOOT_MEM_USABLE);
	mem(0x2000, 0x1000, BOOT_MEM_USABLE);
	mem(0x3000, 0x9d000, BOOT_MEM_RESERVED);
	cr_assert_eq(smp_pick_trampoline(&bi), 0x1000);
}

Test(trampoline, page_zero_and_single_pages_do_not_fit, .init = reset)
{
	mem(0, 0x2000, BOOT_MEM_USABLE); /* only 0x1000 is allowed: one page */
	mem(0x5000, 0x1000, BOOT_MEM_USABLE);
	cr_assert_eq(smp_pick_trampoline(&bi), 0);
}

Test(trampoline, nothing_usable_below_640k, .init = reset)
{
	mem(0xa0000, 0x60000, BOOT_MEM_USABLE); /* video memory and ROM: never */
	mem(0x100000, 0x1000000, BOOT_MEM_USABLE);
	cr_assert_eq(smp_pick_trampoline(&bi), 0);
}

Test(trampoline, hostile_ranges_that_wrap, .init = reset)
{
	seabios_map();
	mem(UINT64_MAX - 0xfff, 0x2000, BOOT_MEM_RESERVED); /* wraps past zero */
	module(0x9e000, 0x1000);                            /* end before start */
	bi.nr_modules = 1;
	cr_assert_eq(smp_pick_trampoline(&bi), 0x9d000);
}

Test(plan, boot_cpu_is_skipped, .init = reset)
{
	uint32_t ids[] = { 0, 1, 2, 3 }, out[8];
	cpus(ids, 4);
	cr_assert_eq(smp_plan_aps(&ai, 0, 0, out, 8), 3);
	cr_assert_eq(out[0], 1);
	cr_assert_eq(out[2], 3);
	cr_assert_eq(host_log_count(), 0);
}

Test(plan, boot_cpu_need_not_be_first, .init = reset)
{
	uint32_t ids[] = { 4, 6, 2 }, out[8];
	cpus(ids, 3);
	cr_assert_eq(smp_plan_aps(&ai, 6, 0, out, 8), 2);
	cr_assert_eq(out[0], 4);
	cr_assert_eq(out[1], 2);
}

Test(plan, smp_option_limits_the_count, .init = reset)
{
	uint32_t ids[] = { 0, 1, 2, 3 }, out[8];
	cpus(ids, 4);
	cr_assert_eq(smp_plan_aps(&ai, 0, 2, out, 8), 1);
	cr_assert_eq(out[0], 1);
	cr_assert(host_log_contains("2 more CPUs present; not started (smp= option)"));
	host_log_reset();
	cr_assert_eq(smp_plan_aps(&ai, 0, 1, out, 8), 0, "smp=1: the boot CPU alone");
}

Test(plan, slot_limit_and_dropped_entries, .init = reset)
{
	uint32_t ids[] = { 0, 1, 2, 3, 4 }, out[2];
	cpus(ids, 5);
	ai.nr_dropped = 10;
	cr_assert_eq(smp_plan_aps(&ai, 0, 0, out, 2), 2);
	cr_assert(host_log_contains("12 more CPUs present; not started (the hypervisor's CPU limit)"));
}

Test(plan, x2apic_only_ids_are_skipped, .init = reset)
{
	uint32_t ids[] = { 0, 255, 300, 7 }, out[8];
	cpus(ids, 4);
	cr_assert_eq(smp_plan_aps(&ai, 0, 0, out, 8), 1);
	cr_assert_eq(out[0], 7);
	cr_assert(host_log_contains("2 CPUs have APIC IDs above 254"));
}

Test(plan, boot_cpu_missing_from_the_madt_is_reported, .init = reset)
{
	uint32_t ids[] = { 1, 2 }, out[8];
	cpus(ids, 2);
	cr_assert_eq(smp_plan_aps(&ai, 0, 0, out, 8), 2);
	cr_assert(host_log_contains("does not list the boot CPU"));
}

Test(plan, empty_list_starts_nothing_quietly, .init = reset)
{
	uint32_t out[8];
	cr_assert_eq(smp_plan_aps(&ai, 0, 0, out, 8), 0);
	cr_assert_eq(host_log_count(), 0);
}
