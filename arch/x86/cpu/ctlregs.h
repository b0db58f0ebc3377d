/* SPDX-License-Identifier: BSD-2-Clause */
/* Control-register and EFER bits (Intel SDM Vol. 3A §2.5, Figures 2-7 and
 * 2-8, §2.2.1; AMD APM Vol. 2 §3.1). Plain constants, so pure code
 * (core/cr_policy.c, core/cpuid_policy.c) and the backends share one set. */
#ifndef BULKHEAD_ARCH_X86_CPU_CTLREGS_H
#define BULKHEAD_ARCH_X86_CPU_CTLREGS_H

#include "arch/x86/cpu/cr4.h"
#include "core/types.h"

/* CR0 (SDM Vol. 3A §2.5; APM Vol. 2 §3.1.1). Bits 63:32 are reserved. */
#define CR0_PE BIT(0)
#define CR0_MP BIT(1)
#define CR0_EM BIT(2)
#define CR0_TS BIT(3)
#define CR0_ET BIT(4)
#define CR0_NE BIT(5)
#define CR0_WP BIT(16)
#define CR0_AM BIT(18)
#define CR0_NW BIT(29)
#define CR0_CD BIT(30)
#define CR0_PG BIT(31)
#define CR0_RESERVED_HIGH 0xffffffff00000000ULL
/* LMSW loads only CR0[3:0] (MSW: PE, MP, EM, TS) and never clears PE
 * (SDM Vol. 2A LMSW). */
#define CR0_MSW_BITS (CR0_PE | CR0_MP | CR0_EM | CR0_TS)

/* CR3 (SDM Vol. 3A §4.5, §4.10.4.1): with CR4.PCIDE, bits 11:0 are the
 * PCID and bit 63 of a MOV to CR3 asks not to flush (it is not stored). */
#define CR3_PCID_MASK 0xfffULL
#define CR3_NOFLUSH BIT(63)

/* CR8 is the task priority, 0-15; bits 63:4 are reserved (SDM Vol. 3A
 * §2.5, §11.8.6.1). */
#define CR8_MAX 15ULL

/* CR4: arch/x86/cpu/cr4.h */

/* IA32_EFER (SDM Vol. 3A §2.2.1; APM Vol. 2 §3.1.7). */
#define EFER_SCE BIT(0)
#define EFER_LME BIT(8)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)
#define EFER_SVME BIT(12)

#endif
