/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Entry of cpuconf, a Multiboot 1 test kernel whose checks run in 64-bit
 * mode (guests/multiboot/cpuconf.c). Its code is 64-bit, so its ELF is
 * ELF64, which QEMU's -kernel refuses to load as such; the a.out kludge
 * (Multiboot 0.6.96 §3.1.3) makes both QEMU and Bulkhead load it by the
 * header's address fields instead. Entered in 32-bit protected mode with
 * paging off (§3.2), it identity-maps the first 1 GiB with 2 MiB pages,
 * enables long mode (SDM Vol. 3A §9.8.5: PAE, CR3, EFER.LME, CR0.PG) and
 * jumps to 64-bit code, which installs an IDT and calls cpuconf_main.
 */
#define MB1_HEADER_MAGIC 0x1BADB002
#define MB1_PAGE_ALIGN 0x00000001
#define MB1_MEMORY_INFO 0x00000002
#define MB1_AOUT_KLUDGE 0x00010000
#define MB1_FLAGS (MB1_PAGE_ALIGN | MB1_MEMORY_INFO | MB1_AOUT_KLUDGE)
#define STACK_SIZE 16384

#define CR0_PE 0x00000001
#define CR0_PG 0x80000000
#define CR4_PAE 0x00000020
#define MSR_EFER 0xc0000080
#define EFER_LME 0x00000100
#define PTE_P 0x001
#define PTE_RW 0x002
#define PTE_PS 0x080
#define PAGE_2M 0x200000
#define GDT_CODE64 0x08
#define GDT_DATA 0x10

	.section .multiboot, "a"
	.balign 4
mb1_header:
	.long MB1_HEADER_MAGIC
	.long MB1_FLAGS
	.long -(MB1_HEADER_MAGIC + MB1_FLAGS)
	.long mb1_header	/* header_addr */
	.long __image_start	/* load_addr */
	.long __data_end	/* load_end_addr */
	.long __bss_end		/* bss_end_addr */
	.long _start		/* entry_addr */

	.section .text.start, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	mov $stack_top, %esp
	mov %eax, %edi		/* Multiboot magic, for cpuconf_main */
	/* PML4[0] -> PDPT, PDPT[0] -> PD, PD[i] = i * 2 MiB. */
	mov $pdpt, %eax
	or $(PTE_P | PTE_RW), %eax
	mov %eax, pml4
	mov $pd, %eax
	or $(PTE_P | PTE_RW), %eax
	mov %eax, pdpt
	xor %ecx, %ecx
1:	mov %ecx, %eax
	imul $PAGE_2M, %eax
	or $(PTE_P | PTE_RW | PTE_PS), %eax
	mov %eax, pd(,%ecx,8)
	inc %ecx
	cmp $512, %ecx
	jne 1b
	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $pml4, %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	wrmsr
	mov %cr0, %eax
	or $(CR0_PG | CR0_PE), %eax
	mov %eax, %cr0
	lgdt gdt_desc
	ljmp $GDT_CODE64, $long_mode

	.code64
long_mode:
	mov $GDT_DATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	mov $stack_top, %rsp
	call idt_install
	call cpuconf_main	/* (magic in EDI); does not return */
2:	hlt
	jmp 2b

/* One stub per exception vector 0-31: push a 0 error code where the CPU
 * pushes none (SDM Vol. 3A Table 6-1), then the vector, then the common
 * path hands the frame to cpuconf_exception. */
	.macro stub v
	.balign 16
	.if !((\v == 8) || ((\v >= 10) && (\v <= 14)) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30))
	pushq $0
	.endif
	pushq $\v
	jmp exc_common
	.endm

	.balign 16
	.globl exc_stubs
exc_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	stub \v
	.endr

/* Frame: vector, error, RIP, CS, RFLAGS, RSP, SS. cpuconf_exception may
 * change the saved RIP (to resume after a tried instruction). */
exc_common:
	push %rax
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	lea 72(%rsp), %rdi	/* &frame.vector */
	call cpuconf_exception
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rax
	add $16, %rsp		/* vector and error code */
	iretq

	.section .rodata
	.balign 8
gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code, DPL 0 */
	.quad 0x00cf92000000ffff	/* 0x10: data */
gdt_end:
gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt

	.section .bss
	.balign 4096
pml4:	.space 4096
pdpt:	.space 4096
pd:	.space 4096
	.balign 16
	.space STACK_SIZE
stack_top:
	.section .note.GNU-stack, "", @progbits
