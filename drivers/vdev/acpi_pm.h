/* SPDX-License-Identifier: BSD-2-Clause */
/* ACPI fixed-hardware power-management registers (ACPI 6.4 §4.8.3) in I/O
 * space, as the FADT built by drivers/vdev/acpi_tables.c describes them:
 *
 *   base+0x0  PM1a_EVT_BLK, 4 bytes: PM1_STS (word, write 1 to clear) and
 *             PM1_EN (word)                                  §4.8.3.1
 *   base+0x4  PM1a_CNT_BLK, 2 bytes: PM1_CNT                  §4.8.3.2.1
 *   base+0x6  2 bytes that decode nothing (read 0xFF)
 *   base+0x8  PM_TMR_BLK, 4 bytes: the 32-bit power-management timer,
 *             3.579545 MHz, read-only                         §4.8.3.3
 *
 * The system is always in ACPI mode (the FADT's SMI_CMD is 0), so SCI_EN
 * reads 1 and cannot be cleared. Writing SLP_EN with SLP_TYP = ACPI_SLP_TYP_S5
 * (the value the DSDT's \_S5 package holds) powers the partition off
 * through a struct power_sink; other sleep types are refused with one log
 * line, and WAK_STS is set so a guest waiting for the wake-up goes on.
 *
 * The timer is computed from the vclock on every read (no stepping); its
 * TMR_STS event (bit 31 of the counter changes) and the fixed power button
 * (acpi_pm_power_button) raise the SCI, a level on `sci_line`, while
 * enabled in PM1_EN. The SCI is ISA IRQ 9, level, active high (MADT
 * interrupt source override). Wider accesses are split per byte except the
 * timer, which is sampled once per access. */
#ifndef BULKHEAD_DRIVERS_VDEV_ACPI_PM_H
#define BULKHEAD_DRIVERS_VDEV_ACPI_PM_H

#include "core/iobus.h"
#include "drivers/vdev/power_sink.h"
#include "drivers/vdev/vdev.h"

#define ACPI_PM_DEFAULT_BASE 0x600
#define ACPI_PM_NR_PORTS 12
#define ACPI_SCI_IRQ 9

/* Offsets in the block and block lengths (the FADT's *_LEN fields). */
#define ACPI_PM1_EVT_OFFSET 0x0
#define ACPI_PM1_EVT_LEN 4
#define ACPI_PM1_STS 0x0
#define ACPI_PM1_EN 0x2
#define ACPI_PM1_CNT_OFFSET 0x4
#define ACPI_PM1_CNT_LEN 2
#define ACPI_PM_TMR_OFFSET 0x8
#define ACPI_PM_TMR_LEN 4

/* PM1 status bits (ACPI 6.4 §4.8.3.1.1). */
#define ACPI_PM1_TMR_STS 0x0001
#define ACPI_PM1_BM_STS 0x0010
#define ACPI_PM1_GBL_STS 0x0020
#define ACPI_PM1_PWRBTN_STS 0x0100
#define ACPI_PM1_SLPBTN_STS 0x0200
#define ACPI_PM1_RTC_STS 0x0400
#define ACPI_PM1_WAK_STS 0x8000

/* PM1 enable bits (§4.8.3.1.2). Only the timer and the power button exist
 * here (the FADT says: no fixed sleep button, no RTC wake status). */
#define ACPI_PM1_TMR_EN 0x0001
#define ACPI_PM1_GBL_EN 0x0020
#define ACPI_PM1_PWRBTN_EN 0x0100
#define ACPI_PM1_RTC_EN 0x0400
/* GBL_EN and RTC_EN hold what the OS writes (ACPICA reads them back to
 * check the event is enabled) although neither event ever fires here: no
 * firmware shares the global lock, and RTC alarms reach the guest as IRQ 8. */
#define ACPI_PM1_EN_WRITABLE \
	(ACPI_PM1_TMR_EN | ACPI_PM1_GBL_EN | ACPI_PM1_PWRBTN_EN | ACPI_PM1_RTC_EN)
/* Status bits that raise the SCI when their enable bit is set. */
#define ACPI_PM1_SCI_EVENTS (ACPI_PM1_TMR_STS | ACPI_PM1_PWRBTN_STS)

/* PM1 control bits (§4.8.3.2.1). */
#define ACPI_PM1_SCI_EN 0x0001
#define ACPI_PM1_BM_RLD 0x0002
#define ACPI_PM1_GBL_RLS 0x0004
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_TYP_MASK 0x1C00
#define ACPI_PM1_SLP_EN 0x2000
#define ACPI_PM1_CNT_STORED (ACPI_PM1_BM_RLD | ACPI_PM1_SLP_TYP_MASK)

/* The SLP_TYP value of S5 (soft off) in this model; the DSDT's \_S5 says
 * so to the guest (ACPI 6.4 §7.4.2). */
#define ACPI_SLP_TYP_S5 5

/* PM timer (§4.8.3.3): 3.579545 MHz; 32 bits wide (FADT TMR_VAL_EXT). */
#define ACPI_PM_TIMER_HZ 3579545ULL
#define ACPI_PM_TIMER_MSB_SHIFT 31

struct acpi_pm {
	const char *owner;
	const struct vclock *clock;
	struct irq_sink sci;
	unsigned int sci_line;
	bool sci_level;
	struct power_sink power;

	uint16_t sts;
	uint16_t en;
	uint16_t cnt;           /* ACPI_PM1_CNT_STORED bits */
	uint64_t tmr_msb_epoch; /* timer ticks >> 31 when TMR_STS was last updated */

	uint64_t power_offs;
	uint64_t refused_sleeps;
	uint8_t refused_logged; /* one bit per SLP_TYP value already logged */
	bool tmr_write_logged;
};

/* sci and power may be NULL (no SCI wired, power-off only counted). */
void acpi_pm_init(struct acpi_pm *pm, const char *owner, const struct vclock *clock,
		  const struct irq_sink *sci, unsigned int sci_line, const struct power_sink *power);

/* One range of ACPI_PM_NR_PORTS ports at base (ACPI_PM_DEFAULT_BASE). */
int acpi_pm_io_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val);
int acpi_pm_io_write(void *dev, uint64_t offset, unsigned int size, uint64_t val);
bool acpi_pm_attach(struct acpi_pm *pm, struct iobus *bus, uint16_t base);

/* The platform's power button was pressed: PWRBTN_STS, SCI if enabled. */
void acpi_pm_power_button(struct acpi_pm *pm);

/* TMR_STS: vclock time of the next change of the counter's bit 31 while
 * TMR_EN is set and TMR_STS clear, else VDEV_NO_DEADLINE; tick latches it. */
uint64_t acpi_pm_next_deadline(const struct acpi_pm *pm);
void acpi_pm_tick(struct acpi_pm *pm, uint64_t now_ns);

/* The counter (32 bits) at vclock time now_ns. */
uint32_t acpi_pm_timer_value(uint64_t now_ns);
/* Exact floor/ceiling conversions over the whole uint64_t range. */
uint64_t acpi_pm_ns_to_ticks(uint64_t ns);
uint64_t acpi_pm_ticks_to_ns(uint64_t ticks);

#endif
