/* SPDX-License-Identifier: BSD-2-Clause */
/* The virtio 1.x PCI transport, modern interface only (virtio 1.2 §4.1).
 *
 * One struct virtio_pci is one virtio device on the partition's PCI bus:
 * a type-0 function (vendor 0x1AF4, device 0x1040 + type, revision 1) whose
 * BAR 0 is a 64-bit memory BAR holding every register block, announced by
 * vendor capabilities (§4.1.4) so Linux's virtio_pci driver binds:
 *
 *   BAR0 offset            what                          capability
 *   VIRTIO_PCI_COMMON_OFF  common configuration (§4.1.4.3) COMMON_CFG
 *   VIRTIO_PCI_ISR_OFF     ISR status (§4.1.4.5)           ISR_CFG
 *   VIRTIO_PCI_DEVICE_OFF  device-specific configuration   DEVICE_CFG
 *   VIRTIO_PCI_NOTIFY_OFF  queue notify, 4 bytes per queue NOTIFY_CFG
 *   VIRTIO_PCI_MSIX_TABLE_OFF  MSI-X table (PCI 3.0 §6.8.2) MSI-X capability
 *   VIRTIO_PCI_MSIX_PBA_OFF    MSI-X pending bits
 * plus the PCI_CFG access window capability (§4.1.4.9).
 *
 * The transport runs the status state machine and feature negotiation
 * (VIRTIO_F_VERSION_1 required; EVENT_IDX and INDIRECT_DESC offered), keeps
 * the queues' registers and enables them through virtqueue.c, and raises
 * interrupts by MSI-X (when the guest enabled it) or INTx + ISR bit 0.
 *
 * It never processes buffers in the exit handler: a notify write only sets
 * the queue's bit in `pending` and calls the `kick` callback, which the
 * platform wires to the device-service task (core/). The task later calls
 * virtio_pci_service(), which runs the device's `process` op.
 *
 * Pure code: the platform maps BAR0 on the partition's iobus and routes
 * virtio_pci_bar_read/write to it. The platform serialises everything but
 * notify writes with a per-device lock (platform/pc/virtio_platform.c). */
#ifndef BULKHEAD_DRIVERS_VIRTIO_VIRTIO_PCI_H
#define BULKHEAD_DRIVERS_VIRTIO_VIRTIO_PCI_H

#include "core/gmem.h"
#include "core/types.h"
#include "drivers/vdev/pci_dev.h"
#include "drivers/vdev/vdev.h"
#include "drivers/virtio/virtio.h"
#include "drivers/virtio/virtqueue.h"

#define VIRTIO_PCI_VENDOR_ID 0x1AF4
#define VIRTIO_PCI_DEVICE_ID_BASE 0x1040
#define VIRTIO_PCI_REVISION 1

/* BAR 0 layout (a Bulkhead choice; the guest finds it from the caps). */
#define VIRTIO_PCI_BAR 0
#define VIRTIO_PCI_BAR_SIZE 0x8000ULL
#define VIRTIO_PCI_COMMON_OFF 0x0000
#define VIRTIO_PCI_ISR_OFF 0x1000
#define VIRTIO_PCI_DEVICE_OFF 0x2000
#define VIRTIO_PCI_DEVICE_MAX 0x1000
#define VIRTIO_PCI_NOTIFY_OFF 0x3000
#define VIRTIO_PCI_NOTIFY_MULTIPLIER 4
#define VIRTIO_PCI_MSIX_TABLE_OFF 0x4000
#define VIRTIO_PCI_MSIX_PBA_OFF 0x5000

#define VIRTIO_PCI_MAX_QUEUES 8
/* One MSI-X vector per queue plus one for configuration changes. */
#define VIRTIO_PCI_MSIX_VECTORS (VIRTIO_PCI_MAX_QUEUES + 1)

struct virtio_pci;

/* What a device model supplies. `dev` is the model's own struct. */
struct virtio_device_ops {
	const char *name;        /* "virtio-blk", ... for log lines */
	uint16_t device_id;      /* VIRTIO_ID_* */
	unsigned int nr_queues;  /* <= VIRTIO_PCI_MAX_QUEUES */
	uint16_t queue_max_size; /* power of two <= VIRTQ_MAX_SIZE */
	uint32_t class_code;     /* PCI class (base << 16 | sub << 8 | prog-if) */
	/* Device-specific configuration space, little-endian bytes; an access
	 * is already checked to lie in [0, config_size). */
	unsigned int config_size;
	uint32_t (*config_read)(void *dev, unsigned int off, unsigned int size);
	void (*config_write)(void *dev, unsigned int off, unsigned int size, uint32_t val);
	/* Device reset (status written 0, or a reset after NEEDS_RESET): drop
	 * in-flight state. The transport resets the queues itself. */
	void (*reset)(void *dev);
	/* Called once when the driver sets DRIVER_OK (may be NULL). */
	void (*activate)(void *dev);
	/* From the service task: consume what queue `q` has available, in
	 * batches, complete with virtq_push and call virtio_pci_queue_done().
	 * Called only while DRIVER_OK and not NEEDS_RESET. */
	void (*process)(void *dev, unsigned int q);
};

struct virtio_pci_config {
	const char *owner; /* partition name, for messages */
	const struct virtio_device_ops *ops;
	void *dev;                   /* passed to ops */
	uint64_t device_features;    /* device-specific feature bits */
	const struct gmem *mem;      /* the partition's RAM */
	struct msi_sink msi;         /* MSI-X messages go here */
	const struct irq_sink *intx; /* INTA# wired here (IOAPIC input) */
	unsigned int intx_line;
	void (*kick)(void *ctx, struct virtio_pci *vp); /* queue work pending */
	void *kick_ctx;
};

struct virtio_msix_entry {
	uint64_t addr;
	uint32_t data;
	uint32_t ctrl; /* bit 0: masked (PCI 3.0 §6.8.2.9) */
};

struct virtio_pci {
	struct pci_dev pci;
	struct virtio_pci_config cfg;
	/* Transport state (§4.1.4.3). */
	uint8_t status;
	uint8_t config_generation;
	uint32_t device_feature_select, driver_feature_select;
	uint64_t driver_features; /* what the driver wrote */
	uint64_t negotiated;      /* accepted at FEATURES_OK */
	uint16_t queue_select;
	uint16_t config_msix_vector;
	struct {
		uint16_t size;
		uint16_t msix_vector;
		uint16_t enable;
		uint64_t desc, driver, device;
	} qreg[VIRTIO_PCI_MAX_QUEUES];
	struct virtq vq[VIRTIO_PCI_MAX_QUEUES];
	uint8_t isr;
	/* MSI-X (PCI 3.0 §6.8.2). */
	unsigned int msix_cap; /* config-space offset of the capability */
	bool msix_enabled, msix_masked;
	struct virtio_msix_entry msix[VIRTIO_PCI_MSIX_VECTORS];
	uint32_t msix_pending; /* PBA bits */
	/* Queues notified and not yet serviced (bit per queue). Set by the
	 * exit handler, cleared by virtio_pci_service. */
	volatile uint32_t pending;
	uint64_t notifies, interrupts, services; /* statistics */
	/* Config-space offset of the PCI_CFG access window (§4.1.4.9). */
	unsigned int pci_cfg_cap;
	/* One warning per kind of guest misuse (bits), and how many
	 * needs-reset lines were logged (bounded against reset loops). */
	uint32_t warned;
	unsigned int needs_reset_logged;
};

/* Builds config space and capabilities. false (one error line) on a bad
 * ops table. */
bool virtio_pci_init(struct virtio_pci *vp, const struct virtio_pci_config *cfg);

/* Guest accesses to BAR 0 (offset relative to the BAR). Unaligned or
 * wrongly sized accesses are ignored (reads return all ones). */
int virtio_pci_bar_read(void *vp, uint64_t off, unsigned int size, uint64_t *val);
int virtio_pci_bar_write(void *vp, uint64_t off, unsigned int size, uint64_t val);

/* Is BAR 0 offset off in the notify region? A write there can go to
 * virtio_pci_notify_write, which is safe without the device's lock: it
 * only marks the queue pending (atomically) and kicks the service task. */
bool virtio_pci_is_notify(uint64_t off);
int virtio_pci_notify_write(struct virtio_pci *vp, uint64_t off, unsigned int size);

/* From the service task: run ops->process for every pending queue. */
void virtio_pci_service(struct virtio_pci *vp);

/* Device model or platform: queue q has work to do outside a guest
 * notification (input arrived for a receive queue, or a process call
 * stopped at its budget): mark it pending and kick the service task. */
void virtio_pci_requeue(struct virtio_pci *vp, unsigned int q);

/* Device model: completions were pushed on queue q; interrupt the driver
 * if the queue asks for it (EVENT_IDX / NO_INTERRUPT) by MSI-X or INTx. */
void virtio_pci_queue_done(struct virtio_pci *vp, unsigned int q);

/* Device model: the device-specific configuration changed. */
void virtio_pci_config_changed(struct virtio_pci *vp);

/* The driver broke the protocol: set DEVICE_NEEDS_RESET, raise the
 * configuration interrupt, log "[owner] <name>: <reason>; device needs
 * reset" once, and stop processing until the driver resets the device. */
void virtio_pci_needs_reset(struct virtio_pci *vp, const char *fmt, ...) __printf(2, 3);

/* The device is live: DRIVER_OK set and not NEEDS_RESET/FAILED. */
bool virtio_pci_running(const struct virtio_pci *vp);

/* The queue q as the device model uses it (NULL if q is out of range or
 * not enabled). */
struct virtq *virtio_pci_queue(struct virtio_pci *vp, unsigned int q);

/* Full device reset as at power-on (partition restart). */
void virtio_pci_reset(struct virtio_pci *vp);

#endif
