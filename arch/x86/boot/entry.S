/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The first instructions Bulkhead runs.
 *
 * Two ways in:
 *  - mb_entry32: a Multiboot1 or Multiboot2 loader (GRUB, QEMU -kernel) jumps
 *    here in 32-bit protected mode, paging off, EAX = magic, EBX = info
 *    (Multiboot 0.6.96 §3.2, Multiboot2 §3.3). We build a temporary identity
 *    map of the first 4 GiB, enter long mode (Intel SDM Vol. 3A §9.8.5) and
 *    call boot_main(magic, info).
 *  - efi_entry64: Bulkhead's own UEFI loader calls here in long mode after
 *    ExitBootServices, RDI = struct boot_info *, still on the firmware's
 *    identity-mapped page tables.
 * Everything after that is C (arch/x86/boot/boot.c).
 */
#include "arch/x86/boot/bootinfo.h"

#define MB1_MAGIC 0x1BADB002
#define MB1_F_PAGE_ALIGN (1 << 0)  /* modules on page boundaries */
#define MB1_F_MEMINFO (1 << 1)     /* we want mem_* and mmap_* */
#define MB1_F_ADDRESSES (1 << 16)  /* header carries load addresses: an ELF64 */
                                   /* image is then loaded as a flat file */
#define MB1_FLAGS (MB1_F_PAGE_ALIGN | MB1_F_MEMINFO | MB1_F_ADDRESSES)

#define MB2_MAGIC 0xE85250D6
#define MB2_ARCH_I386 0
#define MB2_TAG_END 0
#define MB2_TAG_MODULE_ALIGN 6

#define CR0_PE (1 << 0)
#define CR0_WP (1 << 16)
#define CR0_NW (1 << 29)
#define CR0_CD (1 << 30)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define MSR_EFER 0xC0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)
#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PS 0x80
#define COM1 0x3F8

#define BOOT_CS 0x08
#define BOOT_DS 0x10

	.section .multiboot, "a"
	.align 4
mb1_header:
	.long MB1_MAGIC
	.long MB1_FLAGS
	.long -(MB1_MAGIC + MB1_FLAGS)
	.long mb1_header	/* header_addr */
	.long __image_start	/* load_addr */
	.long __data_end	/* load_end_addr: the file ends after .data */
	.long __bss_end		/* bss_end_addr: the loader zeroes up to here */
	.long mb_entry32	/* entry_addr */

	.align 8
mb2_header:
	.long MB2_MAGIC
	.long MB2_ARCH_I386
	.long mb2_header_end - mb2_header
	.long 0x100000000 - (MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	.align 8
	.short MB2_TAG_MODULE_ALIGN, 0
	.long 8
	.align 8
	.short MB2_TAG_END, 0
	.long 8
mb2_header_end:

	/* For Bulkhead's UEFI loader: where to enter and what to load. */
	.align 8
	.global bh_efi_header
bh_efi_header:
	.quad BH_EFI_HEADER_MAGIC0
	.quad efi_entry64
	.quad __image_start
	.quad __image_end

	.section .text.boot, "ax"
	.code32
	.global mb_entry32
mb_entry32:
	cli
	cld
	mov %eax, %esi			/* magic, kept for boot_main */
	mov %ebx, %ebp			/* info pointer */

	/* Zero .bss ourselves: not every loader honours bss_end_addr. */
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb

	mov $boot_stack_top, %esp

	/* Long mode present? (CPUID 8000_0001h EDX bit 29, SDM Vol. 2A CPUID) */
	mov $0x80000000, %eax
	cpuid
	cmp $0x80000001, %eax
	jb no_long_mode
	mov $0x80000001, %eax
	cpuid
	bt $29, %edx
	jnc no_long_mode
	mov %edx, %ebx			/* keep: bit 20 says NX exists */

	/* PML4[0] -> PDPT; PDPT[0..3] -> four page directories of 2 MiB pages:
	 * an identity map of the first 4 GiB, enough to reach our image, the
	 * Multiboot information and the modules until boot.c builds the real map. */
	mov $boot_pdpt, %eax
	or $(PTE_P | PTE_W), %eax
	mov %eax, boot_pml4
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $12, %eax
	add $boot_pd, %eax
	or $(PTE_P | PTE_W), %eax
	mov %eax, boot_pdpt(, %ecx, 8)
	inc %ecx
	cmp $4, %ecx
	jne 1b
	xor %ecx, %ecx
2:	mov %ecx, %eax
	shl $21, %eax
	or $(PTE_P | PTE_W | PTE_PS), %eax
	mov %eax, boot_pd(, %ecx, 8)
	mov %ecx, %eax
	shr $11, %eax			/* high half of the 2 MiB frame number */
	mov %eax, boot_pd + 4(, %ecx, 8)
	inc %ecx
	cmp $2048, %ecx
	jne 2b

	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	bt $20, %ebx
	jnc 3f
	or $EFER_NXE, %eax
3:	wrmsr
	/* Caches on: CD and NW are still set from reset (0x60000010) on some
	 * firmware paths; with them set every access is uncached. */
	mov %cr0, %eax
	and $~(CR0_CD | CR0_NW), %eax
	or $(CR0_PE | CR0_PG | CR0_WP), %eax
	mov %eax, %cr0

	lgdt boot_gdt_ptr
	ljmp $BOOT_CS, $mb_entry64

no_long_mode:
	mov $no_lm_msg, %esi
4:	lodsb
	test %al, %al
	jz 6f
	mov %al, %bl
5:	mov $(COM1 + 5), %dx		/* wait for THR empty (LSR bit 5) */
	in %dx, %al
	test $0x20, %al
	jz 5b
	mov %bl, %al
	mov $COM1, %dx
	out %al, %dx
	jmp 4b
6:	hlt
	jmp 6b

	.code64
mb_entry64:
	mov $BOOT_DS, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	xor %eax, %eax
	mov %ax, %fs
	mov %ax, %gs
	mov $boot_stack_top, %rsp
	mov %esi, %edi			/* boot_main(magic, info) */
	mov %ebp, %esi
	xor %ebp, %ebp			/* end of the frame-pointer chain */
	call boot_main
7:	cli
	hlt
	jmp 7b

	.global efi_entry64
efi_entry64:
	cli
	cld
	mov %rdi, %r12			/* struct boot_info * (loader memory) */
	mov $__bss_start, %rdi
	mov $__bss_end, %rcx
	sub %rdi, %rcx
	xor %eax, %eax
	rep stosb
	/* Leave the firmware's page tables: they sit in boot-services memory,
	 * which is usable RAM to us and may be handed out (and zeroed) before
	 * boot.c loads the final tables. Same 4 GiB identity map as above. */
	mov $boot_pdpt + (PTE_P | PTE_W), %eax
	mov %rax, boot_pml4
	xor %ecx, %ecx
9:	mov %rcx, %rax
	shl $12, %rax
	add $boot_pd + (PTE_P | PTE_W), %rax
	mov %rax, boot_pdpt(, %rcx, 8)
	inc %ecx
	cmp $4, %ecx
	jne 9b
	xor %ecx, %ecx
10:	mov %rcx, %rax
	shl $21, %rax
	or $(PTE_P | PTE_W | PTE_PS), %rax
	mov %rax, boot_pd(, %rcx, 8)
	inc %ecx
	cmp $2048, %ecx
	jne 10b
	mov $boot_pml4, %eax
	mov %rax, %cr3
	lgdt boot_gdt_ptr
	mov $boot_stack_top, %rsp
	pushq $BOOT_CS
	lea 8f(%rip), %rax
	pushq %rax
	lretq
8:	mov $BOOT_DS, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	xor %eax, %eax
	mov %ax, %fs
	mov %ax, %gs
	mov $BOOT_MAGIC_BULKHEAD_EFI, %edi
	mov %r12, %rsi
	xor %ebp, %ebp
	call boot_main
	jmp 7b

	.section .rodata
no_lm_msg:
	.asciz "Bulkhead: this CPU has no 64-bit long mode; halting.\r\n"

	/* Temporary GDT: null, 64-bit code, data. arch/x86/cpu/gdt.c loads the
	 * real one (with the TSS) early in boot_main. */
	.align 16
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* code: L=1, P, DPL0, execute/read */
	.quad 0x00cf92000000ffff	/* data: P, DPL0, read/write */
boot_gdt_end:
	.align 8
boot_gdt_ptr:
	.short boot_gdt_end - boot_gdt - 1
	.quad boot_gdt

	.section .bss.pagetables, "aw", @nobits
	.align 4096
boot_pml4:
	.skip 4096
boot_pdpt:
	.skip 4096
boot_pd:
	.skip 4 * 4096

	.section .bss, "aw", @nobits
	.align 4096
	.global boot_stack_guard, boot_stack_top
boot_stack_guard:
	.skip 4096			/* unmapped by paging.c: overflow faults */
boot_stack:
	.skip 32768			/* the boot CPU's stack for good */
boot_stack_top:
