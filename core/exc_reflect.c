/* SPDX-License-Identifier: BSD-2-Clause */
/* Reflecting intercepted #AC and #DB to the guest (core/exc_reflect.h). */
#include "core/exc_reflect.h"

/* SDM Vol. 3A Table 6-1: the fault-class vectors among those a backend
 * can report (everything but the traps #DB-as-trap, #BP, #OF, and the
 * aborts #DF, #MC). #DB is special-cased by the caller. */
static bool fault_class(uint8_t vector)
{
	switch (vector) {
	case EXC_DE:
	case 5:
	case EXC_UD:
	case EXC_NM:
	case EXC_TS:
	case EXC_NP:
	case EXC_SS:
	case EXC_GP:
	case EXC_PF:
	case 16:
	case EXC_AC:
	case 19:
	case 20:
		return true;
	default:
		return false;
	}
}

enum exc_reflect_action exc_reflect(const struct vm_exit *e, uint64_t *rflags, struct vcpu_event *ev)
{
	uint8_t vector = e->exc.vector;

	if (vector == EXC_MC)
		return EXC_REFLECT_STOP;
	ev->type = VCPU_EVENT_EXCEPTION;
	ev->vector = vector;
	ev->has_error = e->exc.has_error;
	ev->error = e->exc.error;
	if (vector == EXC_AC) {
		ev->has_error = true;
		ev->error = 0;
	}
	if (vector != EXC_DB && fault_class(vector))
		*rflags |= EXC_RFLAGS_RF;
	return EXC_REFLECT_INJECT;
}

uint64_t exc_dr6_after_db(uint64_t dr6, uint64_t exit_qual)
{
	uint64_t d = (dr6 & ~DR6_B0_B3) | DR6_FIXED_1 | DR6_RTM;

	d |= exit_qual & (DR6_B0_B3 | DR6_BD | DR6_BS);
	if (exit_qual & DR6_RTM)
		d &= ~DR6_RTM;
	return d & 0xffffffffULL;
}

uint64_t exc_dr7_after_db(uint64_t dr7)
{
	return dr7 & ~DR7_GD;
}
