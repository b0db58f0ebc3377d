/* SPDX-License-Identifier: BSD-2-Clause */
/* The machine's own MC146818-compatible real-time clock, read once at boot so
 * each partition's emulated CMOS clock starts at the wall-clock time. */
#ifndef BULKHEAD_DRIVERS_RTC_CMOS_CLOCK_H
#define BULKHEAD_DRIVERS_RTC_CMOS_CLOCK_H

#include "core/types.h"

/* Read the host RTC (assumed UTC, as on Linux machines and in QEMU/Bochs with
 * their defaults) and remember it with the TSC it was read at. */
void host_clock_init(void);
/* Unix time in nanoseconds now (the boot reading plus the TSC since). */
uint64_t host_wall_ns(void);

#endif
