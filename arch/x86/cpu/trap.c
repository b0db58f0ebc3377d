/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/x86/cpu/cpu.h"
#include "arch/x86/cpu/gdt.h"
#include "arch/x86/cpu/trap.h"
#include "core/console.h"
#include "core/log.h"
#include "core/percpu.h"
#include "arch/x86/cpu/platform_exit.h"
#include "core/symbols.h"
#include "arch/x86/hostdev/i8259.h"

#define IDT_TYPE_INTERRUPT_GATE 0x8e /* P, DPL0, 64-bit interrupt gate */
#define STACK_TRACE_MAX 16

struct __packed idt_entry {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t type;
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t zero;
};

/* Built once by the boot CPU, then only read (shared by all CPUs). */
static struct idt_entry idt[256] __aligned(16);
/* Host interrupt handlers; registered at boot before interrupts are enabled. */
static irq_handler_fn irq_handlers[256];
bool trap_exit_on_fatal;

extern const uint64_t isr_table[256];

static const char *const exc_names[32] = {
	"#DE divide error",
	"#DB debug",
	"NMI",
	"#BP breakpoint",
	"#OF overflow",
	"#BR bound range",
	"#UD invalid opcode",
	"#NM device not available",
	"#DF double fault",
	"coprocessor overrun",
	"#TS invalid TSS",
	"#NP segment not present",
	"#SS stack fault",
	"#GP general protection",
	"#PF page fault",
	"reserved 15",
	"#MF x87 error",
	"#AC alignment check",
	"#MC machine check",
	"#XM SIMD error",
	"#VE virtualization",
	"#CP control protection",
	"reserved 22",
	"reserved 23",
	"reserved 24",
	"reserved 25",
	"reserved 26",
	"reserved 27",
	"#HV hypervisor injection",
	"#VC VMM communication",
	"#SX security",
	"reserved 31",
};

static void set_gate(unsigned int vec, uint64_t handler, uint8_t ist)
{
	idt[vec] = (struct idt_entry){
		.off_lo = handler & 0xffff,
		.sel = GDT_SEL_CODE64,
		.ist = ist,
		.type = IDT_TYPE_INTERRUPT_GATE,
		.off_mid = (handler >> 16) & 0xffff,
		.off_hi = handler >> 32,
	};
}

void idt_init(void)
{
	for (unsigned int v = 0; v < 256; v++)
		set_gate(v, isr_table[v], 0);
	set_gate(EXC_VECTOR_DF, isr_table[EXC_VECTOR_DF], IST_DF);
	set_gate(EXC_VECTOR_NMI, isr_table[EXC_VECTOR_NMI], IST_NMI);
	set_gate(EXC_VECTOR_MC, isr_table[EXC_VECTOR_MC], IST_MC);
}

void idt_load(void)
{
	struct dtr64 d = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	__asm__ volatile("lidt %0" : : "m"(d));
}

void irq_register(uint8_t vector, irq_handler_fn fn)
{
	irq_handlers[vector] = fn;
}

static bool on_some_stack(uint64_t addr)
{
	/* Frame pointers must stay inside the hypervisor image's stacks (all of
	 * which live in .bss) or the direct map; anything else ends the walk. */
	extern char __bss_start[], __bss_end[];
	return addr >= (uint64_t)(uintptr_t)__bss_start &&
	       addr + 16 <= (uint64_t)(uintptr_t)__bss_end && IS_ALIGNED(addr, 8);
}

void print_stack_trace(uint64_t rip, uint64_t rbp)
{
	char sym[96];
	pr_err("stack trace:");
	symbol_describe(rip, sym, sizeof(sym));
	pr_err("  #0 %#018lx %s", rip, sym);
	for (unsigned int i = 1; i < STACK_TRACE_MAX && on_some_stack(rbp); i++) {
		const uint64_t *frame = (const uint64_t *)(uintptr_t)rbp;
		uint64_t ret = frame[1];
		if (!ret)
			break;
		symbol_describe(ret, sym, sizeof(sym));
		pr_err("  #%u %#018lx %s", i, ret, sym);
		if (frame[0] <= rbp)
			break; /* frames must move up the stack */
		rbp = frame[0];
	}
}

static __noreturn void fatal_exception(struct trap_frame *f)
{
	struct percpu *cpu = this_cpu();
	char sym[96];
	unsigned int id = cpu ? cpu->id : 0;

	symbol_describe(f->rip, sym, sizeof(sym));
	pr_err("EXCEPTION %s (vector %lu) on CPU %u, error code %#lx", exc_names[f->vector & 31],
	       f->vector, id, f->error);
	pr_err("RIP %#018lx %s", f->rip, sym);
	pr_err("CS %#06lx RFLAGS %#010lx RSP %#018lx SS %#06lx", f->cs, f->rflags, f->rsp, f->ss);
	pr_err("CR0 %#018lx CR2 %#018lx CR3 %#018lx CR4 %#018lx", read_cr0(), read_cr2(),
	       read_cr3(), read_cr4());
	pr_err("RAX %#018lx RBX %#018lx RCX %#018lx RDX %#018lx", f->rax, f->rbx, f->rcx, f->rdx);
	pr_err("RSI %#018lx RDI %#018lx RBP %#018lx R8  %#018lx", f->rsi, f->rdi, f->rbp, f->r8);
	pr_err("R9  %#018lx R10 %#018lx R11 %#018lx R12 %#018lx", f->r9, f->r10, f->r11, f->r12);
	pr_err("R13 %#018lx R14 %#018lx R15 %#018lx", f->r13, f->r14, f->r15);
	unsigned int guard_cpu, guard_ist;
	if (f->vector == 14 && gdt_ist_guard_hit(read_cr2(), &guard_cpu, &guard_ist))
		pr_err("CR2 is in the guard page below IST stack %u (%s) of CPU %u: that stack overflowed",
		       guard_ist + 1,
		       guard_ist == 0   ? "#DF"
		       : guard_ist == 1 ? "NMI"
					: "#MC",
		       guard_cpu);
	print_stack_trace(f->rip, f->rbp);
	pr_err("bulkhead: CPU %u halted after exception", id);
	console_break_lock();
	if (trap_exit_on_fatal)
		platform_exit(PLATFORM_EXIT_FAILURE);
	cpu_halt_forever();
}

/* Nothing in Bulkhead sends NMIs; one that comes (a platform error, an
 * NMI button, a debugger's) is counted and reported once per CPU, not
 * fatal: the hypervisor's state is intact. A guest's NMIs never come here:
 * they go to its vCPUs. */
static void host_nmi(struct trap_frame *f)
{
	struct percpu *c = this_cpu();
	if (c->host_nmis++ == 0)
		pr_warn("trap: NMI on CPU %u at RIP %#lx (further ones counted silently)", c->id,
			f->rip);
}

/* DR6/DR7 reset values and RFLAGS.RF/TF (SDM Vol. 3B §18.2.3, §18.2.4,
 * §18.3.1.1). */
#define HOST_DR6_RESET 0xffff0ff0ull
#define HOST_DR7_RESET 0x400ull
#define RFLAGS_TF_BIT (1ull << 8)
#define RFLAGS_RF_BIT (1ull << 16)

/* From the instruction after VMRUN to the VMLOAD of the host's state, the
 * CPU holds the guest's GS base (arch/x86/svm/svm_entry.S). Bochs 2.7's
 * SVM raises a guest's pending single-step trap there when the stepped
 * instruction was intercepted (real CPUs do not: the instruction never
 * completed, APM Vol. 2 §15.7); a handler that read this_cpu would fault
 * on the guest's GS and the CPU would triple-fault. */
extern const char svm_guest_gs_begin[], svm_guest_gs_end[];

static bool in_svm_guest_gs_window(uint64_t rip)
{
	return rip >= (uintptr_t)svm_guest_gs_begin && rip < (uintptr_t)svm_guest_gs_end;
}

/* Bulkhead never arms a breakpoint or sets TF in the host, so a #DB here is
 * a guest's breakpoint left armed after a VM exit. The CPU must disarm them
 * (AMD APM Vol. 2 §15.6: #VMEXIT "disables all breakpoints in the host
 * DR7"; VMX loads DR7 = 0x400, SDM Vol. 3C §28.3.3), but QEMU 7.2's TCG
 * keeps the guest's breakpoints inserted after #VMEXIT (atk-debug found
 * that: a guest's DR0 on the hypervisor's code stopped a host CPU). Disarm
 * them and go on: the guest's DR0-DR7 live in its VMCB/VMCS and the
 * backend's saved copies, not in the host's DR7, which is 0x400. RF steps
 * over an instruction breakpoint should one still match. */
static void host_debug_trap(struct trap_frame *f)
{
	uint64_t dr6;
	__asm__ volatile("mov %%db6, %0" : "=r"(dr6));
	__asm__ volatile("mov %0, %%db7" : : "r"(HOST_DR7_RESET));
	__asm__ volatile("mov %0, %%db6" : : "r"(HOST_DR6_RESET));
	f->rflags = (f->rflags | RFLAGS_RF_BIT) & ~RFLAGS_TF_BIT;
	if (in_svm_guest_gs_window(f->rip))
		return; /* disarmed; counting it would read this_cpu through the guest's GS */
	struct percpu *c = this_cpu();
	if (c->host_debug_traps++ == 0)
		pr_warn("trap: #DB on CPU %u at RIP %#lx (DR6 %#lx): a guest's breakpoint was "
			"still armed after a VM exit; disarmed (further ones counted silently)",
			c->id, f->rip, dr6);
}

/* The faulting instructions of rdmsr_safe/wrmsr_safe and where their #GP
 * goes on (arch/x86/cpu/msr_safe.S). */
extern const char rdmsr_safe_insn[], wrmsr_safe_insn[], msr_safe_fault[];

static bool msr_probe_fault(struct trap_frame *f)
{
	if (f->vector != EXC_VECTOR_GP)
		return false;
	if (f->rip != (uintptr_t)rdmsr_safe_insn && f->rip != (uintptr_t)wrmsr_safe_insn)
		return false;
	f->rip = (uintptr_t)msr_safe_fault;
	return true;
}

void trap_dispatch(struct trap_frame *f)
{
	if (f->vector < IRQ_VECTOR_BASE) {
		if (msr_probe_fault(f))
			return;
		if (f->vector == EXC_VECTOR_DB) {
			host_debug_trap(f);
			return;
		}
		if (f->vector == EXC_VECTOR_NMI) {
			if (irq_handlers[EXC_VECTOR_NMI])
				irq_handlers[EXC_VECTOR_NMI](f);
			else
				host_nmi(f);
			return;
		}
		fatal_exception(f);
	}
	irq_handler_fn fn = irq_handlers[f->vector];
	if (fn)
		fn(f);
	else if (f->vector == I8259_VECTOR_BASE + 7 || f->vector == I8259_VECTOR_BASE + 15)
		return; /* spurious IRQ 7/15 of the (masked) legacy PIC: no EOI */
	else
		pr_warn("trap: unexpected interrupt vector %lu on CPU %u", f->vector, this_cpu()->id);
}
