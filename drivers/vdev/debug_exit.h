/* SPDX-License-Identifier: BSD-2-Clause */
/* QEMU's isa-debug-exit, opt-in per partition (debug-exit=PORT): a write of
 * v at PORT or PORT+1 (QEMU's default iosize 2) ends the partition with
 * status (v << 1) | 1, as QEMU itself would end with that exit status.
 * Reads return 0. Pure: the platform decides what ending means. */
#ifndef BULKHEAD_DRIVERS_VDEV_DEBUG_EXIT_H
#define BULKHEAD_DRIVERS_VDEV_DEBUG_EXIT_H

#include "core/iobus.h"

#define DEBUG_EXIT_NR_PORTS 2

struct debug_exit {
	uint16_t port;
	void (*exit)(void *ctx, uint32_t value, uint32_t status);
	void *ctx;
};

/* QEMU hw/misc/debugexit.c semantics: the exit status of value v. */
static inline uint32_t debug_exit_status(uint32_t v)
{
	return (v << 1) | 1;
}

bool debug_exit_attach(struct debug_exit *d, struct iobus *bus);

#endif
