/* Round-robin over the runnable vCPUs of all partitions on the boot CPU.
 *
 * A vCPU runs until it halts, yields, stops, has taken SLICE_EXITS exits or
 * its time slice (SCHED_SLICE_NS, only when another vCPU is runnable) ends.
 * Emulated device timers (PIT, RTC, a guest's LAPIC timer) are driven from
 * here: the host LAPIC timer (drivers/irqchip/lapic.c) is armed for the
 * earliest of the slice end and every partition's next device deadline, so
 * the guest exits (EXIT_EXTINT) in time and platform_tick() fires the timer.
 * When nothing is runnable the CPU sleeps in HLT until that deadline.
 * (Several host CPUs and priorities are the scheduler issue's work.) */
#include "arch/x86/cpu/cpu.h"
#include "arch/x86/cpu/tsc.h"
#include "core/console.h"
#include "core/exits.h"
#include "core/log.h"
#include "core/partition.h"
#include "core/percpu.h"
#include "core/platform.h"
#include "core/sched.h"
#include "drivers/irqchip/lapic.h"
#include "drivers/vdev/vdev.h"

#define SLICE_EXITS 256

/* The earliest device deadline over all partitions, as a TSC value. Kept by
 * the boot CPU (the only CPU that runs partitions today). */
static uint64_t deadline_tsc = UINT64_MAX;

static uint64_t partition_deadline_tsc(const struct partition *p)
{
	if (p->state == PART_STOPPED || p->next_deadline_ns == VDEV_NO_DEADLINE)
		return UINT64_MAX;
	return tsc_at_time_ns(p->start_ns + p->next_deadline_ns);
}

static void recompute_deadline(void)
{
	uint64_t d = UINT64_MAX;
	for (unsigned int i = 0; i < nr_partitions; i++)
		d = MIN(d, partition_deadline_tsc(&partitions[i]));
	deadline_tsc = d;
}

/* A guest can program a timer to expire every nanosecond (a LAPIC count of
 * 1, a PIT divisor of 2): never interrupt more often than this, or the CPU
 * would do nothing but take timer exits. Models coalesce what is missed. */
#define SCHED_MIN_TIMER_NS 20000ULL

static void arm_host_timer(struct percpu *cpu)
{
	uint64_t t = MIN(deadline_tsc, cpu->slice_end_tsc);
	if (t == UINT64_MAX) {
		if (host_timer_armed() != HOST_TIMER_OFF)
			host_timer_arm(HOST_TIMER_OFF);
		return;
	}
	t = MAX(t, rdtsc() + ns_to_tsc(SCHED_MIN_TIMER_NS));
	host_timer_arm(t);
}

void sched_deadline_moved(struct partition *p)
{
	uint64_t d = partition_deadline_tsc(p);
	if (d >= deadline_tsc)
		return;
	deadline_tsc = d;
	arm_host_timer(this_cpu());
}

/* Fire the due device timers of every partition. True if a vCPU other than
 * `running` became runnable (so the running one should make room). */
static bool tick_partitions(const struct vcpu *running)
{
	uint64_t now = rdtsc();
	bool woke_other = false;
	if (now < deadline_tsc)
		return false;
	for (unsigned int i = 0; i < nr_partitions; i++) {
		struct partition *p = &partitions[i];
		if (partition_deadline_tsc(p) > now)
			continue;
		platform_tick(p);
		for (unsigned int c = 0; c < p->nr_vcpus; c++)
			if (p->vcpu[c] != running && p->vcpu[c]->state == VCPU_RUNNABLE)
				woke_other = true;
	}
	recompute_deadline();
	return woke_other;
}

void vcpu_kick(struct vcpu *v)
{
	v->irq_any = true;
	if (v->state == VCPU_HALTED)
		v->state = VCPU_RUNNABLE;
}

enum exit_action sched_host_interrupt(struct vcpu *v)
{
	struct percpu *cpu = this_cpu();
	/* Let the host IDT handler run (it acknowledges the host timer). */
	__asm__ volatile("sti; nop; cli" ::: "memory");
	bool woke_other = tick_partitions(v);
	if (v->part->state == PART_STOPPED)
		return EXIT_ACTION_STOPPED;
	if (woke_other || rdtsc() >= cpu->slice_end_tsc)
		return EXIT_ACTION_YIELD;
	arm_host_timer(cpu);
	return EXIT_ACTION_RESUME;
}

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

static void run_slice(struct vcpu *v, bool others_runnable)
{
	struct percpu *cpu = this_cpu();
	cpu->current = v;
	v->cpu = cpu;
	/* Alone on the CPU, a vCPU needs no slice timer (which keeps the
	 * -icount benchmarks free of timer exits). */
	cpu->slice_end_tsc = others_runnable ? rdtsc() + ns_to_tsc(SCHED_SLICE_NS) : UINT64_MAX;
	arm_host_timer(cpu);
	fpu_switch_to(cpu, v);
	vcpu_run_exits(v, SLICE_EXITS);
}

static unsigned int count_runnable(void)
{
	unsigned int n = 0;
	for (unsigned int i = 0; i < nr_partitions; i++) {
		struct partition *p = &partitions[i];
		if (p->state == PART_STOPPED)
			continue;
		for (unsigned int c = 0; c < p->nr_vcpus; c++)
			n += p->vcpu[c]->state == VCPU_RUNNABLE;
	}
	return n;
}

/* Nothing is runnable: sleep until the next device deadline (or the console
 * poll interval) and fire the timers. False if nothing can ever wake a vCPU. */
static bool idle(void)
{
	struct percpu *cpu = this_cpu();
	if (deadline_tsc == UINT64_MAX)
		return false;
	cpu->slice_end_tsc = rdtsc() + ns_to_tsc(SCHED_IDLE_POLL_NS);
	arm_host_timer(cpu);
	if (rdtsc() < MIN(deadline_tsc, cpu->slice_end_tsc))
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	tick_partitions(NULL);
	return true;
}

static void stop_idle_partitions(void)
{
	for (unsigned int i = 0; i < nr_partitions; i++)
		if (partitions[i].state != PART_STOPPED)
			partition_stop(&partitions[i], true,
				       "idle: every vCPU halted and no interrupt source can wake it");
}

void sched_run(void)
{
	recompute_deadline();
	for (;;) {
		bool alive = false, ran = false;
		console_poll_input();
		for (unsigned int i = 0; i < nr_partitions; i++) {
			struct partition *p = &partitions[i];
			if (p->state == PART_STOPPED)
				continue;
			alive = true;
			if (p->state == PART_READY)
				p->state = PART_RUNNING;
			for (unsigned int c = 0; c < p->nr_vcpus && p->state != PART_STOPPED; c++) {
				struct vcpu *v = p->vcpu[c];
				if (v->state != VCPU_RUNNABLE)
					continue;
				ran = true;
				run_slice(v, count_runnable() > 1);
				tick_partitions(NULL);
			}
		}
		if (!alive)
			break;
		if (ran)
			continue;
		if (!idle())
			stop_idle_partitions();
	}
	host_timer_arm(HOST_TIMER_OFF);
}
