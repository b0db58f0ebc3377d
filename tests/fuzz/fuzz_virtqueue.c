/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz the device side of split virtqueues. Input:
 *   [0..1]   queue size (often made a power of two, see below)
 *   [2..7]   descriptor table / available / used ring offsets into RAM
 *   [8]      bit 0 EVENT_IDX, bit 1 INDIRECT_DESC, bit 2 raw size,
 *            bit 3 put the used ring in the small second region
 *   [9..12]  starting last_avail and used_idx (index wrap)
 *   [13]     number of operations n, then n operation bytes
 *   rest     guest RAM contents (rings, indirect tables, buffers)
 * RAM is two separately allocated regions, so ASan catches any access
 * outside them. Invariants: popped chains satisfy every rule of
 * virtqueue.h, every segment lies in RAM, copies never exceed the chain. */
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/virtqueue.h"
#include "tests/unit/support/host_log.h"

#define CHECK(c)                          \
	do {                              \
		if (!(c))                 \
			__builtin_trap(); \
	} while (0)

#define RAM0_GPA 0x10000ULL
#define RAM0_SIZE 0x10000ULL
#define RAM1_GPA 0x40000ULL
#define RAM1_SIZE 0x2000ULL
#define HDR_BYTES 14
#define MAX_INFLIGHT 64

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void check_chain(const struct virtq *q, const struct virtq_chain *c)
{
	uint64_t rl = 0, wl = 0;

	CHECK(c->head < q->size);
	CHECK(c->nr_segs >= 1 && c->nr_segs <= VIRTQ_MAX_SEGS);
	CHECK(c->nr_readable <= c->nr_segs);
	for (unsigned int i = 0; i < c->nr_segs; i++) {
		const struct virtq_seg *s = &c->seg[i];
		CHECK(s->len > 0);
		CHECK(gmem_ptr(q->mem, s->gpa, s->len) != NULL);
		CHECK(s->device_writes == (i >= c->nr_readable));
		if (s->device_writes)
			wl += s->len;
		else
			rl += s->len;
	}
	CHECK(rl == c->readable_len && wl == c->writable_len);
	CHECK(rl + wl <= 0xFFFFFFFFULL);
}

static void exercise_copies(const struct virtq *q, const struct virtq_chain *c, uint8_t op)
{
	static uint8_t buf[RAM0_SIZE + RAM1_SIZE];
	uint64_t off = op & 0x0F;
	uint64_t want = MIN(sizeof(buf), c->readable_len);
	uint64_t got = virtq_chain_read(q, c, off, buf, want);

	CHECK(got == (off < c->readable_len ? MIN(want, c->readable_len - off) : 0));
	want = MIN(sizeof(buf), c->writable_len);
	got = virtq_chain_write(q, c, off, buf, want);
	CHECK(got == (off < c->writable_len ? MIN(want, c->writable_len - off) : 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct virtq q;
	static struct virtq_chain c;
	struct gmem mem = { 0 };
	uint16_t inflight[MAX_INFLIGHT];
	unsigned int nr_inflight = 0;

	if (len < HDR_BYTES)
		return 0;
	uint8_t *ram0 = calloc(1, RAM0_SIZE);
	uint8_t *ram1 = calloc(1, RAM1_SIZE);
	CHECK(ram0 && ram1);
	CHECK(gmem_add_region(&mem, RAM0_GPA, RAM0_SIZE, ram0));
	CHECK(gmem_add_region(&mem, RAM1_GPA, RAM1_SIZE, ram1));

	uint8_t flags = data[8];
	uint16_t size = rd16(data);
	if (!(flags & 4))
		size = (uint16_t)(1u << (size % 11)); /* 1..1024 */
	gpa_t desc = RAM0_GPA + rd16(data + 2);
	gpa_t avail = RAM0_GPA + rd16(data + 4);
	gpa_t used = (flags & 8) ? RAM1_GPA + (rd16(data + 6) & 0x1FFF) : RAM0_GPA + rd16(data + 6);
	uint16_t start_avail = rd16(data + 9);
	uint16_t start_used = rd16(data + 11);
	size_t nr_ops = data[13];
	data += HDR_BYTES;
	len -= HDR_BYTES;
	if (nr_ops > len)
		nr_ops = len;
	const uint8_t *ops = data;
	data += nr_ops;
	len -= nr_ops;
	memcpy(ram0, data, MIN(len, RAM0_SIZE));
	if (len > RAM0_SIZE)
		memcpy(ram1, data + RAM0_SIZE, MIN(len - RAM0_SIZE, RAM1_SIZE));

	enum virtq_result r = virtq_enable(&q, &mem, size, desc, avail, used, flags & 1, flags & 2);
	if (r != VIRTQ_OK) {
		CHECK(!q.ready);
		CHECK(virtq_pop(&q, &c) == VIRTQ_ERR_NOT_READY);
		goto out;
	}
	q.last_avail = start_avail;
	q.used_idx = start_used;
	q.signalled_used = start_used;

	for (size_t i = 0; i < nr_ops; i++) {
		uint8_t op = ops[i];
		switch (op >> 5) {
		case 0:
		case 1:
		case 2:
			r = virtq_pop(&q, &c);
			CHECK(r >= VIRTQ_ERR_CHAIN_TOO_LONG && r <= VIRTQ_EMPTY);
			CHECK(virtq_result_str(r) != NULL);
			if (r != VIRTQ_OK)
				break;
			check_chain(&q, &c);
			exercise_copies(&q, &c, op);
			if (nr_inflight < MAX_INFLIGHT)
				inflight[nr_inflight++] = c.head;
			break;
		case 3:
			if (nr_inflight)
				virtq_push(&q, inflight[--nr_inflight], op & 0x1F);
			break;
		case 4:
			(void)virtq_needs_interrupt(&q);
			break;
		case 5:
			virtq_set_notify(&q, op & 1);
			(void)virtq_has_avail(&q);
			break;
		case 6: {
			/* The driver scribbles over its rings meanwhile. */
			gpa_t at = (op & 1) ? avail : desc;
			uint8_t *p = gmem_ptr(&mem, at + (op & 0x1E), 1);
			if (p)
				*p ^= op;
			break;
		}
		default:
			(void)virtq_has_avail(&q);
			break;
		}
	}
	virtq_reset(&q);
	CHECK(!q.ready);
out:
	free(ram0);
	free(ram1);
	host_log_reset();
	return 0;
}
