/* SPDX-License-Identifier: BSD-2-Clause */
/* A small deterministic random bit generator built on the ChaCha20 block
 * function (RFC 8439 §2.3), for when the CPU has no RDRAND/RDSEED or as a
 * stretcher of a few seed bytes.
 *
 * Construction ("fast key erasure"): output is the ChaCha20 keystream of a
 * 256-bit key; after every request, and after every DRBG_REKEY_BYTES of a
 * long one, the key is replaced by fresh keystream, so a later compromise of
 * the state does not reveal earlier output. Seeding and reseeding XOR the
 * seed into the key and then pass the key through the block function, so
 * any amount of seed material counts and reseeding never loses entropy
 * already present. Pure code; no global state. */
#ifndef BULKHEAD_CORE_LIB_DRBG_H
#define BULKHEAD_CORE_LIB_DRBG_H

#include "core/types.h"

#define CHACHA20_KEY_BYTES 32
#define CHACHA20_NONCE_BYTES 12
#define CHACHA20_BLOCK_BYTES 64
/* Keystream produced under one key before it is replaced. */
#define DRBG_REKEY_BYTES 4096

/* RFC 8439 §2.3: the 64-byte block for key, 32-bit block counter and
 * 96-bit nonce (all little-endian byte strings as in the RFC). */
void chacha20_block(const uint8_t key[CHACHA20_KEY_BYTES], uint32_t counter,
		    const uint8_t nonce[CHACHA20_NONCE_BYTES], uint8_t out[CHACHA20_BLOCK_BYTES]);

struct drbg {
	uint8_t key[CHACHA20_KEY_BYTES];
	uint64_t reseeds;  /* seed/reseed calls; separates their inputs */
	uint64_t requests; /* generate calls, the per-key nonce */
	bool seeded;
};

/* Starts from a zero key and mixes seed in (len may be 0, e.g. in tests;
 * the output is then predictable). */
void drbg_init(struct drbg *d, const void *seed, size_t len);

/* Mixes more seed material into the key. */
void drbg_reseed(struct drbg *d, const void *seed, size_t len);

/* Fills out with len bytes and rekeys. Returns len. */
size_t drbg_generate(struct drbg *d, void *out, size_t len);

/* The same with the signature of an entropy callback (ctx is the struct
 * drbg), e.g. for virtio_rng_init. */
size_t drbg_fill(void *ctx, void *buf, size_t len);

#endif
