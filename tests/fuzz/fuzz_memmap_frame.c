/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzzes core/memmap.c and core/mm/frame.c together. The input is a list of
 * 17-byte records: the first ones (up to a count in byte 0) are firmware
 * memory ranges {base, len, type}, the rest a reserve list; then the same
 * bytes drive a sequence of frame allocations and frees.
 * Checks: the usable map is sorted, disjoint, merged, page aligned, never
 * wraps and never contains a byte that a non-usable range or the reserve
 * list covers; the allocator's free list keeps the same shape, allocations
 * are aligned, inside usable memory and never handed out twice. */
#include <stdlib.h>
#include <string.h>

#include "core/memmap.h"
#include "core/mm/frame.h"
#include "tests/unit/support/host_log.h"

#define REC 17
#define MAX_LIVE 64

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* Firmware ranges are made smaller and lower most of the time, so that they
 * overlap each other often; bit 7 of the type byte keeps them raw. */
static void decode(const uint8_t *p, uint64_t *base, uint64_t *len, uint8_t *type)
{
	*base = get64(p);
	*len = get64(p + 8);
	*type = p[16];
	if (!(*type & 0x80)) {
		*base &= 0xffffffff;
		*len &= 0x3ffffff;
	}
	*type &= 0x7f;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	uint64_t aend = a + alen < a ? UINT64_MAX : a + alen;
	uint64_t bend = b + blen < b ? UINT64_MAX : b + blen;
	return a < bend && b < aend;
}

static void check_map(const struct memmap *m, const struct boot_info *bi,
		      const struct mem_range *res, unsigned int nres)
{
	uint64_t sum = 0;
	if (m->nr > MEMMAP_MAX)
		abort();
	for (unsigned int i = 0; i < m->nr; i++) {
		const struct mem_range *r = &m->usable[i];
		if (!r->len || !IS_ALIGNED(r->base | r->len, PAGE_SIZE) || r->base + r->len < r->base)
			abort();
		if (i && r->base <= m->usable[i - 1].base + m->usable[i - 1].len)
			abort();
		/* Inside some usable firmware range. */
		bool covered = false;
		for (unsigned int j = 0; j < bi->nr_mem && !covered; j++) {
			const struct boot_mem_range *f = &bi->mem[j];
			covered = f->type == BOOT_MEM_USABLE && f->base + f->len >= f->base &&
				  r->base >= f->base && r->base - f->base < f->len;
		}
		if (!covered)
			abort();
		for (unsigned int j = 0; j < bi->nr_mem; j++)
			if (bi->mem[j].type != BOOT_MEM_USABLE && bi->mem[j].len &&
			    overlaps(r->base, r->len, bi->mem[j].base, bi->mem[j].len))
				abort();
		for (unsigned int j = 0; j < nres; j++)
			if (res[j].len && overlaps(r->base, r->len, res[j].base, res[j].len))
				abort();
		sum += r->len;
	}
	if (sum != m->usable_bytes)
		abort();
}

static void check_frames(const struct frame_allocator *fa)
{
	uint64_t sum = 0;
	if (fa->nr > FRAME_MAX_RANGES)
		abort();
	for (unsigned int i = 0; i < fa->nr; i++) {
		const struct mem_range *r = &fa->free[i];
		if (!r->len || !IS_ALIGNED(r->base | r->len, PAGE_SIZE) || r->base + r->len < r->base)
			abort();
		if (i && r->base <= fa->free[i - 1].base + fa->free[i - 1].len)
			abort();
		sum += r->len;
	}
	if (sum != fa->free_bytes)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct boot_info bi;
	static struct memmap map;
	static struct frame_allocator fa;
	struct mem_range res[32];
	unsigned int nres = 0;

	if (size < 1)
		return 0;
	host_log_reset();
	memset(&bi, 0, sizeof(bi));
	unsigned int nfw = data[0] % 40, nrec = (unsigned int)((size - 1) / REC);
	const uint8_t *p = data + 1;
	for (unsigned int i = 0; i < nrec; i++, p += REC) {
		uint64_t base, len;
		uint8_t type;
		decode(p, &base, &len, &type);
		if (i < nfw && bi.nr_mem < BOOT_MAX_MEM_RANGES)
			bi.mem[bi.nr_mem++] = (struct boot_mem_range){ base, len, 1 + type % 5, 0 };
		else if (nres < ARRAY_SIZE(res))
			res[nres++] = (struct mem_range){ base, len };
	}
	memmap_build(&map, &bi, res, nres);
	check_map(&map, &bi, res, nres);

	frame_init(&fa, &map, NULL);
	check_frames(&fa);
	struct {
		paddr_t pa;
		uint64_t bytes;
	} live[MAX_LIVE];
	unsigned int nlive = 0;
	for (size_t i = 1; i + 2 <= size; i += 2) {
		uint8_t op = data[i], arg = data[i + 1];
		if (op & 1 && nlive) {
			unsigned int k = arg % nlive;
			frame_free_range(&fa, live[k].pa, live[k].bytes);
			live[k] = live[--nlive];
		} else if (nlive < MAX_LIVE) {
			uint64_t bytes = (uint64_t)(arg & 0x3f) * PAGE_SIZE + (op >> 4);
			uint64_t align = PAGE_SIZE << (op >> 1 & 7) * 2;
			paddr_t pa = frame_alloc_range(&fa, bytes, align);
			if (pa) {
				if (!IS_ALIGNED(pa, align) || !bytes)
					abort();
				uint64_t rounded = ALIGN_UP(bytes, PAGE_SIZE);
				bool in_map = false;
				for (unsigned int j = 0; j < map.nr && !in_map; j++)
					in_map = range_within(pa, rounded, map.usable[j].base,
							      map.usable[j].len);
				if (!in_map)
					abort();
				for (unsigned int j = 0; j < nlive; j++)
					if (overlaps(pa, rounded, live[j].pa,
						     ALIGN_UP(live[j].bytes, PAGE_SIZE)))
						abort();
				for (unsigned int j = 0; j < fa.nr; j++)
					if (overlaps(pa, rounded, fa.free[j].base, fa.free[j].len))
						abort();
				live[nlive].pa = pa;
				live[nlive++].bytes = bytes;
			}
		}
		check_frames(&fa);
	}
	while (nlive) {
		nlive--;
		frame_free_range(&fa, live[nlive].pa, live[nlive].bytes);
	}
	check_frames(&fa);
	/* Everything came back (unless the table was full and said so). */
	if (fa.free_bytes != fa.total_bytes && !host_log_contains("table full"))
		abort();
	return 0;
}
