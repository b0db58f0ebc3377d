/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio block device (virtio 1.2 §5.2). See virtio_blk.h. */
#include "drivers/virtio/virtio_blk.h"

#include "core/lib/format.h"
#include "core/lib/string.h"
#include "core/log.h"

#define SERIAL_PREFIX "bulkhead-"

/* Offsets inside the request header (§5.2.6). */
#define REQ_TYPE 0
#define REQ_SECTOR 8

static const char *const fault_text[VIRTIO_BLK_NR_FAULTS] = {
	[VIRTIO_BLK_FAULT_NO_STATUS] = "request without a device-writable status byte; "
				       "returned unanswered",
	[VIRTIO_BLK_FAULT_SHORT_HEADER] = "request header shorter than 16 bytes; IOERR",
	[VIRTIO_BLK_FAULT_LENGTH] = "data length not a multiple of 512 bytes; IOERR",
	[VIRTIO_BLK_FAULT_RANGE] = "sectors beyond the end of the disk; IOERR",
	[VIRTIO_BLK_FAULT_READ_ONLY] = "write to a read-only disk; IOERR",
	[VIRTIO_BLK_FAULT_UNSUPPORTED] = "unsupported request type; UNSUPP",
	[VIRTIO_BLK_FAULT_CONFIG_WRITE] = "write to the read-only configuration; ignored",
};

static const char *owner_of(const struct virtio_blk *d)
{
	return d->vp.cfg.owner ? d->vp.cfg.owner : "?";
}

/* Counts a fault; the first of each kind is logged with a detail value. */
static void fault(struct virtio_blk *d, enum virtio_blk_fault kind, uint64_t detail)
{
	d->stats.faults[kind]++;
	if (d->warned & BIT(kind))
		return;
	d->warned |= (uint32_t)BIT(kind);
	pr_warn("[%s] virtio-blk: %s (%#llx; further ones counted, not logged)", owner_of(d),
		fault_text[kind], (unsigned long long)detail);
}

static void put_le(uint8_t *p, uint64_t v, unsigned int bytes)
{
	for (unsigned int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned int bytes)
{
	uint64_t v = 0;
	for (unsigned int i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* ---- configuration space (§5.2.4) ------------------------------------- */

static uint32_t blk_config_read(void *dev, unsigned int off, unsigned int size)
{
	struct virtio_blk *d = dev;

	if (off >= VIRTIO_BLK_CONFIG_SIZE || size > 4 || size > VIRTIO_BLK_CONFIG_SIZE - off)
		return 0xFFFFFFFFu;
	return (uint32_t)get_le(d->config + off, size);
}

static void blk_config_write(void *dev, unsigned int off, unsigned int size, uint32_t val)
{
	/* Only `writeback` is writable, and only with CONFIG_WCE (not offered). */
	fault(dev, VIRTIO_BLK_FAULT_CONFIG_WRITE, off);
}

static void build_config(struct virtio_blk *d)
{
	bh_memset(d->config, 0, sizeof(d->config));
	put_le(d->config + VIRTIO_BLK_CFG_CAPACITY, d->capacity, 8);
	put_le(d->config + VIRTIO_BLK_CFG_SEG_MAX, VIRTIO_BLK_SEG_MAX, 4);
	put_le(d->config + VIRTIO_BLK_CFG_BLK_SIZE, VIRTIO_BLK_SECTOR_SIZE, 4);
	put_le(d->config + VIRTIO_BLK_CFG_NUM_QUEUES, 1, 2);
}

/* ---- requests (§5.2.6) -------------------------------------------------- */

/* Byte offset of [sector, sector + bytes) in the disk, if it lies inside. */
static bool disk_range(const struct virtio_blk *d, uint64_t sector, uint64_t bytes, uint64_t *off)
{
	uint64_t nr = bytes >> VIRTIO_BLK_SECTOR_SHIFT;

	if (sector > d->capacity || nr > d->capacity - sector)
		return false;
	*off = sector << VIRTIO_BLK_SECTOR_SHIFT;
	return true;
}

static uint8_t check_data(struct virtio_blk *d, uint64_t sector, uint64_t len, uint64_t *off)
{
	if (len % VIRTIO_BLK_SECTOR_SIZE) {
		fault(d, VIRTIO_BLK_FAULT_LENGTH, len);
		return VIRTIO_BLK_S_IOERR;
	}
	if (!disk_range(d, sector, len, off)) {
		fault(d, VIRTIO_BLK_FAULT_RANGE, sector);
		return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

static uint8_t do_read(struct virtio_blk *d, const struct virtq *vq, const struct virtq_chain *c,
		       uint64_t sector)
{
	uint64_t len = c->writable_len - 1, off;
	uint8_t st = check_data(d, sector, len, &off);

	if (st != VIRTIO_BLK_S_OK)
		return st;
	if (virtq_chain_write(vq, c, 0, d->disk + off, len) != len)
		return VIRTIO_BLK_S_IOERR;
	d->stats.reads++;
	d->stats.bytes_read += len;
	return VIRTIO_BLK_S_OK;
}

static uint8_t do_write(struct virtio_blk *d, const struct virtq *vq, const struct virtq_chain *c,
			uint64_t sector)
{
	uint64_t len = c->readable_len - VIRTIO_BLK_REQ_HDR_SIZE, off;

	/* §5.2.6.2: a read-only device fails writes and changes nothing. */
	if (d->read_only) {
		fault(d, VIRTIO_BLK_FAULT_READ_ONLY, sector);
		return VIRTIO_BLK_S_IOERR;
	}
	uint8_t st = check_data(d, sector, len, &off);
	if (st != VIRTIO_BLK_S_OK)
		return st;
	if (virtq_chain_read(vq, c, VIRTIO_BLK_REQ_HDR_SIZE, d->disk + off, len) != len)
		return VIRTIO_BLK_S_IOERR;
	d->stats.writes++;
	d->stats.bytes_written += len;
	return VIRTIO_BLK_S_OK;
}

static uint8_t do_get_id(struct virtio_blk *d, const struct virtq *vq, const struct virtq_chain *c)
{
	uint64_t room = c->writable_len - 1;
	uint64_t n = MIN(room, (uint64_t)VIRTIO_BLK_ID_BYTES);

	if (virtq_chain_write(vq, c, 0, d->serial, n) != n)
		return VIRTIO_BLK_S_IOERR;
	d->stats.get_ids++;
	return VIRTIO_BLK_S_OK;
}

/* Runs one request; returns the used length (the status byte is the last
 * writable byte, so a completed request reports the whole writable part). */
static uint32_t handle_request(struct virtio_blk *d, const struct virtq *vq,
			       const struct virtq_chain *c, uint64_t *bytes)
{
	uint8_t hdr[VIRTIO_BLK_REQ_HDR_SIZE];
	uint8_t st;

	*bytes = 0;
	if (c->writable_len == 0) {
		fault(d, VIRTIO_BLK_FAULT_NO_STATUS, c->head);
		return 0;
	}
	if (c->readable_len < sizeof(hdr) ||
	    virtq_chain_read(vq, c, 0, hdr, sizeof(hdr)) != sizeof(hdr)) {
		fault(d, VIRTIO_BLK_FAULT_SHORT_HEADER, c->readable_len);
		st = VIRTIO_BLK_S_IOERR;
		goto complete;
	}

	uint32_t type = (uint32_t)get_le(hdr + REQ_TYPE, 4);
	uint64_t sector = get_le(hdr + REQ_SECTOR, 8);
	switch (type) {
	case VIRTIO_BLK_T_IN:
		st = do_read(d, vq, c, sector);
		*bytes = c->writable_len - 1;
		break;
	case VIRTIO_BLK_T_OUT:
		st = do_write(d, vq, c, sector);
		*bytes = c->readable_len - sizeof(hdr);
		break;
	case VIRTIO_BLK_T_FLUSH:
		/* Writes land in the image synchronously: nothing to flush. */
		d->stats.flushes++;
		st = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_GET_ID:
		st = do_get_id(d, vq, c);
		break;
	default:
		fault(d, VIRTIO_BLK_FAULT_UNSUPPORTED, type);
		st = VIRTIO_BLK_S_UNSUPP;
		break;
	}
complete:
	virtq_chain_write(vq, c, c->writable_len - 1, &st, 1);
	return (uint32_t)c->writable_len;
}

static void blk_process(void *dev, unsigned int q)
{
	struct virtio_blk *d = dev;
	struct virtq *vq = virtio_pci_queue(&d->vp, q);
	unsigned int requests = 0;
	uint64_t bytes = 0;

	if (!vq)
		return;
	/* Drain with notifications off, then re-enable and look again so a
	 * request added meanwhile is not missed (§2.7.10). */
	for (;;) {
		virtq_set_notify(vq, false);
		for (;;) {
			if (requests >= VIRTIO_BLK_BUDGET_REQUESTS ||
			    bytes >= VIRTIO_BLK_BUDGET_BYTES) {
				virtio_pci_requeue(&d->vp, q);
				goto done;
			}
			enum virtq_result r = virtq_pop(vq, &d->chain);
			if (r == VIRTQ_EMPTY)
				break;
			if (r != VIRTQ_OK) {
				virtio_pci_needs_reset(&d->vp, "requestq: %s", virtq_result_str(r));
				goto done;
			}
			uint64_t n;
			uint32_t used = handle_request(d, vq, &d->chain, &n);
			virtq_push(vq, d->chain.head, used);
			requests++;
			bytes += n;
		}
		virtq_set_notify(vq, true);
		if (!virtq_has_avail(vq))
			break;
	}
done:
	virtio_pci_queue_done(&d->vp, q);
}

static const struct virtio_device_ops blk_ops = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.nr_queues = 1,
	.queue_max_size = VIRTIO_BLK_QUEUE_SIZE,
	.class_code = VIRTIO_BLK_PCI_CLASS,
	.config_size = VIRTIO_BLK_CONFIG_SIZE,
	.config_read = blk_config_read,
	.config_write = blk_config_write,
	.process = blk_process,
};

bool virtio_blk_init(struct virtio_blk *d, const struct virtio_pci_config *base, uint8_t *disk,
		     uint64_t disk_bytes, bool read_only, const char *serial_name)
{
	struct virtio_pci_config cfg = *base;
	const char *owner = base->owner ? base->owner : "?";
	char serial[VIRTIO_BLK_ID_BYTES + 1];

	bh_memset(d, 0, sizeof(*d));
	if (!disk || disk_bytes == 0 || disk_bytes % VIRTIO_BLK_SECTOR_SIZE) {
		pr_err("[%s] virtio-blk: disk image of %llu bytes is not a non-empty whole number "
		       "of 512-byte sectors",
		       owner, (unsigned long long)disk_bytes);
		return false;
	}
	d->disk = disk;
	d->disk_bytes = disk_bytes;
	d->capacity = disk_bytes >> VIRTIO_BLK_SECTOR_SHIFT;
	d->read_only = read_only;
	/* §5.2.6: a string of up to 20 bytes, NUL-terminated only if shorter. */
	bh_snprintf(serial, sizeof(serial), SERIAL_PREFIX "%s", serial_name ? serial_name : owner);
	bh_memcpy(d->serial, serial, bh_strnlen(serial, VIRTIO_BLK_ID_BYTES));
	build_config(d);

	cfg.ops = &blk_ops;
	cfg.dev = d;
	cfg.device_features = VIRTIO_FEATURE(VIRTIO_BLK_F_SEG_MAX) |
			      VIRTIO_FEATURE(VIRTIO_BLK_F_BLK_SIZE) |
			      VIRTIO_FEATURE(VIRTIO_BLK_F_FLUSH);
	if (read_only)
		cfg.device_features |= VIRTIO_FEATURE(VIRTIO_BLK_F_RO);
	return virtio_pci_init(&d->vp, &cfg);
}
