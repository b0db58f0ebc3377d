/* SPDX-License-Identifier: BSD-2-Clause */
#include "core/lib/string.h"
#include "core/log.h"
#include "core/mm/heap.h"

#define BLOCK_MAGIC 0x4b4c4248u      /* "HBLK" */
#define BLOCK_FREE_MAGIC 0x45455246u /* "FREE" */
#define LARGE_CLASS 0xffu

struct heap_block {
	uint32_t magic;
	uint8_t cls; /* size class, or LARGE_CLASS */
	uint8_t pad[3];
	union {
		uint64_t pages_bytes;    /* LARGE: bytes of the page run */
		struct heap_block *next; /* free: next in its list */
	};
};
STATIC_ASSERT(sizeof(struct heap_block) == 16, "heap header must keep 16-byte alignment");

void heap_init(struct heap *h, void *(*get_pages)(void *, uint64_t),
	       void (*put_pages)(void *, void *, uint64_t), void *ctx)
{
	bh_memset(h, 0, sizeof(*h));
	h->get_pages = get_pages;
	h->put_pages = put_pages;
	h->ctx = ctx;
}

static unsigned int class_for(uint64_t total)
{
	unsigned int c = HEAP_MIN_CLASS;
	while ((1ull << c) < total)
		c++;
	return c;
}

static bool refill(struct heap *h, unsigned int cls)
{
	uint8_t *chunk = h->get_pages(h->ctx, HEAP_CHUNK);
	if (!chunk)
		return false;
	h->bytes_reserved += HEAP_CHUNK;
	uint64_t sz = 1ull << cls;
	for (uint64_t off = 0; off + sz <= HEAP_CHUNK; off += sz) {
		struct heap_block *b = (struct heap_block *)(chunk + off);
		b->magic = BLOCK_FREE_MAGIC;
		b->cls = (uint8_t)cls;
		b->next = h->free_list[cls];
		h->free_list[cls] = b;
	}
	return true;
}

void *heap_alloc(struct heap *h, uint64_t size)
{
	if (size == 0 || size > GiB(1))
		return NULL;
	uint64_t total = size + sizeof(struct heap_block);
	uint64_t payload; /* what the block can hold: what heap_free gives back */
	struct heap_block *b;

	if (total > (1ull << HEAP_MAX_CLASS)) {
		uint64_t bytes = ALIGN_UP(total, PAGE_SIZE);
		b = h->get_pages(h->ctx, bytes);
		if (!b)
			return NULL;
		h->bytes_reserved += bytes;
		b->cls = LARGE_CLASS;
		b->pages_bytes = bytes;
		payload = bytes - sizeof(*b);
	} else {
		unsigned int cls = class_for(total);
		if (!h->free_list[cls] && !refill(h, cls))
			return NULL;
		b = h->free_list[cls];
		h->free_list[cls] = b->next;
		payload = (1ull << cls) - sizeof(*b);
		bh_memset(b + 1, 0, payload);
	}
	b->magic = BLOCK_MAGIC;
	h->bytes_in_use += payload;
	return b + 1;
}

void heap_free(struct heap *h, void *p)
{
	if (!p)
		return;
	struct heap_block *b = (struct heap_block *)p - 1;
	if (b->magic != BLOCK_MAGIC) {
		pr_err("heap: kfree(%p) of a block that is not allocated (magic %#x)", p, b->magic);
		return;
	}
	if (b->cls == LARGE_CLASS) {
		uint64_t bytes = b->pages_bytes;
		b->magic = BLOCK_FREE_MAGIC;
		h->bytes_reserved -= bytes;
		h->bytes_in_use -= MIN(h->bytes_in_use, bytes - sizeof(*b));
		h->put_pages(h->ctx, b, bytes);
		return;
	}
	if (b->cls < HEAP_MIN_CLASS || b->cls > HEAP_MAX_CLASS) {
		pr_err("heap: kfree(%p): corrupt header (class %u)", p, b->cls);
		return;
	}
	h->bytes_in_use -= MIN(h->bytes_in_use, (1ull << b->cls) - sizeof(*b));
	b->magic = BLOCK_FREE_MAGIC;
	b->next = h->free_list[b->cls];
	h->free_list[b->cls] = b;
}

#if defined(BULKHEAD_HYPERVISOR)
#include "core/mm/frame.h"
#include "core/spinlock.h"

/* The hypervisor heap; any CPU may allocate, under kheap_lock. */
static struct heap kheap;
static spinlock_t kheap_lock = SPINLOCK_INIT;

static void *kheap_get_pages(void *ctx, uint64_t bytes)
{
	paddr_t pa = frame_alloc_pages(bytes, PAGE_SIZE);
	return pa ? phys_to_virt(pa) : NULL;
}

static void kheap_put_pages(void *ctx, void *p, uint64_t bytes)
{
	frame_free_pages(virt_to_phys(p), bytes);
}

void kheap_init(void)
{
	heap_init(&kheap, kheap_get_pages, kheap_put_pages, NULL);
}

void *kzalloc(uint64_t size)
{
	spin_lock(&kheap_lock);
	void *p = heap_alloc(&kheap, size);
	spin_unlock(&kheap_lock);
	return p;
}

void kfree(void *p)
{
	spin_lock(&kheap_lock);
	heap_free(&kheap, p);
	spin_unlock(&kheap_lock);
}

uint64_t kheap_bytes_in_use(void)
{
	return kheap.bytes_in_use;
}

uint64_t kheap_bytes_reserved(void)
{
	return kheap.bytes_reserved;
}
#endif
