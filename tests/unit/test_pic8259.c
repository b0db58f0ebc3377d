/* SPDX-License-Identifier: BSD-2-Clause */
/* 8259A pair: initialisation, priorities, EOI modes, cascade, ELCR, poll,
 * special mask, spurious interrupts and hostile programming. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/iobus.h"
#include "drivers/vdev/pic8259.h"
#include "tests/unit/support/host_log.h"
#include "tests/unit/support/vdev_fakes.h"

static struct pic8259 p;
static struct irq_recorder intr;
static struct iobus bus;

static void setup(void)
{
	recorder_init(&intr);
	host_log_reset();
	pic8259_init(&p, "t", &intr.sink);
	memset(&bus, 0, sizeof(bus));
	cr_assert(pic8259_attach(&p, &bus));
}

static void out(uint16_t port, uint8_t v)
{
	uint64_t val = v;
	cr_assert_eq(iobus_pio(&bus, port, 1, true, &val), IOBUS_OK);
}

static uint8_t in(uint16_t port)
{
	uint64_t val;
	cr_assert_eq(iobus_pio(&bus, port, 1, false, &val), IOBUS_OK);
	cr_assert_leq(val, 0xFF);
	return (uint8_t)val;
}

/* What Linux's init_8259A() writes. */
static void linux_init(uint8_t icw4_master)
{
	out(0x21, 0xFF);
	out(0xA1, 0xFF);
	out(0x20, 0x11);
	out(0x21, 0x30);
	out(0x21, 0x04);
	out(0x21, icw4_master);
	out(0xA0, 0x11);
	out(0xA1, 0x38);
	out(0xA1, 0x02);
	out(0xA1, 0x01);
	out(0x21, 0x00);
	out(0xA1, 0x00);
}

static void pulse(unsigned int line)
{
	pic8259_set_irq(&p, line, true);
	pic8259_set_irq(&p, line, false);
}

static uint8_t isr(uint16_t cmd)
{
	out(cmd, 0x0B);
	uint8_t v = in(cmd);
	out(cmd, 0x0A);
	return v;
}

static uint8_t irr(uint16_t cmd)
{
	out(cmd, 0x0A);
	return in(cmd);
}

TestSuite(pic, .init = setup);

Test(pic, silent_before_initialisation)
{
	pulse(0);
	pic8259_set_irq(&p, 5, true);
	cr_assert_not(pic8259_has_interrupt(&p));
	cr_assert_eq(pic8259_acknowledge(&p), -1);
	cr_assert_eq(in(0x21), 0xFF, "masked until programmed");
	cr_assert_eq(in(0xA0), 0);
	cr_assert_not(intr.level[0]);
}

Test(pic, linux_probe_mask_readback)
{
	out(0xA1, 0xFF);
	out(0x21, 0xFB);
	cr_assert_eq(in(0x21), 0xFB);
	cr_assert_eq(in(0xA1), 0xFF);
}

Test(pic, edge_interrupt_ack_and_eoi)
{
	linux_init(0x01);
	pulse(0);
	cr_assert(pic8259_has_interrupt(&p));
	cr_assert(intr.level[0], "INTR follows");
	cr_assert_eq(irr(0x20), 0x01);
	cr_assert_eq(pic8259_acknowledge(&p), 0x30);
	cr_assert_not(pic8259_has_interrupt(&p));
	cr_assert_not(intr.level[0]);
	cr_assert_eq(isr(0x20), 0x01);
	cr_assert_eq(irr(0x20), 0x00, "edge request consumed by INTA");
	out(0x20, PIC_OCW2_NONSPECIFIC_EOI);
	cr_assert_eq(isr(0x20), 0x00);
	cr_assert_not(pic8259_has_interrupt(&p), "an edge fires once");
}

Test(pic, fixed_priority_and_nesting)
{
	linux_init(0x01);
	pulse(3);
	pulse(1);
	cr_assert_eq(pic8259_acknowledge(&p), 0x31, "IR1 outranks IR3");
	cr_assert_not(pic8259_has_interrupt(&p), "IR3 waits behind IR1 in service");
	pulse(0);
	cr_assert(pic8259_has_interrupt(&p), "IR0 preempts IR1");
	cr_assert_eq(pic8259_acknowledge(&p), 0x30);
	cr_assert_eq(isr(0x20), 0x03);
	out(0x20, PIC_OCW2_NONSPECIFIC_EOI); /* retires IR0, the highest */
	cr_assert_eq(isr(0x20), 0x02);
	cr_assert_not(pic8259_has_interrupt(&p));
	out(0x20, PIC_OCW2_NONSPECIFIC_EOI);
	cr_assert_eq(pic8259_acknowledge(&p), 0x33);
}

Test(pic, mask_blocks_and_releases)
{
	linux_init(0x01);
	out(0x21, 0x10);
	pulse(4);
	cr_assert_not(pic8259_has_interrupt(&p));
	cr_assert_eq(irr(0x20), 0x10, "masked requests still latch in IRR");
	out(0x21, 0x00);
	cr_assert(pic8259_has_interrupt(&p));
	cr_assert_eq(pic8259_acknowledge(&p), 0x34);
}

Test(pic, cascade_vector_and_eoi_order)
{
	linux_init(0x01);
	pulse(10);
	cr_assert(pic8259_has_interrupt(&p));
	cr_assert_eq(pic8259_acknowledge(&p), 0x3A);
	cr_assert_eq(isr(0x20), 0x04, "master has IR2 in service");
	cr_assert_eq(isr(0xA0), 0x04, "slave has IR2 (IRQ10) in service");
	pulse(12);
	cr_assert_not(pic8259_has_interrupt(&p), "lower slave IRQ waits");
	pulse(1);
	cr_assert(pic8259_has_interrupt(&p), "IRQ1 outranks the cascade");
	cr_assert_eq(pic8259_acknowledge(&p), 0x31);
	out(0x20, PIC_OCW2_NONSPECIFIC_EOI);
	out(0xA0, PIC_OCW2_NONSPECIFIC_EOI);
	cr_assert_not(pic8259_has_interrupt(&p), "master IR2 still in service");
	out(0x20, PIC_OCW2_NONSPECIFIC_EOI);
	cr_assert(pic8259_has_interrupt(&p));
	cr_assert_eq(pic8259_acknowledge(&p), 0x3C);
}

Test(pic, slave_priority_inside_cascade)
{
	linux_init(0x01);
	pulse(15);
	pulse(8);
	cr_assert_eq(pic8259_acknowledge(&p), 0x38, "IRQ8 first");
	out(0xA0, PIC_OCW2_NONSPECIFIC_EOI);
	out(0x20, PIC_OCW2_NONSPECIFIC_EOI);
	cr_assert_eq(pic8259_acknowledge(&p), 0x3F);
}

Test(pic, elcr_level_triggered_re_raise)
{
	linux_init(0x01);
	out(0x4D1, 0x08); /* IRQ11 level */
	cr_assert_eq(in(0x4D1), 0x08);
	pic8259_set_irq(&p, 11, true);
	cr_assert_eq(pic8259_acknowledge(&p), 0x3B);
	out(0xA0, PIC_OCW2_NONSPECIFIC_EOI);
	out(0x20, PIC_OCW2_NONSPECIFIC_EOI);
	cr_assert(pic8259_has_interrupt(&p), "line still high: raised again");
	cr_assert_eq(pic8259_acknowledge(&p), 0x3B);
	pic8259_set_irq(&p, 11, false);
	out(0xA0, PIC_OCW2_NONSPECIFIC_EOI);
	out(0x20, PIC_OCW2_NONSPECIFIC_EOI);
	cr_assert_not(pic8259_has_interrupt(&p), "line low: quiet");
	cr_assert_eq(irr(0xA0), 0x00);
}

Test(pic, level_request_withdrawn_before_ack_is_spurious)
{
	linux_init(0x01);
	out(0x4D0, 0x20); /* IRQ5 level */
	pic8259_set_irq(&p, 5, true);
	cr_assert(pic8259_has_interrupt(&p));
	pic8259_set_irq(&p, 5, false);
	cr_assert_not(pic8259_has_interrupt(&p));
	cr_assert_eq(pic8259_acknowledge(&p), 0x37, "spurious IRQ7 vector");
	cr_assert_eq(isr(0x20), 0, "spurious IRQ7 sets no ISR bit");
	cr_assert_eq(p.spurious, 1);
}

Test(pic, edge_line_held_high_fires_once)
{
	linux_init(0x01);
	pic8259_set_irq(&p, 6, true);
	cr_assert_eq(pic8259_acknowledge(&p), 0x36);
	out(0x20, PIC_OCW2_NONSPECIFIC_EOI);
	pic8259_set_irq(&p, 6, true);
	cr_assert_not(pic8259_has_interrupt(&p), "no new edge");
	pic8259_set_irq(&p, 6, false);
	pic8259_set_irq(&p, 6, true);
	cr_assert(pic8259_has_interrupt(&p));
}

Test(pic, elcr_reserved_bits_stay_edge)
{
	uint64_t v;
	out(0x4D0, 0xFF);
	out(0x4D1, 0xFF);
	cr_assert_eq(in(0x4D0), PIC_ELCR_MASTER_MASK);
	cr_assert_eq(in(0x4D1), PIC_ELCR_SLAVE_MASK);
	cr_assert_eq(iobus_pio(&bus, 0x4D0, 2, false, &v), IOBUS_OK);
	cr_assert_eq(v, 0xDEF8, "word read covers both ELCRs");
}

Test(pic, auto_eoi_sets_no_isr)
{
	linux_init(0x03);
	pulse(3);
	cr_assert_eq(pic8259_acknowledge(&p), 0x33);
	cr_assert_eq(isr(0x20), 0);
	pulse(4);
	cr_assert(pic8259_has_interrupt(&p), "nothing in service blocks IR4");
}

Test(pic, rotate_on_nonspecific_eoi)
{
	linux_init(0x01);
	pulse(0);
	cr_assert_eq(pic8259_acknowledge(&p), 0x30);
	out(0x20, PIC_OCW2_ROTATE_NONSPECIFIC_EOI); /* IR0 becomes lowest */
	pulse(0);
	pulse(5);
	cr_assert_eq(pic8259_acknowledge(&p), 0x35, "IR5 now outranks IR0");
	out(0x20, PIC_OCW2_NONSPECIFIC_EOI);
	cr_assert_eq(pic8259_acknowledge(&p), 0x30);
}

Test(pic, specific_eoi_and_set_priority)
{
	linux_init(0x01);
	pulse(3);
	cr_assert_eq(pic8259_acknowledge(&p), 0x33);
	pulse(1);
	cr_assert_eq(pic8259_acknowledge(&p), 0x31);
	out(0x20, PIC_OCW2_SPECIFIC_EOI | 3);
	cr_assert_eq(isr(0x20), 0x02, "only IR3 retired");
	out(0x20, PIC_OCW2_SPECIFIC_EOI | 1);
	out(0x20, PIC_OCW2_SET_PRIORITY | 4); /* IR4 lowest, IR5 highest */
	pulse(4);
	pulse(7);
	pulse(5);
	cr_assert_eq(pic8259_acknowledge(&p), 0x35);
	cr_assert_not(pic8259_has_interrupt(&p), "IR7 and IR4 rank below IR5 now");
	out(0x20, PIC_OCW2_NONSPECIFIC_EOI);
	cr_assert_eq(pic8259_acknowledge(&p), 0x37);
	out(0x20, PIC_OCW2_NONSPECIFIC_EOI);
	cr_assert_eq(pic8259_acknowledge(&p), 0x34);
}

Test(pic, poll_mode_acknowledges)
{
	linux_init(0x01);
	out(0x20, PIC_OCW3_ID | PIC_OCW3_POLL);
	cr_assert_eq(in(0x20), 0x00, "nothing pending");
	pulse(6);
	out(0x20, PIC_OCW3_ID | PIC_OCW3_POLL);
	cr_assert_eq(in(0x20), 0x86);
	cr_assert_eq(isr(0x20), 0x40);
	cr_assert_eq(in(0x21), 0x00, "the next read is ordinary again");
}

Test(pic, special_mask_mode_lets_lower_levels_in)
{
	linux_init(0x01);
	pulse(3);
	cr_assert_eq(pic8259_acknowledge(&p), 0x33);
	pulse(5);
	cr_assert_not(pic8259_has_interrupt(&p));
	out(0x21, 0x08); /* mask the level in service */
	out(0x20, PIC_OCW3_ID | PIC_OCW3_ESMM | PIC_OCW3_SMM);
	cr_assert(pic8259_has_interrupt(&p), "SMM: masked in-service level does not block");
	cr_assert_eq(pic8259_acknowledge(&p), 0x35);
	out(0x20, PIC_OCW3_ID | PIC_OCW3_ESMM);
	cr_assert(!p.chip[0].special_mask);
}

Test(pic, icw1_resets_state)
{
	linux_init(0x01);
	pulse(3);
	cr_assert_eq(pic8259_acknowledge(&p), 0x33);
	out(0x21, 0x55);
	out(0x20, 0x11);
	cr_assert_not(pic8259_has_interrupt(&p), "mid-initialisation: INT low");
	out(0x21, 0x50);
	out(0x21, 0x04);
	out(0x21, 0x01);
	cr_assert_eq(in(0x21), 0x00, "ICW1 cleared IMR");
	cr_assert_eq(isr(0x20), 0x00, "and ISR");
	pulse(3);
	cr_assert_eq(pic8259_acknowledge(&p), 0x53, "new vector base");
}

Test(pic, single_mode_without_icw3_or_icw4)
{
	out(0x20, 0x12); /* ICW1: SNGL, no IC4 */
	out(0x21, 0x48);
	cr_assert(p.chip[0].ready);
	cr_assert(host_log_contains("8080 mode"), "missing ICW4 means 8080 mode: warned");
	cr_assert_eq(host_log_count(), 1);
	out(0x21, 0x00);
	pulse(1);
	cr_assert_eq(pic8259_acknowledge(&p), 0x49);
}

Test(pic, garbage_initialisation_stays_defined)
{
	/* ICW1 then random bytes to every port, repeatedly. */
	srand(99);
	for (int i = 0; i < 100000; i++) {
		static const uint16_t ports[] = { 0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1 };
		uint16_t port = ports[rand() % 6];
		if (rand() & 1)
			out(port, (uint8_t)rand());
		else
			(void)in(port);
		if ((rand() & 3) == 0)
			pic8259_set_irq(&p, (unsigned int)rand() % 16, rand() & 1);
		if ((rand() & 7) == 0 && pic8259_has_interrupt(&p)) {
			int v = pic8259_acknowledge(&p);
			cr_assert(v >= 0 && v <= 255);
		}
		cr_assert_eq(intr.level[0], pic8259_has_interrupt(&p), "INTR output consistent");
		cr_assert_eq(p.chip[0].elcr & ~PIC_ELCR_MASTER_MASK, 0);
	}
	cr_assert_leq(host_log_count(), 3, "each misuse reported once");
}

Test(pic, bad_lines_warn_once)
{
	linux_init(0x01);
	pic8259_set_irq(&p, 16, true);
	pic8259_set_irq(&p, 200, true);
	pic8259_set_irq(&p, 2, true);
	pic8259_set_irq(&p, 2, true);
	cr_assert_eq(host_log_count(), 2);
	cr_assert(host_log_contains("[t] pic:"));
	cr_assert_not(pic8259_has_interrupt(&p));
}

Test(pic, icw3_without_cascade_bit_gives_master_vector)
{
	out(0x20, 0x11);
	out(0x21, 0x30);
	out(0x21, 0x00); /* ICW3: no slave anywhere */
	out(0x21, 0x01);
	out(0xA0, 0x11);
	out(0xA1, 0x38);
	out(0xA1, 0x02);
	out(0xA1, 0x01);
	pulse(9);
	cr_assert_eq(pic8259_acknowledge(&p), 0x32, "master answers IR2 itself");
}
