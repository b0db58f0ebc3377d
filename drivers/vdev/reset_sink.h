/* SPDX-License-Identifier: BSD-2-Clause */
/* The platform's "reset the partition" input. Several legacy devices can pull
 * the CPU reset line (8042 output port bit 0, port 0x92 fast reset, the 0xCF9
 * reset control register); the platform decides what a reset means (restart
 * the partition from its original images, per issue policy). The callback
 * must not re-enter the device that called it. */
#ifndef BULKHEAD_DRIVERS_VDEV_RESET_SINK_H
#define BULKHEAD_DRIVERS_VDEV_RESET_SINK_H

#include "core/types.h"

struct reset_sink {
	/* source names the device and mechanism, e.g. "i8042 pulse 0xfe". */
	void (*request)(void *ctx, const char *source);
	void *ctx;
};

static inline void reset_request(const struct reset_sink *s, const char *source)
{
	if (s && s->request)
		s->request(s->ctx, source);
}

#endif
