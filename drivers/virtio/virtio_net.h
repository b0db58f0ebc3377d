/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio network device (virtio 1.2 §5.1) attached to a port of the
 * hypervisor's L2 switch (net_switch.h): receiveq 0, transmitq 1, no
 * control queue, no multiqueue.
 *
 * Features offered: MAC (from the manifest), STATUS (link always up),
 * MRG_RXBUF, and the offloads that let two Bulkhead guests exchange
 * unsegmented, partially checksummed frames: CSUM, GUEST_CSUM,
 * HOST_TSO4/6, GUEST_TSO4/6, HOST_ECN, GUEST_ECN. The 12-byte header
 * (struct virtio_net_hdr with num_buffers, §5.1.6) travels with the frame
 * through the switch.
 *
 * Transmit: each chain is a header and a frame (up to NET_FRAME_MAX
 * bytes); the frame goes to the switch straight from guest memory (no
 * copy on this side) and the chain is returned at once. A header the
 * driver had no right to send (NEEDS_CSUM without CSUM, a GSO type it did
 * not negotiate) or a frame out of bounds drops the frame (counted, one
 * line per kind).
 *
 * Receive: frames wait in the port's backlog until the driver offers
 * buffers. With MRG_RXBUF a frame may span several buffers and
 * num_buffers says how many; without it a frame must fit one chain or it
 * is dropped. What a receiving driver did not negotiate is handled here,
 * per frame (decision for issue 5):
 *  - NEEDS_CSUM but no GUEST_CSUM: the checksum is completed in software
 *    (RFC 1071 over [csum_start, end), stored at csum_start+csum_offset);
 *  - a GSO frame but no matching GUEST_TSO4/6 (+GUEST_ECN for ECN, and
 *    GUEST_CSUM): dropped and counted with one line; segmenting TCP in the
 *    hypervisor is not worth its code. Linux guests negotiate all of them.
 *
 * Pure code; embeds its transport and its switch port. */
#ifndef BULKHEAD_DRIVERS_VIRTIO_VIRTIO_NET_H
#define BULKHEAD_DRIVERS_VIRTIO_VIRTIO_NET_H

#include "drivers/virtio/net_switch.h"
#include "drivers/virtio/virtio_pci.h"

/* Feature bits (§5.1.3). */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN 9
#define VIRTIO_NET_F_GUEST_UFO 10
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_ECN 13
#define VIRTIO_NET_F_HOST_UFO 14
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_F_CTRL_VQ 17
#define VIRTIO_NET_F_MQ 22

/* Configuration layout (§5.1.4), little endian. */
#define VIRTIO_NET_CFG_MAC 0          /* u8[6] */
#define VIRTIO_NET_CFG_STATUS 6       /* le16 */
#define VIRTIO_NET_CFG_MAX_VQ_PAIRS 8 /* le16 */
#define VIRTIO_NET_CFG_MTU 10         /* le16 */
#define VIRTIO_NET_CONFIG_SIZE 12
#define VIRTIO_NET_S_LINK_UP 1

/* struct virtio_net_hdr (§5.1.6): 12 bytes with VIRTIO_F_VERSION_1. */
#define VIRTIO_NET_HDR_FLAGS 0        /* u8 */
#define VIRTIO_NET_HDR_GSO_TYPE 1     /* u8 */
#define VIRTIO_NET_HDR_HDR_LEN 2      /* le16 */
#define VIRTIO_NET_HDR_GSO_SIZE 4     /* le16 */
#define VIRTIO_NET_HDR_CSUM_START 6   /* le16 */
#define VIRTIO_NET_HDR_CSUM_OFFSET 8  /* le16 */
#define VIRTIO_NET_HDR_NUM_BUFFERS 10 /* le16 */
#define VIRTIO_NET_HDR_SIZE 12
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_GSO_TCPV4 1
#define VIRTIO_NET_HDR_GSO_UDP 3
#define VIRTIO_NET_HDR_GSO_TCPV6 4
#define VIRTIO_NET_HDR_GSO_ECN 0x80

#define VIRTIO_NET_RX_QUEUE 0
#define VIRTIO_NET_TX_QUEUE 1
#define VIRTIO_NET_QUEUE_SIZE 256
/* PCI class: network controller, Ethernet. */
#define VIRTIO_NET_PCI_CLASS 0x020000
/* Buffers one received frame may take with MRG_RXBUF: a 64 KiB frame in
 * Linux's ~1.5 KiB mergeable buffers needs 44. More: the frame is dropped. */
#define VIRTIO_NET_RX_MAX_BUFS 64
/* Frames, and receive chains, per process() call and queue; the rest is
 * requeued. */
#define VIRTIO_NET_BUDGET 256
#define VIRTIO_NET_CHAIN_BUDGET (4 * VIRTIO_NET_QUEUE_SIZE)

/* Reasons a frame is dropped by the device, each logged once. */
enum virtio_net_drop {
	VIRTIO_NET_DROP_TX_SHORT,     /* chain shorter than the header */
	VIRTIO_NET_DROP_TX_TOO_BIG,   /* frame longer than NET_FRAME_MAX */
	VIRTIO_NET_DROP_TX_CSUM,      /* NEEDS_CSUM without CSUM */
	VIRTIO_NET_DROP_TX_GSO,       /* GSO type not negotiated/offered */
	VIRTIO_NET_DROP_RX_GSO,       /* receiver cannot take a GSO frame */
	VIRTIO_NET_DROP_RX_TOO_BIG,   /* frame larger than the receive chain */
	VIRTIO_NET_DROP_RX_TOO_MANY,  /* more than VIRTIO_NET_RX_MAX_BUFS buffers */
	VIRTIO_NET_DROP_RX_SMALL_BUF, /* MRG buffer below the header size: returned empty */
	VIRTIO_NET_NR_DROPS,
};

struct virtio_net_stats {
	uint64_t tx_frames, tx_bytes;
	uint64_t rx_frames, rx_bytes, rx_buffers;
	uint64_t rx_csum_completed; /* checksums filled in for the driver */
	uint64_t drops[VIRTIO_NET_NR_DROPS];
};

/* Receive state kept across process() calls: a frame may wait for
 * buffers half delivered. */
struct virtio_net_rx {
	bool active; /* `frame` is being delivered */
	struct net_rx_frame frame;
	uint8_t hdr[VIRTIO_NET_HDR_SIZE];
	uint32_t total;  /* header + frame bytes */
	uint32_t done;   /* of total, written so far */
	bool have_chain; /* `chain` popped and not returned */
	struct virtq_chain chain;
	gpa_t num_buffers_gpa[2]; /* the two bytes of the first header */
	unsigned int nr_bufs;     /* filled chains of this frame */
	struct {
		uint16_t head;
		uint32_t len;
	} bufs[VIRTIO_NET_RX_MAX_BUFS];
};

struct virtio_net {
	struct virtio_pci vp;
	struct net_switch *sw;
	uint8_t config[VIRTIO_NET_CONFIG_SIZE];
	uint32_t warned;             /* bit per enum virtio_net_drop */
	struct virtq_chain tx_chain; /* scratch for transmit (serialized) */
	struct net_frag tx_frags[VIRTQ_MAX_SEGS];
	struct virtio_net_rx rx;
	struct virtio_net_stats stats;
	struct net_port port; /* last: holds the receive backlog */
};

/* base: owner, mem, msi, intx, kick as for every virtio device (ops, dev
 * and device_features are set here). mac: the manifest's unicast address,
 * unique on sw. The port is registered on sw (down until the driver sets
 * DRIVER_OK). false (one error line) if the switch or the transport
 * refuses. */
bool virtio_net_init(struct virtio_net *d, const struct virtio_pci_config *base,
		     const uint8_t mac[NET_ETH_ALEN], struct net_switch *sw);

/* Unregisters the port (partition destroyed). Not needed for a restart:
 * virtio_pci_reset keeps the port and only takes its link down. */
void virtio_net_detach(struct virtio_net *d);

#endif
