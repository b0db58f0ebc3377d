/* SPDX-License-Identifier: BSD-2-Clause */
/* I/O APIC: register window, read-only bits, edge and level semantics with
 * remote IRR and EOI, MSI-format delivery, and hostile accesses. Also the
 * MSI message decoder it shares with PCI MSI. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/iobus.h"
#include "drivers/vdev/ioapic.h"
#include "drivers/vdev/msi.h"
#include "tests/unit/support/host_log.h"

#define BASE IOAPIC_DEFAULT_BASE
#define MAX_MSGS 64

struct msi_recorder {
	unsigned int count;
	uint64_t addr[MAX_MSGS];
	uint32_t data[MAX_MSGS];
	struct msi_sink sink;
};

static void record_msi(void *ctx, uint64_t addr, uint32_t data)
{
	struct msi_recorder *r = ctx;
	if (r->count < MAX_MSGS) {
		r->addr[r->count] = addr;
		r->data[r->count] = data;
	}
	r->count++;
}

static struct ioapic io;
static struct msi_recorder msi;
static struct iobus bus;

static void setup(void)
{
	memset(&msi, 0, sizeof(msi));
	msi.sink = (struct msi_sink){ .send = record_msi, .ctx = &msi };
	memset(&bus, 0, sizeof(bus));
	host_log_reset();
	ioapic_init(&io, "t", 4, &msi.sink);
	cr_assert(ioapic_attach(&io, &bus, BASE));
}

static void mmio_write(uint64_t off, unsigned int size, uint64_t v)
{
	cr_assert_eq(iobus_mmio(&bus, BASE + off, size, true, &v), IOBUS_OK);
}

static uint64_t mmio_read(uint64_t off, unsigned int size)
{
	uint64_t v = 0xDEAD;
	cr_assert_eq(iobus_mmio(&bus, BASE + off, size, false, &v), IOBUS_OK);
	return v;
}

static void reg_write(uint8_t reg, uint32_t v)
{
	mmio_write(IOAPIC_IOREGSEL, 4, reg);
	mmio_write(IOAPIC_IOWIN, 4, v);
}

static uint32_t reg_read(uint8_t reg)
{
	mmio_write(IOAPIC_IOREGSEL, 4, reg);
	return (uint32_t)mmio_read(IOAPIC_IOWIN, 4);
}

/* Linux's order: high dword (destination) first, then low. */
static void program(unsigned int pin, uint8_t dest, uint32_t low)
{
	reg_write((uint8_t)(IOAPIC_REG_REDTBL + 2 * pin + 1), (uint32_t)dest << 24);
	reg_write((uint8_t)(IOAPIC_REG_REDTBL + 2 * pin), low);
}

static uint32_t rte_low(unsigned int pin)
{
	return reg_read((uint8_t)(IOAPIC_REG_REDTBL + 2 * pin));
}

#define LEVEL ((uint32_t)IOAPIC_RTE_TRIGGER_LEVEL)
#define MASKED ((uint32_t)IOAPIC_RTE_MASKED)
#define REMOTE_IRR ((uint32_t)IOAPIC_RTE_REMOTE_IRR)

TestSuite(ioapic, .init = setup);

Test(ioapic, reset_state_every_entry_masked)
{
	for (unsigned int pin = 0; pin < IOAPIC_NR_PINS; pin++) {
		cr_assert_eq(rte_low(pin), MASKED, "pin %u", pin);
		cr_assert_eq(reg_read((uint8_t)(IOAPIC_REG_REDTBL + 2 * pin + 1)), 0);
	}
	/* A masked input does nothing. */
	for (unsigned int pin = 0; pin < IOAPIC_NR_PINS; pin++)
		ioapic_set_irq(&io, pin, true);
	cr_assert_eq(msi.count, 0);
	cr_assert_eq(host_log_count(), 0);
}

Test(ioapic, id_version_and_arbitration_registers)
{
	cr_assert_eq(reg_read(IOAPIC_REG_ID), 4u << 24);
	cr_assert_eq(reg_read(IOAPIC_REG_VERSION), 0x00170020u); /* 24 entries, version 0x20 */
	cr_assert_eq(reg_read(IOAPIC_REG_ARB), 4u << 24);
	reg_write(IOAPIC_REG_ID, 0xFFFFFFFFu); /* only the 4-bit ID is writable */
	cr_assert_eq(reg_read(IOAPIC_REG_ID), 0x0F000000u);
	cr_assert_eq(reg_read(IOAPIC_REG_ARB), 0x0F000000u);
	cr_assert_eq(host_log_count(), 0);
}

Test(ioapic, ioregsel_reads_back_its_8_bits)
{
	mmio_write(IOAPIC_IOREGSEL, 4, 0xABCD0012u);
	cr_assert_eq(mmio_read(IOAPIC_IOREGSEL, 4), 0x12);
	/* The window follows the selection. */
	program(1, 0x5A, MASKED | 0x33);
	mmio_write(IOAPIC_IOREGSEL, 4, IOAPIC_REG_REDTBL + 3);
	cr_assert_eq(mmio_read(IOAPIC_IOWIN, 4), 0x5A000000u);
	mmio_write(IOAPIC_IOREGSEL, 4, IOAPIC_REG_REDTBL + 2);
	cr_assert_eq(mmio_read(IOAPIC_IOWIN, 4), MASKED | 0x33);
	/* The EOI register is write-only. */
	cr_assert_eq(mmio_read(IOAPIC_EOI, 4), 0);
}

Test(ioapic, read_only_and_reserved_rte_bits)
{
	/* Delivery status, remote IRR and reserved bits 31:17 cannot be set. */
	program(2, 0, 0xFFFFFFFFu);
	cr_assert_eq(rte_low(2), 0x0001BFFFu & ~(uint32_t)IOAPIC_RTE_DELIVERY_STATUS);
	/* High dword: only the destination byte. */
	reg_write(IOAPIC_REG_REDTBL + 5, 0xFFFFFFFFu);
	cr_assert_eq(reg_read(IOAPIC_REG_REDTBL + 5), 0xFF000000u);
	cr_assert_eq(ioapic_rte(&io, 2), 0xFF0000000001AFFFULL);
}

Test(ioapic, version_register_is_read_only)
{
	reg_write(IOAPIC_REG_VERSION, 0);
	reg_write(IOAPIC_REG_ARB, 0);
	cr_assert_eq(reg_read(IOAPIC_REG_VERSION), 0x00170020u);
	cr_assert_eq(reg_read(IOAPIC_REG_ARB), 4u << 24);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("[t] ioapic: write 0x0 to read-only register 0x1"));
}

Test(ioapic, edge_delivers_once_per_rising_edge)
{
	program(1, 0, 0x31);
	ioapic_set_irq(&io, 1, true);
	cr_assert_eq(msi.count, 1);
	ioapic_set_irq(&io, 1, true); /* still high: no new edge */
	cr_assert_eq(msi.count, 1);
	ioapic_set_irq(&io, 1, false);
	cr_assert_eq(msi.count, 1);
	ioapic_set_irq(&io, 1, true);
	cr_assert_eq(msi.count, 2);
	cr_assert_eq(msi.data[1], 0x31u | MSI_DATA_LEVEL_ASSERT);
	/* No remote IRR for edge entries, and an EOI changes nothing. */
	cr_assert_eq(rte_low(1) & REMOTE_IRR, 0);
	ioapic_eoi(&io, 0x31);
	cr_assert_eq(msi.count, 2);
}

Test(ioapic, masked_edge_is_lost_not_held)
{
	program(3, 0, MASKED | 0x40);
	ioapic_set_irq(&io, 3, true);
	ioapic_set_irq(&io, 3, false);
	program(3, 0, 0x40);
	cr_assert_eq(msi.count, 0);
	/* Unmasking an edge pin whose line is high does not deliver either. */
	program(3, 0, MASKED | 0x40);
	ioapic_set_irq(&io, 3, true);
	program(3, 0, 0x40);
	cr_assert_eq(msi.count, 0);
}

Test(ioapic, level_sets_remote_irr_and_blocks_until_eoi)
{
	program(10, 1, LEVEL | 0x51);
	ioapic_set_irq(&io, 10, true);
	cr_assert_eq(msi.count, 1);
	cr_assert_eq(msi.data[0], 0x51u | MSI_DATA_LEVEL_ASSERT | MSI_DATA_TRIGGER_LEVEL);
	cr_assert(rte_low(10) & REMOTE_IRR);
	/* Re-asserting or toggling the line does not deliver again. */
	ioapic_set_irq(&io, 10, true);
	ioapic_set_irq(&io, 10, false);
	ioapic_set_irq(&io, 10, true);
	cr_assert_eq(msi.count, 1);
}

Test(ioapic, eoi_redelivers_while_line_asserted)
{
	program(10, 1, LEVEL | 0x51);
	ioapic_set_irq(&io, 10, true);
	ioapic_eoi(&io, 0x51);
	cr_assert_eq(msi.count, 2);
	cr_assert(rte_low(10) & REMOTE_IRR);
	/* The guest's handler quiets the device, then EOIs: no more. */
	ioapic_set_irq(&io, 10, false);
	ioapic_eoi(&io, 0x51);
	cr_assert_eq(msi.count, 2);
	cr_assert_eq(rte_low(10) & REMOTE_IRR, 0);
	/* The next assertion interrupts at once. */
	ioapic_set_irq(&io, 10, true);
	cr_assert_eq(msi.count, 3);
}

Test(ioapic, eoi_register_acts_like_the_broadcast)
{
	program(11, 0, LEVEL | 0x61);
	program(12, 0, LEVEL | 0x62);
	ioapic_set_irq(&io, 11, true);
	ioapic_set_irq(&io, 12, true);
	cr_assert_eq(msi.count, 2);
	mmio_write(IOAPIC_EOI, 4, 0xFFFFFF62u); /* only bits 7:0 are the vector */
	cr_assert_eq(msi.count, 3);
	cr_assert_eq(msi.data[2] & MSI_DATA_VECTOR_MASK, 0x62);
	/* Pin 11 still waits for its own EOI. */
	cr_assert(rte_low(11) & REMOTE_IRR);
	mmio_write(IOAPIC_EOI, 4, 0x99);
	cr_assert_eq(msi.count, 3);
}

Test(ioapic, unmasking_an_asserted_level_pin_delivers)
{
	program(16, 2, MASKED | LEVEL | 0x70);
	ioapic_set_irq(&io, 16, true);
	cr_assert_eq(msi.count, 0);
	cr_assert_eq(rte_low(16) & REMOTE_IRR, 0);
	program(16, 2, LEVEL | 0x70);
	cr_assert_eq(msi.count, 1);
	cr_assert(rte_low(16) & REMOTE_IRR);
}

Test(ioapic, masked_while_in_service_waits_for_unmask)
{
	program(5, 0, LEVEL | 0x45);
	ioapic_set_irq(&io, 5, true);
	program(5, 0, MASKED | LEVEL | 0x45);
	cr_assert(rte_low(5) & REMOTE_IRR); /* rewriting the entry keeps it */
	ioapic_eoi(&io, 0x45);
	cr_assert_eq(msi.count, 1);
	cr_assert_eq(rte_low(5) & REMOTE_IRR, 0);
	program(5, 0, LEVEL | 0x45);
	cr_assert_eq(msi.count, 2);
}

/* Remote IRR is read-only (82093AA §3.2.4): a guest write of the entry
 * neither clears it while set nor sets it while clear, and no delivery
 * follows from either write. */
Test(ioapic, remote_irr_is_read_only_to_the_guest)
{
	program(7, 0, LEVEL | REMOTE_IRR | 0x47);
	cr_assert_eq(rte_low(7) & REMOTE_IRR, 0, "cannot be set");
	ioapic_set_irq(&io, 7, true);
	cr_assert_eq(msi.count, 1);
	program(7, 0, LEVEL | 0x47);
	cr_assert(rte_low(7) & REMOTE_IRR, "cannot be cleared");
	cr_assert_eq(msi.count, 1, "no delivery before the EOI");
	ioapic_eoi(&io, 0x48); /* another vector's EOI */
	cr_assert(rte_low(7) & REMOTE_IRR);
	cr_assert_eq(msi.count, 1);
}

Test(ioapic, switching_to_edge_clears_remote_irr)
{
	program(6, 0, LEVEL | 0x46);
	ioapic_set_irq(&io, 6, true);
	cr_assert(rte_low(6) & REMOTE_IRR);
	program(6, 0, MASKED | 0x46); /* pre-0x20 "clear remote IRR" trick */
	cr_assert_eq(rte_low(6) & REMOTE_IRR, 0);
	program(6, 0, MASKED | LEVEL | 0x46);
	program(6, 0, LEVEL | 0x46); /* still asserted: delivers again */
	cr_assert_eq(msi.count, 2);
}

Test(ioapic, msi_message_physical_destination)
{
	struct msi_message m;
	program(4, 3, 0x41); /* fixed, physical, edge */
	ioapic_set_irq(&io, 4, true);
	cr_assert_eq(msi.count, 1);
	cr_assert_eq(msi.addr[0], 0xFEE03000ULL);
	cr_assert_eq(msi.data[0], 0x4041u);
	cr_assert(msi_decode(msi.addr[0], msi.data[0], &m));
	cr_assert_eq(m.dest_id, 3);
	cr_assert(!m.dest_logical);
	cr_assert(!m.redirection_hint);
	cr_assert_eq(m.vector, 0x41);
	cr_assert_eq(m.delivery_mode, MSI_DELIVERY_FIXED);
	cr_assert(m.level_assert);
	cr_assert(!m.trigger_level);
}

Test(ioapic, msi_message_logical_lowest_priority_level)
{
	struct msi_message m;
	program(9, 0x0F, LEVEL | IOAPIC_RTE_DEST_LOGICAL | 1u << 8 | 0xA9);
	ioapic_set_irq(&io, 9, true);
	cr_assert_eq(msi.count, 1);
	cr_assert_eq(msi.addr[0], 0xFEE0F004ULL);
	cr_assert_eq(msi.data[0], 0xC1A9u);
	cr_assert(msi_decode(msi.addr[0], msi.data[0], &m));
	cr_assert_eq(m.dest_id, 0x0F);
	cr_assert(m.dest_logical);
	cr_assert_eq(m.delivery_mode, MSI_DELIVERY_LOWEST_PRIORITY);
	cr_assert(m.trigger_level);
	cr_assert_eq(msi_encode_addr(&m), msi.addr[0]);
	cr_assert_eq(msi_encode_data(&m), msi.data[0]);
}

Test(ioapic, nmi_and_extint_are_edge_even_if_programmed_level)
{
	program(7, 0, LEVEL | 4u << 8); /* NMI, vector ignored */
	ioapic_set_irq(&io, 7, true);
	cr_assert_eq(msi.count, 1);
	cr_assert_eq(msi.data[0], 0x4400u);
	cr_assert_eq(rte_low(7) & REMOTE_IRR, 0);
	ioapic_set_irq(&io, 7, true);
	cr_assert_eq(msi.count, 1); /* no new edge */
	program(0, 0, 7u << 8);     /* ExtINT: vector 0 is fine */
	ioapic_set_irq(&io, 0, true);
	cr_assert_eq(msi.count, 2);
	cr_assert_eq(msi.data[1], 0x4700u);
	cr_assert_eq(host_log_count(), 0);
}

Test(ioapic, hostile_vector_below_16_not_delivered)
{
	program(8, 0, 0x05);
	ioapic_set_irq(&io, 8, true);
	program(9, 0, LEVEL | 0x0F);
	ioapic_set_irq(&io, 9, true);
	cr_assert_eq(msi.count, 0);
	cr_assert_eq(rte_low(9) & REMOTE_IRR, 0); /* nothing in service */
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("[t] ioapic: pin 8 programmed with illegal vector 5"));
	/* Reprogrammed properly, the asserted level pin delivers. */
	program(9, 0, LEVEL | 0x30);
	cr_assert_eq(msi.count, 1);
}

Test(ioapic, hostile_reserved_delivery_mode)
{
	program(2, 0, 3u << 8 | 0x40);
	ioapic_set_irq(&io, 2, true);
	program(3, 0, 6u << 8 | 0x40);
	ioapic_set_irq(&io, 3, true);
	cr_assert_eq(msi.count, 0);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("reserved delivery mode 3"));
}

Test(ioapic, hostile_bad_ioregsel)
{
	static const uint8_t bad[] = { 0x03, 0x0F, IOAPIC_REG_REDTBL_END, 0x80, 0xFF };
	uint64_t before[IOAPIC_NR_PINS];

	memcpy(before, io.rte, sizeof(before));
	for (unsigned int i = 0; i < sizeof(bad); i++) {
		cr_assert_eq(reg_read(bad[i]), 0);
		reg_write(bad[i], 0);
	}
	cr_assert_eq(memcmp(before, io.rte, sizeof(before)), 0);
	cr_assert_eq(reg_read(IOAPIC_REG_ID), 4u << 24);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("[t] ioapic: IOREGSEL 0x3 selects no register"));
}

Test(ioapic, hostile_wrong_size_and_unaligned_accesses)
{
	mmio_write(IOAPIC_IOREGSEL, 4, IOAPIC_REG_REDTBL);
	/* Byte, word and qword accesses to real registers, and an unaligned
	 * dword, are ignored: reads give all ones and nothing changes. */
	cr_assert_eq(mmio_read(IOAPIC_IOWIN, 1), 0xFF);
	cr_assert_eq(mmio_read(IOAPIC_IOWIN, 2), 0xFFFF);
	cr_assert_eq(mmio_read(IOAPIC_IOWIN, 8), ~0ULL);
	cr_assert_eq(mmio_read(IOAPIC_IOWIN + 1, 4), 0xFFFFFFFFu);
	mmio_write(IOAPIC_IOWIN, 1, 0);
	mmio_write(IOAPIC_IOWIN, 8, 0);
	mmio_write(IOAPIC_IOREGSEL + 2, 4, 0);
	mmio_write(IOAPIC_EOI, 2, 0x30);
	cr_assert_eq(mmio_read(IOAPIC_IOREGSEL, 4), IOAPIC_REG_REDTBL);
	cr_assert_eq(rte_low(0), MASKED);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("only aligned dwords are valid"));
}

Test(ioapic, hostile_reserved_offsets)
{
	cr_assert_eq(mmio_read(0x20, 4), 0xFFFFFFFFu);
	mmio_write(0x30, 4, 0x12);
	mmio_write(0xFFC, 4, 0x12);
	cr_assert_eq(mmio_read(IOAPIC_IOREGSEL, 4), 0);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("reserved offset 0x20"));
}

Test(ioapic, hostile_pin_numbers_out_of_range)
{
	ioapic_set_irq(&io, IOAPIC_NR_PINS, true);
	ioapic_set_irq(&io, 1000, true);
	ioapic_set_irq(&io, UINT32_MAX, false);
	cr_assert_eq(io.pin_level, 0);
	cr_assert_eq(msi.count, 0);
	cr_assert_eq(ioapic_rte(&io, IOAPIC_NR_PINS), 0);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("input 24 does not exist"));
}

Test(ioapic, irq_sink_and_reset)
{
	struct irq_sink s = ioapic_irq_sink(&io);
	program(13, 0, LEVEL | 0x55);
	irq_set(&s, 13, true);
	cr_assert_eq(msi.count, 1);
	reg_write(IOAPIC_REG_ID, 0x02000000u);
	ioapic_reset(&io);
	cr_assert_eq(rte_low(13), MASKED); /* remote IRR gone too */
	cr_assert_eq(reg_read(IOAPIC_REG_ID), 0x02000000u);
	/* The wire is still high: unmasking as level delivers. */
	program(13, 0, LEVEL | 0x55);
	cr_assert_eq(msi.count, 2);
}

Test(ioapic, msi_decoder_rejects_non_interrupt_writes)
{
	struct msi_message m;
	cr_assert(!msi_decode(0xFED00000ULL, 0x30, &m));
	cr_assert(!msi_decode(0x1FEE00000ULL, 0x30, &m)); /* above 4 GiB */
	cr_assert_eq(m.vector, 0);
	cr_assert(msi_decode(0xFEEFF00CULL, 0xFFFF7E30u, &m));
	cr_assert_eq(m.dest_id, 0xFF);
	cr_assert(m.dest_logical);
	cr_assert(m.redirection_hint);
	cr_assert_eq(m.vector, 0x30);
	cr_assert_eq(m.delivery_mode, 6);
	cr_assert(!msi_delivery_mode_valid(m.delivery_mode));
	cr_assert(!msi_delivery_mode_valid(3));
	cr_assert(msi_delivery_mode_valid(MSI_DELIVERY_EXTINT));
	cr_assert(m.level_assert);
	cr_assert(!m.trigger_level);
}
