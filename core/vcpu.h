/* SPDX-License-Identifier: BSD-2-Clause */
/* The arch-neutral virtual CPU and the backend interface behind it.
 *
 * core/ drives guests only through struct vcpu_backend; arch/x86/svm and
 * arch/x86/vmx each provide one (svm_backend, vmx_backend) and boot picks the
 * one the CPU supports. Nothing in core/ or drivers/ includes a VMX or SVM
 * header. */
#ifndef BULKHEAD_CORE_VCPU_H
#define BULKHEAD_CORE_VCPU_H

#include "core/exit.h"
#include "core/types.h"

struct partition;
struct percpu;

/* Segment registers in the SDM's sreg encoding (Vol. 2A §3.1.1.3 / Table
 * B-8), plus LDTR and TR. */
enum seg { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR, SEG_COUNT };

/* attr uses the AMD VMCB "attrib" packing (APM Vol. 2 §15.5.1): bits 0-3 type,
 * 4 S, 5-6 DPL, 7 P, 8 AVL, 9 L, 10 D/B, 11 G. The VMX backend converts to
 * and from the VMCS access-rights format (SDM Vol. 3C §24.4.1). An attr of 0
 * means "unusable" (not present). */
#define SEG_ATTR_TYPE(t) ((t)&0xf)
#define SEG_ATTR_S BIT(4)
#define SEG_ATTR_DPL(d) (((d)&3) << 5)
#define SEG_ATTR_P BIT(7)
#define SEG_ATTR_AVL BIT(8)
#define SEG_ATTR_L BIT(9)
#define SEG_ATTR_DB BIT(10)
#define SEG_ATTR_G BIT(11)

/* Common type nibbles (SDM Vol. 3A §3.4.5.1 and Table 3-2). */
#define SEG_TYPE_DATA_RW_A 0x3 /* read/write, accessed */
#define SEG_TYPE_CODE_RX_A 0xb /* execute/read, accessed */
#define SEG_TYPE_LDT 0x2
#define SEG_TYPE_TSS16_BUSY 0x3
#define SEG_TYPE_TSS64_BUSY 0xb /* also "32-bit TSS busy" */

struct segment {
	uint16_t sel;
	uint16_t attr;
	uint32_t limit; /* byte granular (expanded) */
	uint64_t base;
};

struct dtable {
	uint64_t base;
	uint16_t limit;
};

/* Guest state that is not in the GPR file. The backend reads and writes it on
 * request (it is not copied on every exit). */
struct vcpu_sregs {
	struct segment seg[SEG_COUNT];
	struct dtable gdtr, idtr;
	uint64_t cr0, cr2, cr3, cr4, efer;
	/* The task priority (0-15) where the backend intercepts MOV CR8 and
	 * keeps it itself (VMX: CR8 load/store exiting). SVM leaves CR8 to
	 * the VMCB's V_TPR (APM Vol. 2 §15.21.1): reads 0, ignored. */
	uint64_t cr8;
	uint64_t dr7;
	uint64_t pat;
};

/* CPU modes a loader can start a vCPU in. */
enum vcpu_mode { VCPU_MODE_REAL, VCPU_MODE_PROT32, VCPU_MODE_LONG64 };

/* Events the hypervisor delivers to a guest (SDM Vol. 3C §26.6, APM §15.20). */
enum vcpu_event_type {
	VCPU_EVENT_EXTINT = 0,
	VCPU_EVENT_NMI = 2,
	VCPU_EVENT_EXCEPTION = 3,
	VCPU_EVENT_SOFTINT = 4,
};

struct vcpu_event {
	uint8_t type; /* enum vcpu_event_type */
	uint8_t vector;
	bool has_error;
	uint32_t error;
	/* #DB injected by the hypervisor: the DR6 bits its delivery reports
	 * (DR6_BS for a single step, core/exc_reflect.h), which the backend
	 * writes into the guest's DR6 since event injection does not. 0 for
	 * every other event and for a reflected #DB (DR6 already updated). */
	uint64_t dr6;
};

/* Exception vectors (SDM Vol. 3A Table 6-1). */
#define EXC_DE 0
#define EXC_DB 1
#define EXC_NMI 2
#define EXC_BP 3
#define EXC_UD 6
#define EXC_NM 7
#define EXC_DF 8
#define EXC_TS 10
#define EXC_NP 11
#define EXC_SS 12
#define EXC_GP 13
#define EXC_PF 14
#define EXC_AC 17
#define EXC_MC 18

/* What the CPU's virtualisation hardware offers; filled by backend->probe and
 * printed in the banner. */
struct virt_caps {
	const char *tech;        /* "VMX" or "SVM" */
	bool present;            /* CPUID says the extension exists */
	bool usable;             /* ... and firmware left it enabled */
	const char *why_not;     /* if !usable: "IA32_FEATURE_CONTROL locked off" ... */
	bool stage2;             /* EPT / NPT */
	bool tagged_tlb;         /* VPID / ASID */
	uint32_t nr_tags;        /* number of ASIDs (SVM) */
	bool unrestricted_guest; /* VMX: real mode without emulation (SVM always) */
	bool stage2_2m, stage2_1g;
	bool next_rip; /* SVM NRIP save; VMX always has exit instruction length */
	bool decode_assists;
	bool preempt_timer;
	bool flush_by_asid;
	bool pause_filter;
	bool tsc_aux; /* each vCPU has its own IA32_TSC_AUX (RDTSCP/RDPID may be offered) */
	/* CR4 bits this CPU cannot hold for a guest whatever its CPUID says
	 * (VMX: outside IA32_VMX_CR4_FIXED1, or owned by the host), taken
	 * out of core/cr_policy.h's cr4_allowed. */
	uint64_t cr4_forbidden;
	uint8_t phys_bits; /* MAXPHYADDR, for CR3's reserved bits; 0 if unknown */
	uint32_t revision; /* VMCS revision id (VMX) or SVM revision */
};

/* Exit statistics, per vCPU (summed per partition when printed). */
struct exit_stats {
	uint64_t count[EXIT_REASON_COUNT]; /* every exit */
	/* TSC cycles in the handler, of the exits the run loop handled (the
	 * fast path only counts them: docs/exit-flow.md), and how many those
	 * were. */
	uint64_t tsc[EXIT_REASON_COUNT];
	uint64_t timed[EXIT_REASON_COUNT];
};

enum vcpu_state {
	VCPU_RUNNABLE,
	VCPU_HALTED,    /* HLT: runnable again on an interrupt */
	VCPU_WAIT_SIPI, /* application processor before its startup IPI */
	VCPU_PARKED,    /* HLT with interrupts off: only INIT or an NMI wakes it */
	VCPU_STOPPED,
};

struct vcpu {
	/* Guest GPRs in enum gpr order. MUST stay first: the backends' entry
	 * world-switch code saves and loads them at offset 0 (see *_entry.S). The backend
	 * keeps gpr[GPR_RSP] and gpr[GPR_RAX] in sync with the VMCS/VMCB on
	 * every exit and entry, as it does rip and rflags. */
	uint64_t gpr[GPR_COUNT];
	uint64_t rip;
	uint64_t rflags;

	struct partition *part;
	unsigned int id; /* index within the partition */
	enum vcpu_state state;
	void *arch;         /* backend state (VMCB or VMCS and friends) */
	struct percpu *cpu; /* host CPU it last ran on */
	/* The host CPU whose scheduler runs this vCPU (core/sched.c places
	 * every vCPU once, inside its partition's affinity). */
	struct percpu *home;
	/* True while the home CPU is inside run_slice for it: another CPU
	 * waiting to restart the partition spins until it drops. */
	volatile bool on_cpu;
	uint64_t run_tsc; /* TSC cycles spent running it (guest + exits) */

	struct vm_exit exit; /* the exit being handled */
	struct exit_stats stats;
	/* The exit fast path (vcpu_exit_fast, core/exits.h), owned by the home
	 * CPU inside run_exits: how many more exits it may handle in this turn
	 * without going back to the loop, and the action of an exit it handled
	 * but could not resume from (fast_handled). */
	unsigned int fast_budget;
	bool fast_handled;
	uint8_t fast_action;

	void *lapic; /* this vCPU's emulated local APIC (drivers/vdev) */
	/* When its local APIC timer next expires, in partition time (ns), or
	 * UINT64_MAX. Written under the partition lock; read by the home CPU's
	 * scheduler, which ticks this timer (core/sched.c, "Time"). */
	uint64_t timer_deadline_ns;
	/* External interrupts waiting for the guest to accept them (bit per
	 * vector); injected by vcpu_deliver_interrupts() before each entry. */
	uint64_t irq_pending[4];
	bool irq_any; /* some bit of irq_pending is set: one test per entry */

	/* x87/SSE state while another vCPU owns the FPU (FXSAVE layout, SDM
	 * Vol. 1 §10.5.1). The hypervisor itself never touches the FPU. */
	uint8_t fpu_state[512] __aligned(16);
	bool fpu_valid;

	/* The guest's IA32_SPEC_CTRL (core/msr.c): in the hardware while it
	 * runs (vcpu_run_exits), 0 (the hypervisor's value) otherwise. */
	uint64_t spec_ctrl;
};

struct vcpu_backend {
	const char *name; /* "svm" or "vmx" */

	/* Read the CPU's capabilities; caps->usable says whether we can run. */
	void (*probe)(struct virt_caps *caps);
	/* Enable VMX/SVM on the calling CPU (VMXON / EFER.SVME + host save area). */
	int (*cpu_enable)(struct percpu *cpu);

	int (*vcpu_create)(struct vcpu *v);
	void (*vcpu_destroy)(struct vcpu *v);
	/* Load a complete architectural state: sregs plus v->gpr/rip/rflags. */
	void (*set_sregs)(struct vcpu *v, const struct vcpu_sregs *s);
	void (*get_sregs)(struct vcpu *v, struct vcpu_sregs *s);
	/* Optional. Write an MSR the backend keeps in the guest state (FS/GS
	 * base, KERNEL_GS_BASE, LSTAR, CSTAR, SYSENTER_EIP/ESP) after core
	 * checked the value; false if the backend does not hold index. */
	bool (*write_guest_msr)(struct vcpu *v, uint32_t index, uint64_t val);

	/* Optional. v is about to run on the calling CPU: called by the
	 * scheduler once per slice, before the first run(). A backend that
	 * keeps registers the hardware does not switch in the CPU until another
	 * vCPU needs it (SVM: DR0-DR3, TSC_AUX; docs/cpu-state.md) swaps them
	 * here, off the exit path. */
	void (*load)(struct vcpu *v);

	/* Enter the guest and return when it exits, with v->exit decoded and
	 * v->gpr/rip/rflags current. */
	void (*run)(struct vcpu *v);

	/* Queue an event for delivery at the next entry. Only one event may be
	 * pending; event_pending() says whether the slot is taken (it also covers
	 * an event the hardware could not finish delivering, which the backend
	 * re-queues itself). */
	void (*inject)(struct vcpu *v, const struct vcpu_event *ev);
	bool (*event_pending)(struct vcpu *v);
	/* Can an external interrupt be delivered now (RFLAGS.IF, no STI/MOV SS
	 * shadow)? If not, request_intr_window(v, true) asks for an
	 * EXIT_INTR_WINDOW as soon as it can. */
	bool (*interruptible)(struct vcpu *v);
	void (*request_intr_window)(struct vcpu *v, bool on);
	/* NMIs (SDM Vol. 3A §6.7.1, APM Vol. 2 §8.2.7, §15.20): can one be
	 * injected now (no NMI handler running, the event slot free, no MOV SS
	 * or STI shadow)? If not, request_nmi_window(v, true) asks for an
	 * EXIT_NMI_WINDOW when it can: on VMX the NMI-window exit, on SVM the
	 * end of the IRET that closes the NMI handler. */
	bool (*nmi_allowed)(struct vcpu *v);
	void (*request_nmi_window)(struct vcpu *v, bool on);
	/* Forget a queued or interrupted event and the interrupt-window
	 * request, as INIT and RESET do (SDM Vol. 3A §9.1.1, APM Vol. 2
	 * §14.1.3 leave no event pending). v is not running. */
	void (*clear_events)(struct vcpu *v);
	/* Optional: the event-delivery state the backend keeps (NMI blocking,
	 * shadows, the event slot, window requests) as one line of text, for
	 * HC_PRINT_STATS (core/vcpu_dump.c). Called on v's own CPU. */
	void (*describe_events)(struct vcpu *v, char *buf, size_t len);

	/* Second-level address translation for a partition (NPT/EPT). prot is a
	 * mask of S2_READ/S2_WRITE/S2_EXEC; prot 0 unmaps. Backends build the
	 * tables with the shared walker arch/x86/paging/s2pt.h and supply only
	 * their entry encoding (struct s2pt_format). */
	int (*s2_init)(struct partition *p);
	int (*s2_map)(struct partition *p, gpa_t gpa, paddr_t hpa, uint64_t size, unsigned int prot);
	void (*s2_flush)(struct partition *p);
	void (*s2_destroy)(struct partition *p);
};

#define S2_READ 1u
#define S2_WRITE 2u
#define S2_EXEC 4u
#define S2_RWX (S2_READ | S2_WRITE | S2_EXEC)

/* The backend chosen at boot (core/vcpu.c). Written once by the boot CPU
 * before any other CPU starts; read-only afterwards. */
extern const struct vcpu_backend *vcpu_backend;

/* One "[name] vCPU n events: ..." line: what core and the backend hold for
 * interrupt and NMI delivery (HC_PRINT_STATS, on v's own CPU). When a
 * guest's interrupts stop coming, this says which of them waits and why. */
void vcpu_log_events(struct vcpu *v);
/* What the chosen backend can do (set with vcpu_backend at boot). */
extern const struct virt_caps *vcpu_caps;
extern const struct vcpu_backend svm_backend;
extern const struct vcpu_backend vmx_backend;

/* Arch-neutral helpers (core/vcpu.c). */
void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);
void vcpu_inject_irq(struct vcpu *v, uint8_t vector);
/* What to do with NMIs before an entry: inject the pending one if the
 * guest can take it now, otherwise leave it pending (the LAPIC keeps one)
 * and wait for the exit that ends the guest's NMI blocking. While an NMI
 * handler runs, NMIs are blocked until its IRET completes (SDM Vol. 3A
 * §6.7.1, APM Vol. 2 §8.2.7 "NMI"). */
enum nmi_step { NMI_NONE, NMI_INJECT, NMI_WAIT };
static inline enum nmi_step vcpu_nmi_step(bool nmi_pending, bool nmi_allowed)
{
	if (!nmi_pending)
		return NMI_NONE;
	return nmi_allowed ? NMI_INJECT : NMI_WAIT;
}
/* Is any external interrupt waiting for this vCPU? */
bool vcpu_irq_pending(const struct vcpu *v);
/* Mark an external interrupt pending and wake the vCPU if it halted. */
void vcpu_raise_irq(struct vcpu *v, uint8_t vector);
/* An interrupt controller has something for v: check before the next entry,
 * and wake v if it halted (core/sched.c). */
void vcpu_kick(struct vcpu *v);
/* Before entry: inject the highest pending interrupt if the guest can take
 * it now, otherwise ask for an interrupt-window exit. */
void vcpu_deliver_interrupts(struct vcpu *v);
/* INIT or a partition restart: drop every interrupt and event queued for
 * v (its own and the backend's). v is not running. */
void vcpu_clear_interrupts(struct vcpu *v);
/* INIT / start-up IPIs from the vCPU's local APIC: INIT sends an AP to
 * wait-for-SIPI, a SIPI starts a waiting AP. True if v->state changed. */
bool vcpu_handle_startup(struct vcpu *v);
/* The hypervisor completed the guest's instruction: RF clears, and a
 * single-step #DB is owed if TF is set (core/exc_reflect.h,
 * exc_single_step_due). Out of line: the common case tests one word. */
void vcpu_insn_done_slow(struct vcpu *v);
/* RFLAGS.TF and RFLAGS.RF (EXC_RFLAGS_TF, EXC_RFLAGS_RF: core/exc_reflect.h
 * includes this header, so they are spelt out here). */
#define VCPU_RFLAGS_TF_RF (BIT(8) | BIT(16))
static inline void vcpu_insn_done(struct vcpu *v)
{
	if (unlikely(v->rflags & VCPU_RFLAGS_TF_RF))
		vcpu_insn_done_slow(v);
}
/* Inject a single-step #DB (DR6.BS) now, after an instruction or one
 * iteration of a REP string instruction the hypervisor completed. */
void vcpu_inject_single_step(struct vcpu *v);
static inline void vcpu_advance_rip(struct vcpu *v)
{
	v->rip += v->exit.insn_len;
	vcpu_insn_done(v);
}
/* Fill sregs for a flat guest in the given mode (core/vcpu_modes.c). For
 * long mode, cr3 must point at page tables the loader built. */
void vcpu_sregs_for_mode(struct vcpu_sregs *s, enum vcpu_mode mode, uint64_t cr3);

#endif
