/* SPDX-License-Identifier: BSD-2-Clause */
/* A partition: one isolated guest with its RAM, stage-2 tables, devices and
 * vCPUs. Created from a manifest entry (core/manifest.h) at boot. */
#ifndef BULKHEAD_CORE_PARTITION_H
#define BULKHEAD_CORE_PARTITION_H

#include "arch/x86/cpu/cpu.h"
#include "core/console.h"
#include "core/cpuid_policy.h"
#include "core/gmem.h"
#include "core/iobus.h"
#include "core/manifest.h"
#include "core/spinlock.h"
#include "core/vcpu.h"
#include "core/lifecycle.h"
#include "core/lib/restart_job.h"

struct platform;

/* A Multiboot module: host memory kept for restart, and its string. */
struct partition_module {
	const void *data;
	uint64_t size;
	const char *string;
};

#define MAX_PARTITIONS 32
#define MAX_VCPUS_PER_PARTITION 4

/* next_deadline_ns when no device timer is armed (the same value as the
 * models' VDEV_NO_DEADLINE, which platform/pc/platform.c checks). */
#define PART_NO_DEADLINE UINT64_MAX

/* A RAM-backed disk: host memory that outlives partition restarts. */
struct partition_disk {
	uint8_t *data;
	uint64_t size;
	bool readonly;
	const char *origin; /* "module 3", "disk=": for the log */
};

struct partition {
	char name[MANIFEST_NAME_MAX];
	unsigned int id;
	enum partition_state state; /* core/lifecycle.h; changed under lifecycle_lock */
	spinlock_t lifecycle_lock;  /* only around lifecycle decisions, never held long */
	uint32_t services_active;   /* its device service tasks running now (core/lifecycle.h) */
	/* TSC cycles its turns ran past their slice's end (a device-service
	 * pass is not cut short): taken off its next slices (core/sched.c,
	 * slice_for). Touched by the home CPUs of its vCPUs. */
	uint64_t slice_overrun_tsc;
	uint32_t boots; /* started from its images: 1 + restarts (HC_PARTITION_BOOTS) */
	char stop_reason[192];
	int exit_code;
	bool failed; /* stopped because it misbehaved, not because it asked */
	/* Set last in partition_stop, after its log lines: STOPPED comes
	 * first (so no vCPU runs on), and the run must not end in between,
	 * or its last lines are lost (core/sched.c, any_alive). */
	bool stop_reported;

	struct manifest_entry cfg;
	const void *image; /* the boot module (host memory), kept for restart */
	uint64_t image_size;
	const void *initrd; /* Linux partitions: the initrd module, or NULL */
	uint64_t initrd_size;
	/* Multiboot partitions: their modules (module-for=), in order. */
	struct partition_module mb_module[MANIFEST_MAX_MB_MODULES];
	unsigned int nr_mb_modules;

	paddr_t ram_hpa; /* host-physical base of guest RAM (contiguous) */
	uint64_t ram_size;
	struct gmem mem;
	struct iobus bus;
	void *s2; /* the backend's stage-2 tables */

	/* Serialises the partition's emulated devices between its vCPUs' exit
	 * handlers (which may run on different host CPUs) and interrupt
	 * delivery. Inside it: a virtio device's own lock, the service-queue
	 * and switch-port locks. Service tasks take only their device's lock,
	 * and this one briefly to deliver interrupts. */
	spinlock_t lock;
	uint64_t lock_taken, lock_waits, lock_wait_tsc; /* partition_lock() counts */
	uint8_t priority;  /* scheduler priority, higher first (manifest) */
	uint32_t affinity; /* host CPUs its vCPUs may run on (bit per CPU) */

	struct vcpu *vcpu[MAX_VCPUS_PER_PARTITION];
	unsigned int nr_vcpus;

	struct console_source console;
	uint64_t start_ns;
	bool unknown_msr_logged;
	struct cpuid_table cpuid; /* the guest's CPUID answers (core/cpuid_policy.h) */
	/* Its physical-address width as CPUID tells it (cpuid_table_maxphyaddr):
	 * paging-entry bits above it are reserved in the emulator's walks. */
	uint8_t maxphyaddr;
	struct platform *platform;     /* emulated PC devices (platform/pc/platform.c) */
	struct virtio_devices *virtio; /* its virtio devices (platform/pc/virtio_platform.c), or NULL */
	/* RAM disks (host memory that outlives restarts), vda, vdb, ... */
	struct partition_disk disk[MANIFEST_MAX_DISKS];
	unsigned int nr_disks;
	/* Earliest device-timer deadline, partition ns (PART_NO_DEADLINE when
	 * none); kept by the board (core/platform.h), read by the scheduler. */
	uint64_t next_deadline_ns;
	uint8_t power_request; /* enum power_request, set by device callbacks */
	/* debug-exit=: the first value written and its status (v << 1) | 1. */
	bool debug_exit_written;
	uint32_t debug_exit_value, debug_exit_status;
	uint64_t overhead_bytes; /* host memory it costs beyond guest RAM */
	uint64_t mmio_retries;   /* consecutive MMIO exits that could not be emulated */

	/* A restart in progress (state RESTARTING): its steps are run by the
	 * scheduler on vCPU 0's home CPU (core/lib/restart_job.h). */
	struct restart_job restart;
	struct restart_limiter restart_limit;
	uint64_t restarts;
};

/* All partitions; the boot CPU creates them, then each is run by the
 * scheduler. */
extern struct partition partitions[MAX_PARTITIONS];
extern unsigned int nr_partitions;

/* The boot modules a partition is made from (host memory, kept for restart). */
struct partition_images {
	const void *image;
	uint64_t image_size;
	const void *initrd; /* NULL: none */
	uint64_t initrd_size;
	struct partition_disk disk[MANIFEST_MAX_DISKS]; /* disk modules, then disk= */
	unsigned int nr_disks;
	struct partition_module mb_module[MANIFEST_MAX_MB_MODULES]; /* module-for= */
	unsigned int nr_mb_modules;
};

struct partition *partition_create(const struct manifest_entry *cfg,
				   const struct partition_images *img);
/* Stop with a reason (printed once as "[name] partition stopped: reason"). */
void partition_stop(struct partition *p, bool failed, const char *fmt, ...) __printf(3, 4);
/* Restart from the original image (HC_PARTITION_RESTART, guest reset):
 * begins the restart (its vCPUs stop at once) and leaves the work to the
 * scheduler, which calls partition_restart_work in p's time slices once the
 * rate limiter lets it (core/lib/restart_job.h). False if p has stopped. */
bool partition_restart(struct partition *p);
/* Has p a restart step to do now? (Only for vCPU 0's home CPU.) */
bool partition_restart_due(struct partition *p, uint64_t now_ns);
/* When p's restart may go on, for the scheduler's timer; UINT64_MAX if it
 * has no restart waiting. */
uint64_t partition_restart_wait_until_ns(const struct partition *p);
/* Do p's restart steps until the TSC passes deadline_tsc (at least one). */
void partition_restart_work(struct partition *p, uint64_t deadline_tsc);
/* Print p's console output (COM1, then the virtio console) until about
 * max_bytes went out or the TSC passes deadline_tsc (console_source_drain);
 * with partial, unfinished last lines too. Returns the bytes printed. */
size_t partition_consoles_drain(struct partition *p, size_t max_bytes, uint64_t deadline_tsc,
				bool partial);
void partition_print_stats(const struct partition *p);

/* Take and release p->lock, counting how often and how long a CPU had to
 * wait for it (printed with the exit statistics): the cost of sharing a
 * partition's devices between its vCPUs and service tasks. */
static inline void partition_lock(struct partition *p)
{
	if (!spin_trylock(&p->lock)) {
		uint64_t t0 = rdtsc();
		spin_lock(&p->lock);
		p->lock_waits++;
		p->lock_wait_tsc += rdtsc() - t0;
	}
	p->lock_taken++;
}

static inline void partition_unlock(struct partition *p)
{
	spin_unlock(&p->lock);
}
uint64_t partition_time_ns(const struct partition *p);

#endif
