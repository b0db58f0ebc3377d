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

/* The exit fast path, for a backend's run hook: called on the host CPU
 * right after an exit was decoded into v->exit, with interrupts off and
 * before the hook returns. It handles the common exits (CPUID, I/O, MSRs,
 * MMIO, hypercalls) as the run loop would, counted and timed the same way.
 * True: handled, and nothing needs the loop (no interrupt to deliver, no
 * reason to yield, exits left in this turn): the hook enters the guest
 * again without returning, so no RET runs that has no CALL since the exit
 * and the return-stack fill waits until the hook does return
 * (docs/exit-flow.md). False: the hook returns, and the loop handles the
 * exit, or takes the action of one the fast path handled (fast_handled). */
bool vcpu_exit_fast(struct vcpu *v);

/* For a hook that got true from vcpu_exit_fast but finds it cannot enter
 * the guest again itself (VMX: a handler left a guest state the checks
 * refuse, or made another VMCS current): the exit stays handled, and the
 * loop takes its RESUME as that of an exit it could not resume from, so it
 * is neither handled twice nor lost from the exit budget. */
static inline void vcpu_exit_fast_unwind(struct vcpu *v)
{
	v->fast_budget++;
	v->fast_handled = true;
	v->fast_action = (uint8_t)EXIT_ACTION_RESUME;
}

/* Hypercalls (core/hypercall.c), MSRs (core/msr.c). */
enum exit_action hypercall_dispatch(struct vcpu *v);
bool msr_read(struct vcpu *v, uint32_t index, uint64_t *val);
bool msr_write(struct vcpu *v, uint32_t index, uint64_t val);
/* An MSR Bulkhead emulates for guests whose CPUID offers it (a guest
 * probing one it was not offered gets #GP, as on such a CPU). */
bool msr_is_known(uint32_t index);

#endif
