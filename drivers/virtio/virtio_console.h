/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio console (virtio 1.2 §5.3) with a single port: no MULTIPORT, so
 * queue 0 is port 0's receiveq (host -> guest, device-writable buffers)
 * and queue 1 its transmitq (guest -> host, device-readable buffers).
 * VIRTIO_CONSOLE_F_SIZE is offered when a size is given.
 *
 * Output: every byte the guest transmits goes to the `output` callback,
 * from the service task. Input: virtio_console_input() may be called from
 * any CPU; it queues bytes in a small ring and marks the receive queue
 * pending, and the next process() moves them into the guest's receive
 * buffers. Pure code; embeds its transport (struct virtio_pci). */
#ifndef BULKHEAD_DRIVERS_VIRTIO_VIRTIO_CONSOLE_H
#define BULKHEAD_DRIVERS_VIRTIO_VIRTIO_CONSOLE_H

#include "core/spinlock.h"
#include "drivers/virtio/virtio_pci.h"

#define VIRTIO_CONSOLE_RX_QUEUE 0
#define VIRTIO_CONSOLE_TX_QUEUE 1
#define VIRTIO_CONSOLE_QUEUE_SIZE 128
#define VIRTIO_CONSOLE_PCI_CLASS 0x078000 /* simple communication controller, other */
/* Feature bits (§5.3.3). */
#define VIRTIO_CONSOLE_F_SIZE 0
#define VIRTIO_CONSOLE_F_MULTIPORT 1
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2
/* Configuration layout (§5.3.4): le16 cols, le16 rows, le32 max_nr_ports;
 * emerg_wr is not offered, so the space ends after max_nr_ports. */
#define VIRTIO_CONSOLE_CFG_COLS 0
#define VIRTIO_CONSOLE_CFG_ROWS 2
#define VIRTIO_CONSOLE_CFG_MAX_NR_PORTS 4
#define VIRTIO_CONSOLE_CFG_SIZE 8
/* Host -> guest bytes waiting for receive buffers (power of two). */
#define VIRTIO_CONSOLE_RX_RING 4096
/* Guest bytes handled per process() call before yielding the CPU; also the
 * most printed of one transmit chain (the rest is discarded, counted). */
#define VIRTIO_CONSOLE_TX_BUDGET 65536

typedef void (*virtio_console_output_fn)(void *ctx, const uint8_t *buf, size_t len);

struct virtio_console {
	struct virtio_pci vp;
	virtio_console_output_fn output;
	void *output_ctx;
	bool size_offered; /* VIRTIO_CONSOLE_F_SIZE */
	uint16_t cols, rows;
	/* Input ring: rx_head advanced by virtio_console_input, rx_tail by
	 * process(); both free-running, under rx_lock. */
	spinlock_t rx_lock;
	uint32_t rx_head, rx_tail;
	uint8_t rx[VIRTIO_CONSOLE_RX_RING];
	struct virtq_chain chain; /* scratch for process() (serialized) */
	bool warned_direction;
	bool warned_long_chain;
	/* Statistics. tx_discarded: transmit bytes past the first
	 * VIRTIO_CONSOLE_TX_BUDGET of a chain, not printed. */
	uint64_t tx_bytes, rx_bytes, input_refused, tx_discarded;
};

/* base: owner, mem, msi, intx, kick as for every virtio device (ops, dev
 * and device_features are set here). cols/rows: the console size to
 * announce (both 0: no VIRTIO_CONSOLE_F_SIZE). false (one error line) if
 * output is NULL or the transport refuses. */
bool virtio_console_init(struct virtio_console *c, const struct virtio_pci_config *base,
			 virtio_console_output_fn output, void *output_ctx, uint16_t cols,
			 uint16_t rows);

/* Queues host -> guest bytes; returns how many fit (the rest is the
 * caller's to keep or drop). Safe against a concurrent process(). */
size_t virtio_console_input(struct virtio_console *c, const uint8_t *buf, size_t len);

/* Bytes queued and not yet delivered to the guest. */
size_t virtio_console_input_pending(struct virtio_console *c);

/* New console size (only with VIRTIO_CONSOLE_F_SIZE offered): updates the
 * configuration space and sends a configuration change (§5.3.6). */
void virtio_console_set_size(struct virtio_console *c, uint16_t cols, uint16_t rows);

#endif
