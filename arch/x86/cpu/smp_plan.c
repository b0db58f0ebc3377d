/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/x86/cpu/smp_plan.h"
#include "core/log.h"

static bool overlaps(uint64_t a, uint64_t a_len, uint64_t b, uint64_t b_len)
{
	/* Lengths may be hostile: compare as [base, base+len) without wrapping. */
	if (!a_len || !b_len)
		return false;
	if (a <= b)
		return b - a < a_len;
	return a - b < b_len;
}

/* One page is fit for the trampoline: inside a usable range, outside every
 * other range (firmware maps can overlap; the reserved one wins) and every
 * boot module. */
static bool page_fit(const struct boot_info *bi, uint64_t pa)
{
	bool usable = false;
	for (unsigned int i = 0; i < bi->nr_mem && i < BOOT_MAX_MEM_RANGES; i++) {
		const struct boot_mem_range *r = &bi->mem[i];
		if (r->type == BOOT_MEM_USABLE)
			usable |= range_within(pa, PAGE_SIZE, r->base, r->len);
		else if (overlaps(pa, PAGE_SIZE, r->base, r->len))
			return false;
	}
	if (!usable)
		return false;
	for (unsigned int i = 0; i < bi->nr_modules && i < BOOT_MAX_MODULES; i++) {
		const struct boot_module *m = &bi->modules[i];
		if (m->end > m->start && overlaps(pa, PAGE_SIZE, m->start, m->end - m->start))
			return false;
	}
	return true;
}

uint64_t smp_pick_trampoline(const struct boot_info *bi)
{
	/* Highest first: the bottom of memory is where loaders and the BIOS
	 * leave things (QEMU's Multiboot information sits at 0x9000). */
	for (uint64_t pa = SMP_TRAMPOLINE_LIMIT - SMP_TRAMPOLINE_SIZE; pa >= SMP_TRAMPOLINE_MIN;
	     pa -= PAGE_SIZE) {
		bool fit = true;
		for (unsigned int p = 0; p < SMP_TRAMPOLINE_PAGES && fit; p++)
			fit = page_fit(bi, pa + p * PAGE_SIZE);
		if (fit)
			return pa;
	}
	return 0;
}

unsigned int smp_plan_aps(const struct acpi_host *ai, uint32_t bsp_apic_id, unsigned int max_cpus,
			  uint32_t *out, unsigned int out_cap)
{
	unsigned int n = 0, beyond_x2 = 0, over_limit = 0;
	bool bsp_listed = false;
	unsigned int listed = MIN(ai->nr_cpus, (unsigned int)ACPI_HOST_MAX_CPUS);
	unsigned int want = max_cpus ? max_cpus - 1 : UINT32_MAX;

	for (unsigned int i = 0; i < listed; i++) {
		uint32_t id = ai->cpus[i].apic_id;
		if (id == bsp_apic_id) {
			bsp_listed = true;
			continue;
		}
		if (id > SMP_XAPIC_MAX_ID) {
			beyond_x2++;
			continue;
		}
		if (n >= want || n >= out_cap) {
			over_limit++;
			continue;
		}
		out[n++] = id;
	}
	over_limit += ai->nr_dropped;
	if (listed && !bsp_listed)
		pr_warn("smp: the firmware MADT does not list the boot CPU (APIC ID %u)",
			bsp_apic_id);
	if (beyond_x2)
		pr_warn("smp: %u CPUs have APIC IDs above %u (x2APIC only); not started", beyond_x2,
			SMP_XAPIC_MAX_ID);
	if (over_limit)
		pr_info("smp: %u more CPUs present; not started (%s)", over_limit,
			n >= want ? "smp= option" : "the hypervisor's CPU limit");
	return n;
}
