/* The scheduler: which vCPU runs next on this CPU, and when the CPU must be
 * back in the hypervisor (time-slice end, emulated-device deadlines). */
#ifndef BULKHEAD_CORE_SCHED_H
#define BULKHEAD_CORE_SCHED_H

#include "core/exits.h"
#include "core/types.h"

struct partition;
struct vcpu;

/* Time slice of a vCPU when others are runnable on the same CPU. */
#define SCHED_SLICE_NS 10000000ULL
/* While every vCPU waits, the idle loop still wakes this often to poll the
 * console for typed input. */
#define SCHED_IDLE_POLL_NS 10000000ULL

/* Run every partition until all have stopped. */
void sched_run(void);

/* A device timer of p now expires earlier than before (p->next_deadline_ns
 * dropped): re-arm the host timer if needed. */
void sched_deadline_moved(struct partition *p);

/* The host timer (or another host interrupt) made the guest exit: fire the
 * device timers that are due; end the slice if it is over. */
enum exit_action sched_host_interrupt(struct vcpu *v);

#endif
