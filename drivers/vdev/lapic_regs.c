/* SPDX-License-Identifier: BSD-2-Clause */
/* Local APIC model: the register file, shared by the xAPIC MMIO page and the
 * x2APIC MSRs (moved out of lapic.c unchanged). Section numbers are Intel
 * SDM Vol. 3A chapter 10. */
#include "drivers/vdev/lapic_internal.h"

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
		*val = apic_compute_apr(l);
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
		*val = apic_timer_current(l, now_ns(l));
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
		apic_mask_all_lvts(l);
}

static void write_dfr(struct lapic *l, uint32_t val)
{
	uint32_t model = val >> LAPIC_DFR_MODEL_SHIFT;

	if (model != LAPIC_DFR_FLAT && model != LAPIC_DFR_CLUSTER)
		lapic_warn_once(l, W_DFR_MODEL, "DFR model %#x is neither flat nor cluster", model);
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
		apic_write_lvt(l, (unsigned int)lvt, val);
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
		apic_do_eoi(l);
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
		apic_send_ipi(l);
		return REG_OK;
	case REG(LAPIC_ICR_HIGH):
		if (x2)
			return REG_ABSENT;
		l->icr_high = val & XAPIC_ID_MASK;
		return REG_OK;
	case REG(LAPIC_TIMER_INITIAL):
		apic_write_timer_initial(l, val);
		return REG_OK;
	case REG(LAPIC_TIMER_DIVIDE):
		apic_timer_set_divide(l, val);
		return REG_OK;
	case REG(LAPIC_SELF_IPI):
		if (!x2)
			return REG_ABSENT;
		/* §10.12.11: a fixed, edge-triggered interrupt to self. */
		apic_accept_vector(l, (uint8_t)val, false);
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
	apic_raise_error(l, LAPIC_ESR_ILLEGAL_REGISTER);
}

int lapic_mmio_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val)
{
	struct lapic *l = dev;
	uint32_t v;
	lapic_pv_eoi_sync(l); /* the ISR as the guest left it */

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
	lapic_pv_eoi_sync(l);

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

static int x2apic_gp(struct lapic *l, uint32_t msr, bool write, uint64_t val, enum reg_status why)
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
		apic_send_ipi(l);
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
	else if (extd && !l->x2apic_offered)
		why = "x2APIC mode is not offered (CPUID.1:ECX.x2APIC = 0)";
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
		apic_reset_registers(l);
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
	lapic_pv_eoi_sync(l);
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
	lapic_pv_eoi_sync(l);
	if (msr == MSR_LAPIC_APIC_BASE)
		return write_apic_base(l, val);
	if (msr == MSR_LAPIC_TSC_DEADLINE) {
		/* §10.5.4.1: ignored outside TSC-deadline mode. */
		if (hw_enabled(l) && timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE)
			apic_timer_arm_tsc(l, val);
		return LAPIC_MSR_OK;
	}
	if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST)
		return x2apic_msr_write(l, msr, val);
	return LAPIC_MSR_GP;
}
