/* SPDX-License-Identifier: BSD-2-Clause */
/* net-bystander: the partition beside atk-net on the same virtio-net switch
 * and the same host CPU (tests/integration/isolation-net-svm/-vmx.test).
 *
 * It measures its share of the CPU as bystander.c does (blocks of spinning,
 * share = blocks * cheapest block / window) and, between blocks, serves
 * its network interface: it answers each OP_REQUEST with an OP_REPLY (so
 * the attacker can tell, after every case, that the switch still carries
 * a valid frame both ways and that this partition still runs), counts
 * what else arrives, and checks every header the hypervisor wrote. It
 * stops when atk-net sends OP_DONE (or after NETBY_MAX_NS) and reports:
 *   - bystander_share: at least 400 permille of the CPU it shares with
 *     the attacker, whose floods and refused rings are the attacker's
 *     device work (charged to it, core/sched.c);
 *   - no_refused_frame_arrived: no frame of EtherType 0x88B6 (the ones
 *     the hypervisor must drop: bad checksum or GSO headers, frames over
 *     64 KiB) reached it;
 *   - rx_headers_sane: every received header's checksum and GSO fields
 *     lie inside the frame (csum_start + csum_offset + 2 <= length,
 *     hdr_len <= length), whatever the sender put in its own;
 *   - served_peer: it answered at least one request.
 * It accepts GUEST_CSUM and GUEST_TSO4/6 (with ECN), as Linux does, so a
 * GSO frame from the attacker reaches it instead of being dropped by its
 * own device. */
#define guest_main virtio_hostile_main
#include "virtio-hostile.c"
#undef guest_main
#include "vnet.h"

#define NETBY_BLOCK 20000UL          /* ~60,000 instructions, as bystander.c */
#define NETBY_SHARE_MIN_PERMILLE 400 /* the bound of docs/architecture.md */
#define NETBY_BLOCKS_PER_CLOCK 16
#define NETBY_MAX_NS 60000000000ull /* gives up waiting for OP_DONE */
#define NETBY_FEATURES                                                                       \
	(FEATURE(F_NET_GUEST_CSUM) | FEATURE(F_NET_GUEST_TSO4) | FEATURE(F_NET_GUEST_TSO6) | \
	 FEATURE(F_NET_GUEST_ECN))

struct counts {
	unsigned long frames, requests, replies_dropped, flood, gso, spoofed, refused, other;
	unsigned long bad_headers, empty;
	bool done;
};

static void spin_block(void)
{
	unsigned long n = NETBY_BLOCK, acc = 0;

	asm volatile("1: add $1, %1\n\t"
		     "dec %0\n\t"
		     "jnz 1b"
		     : "+r"(n), "+r"(acc)
		     :
		     : "memory");
}

/* §5.1.6.4: what the device wrote before the frame must describe it. */
static bool header_sane(const volatile uint8_t *b, uint32_t frame_len)
{
	const volatile struct vnet_hdr *h = (const volatile struct vnet_hdr *)b;

	if ((h->flags & VNET_HDR_F_NEEDS_CSUM) &&
	    (uint32_t)h->csum_start + h->csum_offset + 2 > frame_len)
		return false;
	if (h->gso_type != VNET_GSO_NONE && h->hdr_len > frame_len)
		return false;
	return h->num_buffers == 1;
}

static void handle_frame(struct vnet *n, struct counts *c, uint16_t id, uint32_t used_len)
{
	const volatile uint8_t *b = vnet_rx_buf[id];
	const volatile uint8_t *f = b + VNET_HDR_LEN;
	uint32_t len;

	if (id >= VNET_RXBUFS || used_len <= VNET_HDR_LEN) {
		c->empty++;
		return;
	}
	len = used_len - VNET_HDR_LEN;
	c->frames++;
	if (!header_sane(b, len))
		c->bad_headers++;
	if (len >= ETH_HLEN && get_be16(f + ETH_TYPE_OFF) == ETHERTYPE_BAD) {
		c->refused++;
		return;
	}
	switch (vnet_op_of(f, len)) {
	case OP_REQUEST:
		c->requests++;
		/* Answer the address it came from, unless that is us (a
		 * forged source: the answer would go nowhere). */
		if (mac_equal(f + ETH_ALEN, n->mac)) {
			c->spoofed++;
			break;
		}
		uint8_t to[ETH_ALEN];
		for (unsigned int i = 0; i < ETH_ALEN; i++)
			to[i] = f[ETH_ALEN + i];
		if (!vnet_send(n, to, NULL, OP_REPLY, get_le32(f + ETH_HLEN + PAY_SEQ), ETH_MIN_FRAME))
			c->replies_dropped++;
		break;
	case OP_DONE:
		c->done = true;
		break;
	case OP_FLOOD:
		c->flood++;
		break;
	case OP_GSO:
		c->gso++;
		break;
	case OP_SPOOF:
		c->spoofed++;
		break;
	default:
		c->other++;
		break;
	}
}

/* Takes every received frame, gives its buffer back, reclaims sent ones. */
static void serve(struct vnet *n, struct counts *c)
{
	struct virtq_used_elem e;
	bool reposted = false;

	while (vnet_next_used(VNET_RXQ, &e)) {
		handle_frame(n, c, (uint16_t)e.id, e.len);
		if (e.id < VNET_RXBUFS) {
			vnet_post(VNET_RXQ, (uint16_t)e.id);
			reposted = true;
		}
	}
	while (vnet_next_used(VNET_TXQ, &e))
		;
	if (reposted)
		vnet_notify_if_wanted(n, VNET_RXQ);
}

void guest_main(void)
{
	static struct counts c;
	struct vnet n = { 0 };
	const char *why;

	if (!rt_hv_present() || !vnet_discover(&n))
		return;
	why = vnet_start(&n, NETBY_FEATURES, VNET_RXBUFS, VNET_TXBUFS);
	if (!rt_check("start", !why, "%s", why))
		return;
	vnet_rx_fill(&n, VNET_RXBUFS);

	unsigned long end = rt_hc_time_ns() + NETBY_MAX_NS;
	uint64_t t0 = rdtsc(), prev = t0, min_block = ~0ULL;
	unsigned long blocks = 0;
	for (;;) {
		spin_block();
		uint64_t now = rdtsc();
		if (now - prev < min_block)
			min_block = now - prev;
		prev = now;
		blocks++;
		serve(&n, &c);
		if (c.done)
			break;
		/* The status register and the clock are exits: not every block. */
		if (blocks % NETBY_BLOCKS_PER_CLOCK == 0 &&
		    (rt_hc_time_ns() >= end || status(&n.dev) & STATUS_NEEDS_RESET))
			break;
	}
	uint64_t window = prev - t0;
	uint64_t permille = window ? (uint64_t)blocks * min_block * 1000 / window : 0;
	rt_printf("SHARE permille=%lu blocks=%lu min_block_tsc=%lu window_tsc=%lu\n",
		  (unsigned long)permille, blocks, (unsigned long)min_block, (unsigned long)window);
	rt_printf("FRAMES received=%lu requests=%lu flood=%lu gso=%lu spoofed=%lu refused=%lu "
		  "other=%lu empty=%lu bad_headers=%lu replies_dropped=%lu\n",
		  c.frames, c.requests, c.flood, c.gso, c.spoofed, c.refused, c.other, c.empty,
		  c.bad_headers, c.replies_dropped);
	rt_check("peer_done", c.done, "no OP_DONE from the attacker (device status 0x%x)",
		 status(&n.dev));
	rt_check("bystander_share", permille >= NETBY_SHARE_MIN_PERMILLE,
		 "got %lu permille of its CPU, want at least %u", (unsigned long)permille,
		 NETBY_SHARE_MIN_PERMILLE);
	rt_check("no_refused_frame_arrived", c.refused == 0,
		 "%lu frames the hypervisor must drop arrived", c.refused);
	rt_check("rx_headers_sane", c.bad_headers == 0 && c.empty == 0,
		 "%lu headers describe more than their frame, %lu buffers came back empty",
		 c.bad_headers, c.empty);
	rt_check("served_peer", c.requests > c.replies_dropped, "%lu requests, %lu not answered",
		 c.requests, c.replies_dropped);
	device_reset(&n.dev);
}
