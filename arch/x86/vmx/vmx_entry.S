/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * int vmx_enter(struct vcpu *v, bool resume)
 *
 * The VMX world switch. Guest RSP, RIP and RFLAGS live in the VMCS; the other
 * guest GPRs live in v->gpr[] (offset 0 of struct vcpu, enum gpr order) and
 * are loaded here. VM entry and exit switch no GPR but RSP (SDM Vol. 3C
 * §28.5.3), so the host's callee-saved registers are pushed, the stack
 * pointer after the push of v becomes HOST_RSP, and the exit lands on
 * vmx_exit_landing (HOST_RIP) with that stack: it finds v on top and stores
 * the guest GPRs.
 *
 * The landing code then calls the C half, vmx_vmexit (vmx.c), which reads
 * and decodes the exit and offers it to core's fast path (vcpu_exit_fast).
 * True: handled, and the VMCS is ready for the next entry (prepare_entry
 * done), so the landing code loads the guest GPRs and executes VMRESUME at
 * once, with the stack exactly as HOST_RSP says (no VMWRITE of it needed).
 * Interrupts stay disabled throughout (host RFLAGS after an exit is 0x2,
 * §28.5.3): a host interrupt that arrives meanwhile makes the next entry
 * exit at once (external-interrupt exiting), to the slow path. Every RET
 * on that way is matched by a CALL made since the exit, so none can take a
 * return address the guest left in the return stack buffer; only the RET
 * out of vmx_enter has no such CALL, and the buffer is filled (RSB_FILL)
 * just before it. vmx_enter returns VMX_ENTER_EXITED with the last exit
 * decoded in v->exit.
 *
 * If VMLAUNCH/VMRESUME itself fails, execution falls through with CF=1
 * (VMfailInvalid) or ZF=1 (VMfailValid, error in the VM-instruction error
 * field; SDM Vol. 3C §31.2) and vmx_enter returns VMX_ENTER_FAIL_INVALID or
 * VMX_ENTER_FAIL_VALID. v->gpr[] then holds the state of the last exit.
 *
 * Called with interrupts disabled.
 */
#include "arch/x86/cpu/guest_gprs.h"
#include "arch/x86/cpu/spec_asm.h"
#include "arch/x86/vmx/vmcs.h"

#define GPR(n) (8 * (n))
#define RAX 0
#define RDI 7

	.text
	.global vmx_enter
	.type vmx_enter, @function
vmx_enter:
	HOST_CALLEE_SAVED_PUSH
	/* struct vcpu *: found again by the exit landing code. Seven pushes
	 * after the CALL leave RSP 16-byte aligned, as vmx_vmexit's CALL
	 * needs (System V ABI §3.2.2). */
	push %rdi

	mov $VMCS_HOST_RSP, %eax
	vmwrite %rsp, %rax
	VERW_IF_NEEDED			/* before the test: VERW writes ZF */

	/* MOV does not change flags: this test picks VMLAUNCH or VMRESUME
	 * after every guest register is loaded. */
	test %sil, %sil
	mov GPR(RAX)(%rdi), %rax
	GUEST_GPRS_LOAD
	mov GPR(RDI)(%rdi), %rdi
	jnz 1f
	vmlaunch
	jmp .Lfailed
1:	vmresume
.Lfailed:
	/* Only reached if the entry failed: CF or ZF tells which. No guest
	 * ran since the last fill (or since vmx_enter was called), but the
	 * fast path's VMRESUME comes here after exits: fill before the RET. */
	mov $VMX_ENTER_FAIL_VALID, %eax
	mov $VMX_ENTER_FAIL_INVALID, %ecx
	cmovc %ecx, %eax
	pop %rdi
	RSB_FILL			/* CALLs and a LEA: EAX is kept */
	HOST_CALLEE_SAVED_POP
	ret
	.size vmx_enter, . - vmx_enter

	.global vmx_exit_landing
	.type vmx_exit_landing, @function
vmx_exit_landing:
	push %rdi			/* guest RDI */
	mov 8(%rsp), %rdi		/* struct vcpu * */
	mov %rax, GPR(RAX)(%rdi)
	GUEST_GPRS_SAVE
	popq GPR(RDI)(%rdi)
	/* RSP is HOST_RSP again, v on top. */
	call vmx_vmexit			/* a CALL, so its RET is matched */
	test %al, %al
	jz .Lreturn
	/* Handled by the fast path: straight back in (VMRESUME: the VMCS
	 * has been launched, or the exit would have been an entry failure,
	 * which the fast path does not take). */
	mov (%rsp), %rdi
	VERW_IF_NEEDED
	mov GPR(RAX)(%rdi), %rax
	GUEST_GPRS_LOAD
	mov GPR(RDI)(%rdi), %rdi
	vmresume
	jmp .Lfailed

.Lreturn:
	add $8, %rsp			/* drop the saved struct vcpu * */
	RSB_FILL			/* before the first RET without a CALL since the exit */
	xor %eax, %eax			/* VMX_ENTER_EXITED */
	HOST_CALLEE_SAVED_POP
	ret
	.size vmx_exit_landing, . - vmx_exit_landing
