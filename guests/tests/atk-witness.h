/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-witness.h: what a hostile virtio guest checks after each case
 * (atk-blk.c, atk-net.c, atk-vcons.c): the local APIC registers a stray
 * device write at its base would hit, and the test device's scratch
 * register, which the guest sets to its SCRATCH_MARK before the cases;
 * and what a broken ring's DEVICE_NEEDS_RESET must come with. Included
 * after virtio-hostile.c (lapic_rd, mmio_rd32, ISR_CONFIG) with
 * SCRATCH_MARK and TESTDEV_SCRATCH defined. */
#ifndef ATK_WITNESS_H
#define ATK_WITNESS_H

static const unsigned int lapic_regs[] = { LAPIC_ID,       LAPIC_TPR,       LAPIC_LDR,
					   LAPIC_SVR,      LAPIC_LVT_TIMER, LAPIC_TIMER_INIT,
					   LAPIC_TIMER_DIV };
static uint32_t lapic_saved[ARRAY_SIZE(lapic_regs)];

static void lapic_save(void)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(lapic_regs); i++)
		lapic_saved[i] = lapic_rd(lapic_regs[i]);
}

static const char *lapic_unchanged(void)
{
	static char why[80];

	for (unsigned int i = 0; i < ARRAY_SIZE(lapic_regs); i++) {
		uint32_t v = lapic_rd(lapic_regs[i]);
		if (v != lapic_saved[i]) {
			rt_snprintf(why, sizeof(why), "LAPIC register 0x%x is 0x%x, was 0x%x",
				    lapic_regs[i], v, lapic_saved[i]);
			return why;
		}
	}
	return NULL;
}

static const char *scratch_unchanged(void)
{
	static char why[64];
	uint32_t v = mmio_rd32(TESTDEV_MMIO + TESTDEV_SCRATCH);

	if (v == SCRATCH_MARK)
		return NULL;
	rt_snprintf(why, sizeof(why), "test device scratch 0x%x, was 0x%x", v, SCRATCH_MARK);
	return why;
}

/* After DEVICE_NEEDS_RESET: nothing on queue q completed (its used index
 * still 0) and the configuration interrupt came (virtio 1.2 §2.1.2; ISR
 * bit 1 without MSI-X). */
static inline const char *reset_witnessed(uint16_t q, uint16_t used_idx, uint8_t isr)
{
	static char why[80];

	if (used_idx != 0) {
		rt_snprintf(why, sizeof(why), "NEEDS_RESET, but queue %u used idx %u", q, used_idx);
		return why;
	}
	if (!(isr & ISR_CONFIG)) {
		rt_snprintf(why, sizeof(why),
			    "NEEDS_RESET without a configuration interrupt (ISR 0x%x)", isr);
		return why;
	}
	return NULL;
}

#endif
