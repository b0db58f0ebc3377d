/* SPDX-License-Identifier: BSD-2-Clause */
/* 8259A PIC pair. Section references are to the Intel 8259A datasheet
 * ("Programming the 8259A": ICWs Fig. 7, OCWs Fig. 8, priority modes) and to
 * the PIIX4 datasheet for the ELCR. */
#include "drivers/vdev/pic8259.h"

#include "core/log.h"
#include "drivers/vdev/isa_bytes.h"

#define PIC_MASTER 0
#define PIC_SLAVE 1
#define PIC_NO_PRIORITY 8

enum pic_warning {
	PIC_WARN_8080_MODE = 1u << 0,
	PIC_WARN_BAD_LINE = 1u << 1,
	PIC_WARN_CASCADE_LINE = 1u << 2,
};

static const char *owner_of(const struct pic8259 *p)
{
	return p->owner ? p->owner : "?";
}

static const char *chip_name(unsigned int idx)
{
	return idx == PIC_MASTER ? "master" : "slave";
}

/* The master's IR2 follows the slave's INT output; whatever the ELCR says,
 * it is sensed as a level so a slave request is never lost. */
static bool input_is_level(const struct pic8259_chip *c, unsigned int idx, unsigned int irq)
{
	if (idx == PIC_MASTER && irq == PIC_CASCADE_IRQ)
		return true;
	return c->elcr & (1u << irq);
}

/* Priority 0 is the highest; priority_add rotates which IR holds it. */
static unsigned int priority_of(const struct pic8259_chip *c, uint8_t mask)
{
	for (unsigned int prio = 0; prio < 8; prio++)
		if (mask & (1u << ((prio + c->priority_add) & 7)))
			return prio;
	return PIC_NO_PRIORITY;
}

static unsigned int irq_of_priority(const struct pic8259_chip *c, unsigned int prio)
{
	return (prio + c->priority_add) & 7;
}

/* The IR the chip would deliver now, or -1: the highest-priority unmasked
 * request that outranks everything in service. In special mask mode masked
 * levels do not block; in special fully nested mode the cascade input being
 * in service does not block further slave requests. */
static int best_irq(const struct pic8259_chip *c, unsigned int idx)
{
	unsigned int req = priority_of(c, c->irr & ~c->imr);
	uint8_t in_service = c->isr;

	if (!c->ready || req == PIC_NO_PRIORITY)
		return -1;
	if (c->special_mask)
		in_service &= ~c->imr;
	if (idx == PIC_MASTER && c->sfnm)
		in_service &= ~(1u << PIC_CASCADE_IRQ);
	if (req < priority_of(c, in_service))
		return (int)irq_of_priority(c, req);
	return -1;
}

static void chip_set_input(struct pic8259_chip *c, unsigned int idx, unsigned int irq, bool level)
{
	uint8_t mask = (uint8_t)(1u << irq);

	if (input_is_level(c, idx, irq)) {
		if (level)
			c->irr |= mask;
		else
			c->irr &= ~mask;
	} else if (level && !(c->lines & mask)) {
		c->irr |= mask; /* rising edge latches the request */
	}
	if (level)
		c->lines |= mask;
	else
		c->lines &= ~mask;
}

static void update(struct pic8259 *p)
{
	bool slave_int = best_irq(&p->chip[PIC_SLAVE], PIC_SLAVE) >= 0;
	bool intr;

	chip_set_input(&p->chip[PIC_MASTER], PIC_MASTER, PIC_CASCADE_IRQ, slave_int);
	intr = best_irq(&p->chip[PIC_MASTER], PIC_MASTER) >= 0;
	if (intr == p->intr_level)
		return;
	p->intr_level = intr;
	irq_set(&p->intr, 0, intr);
}

/* Second INTA pulse: the request moves to ISR (or is retired at once in
 * automatic EOI mode); an edge request is consumed, a level one stays in IRR
 * as long as the line is high. */
static void chip_intack(struct pic8259_chip *c, unsigned int idx, unsigned int irq)
{
	uint8_t mask = (uint8_t)(1u << irq);

	if (c->auto_eoi) {
		if (c->rotate_on_aeoi)
			c->priority_add = (irq + 1) & 7;
	} else {
		c->isr |= mask;
	}
	if (!input_is_level(c, idx, irq))
		c->irr &= ~mask;
}

/* Each kind of misuse is reported once per chip, not once per access. */
static bool first_warning(struct pic8259_chip *c, unsigned int bit)
{
	if (c->warned & bit)
		return false;
	c->warned |= bit;
	return true;
}

/* ICW1 (datasheet "Initialization Command Words"): clears IMR and ISR, IR7
 * gets the lowest priority, special mask mode is cleared, status reads IRR,
 * and edge inputs need a fresh low-to-high transition. Without IC4 all ICW4
 * functions are zero. */
static void write_icw1(struct pic8259_chip *c, unsigned int idx, uint8_t val)
{
	c->init_step = 2;
	c->ready = false;
	c->need_icw4 = val & PIC_ICW1_IC4;
	c->single = val & PIC_ICW1_SNGL;
	c->ltim = val & PIC_ICW1_LTIM;
	c->imr = 0;
	c->isr = 0;
	c->irr = 0;
	for (unsigned int irq = 0; irq < 8; irq++)
		if (input_is_level(c, idx, irq))
			c->irr |= c->lines & (1u << irq);
	c->priority_add = 0;
	c->special_mask = false;
	c->read_isr = false;
	c->poll = false;
	c->auto_eoi = false;
	c->rotate_on_aeoi = false;
	c->sfnm = false;
}

static void finish_init(struct pic8259 *p, struct pic8259_chip *c, unsigned int idx, bool upm)
{
	c->init_step = 0;
	c->ready = true;
	if (!upm && first_warning(c, PIC_WARN_8080_MODE))
		pr_warn("[%s] pic: %s initialised for 8080 mode (ICW4 bit 0 clear); "
			"only 8086 mode exists here, using it",
			owner_of(p), chip_name(idx));
}

static void write_icw(struct pic8259 *p, struct pic8259_chip *c, unsigned int idx, uint8_t val)
{
	switch (c->init_step) {
	case 2:
		c->vector_base = val & PIC_ICW2_VECTOR_MASK;
		if (!c->single)
			c->init_step = 3;
		else if (c->need_icw4)
			c->init_step = 4;
		else
			finish_init(p, c, idx, false);
		break;
	case 3:
		c->icw3 = val;
		if (c->need_icw4)
			c->init_step = 4;
		else
			finish_init(p, c, idx, false);
		break;
	default:
		c->auto_eoi = val & PIC_ICW4_AEOI;
		c->sfnm = val & PIC_ICW4_SFNM;
		finish_init(p, c, idx, val & PIC_ICW4_UPM);
		break;
	}
}

static void eoi_highest(struct pic8259_chip *c, bool rotate)
{
	unsigned int prio = priority_of(c, c->isr);
	unsigned int irq;

	if (prio == PIC_NO_PRIORITY)
		return;
	irq = irq_of_priority(c, prio);
	c->isr &= ~(1u << irq);
	if (rotate)
		c->priority_add = (irq + 1) & 7;
}

/* OCW2, datasheet Fig. 8 (R, SL, EOI bits). */
static void write_ocw2(struct pic8259_chip *c, uint8_t val)
{
	unsigned int level = val & PIC_OCW2_LEVEL_MASK;

	switch (val & PIC_OCW2_CMD_MASK) {
	case PIC_OCW2_ROTATE_AEOI_CLEAR:
		c->rotate_on_aeoi = false;
		break;
	case PIC_OCW2_ROTATE_AEOI_SET:
		c->rotate_on_aeoi = true;
		break;
	case PIC_OCW2_NONSPECIFIC_EOI:
		eoi_highest(c, false);
		break;
	case PIC_OCW2_ROTATE_NONSPECIFIC_EOI:
		eoi_highest(c, true);
		break;
	case PIC_OCW2_SPECIFIC_EOI:
		c->isr &= ~(1u << level);
		break;
	case PIC_OCW2_ROTATE_SPECIFIC_EOI:
		c->isr &= ~(1u << level);
		c->priority_add = (level + 1) & 7;
		break;
	case PIC_OCW2_SET_PRIORITY:
		c->priority_add = (level + 1) & 7;
		break;
	case PIC_OCW2_NOP:
		break;
	}
}

/* OCW3: ESMM/SMM, poll, RR/RIS. */
static void write_ocw3(struct pic8259_chip *c, uint8_t val)
{
	if (val & PIC_OCW3_ESMM)
		c->special_mask = val & PIC_OCW3_SMM;
	if (val & PIC_OCW3_POLL)
		c->poll = true;
	if (val & PIC_OCW3_RR)
		c->read_isr = val & PIC_OCW3_RIS;
}

static void chip_write(struct pic8259 *p, unsigned int idx, unsigned int reg, uint8_t val)
{
	struct pic8259_chip *c = &p->chip[idx];

	if (reg == PIC_DATA) {
		if (c->init_step)
			write_icw(p, c, idx, val);
		else
			c->imr = val;
	} else if (val & PIC_ICW1) {
		write_icw1(c, idx, val);
	} else if ((val & PIC_OCW_SELECT_MASK) == PIC_OCW3_ID) {
		write_ocw3(c, val);
	} else {
		write_ocw2(c, val);
	}
	update(p);
}

/* Poll command: this read acts as an interrupt acknowledge and returns
 * I7=1 with the level of the highest request, or 0 if there is none. */
static uint8_t poll_read(struct pic8259_chip *c, unsigned int idx)
{
	int irq = best_irq(c, idx);

	c->poll = false;
	if (irq < 0)
		return 0;
	chip_intack(c, idx, (unsigned int)irq);
	return PIC_POLL_INT | (uint8_t)irq;
}

static uint8_t chip_read(struct pic8259 *p, unsigned int idx, unsigned int reg)
{
	struct pic8259_chip *c = &p->chip[idx];
	uint8_t val;

	if (c->poll) {
		val = poll_read(c, idx);
		update(p);
		return val;
	}
	if (reg == PIC_DATA)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

static uint8_t master_read_byte(void *dev, unsigned int off)
{
	return chip_read(dev, PIC_MASTER, off);
}

static uint8_t slave_read_byte(void *dev, unsigned int off)
{
	return chip_read(dev, PIC_SLAVE, off);
}

static void master_write_byte(void *dev, unsigned int off, uint8_t val)
{
	chip_write(dev, PIC_MASTER, off, val);
}

static void slave_write_byte(void *dev, unsigned int off, uint8_t val)
{
	chip_write(dev, PIC_SLAVE, off, val);
}

static uint8_t elcr_read_byte(void *dev, unsigned int off)
{
	struct pic8259 *p = dev;
	return p->chip[off].elcr;
}

static void elcr_write_byte(void *dev, unsigned int off, uint8_t val)
{
	struct pic8259 *p = dev;
	struct pic8259_chip *c = &p->chip[off];

	c->elcr = val & c->elcr_mask;
	/* Inputs that became level-sensed show their current line level. */
	c->irr = (c->irr & ~c->elcr) | (c->lines & c->elcr);
	update(p);
}

int pic8259_master_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val)
{
	return isa_read_bytes(dev, offset, size, val, PIC_NR_PORTS, master_read_byte);
}

int pic8259_master_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	return isa_write_bytes(dev, offset, size, val, PIC_NR_PORTS, master_write_byte);
}

int pic8259_slave_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val)
{
	return isa_read_bytes(dev, offset, size, val, PIC_NR_PORTS, slave_read_byte);
}

int pic8259_slave_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	return isa_write_bytes(dev, offset, size, val, PIC_NR_PORTS, slave_write_byte);
}

int pic8259_elcr_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val)
{
	return isa_read_bytes(dev, offset, size, val, PIC_ELCR_NR_PORTS, elcr_read_byte);
}

int pic8259_elcr_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	return isa_write_bytes(dev, offset, size, val, PIC_ELCR_NR_PORTS, elcr_write_byte);
}

void pic8259_set_irq(void *ctx, unsigned int line, bool level)
{
	struct pic8259 *p = ctx;
	unsigned int idx = line / 8;

	if (line >= PIC_NR_IRQS) {
		if (first_warning(&p->chip[PIC_MASTER], PIC_WARN_BAD_LINE))
			pr_warn("[%s] pic: interrupt line %u does not exist; ignored", owner_of(p),
				line);
		return;
	}
	if (line == PIC_CASCADE_IRQ) {
		/* IR2 is the slave's wire; ISA IRQ2 is routed to IRQ9. */
		if (first_warning(&p->chip[PIC_MASTER], PIC_WARN_CASCADE_LINE))
			pr_warn("[%s] pic: a device drives IRQ2, the cascade input; ignored",
				owner_of(p));
		return;
	}
	chip_set_input(&p->chip[idx], idx, line % 8, level);
	update(p);
}

struct irq_sink pic8259_irq_sink(struct pic8259 *p)
{
	return (struct irq_sink){ .set_level = pic8259_set_irq, .ctx = p };
}

bool pic8259_has_interrupt(const struct pic8259 *p)
{
	return best_irq(&p->chip[PIC_MASTER], PIC_MASTER) >= 0;
}

static bool is_cascade(const struct pic8259_chip *master, unsigned int irq)
{
	return irq == PIC_CASCADE_IRQ && !master->single && (master->icw3 & (1u << PIC_CASCADE_IRQ));
}

int pic8259_acknowledge(struct pic8259 *p)
{
	struct pic8259_chip *m = &p->chip[PIC_MASTER];
	struct pic8259_chip *s = &p->chip[PIC_SLAVE];
	int irq, slave_irq, vector;

	if (!m->ready)
		return -1;
	irq = best_irq(m, PIC_MASTER);
	if (irq < 0) {
		/* The request went away before INTA: the 8259A answers with
		 * its IR7 vector and sets no ISR bit (datasheet, "Interrupt
		 * sequence", note on default IR7). */
		p->spurious++;
		return m->vector_base + PIC_SPURIOUS_IRQ;
	}
	chip_intack(m, PIC_MASTER, (unsigned int)irq);
	if (!is_cascade(m, (unsigned int)irq)) {
		vector = m->vector_base + irq;
	} else {
		slave_irq = best_irq(s, PIC_SLAVE);
		if (slave_irq < 0) {
			p->spurious++;
			vector = s->vector_base + PIC_SPURIOUS_IRQ;
		} else {
			chip_intack(s, PIC_SLAVE, (unsigned int)slave_irq);
			vector = s->vector_base + slave_irq;
		}
	}
	update(p);
	return vector;
}

static void chip_reset(struct pic8259_chip *c, uint8_t elcr_mask)
{
	*c = (struct pic8259_chip){ 0 };
	c->elcr_mask = elcr_mask;
	c->imr = 0xFF;
}

void pic8259_init(struct pic8259 *p, const char *owner, const struct irq_sink *intr)
{
	*p = (struct pic8259){ 0 };
	p->owner = owner;
	if (intr)
		p->intr = *intr;
	chip_reset(&p->chip[PIC_MASTER], PIC_ELCR_MASTER_MASK);
	chip_reset(&p->chip[PIC_SLAVE], PIC_ELCR_SLAVE_MASK);
}

bool pic8259_attach(struct pic8259 *p, struct iobus *bus)
{
	return iobus_add_pio(bus, PIC_MASTER_BASE, PIC_NR_PORTS, pic8259_master_read,
			     pic8259_master_write, p, "pic-master") &&
	       iobus_add_pio(bus, PIC_SLAVE_BASE, PIC_NR_PORTS, pic8259_slave_read,
			     pic8259_slave_write, p, "pic-slave") &&
	       iobus_add_pio(bus, PIC_ELCR_BASE, PIC_ELCR_NR_PORTS, pic8259_elcr_read,
			     pic8259_elcr_write, p, "pic-elcr");
}
