/* SPDX-License-Identifier: BSD-2-Clause */
/* A partition's lifecycle as one state machine (issue 12): stop, restart,
 * reset, power-off, triple fault and idle may each be asked for by any vCPU
 * or device task, on any CPU, at the same time. The decisions are made here,
 * under the partition's lifecycle lock; the work (quiescing vCPUs, reloading
 * RAM, printing) is done by the caller outside it.
 *
 *   READY --first run--> RUNNING --begin_restart--> RESTARTING
 *   RESTARTING --end_restart(loaded)--> RUNNING
 *   any state --begin_stop--> STOPPED (for good: a stop always wins)
 *
 * A stop that arrives during a restart is final: the restart's end finds
 * STOPPED and leaves it so. Only one restart runs at a time; a second
 * request meanwhile is absorbed by the one in progress. Pure: host tests
 * drive every interleaving of two requesters (tests/unit/test_lifecycle.c).
 *
 * Device service tasks (virtio queue processing) write guest RAM outside
 * any vCPU, so quiescing the vCPUs does not stop them. A task runs only
 * while the partition is RUNNING and says so first (service_enter counts
 * it in, then looks at the state); a restart, once it has set RESTARTING,
 * waits until no task is inside (services_idle) before it zeroes RAM.
 * Either the task sees RESTARTING and backs out, or the restart sees the
 * task's count and waits for it: both sides write, then read the other's
 * word, with a full barrier between (the Dekker pattern), so they cannot
 * both miss each other. tests/model/lifecycle.pml checks the protocol. */
#ifndef BULKHEAD_CORE_LIFECYCLE_H
#define BULKHEAD_CORE_LIFECYCLE_H

#include "core/types.h"

enum partition_state {
	PART_EMPTY,
	PART_READY, /* created and loaded, not yet run */
	PART_RUNNING,
	PART_RESTARTING, /* a restart is rebuilding RAM and devices */
	PART_STOPPED,
};

enum lifecycle_verdict {
	LC_GO,      /* the caller does the work of this transition */
	LC_ALREADY, /* nothing to do: another request covers it */
	LC_REFUSED, /* the partition has stopped: the request is void */
};

/* Each takes the state by pointer; the caller holds the lifecycle lock. */
enum lifecycle_verdict lifecycle_begin_stop(enum partition_state *s);
enum lifecycle_verdict lifecycle_begin_restart(enum partition_state *s);
/* The restart's work is done (loaded: the image loaded again). LC_GO: the
 * partition runs again, the caller starts its vCPUs; LC_REFUSED: a stop came
 * meanwhile (it stays stopped) or the image failed to load (the caller
 * stops it, with begin_stop). */
enum lifecycle_verdict lifecycle_end_restart(enum partition_state *s, bool loaded);

/* A device service task of the partition whose state is *s is about to
 * run: true (counted in *active) if it may, false while the partition is
 * not RUNNING (a restart is rebuilding it, or it stopped); lock-free. */
bool lifecycle_service_enter(const enum partition_state *s, uint32_t *active);
/* The task that entered has finished with guest RAM. */
void lifecycle_service_leave(uint32_t *active);
/* After begin_restart: true once no service task is inside (none can
 * enter any more); the restart polls this before it touches guest RAM. */
bool lifecycle_services_idle(const uint32_t *active);

#endif
