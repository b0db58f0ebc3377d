/* SPDX-License-Identifier: BSD-2-Clause */
/* cpu-conform: the CPU departures of issue 14 deliverable 5, checked from
 * inside a partition as a test kernel would check them. Runs in long mode.
 *
 *   - WRMSR of a non-canonical address to FS_BASE, GS_BASE,
 *     KERNEL_GS_BASE, LSTAR, CSTAR, SYSENTER_EIP and SYSENTER_ESP raises
 *     #GP(0) and leaves the MSR as it was (SDM Vol. 3A §3.3.7.1 and the
 *     WRMSR entry of Vol. 2B; SYSENTER_EIP/ESP: Vol. 3A §5.8.7.1).
 *   - IA32_MISC_ENABLE reads fast strings (bit 0) and BTS/PEBS unavailable
 *     (bits 11, 12); bit 7 (performance monitoring available) only with a
 *     PMU in CPUID leaf 0AH; changing bit 11 or 12 is #GP (SDM Vol. 4
 *     Table 2-2).
 *   - RDPMC with no PMU (CPUID.0AH:EAX[7:0] = 0) is #GP(0).
 *   - IA32_APIC_BASE (SDM Vol. 3A §10.4.4, §10.12.5): clearing EN clears
 *     CPUID.1:EDX.APIC; EXTD without x2APIC offered, EXTD without EN,
 *     x2APIC straight to xAPIC and reserved bits are #GP.
 *   - LGDT and LIDT of a non-canonical base in 64-bit mode are #GP(0) and
 *     change nothing (SDM Vol. 2A, LGDT/LIDT, 64-bit mode exceptions).
 *   - A fault the hypervisor injects (#GP for an unknown MSR or RDPMC, #UD
 *     for a VMX instruction on VMX) pushes RFLAGS with RF = 1, as every
 *     fault but an instruction-breakpoint #DB does (SDM Vol. 3B §18.3.1.1).
 *   - With RFLAGS.TF set, an instruction the hypervisor emulates (CPUID,
 *     IN, OUT, REP OUTS, RDMSR, WRMSR, an MMIO load, a hypercall, HLT)
 *     raises one single-step #DB after itself: RIP at the next
 *     instruction, DR6.BS set, RF = 0 pushed; a REP string one per
 *     iteration; none if the instruction faulted (SDM Vol. 3B §18.3.1.4). */
#include "rt.h"

#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_IA32_APIC_BASE 0x1b
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_CSTAR 0xc0000083

#define NONCANONICAL 0x0000800000000000ull /* bit 47 set, 63:48 clear */

#define MISC_FAST_STRINGS (1ull << 0)
#define MISC_PERF_MON (1ull << 7)
#define MISC_BTS_UNAVAIL (1ull << 11)
#define MISC_PEBS_UNAVAIL (1ull << 12)

#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_RESERVED_BIT9 (1ull << 9)
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_EN (1ull << 11)
#define CPUID1_EDX_APIC (1u << 9)
#define CPUID1_ECX_X2APIC (1u << 21)

static void expect_gp0(const char *name, int vec)
{
	struct rt_exc_record r = rt_exc_result();

	if (vec < 0)
		rt_fail(name, "no exception, want #GP(0)");
	else if (vec != VEC_GP)
		rt_fail(name, "vector %d, want 13 (#GP)", vec);
	else
		rt_check_eq(name, "#GP error code", r.error, 0);
}

/* A non-canonical WRMSR must fault and leave the old value. */
static void noncanonical_msr(const char *name, uint32_t msr)
{
	uint64_t before = 0, after = 0;
	int vec;

	if (rt_try_rdmsr(msr, &before) >= 0) {
		rt_fail(name, "rdmsr 0x%x faulted", msr);
		return;
	}
	vec = rt_try_wrmsr(msr, NONCANONICAL);
	expect_gp0(name, vec);
	rt_try_rdmsr(msr, &after);
	if (after != before) {
		rt_fail(name, "MSR 0x%x changed to 0x%llx", msr, (unsigned long long)after);
		rt_try_wrmsr(msr, before);
	}
}

static bool pmu_offered(void)
{
	return cpuid(0, 0).eax >= 0xa && (cpuid(0xa, 0).eax & 0xff) != 0;
}

static void misc_enable(void)
{
	uint64_t v = 0, want = MISC_FAST_STRINGS | MISC_BTS_UNAVAIL | MISC_PEBS_UNAVAIL;
	int vec;

	if (pmu_offered())
		want |= MISC_PERF_MON;
	vec = rt_try_rdmsr(MSR_IA32_MISC_ENABLE, &v);
	if (!rt_check("misc_enable_read", vec < 0, "exception %d", vec))
		return;
	rt_check_eq("misc_enable_value", "IA32_MISC_ENABLE", v, want);
	vec = rt_try_wrmsr(MSR_IA32_MISC_ENABLE, v);
	rt_check("misc_enable_write_same", vec < 0, "exception %d", vec);
	vec = rt_try_wrmsr(MSR_IA32_MISC_ENABLE, v & ~MISC_BTS_UNAVAIL);
	expect_gp0("misc_enable_bts_readonly_gp", vec);
}

static void rdpmc_gp(void)
{
	if (pmu_offered()) {
		rt_printf("cpu-conform: a PMU is offered: rdpmc not checked\n");
		rt_pass("rdpmc_no_pmu_gp");
		return;
	}
	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "rdpmc" RT_TRY_END : : "c"(0) : "rax", "rdx", "memory");
	rt_expect_exc("rdpmc_no_pmu_gp", VEC_GP, 0, RT_FAULT);
}

static bool cpuid_apic(void)
{
	return cpuid(1, 0).edx & CPUID1_EDX_APIC;
}

static void apic_base(void)
{
	uint64_t base = 0, now = 0;
	bool x2 = cpuid(1, 0).ecx & CPUID1_ECX_X2APIC;
	int vec;

	rt_try_rdmsr(MSR_IA32_APIC_BASE, &base);
	rt_check("apic_base_enabled", (base & APIC_BASE_EN) && cpuid_apic(),
		 "IA32_APIC_BASE 0x%llx, CPUID.1:EDX.APIC %d", (unsigned long long)base,
		 cpuid_apic());
	vec = rt_try_wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_RESERVED_BIT9);
	expect_gp0("apic_base_reserved_gp", vec);
	vec = rt_try_wrmsr(MSR_IA32_APIC_BASE, (base & ~APIC_BASE_EN) | APIC_BASE_EXTD);
	expect_gp0("apic_base_extd_without_en_gp", vec);
	if (!x2) {
		vec = rt_try_wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EXTD);
		expect_gp0("apic_base_x2apic_not_offered_gp", vec);
	} else {
		vec = rt_try_wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EXTD);
		rt_check("apic_base_x2apic_on", vec < 0, "exception %d", vec);
		vec = rt_try_wrmsr(MSR_IA32_APIC_BASE, base);
		expect_gp0("apic_base_x2apic_to_xapic_gp", vec);
		rt_try_wrmsr(MSR_IA32_APIC_BASE, base & ~(APIC_BASE_EN | APIC_BASE_EXTD));
		rt_try_wrmsr(MSR_IA32_APIC_BASE, base);
	}
	/* Disabled, the APIC is gone from CPUID; enabled again, it is back. */
	vec = rt_try_wrmsr(MSR_IA32_APIC_BASE, base & ~APIC_BASE_EN);
	rt_try_rdmsr(MSR_IA32_APIC_BASE, &now);
	rt_check("apic_disable_clears_cpuid", vec < 0 && !(now & APIC_BASE_EN) && !cpuid_apic(),
		 "exception %d, IA32_APIC_BASE 0x%llx, CPUID.1:EDX.APIC %d", vec,
		 (unsigned long long)now, cpuid_apic());
	vec = rt_try_wrmsr(MSR_IA32_APIC_BASE, (base & ~APIC_BASE_EN) | APIC_BASE_EXTD);
	expect_gp0("apic_disabled_to_x2apic_gp", vec);
	vec = rt_try_wrmsr(MSR_IA32_APIC_BASE, base);
	rt_check("apic_reenable_sets_cpuid", vec < 0 && cpuid_apic(),
		 "exception %d, CPUID.1:EDX.APIC %d", vec, cpuid_apic());
}

struct __attribute__((packed)) pseudo_desc {
	uint16_t limit;
	uint64_t base;
};

static void noncanonical_lgdt_lidt(void)
{
	struct pseudo_desc before, bad, after;

	asm volatile("sgdt %0" : "=m"(before));
	bad = before;
	bad.base = NONCANONICAL;
	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "lgdt %0" RT_TRY_END : : "m"(bad) : "memory");
	rt_expect_exc("lgdt_noncanonical_gp", VEC_GP, 0, RT_FAULT);
	asm volatile("sgdt %0" : "=m"(after));
	if (after.base != before.base) {
		rt_fail("lgdt_unchanged", "GDTR base 0x%llx", (unsigned long long)after.base);
		asm volatile("lgdt %0" : : "m"(before) : "memory");
	} else {
		rt_pass("lgdt_unchanged");
	}

	asm volatile("sidt %0" : "=m"(before));
	bad = before;
	bad.base = NONCANONICAL;
	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "lidt %0" RT_TRY_END : : "m"(bad) : "memory");
	rt_expect_exc("lidt_noncanonical_gp", VEC_GP, 0, RT_FAULT);
	asm volatile("sidt %0" : "=m"(after));
	if (after.base != before.base) {
		asm volatile("lidt %0" : : "m"(before) : "memory");
		rt_fail("lidt_unchanged", "IDTR base 0x%llx", (unsigned long long)after.base);
	} else {
		rt_pass("lidt_unchanged");
	}
}

/* ---- RF in fault frames, single step over emulated instructions ---------- */

#define RFLAGS_TF (1ull << 8)
#define RFLAGS_RF (1ull << 16)
#define DR6_BS (1ull << 14)
#define MSR_UNKNOWN 0x12345678u   /* outside every MSR range: always exits */
#define MMIO_ID_ADDR 0xfeb00004ul /* the test MMIO device's ID register */
#define MMIO_ID_VALUE 0x4d4d494fu
#define STEP_PORT 0x80

/* What the #DB, #GP and #UD handlers below saw. They clear TF in the frame
 * they return to, so nothing after the tested instruction is stepped. */
struct cc_seen {
	uint64_t count, rip, flags, dr6, rcx;
};
volatile struct cc_seen cc_db, cc_gp, cc_ud;
volatile uint64_t cc_ud_len; /* bytes the #UD handler skips */
void cc_db_handler(void);
void cc_gp_handler(void);
void cc_ud_handler(void);
asm(".pushsection .text\n"
    ".globl cc_db_handler\n"
    "cc_db_handler:\n\t"
    "push %rax\n\t"
    "lock incq cc_db+0(%rip)\n\t"
    "mov 8(%rsp), %rax\n\t"
    "mov %rax, cc_db+8(%rip)\n\t"
    "mov 24(%rsp), %rax\n\t"
    "mov %rax, cc_db+16(%rip)\n\t"
    "mov %dr6, %rax\n\t"
    "mov %rax, cc_db+24(%rip)\n\t"
    "mov %rcx, cc_db+32(%rip)\n\t"
    "mov $0xffff0ff0, %eax\n\t"
    "mov %rax, %dr6\n\t"
    "andq $~0x100, 24(%rsp)\n\t"
    "pop %rax\n\t"
    "iretq\n"
    ".globl cc_gp_handler\n"
    "cc_gp_handler:\n\t"
    "push %rax\n\t"
    "lock incq cc_gp+0(%rip)\n\t"
    "mov 16(%rsp), %rax\n\t"
    "mov %rax, cc_gp+8(%rip)\n\t"
    "mov 32(%rsp), %rax\n\t"
    "mov %rax, cc_gp+16(%rip)\n\t"
    "andq $~0x100, 32(%rsp)\n\t"
    "addq $2, 16(%rsp)\n\t" /* RDMSR and RDPMC are 2 bytes */
    "pop %rax\n\t"
    "add $8, %rsp\n\t"
    "iretq\n"
    ".globl cc_ud_handler\n"
    "cc_ud_handler:\n\t"
    "push %rax\n\t"
    "lock incq cc_ud+0(%rip)\n\t"
    "mov 8(%rsp), %rax\n\t"
    "mov %rax, cc_ud+8(%rip)\n\t"
    "mov 24(%rsp), %rax\n\t"
    "mov %rax, cc_ud+16(%rip)\n\t"
    "andq $~0x100, 24(%rsp)\n\t"
    "mov cc_ud_len(%rip), %rax\n\t"
    "add %rax, 8(%rsp)\n\t"
    "pop %rax\n\t"
    "iretq\n"
    ".popsection\n");

static void cc_reset(void)
{
	memset((void *)&cc_db, 0, sizeof(cc_db));
	memset((void *)&cc_gp, 0, sizeof(cc_gp));
	memset((void *)&cc_ud, 0, sizeof(cc_ud));
}

/* The tested instruction with TF set by the POPF before it (POPF itself is
 * not stepped: the trap comes after the instruction that follows, SDM Vol.
 * 3B §18.3.1.4); %0 gets the address of the instruction, %1 of the next. */
#define STEP_BEGIN                \
	"pushfq\n\t"              \
	"orq $0x100, (%%rsp)\n\t" \
	"popfq\n\t"               \
	"8:\n\t"
#define STEP_END                \
	"\n9:\n\t"              \
	"lea 8b(%%rip), %0\n\t" \
	"lea 9b(%%rip), %1\n\t"

/* One #DB after the instruction: at next, BS set, RF clear in the frame. */
static void expect_step(const char *name, uint64_t next)
{
	if (cc_db.count != 1) {
		rt_fail(name, "%lu #DBs (want 1), #GP %lu, #UD %lu", (unsigned long)cc_db.count,
			(unsigned long)cc_gp.count, (unsigned long)cc_ud.count);
		return;
	}
	rt_check(name,
		 cc_db.rip == next && (cc_db.dr6 & DR6_BS) && !(cc_db.flags & RFLAGS_RF) &&
				 !cc_gp.count && !cc_ud.count,
		 "#DB at %lx (want %lx), DR6 %lx, pushed RFLAGS %lx", (unsigned long)cc_db.rip,
		 (unsigned long)next, (unsigned long)cc_db.dr6, (unsigned long)cc_db.flags);
}

/* One fault of kind seen at insn, with RF set in the pushed RFLAGS, and no
 * single step (the instruction did not complete). */
static void expect_fault_rf(const char *name, volatile struct cc_seen *seen, uint64_t insn)
{
	rt_check(name,
		 seen->count == 1 && seen->rip == insn && (seen->flags & RFLAGS_RF) && !cc_db.count,
		 "%lu faults at %lx (want 1 at %lx), pushed RFLAGS %lx, %lu #DBs",
		 (unsigned long)seen->count, (unsigned long)seen->rip, (unsigned long)insn,
		 (unsigned long)seen->flags, (unsigned long)cc_db.count);
}

static void fault_rf(void)
{
	uint64_t insn, next, lo, hi;

	cc_reset();
	asm volatile("8: rdmsr\n9:\n\tlea 8b(%%rip), %0\n\tlea 9b(%%rip), %1"
		     : "=r"(insn), "=r"(next), "=a"(lo), "=d"(hi)
		     : "c"(MSR_UNKNOWN)
		     : "memory");
	expect_fault_rf("gp_rdmsr_pushes_rf", &cc_gp, insn);
	cc_reset();
	asm volatile("8: rdpmc\n9:\n\tlea 8b(%%rip), %0\n\tlea 9b(%%rip), %1"
		     : "=r"(insn), "=r"(next), "=a"(lo), "=d"(hi)
		     : "c"(0)
		     : "memory");
	expect_fault_rf("gp_rdpmc_pushes_rf", &cc_gp, insn);
	/* The #UD the VMX backend injects for a VMX instruction. On SVM the
	 * SVM instructions are undefined opcodes to QEMU's TCG while the guest
	 * has EFER.SVME clear (it raises #UD before any intercept), so no #UD
	 * there is the hypervisor's. */
	if (!rt_vendor_amd()) {
		cc_reset();
		cc_ud_len = 3;
		asm volatile("8: vmxoff\n9:\n\tlea 8b(%%rip), %0\n\tlea 9b(%%rip), %1"
			     : "=r"(insn), "=r"(next)
			     :
			     : "memory");
		expect_fault_rf("ud_vmxoff_pushes_rf", &cc_ud, insn);
	} else {
		rt_puts("cpu-conform: ud_vmxoff_pushes_rf skipped (AMD: no #UD is injected)\n");
	}
	/* With TF set: the fault and no #DB. */
	cc_reset();
	asm volatile(STEP_BEGIN "rdmsr" STEP_END
		     : "=r"(insn), "=r"(next), "=a"(lo), "=d"(hi)
		     : "c"(MSR_UNKNOWN)
		     : "memory");
	expect_fault_rf("step_faulting_rdmsr_no_db", &cc_gp, insn);
}

static void single_step(void)
{
	uint64_t insn, next, a, b, c, d;
	static const uint8_t bytes[3] = { 1, 2, 3 };

	cc_reset();
	asm volatile(STEP_BEGIN "cpuid" STEP_END
		     : "=r"(insn), "=r"(next), "=a"(a), "=b"(b), "=c"(c), "=d"(d)
		     : "a"(0), "c"(0)
		     : "memory");
	expect_step("step_cpuid", next);

	cc_reset();
	asm volatile(STEP_BEGIN "outb %%al, %2" STEP_END
		     : "=r"(insn), "=r"(next)
		     : "i"(STEP_PORT), "a"(0)
		     : "memory");
	expect_step("step_out", next);

	cc_reset();
	asm volatile(STEP_BEGIN "inb %3, %%al" STEP_END
		     : "=r"(insn), "=r"(next), "=a"(a)
		     : "i"(STEP_PORT)
		     : "memory");
	expect_step("step_in", next);

	/* Each iteration is stepped: the first #DB has RIP still on the
	 * instruction and RCX one down (the handler then clears TF, and the
	 * rest runs unstepped). */
	cc_reset();
	uint64_t src = (uint64_t)bytes, cnt = sizeof(bytes);
	asm volatile(STEP_BEGIN "rep outsb" STEP_END
		     : "=r"(insn), "=r"(next), "+S"(src), "+c"(cnt)
		     : "d"(STEP_PORT)
		     : "memory");
	c = cnt;
	rt_check("step_rep_outs_per_iteration",
		 cc_db.count == 1 && cc_db.rip == insn && cc_db.rcx == 2 && (cc_db.dr6 & DR6_BS) &&
				 c == 0,
		 "%lu #DBs, at %lx (want %lx) with RCX %lu (want 2), DR6 %lx, RCX after %lu",
		 (unsigned long)cc_db.count, (unsigned long)cc_db.rip, (unsigned long)insn,
		 (unsigned long)cc_db.rcx, (unsigned long)cc_db.dr6, (unsigned long)c);

	cc_reset();
	asm volatile(STEP_BEGIN "rdmsr" STEP_END
		     : "=r"(insn), "=r"(next), "=a"(a), "=d"(d)
		     : "c"(MSR_IA32_APIC_BASE)
		     : "memory");
	expect_step("step_rdmsr", next);

	cc_reset();
	asm volatile(STEP_BEGIN "wrmsr" STEP_END
		     : "=r"(insn), "=r"(next)
		     : "c"(MSR_IA32_APIC_BASE), "a"(a), "d"(d)
		     : "memory");
	expect_step("step_wrmsr", next);

	cc_reset();
	asm volatile(STEP_BEGIN "movl (%3), %%eax" STEP_END
		     : "=r"(insn), "=r"(next), "=a"(a)
		     : "r"(MMIO_ID_ADDR)
		     : "memory");
	expect_step("step_mmio_load", next);
	rt_check_eq("step_mmio_load_value", "ID register", (uint32_t)a, MMIO_ID_VALUE);

	cc_reset();
	if (rt_vendor_amd())
		asm volatile(STEP_BEGIN "vmmcall" STEP_END
			     : "=r"(insn), "=r"(next), "=a"(a)
			     : "a"(HC_VERSION)
			     : "memory");
	else
		asm volatile(STEP_BEGIN "vmcall" STEP_END
			     : "=r"(insn), "=r"(next), "=a"(a)
			     : "a"(HC_VERSION)
			     : "memory");
	expect_step("step_hypercall", next);
	rt_check_eq("step_hypercall_result", "RAX", a, HC_ABI_VERSION);

	/* Last: with interrupts off, a HLT the #DB did not end would park this
	 * vCPU for good. */
	cc_reset();
	asm volatile("cli\n\t" STEP_BEGIN "hlt" STEP_END : "=r"(insn), "=r"(next) : : "memory");
	expect_step("step_hlt", next);
}

static void exceptions_and_single_step(void)
{
	rt_idt_set_gate(VEC_DB, (uintptr_t)cc_db_handler, 0);
	rt_idt_set_gate(VEC_GP, (uintptr_t)cc_gp_handler, 0);
	rt_idt_set_gate(VEC_UD, (uintptr_t)cc_ud_handler, 0);
	fault_rf();
	single_step();
	rt_idt_load();
}

/* ---- the hypervisor's guest page walk (issue 14) ----
 * String I/O is emulated: the hypervisor walks the guest's page tables for
 * the buffer itself, and a #PF it raises must carry the error code the CPU
 * would push (SDM Vol. 3A §4.7): P for a protection fault, W/R for the
 * access, RSVD for a reserved bit set in a paging entry. The buffer is
 * mapped through PML4 slot 1 (512 GiB up, unused by the runtime). */
#define VEC_PF 14
#define PFEC_P 0x1u
#define PFEC_W 0x2u
#define PFEC_RSVD 0x8u
#define PT_P 0x1ull
#define PT_W 0x2ull
#define WALK_SLOT 1
#define CR0_WP (1ul << 16)
#define WALK_VA ((1ull << 39) + 0x10)

static uint64_t walk_pdpt[512] __attribute__((aligned(4096)));
static uint64_t walk_pd[512] __attribute__((aligned(4096)));
static uint64_t walk_pt[512] __attribute__((aligned(4096)));
static uint8_t walk_page[4096] __attribute__((aligned(4096)));

static void walk_set(uint64_t pml4e)
{
	uint64_t *pml4 = (uint64_t *)(read_cr3() & ~0xfffull);
	pml4[WALK_SLOT] = pml4e;
	asm volatile("mov %0, %%cr3" : : "r"(read_cr3()) : "memory");
}

static void string_io_pf(const char *name, bool in, uint64_t pte, uint32_t error)
{
	uintptr_t va = WALK_VA;
	uint64_t count = 1;

	walk_pdpt[0] = (uintptr_t)walk_pd | PT_P | PT_W;
	walk_pd[0] = (uintptr_t)walk_pt | PT_P | PT_W;
	walk_pt[0] = pte;
	walk_set((uintptr_t)walk_pdpt | PT_P | PT_W);
	rt_exc_prepare();
	if (in)
		asm volatile(RT_TRY_BEGIN "rep insb" RT_TRY_END
			     : "+D"(va), "+c"(count)
			     : "d"(STEP_PORT)
			     : "memory");
	else
		asm volatile(RT_TRY_BEGIN "rep outsb" RT_TRY_END
			     : "+S"(va), "+c"(count)
			     : "d"(STEP_PORT)
			     : "memory");
	uintptr_t cr2 = read_cr2();
	if (rt_expect_exc(name, VEC_PF, error, RT_FAULT) && cr2 != WALK_VA)
		rt_printf("cpu-conform: %s: CR2 %p, want %p\n", name, (void *)cr2,
			  (void *)(uintptr_t)WALK_VA);
	walk_set(0);
}

static void page_walk_error_codes(void)
{
	unsigned maxphy = cpuid(0x80000008, 0).eax & 0xff;
	uint64_t page = (uintptr_t)walk_page;

	string_io_pf("walk_not_present_read_pf0", false, page, 0);
	string_io_pf("walk_not_present_write_pf2", true, page, PFEC_W);
	/* A supervisor write to a read-only page faults only with CR0.WP. */
	uintptr_t cr0 = read_cr0();
	asm volatile("mov %0, %%cr0" : : "r"(cr0 | CR0_WP) : "memory");
	string_io_pf("walk_read_only_write_pf3", true, page | PT_P, PFEC_P | PFEC_W);
	asm volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
	if (maxphy >= 52) {
		rt_printf("cpu-conform: MAXPHYADDR 52: no reserved address bit to set\n");
		rt_pass("walk_reserved_bit_read_pf9");
		rt_pass("walk_reserved_bit_write_pfb");
		return;
	}
	uint64_t rsvd = 1ull << 51; /* above MAXPHYADDR (SDM Vol. 3A §4.5.1) */
	string_io_pf("walk_reserved_bit_read_pf9", false, page | PT_P | PT_W | rsvd,
		     PFEC_P | PFEC_RSVD);
	string_io_pf("walk_reserved_bit_write_pfb", true, page | PT_P | PT_W | rsvd,
		     PFEC_P | PFEC_W | PFEC_RSVD);
}

void guest_main(void)
{
	noncanonical_msr("fs_base_noncanonical_gp", MSR_FS_BASE);
	noncanonical_msr("gs_base_noncanonical_gp", MSR_GS_BASE);
	noncanonical_msr("kernel_gs_base_noncanonical_gp", MSR_KERNEL_GS_BASE);
	noncanonical_msr("lstar_noncanonical_gp", MSR_LSTAR);
	noncanonical_msr("cstar_noncanonical_gp", MSR_CSTAR);
	noncanonical_msr("sysenter_eip_noncanonical_gp", MSR_SYSENTER_EIP);
	noncanonical_msr("sysenter_esp_noncanonical_gp", MSR_SYSENTER_ESP);
	misc_enable();
	rdpmc_gp();
	apic_base();
	noncanonical_lgdt_lidt();
	exceptions_and_single_step();
	page_walk_error_codes();
	rt_done();
}
