/* SPDX-License-Identifier: BSD-2-Clause */
/* Reading the host RTC: index port 0x70, data port 0x71 (MC146818A
 * datasheet; registers 0x00-0x09 time and date, 0x0A status A with the
 * update-in-progress bit, 0x0B status B with the binary/24-hour format bits,
 * 0x32 the century byte that PC firmware keeps). */
#include "arch/x86/cpu/cpu.h"
#include "arch/x86/cpu/tsc.h"
#include "core/log.h"
#include "arch/x86/hostdev/cmos_clock.h"
#include "core/lib/calendar.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define CMOS_NMI_DISABLE 0x80 /* keep NMIs masked while we index */

#define REG_SEC 0x00
#define REG_MIN 0x02
#define REG_HOUR 0x04
#define REG_MDAY 0x07
#define REG_MONTH 0x08
#define REG_YEAR 0x09
#define REG_STATUS_A 0x0a
#define REG_STATUS_B 0x0b
#define REG_CENTURY 0x32

#define STATUS_A_UIP 0x80
#define STATUS_B_24H 0x02
#define STATUS_B_BINARY 0x04
#define HOUR_PM 0x80

#define UIP_WAIT_LIMIT 1000000

/* Written once by the boot CPU before partitions exist. */
static uint64_t wall_ns_at_boot_read;
static uint64_t tsc_at_read;

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, CMOS_NMI_DISABLE | reg);
	return inb(CMOS_DATA);
}

static unsigned int from_bcd(uint8_t v, bool binary)
{
	return binary ? v : (unsigned int)(v >> 4) * 10 + (v & 0xf);
}

static void read_once(struct rtc_datetime *t, uint8_t status_b)
{
	bool bin = status_b & STATUS_B_BINARY;
	uint8_t hour = cmos_read(REG_HOUR);
	bool pm = !(status_b & STATUS_B_24H) && (hour & HOUR_PM);
	unsigned int century = from_bcd(cmos_read(REG_CENTURY), bin);

	t->sec = from_bcd(cmos_read(REG_SEC), bin);
	t->min = from_bcd(cmos_read(REG_MIN), bin);
	t->hour = from_bcd(hour & (uint8_t)~HOUR_PM, bin);
	if (!(status_b & STATUS_B_24H))
		t->hour = (t->hour % 12) + (pm ? 12 : 0);
	t->mday = from_bcd(cmos_read(REG_MDAY), bin);
	t->month = from_bcd(cmos_read(REG_MONTH), bin);
	/* A century byte outside 19..21 is not kept by this firmware: assume 20xx. */
	if (century < 19 || century > 21)
		century = 20;
	t->year = (int64_t)century * 100 + from_bcd(cmos_read(REG_YEAR), bin);
	t->wday = 1;
}

static bool same_time(const struct rtc_datetime *a, const struct rtc_datetime *b)
{
	return a->sec == b->sec && a->min == b->min && a->hour == b->hour && a->mday == b->mday &&
	       a->month == b->month && a->year == b->year;
}

void host_clock_init(void)
{
	struct rtc_datetime a, b;
	uint8_t status_b = cmos_read(REG_STATUS_B);

	/* Read twice outside an update cycle until two readings agree. */
	for (unsigned int tries = 0; tries < 8; tries++) {
		for (unsigned int i = 0;
		     i < UIP_WAIT_LIMIT && (cmos_read(REG_STATUS_A) & STATUS_A_UIP); i++)
			cpu_relax();
		read_once(&a, status_b);
		read_once(&b, status_b);
		if (same_time(&a, &b))
			break;
	}
	tsc_at_read = rdtsc();
	int64_t secs = rtc_unix_from_civil(&b);
	if (secs < 0 || b.month < 1 || b.month > 12 || b.mday < 1 || b.mday > 31) {
		pr_warn("clock: host RTC reads %ld-%02u-%02u, not a valid date; guests start at 1970",
			(long)b.year, b.month, b.mday);
		secs = 0;
	}
	wall_ns_at_boot_read = (uint64_t)secs * 1000000000ULL;
	pr_info("clock: host RTC %ld-%02u-%02u %02u:%02u:%02u UTC", (long)b.year, b.month, b.mday,
		b.hour, b.min, b.sec);
}

uint64_t host_wall_ns(void)
{
	return wall_ns_at_boot_read + tsc_to_ns(rdtsc() - tsc_at_read);
}
