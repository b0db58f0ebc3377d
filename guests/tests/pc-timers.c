/* SPDX-License-Identifier: BSD-2-Clause */
/* pc-timers: the emulated PC's timers and interrupt path, as an OS without
 * APIC support uses them (issue 4). Checked:
 *  - 8254 channel 0 in rate-generator mode at 100 Hz through the 8259A
 *    (IRQ0 at vector 0x20): ticks arrive while the guest sits in "sti; hlt",
 *    and 50 of them take 500 ms of the hypervisor's clock (within 10%);
 *  - the MC146818's periodic interrupt (IRQ8 through the cascaded slave PIC)
 *    at 64 Hz, acknowledged by reading register C;
 *  - the CMOS clock is running and reads a plausible date;
 *  - channel 2 with the port 0x61 gate counts down (Linux calibrates its
 *    TSC this way);
 *  - the 8042's reset pulse (command 0xFE) restarts the partition, and CMOS
 *    NVRAM survives it as on a PC (the guest counts its boots there).
 * Runs in long mode. */
#include "rt.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define PIC_ICW1_INIT_ICW4 0x11
#define PIC_ICW4_8086 0x01
#define PIC_EOI 0x20
#define PIC_VECTOR_BASE 0x20

#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_HZ 1193182u
#define PIT_CH0_RATEGEN_LOHI 0x34 /* channel 0, lobyte/hibyte, mode 2 */
#define PIT_CH2_ONESHOT_LOHI 0xb0 /* channel 2, lobyte/hibyte, mode 0 */
#define PIT_CH2_LATCH 0x80
#define PORT61 0x61
#define PORT61_GATE2 0x01
#define PORT61_OUT2 0x20

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define RTC_SEC 0x00
#define RTC_YEAR 0x09
#define RTC_STATUS_A 0x0a
#define RTC_STATUS_B 0x0b
#define RTC_STATUS_C 0x0c
#define RTC_RATE_64HZ 0x0a /* 32768 >> (10 - 1) = 64 Hz */
#define RTC_DV_32K 0x20
#define RTC_B_PIE 0x40
#define RTC_B_24H 0x02

#define TICK_HZ 100u
#define TICKS 50u
#define RTC_TICKS 16u

static volatile unsigned pit_ticks, rtc_ticks;

static void on_pit(uint8_t vector, uintptr_t ip)
{
	(void)vector;
	(void)ip;
	pit_ticks++;
	outb(PIC1_CMD, PIC_EOI);
}

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

static void cmos_write(uint8_t reg, uint8_t v)
{
	outb(CMOS_INDEX, reg);
	outb(CMOS_DATA, v);
}

static void on_rtc(uint8_t vector, uintptr_t ip)
{
	(void)vector;
	(void)ip;
	(void)cmos_read(RTC_STATUS_C); /* acknowledge, or IRQ8 stays high */
	rtc_ticks++;
	outb(PIC2_CMD, PIC_EOI);
	outb(PIC1_CMD, PIC_EOI);
}

static void pic_init(uint8_t master_mask, uint8_t slave_mask)
{
	outb(PIC1_CMD, PIC_ICW1_INIT_ICW4);
	outb(PIC2_CMD, PIC_ICW1_INIT_ICW4);
	outb(PIC1_DATA, PIC_VECTOR_BASE);
	outb(PIC2_DATA, PIC_VECTOR_BASE + 8);
	outb(PIC1_DATA, 1 << 2); /* slave on IR2 */
	outb(PIC2_DATA, 2);      /* slave identity */
	outb(PIC1_DATA, PIC_ICW4_8086);
	outb(PIC2_DATA, PIC_ICW4_8086);
	outb(PIC1_DATA, master_mask);
	outb(PIC2_DATA, slave_mask);
}

static void pit_periodic(void)
{
	uint16_t div = (uint16_t)(PIT_HZ / TICK_HZ);
	unsigned long t0, t1;

	pit_ticks = 0;
	outb(PIT_CMD, PIT_CH0_RATEGEN_LOHI);
	outb(PIT_CH0, (uint8_t)div);
	outb(PIT_CH0, (uint8_t)(div >> 8));
	irq_enable();
	while (pit_ticks == 0)
		asm volatile("hlt");
	t0 = rt_hc_time_ns();
	unsigned start = pit_ticks;
	while (pit_ticks - start < TICKS)
		asm volatile("hlt");
	t1 = rt_hc_time_ns();
	irq_disable();
	outb(PIC1_DATA, 0xff);

	unsigned long ms = (t1 - t0) / 1000000, want = TICKS * 1000 / TICK_HZ;
	rt_check("pit_irq0_ticks", pit_ticks >= TICKS, "%u ticks", pit_ticks);
	rt_check("pit_rate_100hz", ms >= want * 9 / 10 && ms <= want * 11 / 10,
		 "%u ticks took %lu ms, want %lu +-10%%", TICKS, ms, want);
}

static void rtc_periodic(void)
{
	rtc_ticks = 0;
	cmos_write(RTC_STATUS_A, RTC_DV_32K | RTC_RATE_64HZ);
	cmos_write(RTC_STATUS_B, RTC_B_PIE | RTC_B_24H);
	(void)cmos_read(RTC_STATUS_C);
	unsigned long t0 = rt_hc_time_ns();
	irq_enable();
	while (rtc_ticks < RTC_TICKS)
		asm volatile("hlt");
	irq_disable();
	unsigned long ms = (rt_hc_time_ns() - t0) / 1000000;
	cmos_write(RTC_STATUS_B, RTC_B_24H);
	/* 16 ticks at 64 Hz: 250 ms. */
	rt_check("rtc_periodic_irq8", ms >= 200 && ms <= 300, "%u ticks in %lu ms, want ~250",
		 rtc_ticks, ms);
}

static void rtc_clock(void)
{
	uint8_t year = cmos_read(RTC_YEAR);
	uint8_t s0 = cmos_read(RTC_SEC);
	rt_check("rtc_year_plausible", year >= 0x24 && year <= 0x99, "year byte %#x", year);
	unsigned long t0 = rt_hc_time_ns();
	while (cmos_read(RTC_SEC) == s0 && rt_hc_time_ns() - t0 < 2500000000ul)
		;
	rt_check("rtc_seconds_advance", cmos_read(RTC_SEC) != s0, "seconds stuck at %#x", s0);
}

static unsigned pit_ch2_latch(void)
{
	outb(PIT_CMD, PIT_CH2_LATCH);
	return inb(PIT_CH2) | (unsigned)inb(PIT_CH2) << 8;
}

/* Counts between the two latches must match the hypervisor's clock between
 * them: at least the time surely between them, at most the time around
 * them (robust to the emulator being descheduled on a loaded host). */
static void pit_channel2(void)
{
	outb(PORT61, (inb(PORT61) & ~0x02) | PORT61_GATE2);
	outb(PIT_CMD, PIT_CH2_ONESHOT_LOHI);
	outb(PIT_CH2, 0xff);
	outb(PIT_CH2, 0xff);
	unsigned long ta = rt_hc_time_ns();
	unsigned c0 = pit_ch2_latch();
	unsigned long tb = rt_hc_time_ns(), tc;
	while ((tc = rt_hc_time_ns()) - tb < 5000000ul)
		;
	unsigned c1 = pit_ch2_latch();
	unsigned long td = rt_hc_time_ns();
	unsigned long lo = (tc - tb) / 1000 * PIT_HZ / 1000000,
		      hi = (td - ta) / 1000 * PIT_HZ / 1000000;
	rt_check("pit_ch2_counts", c0 > c1 && c0 - c1 + 2 >= lo && c0 - c1 <= hi + 2,
		 "counted %u -> %u, want %lu..%lu", c0, c1, lo, hi);
	rt_check("pit_ch2_out_low_while_counting", !(inb(PORT61) & PORT61_OUT2), "OUT2 high");
}

#define I8042_CMD 0x64
#define I8042_PULSE_RESET 0xfe
#define CMOS_BOOT_MARK 0x50 /* an NVRAM byte no firmware claims here */
#define BOOT_MARK 0xa5

static void reset_through_8042(void)
{
	if (cmos_read(CMOS_BOOT_MARK) == BOOT_MARK) {
		cmos_write(CMOS_BOOT_MARK, 0);
		rt_pass("i8042_reset_restarted_with_cmos_kept");
		return;
	}
	cmos_write(CMOS_BOOT_MARK, BOOT_MARK);
	rt_puts("pc-timers: resetting through the 8042\n");
	outb(I8042_CMD, I8042_PULSE_RESET);
	rt_fail("i8042_reset_restarted_with_cmos_kept", "still running after the reset pulse");
}

void guest_main(void)
{
	rt_set_irq_handler(PIC_VECTOR_BASE + 0, on_pit);
	rt_set_irq_handler(PIC_VECTOR_BASE + 8, on_rtc);
	pic_init(0xfe, 0xff);
	pit_periodic();
	pic_init(0xfb, 0xfe);
	rtc_periodic();
	rtc_clock();
	pit_channel2();
	reset_through_8042();
	rt_done();
}
