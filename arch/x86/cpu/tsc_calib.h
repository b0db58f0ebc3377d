/* SPDX-License-Identifier: BSD-2-Clause */
/* Measuring the TSC's frequency against the machine's other clocks.
 *
 * Each reference is a free-running counter of known frequency (HPET, ACPI
 * PM timer, PIT channel 2). A measurement reads the TSC on both sides of a
 * counter read at the start and at the end of a window and divides: since
 * both are counters, a CPU taken away in the middle of the window (an SMI,
 * an emulator's thread descheduled on a busy host) changes nothing; only a
 * delay inside one of the short start or end reads does, and that shows as
 * a wide TSC bracket, which is retried or the measurement rejected. Several
 * measurements per reference; the median of the good ones. A reference
 * whose counter does not move (a gated PIT) or whose results scatter is
 * dropped, and the first good one in the caller's order is used.
 *
 * Pure code: the TSC and the counters are reached through function
 * pointers, so host unit tests drive it with simulated clocks. */
#ifndef BULKHEAD_ARCH_X86_CPU_TSC_CALIB_H
#define BULKHEAD_ARCH_X86_CPU_TSC_CALIB_H

#include "core/types.h"

#define TSC_CALIB_MAX_REFS 4
#define TSC_CALIB_RUNS 5          /* measurements per reference */
#define TSC_CALIB_MIN_GOOD 3      /* of which at least this many must be good */
#define TSC_CALIB_WINDOW_US 10000 /* one measurement's length in reference time */
#define TSC_CALIB_BRACKET_TRIES 8 /* reads of a start or end point, narrowest kept */
/* A measurement is good when its two brackets are narrower than this many
 * parts per million of the window (at 10 ms: 10 us in all). */
#define TSC_CALIB_MAX_BRACKET_PPM 1000
/* Good measurements of one reference must agree within this (ppm). */
#define TSC_CALIB_MAX_SPREAD_PPM 2000
/* A counter that has not moved after this many reads is stopped. */
#define TSC_CALIB_STUCK_READS 100000
/* Frequencies outside this band are not a TSC. The low end admits
 * emulators: Bochs' TSC ticks once per emulated instruction (ips=50M). */
#define TSC_CALIB_MIN_HZ 10000000ULL    /* 10 MHz */
#define TSC_CALIB_MAX_HZ 20000000000ULL /* 20 GHz */

struct tsc_calib_ref {
	const char *name; /* for the log: "HPET", "ACPI PM timer", "PIT" */
	uint64_t hz;      /* counter ticks per second */
	uint64_t mask;    /* counter width: 0xffffff for a 24-bit PM timer */
	bool counts_down; /* the PIT counts down */
	uint64_t (*read)(void *ctx);
	void *ctx;
};

enum tsc_calib_verdict {
	TSC_CALIB_OK,
	TSC_CALIB_STUCK,       /* the counter did not move */
	TSC_CALIB_NOISY,       /* too few good measurements */
	TSC_CALIB_SCATTERED,   /* good measurements disagree */
	TSC_CALIB_IMPLAUSIBLE, /* outside TSC_CALIB_MIN_HZ..MAX_HZ */
};

struct tsc_calib_result {
	enum tsc_calib_verdict verdict;
	uint64_t hz;         /* median of the good measurements */
	unsigned int good;   /* measurements kept */
	uint32_t spread_ppm; /* (max - min) / median of those */
};

struct tsc_calib {
	uint64_t (*rdtsc)(void *ctx);
	void *ctx;
	struct tsc_calib_ref ref[TSC_CALIB_MAX_REFS];
	unsigned int nr_refs;
	struct tsc_calib_result result[TSC_CALIB_MAX_REFS];
	int chosen; /* index into ref[], -1: none was good */
};

/* Measure against every reference (in order of preference) and choose the
 * first good one. Returns its frequency, 0 if none was good. */
uint64_t tsc_calib_run(struct tsc_calib *c);

/* One reference alone (what tsc_calib_run does for each). */
struct tsc_calib_result tsc_calib_measure(const struct tsc_calib *c, const struct tsc_calib_ref *r);

const char *tsc_calib_verdict_name(enum tsc_calib_verdict v);

#endif
