/* SPDX-License-Identifier: BSD-2-Clause */
/* Physical frame allocator: hands out runs of 4 KiB frames from the usable
 * memory map. Free memory is kept as a sorted list of free ranges, which
 * makes large aligned allocations (guest RAM in 2 MiB-aligned blocks, so the
 * stage-2 tables can use 2 MiB pages) easy. Pure code. */
#ifndef BULKHEAD_CORE_MM_FRAME_H
#define BULKHEAD_CORE_MM_FRAME_H

#include "core/memmap.h"
#include "core/types.h"

#define FRAME_MAX_RANGES 256

struct frame_allocator {
	struct mem_range free[FRAME_MAX_RANGES]; /* sorted, disjoint, coalesced */
	unsigned int nr;
	uint64_t free_bytes;
	uint64_t total_bytes;
	/* Host tests: frames are addresses in a test buffer; zeroing goes
	 * through this pointer offset (hypervisor: 0, identity map). */
	uint8_t *direct_map;
	/* Allocations end at or below this address; 0: anywhere. Boot sets it
	 * to what the boot page tables map (4 GiB) until the final tables map
	 * all of RAM, since a new frame is zeroed through that mapping. */
	uint64_t limit;
};

void frame_init(struct frame_allocator *fa, const struct memmap *map, uint8_t *direct_map);
/* Allocate `bytes` (rounded up to pages) aligned to `align` (a power of two,
 * at least PAGE_SIZE). Returns the physical address or 0. Not zeroed. */
paddr_t frame_alloc_range(struct frame_allocator *fa, uint64_t bytes, uint64_t align);
/* Allocations from now on end at or below `limit` (0: anywhere). */
void frame_set_limit(struct frame_allocator *fa, uint64_t limit);
void frame_free_range(struct frame_allocator *fa, paddr_t pa, uint64_t bytes);

/* The hypervisor's allocator (core/mm/frame.c), set up by boot; any CPU may
 * call these (they take a lock). */
extern struct frame_allocator hv_frames;
paddr_t frame_alloc(void);        /* one zeroed 4 KiB frame, 0 if none */
paddr_t frame_alloc_zeroed(void); /* the same; the name says so */
void frame_free(paddr_t pa);
void frame_free_pages(paddr_t pa, uint64_t bytes);
paddr_t frame_alloc_pages(uint64_t bytes, uint64_t align); /* zeroed */
void *phys_to_virt(paddr_t pa);
paddr_t virt_to_phys(const void *va);

#endif
