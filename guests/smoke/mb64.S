/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Smoke builds of 64-bit guests only: a Multiboot 1 header with the address
 * fields (Multiboot 0.6.96 §3.1.3; QEMU loads an ELF64 only this way) and a
 * 32-bit entry that recreates what Bulkhead's loader provides: the first
 * 4 GiB identity-mapped with 2 MiB pages, long mode, a stack below the page
 * tables; then it jumps to _start (start64.S) with EAX = 0x2BADB002.
 * Long-mode entry: SDM Vol. 3A §9.8.5.
 */
#include "abi.h"

#define MB1_FLAGS MB1_F_ADDRESSES
#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PS 0x80
#define PAGE_2M 0x200000
#define SMOKE_STACK_SIZE 16384
#define PIC1_DATA 0x21 /* 8259A interrupt mask registers (OCW1) */
#define PIC2_DATA 0xa1

	.section .multiboot, "a"
	.balign 4
mb_header:
	.long MB1_MAGIC
	.long MB1_FLAGS
	.long -(MB1_MAGIC + MB1_FLAGS)
	.long mb_header		/* header_addr */
	.long __image_start	/* load_addr */
	.long __data_end	/* load_end_addr */
	.long __image_end	/* bss_end_addr: the loader zeroes up to here */
	.long smoke_entry32	/* entry_addr */

	.text
	.code32
smoke_entry32:
	cli
	mov %eax, %ebp
	mov $smoke_stack_top, %esp
	/* The BIOS left the PIT ticking through the 8259s at vector 8: mask
	 * them, a guest that sets IF must see only the interrupts it asks for. */
	mov $0xff, %al
	out %al, $PIC1_DATA
	out %al, $PIC2_DATA

	/* PML4[0] -> PDPT; PDPT[0..3] -> four PDs; PD entries: 2 MiB pages. */
	mov $smoke_pdpt + PTE_P + PTE_W, %eax
	mov %eax, smoke_pml4
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $12, %eax
	add $smoke_pd + PTE_P + PTE_W, %eax
	mov %eax, smoke_pdpt(,%ecx,8)
	inc %ecx
	cmp $4, %ecx
	jne 1b
	xor %ecx, %ecx
2:	mov %ecx, %eax
	shl $21, %eax
	or $PTE_P + PTE_W + PTE_PS, %eax
	mov %eax, smoke_pd(,%ecx,8)
	inc %ecx
	cmp $2048, %ecx
	jne 2b

	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $smoke_pml4, %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	wrmsr
	mov %cr0, %eax
	or $CR0_PG, %eax
	mov %eax, %cr0
	lgdt rt_gdt_ptr		/* 32-bit lgdt reads the low 4 bytes of the base */
	ljmp $SEL_CODE64, $smoke_entry64

	.code64
smoke_entry64:
	mov $SEL_DATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %ebp, %eax
	jmp _start

	/* After __bss_end (linker script): start64.S does not clear it. */
	.section .smoke.bss, "aw", @nobits
	.balign 4096
smoke_pml4:	.skip 4096
smoke_pdpt:	.skip 4096
smoke_pd:	.skip 4 * 4096
	.balign 16
	.skip SMOKE_STACK_SIZE
smoke_stack_top:
	.section .note.GNU-stack, "", @progbits
