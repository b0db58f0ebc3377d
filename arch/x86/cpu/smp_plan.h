/* SPDX-License-Identifier: BSD-2-Clause */
/* Decisions for host SMP bring-up that need no hardware, kept apart so host
 * unit tests can check them: where the AP start-up trampoline goes, and
 * which of the CPUs the firmware lists are started. Pure code. */
#ifndef BULKHEAD_ARCH_X86_CPU_SMP_PLAN_H
#define BULKHEAD_ARCH_X86_CPU_SMP_PLAN_H

#include "arch/x86/boot/acpi_host.h"
#include "arch/x86/boot/bootinfo.h"
#include "core/types.h"

/* The trampoline takes two pages: code and data, then a copy of the
 * hypervisor's PML4 (CR3 is loaded in 32-bit mode, so it must lie below
 * 4 GiB). A start-up IPI names a 4 KiB page below 1 MiB by its number (SDM
 * Vol. 3A §8.4.4.1, the SIPI vector); 0xA0000 and up is video memory and ROM. */
#define SMP_TRAMPOLINE_PAGES 2
#define SMP_TRAMPOLINE_SIZE (SMP_TRAMPOLINE_PAGES * PAGE_SIZE)
#define SMP_TRAMPOLINE_MIN 0x1000ULL /* page 0: real-mode IVT and BIOS data */
#define SMP_TRAMPOLINE_LIMIT 0xa0000ULL

/* Highest xAPIC ID an ICR can name (its destination field is 8 bits, 0xFF
 * is broadcast: SDM Vol. 3A §10.6.1). Higher IDs need x2APIC mode. */
#define SMP_XAPIC_MAX_ID 0xfe

/* The highest SMP_TRAMPOLINE_SIZE run of page-aligned memory in
 * [SMP_TRAMPOLINE_MIN, SMP_TRAMPOLINE_LIMIT) that the loader's memory map
 * calls usable (and no other range claims) and no boot module overlaps.
 * Returns 0 if there is none. */
uint64_t smp_pick_trampoline(const struct boot_info *bi);

/* The APIC IDs of the CPUs to start besides the boot CPU (bsp_apic_id), in
 * MADT order: at most max_cpus - 1 (max_cpus 0: no limit) and at most
 * out_cap; IDs an xAPIC cannot address are skipped. Each reason a CPU is
 * left out is logged once. Returns the count written to out. */
unsigned int smp_plan_aps(const struct acpi_host *ai, uint32_t bsp_apic_id, unsigned int max_cpus,
			  uint32_t *out, unsigned int out_cap);

#endif
