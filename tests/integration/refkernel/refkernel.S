/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The reference kernel for boot-time measurements (scripts/bench.sh) and rig
 * self-tests: the smallest image every Bulkhead boot path can start. It has
 * the same three headers as bulkhead.elf (Multiboot1 with address fields,
 * Multiboot2, Bulkhead's EFI handoff header), prints one line on COM1 and
 * ends the run the way the hypervisor does (status 0 to port 0xF4 for QEMU's
 * isa-debug-exit, then the Bochs magic breakpoint). So "time to this line"
 * is what the firmware and loader cost on a path, without the hypervisor.
 */
#define MB1_MAGIC 0x1BADB002
#define MB1_FLAGS ((1 << 1) | (1 << 16)) /* memory info; header has addresses */
#define MB2_MAGIC 0xE85250D6
#define BHEFI_MAGIC 0x34364946454842 /* "BHEFI64\0", arch/x86/boot/bootinfo.h */
#define COM1 0x3F8
#define UART_LSR 5
#define LSR_THRE 0x20 /* transmit holding register empty */
#define LSR_TEMT 0x40 /* transmitter empty: the last bit is out */
#define DEBUG_EXIT_PORT 0xF4

	.section .headers, "a"
	.align 4
mb1_header:
	.long MB1_MAGIC, MB1_FLAGS, -(MB1_MAGIC + MB1_FLAGS)
	.long mb1_header, ref_start, ref_file_end, ref_bss_end, entry32
	.align 8
mb2_header:
	.long MB2_MAGIC, 0, mb2_end - mb2_header
	.long 0x100000000 - (MB2_MAGIC + (mb2_end - mb2_header))
	.short 0, 0			/* end tag */
	.long 8
mb2_end:
	.align 8
	.quad BHEFI_MAGIC, entry64, ref_start, ref_bss_end

	.text
	.code32
	.global entry32
entry32:
	cli
	mov $message, %esi
1:	movzbl (%esi), %ecx
	test %ecx, %ecx
	jz 3f
	mov $(COM1 + UART_LSR), %dx
2:	in %dx, %al
	test $LSR_THRE, %al
	jz 2b
	mov %cl, %al
	mov $COM1, %dx
	out %al, %dx
	inc %esi
	jmp 1b
3:	mov $(COM1 + UART_LSR), %dx
4:	in %dx, %al
	test $LSR_TEMT, %al
	jz 4b
	xor %eax, %eax
	out %al, $DEBUG_EXIT_PORT
	xchg %bx, %bx
5:	hlt
	jmp 5b

	.code64
	.global entry64
entry64:
	cli
	lea message(%rip), %rsi
1:	movzbl (%rsi), %ecx
	test %ecx, %ecx
	jz 3f
	mov $(COM1 + UART_LSR), %dx
2:	in %dx, %al
	test $LSR_THRE, %al
	jz 2b
	mov %cl, %al
	mov $COM1, %dx
	out %al, %dx
	inc %rsi
	jmp 1b
3:	mov $(COM1 + UART_LSR), %dx
4:	in %dx, %al
	test $LSR_TEMT, %al
	jz 4b
	xor %eax, %eax
	out %al, $DEBUG_EXIT_PORT
	xchg %bx, %bx
5:	hlt
	jmp 5b

	.section .rodata
message:
	.asciz "\r\nref: ready\r\n"
