/* SPDX-License-Identifier: BSD-2-Clause */
/* The I/O bus of one partition: which emulated device answers a guest's port
 * I/O or MMIO access. Pure code (host-testable).
 *
 * Device models register ranges with a read and a write callback. The exit
 * dispatcher decodes the access (port/GPA, size, direction, value) and calls
 * iobus_pio()/iobus_mmio(); a miss is not an error for port I/O (reads give
 * all ones, writes are dropped, as on a PC with nothing on the bus) and is
 * reported to the caller for MMIO, which stops the partition. */
#ifndef BULKHEAD_CORE_IOBUS_H
#define BULKHEAD_CORE_IOBUS_H

#include "core/types.h"

/* size is 1, 2, 4 (or 8 for MMIO); offset is relative to the range base.
 * A read stores the value zero-extended in *val. Return 0 on success, <0 if
 * the device refuses the access (it has already logged why). */
typedef int (*io_read_fn)(void *dev, uint64_t offset, unsigned int size, uint64_t *val);
typedef int (*io_write_fn)(void *dev, uint64_t offset, unsigned int size, uint64_t val);

struct io_range {
	uint64_t base;
	uint64_t len;
	io_read_fn read;
	io_write_fn write;
	void *dev;
	const char *name; /* for traces: "uart0", "ioapic", ... */
};

#define IOBUS_MAX_RANGES 48
/* Port I/O's lookup cache: direct-mapped by a hash of the port, each slot
 * the index + 1 of the range that last answered a port hashing there (0:
 * none). Ranges are only ever added, never moved or removed, so a slot
 * stays right once filled; a miss scans the table and fills the slot.
 * The common ports of a PC (PIC, PIT, RTC, UART, 0xCF8/0xCFC, POST, the
 * test device) hash to different slots. */
#define IOBUS_PIO_CACHE 32

struct iobus {
	struct io_range pio[IOBUS_MAX_RANGES];
	unsigned int nr_pio;
	uint8_t pio_cache[IOBUS_PIO_CACHE];
	struct io_range mmio[IOBUS_MAX_RANGES];
	unsigned int nr_mmio;
};

enum iobus_result {
	IOBUS_OK = 0,
	IOBUS_UNCLAIMED = 1, /* nothing at that address */
	IOBUS_DEVICE_ERROR = 2,
};

/* Register; refuses overlaps with an existing range of the same kind. */
bool iobus_add_pio(struct iobus *b, uint16_t base, uint16_t len, io_read_fn r, io_write_fn w,
		   void *dev, const char *name);
bool iobus_add_mmio(struct iobus *b, uint64_t base, uint64_t len, io_read_fn r, io_write_fn w,
		    void *dev, const char *name);
/* Moves an existing MMIO range (PCI BAR reprogramming); false if it would overlap. */
bool iobus_move_mmio(struct iobus *b, void *dev, uint64_t old_base, uint64_t new_base);

static inline unsigned int iobus_pio_slot(uint16_t port)
{
	return (port ^ (port >> 5)) & (IOBUS_PIO_CACHE - 1);
}

/* The range the lookup cache holds for port, or NULL (a miss: iobus_pio
 * scans the table and fills the slot). Under the bus's lock. */
static inline const struct io_range *iobus_pio_cached(const struct iobus *b, uint16_t port)
{
	uint8_t i = b->pio_cache[iobus_pio_slot(port)];
	if (!i)
		return NULL;
	const struct io_range *r = &b->pio[i - 1];
	/* port below base wraps to a value above any len */
	return (uint64_t)port - r->base < r->len ? r : NULL;
}

/* Under the lock that serialises the bus's users (the partition's): it
 * fills the lookup cache. */
enum iobus_result iobus_pio(struct iobus *b, uint16_t port, unsigned int size, bool write,
			    uint64_t *val);
enum iobus_result iobus_mmio(struct iobus *b, uint64_t gpa, unsigned int size, bool write,
			     uint64_t *val);
/* Which range (for traces), or NULL. */
const struct io_range *iobus_find_pio(const struct iobus *b, uint16_t port);
const struct io_range *iobus_find_mmio(const struct iobus *b, uint64_t gpa);

#endif
