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

/* RFLAGS.TF and RFLAGS.RF (SDM Vol. 3A §2.3, Vol. 3B §18.3.1.1, §18.3.1.4). */
#define EXC_RFLAGS_TF BIT(8)
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

/* Is vector a fault (the pushed RIP is the faulting instruction's, SDM
 * Vol. 3A Table 6-1)? False for #DB, whose class depends on its cause. */
bool exc_is_fault(uint8_t vector);

/* The guest's RFLAGS at the delivery of exception vector, which the
 * hypervisor injects: the CPU pushes RF = 1 for every fault-class
 * exception except an instruction-breakpoint #DB (SDM Vol. 3B §18.3.1.1,
 * "the processor sets RF in the EFLAGS image saved on the stack" for
 * faults; AMD APM Vol. 2 §13.1.4 says the same of RF). Neither VMX event
 * injection (SDM Vol. 3C §27.6.1) nor SVM's EVENTINJ (APM Vol. 2 §15.20)
 * sets it: both push the guest's RFLAGS as they are, so core sets it
 * before injecting. Traps, aborts and interrupts keep RFLAGS unchanged. */
uint64_t exc_rflags_for_delivery(uint8_t vector, uint64_t rflags);

/* RFLAGS after the hypervisor completed an instruction for the guest: the
 * CPU clears RF after every instruction that completes (SDM Vol. 3B
 * §18.3.1.1; IRET, POPF and task switches aside, none of which the
 * hypervisor emulates). */
uint64_t exc_rflags_after_insn(uint64_t rflags);

/* Does an instruction the hypervisor completed owe the guest a
 * single-step #DB? Yes when RFLAGS.TF was set at its start (SDM Vol. 3B
 * §18.3.1.4: a trap after the instruction, RIP pointing at the next; none
 * if the instruction faulted, which the caller ensures by not completing
 * it). Hardware would raise it itself, but the instruction never ran
 * there: the VM exit replaced it, so VM entry resumes past it with TF set
 * and the CPU traps only after the next instruction, one too late. */
bool exc_single_step_due(uint64_t rflags);

/* Elements of a REP INS/OUTS the hypervisor may do in one exit: batch,
 * but one with RFLAGS.TF set. A REP string instruction is interruptible
 * between iterations, with RCX and RSI/RDI updated and RIP left on it
 * (SDM Vol. 2B REP/REPE/REPZ/REPNE/REPNZ), and with TF set the CPU takes
 * the single-step trap at each such boundary, as Bochs and QEMU do: one
 * element, then the #DB with RIP still on the instruction unless it is
 * done. */
unsigned int exc_string_io_batch(uint64_t rflags, unsigned int batch);

/* VMX: a #DB that causes a VM exit does not update DR6 (SDM Vol. 3C
 * §27.1); the exit qualification has the bits the delivery would have set.
 * Returns the DR6 the guest must see: B0-B3 replaced (a debug exception may
 * clear them; SDM Vol. 3B §18.2.3), BD and BS set when reported, RTM
 * cleared when reported (active low), the fixed bits 1, the rest (BT, a
 * previous BD/BS the handler has not cleared) kept. */
uint64_t exc_dr6_after_db(uint64_t dr6, uint64_t exit_qual);
/* The backends also use it for a #DB the hypervisor injects itself (a
 * single step, struct vcpu_event.dr6 = DR6_BS): event injection does not
 * touch DR6 on either backend (SDM Vol. 3C §27.6.1.2; APM Vol. 2 §15.20),
 * so the backend writes what the delivery would have. */

/* DR7 after a #DB is delivered: the CPU clears GD on entry to the handler
 * so the handler can touch the debug registers (SDM Vol. 3B §18.2.4). */
uint64_t exc_dr7_after_db(uint64_t dr7);

#endif
