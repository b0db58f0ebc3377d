/* SPDX-License-Identifier: BSD-2-Clause */
/* PCI host bridge (configuration mechanism #1) and the generic type-0
 * configuration space: decoding, absent functions, read-only fields, BAR
 * sizing and mapping callbacks, capability chains, config hooks, INTx,
 * the 0xCF9 byte forward, and hostile accesses. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/iobus.h"
#include "drivers/vdev/pci_host.h"
#include "drivers/vdev/sys_ports.h"
#include "tests/unit/support/host_log.h"
#include "tests/unit/support/vdev_fakes.h"

#define SLOT 3
#define MAX_EVENTS 32

struct bar_event {
	unsigned int bar;
	struct pci_bar_mapping old, now;
};

static struct pci_host host;
static struct pci_dev dev;
static struct sys_ports sp;
static struct reset_counter rst;
static struct irq_recorder irq;
static struct iobus bus;
static struct bar_event events[MAX_EVENTS];
static unsigned int nr_events;

static void on_bar_changed(void *ctx, struct pci_dev *d, unsigned int bar,
			   struct pci_bar_mapping old, struct pci_bar_mapping now)
{
	cr_assert_eq(ctx, &events);
	cr_assert_eq(d, &dev);
	if (nr_events < MAX_EVENTS)
		events[nr_events] = (struct bar_event){ bar, old, now };
	nr_events++;
}

static void setup(void)
{
	static const struct pci_dev_info info = {
		.vendor_id = 0x1AF4,
		.device_id = 0x1041,
		.subsystem_vendor_id = 0x1AF4,
		.subsystem_id = 0x0001,
		.class_code = 0x020000,
		.revision = 1,
	};
	struct pci_host_forward cf9 = { sys_ports_cf9_read, sys_ports_cf9_write, &sp };

	memset(&bus, 0, sizeof(bus));
	nr_events = 0;
	reset_counter_init(&rst);
	recorder_init(&irq);
	sys_ports_init(&sp, "t", &rst.sink);
	pci_host_init(&host, "t", &cf9);
	cr_assert(pci_host_attach(&host, &bus));
	pci_dev_init(&dev, "t", "nic", &info);
	pci_dev_set_bar_callback(&dev, on_bar_changed, &events);
	host_log_reset();
}

static void out(uint16_t port, unsigned int size, uint32_t v)
{
	uint64_t val = v;
	cr_assert_eq(iobus_pio(&bus, port, size, true, &val), IOBUS_OK);
}

static uint32_t in(uint16_t port, unsigned int size)
{
	uint64_t val = 0xDEADBEEF;
	cr_assert_eq(iobus_pio(&bus, port, size, false, &val), IOBUS_OK);
	cr_assert_leq(val, size == 4 ? 0xFFFFFFFFULL : (1ULL << (8 * size)) - 1);
	return (uint32_t)val;
}

static uint32_t cfg_address(unsigned int b, unsigned int d, unsigned int f, unsigned int reg)
{
	return 0x80000000u | b << 16 | d << 11 | f << 8 | (reg & 0xFC);
}

/* A guest config access through 0xCF8/0xCFC, the way Linux makes it. */
static uint32_t cfg_read(unsigned int d, unsigned int reg, unsigned int size)
{
	out(0xCF8, 4, cfg_address(0, d, 0, reg));
	return in((uint16_t)(0xCFC + (reg & 3)), size);
}

static void cfg_write(unsigned int d, unsigned int reg, unsigned int size, uint32_t v)
{
	out(0xCF8, 4, cfg_address(0, d, 0, reg));
	out((uint16_t)(0xCFC + (reg & 3)), size, v);
}

static void plug(void)
{
	cr_assert(pci_host_add_device(&host, SLOT, &dev));
}

TestSuite(pci, .init = setup);

Test(pci, host_bridge_identity_through_mechanism_1)
{
	cr_assert_eq(cfg_read(0, PCI_VENDOR_ID, 4), 0x00081B36u);
	cr_assert_eq(cfg_read(0, PCI_REVISION_ID, 4), 0x06000000u);
	cr_assert_eq(cfg_read(0, PCI_HEADER_TYPE, 1), 0);
	for (unsigned int bar = 0; bar < PCI_NR_BARS; bar++) {
		cfg_write(0, PCI_BASE_ADDRESS_0 + 4 * bar, 4, 0xFFFFFFFFu);
		cr_assert_eq(cfg_read(0, PCI_BASE_ADDRESS_0 + 4 * bar, 4), 0, "no BARs");
	}
	cr_assert_eq(cfg_read(0, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, 0);
	cr_assert_eq(host_log_count(), 0);
}

Test(pci, config_address_reserved_bits_read_zero)
{
	out(0xCF8, 4, 0xFFFFFFFFu);
	cr_assert_eq(in(0xCF8, 4), 0x80FFFFFCu);
	out(0xCF8, 4, 0x12345678u);
	cr_assert_eq(in(0xCF8, 4), 0x00345678u);
}

/* arch/x86/pci/direct.c: pci_check_type1() and pci_sanity_check(). */
Test(pci, linux_type1_probe_sequence)
{
	out(0xCFB, 1, 0x01);
	uint32_t saved = in(0xCF8, 4);
	out(0xCF8, 4, 0x80000000u);
	cr_assert_eq(in(0xCF8, 4), 0x80000000u);
	out(0xCF8, 4, saved);
	cr_assert_eq(cfg_read(0, PCI_CLASS_DEVICE, 2), 0x0600);
	/* The type-2 probe must fail: bytes at 0xCF8/0xCFA are not registers. */
	out(0xCF8, 1, 0);
	out(0xCFA, 1, 0);
	cr_assert_eq(in(0xCF8, 1), 0xFF);
	cr_assert_eq(in(0xCFA, 1), 0xFF);
	cr_assert_eq(host_log_count(), 0);
	cr_assert_eq(rst.count, 0);
}

Test(pci, absent_devices_functions_and_buses_read_all_ones)
{
	plug();
	cr_assert_eq(cfg_read(5, PCI_VENDOR_ID, 4), 0xFFFFFFFFu);
	cr_assert_eq(cfg_read(31, PCI_VENDOR_ID, 2), 0xFFFF);
	cr_assert_eq(cfg_read(SLOT, PCI_VENDOR_ID, 4), 0x10411AF4u);
	out(0xCF8, 4, cfg_address(0, SLOT, 1, 0));
	cr_assert_eq(in(0xCFC, 4), 0xFFFFFFFFu);
	out(0xCF8, 4, cfg_address(1, SLOT, 0, 0));
	cr_assert_eq(in(0xCFC, 4), 0xFFFFFFFFu);
	cr_assert_eq(in(0xCFF, 1), 0xFF);
	/* Writes there do not land on 00:03.0. */
	out(0xCF8, 4, cfg_address(1, SLOT, 0, PCI_COMMAND));
	out(0xCFC, 2, PCI_COMMAND_MEMORY);
	out(0xCF8, 4, cfg_address(0, SLOT, 2, PCI_COMMAND));
	out(0xCFC, 2, PCI_COMMAND_MEMORY);
	cr_assert_eq(cfg_read(SLOT, PCI_COMMAND, 2), 0);
	cr_assert_eq(host_log_count(), 0);
}

Test(pci, enable_bit_clear_reads_all_ones_and_drops_writes)
{
	plug();
	out(0xCF8, 4, cfg_address(0, SLOT, 0, PCI_COMMAND) & ~PCI_CONFIG_ENABLE);
	cr_assert_eq(in(0xCFC, 4), 0xFFFFFFFFu);
	cr_assert_eq(in(0xCFE, 2), 0xFFFF);
	out(0xCFC, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	cr_assert_eq(cfg_read(SLOT, PCI_COMMAND, 2), 0);
}

Test(pci, byte_and_word_accesses_at_data_offsets)
{
	pci_dev_set_intx(&dev, PCI_INTERRUPT_PIN_INTA, &irq.sink, 11);
	plug();
	out(0xCF8, 4, cfg_address(0, SLOT, 0, PCI_VENDOR_ID));
	cr_assert_eq(in(0xCFC, 1), 0xF4);
	cr_assert_eq(in(0xCFD, 1), 0x1A);
	cr_assert_eq(in(0xCFE, 1), 0x41);
	cr_assert_eq(in(0xCFF, 1), 0x10);
	cr_assert_eq(in(0xCFE, 2), 0x1041);
	cr_assert_eq(in(0xCFD, 2), 0x411A); /* a word inside the dword */
	/* 0x3C line (writable), 0x3D pin (read-only), 0x3E/0x3F read-only. */
	out(0xCF8, 4, cfg_address(0, SLOT, 0, PCI_INTERRUPT_LINE));
	cr_assert_eq(in(0xCFC, 4), 0x0000010Bu);
	out(0xCFD, 1, 0x04);
	out(0xCFC, 1, 0x0A);
	cr_assert_eq(in(0xCFC, 4), 0x0000010Au);
	out(0xCFC, 4, 0xFFFFFFFFu);
	cr_assert_eq(in(0xCFC, 4), 0x000001FFu);
}

Test(pci, identification_fields_are_read_only)
{
	plug();
	static const unsigned int ro[] = { PCI_VENDOR_ID,   PCI_REVISION_ID,
					   PCI_CARDBUS_CIS, PCI_SUBSYSTEM_VENDOR_ID,
					   PCI_ROM_ADDRESS, PCI_CAPABILITY_LIST };
	uint32_t before[sizeof(ro) / sizeof(ro[0])];

	for (unsigned int i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
		before[i] = cfg_read(SLOT, ro[i], 4);
		cfg_write(SLOT, ro[i], 4, 0xFFFFFFFFu);
		cfg_write(SLOT, ro[i], 4, 0);
		cr_assert_eq(cfg_read(SLOT, ro[i], 4), before[i], "register %#x", ro[i]);
	}
	cr_assert_eq(cfg_read(SLOT, PCI_REVISION_ID, 4), 0x02000001u);
	cr_assert_eq(cfg_read(SLOT, PCI_SUBSYSTEM_VENDOR_ID, 4), 0x00011AF4u);
	/* Cache line size and latency timer are writable, header type and BIST not. */
	cfg_write(SLOT, PCI_CACHE_LINE_SIZE, 4, 0xFFFFFFFFu);
	cr_assert_eq(cfg_read(SLOT, PCI_CACHE_LINE_SIZE, 4), 0x0000FFFFu);
}

Test(pci, command_and_status_semantics)
{
	plug();
	cfg_write(SLOT, PCI_COMMAND, 2, 0xFFFF);
	cr_assert_eq(cfg_read(SLOT, PCI_COMMAND, 2), PCI_COMMAND_WRITABLE);
	/* The device records a received master abort; the guest clears it by
	 * writing 1, writing 0 keeps it, read-only bits ignore the write. */
	pci_dev_set_config(&dev, PCI_STATUS, 2,
			   PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_DETECTED_PARITY);
	cfg_write(SLOT, PCI_STATUS, 2, 0);
	cr_assert_eq(cfg_read(SLOT, PCI_STATUS, 2),
		     PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_DETECTED_PARITY);
	cfg_write(SLOT, PCI_STATUS, 2, PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_CAP_LIST);
	cr_assert_eq(cfg_read(SLOT, PCI_STATUS, 2), PCI_STATUS_DETECTED_PARITY);
	/* A dword write of the command register with status zeros clears nothing. */
	cfg_write(SLOT, PCI_COMMAND, 4, PCI_COMMAND_MASTER);
	cr_assert_eq(cfg_read(SLOT, PCI_COMMAND, 4),
		     PCI_STATUS_DETECTED_PARITY << 16 | PCI_COMMAND_MASTER);
}

Test(pci, mem32_bar_sizing)
{
	cr_assert(pci_dev_add_bar(&dev, 0, PCI_BAR_MEM32, 0x1000, false));
	cr_assert(pci_dev_add_bar(&dev, 1, PCI_BAR_MEM32, 0x100000, true));
	plug();
	cr_assert_eq(cfg_read(SLOT, 0x10, 4), 0);
	cfg_write(SLOT, 0x10, 4, 0xFFFFFFFFu);
	cr_assert_eq(cfg_read(SLOT, 0x10, 4), 0xFFFFF000u);
	cfg_write(SLOT, 0x14, 4, 0xFFFFFFFFu);
	cr_assert_eq(cfg_read(SLOT, 0x14, 4), 0xFFF00008u);
	cfg_write(SLOT, 0x10, 4, 0xC0001234u); /* low bits are not address bits */
	cr_assert_eq(cfg_read(SLOT, 0x10, 4), 0xC0001000u);
	cr_assert_eq(pci_dev_bar_mapping(&dev, 0).addr, 0xC0001000u);
}

Test(pci, mem64_bar_sizing)
{
	cr_assert(pci_dev_add_bar(&dev, 2, PCI_BAR_MEM64, 0x4000, true));
	cr_assert(pci_dev_add_bar(&dev, 4, PCI_BAR_MEM64, GiB(8), false));
	plug();
	cr_assert_eq(cfg_read(SLOT, 0x18, 4), 0x0000000Cu);
	cfg_write(SLOT, 0x18, 4, 0xFFFFFFFFu);
	cfg_write(SLOT, 0x1C, 4, 0xFFFFFFFFu);
	cr_assert_eq(cfg_read(SLOT, 0x18, 4), 0xFFFFC00Cu);
	cr_assert_eq(cfg_read(SLOT, 0x1C, 4), 0xFFFFFFFFu);
	/* 8 GiB: the size shows in the upper dword. */
	cfg_write(SLOT, 0x20, 4, 0xFFFFFFFFu);
	cfg_write(SLOT, 0x24, 4, 0xFFFFFFFFu);
	cr_assert_eq(cfg_read(SLOT, 0x20, 4), 0x00000004u);
	cr_assert_eq(cfg_read(SLOT, 0x24, 4), 0xFFFFFFFEu);
	cfg_write(SLOT, 0x20, 4, 0);
	cfg_write(SLOT, 0x24, 4, 0x4);
	cr_assert_eq(pci_dev_bar_mapping(&dev, 4).addr, GiB(16));
}

Test(pci, io_bar_sizing_and_16_bit_decode)
{
	cr_assert(pci_dev_add_bar(&dev, 5, PCI_BAR_IO, 32, false));
	plug();
	cr_assert_eq(cfg_read(SLOT, 0x24, 4), 0x1);
	cfg_write(SLOT, 0x24, 4, 0xFFFFFFFFu);
	cr_assert_eq(cfg_read(SLOT, 0x24, 4), 0x0000FFE1u);
	cfg_write(SLOT, 0x24, 4, 0x0000C040u);
	cr_assert_eq(pci_dev_bar_mapping(&dev, 5).addr, 0xC040);
	/* Unimplemented BARs and the expansion ROM read zero after sizing. */
	cfg_write(SLOT, 0x10, 4, 0xFFFFFFFFu);
	cfg_write(SLOT, PCI_ROM_ADDRESS, 4, 0xFFFFFFFFu);
	cr_assert_eq(cfg_read(SLOT, 0x10, 4), 0);
	cr_assert_eq(cfg_read(SLOT, PCI_ROM_ADDRESS, 4), 0);
}

Test(pci, bar_move_callback_reports_old_and_new)
{
	cr_assert(pci_dev_add_bar(&dev, 0, PCI_BAR_MEM32, 0x1000, false));
	plug();
	cfg_write(SLOT, 0x10, 4, 0xC0000000u);
	cr_assert_eq(nr_events, 1);
	cr_assert_eq(events[0].bar, 0);
	cr_assert_eq(events[0].old.addr, 0);
	cr_assert_eq(events[0].now.addr, 0xC0000000u);
	cr_assert(!events[0].now.decode);
	cfg_write(SLOT, 0x10, 4, 0xC0000000u); /* same address: nothing */
	cr_assert_eq(nr_events, 1);
	cfg_write(SLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	cfg_write(SLOT, 0x10, 4, 0xC0010000u);
	cr_assert_eq(nr_events, 3);
	cr_assert_eq(events[2].old.addr, 0xC0000000u);
	cr_assert(events[2].old.decode);
	cr_assert_eq(events[2].now.addr, 0xC0010000u);
	cr_assert(events[2].now.decode);
	/* A callback can move an iobus range with the values it gets. */
	cr_assert_eq(pci_dev_bar_mapping(&dev, 0).addr, events[2].now.addr);
}

Test(pci, command_decode_enables_drive_the_callback)
{
	cr_assert(pci_dev_add_bar(&dev, 0, PCI_BAR_MEM32, 0x1000, false));
	cr_assert(pci_dev_add_bar(&dev, 1, PCI_BAR_IO, 64, false));
	plug();
	cfg_write(SLOT, 0x10, 4, 0xC0000000u);
	cfg_write(SLOT, 0x14, 4, 0xC000u);
	nr_events = 0;
	cfg_write(SLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	cr_assert_eq(nr_events, 1);
	cr_assert_eq(events[0].bar, 0);
	cr_assert(!events[0].old.decode && events[0].now.decode);
	cr_assert_eq(events[0].now.addr, 0xC0000000u);
	cfg_write(SLOT, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MASTER);
	cr_assert_eq(nr_events, 3);
	cr_assert_eq(events[1].bar, 0);
	cr_assert(!events[1].now.decode);
	cr_assert_eq(events[2].bar, 1);
	cr_assert(events[2].now.decode);
	cr_assert_eq(events[2].now.addr, 0xC000);
	cfg_write(SLOT, PCI_COMMAND, 2, PCI_COMMAND_IO); /* bus master only: no event */
	cr_assert_eq(nr_events, 3);
}

Test(pci, mem64_callback_follows_each_half)
{
	cr_assert(pci_dev_add_bar(&dev, 2, PCI_BAR_MEM64, 0x4000, false));
	plug();
	cfg_write(SLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	cr_assert_eq(nr_events, 1); /* decode on at address 0 */
	nr_events = 0;
	cfg_write(SLOT, 0x18, 4, 0x80000000u);
	cfg_write(SLOT, 0x1C, 4, 0x1);
	cr_assert_eq(nr_events, 2);
	cr_assert_eq(events[1].bar, 2);
	cr_assert_eq(events[1].old.addr, 0x80000000u);
	cr_assert_eq(events[1].now.addr, 0x180000000ULL);
	cr_assert_eq(pci_dev_bar_mapping(&dev, 3).addr, 0); /* the upper half is no BAR */
}

Test(pci, capability_chain)
{
	uint8_t vendor[14] = { 16, 1, 0 };
	uint8_t msix[10] = { 0x03, 0x00 };
	unsigned int first, second, third;

	first = pci_dev_add_capability(&dev, PCI_CAP_ID_VENDOR, vendor, sizeof(vendor));
	second = pci_dev_add_capability(&dev, PCI_CAP_ID_MSIX, msix, sizeof(msix));
	vendor[1] = 2;
	third = pci_dev_add_capability(&dev, PCI_CAP_ID_VENDOR, vendor, 3);
	cr_assert_eq(first, 0x40);
	cr_assert_eq(second, 0x50);
	cr_assert_eq(third, 0x5C);
	plug();
	cr_assert(cfg_read(SLOT, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	/* Walk the chain the way a guest does. */
	unsigned int ids[8], n = 0;
	for (unsigned int p = cfg_read(SLOT, PCI_CAPABILITY_LIST, 1); p && n < 8;
	     p = cfg_read(SLOT, p + 1, 1)) {
		cr_assert_eq(p & 3, 0);
		ids[n++] = cfg_read(SLOT, p, 1);
	}
	cr_assert_eq(n, 3);
	cr_assert_eq(ids[0], PCI_CAP_ID_VENDOR);
	cr_assert_eq(ids[1], PCI_CAP_ID_MSIX);
	cr_assert_eq(ids[2], PCI_CAP_ID_VENDOR);
	cr_assert_eq(cfg_read(SLOT, 0x5C + 3, 1), 2);
	cr_assert_eq(cfg_read(SLOT, 0x50 + 2, 2), 0x0003);
	/* Bodies are read-only unless opened. */
	cfg_write(SLOT, 0x40, 4, 0);
	cr_assert_eq(cfg_read(SLOT, 0x40, 4), 0x01105009u);
	cr_assert_eq(pci_dev_find_capability(&dev, PCI_CAP_ID_VENDOR, 0), 0x40);
	cr_assert_eq(pci_dev_find_capability(&dev, PCI_CAP_ID_VENDOR, 0x40), 0x5C);
	cr_assert_eq(pci_dev_find_capability(&dev, PCI_CAP_ID_VENDOR, 0x5C), 0);
	cr_assert_eq(pci_dev_find_capability(&dev, PCI_CAP_ID_MSI, 0), 0);
}

Test(pci, capability_space_runs_out_cleanly)
{
	uint8_t body[58] = { 0 };
	unsigned int n = 0;

	while (pci_dev_add_capability(&dev, PCI_CAP_ID_VENDOR, body, sizeof(body)))
		n++;
	cr_assert_eq(n, 3); /* 0x40, 0x7C, 0xB8; 0xF4 has only 12 bytes left */
	cr_assert(host_log_contains("does not fit"));
	cr_assert_eq(pci_dev_add_capability(&dev, PCI_CAP_ID_VENDOR, body, 10), 0xF4);
	cr_assert_eq(pci_dev_add_capability(&dev, PCI_CAP_ID_VENDOR, NULL, 0), 0);
	/* A chain the device corrupts into a loop still ends. */
	pci_dev_set_config(&dev, 0xF4 + PCI_CAP_NEXT, 1, 0x40);
	cr_assert_eq(pci_dev_find_capability(&dev, PCI_CAP_ID_MSIX, 0), 0);
}

struct hook_log {
	unsigned int reads, writes;
	unsigned int off, size;
	uint32_t val;
};

static uint32_t hook_read(void *ctx, struct pci_dev *d, unsigned int off, unsigned int size)
{
	struct hook_log *h = ctx;
	h->reads++;
	return pci_dev_store_read(d, off, size) | (size == 2 ? 0x8000u : 0);
}

static void hook_write(void *ctx, struct pci_dev *d, unsigned int off, unsigned int size, uint32_t val)
{
	struct hook_log *h = ctx;
	h->writes++;
	h->off = off;
	h->size = size;
	h->val = val;
	pci_dev_store_write(d, off, size, val);
}

Test(pci, config_hooks_take_over_a_range)
{
	uint8_t msix[10] = { 0x03, 0x00 };
	struct hook_log log = { 0 };
	unsigned int cap = pci_dev_add_capability(&dev, PCI_CAP_ID_MSIX, msix, sizeof(msix));

	cr_assert(pci_dev_set_wmask(&dev, cap + 2, 2, 0xC000));
	cr_assert(pci_dev_add_cfg_hook(&dev, cap + 2, 2, hook_read, hook_write, &log));
	cr_assert(!pci_dev_add_cfg_hook(&dev, cap + 3, 4, NULL, NULL, NULL)); /* overlap */
	cr_assert(!pci_dev_add_cfg_hook(&dev, 0xFF, 2, NULL, NULL, NULL));
	plug();
	cfg_write(SLOT, cap + 2, 2, 0xFFFF);
	cr_assert_eq(log.writes, 1);
	cr_assert_eq(log.off, cap + 2);
	cr_assert_eq(log.size, 2);
	cr_assert_eq(log.val, 0xFFFF);
	cr_assert_eq(pci_dev_store_read(&dev, cap + 2, 2), 0xC003);
	cr_assert_eq(cfg_read(SLOT, cap + 2, 2), 0xC003 | 0x8000);
	cr_assert_eq(log.reads, 1);
	/* A dword over the capability header and the hooked word is split:
	 * the hook sees byte accesses, the header comes from the store. */
	cr_assert_eq(cfg_read(SLOT, cap, 4), 0xC0030011u);
	cr_assert_eq(log.reads, 3);
	cfg_write(SLOT, cap, 4, 0x00000000u);
	cr_assert_eq(log.writes, 3);
	cr_assert_eq(log.size, 1);
	cr_assert_eq(pci_dev_store_read(&dev, cap + 2, 2), 0x0003);
}

Test(pci, cf9_byte_forwarding)
{
	out(0xCF8, 4, 0x80000000u);
	out(0xCF9, 1, CF9_SYS_RST);
	cr_assert_eq(rst.count, 0);
	cr_assert_eq(in(0xCF9, 1), CF9_SYS_RST);
	cr_assert_eq(in(0xCF8, 4), 0x80000000u); /* CONFIG_ADDRESS untouched */
	out(0xCF9, 1, CF9_SYS_RST | CF9_RST_CPU);
	cr_assert_eq(rst.count, 1);
	/* A dword write at 0xCF8 with 0x06 in byte 1 is CONFIG_ADDRESS only. */
	out(0xCF8, 4, 0x80000600u);
	cr_assert_eq(rst.count, 1);
	/* Word accesses at 0xCF8 reach neither register. */
	out(0xCF8, 2, 0x0600);
	cr_assert_eq(in(0xCF8, 2), 0xFFFF);
	cr_assert_eq(rst.count, 1);
	cr_assert_eq(in(0xCF8, 4), 0x80000600u);
	cr_assert_eq(host_log_count(), 2); /* the reset line, one warning */
	cr_assert(host_log_contains("2-byte write at port 0xcf8 is not CONFIG_ADDRESS"));
}

Test(pci, cf9_without_forward_reads_all_ones)
{
	pci_host_init(&host, "t", NULL);
	cr_assert_eq(in(0xCF9, 1), 0xFF);
	out(0xCF9, 1, 0x06);
	cr_assert_eq(rst.count, 0);
	cr_assert_eq(host_log_count(), 0);
}

Test(pci, hostile_data_port_sizes)
{
	plug();
	out(0xCF8, 4, cfg_address(0, SLOT, 0, PCI_COMMAND));
	cr_assert_eq(in(0xCFC, 3), 0xFFFFFF);
	cr_assert_eq(in(0xCFD, 4), 0xFFFFFFFFu); /* would cross 0xCFF */
	cr_assert_eq(in(0xCFF, 2), 0xFFFF);
	out(0xCFD, 4, 0xFFFFFFFFu);
	out(0xCFC, 3, 0xFFFFFF);
	cr_assert_eq(cfg_read(SLOT, PCI_COMMAND, 2), 0);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("crosses CONFIG_DATA"));
}

Test(pci, hostile_register_numbers_and_garbage_writes)
{
	cr_assert(pci_dev_add_bar(&dev, 0, PCI_BAR_MEM32, 0x1000, false));
	plug();
	/* The last byte of config space is reachable; nothing beyond it. */
	out(0xCF8, 4, cfg_address(0, SLOT, 0, 0xFC));
	cr_assert_eq(in(0xCFF, 1), 0);
	cr_assert_eq(in(0xCFE, 2), 0);
	/* Every register written with ones and zeros: identity survives. */
	for (unsigned int reg = 0; reg < 256; reg += 4) {
		cfg_write(SLOT, reg, 4, 0xFFFFFFFFu);
		cfg_write(SLOT, reg, 4, 0);
	}
	cr_assert_eq(cfg_read(SLOT, 0, 4), 0x10411AF4u);
	cr_assert_eq(cfg_read(SLOT, PCI_REVISION_ID, 4), 0x02000001u);
	/* Direct calls with offsets or sizes no guest can make. */
	cr_assert_eq(pci_dev_config_read(&dev, 255, 2), 0xFFFFFFFFu);
	cr_assert_eq(pci_dev_config_read(&dev, 4096, 1), 0xFFFFFFFFu);
	pci_dev_config_write(&dev, 254, 4, 0);
	pci_dev_config_write(&dev, 0, 8, 0);
	cr_assert_eq(pci_host_config_read(&host, 0, 40, 0, 0, 4), 0xFFFFFFFFu);
	cr_assert_eq(pci_host_config_read(&host, 0, SLOT, 0, 0, 3), 0xFFFFFFFFu);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("[t] pci nic: 2-byte config read at 0xff is invalid"));
}

Test(pci, intx_follows_request_and_disable_bit)
{
	cr_assert(pci_dev_set_intx(&dev, PCI_INTERRUPT_PIN_INTA, &irq.sink, 11));
	cr_assert(!pci_dev_set_intx(&dev, 5, &irq.sink, 11));
	plug();
	cr_assert_eq(cfg_read(SLOT, PCI_INTERRUPT_PIN, 1), 1);
	pci_dev_set_intx_level(&dev, true);
	cr_assert(irq.level[11]);
	cr_assert(cfg_read(SLOT, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	cfg_write(SLOT, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
	cr_assert(!irq.level[11]);
	cr_assert(cfg_read(SLOT, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	cfg_write(SLOT, PCI_STATUS, 2, 0xFFFF); /* not write-1-to-clear */
	cr_assert(cfg_read(SLOT, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	cfg_write(SLOT, PCI_COMMAND, 2, 0);
	cr_assert(irq.level[11]);
	pci_dev_set_intx_level(&dev, false);
	cr_assert(!irq.level[11]);
	cr_assert_eq(irq.rises[11], 2);
	cr_assert_eq(cfg_read(SLOT, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, 0);
}

Test(pci, reset_restores_built_state)
{
	cr_assert(pci_dev_add_bar(&dev, 0, PCI_BAR_MEM32, 0x1000, false));
	plug();
	cfg_write(SLOT, 0x10, 4, 0xC0000000u);
	cfg_write(SLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	out(0xCF8, 4, 0x80001800u);
	nr_events = 0;
	pci_host_reset(&host);
	cr_assert_eq(in(0xCF8, 4), 0);
	cr_assert_eq(nr_events, 1);
	cr_assert(events[0].old.decode);
	cr_assert(!events[0].now.decode);
	cr_assert_eq(events[0].now.addr, 0);
	cr_assert_eq(cfg_read(SLOT, PCI_COMMAND, 2), 0);
	cr_assert_eq(cfg_read(SLOT, 0x10, 4), 0);
	cr_assert_eq(cfg_read(SLOT, PCI_VENDOR_ID, 4), 0x10411AF4u);
}

Test(pci, builders_refuse_bad_arguments)
{
	cr_assert(!pci_host_add_device(&host, 0, &dev)); /* the bridge */
	cr_assert(!pci_host_add_device(&host, 32, &dev));
	cr_assert(pci_host_add_device(&host, 7, &dev));
	cr_assert(!pci_host_add_device(&host, 7, &dev));
	cr_assert(!pci_dev_add_bar(&dev, 0, PCI_BAR_MEM32, 0x1800, false)); /* not 2^n */
	cr_assert(!pci_dev_add_bar(&dev, 0, PCI_BAR_MEM32, 8, false));
	cr_assert(!pci_dev_add_bar(&dev, 5, PCI_BAR_MEM64, 0x1000, false)); /* no slot 6 */
	cr_assert(!pci_dev_add_bar(&dev, 0, PCI_BAR_IO, 512, false));
	cr_assert(!pci_dev_add_bar(&dev, 0, PCI_BAR_IO, 16, true));
	cr_assert(!pci_dev_add_bar(&dev, 6, PCI_BAR_MEM32, 0x1000, false));
	cr_assert(pci_dev_add_bar(&dev, 0, PCI_BAR_MEM64, 0x1000, false));
	cr_assert(!pci_dev_add_bar(&dev, 1, PCI_BAR_MEM32, 0x1000, false)); /* upper half */
	cr_assert(!pci_dev_add_bar(&dev, 0, PCI_BAR_MEM32, 0x1000, false)); /* taken */
}

/* A device with its own lock (virtio, served from other CPUs) has it taken
 * once around each guest config access, split or not, and only then. */
struct lock_log {
	unsigned int takes, releases;
	bool held;
	unsigned int hook_calls_unheld;
};

static void access_lock(void *ctx, bool take)
{
	struct lock_log *l = ctx;
	cr_assert_neq(l->held, take, "taken twice or released unheld");
	l->held = take;
	if (take)
		l->takes++;
	else
		l->releases++;
}

static struct lock_log *lock_seen;

static uint32_t locked_hook_read(void *ctx, struct pci_dev *d, unsigned int off, unsigned int size)
{
	(void)ctx;
	if (!lock_seen->held)
		lock_seen->hook_calls_unheld++;
	return pci_dev_store_read(d, off, size);
}

Test(pci, access_lock_wraps_every_guest_config_access)
{
	struct lock_log log = { 0 };
	uint8_t body[6] = { 0 };
	unsigned int cap = pci_dev_add_capability(&dev, PCI_CAP_ID_VENDOR, body, sizeof(body));

	lock_seen = &log;
	cr_assert(pci_dev_add_cfg_hook(&dev, cap + 2, 2, locked_hook_read, NULL, NULL));
	pci_dev_set_access_lock(&dev, access_lock, &log);
	plug();
	cr_assert_eq(cfg_read(SLOT, 0, 4), 0x10411AF4u);
	cr_assert_eq(log.takes, 1);
	/* A dword over a hook is split into byte accesses: still one take. */
	cfg_read(SLOT, cap, 4);
	cr_assert_eq(log.takes, 2);
	cfg_write(SLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	cr_assert_eq(log.takes, 3);
	cr_assert_eq(log.releases, 3);
	cr_assert_not(log.held);
	cr_assert_eq(log.hook_calls_unheld, 0);
	/* Nothing at the slot: the device is not touched. */
	cfg_read(SLOT + 1, 0, 4);
	cr_assert_eq(log.takes, 3);
}
