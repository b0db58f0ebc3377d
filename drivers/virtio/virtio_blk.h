/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio block device (virtio 1.2 §5.2) over a disk image held in host
 * memory: one request queue; reads, writes, flushes and the device ID.
 *
 * The backing store is a RAM copy of a boot-module disk image that the
 * platform owns and keeps across partition restarts (a device reset or
 * virtio_blk's power-on reset never touches it). Requests copy directly
 * between guest buffers and that memory; nothing is cached, so a flush
 * only has to complete.
 *
 * Request framing (§5.2.6) is found by offset, not by descriptor layout
 * (§2.6.4): a 16-byte header at the start of the readable part, data
 * after it (writes) or at the start of the writable part (reads, GET_ID),
 * and the status byte as the last writable byte. A request that is wrong
 * in itself completes with VIRTIO_BLK_S_IOERR or _UNSUPP (one warning per
 * kind of mistake per device); a broken ring puts the device into
 * DEVICE_NEEDS_RESET (the transport logs it).
 *
 * Pure code; embeds its transport (struct virtio_pci). */
#ifndef BULKHEAD_DRIVERS_VIRTIO_VIRTIO_BLK_H
#define BULKHEAD_DRIVERS_VIRTIO_VIRTIO_BLK_H

#include "drivers/virtio/virtio_pci.h"

/* Feature bits (§5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_GEOMETRY 4
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_TOPOLOGY 10
#define VIRTIO_BLK_F_CONFIG_WCE 11
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* Configuration layout (§5.2.4), little endian. */
#define VIRTIO_BLK_CFG_CAPACITY 0    /* le64, 512-byte sectors */
#define VIRTIO_BLK_CFG_SIZE_MAX 8    /* le32 */
#define VIRTIO_BLK_CFG_SEG_MAX 12    /* le32 */
#define VIRTIO_BLK_CFG_GEOMETRY 16   /* le16 cylinders, u8 heads, u8 sectors */
#define VIRTIO_BLK_CFG_BLK_SIZE 20   /* le32 */
#define VIRTIO_BLK_CFG_TOPOLOGY 24   /* 8 bytes */
#define VIRTIO_BLK_CFG_WRITEBACK 32  /* u8 */
#define VIRTIO_BLK_CFG_NUM_QUEUES 34 /* le16 */
#define VIRTIO_BLK_CONFIG_SIZE 36

/* Request header (§5.2.6): le32 type, le32 reserved, le64 sector. */
#define VIRTIO_BLK_REQ_HDR_SIZE 16
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_GET_LIFETIME 10
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_T_SECURE_ERASE 14
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_ID_BYTES 20

/* Sector size of the capacity and request sector fields (§5.2.4, §5.2.6). */
#define VIRTIO_BLK_SECTOR_SIZE 512
#define VIRTIO_BLK_SECTOR_SHIFT 9

#define VIRTIO_BLK_QUEUE_SIZE 256
/* Data segments per request: a chain holds at most VIRTQ_MAX_SEGS buffers,
 * two of which are the header and the status byte. */
#define VIRTIO_BLK_SEG_MAX (VIRTQ_MAX_SEGS - 2)
/* PCI class: mass storage, SCSI controller (what Linux hosts report). */
#define VIRTIO_BLK_PCI_CLASS 0x010000
/* One process() call handles at most this many requests or bytes; the
 * rest is requeued so other devices get the service CPU. */
#define VIRTIO_BLK_BUDGET_REQUESTS 256
#define VIRTIO_BLK_BUDGET_BYTES MiB(8)

/* Kinds of faulty request, each logged once per device. */
enum virtio_blk_fault {
	VIRTIO_BLK_FAULT_NO_STATUS,    /* no writable byte for the status */
	VIRTIO_BLK_FAULT_SHORT_HEADER, /* readable part shorter than the header */
	VIRTIO_BLK_FAULT_LENGTH,       /* data not a whole number of sectors */
	VIRTIO_BLK_FAULT_RANGE,        /* sectors beyond the capacity */
	VIRTIO_BLK_FAULT_READ_ONLY,    /* write to a read-only disk */
	VIRTIO_BLK_FAULT_UNSUPPORTED,  /* a request type this device does not offer */
	VIRTIO_BLK_FAULT_CONFIG_WRITE, /* write to the read-only configuration */
	VIRTIO_BLK_NR_FAULTS,
};

struct virtio_blk_stats {
	uint64_t reads, writes, flushes, get_ids;
	uint64_t bytes_read, bytes_written;
	uint64_t faults[VIRTIO_BLK_NR_FAULTS];
};

struct virtio_blk {
	struct virtio_pci vp;
	uint8_t *disk;
	uint64_t disk_bytes;
	uint64_t capacity; /* sectors */
	bool read_only;
	char serial[VIRTIO_BLK_ID_BYTES]; /* NUL padded, not terminated at 20 */
	uint8_t config[VIRTIO_BLK_CONFIG_SIZE];
	uint32_t warned;          /* bit per enum virtio_blk_fault */
	struct virtq_chain chain; /* scratch for process() (serialized) */
	struct virtio_blk_stats stats;
};

/* base: owner, mem, msi, intx, kick as for every virtio device (ops, dev
 * and device_features are set here). disk/disk_bytes: the image in host
 * memory, a non-zero multiple of 512 bytes, owned by the caller and kept
 * across restarts. serial_name: the device ID is "bulkhead-<serial_name>"
 * cut to 20 bytes (the owner's name if NULL). false (one error line) on a
 * bad disk or if the transport refuses. */
bool virtio_blk_init(struct virtio_blk *d, const struct virtio_pci_config *base, uint8_t *disk,
		     uint64_t disk_bytes, bool read_only, const char *serial_name);

#endif
