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
#include "core/virtio_platform.h"
#include "drivers/vdev/testdev.h"
#include "core/lifecycle.h"

struct platform;

#define MAX_PARTITIONS 16
#define MAX_VCPUS_PER_PARTITION 4

struct partition {
	char name[MANIFEST_NAME_MAX];
	unsigned int id;
	enum partition_state state; /* core/lifecycle.h; changed under lifecycle_lock */
	spinlock_t lifecycle_lock;  /* only around lifecycle decisions, never held long */
	uint32_t services_active;   /* its device service tasks running now (core/lifecycle.h) */
	uint32_t boots;             /* started from its images: 1 + restarts (HC_PARTITION_BOOTS) */
	char stop_reason[192];
	int exit_code;
	bool failed; /* stopped because it misbehaved, not because it asked */

	struct manifest_entry cfg;
	const void *image;      /* the boot module (host memory), kept for restart */
	uint64_t image_size;
	const void *initrd;     /* Linux partitions: the initrd module, or NULL */
	uint64_t initrd_size;

	paddr_t ram_hpa;        /* host-physical base of guest RAM (contiguous) */
	uint64_t ram_size;
	struct gmem mem;
	struct iobus bus;
	void *s2;               /* the backend's stage-2 tables */

	/* Serialises the partition's emulated devices between its vCPUs' exit
	 * handlers (which may run on different host CPUs) and interrupt
	 * delivery. Inside it: a virtio device's own lock, the service-queue
	 * and switch-port locks. Service tasks take only their device's lock,
	 * and this one briefly to deliver interrupts. */
	spinlock_t lock;
	uint64_t lock_taken, lock_waits, lock_wait_tsc; /* partition_lock() counts */
	uint8_t priority;       /* scheduler priority, higher first (manifest) */
	uint32_t affinity;      /* host CPUs its vCPUs may run on (bit per CPU) */

	struct vcpu *vcpu[MAX_VCPUS_PER_PARTITION];
	unsigned int nr_vcpus;

	struct console_source console;
	uint64_t start_ns;
	bool unknown_msr_logged;
	struct cpuid_table cpuid; /* the guest's CPUID answers (core/cpuid_policy.h) */
	struct testdev testdev; /* test devices (drivers/vdev/testdev.h) */
	struct platform *platform; /* emulated PC devices (core/platform.c) */
	struct virtio_devices *virtio; /* its virtio devices (core/virtio_platform.c), or NULL */
	/* RAM disks (host memory that outlives restarts), vda, vdb, ... */
	struct partition_disk disk[MANIFEST_MAX_DISKS];
	unsigned int nr_disks;
	/* Earliest device-timer deadline, partition ns (VDEV_NO_DEADLINE when
	 * none); kept by core/platform.c, read by the scheduler. */
	uint64_t next_deadline_ns;
	uint8_t power_request;  /* enum power_request, set by device callbacks */
	uint64_t overhead_bytes; /* host memory it costs beyond guest RAM */
	uint64_t mmio_retries;  /* consecutive MMIO exits that could not be emulated */
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
};

struct partition *partition_create(const struct manifest_entry *cfg,
				   const struct partition_images *img);
/* Stop with a reason (printed once as "[name] partition stopped: reason"). */
void partition_stop(struct partition *p, bool failed, const char *fmt, ...) __printf(3, 4);
/* Restart from the original image (HC_PARTITION_RESTART, guest reset). */
bool partition_restart(struct partition *p);
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
