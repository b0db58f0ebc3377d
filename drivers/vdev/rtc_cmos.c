/* SPDX-License-Identifier: BSD-2-Clause */
/* MC146818A RTC and CMOS RAM. References: Motorola MC146818A datasheet
 * (registers A-D, "Update Cycle", "Interrupts"), Dallas DS12887 datasheet
 * (SET clears UIE), and the IBM PC/AT CMOS layout for the NVRAM defaults. */
#include "drivers/vdev/rtc_cmos.h"

#include "core/log.h"
#include "drivers/vdev/isa_bytes.h"

#define NS_PER_SEC 1000000000ULL
#define RTC_TIMEBASE_HZ 32768ULL

#define FIELD_DONT_CARE (-1)
#define FIELD_INVALID 99 /* decodes to something no clock field can equal */

enum rtc_warning {
	RTC_WARN_BAD_TIME = 1u << 0,
	RTC_WARN_DIVIDER = 1u << 1,
};

static const char *owner_of(const struct rtc_cmos *r)
{
	return r->owner ? r->owner : "?";
}

static bool first_warning(struct rtc_cmos *r, unsigned int bit)
{
	if (r->warned & bit)
		return false;
	r->warned |= bit;
	return true;
}

/* ---- time base ---- */

static uint64_t clock_now(const struct rtc_cmos *r)
{
	return r->clock ? vclock_now(r->clock) : 0;
}

static uint64_t wall_at_zero(const struct rtc_cmos *r)
{
	return r->clock ? r->clock->wall_ns_at_zero : 0;
}

static uint64_t shifted_ns(const struct rtc_cmos *r, uint64_t now_ns)
{
	return wall_at_zero(r) + now_ns + r->phase_ns;
}

static int64_t running_sec(const struct rtc_cmos *r, uint64_t now_ns)
{
	return (int64_t)(shifted_ns(r, now_ns) / NS_PER_SEC) + r->offset_sec;
}

int64_t rtc_cmos_guest_time(const struct rtc_cmos *r, uint64_t now_ns)
{
	if (r->frozen)
		return rtc_unix_from_civil(&r->held);
	return running_sec(r, now_ns);
}

/* Start the clock at second secs, with the next update first_update_ns
 * from now (1 s after SET is cleared, 500 ms after the divider is
 * released: datasheet, "Divider Control"). */
static void start_clock(struct rtc_cmos *r, uint64_t now_ns, int64_t secs, uint64_t first_update_ns)
{
	uint64_t host = wall_at_zero(r) + now_ns;
	uint64_t target = NS_PER_SEC - first_update_ns;

	r->phase_ns = (target + NS_PER_SEC - host % NS_PER_SEC) % NS_PER_SEC;
	r->offset_sec = secs - (int64_t)(shifted_ns(r, now_ns) / NS_PER_SEC);
	r->last_sec = secs;
}

/* vclock time at which guest second secs begins (saturating). */
static uint64_t sec_to_vclock(const struct rtc_cmos *r, int64_t secs)
{
	int64_t host_secs = secs - r->offset_sec;
	uint64_t host, sub;

	if (host_secs < 0)
		return 0;
	if ((uint64_t)host_secs > UINT64_MAX / NS_PER_SEC)
		return VDEV_NO_DEADLINE;
	host = (uint64_t)host_secs * NS_PER_SEC;
	if (__builtin_add_overflow(wall_at_zero(r), r->phase_ns, &sub) || host <= sub)
		return 0;
	return host - sub;
}

static bool divider_running(const struct rtc_cmos *r)
{
	return (r->cmos[RTC_REG_A] & RTC_A_DV_RESET) != RTC_A_DV_RESET;
}

static bool wants_frozen(const struct rtc_cmos *r)
{
	return (r->cmos[RTC_REG_B] & RTC_B_SET) || !divider_running(r);
}

static void current_time(const struct rtc_cmos *r, uint64_t now_ns, struct rtc_datetime *t)
{
	if (r->frozen)
		*t = r->held;
	else
		rtc_civil_from_unix(running_sec(r, now_ns), t);
}

static bool uip(const struct rtc_cmos *r, uint64_t now_ns)
{
	if (r->frozen)
		return false;
	return shifted_ns(r, now_ns) % NS_PER_SEC >= NS_PER_SEC - RTC_UIP_NS;
}

/* ---- periodic interrupt (datasheet Table 5, 32.768 kHz time base) ---- */

static unsigned int periodic_shift(const struct rtc_cmos *r)
{
	unsigned int rs = r->cmos[RTC_REG_A] & RTC_A_RS_MASK;

	if (rs == 0)
		return 0;
	/* Rates 1 and 2 repeat rates 8 and 9 (256 and 128 Hz). */
	if (rs <= 2)
		rs += 7;
	return rs - 1; /* period = 2^(rs-1) time-base cycles */
}

static bool periodic_running(const struct rtc_cmos *r)
{
	return periodic_shift(r) && divider_running(r);
}

static uint64_t periodic_index(const struct rtc_cmos *r, uint64_t now_ns)
{
	uint64_t d = now_ns >= r->div_start_ns ? now_ns - r->div_start_ns : 0;
	uint64_t cycles = d / NS_PER_SEC * RTC_TIMEBASE_HZ +
			  d % NS_PER_SEC * RTC_TIMEBASE_HZ / NS_PER_SEC;
	return cycles >> periodic_shift(r);
}

static uint64_t periodic_edge_ns(const struct rtc_cmos *r, uint64_t index)
{
	unsigned int shift = periodic_shift(r);
	uint64_t cycles, frac, ns;

	if (index > (UINT64_MAX >> shift))
		return VDEV_NO_DEADLINE;
	cycles = index << shift;
	/* ceil(cycles * 1e9 / 32768), split to stay within 64 bits */
	frac = (cycles % RTC_TIMEBASE_HZ * NS_PER_SEC + RTC_TIMEBASE_HZ - 1) / RTC_TIMEBASE_HZ;
	if (__builtin_mul_overflow(cycles / RTC_TIMEBASE_HZ, NS_PER_SEC, &ns) ||
	    __builtin_add_overflow(ns, frac, &ns) || __builtin_add_overflow(ns, r->div_start_ns, &ns))
		return VDEV_NO_DEADLINE;
	return ns;
}

/* ---- field encoding (register B: DM and 24/12) ---- */

static bool binary_mode(const struct rtc_cmos *r)
{
	return r->cmos[RTC_REG_B] & RTC_B_DM_BINARY;
}

static uint8_t encode(const struct rtc_cmos *r, unsigned int v)
{
	v %= 100;
	return binary_mode(r) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static unsigned int decode(const struct rtc_cmos *r, uint8_t raw)
{
	return binary_mode(r) ? raw : (raw >> 4) * 10u + (raw & 0xF);
}

static uint8_t encode_hour(const struct rtc_cmos *r, unsigned int hour)
{
	unsigned int h12;

	if (r->cmos[RTC_REG_B] & RTC_B_24H)
		return encode(r, hour);
	h12 = hour % 12 ? hour % 12 : 12;
	return encode(r, h12) | (hour >= 12 ? RTC_HOUR_PM : 0);
}

/* 12-hour values are 1-12 with bit 7 for PM; anything else is invalid. */
static unsigned int decode_hour(const struct rtc_cmos *r, uint8_t raw)
{
	unsigned int h12;

	if (r->cmos[RTC_REG_B] & RTC_B_24H)
		return decode(r, raw);
	h12 = decode(r, raw & ~RTC_HOUR_PM);
	if (h12 == 0 || h12 > 12)
		return FIELD_INVALID;
	return h12 % 12 + (raw & RTC_HOUR_PM ? 12 : 0);
}

/* ---- alarm ---- */

struct alarm_pattern {
	int hour, min, sec; /* FIELD_DONT_CARE or the value to match */
};

static int alarm_field(const struct rtc_cmos *r, unsigned int idx)
{
	uint8_t raw = r->cmos[idx];

	if (raw >= RTC_ALARM_DONT_CARE)
		return FIELD_DONT_CARE;
	return idx == RTC_HOURS_ALARM ? (int)decode_hour(r, raw) : (int)decode(r, raw);
}

/* Smallest value >= from, below limit, that the pattern accepts; or -1. */
static int next_field(int pattern, int from, int limit)
{
	if (pattern == FIELD_DONT_CARE)
		return from < limit ? from : -1;
	return pattern >= from && pattern < limit ? pattern : -1;
}

/* First second of the day >= from (0-86399) that matches; or -1. */
static int64_t next_match_in_day(const struct alarm_pattern *a, int64_t from)
{
	int h0 = (int)(from / 3600), m0 = (int)(from / 60 % 60), s0 = (int)(from % 60);

	for (int h = next_field(a->hour, h0, 24); h >= 0; h = next_field(a->hour, h + 1, 24)) {
		int mfrom = h == h0 ? m0 : 0;
		for (int m = next_field(a->min, mfrom, 60); m >= 0;
		     m = next_field(a->min, m + 1, 60)) {
			int s = next_field(a->sec, h == h0 && m == m0 ? s0 : 0, 60);
			if (s >= 0)
				return h * 3600 + m * 60 + s;
		}
	}
	return -1;
}

#define RTC_NEVER INT64_MAX

/* The first guest second after `after` at which the alarm matches. The
 * pattern repeats daily, so today and tomorrow are enough. */
static int64_t next_alarm(const struct rtc_cmos *r, int64_t after)
{
	struct alarm_pattern a = {
		.hour = alarm_field(r, RTC_HOURS_ALARM),
		.min = alarm_field(r, RTC_MINUTES_ALARM),
		.sec = alarm_field(r, RTC_SECONDS_ALARM),
	};
	int64_t s = after + 1;
	int64_t day = floor_div(s, SECS_PER_DAY);
	int64_t tod = next_match_in_day(&a, s - day * SECS_PER_DAY);

	if (tod < 0) {
		day++;
		tod = next_match_in_day(&a, 0);
		if (tod < 0)
			return RTC_NEVER;
	}
	return day * SECS_PER_DAY + tod;
}

/* ---- interrupt flags ---- */

static bool irqf(const struct rtc_cmos *r)
{
	uint8_t b = r->cmos[RTC_REG_B];

	return ((r->flags & RTC_C_PF) && (b & RTC_B_PIE)) ||
	       ((r->flags & RTC_C_AF) && (b & RTC_B_AIE)) ||
	       ((r->flags & RTC_C_UF) && (b & RTC_B_UIE));
}

static void update_irq(struct rtc_cmos *r)
{
	bool level = irqf(r);

	if (level == r->irq_level)
		return;
	r->irq_level = level;
	irq_set(&r->irq, r->irq_line, level);
}

/* Account for the update cycles and periodic edges that happened up to
 * now_ns: each sets its flag in register C (datasheet "Interrupts"). */
static void sync(struct rtc_cmos *r, uint64_t now_ns)
{
	if (!r->frozen) {
		int64_t sec = running_sec(r, now_ns);
		if (sec > r->last_sec) {
			r->flags |= RTC_C_UF;
			if (next_alarm(r, r->last_sec) <= sec)
				r->flags |= RTC_C_AF;
			r->last_sec = sec;
		}
	}
	if (periodic_running(r)) {
		uint64_t k = periodic_index(r, now_ns);
		if (k > r->last_periodic) {
			r->flags |= RTC_C_PF;
			r->last_periodic = k;
		}
	}
	update_irq(r);
}

/* ---- clock setting ---- */

/* Out-of-range values a guest wrote are clamped to the nearest valid one. */
static void validate(struct rtc_cmos *r, struct rtc_datetime *t)
{
	struct rtc_datetime in = *t;

	if (t->year < 0)
		t->year = 0;
	t->month = MIN(MAX(t->month, 1u), 12u);
	t->mday = MIN(MAX(t->mday, 1u), civil_days_in_month(t->year, t->month));
	t->hour = MIN(t->hour, 23u);
	t->min = MIN(t->min, 59u);
	t->sec = MIN(t->sec, 59u);
	if ((in.year != t->year || in.month != t->month || in.mday != t->mday ||
	     in.hour != t->hour || in.min != t->min || in.sec != t->sec) &&
	    first_warning(r, RTC_WARN_BAD_TIME))
		pr_warn("[%s] rtc: guest set an invalid time %lld-%u-%u %u:%u:%u; clamped to "
			"%lld-%02u-%02u %02u:%02u:%02u",
			owner_of(r), (long long)in.year, in.month, in.mday, in.hour, in.min, in.sec,
			(long long)t->year, t->month, t->mday, t->hour, t->min, t->sec);
}

/* SET or a divider reset stops the update cycle: the registers hold the
 * time they show; clearing both restarts the clock from them. */
static void apply_freeze(struct rtc_cmos *r, uint64_t now_ns, bool divider_was_running)
{
	bool freeze = wants_frozen(r);

	if (freeze && !r->frozen) {
		current_time(r, now_ns, &r->held);
		r->frozen = true;
	} else if (!freeze && r->frozen) {
		validate(r, &r->held);
		r->frozen = false;
		start_clock(r, now_ns, rtc_unix_from_civil(&r->held),
			    divider_was_running ? NS_PER_SEC : NS_PER_SEC / 2);
	}
	if (!divider_was_running && divider_running(r))
		r->div_start_ns = now_ns;
}

static void set_field(struct rtc_cmos *r, struct rtc_datetime *t, unsigned int idx, uint8_t raw)
{
	unsigned int v = decode(r, raw);

	switch (idx) {
	case RTC_SECONDS:
		t->sec = v;
		break;
	case RTC_MINUTES:
		t->min = v;
		break;
	case RTC_HOURS:
		t->hour = decode_hour(r, raw);
		break;
	case RTC_DAY_OF_WEEK:
		t->wday = v;
		break;
	case RTC_DAY_OF_MONTH:
		t->mday = v;
		break;
	case RTC_MONTH:
		t->month = v;
		break;
	case RTC_YEAR:
		t->year = floor_div(t->year, 100) * 100 + MIN(v, 99u);
		break;
	case CMOS_CENTURY:
		t->year = (int64_t)v * 100 + floor_mod(t->year, 100);
		break;
	}
}

static void write_time(struct rtc_cmos *r, unsigned int idx, uint8_t raw, uint64_t now_ns)
{
	struct rtc_datetime t;
	int64_t before, after;

	if (r->frozen) {
		set_field(r, &r->held, idx, raw);
		return;
	}
	/* While running, the write takes effect at once; the phase of the
	 * second is kept. The weekday always follows the date here. */
	before = running_sec(r, now_ns);
	rtc_civil_from_unix(before, &t);
	set_field(r, &t, idx, raw);
	validate(r, &t);
	after = rtc_unix_from_civil(&t);
	r->offset_sec += after - before;
	r->last_sec = after;
}

static void write_reg_a(struct rtc_cmos *r, uint8_t val, uint64_t now_ns)
{
	bool divider_was_running = divider_running(r);
	uint8_t dv = val & RTC_A_DV_MASK;

	r->cmos[RTC_REG_A] = val & ~RTC_A_UIP;
	if (dv != RTC_A_DV_32KHZ && (dv & RTC_A_DV_RESET) != RTC_A_DV_RESET &&
	    first_warning(r, RTC_WARN_DIVIDER))
		pr_warn("[%s] rtc: divider select %#x is not the 32.768 kHz time base; the clock "
			"keeps real time",
			owner_of(r), dv);
	apply_freeze(r, now_ns, divider_was_running);
	if (periodic_running(r))
		r->last_periodic = periodic_index(r, now_ns);
}

static void write_reg_b(struct rtc_cmos *r, uint8_t val, uint64_t now_ns)
{
	/* Setting SET clears UIE (DS12887 datasheet, register B bit 4). */
	if (val & RTC_B_SET)
		val &= ~RTC_B_UIE;
	r->cmos[RTC_REG_B] = val;
	apply_freeze(r, now_ns, divider_running(r));
}

/* ---- port interface ---- */

static uint8_t read_time(const struct rtc_cmos *r, unsigned int idx, uint64_t now_ns)
{
	struct rtc_datetime t;

	current_time(r, now_ns, &t);
	switch (idx) {
	case RTC_SECONDS:
		return encode(r, t.sec);
	case RTC_MINUTES:
		return encode(r, t.min);
	case RTC_HOURS:
		return encode_hour(r, t.hour);
	case RTC_DAY_OF_WEEK:
		return encode(r, t.wday);
	case RTC_DAY_OF_MONTH:
		return encode(r, t.mday);
	case RTC_MONTH:
		return encode(r, t.month);
	case RTC_YEAR:
		return encode(r, (unsigned int)floor_mod(t.year, 100));
	default: /* CMOS_CENTURY */
		return encode(r, (unsigned int)floor_mod(floor_div(t.year, 100), 100));
	}
}

static bool is_time_register(unsigned int idx)
{
	switch (idx) {
	case RTC_SECONDS:
	case RTC_MINUTES:
	case RTC_HOURS:
	case RTC_DAY_OF_WEEK:
	case RTC_DAY_OF_MONTH:
	case RTC_MONTH:
	case RTC_YEAR:
	case CMOS_CENTURY:
		return true;
	default:
		return false;
	}
}

static uint8_t read_data(struct rtc_cmos *r)
{
	uint64_t now = clock_now(r);
	unsigned int idx = r->index;
	uint8_t val;

	if (is_time_register(idx))
		return read_time(r, idx, now);
	switch (idx) {
	case RTC_REG_A:
		return r->cmos[RTC_REG_A] | (uip(r, now) ? RTC_A_UIP : 0);
	case RTC_REG_C:
		/* Reading C clears every flag and releases IRQ8. */
		sync(r, now);
		val = r->flags | (irqf(r) ? RTC_C_IRQF : 0);
		r->flags = 0;
		update_irq(r);
		return val;
	case RTC_REG_D:
		return RTC_D_VRT;
	default:
		return r->cmos[idx];
	}
}

static void write_data(struct rtc_cmos *r, uint8_t val)
{
	uint64_t now = clock_now(r);
	unsigned int idx = r->index;

	/* Every change below is relative to the events up to now. */
	sync(r, now);
	if (is_time_register(idx))
		write_time(r, idx, val, now);
	else if (idx == RTC_REG_A)
		write_reg_a(r, val, now);
	else if (idx == RTC_REG_B)
		write_reg_b(r, val, now);
	else if (idx != RTC_REG_C && idx != RTC_REG_D) /* C and D are read-only */
		r->cmos[idx] = val;
	update_irq(r);
}

static uint8_t rtc_read_byte(void *dev, unsigned int off)
{
	struct rtc_cmos *r = dev;

	if (off == RTC_PORT_INDEX)
		return r->index | (r->nmi_disabled ? RTC_NMI_DISABLE : 0);
	return read_data(r);
}

static void rtc_write_byte(void *dev, unsigned int off, uint8_t val)
{
	struct rtc_cmos *r = dev;

	if (off == RTC_PORT_INDEX) {
		r->index = val & RTC_INDEX_MASK;
		r->nmi_disabled = val & RTC_NMI_DISABLE;
		return;
	}
	write_data(r, val);
}

int rtc_cmos_io_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val)
{
	return isa_read_bytes(dev, offset, size, val, RTC_NR_PORTS, rtc_read_byte);
}

int rtc_cmos_io_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	return isa_write_bytes(dev, offset, size, val, RTC_NR_PORTS, rtc_write_byte);
}

uint64_t rtc_cmos_next_deadline(const struct rtc_cmos *r)
{
	uint8_t b = r->cmos[RTC_REG_B];
	uint64_t next = VDEV_NO_DEADLINE;
	int64_t alarm;

	/* IRQ8 stays high until C is read; new events change nothing. */
	if (r->irq_level)
		return VDEV_NO_DEADLINE;
	if ((b & RTC_B_PIE) && periodic_running(r))
		next = MIN(next, periodic_edge_ns(r, r->last_periodic + 1));
	if (!r->frozen && (b & RTC_B_UIE))
		next = MIN(next, sec_to_vclock(r, r->last_sec + 1));
	if (!r->frozen && (b & RTC_B_AIE)) {
		alarm = next_alarm(r, r->last_sec);
		if (alarm != RTC_NEVER)
			next = MIN(next, sec_to_vclock(r, alarm));
	}
	return next;
}

void rtc_cmos_tick(struct rtc_cmos *r, uint64_t now_ns)
{
	sync(r, now_ns);
}

bool rtc_cmos_nmi_disabled(const struct rtc_cmos *r)
{
	return r->nmi_disabled;
}

static void put16(struct rtc_cmos *r, unsigned int lo, uint64_t v, uint64_t max)
{
	v = MIN(v, max);
	r->cmos[lo] = (uint8_t)v;
	r->cmos[lo + 1] = (uint8_t)(v >> 8);
}

static void update_checksum(struct rtc_cmos *r)
{
	uint16_t sum = 0;

	for (unsigned int i = CMOS_CHECKSUM_FIRST; i <= CMOS_CHECKSUM_LAST; i++)
		sum += r->cmos[i];
	r->cmos[CMOS_CHECKSUM_HI] = (uint8_t)(sum >> 8);
	r->cmos[CMOS_CHECKSUM_LO] = (uint8_t)sum;
}

void rtc_cmos_set_memory_size(struct rtc_cmos *r, uint64_t below_4g, uint64_t above_4g)
{
	uint64_t ext_kib = below_4g > MiB(1) ? (below_4g - MiB(1)) / KiB(1) : 0;
	uint64_t above_16m = below_4g > MiB(16) ? (below_4g - MiB(16)) / KiB(64) : 0;
	uint64_t high = MIN(above_4g / KiB(64), 0xFFFFFFULL);

	put16(r, CMOS_BASE_MEM_LO, MIN(below_4g, KiB(640)) / KiB(1), 0xFFFF);
	put16(r, CMOS_EXT_MEM_LO, ext_kib, 0xFFFF);
	put16(r, CMOS_EXT_MEM2_LO, ext_kib, 0xFFFF);
	put16(r, CMOS_MEM_ABOVE_16M_LO, above_16m, 0xFFFF);
	r->cmos[CMOS_MEM_ABOVE_4G_LO] = (uint8_t)high;
	r->cmos[CMOS_MEM_ABOVE_4G_MID] = (uint8_t)(high >> 8);
	r->cmos[CMOS_MEM_ABOVE_4G_HI] = (uint8_t)(high >> 16);
	update_checksum(r);
}

void rtc_cmos_init(struct rtc_cmos *r, const char *owner, const struct vclock *clock,
		   const struct irq_sink *irq, unsigned int irq_line)
{
	uint64_t now;

	*r = (struct rtc_cmos){ 0 };
	r->owner = owner;
	r->clock = clock;
	if (irq)
		r->irq = *irq;
	r->irq_line = irq_line;
	/* What a PC BIOS leaves: 32.768 kHz time base with 1024 Hz rate,
	 * BCD, 24-hour mode, battery good. */
	r->cmos[RTC_REG_A] = RTC_A_DV_32KHZ | 0x06;
	r->cmos[RTC_REG_B] = RTC_B_24H;
	r->cmos[CMOS_EQUIPMENT] = CMOS_EQUIPMENT_FPU;
	update_checksum(r);
	now = clock_now(r);
	r->last_sec = running_sec(r, now);
	r->last_periodic = periodic_index(r, now);
}

bool rtc_cmos_attach(struct rtc_cmos *r, struct iobus *bus)
{
	return iobus_add_pio(bus, RTC_BASE, RTC_NR_PORTS, rtc_cmos_io_read, rtc_cmos_io_write, r,
			     "rtc-cmos");
}
