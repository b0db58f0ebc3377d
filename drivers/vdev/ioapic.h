/* SPDX-License-Identifier: BSD-2-Clause */
/* I/O APIC: the 82093AA programming model (Intel 82093AA I/O Advanced
 * Programmable Interrupt Controller datasheet, order 290566) as found in
 * Intel ICH/PCH chipsets: version 0x20, 24 redirection entries, and the
 * ICH's EOI register at offset 0x40 (ICH9 datasheet, "APIC Direct
 * Registers").
 *
 * Interrupts leave as MSI-format messages (drivers/vdev/msi.h) through a
 * struct msi_sink, so the platform routes IOAPIC and PCI MSI the same way.
 * Input pins come in through a struct irq_sink carrying the logical state
 * (true = asserted); the polarity bit is stored for the guest but the wire's
 * electrical sense is the platform's business (ACPI describes it).
 *
 * MMIO, 32-bit aligned accesses only: IOREGSEL 0x00, IOWIN 0x10, EOI 0x40.
 * Anything else is ignored (reads all ones) with one warning. */
#ifndef BULKHEAD_DRIVERS_VDEV_IOAPIC_H
#define BULKHEAD_DRIVERS_VDEV_IOAPIC_H

#include "core/iobus.h"
#include "drivers/vdev/vdev.h"

#define IOAPIC_DEFAULT_BASE 0xFEC00000ULL
#define IOAPIC_MMIO_SIZE 0x1000ULL
#define IOAPIC_NR_PINS 24

/* MMIO offsets (82093AA §3.1; EOI from the ICH9 direct registers). */
#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN 0x10
#define IOAPIC_EOI 0x40
#define IOAPIC_ACCESS_SIZE 4

/* Indirect registers (82093AA §3.2). */
#define IOAPIC_REG_ID 0x00
#define IOAPIC_REG_VERSION 0x01
#define IOAPIC_REG_ARB 0x02
#define IOAPIC_REG_REDTBL 0x10 /* entry n: low dword 0x10+2n, high 0x11+2n */
#define IOAPIC_REG_REDTBL_END (IOAPIC_REG_REDTBL + 2 * IOAPIC_NR_PINS)
#define IOAPIC_IOREGSEL_MASK 0xFFu
#define IOAPIC_EOI_VECTOR_MASK 0xFFu

/* ID and arbitration registers: a 4-bit ID in bits 27:24. */
#define IOAPIC_ID_SHIFT 24
#define IOAPIC_ID_MASK 0x0Fu

/* Version register: bits 7:0 version, 23:16 highest redirection entry. */
#define IOAPIC_VERSION 0x20
#define IOAPIC_VERSION_MRE_SHIFT 16

/* Redirection table entry (82093AA §3.2.4). */
#define IOAPIC_RTE_VECTOR_MASK 0xFFULL
#define IOAPIC_RTE_DELIVERY_SHIFT 8
#define IOAPIC_RTE_DELIVERY_MASK 0x7ULL
#define IOAPIC_RTE_DEST_LOGICAL BIT(11)
#define IOAPIC_RTE_DELIVERY_STATUS BIT(12) /* read-only */
#define IOAPIC_RTE_POLARITY_LOW BIT(13)
#define IOAPIC_RTE_REMOTE_IRR BIT(14) /* read-only */
#define IOAPIC_RTE_TRIGGER_LEVEL BIT(15)
#define IOAPIC_RTE_MASKED BIT(16)
#define IOAPIC_RTE_DEST_SHIFT 56
#define IOAPIC_RTE_DEST_MASK 0xFFULL
/* Bits the guest can write; bits 55:17 are reserved and read as zero. */
#define IOAPIC_RTE_WRITABLE                                                               \
	(IOAPIC_RTE_VECTOR_MASK | IOAPIC_RTE_DELIVERY_MASK << IOAPIC_RTE_DELIVERY_SHIFT | \
	 IOAPIC_RTE_DEST_LOGICAL | IOAPIC_RTE_POLARITY_LOW | IOAPIC_RTE_TRIGGER_LEVEL |   \
	 IOAPIC_RTE_MASKED | IOAPIC_RTE_DEST_MASK << IOAPIC_RTE_DEST_SHIFT)

struct ioapic {
	const char *owner;
	struct msi_sink msi;
	uint8_t id;       /* 4-bit IOAPIC ID */
	uint8_t ioregsel; /* selected indirect register */
	uint64_t rte[IOAPIC_NR_PINS];
	uint32_t pin_level; /* bit n: input n is asserted */
	uint64_t delivered; /* messages sent */
	unsigned int warned;
};

/* id is the IOAPIC ID the ACPI MADT reports (only its low 4 bits exist). */
void ioapic_init(struct ioapic *io, const char *owner, uint8_t id, const struct msi_sink *msi);
/* Power-on state: every entry masked, edge, vector 0; the ID register
 * keeps its value from init. Input pin levels are wires and are kept. */
void ioapic_reset(struct ioapic *io);

/* irq_sink callback: ctx is the struct ioapic, line 0-23. */
void ioapic_set_irq(void *ctx, unsigned int line, bool level);
struct irq_sink ioapic_irq_sink(struct ioapic *io);

/* EOI for vector: the local APIC's EOI broadcast for a level-triggered
 * interrupt (SDM Vol. 3A §11.8.5), also reached by a write to the EOI
 * register. Clears remote IRR of level entries with that vector and
 * delivers again those whose input is still asserted. */
void ioapic_eoi(struct ioapic *io, uint8_t vector);

int ioapic_mmio_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val);
int ioapic_mmio_write(void *dev, uint64_t offset, unsigned int size, uint64_t val);
/* Registers [base, base + IOAPIC_MMIO_SIZE) on the MMIO bus. */
bool ioapic_attach(struct ioapic *io, struct iobus *bus, uint64_t base);

/* Redirection entry as the guest programmed it (tests, debugging); 0 for
 * a pin out of range. */
uint64_t ioapic_rte(const struct ioapic *io, unsigned int pin);

#endif
