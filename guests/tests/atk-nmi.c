/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-nmi: NMI storms at its own vCPU (issue 12, "interrupt storms").
 * apic-conform.c checks NMI delivery rules with a few NMIs; this guest
 * floods the same paths. NMIs are not masked by RFLAGS.IF, so a storm of
 * them is what a hostile guest would use to keep the hypervisor busy
 * injecting; the hypervisor must deliver each NMI as the CPU would (SDM
 * Vol. 3A §6.7.1: blocked from delivery to the end of the handler's IRET,
 * later ones held as one) and the CPU beside it must go on.
 *
 *   1. nmi_storm_xapic: NMI_STORM self-NMIs through the xAPIC ICR with IF=0,
 *      each delivered exactly once.
 *   2. nmi_storm_inside_handler: NMI_NESTED rounds in which the handler
 *      itself sends NMI_BURST NMIs to its vCPU: exactly one more NMI per
 *      round, after the IRET, never nested.
 *   3. nmi_storm_x2apic: NMI_STORM self-NMIs through the x2APIC ICR MSR
 *      (SDM Vol. 3A §11.12.9), the path Linux uses once x2APIC is on. */
#include "atk.h"

#define NMI_STORM 20000u
#define NMI_NESTED 100u
#define NMI_BURST 1000u
#define VEC_NMI 2
#define ICR_DEST_SHIFT 24
#define X2APIC_DEST_SHIFT 32

struct iret_frame {
	uintptr_t rip, cs, rflags, rsp, ss;
};

/* Written by the NMI handler. */
static volatile unsigned nmi_count, nmi_depth, nmi_max_depth, burst_in_handler;
static volatile bool use_x2apic;
static uint32_t own_apic_id;

static void self_nmi(void)
{
	if (use_x2apic) {
		uint64_t icr = (uint64_t)own_apic_id << X2APIC_DEST_SHIFT | ICR_DM_NMI;
		asm volatile("wrmsr"
			     :
			     : "c"(MSR_X2APIC_ICR), "a"((uint32_t)icr), "d"((uint32_t)(icr >> 32))
			     : "memory");
	} else {
		lapic_wr(LAPIC_ICR_HIGH, own_apic_id << ICR_DEST_SHIFT);
		lapic_wr(LAPIC_ICR_LOW, ICR_DM_NMI);
	}
}

void atk_nmi_c(const struct iret_frame *f);
void atk_nmi_c(const struct iret_frame *f)
{
	(void)f;
	nmi_count++;
	if (++nmi_depth > nmi_max_depth)
		nmi_max_depth = nmi_depth;
	for (unsigned i = 0; i < burst_in_handler; i++)
		self_nmi();
	burst_in_handler = 0;
	nmi_depth--;
}

/* Caller-saved registers around the C half; 9 pushes keep the call
 * 16-byte aligned after the 5-word frame. */
extern char atk_nmi_stub[];
asm(".text\n"
    ".globl atk_nmi_stub\n"
    "atk_nmi_stub:\n\t"
    "push %rax\n\tpush %rcx\n\tpush %rdx\n\tpush %rsi\n\tpush %rdi\n\t"
    "push %r8\n\tpush %r9\n\tpush %r10\n\tpush %r11\n\t"
    "lea 72(%rsp), %rdi\n\t"
    "cld\n\t"
    "call atk_nmi_c\n\t"
    "pop %r11\n\tpop %r10\n\tpop %r9\n\tpop %r8\n\tpop %rdi\n\t"
    "pop %rsi\n\tpop %rdx\n\tpop %rcx\n\tpop %rax\n\t"
    "iretq\n");

/* Lets a held NMI in: a few exits after the handler's IRET (CPUID, which
 * works in xAPIC and x2APIC mode alike). */
static void settle(void)
{
	for (unsigned i = 0; i < 4; i++)
		(void)cpuid(0, 0);
}

static void storm(const char *name)
{
	unsigned before = nmi_count;
	nmi_max_depth = 0;
	for (unsigned i = 0; i < NMI_STORM; i++)
		self_nmi();
	settle();
	if (!rt_check(name, nmi_count - before == NMI_STORM && nmi_max_depth == 1,
		      "%u of %u NMIs delivered, deepest nesting %u", nmi_count - before, NMI_STORM,
		      nmi_max_depth))
		rt_hc_print_stats(); /* the hypervisor's view of this vCPU's events */
}

static void inside_handler(void)
{
	unsigned before = nmi_count;
	nmi_max_depth = 0;
	for (unsigned r = 0; r < NMI_NESTED; r++) {
		burst_in_handler = NMI_BURST;
		self_nmi();
		settle();
	}
	if (!rt_check("nmi_storm_inside_handler",
		      nmi_count - before == 2 * NMI_NESTED && nmi_max_depth == 1,
		      "%u NMIs for %u rounds of %u sent inside the handler (want %u), deepest "
		      "nesting %u",
		      nmi_count - before, NMI_NESTED, NMI_BURST, 2 * NMI_NESTED, nmi_max_depth))
		rt_hc_print_stats();
}

static bool x2apic_on(void)
{
	if (!(cpuid(1, 0).ecx & CPUID1_ECX_X2APIC))
		return false;
	uint64_t base = 0;
	if (rt_try_rdmsr(MSR_APIC_BASE, &base) >= 0)
		return false;
	return rt_try_wrmsr(MSR_APIC_BASE, base | APIC_BASE_EN | APIC_BASE_EXTD) < 0;
}

void guest_main(void)
{
	irq_disable(); /* NMIs ignore RFLAGS.IF */
	lapic_enable();
	own_apic_id = lapic_rd(LAPIC_ID) >> ICR_DEST_SHIFT;
	rt_idt_set_gate(VEC_NMI, (uintptr_t)atk_nmi_stub, 0);

	storm("nmi_storm_xapic");
	inside_handler();
	if (!x2apic_on()) {
		rt_printf("x2APIC not offered: nmi_storm_x2apic skipped\n");
		rt_pass("nmi_storm_x2apic");
		return;
	}
	use_x2apic = true;
	storm("nmi_storm_x2apic");
}
