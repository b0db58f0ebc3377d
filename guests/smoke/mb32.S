/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Smoke builds of 32-bit guests only: a Multiboot 1 header (Multiboot 0.6.96
 * §3.1) so bare QEMU's -kernel loads the ELF and enters _start in protected
 * mode (start32.S then notices EAX = 0x2BADB002 and takes its own stack).
 */
#include "abi.h"

#define MB1_FLAGS 0

	.section .multiboot, "a"
	.balign 4
	.long MB1_MAGIC
	.long MB1_FLAGS
	.long -(MB1_MAGIC + MB1_FLAGS)
	.section .note.GNU-stack, "", @progbits
