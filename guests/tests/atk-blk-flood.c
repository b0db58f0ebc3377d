/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-blk-flood: the attacker of isolation-share-blk-flood-svm/-vmx (docs/
 * isolation.md, "Found by the suite": device-service time was charged to
 * no partition).
 *
 * It keeps its virtio-blk busy with valid writes of FLOOD_SEG bytes each
 * (1 MiB, less than Linux's default largest request of 1.25 MiB), as many
 * as its 64-entry descriptor table holds, for FLOOD_NS of its time. The
 * service task copies them on this partition's host CPU; the scheduler
 * must charge that to this partition, so a bystander on that CPU
 * (guests/tests/bystander.c) keeps at least 40% of it:
 *
 *   module: guests/bystander.elf name=bystander mem=4M affinity=0
 *   module: guests/atk-blk-flood.elf name=attacker mem=4M disk=2M affinity=0
 *
 * with `icount: 0` (as tests/integration/isolation-share-hog-svm.test). */
#define guest_main virtio_hostile_main
#include "virtio-hostile.c"
#undef guest_main

#define VIRTIO_BLK_PCI_ID 0x1042
#define BLK_T_OUT 1
#define BLK_HDR_LEN 16
#define FLOOD_SEG (1u << 20)
#define FLOOD_REQS (QUEUE_MAX / 3) /* header, data, status */
#define FLOOD_NS 3000000000ull     /* longer than the bystander's window */
#define ROUND_TIMEOUT_MS 60000

struct blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

static volatile struct blk_hdr flood_hdr __attribute__((aligned(64)));
static volatile uint8_t flood_status[FLOOD_REQS] __attribute__((aligned(64)));

/* FLOOD_REQS writes of this partition's first FLOOD_SEG bytes to sector 0. */
static void post_round(void)
{
	for (uint16_t r = 0; r < FLOOD_REQS; r++) {
		uint16_t i = (uint16_t)(3 * r);
		set_desc(desc_table, i, (uintptr_t)&flood_hdr, BLK_HDR_LEN, DESC_F_NEXT, i + 1);
		set_desc(desc_table, i + 1, 0, FLOOD_SEG, DESC_F_NEXT, i + 2);
		set_desc(desc_table, i + 2, (uintptr_t)&flood_status[r], 1, DESC_F_WRITE, 0);
		post(QUEUE_MAX, i);
	}
}

void guest_main(void)
{
	struct vdev d = { 0 };
	struct setup s = default_setup(FEATURE(F_VERSION_1), QUEUE_MAX);
	uint64_t t0, rounds = 0;
	uint16_t done = 0;
	const char *why;

	if (!rt_hv_present() || !discover_device(&d, "discover", VIRTIO_BLK_PCI_ID, 0))
		return;
	d.tsc_per_ms = calibrate_tsc();
	why = start_device(&d, &s);
	if (why) {
		rt_fail("flood", "setup: %s", why);
		return;
	}
	flood_hdr.type = BLK_T_OUT;
	flood_hdr.sector = 0;
	t0 = rt_hc_time_ns();
	while (rt_hc_time_ns() - t0 < FLOOD_NS) {
		uint64_t end = deadline(&d, ROUND_TIMEOUT_MS);
		post_round();
		notify_queue(&d, 0);
		done += FLOOD_REQS;
		while (used_ring.idx != done && rdtsc() < end)
			cpu_relax();
		if (used_ring.idx != done) {
			rt_fail("flood", "round %llu: used idx %u, want %u, status 0x%x",
				(unsigned long long)rounds, used_ring.idx, done, status(&d));
			return;
		}
		rounds++;
	}
	rt_printf("FLOOD %llu MiB in %llu ms of partition time\n",
		  (unsigned long long)(rounds * FLOOD_REQS * FLOOD_SEG >> 20),
		  (unsigned long long)((rt_hc_time_ns() - t0) / 1000000));
	rt_pass("flood");
	device_reset(&d);
}
