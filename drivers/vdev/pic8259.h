/* SPDX-License-Identifier: BSD-2-Clause */
/* The PC's cascaded pair of 8259A programmable interrupt controllers (Intel
 * 8259A datasheet, order 231468) with the PIIX-style edge/level control
 * registers (ELCR, Intel 82371AB PIIX4 datasheet §4.1.13-14).
 *
 * Master at ports 0x20-0x21 (IRQ0-7), slave at 0xA0-0xA1 (IRQ8-15) wired to
 * the master's IR2, ELCR at 0x4D0 (master) and 0x4D1 (slave). Only the
 * 8086/88 mode is modelled (ICW4 bit 0); LTIM (ICW1 bit 3) is ignored as on
 * PIIX, where the ELCR alone selects the trigger mode of each input.
 *
 * Until the guest has completed its first ICW1..ICW4 sequence on a chip the
 * chip's INT output stays low: an uninitialised PIC has no vector base, and
 * handing out vectors 0-7 would look like CPU exceptions. */
#ifndef BULKHEAD_DRIVERS_VDEV_PIC8259_H
#define BULKHEAD_DRIVERS_VDEV_PIC8259_H

#include "core/iobus.h"
#include "drivers/vdev/vdev.h"

#define PIC_MASTER_BASE 0x20
#define PIC_SLAVE_BASE 0xA0
#define PIC_ELCR_BASE 0x4D0
#define PIC_NR_PORTS 2
#define PIC_ELCR_NR_PORTS 2
#define PIC_NR_IRQS 16
#define PIC_CASCADE_IRQ 2

/* Port offsets: A0=0 command/status, A0=1 data (mask). */
#define PIC_CMD 0
#define PIC_DATA 1

#define PIC_ICW1 0x10      /* command port, D4=1 */
#define PIC_ICW1_IC4 0x01  /* ICW4 follows */
#define PIC_ICW1_SNGL 0x02 /* single: no ICW3 */
#define PIC_ICW1_LTIM 0x08
#define PIC_ICW2_VECTOR_MASK 0xF8
#define PIC_ICW4_UPM 0x01 /* 8086/88 mode */
#define PIC_ICW4_AEOI 0x02
#define PIC_ICW4_SFNM 0x10

#define PIC_OCW_SELECT_MASK 0x18 /* D4 D3 */
#define PIC_OCW2_ID 0x00
#define PIC_OCW3_ID 0x08
#define PIC_OCW2_LEVEL_MASK 0x07
#define PIC_OCW2_CMD_MASK 0xE0
#define PIC_OCW2_ROTATE_AEOI_CLEAR 0x00
#define PIC_OCW2_NONSPECIFIC_EOI 0x20
#define PIC_OCW2_NOP 0x40
#define PIC_OCW2_SPECIFIC_EOI 0x60
#define PIC_OCW2_ROTATE_AEOI_SET 0x80
#define PIC_OCW2_ROTATE_NONSPECIFIC_EOI 0xA0
#define PIC_OCW2_SET_PRIORITY 0xC0
#define PIC_OCW2_ROTATE_SPECIFIC_EOI 0xE0
#define PIC_OCW3_RIS 0x01
#define PIC_OCW3_RR 0x02
#define PIC_OCW3_POLL 0x04
#define PIC_OCW3_SMM 0x20
#define PIC_OCW3_ESMM 0x40
#define PIC_POLL_INT 0x80

/* ELCR bits that must stay edge: IRQ0-2 on the master, IRQ8 and IRQ13 on
 * the slave (PIIX4 datasheet §4.1.13-14, reserved bits). */
#define PIC_ELCR_MASTER_MASK 0xF8
#define PIC_ELCR_SLAVE_MASK 0xDE

#define PIC_SPURIOUS_IRQ 7

struct pic8259_chip {
	uint8_t irr, isr, imr;
	uint8_t lines;     /* input pin levels */
	uint8_t elcr;      /* 1 = level-triggered input */
	uint8_t elcr_mask; /* which ELCR bits are writable */
	uint8_t vector_base;
	uint8_t icw3;
	uint8_t priority_add; /* IR number with the highest priority */
	uint8_t init_step;    /* 0: operational; 2-4: next ICW expected */
	bool ready;           /* has completed an initialisation sequence */
	bool need_icw4, single, ltim;
	bool auto_eoi, rotate_on_aeoi, sfnm, special_mask;
	bool read_isr; /* OCW3: command port reads ISR instead of IRR */
	bool poll;     /* OCW3 poll command pending */
	unsigned int warned;
};

struct pic8259 {
	const char *owner;
	struct pic8259_chip chip[2]; /* 0 master, 1 slave */
	struct irq_sink intr;        /* INTR output (line 0), e.g. to LINT0 as ExtINT */
	bool intr_level;
	uint64_t spurious; /* acknowledges that found nothing (IRQ7/IRQ15) */
};

/* intr may be NULL: the platform then polls pic8259_has_interrupt(). */
void pic8259_init(struct pic8259 *p, const char *owner, const struct irq_sink *intr);

/* irq_sink callback: ctx is the struct pic8259, line 0-15. */
void pic8259_set_irq(void *ctx, unsigned int line, bool level);
struct irq_sink pic8259_irq_sink(struct pic8259 *p);

/* INTR: is there an interrupt for the CPU? */
bool pic8259_has_interrupt(const struct pic8259 *p);
/* INTA cycle: IRR->ISR, returns the vector (0-255), including the slave's
 * for a cascaded IRQ and the IR7 vector of the chip concerned when nothing
 * is pending any more (spurious). Returns -1 if the master was never
 * initialised (nothing to deliver). */
int pic8259_acknowledge(struct pic8259 *p);

/* io callbacks: master and slave ranges of PIC_NR_PORTS ports, the ELCR
 * range of PIC_ELCR_NR_PORTS ports. dev is the struct pic8259. */
int pic8259_master_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val);
int pic8259_master_write(void *dev, uint64_t offset, unsigned int size, uint64_t val);
int pic8259_slave_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val);
int pic8259_slave_write(void *dev, uint64_t offset, unsigned int size, uint64_t val);
int pic8259_elcr_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val);
int pic8259_elcr_write(void *dev, uint64_t offset, unsigned int size, uint64_t val);
bool pic8259_attach(struct pic8259 *p, struct iobus *bus);

#endif
