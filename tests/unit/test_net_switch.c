/* SPDX-License-Identifier: BSD-2-Clause */
/* drivers/virtio/net_switch: forwarding, learning, flooding, backlogs,
 * offload headers, checksum completion, concurrency. Ports here are fakes
 * that count kicks and read their backlog directly. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/net_switch.h"
#include "tests/unit/support/host_log.h"

/* Everything a test allocates is freed after it (LeakSanitizer is on). */
static void *allocs[64];
static unsigned int nr_allocs;

static void *test_alloc(size_t n)
{
	void *p = calloc(1, n);
	cr_assert_not_null(p);
	cr_assert_lt(nr_allocs, 64);
	allocs[nr_allocs++] = p;
	return p;
}

static void free_all(void)
{
	while (nr_allocs)
		free(allocs[--nr_allocs]);
}

TestSuite(net_switch, .fini = free_all);

struct fake_port {
	struct net_port port;
	unsigned int kicks;
};

static void fake_kick(void *ctx)
{
	__atomic_fetch_add(&((struct fake_port *)ctx)->kicks, 1, __ATOMIC_RELAXED);
}

static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static struct fake_port *new_port(struct net_switch *sw, const char *name, uint8_t last)
{
	struct fake_port *f = test_alloc(sizeof(*f));
	const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, last };
	f->port.name = name;
	memcpy(f->port.mac, mac, 6);
	f->port.kick = fake_kick;
	f->port.kick_ctx = f;
	cr_assert(net_switch_add_port(sw, &f->port));
	net_port_set_up(&f->port, true);
	return f;
}

/* Ethernet frame: dst, src, type 0x0800, payload bytes seeded by `seed`. */
static uint32_t make_frame(uint8_t *buf, const uint8_t *dst, const uint8_t *src, uint32_t len,
			   uint8_t seed)
{
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	buf[12] = 0x08;
	buf[13] = 0x00;
	for (uint32_t i = 14; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 7);
	return len;
}

static unsigned int backlog_frames(struct net_port *p)
{
	return p->frames;
}

/* Pops the oldest frame into buf; returns its length (0 if none). */
static uint32_t pop_frame(struct net_port *p, uint8_t *buf, uint32_t cap, struct net_offload *off)
{
	struct net_rx_frame f;
	if (!net_port_peek(p, &f))
		return 0;
	cr_assert_leq(f.len, cap);
	cr_assert_eq(net_port_read(p, &f, 0, buf, f.len), f.len);
	if (off)
		*off = f.off;
	net_port_pop(p);
	return f.len;
}

static struct net_switch *new_switch(void)
{
	struct net_switch *sw = test_alloc(sizeof(*sw));
	net_switch_init(sw, "test-switch", NULL, NULL);
	host_log_reset();
	return sw;
}

Test(net_switch, unicast_to_registered_mac_reaches_only_that_port)
{
	struct net_switch *sw = new_switch();
	struct fake_port *a = new_port(sw, "a", 1), *b = new_port(sw, "b", 2),
			 *c = new_port(sw, "c", 3);
	uint8_t fr[100], out[200];

	make_frame(fr, b->port.mac, a->port.mac, 100, 5);
	cr_assert_eq(net_switch_send_buf(sw, &a->port, NULL, fr, 100), 1);
	cr_assert_eq(backlog_frames(&b->port), 1);
	cr_assert_eq(backlog_frames(&c->port), 0);
	cr_assert_eq(backlog_frames(&a->port), 0);
	cr_assert_eq(b->kicks, 1);
	cr_assert_eq(c->kicks, 0);
	cr_assert_eq(pop_frame(&b->port, out, sizeof(out), NULL), 100);
	cr_assert_arr_eq(out, fr, 100);
	cr_assert_eq(sw->stats.unicast, 1);
	cr_assert_eq(a->port.stats.tx_frames, 1);
	cr_assert_eq(b->port.stats.rx_bytes, 100);
}

Test(net_switch, broadcast_floods_every_other_up_port)
{
	struct net_switch *sw = new_switch();
	struct fake_port *a = new_port(sw, "a", 1), *b = new_port(sw, "b", 2),
			 *c = new_port(sw, "c", 3), *d = new_port(sw, "d", 4);
	uint8_t fr[64];

	net_port_set_up(&d->port, false);
	make_frame(fr, BCAST, a->port.mac, 64, 1);
	cr_assert_eq(net_switch_send_buf(sw, &a->port, NULL, fr, 64), 2);
	cr_assert_eq(backlog_frames(&a->port), 0, "never back to the sender");
	cr_assert_eq(backlog_frames(&b->port), 1);
	cr_assert_eq(backlog_frames(&c->port), 1);
	cr_assert_eq(backlog_frames(&d->port), 0, "a down port gets nothing");
	cr_assert_eq(sw->stats.flooded, 1);

	/* A multicast group address floods too. */
	const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };
	make_frame(fr, mcast, a->port.mac, 64, 2);
	cr_assert_eq(net_switch_send_buf(sw, &a->port, NULL, fr, 64), 2);
	cr_assert_eq(backlog_frames(&b->port), 2);
}

Test(net_switch, learns_addresses_behind_a_port)
{
	struct net_switch *sw = new_switch();
	struct fake_port *a = new_port(sw, "a", 1), *b = new_port(sw, "b", 2),
			 *c = new_port(sw, "c", 3);
	/* X lives behind port c (e.g. a bridge inside that partition). */
	const uint8_t x[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
	uint8_t fr[60];

	/* Unknown unicast: flooded. */
	make_frame(fr, x, a->port.mac, 60, 0);
	cr_assert_eq(net_switch_send_buf(sw, &a->port, NULL, fr, 60), 2);
	cr_assert_eq(sw->stats.flooded, 1);

	/* c sends from X: learned. */
	make_frame(fr, a->port.mac, x, 60, 0);
	cr_assert_eq(net_switch_send_buf(sw, &c->port, NULL, fr, 60), 1);
	cr_assert_eq(sw->stats.learned, 1);

	net_port_flush(&b->port);
	net_port_flush(&c->port);
	make_frame(fr, x, a->port.mac, 60, 0);
	cr_assert_eq(net_switch_send_buf(sw, &a->port, NULL, fr, 60), 1);
	cr_assert_eq(backlog_frames(&c->port), 1);
	cr_assert_eq(backlog_frames(&b->port), 0);

	/* X moves behind b. */
	make_frame(fr, a->port.mac, x, 60, 0);
	net_switch_send_buf(sw, &b->port, NULL, fr, 60);
	cr_assert_eq(sw->stats.moved, 1);
	make_frame(fr, x, a->port.mac, 60, 0);
	cr_assert_eq(net_switch_send_buf(sw, &a->port, NULL, fr, 60), 1);
	cr_assert_eq(backlog_frames(&b->port), 1);
	cr_assert_eq(backlog_frames(&c->port), 1);

	/* A frame to an address behind its own ingress port is filtered. */
	make_frame(fr, x, b->port.mac, 60, 0);
	cr_assert_eq(net_switch_send_buf(sw, &b->port, NULL, fr, 60), 0);
	cr_assert_eq(sw->stats.filtered, 1);
}

Test(net_switch, group_and_foreign_source_addresses_are_not_learned)
{
	struct net_switch *sw = new_switch();
	struct fake_port *a = new_port(sw, "a", 1), *b = new_port(sw, "b", 2),
			 *c = new_port(sw, "c", 3);
	const uint8_t group_src[6] = { 0x03, 0, 0, 0, 0, 9 };
	uint8_t fr[60];

	make_frame(fr, b->port.mac, group_src, 60, 0);
	net_switch_send_buf(sw, &a->port, NULL, fr, 60);
	cr_assert_eq(sw->stats.learned, 0);
	cr_assert_eq(sw->stats.not_learned, 1);

	/* c pretends to be a: still forwarded, not learned, a keeps its traffic. */
	make_frame(fr, b->port.mac, a->port.mac, 60, 0);
	cr_assert_eq(net_switch_send_buf(sw, &c->port, NULL, fr, 60), 1);
	make_frame(fr, b->port.mac, a->port.mac, 60, 0);
	net_switch_send_buf(sw, &c->port, NULL, fr, 60);
	cr_assert_eq(sw->stats.not_learned, 3);
	cr_assert_eq(host_log_count(), 1, "one line for the spoofing port");
	cr_assert(host_log_contains("[c] net-switch: sends with the source address of port a"));

	make_frame(fr, a->port.mac, b->port.mac, 60, 0);
	cr_assert_eq(net_switch_send_buf(sw, &b->port, NULL, fr, 60), 1);
	cr_assert_eq(backlog_frames(&a->port), 1);
	cr_assert_eq(backlog_frames(&c->port), 0);
}

Test(net_switch, runts_and_oversized_frames_are_dropped_with_one_line_each)
{
	struct net_switch *sw = new_switch();
	struct fake_port *a = new_port(sw, "a", 1), *b = new_port(sw, "b", 2);
	uint8_t *big = test_alloc(NET_FRAME_MAX + 1);

	for (uint32_t len = 0; len < NET_ETH_HLEN; len++)
		cr_assert_eq(net_switch_send_buf(sw, &a->port, NULL, big, len), 0);
	cr_assert_eq(sw->stats.runts, NET_ETH_HLEN);
	memset(big, 0xff, 6);
	cr_assert_eq(net_switch_send_buf(sw, &a->port, NULL, big, NET_FRAME_MAX + 1), 0);
	cr_assert_eq(net_switch_send_buf(sw, &a->port, NULL, big, NET_FRAME_MAX + 1), 0);
	cr_assert_eq(sw->stats.too_big, 2);
	cr_assert_eq(host_log_count(), 2);
	cr_assert(host_log_contains("[a] net-switch: runt frame of 0 bytes"));
	cr_assert_eq(backlog_frames(&b->port), 0);

	/* Exactly 14 bytes and exactly the maximum both pass. */
	cr_assert_eq(net_switch_send_buf(sw, &a->port, NULL, big, NET_ETH_HLEN), 1);
	net_port_flush(&b->port);
	cr_assert_eq(net_switch_send_buf(sw, &a->port, NULL, big, NET_FRAME_MAX), 1);
}

Test(net_switch, full_backlog_drops_and_counts_then_recovers)
{
	struct net_switch *sw = new_switch();
	struct fake_port *a = new_port(sw, "a", 1), *b = new_port(sw, "b", 2);
	uint8_t fr[1514], out[1514];
	unsigned int queued = 0, dropped = 0;

	for (unsigned int i = 0; i < 200; i++) {
		make_frame(fr, b->port.mac, a->port.mac, sizeof(fr), (uint8_t)i);
		if (net_switch_send_buf(sw, &a->port, NULL, fr, sizeof(fr)))
			queued++;
		else
			dropped++;
	}
	/* 96 KiB of 1514-byte frames (+ record headers): 63 fit. */
	cr_assert_eq(queued, NET_PORT_BACKLOG_BYTES / 1544);
	cr_assert_eq(dropped, 200 - queued);
	cr_assert_eq(b->port.stats.rx_dropped_full, dropped);
	cr_assert_eq(b->kicks, 1, "kicked once, when the backlog stopped being empty");
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("[b] net-switch: receive backlog full"));

	/* The consumer sees the first `queued` frames in order. */
	for (unsigned int i = 0; i < queued; i++) {
		make_frame(fr, b->port.mac, a->port.mac, sizeof(fr), (uint8_t)i);
		cr_assert_eq(pop_frame(&b->port, out, sizeof(out), NULL), sizeof(fr));
		cr_assert_arr_eq(out, fr, sizeof(fr));
	}
	cr_assert_eq(pop_frame(&b->port, out, sizeof(out), NULL), 0);
	cr_assert_eq(net_switch_send_buf(sw, &a->port, NULL, fr, sizeof(fr)), 1);
	cr_assert_eq(b->kicks, 2);
}

Test(net_switch, frame_count_is_bounded_too)
{
	struct net_switch *sw = new_switch();
	struct fake_port *a = new_port(sw, "a", 1), *b = new_port(sw, "b", 2);
	uint8_t fr[60];

	make_frame(fr, b->port.mac, a->port.mac, 60, 0);
	for (unsigned int i = 0; i < NET_PORT_BACKLOG_FRAMES + 10; i++)
		net_switch_send_buf(sw, &a->port, NULL, fr, 60);
	cr_assert_eq(backlog_frames(&b->port), NET_PORT_BACKLOG_FRAMES);
	cr_assert_eq(b->port.stats.rx_dropped_full, 10);
}

Test(net_switch, ring_wraps_without_corrupting_frames)
{
	struct net_switch *sw = new_switch();
	struct fake_port *a = new_port(sw, "a", 1), *b = new_port(sw, "b", 2);
	static uint8_t fr[9000], out[9000];
	unsigned int sent = 0, got = 0;

	/* Odd sizes walk the ring through every alignment; keep 0-3 frames in flight. */
	for (unsigned int i = 0; i < 500; i++) {
		uint32_t len = 14 + (i * 2654435761u) % (sizeof(fr) - 14);
		make_frame(fr, b->port.mac, a->port.mac, len, (uint8_t)i);
		cr_assert_eq(net_switch_send_buf(sw, &a->port, NULL, fr, len), 1);
		sent++;
		if (i % 4 == 3) {
			while (backlog_frames(&b->port)) {
				uint32_t n = pop_frame(&b->port, out, sizeof(out), NULL);
				uint32_t want = 14 + (got * 2654435761u) % (sizeof(fr) - 14);
				cr_assert_eq(n, want);
				make_frame(fr, b->port.mac, a->port.mac, want, (uint8_t)got);
				cr_assert_arr_eq(out, fr, n);
				got++;
			}
		}
	}
	cr_assert_eq(got, sent);
}

Test(net_switch, gather_list_and_offload_header_travel_together)
{
	struct net_switch *sw = new_switch();
	struct fake_port *a = new_port(sw, "a", 1), *b = new_port(sw, "b", 2);
	uint8_t fr[3000], out[3000];
	struct net_offload got;

	make_frame(fr, b->port.mac, a->port.mac, sizeof(fr), 9);
	/* The Ethernet header itself split over three fragments. */
	struct net_frag frags[4] = { { fr, 3 }, { fr + 3, 8 }, { fr + 11, 1000 }, { fr + 1011, 1989 } };
	struct net_frame f = { .frags = frags,
			       .nr_frags = 4,
			       .off = { .flags = NET_OFF_F_NEEDS_CSUM,
					.gso_type = NET_GSO_TCPV4,
					.hdr_len = 54,
					.gso_size = 1448,
					.csum_start = 34,
					.csum_offset = 16 } };
	cr_assert_eq(net_switch_send(sw, &a->port, &f), 1);
	cr_assert_eq(pop_frame(&b->port, out, sizeof(out), &got), sizeof(fr));
	cr_assert_arr_eq(out, fr, sizeof(fr));
	cr_assert_eq(got.flags, NET_OFF_F_NEEDS_CSUM);
	cr_assert_eq(got.gso_type, NET_GSO_TCPV4);
	cr_assert_eq(got.gso_size, 1448);
	cr_assert_eq(got.csum_start, 34);
	cr_assert_eq(got.csum_offset, 16);
	cr_assert_eq(got.hdr_len, 54);
}

Test(net_switch, inconsistent_offload_headers_are_refused)
{
	struct net_offload ok = { .flags = NET_OFF_F_NEEDS_CSUM, .csum_start = 34, .csum_offset = 6 };
	cr_assert(net_offload_valid(&ok, 42));
	cr_assert_not(net_offload_valid(&ok, 41), "checksum field past the end");
	struct net_offload wrap = { .flags = NET_OFF_F_NEEDS_CSUM,
				    .csum_start = 0xffff,
				    .csum_offset = 0xffff };
	cr_assert_not(net_offload_valid(&wrap, 1000));
	struct net_offload gso_no_csum = { .gso_type = NET_GSO_TCPV6, .gso_size = 1400 };
	cr_assert_not(net_offload_valid(&gso_no_csum, 5000));
	struct net_offload gso_no_size = { .flags = NET_OFF_F_NEEDS_CSUM,
					   .gso_type = NET_GSO_TCPV4,
					   .csum_start = 34,
					   .csum_offset = 16 };
	cr_assert_not(net_offload_valid(&gso_no_size, 5000));
	struct net_offload udp = { .flags = NET_OFF_F_NEEDS_CSUM,
				   .gso_type = 3,
				   .gso_size = 1000,
				   .csum_start = 34,
				   .csum_offset = 6 };
	cr_assert_not(net_offload_valid(&udp, 5000));
	struct net_offload ecn = { .flags = NET_OFF_F_NEEDS_CSUM,
				   .gso_type = NET_GSO_TCPV4 | NET_GSO_ECN,
				   .gso_size = 1000,
				   .csum_start = 34,
				   .csum_offset = 16 };
	cr_assert(net_offload_valid(&ecn, 5000));

	struct net_switch *sw = new_switch();
	struct fake_port *a = new_port(sw, "a", 1), *b = new_port(sw, "b", 2);
	uint8_t fr[60];
	make_frame(fr, b->port.mac, a->port.mac, 60, 0);
	cr_assert_eq(net_switch_send_buf(sw, &a->port, &wrap, fr, 60), 0);
	cr_assert_eq(sw->stats.bad_offload, 1);
	cr_assert_eq(backlog_frames(&b->port), 0);
	cr_assert(host_log_contains("inconsistent checksum/GSO header"));
}

/* Reference: RFC 1071 over a flat buffer. */
static uint16_t ref_csum(const uint8_t *p, uint32_t len)
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

Test(net_switch, checksum_completion_matches_rfc1071_even_across_the_ring_end)
{
	struct net_switch *sw = new_switch();
	struct fake_port *a = new_port(sw, "a", 1), *b = new_port(sw, "b", 2);
	uint8_t fr[1201], out[1201];

	/* Park the ring head near its end so the frame wraps. */
	static uint8_t filler[50000];
	const uint32_t fill2 = NET_PORT_BACKLOG_BYTES - 600 - 50024 - 24; /* records: 24-byte header */
	make_frame(filler, b->port.mac, a->port.mac, sizeof(filler), 0);
	cr_assert_eq(net_switch_send_buf(sw, &a->port, NULL, filler, sizeof(filler)), 1);
	net_port_pop(&b->port);
	cr_assert_eq(net_switch_send_buf(sw, &a->port, NULL, filler, fill2), 1);
	net_port_pop(&b->port);
	cr_assert_eq(b->port.head, NET_PORT_BACKLOG_BYTES - 600);

	for (uint32_t start = 34; start < 37; start++) {
		make_frame(fr, b->port.mac, a->port.mac, sizeof(fr), (uint8_t)start);
		/* Pseudo-header sum pre-seeded in the field, as senders do. */
		fr[start + 16] = 0x12;
		fr[start + 17] = 0x34;
		struct net_offload off = { .flags = NET_OFF_F_NEEDS_CSUM,
					   .csum_start = (uint16_t)start,
					   .csum_offset = 16 };
		cr_assert_eq(net_switch_send_buf(sw, &a->port, &off, fr, sizeof(fr)), 1);

		struct net_rx_frame f;
		cr_assert(net_port_peek(&b->port, &f));
		cr_assert(net_port_complete_csum(&b->port, &f));
		cr_assert_eq(f.off.flags & NET_OFF_F_NEEDS_CSUM, 0);
		cr_assert_eq(net_port_read(&b->port, &f, 0, out, f.len), sizeof(fr));

		uint16_t expect = (uint16_t)~ref_csum(fr + start, sizeof(fr) - start);
		cr_assert_eq(out[start + 16] << 8 | out[start + 17], expect);
		/* A receiver's check: range sum plus pseudo-header sum is all ones. */
		uint32_t check = ref_csum(out + start, sizeof(fr) - start) + 0x1234u;
		check = (check & 0xffff) + (check >> 16);
		cr_assert_eq(check, 0xffff);
		/* Re-peeking sees the completed state, so nothing is summed twice. */
		struct net_rx_frame again;
		cr_assert(net_port_peek(&b->port, &again));
		cr_assert_not(net_port_complete_csum(&b->port, &again));
		net_port_pop(&b->port);
	}
}

Test(net_switch, registration_rules)
{
	struct net_switch *sw = new_switch();
	struct fake_port *a = new_port(sw, "a", 1);
	struct net_port dup = { .name = "dup" }, group = { .name = "grp" };

	memcpy(dup.mac, a->port.mac, 6);
	cr_assert_not(net_switch_add_port(sw, &dup));
	group.mac[0] = 0x01;
	cr_assert_not(net_switch_add_port(sw, &group));
	cr_assert_eq(host_log_count(), 2);

	struct fake_port *ports[NET_SWITCH_MAX_PORTS];
	for (unsigned int i = 1; i < NET_SWITCH_MAX_PORTS; i++)
		ports[i] = new_port(sw, "p", (uint8_t)(10 + i));
	struct net_port extra = { .name = "extra", .mac = { 2, 0, 0, 0, 0, 1 } };
	cr_assert_not(net_switch_add_port(sw, &extra));
	(void)ports;
}

Test(net_switch, removed_port_is_forgotten)
{
	struct net_switch *sw = new_switch();
	struct fake_port *a = new_port(sw, "a", 1), *b = new_port(sw, "b", 2),
			 *c = new_port(sw, "c", 3);
	const uint8_t x[6] = { 0x02, 1, 2, 3, 4, 5 };
	uint8_t fr[60];

	make_frame(fr, a->port.mac, x, 60, 0);
	net_switch_send_buf(sw, &c->port, NULL, fr, 60);
	net_switch_remove_port(sw, &c->port);
	cr_assert_null(c->port.sw);

	/* Neither c's MAC nor X is known any more: flooded to a and b only. */
	make_frame(fr, x, a->port.mac, 60, 0);
	cr_assert_eq(net_switch_send_buf(sw, &a->port, NULL, fr, 60), 1);
	cr_assert_eq(sw->stats.flooded, 1);
	cr_assert_eq(backlog_frames(&b->port), 1);
	/* A removed port cannot send. */
	cr_assert_eq(net_switch_send_buf(sw, &c->port, NULL, fr, 60), 0);
	/* Its slot and MAC can be reused. */
	cr_assert(net_switch_add_port(sw, &c->port));
}

Test(net_switch, table_is_bounded_and_evicts)
{
	struct net_switch *sw = new_switch();
	struct fake_port *a = new_port(sw, "a", 1), *b = new_port(sw, "b", 2);
	uint8_t fr[60];

	for (unsigned int i = 0; i < 1000; i++) {
		const uint8_t src[6] = { 0x02, 0, 0, (uint8_t)(i >> 8), (uint8_t)i, 7 };
		make_frame(fr, b->port.mac, src, 60, 0);
		net_switch_send_buf(sw, &a->port, NULL, fr, 60);
		net_port_flush(&b->port);
	}
	cr_assert_eq(sw->stats.learned, 1000);
	cr_assert_geq(sw->stats.evicted, 1000 - NET_SWITCH_MAC_BUCKETS * NET_SWITCH_MAC_WAYS);
	unsigned int valid = 0;
	for (unsigned int i = 0; i < NET_SWITCH_MAC_BUCKETS; i++)
		for (unsigned int w = 0; w < NET_SWITCH_MAC_WAYS; w++)
			valid += sw->table[i][w].valid;
	cr_assert_leq(valid, NET_SWITCH_MAC_BUCKETS * NET_SWITCH_MAC_WAYS);
	cr_assert_eq(valid, 1000 - sw->stats.evicted);

	/* The most recent address is still known: unicast, not flooded. */
	const uint8_t last[6] = { 0x02, 0, 0, 999 >> 8, 999 & 0xff, 7 };
	make_frame(fr, last, b->port.mac, 60, 0);
	uint64_t flooded = sw->stats.flooded;
	cr_assert_eq(net_switch_send_buf(sw, &b->port, NULL, fr, 60), 1);
	cr_assert_eq(sw->stats.flooded, flooded);
}

static uint64_t fake_ns;
static uint64_t fake_now(void *ctx)
{
	(void)ctx;
	return fake_ns;
}

Test(net_switch, learned_entries_age_out)
{
	struct net_switch *sw = test_alloc(sizeof(*sw));
	fake_ns = 1000;
	net_switch_init(sw, NULL, fake_now, NULL);
	struct fake_port *a = new_port(sw, "a", 1), *b = new_port(sw, "b", 2),
			 *c = new_port(sw, "c", 3);
	const uint8_t x[6] = { 0x02, 9, 9, 9, 9, 9 };
	uint8_t fr[60];

	make_frame(fr, a->port.mac, x, 60, 0);
	net_switch_send_buf(sw, &c->port, NULL, fr, 60);
	make_frame(fr, x, a->port.mac, 60, 0);
	fake_ns += NET_SWITCH_AGING_NS;
	cr_assert_eq(net_switch_send_buf(sw, &a->port, NULL, fr, 60), 1, "still fresh");
	fake_ns += 1;
	cr_assert_eq(net_switch_send_buf(sw, &a->port, NULL, fr, 60), 2, "aged: flooded");
	cr_assert_eq(sw->stats.aged, 1);
	(void)b;
}

/* Two threads send into one port at once; the second also drains it, so
 * producers and the consumer race too. Only two threads: a ticket lock
 * whose next holder is preempted stalls everyone, which the hypervisor
 * (interrupts off while locked) never sees but an oversubscribed host does. */
struct race {
	struct net_switch *sw;
	struct fake_port *from, *to;
	bool drain;
	unsigned int received, bad;
};

static void drain_one(struct race *r)
{
	uint8_t out[700], want[700];
	struct net_rx_frame f;

	if (!net_port_peek(&r->to->port, &f))
		return;
	cr_assert_leq(f.len, sizeof(out));
	net_port_read(&r->to->port, &f, 0, out, f.len);
	/* The payload must match the pattern its first byte implies. */
	make_frame(want, out, out + 6, f.len, (uint8_t)(out[14] - 14 * 7));
	if (memcmp(out, want, f.len))
		r->bad++;
	r->received++;
	net_port_pop(&r->to->port);
}

static void *race_thread(void *arg)
{
	struct race *r = arg;
	uint8_t fr[700];
	for (unsigned int i = 0; i < 20000; i++) {
		uint32_t len = 60 + i % 600;
		make_frame(fr, r->to->port.mac, r->from->port.mac, len, (uint8_t)i);
		net_switch_send_buf(r->sw, &r->from->port, NULL, fr, len);
		if (r->drain)
			drain_one(r);
	}
	return NULL;
}

Test(net_switch, concurrent_senders_and_consumer_keep_backlog_consistent)
{
	struct net_switch *sw = new_switch();
	struct fake_port *a = new_port(sw, "a", 1), *b = new_port(sw, "b", 2),
			 *c = new_port(sw, "c", 3);
	struct race ra = { .sw = sw, .from = a, .to = c };
	struct race rb = { .sw = sw, .from = b, .to = c, .drain = true };
	pthread_t t1, t2;

	pthread_create(&t1, NULL, race_thread, &ra);
	pthread_create(&t2, NULL, race_thread, &rb);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	while (c->port.frames)
		drain_one(&rb);

	cr_assert_eq(rb.bad, 0);
	cr_assert_eq(rb.received, c->port.stats.rx_frames);
	cr_assert_eq(c->port.stats.rx_frames + c->port.stats.rx_dropped_full, 40000);
	cr_assert_eq(sw->stats.frames, 40000);
}
