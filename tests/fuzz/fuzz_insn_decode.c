/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz core/emul/insn.c: arbitrary bytes -> insn_decode() in each mode.
 * The buffer handed to the decoder is an exact-size heap copy, so ASan
 * reports any read past it (or past the 15-byte limit when it is longer).
 * Invariants checked: a decoded length never exceeds the input or 15, and
 * the decoded fields are in range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/emul/insn.h"
#include "core/vcpu.h"

#define CHECK(c)                          \
	do {                              \
		if (!(c))                 \
			__builtin_trap(); \
	} while (0)

static bool size_ok(unsigned int s)
{
	return s == 1 || s == 2 || s == 4 || s == 8;
}

static void check(const struct insn *in, size_t n)
{
	CHECK(in->len >= 1 && in->len <= INSN_MAX_LEN && in->len <= n);
	CHECK(size_ok(in->op_size));
	/* LGDT/LIDT read a pseudo-descriptor (2 + 4 or 2 + 8 bytes); every
	 * other memory operand is 1-8 bytes, at most the operation's width. */
	if (in->kind == INSN_KIND_DTABLE)
		CHECK(in->mem_size == (in->mode == INSN_MODE_64 ? 10 : 6));
	else
		CHECK(size_ok(in->mem_size) && in->mem_size <= in->op_size);
	CHECK(in->addr_size == 2 || in->addr_size == 4 || in->addr_size == 8);
	CHECK(in->base == INSN_REG_NONE || in->base < GPR_COUNT);
	CHECK(in->index == INSN_REG_NONE || in->index < GPR_COUNT);
	CHECK(size_ok(in->scale));
	CHECK(in->reg == INSN_REG_NONE || in->reg < GPR_COUNT);
	CHECK(!in->reg_high8 || in->reg < 4);
	CHECK(in->seg < SEG_LDTR);
	CHECK(in->kind != INSN_KIND_NONE);
	if (in->mode != INSN_MODE_64)
		CHECK(!in->rip_rel && in->rex == 0 && in->addr_size != 8);
	if (in->has_imm && in->op_size < 8)
		CHECK(in->imm < (1ULL << (8 * in->op_size)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum insn_mode modes[3] = { INSN_MODE_16, INSN_MODE_32, INSN_MODE_64 };

	if (size < 1)
		return 0;
	enum insn_mode mode = modes[data[0] % 3];
	size_t n = size - 1;
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, n);

	struct insn in;
	enum insn_status st = insn_decode(&in, buf, n, mode);
	CHECK(st <= INSN_UNSUPPORTED);
	if (st == INSN_OK) {
		check(&in, n);
		/* Decoding only the bytes it claimed gives the same result. */
		struct insn again;
		CHECK(insn_decode(&again, buf, in.len, mode) == INSN_OK);
		CHECK(again.len == in.len && again.kind == in.kind && again.imm == in.imm &&
		      again.disp == in.disp);
		/* One byte less is always truncated. */
		CHECK(insn_decode(&again, buf, in.len - 1, mode) == INSN_TRUNCATED);
	} else if (st == INSN_UNSUPPORTED) {
		CHECK(in.why != NULL);
	} else if (st == INSN_TOO_LONG) {
		CHECK(n >= INSN_MAX_LEN);
	}
	free(buf);
	return 0;
}
