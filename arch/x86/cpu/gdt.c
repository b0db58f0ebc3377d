/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/x86/cpu/cpu.h"
#include "arch/x86/cpu/gdt.h"
#include "core/lib/string.h"

/* Descriptor fields (SDM Vol. 3A §3.4.5, §7.2.3). */
#define DESC_CODE64 0x00af9a000000ffffULL /* P, DPL0, code exec/read, L=1, G */
#define DESC_DATA 0x00cf92000000ffffULL   /* P, DPL0, data read/write, D/B, G */
#define DESC_TSS_AVAILABLE 0x89ULL        /* P, type 9: 64-bit TSS (available) */

#define GDT_ENTRIES 5 /* null, code, data, TSS (two slots) */

/* One GDT and TSS per CPU: each CPU's TR must name a TSS that is not busy
 * elsewhere. Written by the owning CPU at bring-up only. */
static uint64_t gdt[MAX_CPUS][GDT_ENTRIES] __aligned(16);
static struct tss64 tss[MAX_CPUS] __aligned(16);
/* IST stacks (SDM Vol. 3A §6.14.5): #DF, NMI and #MC run on known-good stacks
 * even if the fault was a kernel stack overflow. Each has an unmapped guard
 * page below it (paging.c), so an IST stack that overflows faults instead
 * of running into the next one (issue 12 item 8). */
struct ist_stack {
	uint8_t guard[PAGE_SIZE];
	uint8_t stack[PERCPU_IST_SIZE];
} __aligned(PAGE_SIZE);
static struct ist_stack ist_stacks[MAX_CPUS][IST_STACKS];

uintptr_t gdt_ist_guard(unsigned int cpu_id, unsigned int ist)
{
	return (uintptr_t)ist_stacks[cpu_id][ist].guard;
}

bool gdt_ist_guard_hit(uint64_t addr, unsigned int *cpu_id, unsigned int *ist)
{
	for (unsigned int c = 0; c < MAX_CPUS; c++) {
		for (unsigned int i = 0; i < IST_STACKS; i++) {
			uint64_t g = gdt_ist_guard(c, i);
			if (addr >= g && addr < g + PAGE_SIZE) {
				*cpu_id = c;
				*ist = i;
				return true;
			}
		}
	}
	return false;
}

uint64_t gdt_base(unsigned int cpu_id)
{
	return (uint64_t)(uintptr_t)gdt[cpu_id];
}

uint64_t tss_base(unsigned int cpu_id)
{
	return (uint64_t)(uintptr_t)&tss[cpu_id];
}

static void set_tss_desc(uint64_t *slot, uint64_t base, uint32_t limit)
{
	slot[0] = (limit & 0xffffULL) | ((base & 0xffffffULL) << 16) | (DESC_TSS_AVAILABLE << 40) |
		  ((uint64_t)(limit >> 16 & 0xf) << 48) | (((base >> 24) & 0xffULL) << 56);
	slot[1] = base >> 32;
}

void gdt_init_cpu(struct percpu *cpu)
{
	unsigned int id = cpu->id;
	uint64_t *g = gdt[id];
	struct tss64 *t = &tss[id];

	bh_memset(t, 0, sizeof(*t));
	for (unsigned int i = 0; i < IST_STACKS; i++) {
		t->ist[i] = (uint64_t)(uintptr_t)(ist_stacks[id][i].stack + PERCPU_IST_SIZE);
		cpu->ist_top[i] = t->ist[i];
	}
	t->iomap_base = sizeof(*t); /* no I/O permission bitmap */

	g[0] = 0;
	g[GDT_SEL_CODE64 / 8] = DESC_CODE64;
	g[GDT_SEL_DATA / 8] = DESC_DATA;
	set_tss_desc(&g[GDT_SEL_TSS / 8], (uint64_t)(uintptr_t)t, sizeof(*t) - 1);

	struct dtr64 d = { sizeof(gdt[0]) - 1, (uint64_t)(uintptr_t)g };
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "mov %2, %%ds\n\t"
			 "mov %2, %%es\n\t"
			 "mov %2, %%ss\n\t"
			 :
			 : "m"(d), "i"(GDT_SEL_CODE64), "r"((uint64_t)GDT_SEL_DATA)
			 : "rax", "memory");
	__asm__ volatile("mov %0, %%fs\n\tmov %0, %%gs" : : "r"(0) : "memory");
	__asm__ volatile("ltr %w0" : : "r"(GDT_SEL_TSS));
	cpu->self = cpu;
	wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)cpu);
}
