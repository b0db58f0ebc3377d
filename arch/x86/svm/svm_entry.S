/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * void svm_run(struct vcpu *v): the SVM backend's run hook, in assembly
 * because it is the world switch; the C half is svm_vmexit() (svm.c).
 *
 * Guest RAX, RSP, RIP and RFLAGS live in the VMCB while the guest runs; they
 * are copied from and to struct vcpu around VMRUN (svm_vmexit copies them
 * back). The other guest GPRs are loaded from and stored to v->gpr[]
 * (offset 0 of struct vcpu, enum gpr order). VMRUN switches only part of
 * the state (APM Vol. 2 §15.5); FS, GS, TR, LDTR, KernelGSBase and the
 * SYSCALL/SYSENTER MSRs are switched with VMLOAD/VMSAVE, the host's copy
 * being kept in a per-CPU host VMCB (host GS base holds this CPU's percpu
 * pointer, TR the IST stacks: both must be back before STGI lets an NMI
 * in). GIF is cleared around the switch so nothing lands between the
 * VMLOADs and VMRUN.
 *
 * After the #VMEXIT the host's callee-saved registers are restored and the
 * function jumps to svm_vmexit(v, vmcb), which returns to svm_run's caller:
 * one call and one return per exit, and the C half keeps no registers of
 * its own across the world switch.
 */
#include "arch/x86/cpu/guest_gprs.h"
#include "arch/x86/cpu/spec_asm.h"
#include "arch/x86/svm/svm_offsets.h"

#define GPR(n) (8 * (n))
#define RAX 0
#define RSP 4
#define RDI 7

	.text
	.global svm_run
	.type svm_run, @function
svm_run:
	HOST_CALLEE_SAVED_PUSH
	mov VCPU_ARCH(%rdi), %rsi		/* struct svm_vcpu * */
	mov SVM_VCPU_VMCB(%rsi), %rdx		/* guest VMCB (virtual) */
	mov SVM_VCPU_VMCB_PA(%rsi), %rax	/* ... its physical address, for VMLOAD/VMRUN/VMSAVE */

	mov GPR(RAX)(%rdi), %rcx
	mov %rcx, VMCB_RAX(%rdx)
	mov GPR(RSP)(%rdi), %rcx
	mov %rcx, VMCB_RSP(%rdx)
	mov VCPU_RIP(%rdi), %rcx
	mov %rcx, VMCB_RIP(%rdx)
	mov VCPU_RFLAGS(%rdi), %rcx
	mov %rcx, VMCB_RFLAGS(%rdx)

	/* What the exit path needs, on the stack (RSP survives VMRUN). */
	push %rdi				/* 16(%rsp): struct vcpu * */
	push %rdx				/* 8(%rsp): guest VMCB */
	pushq %gs:PERCPU_HOST_STATE_PA		/* 0(%rsp): host VMCB (GS is still the host's) */

	clgi
	/* With V_INTR_MASKING the host's RFLAGS.IF, as VMRUN finds it, gates
	 * physical interrupts while the guest runs (APM Vol. 2 §15.21.1): set
	 * it, so the scheduler's timer forces a #VMEXIT(INTR). GIF = 0 keeps
	 * the host itself from taking the interrupt here. */
	sti
	GUEST_GPRS_LOAD
	mov GPR(RDI)(%rdi), %rdi
	VERW_IF_NEEDED			/* flags only: the guest's are in the VMCB */
	vmload %rax
	vmrun %rax
	/* #VMEXIT: RAX holds the guest VMCB's address again, RSP the stack above;
	 * every other GPR is the guest's. */
	vmsave %rax
	RSB_FILL			/* before the host's first RET (spec_asm.h) */

	mov 16(%rsp), %rax			/* struct vcpu * */
	GUEST_GPRS_SAVE base=%rax
	mov %rdi, GPR(RDI)(%rax)

	pop %rax				/* host VMCB */
	vmload %rax
	cli					/* the pending interrupt waits for the exit handler */
	stgi
	pop %rsi				/* svm_vmexit(v, vmcb) */
	pop %rdi
	HOST_CALLEE_SAVED_POP
	jmp svm_vmexit
	.size svm_run, . - svm_run
