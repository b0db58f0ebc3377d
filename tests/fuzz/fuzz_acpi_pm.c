/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz the ACPI PM register block with time passing between accesses,
 * scheduler ticks and power-button presses. Invariants: SCI_EN always
 * reads 1 and SLP_EN 0; only the writable enable bits stick; the SCI line
 * equals "an enabled event is pending"; a dword timer read is exactly the
 * counter at that time; after a tick no TMR_STS deadline is left due; the
 * power sink is called exactly when S5 is requested; logging stays bounded
 * (one line per refused sleep type, one for the timer, one for S5). */
#include "drivers/vdev/acpi_pm.h"
#include "tests/fuzz/vdev_ops.h"
#include "tests/unit/support/host_log.h"

#define PM_BASE ACPI_PM_DEFAULT_BASE

static void count_off(void *ctx, const char *source)
{
	(*(unsigned int *)ctx)++;
}

static uint64_t reg(struct iobus *bus, unsigned int off, unsigned int size)
{
	uint64_t v = 0;
	CHECK(iobus_pio(bus, (uint16_t)(PM_BASE + off), size, false, &v) == IOBUS_OK);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct acpi_pm pm;
	struct irq_recorder irq;
	struct fake_clock clk;
	struct iobus bus = { 0 };
	struct vdev_op op;
	unsigned int offs = 0;
	struct power_sink power = { .off = count_off, .ctx = &offs };
	const unsigned int nports = ACPI_PM_NR_PORTS + 2; /* and two unclaimed ones */

	host_log_reset();
	recorder_init(&irq);
	fake_clock_init(&clk, 0);
	acpi_pm_init(&pm, "fuzz", &clk.vc, &irq.sink, ACPI_SCI_IRQ, &power);
	CHECK(acpi_pm_attach(&pm, &bus, PM_BASE));
	while (vdev_next_op(&data, &len, &op)) {
		unsigned int sel = op.sel % (nports + 2);
		vdev_advance(&clk, op.advance_ns);
		if (sel < nports) {
			vdev_pio(&bus, (uint16_t)(PM_BASE + sel), &op);
		} else if (sel == nports) {
			unsigned int before = irq.rises[ACPI_SCI_IRQ];
			acpi_pm_tick(&pm, clk.now);
			CHECK(irq.rises[ACPI_SCI_IRQ] - before <= 1);
			uint64_t d = acpi_pm_next_deadline(&pm);
			CHECK(d == VDEV_NO_DEADLINE || d > clk.now);
		} else {
			acpi_pm_power_button(&pm);
		}
		CHECK(irq.level[ACPI_SCI_IRQ] == ((pm.sts & pm.en & ACPI_PM1_SCI_EVENTS) != 0));
		CHECK(irq.level[ACPI_SCI_IRQ] == pm.sci_level);
		CHECK((pm.en & ~ACPI_PM1_EN_WRITABLE) == 0);
		CHECK((pm.cnt & ~ACPI_PM1_CNT_STORED) == 0);
		CHECK(pm.power_offs == offs);
		if (op.sel & 0x80) { /* sometimes look at the registers as the OS would */
			uint64_t cnt = reg(&bus, ACPI_PM1_CNT_OFFSET, 2);
			CHECK(cnt & ACPI_PM1_SCI_EN);
			CHECK(!(cnt & ACPI_PM1_SLP_EN));
			CHECK(reg(&bus, ACPI_PM_TMR_OFFSET, 4) == acpi_pm_timer_value(clk.now));
		}
	}
	CHECK(host_log_count() <= 9);
	return 0;
}
