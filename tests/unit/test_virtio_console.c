/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio console, single port: transmit to the output callback, input
 * ring delivered into receive buffers, size changes, hostile chains. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/virtio_console.h"
#include "tests/unit/support/host_log.h"
#include "tests/unit/support/vdev_fakes.h"
#include "tests/unit/support/virtio_driver.h"

#define RAM_GPA 0x100000ULL
#define RAM_SIZE 0x80000ULL
#define INTX_LINE 6
#define RXQ 0
#define TXQ 1

static struct virtio_console con;
static struct vdrv drv;
static struct gmem mem;
static uint8_t *ram;
static struct irq_recorder irq;
static unsigned int kicks;
static uint8_t out[1 << 18];
static size_t out_len;
static unsigned int out_calls;

static void on_output(void *ctx, const uint8_t *buf, size_t len)
{
	cr_assert_eq(ctx, &out);
	cr_assert_leq(out_len + len, sizeof(out));
	memcpy(out + out_len, buf, len);
	out_len += len;
	out_calls++;
}

static void on_kick(void *ctx, struct virtio_pci *vp)
{
	kicks++;
}

static struct virtio_pci_config base_config(void)
{
	return (struct virtio_pci_config){
		.owner = "t",
		.mem = &mem,
		.intx = &irq.sink,
		.intx_line = INTX_LINE,
		.kick = on_kick,
	};
}

static void setup(void)
{
	struct virtio_pci_config base = base_config();

	ram = aligned_alloc(4096, RAM_SIZE);
	cr_assert(ram);
	memset(&mem, 0, sizeof(mem));
	cr_assert(gmem_add_region(&mem, RAM_GPA, RAM_SIZE, ram));
	recorder_init(&irq);
	kicks = 0;
	out_len = 0;
	out_calls = 0;
	host_log_reset();
	cr_assert(virtio_console_init(&con, &base, on_output, &out, 80, 25));
	cr_assert(vdrv_init(&drv, &con.vp, ram, RAM_GPA, RAM_SIZE));
}

static void teardown(void)
{
	free(ram);
}

TestSuite(virtio_console, .init = setup, .fini = teardown);

static void up(void)
{
	cr_assert(vdrv_bring_up(&drv, BIT(VIRTIO_CONSOLE_F_SIZE), 2, 16));
}

static uint16_t add_rx(uint32_t len, struct vdrv_seg *seg)
{
	*seg = (struct vdrv_seg){ .len = len, .write = true };
	return vdrv_add(&drv, RXQ, seg, 1);
}

Test(virtio_console, identity_and_config)
{
	cr_assert_eq(pci_dev_config_read(&con.vp.pci, PCI_DEVICE_ID, 2), 0x1043);
	cr_assert_eq(pci_dev_config_read(&con.vp.pci, PCI_REVISION_ID, 4) >> 8, 0x078000);
	uint64_t f = vdrv_device_features(&drv);
	cr_assert(f & BIT(VIRTIO_CONSOLE_F_SIZE));
	cr_assert_not(f & BIT(VIRTIO_CONSOLE_F_MULTIPORT));
	cr_assert_not(f & BIT(VIRTIO_CONSOLE_F_EMERG_WRITE));
	cr_assert_eq(vdrv_bar_read(&drv, drv.device + 0, 2), 80);
	cr_assert_eq(vdrv_bar_read(&drv, drv.device + 2, 2), 25);
	cr_assert_eq(vdrv_bar_read(&drv, drv.device + 0, 4), 25u << 16 | 80);
	cr_assert_eq(vdrv_bar_read(&drv, drv.device + 4, 4), 1);
	cr_assert_eq(vdrv_bar_read(&drv, drv.device + 8, 4), 0, "no emerg_wr");
	vdrv_bar_write(&drv, drv.device + 0, 2, 1);
	cr_assert_eq(vdrv_bar_read(&drv, drv.device + 0, 2), 80, "read-only");
}

Test(virtio_console, no_size_feature_without_a_size)
{
	static struct virtio_console c2;
	struct virtio_pci_config base = base_config();
	cr_assert(virtio_console_init(&c2, &base, on_output, &out, 0, 0));
	cr_assert(vdrv_init(&drv, &c2.vp, ram, RAM_GPA, RAM_SIZE));
	cr_assert_not(vdrv_device_features(&drv) & BIT(VIRTIO_CONSOLE_F_SIZE));
	uint8_t gen = vdrv_common_read(&drv, VDRV_COMMON_CFGGEN, 1);
	virtio_console_set_size(&c2, 100, 40);
	cr_assert_eq(vdrv_common_read(&drv, VDRV_COMMON_CFGGEN, 1), gen);
	cr_assert_eq(vdrv_bar_read(&drv, drv.device, 2), 0);
	cr_assert_not(virtio_console_init(&c2, &base, NULL, NULL, 0, 0));
}

Test(virtio_console, transmit_goes_to_output)
{
	struct vdrv_seg segs[2] = { { .data = "hello ", .len = 6 }, { .data = "world", .len = 5 } };
	uint32_t id, len;

	up();
	uint16_t head = vdrv_add(&drv, TXQ, segs, 2);
	vdrv_kick(&drv, TXQ);
	cr_assert_eq(kicks, 1);
	cr_assert_eq(out_len, 0, "nothing in the exit path");
	virtio_pci_service(&con.vp);
	cr_assert_eq(out_len, 11);
	cr_assert_eq(memcmp(out, "hello world", 11), 0);
	cr_assert(vdrv_get_used(&drv, TXQ, &id, &len));
	cr_assert_eq(id, head);
	cr_assert_eq(len, 0);
	cr_assert(irq.level[INTX_LINE]);
	cr_assert_eq(con.tx_bytes, 11);
}

Test(virtio_console, input_before_buffers_waits)
{
	struct vdrv_seg seg;
	uint32_t id, len;

	up();
	cr_assert_eq(virtio_console_input(&con, (const uint8_t *)"abc", 3), 3);
	cr_assert_eq(kicks, 1);
	virtio_pci_service(&con.vp);
	cr_assert_eq(virtio_console_input_pending(&con), 3, "no receive buffer yet");
	cr_assert_not(vdrv_get_used(&drv, RXQ, &id, &len));
	uint16_t head = add_rx(8, &seg);
	vdrv_kick(&drv, RXQ);
	virtio_pci_service(&con.vp);
	cr_assert(vdrv_get_used(&drv, RXQ, &id, &len));
	cr_assert_eq(id, head);
	cr_assert_eq(len, 3);
	cr_assert_eq(memcmp(vdrv_host(&drv, seg.gpa), "abc", 3), 0);
	cr_assert_eq(virtio_console_input_pending(&con), 0);
}

Test(virtio_console, input_with_buffers_posted)
{
	struct vdrv_seg a, b, c;
	uint32_t id, len;

	up();
	add_rx(4, &a);
	add_rx(4, &b);
	vdrv_kick(&drv, RXQ);
	virtio_pci_service(&con.vp);
	cr_assert_not(vdrv_get_used(&drv, RXQ, &id, &len), "no input: buffers stay");
	cr_assert_eq(virtio_console_input(&con, (const uint8_t *)"0123456789", 10), 10);
	virtio_pci_service(&con.vp);
	cr_assert(vdrv_get_used(&drv, RXQ, &id, &len));
	cr_assert_eq(len, 4);
	cr_assert(vdrv_get_used(&drv, RXQ, &id, &len));
	cr_assert_eq(len, 4);
	cr_assert_eq(memcmp(vdrv_host(&drv, b.gpa), "4567", 4), 0);
	cr_assert_not(vdrv_get_used(&drv, RXQ, &id, &len));
	cr_assert_eq(virtio_console_input_pending(&con), 2);
	add_rx(16, &c);
	vdrv_kick(&drv, RXQ);
	virtio_pci_service(&con.vp);
	cr_assert(vdrv_get_used(&drv, RXQ, &id, &len));
	cr_assert_eq(len, 2);
	cr_assert_eq(memcmp(vdrv_host(&drv, c.gpa), "89", 2), 0);
	cr_assert_eq(con.rx_bytes, 10);
}

Test(virtio_console, input_around_driver_setup)
{
	struct vdrv_seg seg;
	uint32_t id, len;

	cr_assert_eq(virtio_console_input(&con, (const uint8_t *)"early", 5), 5);
	cr_assert_eq(kicks, 0, "no queue yet");
	cr_assert(vdrv_negotiate(&drv, BIT(32)));
	/* vdrv_negotiate reset the device, which drops queued input. */
	cr_assert_eq(virtio_console_input_pending(&con), 0);
	cr_assert(vdrv_setup_queue(&drv, RXQ, 16, VIRTIO_MSI_NO_VECTOR));
	cr_assert(vdrv_setup_queue(&drv, TXQ, 16, VIRTIO_MSI_NO_VECTOR));
	cr_assert_eq(virtio_console_input(&con, (const uint8_t *)"later", 5), 5);
	add_rx(16, &seg);
	vdrv_kick(&drv, RXQ);
	cr_assert_eq(kicks, 0, "not running before DRIVER_OK");
	vdrv_common_write(&drv, VDRV_COMMON_STATUS, 1, 0x0F);
	cr_assert_eq(kicks, 1, "kicked at DRIVER_OK");
	virtio_pci_service(&con.vp);
	cr_assert(vdrv_get_used(&drv, RXQ, &id, &len));
	cr_assert_eq(len, 5);
	cr_assert_eq(memcmp(vdrv_host(&drv, seg.gpa), "later", 5), 0);
}

Test(virtio_console, input_ring_full)
{
	static uint8_t big[VIRTIO_CONSOLE_RX_RING + 100];
	memset(big, 'x', sizeof(big));
	cr_assert_eq(virtio_console_input(&con, big, sizeof(big)), VIRTIO_CONSOLE_RX_RING);
	cr_assert_eq(virtio_console_input(&con, big, 1), 0);
	cr_assert_eq(con.input_refused, 101);
	cr_assert_eq(virtio_console_input_pending(&con), VIRTIO_CONSOLE_RX_RING);
}

Test(virtio_console, ring_wraps)
{
	struct vdrv_seg seg;
	uint32_t id, len;
	uint8_t chunk[1000];

	up();
	for (int round = 0; round < 12; round++) {
		memset(chunk, 'a' + round, sizeof(chunk));
		cr_assert_eq(virtio_console_input(&con, chunk, sizeof(chunk)), sizeof(chunk));
		add_rx(sizeof(chunk), &seg);
		vdrv_kick(&drv, RXQ);
		virtio_pci_service(&con.vp);
		cr_assert(vdrv_get_used(&drv, RXQ, &id, &len));
		cr_assert_eq(len, sizeof(chunk));
		cr_assert_eq(memcmp(vdrv_host(&drv, seg.gpa), chunk, sizeof(chunk)), 0);
	}
}

Test(virtio_console, wrong_direction_buffers)
{
	struct vdrv_seg rx = { .data = "ro", .len = 2 };
	struct vdrv_seg tx[2] = { { .data = "ok", .len = 2 }, { .len = 4, .write = true } };
	uint32_t id, len;

	up();
	virtio_console_input(&con, (const uint8_t *)"zz", 2);
	vdrv_add(&drv, RXQ, &rx, 1);
	vdrv_kick(&drv, RXQ);
	virtio_pci_service(&con.vp);
	cr_assert(vdrv_get_used(&drv, RXQ, &id, &len));
	cr_assert_eq(len, 0);
	cr_assert_eq(memcmp(vdrv_host(&drv, rx.gpa), "ro", 2), 0);
	vdrv_add(&drv, TXQ, tx, 2);
	vdrv_kick(&drv, TXQ);
	virtio_pci_service(&con.vp);
	cr_assert_eq(out_len, 2);
	cr_assert(vdrv_get_used(&drv, TXQ, &id, &len));
	cr_assert_eq(len, 0);
	cr_assert_eq(host_log_count(), 1, "one warning");
	cr_assert(virtio_pci_running(&con.vp));
}

Test(virtio_console, transmit_budget)
{
	static uint8_t blob[8192];
	struct vdrv_seg seg = { .data = blob, .len = sizeof(blob) };
	uint32_t id, len;
	const unsigned int nr = VIRTIO_CONSOLE_TX_BUDGET / sizeof(blob) + 2;

	up();
	for (unsigned int i = 0; i < nr; i++)
		vdrv_add(&drv, TXQ, &seg, 1);
	vdrv_kick(&drv, TXQ);
	virtio_pci_service(&con.vp);
	cr_assert_eq(out_len, VIRTIO_CONSOLE_TX_BUDGET);
	cr_assert_eq(con.vp.pending, 1u << TXQ, "requeued");
	virtio_pci_service(&con.vp);
	cr_assert_eq(out_len, nr * sizeof(blob));
	unsigned int n = 0;
	while (vdrv_get_used(&drv, TXQ, &id, &len))
		n++;
	cr_assert_eq(n, nr);
}

Test(virtio_console, set_size_notifies)
{
	up();
	uint8_t gen = vdrv_common_read(&drv, VDRV_COMMON_CFGGEN, 1);
	virtio_console_set_size(&con, 132, 43);
	cr_assert_eq(vdrv_common_read(&drv, VDRV_COMMON_CFGGEN, 1), (uint8_t)(gen + 1));
	cr_assert_eq(vdrv_bar_read(&drv, drv.device, 4), 43u << 16 | 132);
	cr_assert_eq(vdrv_read_isr(&drv), 2);
	virtio_console_set_size(&con, 132, 43);
	cr_assert_eq(vdrv_common_read(&drv, VDRV_COMMON_CFGGEN, 1), (uint8_t)(gen + 1),
		     "unchanged: no event");
}

Test(virtio_console, malformed_transmit_chain_needs_reset)
{
	struct vdrv_seg seg = { .data = "x", .len = 1 };

	up();
	vdrv_add(&drv, TXQ, &seg, 1);
	/* Point the descriptor outside guest RAM. */
	uint64_t bad = 0x10;
	memcpy(vdrv_host(&drv, drv.q[TXQ].base), &bad, 8);
	vdrv_kick(&drv, TXQ);
	virtio_pci_service(&con.vp);
	cr_assert(con.vp.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	cr_assert(host_log_contains(
			"[t] virtio-console: transmitq: buffer outside guest RAM or empty; device needs reset"));
	cr_assert_eq(out_len, 0);
}

/* One readable chain longer than the budget (atk-vcons): only the first
 * VIRTIO_CONSOLE_TX_BUDGET bytes are printed, the rest counted; the chain
 * is returned and the device keeps running. */
Test(virtio_console, long_chain_capped)
{
	static uint8_t blob[VIRTIO_CONSOLE_TX_BUDGET + 4096];
	struct vdrv_seg seg = { .data = blob, .len = sizeof(blob) };
	uint32_t id, len;

	up();
	memset(blob, 'a', sizeof(blob));
	uint16_t head = vdrv_add(&drv, TXQ, &seg, 1);
	vdrv_kick(&drv, TXQ);
	virtio_pci_service(&con.vp);
	cr_assert_eq(out_len, VIRTIO_CONSOLE_TX_BUDGET);
	cr_assert_eq(con.tx_discarded, 4096);
	cr_assert(vdrv_get_used(&drv, TXQ, &id, &len));
	cr_assert_eq(id, head);
	cr_assert_eq(len, 0);
	cr_assert(virtio_pci_running(&con.vp));
	cr_assert(host_log_contains("[t] virtio-console: transmitq chain of 69632 bytes; only the first "
				    "65536 printed"));
	vdrv_add(&drv, TXQ, &seg, 1);
	vdrv_kick(&drv, TXQ);
	virtio_pci_service(&con.vp);
	cr_assert_eq(con.tx_discarded, 8192);
	cr_assert_eq(host_log_count(), 1, "warned once");
}
