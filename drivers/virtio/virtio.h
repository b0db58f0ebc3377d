/* SPDX-License-Identifier: BSD-2-Clause */
/* Constants of the virtio 1.2 specification shared by the transport
 * (virtio_pci.c), the virtqueue code (virtqueue.c) and the device models.
 * Section numbers refer to "Virtual I/O Device (VIRTIO) Version 1.2". */
#ifndef BULKHEAD_DRIVERS_VIRTIO_VIRTIO_H
#define BULKHEAD_DRIVERS_VIRTIO_VIRTIO_H

#include "core/types.h"

/* Device status field (§2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER 0x02
#define VIRTIO_STATUS_DRIVER_OK 0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

/* Reserved (device-independent) feature bits (§6). */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED 34

#define VIRTIO_FEATURE(bit) (1ULL << (bit))

/* Device IDs (§5). The PCI device ID is 0x1040 + this (§4.1.2.1). */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4

/* "No vector" for MSI-X vector registers (§4.1.5.1.2). */
#define VIRTIO_MSI_NO_VECTOR 0xFFFF

#endif
