/* SPDX-License-Identifier: BSD-2-Clause */
/* The assembler reads this file too: clang-format would break its .S lines. */
/* clang-format off */
/* Layout of the AP start-up trampoline (arch/x86/boot/ap_trampoline.S) once
 * copied to its low page: code from offset 0, then a data block the boot CPU
 * fills in before each start-up IPI. Shared by the assembly and by
 * arch/x86/cpu/smp.c, which checks the C view against these offsets. */
#ifndef BULKHEAD_ARCH_X86_BOOT_AP_TRAMPOLINE_H
#define BULKHEAD_ARCH_X86_BOOT_AP_TRAMPOLINE_H

/* Offsets from the start of the page. */
#define AP_TRAMP_DATA 0x200
#define AP_TRAMP_GDT (AP_TRAMP_DATA + 0x00)       /* 4 descriptors */
#define AP_TRAMP_GDTR (AP_TRAMP_DATA + 0x20)      /* limit u16, base u32 */
#define AP_TRAMP_PM32_PTR (AP_TRAMP_DATA + 0x28)  /* far pointer: offset u32, selector u16 */
#define AP_TRAMP_LM64_PTR (AP_TRAMP_DATA + 0x30)  /* far pointer: offset u32, selector u16 */
#define AP_TRAMP_CR3_LOW (AP_TRAMP_DATA + 0x38)   /* u32: PML4 copy below 4 GiB */
#define AP_TRAMP_EFER (AP_TRAMP_DATA + 0x3c)      /* u32: EFER to load (LME, NXE) */
#define AP_TRAMP_CR0 (AP_TRAMP_DATA + 0x40)       /* u32: CR0 with PG */
#define AP_TRAMP_CR4 (AP_TRAMP_DATA + 0x44)       /* u32: CR4 with PAE */
#define AP_TRAMP_CR3 (AP_TRAMP_DATA + 0x48)       /* u64: the hypervisor's PML4 */
#define AP_TRAMP_STACK (AP_TRAMP_DATA + 0x50)     /* u64: this AP's stack top */
#define AP_TRAMP_PERCPU (AP_TRAMP_DATA + 0x58)    /* u64: its struct percpu * */
#define AP_TRAMP_ENTRY (AP_TRAMP_DATA + 0x60)     /* u64: C entry, called with RDI = percpu */
#define AP_TRAMP_STARTED (AP_TRAMP_DATA + 0x68)   /* u32: the AP sets 1 in long mode */
#define AP_TRAMP_END (AP_TRAMP_DATA + 0x70)

/* Trampoline GDT selectors (descriptors in ap_trampoline.S). */
#define AP_TRAMP_SEL_CODE32 0x08
#define AP_TRAMP_SEL_DATA 0x10
#define AP_TRAMP_SEL_CODE64 0x18

#endif
