/* SPDX-License-Identifier: BSD-2-Clause */
/* Split virtqueues, device side (virtio 1.2 §2.7). See virtqueue.h for the
 * validation rules. The rings live in guest RAM and the driver may change
 * them at any time: every field is loaded once into a local and only the
 * local is checked and used. Multi-byte ring fields are naturally aligned
 * (enable checks the ring alignment), so volatile loads and stores of them
 * are single accesses; the fences give the ordering §2.7.13 asks for. */
#include "drivers/virtio/virtqueue.h"
#include "core/lib/string.h"

/* Descriptor table entry (§2.7.5): le64 addr, le32 len, le16 flags, le16 next. */
#define VIRTQ_DESC_SIZE 16
#define VIRTQ_DESC_ADDR 0
#define VIRTQ_DESC_LEN 8
#define VIRTQ_DESC_FLAGS 12
#define VIRTQ_DESC_NEXT 14
/* Available ring (§2.7.6): flags, idx, ring[size], used_event. */
#define VIRTQ_AVAIL_FLAGS 0
#define VIRTQ_AVAIL_IDX 2
#define VIRTQ_AVAIL_RING 4
#define VIRTQ_AVAIL_ELEM_SIZE 2
/* Used ring (§2.7.8): flags, idx, ring[size] of {le32 id, le32 len}, avail_event. */
#define VIRTQ_USED_FLAGS 0
#define VIRTQ_USED_IDX 2
#define VIRTQ_USED_RING 4
#define VIRTQ_USED_ELEM_SIZE 8
#define VIRTQ_USED_ELEM_ID 0
#define VIRTQ_USED_ELEM_LEN 4
/* Alignment of the three areas (§2.7, table "Virtqueue Part Alignment"). */
#define VIRTQ_DESC_ALIGN 16
#define VIRTQ_AVAIL_ALIGN 2
#define VIRTQ_USED_ALIGN 4
/* The total of a chain must fit the used element's 32-bit length. */
#define VIRTQ_MAX_CHAIN_BYTES 0xFFFFFFFFULL

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static inline uint16_t ld16(const void *base, uint64_t off)
{
	return *(const volatile uint16_t *)((const uint8_t *)base + off);
}

static inline uint32_t ld32(const void *base, uint64_t off)
{
	return *(const volatile uint32_t *)((const uint8_t *)base + off);
}

static inline uint64_t ld64(const void *base, uint64_t off)
{
	return *(const volatile uint64_t *)((const uint8_t *)base + off);
}

static inline void st16(void *base, uint64_t off, uint16_t v)
{
	*(volatile uint16_t *)((uint8_t *)base + off) = v;
}

static inline void st32(void *base, uint64_t off, uint32_t v)
{
	*(volatile uint32_t *)((uint8_t *)base + off) = v;
}

static uint64_t avail_bytes(uint16_t size)
{
	return VIRTQ_AVAIL_RING + (uint64_t)size * VIRTQ_AVAIL_ELEM_SIZE + 2;
}

static uint64_t used_bytes(uint16_t size)
{
	return VIRTQ_USED_RING + (uint64_t)size * VIRTQ_USED_ELEM_SIZE + 2;
}

/* used_event trails the available ring, avail_event the used ring (§2.7.6, §2.7.8). */
static uint64_t used_event_off(uint16_t size)
{
	return VIRTQ_AVAIL_RING + (uint64_t)size * VIRTQ_AVAIL_ELEM_SIZE;
}

static uint64_t avail_event_off(uint16_t size)
{
	return VIRTQ_USED_RING + (uint64_t)size * VIRTQ_USED_ELEM_SIZE;
}

/* Wrap-safe "has the index moved past event since old?" (§2.7.10): true
 * when event lies in [old, new) modulo 2^16. */
static bool vring_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

void virtq_reset(struct virtq *q)
{
	bh_memset(q, 0, sizeof(*q));
}

/* Host pointer to a ring area, or NULL if it is misaligned or not wholly in
 * one RAM region. The host-side alignment is checked too, so the volatile
 * accesses above are always aligned. */
static void *map_area(const struct gmem *mem, gpa_t gpa, uint64_t len, uint64_t align)
{
	if (!IS_ALIGNED(gpa, align))
		return NULL;
	void *p = gmem_ptr(mem, gpa, len);
	if (!p || !IS_ALIGNED((uintptr_t)p, align))
		return NULL;
	return p;
}

enum virtq_result virtq_enable(struct virtq *q, const struct gmem *mem, uint16_t size, gpa_t desc,
			       gpa_t avail, gpa_t used, bool event_idx, bool indirect)
{
	virtq_reset(q);
	if (!mem || size == 0 || size > VIRTQ_MAX_SIZE || (size & (size - 1)))
		return VIRTQ_ERR_NOT_READY;
	void *d = map_area(mem, desc, (uint64_t)size * VIRTQ_DESC_SIZE, VIRTQ_DESC_ALIGN);
	void *a = map_area(mem, avail, avail_bytes(size), VIRTQ_AVAIL_ALIGN);
	void *u = map_area(mem, used, used_bytes(size), VIRTQ_USED_ALIGN);
	if (!d || !a || !u)
		return VIRTQ_ERR_RING_ADDR;

	q->mem = mem;
	q->size = size;
	q->desc_gpa = desc;
	q->avail_gpa = avail;
	q->used_gpa = used;
	q->desc = d;
	q->avail = a;
	q->used = u;
	q->event_idx = event_idx;
	q->indirect = indirect;
	q->notify_enabled = true;
	/* The used ring is the device's: start it clean (§2.7.8), asking for
	 * a notification on the first buffer. */
	st16(u, VIRTQ_USED_FLAGS, 0);
	st16(u, VIRTQ_USED_IDX, 0);
	st16(u, avail_event_off(size), 0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->ready = true;
	return VIRTQ_OK;
}

bool virtq_has_avail(const struct virtq *q)
{
	if (!q->ready)
		return false;
	return ld16(q->avail, VIRTQ_AVAIL_IDX) != q->last_avail;
}

static void read_table_desc(const struct virtq *q, uint16_t i, struct virtq_desc *d)
{
	uint64_t off = (uint64_t)i * VIRTQ_DESC_SIZE;
	d->addr = ld64(q->desc, off + VIRTQ_DESC_ADDR);
	d->len = ld32(q->desc, off + VIRTQ_DESC_LEN);
	d->flags = ld16(q->desc, off + VIRTQ_DESC_FLAGS);
	d->next = ld16(q->desc, off + VIRTQ_DESC_NEXT);
}

/* Indirect tables have no alignment rule, so they are copied bytewise. */
static bool read_indirect_desc(const struct virtq *q, gpa_t table, uint32_t i, struct virtq_desc *d)
{
	uint8_t raw[VIRTQ_DESC_SIZE];
	if (!gmem_read(q->mem, table + (uint64_t)i * VIRTQ_DESC_SIZE, raw, sizeof(raw)))
		return false;
	bh_memcpy(&d->addr, raw + VIRTQ_DESC_ADDR, sizeof(d->addr));
	bh_memcpy(&d->len, raw + VIRTQ_DESC_LEN, sizeof(d->len));
	bh_memcpy(&d->flags, raw + VIRTQ_DESC_FLAGS, sizeof(d->flags));
	bh_memcpy(&d->next, raw + VIRTQ_DESC_NEXT, sizeof(d->next));
	return true;
}

static enum virtq_result add_seg(const struct virtq *q, struct virtq_chain *c,
				 const struct virtq_desc *d)
{
	bool writes = d->flags & VIRTQ_DESC_F_WRITE;

	if (d->len == 0 || !gmem_ptr(q->mem, d->addr, d->len))
		return VIRTQ_ERR_BUFFER;
	/* §2.7.4.2: device-readable descriptors come before writable ones. */
	if (!writes && c->nr_segs > c->nr_readable)
		return VIRTQ_ERR_DIRECTION;
	if (c->nr_segs >= VIRTQ_MAX_SEGS)
		return VIRTQ_ERR_CHAIN_TOO_LONG;
	if (c->readable_len + c->writable_len + d->len > VIRTQ_MAX_CHAIN_BYTES)
		return VIRTQ_ERR_LENGTH;

	c->seg[c->nr_segs++] = (struct virtq_seg){ d->addr, d->len, writes };
	if (writes) {
		c->writable_len += d->len;
	} else {
		c->nr_readable++;
		c->readable_len += d->len;
	}
	return VIRTQ_OK;
}

/* Follows an indirect table (§2.7.5.3): nothing nested, next inside the
 * table, at most as many descriptors as the table holds. */
static enum virtq_result walk_indirect(const struct virtq *q, struct virtq_chain *c,
				       const struct virtq_desc *ind)
{
	if (!q->indirect)
		return VIRTQ_ERR_INDIRECT;
	/* §2.7.5.3.1: INDIRECT together with NEXT is forbidden. */
	if (ind->flags & VIRTQ_DESC_F_NEXT)
		return VIRTQ_ERR_INDIRECT;
	if (ind->len == 0 || ind->len % VIRTQ_DESC_SIZE)
		return VIRTQ_ERR_INDIRECT;
	if (!gmem_ptr(q->mem, ind->addr, ind->len))
		return VIRTQ_ERR_BUFFER;

	uint32_t n = ind->len / VIRTQ_DESC_SIZE;
	uint32_t i = 0;
	for (uint32_t steps = 0;; steps++) {
		struct virtq_desc d;
		if (steps >= n)
			return VIRTQ_ERR_LOOP;
		if (!read_indirect_desc(q, ind->addr, i, &d))
			return VIRTQ_ERR_BUFFER;
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return VIRTQ_ERR_INDIRECT;
		enum virtq_result r = add_seg(q, c, &d);
		if (r != VIRTQ_OK)
			return r;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return VIRTQ_OK;
		if (d.next >= n)
			return VIRTQ_ERR_DESC_INDEX;
		i = d.next;
	}
}

static enum virtq_result walk_chain(const struct virtq *q, struct virtq_chain *c, uint16_t head)
{
	uint16_t i = head;

	if (head >= q->size)
		return VIRTQ_ERR_DESC_INDEX;
	for (unsigned int steps = 0;; steps++) {
		struct virtq_desc d;
		enum virtq_result r;

		if (steps >= q->size)
			return VIRTQ_ERR_LOOP;
		read_table_desc(q, i, &d);
		/* The WRITE flag of the descriptor naming the table is ignored
		 * (§2.7.5.3.2); the table ends the chain since NEXT is refused. */
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return walk_indirect(q, c, &d);
		r = add_seg(q, c, &d);
		if (r != VIRTQ_OK)
			return r;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return VIRTQ_OK;
		if (d.next >= q->size)
			return VIRTQ_ERR_DESC_INDEX;
		i = d.next;
	}
}

enum virtq_result virtq_pop(struct virtq *q, struct virtq_chain *c)
{
	if (!q->ready)
		return VIRTQ_ERR_NOT_READY;

	uint16_t avail_idx = ld16(q->avail, VIRTQ_AVAIL_IDX);
	if (avail_idx == q->last_avail && q->event_idx && q->notify_enabled) {
		/* Before concluding "empty", our last avail_event store must be
		 * visible, or a driver adding a buffer right now may read the
		 * old value and not notify (§2.7.10): store-load fence, look
		 * again. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		avail_idx = ld16(q->avail, VIRTQ_AVAIL_IDX);
	}
	uint16_t ahead = (uint16_t)(avail_idx - q->last_avail);
	if (ahead > q->size)
		return VIRTQ_ERR_AVAIL_IDX;
	if (ahead == 0)
		return VIRTQ_EMPTY;
	/* Read the ring entry and descriptors only after seeing the index
	 * (§2.7.13.3: the driver publishes them before the index). */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);

	uint16_t slot = q->last_avail & (q->size - 1);
	uint16_t head = ld16(q->avail, VIRTQ_AVAIL_RING + (uint64_t)slot * VIRTQ_AVAIL_ELEM_SIZE);
	q->last_avail++;
	/* With EVENT_IDX, ask to be notified once the driver passes what we
	 * have consumed (§2.7.10), while notifications are wanted. */
	if (q->event_idx && q->notify_enabled)
		st16(q->used, avail_event_off(q->size), q->last_avail);

	c->head = head;
	c->nr_segs = 0;
	c->nr_readable = 0;
	c->readable_len = 0;
	c->writable_len = 0;
	return walk_chain(q, c, head);
}

void virtq_push(struct virtq *q, uint16_t head, uint32_t written)
{
	if (!q->ready)
		return;
	uint64_t elem = VIRTQ_USED_RING +
			(uint64_t)(q->used_idx & (q->size - 1)) * VIRTQ_USED_ELEM_SIZE;
	st32(q->used, elem + VIRTQ_USED_ELEM_ID, head);
	st32(q->used, elem + VIRTQ_USED_ELEM_LEN, written);
	/* The element must be visible before the index that publishes it. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	q->used_idx++;
	st16(q->used, VIRTQ_USED_IDX, q->used_idx);
}

bool virtq_needs_interrupt(struct virtq *q)
{
	if (!q->ready)
		return false;
	/* Our used index store must be visible before we read the driver's
	 * suppression state, or both sides may miss each other (§2.7.10). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	uint16_t old = q->signalled_used;
	bool valid = q->signalled_valid;
	q->signalled_used = q->used_idx;
	q->signalled_valid = true;
	/* Nothing completed since the last decision (or ever). Callers
	 * decide after every batch, and a batch is at most `size`. */
	if (old == q->used_idx)
		return false;

	if (!q->event_idx)
		return !(ld16(q->avail, VIRTQ_AVAIL_FLAGS) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	if (!valid)
		return true;
	uint16_t used_event = ld16(q->avail, used_event_off(q->size));
	return vring_need_event(used_event, q->used_idx, old);
}

void virtq_set_notify(struct virtq *q, bool enable)
{
	if (!q->ready)
		return;
	q->notify_enabled = enable;
	if (q->event_idx) {
		/* Disabling with EVENT_IDX just stops moving avail_event: the
		 * driver notifies at most once more. */
		if (enable)
			st16(q->used, avail_event_off(q->size), q->last_avail);
	} else {
		st16(q->used, VIRTQ_USED_FLAGS, enable ? 0 : VIRTQ_USED_F_NO_NOTIFY);
	}
	/* Publish before the caller re-reads avail->idx (§2.7.10's race). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static uint64_t chain_copy(const struct virtq *q, const struct virtq_chain *c, bool write,
			   uint64_t off, void *host, uint64_t len)
{
	unsigned int first = write ? c->nr_readable : 0;
	unsigned int end = write ? c->nr_segs : c->nr_readable;
	uint64_t done = 0;

	if (end > VIRTQ_MAX_SEGS)
		end = VIRTQ_MAX_SEGS;
	for (unsigned int i = first; i < end && done < len; i++) {
		const struct virtq_seg *s = &c->seg[i];
		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		uint64_t n = MIN((uint64_t)s->len - off, len - done);
		uint8_t *h = (uint8_t *)host + done;
		bool ok = write ? gmem_write(q->mem, s->gpa + off, h, n)
				: gmem_read(q->mem, s->gpa + off, h, n);
		if (!ok)
			break;
		done += n;
		off = 0;
	}
	return done;
}

uint64_t virtq_chain_read(const struct virtq *q, const struct virtq_chain *c, uint64_t off,
			  void *dst, uint64_t len)
{
	if (!q->mem)
		return 0;
	return chain_copy(q, c, false, off, dst, len);
}

uint64_t virtq_chain_write(const struct virtq *q, const struct virtq_chain *c, uint64_t off,
			   const void *src, uint64_t len)
{
	if (!q->mem)
		return 0;
	return chain_copy(q, c, true, off, (void *)src, len);
}

const char *virtq_result_str(enum virtq_result r)
{
	switch (r) {
	case VIRTQ_OK:
		return "ok";
	case VIRTQ_EMPTY:
		return "empty";
	case VIRTQ_ERR_NOT_READY:
		return "queue not ready";
	case VIRTQ_ERR_RING_ADDR:
		return "ring misaligned or outside guest RAM";
	case VIRTQ_ERR_AVAIL_IDX:
		return "available index ran more than the queue size ahead";
	case VIRTQ_ERR_DESC_INDEX:
		return "descriptor index out of range";
	case VIRTQ_ERR_LOOP:
		return "descriptor chain loops";
	case VIRTQ_ERR_BUFFER:
		return "buffer outside guest RAM or empty";
	case VIRTQ_ERR_LENGTH:
		return "chain length overflows";
	case VIRTQ_ERR_DIRECTION:
		return "device-readable buffer after a writable one";
	case VIRTQ_ERR_INDIRECT:
		return "indirect descriptor not negotiated or malformed";
	case VIRTQ_ERR_CHAIN_TOO_LONG:
		return "chain has too many buffers";
	}
	return "unknown error";
}
