/* SPDX-License-Identifier: BSD-2-Clause */
/* cpuconf: a Multiboot 1 test kernel (QEMU -kernel compatible, no runtime)
 * that checks, in 64-bit mode, the CPU behaviour issue 14 found missing in
 * partitions. One line per check on COM1:
 *
 *   cpuconf: <check> ok
 *   cpuconf: <check> FAIL <what happened>
 *
 * then writes the number of failures to the debug-exit port 0xF4 (status
 * (n << 1) | 1: 1 is pass). An exception outside a check writes 0x7e.
 * Checks (the architecture, so real hardware passes them):
 *   - WRMSR of a non-canonical address to FS_BASE, GS_BASE, KERNEL_GS_BASE,
 *     LSTAR, CSTAR, SYSENTER_ESP, SYSENTER_EIP: #GP(0) (SDM Vol. 2B WRMSR)
 *   - RDPMC with no PMU (CPUID.0AH:EAX[7:0] = 0): #GP(0) (Vol. 2B RDPMC)
 *   - LGDT and LIDT of a non-canonical base: #GP(0) (Vol. 2A LGDT/LIDT)
 *   - IA32_APIC_BASE (Vol. 3A §10.4.4, §10.12.5): reserved bit 9, EXTD
 *     without EN and EXTD without CPUID x2APIC are #GP(0); with EN clear,
 *     CPUID.1:EDX.APIC is 0; setting EN again works and brings it back
 *   - IA32_MISC_ENABLE, where it exists (Vol. 4 Table 2-2): BTS and PEBS
 *     unavailable (bits 11, 12) without CPUID.1:EDX.DS; performance
 *     monitoring available (bit 7) only with a PMU
 * QEMU 7.2's TCG itself departs from most of these (cpuconf.conf says
 * which), so under `make conformance` only its Bulkhead run must pass. */
#include <stdint.h>

#include "kout.h"

#define MB1_BOOT_MAGIC 0x2badb002u
#define DEBUG_EXIT_PORT 0xf4
#define EXIT_UNEXPECTED 0x7e

#define VEC_GP 13
#define NO_EXCEPTION (-1)
#define NONCANONICAL 0x0000800000000000ull

#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define MSR_APIC_BASE 0x1b
#define MSR_MISC_ENABLE 0x1a0
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102

#define APIC_BASE_RSVD_BIT9 (1ull << 9)
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_EN (1ull << 11)
#define CPUID1_EDX_APIC (1u << 9)
#define CPUID1_EDX_DS (1u << 21)
#define CPUID1_ECX_X2APIC (1u << 21)
#define MISC_PERF_MON (1ull << 7)
#define MISC_BTS_UNAVAIL (1ull << 11)
#define MISC_PEBS_UNAVAIL (1ull << 12)

#define IDT_VECTORS 32
#define STUB_SIZE 16
#define IDT_GATE_INT64 0x8e00 /* P, DPL 0, 64-bit interrupt gate */
#define KERNEL_CS 0x08

/* ---- output --------------------------------------------------------------- */

static void puthex(uint64_t v)
{
	char buf[19];
	int i = 18;
	buf[i] = 0;
	do {
		buf[--i] = "0123456789abcdef"[v & 0xf];
		v >>= 4;
	} while (v);
	buf[--i] = 'x';
	buf[--i] = '0';
	puts(buf + i);
}

static __attribute__((noreturn)) void debug_exit(uint8_t v)
{
	while ((inb(COM1 + UART_LSR) & LSR_IDLE) != LSR_IDLE)
		;
	outb(DEBUG_EXIT_PORT, v);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* ---- exceptions ------------------------------------------------------------ */

/* Where a tried instruction resumes if it faults (0: no try armed). */
volatile uint64_t try_resume;
static volatile int exc_vector = NO_EXCEPTION;
static volatile uint64_t exc_error;

struct exc_frame {
	uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

void cpuconf_exception(struct exc_frame *f);
void cpuconf_exception(struct exc_frame *f)
{
	if (try_resume) {
		exc_vector = (int)f->vector;
		exc_error = f->error;
		f->rip = try_resume;
		try_resume = 0;
		return;
	}
	puts("cpuconf: unexpected exception ");
	puthex(f->vector);
	puts(" at RIP ");
	puthex(f->rip);
	puts("\n");
	debug_exit(EXIT_UNEXPECTED);
}

struct __attribute__((packed)) pseudo_desc {
	uint16_t limit;
	uint64_t base;
};

struct idt_gate {
	uint16_t off_lo, sel, type, off_mid;
	uint32_t off_hi, zero;
};

extern const char exc_stubs[];
static struct idt_gate idt[IDT_VECTORS];

void idt_install(void);
void idt_install(void)
{
	for (unsigned int v = 0; v < IDT_VECTORS; v++) {
		uint64_t a = (uint64_t)(uintptr_t)(exc_stubs + v * STUB_SIZE);
		idt[v] = (struct idt_gate){ (uint16_t)a,         KERNEL_CS,
					    IDT_GATE_INT64,      (uint16_t)(a >> 16),
					    (uint32_t)(a >> 32), 0 };
	}
	struct pseudo_desc d = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	__asm__ volatile("lidt %0" ::"m"(d) : "memory");
}

/* Run one instruction that may fault: returns the vector, or NO_EXCEPTION.
 * The asm sets try_resume to the label after the instruction. */
#define TRY_BEGIN "leaq 1f(%%rip), %%r11\n\tmovq %%r11, try_resume(%%rip)\n\t"
#define TRY_END "\n1:\n\t"

static void try_prepare(void)
{
	exc_vector = NO_EXCEPTION;
	exc_error = 0;
}

static int try_done(void)
{
	try_resume = 0;
	return exc_vector;
}

static int try_wrmsr(uint32_t msr, uint64_t v)
{
	try_prepare();
	__asm__ volatile(TRY_BEGIN "wrmsr" TRY_END
			 :
			 : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "r11", "memory");
	return try_done();
}

static int try_rdmsr(uint32_t msr, uint64_t *v)
{
	uint32_t lo = 0, hi = 0;
	try_prepare();
	__asm__ volatile(TRY_BEGIN "rdmsr" TRY_END
			 : "+a"(lo), "+d"(hi)
			 : "c"(msr)
			 : "r11", "memory");
	*v = (uint64_t)hi << 32 | lo;
	return try_done();
}

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static struct cpuid_regs cpuid(uint32_t leaf)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(0));
	return r;
}

/* ---- checks ------------------------------------------------------------------ */

static unsigned int failures;

static void ok(const char *name)
{
	puts("cpuconf: ");
	puts(name);
	puts(" ok\n");
}

static void fail(const char *name, const char *what, uint64_t v)
{
	puts("cpuconf: ");
	puts(name);
	puts(" FAIL ");
	puts(what);
	puthex(v);
	puts("\n");
	failures++;
}

static void expect_gp0(const char *name, int vec)
{
	if (vec == NO_EXCEPTION)
		fail(name, "no exception, want #GP(0): ", 0);
	else if (vec != VEC_GP)
		fail(name, "want #GP(0), got vector ", (uint64_t)vec);
	else if (exc_error != 0)
		fail(name, "#GP error code ", exc_error);
	else
		ok(name);
}

static void noncanonical_msr(const char *name, uint32_t msr)
{
	uint64_t before = 0, after = 0;
	try_rdmsr(msr, &before);
	expect_gp0(name, try_wrmsr(msr, NONCANONICAL));
	try_rdmsr(msr, &after);
	if (after != before)
		try_wrmsr(msr, before); /* what a CPU that took it holds */
}

static int pmu_version(void)
{
	if (cpuid(0).eax < 0xa)
		return 0;
	return (int)(cpuid(0xa).eax & 0xff);
}

static void check_rdpmc(void)
{
	if (pmu_version()) {
		ok("rdpmc_no_pmu_gp (a PMU is offered: not applicable)");
		return;
	}
	try_prepare();
	__asm__ volatile(TRY_BEGIN "rdpmc" TRY_END : : "c"(0) : "rax", "rdx", "r11", "memory");
	expect_gp0("rdpmc_no_pmu_gp", try_done());
}

static void check_dtables(void)
{
	struct pseudo_desc cur, bad;

	__asm__ volatile("sgdt %0" : "=m"(cur));
	bad = cur;
	bad.base = NONCANONICAL;
	try_prepare();
	__asm__ volatile(TRY_BEGIN "lgdt %0" TRY_END : : "m"(bad) : "r11", "memory");
	expect_gp0("lgdt_noncanonical_gp", try_done());
	__asm__ volatile("lgdt %0" : : "m"(cur) : "memory");

	__asm__ volatile("sidt %0" : "=m"(cur));
	bad = cur;
	bad.base = NONCANONICAL;
	try_prepare();
	__asm__ volatile(TRY_BEGIN "lidt %0" TRY_END : : "m"(bad) : "r11", "memory");
	expect_gp0("lidt_noncanonical_gp", try_done());
	__asm__ volatile("lidt %0" : : "m"(cur) : "memory");
}

static void check_apic_base(void)
{
	uint64_t base = 0;
	int vec;

	if (try_rdmsr(MSR_APIC_BASE, &base) != NO_EXCEPTION || !(base & APIC_BASE_EN)) {
		fail("apic_base_enabled", "IA32_APIC_BASE ", base);
		return;
	}
	expect_gp0("apic_base_reserved_gp", try_wrmsr(MSR_APIC_BASE, base | APIC_BASE_RSVD_BIT9));
	expect_gp0("apic_base_extd_without_en_gp",
		   try_wrmsr(MSR_APIC_BASE, (base & ~APIC_BASE_EN) | APIC_BASE_EXTD));
	if (!(cpuid(1).ecx & CPUID1_ECX_X2APIC)) {
		vec = try_wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD);
		expect_gp0("apic_base_x2apic_not_offered_gp", vec);
		if (vec == NO_EXCEPTION)
			try_wrmsr(MSR_APIC_BASE, base);
	}
	vec = try_wrmsr(MSR_APIC_BASE, base & ~APIC_BASE_EN);
	if (vec != NO_EXCEPTION)
		fail("apic_disable_clears_cpuid", "clearing EN raised vector ", (uint64_t)vec);
	else if (cpuid(1).edx & CPUID1_EDX_APIC)
		fail("apic_disable_clears_cpuid", "CPUID.1:EDX ", cpuid(1).edx);
	else
		ok("apic_disable_clears_cpuid");
	vec = try_wrmsr(MSR_APIC_BASE, base);
	uint64_t now = 0;
	try_rdmsr(MSR_APIC_BASE, &now);
	if (vec != NO_EXCEPTION || !(now & APIC_BASE_EN) || !(cpuid(1).edx & CPUID1_EDX_APIC))
		fail("apic_reenable", "IA32_APIC_BASE ", now);
	else
		ok("apic_reenable");
}

static void check_misc_enable(void)
{
	uint64_t v = 0;

	if (try_rdmsr(MSR_MISC_ENABLE, &v) != NO_EXCEPTION) {
		ok("misc_enable (no such MSR: not applicable)");
		return;
	}
	if (!(cpuid(1).edx & CPUID1_EDX_DS) &&
	    (v & (MISC_BTS_UNAVAIL | MISC_PEBS_UNAVAIL)) != (MISC_BTS_UNAVAIL | MISC_PEBS_UNAVAIL))
		fail("misc_enable_bts_pebs_unavailable", "no CPUID DS, IA32_MISC_ENABLE ", v);
	else
		ok("misc_enable_bts_pebs_unavailable");
	if (!pmu_version() && (v & MISC_PERF_MON))
		fail("misc_enable_no_perfmon", "no PMU, IA32_MISC_ENABLE ", v);
	else
		ok("misc_enable_no_perfmon");
}

void cpuconf_main(uint32_t magic);
void cpuconf_main(uint32_t magic)
{
	if (magic != MB1_BOOT_MAGIC)
		fail("multiboot_magic", "EAX ", magic);
	noncanonical_msr("wrmsr_fs_base_noncanonical_gp", MSR_FS_BASE);
	noncanonical_msr("wrmsr_gs_base_noncanonical_gp", MSR_GS_BASE);
	noncanonical_msr("wrmsr_kernel_gs_base_noncanonical_gp", MSR_KERNEL_GS_BASE);
	noncanonical_msr("wrmsr_lstar_noncanonical_gp", MSR_LSTAR);
	noncanonical_msr("wrmsr_cstar_noncanonical_gp", MSR_CSTAR);
	noncanonical_msr("wrmsr_sysenter_esp_noncanonical_gp", MSR_SYSENTER_ESP);
	noncanonical_msr("wrmsr_sysenter_eip_noncanonical_gp", MSR_SYSENTER_EIP);
	check_rdpmc();
	check_dtables();
	check_apic_base();
	check_misc_enable();
	puts("cpuconf: ");
	puthex(failures);
	puts(" failed\n");
	debug_exit((uint8_t)(failures > 0x7d ? 0x7d : failures));
}
