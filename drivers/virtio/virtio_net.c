/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio network device (virtio 1.2 §5.1). See virtio_net.h. */
#include "drivers/virtio/virtio_net.h"

#include "core/lib/string.h"
#include "core/log.h"

/* The switch carries virtio's own flag and GSO values. */
STATIC_ASSERT(NET_OFF_F_NEEDS_CSUM == VIRTIO_NET_HDR_F_NEEDS_CSUM, "flag values");
STATIC_ASSERT(NET_GSO_TCPV4 == VIRTIO_NET_HDR_GSO_TCPV4, "GSO values");
STATIC_ASSERT(NET_GSO_TCPV6 == VIRTIO_NET_HDR_GSO_TCPV6, "GSO values");
STATIC_ASSERT(NET_GSO_ECN == VIRTIO_NET_HDR_GSO_ECN, "GSO values");

#define OFFERED_FEATURES                                                                    \
	(VIRTIO_FEATURE(VIRTIO_NET_F_CSUM) | VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_CSUM) |      \
	 VIRTIO_FEATURE(VIRTIO_NET_F_MAC) | VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_TSO4) |       \
	 VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_TSO6) | VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_ECN) | \
	 VIRTIO_FEATURE(VIRTIO_NET_F_HOST_TSO4) | VIRTIO_FEATURE(VIRTIO_NET_F_HOST_TSO6) |  \
	 VIRTIO_FEATURE(VIRTIO_NET_F_HOST_ECN) | VIRTIO_FEATURE(VIRTIO_NET_F_MRG_RXBUF) |   \
	 VIRTIO_FEATURE(VIRTIO_NET_F_STATUS))

static const char *const drop_text[VIRTIO_NET_NR_DROPS] = {
	[VIRTIO_NET_DROP_TX_SHORT] = "transmit chain shorter than the 12-byte header",
	[VIRTIO_NET_DROP_TX_TOO_BIG] = "transmitted frame longer than 65554 bytes",
	[VIRTIO_NET_DROP_TX_CSUM] = "NEEDS_CSUM without VIRTIO_NET_F_CSUM negotiated",
	[VIRTIO_NET_DROP_TX_GSO] = "GSO type not negotiated",
	[VIRTIO_NET_DROP_RX_GSO] = "a GSO frame arrived but the driver did not accept "
				   "GUEST_TSO4/6 (with GUEST_CSUM/GUEST_ECN) for it",
	[VIRTIO_NET_DROP_RX_TOO_BIG] = "received frame larger than the receive buffer "
				       "(no MRG_RXBUF)",
	[VIRTIO_NET_DROP_RX_TOO_MANY] = "received frame needs more than 64 merged buffers",
	[VIRTIO_NET_DROP_RX_SMALL_BUF] = "receive buffer smaller than the 12-byte header; "
					 "returned empty",
};

static const char *owner_of(const struct virtio_net *d)
{
	return d->vp.cfg.owner ? d->vp.cfg.owner : "?";
}

static void drop(struct virtio_net *d, enum virtio_net_drop why, uint64_t detail)
{
	d->stats.drops[why]++;
	if (d->warned & BIT(why))
		return;
	d->warned |= (uint32_t)BIT(why);
	pr_warn("[%s] virtio-net: %s (%#llx); dropped, further ones counted, not logged",
		owner_of(d), drop_text[why], (unsigned long long)detail);
}

static bool has(const struct virtio_net *d, unsigned int feature)
{
	return d->vp.negotiated & VIRTIO_FEATURE(feature);
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* ---- configuration space (§5.1.4) ------------------------------------- */

static uint32_t net_config_read(void *dev, unsigned int off, unsigned int size)
{
	struct virtio_net *d = dev;
	uint32_t v = 0;

	if (off >= VIRTIO_NET_CONFIG_SIZE || size > 4 || size > VIRTIO_NET_CONFIG_SIZE - off)
		return 0xFFFFFFFFu;
	for (unsigned int i = 0; i < size; i++)
		v |= (uint32_t)d->config[off + i] << (8 * i);
	return v;
}

static void net_config_write(void *dev, unsigned int off, unsigned int size, uint32_t val)
{
	/* §5.1.4.2: the driver must not write the configuration; ignored. */
}

/* ---- transmit ------------------------------------------------------------ */

/* The header as the driver may send it, or false (and counted) if it
 * asks for something it did not negotiate. */
static bool tx_offload(struct virtio_net *d, const uint8_t *hdr, uint32_t len, struct net_offload *off)
{
	uint8_t flags = hdr[VIRTIO_NET_HDR_FLAGS];
	uint8_t gso = hdr[VIRTIO_NET_HDR_GSO_TYPE];
	uint8_t base = gso & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;

	/* §5.1.6.2.2: unknown flag bits are ignored; DATA_VALID means
	 * nothing on transmit. */
	flags &= VIRTIO_NET_HDR_F_NEEDS_CSUM;
	if (flags && !has(d, VIRTIO_NET_F_CSUM)) {
		drop(d, VIRTIO_NET_DROP_TX_CSUM, flags);
		return false;
	}
	if (gso != VIRTIO_NET_HDR_GSO_NONE) {
		bool ok = (base == VIRTIO_NET_HDR_GSO_TCPV4 && has(d, VIRTIO_NET_F_HOST_TSO4)) ||
			  (base == VIRTIO_NET_HDR_GSO_TCPV6 && has(d, VIRTIO_NET_F_HOST_TSO6));
		if (!ok || ((gso & VIRTIO_NET_HDR_GSO_ECN) && !has(d, VIRTIO_NET_F_HOST_ECN))) {
			drop(d, VIRTIO_NET_DROP_TX_GSO, gso);
			return false;
		}
	}
	*off = (struct net_offload){
		.flags = flags,
		.gso_type = gso,
		/* Only a hint (§5.1.6.2.2); kept inside the frame. */
		.hdr_len = (uint16_t)MIN((uint32_t)get_le16(hdr + VIRTIO_NET_HDR_HDR_LEN), len),
		.gso_size = gso ? get_le16(hdr + VIRTIO_NET_HDR_GSO_SIZE) : 0,
		.csum_start = flags ? get_le16(hdr + VIRTIO_NET_HDR_CSUM_START) : 0,
		.csum_offset = flags ? get_le16(hdr + VIRTIO_NET_HDR_CSUM_OFFSET) : 0,
	};
	return true;
}

/* Maps the frame part of the readable segments (after the header). */
static unsigned int tx_gather(struct virtio_net *d, const struct virtq_chain *c)
{
	uint64_t skip = VIRTIO_NET_HDR_SIZE;
	unsigned int n = 0;

	for (unsigned int i = 0; i < c->nr_readable && i < VIRTQ_MAX_SEGS; i++) {
		const struct virtq_seg *s = &c->seg[i];
		if (skip >= s->len) {
			skip -= s->len;
			continue;
		}
		const void *p = gmem_ptr(d->vp.cfg.mem, s->gpa + skip, s->len - skip);
		if (!p)
			return UINT32_MAX;
		d->tx_frags[n++] = (struct net_frag){ p, (uint32_t)(s->len - skip) };
		skip = 0;
	}
	return n;
}

static void tx_one(struct virtio_net *d, const struct virtq *vq, const struct virtq_chain *c)
{
	uint8_t hdr[VIRTIO_NET_HDR_SIZE];
	struct net_frame f;

	if (c->readable_len < VIRTIO_NET_HDR_SIZE ||
	    virtq_chain_read(vq, c, 0, hdr, sizeof(hdr)) != sizeof(hdr)) {
		drop(d, VIRTIO_NET_DROP_TX_SHORT, c->readable_len);
		return;
	}
	uint64_t len = c->readable_len - VIRTIO_NET_HDR_SIZE;
	if (len > NET_FRAME_MAX) {
		drop(d, VIRTIO_NET_DROP_TX_TOO_BIG, len);
		return;
	}
	if (!tx_offload(d, hdr, (uint32_t)len, &f.off))
		return;
	f.nr_frags = tx_gather(d, c);
	if (f.nr_frags == UINT32_MAX)
		return;
	f.frags = d->tx_frags;
	d->stats.tx_frames++;
	d->stats.tx_bytes += len;
	/* Runts and bad checksum offsets are the switch's to count. */
	net_switch_send(d->sw, &d->port, &f);
}

static void tx_process(struct virtio_net *d, struct virtq *vq)
{
	unsigned int budget = VIRTIO_NET_BUDGET;

	for (;;) {
		virtq_set_notify(vq, false);
		for (;;) {
			if (!budget) {
				virtio_pci_requeue(&d->vp, VIRTIO_NET_TX_QUEUE);
				goto done;
			}
			enum virtq_result r = virtq_pop(vq, &d->tx_chain);
			if (r == VIRTQ_EMPTY)
				break;
			if (r != VIRTQ_OK) {
				virtio_pci_needs_reset(&d->vp, "transmitq: %s", virtq_result_str(r));
				goto done;
			}
			tx_one(d, vq, &d->tx_chain);
			/* §5.1.6.2: transmit buffers are read-only; nothing written. */
			virtq_push(vq, d->tx_chain.head, 0);
			budget--;
		}
		virtq_set_notify(vq, true);
		if (!virtq_has_avail(vq))
			break;
	}
done:
	virtio_pci_queue_done(&d->vp, VIRTIO_NET_TX_QUEUE);
}

/* ---- receive ------------------------------------------------------------- */

static void rx_forget(struct virtio_net *d)
{
	struct virtio_net_rx *rx = &d->rx;
	rx->active = false;
	rx->have_chain = false;
	rx->nr_bufs = 0;
	rx->done = 0;
}

/* Builds the header for the frame at the head of the backlog, adapting it
 * to what this driver negotiated; false if the frame must be dropped. */
static bool rx_prepare(struct virtio_net *d)
{
	struct virtio_net_rx *rx = &d->rx;
	struct net_offload *off = &rx->frame.off;
	uint8_t gso = off->gso_type;

	if (gso != NET_GSO_NONE) {
		uint8_t base = gso & (uint8_t)~NET_GSO_ECN;
		unsigned int need = base == NET_GSO_TCPV4 ? VIRTIO_NET_F_GUEST_TSO4
							  : VIRTIO_NET_F_GUEST_TSO6;
		if (!has(d, need) || !has(d, VIRTIO_NET_F_GUEST_CSUM) ||
		    ((gso & NET_GSO_ECN) && !has(d, VIRTIO_NET_F_GUEST_ECN))) {
			drop(d, VIRTIO_NET_DROP_RX_GSO, gso);
			return false;
		}
	}
	/* §5.1.6.4.1: without GUEST_CSUM the driver gets a checksummed frame. */
	if ((off->flags & NET_OFF_F_NEEDS_CSUM) && !has(d, VIRTIO_NET_F_GUEST_CSUM) &&
	    net_port_complete_csum(&d->port, &rx->frame))
		d->stats.rx_csum_completed++;

	uint8_t *h = rx->hdr;
	bool csum = (off->flags & NET_OFF_F_NEEDS_CSUM) && has(d, VIRTIO_NET_F_GUEST_CSUM);
	h[VIRTIO_NET_HDR_FLAGS] = csum ? VIRTIO_NET_HDR_F_NEEDS_CSUM : 0;
	h[VIRTIO_NET_HDR_GSO_TYPE] = gso;
	put_le16(h + VIRTIO_NET_HDR_HDR_LEN, gso ? off->hdr_len : 0);
	put_le16(h + VIRTIO_NET_HDR_GSO_SIZE, gso ? off->gso_size : 0);
	put_le16(h + VIRTIO_NET_HDR_CSUM_START, csum ? off->csum_start : 0);
	put_le16(h + VIRTIO_NET_HDR_CSUM_OFFSET, csum ? off->csum_offset : 0);
	/* §5.1.6.4: 1 without MRG_RXBUF; with it, patched when complete. */
	put_le16(h + VIRTIO_NET_HDR_NUM_BUFFERS, 1);
	rx->total = VIRTIO_NET_HDR_SIZE + rx->frame.len;
	rx->done = 0;
	rx->nr_bufs = 0;
	return true;
}

/* Guest-physical address of writable byte `off` of a chain. */
static gpa_t writable_gpa(const struct virtq_chain *c, uint64_t off)
{
	for (unsigned int i = c->nr_readable; i < c->nr_segs && i < VIRTQ_MAX_SEGS; i++) {
		if (off < c->seg[i].len)
			return c->seg[i].gpa + off;
		off -= c->seg[i].len;
	}
	return 0;
}

/* Copies frame bytes [from, from + len) into the chain at chain_off. */
static void rx_copy(struct virtio_net *d, const struct virtq *vq, uint32_t from, uint32_t len,
		    uint64_t chain_off)
{
	while (len) {
		const uint8_t *src;
		uint32_t n = net_port_span(&d->port, &d->rx.frame, from, &src);
		if (!n)
			return;
		n = MIN(n, len);
		virtq_chain_write(vq, &d->rx.chain, chain_off, src, n);
		from += n;
		chain_off += n;
		len -= n;
	}
}

/* The frame is in the driver's buffers: fix num_buffers, return them. */
static void rx_finish(struct virtio_net *d, struct virtq *vq)
{
	struct virtio_net_rx *rx = &d->rx;
	uint8_t nb[2];

	if (rx->nr_bufs > 1) {
		put_le16(nb, (uint16_t)rx->nr_bufs);
		gmem_write(d->vp.cfg.mem, rx->num_buffers_gpa[0], &nb[0], 1);
		gmem_write(d->vp.cfg.mem, rx->num_buffers_gpa[1], &nb[1], 1);
	}
	for (unsigned int i = 0; i < rx->nr_bufs; i++)
		virtq_push(vq, rx->bufs[i].head, rx->bufs[i].len);
	d->stats.rx_frames++;
	d->stats.rx_bytes += rx->frame.len;
	d->stats.rx_buffers += rx->nr_bufs;
	net_port_pop(&d->port);
	rx->active = false;
	rx->nr_bufs = 0;
}

/* Gives up on the frame being delivered: the buffers it took go back
 * empty (a used length below the header is dropped by drivers). */
static void rx_abandon(struct virtio_net *d, struct virtq *vq)
{
	struct virtio_net_rx *rx = &d->rx;

	for (unsigned int i = 0; i < rx->nr_bufs; i++)
		virtq_push(vq, rx->bufs[i].head, 0);
	rx->nr_bufs = 0;
	net_port_pop(&d->port);
	rx->active = false;
}

/* Writes as much of the frame as fits the current chain. */
static void rx_fill(struct virtio_net *d, struct virtq *vq)
{
	struct virtio_net_rx *rx = &d->rx;
	struct virtq_chain *c = &rx->chain;
	bool mrg = has(d, VIRTIO_NET_F_MRG_RXBUF);

	if (!mrg && c->writable_len < rx->total) {
		/* §5.1.6.3.1 asks for buffers that fit any frame; this one does
		 * not fit the frame, which is dropped. The chain waits for the
		 * next frame. */
		drop(d, VIRTIO_NET_DROP_RX_TOO_BIG, rx->frame.len);
		net_port_pop(&d->port);
		rx->active = false;
		return;
	}
	if (c->writable_len < VIRTIO_NET_HDR_SIZE) {
		drop(d, VIRTIO_NET_DROP_RX_SMALL_BUF, c->writable_len);
		virtq_push(vq, c->head, 0);
		rx->have_chain = false;
		return;
	}

	uint64_t room = c->writable_len;
	uint64_t at = 0;
	if (rx->done == 0) {
		virtq_chain_write(vq, c, 0, rx->hdr, VIRTIO_NET_HDR_SIZE);
		rx->num_buffers_gpa[0] = writable_gpa(c, VIRTIO_NET_HDR_NUM_BUFFERS);
		rx->num_buffers_gpa[1] = writable_gpa(c, VIRTIO_NET_HDR_NUM_BUFFERS + 1);
		rx->done = VIRTIO_NET_HDR_SIZE;
		at = VIRTIO_NET_HDR_SIZE;
	}
	uint32_t n = (uint32_t)MIN(room - at, (uint64_t)(rx->total - rx->done));
	rx_copy(d, vq, rx->done - VIRTIO_NET_HDR_SIZE, n, at);
	rx->done += n;

	rx->bufs[rx->nr_bufs].head = c->head;
	rx->bufs[rx->nr_bufs].len = (uint32_t)(at + n);
	rx->nr_bufs++;
	rx->have_chain = false;

	if (rx->done == rx->total)
		rx_finish(d, vq);
	else if (rx->nr_bufs == VIRTIO_NET_RX_MAX_BUFS) {
		drop(d, VIRTIO_NET_DROP_RX_TOO_MANY, rx->frame.len);
		rx_abandon(d, vq);
	}
}

static void rx_process(struct virtio_net *d, struct virtq *vq)
{
	struct virtio_net_rx *rx = &d->rx;
	unsigned int budget = VIRTIO_NET_BUDGET;
	unsigned int chains = VIRTIO_NET_CHAIN_BUDGET;

	/* Notifications are only wanted while frames wait for buffers. */
	virtq_set_notify(vq, false);
	while (budget && chains) {
		if (!rx->active) {
			if (!net_port_peek(&d->port, &rx->frame))
				goto done;
			budget--;
			if (!rx_prepare(d)) {
				net_port_pop(&d->port);
				continue;
			}
			rx->active = true;
		}
		if (!rx->have_chain) {
			enum virtq_result r = virtq_pop(vq, &rx->chain);
			if (r == VIRTQ_EMPTY) {
				/* Starved: ask for a notification, then look again
				 * (§2.7.10) before waiting for it. */
				virtq_set_notify(vq, true);
				if (!virtq_has_avail(vq))
					goto done;
				virtq_set_notify(vq, false);
				continue;
			}
			if (r != VIRTQ_OK) {
				virtio_pci_needs_reset(&d->vp, "receiveq: %s", virtq_result_str(r));
				goto done;
			}
			rx->have_chain = true;
			chains--;
		}
		rx_fill(d, vq);
	}
	/* Budget spent with frames left: come back after others had a turn. */
	virtio_pci_requeue(&d->vp, VIRTIO_NET_RX_QUEUE);
done:
	virtio_pci_queue_done(&d->vp, VIRTIO_NET_RX_QUEUE);
}

static void net_process(void *dev, unsigned int q)
{
	struct virtio_net *d = dev;
	struct virtq *vq = virtio_pci_queue(&d->vp, q);

	if (!vq)
		return;
	if (q == VIRTIO_NET_RX_QUEUE)
		rx_process(d, vq);
	else if (q == VIRTIO_NET_TX_QUEUE)
		tx_process(d, vq);
}

/* ---- lifecycle ----------------------------------------------------------- */

/* The switch has a frame for us: let the service task deliver it. */
static void port_kick(void *ctx)
{
	struct virtio_net *d = ctx;
	virtio_pci_requeue(&d->vp, VIRTIO_NET_RX_QUEUE);
}

static void net_reset(void *dev)
{
	struct virtio_net *d = dev;
	/* Frames queued for the old driver instance are of no use to the
	 * next one; the link comes back at DRIVER_OK. */
	net_port_set_up(&d->port, false);
	rx_forget(d);
}

static void net_activate(void *dev)
{
	struct virtio_net *d = dev;
	rx_forget(d);
	net_port_set_up(&d->port, true);
}

static const struct virtio_device_ops net_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.nr_queues = 2,
	.queue_max_size = VIRTIO_NET_QUEUE_SIZE,
	.class_code = VIRTIO_NET_PCI_CLASS,
	.config_size = VIRTIO_NET_CONFIG_SIZE,
	.config_read = net_config_read,
	.config_write = net_config_write,
	.reset = net_reset,
	.activate = net_activate,
	.process = net_process,
};

bool virtio_net_init(struct virtio_net *d, const struct virtio_pci_config *base,
		     const uint8_t mac[NET_ETH_ALEN], struct net_switch *sw)
{
	struct virtio_pci_config cfg = *base;

	/* The backlog ring needs no clearing: only queued bytes are read. */
	bh_memset(d, 0, __builtin_offsetof(struct virtio_net, port.ring));
	if (!sw || !mac) {
		pr_err("[%s] virtio-net: no switch or MAC address", base->owner ? base->owner : "?");
		return false;
	}
	d->sw = sw;
	bh_memcpy(d->config + VIRTIO_NET_CFG_MAC, mac, NET_ETH_ALEN);
	put_le16(d->config + VIRTIO_NET_CFG_STATUS, VIRTIO_NET_S_LINK_UP);

	cfg.ops = &net_ops;
	cfg.dev = d;
	cfg.device_features = OFFERED_FEATURES;
	if (!virtio_pci_init(&d->vp, &cfg))
		return false;

	d->port.name = base->owner ? base->owner : "?";
	bh_memcpy(d->port.mac, mac, NET_ETH_ALEN);
	d->port.kick = port_kick;
	d->port.kick_ctx = d;
	return net_switch_add_port(sw, &d->port);
}

void virtio_net_detach(struct virtio_net *d)
{
	if (d->sw)
		net_switch_remove_port(d->sw, &d->port);
}
