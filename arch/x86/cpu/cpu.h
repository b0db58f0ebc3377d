/* SPDX-License-Identifier: BSD-2-Clause */
/* Thin wrappers for x86 instructions the hypervisor uses (port I/O, MSRs,
 * control registers, CPUID, TSC). Inline so the exit path pays nothing. */
#ifndef BULKHEAD_ARCH_X86_CPU_CPU_H
#define BULKHEAD_ARCH_X86_CPU_CPU_H

#include "arch/x86/cpu/ctlregs.h"
#include "core/types.h"

/* CR0, CR3, CR4, CR8, EFER bits: arch/x86/cpu/ctlregs.h */

#define RFLAGS_CF BIT(0)
#define RFLAGS_FIXED BIT(1)
#define RFLAGS_ZF BIT(6)
#define RFLAGS_TF BIT(8)
#define RFLAGS_IF BIT(9)
#define RFLAGS_DF BIT(10)
#define RFLAGS_VM BIT(17)

/* MSRs (SDM Vol. 4; AMD APM Vol. 2 Appendix A). */
#define MSR_IA32_TSC 0x10
#define MSR_IA32_APIC_BASE 0x1b
#define MSR_IA32_SYSENTER_CS 0x174 /* also in vmcs.h, for the VMCS field list */
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_FEATURE_CONTROL 0x3a
#define MSR_IA32_PAT 0x277
#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX 0xc0000103
#define MSR_VM_CR 0xc0010114
#define MSR_VM_HSAVE_PA 0xc0010117

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* The instructions core/ uses that a host unit test cannot execute or
 * must control (privileged: MSRs, interrupt flag, HLT; or the clock). A
 * fake-architecture build (-DBULKHEAD_FAKE_ARCH, tests/fake/) gets them
 * from tests/fake/fake_arch.c, which plays the CPU; every other build
 * uses the instructions. */
#if defined(BULKHEAD_FAKE_ARCH)
uint64_t rdmsr(uint32_t msr);
void wrmsr(uint32_t msr, uint64_t v);
uint64_t rdtsc(void);
uint32_t rdtsc_lo(void);
void irq_disable(void);
void irq_enable(void);
void cpu_irq_window(void);
void cpu_wait_for_interrupt(void);
#else
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
			 :
			 : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
}

/* RDMSR/WRMSR that report a #GP (false) instead of taking it: for probing
 * what the CPU has or checks (arch/x86/cpu/msr_safe.S). */
bool rdmsr_safe(uint32_t msr, uint64_t *val);
bool wrmsr_safe(uint32_t msr, uint64_t val);

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* Low half of the TSC: enough for durations below 2^32 cycles (over a
 * second), one instruction cheaper than rdtsc() on the exit path. */
static inline uint32_t rdtsc_lo(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return lo;
}

static inline void irq_disable(void)
{
	__asm__ volatile("cli" ::: "memory");
}
static inline void irq_enable(void)
{
	__asm__ volatile("sti" ::: "memory");
}
/* Let a pending host interrupt be taken (the one-instruction window after
 * STI, SDM Vol. 2B "STI"), then mask interrupts again. */
static inline void cpu_irq_window(void)
{
	__asm__ volatile("sti; nop; cli" ::: "memory");
}
/* Sleep until a host interrupt arrives (STI's shadow covers HLT, so an
 * interrupt pending before cannot be lost), and return with them masked. */
static inline void cpu_wait_for_interrupt(void)
{
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}
#endif

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

#define DEFINE_CR_ACCESS(n)                                                \
	static inline uint64_t read_cr##n(void)                            \
	{                                                                  \
		uint64_t v;                                                \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));          \
		return v;                                                  \
	}                                                                  \
	static inline void write_cr##n(uint64_t v)                         \
	{                                                                  \
		__asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory"); \
	}
DEFINE_CR_ACCESS(0)
DEFINE_CR_ACCESS(2)
DEFINE_CR_ACCESS(3)
DEFINE_CR_ACCESS(4)
#undef DEFINE_CR_ACCESS

static inline uint64_t read_rflags(void)
{
	uint64_t v;
	__asm__ volatile("pushfq; popq %0" : "=r"(v));
	return v;
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}
static inline void cpu_halt(void)
{
	__asm__ volatile("hlt" ::: "memory");
}
/* Disable interrupts and return the previous RFLAGS, for irq_restore(). */
static inline uint64_t irq_save(void)
{
	uint64_t f;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(f) : : "memory");
	return f;
}
static inline void irq_restore(uint64_t flags)
{
	if (flags & RFLAGS_IF)
		irq_enable();
}
static inline void invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* read_cs() ... read_gs(), read_tr(): a segment selector, as the CPU holds
 * it (MOV from a segment register; STR for the task register). */
#define DEFINE_SELECTOR_READER(name, insn)              \
	static inline uint16_t name(void)               \
	{                                               \
		uint16_t s;                             \
		__asm__ volatile(insn " %0" : "=r"(s)); \
		return s;                               \
	}
DEFINE_SELECTOR_READER(read_cs, "mov %%cs,")
DEFINE_SELECTOR_READER(read_ss, "mov %%ss,")
DEFINE_SELECTOR_READER(read_ds, "mov %%ds,")
DEFINE_SELECTOR_READER(read_es, "mov %%es,")
DEFINE_SELECTOR_READER(read_fs, "mov %%fs,")
DEFINE_SELECTOR_READER(read_gs, "mov %%gs,")
DEFINE_SELECTOR_READER(read_tr, "str")
#undef DEFINE_SELECTOR_READER

struct __packed dtr64 {
	uint16_t limit;
	uint64_t base;
};

static inline void sgdt(struct dtr64 *d)
{
	__asm__ volatile("sgdt %0" : "=m"(*d));
}
static inline void sidt(struct dtr64 *d)
{
	__asm__ volatile("sidt %0" : "=m"(*d));
}

/* Stop this CPU for good (after a fatal error). */
/* Inline rather than in trap.c: platform_exit.c, which trap.c calls, ends
 * with it, and the two files would call each other. */
static inline __noreturn void cpu_halt_forever(void)
{
	for (;;) {
		irq_disable();
		cpu_halt();
	}
}

#endif
