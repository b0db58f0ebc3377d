/* SPDX-License-Identifier: BSD-2-Clause */
/* The test-guest runtime: what a C test guest (32- or 64-bit) may use.
 *
 * A guest defines guest_main(); the start code (start32.S / start64.S) sets up
 * the runtime's GDT and IDT, calls rt_init(), guest_main() and then rt_done(),
 * which prints "GUEST DONE passed=N failed=M" and stops the partition with
 * HC_PARTITION_STOP (docs/test-guests.md). */
#ifndef BULKHEAD_GUEST_RT_H
#define BULKHEAD_GUEST_RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi.h"

#define noreturn __attribute__((noreturn))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Provided by each guest. */
void guest_main(void);

/* What the loader handed us at the entry point, recorded by the start code
 * before anything else runs (guests/README.md, "Startup state"). */
struct rt_boot {
	uintptr_t sp;
	uintptr_t cr0, cr3, cr4;
	uint32_t eax; /* MB1_BOOT_MAGIC in a bare-machine smoke boot */
};
extern struct rt_boot rt_boot;

/* Linker-script symbols. */
extern char __image_start[], __image_end[];

/* ---- port I/O, CPUID, MSRs, control registers ---------------------------- */

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;
	asm volatile("cpuid"
		     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
		     : "a"(leaf), "c"(subleaf));
	return r;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	/* LFENCE keeps RDTSC from running ahead of earlier instructions
	 * (SDM Vol. 2B RDTSC). */
	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static inline uintptr_t read_cr0(void)
{
	uintptr_t v;
	asm volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}
static inline uintptr_t read_cr2(void)
{
	uintptr_t v;
	asm volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}
static inline uintptr_t read_cr3(void)
{
	uintptr_t v;
	asm volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}
static inline uintptr_t read_cr4(void)
{
	uintptr_t v;
	asm volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void cpu_relax(void)
{
	asm volatile("pause" : : : "memory");
}

/* ---- console (COM1, polled) ----------------------------------------------- */

void rt_putc(char c);
void rt_puts(const char *s);
void rt_write(const char *s, size_t len);
/* A small printf: %s %c %d %u %x %p, with l / ll for long / 64-bit, a width
 * and '0' padding. No floating point. */
void rt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rt_vprintf(const char *fmt, va_list ap);
int rt_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int rt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* ---- hypercalls (docs/hypercall-abi.md) ----------------------------------- */

/* True when CPUID leaf 1 has the hypervisor bit and leaf 0x40000000 carries
 * Bulkhead's signature. Otherwise (a bare-machine smoke run) the hypercall
 * wrappers return HC_ENOSYS without executing VMCALL/VMMCALL, which would be
 * #UD there. */
bool rt_hv_present(void);
/* True when the CPUID vendor is AMD-like (VMMCALL), false for Intel (VMCALL). */
bool rt_vendor_amd(void);

long rt_hypercall(unsigned long nr, unsigned long a1, unsigned long a2, unsigned long a3,
		  unsigned long a4);
long rt_hc_version(void);
long rt_hc_console_write(const void *buf, unsigned long len); /* buf is identity mapped */
long rt_hc_yield(void);
/* Nanoseconds since the partition started. 32-bit guests see the low 32 bits
 * only (the ABI returns the result in RAX). */
unsigned long rt_hc_time_ns(void);
long rt_hc_print_stats(void);
noreturn void rt_stop(unsigned long code);
/* True once rt_stop() has begun. */
bool rt_stopping(void);
/* Writes code to the bare-machine exit port and halts with interrupts off. */
noreturn void rt_halt_forever(unsigned long code);

/* ---- the test report (docs/test-guests.md) -------------------------------- */

void rt_pass(const char *name);
void rt_fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* PASS if ok, otherwise FAIL with the formatted reason. Returns ok. */
bool rt_check(const char *name, bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* PASS if got == want, otherwise "FAIL <what>: got 0x.., want 0x..". */
bool rt_check_eq(const char *name, const char *what, uint64_t got, uint64_t want);
unsigned rt_failed_count(void);
/* Prints "GUEST DONE passed=N failed=M" and stops with code 0 or 1. */
noreturn void rt_done(void);

/* ---- expected exceptions -------------------------------------------------- */

/* How a test provokes an exception it expects:
 *
 *	rt_exc_prepare();
 *	asm volatile(RT_TRY_BEGIN "ud2" RT_TRY_END ::: "memory");
 *	rt_expect_exc("ud2", VEC_UD, RT_NO_ERROR, RT_FAULT);
 *
 * RT_TRY_BEGIN records where the instruction starts and where execution
 * resumes (right after RT_TRY_END). If an exception arrives while armed, the
 * IDT handler records vector, error code, the RIP the CPU pushed and CR2,
 * and resumes at RT_TRY_END. Any other exception is a failure: the handler
 * prints "TEST unexpected_exception: FAIL ..." and ends the guest.
 *
 * The asm must be extended asm (with operands or clobbers), so %% works. */
#ifdef __x86_64__
#define RT_STORE_LABEL(label, var) "movq $" label ", " var "(%%rip)\n\t"
#else
#define RT_STORE_LABEL(label, var) "movl $" label ", " var "\n\t"
#endif
#define RT_TRY_BEGIN \
	RT_STORE_LABEL("8901f", "rt_exc_insn") RT_STORE_LABEL("8902f", "rt_exc_fixup") "8901:\n\t"
#define RT_TRY_END "\n8902:\n\t"

struct rt_exc_record {
	bool hit;
	uint32_t vector;
	uint64_t error;
	uintptr_t ip;     /* the instruction pointer the CPU pushed */
	uintptr_t insn;   /* where the tried instruction started */
	uintptr_t resume; /* RT_TRY_END */
	uintptr_t cr2;
};

extern volatile uintptr_t rt_exc_insn, rt_exc_fixup;

#define RT_NO_ERROR (~0ull) /* the vector pushes no error code */
enum rt_exc_kind {
	RT_FAULT, /* the pushed RIP is the faulting instruction */
	RT_TRAP,  /* the pushed RIP is the next instruction (#BP, INT n) */
};

void rt_exc_prepare(void);
/* Disarms and returns what happened since rt_exc_prepare(). */
struct rt_exc_record rt_exc_result(void);
/* Reports PASS if exactly the expected exception arrived with the expected
 * error code (RT_NO_ERROR: none pushed) and RIP. Returns the pass. */
bool rt_expect_exc(const char *name, uint32_t vector, uint64_t error, enum rt_exc_kind kind);
/* Reports PASS if no exception arrived. */
bool rt_expect_no_exc(const char *name);

/* RDMSR / WRMSR that may fault: return -1 if they completed, else the vector. */
int rt_try_rdmsr(uint32_t msr, uint64_t *val);
int rt_try_wrmsr(uint32_t msr, uint64_t val);

/* Interrupt handlers (vectors 32-255): called with the vector and the
 * interrupted instruction pointer; the interrupted code then resumes. No EOI
 * is sent: the guests' interrupt sources (the test device's port 0x524) need
 * none. */
#define RT_FIRST_IRQ_VECTOR 32
typedef void (*rt_irq_handler)(uint8_t vector, uintptr_t ip);
void rt_set_irq_handler(uint8_t vector, rt_irq_handler fn);

static inline void irq_enable(void)
{
	asm volatile("sti" : : : "memory");
}
static inline void irq_disable(void)
{
	asm volatile("cli" : : : "memory");
}

/* Installs the runtime's IDT (all 256 vectors). Done by the start code; a
 * test may call it again after loading an IDT of its own. */
void rt_idt_load(void);
/* Points one IDT vector at handler with the given gate DPL (0-3). */
void rt_idt_set_gate(uint8_t vector, uintptr_t handler, unsigned dpl);

/* ---- user mode (64-bit guests; guests/runtime/user.c) ---------------------- */

#ifdef __x86_64__
/* Runs fn(arg) at CPL 3 on a stack of its own and stores its result. The
 * first call sets up user segments, a TSS, a DPL 3 return gate and the U/S
 * bit in the guest's page tables. False (with a FAIL line) if that fails.
 * fn must not print (no I/O at CPL 3) and must return. */
bool rt_user_call(long (*fn)(void *), void *arg, long *result);
#endif
/* The current privilege level (CS.RPL, SDM Vol. 3A §5.5). */
unsigned rt_cpl(void);

/* ---- small helpers --------------------------------------------------------- */

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
