/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Exception and interrupt entry stubs for the guest IDT (32- and 64-bit).
 *
 * One 16-byte stub per vector: it pushes a dummy error code where the CPU
 * pushes none (SDM Vol. 3A Table 6-1), then the vector number, so every
 * frame has the same shape. The common path saves the general registers,
 * calls rt_exc_dispatch(frame) (guests/runtime/exc.c), which may change the
 * saved instruction pointer, and returns with IRET.
 */
#define RT_STUB_SIZE 16

	.text
	.balign RT_STUB_SIZE
	.globl rt_exc_stubs
rt_exc_stubs:
	vec = 0
	.rept 256
	.balign RT_STUB_SIZE
	.if vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30
	.else
	push $0
	.endif
	push $vec
	jmp rt_exc_common
	vec = vec + 1
	.endr

#ifdef __x86_64__
rt_exc_common:
	push %rax
	push %rcx
	push %rdx
	push %rbx
	push %rbp
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %rdi
	cld
	call rt_exc_dispatch
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rbp
	pop %rbx
	pop %rdx
	pop %rcx
	pop %rax
	add $16, %rsp		/* vector and error code */
	iretq
#else
rt_exc_common:
	pushal
	mov %esp, %eax
	cld
	push %eax
	call rt_exc_dispatch
	add $4, %esp
	popal
	add $8, %esp		/* vector and error code */
	iret
#endif
	.section .note.GNU-stack, "", @progbits
