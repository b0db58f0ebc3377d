/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Entering and leaving CPL 3 for rt_user_call() (guests/runtime/user.c),
 * 64-bit guests only.
 *
 * long rt_user_enter(long (*fn)(void *), void *arg, uintptr_t user_sp)
 *   saves the callee-saved registers and the stack pointer, then IRETQ to
 *   rt_user_trampoline at CPL 3 (the frame SS, RSP, RFLAGS, CS, RIP: SDM
 *   Vol. 3A §6.14.3) with RFLAGS.IF and IOPL 0. The trampoline calls fn(arg)
 *   and executes INT RT_USER_RETURN_VECTOR, whose DPL 3 gate brings the CPU
 *   back to CPL 0 on the TSS's RSP0 stack at rt_user_return. That stub
 *   drops the interrupt frame, restores the saved stack and registers and
 *   returns fn's result (RAX) from rt_user_enter.
 */
#include "abi.h"

#ifdef __x86_64__
#define RFLAGS_FIXED 0x2	/* bit 1 is always set; IF = 0, IOPL = 0 */

	.text
	.globl rt_user_enter
	.type rt_user_enter, @function
rt_user_enter:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, rt_user_saved_sp(%rip)
	pushq $(SEL_USER_DATA | USER_RPL)		/* SS */
	push %rdx				/* RSP */
	pushq $RFLAGS_FIXED			/* RFLAGS */
	pushq $(SEL_USER_CODE64 | USER_RPL)		/* CS */
	lea rt_user_trampoline(%rip), %rax
	push %rax				/* RIP */
	mov %rdi, %r12				/* fn: survives into user mode */
	mov %rsi, %rdi				/* arg */
	iretq
	.size rt_user_enter, . - rt_user_enter

	/* CPL 3 from here until the INT. */
	.type rt_user_trampoline, @function
rt_user_trampoline:
	and $-16, %rsp
	call *%r12
	int $RT_USER_RETURN_VECTOR
	ud2					/* never resumed */
	.size rt_user_trampoline, . - rt_user_trampoline

	/* CPL 0 again, on the TSS's RSP0 stack; RAX holds fn's result. */
	.globl rt_user_return
	.type rt_user_return, @function
rt_user_return:
	mov rt_user_saved_sp(%rip), %rsp
	mov $SEL_DATA, %ecx
	mov %ecx, %ss
	mov %ecx, %ds
	mov %ecx, %es
	mov %ecx, %fs
	mov %ecx, %gs
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret
	.size rt_user_return, . - rt_user_return

	.bss
	.balign 8
rt_user_saved_sp:
	.quad 0
#endif
	.section .note.GNU-stack, "", @progbits
