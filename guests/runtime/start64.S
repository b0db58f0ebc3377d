/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Entry of a 64-bit (long mode) test guest.
 *
 * The loader enters at the ELF entry point in 64-bit mode with paging on, the
 * first 4 GiB identity-mapped, a flat 64-bit CS and RSP near the top of RAM
 * (guests/README.md, "Startup state"). We record what we were given, clear
 * .bss, load the runtime's own GDT and segment registers, and call rt_main.
 * The stack we were given is kept: the guests test that it works.
 */
#include "abi.h"

/* struct rt_boot (rt.h), 64-bit layout. */
#define BOOT_SP 0
#define BOOT_CR0 8
#define BOOT_CR3 16
#define BOOT_CR4 24
#define BOOT_EAX 32

	.section .text.start, "ax"
	.code64
	.globl _start
_start:
	cli
	cld
	mov %eax, rt_boot+BOOT_EAX(%rip)
	mov %rsp, rt_boot+BOOT_SP(%rip)
	mov %cr0, %rax
	mov %rax, rt_boot+BOOT_CR0(%rip)
	mov %cr3, %rax
	mov %rax, rt_boot+BOOT_CR3(%rip)
	mov %cr4, %rax
	mov %rax, rt_boot+BOOT_CR4(%rip)

	lea __bss_start(%rip), %rdi
	lea __bss_end(%rip), %rcx
	sub %rdi, %rcx
	xor %eax, %eax
	rep stosb

	and $-16, %rsp
	lgdt rt_gdt_ptr(%rip)
	lea 1f(%rip), %rax
	pushq $SEL_CODE64
	push %rax
	lretq			/* reload CS from our GDT */
1:	mov $SEL_DATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	call rt_main
2:	hlt
	jmp 2b

	.section .note.GNU-stack, "", @progbits
