/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz two virtio network devices on one switch, each driven by the test
 * driver (tests/unit/support/virtio_driver.h) plus raw hostile accesses.
 * Input: byte 0 sets the scene (bit 0: both drivers come up with every
 * offload, bit 1: ... and merged buffers, bit 2: receive buffers posted),
 * then 8-byte operations
 *   [0] kind, bit 7 picks the device  [1] segment count / flags
 *   [2..3] length  [4..7] value
 * Kinds: bring-up (features from the value), transmit (a frame to the
 * peer, broadcast or a fuzzed address, with a fuzzed virtio_net_hdr),
 * post receive buffers, kick, service, pump (kick transmit, serve both),
 * scribble over guest RAM (rings included), raw BAR write, device reset
 * from the driver, power-on reset.
 * Invariants: nothing outside guest RAM and the devices is touched (ASan);
 * the backlogs stay within their bounds; delivered frames never exceed
 * what was queued; the merged-buffer state stays within its array. */
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/virtio_net.h"
#include "tests/unit/support/host_log.h"
#include "tests/unit/support/virtio_driver.h"

#define CHECK(c)                          \
	do {                              \
		if (!(c))                 \
			__builtin_trap(); \
	} while (0)

#define OP_BYTES 8
#define RAM_GPA 0x100000ULL
#define RAM_SIZE (3 * VDRV_QUEUE_AREA)
#define MAX_SEGS 5
/* CSUM, GUEST_CSUM, MAC, GUEST/HOST_TSO4/6, ECN, MRG_RXBUF, STATUS, plus
 * INDIRECT_DESC and EVENT_IDX. */
#define OFFERED_MASK 0x3001BBA3u

enum {
	OP_BRING_UP,
	OP_TX,
	OP_RX,
	OP_KICK,
	OP_SERVICE,
	OP_PUMP,
	OP_SCRIBBLE,
	OP_BAR,
	OP_DRIVER_RESET,
	OP_RESET,
	OP_KINDS
};

struct fnode {
	struct virtio_net net;
	struct vdrv drv;
	struct gmem mem;
	uint8_t ram[RAM_SIZE] __aligned(4096);
	bool up;
};

static void transmit(struct fnode *n, struct fnode *peer, const uint8_t *op, uint16_t arg,
		     uint32_t val)
{
	static uint8_t frame[12000];
	uint8_t hdr[VIRTIO_NET_HDR_SIZE] = { 0 };
	struct vdrv_seg segs[MAX_SEGS];
	uint32_t flen = arg % sizeof(frame);
	unsigned int nseg = 1 + op[1] % (MAX_SEGS - 1);

	if (!n->up || !n->net.vp.vq[VIRTIO_NET_TX_QUEUE].ready ||
	    nseg + 1 > n->drv.q[VIRTIO_NET_TX_QUEUE].size)
		return;
	switch (val & 3) {
	case 0:
		memcpy(frame, peer->net.port.mac, 6);
		break;
	case 1:
		memset(frame, 0xFF, 6);
		break;
	default:
		memcpy(frame, &val, 4);
		frame[4] = frame[5] = (uint8_t)(val >> 8);
	}
	memcpy(frame + 6, n->net.port.mac, 6);
	memset(frame + 12, (int)(val >> 24), sizeof(frame) - 12);
	/* Header: flags, GSO type, then csum_start/offset and gso_size
	 * derived from the value (often in range, sometimes not). */
	hdr[0] = (uint8_t)(val >> 2) & 0x3;
	hdr[1] = (uint8_t[]){ 0, 1, 4, 3, 0x81, 0x84, 0, 0 }[(val >> 4) & 7];
	uint16_t cs = (uint16_t)((val >> 8) & 0x7F), co = (uint16_t)((val >> 15) & 0x1F);
	uint16_t gs = (uint16_t)((val >> 20) & 0xF) * 100;
	memcpy(hdr + 6, &cs, 2);
	memcpy(hdr + 8, &co, 2);
	memcpy(hdr + 4, &gs, 2);
	memcpy(hdr + 2, &arg, 2);

	/* Split header + frame over nseg readable segments. */
	segs[0] = (struct vdrv_seg){ .data = hdr, .len = (op[1] & 0x80) ? 7 : sizeof(hdr) };
	uint32_t left = flen, at = 0;
	unsigned int used = 1;
	for (unsigned int i = 1; i < nseg && left; i++) {
		uint32_t l = i + 1 == nseg ? left : MIN(left, 1u + (arg >> i) % 4000);
		segs[used++] = (struct vdrv_seg){ .data = frame + at, .len = l };
		at += l;
		left -= l;
	}
	if (op[1] & 0x40) /* a writable segment where none belongs */
		segs[used++] = (struct vdrv_seg){ .len = 16, .write = true };
	vdrv_add(&n->drv, VIRTIO_NET_TX_QUEUE, segs, used);
}

static void post_rx(struct fnode *n, const uint8_t *op, uint16_t arg)
{
	struct vdrv_seg segs[MAX_SEGS];
	unsigned int nseg = 1 + op[1] % 3;
	unsigned int count = 1 + (op[1] >> 2) % 8;

	if (!n->up || !n->net.vp.vq[VIRTIO_NET_RX_QUEUE].ready ||
	    nseg > n->drv.q[VIRTIO_NET_RX_QUEUE].size)
		return;
	for (unsigned int c = 0; c < count; c++) {
		for (unsigned int i = 0; i < nseg; i++)
			segs[i] = (struct vdrv_seg){ .len = 1 + (arg >> (4 * i)) % 2048,
						     .write = !(op[1] & 0x80) || i };
		vdrv_add(&n->drv, VIRTIO_NET_RX_QUEUE, segs, nseg);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct net_switch sw;
	static struct fnode nodes[2];

	net_switch_init(&sw, NULL, NULL, NULL);
	for (unsigned int i = 0; i < 2; i++) {
		struct fnode *n = &nodes[i];
		const uint8_t mac[6] = { 0x52, 0x54, 0, 0, 0, (uint8_t)(i + 1) };
		memset(n->ram, 0, sizeof(n->ram));
		memset(&n->mem, 0, sizeof(n->mem));
		CHECK(gmem_add_region(&n->mem, RAM_GPA, RAM_SIZE, n->ram));
		struct virtio_pci_config base = { .owner = i ? "b" : "a", .mem = &n->mem };
		CHECK(virtio_net_init(&n->net, &base, mac, &sw));
		CHECK(vdrv_init(&n->drv, &n->net.vp, n->ram, RAM_GPA, RAM_SIZE));
		n->up = false;
	}
	host_log_reset();
	if (len < 1)
		return 0;
	uint8_t scene = data[0];
	data++;
	len--;
	for (unsigned int i = 0; i < 2 && (scene & 1); i++) {
		struct fnode *n = &nodes[i];
		uint64_t f = OFFERED_MASK & ~(scene & 2 ? 0 : 1u << VIRTIO_NET_F_MRG_RXBUF);
		n->up = vdrv_bring_up(&n->drv, f, 2, 64);
		CHECK(n->up);
		for (unsigned int b = 0; b < 16 && (scene & 4); b++) {
			struct vdrv_seg s = { .len = 1536, .write = true };
			vdrv_add(&n->drv, VIRTIO_NET_RX_QUEUE, &s, 1);
		}
	}

	for (; len >= OP_BYTES; data += OP_BYTES, len -= OP_BYTES) {
		struct fnode *n = &nodes[data[0] >> 7], *peer = &nodes[!(data[0] >> 7)];
		unsigned int q = data[1] & 1;
		uint16_t arg = (uint16_t)(data[2] | data[3] << 8);
		uint32_t val;
		memcpy(&val, data + 4, 4);

		switch ((data[0] & 0x7F) % OP_KINDS) {
		case OP_BRING_UP:
			/* Mostly features that are offered (so FEATURES_OK holds),
			 * sometimes anything. */
			n->up = vdrv_bring_up(&n->drv,
					      val & (arg & 0x8000 ? 0x3001FFFFu : OFFERED_MASK), 2,
					      (uint16_t)(1u << (arg % 9)));
			break;
		case OP_TX:
			transmit(n, peer, data, arg, val);
			break;
		case OP_RX:
			post_rx(n, data, arg);
			break;
		case OP_KICK:
			if (n->up)
				vdrv_kick(&n->drv, q);
			else
				virtio_pci_bar_write(&n->net.vp, VIRTIO_PCI_NOTIFY_OFF + 4 * q, 2, 0);
			break;
		case OP_SERVICE:
			virtio_pci_service(&n->net.vp);
			break;
		case OP_PUMP:
			if (n->up)
				vdrv_kick(&n->drv, VIRTIO_NET_TX_QUEUE);
			virtio_pci_service(&n->net.vp);
			virtio_pci_service(&peer->net.vp);
			break;
		case OP_SCRIBBLE:
			memcpy(n->ram + (((uint64_t)arg << 3) % (RAM_SIZE - 4)), &val, 4);
			break;
		case OP_BAR:
			virtio_pci_bar_write(&n->net.vp, arg & 0x7FFF, 1u << (data[1] & 3), val);
			break;
		case OP_DRIVER_RESET:
			vdrv_common_write(&n->drv, VDRV_COMMON_STATUS, 1, 0);
			n->up = false;
			break;
		case OP_RESET:
			virtio_pci_reset(&n->net.vp);
			n->up = false;
			break;
		}
		for (unsigned int i = 0; i < 2; i++) {
			const struct virtio_net *d = &nodes[i].net;
			CHECK(d->port.used <= NET_PORT_BACKLOG_BYTES);
			CHECK(d->port.frames <= NET_PORT_BACKLOG_FRAMES);
			CHECK(d->port.head < NET_PORT_BACKLOG_BYTES);
			CHECK(d->rx.nr_bufs <= VIRTIO_NET_RX_MAX_BUFS);
			CHECK(d->stats.rx_frames <= d->port.stats.rx_frames);
			CHECK(d->port.frames <= d->port.stats.rx_frames);
		}
	}
	for (unsigned int i = 0; i < 2; i++)
		virtio_net_detach(&nodes[i].net);
	return 0;
}
