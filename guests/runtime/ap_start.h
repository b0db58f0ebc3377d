/* SPDX-License-Identifier: BSD-2-Clause */
/* Starting a partition's other vCPU from a test guest: software-enable the
 * xAPIC, then INIT and one start-up IPI (SDM Vol. 3A §8.4.4.1, "Typical BSP
 * Initialization Sequence"; the hypervisor's LAPIC needs no delays). */
#ifndef BULKHEAD_GUEST_AP_START_H
#define BULKHEAD_GUEST_AP_START_H

#include <stdint.h>

/* The xAPIC registers (SDM Vol. 3A Table 10-1) and ICR commands. */
#define AP_LAPIC_BASE 0xfee00000UL
#define AP_LAPIC_SVR 0xf0
#define AP_LAPIC_ICR_LOW 0x300
#define AP_LAPIC_ICR_HIGH 0x310
#define AP_SVR_ENABLE (1u << 8)
#define AP_SVR_SPURIOUS 0xffu
#define AP_ICR_INIT_ASSERT 0x00004500u /* INIT, level assert */
#define AP_ICR_STARTUP 0x00004600u     /* start-up, the vector in bits 7:0 */
#define AP_ICR_DEST_SHIFT 24

static inline void ap_lapic_write(unsigned int reg, uint32_t v)
{
	*(volatile uint32_t *)(AP_LAPIC_BASE + reg) = v;
}

static inline uint32_t ap_lapic_read(unsigned int reg)
{
	return *(volatile uint32_t *)(AP_LAPIC_BASE + reg);
}

/* Starts the vCPU with xAPIC ID apic_id at real-mode address vector << 12. */
static inline void ap_start(uint8_t apic_id, uint8_t vector)
{
	uint32_t dest = (uint32_t)apic_id << AP_ICR_DEST_SHIFT;

	ap_lapic_write(AP_LAPIC_SVR, ap_lapic_read(AP_LAPIC_SVR) | AP_SVR_ENABLE | AP_SVR_SPURIOUS);
	ap_lapic_write(AP_LAPIC_ICR_HIGH, dest);
	ap_lapic_write(AP_LAPIC_ICR_LOW, AP_ICR_INIT_ASSERT);
	ap_lapic_write(AP_LAPIC_ICR_HIGH, dest);
	ap_lapic_write(AP_LAPIC_ICR_LOW, AP_ICR_STARTUP | vector);
}

#endif
