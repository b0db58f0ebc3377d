/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz the virtio entropy and console devices behind their transport,
 * driven by a small driver (tests/unit/support/virtio_driver.h) plus raw
 * hostile accesses. Input: byte 0 picks the device (even: console, odd:
 * rng), then 8-byte operations:
 *   [0] kind  [1] queue / segment count  [2..3] length or offset
 *   [4..7] value
 * Kinds: bring-up, add a chain (segment directions from the value bits),
 * kick, service, console input, scribble over guest RAM (rings included),
 * raw BAR write, device reset, console resize.
 * Invariants: the devices never touch memory outside guest RAM (ASan);
 * the console's output callback sees exactly the bytes it counts, in
 * pieces of at most 256; input accounting stays consistent and the input
 * ring never overfills; the rng never exceeds its per-buffer cap. */
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/virtio_console.h"
#include "drivers/virtio/virtio_rng.h"
#include "tests/unit/support/host_log.h"
#include "tests/unit/support/virtio_driver.h"

#define CHECK(c)                          \
	do {                              \
		if (!(c))                 \
			__builtin_trap(); \
	} while (0)

#define OP_BYTES 8
#define RAM_GPA 0x200000ULL
#define RAM_SIZE (4 * VDRV_QUEUE_AREA)
#define MAX_SEGS 6

enum {
	OP_BRING_UP,
	OP_ADD,
	OP_KICK,
	OP_SERVICE,
	OP_INPUT,
	OP_SCRIBBLE,
	OP_BAR,
	OP_RESET,
	OP_RESIZE,
	OP_KINDS
};

struct sink {
	uint64_t bytes;
};

static void on_output(void *ctx, const uint8_t *buf, size_t len)
{
	struct sink *s = ctx;
	CHECK(len > 0 && len <= 256);
	s->bytes += len;
}

static size_t counter_fill(void *ctx, void *buf, size_t len)
{
	memset(buf, 0x42, len);
	return len - (len > 1 && (*(uint8_t *)ctx & 1)); /* sometimes short */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct virtio_console con;
	static struct virtio_rng rng;
	static struct vdrv drv;
	struct gmem mem = { 0 };
	struct sink sink = { 0 };
	uint8_t fill_mode = 0;
	bool is_console;
	struct virtio_pci *vp;
	unsigned int nr_queues;

	if (len < 1)
		return 0;
	is_console = !(data[0] & 1);
	fill_mode = data[0] >> 1;
	data++;
	len--;

	/* A static array (ASan puts redzones around globals): a fresh large
	 * heap block per run would cost an mmap each time. */
	static uint8_t ram[RAM_SIZE];
	memset(ram, 0, sizeof(ram));
	CHECK(gmem_add_region(&mem, RAM_GPA, RAM_SIZE, ram));
	struct virtio_pci_config base = { .owner = "fuzz", .mem = &mem };
	if (is_console) {
		CHECK(virtio_console_init(&con, &base, on_output, &sink, 80, 24));
		vp = &con.vp;
		nr_queues = 2;
	} else {
		CHECK(virtio_rng_init(&rng, &base, counter_fill, &fill_mode));
		vp = &rng.vp;
		nr_queues = 1;
	}
	CHECK(vdrv_init(&drv, vp, ram, RAM_GPA, RAM_SIZE));
	host_log_reset();
	bool up = false;

	for (; len >= OP_BYTES; data += OP_BYTES, len -= OP_BYTES) {
		unsigned int q = data[1] % nr_queues;
		uint16_t arg = (uint16_t)(data[2] | data[3] << 8);
		uint32_t val;
		memcpy(&val, data + 4, 4);

		switch (data[0] % OP_KINDS) {
		case OP_BRING_UP:
			up = vdrv_bring_up(&drv, val & 0x30000001u, nr_queues,
					   (uint16_t)(1u << (arg % 8)));
			break;
		case OP_ADD: {
			struct vdrv_seg segs[MAX_SEGS];
			unsigned int n = 1 + data[1] / 2 % MAX_SEGS;
			if (!up || !vp->vq[q].ready || n > drv.q[q].size)
				break;
			for (unsigned int i = 0; i < n; i++) {
				segs[i] = (struct vdrv_seg){ .len = 1 + ((arg >> (2 * i)) & 0x3FF),
							     .write = (val >> i) & 1,
							     .data = NULL };
			}
			vdrv_add(&drv, q, segs, n);
			break;
		}
		case OP_KICK:
			if (up)
				vdrv_kick(&drv, q);
			else
				virtio_pci_bar_write(vp, VIRTIO_PCI_NOTIFY_OFF + 4 * (arg % 4), 2, 0);
			break;
		case OP_SERVICE:
			virtio_pci_service(vp);
			break;
		case OP_INPUT:
			if (is_console) {
				uint8_t buf[64];
				size_t n = arg % sizeof(buf);
				size_t before = virtio_console_input_pending(&con);
				memset(buf, (int)val, n);
				size_t took = virtio_console_input(&con, buf, n);
				CHECK(took <= n);
				CHECK(virtio_console_input_pending(&con) == before + took);
				CHECK(before + took <= VIRTIO_CONSOLE_RX_RING);
			}
			break;
		case OP_SCRIBBLE:
			memcpy(ram + (((uint64_t)arg << 3) % (RAM_SIZE - 4)), &val, 4);
			break;
		case OP_BAR:
			virtio_pci_bar_write(vp, arg & 0x7FFF, 1u << (data[1] & 3), val);
			break;
		case OP_RESET:
			virtio_pci_reset(vp);
			up = false;
			break;
		case OP_RESIZE:
			if (is_console)
				virtio_console_set_size(&con, (uint16_t)val, (uint16_t)(val >> 16));
			break;
		}
		if (is_console) {
			CHECK(con.rx_head - con.rx_tail <= VIRTIO_CONSOLE_RX_RING);
			CHECK(sink.bytes == con.tx_bytes);
		} else {
			CHECK(rng.bytes <= rng.requests * VIRTIO_RNG_MAX_PER_BUFFER);
		}
	}
	return 0;
}
