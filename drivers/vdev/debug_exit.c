/* SPDX-License-Identifier: BSD-2-Clause */
#include "drivers/vdev/debug_exit.h"

static int debug_exit_read(void *dev, uint64_t off, unsigned int size, uint64_t *val)
{
	(void)dev;
	(void)off;
	(void)size;
	*val = 0;
	return 0;
}

static int debug_exit_write(void *dev, uint64_t off, unsigned int size, uint64_t val)
{
	struct debug_exit *d = dev;
	uint32_t v = size >= 4 ? (uint32_t)val : (uint32_t)val & ((1u << (size * 8)) - 1);
	(void)off;
	if (d->exit)
		d->exit(d->ctx, v, debug_exit_status(v));
	return 0;
}

bool debug_exit_attach(struct debug_exit *d, struct iobus *bus)
{
	return iobus_add_pio(bus, d->port, DEBUG_EXIT_NR_PORTS, debug_exit_read, debug_exit_write,
			     d, "debug-exit");
}
