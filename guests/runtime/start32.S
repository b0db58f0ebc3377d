/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Entry of a 32-bit (protected mode) test guest.
 *
 * The loader enters at the ELF entry point with flat 4 GiB code and data
 * segments, paging off and ESP = top of RAM minus 16 (guests/README.md,
 * "Startup state"). We record what we were given, clear .bss, load the
 * runtime's own GDT and segment registers, and call rt_main.
 *
 * A Multiboot loader (bare-machine smoke runs, guests/smoke/) enters the same
 * way but leaves ESP undefined (Multiboot 0.6.96 §3.2) and EAX = 0x2BADB002:
 * then we switch to a stack of our own.
 */
#include "abi.h"

/* struct rt_boot (rt.h), 32-bit layout. */
#define BOOT_SP 0
#define BOOT_CR0 4
#define BOOT_CR3 8
#define BOOT_CR4 12
#define BOOT_EAX 16

#define FALLBACK_STACK_SIZE 16384

	.section .text.start, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	mov %eax, rt_boot+BOOT_EAX
	mov %esp, rt_boot+BOOT_SP
	cmp $MB1_BOOT_MAGIC, %eax
	jne 1f
	mov $rt_fallback_stack_top, %esp
1:	mov %cr0, %eax
	mov %eax, rt_boot+BOOT_CR0
	mov %cr3, %eax
	mov %eax, rt_boot+BOOT_CR3
	mov %cr4, %eax
	mov %eax, rt_boot+BOOT_CR4

	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb

	and $-16, %esp
	lgdt rt_gdt_ptr
	ljmp $SEL_CODE32, $2f	/* reload CS from our GDT */
2:	mov $SEL_DATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	call rt_main
3:	hlt
	jmp 3b

	/* After __bss_end (linker script): not cleared while in use. */
	.section .rt.stack, "aw", @nobits
	.balign 16
	.skip FALLBACK_STACK_SIZE
rt_fallback_stack_top:

	.section .note.GNU-stack, "", @progbits
