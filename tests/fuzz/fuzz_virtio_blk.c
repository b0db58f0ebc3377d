/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz the virtio block device behind its transport, driven by the test
 * driver (tests/unit/support/virtio_driver.h) plus raw hostile accesses.
 * Input: byte 0 bit 0 makes the disk read-only, then 8-byte operations:
 *   [0] kind  [1] segment count / directions  [2..3] length  [4..7] value
 * Kinds: bring-up, a well-formed-ish request (type and sector from the
 * value, data segments of fuzzed sizes and directions), a raw chain, kick,
 * service, scribble over guest RAM (rings included), raw BAR write,
 * power-on reset.
 * Invariants: nothing outside guest RAM and the disk is touched (ASan);
 * a read-only disk never changes; the capacity never changes; the byte
 * counters never exceed what the requests could carry. */
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/virtio_blk.h"
#include "tests/unit/support/host_log.h"
#include "tests/unit/support/virtio_driver.h"

#define CHECK(c)                          \
	do {                              \
		if (!(c))                 \
			__builtin_trap(); \
	} while (0)

#define OP_BYTES 8
#define RAM_GPA 0x100000ULL
#define RAM_SIZE (2 * VDRV_QUEUE_AREA)
#define DISK_BYTES (64 * 512ULL)
#define MAX_SEGS 6

enum {
	OP_BRING_UP,
	OP_REQUEST,
	OP_RAW,
	OP_KICK,
	OP_SERVICE,
	OP_SCRIBBLE,
	OP_BAR,
	OP_RESET,
	OP_KINDS
};

static const uint32_t types[] = { VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH,
				  VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_DISCARD };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct virtio_blk blk;
	static struct vdrv drv;
	static uint8_t ram[RAM_SIZE];
	static uint8_t disk[DISK_BYTES], pristine[DISK_BYTES];
	struct gmem mem = { 0 };
	bool read_only, up = false;
	uint64_t requests = 0;

	if (len < 1)
		return 0;
	read_only = data[0] & 1;
	data++;
	len--;

	memset(ram, 0, sizeof(ram));
	/* The pattern once: a traced loop over the disk per input took half
	 * of the run. */
	static bool patterned;
	if (!patterned) {
		for (unsigned int i = 0; i < DISK_BYTES; i++)
			pristine[i] = (uint8_t)i;
		patterned = true;
	}
	memcpy(disk, pristine, sizeof(disk));
	CHECK(gmem_add_region(&mem, RAM_GPA, RAM_SIZE, ram));
	struct virtio_pci_config base = { .owner = "fuzz", .mem = &mem };
	CHECK(virtio_blk_init(&blk, &base, disk, DISK_BYTES, read_only, "fuzz"));
	CHECK(vdrv_init(&drv, &blk.vp, ram, RAM_GPA, RAM_SIZE));
	host_log_reset();

	for (; len >= OP_BYTES; data += OP_BYTES, len -= OP_BYTES) {
		uint16_t arg = (uint16_t)(data[2] | data[3] << 8);
		uint32_t val;
		memcpy(&val, data + 4, 4);

		switch (data[0] % OP_KINDS) {
		case OP_BRING_UP:
			/* Mostly offered features (SEG_MAX, RO, BLK_SIZE, FLUSH,
			 * INDIRECT_DESC, EVENT_IDX), sometimes anything. */
			up = vdrv_bring_up(&drv, val & (arg & 0x8000 ? 0x30000FFFu : 0x30000264u),
					   1, (uint16_t)(1u << (arg % 8)));
			break;
		case OP_REQUEST: {
			/* Header, data segments of 512 * k (or fuzzed) bytes, status. */
			uint8_t hdr[VIRTIO_BLK_REQ_HDR_SIZE] = { 0 };
			struct vdrv_seg segs[MAX_SEGS];
			unsigned int nd = data[1] % (MAX_SEGS - 1);
			uint32_t type = types[(val >> 28) % 5];
			uint64_t sector = (val & 0x0FFFFFFF) % 80; /* around the end */
			if (!up || !blk.vp.vq[0].ready || nd + 2 > drv.q[0].size)
				break;
			if (val & 0x08000000)
				sector = UINT64_MAX - (val & 7);
			memcpy(hdr, &type, 4);
			memcpy(hdr + 8, &sector, 8);
			segs[0] = (struct vdrv_seg){ .data = hdr, .len = sizeof(hdr) };
			for (unsigned int i = 0; i < nd; i++) {
				uint32_t l = ((arg >> (3 * i)) & 7) * 512;
				if (data[1] & 0x80)
					l += (arg >> i) & 0x1F; /* not whole sectors */
				segs[1 + i] = (struct vdrv_seg){ .len = l ? l : 1,
								 .write = type != VIRTIO_BLK_T_OUT };
			}
			segs[1 + nd] = (struct vdrv_seg){ .len = 1, .write = !(data[1] & 0x40) };
			vdrv_add(&drv, 0, segs, nd + 2);
			requests++;
			break;
		}
		case OP_RAW: {
			struct vdrv_seg segs[MAX_SEGS];
			unsigned int n = 1 + data[1] % MAX_SEGS;
			if (!up || !blk.vp.vq[0].ready || n > drv.q[0].size)
				break;
			for (unsigned int i = 0; i < n; i++)
				segs[i] = (struct vdrv_seg){ .len = 1 + ((arg >> (2 * i)) & 0x3FF),
							     .write = (val >> i) & 1,
							     .data = NULL };
			vdrv_add(&drv, 0, segs, n);
			requests++;
			break;
		}
		case OP_KICK:
			if (up)
				vdrv_kick(&drv, 0);
			else
				virtio_pci_bar_write(&blk.vp, VIRTIO_PCI_NOTIFY_OFF, 2, 0);
			break;
		case OP_SERVICE:
			virtio_pci_service(&blk.vp);
			break;
		case OP_SCRIBBLE:
			memcpy(ram + (((uint64_t)arg << 3) % (RAM_SIZE - 4)), &val, 4);
			break;
		case OP_BAR:
			if (data[1] & 0x10) {
				uint64_t v = 0;
				virtio_pci_bar_read(&blk.vp, VIRTIO_PCI_DEVICE_OFF + (arg & 0x3F),
						    1u << (data[1] & 3), &v);
			} else {
				virtio_pci_bar_write(&blk.vp, arg & 0x7FFF, 1u << (data[1] & 3), val);
			}
			break;
		case OP_RESET:
			virtio_pci_reset(&blk.vp);
			up = false;
			break;
		}
		CHECK(blk.capacity == DISK_BYTES / 512);
		if (read_only)
			CHECK(blk.stats.writes == 0 && blk.stats.bytes_written == 0);
		/* Each request moves at most one disk's worth of bytes. */
		CHECK(blk.stats.bytes_read <= blk.stats.reads * DISK_BYTES);
		CHECK(blk.stats.bytes_written <= blk.stats.writes * DISK_BYTES);
	}
	if (read_only)
		CHECK(memcmp(disk, pristine, sizeof(disk)) == 0);
	(void)requests;
	return 0;
}
