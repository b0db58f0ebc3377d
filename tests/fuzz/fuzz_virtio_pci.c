/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz the virtio PCI transport with a dummy two-queue device. The input
 * is a sequence of 12-byte operations:
 *   [0]      kind (below)
 *   [1]      access size code: 1, 2, 4, 8 or 3 (a size nobody decodes)
 *   [2..3]   offset (BAR0, config space or RAM, per kind)
 *   [4..11]  value, little endian
 * Kinds: BAR read/write, config read/write through the host bridge, RAM
 * writes (the rings), a Linux-like bring-up of a queue, service, device
 * config change, device-side needs-reset, power-on reset.
 * Invariants: reads fit the access size; ISR holds only bits 0-1; INTx
 * follows ISR unless MSI-X or the command register disable it; enabled
 * queues are valid and only exist after FEATURES_OK; pending and PBA bits
 * stay in range; the model runs only while the device is live; log lines
 * stay bounded. */
#include <stdlib.h>
#include <string.h>

#include "drivers/vdev/pci_host.h"
#include "drivers/virtio/virtio_pci.h"
#include "tests/unit/support/host_log.h"
#include "tests/unit/support/vdev_fakes.h"

#define CHECK(c)                          \
	do {                              \
		if (!(c))                 \
			__builtin_trap(); \
	} while (0)

#define OP_BYTES 12
#define SLOT 2
#define INTX_LINE 9
#define NR_QUEUES 2
#define QMAX 32
#define RAM_GPA 0x10000ULL
#define RAM_SIZE 0x10000ULL

enum op_kind {
	OP_BAR_READ,
	OP_BAR_WRITE,
	OP_CFG_READ,
	OP_CFG_WRITE,
	OP_RAM_WRITE,
	OP_BRING_UP,
	OP_SERVICE,
	OP_CONFIG_CHANGED,
	OP_NEEDS_RESET,
	OP_POWER_RESET,
	OP_KINDS,
};

struct dummy {
	struct virtio_pci vp;
	uint8_t config[12];
	unsigned int kicks;
	unsigned int msis;
};

static void dummy_process(void *d, unsigned int q)
{
	struct dummy *x = d;
	struct virtq *vq = virtio_pci_queue(&x->vp, q);
	static struct virtq_chain c;
	uint8_t buf[64];
	enum virtq_result r;

	CHECK(virtio_pci_running(&x->vp));
	CHECK(vq && q < NR_QUEUES);
	while ((r = virtq_pop(vq, &c)) == VIRTQ_OK) {
		uint64_t n = virtq_chain_read(vq, &c, 0, buf, sizeof(buf));
		CHECK(n <= sizeof(buf) && n <= c.readable_len);
		n = virtq_chain_write(vq, &c, 0, buf, sizeof(buf));
		virtq_push(vq, c.head, (uint32_t)n);
	}
	if (r != VIRTQ_EMPTY) {
		virtio_pci_needs_reset(&x->vp, "queue %u: %s", q, virtq_result_str(r));
		return;
	}
	virtio_pci_queue_done(&x->vp, q);
}

static uint32_t dummy_config_read(void *d, unsigned int off, unsigned int size)
{
	struct dummy *x = d;
	uint32_t v = 0;

	CHECK(off < sizeof(x->config) && size <= sizeof(x->config) - off);
	memcpy(&v, x->config + off, size);
	return v;
}

static void dummy_config_write(void *d, unsigned int off, unsigned int size, uint32_t val)
{
	struct dummy *x = d;

	CHECK(off < sizeof(x->config) && size <= sizeof(x->config) - off);
	memcpy(x->config + off, &val, size);
}

static const struct virtio_device_ops ops = {
	.name = "virtio-fuzz",
	.device_id = VIRTIO_ID_CONSOLE,
	.nr_queues = NR_QUEUES,
	.queue_max_size = QMAX,
	.class_code = 0x078000,
	.config_size = 12,
	.config_read = dummy_config_read,
	.config_write = dummy_config_write,
	.process = dummy_process,
};

static void on_msi(void *ctx, uint64_t addr, uint32_t data)
{
	((struct dummy *)ctx)->msis++;
}

static void on_kick(void *ctx, struct virtio_pci *vp)
{
	struct dummy *x = ctx;
	CHECK(vp == &x->vp);
	x->kicks++;
}

static void bar_write(struct dummy *x, uint64_t off, unsigned int size, uint64_t v)
{
	CHECK(virtio_pci_bar_write(&x->vp, off, size, v) == 0);
}

/* What Linux's probe does, with fuzzed features, queue and addresses. */
static void bring_up(struct dummy *x, uint16_t arg, uint64_t v)
{
	unsigned int q = arg & 1;

	bar_write(x, 0x14, 1, 0);
	bar_write(x, 0x14, 1, 3);
	bar_write(x, 0x08, 4, 0);
	bar_write(x, 0x0C, 4, (uint32_t)v);
	bar_write(x, 0x08, 4, 1);
	bar_write(x, 0x0C, 4, (uint32_t)(v >> 32) | 1); /* VERSION_1 */
	bar_write(x, 0x14, 1, 0x0B);
	bar_write(x, 0x16, 2, q);
	bar_write(x, 0x18, 2, 1u << ((arg >> 1) & 7));
	bar_write(x, 0x20, 4, (uint32_t)(RAM_GPA + ((v >> 8) & 0xF000)));
	bar_write(x, 0x28, 4, (uint32_t)(RAM_GPA + ((v >> 16) & 0xF000) + 0x800));
	bar_write(x, 0x30, 4, (uint32_t)(RAM_GPA + ((v >> 24) & 0xF000) + 0xC00));
	bar_write(x, 0x1A, 2, (arg >> 4) & 0xF);
	bar_write(x, 0x1C, 2, 1);
	if (arg & 0x100)
		bar_write(x, 0x14, 1, 0x0F);
}

static unsigned int log_base;

static void check_invariants(struct dummy *x)
{
	struct virtio_pci *vp = &x->vp;
	bool intx_disabled = pci_dev_command(&vp->pci) & PCI_COMMAND_INTX_DISABLE;

	CHECK((vp->isr & ~3u) == 0);
	CHECK(vp->pci.intx_level == (!vp->msix_enabled && vp->isr));
	CHECK(vp->pci.intx_output == (vp->pci.intx_level && !intx_disabled));
	CHECK((vp->pending & ~((1u << NR_QUEUES) - 1)) == 0);
	CHECK((vp->msix_pending & ~((1u << VIRTIO_PCI_MSIX_VECTORS) - 1)) == 0);
	CHECK(vp->config_msix_vector == VIRTIO_MSI_NO_VECTOR ||
	      vp->config_msix_vector < VIRTIO_PCI_MSIX_VECTORS);
	for (unsigned int q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++) {
		const struct virtq *vq = &vp->vq[q];
		CHECK(vp->qreg[q].msix_vector == VIRTIO_MSI_NO_VECTOR ||
		      vp->qreg[q].msix_vector < VIRTIO_PCI_MSIX_VECTORS);
		if (q >= NR_QUEUES) {
			CHECK(!vq->ready && !vp->qreg[q].enable);
			continue;
		}
		CHECK(vq->ready == (vp->qreg[q].enable != 0));
		if (!vq->ready)
			continue;
		CHECK(vp->status & VIRTIO_STATUS_FEATURES_OK);
		CHECK(vq->size && vq->size <= QMAX && !(vq->size & (vq->size - 1)));
		CHECK(gmem_ptr(vp->cfg.mem, vq->desc_gpa, 16ULL * vq->size) == vq->desc);
	}
	CHECK(vp->negotiated == 0 || (vp->negotiated & VIRTIO_FEATURE(VIRTIO_F_VERSION_1)));
	/* Each misuse kind once, needs-reset lines bounded, pci_dev's own. */
	CHECK(host_log_count() - log_base <= 64);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct dummy x;
	static struct pci_host host;
	static struct irq_recorder irq;
	struct gmem mem = { 0 };
	static uint8_t ram[RAM_SIZE]; /* ASan redzones around globals */
	static const unsigned int sizes[8] = { 1, 2, 4, 8, 3, 4, 2, 1 };

	memset(ram, 0, sizeof(ram));
	CHECK(gmem_add_region(&mem, RAM_GPA, RAM_SIZE, ram));
	memset(&x, 0, sizeof(x));
	recorder_init(&irq);
	host_log_reset();
	log_base = 0;
	struct virtio_pci_config base = {
		.owner = "fuzz",
		.ops = &ops,
		.dev = &x,
		.device_features = 0x3,
		.mem = &mem,
		.msi = { on_msi, &x },
		.intx = &irq.sink,
		.intx_line = INTX_LINE,
		.kick = on_kick,
		.kick_ctx = &x,
	};
	CHECK(virtio_pci_init(&x.vp, &base));
	pci_host_init(&host, "fuzz", NULL);
	CHECK(pci_host_add_device(&host, SLOT, &x.vp.pci));

	for (; len >= OP_BYTES; data += OP_BYTES, len -= OP_BYTES) {
		unsigned int size = sizes[data[1] & 7];
		uint16_t off = (uint16_t)(data[2] | data[3] << 8);
		uint64_t v, got = 0;
		memcpy(&v, data + 4, 8);

		switch (data[0] % OP_KINDS) {
		case OP_BAR_READ:
			CHECK(virtio_pci_bar_read(&x.vp, off & 0x7FFF, size, &got) == 0);
			CHECK(size >= 8 || got < (1ULL << (8 * size)));
			break;
		case OP_BAR_WRITE:
			bar_write(&x, off & 0x7FFF, size, v);
			break;
		case OP_CFG_READ:
			got = pci_host_config_read(&host, 0, SLOT, 0, off & 0xFF, size & 7);
			break;
		case OP_CFG_WRITE:
			pci_host_config_write(&host, 0, SLOT, 0, off & 0xFF, size & 7, (uint32_t)v);
			break;
		case OP_RAM_WRITE:
			memcpy(ram + (off & (RAM_SIZE - 8)), &v, 8);
			break;
		case OP_BRING_UP:
			bring_up(&x, off, v);
			break;
		case OP_SERVICE:
			virtio_pci_service(&x.vp);
			break;
		case OP_CONFIG_CHANGED:
			virtio_pci_config_changed(&x.vp);
			break;
		case OP_NEEDS_RESET:
			virtio_pci_needs_reset(&x.vp, "fuzz %u", off);
			CHECK(x.vp.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
			break;
		case OP_POWER_RESET:
			virtio_pci_reset(&x.vp);
			CHECK(x.vp.status == 0 && !x.vp.msix_enabled);
			log_base = host_log_count();
			break;
		}
		check_invariants(&x);
	}
	return 0;
}
