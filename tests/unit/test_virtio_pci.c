/* SPDX-License-Identifier: BSD-2-Clause */
/* The virtio PCI transport, driven the way Linux's virtio_pci_modern does:
 * find the vendor capabilities through config space, negotiate features,
 * set up queues, notify, and take interrupts by MSI-X (fake msi_sink) or
 * INTx + ISR (fake irq_sink); plus the hostile sequences a guest may try. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/vdev/pci_host.h"
#include "drivers/virtio/virtio_pci.h"
#include "tests/unit/support/host_log.h"
#include "tests/unit/support/vdev_fakes.h"

/* What a driver knows from the specification (virtio 1.2 §4.1.4). */
#define CAP_VNDR 0x09
#define CAP_MSIX 0x11
#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR 3
#define CAP_DEVICE 4
#define CAP_PCI 5
#define C_DFSELECT 0x00
#define C_DF 0x04
#define C_GFSELECT 0x08
#define C_GF 0x0C
#define C_MSIX 0x10
#define C_NUMQ 0x12
#define C_STATUS 0x14
#define C_CFGGEN 0x15
#define C_QSELECT 0x16
#define C_QSIZE 0x18
#define C_QMSIX 0x1A
#define C_QENABLE 0x1C
#define C_QNOFF 0x1E
#define C_QDESC 0x20
#define C_QAVAIL 0x28
#define C_QUSED 0x30
#define S_ACK 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define S_NEEDS_RESET 0x40
#define NO_VECTOR 0xFFFF

#define SLOT 3
#define INTX_LINE 11
#define NR_QUEUES 2
#define QMAX 64
#define DEV_FEATURE_BIT 5
#define RAM_GPA 0x100000ULL
#define RAM_SIZE 0x100000ULL
#define MSI_ADDR(n) (0xFEE00000ULL | ((uint64_t)(n) << 12))

/* A dummy device: echoes one byte into each chain's writable part. */
struct dummy {
	struct virtio_pci vp;
	uint8_t config[8];
	unsigned int processed[NR_QUEUES];
	unsigned int resets, activations, chains;
	uint32_t last_config_write;
};

static struct dummy dev;
static struct pci_host host;
static struct irq_recorder irq;
static struct gmem mem;
static uint8_t *ram;
static unsigned int kicks;
static struct {
	uint64_t addr;
	uint32_t data;
} msis[32];
static unsigned int nr_msis;

/* Device-side capability locations, as the driver found them. */
static struct {
	uint32_t common, isr, notify, device, mult;
	unsigned int msix;
} caps;

static uint32_t dummy_config_read(void *d, unsigned int off, unsigned int size)
{
	struct dummy *x = d;
	uint32_t v = 0;
	memcpy(&v, x->config + off, size);
	return v;
}

static void dummy_config_write(void *d, unsigned int off, unsigned int size, uint32_t val)
{
	((struct dummy *)d)->last_config_write = val;
}

static void dummy_reset(void *d)
{
	((struct dummy *)d)->resets++;
}
static void dummy_activate(void *d)
{
	((struct dummy *)d)->activations++;
}

static void dummy_process(void *d, unsigned int q)
{
	struct dummy *x = d;
	struct virtq *vq = virtio_pci_queue(&x->vp, q);
	static struct virtq_chain c;
	enum virtq_result r;
	uint8_t b = 0x5A;

	cr_assert(vq);
	x->processed[q]++;
	while ((r = virtq_pop(vq, &c)) == VIRTQ_OK) {
		uint32_t n = (uint32_t)virtq_chain_write(vq, &c, 0, &b, 1);
		virtq_push(vq, c.head, n);
		x->chains++;
	}
	if (r != VIRTQ_EMPTY) {
		virtio_pci_needs_reset(&x->vp, "queue %u: %s", q, virtq_result_str(r));
		return;
	}
	virtio_pci_queue_done(&x->vp, q);
}

static const struct virtio_device_ops dummy_ops = {
	.name = "virtio-dummy",
	.device_id = VIRTIO_ID_RNG,
	.nr_queues = NR_QUEUES,
	.queue_max_size = QMAX,
	.class_code = 0x00FF00,
	.config_size = sizeof(dev.config),
	.config_read = dummy_config_read,
	.config_write = dummy_config_write,
	.reset = dummy_reset,
	.activate = dummy_activate,
	.process = dummy_process,
};

static void fake_msi(void *ctx, uint64_t addr, uint32_t data)
{
	if (nr_msis < 32)
		msis[nr_msis] = (typeof(msis[0])){ addr, data };
	nr_msis++;
}

static void fake_kick(void *ctx, struct virtio_pci *vp)
{
	cr_assert_eq(ctx, &kicks);
	cr_assert_eq(vp, &dev.vp);
	kicks++;
}

/* Config space through the host bridge, as the guest reaches it. */
static uint32_t cfg_rd(unsigned int reg, unsigned int size)
{
	return pci_host_config_read(&host, 0, SLOT, 0, reg, size);
}

static void cfg_wr(unsigned int reg, unsigned int size, uint32_t v)
{
	pci_host_config_write(&host, 0, SLOT, 0, reg, size, v);
}

static uint64_t bar_rd(uint64_t off, unsigned int size)
{
	uint64_t v = 0;
	cr_assert_eq(virtio_pci_bar_read(&dev.vp, off, size, &v), 0);
	return v;
}

static void bar_wr(uint64_t off, unsigned int size, uint64_t v)
{
	cr_assert_eq(virtio_pci_bar_write(&dev.vp, off, size, v), 0);
}

static uint32_t c_rd(unsigned int off, unsigned int size)
{
	return bar_rd(caps.common + off, size);
}
static void c_wr(unsigned int off, unsigned int size, uint32_t v)
{
	bar_wr(caps.common + off, size, v);
}

/* Linux's virtio_pci_find_capability: walk vendor caps for cfg_type. */
static unsigned int find_vendor_cap(uint8_t type)
{
	unsigned int pos = cfg_rd(PCI_CAPABILITY_LIST, 1) & 0xFC;
	for (int n = 0; pos && n < 48; n++) {
		if (cfg_rd(pos, 1) == CAP_VNDR && cfg_rd(pos + 3, 1) == type)
			return pos;
		pos = cfg_rd(pos + 1, 1) & 0xFC;
	}
	return 0;
}

static unsigned int find_cap(uint8_t id)
{
	unsigned int pos = cfg_rd(PCI_CAPABILITY_LIST, 1) & 0xFC;
	for (int n = 0; pos && n < 48; n++) {
		if (cfg_rd(pos, 1) == id)
			return pos;
		pos = cfg_rd(pos + 1, 1) & 0xFC;
	}
	return 0;
}

static void discover(void)
{
	unsigned int c = find_vendor_cap(CAP_COMMON), i = find_vendor_cap(CAP_ISR);
	unsigned int n = find_vendor_cap(CAP_NOTIFY), d = find_vendor_cap(CAP_DEVICE);

	cr_assert(c && i && n && d, "mandatory capabilities present");
	caps.common = cfg_rd(c + 8, 4);
	caps.isr = cfg_rd(i + 8, 4);
	caps.notify = cfg_rd(n + 8, 4);
	caps.device = cfg_rd(d + 8, 4);
	caps.mult = cfg_rd(n + 16, 4);
	caps.msix = find_cap(CAP_MSIX);
	cr_assert(caps.msix);
}

static void setup(void)
{
	struct virtio_pci_config base = {
		.owner = "t",
		.ops = &dummy_ops,
		.dev = &dev,
		.device_features = BIT(DEV_FEATURE_BIT),
		.mem = &mem,
		.msi = { fake_msi, NULL },
		.intx = &irq.sink,
		.intx_line = INTX_LINE,
		.kick = fake_kick,
		.kick_ctx = &kicks,
	};

	ram = aligned_alloc(4096, RAM_SIZE);
	cr_assert(ram);
	memset(ram, 0, RAM_SIZE);
	memset(&mem, 0, sizeof(mem));
	cr_assert(gmem_add_region(&mem, RAM_GPA, RAM_SIZE, ram));
	memset(&dev, 0, sizeof(dev));
	memcpy(dev.config, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	recorder_init(&irq);
	kicks = 0;
	nr_msis = 0;
	host_log_reset();
	cr_assert(virtio_pci_init(&dev.vp, &base));
	pci_host_init(&host, "t", NULL);
	cr_assert(pci_host_add_device(&host, SLOT, &dev.vp.pci));
	discover();
}

static void teardown(void)
{
	free(ram);
}

TestSuite(virtio_pci, .init = setup, .fini = teardown);

/* --- driver-side helpers ------------------------------------------------ */

static uint64_t device_features(void)
{
	c_wr(C_DFSELECT, 4, 0);
	uint64_t f = c_rd(C_DF, 4);
	c_wr(C_DFSELECT, 4, 1);
	return f | (uint64_t)c_rd(C_DF, 4) << 32;
}

static void driver_features(uint64_t f)
{
	c_wr(C_GFSELECT, 4, 0);
	c_wr(C_GF, 4, (uint32_t)f);
	c_wr(C_GFSELECT, 4, 1);
	c_wr(C_GF, 4, (uint32_t)(f >> 32));
}

/* §3.1.1 steps 1-6. */
static bool negotiate(uint64_t f)
{
	c_wr(C_STATUS, 1, 0);
	c_wr(C_STATUS, 1, S_ACK);
	c_wr(C_STATUS, 1, S_ACK | S_DRIVER);
	driver_features(f);
	c_wr(C_STATUS, 1, S_ACK | S_DRIVER | S_FEATURES_OK);
	return c_rd(C_STATUS, 1) & S_FEATURES_OK;
}

#define RING_GPA(q) (RAM_GPA + 0x10000ULL * ((q) + 1))
#define DESC(q) RING_GPA(q)
#define AVAIL(q) (RING_GPA(q) + 0x1000)
#define USED(q) (RING_GPA(q) + 0x2000)
#define DATA(q) (RING_GPA(q) + 0x8000)

static void *at(gpa_t gpa)
{
	return ram + (gpa - RAM_GPA);
}

static void setup_queue(unsigned int q, uint16_t size, uint16_t vector)
{
	c_wr(C_QSELECT, 2, q);
	cr_assert_eq(c_rd(C_QSIZE, 2), QMAX);
	cr_assert_eq(c_rd(C_QENABLE, 2), 0);
	c_wr(C_QSIZE, 2, size);
	c_wr(C_QDESC, 4, (uint32_t)DESC(q));
	c_wr(C_QDESC + 4, 4, 0);
	c_wr(C_QAVAIL, 4, (uint32_t)AVAIL(q));
	c_wr(C_QAVAIL + 4, 4, 0);
	c_wr(C_QUSED, 4, (uint32_t)USED(q));
	c_wr(C_QUSED + 4, 4, 0);
	c_wr(C_QMSIX, 2, vector);
	cr_assert_eq(c_rd(C_QMSIX, 2), vector);
	c_wr(C_QENABLE, 2, 1);
}

static void bring_up(uint64_t extra_features, uint16_t vector)
{
	cr_assert(negotiate(BIT(32) | BIT(DEV_FEATURE_BIT) | extra_features));
	for (unsigned int q = 0; q < NR_QUEUES; q++)
		setup_queue(q, 16, vector);
	c_wr(C_STATUS, 1, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	cr_assert(virtio_pci_running(&dev.vp));
}

static uint16_t avail_idx[NR_QUEUES];

/* One writable buffer in descriptor `head`, made available and notified. */
static void add_buffer(unsigned int q, uint16_t head)
{
	uint8_t *d = at(DESC(q) + 16ULL * head);
	uint64_t addr = DATA(q) + 0x100ULL * head;
	uint32_t len = 16;
	uint16_t flags = 2; /* WRITE */
	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memset(d + 14, 0, 2);
	memcpy(at(AVAIL(q) + 4 + 2ULL * (avail_idx[q] % 16)), &head, 2);
	avail_idx[q]++;
	memcpy(at(AVAIL(q) + 2), &avail_idx[q], 2);
}

static void notify(unsigned int q)
{
	c_wr(C_QSELECT, 2, q);
	uint16_t noff = c_rd(C_QNOFF, 2);
	bar_wr(caps.notify + (uint64_t)noff * caps.mult, 2, q);
}

static uint16_t used_idx(unsigned int q)
{
	uint16_t v;
	memcpy(&v, at(USED(q) + 2), 2);
	return v;
}

static void msix_enable(bool enable, bool fmask)
{
	uint16_t ctrl = cfg_rd(caps.msix + 2, 2);
	ctrl = (ctrl & 0x07FF) | (enable ? 0x8000 : 0) | (fmask ? 0x4000 : 0);
	cfg_wr(caps.msix + 2, 2, ctrl);
}

static uint64_t msix_table(void)
{
	uint32_t t = cfg_rd(caps.msix + 4, 4);
	cr_assert_eq(t & 7, 0, "table in BAR0");
	return t & ~7u;
}

static void msix_program(unsigned int v, uint64_t addr, uint32_t data, bool masked)
{
	uint64_t e = msix_table() + 16ULL * v;
	bar_wr(e, 4, (uint32_t)addr);
	bar_wr(e + 4, 4, (uint32_t)(addr >> 32));
	bar_wr(e + 8, 4, data);
	bar_wr(e + 12, 4, masked);
}

static uint64_t pba(void)
{
	uint32_t p = cfg_rd(caps.msix + 8, 4);
	return bar_rd(p & ~7u, 8);
}

/* --- tests ---------------------------------------------------------------- */

Test(virtio_pci, identity_and_bar)
{
	cr_assert_eq(cfg_rd(PCI_VENDOR_ID, 2), 0x1AF4);
	cr_assert_eq(cfg_rd(PCI_DEVICE_ID, 2), 0x1040 + VIRTIO_ID_RNG);
	cr_assert_eq(cfg_rd(PCI_REVISION_ID, 1), 1, "modern-only devices have revision >= 1");
	cr_assert_eq(cfg_rd(PCI_REVISION_ID, 4) >> 8, 0x00FF00);
	cr_assert_eq(cfg_rd(PCI_SUBSYSTEM_VENDOR_ID, 2), 0x1AF4);
	cr_assert_geq(cfg_rd(PCI_SUBSYSTEM_ID, 2), 0x40);
	cr_assert_eq(cfg_rd(PCI_INTERRUPT_PIN, 1), 1, "INTA#");
	cr_assert_eq(cfg_rd(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, PCI_STATUS_CAP_LIST);
	/* BAR0: 64-bit memory, sized by writing all ones. */
	cr_assert_eq(cfg_rd(PCI_BASE_ADDRESS_0, 4) & 0xF, 0x4);
	cfg_wr(PCI_BASE_ADDRESS_0, 4, 0xFFFFFFFF);
	cfg_wr(PCI_BASE_ADDRESS_0 + 4, 4, 0xFFFFFFFF);
	uint64_t sz = ((uint64_t)cfg_rd(PCI_BASE_ADDRESS_0 + 4, 4) << 32) |
		      (cfg_rd(PCI_BASE_ADDRESS_0, 4) & ~0xFu);
	cr_assert_eq(~sz + 1, VIRTIO_PCI_BAR_SIZE);
}

Test(virtio_pci, capabilities_as_linux_checks_them)
{
	struct {
		uint8_t type;
		uint32_t minlen, align;
	} want[] = {
		{ CAP_COMMON, 56, 4 }, { CAP_ISR, 1, 1 }, { CAP_NOTIFY, 2, 2 },
		{ CAP_DEVICE, 0, 4 },  { CAP_PCI, 0, 1 },
	};
	for (unsigned int i = 0; i < 5; i++) {
		unsigned int pos = find_vendor_cap(want[i].type);
		cr_assert(pos, "type %u", want[i].type);
		uint8_t bar = cfg_rd(pos + 4, 1);
		uint32_t off = cfg_rd(pos + 8, 4), len = cfg_rd(pos + 12, 4);
		cr_assert_geq(cfg_rd(pos + 2, 1), 16, "cap_len");
		if (want[i].type == CAP_PCI)
			continue;
		cr_assert_eq(bar, 0);
		cr_assert_geq(len, want[i].minlen);
		cr_assert_eq(off % want[i].align, 0);
		cr_assert_leq((uint64_t)off + len, VIRTIO_PCI_BAR_SIZE);
	}
	/* Notify: each queue's address inside the mapped length (Linux's
	 * vp_modern_map_vq_notify). */
	unsigned int n = find_vendor_cap(CAP_NOTIFY);
	cr_assert_eq(cfg_rd(n + 2, 1), 20);
	cr_assert_eq(caps.mult, 4);
	cr_assert_geq(cfg_rd(n + 12, 4), (NR_QUEUES - 1) * caps.mult + 2);
	cr_assert_eq(cfg_rd(find_vendor_cap(CAP_DEVICE) + 12, 4), 8);
	/* MSI-X: 9 vectors, table and PBA in BAR0 at the documented places. */
	cr_assert_eq(cfg_rd(caps.msix + 2, 2) & 0x7FF, VIRTIO_PCI_MSIX_VECTORS - 1);
	cr_assert_eq(cfg_rd(caps.msix + 4, 4), VIRTIO_PCI_MSIX_TABLE_OFF);
	cr_assert_eq(cfg_rd(caps.msix + 8, 4), VIRTIO_PCI_MSIX_PBA_OFF);
	cr_assert_eq(c_rd(C_NUMQ, 2), NR_QUEUES);
}

Test(virtio_pci, feature_negotiation)
{
	uint64_t f = device_features();
	cr_assert(f & BIT(32), "VERSION_1");
	cr_assert(f & BIT(29), "EVENT_IDX");
	cr_assert(f & BIT(28), "INDIRECT_DESC");
	cr_assert(f & BIT(DEV_FEATURE_BIT));
	c_wr(C_DFSELECT, 4, 2);
	cr_assert_eq(c_rd(C_DF, 4), 0, "no features beyond 63");
	cr_assert(negotiate(BIT(32) | BIT(29)));
	cr_assert_eq(dev.vp.negotiated, BIT(32) | BIT(29));
	c_wr(C_GFSELECT, 4, 1);
	cr_assert_eq(c_rd(C_GF, 4), 1);
	/* Features are frozen once FEATURES_OK is set. */
	driver_features(BIT(32));
	cr_assert_eq(dev.vp.driver_features, BIT(32) | BIT(29));
	cr_assert(host_log_contains("after FEATURES_OK"));
}

Test(virtio_pci, features_ok_refused_without_version_1)
{
	cr_assert_not(negotiate(BIT(DEV_FEATURE_BIT)));
	cr_assert_eq(c_rd(C_STATUS, 1), S_ACK | S_DRIVER, "FEATURES_OK reads back clear");
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("[t] virtio-dummy: driver did not accept VIRTIO_F_VERSION_1"));
	cr_assert_not(dev.vp.status & S_NEEDS_RESET);
	/* The driver may start over and succeed. */
	cr_assert(negotiate(BIT(32)));
}

Test(virtio_pci, features_ok_refused_for_unoffered_bits)
{
	cr_assert_not(negotiate(BIT(32) | BIT(40)));
	cr_assert_not(c_rd(C_STATUS, 1) & S_FEATURES_OK);
	cr_assert(host_log_contains("never offered"));
	cr_assert_eq(dev.vp.negotiated, 0);
}

Test(virtio_pci, intx_path)
{
	bring_up(0, NO_VECTOR);
	cr_assert_eq(dev.activations, 1);
	add_buffer(0, 3);
	notify(0);
	cr_assert_eq(kicks, 1);
	cr_assert_eq(dev.vp.pending, 1);
	cr_assert_eq(dev.processed[0], 0, "nothing runs in the exit path");
	virtio_pci_service(&dev.vp);
	cr_assert_eq(dev.processed[0], 1);
	cr_assert_eq(dev.processed[1], 0);
	cr_assert_eq(dev.vp.pending, 0);
	cr_assert_eq(used_idx(0), 1);
	cr_assert_eq(*(uint8_t *)at(DATA(0) + 0x300), 0x5A);
	cr_assert(irq.level[INTX_LINE]);
	cr_assert(cfg_rd(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	cr_assert_eq(nr_msis, 0);
	/* ISR read returns the queue bit, clears, deasserts. */
	cr_assert_eq(bar_rd(caps.isr, 1), 1);
	cr_assert_not(irq.level[INTX_LINE]);
	cr_assert_eq(bar_rd(caps.isr, 1), 0);
	cr_assert_not(cfg_rd(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
}

Test(virtio_pci, intx_disable_in_command_register)
{
	bring_up(0, NO_VECTOR);
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
	add_buffer(1, 0);
	notify(1);
	virtio_pci_service(&dev.vp);
	cr_assert_eq(dev.processed[1], 1);
	cr_assert_not(irq.level[INTX_LINE], "pin masked by the command register");
	cr_assert(cfg_rd(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, "status still shows it");
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	cr_assert(irq.level[INTX_LINE]);
}

Test(virtio_pci, msix_path)
{
	msix_enable(true, true); /* Linux: enable with the function masked */
	for (unsigned int v = 0; v < VIRTIO_PCI_MSIX_VECTORS; v++)
		msix_program(v, MSI_ADDR(v), 0x40 + v, false);
	msix_enable(true, false);
	cr_assert(negotiate(BIT(32)));
	/* After the reset that starts negotiation, as Linux's find_vqs does. */
	c_wr(C_MSIX, 2, 0);
	cr_assert_eq(c_rd(C_MSIX, 2), 0);
	setup_queue(0, 16, 1);
	setup_queue(1, 16, 2);
	c_wr(C_STATUS, 1, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);

	add_buffer(1, 0);
	notify(1);
	virtio_pci_service(&dev.vp);
	cr_assert_eq(nr_msis, 1);
	cr_assert_eq(msis[0].addr, MSI_ADDR(2));
	cr_assert_eq(msis[0].data, 0x42);
	cr_assert_not(irq.level[INTX_LINE], "no INTx with MSI-X");
	cr_assert_eq(bar_rd(caps.isr, 1), 0, "no ISR queue bit with MSI-X");

	/* Config change: vector 0, ISR config bit set too (§4.1.4.5). */
	uint8_t gen = c_rd(C_CFGGEN, 1);
	virtio_pci_config_changed(&dev.vp);
	cr_assert_eq(c_rd(C_CFGGEN, 1), (uint8_t)(gen + 1));
	cr_assert_eq(nr_msis, 2);
	cr_assert_eq(msis[1].addr, MSI_ADDR(0));
	cr_assert_eq(bar_rd(caps.isr, 1), 2);
}

Test(virtio_pci, msix_mask_and_pending)
{
	msix_program(1, MSI_ADDR(1), 0x51, true);
	msix_enable(true, false);
	bring_up(0, 1);
	add_buffer(0, 0);
	notify(0);
	virtio_pci_service(&dev.vp);
	cr_assert_eq(nr_msis, 0, "masked vector holds its message");
	cr_assert_eq(pba(), 1u << 1);
	/* Unmasking delivers it and clears the pending bit. */
	bar_wr(msix_table() + 16 + 12, 4, 0);
	cr_assert_eq(nr_msis, 1);
	cr_assert_eq(msis[0].data, 0x51);
	cr_assert_eq(pba(), 0);
	/* Function mask does the same for every vector. */
	msix_enable(true, true);
	cr_assert_eq(cfg_rd(caps.msix + 2, 2) & 0xC000, 0xC000);
	add_buffer(0, 1);
	notify(0);
	virtio_pci_service(&dev.vp);
	cr_assert_eq(nr_msis, 1);
	cr_assert_eq(pba(), 1u << 1);
	/* A byte write to the upper half of message control (split access). */
	cfg_wr(caps.msix + 3, 1, 0x80);
	cr_assert_eq(nr_msis, 2);
	cr_assert_eq(pba(), 0);
	/* The PBA is read-only. */
	bar_wr(VIRTIO_PCI_MSIX_PBA_OFF, 8, ~0ULL);
	cr_assert_eq(pba(), 0);
}

Test(virtio_pci, msix_no_vector_means_no_interrupt)
{
	msix_program(0, MSI_ADDR(0), 0x40, false);
	msix_enable(true, false);
	bring_up(0, NO_VECTOR);
	add_buffer(0, 0);
	notify(0);
	virtio_pci_service(&dev.vp);
	cr_assert_eq(used_idx(0), 1);
	cr_assert_eq(nr_msis, 0);
	cr_assert_not(irq.level[INTX_LINE]);
	cr_assert_eq(bar_rd(caps.isr, 1), 0);
}

Test(virtio_pci, msix_vector_out_of_range_reads_no_vector)
{
	c_wr(C_MSIX, 2, VIRTIO_PCI_MSIX_VECTORS);
	cr_assert_eq(c_rd(C_MSIX, 2), NO_VECTOR);
	c_wr(C_QSELECT, 2, 0);
	c_wr(C_QMSIX, 2, 200);
	cr_assert_eq(c_rd(C_QMSIX, 2), NO_VECTOR);
	c_wr(C_QMSIX, 2, VIRTIO_PCI_MSIX_VECTORS - 1);
	cr_assert_eq(c_rd(C_QMSIX, 2), VIRTIO_PCI_MSIX_VECTORS - 1);
}

Test(virtio_pci, msix_table_accesses_and_out_of_range)
{
	uint64_t t = msix_table();
	cr_assert_eq(bar_rd(t + 12, 4), 1, "vectors start masked");
	bar_wr(t + 16 * 3, 8, 0x00000000FEE01000ULL);
	bar_wr(t + 16 * 3 + 8, 8, 0x0000000100000033ULL); /* data + masked */
	cr_assert_eq(bar_rd(t + 16 * 3, 4), 0xFEE01000u);
	cr_assert_eq(bar_rd(t + 16 * 3 + 8, 4), 0x33);
	cr_assert_eq(bar_rd(t + 16 * 3 + 12, 4), 1);
	bar_wr(t + 16 * 3 + 12, 4, 0xFFFFFFFE); /* reserved bits stay 0 */
	cr_assert_eq(bar_rd(t + 16 * 3 + 12, 4), 0);
	host_log_reset();
	bar_wr(t + 16 * VIRTIO_PCI_MSIX_VECTORS, 4, 0x1234);
	bar_wr(t + 0xFF0, 4, 0x1234);
	cr_assert_eq(bar_rd(t + 16 * VIRTIO_PCI_MSIX_VECTORS, 4), 0);
	cr_assert_eq(host_log_count(), 1, "one warning");
	cr_assert(host_log_contains("beyond entry"));
	/* Byte accesses to the table are not allowed. */
	cr_assert_eq(bar_rd(t, 1), 0xFF);
}

Test(virtio_pci, queue_enable_before_features_ok)
{
	c_wr(C_STATUS, 1, S_ACK | S_DRIVER);
	setup_queue(0, 16, NO_VECTOR);
	cr_assert_eq(c_rd(C_QENABLE, 2), 0);
	cr_assert(c_rd(C_STATUS, 1) & S_NEEDS_RESET);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains(
			"[t] virtio-dummy: queue 0 enabled before FEATURES_OK; device needs reset"));
	cr_assert_not(irq.level[INTX_LINE], "no config interrupt before DRIVER_OK");
	/* Reset recovers. */
	c_wr(C_STATUS, 1, 0);
	cr_assert_eq(c_rd(C_STATUS, 1), 0);
	cr_assert_eq(dev.resets, 1);
	bring_up(0, NO_VECTOR);
}

Test(virtio_pci, bad_queue_size)
{
	cr_assert(negotiate(BIT(32)));
	c_wr(C_QSELECT, 2, 1);
	c_wr(C_QSIZE, 2, QMAX * 2);
	cr_assert_eq(c_rd(C_QSIZE, 2), QMAX, "too large: ignored");
	cr_assert(host_log_contains("above the maximum"));
	cr_assert_not(c_rd(C_STATUS, 1) & S_NEEDS_RESET);
	c_wr(C_QSIZE, 2, 32);
	cr_assert_eq(c_rd(C_QSIZE, 2), 32, "a driver may reduce");
	c_wr(C_QSIZE, 2, 24);
	cr_assert(c_rd(C_STATUS, 1) & S_NEEDS_RESET);
	cr_assert(host_log_contains("size 24 is not a power of two; device needs reset"));
}

Test(virtio_pci, misaligned_ring)
{
	cr_assert(negotiate(BIT(32)));
	c_wr(C_QSELECT, 2, 0);
	c_wr(C_QDESC, 4, (uint32_t)DESC(0) + 8);
	c_wr(C_QAVAIL, 4, (uint32_t)AVAIL(0));
	c_wr(C_QUSED, 4, (uint32_t)USED(0));
	c_wr(C_QENABLE, 2, 1);
	cr_assert_eq(c_rd(C_QENABLE, 2), 0);
	cr_assert(c_rd(C_STATUS, 1) & S_NEEDS_RESET);
	cr_assert(host_log_contains("ring misaligned or outside guest RAM; device needs reset"));
	cr_assert_null(virtio_pci_queue(&dev.vp, 0));
	/* Already needing reset: a second violation logs nothing more. */
	unsigned int n = host_log_count();
	c_wr(C_QSIZE, 2, 3);
	cr_assert_eq(host_log_count(), n);
}

Test(virtio_pci, ring_outside_ram)
{
	cr_assert(negotiate(BIT(32)));
	c_wr(C_QSELECT, 2, 0);
	c_wr(C_QDESC, 4, 0);
	c_wr(C_QDESC + 4, 4, 0x10);
	c_wr(C_QENABLE, 2, 1);
	cr_assert(c_rd(C_STATUS, 1) & S_NEEDS_RESET);
}

Test(virtio_pci, driver_ok_without_features_ok)
{
	c_wr(C_STATUS, 1, S_ACK | S_DRIVER | S_DRIVER_OK);
	cr_assert(c_rd(C_STATUS, 1) & S_NEEDS_RESET);
	cr_assert_not(virtio_pci_running(&dev.vp));
	cr_assert_eq(dev.activations, 0);
	cr_assert(irq.level[INTX_LINE], "DRIVER_OK was set: config interrupt");
	cr_assert_eq(bar_rd(caps.isr, 1), 2);
}

Test(virtio_pci, needs_reset_from_model_raises_config_interrupt)
{
	msix_program(0, MSI_ADDR(0), 0x40, false);
	msix_enable(true, false);
	bring_up(0, NO_VECTOR);
	c_wr(C_MSIX, 2, 0);
	/* A descriptor index beyond the queue: the model reports it. */
	uint16_t bad = 99;
	memcpy(at(AVAIL(0) + 4), &bad, 2);
	avail_idx[0] = 1;
	memcpy(at(AVAIL(0) + 2), &avail_idx[0], 2);
	notify(0);
	virtio_pci_service(&dev.vp);
	cr_assert(c_rd(C_STATUS, 1) & S_NEEDS_RESET);
	cr_assert_eq(nr_msis, 1);
	cr_assert_eq(msis[0].addr, MSI_ADDR(0));
	cr_assert(host_log_contains("descriptor index out of range; device needs reset"));
	/* No more processing until reset. */
	add_buffer(1, 0);
	notify(1);
	virtio_pci_service(&dev.vp);
	cr_assert_eq(dev.processed[1], 0);
	c_wr(C_STATUS, 1, 0);
	cr_assert_eq(dev.vp.pending, 0);
	cr_assert_null(virtio_pci_queue(&dev.vp, 1));
}

Test(virtio_pci, wrong_size_and_alignment)
{
	cr_assert_eq(bar_rd(caps.common + C_STATUS, 4), 0xFFFFFFFF, "4-byte read of a byte field");
	cr_assert_eq(bar_rd(caps.common + C_DF, 2), 0xFFFF);
	cr_assert_eq(bar_rd(caps.common + 1, 1), 0xFF, "inside a dword field");
	cr_assert_eq(bar_rd(caps.common + 2, 4), 0xFFFFFFFF, "unaligned");
	cr_assert_eq(bar_rd(caps.common + C_QDESC, 8), ~0ULL, "64-bit fields take two halves");
	cr_assert_eq(bar_rd(caps.isr, 4), 0xFFFFFFFF);
	cr_assert_eq(bar_rd(caps.common, 3), 0xFFFFFF);
	c_wr(C_STATUS, 2, S_ACK);
	cr_assert_eq(c_rd(C_STATUS, 1), 0, "2-byte status write ignored");
	bar_wr(VIRTIO_PCI_BAR_SIZE - 2, 4, 0);
	bar_wr(VIRTIO_PCI_BAR_SIZE, 1, 0);
	cr_assert_eq(host_log_count(), 1, "one warning for the whole lot");
	cr_assert(host_log_contains("wrong size or alignment"));
	/* Holes read as zero. */
	cr_assert_eq(bar_rd(caps.common + 0x40, 4), 0);
	cr_assert_eq(bar_rd(0x7000, 4), 0);
}

Test(virtio_pci, notify_for_missing_queue)
{
	bring_up(0, NO_VECTOR);
	bar_wr(caps.notify + 99 * caps.mult, 2, 99);
	bar_wr(caps.notify + 98 * caps.mult, 2, 98);
	cr_assert_eq(kicks, 0);
	cr_assert_eq(dev.vp.pending, 0);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("no queue 99"));
	/* The value written is ignored; the address names the queue. */
	bar_wr(caps.notify + 1 * caps.mult, 2, 0x1234);
	cr_assert_eq(dev.vp.pending, 2);
	cr_assert_eq(kicks, 1);
}

Test(virtio_pci, notify_before_driver_ok_is_kept)
{
	cr_assert(negotiate(BIT(32)));
	setup_queue(0, 16, NO_VECTOR);
	add_buffer(0, 0);
	notify(0);
	cr_assert_eq(kicks, 0, "not running yet");
	virtio_pci_service(&dev.vp);
	cr_assert_eq(dev.processed[0], 0);
	c_wr(C_STATUS, 1, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	cr_assert_eq(kicks, 1, "kicked at DRIVER_OK");
	virtio_pci_service(&dev.vp);
	cr_assert_eq(dev.processed[0], 1);
	cr_assert_eq(used_idx(0), 1);
}

Test(virtio_pci, queue_registers_frozen_while_enabled)
{
	bring_up(0, NO_VECTOR);
	c_wr(C_QSELECT, 2, 0);
	c_wr(C_QSIZE, 2, 8);
	c_wr(C_QDESC, 4, 0x1000);
	c_wr(C_QENABLE, 2, 0);
	cr_assert_eq(c_rd(C_QSIZE, 2), 16);
	cr_assert_eq(c_rd(C_QDESC, 4), (uint32_t)DESC(0));
	cr_assert_eq(c_rd(C_QENABLE, 2), 1);
	cr_assert_eq(dev.vp.vq[0].size, 16);
	cr_assert(host_log_contains("while the queue is enabled"));
	cr_assert(host_log_contains("0 written to queue_enable"));
	/* A queue that does not exist: size 0, writes go nowhere. */
	c_wr(C_QSELECT, 2, NR_QUEUES);
	cr_assert_eq(c_rd(C_QSIZE, 2), 0);
	c_wr(C_QENABLE, 2, 1);
	cr_assert_eq(c_rd(C_QENABLE, 2), 0);
	cr_assert_not(c_rd(C_STATUS, 1) & S_NEEDS_RESET);
}

Test(virtio_pci, status_bits_cannot_be_cleared_except_by_reset)
{
	cr_assert(negotiate(BIT(32)));
	c_wr(C_STATUS, 1, S_ACK);
	cr_assert_eq(c_rd(C_STATUS, 1), S_ACK | S_DRIVER | S_FEATURES_OK);
	c_wr(C_STATUS, 1, S_ACK | S_DRIVER | S_FEATURES_OK | S_NEEDS_RESET);
	cr_assert_not(c_rd(C_STATUS, 1) & S_NEEDS_RESET, "driver cannot set NEEDS_RESET");
	c_wr(C_STATUS, 1, 0);
	cr_assert_eq(c_rd(C_STATUS, 1), 0);
	cr_assert_eq(dev.vp.negotiated, 0);
}

Test(virtio_pci, device_reset_clears_queues_and_interrupt)
{
	bring_up(0, NO_VECTOR);
	add_buffer(0, 0);
	notify(0);
	virtio_pci_service(&dev.vp);
	cr_assert(irq.level[INTX_LINE]);
	dev.resets = 0;
	c_wr(C_STATUS, 1, 0);
	cr_assert_not(irq.level[INTX_LINE]);
	cr_assert_eq(bar_rd(caps.isr, 1), 0);
	c_wr(C_QSELECT, 2, 0);
	cr_assert_eq(c_rd(C_QENABLE, 2), 0);
	cr_assert_eq(c_rd(C_QSIZE, 2), QMAX);
	cr_assert_eq(c_rd(C_QMSIX, 2), NO_VECTOR);
	cr_assert_eq(c_rd(C_MSIX, 2), NO_VECTOR);
	cr_assert_eq(dev.resets, 1);
	/* A power-on reset also drops MSI-X state. */
	msix_enable(true, false);
	virtio_pci_reset(&dev.vp);
	cr_assert_eq(cfg_rd(caps.msix + 2, 2) & 0xC000, 0);
	cr_assert_eq(dev.resets, 2);
}

Test(virtio_pci, device_config_space)
{
	cr_assert_eq(bar_rd(caps.device, 4), 0x44332211);
	cr_assert_eq(bar_rd(caps.device + 6, 2), 0x8877);
	cr_assert_eq(bar_rd(caps.device + 7, 1), 0x88);
	cr_assert_eq(bar_rd(caps.device + 8, 4), 0, "beyond config_size");
	bar_wr(caps.device + 4, 4, 0xCAFE);
	cr_assert_eq(dev.last_config_write, 0xCAFE);
	bar_wr(caps.device + 8, 4, 0xBEEF);
	cr_assert_eq(dev.last_config_write, 0xCAFE);
}

Test(virtio_pci, pci_cfg_window)
{
	unsigned int cap = find_vendor_cap(CAP_PCI);
	cr_assert(cap);
	cfg_wr(cap + 4, 1, 0);
	cfg_wr(cap + 8, 4, caps.common + C_STATUS);
	cfg_wr(cap + 12, 4, 1);
	cfg_wr(cap + 16, 1, S_ACK);
	cr_assert_eq(c_rd(C_STATUS, 1), S_ACK);
	cr_assert_eq(cfg_rd(cap + 16, 1), S_ACK);
	cfg_wr(cap + 8, 4, caps.common + C_NUMQ);
	cfg_wr(cap + 12, 4, 2);
	cr_assert_eq(cfg_rd(cap + 16, 4) & 0xFFFF, NR_QUEUES);
	/* Reading ISR through the window clears it as well. */
	bring_up(0, NO_VECTOR);
	add_buffer(0, 0);
	notify(0);
	virtio_pci_service(&dev.vp);
	cfg_wr(cap + 8, 4, caps.isr);
	cfg_wr(cap + 12, 4, 1);
	cr_assert_eq(cfg_rd(cap + 16, 1), 1);
	cr_assert_not(irq.level[INTX_LINE]);
	/* Invalid lengths / BARs are refused with one warning. */
	host_log_reset();
	cfg_wr(cap + 12, 4, 3);
	cr_assert_eq(cfg_rd(cap + 16, 4), 0);
	cfg_wr(cap + 4, 1, 2);
	cfg_wr(cap + 12, 4, 4);
	cfg_wr(cap + 16, 4, 0);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("PCI_CFG window"));
}

Test(virtio_pci, event_idx_suppresses_interrupts)
{
	bring_up(BIT(29), NO_VECTOR);
	add_buffer(0, 0);
	notify(0);
	virtio_pci_service(&dev.vp);
	cr_assert_eq(bar_rd(caps.isr, 1), 1, "first completion signals");
	/* used_event = 5: no interrupt until used passes 5. */
	uint16_t ue = 5;
	memcpy(at(AVAIL(0) + 4 + 2 * 16), &ue, 2);
	add_buffer(0, 1);
	notify(0);
	virtio_pci_service(&dev.vp);
	cr_assert_eq(used_idx(0), 2);
	cr_assert_eq(bar_rd(caps.isr, 1), 0);
	cr_assert_not(irq.level[INTX_LINE]);
	for (uint16_t h = 2; h < 6; h++)
		add_buffer(0, h);
	notify(0);
	virtio_pci_service(&dev.vp);
	cr_assert_eq(used_idx(0), 6);
	cr_assert_eq(bar_rd(caps.isr, 1), 1);
}

Test(virtio_pci, init_refuses_bad_ops)
{
	struct virtio_device_ops bad = dummy_ops;
	struct virtio_pci_config base = { .owner = "t", .ops = &bad, .dev = &dev, .mem = &mem };
	static struct virtio_pci vp2;

	bad.queue_max_size = 48;
	cr_assert_not(virtio_pci_init(&vp2, &base));
	bad = dummy_ops;
	bad.nr_queues = VIRTIO_PCI_MAX_QUEUES + 1;
	cr_assert_not(virtio_pci_init(&vp2, &base));
	bad = dummy_ops;
	bad.config_size = VIRTIO_PCI_DEVICE_MAX + 1;
	cr_assert_not(virtio_pci_init(&vp2, &base));
	bad = dummy_ops;
	bad.process = NULL;
	cr_assert_not(virtio_pci_init(&vp2, &base));
	bad = dummy_ops;
	bad.config_size = 0;
	cr_assert(virtio_pci_init(&vp2, &base));
	/* No configuration space: no DEVICE_CFG capability. */
	unsigned int pos = pci_dev_find_capability(&vp2.pci, CAP_VNDR, 0);
	for (; pos; pos = pci_dev_find_capability(&vp2.pci, CAP_VNDR, pos))
		cr_assert_neq(pci_dev_store_read(&vp2.pci, pos + 3, 1), CAP_DEVICE);
}

/* The platform routes notify writes to virtio_pci_notify_write without the
 * device lock: it must behave as a BAR write there and touch nothing
 * outside the notify region. */
Test(virtio_pci, notify_fast_path_matches_bar_write)
{
	bring_up(0, NO_VECTOR);
	uint64_t off = VIRTIO_PCI_NOTIFY_OFF + 1 * caps.mult;
	cr_assert_eq(caps.notify, VIRTIO_PCI_NOTIFY_OFF);
	cr_assert(virtio_pci_is_notify(off));
	cr_assert_not(virtio_pci_is_notify(VIRTIO_PCI_COMMON_OFF));
	cr_assert_not(virtio_pci_is_notify(VIRTIO_PCI_MSIX_TABLE_OFF));
	cr_assert_not(virtio_pci_is_notify(VIRTIO_PCI_NOTIFY_OFF - 1));
	virtio_pci_notify_write(&dev.vp, off, 2);
	cr_assert_eq(dev.vp.pending, 2);
	cr_assert_eq(kicks, 1);
	cr_assert_eq(dev.vp.notifies, 1);
	/* Outside the region it does nothing, not even a warning. */
	uint8_t status = dev.vp.status;
	virtio_pci_notify_write(&dev.vp, VIRTIO_PCI_COMMON_OFF + 0x14, 1);
	cr_assert_eq(dev.vp.status, status);
	cr_assert_eq(kicks, 1);
	/* A misaligned notify is refused with the same warning as a BAR write. */
	virtio_pci_notify_write(&dev.vp, off + 1, 2);
	cr_assert_eq(kicks, 1);
	cr_assert(host_log_contains("wrong size or alignment"));
}
