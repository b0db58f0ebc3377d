/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared by the fake-backend tests: boot the fake machine, make a partition
 * from a manifest line and a flat image, and run one vCPU for a while as
 * the scheduler's run_slice would. Header-only. */
#ifndef BULKHEAD_TESTS_FAKE_FIXTURE_H
#define BULKHEAD_TESTS_FAKE_FIXTURE_H

#include <criterion/criterion.h>
#include <string.h>

#include "core/exits.h"
#include "core/hypercall.h"
#include "core/manifest.h"
#include "arch/x86/cpu/tsc.h"
#include "core/partition.h"
#include "core/sched.h"
#include "tests/fake/fake_arch.h"
#include "tests/fake/fake_vcpu.h"

/* Where image_load puts a flat image and starts the vCPU (core/loader/image.c). */
#define FX_ENTRY 0x100000ULL

static inline struct partition *fx_partition(const char *manifest, const void *image, size_t len)
{
	struct manifest_entry e;
	cr_assert(manifest_parse(manifest, 0, &e), "manifest refused: %s", manifest);
	struct partition_images img;
	memset(&img, 0, sizeof(img));
	img.image = image;
	img.image_size = len;
	struct partition *p = partition_create(&e, &img);
	cr_assert_not_null(p, "partition_create(%s) failed", manifest);
	/* The scheduler would place its vCPUs; without it, they live on the
	 * calling thread's CPU. */
	for (unsigned int i = 0; i < p->nr_vcpus; i++)
		p->vcpu[i]->home = this_cpu();
	return p;
}

/* One slice of v on the calling thread's CPU, with the bookkeeping of
 * run_slice in core/sched.c (current, on_cpu, the first-run transition),
 * which restarts rely on. Returns what the run loop returned, or -1 if v
 * could not run (its partition is not running or v is not runnable). */
static inline int fx_slice(struct vcpu *v, unsigned int max_exits)
{
	struct percpu *cpu = this_cpu();
	enum partition_state ready = PART_READY;
	__atomic_compare_exchange_n(&v->part->state, &ready, PART_RUNNING, false, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	cpu->current = v;
	v->cpu = cpu;
	__atomic_store_n(&v->on_cpu, true, __ATOMIC_SEQ_CST);
	int a = -1;
	if (__atomic_load_n(&v->part->state, __ATOMIC_SEQ_CST) == PART_RUNNING &&
	    v->state == VCPU_RUNNABLE)
		a = vcpu_run_exits(v, max_exits);
	cpu->current = NULL;
	__atomic_store_n(&v->on_cpu, false, __ATOMIC_SEQ_CST);
	return a;
}

/* A restart only begins in the exit that asks for it; vCPU 0's CPU does
 * its steps in the scheduler's slices (core/lib/restart_job.h). Do them
 * all now, as that CPU would. Returns whether a restart was done. */
static inline bool fx_finish_restart(struct partition *p)
{
	bool did = false;
	while (partition_restart_due(p, time_ns())) {
		partition_restart_work(p, UINT64_MAX);
		did = true;
	}
	return did;
}

#endif
