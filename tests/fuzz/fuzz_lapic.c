/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz two local APICs that send each other IPIs: xAPIC MMIO, x2APIC and
 * other MSRs, incoming messages, LINT pins, timer ticks and the
 * hypervisor's delivery calls, with time passing in between.
 *
 * Input: the first byte picks the TSC rate (1 GHz, 3 GHz or unknown); then
 * 14-byte operations
 *   [0]     kind (mod 9)
 *   [1]     bit 0 which LAPIC, bits 2:1 access size (4, 1, 2, 8),
 *           bit 3 keep MMIO offsets register-aligned / shape APIC_BASE
 *           values, bits 7:4 shift of the time advance
 *   [2..3]  offset / MSR selector
 *   [4..11] value, little endian
 *   [12..13] time advance in ns, shifted left by bits 7:4 of [1]
 * Invariants: vectors 0-15 never reach IRR/ISR/TMR; a pending vector's
 * class is above PPR's; PPR's class is at least TPR's; LVTs are masked while
 * software-disabled; EXTD is never set without EN; the ICR never shows a
 * busy delivery status; MMIO reads fit 32 bits (0 for bad sizes); after a
 * tick no expiry is left due and at most one interrupt was fired; each
 * kind of misuse is logged at most once per LAPIC. */
#include <stddef.h>
#include <stdint.h>

#include "drivers/vdev/lapic.h"
#include "tests/fuzz/vdev_ops.h"
#include "tests/unit/support/host_log.h"

#define OP_BYTES 14
#define CLOCK_LIMIT (1ULL << 60)
#define NR_LAPICS 2
#define NR_WARNING_KINDS 13

enum op_kind {
	OP_MMIO_READ,
	OP_MMIO_WRITE,
	OP_MSR_READ,
	OP_MSR_WRITE,
	OP_TICK,
	OP_ACCEPT,
	OP_DELIVER,
	OP_LINT,
	OP_MATCH,
	OP_PV_EOI_MSR,  /* the KVM PV EOI enable MSR (lapic.h) */
	OP_PV_EOI_WORD, /* the guest writes its PV EOI word */
	NR_OPS,
};

/* A small guest RAM at PV_RAM_GPA for the PV EOI words. */
#define PV_RAM_GPA 0x1000
#define PV_RAM_SIZE 64

struct world {
	struct lapic apic[NR_LAPICS];
	uint8_t ram[PV_RAM_SIZE];
	struct gmem mem;
	struct fake_clock clk;
	uint64_t tsc_mult;
	unsigned int depth;
};

static uint64_t world_tsc(void *ctx)
{
	struct fake_clock *c = ctx;
	struct world *w = (struct world *)((char *)c - offsetof(struct world, clk));
	return c->now * w->tsc_mult;
}

static void route(void *ctx, struct lapic *src, const struct lapic_msg *msg)
{
	struct world *w = ctx;

	CHECK(w->depth == 0); /* accepting never sends again */
	w->depth++;
	for (int i = 0; i < NR_LAPICS; i++)
		if (lapic_msg_targets(src, &w->apic[i], msg))
			lapic_accept(&w->apic[i], msg);
	w->depth--;
}

static void eoi(void *ctx, struct lapic *l, uint8_t vector)
{
	CHECK(vector >= 16);
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t pick_msr(uint16_t sel)
{
	switch (sel & 3) {
	case 0:
		return MSR_LAPIC_APIC_BASE;
	case 1:
		return MSR_LAPIC_TSC_DEADLINE;
	default:
		return MSR_X2APIC_FIRST + ((sel >> 2) & 0xFF);
	}
}

static void check_invariants(struct lapic *l)
{
	uint32_t ppr = lapic_ppr(l);
	int v = lapic_pending_vector(l);

	CHECK((l->irr[0] & 0xFFFF) == 0);
	CHECK((l->isr[0] & 0xFFFF) == 0);
	CHECK((l->tmr[0] & 0xFFFF) == 0);
	CHECK((ppr & 0xF0) >= (l->tpr & 0xF0));
	CHECK(l->tpr <= 0xFF);
	if (v >= 0)
		CHECK(v >= 16 && v <= 255 && (uint32_t)(v & 0xF0) > (ppr & 0xF0));
	if (!(l->svr & LAPIC_SVR_ENABLE))
		for (int i = 0; i < LAPIC_NR_LVT; i++)
			CHECK(l->lvt[i] & LAPIC_LVT_MASKED);
	CHECK(!(l->apic_base & LAPIC_BASE_EXTD) || (l->apic_base & LAPIC_BASE_EN));
	CHECK(!(l->icr_low & LAPIC_ICR_DELIVERY_STATUS));
	if (lapic_mode(l) == LAPIC_MODE_X2APIC)
		CHECK(lapic_id(l) == l->initial_id);
	CHECK(!l->pv_eoi_armed || (l->pv_eoi_msr & KVM_PV_EOI_ENABLED));
	CHECK(l->pv_eois <= l->eois);
}

static void do_op(struct world *w, const uint8_t *d)
{
	static const unsigned int sizes[4] = { 4, 1, 2, 8 };
	struct lapic *l = &w->apic[d[1] & 1];
	unsigned int size = sizes[d[1] >> 1 & 3];
	bool shaped = d[1] & 8;
	uint16_t sel = (uint16_t)(d[2] | d[3] << 8);
	uint64_t value = le64(d + 4);
	uint64_t adv = (uint64_t)(d[12] | d[13] << 8) << (d[1] >> 4);
	uint64_t offset = shaped ? sel & 0xFF0u : sel & 0xFFFu;
	uint64_t out, now;
	uint64_t fired;
	int v;

	w->clk.now = adv > CLOCK_LIMIT - w->clk.now ? CLOCK_LIMIT : w->clk.now + adv;
	now = w->clk.now;
	switch (d[0] % NR_OPS) {
	case OP_MMIO_READ:
		out = 0xDEADBEEF;
		CHECK(lapic_mmio_read(l, offset, size, &out) == 0);
		CHECK(out <= UINT32_MAX);
		if (size != 4)
			CHECK(out == 0);
		break;
	case OP_MMIO_WRITE:
		CHECK(lapic_mmio_write(l, offset, size, value) == 0);
		break;
	case OP_MSR_READ:
		v = lapic_msr_read(l, pick_msr(sel), &out);
		CHECK(v == LAPIC_MSR_OK || v == LAPIC_MSR_GP);
		break;
	case OP_MSR_WRITE:
		if (shaped && pick_msr(sel) == MSR_LAPIC_APIC_BASE)
			value = LAPIC_DEFAULT_BASE | (value & (LAPIC_BASE_EN | LAPIC_BASE_EXTD));
		v = lapic_msr_write(l, pick_msr(sel), value);
		CHECK(v == LAPIC_MSR_OK || v == LAPIC_MSR_GP);
		break;
	case OP_TICK:
		fired = l->timer_fired;
		lapic_tick(l, now);
		CHECK(l->timer_fired - fired <= 1);
		CHECK(lapic_next_deadline(l) == VDEV_NO_DEADLINE || lapic_next_deadline(l) > now);
		break;
	case OP_ACCEPT: {
		struct lapic_msg m = {
			.delivery = (enum lapic_delivery)(value & 7),
			.vector = (uint8_t)(value >> 8),
			.trigger_level = value & BIT(16),
			.level = value & BIT(17),
		};
		lapic_accept(l, &m);
		break;
	}
	case OP_DELIVER:
		lapic_pv_eoi_sync(l); /* as the board does before it picks */
		v = lapic_pending_vector(l);
		if (v >= 0) {
			CHECK(lapic_ack_vector(l, (uint8_t)v));
			CHECK(l->isr[v / 32] & (1u << (v % 32)));
			lapic_pv_eoi_arm(l);
		}
		v = lapic_take_sipi(l);
		CHECK(v >= -1 && v <= 255);
		(void)lapic_take_nmi(l);
		(void)lapic_take_init(l);
		if (lapic_accepts_pic_interrupts(l))
			lapic_ack_pic_interrupt(l);
		(void)lapic_has_wakeup(l);
		break;
	case OP_LINT:
		lapic_set_lint(l, value & 3, value & 4);
		break;
	case OP_MATCH: {
		struct lapic_msg m;
		if (lapic_msi_decode(value >> 32, (uint32_t)value, &m))
			route(w, NULL, &m);
		(void)lapic_match_dest(l, (uint32_t)value, sel & 1, sel & 2);
		break;
	}
	case OP_PV_EOI_MSR:
		if (shaped) /* mostly words in RAM, sometimes straddling its end */
			value = PV_RAM_GPA + (value & (PV_RAM_SIZE + 7)) + (value >> 63);
		v = lapic_pv_eoi_msr_write(l, value);
		CHECK(v == LAPIC_MSR_OK || v == LAPIC_MSR_GP);
		if (v == LAPIC_MSR_OK)
			CHECK(lapic_pv_eoi_msr_read(l) == value);
		break;
	case OP_PV_EOI_WORD:
		w->ram[sel % PV_RAM_SIZE] = (uint8_t)value;
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const uint64_t mult[3] = { 1, 3, 0 };
	struct world w;
	const struct lapic_ops ops = { .send_ipi = route, .eoi_broadcast = eoi, .ctx = &w };

	if (len < 1)
		return 0;
	host_log_reset();
	fake_clock_init(&w.clk, 0);
	w.depth = 0;
	w.tsc_mult = mult[data[0] % 3];
	w.clk.vc.now_tsc = world_tsc;
	w.clk.vc.tsc_hz = w.tsc_mult * 1000000000ULL;
	memset(w.ram, 0, sizeof(w.ram));
	memset(&w.mem, 0, sizeof(w.mem));
	gmem_add_region(&w.mem, PV_RAM_GPA, PV_RAM_SIZE, w.ram);
	for (int i = 0; i < NR_LAPICS; i++) {
		lapic_init(&w.apic[i], "fuzz", (uint32_t)i, i == 0, &w.clk.vc, &ops);
		w.apic[i].mem = &w.mem;
		if (data[0] & 0x80)
			lapic_setup_virtual_wire(&w.apic[i]);
	}
	data++;
	len--;
	while (len >= OP_BYTES) {
		do_op(&w, data);
		for (int i = 0; i < NR_LAPICS; i++)
			check_invariants(&w.apic[i]);
		data += OP_BYTES;
		len -= OP_BYTES;
	}
	CHECK(host_log_count() <= NR_LAPICS * NR_WARNING_KINDS);
	return 0;
}
