/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hello-real: a flat real-mode guest (loaded at 0x7c00, CS:IP = 0:0x7c00,
 * SP = 0x7000; guests/README.md). Prints a greeting, checks the startup
 * state, calls HC_VERSION, HC_TIME_NS (twice: time must advance) and
 * HC_CONSOLE_WRITE from 16-bit code, and takes #BP, #UD and #DE through its
 * own IVT.
 */
#include "abi.h"

#define LOAD_ADDR 0x7c00
#define STACK_TOP 0x7000
#define TIME_SPINS 1000

	.code16
	.section .text.start, "ax"
	.globl _start
_start:
	cli
	mov %sp, %cs:boot_sp		/* DS is not ours yet: store via CS */
	mov %cs, %ax
	mov %ax, %cs:boot_cs_val
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %es
	call 1f
1:	pop %ax				/* where we really run */
	mov %ax, here_ip
	cld
	call rt16_init

	mov $msg_hello, %si
	call rt16_puts

	/* Startup state: real mode, CS = 0, running at the linked address, SP. */
	mov $t_real_mode, %si
	smsw %ax
	test $CR0_PE, %ax
	mov $r_pe_set, %di
	jnz 2f
	call rt16_pass
	jmp 3f
2:	call rt16_fail
3:	mov $t_startup, %si
	mov $r_startup, %di
	cmpw $0, boot_cs_val
	jne 4f
	cmpw $1b, here_ip
	jne 4f
	cmpw $STACK_TOP, boot_sp
	jne 4f
	call rt16_pass
	jmp 5f
4:	call rt16_fail
	mov $msg_state, %si
	call rt16_puts
	movzwl boot_cs_val, %eax
	call rt16_puthex32
	mov $msg_ip, %si
	call rt16_puts
	movzwl here_ip, %eax
	call rt16_puthex32
	mov $msg_sp, %si
	call rt16_puts
	movzwl boot_sp, %eax
	call rt16_puthex32
	mov $msg_nl, %si
	call rt16_puts

	/* HC_VERSION */
5:	mov $HC_VERSION, %eax
	call rt16_hypercall
	mov $t_version, %si
	mov $r_version, %di
	cmp $HC_ABI_VERSION, %eax
	jne 6f
	call rt16_pass
	jmp 7f
6:	call rt16_fail

	/* HC_TIME_NS twice, with a short wait in between (low 32 bits only) */
7:	mov $HC_TIME_NS, %eax
	call rt16_hypercall
	mov %eax, %edi
	mov $TIME_SPINS, %cx
8:	pause
	loop 8b
	mov $HC_TIME_NS, %eax
	call rt16_hypercall
	sub %edi, %eax			/* t2 - t1, modulo 2^32 */
	mov $t_time, %si
	mov $r_time, %di
	test %eax, %eax
	jle 9f
	call rt16_pass
	jmp 10f
9:	call rt16_fail

	/* HC_CONSOLE_WRITE: RBX = guest-physical address (DS = 0: the offset) */
10:	mov $HC_CONSOLE_WRITE, %eax
	mov $msg_hc, %ebx
	mov $msg_hc_end - msg_hc, %ecx
	call rt16_hypercall
	mov $t_console, %si
	mov $r_console, %di
	cmp $msg_hc_end - msg_hc, %eax
	jne 11f
	call rt16_pass
	jmp 12f
11:	call rt16_fail

	/* #BP through the IVT: a trap, the pushed IP is the next instruction */
12:	call rt16_exc_prepare
	movw $13f, rt16_exc_insn
	movw $14f, rt16_exc_fixup
13:	int3
14:	mov $VEC_BP, %al
	mov $1, %ah
	mov $t_int3, %si
	call rt16_expect_exc

	/* #UD: a fault, the pushed IP is the UD2 itself */
	call rt16_exc_prepare
	movw $15f, rt16_exc_insn
	movw $16f, rt16_exc_fixup
15:	ud2
16:	mov $VEC_UD, %al
	mov $0, %ah
	mov $t_ud2, %si
	call rt16_expect_exc

	/* #DE: divide by zero, a fault */
	call rt16_exc_prepare
	movw $17f, rt16_exc_insn
	movw $18f, rt16_exc_fixup
	xor %dx, %dx
	mov $1, %ax
	xor %cx, %cx
17:	div %cx
18:	mov $VEC_DE, %al
	mov $0, %ah
	mov $t_div0, %si
	call rt16_expect_exc

	jmp rt16_done

	.section .rodata
msg_hello:	.asciz "Hello from a Bulkhead test guest in 16-bit real mode\n"
msg_hc:		.ascii "hello: this line was written with HC_CONSOLE_WRITE\n"
msg_hc_end:
msg_state:	.asciz "hello: startup cs "
msg_ip:		.asciz " ip "
msg_sp:		.asciz " sp "
msg_nl:		.asciz "\n"
t_real_mode:	.asciz "startup_mode"
r_pe_set:	.asciz "CR0.PE is set"
t_startup:	.asciz "startup_state"
r_startup:	.asciz "want CS 0, running at the linked address, SP 0x7000"
t_version:	.asciz "hc_version"
r_version:	.asciz "HC_VERSION did not return 0x00010000"
t_time:		.asciz "hc_time_advances"
r_time:		.asciz "HC_TIME_NS did not advance"
t_console:	.asciz "hc_console_write"
r_console:	.asciz "HC_CONSOLE_WRITE did not return the length"
t_int3:		.asciz "ivt_int3_bp"
t_ud2:		.asciz "ivt_ud2_ud"
t_div0:		.asciz "ivt_div0_de"

	.data
boot_sp:	.word 0
boot_cs_val:	.word 0
here_ip:	.word 0

	.section .note.GNU-stack, "", @progbits
