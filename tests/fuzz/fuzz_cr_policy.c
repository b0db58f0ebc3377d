/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz core/cr_policy.c, the control-register policy both backends use,
 * with arbitrary guest registers, limits and accesses. Invariants: a
 * refused or unhandled access changes nothing; an accepted one changes
 * only the register it names (and EFER.LMA for CR0), never sets a CR4 bit
 * outside the limits, leaves CR0 and CR8 within their architectural bits
 * and never yields CR0.PG without CR0.PE or CR0.NW without CR0.CD; LMSW
 * never clears PE; every verdict has a reason. */
#include <stdint.h>
#include <string.h>

#include "arch/x86/cpu/ctlregs.h"
#include "core/cr_policy.h"

#define CHECK(c)                          \
	do {                              \
		if (!(c))                 \
			__builtin_trap(); \
	} while (0)

struct input {
	struct cr_regs cur;
	uint64_t cr4_allowed;
	uint8_t phys_bits;
	uint8_t cr;
	uint8_t op;
	uint8_t long_mode;
	uint64_t src;
};

static void check_changes(const struct cr_regs *cur, const struct cr_regs *next, uint8_t cr)
{
	CHECK(cr == 0 || next->cr0 == cur->cr0);
	CHECK(cr == 3 || next->cr3 == cur->cr3);
	CHECK(cr == 4 || next->cr4 == cur->cr4);
	CHECK(cr == 8 || next->cr8 == cur->cr8);
	CHECK((next->efer & ~EFER_LMA) == (cur->efer & ~EFER_LMA));
	CHECK(cr == 0 || next->efer == cur->efer);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in;

	if (size < sizeof(in))
		return 0;
	memcpy(&in, data, sizeof(in));
	const struct cr_limits lim = { .cr4_allowed = in.cr4_allowed, .phys_bits = in.phys_bits };
	const struct cr_access a = {
		.cr = (uint8_t)(in.cr % 16),
		.op = (enum cr_op)(in.op % 5), /* 4 is not an op: must be unhandled */
		.src = in.src,
		.long_mode = in.long_mode & 1,
	};
	struct cr_result r = cr_apply(&lim, &in.cur, &a);

	CHECK(cr_verdict_reason(r.verdict)[0] != '?');
	if (r.verdict != CR_OK) {
		CHECK(memcmp(&r.regs, &in.cur, sizeof(in.cur)) == 0);
		return 0;
	}
	CHECK(a.op <= CR_OP_LMSW);
	if (a.op == CR_OP_MOV_FROM) {
		CHECK(memcmp(&r.regs, &in.cur, sizeof(in.cur)) == 0);
		return 0;
	}
	check_changes(&in.cur, &r.regs, a.cr);
	switch (a.cr) {
	case 0:
		CHECK(!(r.regs.cr0 & CR0_RESERVED_HIGH));
		CHECK(!(r.regs.cr0 & CR0_PG) || (r.regs.cr0 & CR0_PE));
		CHECK(!(r.regs.cr0 & CR0_NW) || (r.regs.cr0 & CR0_CD));
		if (a.op == CR_OP_LMSW)
			CHECK(!(in.cur.cr0 & CR0_PE) || (r.regs.cr0 & CR0_PE));
		if (a.op == CR_OP_CLTS)
			CHECK(r.regs.cr0 == (in.cur.cr0 & ~CR0_TS));
		break;
	case 4:
		CHECK(!(r.regs.cr4 & ~lim.cr4_allowed));
		CHECK(!(in.cur.efer & EFER_LMA) || (r.regs.cr4 & CR4_PAE));
		break;
	case 8:
		CHECK(r.regs.cr8 <= CR8_MAX);
		break;
	case 3:
		break;
	default:
		CHECK(0); /* only CR0, CR3, CR4 and CR8 are ever written */
	}
	return 0;
}
