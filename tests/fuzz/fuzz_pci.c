/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz the PCI host bridge and a device with every kind of BAR, a
 * capability chain, a config hook and INTx, through ports 0xCF8-0xCFF
 * with any access size, plus device-side INTx changes and resets.
 * Invariants: identification fields, BAR flag bits and the capability
 * chain never change; BAR address bits below the size stay zero and the
 * I/O BAR's upper half stays zero; the command register holds only its
 * implemented bits; every BAR callback reports the previous report's
 * state as old and the device's current mapping as new; the INTx pin
 * equals request && !disable; 0xCF9 resets happen only through byte
 * writes with RST_CPU; misuse warnings stay bounded. */
#include "drivers/vdev/pci_host.h"
#include "drivers/vdev/sys_ports.h"
#include "tests/fuzz/vdev_ops.h"
#include "tests/unit/support/host_log.h"

#define SLOT 4
#define INTX_LINE 10

struct bar_tracker {
	struct pci_bar_mapping last[PCI_NR_BARS];
	unsigned int events;
};

static void on_bar(void *ctx, struct pci_dev *d, unsigned int bar, struct pci_bar_mapping old,
		   struct pci_bar_mapping now)
{
	struct bar_tracker *t = ctx;
	struct pci_bar_mapping cur = pci_dev_bar_mapping(d, bar);

	CHECK(bar < PCI_NR_BARS);
	CHECK(old.addr == t->last[bar].addr && old.decode == t->last[bar].decode);
	CHECK(now.addr == cur.addr && now.decode == cur.decode);
	CHECK(old.addr != now.addr || old.decode != now.decode);
	t->last[bar] = now;
	t->events++;
}

static uint32_t hook_read(void *ctx, struct pci_dev *d, unsigned int off, unsigned int size)
{
	CHECK(off >= 0x52 && off + size <= 0x54);
	return pci_dev_store_read(d, off, size);
}

static void hook_write(void *ctx, struct pci_dev *d, unsigned int off, unsigned int size, uint32_t val)
{
	CHECK(off >= 0x52 && off + size <= 0x54);
	pci_dev_store_write(d, off, size, val);
}

static void build(struct pci_dev *d, struct irq_recorder *irq, struct bar_tracker *t)
{
	static const struct pci_dev_info info = {
		.vendor_id = 0x1AF4,
		.device_id = 0x1042,
		.class_code = 0x018000,
		.revision = 1,
	};
	uint8_t vendor[14] = { 16, 1 };
	uint8_t msix[10] = { 0x07, 0x00, 0x01, 0, 0, 0, 0x01, 0x08 };

	pci_dev_init(d, "fuzz", "dev", &info);
	CHECK(pci_dev_add_bar(d, 0, PCI_BAR_IO, 64, false));
	CHECK(pci_dev_add_bar(d, 1, PCI_BAR_MEM32, 0x1000, false));
	CHECK(pci_dev_add_bar(d, 2, PCI_BAR_MEM64, 0x4000, true));
	CHECK(pci_dev_add_capability(d, PCI_CAP_ID_VENDOR, vendor, sizeof(vendor)) == 0x40);
	CHECK(pci_dev_add_capability(d, PCI_CAP_ID_MSIX, msix, sizeof(msix)) == 0x50);
	CHECK(pci_dev_set_wmask(d, 0x52, 2, 0xC000));
	CHECK(pci_dev_add_cfg_hook(d, 0x52, 2, hook_read, hook_write, NULL));
	CHECK(pci_dev_set_intx(d, PCI_INTERRUPT_PIN_INTA, &irq->sink, INTX_LINE));
	pci_dev_set_bar_callback(d, on_bar, t);
}

static void check_device(struct pci_dev *d, const struct irq_recorder *irq)
{
	uint16_t cmd = pci_dev_command(d);

	CHECK(pci_dev_store_read(d, PCI_VENDOR_ID, 4) == 0x10421AF4u);
	CHECK(pci_dev_store_read(d, PCI_REVISION_ID, 4) == 0x01800001u);
	CHECK(pci_dev_store_read(d, PCI_HEADER_TYPE, 1) == 0);
	CHECK(pci_dev_store_read(d, PCI_CAPABILITY_LIST, 1) == 0x40);
	CHECK(pci_dev_store_read(d, 0x40, 2) == 0x5009);
	CHECK(pci_dev_store_read(d, 0x50, 2) == 0x0011);
	CHECK((pci_dev_store_read(d, 0x52, 2) & 0x3FFF) == 0x0007);
	CHECK((cmd & ~PCI_COMMAND_WRITABLE) == 0);
	CHECK((pci_dev_store_read(d, 0x10, 4) & 0xFFFF003Fu) == 0x1);
	CHECK((pci_dev_store_read(d, 0x14, 4) & 0xFFFu) == 0);
	CHECK((pci_dev_store_read(d, 0x18, 4) & 0x3FFFu) == 0xC);
	CHECK(pci_dev_store_read(d, 0x20, 4) == 0 && pci_dev_store_read(d, 0x24, 4) == 0);
	CHECK(pci_dev_store_read(d, PCI_INTERRUPT_PIN, 1) == PCI_INTERRUPT_PIN_INTA);
	CHECK(irq->level[INTX_LINE] == (d->intx_level && !(cmd & PCI_COMMAND_INTX_DISABLE)));
	CHECK(pci_dev_find_capability(d, PCI_CAP_ID_MSIX, 0) == 0x50);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct pci_host host;
	static struct pci_dev dev;
	struct sys_ports sp;
	struct reset_counter rst;
	struct irq_recorder irq;
	struct bar_tracker tracker = { 0 };
	struct iobus bus = { 0 };
	struct vdev_op op;

	host_log_reset();
	reset_counter_init(&rst);
	recorder_init(&irq);
	sys_ports_init(&sp, "fuzz", &rst.sink);
	struct pci_host_forward cf9 = { sys_ports_cf9_read, sys_ports_cf9_write, &sp };
	pci_host_init(&host, "fuzz", &cf9);
	build(&dev, &irq, &tracker);
	CHECK(pci_host_add_device(&host, SLOT, &dev));
	CHECK(pci_host_attach(&host, &bus));
	while (vdev_next_op(&data, &len, &op)) {
		unsigned int sel = op.sel % 12;
		unsigned int resets = rst.count;
		if (sel < PCI_HOST_NR_PORTS) {
			vdev_pio(&bus, (uint16_t)(PCI_HOST_PORT_BASE + sel), &op);
			if (rst.count != resets)
				CHECK(op.write && sel == 1 && op.size == 1 &&
				      (op.value & CF9_RST_CPU));
		} else if (sel == 8) {
			/* Aim CONFIG_ADDRESS at the device most of the time. */
			uint64_t a = PCI_CONFIG_ENABLE | SLOT << 11 | (op.value & 0xFC);
			if (op.value & 0x100)
				a = op.value;
			CHECK(iobus_pio(&bus, PCI_CONFIG_ADDRESS_PORT, 4, true, &a) == IOBUS_OK);
		} else if (sel == 9) {
			pci_dev_set_intx_level(&dev, op.value & 1);
		} else if (sel == 10) {
			pci_host_reset(&host);
			CHECK(pci_dev_command(&dev) == 0);
		} else {
			CHECK(pci_host_config_read(&host, op.value >> 24, op.value >> 16,
						   op.value >> 8, op.value & 0xFF,
						   op.size) <= UINT32_MAX);
		}
		check_device(&dev, &irq);
		for (unsigned int b = 0; b < PCI_NR_BARS; b++) {
			struct pci_bar_mapping m = pci_dev_bar_mapping(&dev, b);
			CHECK(m.addr == tracker.last[b].addr && m.decode == tracker.last[b].decode);
		}
		CHECK(pci_dev_store_read(&host.bridge, PCI_VENDOR_ID, 4) == 0x00081B36u);
	}
	CHECK(host_log_count() <= 4 + (unsigned int)sp.resets);
	return 0;
}
