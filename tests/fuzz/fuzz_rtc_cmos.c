/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz the MC146818 RTC/CMOS: index/data accesses, time passing (hours at a
 * time), scheduler ticks and memory-size updates, from a wall clock chosen
 * by the input. Invariants: after a tick nothing enabled is left due unless
 * IRQ8 is already asserted; the IRQ line matches the model; the calendar
 * the guest reads while the clock runs is always a valid date; at most one
 * line per kind of misuse. */
#include "drivers/vdev/rtc_cmos.h"
#include "tests/fuzz/vdev_ops.h"
#include "tests/unit/support/host_log.h"

#define NS 1000000000ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct rtc_cmos r;
	struct irq_recorder irq;
	struct fake_clock clk;
	struct iobus bus = { 0 };
	struct vdev_op op;
	uint64_t wall = 1700000000ULL * NS;

	if (len >= 4) {
		/* 1970 .. about 2106 */
		wall = ((uint64_t)data[0] | (uint64_t)data[1] << 8 | (uint64_t)data[2] << 16 |
			(uint64_t)data[3] << 24) *
				       NS +
		       data[0] * 3906250ULL;
		data += 4;
		len -= 4;
	}
	host_log_reset();
	recorder_init(&irq);
	fake_clock_init(&clk, wall);
	rtc_cmos_init(&r, "fuzz", &clk.vc, &irq.sink, RTC_IRQ);
	CHECK(rtc_cmos_attach(&r, &bus));
	while (vdev_next_op(&data, &len, &op)) {
		unsigned int sel = op.sel % 4;
		vdev_advance(&clk, op.advance_ns);
		if (sel < 2) {
			vdev_pio(&bus, (uint16_t)(RTC_BASE + sel), &op);
		} else if (sel == 2) {
			rtc_cmos_tick(&r, clk.now);
			uint64_t d = rtc_cmos_next_deadline(&r);
			CHECK(d == VDEV_NO_DEADLINE || d > clk.now || r.irq_level);
		} else {
			rtc_cmos_set_memory_size(&r, (uint64_t)op.value << 12,
						 (uint64_t)op.value << 20);
		}
		CHECK(irq.level[RTC_IRQ] == r.irq_level);
		if (!r.frozen) {
			struct rtc_datetime t;
			rtc_civil_from_unix(rtc_cmos_guest_time(&r, clk.now), &t);
			CHECK(t.month >= 1 && t.month <= 12 && t.mday >= 1 && t.mday <= 31);
			CHECK(t.hour < 24 && t.min < 60 && t.sec < 60 && t.wday >= 1 && t.wday <= 7);
		}
	}
	CHECK(host_log_count() <= 2);
	return 0;
}
