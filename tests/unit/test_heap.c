/* SPDX-License-Identifier: BSD-2-Clause */
/* core/mm/heap.c: size-class heap over a page callback. The callback here
 * hands out aligned_alloc'd pages and records what it gave, so a test can
 * check that every page run comes back and nothing is touched outside. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/mm/heap.h"
#include "tests/unit/support/host_log.h"

struct pages {
	unsigned int gets, puts;
	uint64_t live_bytes;
	uint64_t last_get;
	int fail_after; /* refuse once this many gets have succeeded (-1: never) */
};

static void *get_pages(void *ctx, uint64_t bytes)
{
	struct pages *p = ctx;
	if (p->fail_after >= 0 && (int)p->gets >= p->fail_after)
		return NULL;
	cr_assert(IS_ALIGNED(bytes, PAGE_SIZE), "heap asked for %lu bytes", bytes);
	void *m = aligned_alloc(PAGE_SIZE, bytes);
	cr_assert_not_null(m);
	memset(m, 0, bytes);
	p->gets++;
	p->live_bytes += bytes;
	p->last_get = bytes;
	return m;
}

static void put_pages(void *ctx, void *m, uint64_t bytes)
{
	struct pages *p = ctx;
	p->puts++;
	p->live_bytes -= bytes;
	free(m);
}

static struct pages pg;
static struct heap h;

static void setup(void)
{
	memset(&pg, 0, sizeof(pg));
	pg.fail_after = -1;
	memset(&h, 0x77, sizeof(h)); /* heap_init must set every field */
	heap_init(&h, get_pages, put_pages, &pg);
	host_log_reset();
}

/* What a block of `size` payload bytes really occupies (class or page run,
 * minus the header): bytes_in_use counts this, so a free gives back exactly
 * what the allocation took. */
static uint64_t capacity(uint64_t size)
{
	uint64_t total = size + 16;
	if (total > (1u << HEAP_MAX_CLASS))
		return ALIGN_UP(total, PAGE_SIZE) - 16;
	uint64_t c = 1u << HEAP_MIN_CLASS;
	while (c < total)
		c <<= 1;
	return c - 16;
}

Test(heap, init_state, .init = setup)
{
	cr_assert_eq(h.bytes_in_use, 0);
	cr_assert_eq(h.bytes_reserved, 0);
	for (unsigned int i = 0; i <= HEAP_MAX_CLASS; i++)
		cr_assert_null(h.free_list[i]);
}

Test(heap, every_small_size_is_aligned_writable_and_disjoint, .init = setup)
{
	/* One block per size from 1 to the largest small payload: each one is
	 * 16-byte aligned, zeroed, and filling it whole does not touch any
	 * other (checked by the patterns afterwards). */
	enum { MAXSZ = (1 << HEAP_MAX_CLASS) - 16 };
	static uint8_t *blocks[MAXSZ + 1];
	for (unsigned int sz = 1; sz <= MAXSZ; sz++) {
		uint8_t *b = heap_alloc(&h, sz);
		cr_assert_not_null(b, "size %u", sz);
		cr_assert(IS_ALIGNED((uintptr_t)b, 16), "size %u at %p", sz, (void *)b);
		for (unsigned int i = 0; i < sz; i++)
			cr_assert_eq(b[i], 0, "size %u byte %u not zeroed", sz, i);
		memset(b, (uint8_t)sz, sz);
		blocks[sz] = b;
	}
	for (unsigned int sz = 1; sz <= MAXSZ; sz++)
		for (unsigned int i = 0; i < sz; i++)
			cr_assert_eq(blocks[sz][i], (uint8_t)sz, "block of size %u overwritten", sz);
	cr_assert_eq(host_log_count(), 0);
}

Test(heap, size_class_boundaries_share_blocks, .init = setup)
{
	/* A class of 2^c bytes holds 2^c - 16 payload bytes: blocks of the
	 * same class are 2^c apart within a chunk, the next size is not. */
	for (unsigned int c = HEAP_MIN_CLASS; c <= HEAP_MAX_CLASS; c++) {
		uint64_t fit = (1ull << c) - 16;
		uint8_t *a = heap_alloc(&h, fit);
		uint8_t *b = heap_alloc(&h, fit);
		uint64_t d = a > b ? (uint64_t)(a - b) : (uint64_t)(b - a);
		cr_assert_eq(d, 1ull << c, "class %u: blocks %lu apart", c, d);
	}
	uint64_t chunks = h.bytes_reserved / HEAP_CHUNK;
	cr_assert_eq(chunks, HEAP_MAX_CLASS - HEAP_MIN_CLASS + 1, "one chunk per class");
}

Test(heap, large_allocations_are_page_runs, .init = setup)
{
	uint64_t first_large = (1ull << HEAP_MAX_CLASS) - 16 + 1;
	uint8_t *a = heap_alloc(&h, first_large);
	cr_assert_not_null(a);
	cr_assert_eq(pg.last_get, PAGE_SIZE);
	cr_assert(IS_ALIGNED((uintptr_t)a - 16, PAGE_SIZE));
	uint8_t *b = heap_alloc(&h, 100000);
	cr_assert_eq(pg.last_get, ALIGN_UP(100000 + 16, PAGE_SIZE));
	memset(b, 0xee, 100000);
	uint8_t *c = heap_alloc(&h, PAGE_SIZE - 16); /* exactly one page */
	cr_assert_eq(pg.last_get, PAGE_SIZE);
	cr_assert_eq(h.bytes_reserved, 2 * PAGE_SIZE + ALIGN_UP(100016, PAGE_SIZE));
	heap_free(&h, a);
	heap_free(&h, b);
	heap_free(&h, c);
	cr_assert_eq(pg.puts, 3);
	cr_assert_eq(pg.live_bytes, 0);
	cr_assert_eq(h.bytes_reserved, 0);
	cr_assert_eq(h.bytes_in_use, 0);
	cr_assert_eq(host_log_count(), 0);
}

Test(heap, refused_sizes, .init = setup)
{
	cr_assert_null(heap_alloc(&h, 0));
	cr_assert_null(heap_alloc(&h, GiB(1) + 1));
	cr_assert_null(heap_alloc(&h, UINT64_MAX));
	cr_assert_null(heap_alloc(&h, UINT64_MAX - 8), "size + header must not wrap");
	cr_assert_eq(pg.gets, 0);
	cr_assert_eq(h.bytes_in_use, 0);
}

Test(heap, provider_failure, .init = setup)
{
	pg.fail_after = 0;
	cr_assert_null(heap_alloc(&h, 64));
	cr_assert_null(heap_alloc(&h, 10000));
	cr_assert_eq(h.bytes_in_use, 0);
	cr_assert_eq(h.bytes_reserved, 0);
}

Test(heap, chunk_exhaustion_refills, .init = setup)
{
	static void *keep[HEAP_CHUNK / 64]; /* reachable, for LeakSanitizer */
	pg.fail_after = 1;
	unsigned int per_chunk = HEAP_CHUNK / 64;
	for (unsigned int i = 0; i < per_chunk; i++) {
		keep[i] = heap_alloc(&h, 48);
		cr_assert_not_null(keep[i], "block %u", i);
	}
	cr_assert_null(heap_alloc(&h, 48), "the chunk is used up and the provider refuses");
	pg.fail_after = -1;
	cr_assert_not_null(heap_alloc(&h, 48));
	cr_assert_eq(pg.gets, 2);
}

Test(heap, reuse_after_free_is_zeroed, .init = setup)
{
	uint8_t *a = heap_alloc(&h, 200);
	memset(a, 0xab, 200);
	heap_free(&h, a);
	uint8_t *b = heap_alloc(&h, 150); /* same class (256) */
	cr_assert_eq(b, a, "the freed block is reused first");
	for (unsigned int i = 0; i < 240; i++)
		cr_assert_eq(b[i], 0, "byte %u of a reused block not zeroed", i);
}

Test(heap, free_null_is_a_no_op, .init = setup)
{
	heap_free(&h, NULL);
	cr_assert_eq(host_log_count(), 0);
}

Test(heap, free_of_a_pointer_into_a_block_logged, .init = setup)
{
	uint8_t *a = heap_alloc(&h, 500);
	heap_free(&h, a + 64);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("not allocated"));
	cr_assert_eq(h.bytes_in_use, capacity(500), "a refused free changes nothing");
	heap_free(&h, a); /* the real free still works */
	cr_assert_eq(h.bytes_in_use, 0);
}

Test(heap, double_free_logged, .init = setup)
{
	uint8_t *a = heap_alloc(&h, 40);
	uint8_t *keep = heap_alloc(&h, 40);
	heap_free(&h, a);
	heap_free(&h, a);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("not allocated"));
	/* The free list was not corrupted into handing a out twice. */
	uint8_t *x = heap_alloc(&h, 40);
	uint8_t *y = heap_alloc(&h, 40);
	cr_assert_eq(x, a);
	cr_assert_neq(y, a);
	cr_assert_neq(y, keep);
}

Test(heap, corrupt_class_logged, .init = setup)
{
	uint8_t *a = heap_alloc(&h, 40);
	a[-12] = 3; /* the header's class byte: below the smallest class */
	heap_free(&h, a);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("corrupt header"));
	a[-12] = HEAP_MAX_CLASS + 1;
	heap_free(&h, a);
	cr_assert_eq(host_log_count(), 2);
}

Test(heap, bytes_in_use_accounting, .init = setup)
{
	void *a = heap_alloc(&h, 100);
	cr_assert_eq(h.bytes_in_use, 112);
	void *b = heap_alloc(&h, 3000); /* large: one page */
	void *c = heap_alloc(&h, 17);   /* small, class 64 */
	cr_assert_eq(h.bytes_in_use, 112 + 4080 + 48);
	heap_free(&h, b);
	cr_assert_eq(h.bytes_in_use, 112 + 48, "freeing a large block must give back what it took");
	heap_free(&h, c);
	cr_assert_eq(h.bytes_in_use, 112, "freeing a small block must give back what it took");
	void *d = heap_alloc(&h, 1);
	heap_free(&h, d);
	cr_assert_eq(h.bytes_in_use, 112);
	heap_free(&h, a);
	cr_assert_eq(h.bytes_in_use, 0);
}

Test(heap, many_mixed_allocations_round_trip, .init = setup)
{
	enum { N = 2000 };
	static uint8_t *p[N];
	static uint64_t sz[N];
	uint64_t seed = 12345, total = 0;
	for (unsigned int i = 0; i < N; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		sz[i] = 1 + (seed >> 33) % 6000;
		p[i] = heap_alloc(&h, sz[i]);
		cr_assert_not_null(p[i]);
		memset(p[i], (uint8_t)i, sz[i]);
		total += capacity(sz[i]);
	}
	cr_assert_eq(h.bytes_in_use, total);
	for (unsigned int i = 0; i < N; i += 2)
		heap_free(&h, p[i]);
	for (unsigned int i = 1; i < N; i += 2)
		for (uint64_t j = 0; j < sz[i]; j++)
			cr_assert_eq(p[i][j], (uint8_t)i, "block %u byte %lu", i, j);
	for (unsigned int i = 1; i < N; i += 2)
		heap_free(&h, p[i]);
	cr_assert_eq(h.bytes_in_use, 0);
	cr_assert_eq(host_log_count(), 0);
	/* Large runs went back; small chunks stay with the heap. */
	cr_assert_eq(pg.live_bytes, h.bytes_reserved);
	cr_assert_eq(h.bytes_reserved % HEAP_CHUNK, 0);
}
