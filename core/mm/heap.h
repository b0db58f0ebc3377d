/* SPDX-License-Identifier: BSD-2-Clause */
/* The hypervisor heap: kmalloc/kfree for control structures (partitions,
 * vCPUs, device models). Small sizes come from power-of-two size classes
 * carved out of 64 KiB chunks; large ones are whole page runs. Every block has
 * a 16-byte header so kfree can check what it is given. Pure code: pages come
 * from a callback, so host tests run it over malloc'd memory. */
#ifndef BULKHEAD_CORE_MM_HEAP_H
#define BULKHEAD_CORE_MM_HEAP_H

#include "core/types.h"

#define HEAP_MIN_CLASS 5  /* 32 bytes */
#define HEAP_MAX_CLASS 11 /* 2048 bytes */
#define HEAP_CHUNK (64 * 1024)

struct heap_block;

struct heap {
	void *(*get_pages)(void *ctx, uint64_t bytes); /* zeroed, page aligned, NULL on failure */
	void (*put_pages)(void *ctx, void *p, uint64_t bytes);
	void *ctx;
	struct heap_block *free_list[HEAP_MAX_CLASS + 1];
	uint64_t bytes_in_use;   /* payload bytes handed out */
	uint64_t bytes_reserved; /* pages taken from the provider */
};

void heap_init(struct heap *h, void *(*get_pages)(void *, uint64_t),
	       void (*put_pages)(void *, void *, uint64_t), void *ctx);
void *heap_alloc(struct heap *h, uint64_t size); /* zeroed; NULL on failure */
void heap_free(struct heap *h, void *p);

/* The hypervisor's heap (set up in boot, locked). */
void *kzalloc(uint64_t size);
void kfree(void *p);
uint64_t kheap_bytes_in_use(void);
/* Bytes the heap took from the frame allocator (in use or not). */
uint64_t kheap_bytes_reserved(void);
void kheap_init(void);

#endif
