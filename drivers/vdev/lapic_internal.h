/* SPDX-License-Identifier: BSD-2-Clause */
/* Inside the local APIC model only (drivers/vdev/lapic.c: state, delivery,
 * IPIs, timer; lapic_regs.c: the register file and its xAPIC MMIO and
 * x2APIC MSR paths). Section numbers are Intel SDM Vol. 3A chapter 10. */
#ifndef BULKHEAD_DRIVERS_VDEV_LAPIC_INTERNAL_H
#define BULKHEAD_DRIVERS_VDEV_LAPIC_INTERNAL_H

#include "core/log.h"
#include "drivers/vdev/lapic.h"

#define NS_PER_SEC 1000000000ULL
#define FIRST_LEGAL_VECTOR 16 /* 0-15 are illegal (§10.5.3) */
#define PRIORITY_CLASS(v) ((uint32_t)(v)&0xF0u)
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
	[LAPIC_LVT_IDX_TIMER] = 0x000700FFu, [LAPIC_LVT_IDX_THERMAL] = 0x000107FFu,
	[LAPIC_LVT_IDX_PERF] = 0x000107FFu,  [LAPIC_LVT_IDX_LINT0] = 0x0001A7FFu,
	[LAPIC_LVT_IDX_LINT1] = 0x0001A7FFu, [LAPIC_LVT_IDX_ERROR] = 0x000100FFu,
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
	W_TIMER_PERIOD = 1u << 13,
};

/* Outcome of a register access, shared by the MMIO and MSR paths. */
enum reg_status {
	REG_OK,
	REG_ABSENT,     /* reserved offset / no such MSR */
	REG_WRITE_ONLY, /* read of EOI or SELF IPI */
	REG_READ_ONLY,
	REG_BAD_VALUE, /* x2APIC: reserved bits set */
};

#define lapic_warn_once(l, bit, fmt, ...)                                                  \
	do {                                                                               \
		if (first_warning(l, bit))                                                 \
			pr_warn("[%s] lapic: APIC %u: " fmt, owner_of(l), (l)->initial_id, \
				##__VA_ARGS__);                                            \
	} while (0)

static inline const char *owner_of(const struct lapic *l)
{
	return l->owner ? l->owner : "?";
}

static inline bool first_warning(struct lapic *l, unsigned int bit)
{
	if (l->warned & bit)
		return false;
	l->warned |= bit;
	return true;
}

static inline bool hw_enabled(const struct lapic *l)
{
	return l->apic_base & LAPIC_BASE_EN;
}

static inline bool x2apic_mode(const struct lapic *l)
{
	return hw_enabled(l) && (l->apic_base & LAPIC_BASE_EXTD);
}

static inline bool sw_enabled(const struct lapic *l)
{
	return l->svr & LAPIC_SVR_ENABLE;
}

/* Base-address bits of IA32_APIC_BASE: 12 .. MAXPHYADDR-1 (§10.4.4). */
static inline uint64_t base_addr_mask(const struct lapic *l)
{
	unsigned int bits = MIN(MAX(l->phys_bits, 32u), 52u);

	return (BIT(bits) - 1) & ~(PAGE_SIZE - 1);
}

static inline uint64_t now_ns(const struct lapic *l)
{
	return l->clock ? vclock_now(l->clock) : 0;
}

static inline unsigned int timer_mode(const struct lapic *l)
{
	return l->lvt[LAPIC_LVT_IDX_TIMER] >> LAPIC_LVT_TIMER_MODE_SHIFT & LAPIC_LVT_TIMER_MODE_MASK;
}

/* Defined in lapic.c, used by the register file too. */
void apic_accept_vector(struct lapic *l, uint8_t vector, bool level);
uint32_t apic_compute_apr(const struct lapic *l);
bool apic_do_eoi(struct lapic *l); /* false: nothing was in service */
void apic_mask_all_lvts(struct lapic *l);
void apic_raise_error(struct lapic *l, uint32_t bits);
void apic_reset_registers(struct lapic *l);
void apic_send_ipi(struct lapic *l);
void apic_timer_arm_tsc(struct lapic *l, uint64_t deadline);
uint32_t apic_timer_current(const struct lapic *l, uint64_t now);
void apic_timer_set_divide(struct lapic *l, uint32_t val);
void apic_write_lvt(struct lapic *l, unsigned int idx, uint32_t val);
void apic_write_timer_initial(struct lapic *l, uint32_t val);

#endif
