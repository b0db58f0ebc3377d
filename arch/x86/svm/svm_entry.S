/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * void svm_run(struct vcpu *v): the SVM backend's run hook, in assembly
 * because it is the world switch; its C half is svm_vmexit() (svm.c).
 *
 * Guest RAX, RSP, RIP and RFLAGS live in the VMCB while the guest runs; they
 * are copied from struct vcpu before the first VMRUN, back by svm_vmexit
 * after each #VMEXIT, and into the VMCB again by svm_vmexit when the fast
 * path enters the guest without returning. The
 * other guest GPRs are loaded from and stored to v->gpr[] (offset 0 of
 * struct vcpu, enum gpr order). VMRUN switches only part of the state (APM
 * Vol. 2 §15.5); FS, GS, TR, LDTR, KernelGSBase and the SYSCALL/SYSENTER
 * MSRs are switched with VMLOAD/VMSAVE, the host's copy being kept in a
 * per-CPU host VMCB (host GS base holds this CPU's percpu pointer, TR the
 * IST stacks). GIF is cleared around the switch so nothing lands between
 * the VMLOADs and VMRUN.
 *
 * After the #VMEXIT the C half decodes the exit and offers it to core's
 * fast path (vcpu_exit_fast): if that handled it, the loop below enters
 * the guest again at once. GIF stays 0 meanwhile, so no interrupt or NMI
 * can come in, and every RET on the way is matched by a CALL made since
 * the exit: none can take a return address the guest left in the return
 * stack buffer. Only when the hook returns to the run loop, a RET with no
 * such CALL, is the buffer filled first (RSB_FILL) and GIF set again.
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
	push %rdi				/* 16(%rsp): struct vcpu * */
	mov VCPU_ARCH(%rdi), %rsi		/* struct svm_vcpu * */
	pushq SVM_VCPU_VMCB_PA(%rsi)		/* 8(%rsp): guest VMCB (physical), for VMLOAD/VMRUN/VMSAVE */
	pushq %gs:PERCPU_HOST_STATE_PA		/* 0(%rsp): host VMCB (GS is still the host's) */

	/* Guest RAX, RSP, RIP, RFLAGS into the VMCB. Only here: on the fast
	 * path svm_vmexit writes them back itself before it says "again". */
	mov SVM_VCPU_VMCB(%rsi), %rdx		/* guest VMCB (virtual) */
	mov GPR(RAX)(%rdi), %rcx
	mov %rcx, VMCB_RAX(%rdx)
	mov GPR(RSP)(%rdi), %rcx
	mov %rcx, VMCB_RSP(%rdx)
	mov VCPU_RIP(%rdi), %rcx
	mov %rcx, VMCB_RIP(%rdx)
	mov VCPU_RFLAGS(%rdi), %rcx
	mov %rcx, VMCB_RFLAGS(%rdx)
	clgi					/* stays 0 while the fast path loops */

.Lenter:
	mov 16(%rsp), %rdi
	mov 8(%rsp), %rax
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
	 * every other GPR is the guest's. Until the VMLOAD below, GS is the
	 * guest's too: a host trap here cannot use this_cpu (see
	 * in_svm_guest_gs_window in trap.c). */
	.global svm_guest_gs_begin, svm_guest_gs_end
svm_guest_gs_begin:
	vmsave %rax

	mov 16(%rsp), %rax			/* struct vcpu * */
	GUEST_GPRS_SAVE base=%rax
	mov %rdi, GPR(RDI)(%rax)

	mov (%rsp), %rax			/* host VMCB */
	vmload %rax				/* the C half uses GS (this_cpu) */
svm_guest_gs_end:
	cli					/* the pending interrupt waits for the exit handler */
	mov 16(%rsp), %rdi
	call svm_vmexit				/* a CALL, so its RET is matched */
	test %al, %al
	jnz .Lenter				/* handled by the fast path: straight back in */

	RSB_FILL				/* before the RET below (spec_asm.h) */
	stgi
	add $16, %rsp
	pop %rdi
	HOST_CALLEE_SAVED_POP
	ret
	.size svm_run, . - svm_run
