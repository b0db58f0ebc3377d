/* SPDX-License-Identifier: BSD-2-Clause */
/* The hypervisor's own page tables: all physical memory identity-mapped
 * read/write/no-execute, except the hypervisor image, which is mapped with
 * 4 KiB pages and W^X permissions, and the unmapped guard pages (page 0 and
 * the page below each stack). */
#ifndef BULKHEAD_ARCH_X86_CPU_PAGING_H
#define BULKHEAD_ARCH_X86_CPU_PAGING_H

#include "core/types.h"

/* x86-64 paging entry bits (SDM Vol. 3A §4.5, Tables 4-15..4-20). */
/* entry.S identity-maps the first 4 GiB with 2 MiB pages: all that can be
 * reached until paging_init has mapped the rest of RAM. */
#define BOOT_IDENTITY_MAP_END GiB(4)

#define PTE_P BIT(0)
#define PTE_W BIT(1)
#define PTE_U BIT(2)
#define PTE_PWT BIT(3)
#define PTE_PCD BIT(4)
#define PTE_A BIT(5)
#define PTE_D BIT(6)
#define PTE_PS BIT(7)
#define PTE_G BIT(8)
#define PTE_NX BIT(63)
#define PTE_ADDR_MASK 0x000ffffffffff000ULL

/* Build and load the tables. Returns false (and keeps the boot tables) if
 * frames ran out. */
bool paging_init(uint64_t highest_phys);
/* Load the tables built by paging_init on another CPU. */
void paging_load(void);
/* Make one 4 KiB page of the direct map executable (the AP start-up
 * trampoline below 1 MiB). */
bool paging_set_exec(uint64_t pa);
/* Undo paging_set_exec (this CPU's TLB only: call it when no other CPU runs
 * code there any more). */
bool paging_set_noexec(uint64_t pa);
uint64_t paging_root(void);
/* Map one 4 KiB page of the direct map uncached (device registers). */
bool paging_set_uncached(uint64_t pa);

#endif
