/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-witness.h: what a hostile virtio guest checks after each case
 * (atk-blk.c, atk-net.c, atk-vcons.c): the local APIC registers a stray
 * device write at its base would hit, and the test device's scratch
 * register, which the guest sets to its SCRATCH_MARK before the cases.
 * Included after virtio-hostile.c (lapic_rd, mmio_rd32) with SCRATCH_MARK
 * and TESTDEV_SCRATCH defined. */
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

#endif
