/* SPDX-License-Identifier: BSD-2-Clause */
/* survivor: a well-behaved partition that computes, yields and checks that
 * nothing disturbed it, to show that another partition's triple fault (or
 * bad access) ends only that partition (the isolation-tf suite). */
#include "rt.h"

#define ROUNDS 20
#define SIEVE_LIMIT 20000
#define PRIMES_BELOW_20000 2262 /* pi(20000) */
#define PATTERN_WORDS 16384     /* 64 KiB */

static uint8_t composite[SIEVE_LIMIT];
static uint32_t pattern[PATTERN_WORDS];

static unsigned count_primes(void)
{
	unsigned n = 0;

	memset(composite, 0, sizeof(composite));
	for (unsigned i = 2; i < SIEVE_LIMIT; i++) {
		if (composite[i])
			continue;
		n++;
		for (unsigned j = i * 2; j < SIEVE_LIMIT; j += i)
			composite[j] = 1;
	}
	return n;
}

static uint32_t pattern_word(unsigned i)
{
	return (i * 2654435761u) ^ 0x5a5a5a5au; /* Knuth's multiplicative hash */
}

void guest_main(void)
{
	unsigned bad_count = 0, bad_yield = 0, bad_words = 0;
	unsigned long t0 = rt_hc_time_ns(), t1;

	for (unsigned i = 0; i < PATTERN_WORDS; i++)
		pattern[i] = pattern_word(i);
	for (unsigned round = 0; round < ROUNDS; round++) {
		long y;

		if (count_primes() != PRIMES_BELOW_20000)
			bad_count++;
		y = rt_hc_yield();
		if (y != 0)
			bad_yield++;
	}
	for (unsigned i = 0; i < PATTERN_WORDS; i++)
		if (pattern[i] != pattern_word(i))
			bad_words++;
	t1 = rt_hc_time_ns();
	rt_check("survivor_compute", !bad_count, "%u of %u rounds miscounted the primes", bad_count,
		 ROUNDS);
	rt_check("survivor_yield", !bad_yield, "%u of %u HC_YIELD calls did not return 0",
		 bad_yield, ROUNDS);
	rt_check("survivor_memory_intact", !bad_words, "%u of %u words changed", bad_words,
		 PATTERN_WORDS);
	rt_check("survivor_time_advances", (long)(t1 - t0) > 0, "HC_TIME_NS %lu then %lu", t0, t1);
}
