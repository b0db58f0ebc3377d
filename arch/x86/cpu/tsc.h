/* SPDX-License-Identifier: BSD-2-Clause */
/* The time base: the TSC, calibrated once at boot. */
#ifndef BULKHEAD_ARCH_X86_CPU_TSC_H
#define BULKHEAD_ARCH_X86_CPU_TSC_H

#include "core/types.h"

void tsc_init(void);
uint64_t tsc_hz(void);
uint64_t time_ns(void); /* since boot */
uint64_t tsc_to_ns(uint64_t cycles);
uint64_t ns_to_tsc(uint64_t ns);
/* The TSC value at time_ns() == ns. */
uint64_t tsc_at_time_ns(uint64_t ns);
void udelay(uint64_t us);

#endif
