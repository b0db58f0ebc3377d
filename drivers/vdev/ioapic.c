/* SPDX-License-Identifier: BSD-2-Clause */
/* I/O APIC. References: Intel 82093AA datasheet (§3.1 memory-mapped
 * registers, §3.2 indirect registers, §3.2.4 redirection table) and the
 * ICH9 datasheet for the version 0x20 EOI register. */
#include "drivers/vdev/ioapic.h"

#include "core/log.h"
#include "drivers/vdev/msi.h"

enum ioapic_warning {
	IOAPIC_WARN_ACCESS = 1u << 0,
	IOAPIC_WARN_OFFSET = 1u << 1,
	IOAPIC_WARN_REGISTER = 1u << 2,
	IOAPIC_WARN_READ_ONLY = 1u << 3,
	IOAPIC_WARN_PIN = 1u << 4,
	IOAPIC_WARN_VECTOR = 1u << 5,
	IOAPIC_WARN_DELIVERY = 1u << 6,
};

static const char *owner_of(const struct ioapic *io)
{
	return io->owner ? io->owner : "?";
}

/* Each kind of misuse is reported once per IOAPIC, not once per access. */
static bool first_warning(struct ioapic *io, unsigned int bit)
{
	if (io->warned & bit)
		return false;
	io->warned |= bit;
	return true;
}

static uint8_t rte_delivery_mode(uint64_t rte)
{
	return (uint8_t)((rte >> IOAPIC_RTE_DELIVERY_SHIFT) & IOAPIC_RTE_DELIVERY_MASK);
}

/* SMI, NMI, INIT and ExtINT are always edge-triggered whatever the trigger
 * mode bit says (82093AA §3.2.4, delivery mode field): only fixed and
 * lowest-priority entries can be level-triggered and use remote IRR. */
static bool rte_is_level(uint64_t rte)
{
	return (rte & IOAPIC_RTE_TRIGGER_LEVEL) && msi_delivery_uses_vector(rte_delivery_mode(rte));
}

static bool pin_asserted(const struct ioapic *io, unsigned int pin)
{
	return io->pin_level & (1u << pin);
}

/* Sends the entry's interrupt as an MSI-format message; false if the entry
 * cannot be delivered (reserved delivery mode, illegal vector). */
static bool deliver(struct ioapic *io, unsigned int pin)
{
	uint64_t rte = io->rte[pin];
	struct msi_message m = {
		.dest_id = (uint8_t)((rte >> IOAPIC_RTE_DEST_SHIFT) & IOAPIC_RTE_DEST_MASK),
		.dest_logical = rte & IOAPIC_RTE_DEST_LOGICAL,
		.vector = (uint8_t)(rte & IOAPIC_RTE_VECTOR_MASK),
		.delivery_mode = rte_delivery_mode(rte),
		.level_assert = true,
		.trigger_level = rte_is_level(rte),
	};

	if (!msi_delivery_mode_valid(m.delivery_mode)) {
		if (first_warning(io, IOAPIC_WARN_DELIVERY))
			pr_warn("[%s] ioapic: pin %u uses reserved delivery mode %u; not delivered",
				owner_of(io), pin, m.delivery_mode);
		return false;
	}
	if (msi_delivery_uses_vector(m.delivery_mode) && m.vector < MSI_FIRST_VALID_VECTOR) {
		if (first_warning(io, IOAPIC_WARN_VECTOR))
			pr_warn("[%s] ioapic: pin %u programmed with illegal vector %u; not delivered",
				owner_of(io), pin, m.vector);
		return false;
	}
	io->delivered++;
	msi_send(&io->msi, msi_encode_addr(&m), msi_encode_data(&m));
	return true;
}

/* A level entry interrupts while its input is asserted and no earlier
 * delivery awaits its EOI (remote IRR). Remote IRR is set before sending so
 * an EOI arriving from inside the send sees a consistent entry. */
static void service_level(struct ioapic *io, unsigned int pin)
{
	uint64_t *rte = &io->rte[pin];

	if (!rte_is_level(*rte) || (*rte & (IOAPIC_RTE_MASKED | IOAPIC_RTE_REMOTE_IRR)))
		return;
	if (!pin_asserted(io, pin))
		return;
	*rte |= IOAPIC_RTE_REMOTE_IRR;
	if (!deliver(io, pin))
		*rte &= ~IOAPIC_RTE_REMOTE_IRR;
}

void ioapic_set_irq(void *ctx, unsigned int line, bool level)
{
	struct ioapic *io = ctx;
	bool rising;

	if (line >= IOAPIC_NR_PINS) {
		if (first_warning(io, IOAPIC_WARN_PIN))
			pr_warn("[%s] ioapic: input %u does not exist (%u pins); ignored",
				owner_of(io), line, IOAPIC_NR_PINS);
		return;
	}
	rising = level && !pin_asserted(io, line);
	if (level)
		io->pin_level |= 1u << line;
	else
		io->pin_level &= ~(1u << line);

	if (rte_is_level(io->rte[line])) {
		service_level(io, line);
		return;
	}
	/* A masked edge is lost, not held pending (82093AA §3.2.4, mask bit). */
	if (rising && !(io->rte[line] & IOAPIC_RTE_MASKED))
		deliver(io, line);
}

struct irq_sink ioapic_irq_sink(struct ioapic *io)
{
	return (struct irq_sink){ .set_level = ioapic_set_irq, .ctx = io };
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	for (unsigned int pin = 0; pin < IOAPIC_NR_PINS; pin++) {
		uint64_t *rte = &io->rte[pin];

		if (!(*rte & IOAPIC_RTE_REMOTE_IRR) || (*rte & IOAPIC_RTE_VECTOR_MASK) != vector)
			continue;
		*rte &= ~IOAPIC_RTE_REMOTE_IRR;
		service_level(io, pin);
	}
}

static void write_rte_low(struct ioapic *io, unsigned int pin, uint32_t val)
{
	uint64_t *rte = &io->rte[pin];
	uint64_t writable = IOAPIC_RTE_WRITABLE & 0xFFFFFFFFULL;

	*rte = (*rte & ~writable) | (val & writable);
	/* Remote IRR only has a meaning for level entries; switching an entry
	 * to edge retires it (the pre-0x20 way of clearing a stuck entry). */
	if (!rte_is_level(*rte))
		*rte &= ~IOAPIC_RTE_REMOTE_IRR;
	service_level(io, pin);
}

static void write_rte_high(struct ioapic *io, unsigned int pin, uint32_t val)
{
	uint64_t writable = IOAPIC_RTE_WRITABLE >> 32;

	io->rte[pin] = (io->rte[pin] & 0xFFFFFFFFULL) | (uint64_t)(val & writable) << 32;
}

static bool is_rte_register(uint8_t reg)
{
	return reg >= IOAPIC_REG_REDTBL && reg < IOAPIC_REG_REDTBL_END;
}

static void warn_register(struct ioapic *io, uint8_t reg)
{
	if (first_warning(io, IOAPIC_WARN_REGISTER))
		pr_warn("[%s] ioapic: IOREGSEL %#x selects no register; access ignored",
			owner_of(io), reg);
}

static uint32_t read_register(struct ioapic *io, uint8_t reg)
{
	if (is_rte_register(reg)) {
		uint64_t rte = io->rte[(reg - IOAPIC_REG_REDTBL) / 2];
		return (reg & 1) ? (uint32_t)(rte >> 32) : (uint32_t)rte;
	}
	switch (reg) {
	case IOAPIC_REG_ID:
	case IOAPIC_REG_ARB: /* the arbitration ID follows the APIC ID */
		return (uint32_t)io->id << IOAPIC_ID_SHIFT;
	case IOAPIC_REG_VERSION:
		return IOAPIC_VERSION | (IOAPIC_NR_PINS - 1) << IOAPIC_VERSION_MRE_SHIFT;
	default:
		warn_register(io, reg);
		return 0;
	}
}

static void write_register(struct ioapic *io, uint8_t reg, uint32_t val)
{
	if (is_rte_register(reg)) {
		unsigned int pin = (reg - IOAPIC_REG_REDTBL) / 2;
		if (reg & 1)
			write_rte_high(io, pin, val);
		else
			write_rte_low(io, pin, val);
		return;
	}
	switch (reg) {
	case IOAPIC_REG_ID:
		io->id = (uint8_t)((val >> IOAPIC_ID_SHIFT) & IOAPIC_ID_MASK);
		return;
	case IOAPIC_REG_VERSION:
	case IOAPIC_REG_ARB:
		if (first_warning(io, IOAPIC_WARN_READ_ONLY))
			pr_warn("[%s] ioapic: write %#x to read-only register %#x ignored",
				owner_of(io), val, reg);
		return;
	default:
		warn_register(io, reg);
		return;
	}
}

static uint64_t all_ones(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

/* Only aligned dwords at the three registers exist (82093AA §3.1: "must be
 * accessed as 32-bit quantities"). */
static bool valid_access(struct ioapic *io, uint64_t offset, unsigned int size, bool write)
{
	if (size != IOAPIC_ACCESS_SIZE || !IS_ALIGNED(offset, IOAPIC_ACCESS_SIZE)) {
		if (first_warning(io, IOAPIC_WARN_ACCESS))
			pr_warn("[%s] ioapic: %u-byte %s at offset %#llx; only aligned dwords are "
				"valid, ignored",
				owner_of(io), size, write ? "write" : "read",
				(unsigned long long)offset);
		return false;
	}
	if (offset != IOAPIC_IOREGSEL && offset != IOAPIC_IOWIN && offset != IOAPIC_EOI) {
		if (first_warning(io, IOAPIC_WARN_OFFSET))
			pr_warn("[%s] ioapic: %s at reserved offset %#llx ignored", owner_of(io),
				write ? "write" : "read", (unsigned long long)offset);
		return false;
	}
	return true;
}

int ioapic_mmio_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val)
{
	struct ioapic *io = dev;

	if (!valid_access(io, offset, size, false)) {
		*val = all_ones(size);
		return 0;
	}
	switch (offset) {
	case IOAPIC_IOREGSEL:
		*val = io->ioregsel;
		break;
	case IOAPIC_IOWIN:
		*val = read_register(io, io->ioregsel);
		break;
	default: /* the EOI register is write-only */
		*val = 0;
		break;
	}
	return 0;
}

int ioapic_mmio_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	struct ioapic *io = dev;

	if (!valid_access(io, offset, size, true))
		return 0;
	switch (offset) {
	case IOAPIC_IOREGSEL:
		io->ioregsel = (uint8_t)(val & IOAPIC_IOREGSEL_MASK);
		break;
	case IOAPIC_IOWIN:
		write_register(io, io->ioregsel, (uint32_t)val);
		break;
	default:
		ioapic_eoi(io, (uint8_t)(val & IOAPIC_EOI_VECTOR_MASK));
		break;
	}
	return 0;
}

void ioapic_reset(struct ioapic *io)
{
	io->ioregsel = 0;
	for (unsigned int pin = 0; pin < IOAPIC_NR_PINS; pin++)
		io->rte[pin] = IOAPIC_RTE_MASKED;
}

void ioapic_init(struct ioapic *io, const char *owner, uint8_t id, const struct msi_sink *msi)
{
	*io = (struct ioapic){ 0 };
	io->owner = owner;
	io->id = id & IOAPIC_ID_MASK;
	if (msi)
		io->msi = *msi;
	ioapic_reset(io);
}

bool ioapic_attach(struct ioapic *io, struct iobus *bus, uint64_t base)
{
	return iobus_add_mmio(bus, base, IOAPIC_MMIO_SIZE, ioapic_mmio_read, ioapic_mmio_write, io,
			      "ioapic");
}

uint64_t ioapic_rte(const struct ioapic *io, unsigned int pin)
{
	return pin < IOAPIC_NR_PINS ? io->rte[pin] : 0;
}
