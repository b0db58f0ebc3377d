/* SPDX-License-Identifier: BSD-2-Clause */
/* Test devices for Bulkhead's own test partitions (docs/test-guests.md):
 *  - a port-I/O echo latch at ports 0x520-0x523: what is written reads back;
 *  - port 0x524: writing a vector (32-255) raises that external interrupt
 *    on the writing partition's vCPU 0 (tests injection and the interrupt
 *    window); other values are ignored;
 *  - port 0x528: drives an interrupt input of the partition's I/O APIC
 *    (GSI): a byte written holds the pin (bits 4:0) and the line's level
 *    (bit 7, 1 = asserted), for testing edge and level semantics; pins
 *    outside the I/O APIC are ignored by it;
 *  - an MMIO page at 0xFEB00000: offset 0 a 32-bit scratch register, offset 4
 *    reads the constant 0x4D4D494F ("MMIO"), everything else reads zero.
 * They give the guest suite something to exit on without a real device. */
#ifndef BULKHEAD_DRIVERS_VDEV_TESTDEV_H
#define BULKHEAD_DRIVERS_VDEV_TESTDEV_H

#include "core/iobus.h"

#define TESTDEV_PIO_BASE 0x520
#define TESTDEV_PIO_LEN 4
#define TESTDEV_IRQ_PORT 0x524
#define TESTDEV_GSI_PORT 0x528
#define TESTDEV_GSI_PIN_MASK 0x1f
#define TESTDEV_GSI_LEVEL 0x80
#define TESTDEV_MMIO_BASE 0xfeb00000ULL
#define TESTDEV_MMIO_LEN 0x1000
#define TESTDEV_MMIO_SCRATCH 0x0
#define TESTDEV_MMIO_MAGIC 0x4
#define TESTDEV_MAGIC 0x4d4d494f

struct testdev {
	uint32_t echo;
	uint64_t scratch;
	void (*raise_irq)(void *ctx, uint8_t vector);
	void *irq_ctx;
	void (*set_gsi)(void *ctx, unsigned int pin, bool level); /* NULL: port ignored */
};

bool testdev_attach(struct testdev *t, struct iobus *bus);

#endif
