/* SPDX-License-Identifier: BSD-2-Clause */
/* ChaCha20 block function against RFC 8439 known answers, and the DRBG
 * built on it: determinism, seed sensitivity, reseeding, key erasure. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/lib/drbg.h"

static void hex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned int v;
		cr_assert_eq(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* RFC 8439 §2.3.2: test vector for the ChaCha20 block function. */
Test(drbg, chacha20_block_rfc8439_2_3_2)
{
	uint8_t key[32], nonce[12], out[64], want[64];
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	hex("000000090000004a00000000", nonce, 12);
	hex("10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
	    "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e",
	    want, 64);
	chacha20_block(key, 1, nonce, out);
	cr_assert_arr_eq(out, want, 64);
}

/* RFC 8439 Appendix A.1, test vectors #1 and #2 (all-zero key and nonce). */
Test(drbg, chacha20_block_rfc8439_a1)
{
	uint8_t key[32] = { 0 }, nonce[12] = { 0 }, out[64], want[64];

	hex("76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
	    "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586",
	    want, 64);
	chacha20_block(key, 0, nonce, out);
	cr_assert_arr_eq(out, want, 64);
	hex("9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed"
	    "29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f",
	    want, 64);
	chacha20_block(key, 1, nonce, out);
	cr_assert_arr_eq(out, want, 64);
}

Test(drbg, deterministic_for_a_seed)
{
	struct drbg a, b;
	uint8_t x[100], y[100];

	drbg_init(&a, "seed", 4);
	drbg_init(&b, "seed", 4);
	cr_assert_eq(drbg_generate(&a, x, sizeof(x)), sizeof(x));
	drbg_generate(&b, y, sizeof(y));
	cr_assert_arr_eq(x, y, sizeof(x));
	/* Each request moves on. */
	drbg_generate(&a, y, sizeof(y));
	cr_assert(memcmp(x, y, sizeof(x)) != 0);
}

static void first_block(const void *seed, size_t len, uint8_t out[64])
{
	struct drbg d;
	drbg_init(&d, seed, len);
	drbg_generate(&d, out, 64);
}

Test(drbg, seed_sensitivity)
{
	uint8_t zeros[64] = { 0 }, twice[64];
	uint8_t o[6][64];

	memset(twice, 0xA5, sizeof(twice)); /* two equal 32-byte chunks */
	first_block("", 0, o[0]);
	first_block(zeros, 32, o[1]);
	first_block(zeros, 64, o[2]);
	first_block(twice, 64, o[3]);
	first_block("ab", 2, o[4]);
	first_block("ab\0", 3, o[5]);
	for (int i = 0; i < 6; i++)
		for (int j = i + 1; j < 6; j++)
			cr_assert(memcmp(o[i], o[j], 64) != 0, "seeds %d and %d collide", i, j);
}

Test(drbg, reseed_changes_the_stream)
{
	struct drbg a, b;
	uint8_t x[64], y[64];

	drbg_init(&a, "s", 1);
	drbg_init(&b, "s", 1);
	drbg_reseed(&b, "more", 4);
	drbg_generate(&a, x, 64);
	drbg_generate(&b, y, 64);
	cr_assert(memcmp(x, y, 64) != 0);
	cr_assert_eq(b.reseeds, 2);
	cr_assert(b.seeded);
}

Test(drbg, key_is_erased_after_each_request)
{
	struct drbg d;
	uint8_t before[32], out[16];

	drbg_init(&d, "k", 1);
	memcpy(before, d.key, 32);
	drbg_generate(&d, out, sizeof(out));
	cr_assert(memcmp(before, d.key, 32) != 0);
	memcpy(before, d.key, 32);
	drbg_generate(&d, out, 0);
	cr_assert(memcmp(before, d.key, 32) != 0, "even an empty request rekeys");
}

Test(drbg, long_requests_and_bit_balance)
{
	static uint8_t buf[65536 + 7];
	struct drbg d;
	unsigned long ones = 0;

	drbg_init(&d, "balance", 7);
	cr_assert_eq(drbg_fill(&d, buf, sizeof(buf)), sizeof(buf));
	cr_assert_geq(d.requests, sizeof(buf) / DRBG_REKEY_BYTES);
	/* No block repeats across rekeys. */
	cr_assert(memcmp(buf, buf + DRBG_REKEY_BYTES, 64) != 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		ones += __builtin_popcount(buf[i]);
	/* 524344 bits: expect within 1% of half. */
	cr_assert(ones > sizeof(buf) * 4 * 99 / 100 && ones < sizeof(buf) * 4 * 101 / 100,
		  "%lu ones", ones);
}
