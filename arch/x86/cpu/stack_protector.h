/* SPDX-License-Identifier: BSD-2-Clause */
/* The hypervisor's stack protector (arch/x86/cpu/stack_protector.c). */
#ifndef BULKHEAD_ARCH_X86_CPU_STACK_PROTECTOR_H
#define BULKHEAD_ARCH_X86_CPU_STACK_PROTECTOR_H

/* Give __stack_chk_guard this boot's value; returns its source ("RDRAND"
 * or "the TSC"). Call from a function that is not protected itself and
 * never returns (boot_main): every protected frame below it on the stack
 * would otherwise fail its check. */
const char *stack_protector_init(void);

#endif
