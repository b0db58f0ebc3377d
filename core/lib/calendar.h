/* SPDX-License-Identifier: BSD-2-Clause */
/* Calendar arithmetic (core/lib/calendar.c): pure, used by the emulated
 * RTC and by the host's CMOS clock driver. */
#ifndef BULKHEAD_CORE_LIB_CALENDAR_H
#define BULKHEAD_CORE_LIB_CALENDAR_H

#include "core/types.h"

#define SECS_PER_DAY 86400

/* A calendar time; fields as on a calendar (month 1-12, weekday 1-7 with
 * Sunday = 1 as the MC146818 counts). */
struct rtc_datetime {
	int64_t year;
	unsigned int month, mday, hour, min, sec, wday;
};

/* Division and remainder rounding towards minus infinity (b > 0). */
int64_t floor_div(int64_t a, int64_t b);
int64_t floor_mod(int64_t a, int64_t b);
/* Days in month m (1-12) of year y. */
unsigned int civil_days_in_month(int64_t y, unsigned int m);

/* Calendar conversions (proleptic Gregorian, any int64 day count). */
void rtc_civil_from_unix(int64_t secs, struct rtc_datetime *out);
int64_t rtc_unix_from_civil(const struct rtc_datetime *t);

#endif
