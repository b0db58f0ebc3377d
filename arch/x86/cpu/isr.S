/* SPDX-License-Identifier: BSD-2-Clause */
/* Interrupt and exception entry code: push a uniform frame (vector, error
 * code, all GPRs) and call trap_dispatch(struct trap_frame *). The CPU pushes
 * an error code only for some vectors (SDM Vol. 3A Table 6-1); the others get
 * a zero so the frame layout is the same. */
	.altmacro
	.macro ISR_NOERR vec
	.align 16
isr_\vec:
	pushq $0
	pushq $\vec
	jmp isr_common
	.endm

	.macro ISR_ERR vec
	.align 16
isr_\vec:
	pushq $\vec
	jmp isr_common
	.endm

	.macro ISR_ADDR vec
	.quad isr_\vec
	.endm

	.text
isr_common:
	cld
	pushq %r15
	pushq %r14
	pushq %r13
	pushq %r12
	pushq %r11
	pushq %r10
	pushq %r9
	pushq %r8
	pushq %rbp
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %rcx
	pushq %rbx
	pushq %rax
	mov %rsp, %rdi
	call trap_dispatch
	popq %rax
	popq %rbx
	popq %rcx
	popq %rdx
	popq %rsi
	popq %rdi
	popq %rbp
	popq %r8
	popq %r9
	popq %r10
	popq %r11
	popq %r12
	popq %r13
	popq %r14
	popq %r15
	add $16, %rsp		/* vector and error code */
	iretq

	.set vec, 0
	.rept 256
	.if vec == 8 || vec == 10 || vec == 11 || vec == 12 || vec == 13 || vec == 14 || vec == 17 || vec == 21 || vec == 29 || vec == 30
	ISR_ERR %vec
	.else
	ISR_NOERR %vec
	.endif
	.set vec, vec + 1
	.endr

	.section .rodata
	.align 8
	.global isr_table
isr_table:
	.set vec, 0
	.rept 256
	ISR_ADDR %vec
	.set vec, vec + 1
	.endr
