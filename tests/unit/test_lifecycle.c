/* SPDX-License-Identifier: BSD-2-Clause */
/* core/lifecycle.c: every interleaving of two requesters, each a sequence
 * of lifecycle steps (a stop is one step; a restart is begin, then end), on
 * one partition. Properties (issue 12, "a partition that cannot be stopped"):
 *   - once stopped, it stays stopped, whatever comes later;
 *   - exactly one requester does the stop's work (LC_GO once);
 *   - at most one restart's work is in progress at any time;
 *   - a restart that began ends RUNNING only if no stop came meanwhile. */
#include <criterion/criterion.h>

#include "core/lifecycle.h"

enum step { STOP, RESTART_BEGIN, RESTART_END, NOTHING };

struct actor {
	enum step plan[4];
	unsigned int n, pc;
	bool restarting; /* this actor's restart work is in progress */
};

struct world {
	enum partition_state s;
	unsigned int stop_work, restart_work_in_flight, max_in_flight;
	bool stopped_seen;
};

static void step(struct world *w, struct actor *a)
{
	enum step st = a->plan[a->pc++];
	enum lifecycle_verdict v;
	switch (st) {
	case STOP:
		if (lifecycle_begin_stop(&w->s) == LC_GO)
			w->stop_work++;
		break;
	case RESTART_BEGIN:
		v = lifecycle_begin_restart(&w->s);
		if (v == LC_GO) {
			a->restarting = true;
			w->restart_work_in_flight++;
			if (w->restart_work_in_flight > w->max_in_flight)
				w->max_in_flight = w->restart_work_in_flight;
		} else {
			a->pc++; /* no work to end */
		}
		break;
	case RESTART_END:
		cr_assert(a->restarting);
		a->restarting = false;
		w->restart_work_in_flight--;
		v = lifecycle_end_restart(&w->s, true);
		cr_assert_eq(v == LC_GO, w->s == PART_RUNNING);
		break;
	case NOTHING:
		break;
	}
	if (w->s == PART_STOPPED)
		w->stopped_seen = true;
	cr_assert(!w->stopped_seen || w->s == PART_STOPPED, "left STOPPED");
}

/* Runs every interleaving of a and b (by recursion on who steps next). */
static unsigned int explore(struct world w, struct actor a, struct actor b)
{
	if (a.pc == a.n && b.pc == b.n) {
		cr_assert_leq(w.max_in_flight, 1, "two restarts at once");
		cr_assert_leq(w.stop_work, 1, "the stop's work done twice");
		cr_assert_eq(w.stop_work == 1, w.stopped_seen);
		cr_assert_eq(w.restart_work_in_flight, 0);
		return 1;
	}
	unsigned int runs = 0;
	if (a.pc < a.n) {
		struct world w2 = w;
		struct actor a2 = a;
		step(&w2, &a2);
		runs += explore(w2, a2, b);
	}
	if (b.pc < b.n) {
		struct world w2 = w;
		struct actor b2 = b;
		step(&w2, &b2);
		runs += explore(w2, a, b2);
	}
	return runs;
}

static struct actor restarts(unsigned int k)
{
	struct actor a = { .n = 2 * k };
	for (unsigned int i = 0; i < k; i++) {
		a.plan[2 * i] = RESTART_BEGIN;
		a.plan[2 * i + 1] = RESTART_END;
	}
	return a;
}

Test(lifecycle, stop_racing_restarts_always_ends_stopped)
{
	struct world w = { .s = PART_RUNNING };
	struct actor stopper = { .plan = { STOP }, .n = 1 };
	unsigned int runs = explore(w, stopper, restarts(2));
	cr_assert_gt(runs, 4);
}

Test(lifecycle, two_restarters_never_overlap)
{
	struct world w = { .s = PART_RUNNING };
	cr_assert_gt(explore(w, restarts(2), restarts(2)), 10);
}

Test(lifecycle, two_stoppers_and_a_restart)
{
	struct world w = { .s = PART_RUNNING };
	struct actor a = { .plan = { STOP, RESTART_BEGIN, RESTART_END }, .n = 3 };
	struct actor b = { .plan = { RESTART_BEGIN, RESTART_END, STOP }, .n = 3 };
	explore(w, a, b);
}

Test(lifecycle, stop_during_restart_wins)
{
	enum partition_state s = PART_RUNNING;
	cr_assert_eq(lifecycle_begin_restart(&s), LC_GO);
	cr_assert_eq(lifecycle_begin_restart(&s), LC_ALREADY, "absorbed by the one running");
	cr_assert_eq(lifecycle_begin_stop(&s), LC_GO);
	cr_assert_eq(lifecycle_end_restart(&s, true), LC_REFUSED);
	cr_assert_eq(s, PART_STOPPED);
	cr_assert_eq(lifecycle_begin_restart(&s), LC_REFUSED);
	cr_assert_eq(lifecycle_begin_stop(&s), LC_ALREADY);
}

Test(lifecycle, failed_reload_leaves_the_stop_to_the_caller)
{
	enum partition_state s = PART_RUNNING;
	cr_assert_eq(lifecycle_begin_restart(&s), LC_GO);
	cr_assert_eq(lifecycle_end_restart(&s, false), LC_REFUSED);
	cr_assert_eq(lifecycle_begin_stop(&s), LC_GO);
	cr_assert_eq(s, PART_STOPPED);
}

Test(lifecycle, ready_partitions_can_stop_or_restart_but_empty_slots_cannot)
{
	enum partition_state s = PART_READY;
	cr_assert_eq(lifecycle_begin_restart(&s), LC_GO);
	s = PART_EMPTY;
	cr_assert_eq(lifecycle_begin_restart(&s), LC_REFUSED);
	cr_assert_eq(lifecycle_begin_stop(&s), LC_ALREADY);
}

/* ---- device service tasks against a restart's zeroing ------------------ */

Test(lifecycle, service_tasks_run_only_while_running)
{
	uint32_t active = 0;
	enum partition_state s = PART_RUNNING;
	cr_assert(lifecycle_service_enter(&s, &active));
	cr_assert_eq(active, 1);
	cr_assert_not(lifecycle_services_idle(&active), "a restart must wait for it");
	lifecycle_service_leave(&active);
	cr_assert(lifecycle_services_idle(&active));
	const enum partition_state not_running[] = { PART_EMPTY, PART_READY, PART_RESTARTING,
						     PART_STOPPED };
	for (unsigned int i = 0; i < sizeof(not_running) / sizeof(not_running[0]); i++) {
		s = not_running[i];
		cr_assert_not(lifecycle_service_enter(&s, &active), "state %d", s);
		cr_assert_eq(active, 0, "a refused task leaves no count behind");
	}
}

/* The real functions on real threads: service threads write "guest RAM"
 * (a word) whenever they are let in; a restarter thread restarts over and
 * over, waits for the services as partition_restart does, and checks that
 * nobody writes while it "zeroes". */
#include <pthread.h>

#define STRESS_RESTARTS 5000
#define STRESS_SERVICES 3
/* On a busy host the service threads may hardly run while the restarter
 * does its 5000: it goes on until they have written this often. */
#define STRESS_MIN_WRITES 1000

struct stress {
	pthread_mutex_t lock; /* the lifecycle lock */
	enum partition_state state;
	uint32_t active;
	uint32_t zeroing; /* the restarter is between its wait and its end */
	uint32_t done;
	uint64_t bad_writes; /* service writes seen while zeroing */
	uint64_t writes;     /* so far, all service threads */
};

static void *service_thread(void *arg)
{
	struct stress *st = arg;
	uint64_t bad = 0;
	while (!__atomic_load_n(&st->done, __ATOMIC_ACQUIRE)) {
		if (!lifecycle_service_enter(&st->state, &st->active))
			continue;
		/* "Writes guest RAM" for a while, looking at the zeroing flag
		 * all along, so a restart that began meanwhile is caught. */
		for (int k = 0; k < 200; k++)
			if (__atomic_load_n(&st->zeroing, __ATOMIC_SEQ_CST))
				bad++;
		__atomic_add_fetch(&st->writes, 1, __ATOMIC_RELAXED);
		lifecycle_service_leave(&st->active);
	}
	__atomic_add_fetch(&st->bad_writes, bad, __ATOMIC_SEQ_CST);
	return NULL;
}

static void *restart_thread(void *arg)
{
	struct stress *st = arg;
	for (unsigned int i = 0; i < STRESS_RESTARTS ||
				 __atomic_load_n(&st->writes, __ATOMIC_RELAXED) < STRESS_MIN_WRITES;
	     i++) {
		pthread_mutex_lock(&st->lock);
		enum lifecycle_verdict v = lifecycle_begin_restart(&st->state);
		pthread_mutex_unlock(&st->lock);
		cr_assert_eq(v, LC_GO);
		while (!lifecycle_services_idle(&st->active))
			;
		__atomic_store_n(&st->zeroing, 1, __ATOMIC_SEQ_CST);
		for (volatile int k = 0; k < 500; k++)
			; /* the zeroing takes a while */
		__atomic_store_n(&st->zeroing, 0, __ATOMIC_SEQ_CST);
		pthread_mutex_lock(&st->lock);
		v = lifecycle_end_restart(&st->state, true);
		pthread_mutex_unlock(&st->lock);
		cr_assert_eq(v, LC_GO);
		for (volatile int k = 0; k < 500; k++)
			; /* running: let the services in */
	}
	__atomic_store_n(&st->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

Test(lifecycle, no_service_writes_guest_ram_while_a_restart_zeroes_it, .timeout = 60)
{
	static struct stress st = { .lock = PTHREAD_MUTEX_INITIALIZER, .state = PART_RUNNING };
	pthread_t svc[STRESS_SERVICES], rs;
	for (unsigned int i = 0; i < STRESS_SERVICES; i++)
		cr_assert_eq(pthread_create(&svc[i], NULL, service_thread, &st), 0);
	cr_assert_eq(pthread_create(&rs, NULL, restart_thread, &st), 0);
	pthread_join(rs, NULL);
	for (unsigned int i = 0; i < STRESS_SERVICES; i++)
		pthread_join(svc[i], NULL);
	cr_assert_eq(st.bad_writes, 0, "%lu service writes during a restart's zeroing",
		     (unsigned long)st.bad_writes);
	cr_assert_geq(st.writes, STRESS_MIN_WRITES, "the services wrote %lu times",
		      (unsigned long)st.writes);
	cr_assert_eq(st.active, 0);
}
