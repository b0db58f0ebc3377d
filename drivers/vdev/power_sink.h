/* SPDX-License-Identifier: BSD-2-Clause */
/* The platform's "power the partition off" input: the ACPI PM1 control
 * register's SLP_EN with the S5 sleep type (drivers/vdev/acpi_pm.h) is the
 * one source today. The platform decides what power-off means (stop the
 * partition, per issue policy). The callback must not re-enter the device
 * that called it. */
#ifndef BULKHEAD_DRIVERS_VDEV_POWER_SINK_H
#define BULKHEAD_DRIVERS_VDEV_POWER_SINK_H

#include "core/types.h"

struct power_sink {
	/* source names the device and mechanism, e.g. "acpi S5". */
	void (*off)(void *ctx, const char *source);
	void *ctx;
};

static inline void power_off_request(const struct power_sink *s, const char *source)
{
	if (s && s->off)
		s->off(s->ctx, source);
}

#endif
