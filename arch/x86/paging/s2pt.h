/* SPDX-License-Identifier: BSD-2-Clause */
/* Second-level (guest-physical -> host-physical) page tables, shared by the
 * SVM backend (NPT: ordinary x86-64 page-table entries, AMD APM Vol. 2
 * §15.25) and the VMX backend (EPT: Intel SDM Vol. 3C §28.3). Both are 4-level
 * radix trees with 512 entries per 4 KiB table and optional 2 MiB / 1 GiB
 * leaves; only the entry encoding differs, so each backend supplies a
 * struct s2pt_format and this file does the walking, splitting and freeing.
 * Pure code (host unit tests run it over malloc'd "physical" memory). */
#ifndef BULKHEAD_ARCH_X86_PAGING_S2PT_H
#define BULKHEAD_ARCH_X86_PAGING_S2PT_H

#include "core/types.h"

#define S2PT_LEVELS 4
/* Levels: 1 = 4 KiB entries (PT), 2 = 2 MiB (PD), 3 = 1 GiB (PDPT), 4 = PML4. */

struct s2pt_format {
	const char *name;
	uint64_t (*table_entry)(paddr_t next_table);
	uint64_t (*leaf_entry)(paddr_t hpa, unsigned int prot, unsigned int level);
	bool (*present)(uint64_t e);
	bool (*is_leaf)(uint64_t e, unsigned int level); /* level 1 entries are always leaves */
	paddr_t (*addr)(uint64_t e);
	unsigned int (*prot)(uint64_t e); /* S2_READ/S2_WRITE/S2_EXEC of a leaf */
};

struct s2pt {
	paddr_t root;
	const struct s2pt_format *fmt;
	paddr_t (*alloc_table)(void *ctx); /* a zeroed 4 KiB page, 0 on failure */
	void (*free_table)(void *ctx, paddr_t pa);
	void *(*table_ptr)(void *ctx, paddr_t pa); /* where the hypervisor reaches it */
	void *ctx;
	bool allow_2m, allow_1g;
	uint64_t nr_tables; /* for the overhead figure */
};

/* 0 on success, -1 if a table could not be allocated. */
int s2pt_init(struct s2pt *pt);
/* Map [gpa, gpa+size) to [hpa, hpa+size) with prot (S2_* from core/vcpu.h);
 * prot 0 unmaps. All three must be 4 KiB aligned. Uses the largest leaves
 * alignment allows; splits existing large leaves where needed. */
int s2pt_map(struct s2pt *pt, gpa_t gpa, paddr_t hpa, uint64_t size, unsigned int prot);
/* Translate; false if unmapped. */
bool s2pt_lookup(const struct s2pt *pt, gpa_t gpa, paddr_t *hpa, unsigned int *prot);
void s2pt_destroy(struct s2pt *pt);

#endif
