/* SPDX-License-Identifier: BSD-2-Clause */
/* ChaCha20 block function (RFC 8439 §2.1-2.3) and a fast-key-erasure DRBG
 * on top of it; see drbg.h. */
#include "core/lib/drbg.h"
#include "core/lib/string.h"

#define CHACHA20_STATE_WORDS 16
#define CHACHA20_DOUBLE_ROUNDS 10
/* RFC 8439 §2.3: "expand 32-byte k" as four little-endian words. */
#define CHACHA20_CONST0 0x61707865u
#define CHACHA20_CONST1 0x3320646eu
#define CHACHA20_CONST2 0x79622d32u
#define CHACHA20_CONST3 0x6b206574u
/* Last nonce word: which use of the key a block belongs to. */
#define DRBG_DOMAIN_SEED 1u
#define DRBG_DOMAIN_GENERATE 2u

static uint32_t rotl32(uint32_t v, unsigned int n)
{
	return (v << n) | (v >> (32 - n));
}

static uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void store_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* RFC 8439 §2.1. */
static void quarter_round(uint32_t *x, int a, int b, int c, int d)
{
	x[a] += x[b];
	x[d] ^= x[a];
	x[d] = rotl32(x[d], 16);
	x[c] += x[d];
	x[b] ^= x[c];
	x[b] = rotl32(x[b], 12);
	x[a] += x[b];
	x[d] ^= x[a];
	x[d] = rotl32(x[d], 8);
	x[c] += x[d];
	x[b] ^= x[c];
	x[b] = rotl32(x[b], 7);
}

/* Clearing that the compiler may not drop as a dead store. */
static void wipe(void *p, size_t len)
{
	volatile uint8_t *b = p;
	while (len--)
		*b++ = 0;
}

void chacha20_block(const uint8_t key[CHACHA20_KEY_BYTES], uint32_t counter,
		    const uint8_t nonce[CHACHA20_NONCE_BYTES], uint8_t out[CHACHA20_BLOCK_BYTES])
{
	uint32_t s[CHACHA20_STATE_WORDS], x[CHACHA20_STATE_WORDS];

	s[0] = CHACHA20_CONST0;
	s[1] = CHACHA20_CONST1;
	s[2] = CHACHA20_CONST2;
	s[3] = CHACHA20_CONST3;
	for (int i = 0; i < 8; i++)
		s[4 + i] = load_le32(key + 4 * i);
	s[12] = counter;
	for (int i = 0; i < 3; i++)
		s[13 + i] = load_le32(nonce + 4 * i);

	bh_memcpy(x, s, sizeof(x));
	/* §2.3: column rounds then diagonal rounds, ten times. */
	for (int i = 0; i < CHACHA20_DOUBLE_ROUNDS; i++) {
		quarter_round(x, 0, 4, 8, 12);
		quarter_round(x, 1, 5, 9, 13);
		quarter_round(x, 2, 6, 10, 14);
		quarter_round(x, 3, 7, 11, 15);
		quarter_round(x, 0, 5, 10, 15);
		quarter_round(x, 1, 6, 11, 12);
		quarter_round(x, 2, 7, 8, 13);
		quarter_round(x, 3, 4, 9, 14);
	}
	for (int i = 0; i < CHACHA20_STATE_WORDS; i++)
		store_le32(out + 4 * i, x[i] + s[i]);
	wipe(x, sizeof(x));
	wipe(s, sizeof(s));
}

static void make_nonce(uint8_t nonce[CHACHA20_NONCE_BYTES], uint64_t seq, uint32_t domain)
{
	store_le32(nonce, (uint32_t)seq);
	store_le32(nonce + 4, (uint32_t)(seq >> 32));
	store_le32(nonce + 8, domain);
}

/* Each 32-byte chunk is XORed into the key, which is then replaced by
 * keystream under itself: equal chunks do not cancel, order matters. */
void drbg_reseed(struct drbg *d, const void *seed, size_t len)
{
	const uint8_t *in = seed;
	uint8_t nonce[CHACHA20_NONCE_BYTES], block[CHACHA20_BLOCK_BYTES];
	uint32_t chunk = 0;

	make_nonce(nonce, d->reseeds++, DRBG_DOMAIN_SEED);
	do {
		size_t n = MIN(len, (size_t)CHACHA20_KEY_BYTES);
		for (size_t i = 0; i < n; i++)
			d->key[i] ^= in[i];
		/* The length goes into the counter so "ab" and "ab\0" differ. */
		chacha20_block(d->key, chunk++ ^ (uint32_t)n << 24, nonce, block);
		bh_memcpy(d->key, block, CHACHA20_KEY_BYTES);
		in += n;
		len -= n;
	} while (len);
	d->seeded = true;
	wipe(block, sizeof(block));
}

void drbg_init(struct drbg *d, const void *seed, size_t len)
{
	bh_memset(d, 0, sizeof(*d));
	drbg_reseed(d, seed, len);
}

/* Up to DRBG_REKEY_BYTES under the current key, then a new key. */
static size_t generate_chunk(struct drbg *d, uint8_t *out, size_t len)
{
	uint8_t nonce[CHACHA20_NONCE_BYTES], block[CHACHA20_BLOCK_BYTES];
	uint32_t counter = 0;
	size_t done = 0;

	len = MIN(len, (size_t)DRBG_REKEY_BYTES);
	make_nonce(nonce, d->requests++, DRBG_DOMAIN_GENERATE);
	while (done < len) {
		size_t n = MIN(len - done, (size_t)CHACHA20_BLOCK_BYTES);
		chacha20_block(d->key, counter++, nonce, block);
		bh_memcpy(out + done, block, n);
		done += n;
	}
	/* Fast key erasure: the next block becomes the key. */
	chacha20_block(d->key, counter, nonce, block);
	bh_memcpy(d->key, block, CHACHA20_KEY_BYTES);
	wipe(block, sizeof(block));
	return done;
}

size_t drbg_generate(struct drbg *d, void *out, size_t len)
{
	size_t done = 0;

	do
		done += generate_chunk(d, (uint8_t *)out + done, len - done);
	while (done < len);
	return len;
}

size_t drbg_fill(void *ctx, void *buf, size_t len)
{
	return drbg_generate(ctx, buf, len);
}
