/* SPDX-License-Identifier: BSD-2-Clause */
#include "core/lib/string.h"
#include "core/log.h"
#include "core/mm/frame.h"
#include "core/spinlock.h"

static void remove_at(struct frame_allocator *fa, unsigned int i)
{
	for (; i + 1 < fa->nr; i++)
		fa->free[i] = fa->free[i + 1];
	fa->nr--;
}

static bool insert_at(struct frame_allocator *fa, unsigned int i, uint64_t base, uint64_t len)
{
	if (fa->nr == FRAME_MAX_RANGES)
		return false;
	for (unsigned int j = fa->nr; j > i; j--)
		fa->free[j] = fa->free[j - 1];
	fa->free[i] = (struct mem_range){ base, len };
	fa->nr++;
	return true;
}

void frame_init(struct frame_allocator *fa, const struct memmap *map, uint8_t *direct_map)
{
	bh_memset(fa, 0, sizeof(*fa));
	fa->direct_map = direct_map;
	for (unsigned int i = 0; i < map->nr && i < FRAME_MAX_RANGES; i++) {
		struct mem_range r = map->usable[i];
		/* Physical address 0 is the allocator's "no memory": page 0
		 * must never be handed out. */
		if (r.base == 0) {
			if (r.len <= PAGE_SIZE)
				continue;
			r.base += PAGE_SIZE;
			r.len -= PAGE_SIZE;
		}
		fa->free[fa->nr++] = r;
		fa->free_bytes += r.len;
	}
	fa->total_bytes = fa->free_bytes;
}

paddr_t frame_alloc_range(struct frame_allocator *fa, uint64_t bytes, uint64_t align)
{
	/* A size within a page of 2^64 would round up to 0 bytes. */
	if (bytes == 0 || bytes > UINT64_MAX - (PAGE_SIZE - 1) || align < PAGE_SIZE ||
	    (align & (align - 1)))
		return 0;
	bytes = ALIGN_UP(bytes, PAGE_SIZE);
	/* Highest-address first: keeps low memory (below 4 GiB, below 1 GiB)
	 * for the things that need it, and large blocks for later. */
	for (unsigned int n = fa->nr; n-- > 0;) {
		struct mem_range r = fa->free[n];
		uint64_t rend = r.base + r.len;
		uint64_t top = (fa->limit && fa->limit < rend) ? fa->limit : rend;
		if (top <= r.base || top - r.base < bytes)
			continue;
		uint64_t start = ALIGN_DOWN(top - bytes, align);
		if (start < r.base)
			continue;
		uint64_t end = start + bytes;
		remove_at(fa, n);
		if (rend > end)
			insert_at(fa, n, end, rend - end);
		/* The slot freed by remove_at took the upper piece; with the
		 * table full the lower one cannot be recorded. */
		if (start > r.base && !insert_at(fa, n, r.base, start - r.base)) {
			pr_err("frame: free-range table full; %#lx+%#lx leaked", r.base,
			       start - r.base);
			fa->free_bytes -= start - r.base;
		}
		fa->free_bytes -= bytes;
		return start;
	}
	return 0;
}

void frame_set_limit(struct frame_allocator *fa, uint64_t limit)
{
	fa->limit = limit;
}

void frame_free_range(struct frame_allocator *fa, paddr_t pa, uint64_t bytes)
{
	if (!bytes)
		return;
	if (!pa || !IS_ALIGNED(pa, PAGE_SIZE) || bytes > UINT64_MAX - (PAGE_SIZE - 1) ||
	    pa + ALIGN_UP(bytes, PAGE_SIZE) < pa) {
		pr_err("frame: free of %#lx+%#lx is at 0, unaligned or wraps; ignored", pa, bytes);
		return;
	}
	bytes = ALIGN_UP(bytes, PAGE_SIZE);
	unsigned int i = 0;
	while (i < fa->nr && fa->free[i].base < pa)
		i++;
	/* Refuse a double free or a free that overlaps free memory. */
	if ((i > 0 && fa->free[i - 1].base + fa->free[i - 1].len > pa) ||
	    (i < fa->nr && pa + bytes > fa->free[i].base)) {
		pr_err("frame: free of %#lx+%#lx overlaps free memory (double free?)", pa, bytes);
		return;
	}
	bool merge_prev = i > 0 && fa->free[i - 1].base + fa->free[i - 1].len == pa;
	bool merge_next = i < fa->nr && pa + bytes == fa->free[i].base;
	if (merge_prev && merge_next) {
		fa->free[i - 1].len += bytes + fa->free[i].len;
		remove_at(fa, i);
	} else if (merge_prev) {
		fa->free[i - 1].len += bytes;
	} else if (merge_next) {
		fa->free[i].base = pa;
		fa->free[i].len += bytes;
	} else if (!insert_at(fa, i, pa, bytes)) {
		pr_err("frame: free-range table full; %#lx+%#lx leaked", pa, bytes);
		return;
	}
	fa->free_bytes += bytes;
}

/* ---- The hypervisor's instance ---------------------------------------- */

struct frame_allocator hv_frames;
/* Guards hv_frames; any CPU may allocate. */
static spinlock_t frame_lock = SPINLOCK_INIT;

void *phys_to_virt(paddr_t pa)
{
	return (void *)((uintptr_t)hv_frames.direct_map + pa);
}

paddr_t virt_to_phys(const void *va)
{
	return (paddr_t)((uintptr_t)va - (uintptr_t)hv_frames.direct_map);
}

paddr_t frame_alloc_pages(uint64_t bytes, uint64_t align)
{
	spin_lock(&frame_lock);
	paddr_t pa = frame_alloc_range(&hv_frames, bytes, align);
	spin_unlock(&frame_lock);
	if (pa)
		bh_memset(phys_to_virt(pa), 0, ALIGN_UP(bytes, PAGE_SIZE));
	return pa;
}

paddr_t frame_alloc(void)
{
	return frame_alloc_pages(PAGE_SIZE, PAGE_SIZE);
}

paddr_t frame_alloc_zeroed(void)
{
	return frame_alloc_pages(PAGE_SIZE, PAGE_SIZE);
}

void frame_free_pages(paddr_t pa, uint64_t bytes)
{
	spin_lock(&frame_lock);
	frame_free_range(&hv_frames, pa, bytes);
	spin_unlock(&frame_lock);
}

void frame_free(paddr_t pa)
{
	frame_free_pages(pa, PAGE_SIZE);
}
