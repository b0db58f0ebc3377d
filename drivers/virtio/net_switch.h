/* SPDX-License-Identifier: BSD-2-Clause */
/* The hypervisor's layer-2 switch between partitions' network interfaces
 * (virtio-net devices, or fake ports in tests).
 *
 * A port registers with its MAC address and a kick callback. net_switch_send
 * forwards one Ethernet frame (IEEE 802.3 §3.1: destination, source,
 * type/length = 14 bytes) by its destination address:
 *  - the MAC of a registered port, or one learned behind a port: that port;
 *  - group (multicast/broadcast, bit 0 of the first byte) or unknown: every
 *    other port that is up (flooding);
 *  - never back to the port it came from.
 * Source addresses are learned into a bounded table (4-way hashed, least
 * recently used entry evicted, entries older than NET_SWITCH_AGING_NS
 * forgotten when a clock is given). A group source address is not learned,
 * nor a source equal to another port's registered MAC (a partition cannot
 * steal another's traffic).
 *
 * Delivery never runs the destination device: the frame and its offload
 * header are copied into the destination port's receive backlog, a bounded
 * byte ring embedded in struct net_port (own spinlock), and the port's kick
 * callback is called when the backlog goes from empty to non-empty, so the
 * destination's service task drains it (net_port_peek / net_port_span /
 * net_port_pop). A full backlog drops the frame and counts it.
 *
 * Locking: sw->lock guards the port list and the MAC table; each port's lock
 * guards its backlog. Order: switch lock, then a port lock; kicks are called
 * with no lock held. Two CPUs may send at once; a port's consumer side
 * (peek/span/pop/complete_csum) is used by one CPU at a time (the device's
 * serialized service task).
 *
 * Pure code: no allocation, no global state. */
#ifndef BULKHEAD_DRIVERS_VIRTIO_NET_SWITCH_H
#define BULKHEAD_DRIVERS_VIRTIO_NET_SWITCH_H

#include "core/spinlock.h"
#include "core/types.h"

/* Ethernet framing (IEEE 802.3 §3.1.1, 802.1Q tag 4 bytes). */
#define NET_ETH_ALEN 6
#define NET_ETH_HLEN 14
#define NET_VLAN_HLEN 4
/* Largest frame carried: a 64 KiB TSO/GSO super-frame plus its link header. */
#define NET_FRAME_MAX (KiB(64) + NET_ETH_HLEN + NET_VLAN_HLEN)

#define NET_SWITCH_MAX_PORTS 16
/* Learned-address table: buckets x ways entries. */
#define NET_SWITCH_MAC_BUCKETS 64
#define NET_SWITCH_MAC_WAYS 4
/* IEEE 802.1D §7.9.2 default ageing time: 300 s. */
#define NET_SWITCH_AGING_NS (300ULL * 1000000000ULL)

/* Per-port receive backlog: one maximal frame plus room for about twenty
 * MTU-sized ones; at most NET_PORT_BACKLOG_FRAMES frames. */
#define NET_PORT_BACKLOG_BYTES KiB(96)
#define NET_PORT_BACKLOG_FRAMES 256

/* Offload information that travels with a frame. Values are those of
 * struct virtio_net_hdr (virtio 1.2 §5.1.6), host byte order. */
#define NET_OFF_F_NEEDS_CSUM 0x01
#define NET_OFF_F_DATA_VALID 0x02
#define NET_GSO_NONE 0x00
#define NET_GSO_TCPV4 0x01
#define NET_GSO_TCPV6 0x04
#define NET_GSO_ECN 0x80

struct net_offload {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

/* A frame to send, as a gather list (e.g. guest buffers mapped by gmem). */
struct net_frag {
	const void *data;
	uint32_t len;
};

struct net_frame {
	struct net_offload off;
	const struct net_frag *frags;
	unsigned int nr_frags;
};

/* The oldest frame of a backlog, as net_port_peek describes it. */
struct net_rx_frame {
	struct net_offload off;
	uint32_t len; /* frame bytes (Ethernet header onwards) */
	uint32_t pos; /* ring offset of the first frame byte */
};

struct net_switch;

struct net_port_stats {
	uint64_t tx_frames, tx_bytes; /* sent into the switch */
	uint64_t rx_frames, rx_bytes; /* queued into the backlog */
	uint64_t rx_dropped_full;     /* backlog full */
	uint64_t rx_dropped_down;     /* port down */
	uint64_t kicks;
};

struct net_port {
	/* Filled by the owner before net_switch_add_port. */
	const char *name;          /* for log lines (partition name) */
	uint8_t mac[NET_ETH_ALEN]; /* unicast, unique on the switch */
	void (*kick)(void *ctx);   /* backlog became non-empty */
	void *kick_ctx;

	/* Switch-owned. */
	struct net_switch *sw;
	unsigned int index;
	volatile uint32_t users; /* senders delivering right now */
	uint32_t warned;         /* warnings already logged */
	spinlock_t lock;         /* guards everything below */
	bool up;
	uint32_t head, used, frames; /* ring read offset, bytes, frames */
	struct net_port_stats stats;
	uint8_t ring[NET_PORT_BACKLOG_BYTES];
};

struct net_mac_entry {
	uint8_t mac[NET_ETH_ALEN];
	uint8_t port; /* index into sw->port */
	bool valid;
	uint64_t stamp; /* last seen: ns with a clock, else a send counter */
};

struct net_switch_stats {
	uint64_t frames;      /* frames offered */
	uint64_t unicast;     /* forwarded to one port */
	uint64_t flooded;     /* sent to every other port */
	uint64_t filtered;    /* destination behind the ingress port */
	uint64_t runts;       /* shorter than an Ethernet header */
	uint64_t too_big;     /* longer than NET_FRAME_MAX */
	uint64_t bad_offload; /* inconsistent offload header */
	uint64_t learned, moved, evicted, aged;
	uint64_t not_learned; /* group or another port's source address */
};

struct net_switch {
	spinlock_t lock;
	const char *name;
	uint64_t (*now_ns)(void *ctx); /* may be NULL: no ageing, LRU only */
	void *clock_ctx;
	uint64_t seq;
	struct net_port *port[NET_SWITCH_MAX_PORTS];
	struct net_mac_entry table[NET_SWITCH_MAC_BUCKETS][NET_SWITCH_MAC_WAYS];
	struct net_switch_stats stats;
};

/* name is used in log lines ("net-switch" if NULL). now_ns (monotonic host
 * time) enables ageing; NULL keeps entries until evicted. */
void net_switch_init(struct net_switch *sw, const char *name, uint64_t (*now_ns)(void *ctx),
		     void *clock_ctx);

/* Registers p (name, mac, kick filled in). The port starts down. false
 * (one error line) if the switch is full, the MAC is a group address or
 * already registered. */
bool net_switch_add_port(struct net_switch *sw, struct net_port *p);

/* Unregisters p and forgets what was learned behind it; returns once no
 * other CPU is still delivering into it. Not from inside a kick. */
void net_switch_remove_port(struct net_switch *sw, struct net_port *p);

/* Link state: a down port receives nothing (frames to it are dropped and
 * counted) and going down empties its backlog. */
void net_port_set_up(struct net_port *p, bool up);

/* Forwards a frame from port `from` (which must be registered). Returns the
 * number of ports it was queued to. Runts, oversized frames and bad offload
 * headers are dropped and counted (one warning per kind). */
unsigned int net_switch_send(struct net_switch *sw, struct net_port *from, const struct net_frame *f);
/* The same for one contiguous buffer. */
unsigned int net_switch_send_buf(struct net_switch *sw, struct net_port *from,
				 const struct net_offload *off, const void *data, uint32_t len);

/* Checks an offload header against a frame of len bytes: NEEDS_CSUM
 * location inside the frame, GSO only TCPv4/TCPv6 with NEEDS_CSUM and a
 * non-zero segment size. */
bool net_offload_valid(const struct net_offload *off, uint32_t len);

/* Consumer side (the port's owner, one CPU at a time). */
bool net_port_peek(struct net_port *p, struct net_rx_frame *f);
/* Pointer to the contiguous run of frame bytes starting at byte off;
 * returns its length (0 when off >= f->len). Valid until net_port_pop. */
uint32_t net_port_span(const struct net_port *p, const struct net_rx_frame *f, uint32_t off,
		       const uint8_t **ptr);
/* Copies up to len frame bytes from off; returns the number copied. */
uint32_t net_port_read(const struct net_port *p, const struct net_rx_frame *f, uint32_t off,
		       void *dst, uint32_t len);
/* Drops the oldest frame (the one peeked). */
void net_port_pop(struct net_port *p);
/* Empties the backlog. */
void net_port_flush(struct net_port *p);
/* Completes a NEEDS_CSUM frame in place: the RFC 1071 checksum of bytes
 * [csum_start, len) is stored at csum_start + csum_offset and NEEDS_CSUM
 * cleared. false if the frame has no valid checksum request. */
bool net_port_complete_csum(struct net_port *p, struct net_rx_frame *f);

/* RFC 1071 one's-complement sum of a buffer, continuing from `sum`
 * (not folded, not complemented); odd tells whether an odd number of bytes
 * came before, so runs can be chained. */
uint64_t net_csum_add(uint64_t sum, const uint8_t *p, uint32_t len, bool odd);
uint16_t net_csum_fold(uint64_t sum);

#endif
