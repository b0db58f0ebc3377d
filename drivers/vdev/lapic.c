/* SPDX-License-Identifier: BSD-2-Clause */
/* Local APIC model. Section numbers are Intel SDM Vol. 3A chapter 10. */
#include "drivers/vdev/lapic.h"
#include "drivers/vdev/lapic_internal.h"
#include "drivers/vdev/msi.h"

#include "core/log.h"

/* ---- state queries ---- */

enum lapic_mode lapic_mode(const struct lapic *l)
{
	if (!hw_enabled(l))
		return LAPIC_MODE_DISABLED;
	return x2apic_mode(l) ? LAPIC_MODE_X2APIC : LAPIC_MODE_XAPIC;
}

uint64_t lapic_mmio_base(const struct lapic *l)
{
	return l->apic_base & base_addr_mask(l);
}

uint32_t lapic_id(const struct lapic *l)
{
	return x2apic_mode(l) ? l->initial_id : l->id >> LAPIC_XAPIC_ID_SHIFT;
}

static void kick(struct lapic *l)
{
	if (l->ops.kick)
		l->ops.kick(l->ops.ctx, l);
}

/* ---- 256-bit vector registers ---- */

static bool vec_test(const uint32_t *r, unsigned int v)
{
	return r[v / 32] & (1u << (v % 32));
}

static void vec_set(uint32_t *r, unsigned int v)
{
	r[v / 32] |= 1u << (v % 32);
}

static void vec_clear(uint32_t *r, unsigned int v)
{
	r[v / 32] &= ~(1u << (v % 32));
}

static int vec_highest(const uint32_t *r)
{
	for (int i = 7; i >= 0; i--)
		if (r[i])
			return i * 32 + 31 - __builtin_clz(r[i]);
	return -1;
}

/* ---- priorities (§10.8.3) ---- */

uint32_t lapic_ppr(const struct lapic *l)
{
	int isrv = vec_highest(l->isr);
	uint32_t isr_class = isrv < 0 ? 0 : PRIORITY_CLASS(isrv);

	if (PRIORITY_CLASS(l->tpr) >= isr_class)
		return l->tpr;
	return isr_class;
}

/* Arbitration priority (§10.8.3, Figure 10-15). */
uint32_t apic_compute_apr(const struct lapic *l)
{
	int isrv = vec_highest(l->isr), irrv = vec_highest(l->irr);
	uint32_t tpr_c = PRIORITY_CLASS(l->tpr);
	uint32_t isr_c = isrv < 0 ? 0 : PRIORITY_CLASS(isrv);
	uint32_t irr_c = irrv < 0 ? 0 : PRIORITY_CLASS(irrv);

	if (tpr_c >= irr_c && tpr_c > isr_c)
		return l->tpr;
	return MAX(tpr_c, MAX(isr_c, irr_c));
}

/* ---- interrupt acceptance ---- */

/* Log errors into the ESR and raise the error LVT (§10.5.3). An illegal
 * vector in the error LVT itself only adds to the ESR. */
void apic_raise_error(struct lapic *l, uint32_t bits)
{
	uint32_t lvt = l->lvt[LAPIC_LVT_IDX_ERROR];
	uint8_t vector = lvt & LAPIC_LVT_VECTOR_MASK;

	l->esr_pending |= bits;
	if (lvt & LAPIC_LVT_MASKED)
		return;
	if (vector < FIRST_LEGAL_VECTOR) {
		l->esr_pending |= LAPIC_ESR_RECV_ILLEGAL_VECTOR;
		return;
	}
	vec_set(l->irr, vector);
	vec_clear(l->tmr, vector);
	kick(l);
}

/* Into the IRR; the TMR records the trigger mode (§10.8.4). */
void apic_accept_vector(struct lapic *l, uint8_t vector, bool level)
{
	if (vector < FIRST_LEGAL_VECTOR) {
		lapic_warn_once(l, W_ILLEGAL_VECTOR, "illegal vector %u received, dropped", vector);
		apic_raise_error(l, LAPIC_ESR_RECV_ILLEGAL_VECTOR);
		return;
	}
	vec_set(l->irr, vector);
	if (level)
		vec_set(l->tmr, vector);
	else
		vec_clear(l->tmr, vector);
	kick(l);
}

void apic_mask_all_lvts(struct lapic *l)
{
	for (unsigned int i = 0; i < LAPIC_NR_LVT; i++)
		l->lvt[i] |= LAPIC_LVT_MASKED;
}

/* Registers to their power-on values except the APIC ID and the base
 * (§10.4.7.1; INIT keeps both, §10.4.7.3). In x2APIC mode the LDR is
 * derived from the x2APIC ID (§10.12.10.2). */
void apic_reset_registers(struct lapic *l)
{
	l->tpr = 0;
	l->ldr = 0;
	if (x2apic_mode(l))
		l->ldr = (l->initial_id >> 4) << LDR_X2APIC_CLUSTER_SHIFT |
			 1u << (l->initial_id & LDR_X2APIC_ID_BITS);
	l->dfr = LAPIC_DFR_RESET;
	l->svr = LAPIC_SVR_RESET;
	for (unsigned int i = 0; i < 8; i++)
		l->isr[i] = l->tmr[i] = l->irr[i] = 0;
	l->esr = l->esr_pending = 0;
	l->icr_low = l->icr_high = 0;
	for (unsigned int i = 0; i < LAPIC_NR_LVT; i++)
		l->lvt[i] = LAPIC_LVT_MASKED;
	l->timer_initial = 0;
	l->timer_divide_reg = 0;
	l->timer_armed = false;
	l->timer_deadline_ns = 0;
	l->tsc_deadline = 0;
	l->extint_pending = false;
}

/* RESET and INIT turn PV EOI off (KVM does the same); the guest enables it
 * again, with a zeroed word, when the CPU comes up. */
static void pv_eoi_off(struct lapic *l)
{
	l->pv_eoi_msr = 0;
	l->pv_eoi_armed = false;
}

static void clear_cpu_events(struct lapic *l)
{
	l->nmi_pending = l->init_pending = l->sipi_pending = false;
	l->sipi_vector = 0;
}

/* INIT (§10.4.7.3): the LAPIC resets except its ID and base; an AP then
 * waits for a start-up IPI. */
static void init_signal(struct lapic *l)
{
	apic_reset_registers(l);
	pv_eoi_off(l);
	clear_cpu_events(l);
	l->init_pending = true;
	l->wait_for_sipi = !l->bsp;
	kick(l);
}

void lapic_accept(struct lapic *l, const struct lapic_msg *msg)
{
	if (!hw_enabled(l))
		return; /* a hardware-disabled LAPIC is off the bus (§10.4.3) */
	switch (msg->delivery) {
	case LAPIC_DM_FIXED:
	case LAPIC_DM_LOWEST:
		/* §10.4.7.2: a software-disabled LAPIC takes only NMI, SMI,
		 * INIT and start-up messages. */
		if (!sw_enabled(l))
			return;
		apic_accept_vector(l, msg->vector, msg->trigger_level);
		return;
	case LAPIC_DM_SMI:
		lapic_warn_once(l, W_SMI, "SMI ignored (no SMM)");
		return;
	case LAPIC_DM_NMI:
		l->nmi_pending = true;
		kick(l);
		return;
	case LAPIC_DM_INIT:
		/* INIT level de-assert only resynchronises arbitration IDs. */
		if (msg->trigger_level && !msg->level)
			return;
		init_signal(l);
		return;
	case LAPIC_DM_STARTUP:
		/* §8.4.4: ignored unless the processor waits for SIPI. */
		if (!l->wait_for_sipi)
			return;
		l->wait_for_sipi = false;
		l->sipi_pending = true;
		l->sipi_vector = msg->vector;
		kick(l);
		return;
	case LAPIC_DM_EXTINT:
		l->extint_pending = true;
		kick(l);
		return;
	default:
		lapic_warn_once(l, W_DELIVERY_MODE,
				"message with reserved delivery mode %u dropped", msg->delivery);
		return;
	}
}

/* A local interrupt source fires its LVT entry (§10.5.1). */
static void fire_lvt(struct lapic *l, unsigned int idx)
{
	uint32_t lvt = l->lvt[idx];
	uint8_t vector = lvt & LAPIC_LVT_VECTOR_MASK;
	unsigned int dm = lvt >> LAPIC_LVT_DM_SHIFT & LAPIC_LVT_DM_MASK;

	if (lvt & LAPIC_LVT_MASKED)
		return;
	/* The timer and error entries have no delivery-mode field. */
	if (idx == LAPIC_LVT_IDX_TIMER || idx == LAPIC_LVT_IDX_ERROR)
		dm = LAPIC_DM_FIXED;
	switch (dm) {
	case LAPIC_DM_FIXED:
		/* Local interrupts are edge here: no remote IRR is modelled,
		 * so their EOI must not reach the IOAPIC. */
		apic_accept_vector(l, vector, false);
		return;
	case LAPIC_DM_NMI:
		l->nmi_pending = true;
		kick(l);
		return;
	case LAPIC_DM_SMI:
		lapic_warn_once(l, W_SMI, "SMI from LVT %u ignored (no SMM)", idx);
		return;
	case LAPIC_DM_INIT:
		init_signal(l);
		return;
	case LAPIC_DM_EXTINT:
		kick(l); /* the PIC's vector is fetched by the platform */
		return;
	default:
		lapic_warn_once(l, W_DELIVERY_MODE, "LVT %u has reserved delivery mode %u", idx, dm);
		return;
	}
}

void lapic_set_lint(void *ctx, unsigned int pin, bool level)
{
	struct lapic *l = ctx;
	bool rising;

	if (pin > 1)
		return;
	rising = level && !l->lint_level[pin];
	l->lint_level[pin] = level;
	if (!rising)
		return;
	if (!hw_enabled(l)) {
		/* Without the APIC, LINT0 is INTR and LINT1 is NMI (§10.4.3). */
		if (pin == 1)
			l->nmi_pending = true;
		kick(l);
		return;
	}
	fire_lvt(l, pin == 0 ? LAPIC_LVT_IDX_LINT0 : LAPIC_LVT_IDX_LINT1);
}

struct irq_sink lapic_lint_sink(struct lapic *l)
{
	return (struct irq_sink){ .set_level = lapic_set_lint, .ctx = l };
}

/* ---- EOI and delivery ---- */

bool apic_do_eoi(struct lapic *l)
{
	int v = vec_highest(l->isr);

	if (v < 0)
		return false;
	vec_clear(l->isr, (unsigned int)v);
	l->eois++;
	/* No EOI-broadcast suppression is offered (§10.8.5). */
	if (vec_test(l->tmr, (unsigned int)v) && l->ops.eoi_broadcast)
		l->ops.eoi_broadcast(l->ops.ctx, l, (uint8_t)v);
	return true;
}

/* ---- KVM PV EOI (lapic.h, MSR_KVM_PV_EOI_EN) ---- */

static gpa_t pv_eoi_gpa(const struct lapic *l)
{
	return l->pv_eoi_msr & ~(KVM_PV_EOI_ENABLED | KVM_PV_EOI_RESERVED);
}

/* Bulkhead changes only bit 0 of the guest's word, and only while the vCPU
 * is out of guest mode (the protocol's promise), so a plain read-modify-
 * write of its first byte is enough. */
static bool pv_eoi_bit_read(const struct lapic *l, bool *set)
{
	uint8_t b;
	if (!gmem_read(l->mem, pv_eoi_gpa(l), &b, 1))
		return false;
	*set = b & KVM_PV_EOI_BIT;
	return true;
}

static void pv_eoi_bit_write(const struct lapic *l, bool set)
{
	uint8_t b;
	if (!gmem_read(l->mem, pv_eoi_gpa(l), &b, 1))
		return;
	b = set ? (uint8_t)(b | KVM_PV_EOI_BIT) : (uint8_t)(b & ~KVM_PV_EOI_BIT);
	gmem_write(l->mem, pv_eoi_gpa(l), &b, 1);
}

/* Take the guest's PV EOI if it made one, else withdraw the bit when
 * withdraw says so. */
static void pv_eoi_settle(struct lapic *l, bool withdraw)
{
	bool set = false;
	if (!l->pv_eoi_armed)
		return;
	if (!pv_eoi_bit_read(l, &set) || !set) {
		l->pv_eoi_armed = false;
		/* Counted only if it ended a vector: a guest that also wrote the
		 * EOI register ended it already (fuzz_lapic: "pv_eois <= eois"). */
		if (apic_do_eoi(l))
			l->pv_eois++;
		return;
	}
	if (withdraw) {
		pv_eoi_bit_write(l, false);
		l->pv_eoi_armed = false;
	}
}

void lapic_pv_eoi_sync(struct lapic *l)
{
	pv_eoi_settle(l, vec_highest(l->irr) >= 0);
}

void lapic_pv_eoi_arm(struct lapic *l)
{
	if (!(l->pv_eoi_msr & KVM_PV_EOI_ENABLED) || l->pv_eoi_armed)
		return;
	int v = vec_highest(l->isr);
	if (v < 0 || vec_test(l->tmr, (unsigned int)v) || vec_highest(l->irr) >= 0)
		return;
	pv_eoi_bit_write(l, true);
	l->pv_eoi_armed = true;
}

int lapic_pv_eoi_msr_write(struct lapic *l, uint64_t val)
{
	if (!l->mem || (val & KVM_PV_EOI_RESERVED))
		return LAPIC_MSR_GP;
	gpa_t gpa = val & ~(KVM_PV_EOI_ENABLED | KVM_PV_EOI_RESERVED);
	if ((val & KVM_PV_EOI_ENABLED) && !gmem_ptr(l->mem, gpa, sizeof(uint32_t)))
		return LAPIC_MSR_GP;
	pv_eoi_settle(l, true); /* the old word is left clear */
	l->pv_eoi_msr = val;
	return LAPIC_MSR_OK;
}

uint64_t lapic_pv_eoi_msr_read(const struct lapic *l)
{
	return l->pv_eoi_msr;
}

int lapic_pending_vector(const struct lapic *l)
{
	int v;

	if (!hw_enabled(l))
		return -1;
	v = vec_highest(l->irr);
	if (v < 0 || PRIORITY_CLASS(v) <= PRIORITY_CLASS(lapic_ppr(l)))
		return -1;
	return v;
}

bool lapic_ack_vector(struct lapic *l, uint8_t vector)
{
	if (!vec_test(l->irr, vector)) {
		lapic_warn_once(l, W_ACK, "acknowledge of vector %u that is not pending", vector);
		return false;
	}
	vec_clear(l->irr, vector);
	vec_set(l->isr, vector);
	return true;
}

bool lapic_take_nmi(struct lapic *l)
{
	bool p = l->nmi_pending;

	l->nmi_pending = false;
	return p;
}

bool lapic_take_init(struct lapic *l)
{
	bool p = l->init_pending;

	l->init_pending = false;
	return p;
}

int lapic_take_sipi(struct lapic *l)
{
	if (!l->sipi_pending)
		return -1;
	l->sipi_pending = false;
	return l->sipi_vector;
}

bool lapic_accepts_pic_interrupts(const struct lapic *l)
{
	uint32_t lint0 = l->lvt[LAPIC_LVT_IDX_LINT0];

	if (!hw_enabled(l) || l->extint_pending)
		return true;
	return !(lint0 & LAPIC_LVT_MASKED) &&
	       (lint0 >> LAPIC_LVT_DM_SHIFT & LAPIC_LVT_DM_MASK) == LAPIC_DM_EXTINT;
}

void lapic_ack_pic_interrupt(struct lapic *l)
{
	l->extint_pending = false;
}

bool lapic_has_wakeup(const struct lapic *l)
{
	return lapic_pending_vector(l) >= 0 || l->nmi_pending || l->init_pending ||
	       l->sipi_pending || l->extint_pending;
}

/* ---- destination matching (§10.6.2) ---- */

static bool match_logical_xapic(const struct lapic *l, uint8_t dest)
{
	uint8_t ldr = (uint8_t)(l->ldr >> LAPIC_XAPIC_ID_SHIFT);

	switch (l->dfr >> LAPIC_DFR_MODEL_SHIFT) {
	case LAPIC_DFR_FLAT:
		return dest & ldr;
	case LAPIC_DFR_CLUSTER:
		return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xF);
	default:
		return false;
	}
}

bool lapic_match_dest(const struct lapic *l, uint32_t dest, bool logical, bool x2apic_format)
{
	uint32_t broadcast = x2apic_format ? X2APIC_BROADCAST : XAPIC_BROADCAST;

	if (!hw_enabled(l))
		return false;
	if (!x2apic_format)
		dest &= XAPIC_BROADCAST;
	if (dest == broadcast)
		return true;
	if (!logical)
		return dest == lapic_id(l);
	if (x2apic_mode(l)) {
		/* §10.12.10.2: cluster in bits 31:16, member bitmap in 15:0. */
		return (dest >> LDR_X2APIC_CLUSTER_SHIFT) == (l->ldr >> LDR_X2APIC_CLUSTER_SHIFT) &&
		       (dest & l->ldr & 0xFFFFu);
	}
	return !x2apic_format && match_logical_xapic(l, (uint8_t)dest);
}

bool lapic_msg_targets(const struct lapic *src, const struct lapic *dst, const struct lapic_msg *msg)
{
	switch (msg->shorthand) {
	case LAPIC_SH_SELF:
		return dst == src && hw_enabled(dst);
	case LAPIC_SH_ALL_INCL_SELF:
		return hw_enabled(dst);
	case LAPIC_SH_ALL_EXCL_SELF:
		return dst != src && hw_enabled(dst);
	default:
		return lapic_match_dest(dst, msg->dest, msg->dest_logical, msg->dest_x2apic);
	}
}

bool lapic_msi_decode(uint64_t addr, uint32_t data, struct lapic_msg *msg)
{
	struct msi_message m;
	if (!msi_decode(addr, data, &m)) /* drivers/vdev/msi.c: the one MSI decoder */
		return false;
	*msg = (struct lapic_msg){
		.dest = m.dest_id,
		.dest_logical = m.dest_logical,
		.shorthand = LAPIC_SH_NONE,
		.delivery = (enum lapic_delivery)m.delivery_mode,
		.vector = m.vector,
		.level = m.level_assert,
		.trigger_level = m.trigger_level,
	};
	return true;
}

/* ---- IPIs ---- */

void apic_send_ipi(struct lapic *l)
{
	uint32_t lo = l->icr_low;
	struct lapic_msg msg = {
		.dest = x2apic_mode(l) ? l->icr_high : l->icr_high >> LAPIC_ICR_XAPIC_DEST_SHIFT,
		.dest_x2apic = x2apic_mode(l),
		.dest_logical = lo & LAPIC_ICR_DEST_LOGICAL,
		.shorthand = (enum lapic_shorthand)(lo >> LAPIC_ICR_SHORTHAND_SHIFT & 3),
		.delivery = (enum lapic_delivery)(lo >> LAPIC_ICR_DM_SHIFT & LAPIC_LVT_DM_MASK),
		.vector = (uint8_t)(lo & LAPIC_ICR_VECTOR_MASK),
		.level = lo & LAPIC_ICR_LEVEL_ASSERT,
		.trigger_level = lo & LAPIC_ICR_TRIGGER_LEVEL,
	};

	switch (msg.delivery) {
	case LAPIC_DM_FIXED:
	case LAPIC_DM_LOWEST:
		if (msg.vector < FIRST_LEGAL_VECTOR) {
			lapic_warn_once(l, W_ILLEGAL_VECTOR, "IPI with illegal vector %u not sent",
					msg.vector);
			apic_raise_error(l, LAPIC_ESR_SEND_ILLEGAL_VECTOR);
			return;
		}
		break;
	case LAPIC_DM_RESERVED3:
	case LAPIC_DM_EXTINT: /* not a legal ICR delivery mode (§10.6.1) */
		lapic_warn_once(l, W_DELIVERY_MODE, "IPI with reserved delivery mode %u not sent",
				msg.delivery);
		return;
	default:
		break;
	}
	if (l->ops.send_ipi)
		l->ops.send_ipi(l->ops.ctx, l, &msg);
}

/* ---- timer (§10.5.4) ---- */

/* Figure 10-10: value (bit 3, bits 1:0) 0..6 divide by 2^(v+1), 7 by 1. */
static uint64_t timer_divisor(const struct lapic *l)
{
	uint32_t v = (l->timer_divide_reg & 3) | (l->timer_divide_reg >> 1 & 4);

	return 1ULL << ((v + 1) & 7);
}

/* The current count: ceil(time left / divisor); periodic counts that the
 * platform has not ticked yet are reloaded arithmetically. */
uint32_t apic_timer_current(const struct lapic *l, uint64_t now)
{
	uint64_t div = timer_divisor(l), left;

	if (!l->timer_armed || timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE)
		return 0;
	if (now < l->timer_deadline_ns) {
		left = l->timer_deadline_ns - now;
	} else {
		uint64_t period = (uint64_t)l->timer_initial * div;
		if (timer_mode(l) != LAPIC_TIMER_PERIODIC || period == 0)
			return 0;
		left = period - (now - l->timer_deadline_ns) % period;
	}
	return (uint32_t)MIN((left + div - 1) / div, (uint64_t)UINT32_MAX);
}

static void timer_start(struct lapic *l, uint64_t now)
{
	if (l->timer_initial == 0) {
		/* §10.5.4: a zero initial count stops the timer. */
		l->timer_armed = false;
		return;
	}
	l->timer_deadline_ns = now + (uint64_t)l->timer_initial * timer_divisor(l);
	l->timer_armed = true;
}

/* The count carries on from its current value at the new rate. */
void apic_timer_set_divide(struct lapic *l, uint32_t val)
{
	uint64_t now = now_ns(l);
	uint32_t count = apic_timer_current(l, now);

	l->timer_divide_reg = val & LAPIC_TDCR_WRITABLE;
	if (l->timer_armed && timer_mode(l) != LAPIC_TIMER_TSC_DEADLINE && count)
		l->timer_deadline_ns = now + count * timer_divisor(l);
}

static void timer_disarm(struct lapic *l)
{
	l->timer_armed = false;
	l->tsc_deadline = 0;
}

/* ceil(delta TSC ticks in ns) without 128-bit arithmetic; saturates. */
static uint64_t tsc_to_ns(uint64_t delta, uint64_t hz)
{
	uint64_t secs = delta / hz, frac, ns;

	if (__builtin_mul_overflow(delta % hz, NS_PER_SEC, &frac))
		return UINT64_MAX;
	frac = frac / hz + (frac % hz != 0);
	if (__builtin_mul_overflow(secs, NS_PER_SEC, &ns) || __builtin_add_overflow(ns, frac, &ns))
		return UINT64_MAX;
	return ns;
}

/* The timer expired: deliver through the LVT (a masked entry only
 * suppresses the interrupt, §10.5.4). */
static void timer_expire(struct lapic *l)
{
	l->timer_fired++;
	fire_lvt(l, LAPIC_LVT_IDX_TIMER);
}

/* IA32_TSC_DEADLINE write in TSC-deadline mode (§10.5.4.1). */
void apic_timer_arm_tsc(struct lapic *l, uint64_t deadline)
{
	uint64_t now_tsc, now, delta;

	l->tsc_deadline = deadline;
	l->timer_armed = false;
	if (deadline == 0)
		return;
	now = now_ns(l);
	now_tsc = l->clock ? vclock_tsc(l->clock) : 0;
	if (!l->clock || l->clock->tsc_hz == 0) {
		lapic_warn_once(l, W_TSC_HZ, "TSC frequency unknown; TSC deadline fires at once");
		now_tsc = UINT64_MAX;
	}
	if (now_tsc >= deadline) {
		l->tsc_deadline = 0;
		timer_expire(l);
		return;
	}
	delta = tsc_to_ns(deadline - now_tsc, l->clock->tsc_hz);
	if (__builtin_add_overflow(now, delta, &l->timer_deadline_ns))
		l->timer_deadline_ns = VDEV_NO_DEADLINE;
	l->timer_armed = true;
}

uint64_t lapic_next_deadline(const struct lapic *l)
{
	return l->timer_armed ? l->timer_deadline_ns : VDEV_NO_DEADLINE;
}

/* A periodic timer reloads no faster than every LAPIC_TIMER_MIN_PERIOD_NS:
 * a count of 1 at divide-by-1 would ask for an interrupt every nanosecond,
 * and each expiry costs the host a timer interrupt and an exit, so such a
 * guest kept its host CPU in the hypervisor (atk-storm; KVM clamps the same
 * way, to 200 us by default). The first expiry keeps the programmed time. */
static uint64_t periodic_floor(struct lapic *l, uint64_t period)
{
	if (period >= LAPIC_TIMER_MIN_PERIOD_NS)
		return period;
	lapic_warn_once(l, W_TIMER_PERIOD, "periodic timer of %llu ns reloads every %u ns",
			(unsigned long long)period, LAPIC_TIMER_MIN_PERIOD_NS);
	return LAPIC_TIMER_MIN_PERIOD_NS;
}

void lapic_tick(struct lapic *l, uint64_t now)
{
	uint64_t period, n, step;

	if (!l->timer_armed || l->timer_deadline_ns == VDEV_NO_DEADLINE || now < l->timer_deadline_ns)
		return;
	switch (timer_mode(l)) {
	case LAPIC_TIMER_PERIODIC:
		/* Reload from the previous expiry, not from now: no drift.
		 * Expiries the platform missed give one interrupt. */
		period = (uint64_t)l->timer_initial * timer_divisor(l);
		if (period == 0) {
			l->timer_armed = false;
			break;
		}
		period = periodic_floor(l, period);
		n = (now - l->timer_deadline_ns) / period + 1;
		l->timer_coalesced += n - 1;
		if (__builtin_mul_overflow(n, period, &step) ||
		    __builtin_add_overflow(l->timer_deadline_ns, step, &l->timer_deadline_ns))
			l->timer_armed = false;
		break;
	case LAPIC_TIMER_TSC_DEADLINE:
		timer_disarm(l); /* the MSR reads 0 once it fired */
		break;
	default:
		l->timer_armed = false;
		break;
	}
	timer_expire(l);
}

static void write_lvt_timer(struct lapic *l, uint32_t val)
{
	unsigned int old_mode = timer_mode(l);
	unsigned int new_mode = val >> LAPIC_LVT_TIMER_MODE_SHIFT & LAPIC_LVT_TIMER_MODE_MASK;

	if (new_mode > LAPIC_TIMER_TSC_DEADLINE) {
		lapic_warn_once(l, W_TIMER_MODE, "reserved timer mode 3; using one-shot");
		new_mode = LAPIC_TIMER_ONESHOT;
		val &= ~(LAPIC_LVT_TIMER_MODE_MASK << LAPIC_LVT_TIMER_MODE_SHIFT);
	}
	l->lvt[LAPIC_LVT_IDX_TIMER] = val;
	/* §10.5.4.1: moving into or out of TSC-deadline mode disarms. */
	if (old_mode != new_mode &&
	    (old_mode == LAPIC_TIMER_TSC_DEADLINE || new_mode == LAPIC_TIMER_TSC_DEADLINE)) {
		timer_disarm(l);
		l->timer_initial = 0;
	}
}

void apic_write_lvt(struct lapic *l, unsigned int idx, uint32_t val)
{
	val &= lvt_writable[idx];
	/* §10.4.7.2: masks stay set while software-disabled. */
	if (!sw_enabled(l))
		val |= LAPIC_LVT_MASKED;
	if (idx == LAPIC_LVT_IDX_TIMER)
		write_lvt_timer(l, val);
	else
		l->lvt[idx] = val;
}

void apic_write_timer_initial(struct lapic *l, uint32_t val)
{
	/* §10.5.4.1: ignored in TSC-deadline mode. */
	if (timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE)
		return;
	l->timer_initial = val;
	timer_start(l, now_ns(l));
}

/* ---- life cycle ---- */

void lapic_reset(struct lapic *l)
{
	l->apic_base = LAPIC_DEFAULT_BASE | LAPIC_BASE_EN | (l->bsp ? LAPIC_BASE_BSP : 0);
	l->id = l->initial_id << LAPIC_XAPIC_ID_SHIFT;
	apic_reset_registers(l);
	pv_eoi_off(l);
	clear_cpu_events(l);
	l->wait_for_sipi = !l->bsp;
	l->lint_level[0] = l->lint_level[1] = false;
}

void lapic_init(struct lapic *l, const char *owner, uint32_t apic_id, bool bsp,
		const struct vclock *clock, const struct lapic_ops *ops)
{
	*l = (struct lapic){ 0 };
	l->owner = owner;
	l->initial_id = apic_id;
	l->bsp = bsp;
	l->clock = clock;
	if (ops)
		l->ops = *ops;
	l->phys_bits = LAPIC_DEFAULT_PHYS_BITS;
	l->x2apic_offered = true;
	lapic_reset(l);
}

void lapic_setup_virtual_wire(struct lapic *l)
{
	l->svr = LAPIC_SVR_ENABLE | LAPIC_SVR_RESET;
	if (l->bsp)
		l->lvt[LAPIC_LVT_IDX_LINT0] = LAPIC_DM_EXTINT << LAPIC_LVT_DM_SHIFT;
	l->lvt[LAPIC_LVT_IDX_LINT1] = LAPIC_DM_NMI << LAPIC_LVT_DM_SHIFT;
}
