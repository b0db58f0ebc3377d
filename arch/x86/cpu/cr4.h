/* SPDX-License-Identifier: BSD-2-Clause */
/* CR4 bits (Intel SDM Vol. 3A §2.5, Figure 2-7; AMD APM Vol. 2 §3.1.3).
 * Plain constants, so pure code (core/cpuid_policy.c) can use them too. */
#ifndef BULKHEAD_ARCH_X86_CPU_CR4_H
#define BULKHEAD_ARCH_X86_CPU_CR4_H

#include "core/types.h"

#define CR4_VME BIT(0)
#define CR4_PVI BIT(1)
#define CR4_TSD BIT(2)
#define CR4_DE BIT(3)
#define CR4_PSE BIT(4)
#define CR4_PAE BIT(5)
#define CR4_MCE BIT(6)
#define CR4_PGE BIT(7)
#define CR4_PCE BIT(8)
#define CR4_OSFXSR BIT(9)
#define CR4_OSXMMEXCPT BIT(10)
#define CR4_UMIP BIT(11)
#define CR4_LA57 BIT(12)
#define CR4_VMXE BIT(13)
#define CR4_SMXE BIT(14)
#define CR4_FSGSBASE BIT(16)
#define CR4_PCIDE BIT(17)
#define CR4_OSXSAVE BIT(18)
#define CR4_KL BIT(19)
#define CR4_SMEP BIT(20)
#define CR4_SMAP BIT(21)
#define CR4_PKE BIT(22)
#define CR4_CET BIT(23)
#define CR4_PKS BIT(24)
#define CR4_UINTR BIT(25)

#endif
