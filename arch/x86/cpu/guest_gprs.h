/* SPDX-License-Identifier: BSD-2-Clause */
/* The assembler reads this file too: clang-format would break its .S lines. */
/* clang-format off */
/* Assembly macros shared by the SVM and VMX world-switch code: move the
 * guest GPRs between the CPU and struct vcpu's gpr[] (offset 0, enum gpr
 * order, core/vcpu.h). RAX, RSP and RDI are each backend's own business: SVM
 * keeps RAX and RSP in the VMCB, VMX keeps RSP in the VMCS, and RDI holds
 * the struct vcpu pointer until the last moment. */
#ifndef BULKHEAD_ARCH_X86_CPU_GUEST_GPRS_H
#define BULKHEAD_ARCH_X86_CPU_GUEST_GPRS_H

#ifdef __ASSEMBLY__
#define GPR_OFF(n) (8 * (n))

/* The host's callee-saved registers (System V AMD64 ABI §3.2.1): the guest
 * overwrites them, so the world switch keeps them on the host stack. */
.macro HOST_CALLEE_SAVED_PUSH
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
.endm

.macro HOST_CALLEE_SAVED_POP
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
.endm

/* Load RCX, RDX, RBX, RBP, RSI, R8-R15 from the struct vcpu at base. */
.macro GUEST_GPRS_LOAD base=%rdi
	mov GPR_OFF(1)(\base), %rcx
	mov GPR_OFF(2)(\base), %rdx
	mov GPR_OFF(3)(\base), %rbx
	mov GPR_OFF(5)(\base), %rbp
	mov GPR_OFF(6)(\base), %rsi
	mov GPR_OFF(8)(\base), %r8
	mov GPR_OFF(9)(\base), %r9
	mov GPR_OFF(10)(\base), %r10
	mov GPR_OFF(11)(\base), %r11
	mov GPR_OFF(12)(\base), %r12
	mov GPR_OFF(13)(\base), %r13
	mov GPR_OFF(14)(\base), %r14
	mov GPR_OFF(15)(\base), %r15
.endm

/* Store RCX, RDX, RBX, RBP, RSI, R8-R15 into the struct vcpu at base
 * (%rdi, or %rax where RDI still holds a guest value). */
.macro GUEST_GPRS_SAVE base=%rdi
	mov %rcx, GPR_OFF(1)(\base)
	mov %rdx, GPR_OFF(2)(\base)
	mov %rbx, GPR_OFF(3)(\base)
	mov %rbp, GPR_OFF(5)(\base)
	mov %rsi, GPR_OFF(6)(\base)
	mov %r8, GPR_OFF(8)(\base)
	mov %r9, GPR_OFF(9)(\base)
	mov %r10, GPR_OFF(10)(\base)
	mov %r11, GPR_OFF(11)(\base)
	mov %r12, GPR_OFF(12)(\base)
	mov %r13, GPR_OFF(13)(\base)
	mov %r14, GPR_OFF(14)(\base)
	mov %r15, GPR_OFF(15)(\base)
.endm
#endif

#endif
