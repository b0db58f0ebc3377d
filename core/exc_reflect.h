/* SPDX-License-Identifier: BSD-2-Clause */
/* Reflecting intercepted guest exceptions back into the guest (issue 12).
 *
 * #AC and #DB are intercepted on both backends although the hypervisor
 * has no use for them: a guest can make the CPU deliver either one forever
 * without reaching an instruction boundary (an #AC raised while pushing
 * the #AC frame on a misaligned CPL 3 stack, CVE-2015-5307; a #DB raised
 * by a data breakpoint on the #DB frame, CVE-2015-8104). Microcode loops
 * like that never open an interrupt window, so without the intercepts the
 * host CPU would hang with it. Intercepted, each delivery attempt is a VM
 * exit, where host interrupts and the scheduler get in; the exception is
 * then reflected to the guest as the hardware would have delivered it.
 *
 * Pure: the decisions below are unit-tested (tests/unit/test_exc_reflect.c);
 * the backends apply the register side effects. */
#ifndef BULKHEAD_CORE_EXC_REFLECT_H
#define BULKHEAD_CORE_EXC_REFLECT_H

#include "core/exit.h"
#include "core/vcpu.h"

/* The exceptions both backends intercept: #DB and #AC for the loops above,
 * #MC because it concerns the machine, not the guest. */
#define EXC_INTERCEPTED (BIT(EXC_DB) | BIT(EXC_AC) | BIT(EXC_MC))

/* RFLAGS.RF (SDM Vol. 3A §2.3, §18.3.1.1). */
#define EXC_RFLAGS_RF BIT(16)

/* DR6 bits (SDM Vol. 3B §18.2.3; AMD APM Vol. 2 §13.1.1.3). B0-B3 name the
 * breakpoint that hit, BD a debug-register access with DR7.GD set, BS a
 * single step, BT a task switch; RTM (bit 16) is active low. The VMX exit
 * qualification of a #DB exit uses the same positions, RTM active high
 * (SDM Vol. 3C Table 28-1). */
#define DR6_B0_B3 0xfULL
#define DR6_BD BIT(13)
#define DR6_BS BIT(14)
#define DR6_BT BIT(15)
#define DR6_RTM BIT(16)
#define DR6_FIXED_1 0xfffe0ff0ULL /* reads as 1: bits 4-11, 17-31 (RTM aside) */
#define DR7_GD BIT(13)

enum exc_reflect_action {
	EXC_REFLECT_INJECT, /* inject *ev into the guest */
	EXC_REFLECT_STOP,   /* not the guest's: stop the partition (#MC) */
};

/* What to do with an intercepted exception e: fills *ev for injection and
 * *rflags with the RFLAGS the guest must have when it is delivered. Fault
 * class exceptions other than #DB are delivered with RF set in the pushed
 * RFLAGS, as the CPU does when it delivers them itself (SDM Vol. 3A
 * §18.3.1.1); event injection pushes the guest's RFLAGS as they are, so RF
 * is set here. #DB keeps RF as it is: an instruction-breakpoint fault is
 * pushed with RF clear (the handler sets it to step over the breakpoint),
 * a trap with the RF the CPU left, which is 0 after a completed
 * instruction. #AC always pushes error code 0 (SDM Vol. 3A §6.15,
 * Interrupt 17). */
enum exc_reflect_action exc_reflect(const struct vm_exit *e, uint64_t *rflags, struct vcpu_event *ev);

/* VMX: a #DB that causes a VM exit does not update DR6 (SDM Vol. 3C
 * §27.1); the exit qualification has the bits the delivery would have set.
 * Returns the DR6 the guest must see: B0-B3 replaced (a debug exception may
 * clear them; SDM Vol. 3B §18.2.3), BD and BS set when reported, RTM
 * cleared when reported (active low), the fixed bits 1, the rest (BT, a
 * previous BD/BS the handler has not cleared) kept. */
uint64_t exc_dr6_after_db(uint64_t dr6, uint64_t exit_qual);

/* DR7 after a #DB is delivered: the CPU clears GD on entry to the handler
 * so the handler can touch the debug registers (SDM Vol. 3B §18.2.4). */
uint64_t exc_dr7_after_db(uint64_t dr7);

#endif
