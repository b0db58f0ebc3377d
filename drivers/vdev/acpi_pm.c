/* SPDX-License-Identifier: BSD-2-Clause */
/* ACPI PM1 event/control registers and the PM timer. */
#include "drivers/vdev/acpi_pm.h"

#include "core/log.h"

#define NS_PER_SEC 1000000000ULL
#define FLOATING_BYTE 0xFF
#define MAX_ACCESS 8

static const char *owner_of(const struct acpi_pm *pm)
{
	return pm->owner ? pm->owner : "?";
}

/* floor(ns * f / 1e9) without 128-bit arithmetic: the remainder product
 * stays below 1e9 * 3579545 < 2^52. */
uint64_t acpi_pm_ns_to_ticks(uint64_t ns)
{
	return ns / NS_PER_SEC * ACPI_PM_TIMER_HZ + ns % NS_PER_SEC * ACPI_PM_TIMER_HZ / NS_PER_SEC;
}

/* ceil(ticks * 1e9 / f), saturating at UINT64_MAX. */
uint64_t acpi_pm_ticks_to_ns(uint64_t ticks)
{
	uint64_t secs = ticks / ACPI_PM_TIMER_HZ;
	uint64_t rem = ticks % ACPI_PM_TIMER_HZ;
	uint64_t frac = (rem * NS_PER_SEC + ACPI_PM_TIMER_HZ - 1) / ACPI_PM_TIMER_HZ;
	uint64_t ns;

	if (__builtin_mul_overflow(secs, NS_PER_SEC, &ns) || __builtin_add_overflow(ns, frac, &ns))
		return UINT64_MAX;
	return ns;
}

uint32_t acpi_pm_timer_value(uint64_t now_ns)
{
	return (uint32_t)acpi_pm_ns_to_ticks(now_ns);
}

static uint64_t now_ns(const struct acpi_pm *pm)
{
	return pm->clock ? vclock_now(pm->clock) : 0;
}

/* TMR_STS is set whenever bit 31 of the counter changes (§4.8.3.3), i.e.
 * whenever ticks >> 31 moves on. */
static void update_timer_status(struct acpi_pm *pm, uint64_t now)
{
	uint64_t epoch = acpi_pm_ns_to_ticks(now) >> ACPI_PM_TIMER_MSB_SHIFT;

	if (epoch != pm->tmr_msb_epoch) {
		pm->tmr_msb_epoch = epoch;
		pm->sts |= ACPI_PM1_TMR_STS;
	}
}

/* SCI_EN is always set, so the SCI is just "an enabled event is pending". */
static void update_sci(struct acpi_pm *pm)
{
	bool level = (pm->sts & pm->en & ACPI_PM1_SCI_EVENTS) != 0;

	if (level != pm->sci_level) {
		pm->sci_level = level;
		irq_set(&pm->sci, pm->sci_line, level);
	}
}

static uint16_t control_value(const struct acpi_pm *pm)
{
	return pm->cnt | ACPI_PM1_SCI_EN; /* SLP_EN and GBL_RLS read 0 */
}

static void put_le(uint8_t *p, uint32_t v, unsigned int bytes)
{
	for (unsigned int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int acpi_pm_io_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val)
{
	struct acpi_pm *pm = dev;
	uint8_t regs[ACPI_PM_NR_PORTS];
	uint64_t now = now_ns(pm);
	uint64_t v = 0;

	update_timer_status(pm, now);
	update_sci(pm);
	/* One snapshot per access: a 32-bit timer read cannot tear. */
	put_le(regs + ACPI_PM1_STS, pm->sts, 2);
	put_le(regs + ACPI_PM1_EN, pm->en, 2);
	put_le(regs + ACPI_PM1_CNT_OFFSET, control_value(pm), ACPI_PM1_CNT_LEN);
	put_le(regs + ACPI_PM1_CNT_OFFSET + ACPI_PM1_CNT_LEN, 0xFFFF, 2);
	put_le(regs + ACPI_PM_TMR_OFFSET, acpi_pm_timer_value(now), ACPI_PM_TMR_LEN);

	if (size > MAX_ACCESS)
		size = MAX_ACCESS;
	for (unsigned int i = 0; i < size; i++) {
		bool inside = offset < ACPI_PM_NR_PORTS && i < ACPI_PM_NR_PORTS - offset;
		uint8_t b = inside ? regs[offset + i] : FLOATING_BYTE;
		v |= (uint64_t)b << (8 * i);
	}
	*val = v;
	return 0;
}

static void sleep_request(struct acpi_pm *pm, unsigned int slp_typ)
{
	if (slp_typ == ACPI_SLP_TYP_S5) {
		if (pm->power_offs++ == 0)
			pr_info("[%s] acpi-pm: S5 (soft off) requested: powering off", owner_of(pm));
		power_off_request(&pm->power, "acpi S5");
		return;
	}
	/* Only S5 is offered (\_S5 is the one sleep object in the DSDT). The
	 * "wake-up" is immediate so a guest polling WAK_STS does not hang. */
	pm->refused_sleeps++;
	pm->sts |= ACPI_PM1_WAK_STS;
	if (!(pm->refused_logged & (1u << slp_typ))) {
		pm->refused_logged |= (uint8_t)(1u << slp_typ);
		pr_warn("[%s] acpi-pm: sleep type %u requested; only S5 (type %u) is supported, refused",
			owner_of(pm), slp_typ, ACPI_SLP_TYP_S5);
	}
}

static void write_control_high(struct acpi_pm *pm, uint8_t byte)
{
	uint16_t v = (uint16_t)(byte << 8);

	pm->cnt = (uint16_t)((pm->cnt & ~ACPI_PM1_SLP_TYP_MASK) | (v & ACPI_PM1_SLP_TYP_MASK));
	if (v & ACPI_PM1_SLP_EN)
		sleep_request(pm, (v & ACPI_PM1_SLP_TYP_MASK) >> ACPI_PM1_SLP_TYP_SHIFT);
}

static void write_byte(struct acpi_pm *pm, unsigned int off, uint8_t byte)
{
	unsigned int shift = 8 * (off & 1);
	uint16_t v = (uint16_t)(byte << shift);
	uint16_t lane = (uint16_t)(0xFF << shift);

	switch (off) {
	case ACPI_PM1_STS:
	case ACPI_PM1_STS + 1:
		pm->sts &= (uint16_t)~v; /* write 1 to clear */
		break;
	case ACPI_PM1_EN:
	case ACPI_PM1_EN + 1:
		pm->en = (uint16_t)((pm->en & ~lane) | (v & ACPI_PM1_EN_WRITABLE));
		break;
	case ACPI_PM1_CNT_OFFSET:
		/* SCI_EN is fixed; GBL_RLS would signal a BIOS there is none of. */
		pm->cnt = (uint16_t)((pm->cnt & ~lane) | (v & ACPI_PM1_BM_RLD));
		break;
	case ACPI_PM1_CNT_OFFSET + 1:
		write_control_high(pm, byte);
		break;
	case ACPI_PM_TMR_OFFSET:
	case ACPI_PM_TMR_OFFSET + 1:
	case ACPI_PM_TMR_OFFSET + 2:
	case ACPI_PM_TMR_OFFSET + 3:
		if (!pm->tmr_write_logged) {
			pm->tmr_write_logged = true;
			pr_warn("[%s] acpi-pm: write to the read-only PM timer ignored",
				owner_of(pm));
		}
		break;
	default: /* the two bytes between PM1_CNT and PM_TMR decode nothing */
		break;
	}
}

int acpi_pm_io_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	struct acpi_pm *pm = dev;

	update_timer_status(pm, now_ns(pm));
	if (size > MAX_ACCESS)
		size = MAX_ACCESS;
	for (unsigned int i = 0; i < size; i++) {
		if (offset < ACPI_PM_NR_PORTS && i < ACPI_PM_NR_PORTS - offset)
			write_byte(pm, (unsigned int)(offset + i), (uint8_t)(val >> (8 * i)));
	}
	update_sci(pm);
	return 0;
}

void acpi_pm_power_button(struct acpi_pm *pm)
{
	pm->sts |= ACPI_PM1_PWRBTN_STS;
	update_sci(pm);
}

uint64_t acpi_pm_next_deadline(const struct acpi_pm *pm)
{
	if (!(pm->en & ACPI_PM1_TMR_EN) || (pm->sts & ACPI_PM1_TMR_STS))
		return VDEV_NO_DEADLINE;
	if (pm->tmr_msb_epoch >= (UINT64_MAX >> ACPI_PM_TIMER_MSB_SHIFT))
		return VDEV_NO_DEADLINE;
	return acpi_pm_ticks_to_ns((pm->tmr_msb_epoch + 1) << ACPI_PM_TIMER_MSB_SHIFT);
}

void acpi_pm_tick(struct acpi_pm *pm, uint64_t now)
{
	update_timer_status(pm, now);
	update_sci(pm);
}

void acpi_pm_init(struct acpi_pm *pm, const char *owner, const struct vclock *clock,
		  const struct irq_sink *sci, unsigned int sci_line, const struct power_sink *power)
{
	*pm = (struct acpi_pm){ 0 };
	pm->owner = owner;
	pm->clock = clock;
	if (sci)
		pm->sci = *sci;
	pm->sci_line = sci_line;
	if (power)
		pm->power = *power;
	pm->tmr_msb_epoch = acpi_pm_ns_to_ticks(now_ns(pm)) >> ACPI_PM_TIMER_MSB_SHIFT;
}

bool acpi_pm_attach(struct acpi_pm *pm, struct iobus *bus, uint16_t base)
{
	return iobus_add_pio(bus, base, ACPI_PM_NR_PORTS, acpi_pm_io_read, acpi_pm_io_write, pm,
			     "acpi-pm");
}
