/* SPDX-License-Identifier: BSD-2-Clause */
/* PCI configuration mechanism #1 host bridge (PCI Local Bus 3.0
 * §3.2.2.3.2). */
#include "drivers/vdev/pci_host.h"

#include "core/log.h"

enum pci_host_warning {
	PCI_HOST_WARN_DATA_ACCESS = 1u << 0,
	PCI_HOST_WARN_ADDRESS_ACCESS = 1u << 1,
};

static const char *owner_of(const struct pci_host *h)
{
	return h->owner ? h->owner : "?";
}

static bool first_warning(struct pci_host *h, unsigned int bit)
{
	if (h->warned & bit)
		return false;
	h->warned |= bit;
	return true;
}

static uint64_t all_ones(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

static bool valid_config_size(unsigned int size)
{
	return size == 1 || size == 2 || size == 4;
}

/* The function at bus/slot/fn, or NULL: only bus 0, function 0 exist. */
static struct pci_dev *lookup(struct pci_host *h, unsigned int bus, unsigned int slot, unsigned int fn)
{
	if (bus != 0 || fn != 0 || slot >= PCI_HOST_NR_SLOTS)
		return NULL;
	return h->slots[slot];
}

uint32_t pci_host_config_read(struct pci_host *h, unsigned int bus, unsigned int slot,
			      unsigned int fn, unsigned int reg, unsigned int size)
{
	struct pci_dev *d = lookup(h, bus, slot, fn);

	if (!valid_config_size(size))
		return UINT32_MAX;
	if (!d) /* master abort: all ones (§6.1) */
		return (uint32_t)all_ones(size);
	if (d->access_lock)
		d->access_lock(d->access_lock_ctx, true);
	uint32_t v = pci_dev_config_read(d, reg, size);
	if (d->access_lock)
		d->access_lock(d->access_lock_ctx, false);
	return v;
}

void pci_host_config_write(struct pci_host *h, unsigned int bus, unsigned int slot, unsigned int fn,
			   unsigned int reg, unsigned int size, uint32_t val)
{
	struct pci_dev *d = lookup(h, bus, slot, fn);

	if (!d)
		return;
	if (d->access_lock)
		d->access_lock(d->access_lock_ctx, true);
	pci_dev_config_write(d, reg, size, val);
	if (d->access_lock)
		d->access_lock(d->access_lock_ctx, false);
}

static unsigned int address_field(uint32_t addr, unsigned int shift, uint32_t mask)
{
	return (addr >> shift) & mask;
}

/* A CONFIG_DATA access at byte n of the data port, size bytes; false if it
 * does not fit in the four data ports. */
static bool data_access_ok(struct pci_host *h, unsigned int n, unsigned int size, bool write)
{
	if (valid_config_size(size) && n + size <= PCI_CONFIG_DATA_LEN)
		return true;
	if (first_warning(h, PCI_HOST_WARN_DATA_ACCESS))
		pr_warn("[%s] pci: %u-byte %s at port %#x crosses CONFIG_DATA; ignored",
			owner_of(h), size, write ? "write" : "read", PCI_CONFIG_DATA_PORT + n);
	return false;
}

static bool data_target(const struct pci_host *h, unsigned int n, unsigned int *bus,
			unsigned int *slot, unsigned int *fn, unsigned int *reg)
{
	uint32_t a = h->config_address;

	if (!(a & PCI_CONFIG_ENABLE))
		return false;
	*bus = address_field(a, PCI_CONFIG_BUS_SHIFT, PCI_CONFIG_BUS_MASK);
	*slot = address_field(a, PCI_CONFIG_DEV_SHIFT, PCI_CONFIG_DEV_MASK);
	*fn = address_field(a, PCI_CONFIG_FN_SHIFT, PCI_CONFIG_FN_MASK);
	*reg = (a & PCI_CONFIG_REG_MASK) + n;
	return true;
}

static uint64_t data_read(struct pci_host *h, unsigned int n, unsigned int size)
{
	unsigned int bus, slot, fn, reg;

	if (!data_access_ok(h, n, size, false) || !data_target(h, n, &bus, &slot, &fn, &reg))
		return all_ones(size);
	return pci_host_config_read(h, bus, slot, fn, reg, size);
}

static void data_write(struct pci_host *h, unsigned int n, unsigned int size, uint32_t val)
{
	unsigned int bus, slot, fn, reg;

	if (!data_access_ok(h, n, size, true) || !data_target(h, n, &bus, &slot, &fn, &reg))
		return;
	pci_host_config_write(h, bus, slot, fn, reg, size, val);
}

/* Bytes in 0xCF8-0xCFB other than 0xCF9 are ISA ports nobody decodes, and
 * Linux's mechanism probe touches them, so they are silent; any other
 * non-dword access there is odd enough to mention once. */
static void odd_address_access(struct pci_host *h, uint64_t offset, unsigned int size, bool write)
{
	if (size == 1)
		return;
	if (first_warning(h, PCI_HOST_WARN_ADDRESS_ACCESS))
		pr_warn("[%s] pci: %u-byte %s at port %#llx is not CONFIG_ADDRESS; ignored",
			owner_of(h), size, write ? "write" : "read",
			(unsigned long long)(PCI_HOST_PORT_BASE + offset));
}

static bool is_cf9(uint64_t offset, unsigned int size)
{
	return offset == PCI_HOST_OFF_CF9 && size == 1;
}

static bool is_config_address(uint64_t offset, unsigned int size)
{
	return offset == PCI_HOST_OFF_ADDRESS && size == 4;
}

int pci_host_io_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val)
{
	struct pci_host *h = dev;

	if (offset >= PCI_HOST_OFF_DATA && offset < PCI_HOST_NR_PORTS) {
		*val = data_read(h, (unsigned int)(offset - PCI_HOST_OFF_DATA), size);
		return 0;
	}
	if (is_config_address(offset, size)) {
		*val = h->config_address;
		return 0;
	}
	if (is_cf9(offset, size) && h->cf9.read)
		return h->cf9.read(h->cf9.dev, 0, 1, val);
	if (!is_cf9(offset, size))
		odd_address_access(h, offset, size, false);
	*val = all_ones(size);
	return 0;
}

int pci_host_io_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	struct pci_host *h = dev;

	if (offset >= PCI_HOST_OFF_DATA && offset < PCI_HOST_NR_PORTS) {
		data_write(h, (unsigned int)(offset - PCI_HOST_OFF_DATA), size, (uint32_t)val);
		return 0;
	}
	if (is_config_address(offset, size)) {
		h->config_address = (uint32_t)val & PCI_CONFIG_ADDRESS_WRITABLE;
		return 0;
	}
	if (is_cf9(offset, size)) {
		if (h->cf9.write)
			return h->cf9.write(h->cf9.dev, 0, 1, val & 0xFF);
		return 0;
	}
	odd_address_access(h, offset, size, true);
	return 0;
}

bool pci_host_add_device(struct pci_host *h, unsigned int slot, struct pci_dev *dev)
{
	if (slot == PCI_HOST_BRIDGE_SLOT || slot >= PCI_HOST_NR_SLOTS || !dev || h->slots[slot]) {
		pr_err("[%s] pci: cannot plug a device into slot %u", owner_of(h), slot);
		return false;
	}
	h->slots[slot] = dev;
	return true;
}

bool pci_host_attach(struct pci_host *h, struct iobus *bus)
{
	return iobus_add_pio(bus, PCI_HOST_PORT_BASE, PCI_HOST_NR_PORTS, pci_host_io_read,
			     pci_host_io_write, h, "pci");
}

void pci_host_reset(struct pci_host *h)
{
	h->config_address = 0;
	for (unsigned int slot = 0; slot < PCI_HOST_NR_SLOTS; slot++)
		if (h->slots[slot])
			pci_dev_reset(h->slots[slot]);
}

void pci_host_init(struct pci_host *h, const char *owner, const struct pci_host_forward *cf9)
{
	static const struct pci_dev_info bridge_info = {
		.vendor_id = PCI_HOST_BRIDGE_VENDOR,
		.device_id = PCI_HOST_BRIDGE_DEVICE,
		.class_code = PCI_CLASS_BRIDGE_HOST,
	};

	*h = (struct pci_host){ 0 };
	h->owner = owner;
	if (cf9)
		h->cf9 = *cf9;
	pci_dev_init(&h->bridge, owner, "host-bridge", &bridge_info);
	h->slots[PCI_HOST_BRIDGE_SLOT] = &h->bridge;
}
