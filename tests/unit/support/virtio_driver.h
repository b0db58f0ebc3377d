/* SPDX-License-Identifier: BSD-2-Clause */
/* A tiny virtio driver for tests of virtio device models: it finds the
 * transport's registers through the PCI vendor capabilities (as Linux's
 * virtio_pci_modern does), negotiates, lays out split rings in a test RAM
 * region, adds descriptor chains, notifies and reaps used entries.
 * Header-only, no Criterion: functions return false on failure so unit
 * tests and fuzzers can both use it. Virtio 1.2 §2.7, §3.1.1, §4.1.4. */
#ifndef BULKHEAD_TESTS_VIRTIO_DRIVER_H
#define BULKHEAD_TESTS_VIRTIO_DRIVER_H

#include <string.h>

#include "drivers/virtio/virtio_pci.h"

#define VDRV_CAP_COMMON 1
#define VDRV_CAP_NOTIFY 2
#define VDRV_CAP_ISR 3
#define VDRV_CAP_DEVICE 4
#define VDRV_COMMON_DFSELECT 0x00
#define VDRV_COMMON_DF 0x04
#define VDRV_COMMON_GFSELECT 0x08
#define VDRV_COMMON_GF 0x0C
#define VDRV_COMMON_MSIX 0x10
#define VDRV_COMMON_STATUS 0x14
#define VDRV_COMMON_CFGGEN 0x15
#define VDRV_COMMON_QSELECT 0x16
#define VDRV_COMMON_QSIZE 0x18
#define VDRV_COMMON_QMSIX 0x1A
#define VDRV_COMMON_QENABLE 0x1C
#define VDRV_COMMON_QNOFF 0x1E
#define VDRV_COMMON_QDESC 0x20
#define VDRV_COMMON_QAVAIL 0x28
#define VDRV_COMMON_QUSED 0x30
#define VDRV_DESC_F_NEXT 1
#define VDRV_DESC_F_WRITE 2
/* Per queue in RAM: 64 KiB of rings (desc, avail at +0x4000, used at
 * +0x6000) then 64 KiB of buffers handed out bump-style. */
#define VDRV_QUEUE_AREA 0x20000ULL
#define VDRV_AVAIL_OFF 0x4000ULL
#define VDRV_USED_OFF 0x6000ULL
#define VDRV_DATA_OFF 0x10000ULL
#define VDRV_DATA_SIZE 0x10000ULL
#define VDRV_MAX_QUEUES VIRTIO_PCI_MAX_QUEUES

struct vdrv_seg {
	const void *data; /* readable: copied in; writable: ignored */
	uint32_t len;
	bool write;
	gpa_t gpa; /* filled in by vdrv_add */
};

struct vdrv_queue {
	uint16_t size;
	gpa_t base;
	uint16_t avail_idx, last_used, next_desc;
	uint64_t data_next;
};

struct vdrv {
	struct virtio_pci *vp;
	uint8_t *ram;
	gpa_t ram_gpa;
	uint64_t ram_size;
	uint32_t common, notify, isr, device, mult;
	struct vdrv_queue q[VDRV_MAX_QUEUES];
};

static inline uint64_t vdrv_bar_read(struct vdrv *d, uint64_t off, unsigned int size)
{
	uint64_t v = 0;
	virtio_pci_bar_read(d->vp, off, size, &v);
	return v;
}

static inline void vdrv_bar_write(struct vdrv *d, uint64_t off, unsigned int size, uint64_t v)
{
	virtio_pci_bar_write(d->vp, off, size, v);
}

static inline uint32_t vdrv_common_read(struct vdrv *d, unsigned int off, unsigned int size)
{
	return (uint32_t)vdrv_bar_read(d, d->common + off, size);
}

static inline void vdrv_common_write(struct vdrv *d, unsigned int off, unsigned int size, uint32_t v)
{
	vdrv_bar_write(d, d->common + off, size, v);
}

static inline void *vdrv_host(struct vdrv *d, gpa_t gpa)
{
	return d->ram + (gpa - d->ram_gpa);
}

/* Walks the vendor capabilities for cfg_type; returns the BAR offset. */
static inline bool vdrv_find_cap(struct vdrv *d, uint8_t type, uint32_t *off, unsigned int *pos)
{
	struct pci_dev *p = &d->vp->pci;
	unsigned int at = pci_dev_config_read(p, PCI_CAPABILITY_LIST, 1) & 0xFC;

	for (int n = 0; at >= PCI_HEADER_END && n < 48; n++) {
		if (pci_dev_config_read(p, at, 1) == PCI_CAP_ID_VENDOR &&
		    pci_dev_config_read(p, at + 3, 1) == type) {
			*off = pci_dev_config_read(p, at + 8, 4);
			if (pos)
				*pos = at;
			return true;
		}
		at = pci_dev_config_read(p, at + 1, 1) & 0xFC;
	}
	return false;
}

/* RAM needs (queues + 1) * VDRV_QUEUE_AREA bytes. */
static inline bool vdrv_init(struct vdrv *d, struct virtio_pci *vp, uint8_t *ram, gpa_t ram_gpa,
			     uint64_t ram_size)
{
	unsigned int npos;

	memset(d, 0, sizeof(*d));
	d->vp = vp;
	d->ram = ram;
	d->ram_gpa = ram_gpa;
	d->ram_size = ram_size;
	if (!vdrv_find_cap(d, VDRV_CAP_COMMON, &d->common, NULL) ||
	    !vdrv_find_cap(d, VDRV_CAP_ISR, &d->isr, NULL) ||
	    !vdrv_find_cap(d, VDRV_CAP_NOTIFY, &d->notify, &npos))
		return false;
	d->mult = pci_dev_config_read(&vp->pci, npos + 16, 4);
	if (!vdrv_find_cap(d, VDRV_CAP_DEVICE, &d->device, NULL))
		d->device = UINT32_MAX;
	return true;
}

static inline uint64_t vdrv_device_features(struct vdrv *d)
{
	vdrv_common_write(d, VDRV_COMMON_DFSELECT, 4, 0);
	uint64_t f = vdrv_common_read(d, VDRV_COMMON_DF, 4);
	vdrv_common_write(d, VDRV_COMMON_DFSELECT, 4, 1);
	return f | (uint64_t)vdrv_common_read(d, VDRV_COMMON_DF, 4) << 32;
}

/* §3.1.1 steps 1-6: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK. */
static inline bool vdrv_negotiate(struct vdrv *d, uint64_t features)
{
	vdrv_common_write(d, VDRV_COMMON_STATUS, 1, 0);
	vdrv_common_write(d, VDRV_COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	vdrv_common_write(d, VDRV_COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	vdrv_common_write(d, VDRV_COMMON_GFSELECT, 4, 0);
	vdrv_common_write(d, VDRV_COMMON_GF, 4, (uint32_t)features);
	vdrv_common_write(d, VDRV_COMMON_GFSELECT, 4, 1);
	vdrv_common_write(d, VDRV_COMMON_GF, 4, (uint32_t)(features >> 32));
	vdrv_common_write(d, VDRV_COMMON_STATUS, 1,
			  VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
					  VIRTIO_STATUS_FEATURES_OK);
	return vdrv_common_read(d, VDRV_COMMON_STATUS, 1) & VIRTIO_STATUS_FEATURES_OK;
}

static inline bool vdrv_setup_queue(struct vdrv *d, unsigned int q, uint16_t size, uint16_t vector)
{
	struct vdrv_queue *vq = &d->q[q];

	if (q >= VDRV_MAX_QUEUES || (q + 2) * VDRV_QUEUE_AREA > d->ram_size)
		return false;
	memset(vq, 0, sizeof(*vq));
	vq->size = size;
	vq->base = d->ram_gpa + (q + 1) * VDRV_QUEUE_AREA;
	vq->data_next = vq->base + VDRV_DATA_OFF;
	memset(vdrv_host(d, vq->base), 0, VDRV_QUEUE_AREA);
	vdrv_common_write(d, VDRV_COMMON_QSELECT, 2, q);
	if (vdrv_common_read(d, VDRV_COMMON_QSIZE, 2) < size)
		return false;
	vdrv_common_write(d, VDRV_COMMON_QSIZE, 2, size);
	vdrv_common_write(d, VDRV_COMMON_QDESC, 4, (uint32_t)vq->base);
	vdrv_common_write(d, VDRV_COMMON_QDESC + 4, 4, (uint32_t)(vq->base >> 32));
	vdrv_common_write(d, VDRV_COMMON_QAVAIL, 4, (uint32_t)(vq->base + VDRV_AVAIL_OFF));
	vdrv_common_write(d, VDRV_COMMON_QAVAIL + 4, 4,
			  (uint32_t)((vq->base + VDRV_AVAIL_OFF) >> 32));
	vdrv_common_write(d, VDRV_COMMON_QUSED, 4, (uint32_t)(vq->base + VDRV_USED_OFF));
	vdrv_common_write(d, VDRV_COMMON_QUSED + 4, 4, (uint32_t)((vq->base + VDRV_USED_OFF) >> 32));
	vdrv_common_write(d, VDRV_COMMON_QMSIX, 2, vector);
	vdrv_common_write(d, VDRV_COMMON_QENABLE, 2, 1);
	return vdrv_common_read(d, VDRV_COMMON_QENABLE, 2) == 1;
}

/* Negotiate (VERSION_1 added), set up nr queues of `size`, DRIVER_OK. */
static inline bool vdrv_bring_up(struct vdrv *d, uint64_t features, unsigned int nr, uint16_t size)
{
	if (!vdrv_negotiate(d, features | VIRTIO_FEATURE(VIRTIO_F_VERSION_1)))
		return false;
	for (unsigned int q = 0; q < nr; q++)
		if (!vdrv_setup_queue(d, q, size, VIRTIO_MSI_NO_VECTOR))
			return false;
	vdrv_common_write(d, VDRV_COMMON_STATUS, 1,
			  VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
					  VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	return virtio_pci_running(d->vp);
}

/* Adds a chain of n segments (buffers bump-allocated in the queue's data
 * area, readable data copied in) and publishes it. Returns the head. */
static inline uint16_t vdrv_add(struct vdrv *d, unsigned int q, struct vdrv_seg *segs, unsigned int n)
{
	struct vdrv_queue *vq = &d->q[q];
	uint16_t head = vq->next_desc % vq->size;

	for (unsigned int i = 0; i < n; i++) {
		uint16_t idx = (uint16_t)((vq->next_desc + i) % vq->size);
		uint16_t next = (uint16_t)((idx + 1) % vq->size);
		uint16_t flags = (i + 1 < n ? VDRV_DESC_F_NEXT : 0) |
				 (segs[i].write ? VDRV_DESC_F_WRITE : 0);
		uint8_t *desc = vdrv_host(d, vq->base + 16ULL * idx);

		if (vq->data_next + segs[i].len > vq->base + VDRV_DATA_OFF + VDRV_DATA_SIZE)
			vq->data_next = vq->base + VDRV_DATA_OFF;
		segs[i].gpa = vq->data_next;
		vq->data_next += (segs[i].len + 15) & ~15u;
		if (!segs[i].write && segs[i].data)
			memcpy(vdrv_host(d, segs[i].gpa), segs[i].data, segs[i].len);
		else
			memset(vdrv_host(d, segs[i].gpa), 0xCC, segs[i].len);
		memcpy(desc, &segs[i].gpa, 8);
		memcpy(desc + 8, &segs[i].len, 4);
		memcpy(desc + 12, &flags, 2);
		memcpy(desc + 14, &next, 2);
	}
	vq->next_desc = (uint16_t)(vq->next_desc + n);
	memcpy(vdrv_host(d, vq->base + VDRV_AVAIL_OFF + 4 + 2ULL * (vq->avail_idx % vq->size)),
	       &head, 2);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	vq->avail_idx++;
	memcpy(vdrv_host(d, vq->base + VDRV_AVAIL_OFF + 2), &vq->avail_idx, 2);
	return head;
}

static inline void vdrv_kick(struct vdrv *d, unsigned int q)
{
	vdrv_common_write(d, VDRV_COMMON_QSELECT, 2, q);
	uint16_t noff = (uint16_t)vdrv_common_read(d, VDRV_COMMON_QNOFF, 2);
	vdrv_bar_write(d, d->notify + (uint64_t)noff * d->mult, 2, q);
}

/* Next used element of queue q, if any. */
static inline bool vdrv_get_used(struct vdrv *d, unsigned int q, uint32_t *id, uint32_t *len)
{
	struct vdrv_queue *vq = &d->q[q];
	uint16_t used;
	gpa_t elem;

	memcpy(&used, vdrv_host(d, vq->base + VDRV_USED_OFF + 2), 2);
	if (used == vq->last_used)
		return false;
	elem = vq->base + VDRV_USED_OFF + 4 + 8ULL * (vq->last_used % vq->size);
	memcpy(id, vdrv_host(d, elem), 4);
	memcpy(len, vdrv_host(d, elem + 4), 4);
	vq->last_used++;
	return true;
}

static inline uint8_t vdrv_read_isr(struct vdrv *d)
{
	return (uint8_t)vdrv_bar_read(d, d->isr, 1);
}

#endif
