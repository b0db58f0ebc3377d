/* SPDX-License-Identifier: BSD-2-Clause */
/* Per-CPU GDT and TSS. The selectors are fixed so the VMX backend can use them
 * as the host state (SDM Vol. 3C §24.5). */
#ifndef BULKHEAD_ARCH_X86_CPU_GDT_H
#define BULKHEAD_ARCH_X86_CPU_GDT_H

#include "core/percpu.h"

#define GDT_SEL_CODE64 0x08
#define GDT_SEL_DATA 0x10
#define GDT_SEL_TSS 0x18

#define IST_DF 1
#define IST_NMI 2
#define IST_MC 3
#define IST_STACKS 3 /* #DF, NMI, #MC: TSS IST1-3 */

struct __packed tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
};

/* Load this CPU's GDT and TSS, reload segment registers, set GS base. */
void gdt_init_cpu(struct percpu *cpu);
uint64_t gdt_base(unsigned int cpu_id);
uint64_t tss_base(unsigned int cpu_id);
/* The guard page below IST stack ist (0-2: #DF, NMI, #MC) of a CPU. */
uintptr_t gdt_ist_guard(unsigned int cpu_id, unsigned int ist);
/* Is addr in one of those guard pages? Which? */
bool gdt_ist_guard_hit(uint64_t addr, unsigned int *cpu_id, unsigned int *ist);

#endif
