/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio entropy device (virtio 1.2 §5.4): one queue (requestq) of
 * device-writable buffers that the device fills with random bytes from
 * an entropy callback (the platform passes RDSEED/RDRAND or a DRBG such as
 * core/lib/drbg.h's drbg_fill). No feature bits, no configuration space.
 *
 * Pure code; embeds its transport (struct virtio_pci). */
#ifndef BULKHEAD_DRIVERS_VIRTIO_VIRTIO_RNG_H
#define BULKHEAD_DRIVERS_VIRTIO_VIRTIO_RNG_H

#include "drivers/virtio/virtio_pci.h"

#define VIRTIO_RNG_QUEUE 0
#define VIRTIO_RNG_QUEUE_SIZE 64
/* PCI class (base 0x00, sub-class 0xFF): virtio does not fix one for
 * entropy devices (§4.1.2) and Linux binds by vendor/device ID. */
#define VIRTIO_RNG_PCI_CLASS 0x00FF00
/* At most this many bytes go into one buffer (§5.4.6.2 lets the device
 * use less than the whole buffer), and into all buffers of one process()
 * call; the rest waits for the next service round. */
#define VIRTIO_RNG_MAX_PER_BUFFER 4096
#define VIRTIO_RNG_BUDGET 65536

/* Writes up to len random bytes to buf, returns how many (0 when the
 * source is exhausted for now). Called from the service task. */
typedef size_t (*virtio_rng_fill_fn)(void *ctx, void *buf, size_t len);

struct virtio_rng {
	struct virtio_pci vp;
	virtio_rng_fill_fn fill;
	void *fill_ctx;
	struct virtq_chain chain; /* scratch for process() (serialized) */
	bool warned_readable;
	/* Statistics. */
	uint64_t requests, bytes, starved, bad_requests;
};

/* base: owner, mem, msi, intx, kick as for every virtio device (ops, dev
 * and device_features are set here). false (one error line) if the
 * transport refuses or fill is NULL. */
bool virtio_rng_init(struct virtio_rng *d, const struct virtio_pci_config *base,
		     virtio_rng_fill_fn fill, void *fill_ctx);

#endif
