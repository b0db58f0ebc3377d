/* SPDX-License-Identifier: BSD-2-Clause */
/* The ACPI tables of one partition (ACPI 6.4 §5.2), built into a caller
 * buffer that the platform copies to guest-physical address `base`:
 *
 *   base+0x000  RSDP  revision 2, points at the RSDT and the XSDT
 *   base+0x040  FACS  64 bytes, 64-byte aligned
 *   base+0x080  DSDT  \_S5, \_SB.PCI0 (PNP0A03: _CRS windows, _PRT), and
 *                     one processor device (ACPI0007) per vCPU
 *   then        FADT  revision 6 (276 bytes), MADT, RSDT, XSDT,
 *               each 16-byte aligned; about 3 KiB in all for 4 vCPUs.
 *
 * The FADT describes the PM registers of drivers/vdev/acpi_pm.h at
 * pm_base, the SCI on ISA IRQ sci_irq, the 0xCF9 reset register
 * (drivers/vdev/sys_ports.h, value 0x06) and a PC with legacy devices and
 * an 8042. The MADT lists one enabled local APIC per vCPU (APIC ID = ACPI
 * processor UID = index), one IOAPIC, the ISA overrides IRQ0 -> GSI2 and
 * SCI -> GSI sci_irq (level, active high), and LINT1 as NMI.
 *
 * PCI interrupts: _PRT routes INTA-INTD (pin 0-3) of devices 1-31 on bus 0
 * straight to IOAPIC GSIs pci_gsi_base + (device + pin) % 4, the usual
 * swizzle (16-19 by default); acpi_pci_gsi() gives the platform the same
 * answer for wiring its PCI devices. GSIs named by a _PRT entry whose
 * source is 0 are level-triggered, active low (ACPI 6.4 §6.2.13). */
#ifndef BULKHEAD_DRIVERS_VDEV_ACPI_TABLES_H
#define BULKHEAD_DRIVERS_VDEV_ACPI_TABLES_H

#include "core/types.h"

#define ACPI_MAX_CPUS 4 /* MAX_VCPUS_PER_PARTITION */
#define ACPI_TABLES_MAX_SIZE KiB(64)
#define ACPI_RSDP_ALIGN 16
/* Legacy BIOS area Linux scans for the RSDP (ACPI 6.4 §5.2.5.1). */
#define ACPI_RSDP_SCAN_START 0xE0000ULL
#define ACPI_RSDP_SCAN_END 0x100000ULL

#define ACPI_LAPIC_DEFAULT_ADDR 0xFEE00000ULL
#define ACPI_IOAPIC_DEFAULT_ADDR 0xFEC00000ULL
#define ACPI_IOAPIC_DEFAULT_PINS 24
#define ACPI_PCI_DEFAULT_GSI_BASE 16
#define ACPI_PCI_MMIO32_DEFAULT_BASE 0xC0000000U
#define ACPI_PCI_MMIO32_DEFAULT_LIMIT 0xFEBFFFFFU

/* Identification in every table header. */
#define ACPI_OEM_ID "BULKHD"
#define ACPI_OEM_TABLE_ID "BULKHEAD"
#define ACPI_CREATOR_ID "BLKH"
#define ACPI_OEM_REVISION 1
#define ACPI_CREATOR_REVISION 1

struct acpi_config {
	unsigned int nr_cpus;                       /* 1..ACPI_MAX_CPUS */
	gpa_t base;                                 /* 16-byte aligned; base + 64 KiB <= 4 GiB */
	uint16_t pm_base;                           /* acpi_pm block (ACPI_PM_DEFAULT_BASE) */
	uint8_t sci_irq;                            /* ISA IRQ of the SCI, also its GSI (9) */
	uint64_t lapic_addr;                        /* below 4 GiB */
	uint64_t ioapic_addr;                       /* below 4 GiB */
	uint8_t ioapic_id;                          /* 0-15, default nr_cpus */
	unsigned int ioapic_pins;                   /* GSIs 0..pins-1 */
	unsigned int pci_gsi_base;                  /* PCI INTx land on GSIs base..base+3 */
	uint32_t pci_mmio32_base, pci_mmio32_limit; /* inclusive */
	uint64_t pci_mmio64_base, pci_mmio64_limit; /* both 0: no 64-bit window */
};

/* Where each table landed (guest-physical addresses). */
struct acpi_tables_layout {
	size_t size; /* bytes used from the start of the buffer */
	gpa_t rsdp;  /* == base */
	gpa_t facs, dsdt, fadt, madt, rsdt, xsdt;
	uint32_t dsdt_len;
};

/* Fills the platform defaults above (PM at ACPI_PM_DEFAULT_BASE, SCI 9,
 * IOAPIC id nr_cpus). */
void acpi_config_default(struct acpi_config *c, unsigned int nr_cpus, gpa_t base);

#define ACPI_PCI_FIRST_ROUTED_SLOT 1
#define ACPI_PCI_LAST_SLOT 31
#define ACPI_PCI_INT_PINS 4

/* GSI of INTA+pin (pin 0-3) of bus-0 device `slot`, as the _PRT says. */
unsigned int acpi_pci_gsi(const struct acpi_config *c, unsigned int slot, unsigned int pin);

/* Builds all tables into buf[0..cap). Returns 0 and fills *out, or -1 (one
 * pr_err line saying why: invalid configuration or buffer too small);
 * nothing is ever written past buf + cap. */
int acpi_tables_build(const struct acpi_config *c, void *buf, size_t cap,
		      struct acpi_tables_layout *out);

#endif
