/* SPDX-License-Identifier: BSD-2-Clause */
/* Reflecting intercepted #AC and #DB to the guest (core/exc_reflect.h). */
#include "core/exc_reflect.h"

/* SDM Vol. 3A Table 6-1: the fault-class vectors (everything but the
 * traps #BP, #OF, the aborts #DF, #MC, NMI, and #DB, which is a fault or a
 * trap depending on its cause and is special-cased by the callers). */
bool exc_is_fault(uint8_t vector)
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
	ev->dr6 = 0; /* the backend has updated DR6 for an intercepted #DB */
	ev->vector = vector;
	ev->has_error = e->exc.has_error;
	ev->error = e->exc.error;
	if (vector == EXC_AC) {
		ev->has_error = true;
		ev->error = 0;
	}
	*rflags = exc_rflags_for_delivery(vector, *rflags);
	return EXC_REFLECT_INJECT;
}

uint64_t exc_rflags_for_delivery(uint8_t vector, uint64_t rflags)
{
	if (vector != EXC_DB && exc_is_fault(vector))
		rflags |= EXC_RFLAGS_RF;
	return rflags;
}

uint64_t exc_rflags_after_insn(uint64_t rflags)
{
	return rflags & ~EXC_RFLAGS_RF;
}

bool exc_single_step_due(uint64_t rflags)
{
	return rflags & EXC_RFLAGS_TF;
}

unsigned int exc_string_io_batch(uint64_t rflags, unsigned int batch)
{
	return exc_single_step_due(rflags) ? 1 : batch;
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
