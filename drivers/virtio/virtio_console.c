/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio console, single port (virtio 1.2 §5.3). */
#include "drivers/virtio/virtio_console.h"

#include "core/lib/string.h"
#include "core/log.h"

#define VIRTIO_CONSOLE_COPY_CHUNK 256
#define VIRTIO_CONSOLE_RX_MASK (VIRTIO_CONSOLE_RX_RING - 1)
/* Without MULTIPORT there is exactly one port (§5.3.4). */
#define VIRTIO_CONSOLE_NR_PORTS 1

STATIC_ASSERT((VIRTIO_CONSOLE_RX_RING & VIRTIO_CONSOLE_RX_MASK) == 0,
	      "the input ring size must be a power of two");

static const char *owner_of(const struct virtio_console *c)
{
	return c->vp.cfg.owner ? c->vp.cfg.owner : "?";
}

static void warn_direction(struct virtio_console *c, const char *queue)
{
	if (c->warned_direction)
		return;
	c->warned_direction = true;
	pr_warn("[%s] virtio-console: %s buffer in the wrong direction; completed empty",
		owner_of(c), queue);
}

size_t virtio_console_input(struct virtio_console *c, const uint8_t *buf, size_t len)
{
	size_t n;

	spin_lock(&c->rx_lock);
	n = MIN(len, (size_t)(VIRTIO_CONSOLE_RX_RING - (c->rx_head - c->rx_tail)));
	for (size_t i = 0; i < n; i++)
		c->rx[(c->rx_head + i) & VIRTIO_CONSOLE_RX_MASK] = buf[i];
	c->rx_head += (uint32_t)n;
	spin_unlock(&c->rx_lock);
	c->input_refused += len - n;
	if (n)
		virtio_pci_requeue(&c->vp, VIRTIO_CONSOLE_RX_QUEUE);
	return n;
}

size_t virtio_console_input_pending(struct virtio_console *c)
{
	size_t n;

	spin_lock(&c->rx_lock);
	n = c->rx_head - c->rx_tail;
	spin_unlock(&c->rx_lock);
	return n;
}

/* Copies up to max queued bytes out without consuming them. Only
 * process() consumes, so they stay put until rx_consume. */
static size_t rx_peek(struct virtio_console *c, uint8_t *dst, size_t max)
{
	size_t n;

	spin_lock(&c->rx_lock);
	n = MIN(max, (size_t)(c->rx_head - c->rx_tail));
	for (size_t i = 0; i < n; i++)
		dst[i] = c->rx[(c->rx_tail + i) & VIRTIO_CONSOLE_RX_MASK];
	spin_unlock(&c->rx_lock);
	return n;
}

static void rx_consume(struct virtio_console *c, size_t n)
{
	spin_lock(&c->rx_lock);
	c->rx_tail += (uint32_t)n;
	spin_unlock(&c->rx_lock);
}

/* Fills one receive chain from the ring; returns the bytes written. */
static uint32_t fill_receive(struct virtio_console *c, const struct virtq *vq,
			     const struct virtq_chain *ch)
{
	uint8_t buf[VIRTIO_CONSOLE_COPY_CHUNK];
	uint64_t done = 0;

	while (done < ch->writable_len) {
		size_t n = rx_peek(c, buf, (size_t)MIN(sizeof(buf), ch->writable_len - done));
		if (!n)
			break;
		uint64_t w = virtq_chain_write(vq, ch, done, buf, n);
		rx_consume(c, (size_t)w);
		done += w;
		if (w < n)
			break;
	}
	return (uint32_t)done;
}

/* Receive buffers are taken only while there is input for them: a popped
 * chain cannot be put back. */
static void process_receive(struct virtio_console *c, struct virtq *vq)
{
	struct virtq_chain *ch = &c->chain;

	while (virtio_console_input_pending(c) && virtq_has_avail(vq)) {
		uint32_t n = 0;
		enum virtq_result r = virtq_pop(vq, ch);

		if (r == VIRTQ_EMPTY)
			break;
		if (r != VIRTQ_OK) {
			virtio_pci_needs_reset(&c->vp, "receiveq: %s", virtq_result_str(r));
			return;
		}
		if (ch->nr_readable)
			warn_direction(c, "receiveq");
		else
			n = fill_receive(c, vq, ch);
		c->rx_bytes += n;
		virtq_push(vq, ch->head, n);
	}
	virtio_pci_queue_done(&c->vp, VIRTIO_CONSOLE_RX_QUEUE);
}

/* At most VIRTIO_CONSOLE_TX_BUDGET bytes of one chain are printed: the
 * budget bounds a service run between chains, and one chain may span the
 * partition's whole RAM (64 MiB would keep the host CPU for seconds). */
static uint64_t drain_transmit(struct virtio_console *c, const struct virtq *vq,
			       const struct virtq_chain *ch)
{
	uint8_t buf[VIRTIO_CONSOLE_COPY_CHUNK];
	uint64_t off = 0, max = MIN(ch->readable_len, (uint64_t)VIRTIO_CONSOLE_TX_BUDGET);

	while (off < max) {
		uint64_t n = virtq_chain_read(vq, ch, off, buf, MIN(sizeof(buf), max - off));
		if (!n)
			break;
		c->output(c->output_ctx, buf, (size_t)n);
		off += n;
	}
	if (ch->readable_len > max) {
		c->tx_discarded += ch->readable_len - max;
		if (!c->warned_long_chain) {
			c->warned_long_chain = true;
			pr_warn("[%s] virtio-console: transmitq chain of %llu bytes; only the first %u printed",
				owner_of(c), (unsigned long long)ch->readable_len,
				VIRTIO_CONSOLE_TX_BUDGET);
		}
	}
	return off;
}

static void process_transmit(struct virtio_console *c, struct virtq *vq)
{
	struct virtq_chain *ch = &c->chain;
	uint64_t budget = VIRTIO_CONSOLE_TX_BUDGET;

	while (budget) {
		enum virtq_result r = virtq_pop(vq, ch);
		uint64_t n;

		if (r == VIRTQ_EMPTY)
			break;
		if (r != VIRTQ_OK) {
			virtio_pci_needs_reset(&c->vp, "transmitq: %s", virtq_result_str(r));
			return;
		}
		if (ch->nr_segs > ch->nr_readable)
			warn_direction(c, "transmitq");
		n = drain_transmit(c, vq, ch);
		c->tx_bytes += n;
		budget -= MIN(budget, n);
		/* The device writes nothing into transmit buffers. */
		virtq_push(vq, ch->head, 0);
	}
	if (!budget && virtq_has_avail(vq))
		virtio_pci_requeue(&c->vp, VIRTIO_CONSOLE_TX_QUEUE);
	virtio_pci_queue_done(&c->vp, VIRTIO_CONSOLE_TX_QUEUE);
}

static void console_process(void *dev, unsigned int q)
{
	struct virtio_console *c = dev;
	struct virtq *vq = virtio_pci_queue(&c->vp, q);

	if (!vq)
		return;
	if (q == VIRTIO_CONSOLE_RX_QUEUE)
		process_receive(c, vq);
	else
		process_transmit(c, vq);
}

static uint32_t console_config_read(void *dev, unsigned int off, unsigned int size)
{
	struct virtio_console *c = dev;
	uint8_t cfg[VIRTIO_CONSOLE_CFG_SIZE] = { 0 };
	uint32_t ports = VIRTIO_CONSOLE_NR_PORTS, v = 0;

	bh_memcpy(cfg + VIRTIO_CONSOLE_CFG_COLS, &c->cols, 2);
	bh_memcpy(cfg + VIRTIO_CONSOLE_CFG_ROWS, &c->rows, 2);
	bh_memcpy(cfg + VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, &ports, 4);
	if (off < sizeof(cfg) && size <= sizeof(v) && size <= sizeof(cfg) - off)
		bh_memcpy(&v, cfg + off, size);
	return v;
}

/* Dropping queued input keeps a restarted driver from seeing stale bytes
 * half-delivered to its predecessor. */
static void console_reset(void *dev)
{
	struct virtio_console *c = dev;

	spin_lock(&c->rx_lock);
	c->rx_tail = c->rx_head;
	spin_unlock(&c->rx_lock);
}

static const struct virtio_device_ops console_ops = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.nr_queues = 2,
	.queue_max_size = VIRTIO_CONSOLE_QUEUE_SIZE,
	.class_code = VIRTIO_CONSOLE_PCI_CLASS,
	.config_size = VIRTIO_CONSOLE_CFG_SIZE,
	.config_read = console_config_read,
	.reset = console_reset,
	.process = console_process,
};

void virtio_console_set_size(struct virtio_console *c, uint16_t cols, uint16_t rows)
{
	if (!c->size_offered || (c->cols == cols && c->rows == rows))
		return;
	c->cols = cols;
	c->rows = rows;
	virtio_pci_config_changed(&c->vp);
}

bool virtio_console_init(struct virtio_console *c, const struct virtio_pci_config *base,
			 virtio_console_output_fn output, void *output_ctx, uint16_t cols,
			 uint16_t rows)
{
	struct virtio_pci_config cfg = *base;

	bh_memset(c, 0, sizeof(*c));
	if (!output) {
		pr_err("[%s] virtio-console: no output sink", base->owner ? base->owner : "?");
		return false;
	}
	c->output = output;
	c->output_ctx = output_ctx;
	c->rx_lock = (spinlock_t)SPINLOCK_INIT;
	c->size_offered = cols || rows;
	c->cols = cols;
	c->rows = rows;
	cfg.ops = &console_ops;
	cfg.dev = c;
	cfg.device_features = c->size_offered ? VIRTIO_FEATURE(VIRTIO_CONSOLE_F_SIZE) : 0;
	return virtio_pci_init(&c->vp, &cfg);
}
