/* SPDX-License-Identifier: BSD-2-Clause */
/* The exit dispatcher: one handler per arch-neutral exit reason. */
#ifndef BULKHEAD_CORE_EXITS_H
#define BULKHEAD_CORE_EXITS_H

#include "core/vcpu.h"

enum exit_action {
	EXIT_ACTION_RESUME,  /* re-enter the same vCPU */
	EXIT_ACTION_YIELD,   /* the vCPU halted or yielded: let the scheduler pick */
	EXIT_ACTION_STOPPED, /* its partition stopped */
};

enum exit_action vcpu_handle_exit(struct vcpu *v);
/* Run v until an exit that is not RESUME, or max_exits exits. */
enum exit_action vcpu_run_exits(struct vcpu *v, unsigned int max_exits);

/* Hypercalls (core/hypercall.c), MSRs (core/msr.c). */
enum exit_action hypercall_dispatch(struct vcpu *v);
bool msr_read(struct vcpu *v, uint32_t index, uint64_t *val);
bool msr_write(struct vcpu *v, uint32_t index, uint64_t val);
/* An MSR Bulkhead emulates for guests whose CPUID offers it (a guest
 * probing one it was not offered gets #GP, as on such a CPU). */
bool msr_is_known(uint32_t index);

#endif
