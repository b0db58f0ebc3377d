/* SPDX-License-Identifier: BSD-2-Clause */
/* The exit path of core/ with the fake backend: scripted exits go through
 * the real run loop (vcpu_run_exits), exit dispatch, hypercalls, MSR
 * emulation and the emulated PC board, and the test looks at what the
 * guest would be resumed with. */
#include "arch/x86/cpu/cpu.h"
#include "core/cpuid_policy.h"
#include "core/hv.h"
#include "drivers/vdev/ioapic.h"
#include "drivers/vdev/testdev.h"
#include "tests/fake/fake_fixture.h"

#define LEN_CPUID 2
#define LEN_HLT 1
#define LEN_VMCALL 3
#define COM1 0x3f8
#define COM1_LSR (COM1 + 5)
#define LSR_THRE 0x20
#define TESTDEV_LATCH 0x520 /* drivers/vdev/testdev.h */
#define CONSOLE_BUF 0x2000ULL
#define JUNK 0xa5a5a5a5a5a5a5a5ULL

/* MOV [EBX], EAX (89 03) then MOV EAX, [EBX+0x10] (8B 43 10): what the
 * MMIO test's guest executes at the entry point. */
static const uint8_t image_mmio[] = { 0x89, 0x03, 0x8b, 0x43, 0x10 };
static const uint8_t image_any[] = { 0x90, 0x90, 0x90, 0x90 };

static struct partition *part;
static struct vcpu *v0;

static void boot(const char *manifest, const void *image, size_t len)
{
	fake_arch_init(1);
	part = fx_partition(manifest, image, len);
	v0 = part->vcpu[0];
}

static void setup(void)
{
	boot("name=a mem=2M mode=prot", image_any, sizeof(image_any));
}

TestSuite(fake_exits, .init = setup, .timeout = 30);
/* Tests that need their own manifest or image boot it themselves. */
TestSuite(fake_exits_own, .timeout = 30);

Test(fake_exits, partition_ram_is_mapped_rwx_at_gpa_0)
{
	const struct fake_s2_map *m;
	cr_assert_eq(fake_s2_maps(part, &m), 1);
	cr_assert_eq(m[0].gpa, 0);
	cr_assert_eq(m[0].hpa, part->ram_hpa);
	cr_assert_eq(m[0].size, MiB(2));
	cr_assert_eq(m[0].prot, S2_RWX);
	cr_assert_eq(v0->rip, FX_ENTRY);
}

Test(fake_exits, cpuid_answers_from_the_policy_and_advances_rip)
{
	fake_step_gpr(fake_push_cpuid(v0, 0, 0), GPR_RBX, JUNK);
	/* The upper half of RAX is not part of the leaf; every result
	 * register is written as 32 bits, zero-extended. */
	fake_step_gpr(fake_push_cpuid(v0, 1, 0), GPR_RAX, 0xffffffff00000001ULL);
	fake_push_hypercall(v0, 0, HC_PARTITION_STOP, 0, 0);

	cr_assert_eq(fx_slice(v0, 16), EXIT_ACTION_STOPPED);
	for (unsigned int leaf = 0; leaf < 2; leaf++) {
		struct cpuid_result want = cpuid_table_lookup(&part->cpuid, 0, leaf, 0);
		const struct fake_entry *e = fake_entry(v0, leaf + 1);
		cr_assert_eq(e->gpr[GPR_RAX], want.eax, "leaf %u eax", leaf);
		cr_assert_eq(e->gpr[GPR_RBX], want.ebx, "leaf %u ebx", leaf);
		cr_assert_eq(e->gpr[GPR_RCX], want.ecx, "leaf %u ecx", leaf);
		cr_assert_eq(e->gpr[GPR_RDX], want.edx, "leaf %u edx", leaf);
		cr_assert_eq(e->rip, FX_ENTRY + (leaf + 1) * LEN_CPUID);
	}
	/* The policy, not the host: leaf 1 says a hypervisor is present
	 * (ECX bit 31), which the host (a guest itself or not) may not. */
	cr_assert(fake_entry(v0, 2)->gpr[GPR_RCX] & BIT(31));
	cr_assert_neq(fake_entry(v0, 1)->gpr[GPR_RBX], JUNK);
}

Test(fake_exits, port_io_reaches_the_testdev_latch_through_the_iobus)
{
	fake_push_io(v0, TESTDEV_LATCH, 4, false, 0x12345678);
	fake_push_io(v0, TESTDEV_LATCH, 4, true, JUNK);
	fake_push_hypercall(v0, 0, HC_PARTITION_STOP, 0, 0);

	fx_slice(v0, 16);
	/* A 32-bit IN zero-extends into RAX (SDM Vol. 1 §3.4.1.1). */
	cr_assert_eq(fake_entry(v0, 2)->gpr[GPR_RAX], 0x12345678);
	cr_assert_eq(fake_entry(v0, 2)->rip, FX_ENTRY + 2);
}

Test(fake_exits, port_io_to_com1_reaches_the_uart_model_and_the_console)
{
	fake_push_io(v0, COM1_LSR, 1, true, JUNK);
	for (const char *c = "hi there\n"; *c; c++)
		fake_push_io(v0, COM1, 1, false, (uint8_t)*c);
	fake_push_hypercall(v0, 0, HC_PARTITION_STOP, 0, 0);

	fx_slice(v0, 32);
	/* An 8-bit IN replaces AL only. */
	uint64_t rax = fake_entry(v0, 1)->gpr[GPR_RAX];
	cr_assert_eq(rax & ~0xffULL, JUNK & ~0xffULL);
	cr_assert(rax & LSR_THRE, "LSR %#lx: transmitter not empty", rax & 0xff);
	cr_assert_eq(fake_console_count("[a] hi there"), 1);
}

Test(fake_exits_own, mmio_through_an_npf_record_reaches_the_ioapic_model)
{
	boot("name=m mem=2M mode=prot", image_mmio, sizeof(image_mmio));
	struct fake_step *s = fake_push_mmio(v0, IOAPIC_DEFAULT_BASE + IOAPIC_IOREGSEL, true, 2);
	fake_step_gpr(s, GPR_RBX, IOAPIC_DEFAULT_BASE);
	fake_step_gpr(s, GPR_RAX, IOAPIC_REG_VERSION);
	s = fake_push_mmio(v0, IOAPIC_DEFAULT_BASE + IOAPIC_IOWIN, false, 3);
	fake_step_gpr(s, GPR_RAX, JUNK);
	fake_push_hypercall(v0, 0, HC_PARTITION_STOP, 0, 0);

	fx_slice(v0, 16);
	cr_assert_eq(fake_entry(v0, 1)->rip, FX_ENTRY + 2);
	cr_assert_eq(fake_entry(v0, 2)->rip, FX_ENTRY + 5);
	uint64_t ver = fake_entry(v0, 2)->gpr[GPR_RAX];
	cr_assert_eq(ver & 0xff, IOAPIC_VERSION, "IOAPIC version register read %#lx", ver);
	cr_assert_eq(ver >> 32, 0);
}

Test(fake_exits, mmio_to_a_hole_stops_the_partition_with_one_line)
{
	fake_push_mmio(v0, 0xd0000000ULL, true, 2);
	cr_assert_eq(fx_slice(v0, 16), EXIT_ACTION_STOPPED);
	cr_assert_eq(part->state, PART_STOPPED);
	cr_assert_eq(fake_log_count("partition stopped: write of unmapped guest-physical 0xd0000000"),
		     1);
}

Test(fake_exits, hypercall_from_cpl0_works)
{
	static const char msg[] = "from the guest\n";
	gmem_write(&part->mem, CONSOLE_BUF, msg, sizeof(msg) - 1);
	fake_push_hypercall(v0, 0, HC_VERSION, 0, 0);
	fake_push_hypercall(v0, 0, HC_CONSOLE_WRITE, CONSOLE_BUF, sizeof(msg) - 1);
	fake_push_hypercall(v0, 0, HC_PARTITION_STOP, 7, 0);

	cr_assert_eq(fx_slice(v0, 16), EXIT_ACTION_STOPPED);
	cr_assert_eq(fake_entry(v0, 1)->gpr[GPR_RAX], HV_ABI_VERSION);
	cr_assert_eq(fake_entry(v0, 1)->rip, FX_ENTRY + LEN_VMCALL);
	cr_assert_eq(fake_entry(v0, 2)->gpr[GPR_RAX], sizeof(msg) - 1);
	cr_assert_eq(fake_console_count("[a] from the guest"), 1);
	cr_assert_eq(part->state, PART_STOPPED);
	cr_assert_eq(part->exit_code, 7);
	cr_assert_eq(fake_log_count("partition stopped: guest requested stop (code 7)"), 1);
}

Test(fake_exits, hypercall_from_cpl3_gets_eperm_and_does_nothing)
{
	fake_push_hypercall(v0, 3, HC_VERSION, 0, 0);
	fake_push_hypercall(v0, 3, HC_PARTITION_STOP, 0, 0);
	fake_push_hypercall(v0, 3, HC_PARTITION_RESTART, 0, 0);
	fake_push_hypercall(v0, 0, HC_YIELD, 0, 0);

	cr_assert_eq(fx_slice(v0, 16), EXIT_ACTION_YIELD);
	for (unsigned int i = 1; i <= 3; i++) {
		cr_assert_eq(fake_entry(v0, i)->gpr[GPR_RAX], (uint64_t)HC_EPERM, "call %u", i);
		cr_assert_eq(fake_entry(v0, i)->rip, FX_ENTRY + i * LEN_VMCALL);
	}
	cr_assert_eq(part->state, PART_RUNNING);
	cr_assert_not(fake_log_contains("partition stopped"));
	cr_assert_not(fake_log_contains("restarting"));
}

Test(fake_exits, hlt_without_interrupt_blocks_and_an_interrupt_wakes_it)
{
	fake_push_hlt(v0, true);
	fake_push_hypercall(v0, 0, HC_PARTITION_STOP, 0, 0);

	cr_assert_eq(fx_slice(v0, 16), EXIT_ACTION_YIELD);
	cr_assert_eq(v0->state, VCPU_HALTED);
	cr_assert_eq(v0->rip, FX_ENTRY + LEN_HLT);
	/* Halted: the scheduler's check keeps it off the CPU. */
	cr_assert_eq(fx_slice(v0, 16), -1);
	cr_assert_eq(fake_vcpu_of(v0)->runs, 1);

	/* A device raises vector 0x41 (the test device's path). */
	vcpu_raise_irq(v0, 0x41);
	cr_assert_eq(v0->state, VCPU_RUNNABLE);
	cr_assert_eq(fx_slice(v0, 16), EXIT_ACTION_STOPPED);
	struct fake_vcpu *f = fake_vcpu_of(v0);
	cr_assert_eq(f->nr_delivered, 1);
	cr_assert_eq(f->delivered[0].type, VCPU_EVENT_EXTINT);
	cr_assert_eq(f->delivered[0].vector, 0x41);
	cr_assert_eq(fake_entry(v0, 1)->rip, FX_ENTRY + LEN_HLT);
	cr_assert_eq(f->event_overwrites, 0);
}

Test(fake_exits, hlt_with_an_interrupt_pending_does_not_block)
{
	fake_step_rflags(fake_push(v0, EXIT_PAUSE, 2), RFLAGS_FIXED); /* IF off: it waits */
	fake_push_hlt(v0, true);
	fake_push_hypercall(v0, 0, HC_PARTITION_STOP, 0, 0);
	vcpu_raise_irq(v0, 0x50);

	cr_assert_eq(fx_slice(v0, 16), EXIT_ACTION_STOPPED);
	cr_assert_neq(v0->state, VCPU_HALTED);
	cr_assert_eq(fake_vcpu_of(v0)->nr_delivered, 1);
	cr_assert_eq(fake_vcpu_of(v0)->delivered[0].vector, 0x50);
}

Test(fake_exits, interrupt_waits_for_the_window_then_is_injected_once)
{
	/* IF is clear at the first entry: the core must ask for a window,
	 * not inject. The second step's guest sets IF; then the window opens. */
	fake_step_rflags(fake_push(v0, EXIT_PAUSE, 2), RFLAGS_FIXED | RFLAGS_IF);
	fake_push(v0, EXIT_PAUSE, 2);
	fake_push_hypercall(v0, 0, HC_PARTITION_STOP, 0, 0);
	vcpu_raise_irq(v0, 0x33);

	fx_slice(v0, 16);
	struct fake_vcpu *f = fake_vcpu_of(v0);
	cr_assert_geq(f->window_requests, 1);
	cr_assert_eq(fake_entry(v0, 1)->reason, EXIT_INTR_WINDOW);
	cr_assert_eq(f->nr_delivered, 1);
	cr_assert_eq(f->delivered[0].vector, 0x33);
	cr_assert_eq(f->event_overwrites, 0);
	cr_assert_not(f->intr_window, "window request left on");
}

Test(fake_exits, hlt_with_interrupts_off_stops_a_uniprocessor_partition)
{
	fake_push_hlt(v0, false);
	cr_assert_eq(fx_slice(v0, 16), EXIT_ACTION_STOPPED);
	cr_assert_eq(v0->state, VCPU_STOPPED);
	cr_assert_eq(fake_log_count("partition stopped: vCPU 0 halted with interrupts disabled"), 1);
}

Test(fake_exits, triple_fault_stops_by_default_with_one_line)
{
	fake_push(v0, EXIT_TRIPLE_FAULT, 0);
	cr_assert_eq(fx_slice(v0, 16), EXIT_ACTION_STOPPED);
	cr_assert_eq(part->state, PART_STOPPED);
	cr_assert_eq(fake_log_count("triple fault"), 1);
	cr_assert_eq(fake_log_count("partition stopped: triple fault (shutdown) at RIP 0x100000"), 1);
}

Test(fake_exits_own, triple_fault_restarts_with_on_triple_fault_restart)
{
	boot("name=r mem=2M mode=prot on_triple_fault=restart", image_any, sizeof(image_any));
	uint8_t scribble = 0x5a, back;
	gmem_write(&part->mem, CONSOLE_BUF, &scribble, 1);
	fake_push_cpuid(v0, 0, 0);
	fake_push(v0, EXIT_TRIPLE_FAULT, 0);
	fake_push_hypercall(v0, 0, HC_PARTITION_STOP, 0, 0);

	cr_assert_eq(fx_slice(v0, 16), EXIT_ACTION_YIELD);
	/* The exit only began the restart; the scheduler's steps finish it. */
	cr_assert_eq(part->state, PART_RESTARTING);
	cr_assert(fx_finish_restart(part));
	cr_assert_neq(part->state, PART_STOPPED);
	cr_assert_eq(v0->state, VCPU_RUNNABLE);
	cr_assert_eq(v0->rip, FX_ENTRY, "not restarted at the entry point");
	gmem_read(&part->mem, CONSOLE_BUF, &back, 1);
	cr_assert_eq(back, 0, "RAM not cleared by the restart");
	cr_assert_eq(fake_log_count("triple fault"), 1);
	cr_assert_not(fake_log_contains("partition stopped"));
	/* It runs again from the image. */
	cr_assert_eq(fx_slice(v0, 16), EXIT_ACTION_STOPPED);
	cr_assert_eq(fake_entry(v0, 2)->rip, FX_ENTRY);
}

Test(fake_exits, rdmsr_answers_and_unknown_wrmsr_injects_gp)
{
	fake_push_msr(v0, MSR_IA32_APIC_BASE, false, 0);
	fake_push_msr(v0, 0x12345, true, 1);
	fake_push_hypercall(v0, 0, HC_PARTITION_STOP, 0, 0);

	fx_slice(v0, 16);
	const struct fake_entry *e = fake_entry(v0, 1);
	cr_assert_eq(e->gpr[GPR_RAX] & 0xfffff000ULL, 0xfee00000ULL);
	cr_assert(e->gpr[GPR_RAX] & BIT(8), "vCPU 0 is the BSP");
	cr_assert_eq(e->gpr[GPR_RDX], 0);
	cr_assert_eq(e->rip, FX_ENTRY + 2);
	/* The faulting WRMSR is not skipped: #GP(0) at the same RIP. */
	struct fake_vcpu *f = fake_vcpu_of(v0);
	cr_assert_eq(f->nr_delivered, 1);
	cr_assert_eq(f->delivered[0].type, VCPU_EVENT_EXCEPTION);
	cr_assert_eq(f->delivered[0].vector, EXC_GP);
	cr_assert(f->delivered[0].has_error);
	cr_assert_eq(fake_entry(v0, 2)->rip, FX_ENTRY + 2);
	cr_assert_eq(fake_log_count("unknown MSR 0x12345"), 1);
}

/* Issue 14: address MSRs are written canonical or #GP; RDPMC is #GP (no
 * PMU); IA32_MISC_ENABLE's value; CPUID.1:EDX.APIC follows
 * IA32_APIC_BASE.EN. */
Test(fake_exits, issue14_msrs_rdpmc_and_apic_cpuid)
{
	struct fake_vcpu *f = fake_vcpu_of(v0);
	fake_push_msr(v0, MSR_LSTAR, true, 0x0000800000000000ULL); /* non-canonical: #GP */
	fake_push_msr(v0, MSR_LSTAR, true, 0xffffffff81000000ULL); /* stored by the backend */
	fake_push(v0, EXIT_RDPMC, 2);
	fake_push_msr(v0, 0x1a0, false, 0);                                  /* IA32_MISC_ENABLE */
	fake_push_msr(v0, MSR_IA32_APIC_BASE, true, 0xfee00000ULL | BIT(8)); /* EN clear */
	fake_push_cpuid(v0, 1, 0);
	fake_push_msr(v0, MSR_IA32_APIC_BASE, true, 0xfee00000ULL | BIT(8) | BIT(11));
	fake_push_cpuid(v0, 1, 0);
	fake_push_hypercall(v0, 0, HC_PARTITION_STOP, 0, 0);

	cr_assert_eq(fx_slice(v0, 32), EXIT_ACTION_STOPPED);
	cr_assert(f->nr_delivered >= 2);
	cr_assert_eq(f->delivered[0].vector, EXC_GP, "non-canonical LSTAR");
	cr_assert_eq(fake_entry(v0, 1)->rip, FX_ENTRY, "not skipped");
	cr_assert_eq(f->guest_msr_writes, 1);
	cr_assert_eq(f->guest_msr_index, MSR_LSTAR);
	cr_assert_eq(f->guest_msr_value, 0xffffffff81000000ULL);
	cr_assert_eq(fake_entry(v0, 2)->rip, FX_ENTRY + 2);
	cr_assert_eq(f->delivered[1].vector, EXC_GP, "RDPMC");
	cr_assert(f->delivered[1].has_error);
	cr_assert_eq(f->delivered[1].error, 0);
	cr_assert_eq(fake_entry(v0, 3)->rip, FX_ENTRY + 2, "RDPMC not skipped");
	cr_assert_eq(fake_entry(v0, 4)->gpr[GPR_RAX], 0x1801, "IA32_MISC_ENABLE");
	cr_assert_not(fake_entry(v0, 6)->gpr[GPR_RDX] & BIT(9), "APIC disabled: CPUID.1:EDX.APIC 0");
	cr_assert(fake_entry(v0, 8)->gpr[GPR_RDX] & BIT(9), "enabled again");
}

Test(fake_exits, preemption_exit_resumes_the_same_vcpu_at_the_same_rip)
{
	fake_push(v0, EXIT_PREEMPT, 0);
	fake_push_cpuid(v0, 0, 0);
	fake_push_hypercall(v0, 0, HC_PARTITION_STOP, 0, 0);

	/* The VMX-preemption timer mirrors the scheduler's deadline: its exit
	 * goes to the scheduler (here the slice is over), and the vCPU goes
	 * on where it was in its next slice. */
	cr_assert_eq(fx_slice(v0, 16), EXIT_ACTION_YIELD);
	cr_assert_eq(fx_slice(v0, 16), EXIT_ACTION_STOPPED);
	cr_assert_eq(fake_entry(v0, 1)->rip, FX_ENTRY);
	cr_assert_eq(fake_entry(v0, 2)->rip, FX_ENTRY + LEN_CPUID);
}

Test(fake_exits, script_exhausted_stops_with_one_line)
{
	cr_assert_eq(fx_slice(v0, 16), EXIT_ACTION_STOPPED);
	cr_assert_eq(fake_log_count(FAKE_SCRIPT_EXHAUSTED), 1);
}

/* A fixed IPI between two vCPUs on two fake CPUs, all through real code:
 * vCPU 0's MMIO writes to its local APIC's ICR (instruction emulator ->
 * iobus -> LAPIC model -> the platform's message routing) wake halted
 * vCPU 1 and kick its home CPU (host IPI), which takes the vector at its
 * next entry. One thread plays both CPUs in turn. */
static const uint8_t image_two_stores[] = { 0x89, 0x03, 0x89, 0x03 }; /* MOV [EBX], EAX x2 */
#define LAPIC_MMIO 0xfee00000ULL
#define LAPIC_SVR_OFF 0xf0
#define LAPIC_ICR_LOW_OFF 0x300
#define LAPIC_ICR_HIGH_OFF 0x310

static void push_store(struct vcpu *v, uint64_t gpa, uint32_t val)
{
	struct fake_step *s = fake_push_mmio(v, gpa, true, 2);
	fake_step_gpr(s, GPR_RBX, gpa);
	fake_step_gpr(s, GPR_RAX, val);
	fake_step_rflags(s, RFLAGS_FIXED | RFLAGS_IF);
}

Test(fake_exits_own, lapic_ipi_wakes_a_halted_vcpu_on_another_cpu)
{
	fake_arch_init(2);
	part = fx_partition("name=ipi mem=2M mode=prot cpus=2", image_two_stores,
			    sizeof(image_two_stores));
	struct vcpu *a = part->vcpu[0], *b = part->vcpu[1];
	struct vcpu_sregs s;
	b->home = &percpu_area[1];
	/* vCPU 1 as if a SIPI had started it at the same code. */
	fake_backend.get_sregs(a, &s);
	fake_backend.set_sregs(b, &s);
	b->rip = FX_ENTRY;
	b->rflags = RFLAGS_FIXED | RFLAGS_IF;
	b->state = VCPU_RUNNABLE;

	/* CPU 1: vCPU 1 software-enables its LAPIC (SVR), then halts. */
	fake_cpu_bind(1);
	push_store(b, LAPIC_MMIO + LAPIC_SVR_OFF, 0x1ff);
	fake_push_hlt(b, true);
	fake_push_cpuid(b, 0, 0);
	fake_push_hypercall(b, 0, HC_PARTITION_STOP, 0, 0);
	cr_assert_eq(fx_slice(b, 16), EXIT_ACTION_YIELD);
	cr_assert_eq(b->state, VCPU_HALTED);

	/* CPU 0: vCPU 0 sends fixed IPI vector 0x40 to APIC ID 1. */
	fake_cpu_bind(0);
	push_store(a, LAPIC_MMIO + LAPIC_ICR_HIGH_OFF, 1u << 24);
	push_store(a, LAPIC_MMIO + LAPIC_ICR_LOW_OFF, 0x4000 | 0x40); /* level assert, fixed */
	fake_push_hypercall(a, 0, HC_YIELD, 0, 0);
	cr_assert_eq(fx_slice(a, 16), EXIT_ACTION_YIELD);
	cr_assert_eq(fake_entry(a, 2)->rip, FX_ENTRY + 4);
	cr_assert_eq(b->state, VCPU_RUNNABLE, "the IPI did not wake vCPU 1");
	cr_assert_eq(fake_kicks_sent(1), 1, "vCPU 1's home CPU was not kicked");
	cr_assert_eq(fake_kicks_sent(0), 0);

	/* CPU 1: the kick makes it look again (the kick's EXIT_EXTINT hands
	 * the CPU back to the scheduler, which picks vCPU 1 again); the
	 * vector is injected. */
	fake_cpu_bind(1);
	int a1 = fx_slice(b, 16);
	cr_assert_eq(fake_entry(b, 2)->reason, EXIT_EXTINT);
	if (a1 == EXIT_ACTION_YIELD)
		a1 = fx_slice(b, 16);
	cr_assert_eq(a1, EXIT_ACTION_STOPPED);
	struct fake_vcpu *f = fake_vcpu_of(b);
	cr_assert_eq(f->nr_delivered, 1);
	cr_assert_eq(f->delivered[0].type, VCPU_EVENT_EXTINT);
	cr_assert_eq(f->delivered[0].vector, 0x40);
	cr_assert_eq(f->event_overwrites, 0);
}

/* REP OUTSB (F3 6E) to COM1: the core walks the guest's buffer at DS:ESI
 * (paging off here), feeds the UART byte by byte, and leaves RSI and RCX
 * as the instruction would. */
static const uint8_t image_rep_outsb[] = { 0xf3, 0x6e };
#define STRING_BUF 0x3000ULL

Test(fake_exits_own, rep_outsb_to_com1_walks_guest_memory)
{
	static const char msg[] = "string io\n";
	boot("name=s mem=2M mode=prot", image_rep_outsb, sizeof(image_rep_outsb));
	gmem_write(&part->mem, STRING_BUF, msg, sizeof(msg) - 1);
	struct fake_step *s = fake_push_io(v0, COM1, 1, false, JUNK);
	s->exit.io.string = true;
	s->exit.io.rep = true;
	s->exit.insn_len = 2;
	fake_step_gpr(s, GPR_RSI, STRING_BUF);
	fake_step_gpr(s, GPR_RCX, sizeof(msg) - 1);
	fake_push_hypercall(v0, 0, HC_PARTITION_STOP, 0, 0);

	cr_assert_eq(fx_slice(v0, 16), EXIT_ACTION_STOPPED);
	cr_assert_eq(fake_console_count("[s] string io"), 1);
	const struct fake_entry *e = fake_entry(v0, 1);
	cr_assert_eq(e->gpr[GPR_RSI], STRING_BUF + sizeof(msg) - 1);
	cr_assert_eq(e->gpr[GPR_RCX], 0);
	cr_assert_eq(e->rip, FX_ENTRY + 2);
}

/* The test device's direct vectors go to vCPU 0 whichever vCPU writes the
 * port. Raised from CPU 1 for a vCPU 0 halted at home on CPU 0, the raise
 * must wake it and kick CPU 0, which may be idle with no timer due (it
 * used to set RUNNABLE by hand and send no kick). */
Test(fake_exits_own, testdev_irq_from_another_cpu_wakes_and_kicks_vcpu0s_home)
{
	fake_arch_init(2);
	part = fx_partition("name=tdirq mem=2M mode=prot cpus=2", image_two_stores,
			    sizeof(image_two_stores));
	struct vcpu *a = part->vcpu[0], *b = part->vcpu[1];
	struct vcpu_sregs s;
	a->home = &percpu_area[0];
	b->home = &percpu_area[1];
	fake_backend.get_sregs(a, &s);
	fake_backend.set_sregs(b, &s);
	b->rip = FX_ENTRY;
	b->rflags = RFLAGS_FIXED | RFLAGS_IF;
	b->state = VCPU_RUNNABLE;

	fake_cpu_bind(0);
	fake_push_hlt(a, true);
	cr_assert_eq(fx_slice(a, 16), EXIT_ACTION_YIELD);
	cr_assert_eq(a->state, VCPU_HALTED);

	fake_cpu_bind(1);
	fake_push_io(b, TESTDEV_IRQ_PORT, 1, false, 0x41);
	fake_push_hypercall(b, 0, HC_YIELD, 0, 0);
	cr_assert_eq(fx_slice(b, 16), EXIT_ACTION_YIELD);
	cr_assert_eq(a->state, VCPU_RUNNABLE, "the raise did not wake vCPU 0");
	cr_assert_eq(fake_kicks_sent(0), 1, "vCPU 0's home CPU was not kicked");
	cr_assert_eq(fake_kicks_sent(1), 0);
}

/* The fast path (vcpu_exit_fast), driven as the SVM backend drives it: the
 * run hook enters again at once after each exit the fast path handled. The
 * guest sees the same results and the statistics count every exit, but
 * the hook returns to the run loop only for the exit that ends the turn. */
Test(fake_exits, fast_path_handles_cpuid_without_returning_to_the_loop)
{
	fake_vcpu_of(v0)->fast_path = true;
	for (uint32_t leaf = 0; leaf < 5; leaf++)
		fake_push_cpuid(v0, leaf & 1, 0);
	fake_push_hypercall(v0, 0, HC_PARTITION_STOP, 0, 0);

	cr_assert_eq(fx_slice(v0, 16), EXIT_ACTION_STOPPED);
	for (unsigned int n = 0; n < 5; n++) {
		struct cpuid_result want = cpuid_table_lookup(&part->cpuid, 0, n & 1, 0);
		cr_assert_eq(fake_entry(v0, n + 1)->gpr[GPR_RBX], want.ebx, "exit %u", n);
		cr_assert_eq(fake_entry(v0, n + 1)->rip, FX_ENTRY + (n + 1) * LEN_CPUID);
	}
	cr_assert_eq(v0->stats.count[EXIT_CPUID], 5);
	cr_assert_eq(v0->stats.count[EXIT_HYPERCALL], 1);
	/* Counted, not timed: the fast path takes no TSC readings. */
	cr_assert_eq(v0->stats.timed[EXIT_CPUID], 0);
	cr_assert_eq(v0->stats.timed[EXIT_HYPERCALL], 0);
	/* The stop was handled by the fast path too: its action reached the
	 * loop through fast_action, in one return. */
	cr_assert_eq(fake_vcpu_of(v0)->hook_returns, 1);
}

/* trace=exits closes the fast path (its budget is 0): every exit goes back
 * to the loop, which traces, counts and times it; the turn still ends
 * after max_exits. */
Test(fake_exits, trace_closes_the_fast_path)
{
	fake_vcpu_of(v0)->fast_path = true;
	hv_options.trace_exits = true;
	for (unsigned int n = 0; n < 5; n++)
		fake_push_cpuid(v0, 0, 0);

	cr_assert_eq(fx_slice(v0, 3), EXIT_ACTION_RESUME);
	hv_options.trace_exits = false;
	cr_assert_eq(fake_vcpu_of(v0)->hook_returns, 3);
	cr_assert_eq(v0->stats.count[EXIT_CPUID], 3);
	cr_assert_eq(v0->stats.timed[EXIT_CPUID], 3);
	cr_assert_eq(v0->rip, FX_ENTRY + 3 * LEN_CPUID);
}

/* The loop's exit budget holds: max_exits counts the fast path's exits. */
Test(fake_exits, fast_path_keeps_to_the_loops_exit_budget)
{
	fake_vcpu_of(v0)->fast_path = true;
	for (unsigned int n = 0; n < 10; n++)
		fake_push_cpuid(v0, 0, 0);

	cr_assert_eq(fx_slice(v0, 4), EXIT_ACTION_RESUME);
	cr_assert_eq(v0->stats.count[EXIT_CPUID], 4);
	cr_assert_eq(fake_vcpu_of(v0)->hook_returns, 1);
	cr_assert_eq(fx_slice(v0, 3), EXIT_ACTION_RESUME);
	cr_assert_eq(v0->stats.count[EXIT_CPUID], 7);
}

/* An exit that leaves an interrupt to deliver goes back to the loop, which
 * injects it before the next entry; so does a host interrupt. */
Test(fake_exits, fast_path_returns_for_interrupts)
{
	fake_vcpu_of(v0)->fast_path = true;
	v0->rflags |= RFLAGS_IF;
	fake_push_cpuid(v0, 0, 0);
	fake_push_cpuid(v0, 0, 0);
	fake_push_cpuid(v0, 0, 0);
	fake_push_cpuid(v0, 0, 0);

	fx_slice(v0, 1);
	vcpu_raise_irq(v0, 0x40); /* between exits, from "another CPU" */
	cr_assert_eq(fx_slice(v0, 3), EXIT_ACTION_RESUME);
	cr_assert_eq(fake_vcpu_of(v0)->nr_delivered, 1);
	cr_assert_eq(fake_vcpu_of(v0)->delivered[0].vector, 0x40);
	cr_assert_eq(v0->stats.count[EXIT_CPUID], 4);
}

/* Control-register exits on either backend go through core's one policy
 * (core/cr_policy.c): a VMX-style exit names its GPR, an SVM-style one
 * leaves core to decode the MOV at RIP with core/emul/insn.c. A legal write
 * reaches set_sregs and advances RIP; a CR4 bit the guest's CPUID does not
 * offer (OSXSAVE, never virtualised) is #GP(0) with RIP and CR4 unchanged. */
Test(fake_exits_own, cr_access_goes_through_the_one_policy)
{
	/* mov %ebx,%cr4 (0F 22 E3), twice, in 32-bit code */
	static const uint8_t image_cr[] = { 0x0f, 0x22, 0xe3, 0x0f, 0x22, 0xe3, 0x90 };
	boot("name=cr mem=2M mode=prot", image_cr, sizeof(image_cr));
	struct fake_vcpu *f = fake_vcpu_of(v0);
	uint64_t cr4_before = f->sregs.cr4;

	struct fake_step *s = fake_push(v0, EXIT_CR_ACCESS, 3);
	s->exit.cr.cr = 4;
	s->exit.cr.write = true;
	s->exit.cr.op = CR_OP_MOV_TO;
	s->exit.cr.decoded = true;
	s->exit.cr.gpr = GPR_RBX;
	fake_step_gpr(s, GPR_RBX, cr4_before | CR4_PGE);
	s = fake_push(v0, EXIT_CR_ACCESS, 0);
	s->exit.cr.cr = 4;
	s->exit.cr.write = true;
	s->exit.cr.op = CR_OP_MOV_TO;
	s->exit.cr.decoded = false;
	fake_step_gpr(s, GPR_RBX, cr4_before | CR4_PGE | CR4_OSXSAVE);
	fake_push_hypercall(v0, 0, HC_PARTITION_STOP, 0, 0);

	cr_assert_eq(fx_slice(v0, 16), EXIT_ACTION_STOPPED);
	cr_assert_eq(fake_entry(v0, 1)->rip, FX_ENTRY + 3, "legal write: RIP advanced");
	cr_assert_eq(fake_entry(v0, 2)->rip, FX_ENTRY + 3, "#GP: RIP stays");
	cr_assert_eq(f->sregs.cr4, cr4_before | CR4_PGE);
	cr_assert_geq(f->nr_delivered, 1);
	cr_assert_eq(f->delivered[0].type, VCPU_EVENT_EXCEPTION);
	cr_assert_eq(f->delivered[0].vector, EXC_GP);
	cr_assert_eq(f->delivered[0].error, 0);
}

/* A backend that cannot enter again after an exit the fast path handled
 * (VMX: a handler left a guest state the entry checks refuse, or made
 * another vCPU's VMCS current) hands it back with vcpu_exit_fast_unwind:
 * the loop resumes as after any handled exit; the exit is not handled a
 * second time (RIP advanced once, counted once) and still counts against
 * the turn's budget. */
Test(fake_exits, fast_path_unwind_hands_a_handled_exit_to_the_loop)
{
	struct fake_vcpu *f = fake_vcpu_of(v0);
	f->fast_path = true;
	f->unwind_at_run = 2;
	for (unsigned int n = 0; n < 4; n++)
		fake_push_cpuid(v0, 0, 0);
	fake_push_hypercall(v0, 0, HC_PARTITION_STOP, 0, 0);

	cr_assert_eq(fx_slice(v0, 16), EXIT_ACTION_STOPPED);
	cr_assert_eq(f->unwinds, 1);
	for (unsigned int n = 0; n < 4; n++)
		cr_assert_eq(fake_entry(v0, n + 1)->rip, FX_ENTRY + (n + 1) * LEN_CPUID, "entry %u",
			     n + 1);
	cr_assert_eq(v0->stats.count[EXIT_CPUID], 4);
	cr_assert_eq(f->hook_returns, 2);
}

Test(fake_exits, fast_path_unwind_keeps_the_exit_budget)
{
	struct fake_vcpu *f = fake_vcpu_of(v0);
	f->fast_path = true;
	f->unwind_at_run = 2;
	for (unsigned int n = 0; n < 10; n++)
		fake_push_cpuid(v0, 0, 0);

	cr_assert_eq(fx_slice(v0, 3), EXIT_ACTION_RESUME);
	cr_assert_eq(v0->stats.count[EXIT_CPUID], 3);
	cr_assert_eq(f->unwinds, 1);
	cr_assert_eq(fake_entry(v0, 2)->rip, FX_ENTRY + 2 * LEN_CPUID);
	cr_assert_eq(v0->rip, FX_ENTRY + 3 * LEN_CPUID);
}
