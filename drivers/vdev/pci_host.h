/* SPDX-License-Identifier: BSD-2-Clause */
/* PCI host bridge with configuration mechanism #1 (PCI Local Bus 3.0
 * §3.2.2.3.2): CONFIG_ADDRESS is the dword at port 0xCF8 (bit 31 enable,
 * 23:16 bus, 15:11 device, 10:8 function, 7:2 register), CONFIG_DATA the
 * four ports 0xCFC-0xCFF, where a byte, word or dword access at 0xCFC+n
 * reaches config register (register | n).
 *
 * Only bus 0 exists, with function 0 of up to 32 slots; the bridge itself
 * is 00:00.0 (class 0x060000, 1b36:0008, a generic host bridge Linux has no
 * quirks for). Absent devices, other buses and functions, and CONFIG_DATA
 * while the enable bit is clear read all ones; writes to them are dropped.
 *
 * Only a dword access at 0xCF8 is CONFIG_ADDRESS. Smaller accesses in
 * 0xCF8-0xCFB belong to other devices on a PC: a byte at 0xCF9 is the reset
 * control register (drivers/vdev/sys_ports.c), forwarded with offset 0;
 * other bytes there read all ones (Linux's probe writes 0xCFB). */
#ifndef BULKHEAD_DRIVERS_VDEV_PCI_HOST_H
#define BULKHEAD_DRIVERS_VDEV_PCI_HOST_H

#include "core/iobus.h"
#include "drivers/vdev/pci_dev.h"

#define PCI_HOST_PORT_BASE 0xCF8
#define PCI_HOST_NR_PORTS 8
#define PCI_CONFIG_ADDRESS_PORT 0xCF8
#define PCI_CONFIG_DATA_PORT 0xCFC
#define PCI_HOST_CF9_PORT 0xCF9
/* Offsets within the 0xCF8 range. */
#define PCI_HOST_OFF_ADDRESS 0
#define PCI_HOST_OFF_CF9 1
#define PCI_HOST_OFF_DATA 4
#define PCI_CONFIG_DATA_LEN 4

/* CONFIG_ADDRESS fields (§3.2.2.3.2, Figure 3-2); bits 30:24 and 1:0 are
 * reserved and read as zero. */
#define PCI_CONFIG_ENABLE BIT(31)
#define PCI_CONFIG_BUS_SHIFT 16
#define PCI_CONFIG_BUS_MASK 0xFFu
#define PCI_CONFIG_DEV_SHIFT 11
#define PCI_CONFIG_DEV_MASK 0x1Fu
#define PCI_CONFIG_FN_SHIFT 8
#define PCI_CONFIG_FN_MASK 0x7u
#define PCI_CONFIG_REG_MASK 0xFCu
#define PCI_CONFIG_ADDRESS_WRITABLE (PCI_CONFIG_ENABLE | 0x00FFFFFCu)

#define PCI_HOST_NR_SLOTS 32
#define PCI_HOST_BRIDGE_SLOT 0
#define PCI_HOST_BRIDGE_VENDOR 0x1B36
#define PCI_HOST_BRIDGE_DEVICE 0x0008
#define PCI_CLASS_BRIDGE_HOST 0x060000

/* Where byte accesses at 0xCF9 go (sys_ports_cf9_read/write and the
 * struct sys_ports); a NULL function reads all ones / drops the write. */
struct pci_host_forward {
	io_read_fn read;
	io_write_fn write;
	void *dev;
};

struct pci_host {
	const char *owner;
	uint32_t config_address;
	struct pci_dev bridge; /* 00:00.0 */
	struct pci_dev *slots[PCI_HOST_NR_SLOTS];
	struct pci_host_forward cf9;
	unsigned int warned;
};

/* cf9 may be NULL. The bridge occupies slot 0. */
void pci_host_init(struct pci_host *h, const char *owner, const struct pci_host_forward *cf9);
/* Plugs dev (already built: BARs, capabilities) into slot 1-31; false if
 * the slot is taken or out of range. The pci_dev must outlive the host. */
bool pci_host_add_device(struct pci_host *h, unsigned int slot, struct pci_dev *dev);

/* The 0xCF8-0xCFF port range; dev is the struct pci_host. */
int pci_host_io_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val);
int pci_host_io_write(void *dev, uint64_t offset, unsigned int size, uint64_t val);
bool pci_host_attach(struct pci_host *h, struct iobus *bus);

/* Config access by bus/device/function/register, as the guest would make
 * it (for the platform and tests; a future MMCONFIG window can use it).
 * size 1, 2 or 4; reg + size <= 256. */
uint32_t pci_host_config_read(struct pci_host *h, unsigned int bus, unsigned int slot,
			      unsigned int fn, unsigned int reg, unsigned int size);
void pci_host_config_write(struct pci_host *h, unsigned int bus, unsigned int slot, unsigned int fn,
			   unsigned int reg, unsigned int size, uint32_t val);

/* Platform reset: CONFIG_ADDRESS cleared and every device's config space
 * back to its built state (device-internal state is the device's job). */
void pci_host_reset(struct pci_host *h);

#endif
