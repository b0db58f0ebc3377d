/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio entropy device (virtio 1.2 §5.4). */
#include "drivers/virtio/virtio_rng.h"

#include "core/lib/string.h"
#include "core/log.h"

/* Bytes asked of the entropy source at a time. */
#define VIRTIO_RNG_CHUNK 64

static void wipe(void *p, size_t len)
{
	volatile uint8_t *b = p;
	while (len--)
		*b++ = 0;
}

/* Fills up to `limit` bytes of the chain's writable part; returns the
 * bytes written. */
static uint32_t fill_chain(struct virtio_rng *d, const struct virtq *vq,
			   const struct virtq_chain *c, uint64_t limit)
{
	uint8_t buf[VIRTIO_RNG_CHUNK];
	uint64_t want = MIN(MIN(c->writable_len, (uint64_t)VIRTIO_RNG_MAX_PER_BUFFER), limit);
	uint64_t off = 0;

	while (off < want) {
		size_t n = (size_t)MIN(want - off, (uint64_t)sizeof(buf));
		size_t got = d->fill(d->fill_ctx, buf, n);

		if (got > n)
			got = n; /* a confused source cannot overrun buf */
		off += virtq_chain_write(vq, c, off, buf, got);
		if (got < n) {
			d->starved++;
			break;
		}
	}
	wipe(buf, sizeof(buf));
	return (uint32_t)off;
}

static void rng_process(void *dev, unsigned int q)
{
	struct virtio_rng *d = dev;
	struct virtq *vq = virtio_pci_queue(&d->vp, q);
	struct virtq_chain *c = &d->chain;
	uint64_t budget = VIRTIO_RNG_BUDGET;
	enum virtq_result r;

	if (!vq)
		return;
	while (budget) {
		uint32_t n = 0;

		r = virtq_pop(vq, c);
		if (r == VIRTQ_EMPTY)
			break;
		if (r != VIRTQ_OK) {
			virtio_pci_needs_reset(&d->vp, "requestq: %s", virtq_result_str(r));
			return;
		}
		d->requests++;
		/* §5.4.6.1: the driver only offers device-writable buffers. */
		if (c->nr_readable) {
			d->bad_requests++;
			if (!d->warned_readable)
				pr_warn("[%s] virtio-rng: request with device-readable buffers; completed empty",
					d->vp.cfg.owner ? d->vp.cfg.owner : "?");
			d->warned_readable = true;
		} else {
			n = fill_chain(d, vq, c, budget);
		}
		budget -= n;
		d->bytes += n;
		virtq_push(vq, c->head, n);
	}
	if (!budget && virtq_has_avail(vq))
		virtio_pci_requeue(&d->vp, q);
	virtio_pci_queue_done(&d->vp, q);
}

static const struct virtio_device_ops rng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.nr_queues = 1,
	.queue_max_size = VIRTIO_RNG_QUEUE_SIZE,
	.class_code = VIRTIO_RNG_PCI_CLASS,
	.process = rng_process,
};

bool virtio_rng_init(struct virtio_rng *d, const struct virtio_pci_config *base,
		     virtio_rng_fill_fn fill, void *fill_ctx)
{
	struct virtio_pci_config cfg = *base;

	bh_memset(d, 0, sizeof(*d));
	if (!fill) {
		pr_err("[%s] virtio-rng: no entropy source", base->owner ? base->owner : "?");
		return false;
	}
	d->fill = fill;
	d->fill_ctx = fill_ctx;
	cfg.ops = &rng_ops;
	cfg.dev = d;
	cfg.device_features = 0;
	return virtio_pci_init(&d->vp, &cfg);
}
