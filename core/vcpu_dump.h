/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef BULKHEAD_CORE_VCPU_DUMP_H
#define BULKHEAD_CORE_VCPU_DUMP_H

#include "core/vcpu.h"

/* A vCPU's architectural state as the guest left it, for the log. */
struct vcpu_snapshot {
	const uint64_t *gpr; /* GPR_COUNT registers, enum gpr order */
	uint64_t rip, rflags;
	const struct vcpu_sregs *sregs;
};

/* Print the snapshot as a few "[name]   ..." lines at info level, so a
 * partition that stopped on a triple fault can be diagnosed from the serial
 * log alone (no debugger reaches a guest under a type-1 hypervisor). */
void vcpu_log_snapshot(const char *name, unsigned int vcpu_id, const struct vcpu_snapshot *s);

#endif
