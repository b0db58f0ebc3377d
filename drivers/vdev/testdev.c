/* SPDX-License-Identifier: BSD-2-Clause */
#include "drivers/vdev/testdev.h"

static int echo_read(void *dev, uint64_t off, unsigned int size, uint64_t *val)
{
	struct testdev *t = dev;
	*val = (t->echo >> (off * 8)) & (size >= 4 ? 0xffffffffULL : (1ULL << (size * 8)) - 1);
	return 0;
}

static int echo_write(void *dev, uint64_t off, unsigned int size, uint64_t val)
{
	struct testdev *t = dev;
	uint32_t mask = size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
	unsigned int shift = (unsigned int)off * 8;
	if (shift >= 32)
		return 0;
	t->echo = (t->echo & ~(mask << shift)) | (((uint32_t)val & mask) << shift);
	return 0;
}

static int mmio_read(void *dev, uint64_t off, unsigned int size, uint64_t *val)
{
	struct testdev *t = dev;
	uint64_t reg;
	/* Within the first 8 bytes: scratch in the low half, magic in the high. */
	if (off < 8) {
		reg = (t->scratch & 0xffffffffULL) | ((uint64_t)TESTDEV_MAGIC << 32);
		reg >>= off * 8;
	} else {
		reg = 0;
	}
	*val = size >= 8 ? reg : reg & ((1ULL << (size * 8)) - 1);
	return 0;
}

static int mmio_write(void *dev, uint64_t off, unsigned int size, uint64_t val)
{
	struct testdev *t = dev;
	if (off >= TESTDEV_MMIO_MAGIC)
		return 0; /* the magic is read-only; the rest of the page ignores writes */
	uint64_t mask = size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
	unsigned int shift = (unsigned int)off * 8;
	t->scratch = (t->scratch & ~(mask << shift)) | ((val & mask) << shift);
	t->scratch &= 0xffffffffULL;
	return 0;
}

static int irq_write(void *dev, uint64_t off, unsigned int size, uint64_t val)
{
	struct testdev *t = dev;
	/* Vectors 0-31 are exceptions (SDM Vol. 3A §6.2): not an interrupt. */
	if (val >= 32 && val <= 255 && t->raise_irq)
		t->raise_irq(t->irq_ctx, (uint8_t)val);
	return 0;
}

static int gsi_write(void *dev, uint64_t off, unsigned int size, uint64_t val)
{
	struct testdev *t = dev;
	(void)off;
	(void)size;
	if (t->set_gsi)
		t->set_gsi(t->irq_ctx, (unsigned int)(val & TESTDEV_GSI_PIN_MASK),
			   val & TESTDEV_GSI_LEVEL);
	return 0;
}

bool testdev_attach(struct testdev *t, struct iobus *bus)
{
	return iobus_add_pio(bus, TESTDEV_PIO_BASE, TESTDEV_PIO_LEN, echo_read, echo_write, t,
			     "testdev-pio") &&
	       iobus_add_pio(bus, TESTDEV_IRQ_PORT, 1, NULL, irq_write, t, "testdev-irq") &&
	       iobus_add_pio(bus, TESTDEV_GSI_PORT, 1, NULL, gsi_write, t, "testdev-gsi") &&
	       iobus_add_mmio(bus, TESTDEV_MMIO_BASE, TESTDEV_MMIO_LEN, mmio_read, mmio_write, t,
			      "testdev-mmio");
}
