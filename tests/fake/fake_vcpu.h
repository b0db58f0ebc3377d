/* SPDX-License-Identifier: BSD-2-Clause */
/* The fake vCPU backend: a struct vcpu_backend whose run() does not enter
 * a guest but returns the next exit of a script, already decoded into the
 * arch-neutral record (core/exit.h), as the SVM and VMX backends do. It
 * records what the core did between exits: the registers and RIP the
 * "guest" would resume with, the events injected, interrupt-window
 * requests, stage-2 mappings. docs/testing.md, "The fake backend".
 *
 * A script step is one exit; before it, the "guest" may set registers (as
 * the instructions before the exiting one would) and spends `ns` of guest
 * time. Host interrupts are not scripted: a pending kick or an expired host
 * timer on the fake CPU (tests/fake/fake_arch.h) makes run() return
 * EXIT_EXTINT instead, before the step, like the hardware. So is an
 * interrupt window the core asked for once the guest has RFLAGS.IF set.
 *
 *     struct fake_step *s = fake_push(v, EXIT_CPUID, 2);  // CPUID: 0F A2
 *     fake_step_gpr(s, GPR_RAX, 1);
 *     ... run the core (vcpu_run_exits, sched_run) ...
 *     fake_entry(v, 1)->rip   // where the core resumed the guest
 *
 * When the script is used up, run() returns EXIT_ENTRY_FAILED ("fake:
 * script exhausted"), which stops the partition with one line; a test that
 * wants more exits pushes them first, or sets a generator. */
#ifndef BULKHEAD_TESTS_FAKE_VCPU_H
#define BULKHEAD_TESTS_FAKE_VCPU_H

#include "core/exit.h"
#include "core/vcpu.h"

#define FAKE_SCRIPT_MAX 256
#define FAKE_ENTRIES_KEPT 256 /* entries recorded per vCPU (the first ones) */
#define FAKE_EVENTS_KEPT 64
#define FAKE_STEP_NS 1000ULL  /* default guest time before an exit */
#define FAKE_RUN_LOG_MAX 8192 /* the global order of runs */
#define FAKE_SCRIPT_EXHAUSTED "fake: script exhausted"

struct fake_step {
	struct vm_exit exit; /* exit.rip is filled in with the guest RIP */
	uint64_t ns;         /* guest time spent before the exit */
	uint32_t set_gprs;   /* bit per enum gpr: set from gpr[] first */
	uint64_t gpr[GPR_COUNT];
	bool set_rflags;
	uint64_t rflags;
	/* Host time (pause loops) run() takes to return this exit, as a
	 * world switch does: widens the window in which another CPU acts
	 * between the guest's request and its handling (race tests). */
	unsigned int return_spins;
};

/* What the guest would have been entered with, per run() call. */
struct fake_entry {
	uint64_t rip, rflags;
	uint64_t gpr[GPR_COUNT];
	unsigned int cpu;        /* host CPU id */
	enum exit_reason reason; /* the exit this entry ended with */
};

/* A generator called when the script is empty: fill *s and return true, or
 * return false to end (script exhausted). */
typedef bool (*fake_gen_fn)(struct vcpu *v, struct fake_step *s, void *ctx);

struct fake_vcpu {
	struct vcpu *v;
	struct vcpu_sregs sregs;
	unsigned int sregs_writes;

	struct fake_step script[FAKE_SCRIPT_MAX];
	unsigned int nr_steps, next_step;
	uint64_t step_ns_left; /* guest time left before the next step's exit */
	bool step_started;
	fake_gen_fn gen;
	void *gen_ctx;

	/* The event slot (one pending event, as in the VMCB/VMCS). */
	bool event_pending;
	struct vcpu_event event;
	unsigned int event_overwrites; /* inject() while the slot was taken: a core bug */
	bool intr_window;              /* the core asked for an interrupt-window exit */
	unsigned int window_requests;
	unsigned int clear_events;
	bool sti_shadow; /* interruptible() false even with IF set */

	/* Like the SVM backend, offer each exit to core's fast path
	 * (vcpu_exit_fast) and enter again while it says so; hook_returns
	 * counts the returns to the run loop. */
	bool fast_path;
	unsigned int hook_returns;
	/* Like the VMX backend when a handler left it unable to enter again
	 * (a refused guest state, another VMCS current): after the exit that
	 * ends run number unwind_at_run (1 = the first), a fast-path "handled"
	 * is handed back to the loop with vcpu_exit_fast_unwind. */
	unsigned int unwind_at_run, unwinds;

	/* Records. */
	unsigned int runs, loads;
	struct fake_entry entries[FAKE_ENTRIES_KEPT];
	struct vcpu_event delivered[FAKE_EVENTS_KEPT]; /* events taken at entry */
	unsigned int nr_delivered;
	unsigned int extints; /* EXIT_EXTINT returned for a host interrupt */
	/* write_guest_msr: the last MSR core stored in the guest state. */
	uint32_t guest_msr_index;
	uint64_t guest_msr_value;
	unsigned int guest_msr_writes;
};

/* The backend (vcpu_backend after fake_arch_init). */
extern const struct vcpu_backend fake_backend;
void fake_backend_select(void);

struct fake_vcpu *fake_vcpu_of(const struct vcpu *v);
/* Append a step (exit reason r, instruction length len) to v's script. */
struct fake_step *fake_push(struct vcpu *v, enum exit_reason r, uint8_t len);
void fake_step_gpr(struct fake_step *s, enum gpr r, uint64_t val);
void fake_step_rflags(struct fake_step *s, uint64_t rflags);
void fake_set_generator(struct vcpu *v, fake_gen_fn gen, void *ctx);
/* Steps of v's script not taken yet. */
unsigned int fake_steps_left(const struct vcpu *v);
/* The n-th entry into v (0 = the first run() call). */
const struct fake_entry *fake_entry(const struct vcpu *v, unsigned int n);

/* Common exits, decoded as a backend would. */
struct fake_step *fake_push_cpuid(struct vcpu *v, uint32_t leaf, uint32_t subleaf);
struct fake_step *fake_push_io(struct vcpu *v, uint16_t port, uint8_t size, bool in, uint64_t rax);
struct fake_step *fake_push_mmio(struct vcpu *v, uint64_t gpa, bool write, uint8_t len);
struct fake_step *fake_push_msr(struct vcpu *v, uint32_t index, bool write, uint64_t val);
struct fake_step *fake_push_hlt(struct vcpu *v, bool interrupts_on);
struct fake_step *fake_push_hypercall(struct vcpu *v, uint8_t cpl, uint64_t nr, uint64_t a1,
				      uint64_t a2);

/* Every run() call in order, over all vCPUs: (partition id, vCPU id). */
struct fake_run {
	unsigned int part, vcpu, cpu;
	enum exit_reason reason;
	uint64_t tsc_end; /* the fake TSC when the exit was taken */
};
unsigned int fake_runs(void);
const struct fake_run *fake_run_at(unsigned int i);

/* Stage-2 mappings the core made for partition p (fake s2_map calls). */
struct fake_s2_map {
	gpa_t gpa;
	paddr_t hpa;
	uint64_t size;
	unsigned int prot;
};
unsigned int fake_s2_maps(const struct partition *p, const struct fake_s2_map **maps);

#endif
