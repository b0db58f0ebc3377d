/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Entry of mbtest, a Multiboot 1 test kernel (Multiboot 0.6.96): an ELF32
 * image at 1 MiB with a header asking for page-aligned modules (bit 0) and
 * memory information (bit 1). It runs the same under QEMU -kernel and as a
 * Bulkhead partition (kind=multiboot). §3.2: EAX = 0x2BADB002, EBX = the
 * information structure, flat segments, paging off, ESP undefined.
 */
#define MB1_HEADER_MAGIC 0x1BADB002
#define MB1_PAGE_ALIGN 0x00000001
#define MB1_MEMORY_INFO 0x00000002
#define MB1_AOUT_KLUDGE 0x00010000
#define STACK_SIZE 16384

/* MBTEST_AOUT (mbtest-aout.elf): the same kernel with the a.out kludge
 * (§3.1.3): the loader takes the address fields below, not the ELF program
 * headers (GRUB and QEMU do so when bit 16 is set). */
#ifdef MBTEST_AOUT
#define MB1_FLAGS (MB1_PAGE_ALIGN | MB1_MEMORY_INFO | MB1_AOUT_KLUDGE)
#else
#define MB1_FLAGS (MB1_PAGE_ALIGN | MB1_MEMORY_INFO)
#endif

	.section .multiboot, "a"
	.balign 4
mb1_header:
	.long MB1_HEADER_MAGIC
	.long MB1_FLAGS
	.long -(MB1_HEADER_MAGIC + MB1_FLAGS)
#ifdef MBTEST_AOUT
	.long mb1_header	/* header_addr */
	.long __image_start	/* load_addr */
	.long __data_end	/* load_end_addr */
	.long __bss_end		/* bss_end_addr */
	.long _start		/* entry_addr */
#endif

	.section .text.start, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	mov $stack_top, %esp
	push %ebx		/* mb_main(magic, info) */
	push %eax
	call mb_main
1:	hlt
	jmp 1b

	.section .bss
	.balign 16
	.space STACK_SIZE
stack_top:
	.section .note.GNU-stack, "", @progbits
