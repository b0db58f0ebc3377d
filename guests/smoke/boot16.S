/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Smoke-test boot sector (bare QEMU/SeaBIOS only, never under Bulkhead): the
 * BIOS loads it at 0:0x7c00; it moves itself to 0:0x600, reads the real-mode
 * guest that follows it on the disk to 0:0x7c00 with INT 13h AH=42h
 * (extended read) and starts it the way Bulkhead's loader does: CS:IP =
 * 0:0x7c00, SP = 0x7000.
 */
#define RELOC 0x600
#define GUEST_LOAD 0x7c00
#define GUEST_SECTORS 64
#define GUEST_SP 0x7000

	.code16
	.section .text, "ax"
	.globl _start
_start:
	cli
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $RELOC, %sp
	cld
	mov $GUEST_LOAD, %si
	mov $RELOC, %di
	mov $256, %cx
	rep movsw
	ljmp $0, $relocated
relocated:
	mov $dap, %si
	mov $0x42, %ah			/* DL still holds the boot drive */
	int $0x13
	jc fail
	mov $GUEST_SP, %sp
	ljmp $0, $GUEST_LOAD
fail:	mov $0x3f8, %dx
	mov $'E', %al
	out %al, %dx
1:	hlt
	jmp 1b

	.balign 4
dap:	.byte 16, 0			/* size, reserved */
	.word GUEST_SECTORS
	.word GUEST_LOAD, 0		/* offset, segment */
	.quad 1				/* LBA of the first guest sector */

	.org 510
	.byte 0x55, 0xaa
	.section .note.GNU-stack, "", @progbits
