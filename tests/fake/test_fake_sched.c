/* The scheduler (core/sched.c) on one fake CPU: sched_run() places the
 * vCPUs and runs them until every partition has stopped; the fake host
 * timer ends time slices (EXIT_EXTINT), as the host LAPIC does. */
#include <stdio.h>
#include <stdlib.h>

#include "tests/fake/fake_fixture.h"

#define SLICE_STEP_NS 4000000ULL /* guest time per exit: 2.5 exits per 10 ms slice */
#define STEPS 12

static const uint8_t image[] = { 0x90, 0x90, 0x90, 0x90 };

TestSuite(fake_sched, .timeout = 60);

static struct partition *make(const char *manifest)
{
	return fx_partition(manifest, image, sizeof(image));
}

static void script_cpuids(struct vcpu *v, unsigned int n, uint64_t ns)
{
	for (unsigned int i = 0; i < n; i++)
		fake_push_cpuid(v, 0, 0)->ns = ns;
}

/* Index in the run log of the last run of partition part (-1: none). */
static int last_run_of(unsigned int part)
{
	int last = -1;
	for (unsigned int i = 0; i < fake_runs(); i++)
		if (fake_run_at(i)->part == part)
			last = (int)i;
	return last;
}

Test(fake_sched, two_partitions_on_one_cpu_alternate_on_timer_exits)
{
	fake_arch_init(1);
	struct partition *a = make("name=a mem=2M mode=prot");
	struct partition *b = make("name=b mem=2M mode=prot");
	script_cpuids(a->vcpu[0], STEPS, SLICE_STEP_NS);
	script_cpuids(b->vcpu[0], STEPS, SLICE_STEP_NS);
	fake_push_hypercall(a->vcpu[0], 0, HC_PARTITION_STOP, 0, 0);
	fake_push_hypercall(b->vcpu[0], 0, HC_PARTITION_STOP, 0, 0);

	sched_run();

	cr_assert_eq(a->state, PART_STOPPED);
	cr_assert_eq(b->state, PART_STOPPED);
	cr_assert_eq(fake_steps_left(a->vcpu[0]), 0);
	cr_assert_eq(fake_steps_left(b->vcpu[0]), 0);
	cr_assert_gt(fake_vcpu_of(a->vcpu[0])->extints, 0, "no slice ever ended");

	/* While both run, neither keeps the CPU for more than one slice
	 * (10 ms of guest time: the rest of an exit the timer interrupted and
	 * two more) and the timer's exit. */
	unsigned int switches = 0, streak = 1, longest = 1;
	int both_until = MIN(last_run_of(a->id), last_run_of(b->id));
	for (int i = 1; i <= both_until; i++) {
		if (fake_run_at(i)->part != fake_run_at(i - 1)->part) {
			switches++;
			streak = 1;
		} else {
			streak++;
			longest = MAX(longest, streak);
		}
	}
	if (getenv("BH_TEST_VERBOSE"))
		for (int i = 0; i <= both_until; i++)
			fprintf(stderr, "run %d: part %u %s\n", i, fake_run_at(i)->part,
				exit_reason_name(fake_run_at(i)->reason));
	cr_assert_leq(longest, 4, "one partition ran %u times in a row", longest);
	cr_assert_geq(switches, STEPS / 2, "only %u switches", switches);
}

Test(fake_sched, a_stopped_partition_never_runs_again)
{
	fake_arch_init(1);
	struct partition *a = make("name=a mem=2M mode=prot");
	struct partition *b = make("name=b mem=2M mode=prot");
	script_cpuids(a->vcpu[0], 2, SLICE_STEP_NS);
	fake_push_hypercall(a->vcpu[0], 0, HC_PARTITION_STOP, 0, 0);
	/* More of a's script that must never be taken. */
	script_cpuids(a->vcpu[0], 5, SLICE_STEP_NS);
	script_cpuids(b->vcpu[0], 3 * STEPS, SLICE_STEP_NS);
	fake_push_hypercall(b->vcpu[0], 0, HC_PARTITION_STOP, 0, 0);

	sched_run();

	cr_assert_eq(fake_steps_left(a->vcpu[0]), 5);
	cr_assert_eq(fake_steps_left(b->vcpu[0]), 0);
	int a_last = last_run_of(a->id);
	cr_assert_eq(fake_run_at(a_last)->reason, EXIT_HYPERCALL, "a ran after its stop");
	cr_assert_gt(last_run_of(b->id), a_last);
	cr_assert_eq(fake_log_count("[a] partition stopped"), 1);
}

/* b's "guest" stops a halted partition a (as the console or a fatal
 * device error would), then raises an interrupt at a's vCPU: a stopped
 * vCPU is not woken by it. */
static bool stop_a_then_poke(struct vcpu *v, struct fake_step *s, void *ctx)
{
	struct partition *a = ctx;
	static unsigned int calls;
	if (++calls == 3) {
		partition_stop(a, false, "stopped from outside");
		vcpu_raise_irq(a->vcpu[0], 0x40);
	}
	if (calls > 8) {
		s->exit.reason = EXIT_HYPERCALL;
		s->exit.insn_len = 3;
		fake_step_gpr(s, GPR_RAX, HC_PARTITION_STOP);
		return true;
	}
	s->exit.reason = EXIT_CPUID;
	s->exit.insn_len = 2;
	return true;
}

Test(fake_sched, a_stopped_halted_vcpu_is_not_woken_by_an_interrupt)
{
	fake_arch_init(1);
	struct partition *a = make("name=a mem=2M mode=prot");
	struct partition *b = make("name=b mem=2M mode=prot");
	fake_push_hlt(a->vcpu[0], true);
	fake_push_hypercall(a->vcpu[0], 0, HC_PARTITION_STOP, 0, 0);
	fake_set_generator(b->vcpu[0], stop_a_then_poke, a);

	sched_run();

	cr_assert_eq(a->vcpu[0]->state, VCPU_STOPPED);
	cr_assert_eq(fake_steps_left(a->vcpu[0]), 1, "a ran again after being stopped");
	cr_assert_eq(fake_vcpu_of(a->vcpu[0])->nr_delivered, 0);
	cr_assert_eq(fake_log_count("[a] partition stopped: stopped from outside"), 1);
}

Test(fake_sched, higher_priority_runs_first_on_a_shared_cpu)
{
	fake_arch_init(1);
	struct partition *lo = make("name=lo mem=2M mode=prot priority=2");
	struct partition *hi = make("name=hi mem=2M mode=prot priority=6");
	script_cpuids(lo->vcpu[0], 4, SLICE_STEP_NS);
	script_cpuids(hi->vcpu[0], 4 * STEPS, SLICE_STEP_NS);
	fake_push_hypercall(lo->vcpu[0], 0, HC_PARTITION_STOP, 0, 0);
	fake_push_hypercall(hi->vcpu[0], 0, HC_PARTITION_STOP, 0, 0);

	sched_run();

	/* lo's first run comes only after hi stopped. */
	unsigned int first_lo = 0;
	while (fake_run_at(first_lo)->part != lo->id)
		first_lo++;
	cr_assert_gt(first_lo, last_run_of(hi->id));
	cr_assert_eq(fake_steps_left(lo->vcpu[0]), 0);
}

Test(fake_sched, every_vcpu_halted_with_nothing_to_wake_it_stops_as_idle)
{
	fake_arch_init(1);
	struct partition *a = make("name=a mem=2M mode=prot");
	fake_push_hlt(a->vcpu[0], true);

	sched_run();

	cr_assert_eq(a->state, PART_STOPPED);
	cr_assert(a->failed);
	cr_assert_eq(fake_log_count("[a] partition stopped: idle: every vCPU halted"), 1);
}
