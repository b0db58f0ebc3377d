/* SPDX-License-Identifier: BSD-2-Clause */
/* The machine's usable RAM after everything that must not be handed out
 * (firmware areas, the hypervisor image, boot modules, the first MiB) has
 * been cut away. Pure code. */
#ifndef BULKHEAD_CORE_MEMMAP_H
#define BULKHEAD_CORE_MEMMAP_H

#include "arch/x86/boot/bootinfo.h"
#include "core/types.h"

#define MEMMAP_MAX 160

struct mem_range {
	uint64_t base, len;
};

struct memmap {
	struct mem_range usable[MEMMAP_MAX]; /* sorted, disjoint, page aligned */
	unsigned int nr;
	uint64_t usable_bytes;
	uint64_t highest_addr; /* end of the highest range of any type (for the direct map) */
};

/* Builds map from bi's ranges minus the reserve list. Usable ranges that
 * overlap a non-usable range lose the overlap (firmware wins). Returns the
 * number of usable bytes. */
uint64_t memmap_build(struct memmap *map, const struct boot_info *bi,
		      const struct mem_range *reserve, unsigned int nr_reserve);

/* Remove [base, base+len) from the usable list (page-rounded outward). */
void memmap_cut(struct memmap *map, uint64_t base, uint64_t len);

#endif
