/* Round-robin over the runnable vCPUs of all partitions on the boot CPU: a
 * vCPU runs until it halts, yields, stops, or has taken SLICE_EXITS exits.
 * (Time slices driven by a timer and several host CPUs are the scheduler
 * issue's work.) */
#include "core/exits.h"
#include "core/log.h"
#include "core/partition.h"
#include "core/percpu.h"
#include "core/sched.h"

#define SLICE_EXITS 256

static void fpu_switch_to(struct percpu *cpu, struct vcpu *v)
{
	struct vcpu *old = cpu->fpu_owner;
	if (old == v)
		return;
	if (old)
		__asm__ volatile("fxsave64 %0" : "=m"(old->fpu_state));
	if (v->fpu_valid) {
		__asm__ volatile("fxrstor64 %0" : : "m"(v->fpu_state));
	} else {
		/* Power-on state: FCW 0x37f, MXCSR 0x1f80 (SDM Vol. 3A §9.1.1). */
		uint32_t mxcsr = 0x1f80;
		__asm__ volatile("fninit; ldmxcsr %0" : : "m"(mxcsr));
		v->fpu_valid = true;
	}
	cpu->fpu_owner = v;
}

static void run_slice(struct vcpu *v)
{
	struct percpu *cpu = this_cpu();
	cpu->current = v;
	v->cpu = cpu;
	fpu_switch_to(cpu, v);
	vcpu_run_exits(v, SLICE_EXITS);
}

void sched_run(void)
{
	for (;;) {
		bool alive = false, ran = false;
		for (unsigned int i = 0; i < nr_partitions; i++) {
			struct partition *p = &partitions[i];
			if (p->state == PART_STOPPED)
				continue;
			alive = true;
			p->state = PART_RUNNING;
			for (unsigned int c = 0; c < p->nr_vcpus && p->state != PART_STOPPED; c++) {
				struct vcpu *v = p->vcpu[c];
				if (v->state != VCPU_RUNNABLE)
					continue;
				ran = true;
				run_slice(v);
			}
		}
		if (!alive)
			return;
		if (ran)
			continue;
		/* Every live vCPU is halted and nothing (no emulated timer or
		 * interrupt source yet) can wake them: say so rather than hang. */
		for (unsigned int i = 0; i < nr_partitions; i++)
			if (partitions[i].state != PART_STOPPED)
				partition_stop(&partitions[i], true,
					       "idle: every vCPU halted and no interrupt source can wake it");
	}
}
