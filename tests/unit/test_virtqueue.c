/* SPDX-License-Identifier: BSD-2-Clause */
/* Split virtqueue, device side: a small driver-side ring builder lays out
 * descriptor table, available and used rings in a malloc'd guest RAM, then
 * the tests check chains (direct, indirect, mixed), every validation error,
 * index wrap, EVENT_IDX / flag based suppression and chain copies. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/virtqueue.h"

#define RAM_GPA 0x100000ULL
#define RAM_SIZE 0x100000ULL
#define DESC_GPA (RAM_GPA + 0x0000)
#define AVAIL_GPA (RAM_GPA + 0x8000)
#define USED_GPA (RAM_GPA + 0x9000)
#define TABLE_GPA (RAM_GPA + 0x10000) /* indirect tables */
#define DATA_GPA (RAM_GPA + 0x20000)
/* A region far away that is "RAM" for bounds checks but never touched:
 * lets chains with huge buffers be built. */
#define HUGE_GPA 0x100000000ULL
#define HUGE_SIZE (16ULL << 30)

static struct gmem mem;
static uint8_t *ram;
static uint8_t huge_dummy[16];
static struct virtq q;
static struct virtq_chain c;
static uint16_t qsize;
static uint16_t drv_avail_idx;

static void *at(gpa_t gpa)
{
	cr_assert(gpa >= RAM_GPA && gpa < RAM_GPA + RAM_SIZE);
	return ram + (gpa - RAM_GPA);
}

static void put16(gpa_t gpa, uint16_t v)
{
	memcpy(at(gpa), &v, 2);
}
static void put32(gpa_t gpa, uint32_t v)
{
	memcpy(at(gpa), &v, 4);
}
static void put64(gpa_t gpa, uint64_t v)
{
	memcpy(at(gpa), &v, 8);
}
static uint16_t get16(gpa_t gpa)
{
	uint16_t v;
	memcpy(&v, at(gpa), 2);
	return v;
}
static uint32_t get32(gpa_t gpa)
{
	uint32_t v;
	memcpy(&v, at(gpa), 4);
	return v;
}

/* Driver side (§2.7.13): descriptor, avail ring entry, then avail idx. */
static void desc_at(gpa_t table, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		    uint16_t next)
{
	gpa_t d = table + 16ULL * i;
	put64(d, addr);
	put32(d + 8, len);
	put16(d + 12, flags);
	put16(d + 14, next);
}

static void set_desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	desc_at(DESC_GPA, i, addr, len, flags, next);
}

static void publish(uint16_t head)
{
	put16(AVAIL_GPA + 4 + 2ULL * (drv_avail_idx % qsize), head);
	drv_avail_idx++;
	put16(AVAIL_GPA + 2, drv_avail_idx);
}

static void set_avail_idx(uint16_t idx)
{
	drv_avail_idx = idx;
	put16(AVAIL_GPA + 2, idx);
}

static uint16_t used_idx(void)
{
	return get16(USED_GPA + 2);
}
static uint16_t used_flags(void)
{
	return get16(USED_GPA);
}
static uint32_t used_id(uint16_t slot)
{
	return get32(USED_GPA + 4 + 8ULL * slot);
}
static uint32_t used_len(uint16_t slot)
{
	return get32(USED_GPA + 8 + 8ULL * slot);
}
static uint16_t avail_event(void)
{
	return get16(USED_GPA + 4 + 8ULL * qsize);
}
static void set_used_event(uint16_t v)
{
	put16(AVAIL_GPA + 4 + 2ULL * qsize, v);
}
static void set_avail_flags(uint16_t v)
{
	put16(AVAIL_GPA, v);
}

static void enable(uint16_t size, bool event_idx, bool indirect)
{
	qsize = size;
	drv_avail_idx = 0;
	cr_assert_eq(virtq_enable(&q, &mem, size, DESC_GPA, AVAIL_GPA, USED_GPA, event_idx, indirect),
		     VIRTQ_OK);
}

static void setup(void)
{
	ram = aligned_alloc(4096, RAM_SIZE);
	cr_assert(ram);
	memset(ram, 0, RAM_SIZE);
	memset(&mem, 0, sizeof(mem));
	cr_assert(gmem_add_region(&mem, RAM_GPA, RAM_SIZE, ram));
	cr_assert(gmem_add_region(&mem, HUGE_GPA, HUGE_SIZE, huge_dummy));
	memset(&q, 0, sizeof(q));
	memset(&c, 0, sizeof(c));
}

static void teardown(void)
{
	free(ram);
}

TestSuite(virtqueue, .init = setup, .fini = teardown);

Test(virtqueue, not_ready_and_empty)
{
	cr_assert_eq(virtq_pop(&q, &c), VIRTQ_ERR_NOT_READY);
	cr_assert_not(virtq_has_avail(&q));
	enable(8, false, false);
	cr_assert(q.ready);
	cr_assert_eq(virtq_pop(&q, &c), VIRTQ_EMPTY);
	cr_assert_not(virtq_has_avail(&q));
	virtq_reset(&q);
	cr_assert_not(q.ready);
	cr_assert_eq(virtq_pop(&q, &c), VIRTQ_ERR_NOT_READY);
}

Test(virtqueue, simple_chain_and_push)
{
	enable(8, false, false);
	set_desc(3, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 5);
	set_desc(5, DATA_GPA + 0x100, 32, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, DATA_GPA + 0x200, 64, VIRTQ_DESC_F_WRITE, 0);
	publish(3);
	cr_assert(virtq_has_avail(&q));
	cr_assert_eq(virtq_pop(&q, &c), VIRTQ_OK);
	cr_assert_eq(c.head, 3);
	cr_assert_eq(c.nr_segs, 3);
	cr_assert_eq(c.nr_readable, 2);
	cr_assert_eq(c.readable_len, 48);
	cr_assert_eq(c.writable_len, 64);
	cr_assert_eq(c.seg[0].gpa, DATA_GPA);
	cr_assert_eq(c.seg[1].len, 32);
	cr_assert_not(c.seg[1].device_writes);
	cr_assert(c.seg[2].device_writes);
	cr_assert_eq(c.seg[2].gpa, DATA_GPA + 0x200);
	cr_assert_not(virtq_has_avail(&q));
	cr_assert_eq(virtq_pop(&q, &c), VIRTQ_EMPTY);

	cr_assert_eq(used_idx(), 0);
	virtq_push(&q, 3, 40);
	cr_assert_eq(used_idx(), 1);
	cr_assert_eq(used_id(0), 3);
	cr_assert_eq(used_len(0), 40);
}

Test(virtqueue, single_writable_and_single_readable)
{
	enable(4, false, false);
	set_desc(0, DATA_GPA, 100, VIRTQ_DESC_F_WRITE, 0);
	set_desc(1, DATA_GPA + 0x1000, 7, 0, 0);
	publish(0);
	publish(1);
	cr_assert_eq(virtq_pop(&q, &c), VIRTQ_OK);
	cr_assert_eq(c.nr_readable, 0);
	cr_assert_eq(c.nr_segs, 1);
	cr_assert_eq(c.writable_len, 100);
	cr_assert_eq(virtq_pop(&q, &c), VIRTQ_OK);
	cr_assert_eq(c.nr_readable, 1);
	cr_assert_eq(c.readable_len, 7);
	cr_assert_eq(c.writable_len, 0);
}

Test(virtqueue, enable_validation)
{
	struct {
		uint16_t size;
		gpa_t d, a, u;
		enum virtq_result want;
	} cases[] = {
		{ 0, DESC_GPA, AVAIL_GPA, USED_GPA, VIRTQ_ERR_NOT_READY },
		{ 6, DESC_GPA, AVAIL_GPA, USED_GPA, VIRTQ_ERR_NOT_READY },
		{ VIRTQ_MAX_SIZE * 2, DESC_GPA, AVAIL_GPA, USED_GPA, VIRTQ_ERR_NOT_READY },
		{ 8, DESC_GPA + 8, AVAIL_GPA, USED_GPA, VIRTQ_ERR_RING_ADDR },
		{ 8, DESC_GPA, AVAIL_GPA + 1, USED_GPA, VIRTQ_ERR_RING_ADDR },
		{ 8, DESC_GPA, AVAIL_GPA, USED_GPA + 2, VIRTQ_ERR_RING_ADDR },
		{ 8, 0x1000, AVAIL_GPA, USED_GPA, VIRTQ_ERR_RING_ADDR },
		/* used ring (6 + 8*8 bytes) sticking out of the end of RAM */
		{ 8, DESC_GPA, AVAIL_GPA, RAM_GPA + RAM_SIZE - 64, VIRTQ_ERR_RING_ADDR },
		/* descriptor table of 8*16 bytes crossing the end */
		{ 8, DESC_GPA, RAM_GPA + RAM_SIZE - 0x10, USED_GPA, VIRTQ_ERR_RING_ADDR },
		{ 8, 0xFFFFFFFFFFFFFFF0ULL, AVAIL_GPA, USED_GPA, VIRTQ_ERR_RING_ADDR },
	};
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum virtq_result r = virtq_enable(&q, &mem, cases[i].size, cases[i].d, cases[i].a,
						   cases[i].u, false, false);
		cr_assert_eq(r, cases[i].want, "case %u: %d", i, r);
		cr_assert_not(q.ready, "case %u", i);
	}
	/* The largest size with rings exactly at the end of RAM is fine. */
	cr_assert_eq(virtq_enable(&q, &mem, 1, RAM_GPA + RAM_SIZE - 16, RAM_GPA + RAM_SIZE - 64,
				  RAM_GPA + RAM_SIZE - 32, true, true),
		     VIRTQ_OK);
	cr_assert_eq(virtq_enable(&q, &mem, VIRTQ_MAX_SIZE, DESC_GPA, TABLE_GPA, DATA_GPA, false,
				  false),
		     VIRTQ_OK);
}

Test(virtqueue, enable_cleans_used_ring)
{
	put16(USED_GPA, 0xFFFF);
	put16(USED_GPA + 2, 0x1234);
	enable(8, true, false);
	cr_assert_eq(used_flags(), 0);
	cr_assert_eq(used_idx(), 0);
	cr_assert_eq(avail_event(), 0);
}

Test(virtqueue, indirect_chain)
{
	enable(8, false, true);
	desc_at(TABLE_GPA, 0, DATA_GPA, 10, VIRTQ_DESC_F_NEXT, 2);
	desc_at(TABLE_GPA, 2, DATA_GPA + 0x100, 20, VIRTQ_DESC_F_NEXT, 1);
	desc_at(TABLE_GPA, 1, DATA_GPA + 0x200, 30, VIRTQ_DESC_F_WRITE, 0);
	/* WRITE on the descriptor naming the table is ignored (§2.7.5.3.2). */
	set_desc(4, TABLE_GPA, 3 * 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
	publish(4);
	cr_assert_eq(virtq_pop(&q, &c), VIRTQ_OK);
	cr_assert_eq(c.head, 4);
	cr_assert_eq(c.nr_segs, 3);
	cr_assert_eq(c.nr_readable, 2);
	cr_assert_eq(c.readable_len, 30);
	cr_assert_eq(c.writable_len, 30);
	cr_assert_eq(c.seg[1].gpa, DATA_GPA + 0x100);
}

Test(virtqueue, direct_then_indirect_at_chain_end)
{
	enable(8, false, true);
	desc_at(TABLE_GPA + 3, 0, DATA_GPA + 0x300, 8, VIRTQ_DESC_F_WRITE, 0); /* unaligned table */
	set_desc(0, DATA_GPA, 4, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, TABLE_GPA + 3, 16, VIRTQ_DESC_F_INDIRECT, 0);
	publish(0);
	cr_assert_eq(virtq_pop(&q, &c), VIRTQ_OK);
	cr_assert_eq(c.nr_segs, 2);
	cr_assert_eq(c.nr_readable, 1);
	cr_assert_eq(c.seg[1].gpa, DATA_GPA + 0x300);
}

static enum virtq_result pop_one(void)
{
	publish(0);
	return virtq_pop(&q, &c);
}

Test(virtqueue, indirect_errors)
{
	enable(8, false, false);
	desc_at(TABLE_GPA, 0, DATA_GPA, 10, 0, 0);
	set_desc(0, TABLE_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	cr_assert_eq(pop_one(), VIRTQ_ERR_INDIRECT, "not negotiated");

	enable(8, false, true);
	set_desc(0, TABLE_GPA, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, DATA_GPA, 4, 0, 0);
	cr_assert_eq(pop_one(), VIRTQ_ERR_INDIRECT, "INDIRECT with NEXT");
	set_desc(0, TABLE_GPA, 24, VIRTQ_DESC_F_INDIRECT, 0);
	cr_assert_eq(pop_one(), VIRTQ_ERR_INDIRECT, "length not a multiple of 16");
	set_desc(0, TABLE_GPA, 0, VIRTQ_DESC_F_INDIRECT, 0);
	cr_assert_eq(pop_one(), VIRTQ_ERR_INDIRECT, "empty table");
	desc_at(TABLE_GPA, 0, TABLE_GPA + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
	set_desc(0, TABLE_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	cr_assert_eq(pop_one(), VIRTQ_ERR_INDIRECT, "nested");
	set_desc(0, RAM_GPA + RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	cr_assert_eq(pop_one(), VIRTQ_ERR_BUFFER, "table outside RAM");
	desc_at(TABLE_GPA, 0, DATA_GPA, 10, VIRTQ_DESC_F_NEXT, 2);
	set_desc(0, TABLE_GPA, 32, VIRTQ_DESC_F_INDIRECT, 0);
	cr_assert_eq(pop_one(), VIRTQ_ERR_DESC_INDEX, "next beyond the table");
	desc_at(TABLE_GPA, 0, DATA_GPA, 10, VIRTQ_DESC_F_NEXT, 1);
	desc_at(TABLE_GPA, 1, DATA_GPA, 10, VIRTQ_DESC_F_NEXT, 0);
	cr_assert_eq(pop_one(), VIRTQ_ERR_LOOP, "loop inside the table");
	desc_at(TABLE_GPA, 1, 0x10, 10, 0, 0);
	cr_assert_eq(pop_one(), VIRTQ_ERR_BUFFER, "buffer outside RAM in the table");
	desc_at(TABLE_GPA, 0, DATA_GPA, 10, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	desc_at(TABLE_GPA, 1, DATA_GPA, 10, 0, 0);
	cr_assert_eq(pop_one(), VIRTQ_ERR_DIRECTION, "direction inside the table");
	/* After all that the queue still works: errors consume the chain. */
	desc_at(TABLE_GPA, 1, DATA_GPA, 10, VIRTQ_DESC_F_WRITE, 0);
	cr_assert_eq(pop_one(), VIRTQ_OK);
	cr_assert_eq(c.nr_segs, 2);
	cr_assert_eq(virtq_pop(&q, &c), VIRTQ_EMPTY);
}

Test(virtqueue, direct_errors)
{
	enable(8, false, false);
	publish(8);
	cr_assert_eq(virtq_pop(&q, &c), VIRTQ_ERR_DESC_INDEX, "head == size");
	publish(0xFFFF);
	cr_assert_eq(virtq_pop(&q, &c), VIRTQ_ERR_DESC_INDEX, "head huge");

	set_desc(0, DATA_GPA, 4, VIRTQ_DESC_F_NEXT, 9);
	cr_assert_eq(pop_one(), VIRTQ_ERR_DESC_INDEX, "next >= size");

	set_desc(0, DATA_GPA, 4, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, DATA_GPA, 4, VIRTQ_DESC_F_NEXT, 0);
	cr_assert_eq(pop_one(), VIRTQ_ERR_LOOP, "0 -> 1 -> 0");
	set_desc(0, DATA_GPA, 4, VIRTQ_DESC_F_NEXT, 0);
	cr_assert_eq(pop_one(), VIRTQ_ERR_LOOP, "self loop");

	set_desc(0, DATA_GPA, 0, 0, 0);
	cr_assert_eq(pop_one(), VIRTQ_ERR_BUFFER, "zero length");
	set_desc(0, 0x1000, 4, 0, 0);
	cr_assert_eq(pop_one(), VIRTQ_ERR_BUFFER, "below RAM");
	set_desc(0, RAM_GPA + RAM_SIZE - 4, 8, 0, 0);
	cr_assert_eq(pop_one(), VIRTQ_ERR_BUFFER, "straddles the end of RAM");
	set_desc(0, 0xFFFFFFFFFFFFFFF0ULL, 0x20, 0, 0);
	cr_assert_eq(pop_one(), VIRTQ_ERR_BUFFER, "address wraps");

	set_desc(0, DATA_GPA, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, DATA_GPA, 4, 0, 0);
	cr_assert_eq(pop_one(), VIRTQ_ERR_DIRECTION, "readable after writable");

	set_desc(0, HUGE_GPA, 0x80000000u, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, HUGE_GPA, 0x80000000u, VIRTQ_DESC_F_WRITE, 0);
	cr_assert_eq(pop_one(), VIRTQ_ERR_LENGTH, "4 GiB total");
	set_desc(1, HUGE_GPA, 0x7FFFFFFFu, VIRTQ_DESC_F_WRITE, 0);
	cr_assert_eq(pop_one(), VIRTQ_OK, "just under 4 GiB total");
	cr_assert_eq(c.readable_len + c.writable_len, 0xFFFFFFFFULL);
}

Test(virtqueue, chain_too_long)
{
	enable(128, false, false);
	for (uint16_t i = 0; i < VIRTQ_MAX_SEGS; i++)
		set_desc(i, DATA_GPA + i, 1, VIRTQ_DESC_F_NEXT, i + 1);
	set_desc(VIRTQ_MAX_SEGS - 1, DATA_GPA, 1, 0, 0);
	cr_assert_eq(pop_one(), VIRTQ_OK);
	cr_assert_eq(c.nr_segs, VIRTQ_MAX_SEGS);
	set_desc(VIRTQ_MAX_SEGS - 1, DATA_GPA, 1, VIRTQ_DESC_F_NEXT, VIRTQ_MAX_SEGS);
	set_desc(VIRTQ_MAX_SEGS, DATA_GPA, 1, 0, 0);
	cr_assert_eq(pop_one(), VIRTQ_ERR_CHAIN_TOO_LONG);
}

Test(virtqueue, avail_idx_ahead)
{
	enable(8, false, false);
	for (uint16_t i = 0; i < 8; i++) {
		set_desc(i, DATA_GPA + 16 * i, 16, 0, 0);
		publish(i);
	}
	/* Exactly size ahead is legal: all eight come out in order. */
	for (uint16_t i = 0; i < 8; i++) {
		cr_assert_eq(virtq_pop(&q, &c), VIRTQ_OK);
		cr_assert_eq(c.head, i);
	}
	cr_assert_eq(virtq_pop(&q, &c), VIRTQ_EMPTY);
	/* size + 1 ahead is not. */
	set_avail_idx(drv_avail_idx + 9);
	cr_assert_eq(virtq_pop(&q, &c), VIRTQ_ERR_AVAIL_IDX);
	cr_assert_eq(q.last_avail, 8, "nothing consumed");
	/* Running "backwards" is huge modulo 2^16 too. */
	set_avail_idx(7);
	cr_assert_eq(virtq_pop(&q, &c), VIRTQ_ERR_AVAIL_IDX);
}

Test(virtqueue, index_wrap_by_state)
{
	enable(4, false, false);
	q.last_avail = 0xFFFE;
	q.used_idx = 0xFFFE;
	set_desc(0, DATA_GPA, 4, 0, 0);
	set_desc(1, DATA_GPA, 4, 0, 0);
	set_desc(2, DATA_GPA, 4, 0, 0);
	/* Slots 0xFFFE % 4 = 2, 0xFFFF % 4 = 3, 0 % 4 = 0. */
	put16(AVAIL_GPA + 4 + 2 * 2, 2);
	put16(AVAIL_GPA + 4 + 2 * 3, 1);
	put16(AVAIL_GPA + 4 + 2 * 0, 0);
	set_avail_idx(1);
	uint16_t want[] = { 2, 1, 0 };
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(virtq_pop(&q, &c), VIRTQ_OK);
		cr_assert_eq(c.head, want[i]);
		virtq_push(&q, c.head, i);
	}
	cr_assert_eq(virtq_pop(&q, &c), VIRTQ_EMPTY);
	cr_assert_eq(q.last_avail, 1);
	cr_assert_eq(used_idx(), 1);
	cr_assert_eq(used_id(2), 2);
	cr_assert_eq(used_id(3), 1);
	cr_assert_eq(used_id(0), 0);
	cr_assert_eq(used_len(0), 2);
}

Test(virtqueue, index_wrap_by_running)
{
	enable(4, true, false);
	set_desc(0, DATA_GPA, 4, VIRTQ_DESC_F_WRITE, 0);
	for (unsigned int n = 0; n < 70000; n++) {
		publish(0);
		cr_assert_eq(virtq_pop(&q, &c), VIRTQ_OK);
		virtq_push(&q, c.head, n & 0xFF);
		cr_assert_eq(used_idx(), (uint16_t)(n + 1));
		cr_assert_eq(avail_event(), (uint16_t)(n + 1));
	}
	cr_assert_eq(virtq_pop(&q, &c), VIRTQ_EMPTY);
}

Test(virtqueue, flags_interrupt_suppression)
{
	enable(8, false, false);
	set_desc(0, DATA_GPA, 4, 0, 0);
	cr_assert_not(virtq_needs_interrupt(&q), "nothing used yet");
	publish(0);
	cr_assert_eq(virtq_pop(&q, &c), VIRTQ_OK);
	virtq_push(&q, 0, 0);
	cr_assert(virtq_needs_interrupt(&q));
	cr_assert_not(virtq_needs_interrupt(&q), "nothing new since");
	set_avail_flags(VIRTQ_AVAIL_F_NO_INTERRUPT);
	publish(0);
	cr_assert_eq(virtq_pop(&q, &c), VIRTQ_OK);
	virtq_push(&q, 0, 0);
	cr_assert_not(virtq_needs_interrupt(&q), "NO_INTERRUPT");
	/* used_event is ignored without EVENT_IDX. */
	set_avail_flags(0);
	set_used_event(0x4000);
	publish(0);
	cr_assert_eq(virtq_pop(&q, &c), VIRTQ_OK);
	virtq_push(&q, 0, 0);
	cr_assert(virtq_needs_interrupt(&q));
}

static void complete_one(void)
{
	publish(0);
	cr_assert_eq(virtq_pop(&q, &c), VIRTQ_OK);
	virtq_push(&q, c.head, 1);
}

Test(virtqueue, event_idx_interrupt_suppression)
{
	enable(8, true, false);
	set_desc(0, DATA_GPA, 4, 0, 0);
	/* The NO_INTERRUPT flag means nothing with EVENT_IDX. */
	set_avail_flags(VIRTQ_AVAIL_F_NO_INTERRUPT);
	set_used_event(0);
	complete_one(); /* used 1 */
	cr_assert(virtq_needs_interrupt(&q), "first completion always signals");
	/* Driver wants an interrupt when used goes past 2. */
	set_used_event(2);
	complete_one(); /* used 2: event 2 not in [1, 2) */
	cr_assert_not(virtq_needs_interrupt(&q));
	complete_one(); /* used 3: event 2 in [2, 3) */
	cr_assert(virtq_needs_interrupt(&q));
	/* A batch that jumps over used_event still signals. */
	set_used_event(4);
	complete_one();
	complete_one();
	complete_one(); /* used 6, old 3 */
	cr_assert(virtq_needs_interrupt(&q));
	/* used_event stale (behind): no interrupt. */
	set_used_event(1);
	complete_one();
	cr_assert_not(virtq_needs_interrupt(&q));
}

Test(virtqueue, event_idx_wrap)
{
	enable(8, true, false);
	set_desc(0, DATA_GPA, 4, 0, 0);
	q.last_avail = 0xFFFE;
	q.used_idx = 0xFFFE;
	q.signalled_used = 0xFFFE;
	q.signalled_valid = true;
	set_avail_idx(0xFFFE);
	set_used_event(0xFFFF);
	complete_one(); /* used 0xFFFF: event 0xFFFF not in [0xFFFE, 0xFFFF) */
	cr_assert_not(virtq_needs_interrupt(&q));
	complete_one();
	complete_one(); /* used 0x0001, old 0xFFFF: event in [0xFFFF, 1) */
	cr_assert_eq(q.used_idx, 1);
	cr_assert(virtq_needs_interrupt(&q));
	set_used_event(0x0001);
	complete_one(); /* used 2, old 1: 1 in [1, 2) */
	cr_assert(virtq_needs_interrupt(&q));
}

Test(virtqueue, notify_suppression_flags)
{
	enable(8, false, false);
	cr_assert_eq(used_flags(), 0);
	virtq_set_notify(&q, false);
	cr_assert_eq(used_flags(), VIRTQ_USED_F_NO_NOTIFY);
	cr_assert_not(q.notify_enabled);
	virtq_set_notify(&q, true);
	cr_assert_eq(used_flags(), 0);
}

Test(virtqueue, notify_suppression_event_idx)
{
	enable(8, true, false);
	set_desc(0, DATA_GPA, 4, 0, 0);
	publish(0);
	publish(0);
	cr_assert_eq(virtq_pop(&q, &c), VIRTQ_OK);
	cr_assert_eq(avail_event(), 1, "ask to hear about entry 1 onwards");
	virtq_set_notify(&q, false);
	cr_assert_eq(used_flags(), 0, "flags untouched with EVENT_IDX");
	cr_assert_eq(virtq_pop(&q, &c), VIRTQ_OK);
	cr_assert_eq(avail_event(), 1, "not moved while disabled");
	virtq_set_notify(&q, true);
	cr_assert_eq(avail_event(), 2);
	cr_assert_not(virtq_has_avail(&q));
	/* The race of §2.7.10: something arrived while disabled. */
	virtq_set_notify(&q, false);
	publish(0);
	virtq_set_notify(&q, true);
	cr_assert(virtq_has_avail(&q));
}

Test(virtqueue, chain_read_write_across_segments)
{
	enable(8, false, false);
	uint8_t *d = at(DATA_GPA);
	for (int i = 0; i < 0x400; i++)
		d[i] = (uint8_t)i;
	set_desc(0, DATA_GPA + 0x00, 3, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, DATA_GPA + 0x10, 5, VIRTQ_DESC_F_NEXT, 2);
	set_desc(2, DATA_GPA + 0x20, 7, VIRTQ_DESC_F_NEXT, 3);
	set_desc(3, DATA_GPA + 0x100, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 4);
	set_desc(4, DATA_GPA + 0x200, 6, VIRTQ_DESC_F_WRITE, 0);
	publish(0);
	cr_assert_eq(virtq_pop(&q, &c), VIRTQ_OK);
	cr_assert_eq(c.readable_len, 15);
	cr_assert_eq(c.writable_len, 10);

	uint8_t buf[32];
	memset(buf, 0xEE, sizeof(buf));
	cr_assert_eq(virtq_chain_read(&q, &c, 2, buf, 8), 8);
	uint8_t want[] = { 0x02, 0x10, 0x11, 0x12, 0x13, 0x14, 0x20, 0x21 };
	cr_assert_arr_eq(buf, want, sizeof(want));
	cr_assert_eq(virtq_chain_read(&q, &c, 10, buf, 32), 5, "short at the end");
	cr_assert_eq(buf[4], 0x26);
	cr_assert_eq(virtq_chain_read(&q, &c, 15, buf, 1), 0);
	cr_assert_eq(virtq_chain_read(&q, &c, ~0ULL, buf, 1), 0);

	uint8_t src[12];
	for (int i = 0; i < 12; i++)
		src[i] = 0xA0 + i;
	cr_assert_eq(virtq_chain_write(&q, &c, 1, src, 12), 9, "only 9 bytes after offset 1");
	cr_assert_eq(d[0x100], 0x00, "offset 1 skipped the first byte");
	cr_assert_eq(d[0x101], 0xA0);
	cr_assert_eq(d[0x103], 0xA2);
	cr_assert_eq(d[0x104], 0x04, "past the 4-byte segment untouched");
	cr_assert_eq(d[0x200], 0xA3);
	cr_assert_eq(d[0x205], 0xA8);
	cr_assert_eq(d[0x206], 0x06, "past the chain untouched");
	cr_assert_eq(d[0x00], 0x00, "readable segments never written");
}

Test(virtqueue, push_when_not_ready_and_strings)
{
	virtq_push(&q, 0, 0);
	cr_assert_not(virtq_needs_interrupt(&q));
	for (int r = VIRTQ_ERR_CHAIN_TOO_LONG; r <= VIRTQ_EMPTY; r++)
		cr_assert(strlen(virtq_result_str((enum virtq_result)r)) > 0);
	cr_assert(strstr(virtq_result_str(VIRTQ_ERR_LOOP), "loop"));
}
