/* SPDX-License-Identifier: BSD-2-Clause */
/* Inside the virtio PCI transport only (drivers/virtio/virtio_pci.c: interrupts,
 * reset and status, common configuration, notifications, BAR 0 dispatch;
 * virtio_pci_caps.c: MSI-X table and PBA, the PCI_CFG window, construction).
 * Section numbers are the virtio 1.2 specification's. */
#ifndef BULKHEAD_DRIVERS_VIRTIO_VIRTIO_PCI_INTERNAL_H
#define BULKHEAD_DRIVERS_VIRTIO_VIRTIO_PCI_INTERNAL_H

#include "core/lib/format.h"
#include "core/lib/string.h"
#include "core/log.h"
#include "drivers/virtio/virtio_pci.h"

/* Vendor capability layout (§4.1.4, struct virtio_pci_cap): after the
 * two-byte header come cap_len, cfg_type, bar, id, two pad bytes, then
 * le32 offset and le32 length; the notify capability adds le32
 * notify_off_multiplier, the PCI_CFG capability four data bytes. Offsets
 * below are relative to the capability start. */
#define VIRTIO_PCI_CAP_LEN_OFF 2
#define VIRTIO_PCI_CAP_CFG_TYPE 3
#define VIRTIO_PCI_CAP_BAR_OFF 4
#define VIRTIO_PCI_CAP_OFFSET 8
#define VIRTIO_PCI_CAP_LENGTH 12
#define VIRTIO_PCI_CAP_SIZE 16
#define VIRTIO_PCI_NOTIFY_CAP_MULT 16
#define VIRTIO_PCI_NOTIFY_CAP_SIZE 20
#define VIRTIO_PCI_CFG_CAP_DATA 16
#define VIRTIO_PCI_CFG_CAP_SIZE 20
#define VIRTIO_PCI_CFG_DATA_LEN 4

/* cfg_type values (§4.1.4). */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG 5

/* Common configuration structure (§4.1.4.3). */
#define VIRTIO_PCI_COMMON_DFSELECT 0x00
#define VIRTIO_PCI_COMMON_DF 0x04
#define VIRTIO_PCI_COMMON_GFSELECT 0x08
#define VIRTIO_PCI_COMMON_GF 0x0C
#define VIRTIO_PCI_COMMON_MSIX 0x10
#define VIRTIO_PCI_COMMON_NUMQ 0x12
#define VIRTIO_PCI_COMMON_STATUS 0x14
#define VIRTIO_PCI_COMMON_CFGGENERATION 0x15
#define VIRTIO_PCI_COMMON_Q_SELECT 0x16
#define VIRTIO_PCI_COMMON_Q_SIZE 0x18
#define VIRTIO_PCI_COMMON_Q_MSIX 0x1A
#define VIRTIO_PCI_COMMON_Q_ENABLE 0x1C
#define VIRTIO_PCI_COMMON_Q_NOFF 0x1E
#define VIRTIO_PCI_COMMON_Q_DESCLO 0x20
#define VIRTIO_PCI_COMMON_Q_DESCHI 0x24
#define VIRTIO_PCI_COMMON_Q_AVAILLO 0x28
#define VIRTIO_PCI_COMMON_Q_AVAILHI 0x2C
#define VIRTIO_PCI_COMMON_Q_USEDLO 0x30
#define VIRTIO_PCI_COMMON_Q_USEDHI 0x34
#define VIRTIO_PCI_COMMON_Q_NDATA 0x38
#define VIRTIO_PCI_COMMON_Q_RESET 0x3A
#define VIRTIO_PCI_COMMON_LEN 0x3C

/* ISR status bits (§4.1.4.5). */
#define VIRTIO_PCI_ISR_QUEUE 0x1
#define VIRTIO_PCI_ISR_CONFIG 0x2

/* MSI-X capability (PCI 3.0 §6.8.2): message control, table offset/BIR,
 * PBA offset/BIR; table entries of 16 bytes. */
#define MSIX_CAP_CONTROL 2
#define MSIX_CAP_TABLE 4
#define MSIX_CAP_PBA 8
#define MSIX_CAP_BODY_LEN 10
#define MSIX_CTRL_TABLE_SIZE_MASK 0x07FFu
#define MSIX_CTRL_FUNCTION_MASK BIT(14)
#define MSIX_CTRL_ENABLE BIT(15)
#define MSIX_ENTRY_SIZE 16
#define MSIX_ENTRY_ADDR_LO 0
#define MSIX_ENTRY_ADDR_HI 4
#define MSIX_ENTRY_DATA 8
#define MSIX_ENTRY_CTRL 12
#define MSIX_ENTRY_CTRL_MASKBIT 1u
#define MSIX_PBA_BYTES (ALIGN_UP(VIRTIO_PCI_MSIX_VECTORS, 64) / 8)

/* §4.1.2.1: non-transitional devices should use subsystem ID >= 0x40. */
#define VIRTIO_PCI_SUBSYSTEM_ID_BASE 0x40
#define VIRTIO_PCI_REGION_SIZE 0x1000

/* Statuses the driver may set; NEEDS_RESET belongs to the device. */
#define VIRTIO_STATUS_DRIVER_BITS                                                     \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK | \
	 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_FAILED)
/* What the transport itself offers on top of the device's features. */
#define VIRTIO_PCI_TRANSPORT_FEATURES                                              \
	(VIRTIO_FEATURE(VIRTIO_F_VERSION_1) | VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX) | \
	 VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC))

/* Needs-reset lines logged per device before going quiet (a guest could
 * loop reset / violate forever). */
#define VIRTIO_PCI_MAX_RESET_LOGS 16

enum virtio_pci_warning {
	WARN_ACCESS = BIT(0),         /* wrong size or alignment */
	WARN_HOLE = BIT(1),           /* nothing at that offset */
	WARN_NOTIFY = BIT(2),         /* notify for a queue that does not exist */
	WARN_MSIX_RANGE = BIT(3),     /* MSI-X table/PBA beyond the entries */
	WARN_STATUS = BIT(4),         /* driver cleared status bits */
	WARN_FEATURES = BIT(5),       /* FEATURES_OK refused */
	WARN_QUEUE_LIVE = BIT(6),     /* queue register changed while enabled */
	WARN_QUEUE_SIZE = BIT(7),     /* queue size above the maximum */
	WARN_QUEUE_DISABLE = BIT(8),  /* 0 written to queue_enable */
	WARN_PCI_CFG = BIT(9),        /* bad PCI_CFG window access */
	WARN_FEATURES_LATE = BIT(10), /* driver features written after FEATURES_OK */
	WARN_QUEUE_RESET = BIT(11),   /* queue_reset without VIRTIO_F_RING_RESET */
};

static inline const char *owner_of(const struct virtio_pci *vp)
{
	return vp->cfg.owner ? vp->cfg.owner : "?";
}

static inline const char *name_of(const struct virtio_pci *vp)
{
	return vp->cfg.ops && vp->cfg.ops->name ? vp->cfg.ops->name : "virtio";
}

static inline unsigned int nr_queues(const struct virtio_pci *vp)
{
	return vp->cfg.ops->nr_queues;
}

/* Each defined in one of the two files, used by the other too. */
void __printf(3, 4) vpci_warn_once(struct virtio_pci *vp, uint32_t kind, const char *fmt, ...);
void vpci_update_intx(struct virtio_pci *vp);
void vpci_device_reset(struct virtio_pci *vp, bool tell_model);
void vpci_msix_deliver_pending(struct virtio_pci *vp);
uint64_t vpci_msix_table_read(struct virtio_pci *vp, uint64_t off, unsigned int size);
void vpci_msix_table_write(struct virtio_pci *vp, uint64_t off, unsigned int size, uint64_t val);
uint64_t vpci_msix_pba_read(struct virtio_pci *vp, uint64_t off, unsigned int size);

#endif
