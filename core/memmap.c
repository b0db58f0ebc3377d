/* SPDX-License-Identifier: BSD-2-Clause */
#include "core/memmap.h"
#include "core/log.h"

static void insert_sorted(struct memmap *map, uint64_t base, uint64_t len)
{
	if (len == 0)
		return;
	if (map->nr == MEMMAP_MAX) {
		pr_warn("memory: more than %u usable ranges; %#lx+%#lx left unused", MEMMAP_MAX,
			base, len);
		return;
	}
	unsigned int i = map->nr;
	while (i > 0 && map->usable[i - 1].base > base) {
		map->usable[i] = map->usable[i - 1];
		i--;
	}
	map->usable[i] = (struct mem_range){ base, len };
	map->nr++;
}

static void remove_at(struct memmap *map, unsigned int i)
{
	for (; i + 1 < map->nr; i++)
		map->usable[i] = map->usable[i + 1];
	map->nr--;
}

void memmap_cut(struct memmap *map, uint64_t base, uint64_t len)
{
	if (len == 0)
		return;
	/* A range running to (or past) the top of the address space, or whose
	 * end rounds up past it, cuts everything above base. */
	uint64_t end = base + len;
	if (end < base || end > UINT64_MAX - (PAGE_SIZE - 1))
		end = UINT64_MAX;
	else
		end = ALIGN_UP(end, PAGE_SIZE);
	base = ALIGN_DOWN(base, PAGE_SIZE);
	for (unsigned int i = 0; i < map->nr;) {
		struct mem_range r = map->usable[i];
		uint64_t rend = r.base + r.len;
		if (end <= r.base || base >= rend) {
			i++;
			continue;
		}
		remove_at(map, i);
		if (r.base < base)
			insert_sorted(map, r.base, base - r.base);
		if (rend > end)
			insert_sorted(map, end, rend - end);
		i = 0; /* the list changed: rescan (it is short) */
	}
}

/* Add a usable range, merging with neighbours. */
static void add_usable(struct memmap *map, uint64_t base, uint64_t len)
{
	if (base + len < base) {
		pr_warn("memory: usable range %#lx+%#lx wraps around; ignored", base, len);
		return;
	}
	/* Within the last page rounding base up would wrap; nothing is left. */
	if (base > UINT64_MAX - (PAGE_SIZE - 1))
		return;
	uint64_t end = ALIGN_DOWN(base + len, PAGE_SIZE);
	base = ALIGN_UP(base, PAGE_SIZE);
	if (end <= base)
		return;
	/* Overlapping usable entries in a firmware map: merge by cutting first. */
	memmap_cut(map, base, end - base);
	insert_sorted(map, base, end - base);
	for (unsigned int i = 0; i + 1 < map->nr;) {
		struct mem_range *a = &map->usable[i], *b = &map->usable[i + 1];
		if (a->base + a->len == b->base) {
			a->len += b->len;
			remove_at(map, i + 1);
		} else {
			i++;
		}
	}
}

uint64_t memmap_build(struct memmap *map, const struct boot_info *bi,
		      const struct mem_range *reserve, unsigned int nr_reserve)
{
	map->nr = 0;
	map->usable_bytes = 0;
	map->highest_addr = 0;
	for (unsigned int i = 0; i < bi->nr_mem; i++) {
		const struct boot_mem_range *r = &bi->mem[i];
		if (r->base + r->len > map->highest_addr)
			map->highest_addr = r->base + r->len;
		if (r->type == BOOT_MEM_USABLE)
			add_usable(map, r->base, r->len);
	}
	for (unsigned int i = 0; i < bi->nr_mem; i++) {
		const struct boot_mem_range *r = &bi->mem[i];
		if (r->type != BOOT_MEM_USABLE)
			memmap_cut(map, r->base, r->len);
	}
	for (unsigned int i = 0; i < nr_reserve; i++)
		memmap_cut(map, reserve[i].base, reserve[i].len);
	for (unsigned int i = 0; i < map->nr; i++)
		map->usable_bytes += map->usable[i].len;
	return map->usable_bytes;
}
