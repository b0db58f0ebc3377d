/* SPDX-License-Identifier: BSD-2-Clause */
/* Split virtqueues (virtio 1.2 §2.7), device side.
 *
 * The driver (guest) owns three areas in guest RAM: the descriptor table,
 * the available ring and the used ring. Everything in them is hostile. This
 * module reads them only through core/gmem.h and validates every field:
 *  - ring addresses aligned (§2.7: descriptor table 16, available 2, used 4)
 *    and wholly inside guest RAM; queue size a power of two, 1..VIRTQ_MAX_SIZE;
 *  - available index not more than `size` ahead of what was consumed;
 *  - descriptor indices below size; chains that do not loop (at most `size`
 *    descriptors, or the indirect table's length, are followed);
 *  - buffers wholly inside guest RAM, total length without overflow;
 *  - device-readable buffers before device-writable ones (§2.7.4.2);
 *  - indirect descriptors only if VIRTIO_F_INDIRECT_DESC was negotiated,
 *    table length a non-zero multiple of 16, no nested indirect and no
 *    NEXT flag together with INDIRECT (§2.7.5.3.1).
 * A violation makes virtq_pop fail with a reason; the transport then puts
 * the device into DEVICE_NEEDS_RESET and logs one line.
 *
 * Notification suppression (§2.7.7, §2.7.10): with VIRTIO_F_EVENT_IDX the
 * device publishes avail_event and honours used_event; without it, the
 * NO_NOTIFY / NO_INTERRUPT flags. Pure code (host unit tests, fuzzing). */
#ifndef BULKHEAD_DRIVERS_VIRTIO_VIRTQUEUE_H
#define BULKHEAD_DRIVERS_VIRTIO_VIRTQUEUE_H

#include "core/gmem.h"
#include "core/types.h"

/* The largest queue a driver may configure here (the spec allows 32768). */
#define VIRTQ_MAX_SIZE 1024
/* The most buffers one chain may have after indirect tables are expanded;
 * a longer chain is refused (VIRTQ_ERR_CHAIN_TOO_LONG). */
#define VIRTQ_MAX_SEGS 64

/* Descriptor flags (§2.7.5). */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
/* Ring flags (§2.7.6, §2.7.8). */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

enum virtq_result {
	VIRTQ_OK = 0,    /* a chain was returned */
	VIRTQ_EMPTY = 1, /* nothing available */
	VIRTQ_ERR_NOT_READY = -1,
	VIRTQ_ERR_RING_ADDR = -2,  /* a ring is misaligned or outside RAM */
	VIRTQ_ERR_AVAIL_IDX = -3,  /* avail->idx ran more than size ahead */
	VIRTQ_ERR_DESC_INDEX = -4, /* head or next >= size */
	VIRTQ_ERR_LOOP = -5,       /* chain longer than the table */
	VIRTQ_ERR_BUFFER = -6,     /* buffer outside guest RAM or zero-length */
	VIRTQ_ERR_LENGTH = -7,     /* total length overflows */
	VIRTQ_ERR_DIRECTION = -8,  /* readable buffer after a writable one */
	VIRTQ_ERR_INDIRECT = -9,   /* indirect not negotiated / malformed */
	VIRTQ_ERR_CHAIN_TOO_LONG = -10,
};

/* One buffer of a chain: guest-physical range checked to lie in RAM. */
struct virtq_seg {
	gpa_t gpa;
	uint32_t len;
	bool device_writes; /* VIRTQ_DESC_F_WRITE */
};

/* A popped descriptor chain: readable segments first, then writable ones. */
struct virtq_chain {
	uint16_t head; /* what virtq_push gives back */
	unsigned int nr_segs;
	unsigned int nr_readable; /* seg[0 .. nr_readable) are device-readable */
	uint64_t readable_len;    /* total bytes of the readable segments */
	uint64_t writable_len;    /* total bytes of the writable segments */
	struct virtq_seg seg[VIRTQ_MAX_SEGS];
};

struct virtq {
	const struct gmem *mem; /* the partition's RAM */
	/* As the driver configured them through the transport. */
	uint16_t size;
	gpa_t desc_gpa, avail_gpa, used_gpa;
	bool ready;
	/* Negotiated features that change ring behaviour. */
	bool event_idx;
	bool indirect;
	/* Device-side state. */
	uint16_t last_avail;     /* next available-ring entry to consume */
	uint16_t used_idx;       /* our copy of used->idx */
	uint16_t signalled_used; /* used_idx when the driver was last interrupted */
	bool signalled_valid;
	bool notify_enabled; /* whether we currently ask the driver to notify */
	/* Host pointers resolved (and checked) when the queue was enabled. */
	void *desc, *avail, *used;
};

/* Reset to "not ready, no rings" (queue reset, device reset). */
void virtq_reset(struct virtq *q);

/* Validates the configured size/addresses and makes the queue ready.
 * Returns VIRTQ_OK or the reason it refused (the queue stays not ready). */
enum virtq_result virtq_enable(struct virtq *q, const struct gmem *mem, uint16_t size, gpa_t desc,
			       gpa_t avail, gpa_t used, bool event_idx, bool indirect);

/* Takes the next available chain. VIRTQ_OK: *c is filled and must later be
 * completed with virtq_push. VIRTQ_EMPTY: nothing to do. Negative: the
 * driver broke the protocol (the chain is consumed; the device should go to
 * DEVICE_NEEDS_RESET). */
enum virtq_result virtq_pop(struct virtq *q, struct virtq_chain *c);

/* Does the available ring hold anything not yet popped? */
bool virtq_has_avail(const struct virtq *q);

/* Returns a chain to the driver: used element {head, written}, then the
 * used index is published (release order: element before index). */
void virtq_push(struct virtq *q, uint16_t head, uint32_t written);

/* After a batch of pushes: must the driver be interrupted (EVENT_IDX's
 * used_event, else the NO_INTERRUPT flag)? Records the point signalled. */
bool virtq_needs_interrupt(struct virtq *q);

/* Ask the driver to notify (true) or not (false) when it adds buffers:
 * avail_event with EVENT_IDX, else USED_F_NO_NOTIFY. After enabling, the
 * caller must re-check virtq_has_avail (the race of §2.7.10). */
void virtq_set_notify(struct virtq *q, bool enable);

/* Copy between a chain and host memory. `off` counts bytes across the
 * readable (for read) or writable (for write) segments in order. Returns the
 * number of bytes copied (less than len if the chain is shorter). */
uint64_t virtq_chain_read(const struct virtq *q, const struct virtq_chain *c, uint64_t off,
			  void *dst, uint64_t len);
uint64_t virtq_chain_write(const struct virtq *q, const struct virtq_chain *c, uint64_t off,
			   const void *src, uint64_t len);

/* A short reason for a result code, for log lines. */
const char *virtq_result_str(enum virtq_result r);

#endif
