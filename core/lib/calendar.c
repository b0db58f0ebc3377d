/* SPDX-License-Identifier: BSD-2-Clause */
/* Calendar arithmetic on Unix seconds (proleptic Gregorian), shared by the
 * emulated RTC (drivers/vdev/rtc_cmos.c) and the host's own clock
 * (arch/x86/hostdev/cmos_clock.c). Moved here from rtc_cmos.c unchanged so
 * that the host driver does not depend on a guest-device model. */
#include "core/lib/calendar.h"

/* Days from 0000-03-01 (start of a 400-year Gregorian cycle counted from
 * March, so leap days fall at the end of a year) to 1970-01-01. */
#define DAYS_0000_03_01_TO_EPOCH 719468
#define DAYS_PER_400Y 146097
#define DAYS_PER_100Y 36524
#define DAYS_PER_4Y 1461
#define DAYS_PER_YEAR 365
#define EPOCH_WEEKDAY 4 /* 1970-01-01 was a Thursday (Sunday = 0) */

/* Days before each month of a March-based year (March = 0). */
static const uint16_t march_month_start[12] = { 0,   31,  61,  92,  122, 153,
						184, 214, 245, 275, 306, 337 };

int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

static bool is_leap(int64_t y)
{
	return floor_mod(y, 4) == 0 && (floor_mod(y, 100) != 0 || floor_mod(y, 400) == 0);
}

unsigned int civil_days_in_month(int64_t y, unsigned int m)
{
	static const uint8_t len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && is_leap(y))
		return 29;
	return len[(m - 1) % 12];
}

/* Split a day count into 400-, 100-, 4- and 1-year cycles. In a cycle
 * counted from March the last member is one day longer (the last century
 * of 400 years, the last year of 4), hence the clamps. */
void rtc_civil_from_unix(int64_t secs, struct rtc_datetime *out)
{
	int64_t days = floor_div(secs, SECS_PER_DAY);
	int64_t sod = secs - days * SECS_PER_DAY;
	int64_t z = days + DAYS_0000_03_01_TO_EPOCH;
	int64_t era = floor_div(z, DAYS_PER_400Y);
	int64_t doe = z - era * DAYS_PER_400Y;
	int64_t century = MIN(doe / DAYS_PER_100Y, 3);
	int64_t doc = doe - century * DAYS_PER_100Y;
	int64_t quad = doc / DAYS_PER_4Y;
	int64_t doq = doc - quad * DAYS_PER_4Y;
	int64_t year = MIN(doq / DAYS_PER_YEAR, 3);
	int64_t doy = doq - year * DAYS_PER_YEAR;
	unsigned int mi = 11;

	while (mi > 0 && march_month_start[mi] > doy)
		mi--;
	out->year = era * 400 + century * 100 + quad * 4 + year + (mi >= 10);
	out->month = mi < 10 ? mi + 3 : mi - 9;
	out->mday = (unsigned int)(doy - march_month_start[mi]) + 1;
	out->hour = (unsigned int)(sod / 3600);
	out->min = (unsigned int)(sod / 60 % 60);
	out->sec = (unsigned int)(sod % 60);
	out->wday = (unsigned int)floor_mod(days + EPOCH_WEEKDAY, 7) + 1;
}

int64_t rtc_unix_from_civil(const struct rtc_datetime *t)
{
	unsigned int month = t->month >= 1 && t->month <= 12 ? t->month : 1;
	unsigned int mi = month >= 3 ? month - 3 : month + 9;
	int64_t year = t->year - (month <= 2);
	int64_t era = floor_div(year, 400);
	int64_t yoe = year - era * 400;
	int64_t doe = yoe * DAYS_PER_YEAR + yoe / 4 - yoe / 100 + march_month_start[mi] +
		      (int64_t)t->mday - 1;
	int64_t days = era * DAYS_PER_400Y + doe - DAYS_0000_03_01_TO_EPOCH;

	return days * SECS_PER_DAY + (int64_t)t->hour * 3600 + (int64_t)t->min * 60 + (int64_t)t->sec;
}
