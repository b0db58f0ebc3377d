/* SPDX-License-Identifier: BSD-2-Clause */
/* vnet: a small virtio-net driver (virtio 1.2 §5.1) for the guests of
 * tests/integration/isolation-net-*.test, atk-net.c (the attacker) and
 * net-bystander.c (its peer on the same switch). Include after
 * virtio-hostile.c, whose PCI discovery, common-configuration accessors
 * and §3.1.1 negotiation it uses; it adds the second queue (receiveq 0,
 * transmitq 1), the device configuration (the MAC) and the frames the two
 * guests exchange.
 *
 * The frames: Ethernet II (IEEE 802.3 §3.1.1) with EtherType 0x88B5 (IEEE
 * 802 local experimental) for the guests' own traffic, and 0x88B6 for
 * frames the hypervisor must drop (the bystander counts any that arrive).
 * The payload: le32 magic, u8 op, 3 reserved, le32 sequence number. */
#ifndef BULKHEAD_GUEST_VNET_H
#define BULKHEAD_GUEST_VNET_H

#define VNET_UNUSED __attribute__((unused))

#define VIRTIO_NET_PCI_ID 0x1041 /* 0x1040 + device type 1 (§4.1.2.1, §5.1) */
#define VIRTIO_PCI_CAP_DEVICE_CFG 4

/* Feature bits (§5.1.3). */
#define F_NET_CSUM 0
#define F_NET_GUEST_CSUM 1
#define F_NET_MAC 5
#define F_NET_GUEST_TSO4 7
#define F_NET_GUEST_TSO6 8
#define F_NET_GUEST_ECN 9
#define F_NET_HOST_TSO4 11
#define F_NET_MRG_RXBUF 15

/* struct virtio_net_hdr (§5.1.6), 12 bytes with VIRTIO_F_VERSION_1. */
#define VNET_HDR_LEN 12
#define VNET_HDR_F_NEEDS_CSUM 1
#define VNET_GSO_NONE 0
#define VNET_GSO_TCPV4 1
#define VNET_GSO_UDP 3

struct vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
} __attribute__((packed));

#define USED_F_NO_NOTIFY 1 /* §2.7.8 */
#define VNET_RXQ 0
#define VNET_TXQ 1
#define VNET_QMAX 256  /* the device's queue size (virtio_net.h) */
#define VNET_BUF 2048  /* one buffer: header and a 1514-byte frame */
#define VNET_RXBUFS 16 /* receive buffers posted */
#define VNET_TXBUFS 16 /* transmit buffers, reused in turn */

/* Ethernet (IEEE 802.3 §3.1.1). */
#define ETH_ALEN 6
#define ETH_HLEN 14
#define ETH_TYPE_OFF 12
#define ETH_MIN_FRAME 60 /* without the FCS */
#define ETH_MAX_FRAME 1514
#define ETHERTYPE_VNET 0x88B5 /* the guests' own frames */
#define ETHERTYPE_BAD 0x88B6  /* frames that must never arrive */

/* Payload after the Ethernet header. */
#define VNET_MAGIC 0x74656e76u /* "vnet" */
#define PAY_MAGIC 0
#define PAY_OP 4
#define PAY_SEQ 8
#define PAY_LEN 12
enum vnet_op {
	OP_REQUEST = 1, /* the peer answers with OP_REPLY, same sequence */
	OP_REPLY = 2,
	OP_DONE = 3,  /* the attacker is finished */
	OP_FLOOD = 4, /* counted, not answered */
	OP_GSO = 5,   /* a frame with a GSO header, counted */
	OP_SPOOF = 6, /* a frame with a forged source address, counted */
};

static const uint8_t eth_broadcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

struct vnet_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[VNET_QMAX];
	uint16_t used_event;
};

struct vnet_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[VNET_QMAX];
	uint16_t avail_event;
};

/* The two queues' rings (one page or more each, §2.7 alignment). */
static struct virtq_desc vnet_desc[2][VNET_QMAX] __attribute__((aligned(4096)));
static volatile struct vnet_avail vnet_avail[2] __attribute__((aligned(4096)));
static volatile struct vnet_used vnet_used[2] __attribute__((aligned(4096)));
static uint16_t vnet_qsize[2];
static uint16_t vnet_last_used[2]; /* used elements already looked at */
static volatile uint8_t vnet_rx_buf[VNET_RXBUFS][VNET_BUF] __attribute__((aligned(4096)));
static volatile uint8_t vnet_tx_buf[VNET_TXBUFS][VNET_BUF] __attribute__((aligned(4096)));

struct vnet {
	struct vdev dev;
	volatile uint8_t *device_cfg; /* §4.1.4.6: the MAC at offset 0 */
	uint8_t mac[ETH_ALEN];
	uint32_t seq;
};

static VNET_UNUSED uint16_t get_be16(const volatile uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static VNET_UNUSED void put_be16(volatile uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static VNET_UNUSED uint32_t get_le32(const volatile uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static VNET_UNUSED void put_le32(volatile uint8_t *p, uint32_t v)
{
	for (unsigned int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static VNET_UNUSED bool mac_equal(const volatile uint8_t *a, const uint8_t *b)
{
	for (unsigned int i = 0; i < ETH_ALEN; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* ---- discovery ------------------------------------------------------------ */

/* The device-specific configuration (§4.1.4.6), which virtio-hostile.c
 * does not look for. */
static volatile uint8_t *find_device_cfg(unsigned int slot)
{
	unsigned int cap = pci_read8(slot, PCI_CAP_PTR) & PCI_REG_MASK;
	uint32_t len;

	for (unsigned int n = 0; cap >= PCI_CAP_FIRST && n < PCI_MAX_CAPS; n++) {
		if (pci_read8(slot, cap) == PCI_CAP_ID_VENDOR &&
		    pci_read8(slot, cap + VIRTIO_CAP_CFG_TYPE) == VIRTIO_PCI_CAP_DEVICE_CFG) {
			volatile uint8_t *p = cap_target(slot, cap, &len);
			return p && len >= ETH_ALEN ? p : NULL;
		}
		cap = pci_read8(slot, cap + PCI_CAP_NEXT) & PCI_REG_MASK;
	}
	return NULL;
}

/* The partition's virtio-net and its MAC; false after a FAIL line. */
static VNET_UNUSED bool vnet_discover(struct vnet *n)
{
	if (!discover_device(&n->dev, "discover", VIRTIO_NET_PCI_ID, 0))
		return false;
	n->device_cfg = find_device_cfg(n->dev.slot);
	if (!n->device_cfg) {
		rt_fail("discover", "no device configuration capability");
		return false;
	}
	if (!(device_features(&n->dev) & FEATURE(F_NET_MAC))) {
		rt_fail("discover", "the device does not offer VIRTIO_NET_F_MAC");
		return false;
	}
	for (unsigned int i = 0; i < ETH_ALEN; i++)
		n->mac[i] = rd8(n->device_cfg, i);
	n->dev.tsc_per_ms = calibrate_tsc();
	rt_printf("MAC %02x:%02x:%02x:%02x:%02x:%02x\n", n->mac[0], n->mac[1], n->mac[2], n->mac[3],
		  n->mac[4], n->mac[5]);
	return true;
}

/* ---- queues --------------------------------------------------------------- */

static void vnet_rings_clear(void)
{
	memset(vnet_desc, 0, sizeof(vnet_desc));
	memset((void *)vnet_avail, 0, sizeof(vnet_avail));
	memset((void *)vnet_used, 0, sizeof(vnet_used));
	vnet_last_used[0] = vnet_last_used[1] = 0;
}

static void vnet_program_queue(const struct vdev *d, uint16_t q, uint16_t size)
{
	wr16(d->common, COMMON_Q_SELECT, q);
	wr16(d->common, COMMON_Q_SIZE, size);
	wr64(d->common, COMMON_Q_DESC, (uintptr_t)vnet_desc[q]);
	wr64(d->common, COMMON_Q_AVAIL, (uintptr_t)&vnet_avail[q]);
	wr64(d->common, COMMON_Q_USED, (uintptr_t)&vnet_used[q]);
	wr16(d->common, COMMON_Q_ENABLE, 1);
	vnet_qsize[q] = size;
}

/* Reset and the whole §3.1.1 sequence with both queues: NULL, or what
 * went wrong. VIRTIO_F_VERSION_1 and VIRTIO_NET_F_MAC are always asked. */
static VNET_UNUSED const char *vnet_start(const struct vnet *n, uint64_t features, uint16_t rx_size,
					  uint16_t tx_size)
{
	const struct vdev *d = &n->dev;
	const char *why;
	uint8_t st = negotiate(d, features | FEATURE(F_VERSION_1) | FEATURE(F_NET_MAC), &why);

	if (why)
		return why;
	if (st != (STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK))
		return "FEATURES_OK refused";
	vnet_rings_clear();
	vnet_program_queue(d, VNET_RXQ, rx_size);
	vnet_program_queue(d, VNET_TXQ, tx_size);
	set_status(d, STATUS_RUNNING);
	if (status(d) != STATUS_RUNNING)
		return "status is not ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK after start";
	return NULL;
}

/* Publishes head in queue q's next available slot (§2.7.13). */
static VNET_UNUSED void vnet_post(uint16_t q, uint16_t head)
{
	uint16_t idx = vnet_avail[q].idx;

	vnet_avail[q].ring[idx % vnet_qsize[q]] = head;
	barrier();
	vnet_avail[q].idx = idx + 1;
	barrier();
}

/* The next used element of queue q, if any. */
static VNET_UNUSED bool vnet_next_used(uint16_t q, struct virtq_used_elem *e)
{
	if (vnet_used[q].idx == vnet_last_used[q])
		return false;
	barrier();
	e->id = vnet_used[q].ring[vnet_last_used[q] % vnet_qsize[q]].id;
	e->len = vnet_used[q].ring[vnet_last_used[q] % vnet_qsize[q]].len;
	vnet_last_used[q]++;
	return true;
}

/* Notifies queue q unless the device said it does not need it (§2.7.10:
 * VIRTQ_USED_F_NO_NOTIFY; this device clears it whenever it waits for
 * buffers). Each notification is an exit, and the service pass it starts
 * is this partition's time. */
static VNET_UNUSED void vnet_notify_if_wanted(const struct vnet *n, uint16_t q)
{
	barrier();
	if (!(vnet_used[q].flags & USED_F_NO_NOTIFY))
		notify_queue(&n->dev, q);
}

/* Receive buffers 0..count-1, each VNET_BUF bytes the device writes. */
static VNET_UNUSED void vnet_rx_fill(const struct vnet *n, unsigned int count)
{
	for (uint16_t i = 0; i < count; i++) {
		set_desc(vnet_desc[VNET_RXQ], i, (uintptr_t)vnet_rx_buf[i], VNET_BUF, DESC_F_WRITE,
			 0);
		vnet_post(VNET_RXQ, i);
	}
	notify_queue(&n->dev, VNET_RXQ);
}

/* ---- frames ------------------------------------------------------------------ */

/* Writes an Ethernet frame of len bytes (at least ETH_HLEN + PAY_LEN) at f. */
static VNET_UNUSED void vnet_frame(volatile uint8_t *f, unsigned int len, const uint8_t *dst,
				   const uint8_t *src, uint16_t type, uint8_t op, uint32_t seq)
{
	for (unsigned int i = 0; i < ETH_ALEN; i++) {
		f[i] = dst[i];
		f[ETH_ALEN + i] = src[i];
	}
	put_be16(f + ETH_TYPE_OFF, type);
	for (unsigned int i = ETH_HLEN; i < len; i++)
		f[i] = (uint8_t)i;
	put_le32(f + ETH_HLEN + PAY_MAGIC, VNET_MAGIC);
	f[ETH_HLEN + PAY_OP] = op;
	put_le32(f + ETH_HLEN + PAY_SEQ, seq);
}

static VNET_UNUSED uint8_t vnet_op_of(const volatile uint8_t *f, uint32_t len)
{
	if (len < ETH_HLEN + PAY_LEN || get_be16(f + ETH_TYPE_OFF) != ETHERTYPE_VNET ||
	    get_le32(f + ETH_HLEN + PAY_MAGIC) != VNET_MAGIC)
		return 0;
	return f[ETH_HLEN + PAY_OP];
}

/* Sends one frame (a zero header, then len bytes from src, or this
 * device's MAC if src is NULL) from the next of the VNET_TXBUFS transmit
 * buffers; false if they are all still the device's. */
static VNET_UNUSED bool vnet_send(const struct vnet *n, const uint8_t *dst, const uint8_t *src,
				  uint8_t op, uint32_t seq, unsigned int len)
{
	uint16_t idx = vnet_avail[VNET_TXQ].idx;
	uint16_t slot = idx % VNET_TXBUFS;
	volatile uint8_t *b = vnet_tx_buf[slot];

	if ((uint16_t)(idx - vnet_used[VNET_TXQ].idx) >= VNET_TXBUFS ||
	    vnet_qsize[VNET_TXQ] < VNET_TXBUFS)
		return false;
	for (unsigned int i = 0; i < VNET_HDR_LEN; i++)
		b[i] = 0;
	vnet_frame(b + VNET_HDR_LEN, len, dst, src ? src : n->mac, ETHERTYPE_VNET, op, seq);
	set_desc(vnet_desc[VNET_TXQ], slot, (uintptr_t)b, VNET_HDR_LEN + len, 0, 0);
	vnet_post(VNET_TXQ, slot);
	notify_queue(&n->dev, VNET_TXQ);
	return true;
}

#endif
