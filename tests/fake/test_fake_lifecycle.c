/* SPDX-License-Identifier: BSD-2-Clause */
/* Concurrent lifecycle requests (core/partition.c, core/lifecycle.h) from
 * two host threads, each playing one fake CPU and driving one vCPU of the
 * same partition through the real run loop: one vCPU's guest asks for a
 * stop, the other's for a restart (a hypercall or a triple fault with
 * on_triple_fault=restart), after a random number of other exits. Many
 * rounds; after each, the partition must be in a consistent final state:
 * a stop is final, whatever the interleaving.
 *
 * Between rounds the harness revives the stopped partition by hand (no API
 * does that: a stop is final), so every round starts RUNNING with both
 * vCPUs runnable. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/fake/fake_fixture.h"

#define ROUNDS 300
#define MAX_LEAD_EXITS 4
#define SLICE_EXITS 64
/* Each thread waits a random while before its first entry, so that either
 * request may come first or land in the middle of the other's work. */
#define MAX_DELAY_SPINS 20000

static const uint8_t image[] = { 0x90, 0x90, 0x90, 0x90 };

enum role { ROLE_STOP, ROLE_RESTART };

struct driver {
	pthread_t thread;
	unsigned int cpu;
	struct vcpu *v;
	enum role role;
	unsigned int delay; /* spins before this round's first entry */
};

static struct partition *part;
static pthread_barrier_t round_start, round_end;
static volatile bool finished;

/* Will v never run again this round? Its partition stopped, or a restart
 * put it (an application processor) back to waiting for a start-up IPI,
 * which no guest here sends. */
static bool parked_for_good(const struct vcpu *v)
{
	return __atomic_load_n(&part->state, __ATOMIC_SEQ_CST) == PART_STOPPED ||
	       __atomic_load_n(&v->state, __ATOMIC_SEQ_CST) == VCPU_WAIT_SIPI;
}

/* One vCPU until its request has been made (its script is used up) or it
 * can never run again; in between it runs whenever the partition runs and
 * it is runnable, as its home CPU's scheduler would let it. */
static bool restart_pending(void)
{
	return __atomic_load_n(&part->state, __ATOMIC_SEQ_CST) == PART_RESTARTING;
}

/* vCPU 0's CPU also does the steps of a restart (any vCPU may ask for
 * one), as its scheduler does, and stays until the restart is over. */
static void drive(struct driver *d)
{
	bool home = d->v == part->vcpu[0];
	while ((fake_steps_left(d->v) && !parked_for_good(d->v)) || (home && restart_pending())) {
		if (home && fx_finish_restart(part))
			continue;
		if (fx_slice(d->v, SLICE_EXITS) < 0)
			sched_yield();
	}
}

static void *driver_main(void *arg)
{
	struct driver *d = arg;
	fake_cpu_bind(d->cpu);
	for (;;) {
		pthread_barrier_wait(&round_start);
		if (finished)
			return NULL;
		for (unsigned int i = d->delay; i; i--)
			__builtin_ia32_pause();
		drive(d);
		pthread_barrier_wait(&round_end);
	}
}

static void reset_script(struct vcpu *v)
{
	struct fake_vcpu *f = fake_vcpu_of(v);
	f->nr_steps = f->next_step = 0;
	f->step_started = false;
}

/* A round's scripts: a few CPUIDs, then the request. */
static void script_round(struct driver *d, unsigned int round)
{
	reset_script(d->v);
	d->delay = (unsigned int)rand() % MAX_DELAY_SPINS;
	for (unsigned int i = rand() % MAX_LEAD_EXITS; i; i--)
		fake_push_cpuid(d->v, 0, 0);
	if (d->role == ROLE_STOP)
		fake_push_hypercall(d->v, 0, HC_PARTITION_STOP, round, 0)->return_spins =
				(unsigned int)rand() % MAX_DELAY_SPINS;
	else if (round & 1)
		fake_push(d->v, EXIT_TRIPLE_FAULT, 0);
	else
		fake_push_hypercall(d->v, 0, HC_PARTITION_RESTART, 0, 0);
}

static void revive(void)
{
	/* Each round is a fresh start for the restart rate limiter too: the
	 * fake clock does not move between rounds. */
	part->restart_limit = (struct restart_limiter){ 0 };
	part->restart = (struct restart_job){ 0 };
	part->state = PART_RUNNING;
	for (unsigned int i = 0; i < part->nr_vcpus; i++)
		part->vcpu[i]->state = VCPU_RUNNABLE;
}

static void start_drivers(struct driver *d, unsigned int n)
{
	pthread_barrier_init(&round_start, NULL, n + 1);
	pthread_barrier_init(&round_end, NULL, n + 1);
	finished = false;
	for (unsigned int i = 0; i < n; i++)
		cr_assert_eq(pthread_create(&d[i].thread, NULL, driver_main, &d[i]), 0);
}

static void stop_drivers(struct driver *d, unsigned int n)
{
	finished = true;
	pthread_barrier_wait(&round_start);
	for (unsigned int i = 0; i < n; i++)
		pthread_join(d[i].thread, NULL);
}

static void boot_pair(struct driver *d, enum role r0, enum role r1)
{
	fake_arch_init(2);
	srand(12345);
	part = fx_partition("name=race mem=2M mode=prot cpus=2 on_triple_fault=restart", image,
			    sizeof(image));
	for (unsigned int i = 0; i < 2; i++) {
		d[i].cpu = i;
		d[i].v = part->vcpu[i];
		d[i].v->home = &percpu_area[i];
	}
	d[0].role = r0;
	d[1].role = r1;
}

TestSuite(fake_lifecycle, .timeout = 120);

Test(fake_lifecycle, stop_and_restart_racing_end_stopped_every_time)
{
	struct driver d[2];
	unsigned int restarted_first = 0, stopped_first = 0;
	boot_pair(d, ROLE_STOP, ROLE_RESTART);
	start_drivers(d, 2);
	for (unsigned int r = 0; r < ROUNDS; r++) {
		revive();
		fake_log_reset();
		script_round(&d[0], r);
		script_round(&d[1], r);
		pthread_barrier_wait(&round_start);
		pthread_barrier_wait(&round_end);

		cr_assert_eq(part->state, PART_STOPPED, "round %u: state %d", r, part->state);
		for (unsigned int i = 0; i < 2; i++) {
			cr_assert_eq(part->vcpu[i]->state, VCPU_STOPPED,
				     "round %u: vCPU %u state %d", r, i, part->vcpu[i]->state);
			cr_assert_not(part->vcpu[i]->on_cpu);
		}
		cr_assert_eq(fake_log_count("[race] partition stopped"), 1, "round %u", r);
		cr_assert_eq(part->exit_code, (int)r);
		/* Stop is final: a later restart request is refused and changes nothing. */
		cr_assert_not(partition_restart(part));
		cr_assert_eq(part->state, PART_STOPPED);
		if (fake_log_contains("partition restarting"))
			restarted_first++;
		else
			stopped_first++;
	}
	stop_drivers(d, 2);
	if (getenv("BH_TEST_VERBOSE"))
		fprintf(stderr, "%u rounds: restart went ahead first in %u, stop came first in %u\n",
			ROUNDS, restarted_first, stopped_first);
}

Test(fake_lifecycle, two_restarts_racing_run_one_at_a_time_and_end_running)
{
	struct driver d[2];
	boot_pair(d, ROLE_RESTART, ROLE_RESTART);
	start_drivers(d, 2);
	for (unsigned int r = 0; r < ROUNDS; r++) {
		revive();
		fake_log_reset();
		script_round(&d[0], 2 * r); /* both by hypercall */
		script_round(&d[1], 2 * r);
		pthread_barrier_wait(&round_start);
		pthread_barrier_wait(&round_end);

		/* Each request either ran a restart or was absorbed by one in
		 * progress; vCPU 0's may also come after vCPU 1's restart is
		 * done (it is runnable again), which is a second restart. */
		unsigned int restarts = fake_log_count("[race] partition restarting");
		cr_assert(restarts >= 1 && restarts <= 2, "round %u: %u restarts", r, restarts);
		cr_assert(part->state == PART_RUNNING || part->state == PART_READY,
			  "round %u: state %d", r, part->state);
		cr_assert_eq(part->vcpu[0]->state, VCPU_RUNNABLE, "round %u", r);
		cr_assert_eq(part->vcpu[1]->state, VCPU_WAIT_SIPI, "round %u", r);
		cr_assert_not(fake_log_contains("partition stopped"), "round %u", r);
	}
	stop_drivers(d, 2);
}
