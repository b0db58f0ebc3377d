/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio entropy device: buffers filled from the entropy callback, caps
 * per buffer and per service round, starved and misbehaving sources,
 * wrong-direction buffers and malformed chains. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/lib/drbg.h"
#include "drivers/virtio/virtio_rng.h"
#include "tests/unit/support/host_log.h"
#include "tests/unit/support/vdev_fakes.h"
#include "tests/unit/support/virtio_driver.h"

#define RAM_GPA 0x100000ULL
#define RAM_SIZE 0x80000ULL
#define INTX_LINE 5

struct source {
	uint8_t next; /* counter pattern */
	size_t limit; /* bytes left before it starves (SIZE_MAX: never) */
	size_t extra; /* claims to have written this much more */
	unsigned int calls;
};

static struct virtio_rng rng;
static struct vdrv drv;
static struct gmem mem;
static uint8_t *ram;
static struct irq_recorder irq;
static struct source src;
static unsigned int kicks;

static size_t source_fill(void *ctx, void *buf, size_t len)
{
	struct source *s = ctx;
	size_t n = len < s->limit ? len : s->limit;
	s->calls++;
	for (size_t i = 0; i < n; i++)
		((uint8_t *)buf)[i] = s->next++;
	if (s->limit != SIZE_MAX)
		s->limit -= n;
	return n + s->extra;
}

static void on_kick(void *ctx, struct virtio_pci *vp)
{
	kicks++;
}

static struct virtio_pci_config base_config(void)
{
	return (struct virtio_pci_config){
		.owner = "t",
		.mem = &mem,
		.intx = &irq.sink,
		.intx_line = INTX_LINE,
		.kick = on_kick,
	};
}

static void setup(void)
{
	struct virtio_pci_config base = base_config();

	ram = aligned_alloc(4096, RAM_SIZE);
	cr_assert(ram);
	memset(&mem, 0, sizeof(mem));
	cr_assert(gmem_add_region(&mem, RAM_GPA, RAM_SIZE, ram));
	recorder_init(&irq);
	memset(&src, 0, sizeof(src));
	src.limit = SIZE_MAX;
	kicks = 0;
	host_log_reset();
	cr_assert(virtio_rng_init(&rng, &base, source_fill, &src));
	cr_assert(vdrv_init(&drv, &rng.vp, ram, RAM_GPA, RAM_SIZE));
}

static void teardown(void)
{
	free(ram);
}

TestSuite(virtio_rng, .init = setup, .fini = teardown);

static uint16_t add_writable(uint32_t len, struct vdrv_seg *seg)
{
	*seg = (struct vdrv_seg){ .len = len, .write = true };
	return vdrv_add(&drv, 0, seg, 1);
}

Test(virtio_rng, identity)
{
	cr_assert_eq(pci_dev_config_read(&rng.vp.pci, PCI_DEVICE_ID, 2), 0x1044);
	cr_assert_eq(pci_dev_config_read(&rng.vp.pci, PCI_REVISION_ID, 4) >> 8, 0x00FF00);
	cr_assert_eq(drv.device, UINT32_MAX, "no device configuration space");
	cr_assert_eq(vdrv_device_features(&drv) & 0xFFFFFF, 0, "no device feature bits");
	cr_assert(vdrv_bring_up(&drv, 0, 1, 8));
	vdrv_common_write(&drv, VDRV_COMMON_QSELECT, 2, 1);
	cr_assert_eq(vdrv_common_read(&drv, VDRV_COMMON_QSIZE, 2), 0, "only one queue");
}

Test(virtio_rng, init_needs_a_source)
{
	static struct virtio_rng other;
	struct virtio_pci_config base = base_config();
	cr_assert_not(virtio_rng_init(&other, &base, NULL, NULL));
	cr_assert(host_log_contains("no entropy source"));
}

Test(virtio_rng, fills_buffers)
{
	struct vdrv_seg seg;
	uint32_t id, len;

	cr_assert(vdrv_bring_up(&drv, 0, 1, 8));
	uint16_t head = add_writable(16, &seg);
	vdrv_kick(&drv, 0);
	cr_assert_eq(kicks, 1);
	cr_assert_eq(src.calls, 0, "nothing in the exit path");
	virtio_pci_service(&rng.vp);
	cr_assert(vdrv_get_used(&drv, 0, &id, &len));
	cr_assert_eq(id, head);
	cr_assert_eq(len, 16);
	uint8_t *p = vdrv_host(&drv, seg.gpa);
	for (int i = 0; i < 16; i++)
		cr_assert_eq(p[i], i);
	cr_assert(irq.level[INTX_LINE]);
	cr_assert_eq(vdrv_read_isr(&drv), 1);
	cr_assert_eq(rng.bytes, 16);
	cr_assert_eq(rng.requests, 1);
}

Test(virtio_rng, chain_of_writable_segments)
{
	struct vdrv_seg segs[2] = { { .len = 3, .write = true }, { .len = 70, .write = true } };
	uint32_t id, len;

	cr_assert(vdrv_bring_up(&drv, 0, 1, 8));
	vdrv_add(&drv, 0, segs, 2);
	vdrv_kick(&drv, 0);
	virtio_pci_service(&rng.vp);
	cr_assert(vdrv_get_used(&drv, 0, &id, &len));
	cr_assert_eq(len, 73);
	cr_assert_eq(((uint8_t *)vdrv_host(&drv, segs[0].gpa))[2], 2);
	cr_assert_eq(((uint8_t *)vdrv_host(&drv, segs[1].gpa))[0], 3);
	cr_assert_eq(((uint8_t *)vdrv_host(&drv, segs[1].gpa))[69], 72);
}

Test(virtio_rng, large_buffer_is_capped)
{
	struct vdrv_seg seg;
	uint32_t id, len;

	cr_assert(vdrv_bring_up(&drv, 0, 1, 8));
	add_writable(10000, &seg);
	vdrv_kick(&drv, 0);
	virtio_pci_service(&rng.vp);
	cr_assert(vdrv_get_used(&drv, 0, &id, &len));
	cr_assert_eq(len, VIRTIO_RNG_MAX_PER_BUFFER);
	cr_assert_eq(((uint8_t *)vdrv_host(&drv, seg.gpa))[VIRTIO_RNG_MAX_PER_BUFFER], 0xCC,
		     "nothing written past what was reported");
}

Test(virtio_rng, starved_and_lying_sources)
{
	struct vdrv_seg seg;
	uint32_t id, len;

	cr_assert(vdrv_bring_up(&drv, 0, 1, 8));
	src.limit = 100;
	add_writable(256, &seg);
	vdrv_kick(&drv, 0);
	virtio_pci_service(&rng.vp);
	cr_assert(vdrv_get_used(&drv, 0, &id, &len));
	cr_assert_eq(len, 100);
	cr_assert_eq(rng.starved, 1);
	/* A source that claims more than it was asked for is clamped. */
	src.limit = SIZE_MAX;
	src.extra = 1000;
	add_writable(10, &seg);
	vdrv_kick(&drv, 0);
	virtio_pci_service(&rng.vp);
	cr_assert(vdrv_get_used(&drv, 0, &id, &len));
	cr_assert_eq(len, 10);
}

Test(virtio_rng, readable_buffer_completes_empty)
{
	struct vdrv_seg seg = { .data = "abcd", .len = 4, .write = false };
	uint32_t id, len;

	cr_assert(vdrv_bring_up(&drv, 0, 1, 8));
	vdrv_add(&drv, 0, &seg, 1);
	vdrv_add(&drv, 0, &seg, 1);
	vdrv_kick(&drv, 0);
	virtio_pci_service(&rng.vp);
	cr_assert(vdrv_get_used(&drv, 0, &id, &len));
	cr_assert_eq(len, 0);
	cr_assert(vdrv_get_used(&drv, 0, &id, &len));
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("device-readable"));
	cr_assert(virtio_pci_running(&rng.vp));
	cr_assert_eq(memcmp(vdrv_host(&drv, seg.gpa), "abcd", 4), 0);
}

Test(virtio_rng, budget_per_service_round)
{
	struct vdrv_seg seg;
	uint32_t id, len;
	unsigned int n = 0;
	const unsigned int nr = VIRTIO_RNG_BUDGET / VIRTIO_RNG_MAX_PER_BUFFER + 4;

	cr_assert(vdrv_bring_up(&drv, 0, 1, 32));
	for (unsigned int i = 0; i < nr; i++)
		add_writable(VIRTIO_RNG_MAX_PER_BUFFER, &seg);
	vdrv_kick(&drv, 0);
	virtio_pci_service(&rng.vp);
	while (vdrv_get_used(&drv, 0, &id, &len))
		n++;
	cr_assert_eq(n, VIRTIO_RNG_BUDGET / VIRTIO_RNG_MAX_PER_BUFFER);
	cr_assert_eq(kicks, 2, "requeued itself");
	cr_assert_eq(rng.vp.pending, 1);
	virtio_pci_service(&rng.vp);
	while (vdrv_get_used(&drv, 0, &id, &len))
		n++;
	cr_assert_eq(n, nr);
	cr_assert_eq(rng.vp.pending, 0);
}

Test(virtio_rng, malformed_chain_needs_reset)
{
	cr_assert(vdrv_bring_up(&drv, 0, 1, 8));
	uint16_t bad = 200;
	struct vdrv_queue *q = &drv.q[0];
	memcpy(vdrv_host(&drv, q->base + VDRV_AVAIL_OFF + 4), &bad, 2);
	q->avail_idx = 1;
	memcpy(vdrv_host(&drv, q->base + VDRV_AVAIL_OFF + 2), &q->avail_idx, 2);
	vdrv_kick(&drv, 0);
	virtio_pci_service(&rng.vp);
	cr_assert(rng.vp.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	cr_assert(host_log_contains(
			"[t] virtio-rng: requestq: descriptor index out of range; device needs reset"));
	cr_assert_eq(vdrv_read_isr(&drv), 2, "config interrupt");
}

Test(virtio_rng, drbg_as_the_source)
{
	static struct virtio_rng r2;
	struct virtio_pci_config base = base_config();
	struct drbg drbg;
	struct vdrv_seg seg;
	uint32_t id, len;
	uint8_t want[32];

	drbg_init(&drbg, "seed", 4);
	cr_assert(virtio_rng_init(&r2, &base, drbg_fill, &drbg));
	cr_assert(vdrv_init(&drv, &r2.vp, ram, RAM_GPA, RAM_SIZE));
	cr_assert(vdrv_bring_up(&drv, 0, 1, 8));
	add_writable(32, &seg);
	vdrv_kick(&drv, 0);
	virtio_pci_service(&r2.vp);
	cr_assert(vdrv_get_used(&drv, 0, &id, &len));
	cr_assert_eq(len, 32);
	/* The same bytes as one 32-byte request of a same-seeded DRBG. */
	struct drbg ref;
	drbg_init(&ref, "seed", 4);
	drbg_generate(&ref, want, 32);
	cr_assert_arr_eq(vdrv_host(&drv, seg.gpa), want, 32);
}
