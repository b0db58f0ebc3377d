/* SPDX-License-Identifier: BSD-2-Clause */
/* Local APIC: reset state, priorities, acceptance and EOI, ESR, the three
 * timer modes, x2APIC MSRs, IA32_APIC_BASE, IPIs and destination matching,
 * INIT/SIPI, LINT0/ExtINT and hostile accesses. */
#include <criterion/criterion.h>
#include <string.h>

#include "drivers/vdev/lapic.h"
#include "tests/unit/support/host_log.h"
#include "tests/unit/support/vdev_fakes.h"

#define TSC_HZ 2000000000ULL
#define TSC_OFFSET 1000ULL

struct platform_log {
	unsigned int ipis;
	struct lapic *ipi_src;
	struct lapic_msg ipi;
	unsigned int eois;
	uint8_t eoi_vector;
	unsigned int kicks;
};

static struct lapic l;
static struct fake_clock clk;
static struct platform_log plat;

static void rec_send(void *ctx, struct lapic *src, const struct lapic_msg *m)
{
	struct platform_log *p = ctx;
	p->ipis++;
	p->ipi_src = src;
	p->ipi = *m;
}

static void rec_eoi(void *ctx, struct lapic *lp, uint8_t vector)
{
	struct platform_log *p = ctx;
	p->eois++;
	p->eoi_vector = vector;
}

static void rec_kick(void *ctx, struct lapic *lp)
{
	((struct platform_log *)ctx)->kicks++;
}

/* Guest TSC: 2 GHz with an offset, derived from the fake ns clock. */
static uint64_t fake_tsc(void *ctx)
{
	return ((struct fake_clock *)ctx)->now * 2 + TSC_OFFSET;
}

static const struct lapic_ops ops = {
	.send_ipi = rec_send, .eoi_broadcast = rec_eoi, .kick = rec_kick, .ctx = &plat
};

static void setup(void)
{
	fake_clock_init(&clk, 0);
	clk.vc.now_tsc = fake_tsc;
	clk.vc.tsc_hz = TSC_HZ;
	memset(&plat, 0, sizeof(plat));
	host_log_reset();
	lapic_init(&l, "t", 0, true, &clk.vc, &ops);
}

static uint32_t rd(uint64_t off)
{
	uint64_t v = 0xDEAD;
	cr_assert_eq(lapic_mmio_read(&l, off, 4, &v), 0);
	cr_assert_leq(v, 0xFFFFFFFFULL);
	return (uint32_t)v;
}

static void wr(uint64_t off, uint32_t v)
{
	cr_assert_eq(lapic_mmio_write(&l, off, 4, v), 0);
}

static uint64_t msr_rd(uint32_t msr)
{
	uint64_t v;
	cr_assert_eq(lapic_msr_read(&l, msr, &v), LAPIC_MSR_OK, "rdmsr %#x", msr);
	return v;
}

static void msr_wr(uint32_t msr, uint64_t v)
{
	cr_assert_eq(lapic_msr_write(&l, msr, v), LAPIC_MSR_OK, "wrmsr %#x", msr);
}

static void sw_enable(void)
{
	wr(LAPIC_SVR, LAPIC_SVR_ENABLE | 0xFF);
}

static void fixed(struct lapic *lp, uint8_t vector, bool level)
{
	struct lapic_msg m = {
		.delivery = LAPIC_DM_FIXED, .vector = vector, .level = true, .trigger_level = level
	};
	lapic_accept(lp, &m);
}

static void msg(struct lapic *lp, enum lapic_delivery dm, uint8_t vector, bool level,
		bool trigger_level)
{
	struct lapic_msg m = {
		.delivery = dm, .vector = vector, .level = level, .trigger_level = trigger_level
	};
	lapic_accept(lp, &m);
}

static bool irr_has(uint8_t v)
{
	return rd(LAPIC_IRR + 16 * (v / 32)) & (1u << (v % 32));
}

static bool isr_has(uint8_t v)
{
	return rd(LAPIC_ISR + 16 * (v / 32)) & (1u << (v % 32));
}

/* Deliver what is pending, like the hypervisor before VM entry. */
static int inject(void)
{
	int v = lapic_pending_vector(&l);
	if (v >= 0)
		cr_assert(lapic_ack_vector(&l, (uint8_t)v));
	return v;
}

static void enter_x2apic(void)
{
	msr_wr(MSR_LAPIC_APIC_BASE, LAPIC_DEFAULT_BASE | LAPIC_BASE_EN | LAPIC_BASE_EXTD);
	cr_assert_eq(lapic_mode(&l), LAPIC_MODE_X2APIC);
}

TestSuite(lapic, .init = setup);

/* ---- reset state ---- */

Test(lapic, power_on_register_values)
{
	struct lapic ap;
	lapic_init(&ap, "t", 3, false, &clk.vc, &ops);

	cr_assert_eq(rd(LAPIC_ID), 0);
	cr_assert_eq(ap.id, 3u << 24);
	cr_assert_eq(rd(LAPIC_VERSION), 0x00060014);
	cr_assert_eq(rd(LAPIC_TPR), 0);
	cr_assert_eq(rd(LAPIC_PPR), 0);
	cr_assert_eq(rd(LAPIC_LDR), 0);
	cr_assert_eq(rd(LAPIC_DFR), 0xFFFFFFFF);
	cr_assert_eq(rd(LAPIC_SVR), 0xFF);
	cr_assert_eq(rd(LAPIC_ESR), 0);
	cr_assert_eq(rd(LAPIC_ICR_LOW), 0);
	cr_assert_eq(rd(LAPIC_ICR_HIGH), 0);
	cr_assert_eq(rd(LAPIC_TIMER_INITIAL), 0);
	cr_assert_eq(rd(LAPIC_TIMER_CURRENT), 0);
	cr_assert_eq(rd(LAPIC_TIMER_DIVIDE), 0);
	for (uint32_t off = LAPIC_LVT_TIMER; off <= LAPIC_LVT_ERROR; off += 16)
		cr_assert_eq(rd(off), LAPIC_LVT_MASKED, "LVT %#x", off);
	cr_assert_eq(rd(LAPIC_LVT_CMCI), LAPIC_LVT_MASKED);
	for (int i = 0; i < 8; i++) {
		cr_assert_eq(rd(LAPIC_ISR + 16 * i), 0);
		cr_assert_eq(rd(LAPIC_TMR + 16 * i), 0);
		cr_assert_eq(rd(LAPIC_IRR + 16 * i), 0);
	}
	cr_assert_eq(msr_rd(MSR_LAPIC_APIC_BASE), 0xFEE00900);
	uint64_t base;
	cr_assert_eq(lapic_msr_read(&ap, MSR_LAPIC_APIC_BASE, &base), LAPIC_MSR_OK);
	cr_assert_eq(base, 0xFEE00800);
	cr_assert_eq(lapic_mode(&l), LAPIC_MODE_XAPIC);
	cr_assert_eq(lapic_mmio_base(&l), LAPIC_DEFAULT_BASE);
	cr_assert_eq(lapic_next_deadline(&l), VDEV_NO_DEADLINE);
	cr_assert_eq(lapic_pending_vector(&l), -1);
	cr_assert_eq(host_log_count(), 0);
}

Test(lapic, reset_restores_power_on_state)
{
	sw_enable();
	wr(LAPIC_TPR, 0x20);
	wr(LAPIC_LVT_TIMER, 0x40);
	fixed(&l, 0x50, false);
	enter_x2apic();
	lapic_reset(&l);
	cr_assert_eq(lapic_mode(&l), LAPIC_MODE_XAPIC);
	cr_assert_eq(rd(LAPIC_SVR), 0xFF);
	cr_assert_eq(rd(LAPIC_TPR), 0);
	cr_assert_eq(rd(LAPIC_LVT_TIMER), LAPIC_LVT_MASKED);
	cr_assert_not(irr_has(0x50));
}

/* ---- priorities ---- */

Test(lapic, tpr_ppr_apr_arithmetic)
{
	sw_enable();
	wr(LAPIC_TPR, 0x35);
	cr_assert_eq(rd(LAPIC_PPR), 0x35);
	cr_assert_eq(rd(LAPIC_TPR), 0x35);
	wr(LAPIC_TPR, 0x1FF); /* bits 31:8 reserved */
	cr_assert_eq(rd(LAPIC_TPR), 0xFF);
	wr(LAPIC_TPR, 0x35);

	fixed(&l, 0x51, false);
	/* APR: IRR class 5 above TPR class 3 -> 0x50 */
	cr_assert_eq(rd(LAPIC_APR), 0x50);
	cr_assert_eq(inject(), 0x51);
	/* ISRV class 5 > TPR class 3: PPR = ISRV[7:4] << 4, low nibble 0. */
	cr_assert_eq(rd(LAPIC_PPR), 0x50);
	cr_assert_eq(rd(LAPIC_APR), 0x50);
	wr(LAPIC_TPR, 0x62);
	cr_assert_eq(rd(LAPIC_PPR), 0x62);
	cr_assert_eq(rd(LAPIC_APR), 0x62);
	wr(LAPIC_TPR, 0x5A); /* equal class: TPR wins */
	cr_assert_eq(rd(LAPIC_PPR), 0x5A);
	wr(LAPIC_EOI, 0);
	wr(LAPIC_TPR, 0);
	cr_assert_eq(rd(LAPIC_PPR), 0);
}

Test(lapic, delivery_needs_a_class_above_ppr)
{
	sw_enable();
	fixed(&l, 0x45, false);
	wr(LAPIC_TPR, 0x40);
	cr_assert_eq(lapic_pending_vector(&l), -1, "same class as TPR is held");
	wr(LAPIC_TPR, 0x4F);
	cr_assert_eq(lapic_pending_vector(&l), -1);
	wr(LAPIC_TPR, 0x3F);
	cr_assert_eq(lapic_pending_vector(&l), 0x45);
	wr(LAPIC_TPR, 0xF0);
	cr_assert_eq(lapic_pending_vector(&l), -1);
	cr_assert(irr_has(0x45), "held, not lost");
	wr(LAPIC_TPR, 0);
	cr_assert_eq(inject(), 0x45);
	/* A vector of the class in service waits for the EOI. */
	fixed(&l, 0x41, false);
	cr_assert_eq(lapic_pending_vector(&l), -1);
	wr(LAPIC_EOI, 0);
	cr_assert_eq(lapic_pending_vector(&l), 0x41);
}

Test(lapic, highest_vector_first_and_nested_eoi_order)
{
	sw_enable();
	fixed(&l, 0x30, false);
	fixed(&l, 0x31, false);
	cr_assert_eq(inject(), 0x31);
	cr_assert(isr_has(0x31));
	cr_assert_not(irr_has(0x31));
	cr_assert_eq(lapic_pending_vector(&l), -1, "0x30 is in the class in service");
	fixed(&l, 0x80, false);
	cr_assert_eq(inject(), 0x80, "a higher class nests");
	fixed(&l, 0x40, false);
	cr_assert_eq(lapic_pending_vector(&l), -1, "0x40 is below 0x80 in service");
	wr(LAPIC_EOI, 0); /* ends 0x80, the highest in service */
	cr_assert_not(isr_has(0x80));
	cr_assert(isr_has(0x31));
	cr_assert_eq(inject(), 0x40);
	wr(LAPIC_EOI, 0);
	cr_assert_not(isr_has(0x40));
	cr_assert(isr_has(0x31));
	wr(LAPIC_EOI, 0);
	cr_assert_eq(inject(), 0x30);
	wr(LAPIC_EOI, 0);
	wr(LAPIC_EOI, 0); /* nothing in service: no effect */
	for (int i = 0; i < 8; i++)
		cr_assert_eq(rd(LAPIC_ISR + 16 * i), 0);
	cr_assert_eq(plat.eois, 0, "edge interrupts never broadcast");
}

Test(lapic, level_triggered_eoi_reaches_the_ioapic)
{
	sw_enable();
	fixed(&l, 0x61, true);
	cr_assert(rd(LAPIC_TMR + 16 * 3) & (1u << 1));
	cr_assert_eq(inject(), 0x61);
	fixed(&l, 0x70, false);
	cr_assert_eq(inject(), 0x70);
	wr(LAPIC_EOI, 0);
	cr_assert_eq(plat.eois, 0, "0x70 was edge");
	wr(LAPIC_EOI, 0);
	cr_assert_eq(plat.eois, 1);
	cr_assert_eq(plat.eoi_vector, 0x61);
}

Test(lapic, edge_acceptance_clears_tmr)
{
	sw_enable();
	fixed(&l, 0x61, true);
	fixed(&l, 0x61, false);
	cr_assert_eq(rd(LAPIC_TMR + 16 * 3), 0);
	cr_assert_eq(inject(), 0x61);
	wr(LAPIC_EOI, 0);
	cr_assert_eq(plat.eois, 0);
}

Test(lapic, ack_of_a_vector_not_pending_is_refused)
{
	sw_enable();
	cr_assert_not(lapic_ack_vector(&l, 0x55));
	cr_assert_not(isr_has(0x55));
	cr_assert_eq(host_log_count(), 1);
}

/* ---- SVR ---- */

Test(lapic, software_disable_forces_lvt_masks)
{
	cr_assert_eq(rd(LAPIC_SVR) & LAPIC_SVR_ENABLE, 0);
	wr(LAPIC_LVT_LINT0, 0x700);
	cr_assert_eq(rd(LAPIC_LVT_LINT0), 0x10700, "mask stays while disabled");
	sw_enable();
	wr(LAPIC_LVT_TIMER, 0x20030);
	wr(LAPIC_LVT_ERROR, 0xFE);
	cr_assert_eq(rd(LAPIC_LVT_TIMER), 0x20030);
	wr(LAPIC_SVR, 0xFF);
	for (uint32_t off = LAPIC_LVT_TIMER; off <= LAPIC_LVT_ERROR; off += 16)
		cr_assert(rd(off) & LAPIC_LVT_MASKED, "LVT %#x", off);
	cr_assert_eq(rd(LAPIC_LVT_TIMER), 0x30030, "only the mask changes");
	sw_enable();
	cr_assert(rd(LAPIC_LVT_TIMER) & LAPIC_LVT_MASKED, "enabling does not unmask");
	wr(LAPIC_LVT_TIMER, 0x30);
	cr_assert_eq(rd(LAPIC_LVT_TIMER), 0x30);
}

/* SDM Vol. 3A §6.7.1: NMIs that arrive while one is pending collapse into
 * it; core takes it once, when the guest can take an NMI. */
Test(lapic, nmis_while_one_is_pending_collapse_into_it)
{
	msg(&l, LAPIC_DM_NMI, 0, true, false);
	msg(&l, LAPIC_DM_NMI, 0, true, false);
	cr_assert(lapic_has_wakeup(&l), "a pending NMI wakes HLT");
	cr_assert(lapic_take_nmi(&l));
	cr_assert_not(lapic_take_nmi(&l), "two NMIs held are one");
	cr_assert_not(lapic_has_wakeup(&l));
}

Test(lapic, software_disabled_takes_only_nmi_init_sipi)
{
	fixed(&l, 0x40, false);
	cr_assert_not(irr_has(0x40));
	msg(&l, LAPIC_DM_NMI, 0, true, false);
	cr_assert(lapic_take_nmi(&l));
	cr_assert_not(lapic_take_nmi(&l), "consumed");
	sw_enable();
	fixed(&l, 0x40, false);
	cr_assert(irr_has(0x40));
	/* Pending interrupts survive a software disable (§10.4.7.2). */
	wr(LAPIC_SVR, 0xFF);
	cr_assert_eq(lapic_pending_vector(&l), 0x40);
}

/* ---- ESR ---- */

Test(lapic, esr_reads_what_the_last_write_latched)
{
	sw_enable();
	wr(LAPIC_ICR_LOW, 0x4005); /* fixed, vector 5: illegal */
	cr_assert_eq(plat.ipis, 0, "not sent");
	cr_assert_eq(rd(LAPIC_ESR), 0, "not visible before a write");
	wr(LAPIC_ESR, 0xFFFFFFFF); /* the value written does not matter */
	cr_assert_eq(rd(LAPIC_ESR), LAPIC_ESR_SEND_ILLEGAL_VECTOR);
	cr_assert_eq(rd(LAPIC_ESR), LAPIC_ESR_SEND_ILLEGAL_VECTOR, "reading does not clear");
	wr(LAPIC_ESR, 0);
	cr_assert_eq(rd(LAPIC_ESR), 0);
}

Test(lapic, errors_raise_the_error_lvt)
{
	sw_enable();
	wr(LAPIC_LVT_ERROR, 0xFE);
	fixed(&l, 3, false);
	cr_assert_not(irr_has(3));
	cr_assert(irr_has(0xFE));
	wr(LAPIC_ESR, 0);
	cr_assert_eq(rd(LAPIC_ESR), LAPIC_ESR_RECV_ILLEGAL_VECTOR);
}

Test(lapic, illegal_vectors_are_never_delivered)
{
	sw_enable();
	for (unsigned int v = 0; v < 16; v++)
		fixed(&l, (uint8_t)v, false);
	cr_assert_eq(rd(LAPIC_IRR), 0);
	cr_assert_eq(lapic_pending_vector(&l), -1);
	wr(LAPIC_ESR, 0);
	cr_assert_eq(rd(LAPIC_ESR), LAPIC_ESR_RECV_ILLEGAL_VECTOR);
	/* An LVT with an illegal vector fires nothing either. */
	wr(LAPIC_TIMER_DIVIDE, 0xB);
	wr(LAPIC_LVT_TIMER, 0x07);
	wr(LAPIC_TIMER_INITIAL, 10);
	lapic_tick(&l, 10);
	cr_assert_eq(rd(LAPIC_IRR), 0);
	cr_assert_eq(host_log_count(), 1, "one warning for all illegal vectors");
}

/* ---- timer ---- */

Test(lapic, oneshot_fires_once_at_the_right_time)
{
	sw_enable();
	clk.now = 500;
	wr(LAPIC_TIMER_DIVIDE, 0xB); /* divide by 1: one count per ns */
	wr(LAPIC_LVT_TIMER, 0xEC);
	wr(LAPIC_TIMER_INITIAL, 1000);
	cr_assert_eq(lapic_next_deadline(&l), 1500);
	lapic_tick(&l, 1499);
	cr_assert_not(irr_has(0xEC));
	lapic_tick(&l, 1500);
	cr_assert(irr_has(0xEC));
	cr_assert_eq(lapic_next_deadline(&l), VDEV_NO_DEADLINE);
	cr_assert_eq(inject(), 0xEC);
	lapic_tick(&l, 100000);
	cr_assert_not(irr_has(0xEC), "one-shot");
	cr_assert_eq(l.timer_fired, 1);
	clk.now = 1600;
	cr_assert_eq(rd(LAPIC_TIMER_CURRENT), 0);
	cr_assert(plat.kicks >= 1, "the timer wakes the vCPU");
}

Test(lapic, current_count_decreases_at_the_divided_rate)
{
	sw_enable();
	wr(LAPIC_TIMER_DIVIDE, 0x3); /* divide by 16 */
	wr(LAPIC_LVT_TIMER, 0x30);
	wr(LAPIC_TIMER_INITIAL, 100);
	cr_assert_eq(rd(LAPIC_TIMER_CURRENT), 100);
	clk.now = 15;
	cr_assert_eq(rd(LAPIC_TIMER_CURRENT), 100);
	clk.now = 16;
	cr_assert_eq(rd(LAPIC_TIMER_CURRENT), 99);
	clk.now = 800;
	cr_assert_eq(rd(LAPIC_TIMER_CURRENT), 50);
	clk.now = 1599;
	cr_assert_eq(rd(LAPIC_TIMER_CURRENT), 1);
	clk.now = 1600;
	cr_assert_eq(rd(LAPIC_TIMER_CURRENT), 0, "expired even before the tick");
	cr_assert_eq(lapic_next_deadline(&l), 1600);
	cr_assert_eq(rd(LAPIC_TIMER_INITIAL), 100);
}

Test(lapic, every_divide_encoding)
{
	static const struct {
		uint32_t reg;
		uint64_t div;
	} enc[] = { { 0x0, 2 },  { 0x1, 4 },  { 0x2, 8 },   { 0x3, 16 },
		    { 0x8, 32 }, { 0x9, 64 }, { 0xA, 128 }, { 0xB, 1 } };

	sw_enable();
	for (unsigned int i = 0; i < 8; i++) {
		wr(LAPIC_TIMER_DIVIDE, enc[i].reg | 0xF4); /* reserved bits dropped */
		cr_assert_eq(rd(LAPIC_TIMER_DIVIDE), enc[i].reg);
		wr(LAPIC_TIMER_INITIAL, 1000);
		cr_assert_eq(lapic_next_deadline(&l), clk.now + 1000 * enc[i].div, "reg %#x",
			     enc[i].reg);
	}
}

Test(lapic, divide_change_continues_from_the_current_count)
{
	sw_enable();
	wr(LAPIC_TIMER_DIVIDE, 0xB);
	wr(LAPIC_TIMER_INITIAL, 1000);
	clk.now = 400;
	wr(LAPIC_TIMER_DIVIDE, 0x0); /* by 2: 600 counts left take 1200 ns */
	cr_assert_eq(rd(LAPIC_TIMER_CURRENT), 600);
	cr_assert_eq(lapic_next_deadline(&l), 1600);
}

Test(lapic, periodic_reloads_without_drift)
{
	sw_enable();
	wr(LAPIC_TIMER_DIVIDE, 0xB);
	wr(LAPIC_LVT_TIMER, 0x20000 | 0xEF);
	wr(LAPIC_TIMER_INITIAL, 100000);
	lapic_tick(&l, 100037); /* the platform is 37 ns late */
	cr_assert(irr_has(0xEF));
	cr_assert_eq(lapic_next_deadline(&l), 200000, "reload from the expiry, not from now");
	cr_assert_eq(inject(), 0xEF);
	wr(LAPIC_EOI, 0);
	lapic_tick(&l, 200000);
	cr_assert(irr_has(0xEF));
	cr_assert_eq(lapic_next_deadline(&l), 300000);
	cr_assert_eq(l.timer_fired, 2);
	cr_assert_eq(l.timer_coalesced, 0);
}

/* atk-storm: count 1 at divide-by-1 would be an interrupt per nanosecond. */
Test(lapic, periodic_reload_has_a_floor)
{
	sw_enable();
	wr(LAPIC_TIMER_DIVIDE, 0xB);
	wr(LAPIC_LVT_TIMER, 0x20000 | 0xEF);
	wr(LAPIC_TIMER_INITIAL, 1);
	cr_assert_eq(lapic_next_deadline(&l), clk.now + 1, "the first expiry as programmed");
	lapic_tick(&l, clk.now + 1);
	cr_assert(irr_has(0xEF));
	cr_assert_eq(lapic_next_deadline(&l), clk.now + 1 + LAPIC_TIMER_MIN_PERIOD_NS);
}

Test(lapic, periodic_lost_ticks_coalesce)
{
	sw_enable();
	wr(LAPIC_TIMER_DIVIDE, 0xB);
	wr(LAPIC_LVT_TIMER, 0x20000 | 0xEF);
	wr(LAPIC_TIMER_INITIAL, 100000);
	unsigned int kicks = plat.kicks;
	lapic_tick(&l, 550000);
	cr_assert_eq(l.timer_fired, 1, "one interrupt, not five");
	cr_assert_eq(l.timer_coalesced, 4);
	cr_assert_eq(plat.kicks, kicks + 1);
	cr_assert_eq(lapic_next_deadline(&l), 600000);
	cr_assert_gt(lapic_next_deadline(&l), 550000);
}

Test(lapic, periodic_current_count_reloads_between_ticks)
{
	sw_enable();
	wr(LAPIC_TIMER_DIVIDE, 0xB);
	wr(LAPIC_LVT_TIMER, 0x20000 | 0xEF);
	wr(LAPIC_TIMER_INITIAL, 1000);
	clk.now = 2250; /* no tick yet */
	cr_assert_eq(rd(LAPIC_TIMER_CURRENT), 750);
	clk.now = 3000;
	cr_assert_eq(rd(LAPIC_TIMER_CURRENT), 1000);
}

Test(lapic, masked_periodic_still_reloads)
{
	sw_enable();
	wr(LAPIC_TIMER_DIVIDE, 0xB);
	wr(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | 0x20000 | 0xEF);
	wr(LAPIC_TIMER_INITIAL, 100000);
	lapic_tick(&l, 100000);
	cr_assert_not(irr_has(0xEF));
	cr_assert_eq(lapic_next_deadline(&l), 200000);
	wr(LAPIC_LVT_TIMER, 0x20000 | 0xEF); /* unmask: next expiry delivers */
	lapic_tick(&l, 200000);
	cr_assert(irr_has(0xEF));
}

Test(lapic, zero_initial_count_stops_the_timer)
{
	sw_enable();
	wr(LAPIC_LVT_TIMER, 0x20000 | 0xEF);
	wr(LAPIC_TIMER_INITIAL, 1000);
	cr_assert_neq(lapic_next_deadline(&l), VDEV_NO_DEADLINE);
	wr(LAPIC_TIMER_INITIAL, 0);
	cr_assert_eq(lapic_next_deadline(&l), VDEV_NO_DEADLINE);
	lapic_tick(&l, 1ULL << 40);
	cr_assert_not(irr_has(0xEF));
	cr_assert_eq(rd(LAPIC_TIMER_CURRENT), 0);
}

Test(lapic, rewriting_initial_count_restarts)
{
	sw_enable();
	wr(LAPIC_TIMER_DIVIDE, 0xB);
	wr(LAPIC_TIMER_INITIAL, 1000);
	clk.now = 900;
	wr(LAPIC_TIMER_INITIAL, 1000);
	cr_assert_eq(lapic_next_deadline(&l), 1900);
	cr_assert_eq(rd(LAPIC_TIMER_CURRENT), 1000);
}

Test(lapic, tsc_deadline_fires_at_the_right_tsc)
{
	sw_enable();
	wr(LAPIC_LVT_TIMER, 0x40000 | 0xEC);
	clk.now = 100;
	uint64_t deadline = fake_tsc(&clk) + 2 * 5000; /* 5 us ahead at 2 GHz */
	msr_wr(MSR_LAPIC_TSC_DEADLINE, deadline);
	cr_assert_eq(msr_rd(MSR_LAPIC_TSC_DEADLINE), deadline);
	cr_assert_eq(lapic_next_deadline(&l), 5100);
	cr_assert_eq(rd(LAPIC_TIMER_CURRENT), 0, "no count in TSC-deadline mode");
	lapic_tick(&l, 5099);
	cr_assert_not(irr_has(0xEC));
	lapic_tick(&l, 5100);
	cr_assert(irr_has(0xEC));
	cr_assert_eq(msr_rd(MSR_LAPIC_TSC_DEADLINE), 0, "disarmed after firing");
	cr_assert_eq(lapic_next_deadline(&l), VDEV_NO_DEADLINE);
}

Test(lapic, tsc_deadline_rounds_up_to_whole_ns)
{
	sw_enable();
	wr(LAPIC_LVT_TIMER, 0x40000 | 0xEC);
	msr_wr(MSR_LAPIC_TSC_DEADLINE, TSC_OFFSET + 3); /* 1.5 ns */
	cr_assert_eq(lapic_next_deadline(&l), 2, "never before the TSC reaches it");
}

Test(lapic, tsc_deadline_in_the_past_fires_at_once)
{
	sw_enable();
	wr(LAPIC_LVT_TIMER, 0x40000 | 0xEC);
	clk.now = 1000000;
	msr_wr(MSR_LAPIC_TSC_DEADLINE, 5);
	cr_assert(irr_has(0xEC));
	cr_assert_eq(msr_rd(MSR_LAPIC_TSC_DEADLINE), 0);
	cr_assert_eq(lapic_next_deadline(&l), VDEV_NO_DEADLINE);
}

Test(lapic, tsc_deadline_zero_disarms)
{
	sw_enable();
	wr(LAPIC_LVT_TIMER, 0x40000 | 0xEC);
	msr_wr(MSR_LAPIC_TSC_DEADLINE, TSC_OFFSET + 2000);
	cr_assert_eq(lapic_next_deadline(&l), 1000);
	msr_wr(MSR_LAPIC_TSC_DEADLINE, 0);
	cr_assert_eq(lapic_next_deadline(&l), VDEV_NO_DEADLINE);
	lapic_tick(&l, 5000);
	cr_assert_not(irr_has(0xEC));
}

Test(lapic, mode_changes_disarm)
{
	sw_enable();
	wr(LAPIC_TIMER_DIVIDE, 0xB);
	wr(LAPIC_LVT_TIMER, 0xEC);
	wr(LAPIC_TIMER_INITIAL, 1000);
	wr(LAPIC_LVT_TIMER, 0x40000 | 0xEC); /* one-shot -> TSC deadline */
	cr_assert_eq(lapic_next_deadline(&l), VDEV_NO_DEADLINE);
	cr_assert_eq(rd(LAPIC_TIMER_INITIAL), 0);
	wr(LAPIC_TIMER_INITIAL, 50); /* ignored in TSC-deadline mode */
	cr_assert_eq(rd(LAPIC_TIMER_INITIAL), 0);
	cr_assert_eq(lapic_next_deadline(&l), VDEV_NO_DEADLINE);
	msr_wr(MSR_LAPIC_TSC_DEADLINE, TSC_OFFSET + 2000);
	wr(LAPIC_LVT_TIMER, 0xEC); /* TSC deadline -> one-shot */
	cr_assert_eq(lapic_next_deadline(&l), VDEV_NO_DEADLINE);
	cr_assert_eq(msr_rd(MSR_LAPIC_TSC_DEADLINE), 0);
	lapic_tick(&l, 10000);
	cr_assert_not(irr_has(0xEC));
	/* One-shot <-> periodic keeps counting. */
	wr(LAPIC_TIMER_INITIAL, 1000);
	wr(LAPIC_LVT_TIMER, 0x20000 | 0xEC);
	cr_assert_eq(lapic_next_deadline(&l), 1000);
}

Test(lapic, tsc_deadline_msr_is_inert_outside_its_mode)
{
	sw_enable();
	wr(LAPIC_LVT_TIMER, 0xEC);
	msr_wr(MSR_LAPIC_TSC_DEADLINE, TSC_OFFSET + 2000);
	cr_assert_eq(msr_rd(MSR_LAPIC_TSC_DEADLINE), 0);
	cr_assert_eq(lapic_next_deadline(&l), VDEV_NO_DEADLINE);
}

Test(lapic, reserved_timer_mode_becomes_oneshot)
{
	sw_enable();
	wr(LAPIC_LVT_TIMER, 0x60000 | 0xEC);
	cr_assert_eq(rd(LAPIC_LVT_TIMER), 0xEC);
	cr_assert_eq(host_log_count(), 1);
}

/* ---- x2APIC ---- */

Test(lapic, x2apic_id_and_derived_ldr)
{
	lapic_init(&l, "t", 0x23, false, &clk.vc, &ops);
	enter_x2apic();
	cr_assert_eq(msr_rd(LAPIC_X2APIC_MSR(LAPIC_ID)), 0x23);
	/* cluster 0x23 >> 4 = 2 in 31:16, bit (0x23 & 15) = 3 */
	cr_assert_eq(msr_rd(LAPIC_X2APIC_MSR(LAPIC_LDR)), 0x20008);
	cr_assert_eq(msr_rd(LAPIC_X2APIC_MSR(LAPIC_VERSION)), 0x60014);
	cr_assert_eq(lapic_id(&l), 0x23);
	/* The xAPIC page is gone. */
	uint64_t v = 1;
	cr_assert_eq(lapic_mmio_read(&l, LAPIC_ID, 4, &v), 0);
	cr_assert_eq(v, 0);
}

Test(lapic, x2apic_icr_is_one_64bit_msr)
{
	sw_enable();
	enter_x2apic();
	msr_wr(LAPIC_X2APIC_MSR(LAPIC_ICR_LOW), 0x0000000300004835ULL);
	cr_assert_eq(plat.ipis, 1);
	cr_assert_eq(plat.ipi_src, &l);
	cr_assert_eq(plat.ipi.dest, 3);
	cr_assert(plat.ipi.dest_x2apic);
	cr_assert(plat.ipi.dest_logical);
	cr_assert_eq(plat.ipi.vector, 0x35);
	cr_assert_eq(plat.ipi.delivery, LAPIC_DM_FIXED);
	cr_assert_eq(msr_rd(LAPIC_X2APIC_MSR(LAPIC_ICR_LOW)), 0x0000000300004835ULL);
	cr_assert_eq(lapic_msr_write(&l, 0x831, 0), LAPIC_MSR_GP, "no ICR high MSR");
	/* Bit 12 (delivery status) is reserved in x2APIC mode. */
	cr_assert_eq(lapic_msr_write(&l, 0x830, 0x1035), LAPIC_MSR_GP);
	cr_assert_eq(plat.ipis, 1);
}

Test(lapic, x2apic_self_ipi)
{
	sw_enable();
	enter_x2apic();
	msr_wr(0x83F, 0x77);
	cr_assert(l.irr[0x77 / 32] & (1u << (0x77 % 32)));
	cr_assert_eq(plat.ipis, 0, "handled locally");
	uint64_t v;
	cr_assert_eq(lapic_msr_read(&l, 0x83F, &v), LAPIC_MSR_GP, "write-only");
	cr_assert_eq(lapic_msr_write(&l, 0x83F, 0x177), LAPIC_MSR_GP, "reserved bits");
	cr_assert_eq(lapic_pending_vector(&l), 0x77);
}

Test(lapic, x2apic_misuse_raises_gp)
{
	uint64_t v;
	sw_enable();
	/* Not in x2APIC mode: the whole range #GPs. */
	cr_assert_eq(lapic_msr_read(&l, 0x802, &v), LAPIC_MSR_GP);
	cr_assert_eq(lapic_msr_write(&l, 0x808, 0), LAPIC_MSR_GP);
	enter_x2apic();
	static const uint32_t read_only[] = { 0x802, 0x803, 0x80A, 0x80D, 0x810,
					      0x817, 0x818, 0x820, 0x827, 0x839 };
	for (unsigned int i = 0; i < sizeof(read_only) / sizeof(read_only[0]); i++)
		cr_assert_eq(lapic_msr_write(&l, read_only[i], 0), LAPIC_MSR_GP, "%#x", read_only[i]);
	static const uint32_t absent[] = { 0x800, 0x801, 0x804, 0x809, 0x80C, 0x80E, 0x829,
					   0x82E, 0x831, 0x83A, 0x83D, 0x840, 0x8FF };
	for (unsigned int i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		cr_assert_eq(lapic_msr_read(&l, absent[i], &v), LAPIC_MSR_GP, "%#x", absent[i]);
		cr_assert_eq(lapic_msr_write(&l, absent[i], 0), LAPIC_MSR_GP, "%#x", absent[i]);
	}
	cr_assert_eq(lapic_msr_read(&l, 0x80B, &v), LAPIC_MSR_GP, "EOI is write-only");
	cr_assert_eq(lapic_msr_write(&l, 0x80B, 1), LAPIC_MSR_GP, "EOI takes only 0");
	cr_assert_eq(lapic_msr_write(&l, 0x828, 1), LAPIC_MSR_GP, "ESR takes only 0");
	cr_assert_eq(lapic_msr_write(&l, 0x808, 0x100), LAPIC_MSR_GP, "TPR 31:8 reserved");
	cr_assert_eq(lapic_msr_write(&l, 0x808, 1ULL << 32), LAPIC_MSR_GP, "63:32 reserved");
	cr_assert_eq(lapic_msr_write(&l, 0x832, 0x60000), LAPIC_MSR_GP, "timer mode 3");
	cr_assert_eq(lapic_msr_write(&l, 0x835, 0x40000), LAPIC_MSR_GP, "LINT0 bit 18");
	cr_assert_eq(lapic_msr_write(&l, 0x83E, 0x4), LAPIC_MSR_GP, "divide bit 2");
	cr_assert_eq(lapic_msr_write(&l, 0x80F, 0x1000), LAPIC_MSR_GP, "no EOI suppression");
	/* Legal writes still work, and nothing changed from the refused ones. */
	msr_wr(0x808, 0x20);
	cr_assert_eq(msr_rd(0x808), 0x20);
	msr_wr(0x80B, 0);
	msr_wr(0x828, 0);
	cr_assert_eq(msr_rd(0x828), 0);
	cr_assert_eq(host_log_count(), 1, "one warning for all #GP cases");
}

Test(lapic, x2apic_registers_work_through_msrs)
{
	sw_enable();
	enter_x2apic();
	msr_wr(0x83E, 0xB);
	msr_wr(0x832, 0x20000 | 0xEF);
	msr_wr(0x838, 500);
	clk.now = 100;
	cr_assert_eq(msr_rd(0x839), 400);
	cr_assert_eq(msr_rd(0x838), 500);
	lapic_tick(&l, 500);
	cr_assert_eq(lapic_pending_vector(&l), 0xEF);
	cr_assert(lapic_ack_vector(&l, 0xEF));
	cr_assert_eq(msr_rd(0x80A), 0xE0, "PPR");
	cr_assert_eq(msr_rd(0x810 + 7), 1u << (0xEF % 32), "ISR word 7");
	msr_wr(0x80B, 0);
	cr_assert_eq(msr_rd(0x817), 0);
	msr_wr(0x80F, 0xFF); /* software disable through the MSR */
	cr_assert(msr_rd(0x832) & LAPIC_LVT_MASKED);
}

/* ---- IA32_APIC_BASE ---- */

Test(lapic, apic_base_legal_transitions)
{
	const uint64_t en = LAPIC_BASE_EN, extd = LAPIC_BASE_EXTD;
	sw_enable();
	fixed(&l, 0x40, false);
	msr_wr(MSR_LAPIC_APIC_BASE, LAPIC_DEFAULT_BASE | en | extd);
	cr_assert_eq(lapic_mode(&l), LAPIC_MODE_X2APIC);
	cr_assert(l.irr[2] & 1, "xAPIC -> x2APIC keeps the state");
	cr_assert_eq(msr_rd(MSR_LAPIC_APIC_BASE), LAPIC_DEFAULT_BASE | en | extd | LAPIC_BASE_BSP);
	msr_wr(MSR_LAPIC_APIC_BASE, LAPIC_DEFAULT_BASE);
	cr_assert_eq(lapic_mode(&l), LAPIC_MODE_DISABLED);
	cr_assert_eq(lapic_pending_vector(&l), -1);
	msr_wr(MSR_LAPIC_APIC_BASE, LAPIC_DEFAULT_BASE | en);
	cr_assert_eq(lapic_mode(&l), LAPIC_MODE_XAPIC);
	cr_assert_eq(rd(LAPIC_SVR), 0xFF, "back in the power-on state");
	cr_assert_eq(rd(LAPIC_IRR + 0x20), 0);
	cr_assert_eq(rd(LAPIC_ID), 0);
	cr_assert_eq(host_log_count(), 0);
}

Test(lapic, apic_base_illegal_transitions_gp)
{
	const uint64_t en = LAPIC_BASE_EN, extd = LAPIC_BASE_EXTD;
	cr_assert_eq(lapic_msr_write(&l, 0x1B, LAPIC_DEFAULT_BASE | extd), LAPIC_MSR_GP,
		     "EXTD without EN");
	cr_assert_eq(lapic_msr_write(&l, 0x1B, LAPIC_DEFAULT_BASE | en | 0x80), LAPIC_MSR_GP,
		     "reserved bit 7");
	cr_assert_eq(lapic_msr_write(&l, 0x1B, LAPIC_DEFAULT_BASE | en | BIT(9)), LAPIC_MSR_GP);
	cr_assert_eq(lapic_msr_write(&l, 0x1B, BIT(40) | en), LAPIC_MSR_GP, "above MAXPHYADDR");
	msr_wr(0x1B, LAPIC_DEFAULT_BASE | en | extd);
	cr_assert_eq(lapic_msr_write(&l, 0x1B, LAPIC_DEFAULT_BASE | en), LAPIC_MSR_GP,
		     "x2APIC -> xAPIC");
	cr_assert_eq(lapic_mode(&l), LAPIC_MODE_X2APIC);
	msr_wr(0x1B, LAPIC_DEFAULT_BASE);
	cr_assert_eq(lapic_msr_write(&l, 0x1B, LAPIC_DEFAULT_BASE | en | extd), LAPIC_MSR_GP,
		     "disabled -> x2APIC");
	cr_assert_eq(lapic_mode(&l), LAPIC_MODE_DISABLED);
	cr_assert_eq(host_log_count(), 1);
}

/* Issue 14: without CPUID.1:ECX.x2APIC, setting EXTD is #GP in every state
 * (SDM Vol. 3A §10.12.1); the other transitions work as before. */
Test(lapic, apic_base_extd_gp_when_x2apic_not_offered)
{
	const uint64_t en = LAPIC_BASE_EN, extd = LAPIC_BASE_EXTD;
	l.x2apic_offered = false;
	cr_assert_eq(lapic_msr_write(&l, 0x1B, LAPIC_DEFAULT_BASE | en | extd), LAPIC_MSR_GP,
		     "xAPIC -> x2APIC");
	cr_assert_eq(lapic_mode(&l), LAPIC_MODE_XAPIC);
	msr_wr(0x1B, LAPIC_DEFAULT_BASE);
	cr_assert_eq(lapic_mode(&l), LAPIC_MODE_DISABLED);
	cr_assert_eq(lapic_msr_write(&l, 0x1B, LAPIC_DEFAULT_BASE | en | extd), LAPIC_MSR_GP,
		     "disabled -> x2APIC");
	cr_assert_eq(lapic_msr_write(&l, 0x1B, LAPIC_DEFAULT_BASE | extd), LAPIC_MSR_GP,
		     "EXTD without EN");
	msr_wr(0x1B, LAPIC_DEFAULT_BASE | en);
	cr_assert_eq(lapic_mode(&l), LAPIC_MODE_XAPIC);
	cr_assert_eq(lapic_msr_write(&l, 0x80A, 0), LAPIC_MSR_GP, "x2APIC MSRs stay absent");
}

Test(lapic, apic_base_relocation_and_bsp_flag)
{
	msr_wr(MSR_LAPIC_APIC_BASE, 0xFED00000ULL | LAPIC_BASE_EN); /* BSP bit cleared */
	cr_assert_eq(lapic_mmio_base(&l), 0xFED00000ULL);
	cr_assert_eq(msr_rd(MSR_LAPIC_APIC_BASE), 0xFED00000ULL | LAPIC_BASE_EN | LAPIC_BASE_BSP,
		     "BSP is the hardware's");
	cr_assert_eq(rd(LAPIC_VERSION), 0x60014);
}

Test(lapic, hardware_disabled_apic)
{
	struct lapic other;
	lapic_init(&other, "t", 1, false, &clk.vc, &ops);
	sw_enable();
	msr_wr(MSR_LAPIC_APIC_BASE, LAPIC_DEFAULT_BASE | LAPIC_BASE_BSP);
	fixed(&l, 0x40, false);
	msg(&l, LAPIC_DM_NMI, 0, true, false);
	cr_assert_not(lapic_take_nmi(&l), "off the bus");
	cr_assert_not(lapic_match_dest(&l, 0xFF, false, false));
	struct lapic_msg all = { .shorthand = LAPIC_SH_ALL_INCL_SELF };
	cr_assert_not(lapic_msg_targets(&other, &l, &all));
	cr_assert(lapic_accepts_pic_interrupts(&l), "LINT0 is INTR");
	lapic_set_lint(&l, 1, true);
	cr_assert(lapic_take_nmi(&l), "LINT1 is NMI");
	uint64_t v = 1;
	lapic_mmio_read(&l, LAPIC_VERSION, 4, &v);
	cr_assert_eq(v, 0);
}

/* ---- IPIs ---- */

Test(lapic, icr_write_sends_with_every_field)
{
	sw_enable();
	wr(LAPIC_ICR_HIGH, 0x05FFFFFF);
	cr_assert_eq(rd(LAPIC_ICR_HIGH), 0x05000000);
	cr_assert_eq(plat.ipis, 0, "ICR high alone does not send");
	wr(LAPIC_ICR_LOW, 0xCCD31); /* all-excl, level, assert, logical, INIT, vec 0x31 */
	cr_assert_eq(plat.ipis, 1);
	cr_assert_eq(plat.ipi_src, &l);
	cr_assert_eq(plat.ipi.dest, 5);
	cr_assert_not(plat.ipi.dest_x2apic);
	cr_assert(plat.ipi.dest_logical);
	cr_assert_eq(plat.ipi.shorthand, LAPIC_SH_ALL_EXCL_SELF);
	cr_assert_eq(plat.ipi.delivery, LAPIC_DM_INIT);
	cr_assert_eq(plat.ipi.vector, 0x31);
	cr_assert(plat.ipi.level);
	cr_assert(plat.ipi.trigger_level);
	cr_assert_eq(rd(LAPIC_ICR_LOW) & LAPIC_ICR_DELIVERY_STATUS, 0, "always idle");
	cr_assert_eq(rd(LAPIC_ICR_LOW), 0xCCD31);
}

Test(lapic, icr_shorthands)
{
	static const enum lapic_shorthand sh[] = { LAPIC_SH_NONE, LAPIC_SH_SELF,
						   LAPIC_SH_ALL_INCL_SELF, LAPIC_SH_ALL_EXCL_SELF };
	sw_enable();
	for (unsigned int i = 0; i < 4; i++) {
		wr(LAPIC_ICR_LOW, i << 18 | 0x40 | LAPIC_ICR_LEVEL_ASSERT);
		cr_assert_eq(plat.ipis, i + 1);
		cr_assert_eq(plat.ipi.shorthand, sh[i]);
		cr_assert_eq(plat.ipi.delivery, LAPIC_DM_FIXED);
		cr_assert_eq(plat.ipi.vector, 0x40);
		cr_assert_not(plat.ipi.dest_logical);
	}
	/* SIPI with vector 0x9A, NMI: delivery modes pass through. */
	wr(LAPIC_ICR_LOW, 0x4600 | 0x9A);
	cr_assert_eq(plat.ipi.delivery, LAPIC_DM_STARTUP);
	cr_assert_eq(plat.ipi.vector, 0x9A);
	wr(LAPIC_ICR_LOW, 0x4400);
	cr_assert_eq(plat.ipi.delivery, LAPIC_DM_NMI);
	/* Reserved delivery modes are not sent. */
	unsigned int n = plat.ipis;
	wr(LAPIC_ICR_LOW, 0x4340);
	wr(LAPIC_ICR_LOW, 0x4740);
	cr_assert_eq(plat.ipis, n);
}

Test(lapic, msg_targets_follow_the_shorthand)
{
	struct lapic a, b;
	lapic_init(&a, "t", 1, false, &clk.vc, &ops);
	lapic_init(&b, "t", 2, false, &clk.vc, &ops);
	struct lapic_msg m = { .shorthand = LAPIC_SH_SELF, .dest = 2 };
	cr_assert(lapic_msg_targets(&a, &a, &m));
	cr_assert_not(lapic_msg_targets(&a, &b, &m), "self ignores the destination");
	m.shorthand = LAPIC_SH_ALL_INCL_SELF;
	cr_assert(lapic_msg_targets(&a, &a, &m) && lapic_msg_targets(&a, &b, &m));
	m.shorthand = LAPIC_SH_ALL_EXCL_SELF;
	cr_assert(!lapic_msg_targets(&a, &a, &m) && lapic_msg_targets(&a, &b, &m));
	m.shorthand = LAPIC_SH_NONE;
	cr_assert(!lapic_msg_targets(&a, &a, &m) && lapic_msg_targets(&a, &b, &m));
	cr_assert(lapic_msg_targets(NULL, &b, &m), "MSI: no source");
}

/* ---- destination matching ---- */

Test(lapic, physical_destinations)
{
	struct lapic a;
	lapic_init(&a, "t", 2, false, &clk.vc, &ops);
	cr_assert(lapic_match_dest(&a, 2, false, false));
	cr_assert_not(lapic_match_dest(&a, 1, false, false));
	cr_assert(lapic_match_dest(&a, 0xFF, false, false), "broadcast");
	cr_assert(lapic_match_dest(&a, 0x102, false, false), "8-bit field");
	cr_assert_not(lapic_match_dest(&a, 0x102, false, true));
}

Test(lapic, flat_logical_destinations)
{
	sw_enable();
	wr(LAPIC_DFR, 0xFFFFFFFF);
	wr(LAPIC_LDR, 0x04000000 | 0x00FFFFFF);
	cr_assert_eq(rd(LAPIC_LDR), 0x04000000, "bits 23:0 reserved");
	cr_assert(lapic_match_dest(&l, 0x04, true, false));
	cr_assert(lapic_match_dest(&l, 0x0F, true, false), "any bit of the set");
	cr_assert_not(lapic_match_dest(&l, 0x03, true, false));
	cr_assert(lapic_match_dest(&l, 0xFF, true, false), "broadcast");
	wr(LAPIC_LDR, 0);
	cr_assert_not(lapic_match_dest(&l, 0x7F, true, false), "LDR 0 is in no set");
}

Test(lapic, cluster_logical_destinations)
{
	sw_enable();
	wr(LAPIC_DFR, 0x0FFFFFFF);
	cr_assert_eq(rd(LAPIC_DFR), 0x0FFFFFFF);
	wr(LAPIC_LDR, 0x32000000); /* cluster 3, member bit 1 */
	cr_assert(lapic_match_dest(&l, 0x32, true, false));
	cr_assert(lapic_match_dest(&l, 0x36, true, false));
	cr_assert_not(lapic_match_dest(&l, 0x31, true, false), "other member");
	cr_assert_not(lapic_match_dest(&l, 0x22, true, false), "other cluster");
	cr_assert(lapic_match_dest(&l, 0xFF, true, false), "broadcast");
	wr(LAPIC_DFR, 0x5FFFFFFF); /* neither model */
	cr_assert_not(lapic_match_dest(&l, 0x32, true, false));
	cr_assert_eq(host_log_count(), 1);
}

Test(lapic, x2apic_destinations)
{
	lapic_init(&l, "t", 0x13, true, &clk.vc, &ops);
	enter_x2apic();
	/* LDR = cluster 1, bit 3 */
	cr_assert(lapic_match_dest(&l, 0x13, false, true));
	cr_assert_not(lapic_match_dest(&l, 0x113, false, true));
	cr_assert(lapic_match_dest(&l, 0xFFFFFFFF, false, true), "x2APIC broadcast");
	cr_assert(lapic_match_dest(&l, 0xFF, false, false), "8-bit broadcast (IOAPIC)");
	cr_assert_not(lapic_match_dest(&l, 0xFF, false, true), "0xFF is an ID in 32 bits");
	cr_assert(lapic_match_dest(&l, 0x00010008, true, true));
	cr_assert(lapic_match_dest(&l, 0x0001FFFF, true, true));
	cr_assert_not(lapic_match_dest(&l, 0x00010004, true, true), "other member");
	cr_assert_not(lapic_match_dest(&l, 0x00020008, true, true), "other cluster");
	cr_assert(lapic_match_dest(&l, 0xFFFFFFFF, true, true));
}

Test(lapic, msi_decode)
{
	struct lapic_msg m;
	cr_assert_not(lapic_msi_decode(0xFED01000, 0x41, &m));
	cr_assert(lapic_msi_decode(0xFEE03004, 0xC141, &m));
	cr_assert_eq(m.dest, 3);
	cr_assert(m.dest_logical);
	cr_assert_not(m.dest_x2apic);
	cr_assert_eq(m.delivery, LAPIC_DM_LOWEST);
	cr_assert_eq(m.vector, 0x41);
	cr_assert(m.level && m.trigger_level);
	cr_assert_eq(m.shorthand, LAPIC_SH_NONE);
	cr_assert(lapic_msi_decode(0xFEE02000, 0x0030, &m));
	cr_assert(!m.dest_logical && !m.trigger_level && m.dest == 2 && m.vector == 0x30);
}

/* ---- INIT / SIPI / NMI / SMI ---- */

Test(lapic, init_sipi_start_an_ap)
{
	struct lapic ap;
	lapic_init(&ap, "t", 1, false, &clk.vc, &ops);
	cr_assert(ap.wait_for_sipi, "an AP starts waiting for SIPI");
	lapic_setup_virtual_wire(&ap);
	fixed(&ap, 0x50, false);
	unsigned int kicks = plat.kicks;
	msg(&ap, LAPIC_DM_INIT, 0, true, true); /* INIT assert */
	cr_assert_gt(plat.kicks, kicks);
	cr_assert_eq(ap.irr[2], 0, "INIT resets the LAPIC");
	cr_assert_eq(ap.svr, 0xFF);
	cr_assert_eq(ap.id, 1u << 24, "but keeps the ID");
	cr_assert_eq(ap.apic_base, LAPIC_DEFAULT_BASE | LAPIC_BASE_EN, "and the base");
	msg(&ap, LAPIC_DM_INIT, 0, false, true); /* INIT level de-assert */
	cr_assert(lapic_take_init(&ap));
	cr_assert_not(lapic_take_init(&ap), "consumed; de-assert did nothing");
	cr_assert_eq(lapic_take_sipi(&ap), -1);
	msg(&ap, LAPIC_DM_STARTUP, 0x9A, true, false);
	msg(&ap, LAPIC_DM_STARTUP, 0x10, true, false); /* second SIPI: running already */
	cr_assert_eq(lapic_take_sipi(&ap), 0x9A);
	cr_assert_eq(lapic_take_sipi(&ap), -1);
}

Test(lapic, sipi_is_ignored_unless_waiting)
{
	msg(&l, LAPIC_DM_STARTUP, 0x9A, true, false);
	cr_assert_eq(lapic_take_sipi(&l), -1, "the BSP runs");
	msg(&l, LAPIC_DM_INIT, 0, true, false);
	cr_assert(lapic_take_init(&l));
	msg(&l, LAPIC_DM_STARTUP, 0x9A, true, false);
	cr_assert_eq(lapic_take_sipi(&l), -1, "the BSP does not wait for SIPI after INIT");
}

Test(lapic, init_in_x2apic_mode_keeps_x2apic)
{
	lapic_init(&l, "t", 0x21, false, &clk.vc, &ops);
	enter_x2apic();
	msg(&l, LAPIC_DM_INIT, 0, true, false);
	cr_assert_eq(lapic_mode(&l), LAPIC_MODE_X2APIC);
	cr_assert_eq(msr_rd(0x80D), 0x20002, "LDR stays derived");
	cr_assert_eq(msr_rd(0x80F), 0xFF);
}

Test(lapic, smi_is_logged_once_and_dropped)
{
	sw_enable();
	msg(&l, LAPIC_DM_SMI, 0, true, false);
	msg(&l, LAPIC_DM_SMI, 0, true, false);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("[t] lapic: "));
	cr_assert(host_log_contains("SMI"));
	cr_assert_not(lapic_has_wakeup(&l));
}

Test(lapic, wakeup_events_and_kicks)
{
	sw_enable();
	cr_assert_not(lapic_has_wakeup(&l));
	wr(LAPIC_TPR, 0xF0);
	fixed(&l, 0x40, false);
	cr_assert_eq(plat.kicks, 1);
	cr_assert_not(lapic_has_wakeup(&l), "masked by TPR");
	wr(LAPIC_TPR, 0);
	cr_assert(lapic_has_wakeup(&l));
	cr_assert_eq(inject(), 0x40);
	cr_assert_not(lapic_has_wakeup(&l));
	msg(&l, LAPIC_DM_NMI, 0, true, false);
	cr_assert_eq(plat.kicks, 2);
	cr_assert(lapic_has_wakeup(&l));
}

/* ---- LINT0 / LINT1 / PIC ---- */

Test(lapic, lint0_extint_decides_pic_delivery)
{
	cr_assert_not(lapic_accepts_pic_interrupts(&l), "power-on: LINT0 masked");
	lapic_setup_virtual_wire(&l);
	cr_assert(lapic_accepts_pic_interrupts(&l));
	cr_assert_eq(rd(LAPIC_LVT_LINT0), 0x700);
	cr_assert_eq(rd(LAPIC_LVT_LINT1), 0x400);
	wr(LAPIC_LVT_LINT0, 0x10700); /* Linux masks it once the IOAPIC runs */
	cr_assert_not(lapic_accepts_pic_interrupts(&l));
	wr(LAPIC_LVT_LINT0, 0x00031); /* fixed: not ExtINT */
	cr_assert_not(lapic_accepts_pic_interrupts(&l));
	/* An ExtINT message (IOAPIC virtual wire) lets one PIC vector through. */
	msg(&l, LAPIC_DM_EXTINT, 0, true, false);
	cr_assert(lapic_accepts_pic_interrupts(&l));
	lapic_ack_pic_interrupt(&l);
	cr_assert_not(lapic_accepts_pic_interrupts(&l));
}

Test(lapic, lint_pins_fire_on_rising_edges)
{
	lapic_setup_virtual_wire(&l);
	struct irq_sink s = lapic_lint_sink(&l);
	irq_set(&s, 1, true);
	cr_assert(lapic_take_nmi(&l));
	irq_set(&s, 1, true); /* still high: no new edge */
	cr_assert_not(lapic_take_nmi(&l));
	irq_set(&s, 1, false);
	cr_assert_not(lapic_take_nmi(&l), "falling edges do nothing");
	irq_pulse(&s, 1);
	cr_assert(lapic_take_nmi(&l));
	wr(LAPIC_LVT_LINT0, 0x00031); /* LINT0 as a fixed interrupt */
	unsigned int kicks = plat.kicks;
	irq_pulse(&s, 0);
	cr_assert_eq(lapic_pending_vector(&l), 0x31);
	cr_assert_gt(plat.kicks, kicks);
	wr(LAPIC_LVT_LINT1, LAPIC_LVT_MASKED | 0x400);
	irq_pulse(&s, 1);
	cr_assert_not(lapic_take_nmi(&l), "masked");
	irq_pulse(&s, 7); /* no such pin */
}

/* ---- hostile MMIO ---- */

Test(lapic, bad_mmio_sizes_and_alignment_are_ignored)
{
	uint64_t v;
	sw_enable();
	cr_assert_eq(lapic_mmio_write(&l, LAPIC_TPR + 4, 4, 0x50), 0);
	cr_assert_eq(lapic_mmio_write(&l, LAPIC_TPR, 1, 0x50), 0);
	cr_assert_eq(lapic_mmio_write(&l, LAPIC_TPR, 2, 0x50), 0);
	cr_assert_eq(lapic_mmio_write(&l, LAPIC_TPR, 8, 0x50), 0);
	cr_assert_eq(lapic_mmio_write(&l, LAPIC_TPR + 1, 4, 0x50), 0);
	cr_assert_eq(lapic_mmio_write(&l, 0x1000, 4, 0x50), 0);
	cr_assert_eq(rd(LAPIC_TPR), 0);
	v = 0x1234;
	cr_assert_eq(lapic_mmio_read(&l, LAPIC_VERSION, 2, &v), 0);
	cr_assert_eq(v, 0);
	v = 0x1234;
	cr_assert_eq(lapic_mmio_read(&l, LAPIC_VERSION + 8, 4, &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(host_log_count(), 1, "one warning for the model");
	cr_assert(host_log_contains("[t] lapic: "));
	wr(LAPIC_ESR, 0);
	cr_assert_eq(rd(LAPIC_ESR), 0, "size errors are not register errors");
}

Test(lapic, reserved_offsets_set_illegal_register)
{
	static const uint32_t reserved[] = { 0x000, 0x010, 0x040, 0x070, 0x290, 0x2E0,
					     0x3A0, 0x3D0, 0x3F0, 0x400, 0xFF0 };
	sw_enable();
	for (unsigned int i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		cr_assert_eq(rd(reserved[i]), 0, "%#x", reserved[i]);
		wr(reserved[i], 0xFFFFFFFF);
	}
	wr(LAPIC_ESR, 0);
	cr_assert_eq(rd(LAPIC_ESR), LAPIC_ESR_ILLEGAL_REGISTER);
	cr_assert_eq(host_log_count(), 1);
	cr_assert_eq(lapic_pending_vector(&l), -1);
}

Test(lapic, read_only_registers_ignore_writes)
{
	sw_enable();
	fixed(&l, 0x40, false);
	wr(LAPIC_VERSION, 0);
	wr(LAPIC_PPR, 0xFF);
	wr(LAPIC_APR, 0xFF);
	wr(LAPIC_IRR + 0x20, 0);
	wr(LAPIC_ISR + 0x20, 0xFFFFFFFF);
	wr(LAPIC_TMR, 0xFFFFFFFF);
	wr(LAPIC_TIMER_CURRENT, 1234);
	cr_assert_eq(rd(LAPIC_VERSION), 0x60014);
	cr_assert_eq(rd(LAPIC_PPR), 0);
	cr_assert(irr_has(0x40));
	cr_assert_eq(rd(LAPIC_ISR + 0x20), 0);
	cr_assert_eq(rd(LAPIC_TMR), 0);
	cr_assert_eq(rd(LAPIC_TIMER_CURRENT), 0);
	cr_assert_eq(host_log_count(), 1);
	wr(LAPIC_ESR, 0);
	cr_assert_eq(rd(LAPIC_ESR), 0);
}

Test(lapic, writable_fields_are_masked)
{
	sw_enable();
	wr(LAPIC_SVR, 0xFFFFFFFF);
	cr_assert_eq(rd(LAPIC_SVR), 0x3FF, "no EOI-broadcast suppression bit");
	wr(LAPIC_LVT_ERROR, 0xFFFFFFFF);
	cr_assert_eq(rd(LAPIC_LVT_ERROR), 0x100FF);
	wr(LAPIC_LVT_LINT0, 0xFFFFFFFF);
	cr_assert_eq(rd(LAPIC_LVT_LINT0), 0x1A7FF, "no delivery status, no remote IRR");
	wr(LAPIC_LVT_THERMAL, 0xFFFFFFFF);
	cr_assert_eq(rd(LAPIC_LVT_THERMAL), 0x107FF);
	wr(LAPIC_ID, 0xFFFFFFFF);
	cr_assert_eq(rd(LAPIC_ID), 0xFF000000);
	wr(LAPIC_ICR_LOW, 0xFFFFFFFF); /* reserved mode 7: not sent */
	cr_assert_eq(rd(LAPIC_ICR_LOW), LAPIC_ICR_WRITABLE);
}

Test(lapic, eoi_broadcast_not_for_reserved_register_reads)
{
	/* Reads of write-only EOI in xAPIC mode are harmless. */
	sw_enable();
	fixed(&l, 0x61, true);
	inject();
	cr_assert_eq(rd(LAPIC_EOI), 0);
	cr_assert(isr_has(0x61));
	cr_assert_eq(plat.eois, 0);
	cr_assert_eq(host_log_count(), 0);
}

/* ---- KVM PV EOI (MSR_KVM_PV_EOI_EN) ---- */

#define PV_RAM_SIZE 0x2000
#define PV_WORD 0x1008

static uint8_t pv_ram[PV_RAM_SIZE];
static struct gmem pv_mem;

static void pv_setup(void)
{
	setup();
	memset(pv_ram, 0, sizeof(pv_ram));
	memset(&pv_mem, 0, sizeof(pv_mem));
	cr_assert(gmem_add_region(&pv_mem, 0, PV_RAM_SIZE, pv_ram));
	l.mem = &pv_mem;
	sw_enable();
	cr_assert_eq(lapic_pv_eoi_msr_write(&l, PV_WORD | KVM_PV_EOI_ENABLED), LAPIC_MSR_OK);
}

/* Deliver like the board does: settle, acknowledge, arm. */
static int pv_inject(void)
{
	lapic_pv_eoi_sync(&l);
	int v = lapic_pending_vector(&l);
	if (v >= 0) {
		cr_assert(lapic_ack_vector(&l, (uint8_t)v));
		lapic_pv_eoi_arm(&l);
	}
	return v;
}

static bool pv_bit(void)
{
	return pv_ram[PV_WORD] & KVM_PV_EOI_BIT;
}

Test(lapic_pv_eoi, msr_rejects_reserved_bit_and_words_outside_ram)
{
	pv_setup();
	cr_assert_eq(lapic_pv_eoi_msr_write(&l, PV_WORD | KVM_PV_EOI_RESERVED | 1), LAPIC_MSR_GP);
	cr_assert_eq(lapic_pv_eoi_msr_write(&l, (PV_RAM_SIZE - 2) | 1), LAPIC_MSR_GP,
		     "the 4-byte word must lie in RAM");
	cr_assert_eq(lapic_pv_eoi_msr_write(&l, 0xfffffffffffff000ULL | 1), LAPIC_MSR_GP);
	cr_assert_eq(lapic_pv_eoi_msr_read(&l), PV_WORD | 1, "a refused write changes nothing");
	cr_assert_eq(lapic_pv_eoi_msr_write(&l, 0xfffffffffffff000ULL), LAPIC_MSR_OK,
		     "disabled: the address is not used");
}

Test(lapic_pv_eoi, not_offered_without_memory)
{
	setup();
	cr_assert_eq(lapic_pv_eoi_msr_write(&l, PV_WORD | 1), LAPIC_MSR_GP);
}

Test(lapic_pv_eoi, edge_vector_alone_gets_the_bit_and_clearing_it_is_the_eoi)
{
	pv_setup();
	fixed(&l, 0x40, false);
	cr_assert_eq(pv_inject(), 0x40);
	cr_assert(pv_bit(), "nothing else pending, edge-triggered: the guest may skip EOI");
	pv_ram[PV_WORD] &= ~KVM_PV_EOI_BIT; /* the guest's test-and-clear */
	fixed(&l, 0x30, false);             /* lower priority: waits for that EOI */
	cr_assert_eq(pv_inject(), 0x30, "the next exit takes the EOI, then 0x30 is delivered");
	cr_assert_not(isr_has(0x40));
	cr_assert_eq(plat.eois, 0, "an edge EOI reaches no I/O APIC");
}

/* A PV EOI that finds nothing in service ends nothing and is not counted
 * (found by fuzz_lapic: the statistics line could say more PV EOIs than
 * EOIs). Here the guest disables its APIC while the bit is armed, which
 * empties the ISR, and then clears the bit. */
Test(lapic_pv_eoi, pv_eoi_with_nothing_in_service_is_not_counted)
{
	pv_setup();
	fixed(&l, 0x40, false);
	cr_assert_eq(pv_inject(), 0x40);
	uint64_t base = 0;
	cr_assert_eq(lapic_msr_read(&l, MSR_LAPIC_APIC_BASE, &base), LAPIC_MSR_OK);
	lapic_msr_write(&l, MSR_LAPIC_APIC_BASE, base & ~LAPIC_BASE_EN);
	lapic_msr_write(&l, MSR_LAPIC_APIC_BASE, base);
	pv_ram[PV_WORD] &= ~KVM_PV_EOI_BIT;
	lapic_pv_eoi_sync(&l);
	cr_assert_leq(l.pv_eois, l.eois, "%lu PV EOIs, %lu EOIs", (unsigned long)l.pv_eois,
		      (unsigned long)l.eois);
}

Test(lapic_pv_eoi, bit_withdrawn_when_another_vector_waits)
{
	pv_setup();
	fixed(&l, 0x40, false);
	cr_assert_eq(pv_inject(), 0x40);
	cr_assert(pv_bit());
	fixed(&l, 0x30, false);
	cr_assert_eq(pv_inject(), -1, "0x30 is below the vector in service");
	cr_assert_not(pv_bit(), "the guest must write EOI so that 0x30 is delivered at once");
	cr_assert(isr_has(0x40));
	wr(LAPIC_EOI, 0);
	cr_assert_eq(pv_inject(), 0x30);
}

Test(lapic_pv_eoi, level_vector_never_gets_the_bit)
{
	pv_setup();
	fixed(&l, 0x50, true);
	cr_assert_eq(pv_inject(), 0x50);
	cr_assert_not(pv_bit(), "the I/O APIC needs the EOI");
	wr(LAPIC_EOI, 0);
	cr_assert_eq(plat.eois, 1);
}

Test(lapic_pv_eoi, not_armed_when_more_is_pending)
{
	pv_setup();
	fixed(&l, 0x40, false);
	fixed(&l, 0x30, false);
	cr_assert_eq(pv_inject(), 0x40);
	cr_assert_not(pv_bit());
}

Test(lapic_pv_eoi, bit_still_set_means_still_in_service)
{
	pv_setup();
	fixed(&l, 0x40, false);
	cr_assert_eq(pv_inject(), 0x40);
	lapic_pv_eoi_sync(&l);
	cr_assert(isr_has(0x40), "no EOI until the guest clears the bit");
	cr_assert(pv_bit());
}

Test(lapic_pv_eoi, nested_vectors_each_get_one_eoi)
{
	pv_setup();
	fixed(&l, 0x40, false);
	cr_assert_eq(pv_inject(), 0x40); /* armed for 0x40 */
	fixed(&l, 0x60, false);
	cr_assert_eq(pv_inject(), 0x60, "higher priority nests");
	cr_assert(pv_bit(), "re-armed for 0x60 after the withdrawal");
	pv_ram[PV_WORD] &= ~KVM_PV_EOI_BIT; /* 0x60's handler: PV EOI */
	wr(LAPIC_EOI, 0);                   /* 0x40's handler found the bit clear */
	cr_assert_not(isr_has(0x60));
	cr_assert_not(isr_has(0x40));
}

Test(lapic_pv_eoi, disabling_leaves_the_word_clear)
{
	pv_setup();
	fixed(&l, 0x40, false);
	cr_assert_eq(pv_inject(), 0x40);
	cr_assert(pv_bit());
	cr_assert_eq(lapic_pv_eoi_msr_write(&l, 0), LAPIC_MSR_OK);
	cr_assert_not(pv_bit(), "the guest will write EOI for 0x40 itself");
	cr_assert(isr_has(0x40));
}

Test(lapic_pv_eoi, reset_turns_it_off)
{
	pv_setup();
	lapic_reset(&l);
	cr_assert_eq(lapic_pv_eoi_msr_read(&l), 0);
	sw_enable();
	fixed(&l, 0x40, false);
	cr_assert_eq(pv_inject(), 0x40);
	cr_assert_not(pv_bit());
}
