/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Where an application processor (AP) starts: the boot CPU copies these bytes
 * to a free page below 1 MiB (arch/x86/cpu/smp.c) and names that page in the
 * start-up IPI. The AP arrives in real mode at CS:IP = (page >> 4):0000 (SDM
 * Vol. 3A §8.4.4.1) with its state from INIT: paging and protection off,
 * interrupts masked. It goes to protected mode, then to long mode on the
 * hypervisor's page tables (SDM Vol. 3A §9.8.5), takes its stack and struct
 * percpu from the data block and calls the C entry. Everything page-relative:
 * EBX holds the page's linear address from the first instructions on.
 *
 * The block is data for the boot CPU (it lives in .rodata and is never run
 * where it is linked).
 */
#include "arch/x86/boot/ap_trampoline.h"

#define CR0_PE 0x1
#define MSR_EFER 0xc0000080

	.section .rodata.ap_trampoline, "a"
	.balign 16
	.global ap_trampoline_start, ap_trampoline_end

	.code16
ap_trampoline_start:
	cli
	cld
	mov %cs, %ax
	mov %ax, %ds
	movzwl %ax, %ebx
	shl $4, %ebx			/* linear address of the page */
	lgdtl AP_TRAMP_GDTR
	mov %cr0, %eax
	or $CR0_PE, %eax
	mov %eax, %cr0
	ljmpl *AP_TRAMP_PM32_PTR	/* offset patched to page + ap_tramp_pm32 */

	.code32
ap_tramp_pm32:
	mov $AP_TRAMP_SEL_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	/* PAE, a PML4 below 4 GiB, EFER.LME (and NXE: the tables use bit 63),
	 * then CR0.PG: long mode is active from that write on. */
	mov AP_TRAMP_CR4(%ebx), %eax
	mov %eax, %cr4
	mov AP_TRAMP_CR3_LOW(%ebx), %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	mov AP_TRAMP_EFER(%ebx), %eax
	xor %edx, %edx
	wrmsr
	mov AP_TRAMP_CR0(%ebx), %eax
	mov %eax, %cr0
	ljmpl *AP_TRAMP_LM64_PTR(%ebx)	/* into the 64-bit code segment */

	.code64
ap_tramp_lm64:
	mov %ebx, %ebx			/* upper halves are undefined after the mode switch */
	mov AP_TRAMP_CR3(%rbx), %rax	/* the real PML4, wherever it is */
	mov %rax, %cr3
	mov AP_TRAMP_STACK(%rbx), %rsp
	mov AP_TRAMP_PERCPU(%rbx), %rdi
	movl $1, AP_TRAMP_STARTED(%rbx)
	xor %ebp, %ebp			/* end of the frame-pointer chain */
	call *AP_TRAMP_ENTRY(%rbx)
1:	cli				/* the entry does not return */
	hlt
	jmp 1b

	/* Data block. Offsets of code are page-relative here; the boot CPU adds
	 * the page address to them and to the GDT base. */
	.org AP_TRAMP_GDT
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: 32-bit code, flat, DPL0 */
	.quad 0x00cf92000000ffff	/* 0x10: data, flat, DPL0 */
	.quad 0x00af9a000000ffff	/* 0x18: 64-bit code (L=1) */
	.org AP_TRAMP_GDTR
	.short 4 * 8 - 1
	.long AP_TRAMP_GDT
	.org AP_TRAMP_PM32_PTR
	.long ap_tramp_pm32 - ap_trampoline_start
	.short AP_TRAMP_SEL_CODE32
	.org AP_TRAMP_LM64_PTR
	.long ap_tramp_lm64 - ap_trampoline_start
	.short AP_TRAMP_SEL_CODE64
	.org AP_TRAMP_END
ap_trampoline_end:
