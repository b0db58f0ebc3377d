/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/x86/cpu/tsc_calib.h"

#define PPM 1000000ULL

/* Counter ticks from `from` to `to`, one wrap at most (the caller reads
 * often enough: the PIT wraps every 55 ms, the 24-bit PM timer every 4.7 s). */
static uint64_t ticks_between(const struct tsc_calib_ref *r, uint64_t from, uint64_t to)
{
	return (r->counts_down ? from - to : to - from) & r->mask;
}

/* One point in time on both clocks: the counter read between two TSC reads,
 * the narrowest of TSC_CALIB_BRACKET_TRIES. */
struct point {
	uint64_t tsc;   /* middle of the bracket */
	uint64_t width; /* TSC cycles the counter read took */
	uint64_t count; /* counter value */
};

static struct point read_point(const struct tsc_calib *c, const struct tsc_calib_ref *r)
{
	struct point best = { 0, UINT64_MAX, 0 };
	for (unsigned int i = 0; i < TSC_CALIB_BRACKET_TRIES; i++) {
		uint64_t t0 = c->rdtsc(c->ctx);
		uint64_t v = r->read(r->ctx) & r->mask;
		uint64_t t1 = c->rdtsc(c->ctx);
		if (t1 - t0 < best.width)
			best = (struct point){ t0 + (t1 - t0) / 2, t1 - t0, v };
	}
	return best;
}

/* One measurement: TSC cycles per window of reference ticks. Returns false
 * if the counter stopped; *hz is 0 if the brackets were too wide. */
static bool measure_once(const struct tsc_calib *c, const struct tsc_calib_ref *r, uint64_t *hz)
{
	uint64_t window = r->hz * TSC_CALIB_WINDOW_US / PPM;
	struct point start = read_point(c, r);
	uint64_t prev = start.count, elapsed = 0, still = 0;

	while (elapsed < window) {
		uint64_t now = r->read(r->ctx) & r->mask;
		uint64_t d = ticks_between(r, prev, now);
		if (d == 0 && ++still >= TSC_CALIB_STUCK_READS)
			return false;
		if (d)
			still = 0;
		elapsed += d;
		prev = now;
	}
	struct point end = read_point(c, r);
	elapsed += ticks_between(r, prev, end.count);

	*hz = 0;
	uint64_t cycles = end.tsc - start.tsc;
	uint64_t blur = start.width + end.width;
	if (end.tsc <= start.tsc || !elapsed || cycles > UINT64_MAX / r->hz ||
	    cycles > UINT64_MAX / TSC_CALIB_MAX_BRACKET_PPM || blur > UINT64_MAX / PPM)
		return true;
	if (blur * PPM > cycles * TSC_CALIB_MAX_BRACKET_PPM)
		return true; /* delayed inside a read: this window's ends are blurred */
	*hz = cycles * r->hz / elapsed;
	return true;
}

static void sort(uint64_t *v, unsigned int n)
{
	for (unsigned int i = 1; i < n; i++)
		for (unsigned int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

struct tsc_calib_result tsc_calib_measure(const struct tsc_calib *c, const struct tsc_calib_ref *r)
{
	struct tsc_calib_result res = { TSC_CALIB_NOISY, 0, 0, 0 };
	uint64_t hz[TSC_CALIB_RUNS];

	if (!r->hz || !r->mask) {
		res.verdict = TSC_CALIB_IMPLAUSIBLE;
		return res;
	}
	for (unsigned int i = 0; i < TSC_CALIB_RUNS; i++) {
		uint64_t f;
		if (!measure_once(c, r, &f)) {
			res.verdict = TSC_CALIB_STUCK;
			return res;
		}
		if (f)
			hz[res.good++] = f;
	}
	if (res.good < TSC_CALIB_MIN_GOOD)
		return res;
	sort(hz, res.good);
	res.hz = hz[res.good / 2];
	res.spread_ppm = (uint32_t)((hz[res.good - 1] - hz[0]) / (res.hz / PPM ? res.hz / PPM : 1));
	if (res.hz < TSC_CALIB_MIN_HZ || res.hz > TSC_CALIB_MAX_HZ)
		res.verdict = TSC_CALIB_IMPLAUSIBLE;
	else if (res.spread_ppm > TSC_CALIB_MAX_SPREAD_PPM)
		res.verdict = TSC_CALIB_SCATTERED;
	else
		res.verdict = TSC_CALIB_OK;
	return res;
}

uint64_t tsc_calib_run(struct tsc_calib *c)
{
	c->chosen = -1;
	for (unsigned int i = 0; i < c->nr_refs && i < TSC_CALIB_MAX_REFS; i++) {
		c->result[i] = tsc_calib_measure(c, &c->ref[i]);
		if (c->chosen < 0 && c->result[i].verdict == TSC_CALIB_OK)
			c->chosen = (int)i;
	}
	return c->chosen < 0 ? 0 : c->result[c->chosen].hz;
}

const char *tsc_calib_verdict_name(enum tsc_calib_verdict v)
{
	switch (v) {
	case TSC_CALIB_OK:
		return "ok";
	case TSC_CALIB_STUCK:
		return "counter stopped";
	case TSC_CALIB_NOISY:
		return "too noisy";
	case TSC_CALIB_SCATTERED:
		return "results scattered";
	case TSC_CALIB_IMPLAUSIBLE:
		return "implausible";
	}
	return "?";
}
