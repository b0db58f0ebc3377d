/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The real-mode (16-bit) test-guest runtime, in assembly: the console on
 * COM1, hypercalls, the test report and an IVT that lets a test expect an
 * exception (real mode: vectors through the IVT at 0:0, 4 bytes each, no
 * error codes; SDM Vol. 3A §20.1.4).
 *
 * Conventions: DS = ES = 0 (the guest sets them), every function preserves
 * all registers except the ones it documents as results. Strings are
 * NUL-terminated, addressed by DS:SI (and DS:DI for a second one).
 */
#include "abi.h"

#define IVT_VECTORS 32
#define STUB_SIZE 8

	.code16
	.text

/* rt16_putc: AL = character. */
	.globl rt16_putc
rt16_putc:
	push %ax
	push %dx
	mov %al, %ah
	mov $COM1_BASE + UART_LSR, %dx
1:	in %dx, %al
	test $UART_LSR_THRE, %al
	jz 1b
	mov $COM1_BASE + UART_THR, %dx
	mov %ah, %al
	out %al, %dx
	pop %dx
	pop %ax
	ret

/* rt16_puts: DS:SI = string. */
	.globl rt16_puts
rt16_puts:
	push %ax
	push %si
	cld
1:	lodsb
	test %al, %al
	jz 2f
	call rt16_putc
	jmp 1b
2:	pop %si
	pop %ax
	ret

/* rt16_puthex32: EAX = value, printed as 0x followed by 8 digits. */
	.globl rt16_puthex32
rt16_puthex32:
	pushal
	mov %eax, %edx
	mov $'0', %al
	call rt16_putc
	mov $'x', %al
	call rt16_putc
	mov $8, %cx
1:	rol $4, %edx
	mov %dl, %al
	and $0xf, %al
	add $'0', %al
	cmp $'9', %al
	jbe 2f
	add $'a' - '9' - 1, %al
2:	call rt16_putc
	loop 1b
	popal
	ret

/* rt16_putdec: AX = value, printed in decimal. */
	.globl rt16_putdec
rt16_putdec:
	pushal
	xor %cx, %cx
	mov $10, %bx
1:	xor %dx, %dx
	div %bx
	push %dx
	inc %cx
	test %ax, %ax
	jnz 1b
2:	pop %ax
	add $'0', %al
	call rt16_putc
	loop 2b
	popal
	ret

/* rt16_init: probes the CPU vendor and the hypervisor bit, installs the IVT
 * stubs for vectors 0-31. */
	.globl rt16_init
rt16_init:
	pushal
	xor %eax, %eax
	cpuid
	mov %eax, %esi			/* max basic leaf */
	movb $0, rt16_amd
	cmp $VENDOR_AMD_EBX, %ebx
	je 1f
	cmp $VENDOR_HYGON_EBX, %ebx
	jne 2f
1:	movb $1, rt16_amd
2:	movb $0, rt16_hv
	test %esi, %esi
	jz 3f
	mov $1, %eax
	cpuid
	bt $31, %ecx			/* CPUID1_ECX_HYPERVISOR */
	jnc 3f
	mov $CPUID_HV_BASE, %eax	/* Bulkhead signs leaf 0x40000000 */
	cpuid
	cmp $BULKHEAD_SIG_EBX, %ebx
	jne 3f
	cmp $BULKHEAD_SIG_ECX, %ecx
	jne 3f
	cmp $BULKHEAD_SIG_EDX, %edx
	jne 3f
	movb $1, rt16_hv
3:	cmpb $0, rt16_hv
	jne 4f
	mov $msg_no_hv, %si
	call rt16_puts
4:	xor %bx, %bx			/* IVT at 0:0 */
	mov $rt16_ivt_stubs, %ax
	mov $IVT_VECTORS, %cx
5:	mov %ax, (%bx)			/* offset */
	movw $0, 2(%bx)			/* segment */
	add $4, %bx
	add $STUB_SIZE, %ax
	loop 5b
	popal
	ret

/* rt16_hypercall: EAX = number, EBX/ECX/EDX/ESI = arguments; result in EAX.
 * Without a hypervisor (bare machine) EAX = HC_ENOSYS. */
	.globl rt16_hypercall
rt16_hypercall:
	cmpb $0, rt16_hv
	jne 1f
	mov $HC_ENOSYS, %eax
	ret
1:	cmpb $0, rt16_amd
	je 2f
	vmmcall
	ret
2:	vmcall
	ret

/* rt16_pass: SI = test name. */
	.globl rt16_pass
rt16_pass:
	push %si
	incw rt16_passed
	mov $msg_test, %si
	call rt16_puts
	pop %si
	call rt16_puts
	push %si
	mov $msg_pass, %si
	call rt16_puts
	pop %si
	ret

/* rt16_fail: SI = test name, DI = reason. */
	.globl rt16_fail
rt16_fail:
	push %si
	incw rt16_failed
	mov $msg_test, %si
	call rt16_puts
	pop %si
	call rt16_puts
	push %si
	mov $msg_fail, %si
	call rt16_puts
	mov %di, %si
	call rt16_puts
	mov $msg_nl, %si
	call rt16_puts
	pop %si
	ret

/* rt16_done: prints GUEST DONE and stops with code 0 (no failures) or 1. */
	.globl rt16_done
rt16_done:
	cmpb $0, rt16_stopping		/* an exception while stopping: halt */
	jne 3f
	movb $1, rt16_stopping
	mov $msg_done1, %si
	call rt16_puts
	mov rt16_passed, %ax
	call rt16_putdec
	mov $msg_done2, %si
	call rt16_puts
	mov rt16_failed, %ax
	call rt16_putdec
	mov $msg_nl, %si
	call rt16_puts
	xor %ebx, %ebx
	cmpw $0, rt16_failed
	je 1f
	inc %ebx
1:	mov $COM1_BASE + UART_LSR, %dx	/* drain the UART (LSR THRE|TEMT) */
	mov $0xffff, %cx
2:	in %dx, %al
	and $0x60, %al
	cmp $0x60, %al
	loopne 2b
	mov $HC_PARTITION_STOP, %eax
	call rt16_hypercall
	mov %bl, %al			/* bare machine: QEMU isa-debug-exit */
	out %al, $BARE_EXIT_PORT
4:	cli
	hlt
	jmp 4b
3:	mov $1, %al
	out %al, $BARE_EXIT_PORT
	jmp 4b

/* rt16_exc_prepare: forgets the last exception. The test then stores the
 * address of the instruction it tries in rt16_exc_insn and the address to
 * resume at in rt16_exc_fixup (which arms the handler). */
	.globl rt16_exc_prepare
rt16_exc_prepare:
	movb $0, rt16_exc_hit
	movw $0, rt16_exc_fixup
	movw $0, rt16_exc_insn
	ret

/* rt16_expect_exc: AL = expected vector, AH = 0 for a fault (pushed IP is
 * the instruction) or 1 for a trap (pushed IP is the resume address),
 * SI = test name. Reports PASS or FAIL. */
	.globl rt16_expect_exc
rt16_expect_exc:
	pushal
	movw $0, rt16_exc_fixup		/* disarm */
	mov $reason_none, %di
	cmpb $0, rt16_exc_hit
	je 9f
	mov $reason_vector, %di
	cmp rt16_exc_vector, %al
	jne 9f
	mov rt16_exc_insn, %bx
	test %ah, %ah
	jz 1f
	mov rt16_exc_resume, %bx
1:	mov $reason_ip, %di
	cmp rt16_exc_ip, %bx
	jne 9f
	call rt16_pass
	popal
	ret
9:	call rt16_fail
	popal
	ret

/*
 * IVT stubs: push the vector, jump to the common path. The common path
 * records the exception and, if armed, resumes at rt16_exc_fixup by
 * rewriting the IP/CS the CPU pushed (frame: IP, CS, FLAGS).
 */
	.balign STUB_SIZE
rt16_ivt_stubs:
	vec = 0
	.rept IVT_VECTORS
	.balign STUB_SIZE
	push $vec
	jmp rt16_ivt_common
	vec = vec + 1
	.endr

rt16_ivt_common:
	push %bp
	mov %sp, %bp			/* [bp+2] vector, [bp+4] IP, [bp+6] CS */
	push %ax
	push %ds
	xor %ax, %ax
	mov %ax, %ds
	mov 2(%bp), %ax
	cmpw $0, rt16_exc_fixup
	je rt16_unexpected
	cmpb $0, rt16_exc_hit
	jne rt16_unexpected
	movb $1, rt16_exc_hit
	mov %al, rt16_exc_vector
	mov 4(%bp), %ax
	mov %ax, rt16_exc_ip
	mov rt16_exc_fixup, %ax
	mov %ax, rt16_exc_resume
	mov %ax, 4(%bp)
	movw $0, 6(%bp)
	movw $0, rt16_exc_fixup
	pop %ds
	pop %ax
	pop %bp
	add $2, %sp			/* the vector */
	iret

rt16_unexpected:
	mov $msg_unexpected, %si
	call rt16_puts
	movzwl 2(%bp), %eax
	call rt16_puthex32
	mov $msg_at, %si
	call rt16_puts
	movzwl 4(%bp), %eax
	call rt16_puthex32
	mov $msg_nl, %si
	call rt16_puts
	incw rt16_failed
	jmp rt16_done

	.section .rodata
msg_test:	.asciz "TEST "
msg_pass:	.asciz ": PASS\n"
msg_fail:	.asciz ": FAIL "
msg_nl:		.asciz "\n"
msg_done1:	.asciz "GUEST DONE passed="
msg_done2:	.asciz " failed="
msg_no_hv:	.asciz "rt: Bulkhead not detected (no BulkheadHV signature at CPUID 0x40000000): hypercalls disabled\n"
msg_unexpected:	.asciz "\nTEST unexpected_exception: FAIL vector "
msg_at:		.asciz " at ip "
reason_none:	.asciz "no exception"
reason_vector:	.asciz "wrong vector"
reason_ip:	.asciz "wrong pushed IP"

	.data
	.globl rt16_exc_fixup, rt16_exc_insn
rt16_passed:	.word 0
rt16_failed:	.word 0
rt16_exc_fixup:	.word 0
rt16_exc_insn:	.word 0
rt16_exc_resume: .word 0
rt16_exc_ip:	.word 0
rt16_exc_vector: .byte 0
rt16_exc_hit:	.byte 0
rt16_amd:	.byte 0
rt16_hv:	.byte 0
rt16_stopping:	.byte 0

	.section .note.GNU-stack, "", @progbits
