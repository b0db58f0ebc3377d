/* SPDX-License-Identifier: BSD-2-Clause */
/* RDMSR and WRMSR that return false instead of taking the hypervisor down
 * when the CPU raises #GP (SDM Vol. 2B RDMSR/WRMSR: an MSR the CPU does not
 * have, or a value it refuses). For probes only: trap_dispatch sends a #GP
 * whose RIP is one of the two labelled instructions to msr_safe_fault.
 * Neither function touches the stack before the instruction, so the fault
 * path's RET returns to the caller. */
	.text
	.globl rdmsr_safe, rdmsr_safe_insn, wrmsr_safe, wrmsr_safe_insn, msr_safe_fault

/* bool rdmsr_safe(uint32_t msr, uint64_t *val) */
rdmsr_safe:
	movl %edi, %ecx
rdmsr_safe_insn:
	rdmsr
	shlq $32, %rdx
	orq %rdx, %rax
	movq %rax, (%rsi)
	movl $1, %eax
	ret

/* bool wrmsr_safe(uint32_t msr, uint64_t val) */
wrmsr_safe:
	movl %edi, %ecx
	movl %esi, %eax
	movq %rsi, %rdx
	shrq $32, %rdx
wrmsr_safe_insn:
	wrmsr
	movl $1, %eax
	ret

msr_safe_fault:
	xorl %eax, %eax
	ret
