/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio block device through the real PCI transport and split rings:
 * features and configuration, reads/writes/flush/GET_ID, every kind of
 * faulty request (one log line each), read-only disks, a broken ring,
 * batching with one interrupt, and the disk surviving a power-on reset. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/virtio_blk.h"
#include "tests/unit/support/host_log.h"
#include "tests/unit/support/vdev_fakes.h"
#include "tests/unit/support/virtio_driver.h"

#define RAM_GPA 0x100000ULL
#define RAM_SIZE 0x80000ULL
#define DISK_BYTES (2048ULL * 512) /* 1 MiB: 2048 sectors */
#define INTX_LINE 9
#define QSIZE 64

static struct virtio_blk blk;
static struct vdrv drv;
static struct gmem mem;
static uint8_t *ram, *disk;
static struct irq_recorder irq;
static unsigned int kicks;

static void on_kick(void *ctx, struct virtio_pci *vp)
{
	kicks++;
}

static struct virtio_pci_config base_config(void)
{
	return (struct virtio_pci_config){
		.owner = "vm1",
		.mem = &mem,
		.intx = &irq.sink,
		.intx_line = INTX_LINE,
		.kick = on_kick,
	};
}

static void make_disk(bool read_only)
{
	struct virtio_pci_config base = base_config();
	for (uint64_t i = 0; i < DISK_BYTES; i++)
		disk[i] = (uint8_t)(i / 512 + i * 3);
	cr_assert(virtio_blk_init(&blk, &base, disk, DISK_BYTES, read_only, "disk0"));
	cr_assert(vdrv_init(&drv, &blk.vp, ram, RAM_GPA, RAM_SIZE));
}

static void setup(void)
{
	ram = aligned_alloc(4096, RAM_SIZE);
	disk = malloc(DISK_BYTES);
	cr_assert(ram && disk);
	memset(ram, 0, RAM_SIZE);
	memset(&mem, 0, sizeof(mem));
	cr_assert(gmem_add_region(&mem, RAM_GPA, RAM_SIZE, ram));
	recorder_init(&irq);
	kicks = 0;
	make_disk(false);
	host_log_reset();
}

static void teardown(void)
{
	free(ram);
	free(disk);
}

TestSuite(virtio_blk, .init = setup, .fini = teardown);

static void bring_up(uint64_t features)
{
	cr_assert(vdrv_bring_up(&drv, features, 1, QSIZE));
}

static void make_hdr(uint8_t *h, uint32_t type, uint64_t sector)
{
	memset(h, 0, VIRTIO_BLK_REQ_HDR_SIZE);
	memcpy(h, &type, 4);
	memcpy(h + 8, &sector, 8);
}

struct req {
	uint8_t hdr[VIRTIO_BLK_REQ_HDR_SIZE];
	struct vdrv_seg seg[8];
	unsigned int nr;
	uint16_t head;
};

/* header, then `nr_data` data segments of data_len bytes each (readable for
 * writes, writable otherwise), then a 1-byte writable status. */
static void submit(struct req *r, uint32_t type, uint64_t sector, const uint8_t *data,
		   uint32_t data_len, unsigned int nr_data)
{
	make_hdr(r->hdr, type, sector);
	r->nr = 0;
	r->seg[r->nr++] = (struct vdrv_seg){ .data = r->hdr, .len = sizeof(r->hdr) };
	for (unsigned int i = 0; i < nr_data; i++)
		r->seg[r->nr++] = (struct vdrv_seg){
			.data = data ? data + i * data_len : NULL,
			.len = data_len,
			.write = type != VIRTIO_BLK_T_OUT,
		};
	r->seg[r->nr++] = (struct vdrv_seg){ .len = 1, .write = true };
	r->head = vdrv_add(&drv, 0, r->seg, r->nr);
}

static uint8_t status_of(const struct req *r)
{
	return *(uint8_t *)vdrv_host(&drv, r->seg[r->nr - 1].gpa);
}

static void *seg_host(const struct req *r, unsigned int i)
{
	return vdrv_host(&drv, r->seg[i].gpa);
}

/* Notify, run the service task, expect the request completed with `len`. */
static void run_and_reap(const struct req *r, uint32_t want_len)
{
	uint32_t id, len;
	vdrv_kick(&drv, 0);
	virtio_pci_service(&blk.vp);
	cr_assert(vdrv_get_used(&drv, 0, &id, &len), "request not completed");
	cr_assert_eq(id, r->head);
	cr_assert_eq(len, want_len);
}

Test(virtio_blk, identity_features_and_config)
{
	cr_assert_eq(pci_dev_config_read(&blk.vp.pci, PCI_DEVICE_ID, 2), 0x1042);
	uint64_t f = vdrv_device_features(&drv);
	cr_assert(f & VIRTIO_FEATURE(VIRTIO_BLK_F_SEG_MAX));
	cr_assert(f & VIRTIO_FEATURE(VIRTIO_BLK_F_BLK_SIZE));
	cr_assert(f & VIRTIO_FEATURE(VIRTIO_BLK_F_FLUSH));
	cr_assert(f & VIRTIO_FEATURE(VIRTIO_F_VERSION_1));
	cr_assert_not(f & VIRTIO_FEATURE(VIRTIO_BLK_F_RO));
	cr_assert_not(f & VIRTIO_FEATURE(VIRTIO_BLK_F_DISCARD));

	cr_assert_neq(drv.device, UINT32_MAX);
	uint64_t cap = vdrv_bar_read(&drv, drv.device + VIRTIO_BLK_CFG_CAPACITY, 4) |
		       vdrv_bar_read(&drv, drv.device + VIRTIO_BLK_CFG_CAPACITY + 4, 4) << 32;
	cr_assert_eq(cap, DISK_BYTES / 512);
	cr_assert_eq(vdrv_bar_read(&drv, drv.device + VIRTIO_BLK_CFG_SEG_MAX, 4), VIRTQ_MAX_SEGS - 2);
	cr_assert_eq(vdrv_bar_read(&drv, drv.device + VIRTIO_BLK_CFG_BLK_SIZE, 4), 512);
	cr_assert_eq(vdrv_bar_read(&drv, drv.device + VIRTIO_BLK_CFG_BLK_SIZE, 2), 512);
	cr_assert_eq(vdrv_bar_read(&drv, drv.device + VIRTIO_BLK_CFG_WRITEBACK, 1), 0);

	/* The configuration is read-only: a write changes nothing, one line. */
	vdrv_bar_write(&drv, drv.device + VIRTIO_BLK_CFG_CAPACITY, 4, 1);
	vdrv_bar_write(&drv, drv.device + VIRTIO_BLK_CFG_WRITEBACK, 1, 1);
	cr_assert_eq(vdrv_bar_read(&drv, drv.device + VIRTIO_BLK_CFG_CAPACITY, 4), DISK_BYTES / 512);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("[vm1] virtio-blk: write to the read-only configuration"));
}

Test(virtio_blk, write_then_read_back_across_segments)
{
	uint8_t data[1024];
	struct req w, r;

	bring_up(0);
	for (unsigned int i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(0xA0 ^ i);
	submit(&w, VIRTIO_BLK_T_OUT, 3, data, 512, 2);
	run_and_reap(&w, 1);
	cr_assert_eq(status_of(&w), VIRTIO_BLK_S_OK);
	cr_assert_arr_eq(disk + 3 * 512, data, sizeof(data));
	cr_assert_eq(disk[5 * 512], (uint8_t)(5 + 5 * 512 * 3), "sector 5 untouched");
	cr_assert_eq(disk[3 * 512 - 1], (uint8_t)(2 + (3 * 512 - 1) * 3), "sector 2 untouched");

	/* Read sectors 2..5 as one 2048-byte buffer. */
	submit(&r, VIRTIO_BLK_T_IN, 2, NULL, 2048, 1);
	run_and_reap(&r, 2049);
	cr_assert_eq(status_of(&r), VIRTIO_BLK_S_OK);
	cr_assert_arr_eq((uint8_t *)seg_host(&r, 1), disk + 2 * 512, 2048);
	cr_assert_arr_eq((uint8_t *)seg_host(&r, 1) + 512, data, sizeof(data));
	cr_assert_eq(blk.stats.reads, 1);
	cr_assert_eq(blk.stats.writes, 1);
	cr_assert_eq(blk.stats.bytes_written, 1024);
	cr_assert_eq(blk.stats.bytes_read, 2048);
	cr_assert_eq(host_log_count(), 0);
}

Test(virtio_blk, last_sector_is_reachable)
{
	struct req r;
	bring_up(0);
	submit(&r, VIRTIO_BLK_T_IN, DISK_BYTES / 512 - 1, NULL, 512, 1);
	run_and_reap(&r, 513);
	cr_assert_eq(status_of(&r), VIRTIO_BLK_S_OK);
	cr_assert_arr_eq((uint8_t *)seg_host(&r, 1), disk + DISK_BYTES - 512, 512);
}

Test(virtio_blk, flush_and_get_id)
{
	struct req f, id;

	bring_up(VIRTIO_FEATURE(VIRTIO_BLK_F_FLUSH));
	submit(&f, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 0);
	run_and_reap(&f, 1);
	cr_assert_eq(status_of(&f), VIRTIO_BLK_S_OK);
	cr_assert_eq(blk.stats.flushes, 1);

	submit(&id, VIRTIO_BLK_T_GET_ID, 0, NULL, VIRTIO_BLK_ID_BYTES, 1);
	run_and_reap(&id, VIRTIO_BLK_ID_BYTES + 1);
	cr_assert_eq(status_of(&id), VIRTIO_BLK_S_OK);
	char want[VIRTIO_BLK_ID_BYTES] = "bulkhead-disk0";
	cr_assert_arr_eq(seg_host(&id, 1), want, VIRTIO_BLK_ID_BYTES, "NUL padded to 20");
}

Test(virtio_blk, long_serial_is_cut_to_20_bytes)
{
	static struct virtio_blk other;
	struct virtio_pci_config base = base_config();
	cr_assert(virtio_blk_init(&other, &base, disk, DISK_BYTES, false, "a-very-long-disk-name"));
	cr_assert_arr_eq(other.serial, "bulkhead-a-very-long", VIRTIO_BLK_ID_BYTES);
}

Test(virtio_blk, sectors_beyond_the_disk_fail_with_one_line)
{
	struct req a, b, c;
	uint8_t data[1024];
	uint8_t *before = malloc(DISK_BYTES);

	memcpy(before, disk, DISK_BYTES);
	memset(data, 0x77, sizeof(data));
	bring_up(0);
	submit(&a, VIRTIO_BLK_T_OUT, DISK_BYTES / 512, data, 512, 1);
	run_and_reap(&a, 1);
	cr_assert_eq(status_of(&a), VIRTIO_BLK_S_IOERR);
	/* Starts inside, ends one sector past the end. */
	submit(&b, VIRTIO_BLK_T_OUT, DISK_BYTES / 512 - 1, data, 1024, 1);
	run_and_reap(&b, 1);
	cr_assert_eq(status_of(&b), VIRTIO_BLK_S_IOERR);
	/* A sector number whose byte offset would wrap around. */
	submit(&c, VIRTIO_BLK_T_IN, UINT64_MAX / 512 + 2, NULL, 512, 1);
	run_and_reap(&c, 513);
	cr_assert_eq(status_of(&c), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(((uint8_t *)seg_host(&c, 1))[0], 0xCC, "no data returned");

	cr_assert_arr_eq(disk, before, DISK_BYTES, "disk unchanged");
	cr_assert_eq(blk.stats.faults[VIRTIO_BLK_FAULT_RANGE], 3);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("[vm1] virtio-blk: sectors beyond the end of the disk"));
	cr_assert(virtio_pci_running(&blk.vp), "a bad request is not a broken device");
	free(before);
}

Test(virtio_blk, partial_sector_lengths_fail)
{
	struct req a, b;
	uint8_t data[700] = { 0 };

	bring_up(0);
	submit(&a, VIRTIO_BLK_T_OUT, 0, data, 700, 1);
	run_and_reap(&a, 1);
	cr_assert_eq(status_of(&a), VIRTIO_BLK_S_IOERR);
	submit(&b, VIRTIO_BLK_T_IN, 0, NULL, 100, 1);
	run_and_reap(&b, 101);
	cr_assert_eq(status_of(&b), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(blk.stats.faults[VIRTIO_BLK_FAULT_LENGTH], 2);
	cr_assert_eq(host_log_count(), 1);
	cr_assert_eq(disk[0], 0, "disk unchanged");
}

Test(virtio_blk, read_only_disk_refuses_writes)
{
	struct req w, r;
	uint8_t data[512];

	make_disk(true);
	cr_assert(vdrv_device_features(&drv) & VIRTIO_FEATURE(VIRTIO_BLK_F_RO));
	bring_up(VIRTIO_FEATURE(VIRTIO_BLK_F_RO));
	memset(data, 0x55, sizeof(data));
	submit(&w, VIRTIO_BLK_T_OUT, 1, data, 512, 1);
	run_and_reap(&w, 1);
	cr_assert_eq(status_of(&w), VIRTIO_BLK_S_IOERR);
	cr_assert_neq(disk[512], 0x55);
	cr_assert(host_log_contains("write to a read-only disk"));

	submit(&r, VIRTIO_BLK_T_IN, 1, NULL, 512, 1);
	run_and_reap(&r, 513);
	cr_assert_eq(status_of(&r), VIRTIO_BLK_S_OK);
	cr_assert_arr_eq(seg_host(&r, 1), disk + 512, 512);
}

Test(virtio_blk, short_header_gets_ioerr)
{
	struct vdrv_seg segs[2] = { { .data = "\0\0\0\0\0\0\0\0", .len = 8 },
				    { .len = 1, .write = true } };
	uint32_t id, len;

	bring_up(0);
	uint16_t head = vdrv_add(&drv, 0, segs, 2);
	vdrv_kick(&drv, 0);
	virtio_pci_service(&blk.vp);
	cr_assert(vdrv_get_used(&drv, 0, &id, &len));
	cr_assert_eq(id, head);
	cr_assert_eq(len, 1);
	cr_assert_eq(*(uint8_t *)vdrv_host(&drv, segs[1].gpa), VIRTIO_BLK_S_IOERR);
	cr_assert(host_log_contains("request header shorter than 16 bytes"));
}

Test(virtio_blk, status_in_a_readable_buffer_is_returned_unanswered)
{
	uint8_t hdr[16];
	struct req ok;
	uint32_t id, len;

	bring_up(0);
	make_hdr(hdr, VIRTIO_BLK_T_FLUSH, 0);
	struct vdrv_seg segs[2] = { { .data = hdr, .len = 16 }, { .data = "\x42", .len = 1 } };
	for (int i = 0; i < 3; i++)
		vdrv_add(&drv, 0, segs, 2);
	vdrv_kick(&drv, 0);
	virtio_pci_service(&blk.vp);
	for (int i = 0; i < 3; i++) {
		cr_assert(vdrv_get_used(&drv, 0, &id, &len));
		cr_assert_eq(len, 0);
	}
	cr_assert_eq(*(uint8_t *)vdrv_host(&drv, segs[1].gpa), 0x42, "readable byte not written");
	cr_assert_eq(blk.stats.faults[VIRTIO_BLK_FAULT_NO_STATUS], 3);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("[vm1] virtio-blk: request without a device-writable status"));
	cr_assert_eq(blk.stats.flushes, 0);

	/* The device goes on. */
	submit(&ok, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 0);
	run_and_reap(&ok, 1);
	cr_assert_eq(status_of(&ok), VIRTIO_BLK_S_OK);
}

Test(virtio_blk, unknown_types_are_unsupported)
{
	struct req d, g;

	bring_up(0);
	submit(&d, VIRTIO_BLK_T_DISCARD, 0, (const uint8_t *)"0123456789abcdef", 16, 1);
	/* The DISCARD payload was given as writable here; it does not matter. */
	run_and_reap(&d, 17);
	cr_assert_eq(status_of(&d), VIRTIO_BLK_S_UNSUPP);
	submit(&g, 0x7777, 0, NULL, 0, 0);
	run_and_reap(&g, 1);
	cr_assert_eq(status_of(&g), VIRTIO_BLK_S_UNSUPP);
	cr_assert_eq(host_log_count(), 1);
}

Test(virtio_blk, batch_completes_with_one_interrupt)
{
	struct req r[10];
	uint32_t id, len;

	bring_up(0);
	for (int i = 0; i < 10; i++)
		submit(&r[i], VIRTIO_BLK_T_IN, (uint64_t)i, NULL, 512, 1);
	vdrv_kick(&drv, 0);
	virtio_pci_service(&blk.vp);
	for (int i = 0; i < 10; i++) {
		cr_assert(vdrv_get_used(&drv, 0, &id, &len));
		cr_assert_eq(id, r[i].head, "completed in order");
		cr_assert_eq(status_of(&r[i]), VIRTIO_BLK_S_OK);
		cr_assert_arr_eq(seg_host(&r[i], 1), disk + 512 * i, 512);
	}
	cr_assert_not(vdrv_get_used(&drv, 0, &id, &len));
	cr_assert_eq(blk.vp.interrupts, 1);
	cr_assert_eq(irq.rises[INTX_LINE], 1);
	cr_assert_eq(vdrv_read_isr(&drv), 1);
	/* Notifications are wanted again after the drain. */
	uint16_t used_flags;
	memcpy(&used_flags, vdrv_host(&drv, drv.q[0].base + VDRV_USED_OFF), 2);
	cr_assert_eq(used_flags & VIRTQ_USED_F_NO_NOTIFY, 0);
}

Test(virtio_blk, broken_ring_needs_reset)
{
	bring_up(0);
	/* avail->idx jumps further ahead than the queue is long. */
	uint16_t idx = QSIZE + 5;
	memcpy(vdrv_host(&drv, drv.q[0].base + VDRV_AVAIL_OFF + 2), &idx, 2);
	vdrv_kick(&drv, 0);
	virtio_pci_service(&blk.vp);
	cr_assert(vdrv_common_read(&drv, VDRV_COMMON_STATUS, 1) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("[vm1] virtio-blk: requestq:"));
	cr_assert(host_log_contains("device needs reset"));

	/* A driver reset brings it back. */
	struct req r;
	bring_up(0);
	submit(&r, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 0);
	run_and_reap(&r, 1);
	cr_assert_eq(status_of(&r), VIRTIO_BLK_S_OK);
}

Test(virtio_blk, data_survives_a_power_on_reset)
{
	uint8_t data[512];
	struct req w, r;

	bring_up(0);
	memset(data, 0xE7, sizeof(data));
	submit(&w, VIRTIO_BLK_T_OUT, 100, data, 512, 1);
	run_and_reap(&w, 1);

	/* Partition restart: the transport forgets everything, the disk stays. */
	virtio_pci_reset(&blk.vp);
	cr_assert_not(virtio_pci_running(&blk.vp));
	memset(ram, 0, RAM_SIZE);
	cr_assert(vdrv_init(&drv, &blk.vp, ram, RAM_GPA, RAM_SIZE));
	bring_up(0);
	submit(&r, VIRTIO_BLK_T_IN, 100, NULL, 512, 1);
	run_and_reap(&r, 513);
	cr_assert_eq(status_of(&r), VIRTIO_BLK_S_OK);
	cr_assert_arr_eq(seg_host(&r, 1), data, 512);
}

Test(virtio_blk, event_idx_and_indirect_work_too)
{
	struct req r;

	bring_up(VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX));
	submit(&r, VIRTIO_BLK_T_IN, 7, NULL, 512, 1);
	run_and_reap(&r, 513);
	cr_assert_arr_eq(seg_host(&r, 1), disk + 7 * 512, 512);
	/* avail_event follows what was consumed, so the next add notifies. */
	uint16_t avail_event;
	memcpy(&avail_event, vdrv_host(&drv, drv.q[0].base + VDRV_USED_OFF + 4 + 8 * QSIZE), 2);
	cr_assert_eq(avail_event, 1);
}

Test(virtio_blk, refuses_bad_disks)
{
	static struct virtio_blk other;
	struct virtio_pci_config base = base_config();
	cr_assert_not(virtio_blk_init(&other, &base, disk, 1000, false, NULL));
	cr_assert_not(virtio_blk_init(&other, &base, disk, 0, false, NULL));
	cr_assert_not(virtio_blk_init(&other, &base, NULL, 512, false, NULL));
	cr_assert_eq(host_log_count(), 3);
	cr_assert(virtio_blk_init(&other, &base, disk, 512, false, NULL));
	cr_assert_arr_eq(other.serial, "bulkhead-vm1\0\0\0\0\0\0\0\0", VIRTIO_BLK_ID_BYTES);
}
