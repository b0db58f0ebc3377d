/* SPDX-License-Identifier: BSD-2-Clause */
#include "core/lifecycle.h"

enum lifecycle_verdict lifecycle_begin_stop(enum partition_state *s)
{
	if (*s == PART_STOPPED || *s == PART_EMPTY)
		return LC_ALREADY;
	*s = PART_STOPPED;
	return LC_GO;
}

enum lifecycle_verdict lifecycle_begin_restart(enum partition_state *s)
{
	switch (*s) {
	case PART_READY:
	case PART_RUNNING:
		*s = PART_RESTARTING;
		return LC_GO;
	case PART_RESTARTING:
		return LC_ALREADY;
	case PART_EMPTY:
	case PART_STOPPED:
		break;
	}
	return LC_REFUSED;
}

enum lifecycle_verdict lifecycle_end_restart(enum partition_state *s, bool loaded)
{
	if (*s != PART_RESTARTING)
		return LC_REFUSED; /* stopped while restarting */
	if (!loaded) {
		*s = PART_RUNNING; /* so that the caller's begin_stop goes ahead */
		return LC_REFUSED;
	}
	*s = PART_RUNNING;
	return LC_GO;
}

bool lifecycle_service_enter(const enum partition_state *s, uint32_t *active)
{
	/* Count in, then look: a locked add is a full barrier (SDM Vol. 3A
	 * §9.2.3.8), so the state is read after the count is visible. */
	__atomic_add_fetch(active, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(s, __ATOMIC_SEQ_CST) == PART_RUNNING)
		return true;
	__atomic_sub_fetch(active, 1, __ATOMIC_SEQ_CST);
	return false;
}

void lifecycle_service_leave(uint32_t *active)
{
	/* Release: the task's guest-RAM writes come before the count drops. */
	__atomic_sub_fetch(active, 1, __ATOMIC_RELEASE);
}

bool lifecycle_services_idle(const uint32_t *active)
{
	/* The RESTARTING store (under the lifecycle lock, whose release is no
	 * store-load barrier) must be visible before the count is read. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(active, __ATOMIC_ACQUIRE) == 0;
}
