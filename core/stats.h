/* SPDX-License-Identifier: BSD-2-Clause */
/* Exit statistics and the exit trace (for people studying root/non-root
 * mode): counts and handler time per exit reason, per vCPU, summed per
 * partition when printed; with trace=exits every exit is printed decoded. */
#ifndef BULKHEAD_CORE_STATS_H
#define BULKHEAD_CORE_STATS_H

#include "core/partition.h"

void stats_print(const char *name, const struct exit_stats *s, uint64_t tsc_hz);
void stats_add(struct exit_stats *sum, const struct exit_stats *s);
void exit_trace(const struct vcpu *v, const char *action);

#endif
