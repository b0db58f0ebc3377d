/* SPDX-License-Identifier: BSD-2-Clause */
/* The assembler reads this file too: clang-format would break its .S lines. */
/* clang-format off */
/* Speculation barriers in the world-switch code (svm_entry.S,
 * vmx_entry.S); which apply is decided in arch/x86/cpu/spec.c. */
#ifndef BULKHEAD_ARCH_X86_CPU_SPEC_ASM_H
#define BULKHEAD_ARCH_X86_CPU_SPEC_ASM_H

#ifdef __ASSEMBLY__
#define RSB_ENTRIES 32

/* After a VM exit, before the host's first RET: 32 CALLs whose return
 * addresses are speculation traps, then the stack is put back. Every
 * return stack buffer entry the guest could have left now predicts into
 * a trap (SpectreRSB; Intel "Speculative Execution Side Channel
 * Mitigations" §3.2, "RSB stuffing"). Touches no register but RSP (and
 * the memory below it); flags unchanged (LEA, not ADD). */
.macro RSB_FILL
	.rept RSB_ENTRIES
	call 1f
2:	pause
	lfence
	jmp 2b
1:
	.endr
	lea (RSB_ENTRIES * 8)(%rsp), %rsp
.endm

/* Before VMRUN/VMLAUNCH/VMRESUME where spec_verw_entry says so: VERW of a
 * writable data selector overwrites the CPU's store, fill and load-port
 * buffers on CPUs with MD_CLEAR (Intel "Deep Dive: MDS"). Clobbers flags
 * only. */
.macro VERW_IF_NEEDED
	testb $1, spec_verw_entry(%rip)
	jz 3f
	verw spec_verw_sel(%rip)
3:
.endm
#endif

#endif
