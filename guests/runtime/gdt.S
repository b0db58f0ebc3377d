/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The runtime's GDT, the same layout for 32- and 64-bit guests (selectors in
 * guests/runtime/abi.h). Descriptor format: SDM Vol. 3A §3.4.5; the L bit
 * (bit 53) marks 64-bit code (§5.2.1).
 */
#include "abi.h"

	.section .rodata
	.balign 16
	.globl rt_gdt, rt_gdt_ptr
rt_gdt:
	.quad 0				/* 0x00 null */
	.quad 0x00cf9a000000ffff	/* 0x08 code, 32-bit, flat 4 GiB */
	.quad 0x00cf92000000ffff	/* 0x10 data, read/write, flat 4 GiB */
	.quad 0x00af9a000000ffff	/* 0x18 code, 64-bit (L=1) */
	.quad 0x00cf12000000ffff	/* 0x20 data with P=0: loading it raises #NP */
rt_gdt_end:
	.if (rt_gdt_end - rt_gdt) != GDT_ENTRIES * 8
	.error "GDT_ENTRIES does not match rt_gdt"
	.endif

	.balign 8
rt_gdt_ptr:
	.word rt_gdt_end - rt_gdt - 1
#ifdef __x86_64__
	.quad rt_gdt
#else
	.long rt_gdt
#endif
	.section .note.GNU-stack, "", @progbits
