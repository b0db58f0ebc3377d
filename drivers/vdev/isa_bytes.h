/* SPDX-License-Identifier: BSD-2-Clause */
/* Byte-wide ISA registers reached by wider IN/OUT instructions.
 *
 * The legacy PC devices (8259A, 8254, 16550A, MC146818, 8042) have 8-bit data
 * buses. A 16- or 32-bit port access to them is split by the ISA bridge into
 * consecutive byte cycles at port, port+1, ... (PCI-to-ISA bridges perform this
 * "bus cycle conversion", e.g. Intel PIIX4 datasheet §3.2), so the models only
 * implement byte registers and these helpers do the splitting. Bytes past the
 * end of the device's range float (read 0xFF, writes are dropped). */
#ifndef BULKHEAD_DRIVERS_VDEV_ISA_BYTES_H
#define BULKHEAD_DRIVERS_VDEV_ISA_BYTES_H

#include "core/types.h"

typedef uint8_t (*isa_byte_read_fn)(void *dev, unsigned int offset);
typedef void (*isa_byte_write_fn)(void *dev, unsigned int offset, uint8_t val);

#define ISA_FLOATING_BUS 0xFF
#define ISA_MAX_ACCESS 8

static inline int isa_read_bytes(void *dev, uint64_t offset, unsigned int size, uint64_t *val,
				 unsigned int range_len, isa_byte_read_fn read_byte)
{
	uint64_t v = 0;

	if (size > ISA_MAX_ACCESS)
		size = ISA_MAX_ACCESS;
	for (unsigned int i = 0; i < size; i++) {
		uint64_t off = offset + i;
		uint8_t b = off < range_len ? read_byte(dev, (unsigned int)off) : ISA_FLOATING_BUS;
		v |= (uint64_t)b << (8 * i);
	}
	*val = v;
	return 0;
}

static inline int isa_write_bytes(void *dev, uint64_t offset, unsigned int size, uint64_t val,
				  unsigned int range_len, isa_byte_write_fn write_byte)
{
	if (size > ISA_MAX_ACCESS)
		size = ISA_MAX_ACCESS;
	for (unsigned int i = 0; i < size; i++) {
		uint64_t off = offset + i;
		if (off < range_len)
			write_byte(dev, (unsigned int)off, (uint8_t)(val >> (8 * i)));
	}
	return 0;
}

#endif
