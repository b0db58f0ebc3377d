/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-entry: guest states meant to make the next VM entry fail (issue 12,
 * "guest states that fail VM entry"). Whatever a guest can reach must end
 * in the fault the CPU itself gives (#GP, #UD) or in a state the entry
 * checks accept (SDM Vol. 3C §27.3.1; APM Vol. 2 §15.5.1 "VMRUN" consistency
 * checks): never in "VM entry failed", which would stop this partition.
 * (CR0.NW without CD and CR0.PG without PE: atk-cr0-nw, atk-cr0-pe.)
 * Every case is followed by exits (CPUID, port I/O, a hypercall) so that the
 * state really goes through a VM entry. Runs in long mode. */
#include "atk.h"

#define CR0_MP (1ul << 1)
#define CR0_EM (1ul << 2)
#define CR0_TS (1ul << 3)
#define CR0_NW (1ul << 29)
#define CR0_CD (1ul << 30)
#define CR4_PAE_BIT (1ul << 5)
#define CR4_RESERVED_BIT (1ul << 15) /* reserved (SDM Vol. 3A §2.5) */
#define EFER_RESERVED_BIT (1ull << 20)
#define RFLAGS_TF (1ul << 8)
#define RFLAGS_VM (1ul << 17)
#define XCR0_X87 1u
#define DESC_DATA_FLAT 0x00cf92000000ffffull
#define EXIT_PORT 0x80

static void exits(void)
{
	cpuid(0, 0);
	outb(EXIT_PORT, 0);
	rt_hc_version();
}

static int try_cr0(uintptr_t v)
{
	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "mov %0, %%cr0" RT_TRY_END : : "r"(v) : "memory");
	return atk_vector();
}

static int try_cr4(uintptr_t v)
{
	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "mov %0, %%cr4" RT_TRY_END : : "r"(v) : "memory");
	return atk_vector();
}

static void bad_cr0(void)
{
	uintptr_t cr0 = read_cr0();
	int high = try_cr0(cr0 | (1ull << 40)); /* reserved: #GP */
	exits();
	/* Reserved high bits: #GP, or (QEMU's TCG) dropped; never kept. */
	rt_check("cr0_reserved_bits", (high == VEC_GP || high < 0) && read_cr0() == cr0,
		 "vector %d, cr0 %lx (was %lx)", high, (unsigned long)read_cr0(), (unsigned long)cr0);
}

static void bad_cr4(void)
{
	uintptr_t cr4 = read_cr4();
	int pae_off = try_cr4(cr4 & ~CR4_PAE_BIT); /* long mode: #GP */
	int resv = try_cr4(cr4 | CR4_RESERVED_BIT);
	int high = try_cr4(cr4 | (1ull << 40));
	exits();
	rt_check("cr4_invalid_bits",
		 pae_off == VEC_GP && resv == VEC_GP && high == VEC_GP && read_cr4() == cr4,
		 "vectors %d %d %d", pae_off, resv, high);
}

static void bad_efer(void)
{
	uint64_t efer;
	rt_try_rdmsr(MSR_EFER, &efer);
	int lme_off = rt_try_wrmsr(MSR_EFER, efer & ~(uint64_t)EFER_LME); /* paging on: #GP */
	int resv = rt_try_wrmsr(MSR_EFER, efer | EFER_RESERVED_BIT);
	int lma = rt_try_wrmsr(MSR_EFER, efer & ~(uint64_t)EFER_LMA); /* LMA is read-only */
	uint64_t after;
	rt_try_rdmsr(MSR_EFER, &after);
	exits();
	/* Clearing LME under paging: #GP on hardware; either way EFER must
	 * not change (LMA = 1 with LME = 0 would fail the next entry). */
	rt_check("efer_invalid_bits",
		 (lme_off == VEC_GP || lme_off < 0) && resv == VEC_GP && after == efer,
		 "vectors %d %d %d, efer %lx (was %lx)", lme_off, resv, lma, (unsigned long)after,
		 (unsigned long)efer);
}

/* LTR/LLDT of selectors that are not a TSS/LDT, or past the GDT: #GP; then a
 * data segment whose descriptor is overwritten with garbage after the load
 * (the hidden part keeps the old one, SDM Vol. 3A §3.4.3), through exits. */
static uint64_t gdt_copy[16] __attribute__((aligned(16)));

static void bad_segments(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} old, mine;
	asm volatile("sgdt %0" : "=m"(old));
	memcpy(gdt_copy, (void *)old.base, old.limit + 1u);
	gdt_copy[6] = DESC_DATA_FLAT;
	mine.limit = sizeof(gdt_copy) - 1;
	mine.base = (uint64_t)gdt_copy;
	asm volatile("lgdt %0" : : "m"(mine) : "memory");

	int v[4];
	uint16_t sels[4] = { SEL_DATA, SEL_CODE64, 0x78, 0x7ff8 };
	for (unsigned i = 0; i < 2; i++) {
		rt_exc_prepare();
		asm volatile(RT_TRY_BEGIN "ltr %0" RT_TRY_END : : "r"(sels[i]) : "memory");
		v[i] = atk_vector();
	}
	for (unsigned i = 2; i < 4; i++) {
		rt_exc_prepare();
		asm volatile(RT_TRY_BEGIN "lldt %0" RT_TRY_END : : "r"(sels[i]) : "memory");
		v[i] = atk_vector();
	}
	/* FS from descriptor 6, then the descriptor turns to garbage. */
	asm volatile("mov %0, %%fs" : : "r"((uint16_t)0x30) : "memory");
	gdt_copy[6] = 0xdeadbeefcafef00dull;
	exits();
	asm volatile("mov %0, %%fs" : : "r"((uint16_t)0) : "memory");
	asm volatile("lgdt %0" : : "m"(old) : "memory");
	rt_check("ltr_lldt_garbage",
		 v[0] == VEC_GP && v[1] == VEC_GP && v[2] == VEC_GP && v[3] == VEC_GP,
		 "vectors %d %d %d %d", v[0], v[1], v[2], v[3]);
}

/* An exit inside a MOV SS shadow with TF set (POPF sets TF, MOV SS blocks
 * the single-step trap for one more instruction, SDM Vol. 3A §6.8.3): the
 * next entry must not combine "blocking by MOV SS" with TF and no pending
 * single-step (SDM Vol. 3C §27.3.1.5), and the #DB must still come, after
 * the exiting instruction. The handler below counts, records the pushed
 * RIP and clears TF. */
volatile unsigned atk_db_count;
volatile uint64_t atk_db_rip;
void atk_db_handler(void);
asm(".pushsection .text\n"
    ".globl atk_db_handler\n"
    "atk_db_handler:\n\t"
    "lock incl atk_db_count(%rip)\n\t"
    "push %rax\n\t"
    "mov 8(%rsp), %rax\n\t"
    "mov %rax, atk_db_rip(%rip)\n\t"
    "andq $~0x100, 24(%rsp)\n\t"
    "pop %rax\n\t"
    "iretq\n"
    ".popsection\n");

static void movss_tf(void)
{
	uint64_t after_cpuid, after_out;
	rt_idt_set_gate(VEC_DB, (uintptr_t)atk_db_handler, 0);
	asm volatile("mov %%ss, %%ax\n\t"
		     "pushfq\n\t"
		     "orq %2, (%%rsp)\n\t"
		     "popfq\n\t"
		     "mov %%ax, %%ss\n\t"
		     "cpuid\n"
		     "1: lea 1b(%%rip), %0\n\t"
		     "mov %%ss, %%ax\n\t"
		     "pushfq\n\t"
		     "orq %2, (%%rsp)\n\t"
		     "popfq\n\t"
		     "mov %%ax, %%ss\n\t"
		     "outb %%al, $0x80\n"
		     "2: lea 2b(%%rip), %1\n\t"
		     : "=r"(after_cpuid), "=r"(after_out)
		     : "i"(RFLAGS_TF)
		     : "rax", "rbx", "rcx", "rdx", "memory");
	unsigned n = atk_db_count;
	uint64_t rip = atk_db_rip;
	rt_idt_load();
	exits();
	/* The trap of a single-stepped instruction the hypervisor emulates
	 * comes right after it (issue 14; it used to come one instruction
	 * late on SVM). */
	rt_check("movss_shadow_tf_exit", n == 2 && rip == after_out,
		 "%u #DBs (want 2), the last at %lx (want %lx), cpuid's at %lx", n,
		 (unsigned long)rip, (unsigned long)after_out, (unsigned long)after_cpuid);
}

/* IRETQ with RFLAGS.VM set in long mode: virtual-8086 mode does not exist
 * there (SDM Vol. 3A §22.1; IRET's IA-32e path ignores VM): the flag must
 * not reach the VMCS/VMCB as VM = 1 with long mode active. */
static void rflags_vm(void)
{
	unsigned long flags;
	asm volatile("mov %%rsp, %%rcx\n\t"
		     "pushq %%rax\n\t" /* SS placeholder */
		     "mov %%ss, %%eax\n\t"
		     "mov %%rax, (%%rsp)\n\t"
		     "pushq %%rcx\n\t"
		     "pushfq\n\t"
		     "orq %1, (%%rsp)\n\t"
		     "mov %%cs, %%eax\n\t"
		     "pushq %%rax\n\t"
		     "lea 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "iretq\n"
		     "1: pushfq\n\t"
		     "popq %0"
		     : "=r"(flags)
		     : "i"(RFLAGS_VM)
		     : "rax", "rcx", "memory");
	exits();
	rt_check("rflags_vm_in_long_mode", !(flags & RFLAGS_VM), "RFLAGS %lx after IRETQ", flags);
}

static void xsetbv_bad(void)
{
	static const struct {
		uint32_t ecx, eax, edx;
	} bad[] = { { 0, 0, 0 }, { 0, XCR0_X87 | 4, 0 }, { 1, 0, 0 }, { 0xFFFFFFFF, ~0u, ~0u } };
	int vec[ARRAY_SIZE(bad)];
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		rt_exc_prepare();
		asm volatile(RT_TRY_BEGIN "xsetbv" RT_TRY_END
			     :
			     : "c"(bad[i].ecx), "a"(bad[i].eax), "d"(bad[i].edx)
			     : "memory");
		vec[i] = atk_vector();
	}
	exits();
	/* CR4.OSXSAVE is refused (cr4-hidden), so XSETBV is #UD (SDM Vol. 2D). */
	bool ok = true;
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++)
		ok = ok && (vec[i] == VEC_UD || vec[i] == VEC_GP);
	rt_check("xsetbv_bad_values", ok, "vectors %d %d %d %d", vec[0], vec[1], vec[2], vec[3]);
}

/* LMSW cannot clear PE (SDM Vol. 2A LMSW); it sets MP/EM/TS; SMSW reads. */
static void smsw_lmsw(void)
{
	uintptr_t cr0 = read_cr0();
	uint16_t msw;
	asm volatile("lmsw %0" : : "r"((uint16_t)0) : "memory"); /* try PE = 0 */
	exits();
	bool pe = read_cr0() & CR0_PE;
	asm volatile("lmsw %0" : : "r"((uint16_t)(cr0 | CR0_MP | CR0_EM | CR0_TS)) : "memory");
	exits();
	asm volatile("smsw %0" : "=r"(msw));
	bool set = (msw & (CR0_MP | CR0_EM | CR0_TS)) == (CR0_MP | CR0_EM | CR0_TS);
	asm volatile("clts; mov %0, %%cr0" : : "r"(cr0) : "memory");
	exits();
	rt_check("smsw_lmsw_tricks", pe && set && read_cr0() == cr0,
		 "PE kept %d, MP/EM/TS set %d, cr0 %lx", pe, set, (unsigned long)read_cr0());
}

void guest_main(void)
{
	bad_cr0();
	bad_cr4();
	bad_efer();
	bad_segments();
	movss_tf();
	rflags_vm();
	xsetbv_bad();
	smsw_lmsw();
}
