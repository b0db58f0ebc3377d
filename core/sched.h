/* SPDX-License-Identifier: BSD-2-Clause */
/* The scheduler: which vCPU runs next on this CPU, and when the CPU must be
 * back in the hypervisor (time-slice end, emulated-device deadlines). */
#ifndef BULKHEAD_CORE_SCHED_H
#define BULKHEAD_CORE_SCHED_H

#include "core/exits.h"
#include "core/percpu.h"
#include "core/types.h"

struct partition;
struct vcpu;

/* Time slice of a vCPU when others are runnable on the same CPU. */
#define SCHED_SLICE_NS 10000000ULL
/* While every vCPU waits, the idle loop still wakes this often to poll the
 * console for typed input. */
#define SCHED_IDLE_POLL_NS 10000000ULL

/* A device-service task: work a device does outside any vCPU's exit
 * handler (virtio queue processing). Queued by sched_service_kick, run by
 * whichever CPU's scheduler gets to it first; run() takes the locks it
 * needs. */
struct service_task {
	const char *name;
	struct partition *part;
	void (*run)(void *ctx);
	void *ctx;
	/* Scheduler-owned. */
	uint32_t queued;
	struct service_task *next;
	uint64_t runs;
};

/* Queue t (no-op if already queued) and wake an idle CPU for it; if none
 * idles, the current CPU runs it at the end of the current exit. Safe from
 * any CPU, with or without a partition lock held. */
void sched_service_kick(struct service_task *t);

/* Called after every exit: should this vCPU make room now (a service task
 * was queued on this CPU, or a vCPU here was just woken)? */
static inline bool sched_should_yield(void)
{
	struct percpu *cpu = this_cpu();
	if (likely(!cpu->need_resched))
		return false;
	cpu->need_resched = false;
	return true;
}

/* HLT: mark v halted unless an interrupt raced in. True if it halted. */
bool sched_vcpu_halt(struct vcpu *v);

/* Run every partition until all have stopped (boot CPU). */
void sched_run(void);
/* An application processor's scheduler (arch/x86/cpu/smp.c calls it once
 * the CPU is up: own stack and GS, interrupts off, VMX/SVM enabled). */
void sched_ap_main(void);
/* Device-service tasks run by host CPU cpu so far. */
uint64_t sched_services_run(unsigned int cpu);

/* A device timer of p now expires earlier than before (p->next_deadline_ns
 * dropped): re-arm the host timer if needed. */
void sched_deadline_moved(struct partition *p);
/* v's local APIC timer now expires earlier (v->timer_deadline_ns dropped). */
void sched_vcpu_deadline_moved(struct vcpu *v);

/* p began a restart (core/partition.c): vCPU 0's CPU runs its steps. */
void sched_restart_queued(struct partition *p);

/* Console bytes (whole lines, at least one) a partition's output ring gives
 * up at the start of each turn of its vCPU 0 (inside that turn's slice), and
 * per idle pass: more than a guest writing to its emulated UART (an exit
 * per byte at least) can write in one turn of SLICE_EXITS exits. */
#define SCHED_CONSOLE_BYTES 1024

/* The host timer (or another host interrupt) made the guest exit: fire the
 * device timers that are due; end the slice if it is over. */
enum exit_action sched_host_interrupt(struct vcpu *v);

#endif
