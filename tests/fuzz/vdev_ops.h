/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared input format of the legacy-device fuzzers: the input is a sequence
 * of 8-byte operations
 *   [0]    selector: which port of the device (or, past the port list, a
 *          platform-side action such as a tick or an input byte)
 *   [1]    bits 1:0 access size (1, 2, 4, or 3: a size no decoder makes),
 *          bit 2 write, bits 7:3 shift of the time advance
 *   [2..5] value, little endian
 *   [6..7] time advance in ns, shifted left by bits 7:3 of [1] (up to
 *          about 39 hours per operation)
 * The fake clock only moves forward and saturates far below overflow. */
#ifndef BULKHEAD_TESTS_FUZZ_VDEV_OPS_H
#define BULKHEAD_TESTS_FUZZ_VDEV_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "core/iobus.h"
#include "tests/unit/support/vdev_fakes.h"

#define CHECK(c)                          \
	do {                              \
		if (!(c))                 \
			__builtin_trap(); \
	} while (0)

#define VDEV_OP_BYTES 8
#define VDEV_CLOCK_LIMIT (1ULL << 62)

struct vdev_op {
	uint8_t sel;
	unsigned int size;
	bool write;
	uint32_t value;
	uint64_t advance_ns;
};

static inline bool vdev_next_op(const uint8_t **data, size_t *len, struct vdev_op *op)
{
	const uint8_t *d = *data;
	static const unsigned int sizes[4] = { 1, 2, 4, 3 };

	if (*len < VDEV_OP_BYTES)
		return false;
	op->sel = d[0];
	op->size = sizes[d[1] & 3];
	op->write = d[1] & 4;
	op->value = (uint32_t)d[2] | (uint32_t)d[3] << 8 | (uint32_t)d[4] << 16 |
		    (uint32_t)d[5] << 24;
	op->advance_ns = (uint64_t)(d[6] | d[7] << 8) << (d[1] >> 3);
	*data += VDEV_OP_BYTES;
	*len -= VDEV_OP_BYTES;
	return true;
}

static inline void vdev_advance(struct fake_clock *c, uint64_t ns)
{
	c->now = ns > VDEV_CLOCK_LIMIT - c->now ? VDEV_CLOCK_LIMIT : c->now + ns;
}

/* One port access through the bus (ports outside the device are simply
 * unclaimed); the device never refuses, and reads fit the access size. */
static inline void vdev_pio(struct iobus *bus, uint16_t port, const struct vdev_op *op)
{
	uint64_t val = op->value;
	enum iobus_result res = iobus_pio(bus, port, op->size, op->write, &val);

	CHECK(res != IOBUS_DEVICE_ERROR);
	if (!op->write)
		CHECK(val < (1ULL << (8 * op->size)));
}

#endif
