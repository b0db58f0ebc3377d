/* SPDX-License-Identifier: BSD-2-Clause */
/* The scheduler: one instance per host CPU, each running the vCPUs placed
 * on it and any queued device-service task (docs/architecture.md,
 * "Scheduling").
 *
 * Placement. Every vCPU is given a home CPU once, when the scheduler starts:
 * the least-loaded online CPU in its partition's affinity mask. A partition
 * whose mask names CPUs nobody else uses owns them (partitioned, as in
 * Jailhouse); partitions whose masks overlap share those CPUs by time
 * slices. vCPUs do not migrate.
 *
 * Choice. On its CPU, the highest-priority runnable vCPU runs; vCPUs of
 * equal priority take turns (round-robin). A vCPU runs until it halts,
 * yields, stops, has taken SLICE_EXITS exits, or its time slice ends
 * (SCHED_SLICE_NS, armed only when another vCPU of equal or higher priority
 * waits). The host LAPIC timer (arch/x86/hostdev/lapic.c) enforces the slice
 * end and the device-timer deadlines: it forces an EXIT_EXTINT.
 *
 * Device services. A virtio queue notification only queues the device's
 * service task (sched_service_kick) on a CPU that is home to one of the
 * partition's vCPUs: an idle one if there is one (woken by IPI, so the
 * work runs while the notifying vCPU goes on), else the current CPU,
 * which runs it as soon as the exit is handled. A task takes the locks it
 * needs (a virtio device takes its own, not the partition's: see
 * platform/pc/virtio_platform.c).
 * The partition pays for that work (issue 12), as for its restarts: a CPU
 * runs a partition's queued tasks in the turn and time slice of one of that
 * partition's vCPUs there, before the vCPU runs, or instead of it while it
 * halts (a vCPU with work queued for its partition is runnable for
 * pick_next). Each task runs once per pass: one that stops at its budget
 * and queues itself again waits for the next pass in the same slice, or
 * the partition's next turn. A kick preempts only a vCPU of the task's own
 * partition; another partition's vCPU keeps its slice (made finite if it
 * ran alone). Before, the tasks ran between slices, charged to nobody: one
 * notification bought a whole ring of 1 MiB disk writes, and a bystander
 * on the CPU got 17-28% of it (atk-blk-flood).
 *
 * Time. A partition's own timers (PIT, RTC, PM timer) are ticked by the
 * home CPU of its vCPU 0 ("timer CPU"); an interrupt they raise for a vCPU
 * elsewhere kicks that vCPU's CPU. Each vCPU's local APIC timer is ticked
 * by the vCPU's own home CPU, so the timer interrupt an SMP guest takes most
 * often costs no IPI.
 *
 * Cross-CPU kicks: vcpu_kick marks the vCPU, makes a halted one runnable
 * and sends HOST_KICK_VECTOR to its home CPU, which leaves the guest
 * (EXIT_EXTINT) or its HLT and looks again; if the kick woke a vCPU while
 * another runs there, that CPU hands over (need_resched), as for a wake on
 * the same CPU.
 *
 * Restarts. Only a RUNNING partition's vCPUs are picked or resumed: while
 * a restart rebuilds it (RESTARTING) they wait (core/lifecycle.h). The
 * rebuilding itself (zeroing RAM a chunk at a time, then reloading) is run
 * here, on the home CPU of the partition's vCPU 0, in the turns that vCPU
 * would have had: it competes for the CPU as that vCPU would, at the
 * partition's priority and in its time slices, so the partition pays for
 * its own restart (core/lib/restart_job.h).
 *
 * Console output. A partition's console bytes wait in its ring; the home
 * CPU of its vCPU 0 prints up to SCHED_CONSOLE_BYTES of lines at the start of
 * each of that vCPU's slices, inside the slice's time, and more when it
 * idles (docs/console.md). */
#include "arch/x86/cpu/cpu.h"
#include "core/spec_policy.h"
#include "arch/x86/cpu/tsc.h"
#include "core/console.h"
#include "core/exits.h"
#include "core/lib/string.h"
#include "core/log.h"
#include "core/partition.h"
#include "core/percpu.h"
#include "core/platform.h"
#include "core/sched.h"
#include "core/spinlock.h"
#include "arch/x86/hostdev/lapic.h"

#define SLICE_EXITS 256
/* vCPUs one CPU can host: every vCPU of every partition at most. */
#define SCHED_MAX_RQ (MAX_PARTITIONS * MAX_VCPUS_PER_PARTITION)

/* A guest can program a timer to expire every nanosecond (a LAPIC count of
 * 1, a PIT divisor of 2): never interrupt more often than this, or the CPU
 * would do nothing but take timer exits. Models coalesce what is missed. */
#define SCHED_MIN_TIMER_NS 20000ULL

/* Per-CPU scheduler state, indexed by percpu.id. Each entry is written only
 * by its own CPU, except `idle` (and percpu.need_resched), which others read and
 * set to decide whom to wake. The run queue is filled by the boot CPU in
 * place_vcpus() before any CPU schedules. */
struct sched_cpu {
	struct vcpu *rq[SCHED_MAX_RQ];
	unsigned int nr_rq;
	unsigned int rr_next;  /* round-robin position in rq */
	uint64_t deadline_tsc; /* earliest timer it ticks (partitions', its vCPUs') */
	volatile bool idle;    /* in HLT waiting for work */
	uint64_t services_run;
	/* Device-service tasks queued for this CPU (FIFO); any CPU appends. */
	spinlock_t service_lock;
	bool in_services; /* run_services_of is running (this CPU only) */
	struct service_task *service_head, *service_tail;
};

static struct sched_cpu sched_cpus[MAX_CPUS];

/* Set by the boot CPU once every vCPU is placed; APs wait for it. */
static volatile bool sched_started;

static void kick_cpu(struct percpu *c)
{
	if (c && c != this_cpu() && c->online)
		host_ipi_send(c->apic_id, HOST_KICK_VECTOR);
}

/* ---- placement --------------------------------------------------------- */

static uint32_t online_mask(void)
{
	uint32_t m = 0;
	for (unsigned int i = 0; i < MAX_CPUS; i++)
		if (percpu_area[i].online)
			m |= 1u << i;
	return m;
}

static struct percpu *least_loaded(uint32_t mask)
{
	struct percpu *best = NULL;
	for (unsigned int i = 0; i < MAX_CPUS; i++) {
		if (!(mask & (1u << i)))
			continue;
		if (!best || sched_cpus[i].nr_rq < sched_cpus[best->id].nr_rq)
			best = &percpu_area[i];
	}
	return best;
}

static void place_vcpu(struct vcpu *v)
{
	struct partition *p = v->part;
	uint32_t online = online_mask();
	uint32_t mask = (p->affinity ? p->affinity : online) & online;
	if (!mask) {
		pr_warn("[%s] affinity %#x names no online CPU: using CPU 0", p->name, p->affinity);
		mask = 1;
	}
	struct percpu *c = least_loaded(mask);
	struct sched_cpu *sc = &sched_cpus[c->id];
	v->home = c;
	sc->rq[sc->nr_rq++] = v;
}

static void place_vcpus(void)
{
	for (unsigned int i = 0; i < nr_partitions; i++) {
		struct partition *p = &partitions[i];
		for (unsigned int c = 0; c < p->nr_vcpus; c++)
			place_vcpu(p->vcpu[c]);
		if (p->nr_vcpus)
			pr_info("[%s] vCPUs on host CPU %u%s, priority %u", p->name,
				p->vcpu[0]->home->id, p->nr_vcpus > 1 ? " and others" : "",
				p->priority);
	}
}

/* ---- timers ------------------------------------------------------------ */

static bool ticks_here(const struct partition *p, const struct percpu *cpu)
{
	return p->nr_vcpus && p->vcpu[0]->home == cpu;
}

/* A partition's devices tick only while it runs: not while a restart
 * rebuilds it. */
static bool part_ticks(const struct partition *p)
{
	enum partition_state s = __atomic_load_n(&p->state, __ATOMIC_SEQ_CST);
	return s == PART_RUNNING || s == PART_READY;
}

static uint64_t partition_deadline_tsc(const struct partition *p)
{
	uint64_t ns = p->next_deadline_ns;
	if (!part_ticks(p) || ns == PART_NO_DEADLINE)
		return UINT64_MAX;
	return tsc_at_time_ns(p->start_ns + ns);
}

static uint64_t vcpu_deadline_tsc(const struct vcpu *v)
{
	uint64_t ns = v->timer_deadline_ns;
	if (!part_ticks(v->part) || ns == PART_NO_DEADLINE)
		return UINT64_MAX;
	return tsc_at_time_ns(v->part->start_ns + ns);
}

/* While another vCPU runs here, a runnable vCPU that waits for this CPU
 * can take no interrupt: its timers can wait for its own slice (the tick
 * at every slice boundary fires them; missed periodic ticks coalesce as on
 * a busy host). Arming the host timer for them would stop the running
 * vCPU for another partition's timers, in its own time: a partition with a
 * fast timer took 12% of a bystander's CPU so (atk-storm on VMX). A halted
 * vCPU still needs its timers to wake it. One-vCPU partitions only, for
 * the device timers: an SMP partition's devices may interrupt a vCPU that
 * runs or sleeps on another CPU. */
static bool waits_for_this_cpu(const struct percpu *cpu, const struct vcpu *v)
{
	return cpu->current && v != cpu->current && v->state == VCPU_RUNNABLE;
}

static bool devices_wait(const struct percpu *cpu, const struct partition *p)
{
	return p->nr_vcpus == 1 && waits_for_this_cpu(cpu, p->vcpu[0]);
}

static void recompute_deadline(struct percpu *cpu)
{
	struct sched_cpu *sc = &sched_cpus[cpu->id];
	uint64_t d = UINT64_MAX;
	for (unsigned int i = 0; i < nr_partitions; i++) {
		if (!ticks_here(&partitions[i], cpu))
			continue;
		if (!devices_wait(cpu, &partitions[i]))
			d = MIN(d, partition_deadline_tsc(&partitions[i]));
		uint64_t restart_ns = partition_restart_wait_until_ns(&partitions[i]);
		if (restart_ns != UINT64_MAX)
			d = MIN(d, tsc_at_time_ns(restart_ns)); /* a rate-limited restart */
	}
	for (unsigned int k = 0; k < sc->nr_rq; k++)
		if (!waits_for_this_cpu(cpu, sc->rq[k]))
			d = MIN(d, vcpu_deadline_tsc(sc->rq[k]));
	sc->deadline_tsc = d;
}

static void arm_host_timer(struct percpu *cpu)
{
	uint64_t t = MIN(sched_cpus[cpu->id].deadline_tsc, cpu->slice_end_tsc);
	if (t == UINT64_MAX) {
		if (host_timer_armed() != HOST_TIMER_OFF)
			host_timer_arm(HOST_TIMER_OFF);
		return;
	}
	t = MAX(t, rdtsc() + ns_to_tsc(SCHED_MIN_TIMER_NS));
	host_timer_arm(t);
}

/* A timer this CPU ticks now expires at d: re-arm if that is sooner. */
static void deadline_moved_here(struct percpu *cpu, uint64_t d)
{
	struct sched_cpu *sc = &sched_cpus[cpu->id];
	if (d >= sc->deadline_tsc)
		return;
	sc->deadline_tsc = d;
	arm_host_timer(cpu);
}

void sched_deadline_moved(struct partition *p)
{
	if (!p->nr_vcpus)
		return;
	if (!ticks_here(p, this_cpu())) {
		kick_cpu(p->vcpu[0]->home); /* its timer CPU recomputes when kicked */
		return;
	}
	deadline_moved_here(this_cpu(), partition_deadline_tsc(p));
}

void sched_vcpu_deadline_moved(struct vcpu *v)
{
	if (v->home != this_cpu()) {
		kick_cpu(v->home);
		return;
	}
	deadline_moved_here(this_cpu(), vcpu_deadline_tsc(v));
}

/* v is vCPU 0 of a partition whose restart has a step to do now: it
 * competes for the CPU as if it were runnable. */
static bool restart_due(const struct vcpu *v)
{
	return v == v->part->vcpu[0] && partition_restart_due(v->part, time_ns());
}

/* Runnable vCPUs on this CPU other than `running`. */
static unsigned int others_runnable(const struct sched_cpu *sc, const struct vcpu *running)
{
	unsigned int n = 0;
	for (unsigned int k = 0; k < sc->nr_rq; k++) {
		const struct vcpu *v = sc->rq[k];
		if (v == running)
			continue;
		/* A restart whose rate-limit wait just ended counts too, so the
		 * timer that ends the wait also ends an uncontended slice. */
		if ((v->state == VCPU_RUNNABLE && v->part->state != PART_STOPPED) || restart_due(v))
			n++;
	}
	return n;
}

/* Fire the due timers this CPU ticks: the partitions' device timers and
 * its own vCPUs' LAPIC timers. True if that made a vCPU here other than
 * `running` runnable (a timer's kick found it halted). */
static bool tick_timers(struct percpu *cpu, const struct vcpu *running)
{
	struct sched_cpu *sc = &sched_cpus[cpu->id];
	uint64_t now = rdtsc();
	if (now < sc->deadline_tsc)
		return false;
	unsigned int before = others_runnable(sc, running);
	for (unsigned int i = 0; i < nr_partitions; i++) {
		struct partition *p = &partitions[i];
		if (ticks_here(p, cpu) && partition_deadline_tsc(p) <= now)
			platform_tick(p);
	}
	for (unsigned int k = 0; k < sc->nr_rq; k++) {
		struct vcpu *v = sc->rq[k];
		if (vcpu_deadline_tsc(v) <= now)
			platform_tick_vcpu(v);
	}
	recompute_deadline(cpu);
	return others_runnable(sc, running) > before;
}

/* ---- kicks -------------------------------------------------------------- */

void vcpu_kick(struct vcpu *v)
{
	__atomic_store_n(&v->irq_any, true, __ATOMIC_SEQ_CST);
	enum vcpu_state halted = VCPU_HALTED;
	bool woke = __atomic_compare_exchange_n(&v->state, &halted, VCPU_RUNNABLE, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) ||
		    v->state == VCPU_WAIT_SIPI || /* a SIPI may be on its way */
		    v->state == VCPU_PARKED;      /* ... or an INIT */
	struct percpu *me = this_cpu();
	/* Woken while another vCPU runs on its home CPU: the running one may
	 * be spinning until it answers (an IPI for a TLB shootdown, an AP it
	 * just started, a guest lock the woken one holds), so the home CPU
	 * hands over at the end of its current exit. From another CPU the
	 * kick makes that exit happen; without need_resched the home CPU
	 * would resume the spinner, which runs without a time slice when it
	 * was alone at its start, until it has made SLICE_EXITS exits. */
	if (woke && v->home && v->home->current != v)
		v->home->need_resched = true;
	if (v->home != me)
		kick_cpu(v->home);
}

bool sched_vcpu_halt(struct vcpu *v)
{
	__atomic_store_n(&v->state, VCPU_HALTED, __ATOMIC_SEQ_CST);
	/* A kick between the caller's last check and the store above set
	 * irq_any first: take it back. */
	if (__atomic_load_n(&v->irq_any, __ATOMIC_SEQ_CST) && vcpu_irq_pending(v)) {
		v->state = VCPU_RUNNABLE;
		return false;
	}
	return true;
}

/* ---- device-service tasks ---------------------------------------------- */

/* Where a partition's device work runs: on a host CPU that is home to one
 * of its vCPUs, so a partition that owns CPUs (affinity) pays for its own
 * I/O and never takes time from another's, and a device is rarely shared
 * between CPUs. Among those: the current CPU or an idle one, else the
 * home of vCPU 0. */
static struct percpu *service_cpu(const struct partition *p)
{
	struct percpu *me = this_cpu(), *idle_cpu = NULL;
	bool mine = false;
	for (unsigned int i = 0; i < p->nr_vcpus; i++) {
		struct percpu *c = p->vcpu[i]->home;
		if (c == me)
			mine = true;
		else if (c && !idle_cpu && sched_cpus[c->id].idle)
			idle_cpu = c;
	}
	if (idle_cpu)
		return idle_cpu; /* runs at once, beside the vCPU that asked */
	if (mine || !p->nr_vcpus)
		return me;
	return p->vcpu[0]->home;
}

void sched_service_kick(struct service_task *t)
{
	uint32_t expected = 0;
	if (!__atomic_compare_exchange_n(&t->queued, &expected, 1, false, __ATOMIC_SEQ_CST,
					 __ATOMIC_SEQ_CST))
		return; /* already queued */
	struct percpu *c = service_cpu(t->part);
	struct sched_cpu *sc = &sched_cpus[c->id];
	spin_lock(&sc->service_lock);
	t->next = NULL;
	if (sc->service_tail)
		sc->service_tail->next = t;
	else
		sc->service_head = t;
	sc->service_tail = t;
	spin_unlock(&sc->service_lock);
	/* A vCPU of the task's partition running there gives its exit over to
	 * the task at once (in its own slice); another partition's vCPU keeps
	 * its slice (sched_host_interrupt ends it if it was unbounded); an
	 * idle CPU wakes. */
	struct vcpu *cur = __atomic_load_n(&c->current, __ATOMIC_ACQUIRE);
	/* (A task that queues itself again from run_services_of needs no
	 * resched: the slice's loop looks for more work after each exit.) */
	if (cur && cur->part == t->part && !(c == this_cpu() && sc->in_services))
		c->need_resched = true;
	if (c != this_cpu())
		kick_cpu(c);
	else if (cur && cur->part != t->part && c->slice_end_tsc == UINT64_MAX) {
		/* Kicked by the exit of another partition's vCPU that runs
		 * alone here: its slice ends, then the task's partition runs. */
		c->slice_end_tsc = rdtsc() + ns_to_tsc(SCHED_SLICE_NS);
		arm_host_timer(c);
	}
}

/* Unlinks from sc's queue, under its lock, the tasks of p (of_p) or those
 * of partitions no longer RUNNING (!of_p), and returns them as a list in
 * queue order. */
static struct service_task *unlink_services(struct sched_cpu *sc, const struct partition *p, bool of_p)
{
	struct service_task *out = NULL, **out_tail = &out;
	if (!__atomic_load_n(&sc->service_head, __ATOMIC_ACQUIRE))
		return NULL;
	spin_lock(&sc->service_lock);
	struct service_task **link = &sc->service_head, *last = NULL;
	while (*link) {
		struct service_task *t = *link;
		bool take = of_p ? t->part == p
				 : __atomic_load_n(&t->part->state, __ATOMIC_SEQ_CST) != PART_RUNNING;
		if (take) {
			*link = t->next;
			t->next = NULL;
			*out_tail = t;
			out_tail = &t->next;
		} else {
			last = t;
			link = &t->next;
		}
	}
	sc->service_tail = last;
	spin_unlock(&sc->service_lock);
	return out;
}

/* Is work queued on this CPU for p? */
static bool services_due(struct sched_cpu *sc, const struct partition *p)
{
	if (!__atomic_load_n(&sc->service_head, __ATOMIC_ACQUIRE))
		return false;
	bool due = false;
	spin_lock(&sc->service_lock);
	for (struct service_task *t = sc->service_head; t && !due; t = t->next)
		due = t->part == p;
	spin_unlock(&sc->service_lock);
	return due;
}

/* One pass over p's tasks queued here: each runs once, in the slice of the
 * vCPU of p the caller runs. What they queue again waits for the next pass. */
static void run_services_of(struct sched_cpu *sc, struct partition *p)
{
	struct service_task *t = unlink_services(sc, p, true);
	sc->in_services = true;
	while (t) {
		struct service_task *next = t->next;
		/* Clear first: a kick while it runs queues it again. */
		__atomic_store_n(&t->queued, 0, __ATOMIC_SEQ_CST);
		/* Only while RUNNING: a restart zeroes and reloads guest RAM
		 * and resets the devices, so work queued before it is void. */
		if (lifecycle_service_enter(&p->state, &p->services_active)) {
			t->run(t->ctx);
			lifecycle_service_leave(&p->services_active);
			t->runs++;
			sc->services_run++;
		}
		t = next;
	}
	sc->in_services = false;
}

/* Work queued for a partition that stopped or is restarting is void (its
 * RAM and devices are being reset), and no vCPU of it will come to run it. */
static void drop_stale_services(struct sched_cpu *sc)
{
	for (struct service_task *t = unlink_services(sc, NULL, false), *next; t; t = next) {
		next = t->next;
		__atomic_store_n(&t->queued, 0, __ATOMIC_SEQ_CST);
	}
}

/* ---- choosing and running ---------------------------------------------- */

/* Only a RUNNING partition's vCPUs run: while another CPU restarts it
 * (RESTARTING) its RAM, devices and vCPU 0 are being rebuilt, and a vCPU of
 * it whose state a late exit or kick made runnable again must wait. */
static bool part_runs(const struct partition *p)
{
	return __atomic_load_n(&p->state, __ATOMIC_SEQ_CST) == PART_RUNNING;
}

static bool can_run(struct vcpu *v)
{
	if (!part_runs(v->part))
		return false;
	if ((v->state == VCPU_WAIT_SIPI || v->state == VCPU_PARKED) && v->irq_any) {
		v->irq_any = false;
		vcpu_handle_startup(v);
		/* An NMI ends HLT whatever RFLAGS.IF says (SDM Vol. 2A HLT),
		 * unless the HLT is in an NMI handler (NMIs blocked). */
		if (v->state == VCPU_PARKED && v->part->platform && platform_nmi(v, false) &&
		    vcpu_backend->nmi_allowed(v)) {
			v->irq_any = true;
			v->state = VCPU_RUNNABLE;
		}
	}
	return v->state == VCPU_RUNNABLE;
}

/* The next vCPU to run here: highest priority first, round-robin among
 * equals starting after the one that ran last. *contenders counts the other
 * runnable vCPUs of that priority or above (they need a time slice). */
static struct vcpu *pick_next(struct sched_cpu *sc, unsigned int *contenders)
{
	struct vcpu *best = NULL;
	unsigned int best_pos = 0, n = 0;
	*contenders = 0;
	for (unsigned int k = 0; k < sc->nr_rq; k++) {
		unsigned int pos = (sc->rr_next + k) % sc->nr_rq;
		struct vcpu *v = sc->rq[pos];
		if (v->part->state == PART_READY) {
			/* Its first run; a stop may have come first (core/lifecycle.h). */
			enum partition_state ready = PART_READY;
			__atomic_compare_exchange_n(&v->part->state, &ready, PART_RUNNING, false,
						    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		}
		if (!can_run(v) && !restart_due(v) &&
		    !(part_runs(v->part) && services_due(sc, v->part)))
			continue;
		n++;
		if (!best || v->part->priority > best->part->priority) {
			best = v;
			best_pos = pos;
		}
	}
	if (!best)
		return NULL;
	for (unsigned int k = 0; k < sc->nr_rq; k++) {
		struct vcpu *v = sc->rq[k];
		if (v != best && v->part->priority >= best->part->priority &&
		    ((v->state == VCPU_RUNNABLE && v->part->state == PART_RUNNING) || restart_due(v) ||
		     (v->part->state == PART_RUNNING && v->part != best->part &&
		      services_due(sc, v->part))))
			(*contenders)++;
	}
	(void)n;
	sc->rr_next = (best_pos + 1) % sc->nr_rq;
	return best;
}

enum exit_action sched_host_interrupt(struct vcpu *v)
{
	struct percpu *cpu = this_cpu();
	struct sched_cpu *sc = &sched_cpus[cpu->id];
	/* Let the host IDT handler run (it acknowledges the timer or kick). */
	cpu_irq_window();
	recompute_deadline(cpu);
	bool woke_other = tick_timers(cpu, v);
	if (!part_runs(v->part) || v->state != VCPU_RUNNABLE)
		return EXIT_ACTION_STOPPED;
	/* Work queued here for another partition: this vCPU keeps its slice,
	 * which must end even if it ran alone. */
	if (sc->service_head && cpu->slice_end_tsc == UINT64_MAX)
		cpu->slice_end_tsc = rdtsc() + ns_to_tsc(SCHED_SLICE_NS);
	if (woke_other || cpu->need_resched || rdtsc() >= cpu->slice_end_tsc) {
		cpu->need_resched = false;
		return EXIT_ACTION_YIELD;
	}
	/* A kick may have made a better vCPU runnable here. */
	for (unsigned int k = 0; k < sc->nr_rq; k++) {
		struct vcpu *o = sc->rq[k];
		if (o != v && o->state == VCPU_RUNNABLE && o->part->state != PART_STOPPED &&
		    o->part->priority > v->part->priority)
			return EXIT_ACTION_YIELD;
	}
	arm_host_timer(cpu);
	return EXIT_ACTION_RESUME;
}

/* The x87/SSE power-on state as an FXSAVE image (SDM Vol. 3A §9.1.1, Table
 * 9-1; layout: SDM Vol. 1 §10.5.1, Table 10-2): FCW 0x37F, MXCSR 0x1F80,
 * every tag empty and ST0-ST7, XMM0-XMM15 zero. A vCPU that never ran gets
 * it by FXRSTOR: FNINIT alone would leave the last vCPU's ST and XMM
 * contents in the registers for the new one to read (atk-fpu found that).
 * A restart clears fpu_valid, so the restarted partition starts from it
 * too, as after RESET, even where its registers are still loaded. */
#define FX_FCW_OFFSET 0
#define FX_MXCSR_OFFSET 24
#define FCW_POWER_ON 0x037Fu
#define MXCSR_POWER_ON 0x1F80u
static const uint8_t fpu_power_on_image[512] __aligned(16) = {
	[FX_FCW_OFFSET] = FCW_POWER_ON & 0xFF,
	[FX_FCW_OFFSET + 1] = FCW_POWER_ON >> 8,
	[FX_MXCSR_OFFSET] = MXCSR_POWER_ON & 0xFF,
	[FX_MXCSR_OFFSET + 1] = MXCSR_POWER_ON >> 8,
};

/* The host keeps EFER.FFXSR clear, so FXSAVE/FXRSTOR at CPL 0 in 64-bit
 * mode move XMM0-XMM15 too (AMD APM Vol. 4, FXSAVE). */
static void fpu_switch_to(struct percpu *cpu, struct vcpu *v)
{
	struct vcpu *old = cpu->fpu_owner;
	if (old == v && v->fpu_valid)
		return;
	if (old && old != v)
		__asm__ volatile("fxsave64 %0" : "=m"(old->fpu_state));
	if (!v->fpu_valid) {
		bh_memcpy(v->fpu_state, fpu_power_on_image, sizeof(v->fpu_state));
		v->fpu_valid = true;
	}
	__asm__ volatile("fxrstor64 %0" : : "m"(v->fpu_state));
	cpu->fpu_owner = v;
}

/* A slice of a restart's work instead of the vCPU: as long as the vCPU's
 * slice would have been (SCHED_SLICE_NS when alone, so the CPU still polls
 * the console and looks at its timers between slices). */
static void run_restart_slice(struct percpu *cpu, struct vcpu *v, bool contended)
{
	uint64_t start = rdtsc();
	uint64_t end = start + ns_to_tsc(SCHED_SLICE_NS);
	cpu->slice_end_tsc = contended ? end : UINT64_MAX;
	partition_consoles_drain(v->part, SCHED_CONSOLE_BYTES, end, false);
	partition_restart_work(v->part, end);
	v->run_tsc += rdtsc() - start;
}

/* The slice v's partition gets when others wait: SCHED_SLICE_NS less what
 * its earlier turns overran (a device-service pass runs to its budget even
 * past the slice's end). 0 means it skips this turn to pay a whole slice
 * back. Alone on the CPU, it owes nothing. */
static uint64_t slice_for(struct vcpu *v, bool contended)
{
	struct partition *p = v->part;
	uint64_t slice = ns_to_tsc(SCHED_SLICE_NS);
	uint64_t owed = __atomic_load_n(&p->slice_overrun_tsc, __ATOMIC_RELAXED);
	if (!contended || !owed) {
		if (owed)
			__atomic_store_n(&p->slice_overrun_tsc, 0, __ATOMIC_RELAXED);
		return slice;
	}
	uint64_t take = MIN(owed, slice);
	__atomic_fetch_sub(&p->slice_overrun_tsc, take, __ATOMIC_RELAXED);
	return slice - take;
}

static void run_slice(struct percpu *cpu, struct sched_cpu *sc, struct vcpu *v, bool contended)
{
	if (v->state != VCPU_RUNNABLE && restart_due(v)) {
		run_restart_slice(cpu, v, contended);
		return;
	}
	cpu->current = v;
	v->cpu = cpu;
	__atomic_store_n(&v->on_cpu, true, __ATOMIC_SEQ_CST);
	/* Alone on the CPU, a vCPU needs no slice timer (which keeps the
	 * -icount benchmarks free of timer exits). */
	uint64_t slice = slice_for(v, contended);
	if (!slice) {
		cpu->current = NULL;
		__atomic_store_n(&v->on_cpu, false, __ATOMIC_SEQ_CST);
		return; /* this turn repays an overrun */
	}
	uint64_t start = rdtsc();
	cpu->slice_end_tsc = contended ? start + slice : UINT64_MAX;
	/* Its partition's console output, in its own slice's time. */
	if (v == v->part->vcpu[0])
		partition_consoles_drain(v->part, SCHED_CONSOLE_BYTES, cpu->slice_end_tsc, false);
	recompute_deadline(cpu); /* without the timers that wait for their slice */
	arm_host_timer(cpu);
	fpu_switch_to(cpu, v);
	/* Another partition's vCPU ran here last: what it trained the branch
	 * predictors with must not steer this one (core/spec_policy.h). */
	if (unlikely(cpu->last_part != v->part)) {
		if (cpu->last_part)
			spec_partition_switch();
		cpu->last_part = v->part;
	}
	if (vcpu_backend->load)
		vcpu_backend->load(v);
	/* Its partition's device work first, in this slice; then the vCPU,
	 * and the work its exits queue meanwhile, until the slice ends.
	 * Checked after on_cpu is set: a restart that stores RESTARTING and
	 * then reads on_cpu false cannot miss a vCPU entering here. */
	run_services_of(sc, v->part);
	while (part_runs(v->part) && v->state == VCPU_RUNNABLE) {
		vcpu_run_exits(v, SLICE_EXITS);
		if (rdtsc() >= cpu->slice_end_tsc || !services_due(sc, v->part))
			break;
		run_services_of(sc, v->part);
	}
	uint64_t end = rdtsc();
	v->run_tsc += end - start;
	if (contended && end > cpu->slice_end_tsc)
		__atomic_fetch_add(&v->part->slice_overrun_tsc, end - cpu->slice_end_tsc,
				   __ATOMIC_RELAXED);
	cpu->current = NULL;
	__atomic_store_n(&v->on_cpu, false, __ATOMIC_SEQ_CST);
}

/* Console output of the partitions whose vCPU 0 lives here (a halted guest's
 * last lines, a stopped one's are flushed at its stop). True if it printed. */
static bool idle_drain_consoles(struct percpu *cpu)
{
	bool printed = false;
	for (unsigned int i = 0; i < nr_partitions; i++)
		if (ticks_here(&partitions[i], cpu) &&
		    partition_consoles_drain(&partitions[i], SCHED_CONSOLE_BYTES, UINT64_MAX, false))
			printed = true;
	return printed;
}

/* Nothing runnable: sleep until the next device deadline, a kick, or (on
 * the boot CPU, which polls the console) the poll interval. */
static void idle(struct percpu *cpu, struct sched_cpu *sc)
{
	if (idle_drain_consoles(cpu))
		return; /* look for work again before sleeping */
	cpu->slice_end_tsc = cpu->id == 0 ? rdtsc() + ns_to_tsc(SCHED_IDLE_POLL_NS) : UINT64_MAX;
	arm_host_timer(cpu);
	sc->idle = true;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* Work queued before `idle` was visible did not wake us: look again
	 * (interrupts are off, so a kick after this point ends the HLT). */
	if (!sc->service_head && !cpu->need_resched &&
	    rdtsc() < MIN(sc->deadline_tsc, cpu->slice_end_tsc))
		cpu_wait_for_interrupt();
	sc->idle = false;
	cpu->need_resched = false;
}

/* A partition is gone once its stop is reported: another CPU may still be
 * printing its last lines and statistics after setting it STOPPED. */
static bool any_alive(void)
{
	for (unsigned int i = 0; i < nr_partitions; i++)
		if (!__atomic_load_n(&partitions[i].stop_reported, __ATOMIC_ACQUIRE))
			return true;
	return false;
}

/* Can anything ever wake a vCPU again: a timer, or a service or vCPU on
 * another CPU that could kick one? (Only the boot CPU decides.) */
static bool wakeable(void)
{
	for (unsigned int i = 0; i < MAX_CPUS; i++) {
		if (!percpu_area[i].online)
			continue;
		if (sched_cpus[i].deadline_tsc != UINT64_MAX)
			return true;
		if (i != 0 && !sched_cpus[i].idle)
			return true;
	}
	for (unsigned int i = 0; i < nr_partitions; i++) {
		struct partition *p = &partitions[i];
		if (p->state == PART_RESTARTING)
			return true;
		for (unsigned int c = 0; p->state != PART_STOPPED && c < p->nr_vcpus; c++)
			if (p->vcpu[c]->state == VCPU_RUNNABLE)
				return true;
	}
	for (unsigned int i = 0; i < MAX_CPUS; i++)
		if (sched_cpus[i].service_head)
			return true;
	return false;
}

static void stop_idle_partitions(void)
{
	for (unsigned int i = 0; i < nr_partitions; i++)
		if (partitions[i].state != PART_STOPPED)
			partition_stop(&partitions[i], true,
				       "idle: every vCPU halted and no interrupt source can wake it");
}

/* One scheduling pass on this CPU. False when nothing was runnable. */
static bool schedule_once(struct percpu *cpu, struct sched_cpu *sc)
{
	unsigned int contenders;
	drop_stale_services(sc);
	recompute_deadline(cpu);
	tick_timers(cpu, NULL);
	struct vcpu *v = pick_next(sc, &contenders);
	if (!v)
		return false;
	run_slice(cpu, sc, v, contenders > 0);
	return true;
}

static void sched_loop(bool boot_cpu)
{
	struct percpu *cpu = this_cpu();
	struct sched_cpu *sc = &sched_cpus[cpu->id];
	unsigned int idle_rounds = 0;

	for (;;) {
		if (boot_cpu) {
			console_poll_input();
			if (!any_alive())
				break;
		}
		if (schedule_once(cpu, sc)) {
			idle_rounds = 0;
			continue;
		}
		if (boot_cpu && !wakeable() && ++idle_rounds > 1) {
			stop_idle_partitions();
			continue;
		}
		idle(cpu, sc);
	}
	host_timer_arm(HOST_TIMER_OFF);
}

void sched_run(void)
{
	place_vcpus();
	for (unsigned int i = 0; i < MAX_CPUS; i++)
		if (percpu_area[i].online)
			recompute_deadline(&percpu_area[i]);
	__atomic_store_n(&sched_started, true, __ATOMIC_SEQ_CST);
	for (unsigned int i = 1; i < MAX_CPUS; i++)
		kick_cpu(&percpu_area[i]);
	sched_loop(true);
}

void sched_ap_main(void)
{
	/* Wait (halted: the boot CPU kicks) until every vCPU is placed. */
	while (!__atomic_load_n(&sched_started, __ATOMIC_ACQUIRE))
		cpu_wait_for_interrupt();
	irq_disable();
	recompute_deadline(this_cpu());
	sched_loop(false);
}

void sched_restart_queued(struct partition *p)
{
	if (!p->nr_vcpus)
		return;
	struct percpu *home = p->vcpu[0]->home;
	if (home && home != this_cpu()) {
		home->need_resched = true;
		kick_cpu(home); /* it recomputes its timers and picks the work */
	}
}

uint64_t sched_services_run(unsigned int cpu)
{
	return cpu < MAX_CPUS ? sched_cpus[cpu].services_run : 0;
}
