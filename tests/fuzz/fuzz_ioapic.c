/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz the I/O APIC: MMIO accesses of any size and offset, input lines
 * (including pins that do not exist), EOI broadcasts and resets.
 * Invariants: every message is in the MSI window with a valid delivery
 * mode and, for vector-using modes, a legal vector; one input change
 * delivers at most once; remote IRR only ever sits on level entries;
 * read-only and reserved RTE bits stay clear except remote IRR; an
 * unmasked, deliverable level entry whose line is asserted is always in
 * service (no level interrupt is lost); each kind of misuse is logged at
 * most once. */
#include "drivers/vdev/ioapic.h"
#include "drivers/vdev/msi.h"
#include "tests/fuzz/vdev_ops.h"
#include "tests/unit/support/host_log.h"

struct msi_counter {
	unsigned int count;
};

static void count_msi(void *ctx, uint64_t addr, uint32_t data)
{
	struct msi_counter *c = ctx;
	struct msi_message m;

	CHECK(msi_decode(addr, data, &m));
	CHECK(!m.redirection_hint);
	CHECK(msi_delivery_mode_valid(m.delivery_mode));
	if (msi_delivery_uses_vector(m.delivery_mode))
		CHECK(m.vector >= MSI_FIRST_VALID_VECTOR);
	else
		CHECK(!m.trigger_level);
	CHECK(m.level_assert);
	CHECK((data >> 16) == 0);
	c->count++;
}

enum { OP_REGSEL, OP_WINDOW, OP_EOI_REG, OP_RAW, OP_LINE, OP_EOI, OP_RESET, NR_OPS };

static bool deliverable_level(uint64_t rte)
{
	uint8_t mode = (rte >> IOAPIC_RTE_DELIVERY_SHIFT) & IOAPIC_RTE_DELIVERY_MASK;

	return (rte & IOAPIC_RTE_TRIGGER_LEVEL) && msi_delivery_uses_vector(mode) &&
	       (rte & IOAPIC_RTE_VECTOR_MASK) >= MSI_FIRST_VALID_VECTOR;
}

static void mmio(struct iobus *bus, uint64_t off, unsigned int size, const struct vdev_op *op)
{
	uint64_t val = op->value;

	CHECK(iobus_mmio(bus, IOAPIC_DEFAULT_BASE + off, size, op->write, &val) == IOBUS_OK);
	if (!op->write && size < 8)
		CHECK(val < (1ULL << (8 * size)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ioapic io;
	struct msi_counter msi = { 0 };
	struct msi_sink sink = { .send = count_msi, .ctx = &msi };
	struct iobus bus = { 0 };
	struct vdev_op op;

	host_log_reset();
	ioapic_init(&io, "fuzz", 2, &sink);
	CHECK(ioapic_attach(&io, &bus, IOAPIC_DEFAULT_BASE));
	while (vdev_next_op(&data, &len, &op)) {
		unsigned int before = msi.count;
		switch (op.sel % NR_OPS) {
		case OP_REGSEL:
			mmio(&bus, IOAPIC_IOREGSEL, op.size, &op);
			break;
		case OP_WINDOW:
			mmio(&bus, IOAPIC_IOWIN, op.size, &op);
			break;
		case OP_EOI_REG:
			mmio(&bus, IOAPIC_EOI, op.size, &op);
			CHECK(msi.count - before <= IOAPIC_NR_PINS);
			break;
		case OP_RAW:
			mmio(&bus, op.value >> 20, op.size == 3 ? 8 : op.size, &op);
			break;
		case OP_LINE:
			ioapic_set_irq(&io, op.value % 32, op.value & 0x100);
			CHECK(msi.count - before <= 1);
			break;
		case OP_EOI:
			ioapic_eoi(&io, (uint8_t)op.value);
			CHECK(msi.count - before <= IOAPIC_NR_PINS);
			break;
		default:
			ioapic_reset(&io);
			CHECK(msi.count == before);
			break;
		}
		if (op.sel % NR_OPS == OP_REGSEL)
			CHECK(msi.count == before);
		for (unsigned int pin = 0; pin < IOAPIC_NR_PINS; pin++) {
			uint64_t rte = io.rte[pin];
			bool asserted = io.pin_level & (1u << pin);
			CHECK((rte & ~(IOAPIC_RTE_WRITABLE | IOAPIC_RTE_REMOTE_IRR)) == 0);
			if (rte & IOAPIC_RTE_REMOTE_IRR)
				CHECK(deliverable_level(rte) || (rte & IOAPIC_RTE_TRIGGER_LEVEL));
			if (deliverable_level(rte) && !(rte & IOAPIC_RTE_MASKED) && asserted)
				CHECK(rte & IOAPIC_RTE_REMOTE_IRR);
		}
		CHECK(io.pin_level < (1u << IOAPIC_NR_PINS));
		CHECK(io.id <= IOAPIC_ID_MASK);
		CHECK(io.delivered == msi.count);
	}
	CHECK(host_log_count() <= 7);
	return 0;
}
