/* SPDX-License-Identifier: BSD-2-Clause */
/* Layer-2 learning switch between partitions (see net_switch.h). */
#include "drivers/virtio/net_switch.h"
#include "core/lib/string.h"
#include "core/log.h"

/* Ethernet header fields (IEEE 802.3 §3.1.1). */
#define ETH_DST_OFF 0
#define ETH_SRC_OFF NET_ETH_ALEN
/* I/G bit: first bit on the wire = bit 0 of the first byte (802.3 §3.2.3). */
#define ETH_GROUP_BIT 0x01

/* Backlog record: header, then the frame, padded to 8 bytes. */
struct backlog_rec {
	uint32_t len;
	uint32_t reserved;
	struct net_offload off;
};

#define REC_ALIGN 8
#define REC_HDR_BYTES ALIGN_UP((uint32_t)sizeof(struct backlog_rec), REC_ALIGN)
#define REC_BYTES(len) ALIGN_UP(REC_HDR_BYTES + (uint32_t)(len), REC_ALIGN)

STATIC_ASSERT(NET_PORT_BACKLOG_BYTES % REC_ALIGN == 0, "backlog size must be 8-byte granular");
STATIC_ASSERT(NET_PORT_BACKLOG_BYTES >= REC_BYTES(NET_FRAME_MAX),
	      "a backlog must hold the largest frame");
STATIC_ASSERT(NET_SWITCH_MAX_PORTS <= 255, "port index is a byte");
STATIC_ASSERT((NET_SWITCH_MAC_BUCKETS & (NET_SWITCH_MAC_BUCKETS - 1)) == 0,
	      "bucket count is a power of two");

/* Warning kinds, each logged once per port. */
enum {
	WARN_RUNT = BIT(0),
	WARN_TOO_BIG = BIT(1),
	WARN_OFFLOAD = BIT(2),
	WARN_SPOOF = BIT(3),
	WARN_FULL = BIT(4),
};

static const char *port_name(const struct net_port *p)
{
	return p->name ? p->name : "?";
}

/* True the first time a port earns a warning of this kind. */
static bool first_warning(struct net_port *p, uint32_t kind)
{
	return !(__atomic_fetch_or(&p->warned, kind, __ATOMIC_RELAXED) & kind);
}

static bool mac_is_group(const uint8_t *mac)
{
	return mac[0] & ETH_GROUP_BIT;
}

static bool mac_eq(const uint8_t *a, const uint8_t *b)
{
	return bh_memcmp(a, b, NET_ETH_ALEN) == 0;
}

/* FNV-1a over the six bytes, folded to a bucket index. */
static unsigned int mac_bucket(const uint8_t *mac)
{
	uint32_t h = 2166136261u;
	for (unsigned int i = 0; i < NET_ETH_ALEN; i++) {
		h ^= mac[i];
		h *= 16777619u;
	}
	h ^= h >> 16;
	return h & (NET_SWITCH_MAC_BUCKETS - 1);
}

void net_switch_init(struct net_switch *sw, const char *name, uint64_t (*now_ns)(void *ctx),
		     void *clock_ctx)
{
	bh_memset(sw, 0, sizeof(*sw));
	sw->lock = (spinlock_t)SPINLOCK_INIT;
	sw->name = name ? name : "net-switch";
	sw->now_ns = now_ns;
	sw->clock_ctx = clock_ctx;
}

/* ---- backlog ring ------------------------------------------------------ */

static uint32_t ring_add(uint32_t pos, uint32_t n)
{
	pos += n;
	return pos >= NET_PORT_BACKLOG_BYTES ? pos - NET_PORT_BACKLOG_BYTES : pos;
}

static void ring_put(struct net_port *p, uint32_t pos, const void *src, uint32_t len)
{
	uint32_t first = MIN(len, NET_PORT_BACKLOG_BYTES - pos);
	bh_memcpy(p->ring + pos, src, first);
	if (first < len)
		bh_memcpy(p->ring, (const uint8_t *)src + first, len - first);
}

static void ring_get(const struct net_port *p, uint32_t pos, void *dst, uint32_t len)
{
	uint32_t first = MIN(len, NET_PORT_BACKLOG_BYTES - pos);
	bh_memcpy(dst, p->ring + pos, first);
	if (first < len)
		bh_memcpy((uint8_t *)dst + first, p->ring, len - first);
}

static void backlog_clear(struct net_port *p)
{
	p->head = 0;
	p->used = 0;
	p->frames = 0;
}

/* Appends the frame under the port lock. eth holds the first NET_ETH_HLEN
 * bytes as the switch read them (the sender may be changing its buffers:
 * what was forwarded on is what is delivered). Returns true if queued;
 * *was_empty tells whether the owner must be kicked. */
static bool backlog_append(struct net_port *p, const struct net_frame *f, uint32_t len,
			   const uint8_t *eth, bool *was_empty)
{
	uint32_t need = REC_BYTES(len);
	bool ok = false;

	*was_empty = false;
	spin_lock(&p->lock);
	if (!p->up) {
		p->stats.rx_dropped_down++;
		goto out;
	}
	if (p->frames >= NET_PORT_BACKLOG_FRAMES || need > NET_PORT_BACKLOG_BYTES - p->used) {
		p->stats.rx_dropped_full++;
		goto out;
	}

	uint32_t pos = ring_add(p->head, p->used);
	struct backlog_rec rec = { .len = len, .off = f->off };
	ring_put(p, pos, &rec, sizeof(rec));
	pos = ring_add(pos, REC_HDR_BYTES);
	ring_put(p, pos, eth, NET_ETH_HLEN);
	pos = ring_add(pos, NET_ETH_HLEN);

	uint32_t skip = NET_ETH_HLEN;
	for (unsigned int i = 0; i < f->nr_frags; i++) {
		uint32_t n = f->frags[i].len;
		const uint8_t *d = f->frags[i].data;
		if (skip >= n) {
			skip -= n;
			continue;
		}
		ring_put(p, pos, d + skip, n - skip);
		pos = ring_add(pos, n - skip);
		skip = 0;
	}

	*was_empty = p->frames == 0;
	p->used += need;
	p->frames++;
	p->stats.rx_frames++;
	p->stats.rx_bytes += len;
	ok = true;
out:
	spin_unlock(&p->lock);
	return ok;
}

bool net_port_peek(struct net_port *p, struct net_rx_frame *f)
{
	struct backlog_rec rec;
	bool have;

	spin_lock(&p->lock);
	have = p->frames != 0;
	if (have) {
		ring_get(p, p->head, &rec, sizeof(rec));
		f->off = rec.off;
		f->len = rec.len;
		f->pos = ring_add(p->head, REC_HDR_BYTES);
	}
	spin_unlock(&p->lock);
	return have;
}

uint32_t net_port_span(const struct net_port *p, const struct net_rx_frame *f, uint32_t off,
		       const uint8_t **ptr)
{
	if (off >= f->len)
		return 0;
	uint32_t pos = ring_add(f->pos, off);
	*ptr = p->ring + pos;
	return MIN(f->len - off, NET_PORT_BACKLOG_BYTES - pos);
}

uint32_t net_port_read(const struct net_port *p, const struct net_rx_frame *f, uint32_t off,
		       void *dst, uint32_t len)
{
	uint32_t done = 0;
	while (done < len) {
		const uint8_t *src;
		uint32_t n = net_port_span(p, f, off + done, &src);
		if (n == 0)
			break;
		n = MIN(n, len - done);
		bh_memcpy((uint8_t *)dst + done, src, n);
		done += n;
	}
	return done;
}

void net_port_pop(struct net_port *p)
{
	struct backlog_rec rec;

	spin_lock(&p->lock);
	if (p->frames) {
		ring_get(p, p->head, &rec, sizeof(rec));
		uint32_t n = REC_BYTES(rec.len);
		p->head = ring_add(p->head, n);
		p->used -= n;
		p->frames--;
	}
	spin_unlock(&p->lock);
}

void net_port_flush(struct net_port *p)
{
	spin_lock(&p->lock);
	backlog_clear(p);
	spin_unlock(&p->lock);
}

void net_port_set_up(struct net_port *p, bool up)
{
	spin_lock(&p->lock);
	p->up = up;
	if (!up)
		backlog_clear(p);
	spin_unlock(&p->lock);
}

/* ---- checksums (RFC 1071) --------------------------------------------- */

uint64_t net_csum_add(uint64_t sum, const uint8_t *p, uint32_t len, bool odd)
{
	uint32_t i = 0;

	/* Bytes at even positions of the whole run are the high halves of
	 * the 16-bit big-endian words being summed. */
	if (odd && len) {
		sum += p[0];
		i = 1;
	}
	for (; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

uint16_t net_csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)sum;
}

static void rec_store_offload(struct net_port *p, const struct net_rx_frame *f)
{
	struct backlog_rec rec;
	uint32_t hdr_pos = f->pos >= REC_HDR_BYTES ? f->pos - REC_HDR_BYTES
						   : f->pos + NET_PORT_BACKLOG_BYTES - REC_HDR_BYTES;
	ring_get(p, hdr_pos, &rec, sizeof(rec));
	rec.off = f->off;
	ring_put(p, hdr_pos, &rec, sizeof(rec));
}

bool net_port_complete_csum(struct net_port *p, struct net_rx_frame *f)
{
	uint32_t start = f->off.csum_start;
	uint32_t field = start + f->off.csum_offset;
	uint8_t out[2];

	if (!(f->off.flags & NET_OFF_F_NEEDS_CSUM))
		return false;
	if (start >= f->len || field > f->len - sizeof(out))
		return false;

	/* The field holds the pseudo-header sum the sender put there; the
	 * one's-complement sum runs over it (RFC 1071 §1, RFC 793 §3.1). */
	uint64_t sum = 0;
	uint32_t off = start;
	while (off < f->len) {
		const uint8_t *src;
		uint32_t n = net_port_span(p, f, off, &src);
		sum = net_csum_add(sum, src, n, (off - start) & 1);
		off += n;
	}
	uint16_t csum = (uint16_t)~net_csum_fold(sum);
	out[0] = csum >> 8;
	out[1] = csum & 0xFF;
	ring_put(p, ring_add(f->pos, field), out, sizeof(out));

	f->off.flags &= (uint8_t)~NET_OFF_F_NEEDS_CSUM;
	f->off.csum_start = 0;
	f->off.csum_offset = 0;
	rec_store_offload(p, f);
	return true;
}

/* ---- ports ------------------------------------------------------------- */

static void table_forget_port(struct net_switch *sw, unsigned int index)
{
	for (unsigned int b = 0; b < NET_SWITCH_MAC_BUCKETS; b++)
		for (unsigned int w = 0; w < NET_SWITCH_MAC_WAYS; w++)
			if (sw->table[b][w].valid && sw->table[b][w].port == index)
				sw->table[b][w].valid = false;
}

static bool mac_registered(const struct net_switch *sw, const uint8_t *mac)
{
	for (unsigned int i = 0; i < NET_SWITCH_MAX_PORTS; i++)
		if (sw->port[i] && mac_eq(sw->port[i]->mac, mac))
			return true;
	return false;
}

bool net_switch_add_port(struct net_switch *sw, struct net_port *p)
{
	if (mac_is_group(p->mac)) {
		pr_err("[%s] %s: MAC %02x:%02x:%02x:%02x:%02x:%02x is a group address", port_name(p),
		       sw->name, p->mac[0], p->mac[1], p->mac[2], p->mac[3], p->mac[4], p->mac[5]);
		return false;
	}

	spin_lock(&sw->lock);
	if (mac_registered(sw, p->mac)) {
		spin_unlock(&sw->lock);
		pr_err("[%s] %s: MAC %02x:%02x:%02x:%02x:%02x:%02x is already in use", port_name(p),
		       sw->name, p->mac[0], p->mac[1], p->mac[2], p->mac[3], p->mac[4], p->mac[5]);
		return false;
	}
	unsigned int i;
	for (i = 0; i < NET_SWITCH_MAX_PORTS; i++)
		if (!sw->port[i])
			break;
	if (i == NET_SWITCH_MAX_PORTS) {
		spin_unlock(&sw->lock);
		pr_err("[%s] %s: all %u ports in use", port_name(p), sw->name, NET_SWITCH_MAX_PORTS);
		return false;
	}
	p->lock = (spinlock_t)SPINLOCK_INIT;
	p->sw = sw;
	p->index = i;
	p->users = 0;
	p->warned = 0;
	p->up = false;
	backlog_clear(p);
	bh_memset(&p->stats, 0, sizeof(p->stats));
	/* Whatever was learned behind this MAC elsewhere is now wrong. */
	table_forget_port(sw, i);
	for (unsigned int b = 0; b < NET_SWITCH_MAC_BUCKETS; b++)
		for (unsigned int w = 0; w < NET_SWITCH_MAC_WAYS; w++)
			if (sw->table[b][w].valid && mac_eq(sw->table[b][w].mac, p->mac))
				sw->table[b][w].valid = false;
	sw->port[i] = p;
	spin_unlock(&sw->lock);
	return true;
}

void net_switch_remove_port(struct net_switch *sw, struct net_port *p)
{
	spin_lock(&sw->lock);
	if (p->sw != sw || p->index >= NET_SWITCH_MAX_PORTS || sw->port[p->index] != p) {
		spin_unlock(&sw->lock);
		return;
	}
	sw->port[p->index] = NULL;
	table_forget_port(sw, p->index);
	spin_unlock(&sw->lock);

	/* Senders that picked the port before it was unlinked finish first. */
	while (__atomic_load_n(&p->users, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
	net_port_set_up(p, false);
	p->sw = NULL;
}

/* ---- forwarding -------------------------------------------------------- */

bool net_offload_valid(const struct net_offload *off, uint32_t len)
{
	uint8_t gso = off->gso_type & (uint8_t)~NET_GSO_ECN;

	if (off->flags & NET_OFF_F_NEEDS_CSUM) {
		uint32_t field = (uint32_t)off->csum_start + off->csum_offset;
		if (off->csum_start >= len || len < 2 || field > len - 2)
			return false;
	}
	if (off->gso_type == NET_GSO_NONE)
		return true;
	/* virtio 1.2 §5.1.6.2.1: GSO frames ask for a checksum and carry the
	 * segment size. UDP fragmentation offload is not offered. */
	if (gso != NET_GSO_TCPV4 && gso != NET_GSO_TCPV6)
		return false;
	return (off->flags & NET_OFF_F_NEEDS_CSUM) && off->gso_size != 0;
}

static uint64_t switch_now(struct net_switch *sw)
{
	return sw->now_ns ? sw->now_ns(sw->clock_ctx) : ++sw->seq;
}

static bool entry_stale(const struct net_switch *sw, const struct net_mac_entry *e, uint64_t now)
{
	return sw->now_ns && now - e->stamp > NET_SWITCH_AGING_NS;
}

/* Under sw->lock. */
static void learn(struct net_switch *sw, struct net_port *from, const uint8_t *src, uint64_t now)
{
	if (mac_is_group(src)) {
		sw->stats.not_learned++;
		return;
	}
	for (unsigned int i = 0; i < NET_SWITCH_MAX_PORTS; i++) {
		struct net_port *p = sw->port[i];
		if (!p || !mac_eq(p->mac, src))
			continue;
		if (p != from) {
			sw->stats.not_learned++;
			if (first_warning(from, WARN_SPOOF))
				pr_warn("[%s] net-switch: sends with the source address of port %s; "
					"not learned (logged once)",
					port_name(from), port_name(p));
		}
		return;
	}

	struct net_mac_entry *set = sw->table[mac_bucket(src)];
	struct net_mac_entry *victim = &set[0];
	for (unsigned int w = 0; w < NET_SWITCH_MAC_WAYS; w++) {
		struct net_mac_entry *e = &set[w];
		if (e->valid && mac_eq(e->mac, src)) {
			if (e->port != from->index)
				sw->stats.moved++;
			e->port = (uint8_t)from->index;
			e->stamp = now;
			return;
		}
		/* Prefer a free way, else the least recently seen one. */
		if (victim->valid && (!e->valid || e->stamp < victim->stamp))
			victim = e;
	}
	if (victim->valid) {
		if (entry_stale(sw, victim, now))
			sw->stats.aged++;
		else
			sw->stats.evicted++;
	}
	bh_memcpy(victim->mac, src, NET_ETH_ALEN);
	victim->port = (uint8_t)from->index;
	victim->stamp = now;
	victim->valid = true;
	sw->stats.learned++;
}

/* Under sw->lock: the port a unicast address lives behind, or NULL. */
static struct net_port *lookup(struct net_switch *sw, const uint8_t *dst, uint64_t now)
{
	for (unsigned int i = 0; i < NET_SWITCH_MAX_PORTS; i++)
		if (sw->port[i] && mac_eq(sw->port[i]->mac, dst))
			return sw->port[i];

	struct net_mac_entry *set = sw->table[mac_bucket(dst)];
	for (unsigned int w = 0; w < NET_SWITCH_MAC_WAYS; w++) {
		struct net_mac_entry *e = &set[w];
		if (!e->valid || !mac_eq(e->mac, dst))
			continue;
		if (entry_stale(sw, e, now)) {
			e->valid = false;
			sw->stats.aged++;
			return NULL;
		}
		return sw->port[e->port];
	}
	return NULL;
}

static bool frame_length(const struct net_frame *f, uint32_t *len)
{
	uint64_t total = 0;

	*len = 0;
	for (unsigned int i = 0; i < f->nr_frags; i++) {
		total += f->frags[i].len;
		if (total > NET_FRAME_MAX)
			return false;
	}
	*len = (uint32_t)total;
	return true;
}

static void read_eth_header(const struct net_frame *f, uint8_t *eth)
{
	uint32_t done = 0;
	for (unsigned int i = 0; i < f->nr_frags && done < NET_ETH_HLEN; i++) {
		uint32_t n = MIN(f->frags[i].len, NET_ETH_HLEN - done);
		bh_memcpy(eth + done, f->frags[i].data, n);
		done += n;
	}
}

/* Validation and counting before the forwarding decision; false = drop. */
static bool frame_acceptable(struct net_switch *sw, struct net_port *from,
			     const struct net_frame *f, uint32_t *len)
{
	bool fits = frame_length(f, len);
	bool runt = fits && *len < NET_ETH_HLEN;
	bool bad_off = fits && !runt && !net_offload_valid(&f->off, *len);

	spin_lock(&sw->lock);
	sw->stats.frames++;
	sw->stats.too_big += !fits;
	sw->stats.runts += runt;
	sw->stats.bad_offload += bad_off;
	spin_unlock(&sw->lock);

	if (!fits && first_warning(from, WARN_TOO_BIG))
		pr_warn("[%s] net-switch: frame longer than %llu bytes dropped (counted; logged "
			"once)",
			port_name(from), (unsigned long long)NET_FRAME_MAX);
	if (runt && first_warning(from, WARN_RUNT))
		pr_warn("[%s] net-switch: runt frame of %u bytes dropped (counted; logged once)",
			port_name(from), *len);
	if (bad_off && first_warning(from, WARN_OFFLOAD))
		pr_warn("[%s] net-switch: frame of %u bytes with an inconsistent checksum/GSO "
			"header dropped (counted; logged once)",
			port_name(from), *len);
	return fits && !runt && !bad_off;
}

unsigned int net_switch_send(struct net_switch *sw, struct net_port *from, const struct net_frame *f)
{
	struct net_port *targets[NET_SWITCH_MAX_PORTS];
	unsigned int nr_targets = 0, delivered = 0;
	uint8_t eth[NET_ETH_HLEN];
	uint32_t len = 0;

	if (!sw || !from || from->sw != sw || !f || (f->nr_frags && !f->frags))
		return 0;
	if (!frame_acceptable(sw, from, f, &len))
		return 0;
	read_eth_header(f, eth);

	spin_lock(&sw->lock);
	if (sw->port[from->index] != from) {
		spin_unlock(&sw->lock);
		return 0;
	}
	uint64_t now = switch_now(sw);
	from->stats.tx_frames++;
	from->stats.tx_bytes += len;
	learn(sw, from, eth + ETH_SRC_OFF, now);

	const uint8_t *dst = eth + ETH_DST_OFF;
	struct net_port *to = mac_is_group(dst) ? NULL : lookup(sw, dst, now);
	if (to == from) {
		sw->stats.filtered++;
	} else if (to) {
		sw->stats.unicast++;
		targets[nr_targets++] = to;
	} else {
		sw->stats.flooded++;
		for (unsigned int i = 0; i < NET_SWITCH_MAX_PORTS; i++) {
			struct net_port *p = sw->port[i];
			if (p && p != from && __atomic_load_n(&p->up, __ATOMIC_RELAXED))
				targets[nr_targets++] = p;
		}
	}
	for (unsigned int i = 0; i < nr_targets; i++)
		__atomic_fetch_add(&targets[i]->users, 1, __ATOMIC_ACQUIRE);
	spin_unlock(&sw->lock);

	for (unsigned int i = 0; i < nr_targets; i++) {
		struct net_port *p = targets[i];
		bool was_empty;
		if (backlog_append(p, f, len, eth, &was_empty)) {
			delivered++;
			if (was_empty && p->kick) {
				__atomic_fetch_add(&p->stats.kicks, 1, __ATOMIC_RELAXED);
				p->kick(p->kick_ctx);
			}
		} else if (__atomic_load_n(&p->up, __ATOMIC_RELAXED) && first_warning(p, WARN_FULL)) {
			pr_warn("[%s] net-switch: receive backlog full; frames dropped and counted "
				"(logged once)",
				port_name(p));
		}
		__atomic_fetch_sub(&p->users, 1, __ATOMIC_RELEASE);
	}
	return delivered;
}

unsigned int net_switch_send_buf(struct net_switch *sw, struct net_port *from,
				 const struct net_offload *off, const void *data, uint32_t len)
{
	struct net_frag frag = { data, len };
	struct net_frame f = { .frags = &frag, .nr_frags = 1 };
	if (off)
		f.off = *off;
	return net_switch_send(sw, from, &f);
}
