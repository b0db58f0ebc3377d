/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio network devices on one switch, through the real PCI transport and
 * split rings: frames between partitions, flooding and learning, merged
 * receive buffers, GSO and checksum offloads and their fallbacks, starved
 * receivers, backlog limits, resets and hostile drivers. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/virtio_net.h"
#include "tests/unit/support/host_log.h"
#include "tests/unit/support/vdev_fakes.h"
#include "tests/unit/support/virtio_driver.h"

#define RAM_GPA 0x200000ULL
#define RAM_SIZE 0x80000ULL
#define QSIZE 128
#define RXQ VIRTIO_NET_RX_QUEUE
#define TXQ VIRTIO_NET_TX_QUEUE
#define HDR VIRTIO_NET_HDR_SIZE

struct node {
	struct virtio_net net;
	struct vdrv drv;
	struct gmem mem;
	uint8_t *ram;
	struct irq_recorder irq;
	unsigned int kicks;
	char name[8];
	gpa_t rx_gpa[QSIZE]; /* buffer of each posted receive chain */
	uint32_t rx_len[QSIZE];
};

static struct net_switch sw;
static struct node *nodes[3];

static void on_kick(void *ctx, struct virtio_pci *vp)
{
	((struct node *)ctx)->kicks++;
}

static struct node *make_node(unsigned int i)
{
	struct node *n = calloc(1, sizeof(*n));
	cr_assert(n);
	n->ram = aligned_alloc(4096, RAM_SIZE);
	cr_assert(n->ram);
	memset(n->ram, 0, RAM_SIZE);
	cr_assert(gmem_add_region(&n->mem, RAM_GPA, RAM_SIZE, n->ram));
	recorder_init(&n->irq);
	snprintf(n->name, sizeof(n->name), "vm%u", i);
	struct virtio_pci_config base = {
		.owner = n->name,
		.mem = &n->mem,
		.intx = &n->irq.sink,
		.intx_line = 10 + i,
		.kick = on_kick,
		.kick_ctx = n,
	};
	const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, (uint8_t)i };
	cr_assert(virtio_net_init(&n->net, &base, mac, &sw));
	cr_assert(vdrv_init(&n->drv, &n->net.vp, n->ram, RAM_GPA, RAM_SIZE));
	return n;
}

static void setup(void)
{
	net_switch_init(&sw, NULL, NULL, NULL);
	for (unsigned int i = 0; i < 3; i++)
		nodes[i] = make_node(i);
	host_log_reset();
}

static void teardown(void)
{
	for (unsigned int i = 0; i < 3; i++) {
		virtio_net_detach(&nodes[i]->net);
		free(nodes[i]->ram);
		free(nodes[i]);
	}
}

TestSuite(virtio_net, .init = setup, .fini = teardown);

#define BASIC (VIRTIO_FEATURE(VIRTIO_NET_F_MAC) | VIRTIO_FEATURE(VIRTIO_NET_F_STATUS))
#define MRG VIRTIO_FEATURE(VIRTIO_NET_F_MRG_RXBUF)
#define OFFLOADS                                                                            \
	(VIRTIO_FEATURE(VIRTIO_NET_F_CSUM) | VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_CSUM) |      \
	 VIRTIO_FEATURE(VIRTIO_NET_F_HOST_TSO4) | VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_TSO4) | \
	 VIRTIO_FEATURE(VIRTIO_NET_F_HOST_TSO6) | VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_TSO6))

static void up(struct node *n, uint64_t features)
{
	cr_assert(vdrv_bring_up(&n->drv, features, 2, QSIZE));
}

static const uint8_t *mac_of(const struct node *n)
{
	return n->net.port.mac;
}

/* Posts `count` receive chains of one writable buffer of `len` bytes. */
static void post_rx(struct node *n, unsigned int count, uint32_t len)
{
	for (unsigned int i = 0; i < count; i++) {
		struct vdrv_seg s = { .len = len, .write = true };
		uint16_t head = vdrv_add(&n->drv, RXQ, &s, 1);
		n->rx_gpa[head] = s.gpa;
		n->rx_len[head] = len;
	}
	vdrv_kick(&n->drv, RXQ);
}

static uint32_t make_frame(uint8_t *buf, const uint8_t *dst, const uint8_t *src, uint32_t len,
			   uint8_t seed)
{
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	buf[12] = 0x08;
	buf[13] = 0x00;
	for (uint32_t i = 14; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 13 + (i >> 8));
	return len;
}

/* Transmits header + frame as two readable segments, runs the TX side. */
static void transmit(struct node *n, const uint8_t *hdr, const uint8_t *frame, uint32_t len)
{
	uint8_t zero[HDR] = { 0 };
	struct vdrv_seg segs[2] = { { .data = hdr ? hdr : zero, .len = HDR },
				    { .data = frame, .len = len } };
	uint32_t id, used;
	uint16_t head = vdrv_add(&n->drv, TXQ, segs, len ? 2 : 1);
	vdrv_kick(&n->drv, TXQ);
	virtio_pci_service(&n->net.vp);
	cr_assert(vdrv_get_used(&n->drv, TXQ, &id, &used), "transmit chain not returned");
	cr_assert_eq(id, head);
	cr_assert_eq(used, 0);
}

static void service(struct node *n)
{
	virtio_pci_service(&n->net.vp);
}

/* Collects one received frame: header into hdr, frame into out; returns
 * the frame length, or -1 if nothing was received. */
static int receive(struct node *n, uint8_t *hdr, uint8_t *out, uint32_t cap)
{
	uint32_t id, len;
	if (!vdrv_get_used(&n->drv, RXQ, &id, &len))
		return -1;
	cr_assert_lt(id, QSIZE);
	cr_assert_geq(len, HDR);
	uint8_t *buf = vdrv_host(&n->drv, n->rx_gpa[id]);
	memcpy(hdr, buf, HDR);
	uint16_t nbufs = (uint16_t)(hdr[10] | hdr[11] << 8);
	cr_assert_geq(nbufs, 1);
	uint32_t got = len - HDR;
	cr_assert_leq(got, cap);
	memcpy(out, buf + HDR, got);
	for (unsigned int i = 1; i < nbufs; i++) {
		cr_assert(vdrv_get_used(&n->drv, RXQ, &id, &len), "missing merged buffer %u", i);
		cr_assert_leq(got + len, cap);
		memcpy(out + got, vdrv_host(&n->drv, n->rx_gpa[id]), len);
		got += len;
	}
	return (int)got;
}

static void make_hdr(uint8_t *h, uint8_t flags, uint8_t gso, uint16_t hdr_len, uint16_t gso_size,
		     uint16_t csum_start, uint16_t csum_offset)
{
	memset(h, 0, HDR);
	h[0] = flags;
	h[1] = gso;
	memcpy(h + 2, &hdr_len, 2);
	memcpy(h + 4, &gso_size, 2);
	memcpy(h + 6, &csum_start, 2);
	memcpy(h + 8, &csum_offset, 2);
}

Test(virtio_net, identity_features_and_config)
{
	struct node *a = nodes[0];
	cr_assert_eq(pci_dev_config_read(&a->net.vp.pci, PCI_DEVICE_ID, 2), 0x1041);
	cr_assert_eq(pci_dev_config_read(&a->net.vp.pci, PCI_REVISION_ID, 4) >> 8, 0x020000);
	uint64_t f = vdrv_device_features(&a->drv);
	uint64_t want = BASIC | MRG | OFFLOADS | VIRTIO_FEATURE(VIRTIO_NET_F_HOST_ECN) |
			VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_ECN) | VIRTIO_FEATURE(VIRTIO_F_VERSION_1);
	cr_assert_eq(f & want, want);
	cr_assert_not(f & VIRTIO_FEATURE(VIRTIO_NET_F_CTRL_VQ));
	cr_assert_not(f & VIRTIO_FEATURE(VIRTIO_NET_F_MQ));
	cr_assert_not(f & VIRTIO_FEATURE(VIRTIO_NET_F_HOST_UFO));
	for (unsigned int i = 0; i < 6; i++)
		cr_assert_eq(vdrv_bar_read(&a->drv, a->drv.device + i, 1), mac_of(a)[i]);
	cr_assert_eq(vdrv_bar_read(&a->drv, a->drv.device + VIRTIO_NET_CFG_STATUS, 2),
		     VIRTIO_NET_S_LINK_UP);
	vdrv_common_write(&a->drv, VDRV_COMMON_QSELECT, 2, 2);
	cr_assert_eq(vdrv_common_read(&a->drv, VDRV_COMMON_QSIZE, 2), 0, "two queues only");
}

Test(virtio_net, two_partitions_exchange_frames)
{
	struct node *a = nodes[0], *b = nodes[1];
	uint8_t fr[1514], out[2048], hdr[HDR];

	up(a, BASIC | MRG);
	up(b, BASIC | MRG);
	post_rx(a, 8, 2048);
	post_rx(b, 8, 2048);
	service(a);
	service(b);

	make_frame(fr, mac_of(b), mac_of(a), sizeof(fr), 1);
	unsigned int kicks = b->kicks;
	transmit(a, NULL, fr, sizeof(fr));
	cr_assert_eq(b->kicks, kicks + 1, "the switch asked for b's service task");
	cr_assert_eq(receive(b, hdr, out, sizeof(out)), -1, "nothing delivered before service");
	service(b);
	cr_assert_eq(receive(b, hdr, out, sizeof(out)), (int)sizeof(fr));
	cr_assert_arr_eq(out, fr, sizeof(fr));
	cr_assert_eq(hdr[0], 0);
	cr_assert_eq(hdr[1], VIRTIO_NET_HDR_GSO_NONE);
	cr_assert_eq(hdr[10] | hdr[11] << 8, 1);
	cr_assert(b->irq.level[11], "b interrupted");

	/* And back. */
	make_frame(fr, mac_of(a), mac_of(b), 60, 2);
	transmit(b, NULL, fr, 60);
	service(a);
	cr_assert_eq(receive(a, hdr, out, sizeof(out)), 60);
	cr_assert_arr_eq(out, fr, 60);
	cr_assert_eq(a->net.stats.tx_frames, 1);
	cr_assert_eq(a->net.stats.rx_frames, 1);
	cr_assert_eq(b->net.stats.rx_bytes, sizeof(fr));
	cr_assert_eq(host_log_count(), 0);
}

Test(virtio_net, broadcast_floods_and_unicast_is_learned)
{
	struct node *a = nodes[0], *b = nodes[1], *c = nodes[2];
	const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const uint8_t behind_c[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	uint8_t fr[100], out[2048], hdr[HDR];

	for (int i = 0; i < 3; i++) {
		up(nodes[i], BASIC | MRG);
		post_rx(nodes[i], 8, 2048);
		service(nodes[i]);
	}
	make_frame(fr, bcast, mac_of(a), 100, 3);
	transmit(a, NULL, fr, 100);
	service(b);
	service(c);
	service(a);
	cr_assert_eq(receive(b, hdr, out, sizeof(out)), 100);
	cr_assert_eq(receive(c, hdr, out, sizeof(out)), 100);
	cr_assert_eq(receive(a, hdr, out, sizeof(out)), -1, "not echoed to the sender");

	/* An unknown address floods; once c sends from it, only c gets it. */
	make_frame(fr, behind_c, mac_of(a), 100, 4);
	transmit(a, NULL, fr, 100);
	service(b);
	service(c);
	cr_assert_eq(receive(b, hdr, out, sizeof(out)), 100);
	cr_assert_eq(receive(c, hdr, out, sizeof(out)), 100);
	make_frame(fr, mac_of(a), behind_c, 100, 5);
	transmit(c, NULL, fr, 100);
	service(a);
	cr_assert_eq(receive(a, hdr, out, sizeof(out)), 100);
	make_frame(fr, behind_c, mac_of(a), 100, 6);
	transmit(a, NULL, fr, 100);
	service(b);
	service(c);
	cr_assert_eq(receive(b, hdr, out, sizeof(out)), -1);
	cr_assert_eq(receive(c, hdr, out, sizeof(out)), 100);
	cr_assert_arr_eq(out, fr, 100);
}

Test(virtio_net, no_rx_buffers_then_buffers_added)
{
	struct node *a = nodes[0], *b = nodes[1];
	uint8_t fr[600], out[2048], hdr[HDR];

	up(a, BASIC | MRG);
	up(b, BASIC | MRG);
	for (int i = 0; i < 3; i++) {
		make_frame(fr, mac_of(b), mac_of(a), sizeof(fr), (uint8_t)i);
		transmit(a, NULL, fr, sizeof(fr));
	}
	service(b);
	cr_assert_eq(b->net.port.frames, 3, "frames wait in the backlog");
	uint16_t used_flags;
	memcpy(&used_flags, vdrv_host(&b->drv, b->drv.q[RXQ].base + VDRV_USED_OFF), 2);
	cr_assert_eq(used_flags & VIRTQ_USED_F_NO_NOTIFY, 0, "a starved receiver wants notifies");

	/* Two buffers: two frames go, the third waits. */
	unsigned int kicks = b->kicks;
	post_rx(b, 2, 2048);
	cr_assert_eq(b->kicks, kicks + 1, "the driver's notify wakes the service task");
	service(b);
	for (int i = 0; i < 2; i++) {
		make_frame(fr, mac_of(b), mac_of(a), sizeof(fr), (uint8_t)i);
		cr_assert_eq(receive(b, hdr, out, sizeof(out)), (int)sizeof(fr));
		cr_assert_arr_eq(out, fr, sizeof(fr));
	}
	cr_assert_eq(receive(b, hdr, out, sizeof(out)), -1);
	post_rx(b, 1, 2048);
	service(b);
	make_frame(fr, mac_of(b), mac_of(a), sizeof(fr), 2);
	cr_assert_eq(receive(b, hdr, out, sizeof(out)), (int)sizeof(fr));
	cr_assert_arr_eq(out, fr, sizeof(fr));
	cr_assert_eq(b->net.port.frames, 0);
}

Test(virtio_net, full_backlog_drops_and_counts)
{
	struct node *a = nodes[0], *b = nodes[1];
	uint8_t fr[1514], out[2048], hdr[HDR];

	up(a, BASIC | MRG);
	up(b, BASIC | MRG);
	for (int i = 0; i < 100; i++) {
		make_frame(fr, mac_of(b), mac_of(a), sizeof(fr), (uint8_t)i);
		transmit(a, NULL, fr, sizeof(fr));
	}
	unsigned int kept = NET_PORT_BACKLOG_BYTES / 1544;
	cr_assert_eq(b->net.port.frames, kept);
	cr_assert_eq(b->net.port.stats.rx_dropped_full, 100 - kept);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("[vm1] net-switch: receive backlog full"));

	/* The oldest frames come out, in order, as buffers arrive. */
	for (unsigned int i = 0; i < kept; i++) {
		if (i % 32 == 0) {
			post_rx(b, 32, 2048);
			service(b);
		}
		make_frame(fr, mac_of(b), mac_of(a), sizeof(fr), (uint8_t)i);
		cr_assert_eq(receive(b, hdr, out, sizeof(out)), (int)sizeof(fr));
		cr_assert_arr_eq(out, fr, sizeof(fr));
	}
}

/* A TCP/IPv4 frame: Ethernet, 20-byte IP, 20-byte TCP, payload. */
static uint32_t make_tcp4(uint8_t *buf, const uint8_t *dst, const uint8_t *src, uint32_t len)
{
	make_frame(buf, dst, src, len, 7);
	buf[14] = 0x45;
	buf[23] = 6;
	/* The checksum field holds the pseudo-header sum, as senders leave it. */
	buf[34 + 16] = 0xab;
	buf[34 + 17] = 0xcd;
	return len;
}

Test(virtio_net, gso_frame_between_two_ports_in_merged_buffers)
{
	struct node *a = nodes[0], *b = nodes[1];
	static uint8_t fr[30000], out[40000];
	uint8_t hdr[HDR], h[HDR];

	up(a, BASIC | MRG | OFFLOADS);
	up(b, BASIC | MRG | OFFLOADS);
	post_rx(b, 24, 1536);
	make_tcp4(fr, mac_of(b), mac_of(a), sizeof(fr));
	make_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 54, 1448, 34, 16);
	transmit(a, h, fr, sizeof(fr));
	service(b);

	cr_assert_eq(receive(b, hdr, out, sizeof(out)), (int)sizeof(fr));
	cr_assert_arr_eq(out, fr, sizeof(fr), "payload untouched, checksum left to b");
	cr_assert_eq(hdr[0], VIRTIO_NET_HDR_F_NEEDS_CSUM);
	cr_assert_eq(hdr[1], VIRTIO_NET_HDR_GSO_TCPV4);
	cr_assert_eq(hdr[2] | hdr[3] << 8, 54);
	cr_assert_eq(hdr[4] | hdr[5] << 8, 1448);
	cr_assert_eq(hdr[6] | hdr[7] << 8, 34);
	cr_assert_eq(hdr[8] | hdr[9] << 8, 16);
	unsigned int nbufs = hdr[10] | hdr[11] << 8;
	cr_assert_eq(nbufs, (sizeof(fr) + HDR + 1535) / 1536);
	cr_assert_eq(b->net.stats.rx_buffers, nbufs);
	cr_assert_eq(b->net.vp.interrupts, 1, "one interrupt for the whole frame");
	cr_assert_eq(host_log_count(), 0);
}

Test(virtio_net, gso_frame_to_a_receiver_without_tso_is_dropped_once)
{
	struct node *a = nodes[0], *b = nodes[1];
	static uint8_t fr[9000], out[10000];
	uint8_t hdr[HDR], h[HDR];

	up(a, BASIC | MRG | OFFLOADS);
	up(b, BASIC | MRG | VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_CSUM));
	post_rx(b, 16, 2048);
	make_tcp4(fr, mac_of(b), mac_of(a), sizeof(fr));
	make_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 54, 1448, 34, 16);
	transmit(a, h, fr, sizeof(fr));
	transmit(a, h, fr, sizeof(fr));
	make_frame(fr, mac_of(b), mac_of(a), 200, 1);
	transmit(a, NULL, fr, 200);
	service(b);
	cr_assert_eq(receive(b, hdr, out, sizeof(out)), 200, "only the plain frame arrives");
	cr_assert_eq(receive(b, hdr, out, sizeof(out)), -1);
	cr_assert_eq(b->net.stats.drops[VIRTIO_NET_DROP_RX_GSO], 2);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("[vm1] virtio-net: a GSO frame arrived"));
}

/* RFC 1071 over a flat buffer. */
static uint16_t ref_sum(const uint8_t *p, uint32_t len)
{
	uint32_t sum = 0;
	for (uint32_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

Test(virtio_net, partial_checksum_is_completed_for_a_receiver_without_guest_csum)
{
	struct node *a = nodes[0], *b = nodes[1];
	uint8_t fr[1001], out[2048], hdr[HDR], h[HDR];

	up(a, BASIC | VIRTIO_FEATURE(VIRTIO_NET_F_CSUM));
	up(b, BASIC);
	post_rx(b, 2, 1600);
	make_tcp4(fr, mac_of(b), mac_of(a), sizeof(fr));
	make_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 34, 16);
	transmit(a, h, fr, sizeof(fr));
	service(b);
	cr_assert_eq(receive(b, hdr, out, sizeof(out)), (int)sizeof(fr));
	cr_assert_eq(hdr[0], 0, "no NEEDS_CSUM for a driver without GUEST_CSUM");
	cr_assert_eq(hdr[6] | hdr[7] << 8, 0);
	cr_assert_eq(hdr[10] | hdr[11] << 8, 1, "num_buffers is 1 without MRG_RXBUF");
	uint16_t want = (uint16_t)~ref_sum(fr + 34, sizeof(fr) - 34);
	cr_assert_eq(out[50] << 8 | out[51], want);
	cr_assert_arr_eq(out, fr, 50);
	cr_assert_arr_eq(out + 52, fr + 52, sizeof(fr) - 52);
	cr_assert_eq(b->net.stats.rx_csum_completed, 1);
}

Test(virtio_net, transmit_headers_the_driver_had_no_right_to_send)
{
	struct node *a = nodes[0], *b = nodes[1];
	uint8_t fr[3000], h[HDR];

	up(a, BASIC);
	up(b, BASIC | MRG);
	post_rx(b, 8, 2048);
	make_tcp4(fr, mac_of(b), mac_of(a), sizeof(fr));
	make_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 34, 16);
	transmit(a, h, fr, 100);
	transmit(a, h, fr, 100);
	make_hdr(h, 0, VIRTIO_NET_HDR_GSO_TCPV4, 54, 1448, 0, 0);
	transmit(a, h, fr, sizeof(fr));
	make_hdr(h, 0, VIRTIO_NET_HDR_GSO_UDP, 0, 1000, 0, 0);
	transmit(a, h, fr, sizeof(fr));
	cr_assert_eq(a->net.stats.drops[VIRTIO_NET_DROP_TX_CSUM], 2);
	cr_assert_eq(a->net.stats.drops[VIRTIO_NET_DROP_TX_GSO], 2);
	cr_assert_eq(host_log_count(), 2);
	cr_assert(host_log_contains("[vm0] virtio-net: NEEDS_CSUM without VIRTIO_NET_F_CSUM"));

	/* A chain shorter than the header, and a runt frame. */
	struct vdrv_seg s = { .data = "short", .len = 5 };
	vdrv_add(&a->drv, TXQ, &s, 1);
	vdrv_kick(&a->drv, TXQ);
	service(a);
	uint32_t id, used;
	cr_assert(vdrv_get_used(&a->drv, TXQ, &id, &used));
	cr_assert_eq(used, 0);
	cr_assert_eq(a->net.stats.drops[VIRTIO_NET_DROP_TX_SHORT], 1);
	transmit(a, NULL, fr, 10);
	cr_assert_eq(sw.stats.runts, 1);
	/* DATA_VALID and unknown flag bits are ignored: the frame goes. */
	make_hdr(h, 0xf2, 0, 0, 0, 0, 0);
	transmit(a, h, fr, 100);
	service(b);
	cr_assert_eq(b->net.stats.rx_frames, 1);
	cr_assert(virtio_pci_running(&a->net.vp), "bad frames do not break the device");
}

Test(virtio_net, small_chains_without_mrg_drop_big_frames_and_are_reused)
{
	struct node *a = nodes[0], *b = nodes[1];
	uint8_t fr[1514], out[2048], hdr[HDR];

	up(a, BASIC);
	up(b, BASIC);
	post_rx(b, 1, 600);
	make_frame(fr, mac_of(b), mac_of(a), 1514, 1);
	transmit(a, NULL, fr, 1514);
	make_frame(fr, mac_of(b), mac_of(a), 500, 2);
	transmit(a, NULL, fr, 500);
	service(b);
	cr_assert_eq(receive(b, hdr, out, sizeof(out)), 500);
	cr_assert_arr_eq(out, fr, 500);
	cr_assert_eq(b->net.stats.drops[VIRTIO_NET_DROP_RX_TOO_BIG], 1);
	/* Exactly header + frame fits. */
	post_rx(b, 1, HDR + 588);
	make_frame(fr, mac_of(b), mac_of(a), 588, 3);
	transmit(a, NULL, fr, 588);
	service(b);
	cr_assert_eq(receive(b, hdr, out, sizeof(out)), 588);
}

Test(virtio_net, frame_needing_too_many_merged_buffers_returns_them_empty)
{
	struct node *a = nodes[0], *b = nodes[1];
	static uint8_t fr[9000];
	uint8_t out[2048], hdr[HDR];
	uint32_t id, len;

	up(a, BASIC);
	up(b, BASIC | MRG);
	post_rx(b, 100, 100);
	make_frame(fr, mac_of(b), mac_of(a), sizeof(fr), 1);
	transmit(a, NULL, fr, sizeof(fr));
	make_frame(fr, mac_of(b), mac_of(a), 80, 2);
	transmit(a, NULL, fr, 80);
	service(b);
	for (int i = 0; i < VIRTIO_NET_RX_MAX_BUFS; i++) {
		cr_assert(vdrv_get_used(&b->drv, RXQ, &id, &len));
		cr_assert_eq(len, 0);
	}
	cr_assert_eq(receive(b, hdr, out, sizeof(out)), 80, "the next frame is fine");
	cr_assert_arr_eq(out, fr, 80);
	cr_assert_eq(b->net.stats.drops[VIRTIO_NET_DROP_RX_TOO_MANY], 1);
	cr_assert(host_log_contains("more than 64 merged buffers"));
}

Test(virtio_net, merged_buffer_below_header_size_is_returned_empty)
{
	struct node *a = nodes[0], *b = nodes[1];
	uint8_t fr[100], out[2048], hdr[HDR];
	uint32_t id, len;

	up(a, BASIC);
	up(b, BASIC | MRG);
	post_rx(b, 1, 8);
	post_rx(b, 1, 2048);
	make_frame(fr, mac_of(b), mac_of(a), 100, 1);
	transmit(a, NULL, fr, 100);
	service(b);
	cr_assert(vdrv_get_used(&b->drv, RXQ, &id, &len));
	cr_assert_eq(len, 0);
	cr_assert_eq(receive(b, hdr, out, sizeof(out)), 100);
	cr_assert_eq(host_log_count(), 1);
}

Test(virtio_net, driver_reset_empties_the_backlog_and_takes_the_link_down)
{
	struct node *a = nodes[0], *b = nodes[1];
	uint8_t fr[100], out[2048], hdr[HDR];

	up(a, BASIC);
	up(b, BASIC | MRG);
	make_frame(fr, mac_of(b), mac_of(a), 100, 1);
	transmit(a, NULL, fr, 100);
	cr_assert_eq(b->net.port.frames, 1);
	vdrv_common_write(&b->drv, VDRV_COMMON_STATUS, 1, 0);
	cr_assert_eq(b->net.port.frames, 0);
	transmit(a, NULL, fr, 100);
	cr_assert_eq(b->net.port.stats.rx_dropped_down, 1);

	up(b, BASIC | MRG);
	post_rx(b, 4, 2048);
	make_frame(fr, mac_of(b), mac_of(a), 100, 2);
	transmit(a, NULL, fr, 100);
	service(b);
	cr_assert_eq(receive(b, hdr, out, sizeof(out)), 100);
	cr_assert_arr_eq(out, fr, 100);
	cr_assert_eq(receive(b, hdr, out, sizeof(out)), -1, "nothing from before the reset");
}

Test(virtio_net, partition_restart_keeps_the_port)
{
	struct node *a = nodes[0], *b = nodes[1];
	uint8_t fr[100], out[2048], hdr[HDR];

	up(a, BASIC);
	up(b, BASIC | MRG);
	virtio_pci_reset(&b->net.vp);
	memset(b->ram, 0, RAM_SIZE);
	cr_assert(vdrv_init(&b->drv, &b->net.vp, b->ram, RAM_GPA, RAM_SIZE));
	up(b, BASIC | MRG);
	post_rx(b, 2, 2048);
	make_frame(fr, mac_of(b), mac_of(a), 100, 5);
	transmit(a, NULL, fr, 100);
	service(b);
	cr_assert_eq(receive(b, hdr, out, sizeof(out)), 100);
}

Test(virtio_net, broken_receive_ring_needs_reset)
{
	struct node *a = nodes[0], *b = nodes[1];
	uint8_t fr[100];

	up(a, BASIC);
	up(b, BASIC | MRG);
	/* A chain whose descriptor points outside guest RAM. */
	uint8_t *desc = vdrv_host(&b->drv, b->drv.q[RXQ].base);
	uint64_t bad = 0x10000000;
	uint32_t len = 2048;
	uint16_t flags = VDRV_DESC_F_WRITE, head = 0, idx = 1;
	memcpy(desc, &bad, 8);
	memcpy(desc + 8, &len, 4);
	memcpy(desc + 12, &flags, 2);
	memcpy(vdrv_host(&b->drv, b->drv.q[RXQ].base + VDRV_AVAIL_OFF + 4), &head, 2);
	memcpy(vdrv_host(&b->drv, b->drv.q[RXQ].base + VDRV_AVAIL_OFF + 2), &idx, 2);
	make_frame(fr, mac_of(b), mac_of(a), 100, 1);
	transmit(a, NULL, fr, 100);
	service(b);
	cr_assert(vdrv_common_read(&b->drv, VDRV_COMMON_STATUS, 1) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	cr_assert(host_log_contains("[vm1] virtio-net: receiveq:"));
	/* The sender is unaffected. */
	cr_assert(virtio_pci_running(&a->net.vp));
	transmit(a, NULL, fr, 100);
}

Test(virtio_net, duplicate_mac_is_refused)
{
	static struct virtio_net other;
	struct virtio_pci_config base = { .owner = "dup", .mem = &nodes[0]->mem };
	cr_assert_not(virtio_net_init(&other, &base, mac_of(nodes[0]), &sw));
	cr_assert(host_log_contains("already in use"));
	const uint8_t group[6] = { 0x01, 0, 0, 0, 0, 1 };
	cr_assert_not(virtio_net_init(&other, &base, group, &sw));
}
