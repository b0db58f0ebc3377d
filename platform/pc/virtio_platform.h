/* SPDX-License-Identifier: BSD-2-Clause */
/* A partition's virtio devices (docs/virtio.md): which ones it has (from
 * the manifest), where they sit on its PCI bus, how their BARs reach the
 * iobus, how their interrupts reach its LAPICs, and the device-service
 * task each one gets from the scheduler. The device models themselves are
 * in drivers/virtio/ and never see any of this. */
#ifndef BULKHEAD_CORE_VIRTIO_PLATFORM_H
#define BULKHEAD_CORE_VIRTIO_PLATFORM_H

#include "core/manifest.h"
#include "core/partition.h"
#include "core/types.h"
#include "drivers/vdev/pci_host.h"
#include "drivers/vdev/vdev.h"

struct console_source;
struct partition;
struct virtio_devices;

/* What the platform hands over: its PCI host, the I/O APIC input for PCI
 * INTx, the MSI route to the LAPICs. */
struct virtio_platform_wiring {
	struct pci_host *pci;
	struct irq_sink gsi; /* line = GSI */
	struct msi_sink msi;
	unsigned int pci_gsi_base; /* the DSDT's _PRT: slot s pin INTA -> base + s % 4 */
};

/* Creates the devices the manifest asks for. false (one line naming the
 * device) if one cannot be built; the partition is then refused. */
bool virtio_devices_attach(struct partition *p, const struct virtio_platform_wiring *w,
			   const struct partition_disk *disks, unsigned int nr_disks);
/* Partition restart: devices back to power-on state, re-plugged into the
 * freshly reset PCI host, BARs where firmware put them; disks keep their
 * data. Called with p->lock held. */
void virtio_devices_reset(struct partition *p, const struct virtio_platform_wiring *w);
/* One line per device (notifies, interrupts, service runs; frames for
 * the network), printed with the exit statistics when p stops. */
void virtio_devices_print_stats(const struct partition *p);
/* The virtio console's source (its output lines, its typed input), or NULL
 * without one. The partition starts and stops its input with COM1's. */
struct console_source *virtio_devices_console(struct partition *p);
/* Host memory the partition's virtio devices use (for the overhead figure). */
uint64_t virtio_devices_bytes(const struct partition *p);

#endif
