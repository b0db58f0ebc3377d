/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-net: the partition's virtio-net turned against the hypervisor and
 * against a bystander on the same switch (issue 12, "virtqueues placed
 * over MMIO or outside RAM, descriptor loops and huge lengths"; docs/
 * isolation.md). It includes virtio-hostile.c's driver and vnet.h's
 * two-queue virtio-net on top of it; its peer is net-bystander.c:
 *
 *   module: guests/net-bystander.elf name=bystander mem=4M net=lan0 ...
 *   module: guests/atk-net.elf name=atk-net mem=68M net=lan0 ...
 *
 * (tests/integration/isolation-net-svm/-vmx.test; 68 MiB for the chain of
 * 64 buffers of 64 MiB). The hypervisor's documented answers (drivers/
 * virtio/virtqueue.h, virtio_net.h, net_switch.h):
 *
 *   - a broken ring (a buffer not wholly in this partition's RAM: beyond
 *     it, on the local APIC page, on the device's own BAR, directly or
 *     through an indirect table; a zero-length or 4 GiB - 1 buffer; a
 *     chain of 4 GiB; a chain that loops), on the transmit queue at once,
 *     on the receive queue when a frame arrives for the bad buffer: the
 *     device goes to DEVICE_NEEDS_RESET with a configuration interrupt and
 *     one warning (at most 16 per device); nothing is sent or received;
 *   - a frame that is wrong in itself: dropped and counted, one warning
 *     per kind, the chain returned (used length 0), the device running:
 *     a chain shorter than the 12-byte header, NEEDS_CSUM without
 *     VIRTIO_NET_F_CSUM, a GSO type not negotiated, a frame over 65554
 *     bytes (virtio_net.c); a runt, NEEDS_CSUM with csum_start/offset
 *     past the frame, GSO with gso_size 0 (net_switch.c); hdr_len is a
 *     hint, clamped to the frame, and the frame is delivered;
 *   - receive buffers the device cannot use: with MRG_RXBUF one without
 *     12 writable bytes (read-only, or too small) is returned empty (used
 *     length 0) and the frame goes to the next buffer; without it, a
 *     frame larger than the buffer is dropped and counted;
 *   - a flood of valid frames (a ring of 256 per notification) to the
 *     bystander and to broadcast: the transmit work is this partition's
 *     (core/sched.c), the bystander's backlog is bounded (full: dropped,
 *     counted), and the bystander keeps its share (net-bystander.c);
 *   - frames with the bystander's MAC as source: forwarded by destination
 *     (the switch does not filter sources), never learned (a registered
 *     MAC is never moved to another port): the bystander's own traffic
 *     still reaches it.
 *
 * After each case: the local APIC and the test device's scratch register
 * are unchanged, and after a device reset a request to the bystander is
 * answered (a valid frame out and one in). */
#define guest_main virtio_hostile_main
#include "virtio-hostile.c"
#undef guest_main
#include "atk.h"
#include "vnet.h"

#define TESTDEV_SCRATCH 0x0
#define SCRATCH_MARK 0x61746b6eu /* "atkn" */
#define LAPIC_TPR 0x80
#define PEER_TIMEOUT_MS 5000   /* the bystander answers in its own slices */
#define RX_QUIET_MS 300        /* how long a dropped frame is waited for */
#define FLOOD_NS 1000000000ull /* each flood, partition time */
#define FLOOD_ROUND_TIMEOUT_MS 20000
#define SPOOF_FRAMES 32
#define BIG_FRAME 70000u /* more than NET_FRAME_MAX (65554) */
#define RUNT_FRAME 10    /* shorter than an Ethernet header */
#define GSO_FRAME 200
#define CSUM_START_TCP 34  /* Ethernet + IPv4 header */
#define CSUM_OFFSET_TCP 16 /* the TCP checksum field */
#define RX_SMALL 8         /* below the 12-byte header */
#define POISON 0x5A

static struct vnet net;
static uint8_t peer[ETH_ALEN];
static uintptr_t own_bar;
static volatile uint8_t big_buf[VNET_HDR_LEN + BIG_FRAME] __attribute__((aligned(4096)));
static volatile uint8_t frame_buf[VNET_BUF] __attribute__((aligned(4096)));
static struct virtq_desc ind_table[4] __attribute__((aligned(64)));

/* ---- what the guest can see ------------------------------------------------ */

#include "atk-witness.h"

static bool wait_until(bool (*done)(void), uint64_t ms)
{
	uint64_t end = deadline(&net.dev, ms);

	while (!done()) {
		if (rdtsc() > end)
			return false;
		cpu_relax();
	}
	return true;
}

/* ---- the peer --------------------------------------------------------------- */

/* Sends OP_REQUEST to `to` and waits for the matching OP_REPLY; the
 * device must be running with receive buffers posted. The reply's source
 * is stored in `from` if given. */
static const char *request_reply(const uint8_t *to, uint8_t *from)
{
	static char why[96];
	uint32_t seq = ++net.seq;
	uint64_t end = deadline(&net.dev, PEER_TIMEOUT_MS);
	struct virtq_used_elem e;

	if (!vnet_send(&net, to, NULL, OP_REQUEST, seq, ETH_MIN_FRAME))
		return "no transmit buffer free";
	while (rdtsc() < end) {
		if (status(&net.dev) & STATUS_NEEDS_RESET)
			return "the device needs a reset";
		if (!vnet_next_used(VNET_RXQ, &e)) {
			cpu_relax();
			continue;
		}
		const volatile uint8_t *f = vnet_rx_buf[e.id % VNET_RXBUFS] + VNET_HDR_LEN;
		uint32_t len = e.len > VNET_HDR_LEN ? e.len - VNET_HDR_LEN : 0;
		bool match = e.id < VNET_RXBUFS && vnet_op_of(f, len) == OP_REPLY &&
			     get_le32(f + ETH_HLEN + PAY_SEQ) == seq;
		if (match && from)
			for (unsigned int i = 0; i < ETH_ALEN; i++)
				from[i] = f[ETH_ALEN + i];
		vnet_post(VNET_RXQ, (uint16_t)(e.id % VNET_RXBUFS));
		notify_queue(&net.dev, VNET_RXQ);
		if (match)
			return NULL;
	}
	rt_snprintf(why, sizeof(why), "no reply to request %u within %u ms (status 0x%x)", seq,
		    PEER_TIMEOUT_MS, status(&net.dev));
	return why;
}

/* A fresh device and one valid frame each way. */
static const char *echo_ok(void)
{
	const char *why = vnet_start(&net, 0, VNET_RXBUFS, VNET_QMAX);

	if (why)
		return why;
	vnet_rx_fill(&net, VNET_RXBUFS);
	return request_reply(peer, NULL);
}

/* The checks after every case. */
static const char *after_case(void)
{
	const char *why = lapic_unchanged();

	if (!why)
		why = scratch_unchanged();
	if (!why)
		why = echo_ok();
	return why;
}

static void report(const char *name, const char *why)
{
	static char buf[160];

	if (!why) {
		why = after_case();
		if (why) {
			rt_snprintf(buf, sizeof(buf), "after the case: %s", why);
			why = buf;
		}
	}
	rt_check(name, !why, "%s", why);
}

/* ---- a broken ring: DEVICE_NEEDS_RESET ---------------------------------------- */

static bool needs_reset(void)
{
	return status(&net.dev) & STATUS_NEEDS_RESET;
}

/* NEEDS_RESET, nothing on queue q completed, the configuration interrupt
 * (§2.1.2; ISR bit 1 without MSI-X). */
static const char *expect_reset(uint16_t q)
{
	static char why[112];

	if (!wait_until(needs_reset, PEER_TIMEOUT_MS)) {
		rt_snprintf(why, sizeof(why),
			    "no DEVICE_NEEDS_RESET within %u ms (status 0x%x, used idx %u)",
			    PEER_TIMEOUT_MS, status(&net.dev), vnet_used[q].idx);
		return why;
	}
	return reset_witnessed(q, vnet_used[q].idx, read_isr(&net.dev));
}

/* Chain 0: a 12-byte header, then the frame part at addr, len bytes (a
 * frame of EtherType 0x88B6 in frame_buf, should the device send it). */
static void tx_two_part(uint64_t addr, uint32_t len)
{
	for (unsigned int i = 0; i < VNET_HDR_LEN; i++)
		frame_buf[i] = 0;
	vnet_frame(frame_buf + VNET_HDR_LEN, ETH_MIN_FRAME, peer, net.mac, ETHERTYPE_BAD, 0, 0);
	set_desc(vnet_desc[VNET_TXQ], 0, (uintptr_t)frame_buf, VNET_HDR_LEN, DESC_F_NEXT, 1);
	set_desc(vnet_desc[VNET_TXQ], 1, addr, len, 0, 0);
}

static void tx_ring_case(const char *name, uint64_t addr, uint32_t len, const char *(*check)(void))
{
	const char *why = vnet_start(&net, 0, VNET_RXBUFS, VNET_QMAX);

	if (!why) {
		tx_two_part(addr, len);
		vnet_post(VNET_TXQ, 0);
		notify_queue(&net.dev, VNET_TXQ);
		why = expect_reset(VNET_TXQ);
	}
	if (!why && check)
		why = check();
	report(name, why);
}

/* On a queue of 16: the walk stops after 16 descriptors (on one of 256,
 * the 64-buffer limit of a chain would stop it first). */
static void case_tx_loop(void)
{
	const char *why = vnet_start(&net, 0, VNET_RXBUFS, QUEUE_SMALL);

	if (!why) {
		tx_two_part((uintptr_t)frame_buf + VNET_HDR_LEN, ETH_MIN_FRAME);
		/* The frame part names the header as next: the chain never ends. */
		set_desc(vnet_desc[VNET_TXQ], 1, (uintptr_t)frame_buf + VNET_HDR_LEN, ETH_MIN_FRAME,
			 DESC_F_NEXT, 0);
		vnet_post(VNET_TXQ, 0);
		notify_queue(&net.dev, VNET_TXQ);
		why = expect_reset(VNET_TXQ);
	}
	report("tx_chain_loop", why);
}

/* 64 buffers of 64 MiB, all in RAM: 4 GiB, one byte more than a used
 * element's le32 length can say (§2.7.8). */
static void case_tx_over_4gib(void)
{
	const char *why = NULL;

	if (rt_boot.cr3 < OVERFLOW_SEG_LEN)
		why = "needs 64 MiB of RAM, the partition has less";
	if (!why)
		why = vnet_start(&net, 0, VNET_RXBUFS, VNET_QMAX);
	if (!why) {
		for (uint16_t i = 0; i < OVERFLOW_SEGS; i++)
			set_desc(vnet_desc[VNET_TXQ], i, 0, OVERFLOW_SEG_LEN,
				 i + 1 < OVERFLOW_SEGS ? DESC_F_NEXT : 0, i + 1);
		vnet_post(VNET_TXQ, 0);
		notify_queue(&net.dev, VNET_TXQ);
		why = expect_reset(VNET_TXQ);
	}
	report("tx_chain_over_4gib", why);
}

/* The frame through an indirect table at table_addr (§2.7.5.3). */
static void tx_indirect_case(const char *name, uint64_t table_addr, const char *(*check)(void))
{
	const char *why = NULL;

	if (!(device_features(&net.dev) & FEATURE(F_INDIRECT_DESC)))
		why = "the device does not offer VIRTIO_F_INDIRECT_DESC";
	if (!why)
		why = vnet_start(&net, FEATURE(F_INDIRECT_DESC), VNET_RXBUFS, VNET_QMAX);
	if (!why) {
		tx_two_part((uintptr_t)frame_buf + VNET_HDR_LEN, ETH_MIN_FRAME);
		ind_table[0] = vnet_desc[VNET_TXQ][0];
		ind_table[1] = vnet_desc[VNET_TXQ][1];
		set_desc(vnet_desc[VNET_TXQ], 0, table_addr, 2 * DESC_SIZE, DESC_F_INDIRECT, 0);
		vnet_post(VNET_TXQ, 0);
		notify_queue(&net.dev, VNET_TXQ);
		why = expect_reset(VNET_TXQ);
	}
	if (!why && check)
		why = check();
	report(name, why);
}

static void ring_attacks(void)
{
	uint64_t frame = (uintptr_t)frame_buf + VNET_HDR_LEN;

	tx_ring_case("tx_buffer_outside_ram", ATK_BEYOND_RAM, ETH_MIN_FRAME, NULL);
	tx_ring_case("tx_buffer_on_lapic", LAPIC_BASE, ETH_MIN_FRAME, lapic_unchanged);
	tx_ring_case("tx_buffer_on_own_bar", own_bar, ETH_MIN_FRAME, NULL);
	tx_ring_case("tx_zero_length", frame, 0, NULL);
	tx_ring_case("tx_length_4gib", frame, 0xFFFFFFFFu, NULL);
	case_tx_over_4gib();
	case_tx_loop();
	tx_indirect_case("tx_indirect_outside_ram", ATK_BEYOND_RAM, NULL);
	tx_indirect_case("tx_indirect_on_lapic", LAPIC_BASE, lapic_unchanged);
}

/* ---- a bad frame: dropped and counted ------------------------------------------ */

static bool tx_returned(void)
{
	return vnet_used[VNET_TXQ].idx == 1 || needs_reset();
}

/* Chain 0 of queue TX is laid out: it must come back with used length 0
 * and the device running. */
static const char *expect_tx_dropped(void)
{
	static char why[112];

	notify_queue(&net.dev, VNET_TXQ);
	if (!wait_until(tx_returned, DEVICE_TIMEOUT_MS) || needs_reset()) {
		rt_snprintf(why, sizeof(why), "not returned: used idx %u, device status 0x%x",
			    vnet_used[VNET_TXQ].idx, status(&net.dev));
		return why;
	}
	if (vnet_used[VNET_TXQ].ring[0].id != 0 || vnet_used[VNET_TXQ].ring[0].len != 0) {
		rt_snprintf(why, sizeof(why), "used element {%u, %u}, want {0, 0}",
			    vnet_used[VNET_TXQ].ring[0].id, vnet_used[VNET_TXQ].ring[0].len);
		return why;
	}
	return status(&net.dev) == STATUS_RUNNING ? NULL : "the device stopped";
}

/* One frame of len bytes in frame_buf after header h, EtherType `type`. */
static void tx_frame_case(const char *name, uint64_t features, const struct vnet_hdr *h,
			  uint32_t len, uint16_t type, uint8_t op)
{
	const char *why = vnet_start(&net, features, VNET_RXBUFS, VNET_QMAX);

	if (!why) {
		memcpy((void *)frame_buf, h, VNET_HDR_LEN);
		vnet_frame(frame_buf + VNET_HDR_LEN,
			   len > ETH_HLEN + PAY_LEN ? len : ETH_HLEN + PAY_LEN, peer, net.mac, type,
			   op, 0);
		set_desc(vnet_desc[VNET_TXQ], 0, (uintptr_t)frame_buf, VNET_HDR_LEN + len, 0, 0);
		vnet_post(VNET_TXQ, 0);
		why = expect_tx_dropped();
	}
	report(name, why);
}

static void case_tx_short(void)
{
	const char *why = vnet_start(&net, 0, VNET_RXBUFS, VNET_QMAX);

	if (!why) {
		memset((void *)frame_buf, 0, VNET_HDR_LEN);
		set_desc(vnet_desc[VNET_TXQ], 0, (uintptr_t)frame_buf, VNET_HDR_LEN - 4, 0, 0);
		vnet_post(VNET_TXQ, 0);
		why = expect_tx_dropped();
	}
	report("tx_shorter_than_header", why);
}

/* Header and 70,000 frame bytes in three parts, all in RAM. */
static void case_tx_too_big(void)
{
	const char *why = vnet_start(&net, 0, VNET_RXBUFS, VNET_QMAX);
	uint64_t b = (uintptr_t)big_buf;

	if (!why) {
		memset((void *)big_buf, 0, sizeof(big_buf));
		vnet_frame(big_buf + VNET_HDR_LEN, BIG_FRAME, peer, net.mac, ETHERTYPE_BAD, 0, 0);
		set_desc(vnet_desc[VNET_TXQ], 0, b, VNET_HDR_LEN, DESC_F_NEXT, 1);
		set_desc(vnet_desc[VNET_TXQ], 1, b + VNET_HDR_LEN, BIG_FRAME / 2, DESC_F_NEXT, 2);
		set_desc(vnet_desc[VNET_TXQ], 2, b + VNET_HDR_LEN + BIG_FRAME / 2, BIG_FRAME / 2, 0,
			 0);
		vnet_post(VNET_TXQ, 0);
		why = expect_tx_dropped();
	}
	report("tx_frame_over_64k", why);
}

static void frame_attacks(void)
{
	struct vnet_hdr h = { 0 };

	case_tx_short();
	tx_frame_case("tx_runt_frame", 0, &h, RUNT_FRAME, ETHERTYPE_BAD, 0);

	/* §5.1.6.2: NEEDS_CSUM only with VIRTIO_NET_F_CSUM. */
	h = (struct vnet_hdr){ .flags = VNET_HDR_F_NEEDS_CSUM,
			       .csum_start = CSUM_START_TCP,
			       .csum_offset = CSUM_OFFSET_TCP };
	tx_frame_case("tx_csum_not_negotiated", 0, &h, ETH_MIN_FRAME, ETHERTYPE_BAD, 0);
	/* The checksum field (start + offset) past the frame's end. */
	h.csum_start = ETH_MIN_FRAME - 2;
	h.csum_offset = 0xFFF0;
	tx_frame_case("tx_csum_offset_past_frame", FEATURE(F_NET_CSUM), &h, ETH_MIN_FRAME,
		      ETHERTYPE_BAD, 0);
	h.csum_start = 0xFFFF;
	h.csum_offset = 0;
	tx_frame_case("tx_csum_start_past_frame", FEATURE(F_NET_CSUM), &h, ETH_MIN_FRAME,
		      ETHERTYPE_BAD, 0);

	/* GSO: UDP is not offered; TCPv4 without HOST_TSO4; gso_size 0. */
	h = (struct vnet_hdr){ .flags = VNET_HDR_F_NEEDS_CSUM,
			       .gso_type = VNET_GSO_UDP,
			       .hdr_len = CSUM_START_TCP + 20,
			       .gso_size = 1448,
			       .csum_start = CSUM_START_TCP,
			       .csum_offset = CSUM_OFFSET_TCP };
	tx_frame_case("tx_gso_udp_not_offered", FEATURE(F_NET_CSUM) | FEATURE(F_NET_HOST_TSO4), &h,
		      GSO_FRAME, ETHERTYPE_BAD, 0);
	h.gso_type = VNET_GSO_TCPV4;
	tx_frame_case("tx_gso_not_negotiated", FEATURE(F_NET_CSUM), &h, GSO_FRAME, ETHERTYPE_BAD, 0);
	h.gso_size = 0;
	tx_frame_case("tx_gso_size_zero", FEATURE(F_NET_CSUM) | FEATURE(F_NET_HOST_TSO4), &h,
		      GSO_FRAME, ETHERTYPE_BAD, 0);

	case_tx_too_big();
}

/* hdr_len 0xFFFF on a 200-byte GSO frame: a hint (§5.1.6.2.2), clamped to
 * the frame; the frame is valid otherwise and is delivered (the bystander
 * counts it and checks the header it gets). */
static void case_gso_hdr_len(void)
{
	struct vnet_hdr h = { .flags = VNET_HDR_F_NEEDS_CSUM,
			      .gso_type = VNET_GSO_TCPV4,
			      .hdr_len = 0xFFFF,
			      .gso_size = 1448,
			      .csum_start = CSUM_START_TCP,
			      .csum_offset = CSUM_OFFSET_TCP };

	tx_frame_case("tx_gso_absurd_hdr_len", FEATURE(F_NET_CSUM) | FEATURE(F_NET_HOST_TSO4), &h,
		      GSO_FRAME, ETHERTYPE_VNET, OP_GSO);
}

/* ---- receive buffers -------------------------------------------------------------- */

static bool rx_used_two(void)
{
	return vnet_used[VNET_RXQ].idx >= 2 || needs_reset();
}

static bool buf_is(const volatile uint8_t *b, uint8_t v, unsigned int len)
{
	for (unsigned int i = 0; i < len; i++)
		if (b[i] != v)
			return false;
	return true;
}

/* With MRG_RXBUF: buffer 0 is unusable (read-only, or `writable` bytes
 * only), buffer 1 is valid. The bystander's reply must skip buffer 0
 * (returned with used length 0, untouched) and land in buffer 1. */
static void rx_mrg_case(const char *name, uint32_t writable)
{
	static char why_buf[112];
	const char *why = vnet_start(&net, FEATURE(F_NET_MRG_RXBUF), VNET_RXBUFS, VNET_QMAX);
	uint32_t seq = net.seq + 1;

	if (!why) {
		memset((void *)vnet_rx_buf[0], POISON, VNET_BUF);
		set_desc(vnet_desc[VNET_RXQ], 0, (uintptr_t)vnet_rx_buf[0],
			 writable ? writable : VNET_BUF, writable ? DESC_F_WRITE : 0, 0);
		set_desc(vnet_desc[VNET_RXQ], 1, (uintptr_t)vnet_rx_buf[1], VNET_BUF, DESC_F_WRITE,
			 0);
		vnet_post(VNET_RXQ, 0);
		vnet_post(VNET_RXQ, 1);
		notify_queue(&net.dev, VNET_RXQ);
		if (!vnet_send(&net, peer, NULL, OP_REQUEST, seq, ETH_MIN_FRAME))
			why = "no transmit buffer";
		net.seq = seq;
	}
	if (!why && (!wait_until(rx_used_two, PEER_TIMEOUT_MS) || needs_reset())) {
		rt_snprintf(why_buf, sizeof(why_buf), "receive used idx %u, device status 0x%x",
			    vnet_used[VNET_RXQ].idx, status(&net.dev));
		why = why_buf;
	}
	if (!why) {
		volatile struct virtq_used_elem *u = vnet_used[VNET_RXQ].ring;
		const volatile uint8_t *f = vnet_rx_buf[1] + VNET_HDR_LEN;
		if (u[0].id != 0 || u[0].len != 0)
			why = "the unusable buffer was not returned first with length 0";
		else if (!buf_is(vnet_rx_buf[0], POISON, VNET_BUF))
			why = "the device wrote to the unusable buffer";
		else if (u[1].id != 1 || u[1].len != VNET_HDR_LEN + ETH_MIN_FRAME ||
			 vnet_op_of(f, ETH_MIN_FRAME) != OP_REPLY ||
			 get_le32(f + ETH_HLEN + PAY_SEQ) != seq)
			why = "the reply did not arrive in the next buffer";
		else if (status(&net.dev) != STATUS_RUNNING)
			why = "the device stopped";
	}
	report(name, why);
}

/* Without MRG_RXBUF a frame must fit one chain: an 8-byte buffer cannot
 * take the reply, which is dropped; the buffer is neither written nor
 * returned. */
static void case_rx_small_no_mrg(void)
{
	const char *why = vnet_start(&net, 0, VNET_RXBUFS, VNET_QMAX);

	if (!why) {
		memset((void *)vnet_rx_buf[0], POISON, VNET_BUF);
		set_desc(vnet_desc[VNET_RXQ], 0, (uintptr_t)vnet_rx_buf[0], RX_SMALL, DESC_F_WRITE,
			 0);
		vnet_post(VNET_RXQ, 0);
		notify_queue(&net.dev, VNET_RXQ);
		if (!vnet_send(&net, peer, NULL, OP_REQUEST, ++net.seq, ETH_MIN_FRAME))
			why = "no transmit buffer";
	}
	if (!why) {
		uint64_t end = deadline(&net.dev, RX_QUIET_MS);
		while (rdtsc() < end && vnet_used[VNET_RXQ].idx == 0 && !needs_reset())
			cpu_relax();
		if (vnet_used[VNET_RXQ].idx != 0 || status(&net.dev) != STATUS_RUNNING)
			why = "the small buffer was used, or the device stopped";
		else if (!buf_is(vnet_rx_buf[0], POISON, VNET_BUF))
			why = "the device wrote to the small buffer";
	}
	report("rx_buffer_too_small_no_mrg", why);
}

/* A receive buffer off this partition's RAM: the ring is broken when the
 * bystander's reply needs it. */
static void rx_ring_case(const char *name, uint64_t addr, const char *(*check)(void))
{
	const char *why = vnet_start(&net, 0, VNET_RXBUFS, VNET_QMAX);

	if (!why) {
		set_desc(vnet_desc[VNET_RXQ], 0, addr, VNET_BUF, DESC_F_WRITE, 0);
		vnet_post(VNET_RXQ, 0);
		notify_queue(&net.dev, VNET_RXQ);
		if (!vnet_send(&net, peer, NULL, OP_REQUEST, ++net.seq, ETH_MIN_FRAME))
			why = "no transmit buffer";
	}
	if (!why)
		why = expect_reset(VNET_RXQ);
	if (!why && check)
		why = check();
	report(name, why);
}

static void rx_attacks(void)
{
	rx_mrg_case("rx_buffer_readonly", 0);
	rx_mrg_case("rx_buffer_too_small", RX_SMALL);
	case_rx_small_no_mrg();
	rx_ring_case("rx_buffer_outside_ram", ATK_BEYOND_RAM, NULL);
	rx_ring_case("rx_buffer_on_lapic", LAPIC_BASE, lapic_unchanged);
}

/* ---- floods and forged sources ------------------------------------------------------- */

/* Rings of VNET_QMAX valid 1514-byte frames to dst, one notification per
 * ring, for FLOOD_NS of this partition's time. */
static void flood_case(const char *name, const uint8_t *dst)
{
	static char why_buf[112];
	const char *why = vnet_start(&net, 0, VNET_RXBUFS, VNET_QMAX);
	uint64_t t0 = rt_hc_time_ns(), rounds = 0;
	uint16_t done = 0;

	if (!why) {
		memset((void *)frame_buf, 0, VNET_HDR_LEN);
		vnet_frame(frame_buf + VNET_HDR_LEN, ETH_MAX_FRAME, dst, net.mac, ETHERTYPE_VNET,
			   OP_FLOOD, 0);
		for (uint16_t i = 0; i < VNET_QMAX; i++)
			set_desc(vnet_desc[VNET_TXQ], i, (uintptr_t)frame_buf,
				 VNET_HDR_LEN + ETH_MAX_FRAME, 0, 0);
	}
	while (!why && rt_hc_time_ns() - t0 < FLOOD_NS) {
		uint64_t end = deadline(&net.dev, FLOOD_ROUND_TIMEOUT_MS);
		for (uint16_t i = 0; i < VNET_QMAX; i++)
			vnet_post(VNET_TXQ, i);
		notify_queue(&net.dev, VNET_TXQ);
		done += VNET_QMAX;
		while (vnet_used[VNET_TXQ].idx != done && rdtsc() < end && !needs_reset())
			cpu_relax();
		if (vnet_used[VNET_TXQ].idx != done) {
			rt_snprintf(why_buf, sizeof(why_buf),
				    "round %llu: used idx %u, want %u, status 0x%x",
				    (unsigned long long)rounds, vnet_used[VNET_TXQ].idx, done,
				    status(&net.dev));
			why = why_buf;
		}
		rounds++;
	}
	if (!why && status(&net.dev) != STATUS_RUNNING)
		why = "the device stopped";
	rt_printf("%s: %llu rounds of %u frames\n", name, (unsigned long long)rounds, VNET_QMAX);
	report(name, why);
}

/* Frames with the bystander's MAC as source, to broadcast and to the
 * bystander, and a request claiming to come from it. The switch forwards
 * them by destination and learns nothing from them; after them, the
 * bystander's own traffic still reaches it (after_case's request). */
static void case_spoof(void)
{
	const char *why = vnet_start(&net, 0, VNET_RXBUFS, VNET_QMAX);

	for (unsigned int i = 0; !why && i < SPOOF_FRAMES; i++) {
		const uint8_t *dst = i % 2 ? peer : eth_broadcast;
		uint8_t op = i == 0 ? OP_REQUEST : OP_SPOOF;
		while (!vnet_send(&net, dst, peer, op, ++net.seq, ETH_MIN_FRAME))
			if (needs_reset()) {
				why = "the device needs a reset";
				break;
			}
	}
	if (!why && status(&net.dev) != STATUS_RUNNING)
		why = "the device stopped";
	report("tx_spoofed_source_mac", why);
}

/* ---- setup ------------------------------------------------------------------------------ */

/* The bystander answers a broadcast request: its MAC is the reply's
 * source. It may not be up yet: asked again until PEER_TIMEOUT_MS. */
static bool find_peer(void)
{
	const char *why = NULL;

	for (unsigned int tries = 0; tries < 4; tries++) {
		why = vnet_start(&net, 0, VNET_RXBUFS, VNET_QMAX);
		if (!why) {
			vnet_rx_fill(&net, VNET_RXBUFS);
			why = request_reply(eth_broadcast, peer);
		}
		if (!why)
			break;
	}
	if (!rt_check("find_peer", !why, "%s", why))
		return false;
	rt_printf("peer %02x:%02x:%02x:%02x:%02x:%02x\n", peer[0], peer[1], peer[2], peer[3],
		  peer[4], peer[5]);
	return true;
}

void guest_main(void)
{
	if (!rt_hv_present() || !vnet_discover(&net))
		return;
	own_bar = (uintptr_t)net.dev.common & ~0xFFFul;
	lapic_save();
	mmio_wr32(TESTDEV_MMIO + TESTDEV_SCRATCH, SCRATCH_MARK);
	if (!find_peer())
		return;
	ring_attacks();
	frame_attacks();
	case_gso_hdr_len();
	rx_attacks();
	flood_case("tx_flood_unicast", peer);
	flood_case("tx_flood_broadcast", eth_broadcast);
	case_spoof();
	report("recovers", NULL);
	/* Tell the bystander; it reports and stops. */
	const char *why = vnet_start(&net, 0, VNET_RXBUFS, VNET_QMAX);
	if (!why && !vnet_send(&net, peer, NULL, OP_DONE, ++net.seq, ETH_MIN_FRAME))
		why = "no transmit buffer";
	rt_check("done_sent", !why, "%s", why);
	device_reset(&net.dev);
}
