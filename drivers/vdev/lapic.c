/* Local APIC model. Section numbers are Intel SDM Vol. 3A chapter 10. */
#include "drivers/vdev/lapic.h"
#include "drivers/vdev/msi.h"

#include "core/log.h"

#define NS_PER_SEC 1000000000ULL
#define FIRST_LEGAL_VECTOR 16 /* 0-15 are illegal (§10.5.3) */
#define PRIORITY_CLASS(v) ((uint32_t)(v) & 0xF0u)
#define XAPIC_BROADCAST 0xFFu
#define X2APIC_BROADCAST 0xFFFFFFFFu
#define XAPIC_ID_MASK 0xFF000000u
#define DFR_MODEL_BITS 0xF0000000u
#define TPR_MASK 0xFFu
#define LDR_X2APIC_CLUSTER_SHIFT 16
#define LDR_X2APIC_ID_BITS 0xFu

/* Register numbers: xAPIC offset / 16, x2APIC MSR - 0x800. */
#define REG(off) ((off) >> 4)

/* Bits of each LVT that software may set (Figure 10-8), in LVT index order.
 * With the read-only status bits they are all the bits that exist: an
 * x2APIC write of any other bit #GPs (§10.12.1.3). */
static const uint32_t lvt_writable[LAPIC_NR_LVT] = {
	[LAPIC_LVT_IDX_TIMER] = 0x000700FFu,
	[LAPIC_LVT_IDX_THERMAL] = 0x000107FFu,
	[LAPIC_LVT_IDX_PERF] = 0x000107FFu,
	[LAPIC_LVT_IDX_LINT0] = 0x0001A7FFu,
	[LAPIC_LVT_IDX_LINT1] = 0x0001A7FFu,
	[LAPIC_LVT_IDX_ERROR] = 0x000100FFu,
	[LAPIC_LVT_IDX_CMCI] = 0x000107FFu,
};
#define LVT_READ_ONLY_BITS (LAPIC_LVT_DELIVERY_STATUS | LAPIC_LVT_REMOTE_IRR)

enum lapic_warning {
	W_MMIO_ACCESS = 1u << 0,
	W_MMIO_INACTIVE = 1u << 1,
	W_RESERVED_REG = 1u << 2,
	W_READ_ONLY = 1u << 3,
	W_X2APIC_GP = 1u << 4,
	W_APIC_BASE = 1u << 5,
	W_TIMER_MODE = 1u << 6,
	W_DELIVERY_MODE = 1u << 7,
	W_SMI = 1u << 8,
	W_ILLEGAL_VECTOR = 1u << 9,
	W_DFR_MODEL = 1u << 10,
	W_TSC_HZ = 1u << 11,
	W_ACK = 1u << 12,
};

/* Outcome of a register access, shared by the MMIO and MSR paths. */
enum reg_status {
	REG_OK,
	REG_ABSENT,	/* reserved offset / no such MSR */
	REG_WRITE_ONLY, /* read of EOI or SELF IPI */
	REG_READ_ONLY,
	REG_BAD_VALUE, /* x2APIC: reserved bits set */
};

static const char *owner_of(const struct lapic *l)
{
	return l->owner ? l->owner : "?";
}

static bool first_warning(struct lapic *l, unsigned int bit)
{
	if (l->warned & bit)
		return false;
	l->warned |= bit;
	return true;
}

#define lapic_warn_once(l, bit, fmt, ...)                                                   \
	do {                                                                                \
		if (first_warning(l, bit))                                                  \
			pr_warn("[%s] lapic: APIC %u: " fmt, owner_of(l), (l)->initial_id, \
				##__VA_ARGS__);                                             \
	} while (0)

/* ---- state queries ---- */

static bool hw_enabled(const struct lapic *l)
{
	return l->apic_base & LAPIC_BASE_EN;
}

static bool x2apic_mode(const struct lapic *l)
{
	return hw_enabled(l) && (l->apic_base & LAPIC_BASE_EXTD);
}

static bool sw_enabled(const struct lapic *l)
{
	return l->svr & LAPIC_SVR_ENABLE;
}

enum lapic_mode lapic_mode(const struct lapic *l)
{
	if (!hw_enabled(l))
		return LAPIC_MODE_DISABLED;
	return x2apic_mode(l) ? LAPIC_MODE_X2APIC : LAPIC_MODE_XAPIC;
}

/* Base-address bits of IA32_APIC_BASE: 12 .. MAXPHYADDR-1 (§10.4.4). */
static uint64_t base_addr_mask(const struct lapic *l)
{
	unsigned int bits = MIN(MAX(l->phys_bits, 32u), 52u);

	return (BIT(bits) - 1) & ~(PAGE_SIZE - 1);
}

uint64_t lapic_mmio_base(const struct lapic *l)
{
	return l->apic_base & base_addr_mask(l);
}

uint32_t lapic_id(const struct lapic *l)
{
	return x2apic_mode(l) ? l->initial_id : l->id >> LAPIC_XAPIC_ID_SHIFT;
}

static uint64_t now_ns(const struct lapic *l)
{
	return l->clock ? vclock_now(l->clock) : 0;
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
static uint32_t compute_apr(const struct lapic *l)
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

static void accept_vector(struct lapic *l, uint8_t vector, bool level);

/* Log errors into the ESR and raise the error LVT (§10.5.3). An illegal
 * vector in the error LVT itself only adds to the ESR. */
static void raise_error(struct lapic *l, uint32_t bits)
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
static void accept_vector(struct lapic *l, uint8_t vector, bool level)
{
	if (vector < FIRST_LEGAL_VECTOR) {
		lapic_warn_once(l, W_ILLEGAL_VECTOR, "illegal vector %u received, dropped", vector);
		raise_error(l, LAPIC_ESR_RECV_ILLEGAL_VECTOR);
		return;
	}
	vec_set(l->irr, vector);
	if (level)
		vec_set(l->tmr, vector);
	else
		vec_clear(l->tmr, vector);
	kick(l);
}

static void mask_all_lvts(struct lapic *l)
{
	for (unsigned int i = 0; i < LAPIC_NR_LVT; i++)
		l->lvt[i] |= LAPIC_LVT_MASKED;
}

/* Registers to their power-on values except the APIC ID and the base
 * (§10.4.7.1; INIT keeps both, §10.4.7.3). In x2APIC mode the LDR is
 * derived from the x2APIC ID (§10.12.10.2). */
static void reset_registers(struct lapic *l)
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

static void clear_cpu_events(struct lapic *l)
{
	l->nmi_pending = l->init_pending = l->sipi_pending = false;
	l->sipi_vector = 0;
}

/* INIT (§10.4.7.3): the LAPIC resets except its ID and base; an AP then
 * waits for a start-up IPI. */
static void init_signal(struct lapic *l)
{
	reset_registers(l);
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
		accept_vector(l, msg->vector, msg->trigger_level);
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
		lapic_warn_once(l, W_DELIVERY_MODE, "message with reserved delivery mode %u dropped",
				msg->delivery);
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
		accept_vector(l, vector, false);
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
		lapic_warn_once(l, W_DELIVERY_MODE, "LVT %u has reserved delivery mode %u", idx,
				dm);
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

static void do_eoi(struct lapic *l)
{
	int v = vec_highest(l->isr);

	if (v < 0)
		return;
	vec_clear(l->isr, (unsigned int)v);
	/* No EOI-broadcast suppression is offered (§10.8.5). */
	if (vec_test(l->tmr, (unsigned int)v) && l->ops.eoi_broadcast)
		l->ops.eoi_broadcast(l->ops.ctx, l, (uint8_t)v);
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

bool lapic_msg_targets(const struct lapic *src, const struct lapic *dst,
		       const struct lapic_msg *msg)
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

static void send_ipi(struct lapic *l)
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
			raise_error(l, LAPIC_ESR_SEND_ILLEGAL_VECTOR);
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

static unsigned int timer_mode(const struct lapic *l)
{
	return l->lvt[LAPIC_LVT_IDX_TIMER] >> LAPIC_LVT_TIMER_MODE_SHIFT & LAPIC_LVT_TIMER_MODE_MASK;
}

/* Figure 10-10: value (bit 3, bits 1:0) 0..6 divide by 2^(v+1), 7 by 1. */
static uint64_t timer_divisor(const struct lapic *l)
{
	uint32_t v = (l->timer_divide_reg & 3) | (l->timer_divide_reg >> 1 & 4);

	return 1ULL << ((v + 1) & 7);
}

/* The current count: ceil(time left / divisor); periodic counts that the
 * platform has not ticked yet are reloaded arithmetically. */
static uint32_t timer_current(const struct lapic *l, uint64_t now)
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
static void timer_set_divide(struct lapic *l, uint32_t val)
{
	uint64_t now = now_ns(l);
	uint32_t count = timer_current(l, now);

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
static void timer_arm_tsc(struct lapic *l, uint64_t deadline)
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

void lapic_tick(struct lapic *l, uint64_t now)
{
	uint64_t period, n, step;

	if (!l->timer_armed || l->timer_deadline_ns == VDEV_NO_DEADLINE ||
	    now < l->timer_deadline_ns)
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

static void write_lvt(struct lapic *l, unsigned int idx, uint32_t val)
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

static void write_timer_initial(struct lapic *l, uint32_t val)
{
	/* §10.5.4.1: ignored in TSC-deadline mode. */
	if (timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE)
		return;
	l->timer_initial = val;
	timer_start(l, now_ns(l));
}

/* ---- register file ---- */

static int lvt_index(unsigned int reg)
{
	if (reg == REG(LAPIC_LVT_CMCI))
		return LAPIC_LVT_IDX_CMCI;
	if (reg >= REG(LAPIC_LVT_TIMER) && reg <= REG(LAPIC_LVT_ERROR))
		return (int)(reg - REG(LAPIC_LVT_TIMER));
	return -1;
}

/* reg is offset / 16; the x2APIC ICR read (64 bits) is handled by the MSR
 * path. */
static enum reg_status reg_read(struct lapic *l, unsigned int reg, uint32_t *val)
{
	bool x2 = x2apic_mode(l);
	int lvt = lvt_index(reg);

	*val = 0;
	if (lvt >= 0) {
		*val = l->lvt[lvt];
		return REG_OK;
	}
	if (reg >= REG(LAPIC_ISR) && reg < REG(LAPIC_ISR) + 8) {
		*val = l->isr[reg - REG(LAPIC_ISR)];
		return REG_OK;
	}
	if (reg >= REG(LAPIC_TMR) && reg < REG(LAPIC_TMR) + 8) {
		*val = l->tmr[reg - REG(LAPIC_TMR)];
		return REG_OK;
	}
	if (reg >= REG(LAPIC_IRR) && reg < REG(LAPIC_IRR) + 8) {
		*val = l->irr[reg - REG(LAPIC_IRR)];
		return REG_OK;
	}
	switch (reg) {
	case REG(LAPIC_ID):
		*val = x2 ? l->initial_id : l->id;
		return REG_OK;
	case REG(LAPIC_VERSION):
		*val = LAPIC_VERSION_VALUE;
		return REG_OK;
	case REG(LAPIC_TPR):
		*val = l->tpr;
		return REG_OK;
	case REG(LAPIC_APR):
		if (x2)
			return REG_ABSENT;
		*val = compute_apr(l);
		return REG_OK;
	case REG(LAPIC_PPR):
		*val = lapic_ppr(l);
		return REG_OK;
	case REG(LAPIC_EOI):
		return x2 ? REG_WRITE_ONLY : REG_OK;
	case REG(LAPIC_RRD):
		return x2 ? REG_ABSENT : REG_OK;
	case REG(LAPIC_LDR):
		*val = l->ldr;
		return REG_OK;
	case REG(LAPIC_DFR):
		if (x2)
			return REG_ABSENT;
		*val = l->dfr;
		return REG_OK;
	case REG(LAPIC_SVR):
		*val = l->svr;
		return REG_OK;
	case REG(LAPIC_ESR):
		*val = l->esr;
		return REG_OK;
	case REG(LAPIC_ICR_LOW):
		*val = l->icr_low; /* delivery status: always idle */
		return REG_OK;
	case REG(LAPIC_ICR_HIGH):
		if (x2)
			return REG_ABSENT;
		*val = l->icr_high;
		return REG_OK;
	case REG(LAPIC_TIMER_INITIAL):
		*val = l->timer_initial;
		return REG_OK;
	case REG(LAPIC_TIMER_CURRENT):
		*val = timer_current(l, now_ns(l));
		return REG_OK;
	case REG(LAPIC_TIMER_DIVIDE):
		*val = l->timer_divide_reg;
		return REG_OK;
	case REG(LAPIC_SELF_IPI):
		return x2 ? REG_WRITE_ONLY : REG_ABSENT;
	default:
		return REG_ABSENT;
	}
}

static bool is_read_only(unsigned int reg, bool x2)
{
	switch (reg) {
	case REG(LAPIC_VERSION):
	case REG(LAPIC_PPR):
	case REG(LAPIC_TIMER_CURRENT):
		return true;
	case REG(LAPIC_ID):
	case REG(LAPIC_LDR):
		return x2;
	case REG(LAPIC_APR):
	case REG(LAPIC_RRD):
		return !x2;
	default:
		return reg >= REG(LAPIC_ISR) && reg < REG(LAPIC_IRR) + 8;
	}
}

/* x2APIC reserved-bit check (§10.12.1.3); xAPIC ignores reserved bits. */
static bool x2apic_value_ok(unsigned int reg, uint32_t val)
{
	int lvt = lvt_index(reg);

	if (lvt >= 0) {
		if (lvt == LAPIC_LVT_IDX_TIMER &&
		    (val >> LAPIC_LVT_TIMER_MODE_SHIFT & LAPIC_LVT_TIMER_MODE_MASK) == 3)
			return false;
		return !(val & ~(lvt_writable[lvt] | LVT_READ_ONLY_BITS));
	}
	switch (reg) {
	case REG(LAPIC_TPR):
		return !(val & ~TPR_MASK);
	case REG(LAPIC_EOI):
	case REG(LAPIC_ESR):
		return val == 0;
	case REG(LAPIC_SVR):
		return !(val & ~LAPIC_SVR_WRITABLE);
	case REG(LAPIC_TIMER_DIVIDE):
		return !(val & ~LAPIC_TDCR_WRITABLE);
	case REG(LAPIC_SELF_IPI):
		return !(val & ~0xFFu);
	default:
		return true;
	}
}

static void write_svr(struct lapic *l, uint32_t val)
{
	l->svr = val & LAPIC_SVR_WRITABLE;
	if (!sw_enabled(l))
		mask_all_lvts(l);
}

static void write_dfr(struct lapic *l, uint32_t val)
{
	uint32_t model = val >> LAPIC_DFR_MODEL_SHIFT;

	if (model != LAPIC_DFR_FLAT && model != LAPIC_DFR_CLUSTER)
		lapic_warn_once(l, W_DFR_MODEL, "DFR model %#x is neither flat nor cluster",
				model);
	l->dfr = (val & DFR_MODEL_BITS) | ~DFR_MODEL_BITS;
}

/* 32-bit writes of both modes (the x2APIC ICR is written by the MSR path). */
static enum reg_status reg_write(struct lapic *l, unsigned int reg, uint32_t val)
{
	bool x2 = x2apic_mode(l);
	int lvt = lvt_index(reg);

	if (is_read_only(reg, x2))
		return REG_READ_ONLY;
	if (x2 && !x2apic_value_ok(reg, val))
		return REG_BAD_VALUE;
	if (lvt >= 0) {
		write_lvt(l, (unsigned int)lvt, val);
		return REG_OK;
	}
	switch (reg) {
	case REG(LAPIC_ID):
		l->id = val & XAPIC_ID_MASK;
		return REG_OK;
	case REG(LAPIC_TPR):
		l->tpr = val & TPR_MASK;
		return REG_OK;
	case REG(LAPIC_EOI):
		do_eoi(l);
		return REG_OK;
	case REG(LAPIC_LDR):
		l->ldr = val & XAPIC_ID_MASK;
		return REG_OK;
	case REG(LAPIC_DFR):
		if (x2)
			return REG_ABSENT;
		write_dfr(l, val);
		return REG_OK;
	case REG(LAPIC_SVR):
		write_svr(l, val);
		return REG_OK;
	case REG(LAPIC_ESR):
		/* §10.5.3: a write latches the errors since the last one. */
		l->esr = l->esr_pending;
		l->esr_pending = 0;
		return REG_OK;
	case REG(LAPIC_ICR_LOW):
		if (x2)
			return REG_ABSENT; /* 64-bit MSR path only */
		l->icr_low = val & LAPIC_ICR_WRITABLE;
		send_ipi(l);
		return REG_OK;
	case REG(LAPIC_ICR_HIGH):
		if (x2)
			return REG_ABSENT;
		l->icr_high = val & XAPIC_ID_MASK;
		return REG_OK;
	case REG(LAPIC_TIMER_INITIAL):
		write_timer_initial(l, val);
		return REG_OK;
	case REG(LAPIC_TIMER_DIVIDE):
		timer_set_divide(l, val);
		return REG_OK;
	case REG(LAPIC_SELF_IPI):
		if (!x2)
			return REG_ABSENT;
		/* §10.12.11: a fixed, edge-triggered interrupt to self. */
		accept_vector(l, (uint8_t)val, false);
		return REG_OK;
	default:
		return REG_ABSENT;
	}
}

/* ---- xAPIC MMIO ---- */

static bool mmio_usable(struct lapic *l, uint64_t offset, unsigned int size, bool write)
{
	if (lapic_mode(l) != LAPIC_MODE_XAPIC) {
		lapic_warn_once(l, W_MMIO_INACTIVE, "MMIO %s at +%#llx while the xAPIC page is off",
				write ? "write" : "read", (unsigned long long)offset);
		return false;
	}
	/* §10.4.1: only aligned 32-bit accesses to the first dword of each
	 * 16-byte register are defined. */
	if (size != 4 || offset >= LAPIC_MMIO_SIZE || offset % LAPIC_REG_STRIDE) {
		lapic_warn_once(l, W_MMIO_ACCESS, "%u-byte MMIO %s at +%#llx ignored", size,
				write ? "write" : "read", (unsigned long long)offset);
		return false;
	}
	return true;
}

static void xapic_reserved(struct lapic *l, uint64_t offset, bool write)
{
	lapic_warn_once(l, W_RESERVED_REG, "%s of reserved register +%#llx",
			write ? "write" : "read", (unsigned long long)offset);
	raise_error(l, LAPIC_ESR_ILLEGAL_REGISTER);
}

int lapic_mmio_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val)
{
	struct lapic *l = dev;
	uint32_t v;

	*val = 0;
	if (!mmio_usable(l, offset, size, false))
		return 0;
	if (reg_read(l, (unsigned int)(offset >> 4), &v) == REG_ABSENT)
		xapic_reserved(l, offset, false);
	*val = v;
	return 0;
}

int lapic_mmio_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	struct lapic *l = dev;

	if (!mmio_usable(l, offset, size, true))
		return 0;
	switch (reg_write(l, (unsigned int)(offset >> 4), (uint32_t)val)) {
	case REG_ABSENT:
		xapic_reserved(l, offset, true);
		break;
	case REG_READ_ONLY:
		lapic_warn_once(l, W_READ_ONLY, "write %#x to read-only register +%#llx ignored",
				(uint32_t)val, (unsigned long long)offset);
		break;
	default:
		break;
	}
	return 0;
}

/* ---- MSRs ---- */

static const char *const reg_status_text[] = {
	[REG_OK] = "ok",
	[REG_ABSENT] = "no such register",
	[REG_WRITE_ONLY] = "write-only register",
	[REG_READ_ONLY] = "read-only register",
	[REG_BAD_VALUE] = "reserved bits set",
};

static int x2apic_gp(struct lapic *l, uint32_t msr, bool write, uint64_t val,
		     enum reg_status why)
{
	lapic_warn_once(l, W_X2APIC_GP, "%s MSR %#x (value %#llx): %s; #GP",
			write ? "WRMSR" : "RDMSR", msr, (unsigned long long)val,
			reg_status_text[why]);
	return LAPIC_MSR_GP;
}

bool lapic_owns_msr(uint32_t msr)
{
	return msr == MSR_LAPIC_APIC_BASE || msr == MSR_LAPIC_TSC_DEADLINE ||
	       (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST);
}

static int x2apic_msr_read(struct lapic *l, uint32_t msr, uint64_t *val)
{
	unsigned int reg = msr - MSR_X2APIC_FIRST;
	enum reg_status st;
	uint32_t v;

	if (!x2apic_mode(l))
		return x2apic_gp(l, msr, false, 0, REG_ABSENT);
	if (reg == REG(LAPIC_ICR_LOW)) {
		*val = (uint64_t)l->icr_high << 32 | l->icr_low;
		return LAPIC_MSR_OK;
	}
	st = reg_read(l, reg, &v);
	if (st != REG_OK)
		return x2apic_gp(l, msr, false, 0, st);
	*val = v;
	return LAPIC_MSR_OK;
}

static int x2apic_msr_write(struct lapic *l, uint32_t msr, uint64_t val)
{
	unsigned int reg = msr - MSR_X2APIC_FIRST;
	enum reg_status st;

	if (!x2apic_mode(l))
		return x2apic_gp(l, msr, true, val, REG_ABSENT);
	if (reg == REG(LAPIC_ICR_LOW)) {
		/* §10.12.9: one 64-bit write sends; bit 12 is reserved here. */
		if ((uint32_t)val & ~(LAPIC_ICR_WRITABLE & ~LAPIC_ICR_DELIVERY_STATUS))
			return x2apic_gp(l, msr, true, val, REG_BAD_VALUE);
		l->icr_low = (uint32_t)val;
		l->icr_high = (uint32_t)(val >> 32);
		send_ipi(l);
		return LAPIC_MSR_OK;
	}
	/* The upper halves of the other registers are reserved. */
	if (val >> 32)
		return x2apic_gp(l, msr, true, val, REG_BAD_VALUE);
	st = reg_write(l, reg, (uint32_t)val);
	if (st != REG_OK)
		return x2apic_gp(l, msr, true, val, st);
	return LAPIC_MSR_OK;
}

/* IA32_APIC_BASE (§10.4.4, §10.12.5): EN/EXTD state machine of Figure
 * 10-27. The BSP flag is the hardware's and keeps its value. */
static int write_apic_base(struct lapic *l, uint64_t val)
{
	uint64_t legal = base_addr_mask(l) | LAPIC_BASE_BSP | LAPIC_BASE_EXTD | LAPIC_BASE_EN;
	enum lapic_mode old = lapic_mode(l), new;
	bool en = val & LAPIC_BASE_EN, extd = val & LAPIC_BASE_EXTD;
	const char *why = NULL;

	if (val & ~legal)
		why = "reserved bits set";
	else if (extd && !en)
		why = "EXTD without EN is invalid";
	new = !en ? LAPIC_MODE_DISABLED : extd ? LAPIC_MODE_X2APIC : LAPIC_MODE_XAPIC;
	if (!why && old == LAPIC_MODE_X2APIC && new == LAPIC_MODE_XAPIC)
		why = "x2APIC to xAPIC needs a pass through disabled";
	if (!why && old == LAPIC_MODE_DISABLED && new == LAPIC_MODE_X2APIC)
		why = "disabled to x2APIC needs a pass through xAPIC";
	if (why) {
		lapic_warn_once(l, W_APIC_BASE, "IA32_APIC_BASE write %#llx refused (%s); #GP",
				(unsigned long long)val, why);
		return LAPIC_MSR_GP;
	}
	l->apic_base = (val & ~LAPIC_BASE_BSP) | (l->apic_base & LAPIC_BASE_BSP);
	if (new == old)
		return LAPIC_MSR_OK;
	switch (new) {
	case LAPIC_MODE_DISABLED:
		/* §10.4.3: disabling loses the APIC state; it comes back in the
		 * power-on state. */
		reset_registers(l);
		l->id = l->initial_id << LAPIC_XAPIC_ID_SHIFT;
		break;
	case LAPIC_MODE_X2APIC:
		/* §10.12.5.1: xAPIC -> x2APIC keeps the state except the ID
		 * (now the x2APIC ID) and the LDR (derived). */
		l->ldr = (l->initial_id >> 4) << LDR_X2APIC_CLUSTER_SHIFT |
			 1u << (l->initial_id & LDR_X2APIC_ID_BITS);
		l->icr_high = 0;
		break;
	default:
		break;
	}
	return LAPIC_MSR_OK;
}

int lapic_msr_read(struct lapic *l, uint32_t msr, uint64_t *val)
{
	*val = 0;
	if (msr == MSR_LAPIC_APIC_BASE) {
		*val = l->apic_base;
		return LAPIC_MSR_OK;
	}
	if (msr == MSR_LAPIC_TSC_DEADLINE) {
		/* §10.5.4.1: reads 0 outside TSC-deadline mode. */
		if (hw_enabled(l) && timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE)
			*val = l->tsc_deadline;
		return LAPIC_MSR_OK;
	}
	if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST)
		return x2apic_msr_read(l, msr, val);
	return LAPIC_MSR_GP;
}

int lapic_msr_write(struct lapic *l, uint32_t msr, uint64_t val)
{
	if (msr == MSR_LAPIC_APIC_BASE)
		return write_apic_base(l, val);
	if (msr == MSR_LAPIC_TSC_DEADLINE) {
		/* §10.5.4.1: ignored outside TSC-deadline mode. */
		if (hw_enabled(l) && timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE)
			timer_arm_tsc(l, val);
		return LAPIC_MSR_OK;
	}
	if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST)
		return x2apic_msr_write(l, msr, val);
	return LAPIC_MSR_GP;
}

/* ---- life cycle ---- */

void lapic_reset(struct lapic *l)
{
	l->apic_base = LAPIC_DEFAULT_BASE | LAPIC_BASE_EN | (l->bsp ? LAPIC_BASE_BSP : 0);
	l->id = l->initial_id << LAPIC_XAPIC_ID_SHIFT;
	reset_registers(l);
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
	lapic_reset(l);
}

void lapic_setup_virtual_wire(struct lapic *l)
{
	l->svr = LAPIC_SVR_ENABLE | LAPIC_SVR_RESET;
	if (l->bsp)
		l->lvt[LAPIC_LVT_IDX_LINT0] = LAPIC_DM_EXTINT << LAPIC_LVT_DM_SHIFT;
	l->lvt[LAPIC_LVT_IDX_LINT1] = LAPIC_DM_NMI << LAPIC_LVT_DM_SHIFT;
}
