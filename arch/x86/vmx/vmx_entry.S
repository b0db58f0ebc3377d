/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * int vmx_enter(struct vcpu *v, bool resume)
 *
 * The VMX world switch. Guest RSP, RIP and RFLAGS live in the VMCS; the other
 * guest GPRs live in v->gpr[] (offset 0 of struct vcpu, enum gpr order) and
 * are loaded here. VM entry and exit switch no GPR but RSP (SDM Vol. 3C
 * §28.5.3), so the host's callee-saved registers are pushed, the stack
 * pointer after the push of v becomes HOST_RSP, and the exit lands on
 * vmx_exit_landing (HOST_RIP) with that stack: it finds v on top, stores the
 * guest GPRs and returns VMX_ENTER_EXITED from vmx_enter's frame.
 *
 * If VMLAUNCH/VMRESUME itself fails, execution falls through with CF=1
 * (VMfailInvalid) or ZF=1 (VMfailValid, error in the VM-instruction error
 * field; SDM Vol. 3C §31.2) and vmx_enter returns VMX_ENTER_FAIL_INVALID or
 * VMX_ENTER_FAIL_VALID. v->gpr[] is unchanged then.
 *
 * Called with interrupts disabled. Host RFLAGS after an exit is 0x2 (§28.5.3).
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
	push %rdi			/* struct vcpu *: found again by the exit landing code */

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
	jmp 2f
1:	vmresume
2:	/* Only reached if the entry failed: CF or ZF tells which. */
	mov $VMX_ENTER_FAIL_VALID, %eax
	mov $VMX_ENTER_FAIL_INVALID, %ecx
	cmovc %ecx, %eax
	pop %rdi
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
	add $8, %rsp			/* drop the saved struct vcpu * */
	RSB_FILL			/* before the first RET after the exit */
	xor %eax, %eax			/* VMX_ENTER_EXITED */
	HOST_CALLEE_SAVED_POP
	ret
	.size vmx_exit_landing, . - vmx_exit_landing
