/* SPDX-License-Identifier: BSD-2-Clause */
/* The debug-register isolation test (issue 12; the isolation-cpu suite):
 * dr-writer.c and dr-reader.c, two partitions on the same host CPU, each
 * keeping values of its own in DR0-DR3 (SDM Vol. 3B §18.2.1) across
 * HC_YIELD. A value a partition reads back that it did not write itself
 * came from the other partition (or from the hypervisor).
 *
 * The values are canonical linear addresses (a non-canonical write to
 * DR0-DR3 in 64-bit mode is #GP) with a tag per partition in bits 47:32,
 * the register number in bits 31:28 and the round in bits 27:0. DR7 stays
 * at its reset value 0x400: no breakpoint is ever armed. */
#ifndef GUEST_DR_LEAK_H
#define GUEST_DR_LEAK_H

#include "rt.h"

#define DR_TAG_WRITER 0x3a11ull
#define DR_TAG_READER 0x5eedull
#define DR_TAG_SHIFT 32
#define DR_REG_SHIFT 28
#define DR_ROUND_MASK 0x0fffffffull
#define DR_REGS 4
#define DR_ROUNDS 1000

static inline uint64_t dr_value(uint64_t tag, unsigned reg, unsigned round)
{
	return (tag << DR_TAG_SHIFT) | ((uint64_t)reg << DR_REG_SHIFT) | (round & DR_ROUND_MASK);
}

static inline uint64_t dr_tag(uint64_t v)
{
	return v >> DR_TAG_SHIFT;
}

static inline void dr_read_all(uint64_t d[DR_REGS])
{
	asm volatile("mov %%db0, %0" : "=r"(d[0]));
	asm volatile("mov %%db1, %0" : "=r"(d[1]));
	asm volatile("mov %%db2, %0" : "=r"(d[2]));
	asm volatile("mov %%db3, %0" : "=r"(d[3]));
}

static inline void dr_write_all(uint64_t tag, unsigned round)
{
	asm volatile("mov %0, %%db0" : : "r"(dr_value(tag, 0, round)));
	asm volatile("mov %0, %%db1" : : "r"(dr_value(tag, 1, round)));
	asm volatile("mov %0, %%db2" : : "r"(dr_value(tag, 2, round)));
	asm volatile("mov %0, %%db3" : : "r"(dr_value(tag, 3, round)));
}

/* Counts the registers of d that differ from what the partition with tag
 * wrote in round (or from 0 when round < 0: it has written nothing yet);
 * foreign counts those that carry the other partition's tag. */
static inline unsigned dr_mismatches(const uint64_t d[DR_REGS], uint64_t tag, long round,
				     uint64_t other_tag, unsigned *foreign)
{
	unsigned bad = 0;

	for (unsigned r = 0; r < DR_REGS; r++) {
		uint64_t want = round < 0 ? 0 : dr_value(tag, r, (unsigned)round);
		if (d[r] != want) {
			bad++;
			if (dr_tag(d[r]) == other_tag)
				(*foreign)++;
		}
	}
	return bad;
}

#endif
