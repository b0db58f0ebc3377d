/* SPDX-License-Identifier: BSD-2-Clause */
/* Per-CPU data. Each host CPU owns one struct percpu; GS base points at it
 * (set in arch/x86/cpu/smp.c / boot), so this_cpu() is one load. Fields are
 * written only by the owning CPU unless a comment says otherwise. */
#ifndef BULKHEAD_CORE_PERCPU_H
#define BULKHEAD_CORE_PERCPU_H

#include "core/types.h"

#define MAX_CPUS 16
#define PERCPU_STACK_SIZE (32 * 1024)
#define PERCPU_IST_SIZE (4 * 1024)

struct vcpu;
struct partition;

struct percpu {
	struct percpu *self; /* offset 0: this_cpu() reads %gs:0 */
	unsigned int id;     /* 0 = boot CPU */
	uint32_t apic_id;
	bool online;

	/* Backend state for this CPU: SVM host save area / VMXON region. */
	paddr_t virt_area;
	paddr_t host_state_pa; /* SVM: host VMCB for VMSAVE/VMLOAD of FS/GS/TR */
	void *backend_data;    /* backend-private per-CPU data */

	struct vcpu *current; /* vCPU running here (in run_slice), else NULL */
	/* Set by any CPU: the vCPU running here gives way at the end of its
	 * current exit (a service task was queued here, or a vCPU homed here
	 * was woken). Read after every exit, so kept here, one load away. */
	volatile bool need_resched;
	struct vcpu *fpu_owner; /* whose x87/SSE state is in this CPU's registers */
	uint64_t slice_end_tsc; /* current vCPU's time slice ends (UINT64_MAX: no limit) */
	uint64_t spec_ctrl;     /* what IA32_SPEC_CTRL holds now (0 = the hypervisor's own) */
	/* The partition whose vCPU ran here last: a different one next
	 * means a partition switch (IBPB, arch/x86/cpu/spec.h). */
	const struct partition *last_part;

	/* Top of this CPU's hypervisor stack (the VM-exit path runs on it). */
	uint64_t stack_top;

	/* IST stacks for #DF, NMI, #MC (SDM Vol. 3A §6.14.5). */
	uint64_t ist_top[3];
	/* Host NMIs this CPU took, also those that arrived while a guest ran
	 * and were raised again after the exit (arch/x86/cpu/trap.c). */
	uint64_t host_nmis;
	uint64_t host_debug_traps; /* stray host #DBs disarmed (arch/x86/cpu/trap.c) */
};

/* Stacks of the application processors (the boot CPU keeps its boot stack,
 * arch/x86/boot/entry.S). The guard page below each is unmapped. */
struct percpu_stack {
	uint8_t guard[PAGE_SIZE];
	uint8_t stack[PERCPU_STACK_SIZE];
} __aligned(PAGE_SIZE);
extern struct percpu_stack percpu_stacks[MAX_CPUS];

/* The per-CPU array. Written by the boot CPU while bringing CPUs up; after
 * that each CPU writes only its own entry. */
extern struct percpu percpu_area[MAX_CPUS];
extern unsigned int nr_cpus_online;

static inline struct percpu *this_cpu(void)
{
#if defined(BULKHEAD_HYPERVISOR)
	struct percpu *p;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
#elif defined(BULKHEAD_FAKE_ARCH)
	/* tests/fake: each host thread plays one CPU (fake_cpu_bind). */
	extern __thread struct percpu *fake_arch_cpu;
	return fake_arch_cpu;
#else
	return &percpu_area[0];
#endif
}

/* This CPU's need_resched, for the exit paths: one GS-relative compare
 * instead of loading the percpu pointer first (GS base is this CPU's
 * struct percpu). */
static inline bool this_cpu_need_resched(void)
{
#if defined(BULKHEAD_HYPERVISOR)
	bool set;
	__asm__ volatile("cmpb $0, %%gs:%c1"
			 : "=@ccne"(set)
			 : "i"(__builtin_offsetof(struct percpu, need_resched)));
	return set;
#else
	return this_cpu()->need_resched;
#endif
}

#endif
