/*
 * Entry of mbtest, a Multiboot 1 test kernel (Multiboot 0.6.96): an ELF32
 * image at 1 MiB with a header asking for page-aligned modules (bit 0) and
 * memory information (bit 1). It runs the same under QEMU -kernel and as a
 * Bulkhead partition (kind=multiboot). §3.2: EAX = 0x2BADB002, EBX = the
 * information structure, flat segments, paging off, ESP undefined.
 */
#define MB1_HEADER_MAGIC 0x1BADB002
#define MB1_FLAGS 0x00000003
#define STACK_SIZE 16384

	.section .multiboot, "a"
	.balign 4
	.long MB1_HEADER_MAGIC
	.long MB1_FLAGS
	.long -(MB1_HEADER_MAGIC + MB1_FLAGS)

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
