/* SPDX-License-Identifier: BSD-2-Clause */
/* Strict x86 decoder for MMIO-touching instructions (see insn.h).
 * Encodings: Intel SDM Vol. 2A chapter 2 (prefixes, ModRM, SIB, REX) and the
 * opcode maps of Vol. 2D Appendix A. */
#include "core/emul/insn.h"
#include "core/vcpu.h"

/* Legacy prefixes (SDM Vol. 2A §2.1.1). */
#define PFX_LOCK 0xf0
#define PFX_REPNE 0xf2
#define PFX_REP 0xf3
#define PFX_CS 0x2e
#define PFX_SS 0x36
#define PFX_DS 0x3e
#define PFX_ES 0x26
#define PFX_FS 0x64
#define PFX_GS 0x65
#define PFX_OPSIZE 0x66
#define PFX_ADDRSIZE 0x67

/* REX (SDM Vol. 2A §2.2.1.2). */
#define REX_MASK 0xf0
#define REX_BASE 0x40
#define REX_W 0x08
#define REX_R 0x04
#define REX_X 0x02
#define REX_B 0x01

#define ESCAPE_0F 0x0f

/* One-byte opcodes. */
#define OP_ALU_LAST 0x3b /* 00-3B: ALU r/m forms where (op & 7) < 4 */
#define OP_MOVSXD 0x63
#define OP_GRP1_EB_IB 0x80
#define OP_GRP1_EV_IZ 0x81
#define OP_GRP1_82 0x82 /* 80 alias, #UD in 64-bit mode: refused */
#define OP_GRP1_EV_IB 0x83
#define OP_TEST_EB_GB 0x84
#define OP_TEST_EV_GV 0x85
#define OP_XCHG_EB_GB 0x86
#define OP_XCHG_EV_GV 0x87
#define OP_MOV_EB_GB 0x88
#define OP_MOV_EV_GV 0x89
#define OP_MOV_GB_EB 0x8a
#define OP_MOV_GV_EV 0x8b
#define OP_MOV_AL_MOFFS 0xa0
#define OP_MOV_AX_MOFFS 0xa1
#define OP_MOV_MOFFS_AL 0xa2
#define OP_MOV_MOFFS_AX 0xa3
#define OP_MOVSB 0xa4
#define OP_MOVSV 0xa5
#define OP_STOSB 0xaa
#define OP_STOSV 0xab
#define OP_LODSB 0xac
#define OP_LODSV 0xad
#define OP_MOV_EB_IB 0xc6
#define OP_MOV_EV_IZ 0xc7
#define OP_GRP3_EB 0xf6
#define OP_GRP3_EV 0xf7

/* Exiting instructions decoded for their length (INSN_KIND_SYSTEM). */
#define OP_INSB 0x6c
#define OP_OUTSV 0x6f
#define OP_NOP_PAUSE 0x90 /* PAUSE is F3 90 */
#define OP_IN_AL_IB 0xe4
#define OP_OUT_IB_AX 0xe7
#define OP_IN_AL_DX 0xec
#define OP_OUT_DX_AX 0xef
#define OP_HLT 0xf4
#define OP2_GRP7 0x01
#define OP2_CLTS 0x06
#define OP2_INVD 0x08
#define OP2_WBINVD 0x09
#define OP2_MOV_R_CR 0x20
#define OP2_MOV_CR_R 0x22
#define OP2_WRMSR 0x30
#define OP2_RDTSC 0x31
#define OP2_RDMSR 0x32
#define OP2_RDPMC 0x33
#define OP2_CPUID 0xa2
/* 0F 01 with a register ModRM (SDM Vol. 2D Table A-6, group 7). */
#define GRP7_VMCALL 0xc1
#define GRP7_MONITOR 0xc8
#define GRP7_MWAIT 0xc9
#define GRP7_XSETBV 0xd1
#define GRP7_VMMCALL 0xd9
#define GRP7_RDTSCP 0xf9
#define GRP7_INVLPG 7
#define GRP7_LGDT 2
#define GRP7_LIDT 3
#define GRP7_LMSW 6
#define LMSW_OPERAND 2 /* LMSW r/m16: a word, whatever the operand size */
/* LGDT/LIDT pseudo-descriptor: a 16-bit limit, then a 32-bit base (64-bit
 * in 64-bit mode) (SDM Vol. 2A LGDT/LIDT). */
#define DTABLE_OPERAND_32 6
#define DTABLE_OPERAND_64 10

/* Two-byte opcodes (after 0F). */
#define OP2_BT_EV_GV 0xa3
#define OP2_GRP8_EV_IB 0xba
#define OP2_MOVZX_GV_EB 0xb6
#define OP2_MOVZX_GV_EW 0xb7
#define OP2_MOVSX_GV_EB 0xbe
#define OP2_MOVSX_GV_EW 0xbf

/* ModRM /digit values used. */
#define GRP3_TEST 0
#define GRP8_BT 4
#define GRP11_MOV 0

#define MODRM_MOD(m) ((m) >> 6)
#define MODRM_REG(m) (((m) >> 3) & 7)
#define MODRM_RM(m) ((m)&7)
#define MOD_REG 3
#define RM_SIB 4
#define RM_DISP32 5
#define SIB_NO_INDEX 4
#define SIB_BASE_DISP32 5
#define RM16_DISP16 6

struct cursor {
	const uint8_t *buf;
	size_t avail;
	size_t pos;
	enum insn_status err;
	bool repe; /* F3 seen: PAUSE is F3 90 */
};

static bool next_byte(struct cursor *c, uint8_t *b)
{
	if (c->pos >= INSN_MAX_LEN) {
		c->err = INSN_TOO_LONG;
		return false;
	}
	if (c->pos >= c->avail) {
		c->err = INSN_TRUNCATED;
		return false;
	}
	*b = c->buf[c->pos++];
	return true;
}

/* Little-endian immediate/displacement of n bytes, zero-extended. */
static bool next_le(struct cursor *c, unsigned int n, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned int i = 0; i < n; i++) {
		uint8_t b;
		if (!next_byte(c, &b))
			return false;
		x |= (uint64_t)b << (8 * i);
	}
	*v = x;
	return true;
}

static int64_t sign_extend(uint64_t v, unsigned int bytes)
{
	unsigned int shift = 64 - 8 * bytes;
	return (int64_t)(v << shift) >> shift;
}

static uint64_t size_mask(unsigned int bytes)
{
	return bytes >= 8 ? ~0ULL : BIT(8 * bytes) - 1;
}

static enum insn_status unsupported(struct insn *in, const char *why)
{
	in->why = why;
	return INSN_UNSUPPORTED;
}

static uint8_t operand_size(const struct insn *in)
{
	if (in->mode == INSN_MODE_64) {
		if (in->rex & REX_W)
			return 8;
		return in->opsize_prefix ? 2 : 4;
	}
	if (in->mode == INSN_MODE_32)
		return in->opsize_prefix ? 2 : 4;
	return in->opsize_prefix ? 4 : 2;
}

static uint8_t address_size(const struct insn *in)
{
	if (in->mode == INSN_MODE_64)
		return in->addrsize_prefix ? 4 : 8;
	if (in->mode == INSN_MODE_32)
		return in->addrsize_prefix ? 2 : 4;
	return in->addrsize_prefix ? 4 : 2;
}

/* Register operand from a ModRM reg field (or an implicit rAX). Without a
 * REX prefix, byte registers 4-7 are AH, CH, DH, BH (SDM Vol. 2A §3.4.1.1). */
static void set_reg(struct insn *in, uint8_t num, bool byte)
{
	in->reg = num;
	in->reg_high8 = false;
	if (byte && !in->rex && num >= 4 && num < 8) {
		in->reg = num - 4;
		in->reg_high8 = true;
	}
}

static void default_seg(struct insn *in, enum seg s)
{
	if (!in->seg_override)
		in->seg = s;
}

/* 16-bit addressing forms (SDM Vol. 2A Table 2-1). */
static bool modrm16(struct cursor *c, struct insn *in, uint8_t mod, uint8_t rm)
{
	static const uint8_t base16[8] = { GPR_RBX,       GPR_RBX,       GPR_RBP, GPR_RBP,
					   INSN_REG_NONE, INSN_REG_NONE, GPR_RBP, GPR_RBX };
	static const uint8_t index16[8] = { GPR_RSI, GPR_RDI, GPR_RSI,       GPR_RDI,
					    GPR_RSI, GPR_RDI, INSN_REG_NONE, INSN_REG_NONE };
	uint64_t d = 0;

	in->base = base16[rm];
	in->index = index16[rm];
	if (mod == 0 && rm == RM16_DISP16) {
		in->base = INSN_REG_NONE;
		if (!next_le(c, 2, &d))
			return false;
		in->disp = sign_extend(d, 2);
	} else if (mod == 1 || mod == 2) {
		unsigned int n = mod == 1 ? 1 : 2;
		if (!next_le(c, n, &d))
			return false;
		in->disp = sign_extend(d, n);
	}
	default_seg(in, in->base == GPR_RBP ? SEG_SS : SEG_DS);
	return true;
}

/* 32/64-bit addressing forms (SDM Vol. 2A Tables 2-2, 2-3, 2-5). */
static bool modrm32(struct cursor *c, struct insn *in, uint8_t mod, uint8_t rm)
{
	uint64_t d = 0;

	if (rm == RM_SIB) {
		uint8_t sib;
		if (!next_byte(c, &sib))
			return false;
		uint8_t idx = MODRM_REG(sib) | ((in->rex & REX_X) ? 8 : 0);
		in->scale = 1 << MODRM_MOD(sib);
		in->index = idx == SIB_NO_INDEX ? INSN_REG_NONE : idx;
		if (MODRM_RM(sib) == SIB_BASE_DISP32 && mod == 0) {
			in->base = INSN_REG_NONE;
			mod = 2; /* disp32 follows */
		} else {
			in->base = MODRM_RM(sib) | ((in->rex & REX_B) ? 8 : 0);
		}
	} else if (rm == RM_DISP32 && mod == 0) {
		in->base = INSN_REG_NONE;
		in->rip_rel = in->mode == INSN_MODE_64;
		mod = 2;
	} else {
		in->base = rm | ((in->rex & REX_B) ? 8 : 0);
	}
	if (mod == 1 || mod == 2) {
		unsigned int n = mod == 1 ? 1 : 4;
		if (!next_le(c, n, &d))
			return false;
		in->disp = sign_extend(d, n);
	}
	default_seg(in, (in->base == GPR_RSP || in->base == GPR_RBP) ? SEG_SS : SEG_DS);
	return true;
}

/* Parses ModRM and what follows it; *digit gets the raw reg field (an opcode
 * extension or the low bits of a register number). */
static enum insn_status modrm(struct cursor *c, struct insn *in, uint8_t *digit)
{
	uint8_t m;

	if (!next_byte(c, &m))
		return c->err;
	in->has_modrm = true;
	in->modrm = m;
	*digit = MODRM_REG(m);
	if (MODRM_MOD(m) == MOD_REG)
		return unsupported(in, "register operand (no memory access)");
	bool ok = in->addr_size == 2 ? modrm16(c, in, MODRM_MOD(m), MODRM_RM(m))
				     : modrm32(c, in, MODRM_MOD(m), MODRM_RM(m));
	return ok ? INSN_OK : c->err;
}

/* ModRM whose reg field names a general register. */
static enum insn_status modrm_reg(struct cursor *c, struct insn *in, bool byte)
{
	uint8_t digit;
	enum insn_status st = modrm(c, in, &digit);

	if (st != INSN_OK)
		return st;
	set_reg(in, digit | ((in->rex & REX_R) ? 8 : 0), byte);
	return INSN_OK;
}

/* Immediate of n bytes, sign-extended to op_size (SDM Vol. 2A §2.2.1.5). */
static enum insn_status immediate(struct cursor *c, struct insn *in, unsigned int n)
{
	uint64_t v;

	if (!next_le(c, n, &v))
		return c->err;
	in->has_imm = true;
	in->imm = (uint64_t)sign_extend(v, n) & size_mask(in->op_size);
	return INSN_OK;
}

/* Iz: 16 bits for a 16-bit operand, else 32 (sign-extended to 64). */
static unsigned int imm_z(const struct insn *in)
{
	return in->op_size == 2 ? 2 : 4;
}

static enum insn_status decode_alu(struct cursor *c, struct insn *in, uint8_t op)
{
	bool byte = !(op & 1);

	in->kind = INSN_KIND_ALU;
	in->alu = (enum insn_alu)(op >> 3);
	in->mem_first = !(op & 2);
	in->op_size = byte ? 1 : operand_size(in);
	in->mem_size = in->op_size;
	return modrm_reg(c, in, byte);
}

static enum insn_status decode_group1(struct cursor *c, struct insn *in, uint8_t op)
{
	uint8_t digit;
	enum insn_status st;

	in->kind = INSN_KIND_ALU;
	in->mem_first = true;
	in->op_size = op == OP_GRP1_EB_IB ? 1 : operand_size(in);
	in->mem_size = in->op_size;
	st = modrm(c, in, &digit);
	if (st != INSN_OK)
		return st;
	in->alu = (enum insn_alu)digit;
	return immediate(c, in, op == OP_GRP1_EV_IZ ? imm_z(in) : 1);
}

static enum insn_status decode_moffs(struct cursor *c, struct insn *in, uint8_t op)
{
	uint64_t off;
	bool byte = op == OP_MOV_AL_MOFFS || op == OP_MOV_MOFFS_AL;

	in->kind = INSN_KIND_MOV;
	in->mem_first = op == OP_MOV_MOFFS_AL || op == OP_MOV_MOFFS_AX;
	in->op_size = byte ? 1 : operand_size(in);
	in->mem_size = in->op_size;
	set_reg(in, GPR_RAX, false);
	default_seg(in, SEG_DS);
	/* The offset is address-size wide and not sign-extended (SDM Vol. 2A
	 * MOV, "moffs"). */
	if (!next_le(c, in->addr_size, &off))
		return c->err;
	in->disp = (int64_t)off;
	return INSN_OK;
}

static enum insn_status decode_string(struct insn *in, uint8_t op)
{
	switch (op) {
	case OP_MOVSB:
	case OP_MOVSV:
		in->kind = INSN_KIND_MOVS;
		break;
	case OP_STOSB:
	case OP_STOSV:
		in->kind = INSN_KIND_STOS;
		break;
	default:
		in->kind = INSN_KIND_LODS;
		break;
	}
	in->op_size = (op & 1) ? operand_size(in) : 1;
	in->mem_size = in->op_size;
	in->mem_first = in->kind != INSN_KIND_LODS;
	set_reg(in, GPR_RAX, false);
	default_seg(in, SEG_DS);
	return INSN_OK;
}

static enum insn_status system_insn(struct insn *in)
{
	in->kind = INSN_KIND_SYSTEM;
	in->op_size = operand_size(in);
	in->mem_size = in->op_size;
	return INSN_OK;
}

/* Exiting one-byte opcodes: IN/OUT with imm8 or DX, INS/OUTS, HLT, PAUSE.
 * Returns INSN_UNSUPPORTED (with why unset) for anything else. */
static enum insn_status decode_system_one_byte(struct cursor *c, struct insn *in, uint8_t op,
					       bool repe)
{
	uint64_t port;

	if (op >= OP_IN_AL_IB && op <= OP_OUT_IB_AX) {
		if (!next_le(c, 1, &port))
			return c->err;
		in->imm = port;
		in->has_imm = true;
		return system_insn(in);
	}
	if ((op >= OP_IN_AL_DX && op <= OP_OUT_DX_AX) || (op >= OP_INSB && op <= OP_OUTSV) ||
	    op == OP_HLT)
		return system_insn(in);
	if (op == OP_NOP_PAUSE && repe)
		return system_insn(in);
	return INSN_UNSUPPORTED;
}

/* LGDT/LIDT m16&32 (m16&64 in 64-bit mode, where the operand size is
 * fixed: SDM Vol. 2A LGDT/LIDT). */
static enum insn_status decode_dtable(struct cursor *c, struct insn *in)
{
	uint8_t digit;
	enum insn_status st;

	c->pos--; /* let modrm() parse the memory operand */
	st = modrm(c, in, &digit);
	if (st != INSN_OK)
		return st;
	in->kind = INSN_KIND_DTABLE;
	in->op_size = in->mode == INSN_MODE_64 ? 8 : operand_size(in);
	in->mem_size = in->mode == INSN_MODE_64 ? DTABLE_OPERAND_64 : DTABLE_OPERAND_32;
	return INSN_OK;
}

bool insn_dtable_is_idt(const struct insn *in)
{
	return MODRM_REG(in->modrm) == GRP7_LIDT;
}

/* LMSW r/m16 (0F 01 /6, SDM Vol. 2A LMSW): for SVM's selective CR0 write
 * intercept, which gives no operand without decode assists. A register
 * source is in->reg, a memory one is a word at the ModRM address. */
static enum insn_status decode_lmsw(struct cursor *c, struct insn *in, uint8_t m)
{
	uint8_t digit;
	enum insn_status st;

	if (MODRM_MOD(m) == MOD_REG) {
		in->has_modrm = true;
		in->modrm = m;
		in->reg = MODRM_RM(m) | ((in->rex & REX_B) ? 8 : 0);
	} else {
		c->pos--; /* let modrm() parse the memory operand */
		st = modrm(c, in, &digit);
		if (st != INSN_OK)
			return st;
	}
	st = system_insn(in);
	in->op_size = LMSW_OPERAND;
	in->mem_size = LMSW_OPERAND;
	return st;
}

bool insn_is_lmsw(const struct insn *in)
{
	return in->kind == INSN_KIND_SYSTEM && in->two_byte && in->opcode == OP2_GRP7 &&
	       in->has_modrm && MODRM_REG(in->modrm) == GRP7_LMSW;
}

bool insn_is_clts(const struct insn *in)
{
	return in->kind == INSN_KIND_SYSTEM && in->two_byte && in->opcode == OP2_CLTS;
}

bool insn_lmsw_from_reg(const struct insn *in)
{
	return MODRM_MOD(in->modrm) == MOD_REG;
}

static enum insn_status decode_system_two_byte(struct cursor *c, struct insn *in, uint8_t op)
{
	uint8_t m;

	switch (op) {
	case OP2_CLTS:
	case OP2_INVD:
	case OP2_WBINVD:
	case OP2_WRMSR:
	case OP2_RDTSC:
	case OP2_RDMSR:
	case OP2_RDPMC:
	case OP2_CPUID:
		return system_insn(in);
	case OP2_MOV_R_CR:
	case OP2_MOV_CR_R:
		/* The ModRM mod field is ignored: always a register operand
		 * (SDM Vol. 2B MOV-Move to/from Control Registers). */
		if (!next_byte(c, &m))
			return c->err;
		in->has_modrm = true;
		in->modrm = m;
		in->ctl_reg = MODRM_REG(m) | ((in->rex & REX_R) ? 8 : 0);
		in->reg = MODRM_RM(m) | ((in->rex & REX_B) ? 8 : 0);
		return system_insn(in);
	case OP2_GRP7:
		if (!next_byte(c, &m))
			return c->err;
		if (MODRM_MOD(m) != MOD_REG && MODRM_REG(m) == GRP7_INVLPG) {
			uint8_t digit;
			enum insn_status st;
			c->pos--; /* let modrm() parse the memory operand */
			st = modrm(c, in, &digit);
			return st == INSN_OK ? system_insn(in) : st;
		}
		if (MODRM_MOD(m) != MOD_REG &&
		    (MODRM_REG(m) == GRP7_LGDT || MODRM_REG(m) == GRP7_LIDT))
			return decode_dtable(c, in);
		if (MODRM_REG(m) == GRP7_LMSW)
			return decode_lmsw(c, in, m);
		in->has_modrm = true;
		in->modrm = m;
		switch (m) {
		case GRP7_VMCALL:
		case GRP7_MONITOR:
		case GRP7_MWAIT:
		case GRP7_XSETBV:
		case GRP7_VMMCALL:
		case GRP7_RDTSCP:
			return system_insn(in);
		}
		return unsupported(in, "0F 01 form not recognised");
	default:
		return unsupported(in, "two-byte opcode not emulated");
	}
}

static enum insn_status decode_one_byte(struct cursor *c, struct insn *in, uint8_t op)
{
	uint8_t digit;
	enum insn_status st;

	if (op <= OP_ALU_LAST && (op & 7) < 4)
		return decode_alu(c, in, op);

	switch (op) {
	case OP_MOVSXD:
		if (in->mode != INSN_MODE_64)
			return unsupported(in, "ARPL");
		if (in->opsize_prefix)
			return unsupported(in, "MOVSXD with operand-size prefix");
		/* Without REX.W it is a plain 32-bit load (SDM Vol. 2B MOVSXD). */
		in->kind = (in->rex & REX_W) ? INSN_KIND_MOVSX : INSN_KIND_MOV;
		in->op_size = operand_size(in);
		in->mem_size = 4;
		return modrm_reg(c, in, false);
	case OP_GRP1_EB_IB:
	case OP_GRP1_EV_IZ:
	case OP_GRP1_EV_IB:
		return decode_group1(c, in, op);
	case OP_TEST_EB_GB:
	case OP_TEST_EV_GV:
		in->kind = INSN_KIND_TEST;
		in->mem_first = true;
		in->op_size = op == OP_TEST_EB_GB ? 1 : operand_size(in);
		in->mem_size = in->op_size;
		return modrm_reg(c, in, op == OP_TEST_EB_GB);
	case OP_XCHG_EB_GB:
	case OP_XCHG_EV_GV:
		in->kind = INSN_KIND_XCHG;
		in->mem_first = true;
		in->op_size = op == OP_XCHG_EB_GB ? 1 : operand_size(in);
		in->mem_size = in->op_size;
		return modrm_reg(c, in, op == OP_XCHG_EB_GB);
	case OP_MOV_EB_GB:
	case OP_MOV_EV_GV:
	case OP_MOV_GB_EB:
	case OP_MOV_GV_EV:
		in->kind = INSN_KIND_MOV;
		in->mem_first = op == OP_MOV_EB_GB || op == OP_MOV_EV_GV;
		in->op_size = (op & 1) ? operand_size(in) : 1;
		in->mem_size = in->op_size;
		return modrm_reg(c, in, !(op & 1));
	case OP_MOV_AL_MOFFS:
	case OP_MOV_AX_MOFFS:
	case OP_MOV_MOFFS_AL:
	case OP_MOV_MOFFS_AX:
		return decode_moffs(c, in, op);
	case OP_MOVSB:
	case OP_MOVSV:
	case OP_STOSB:
	case OP_STOSV:
	case OP_LODSB:
	case OP_LODSV:
		return decode_string(in, op);
	case OP_MOV_EB_IB:
	case OP_MOV_EV_IZ:
		in->kind = INSN_KIND_MOV;
		in->mem_first = true;
		in->op_size = op == OP_MOV_EB_IB ? 1 : operand_size(in);
		in->mem_size = in->op_size;
		st = modrm(c, in, &digit);
		if (st != INSN_OK)
			return st;
		if (digit != GRP11_MOV)
			return unsupported(in, "C6/C7 with reg field other than /0");
		return immediate(c, in, op == OP_MOV_EB_IB ? 1 : imm_z(in));
	case OP_GRP3_EB:
	case OP_GRP3_EV:
		in->kind = INSN_KIND_TEST;
		in->mem_first = true;
		in->op_size = op == OP_GRP3_EB ? 1 : operand_size(in);
		in->mem_size = in->op_size;
		st = modrm(c, in, &digit);
		if (st != INSN_OK)
			return st;
		if (digit != GRP3_TEST)
			return unsupported(in, "F6/F7 other than TEST /0");
		return immediate(c, in, op == OP_GRP3_EB ? 1 : imm_z(in));
	default:
		st = decode_system_one_byte(c, in, op, c->repe);
		if (st == INSN_UNSUPPORTED)
			return unsupported(in, "opcode not emulated");
		return st;
	}
}

static enum insn_status decode_two_byte(struct cursor *c, struct insn *in, uint8_t op)
{
	uint8_t digit;
	enum insn_status st;

	switch (op) {
	case OP2_MOVZX_GV_EB:
	case OP2_MOVZX_GV_EW:
	case OP2_MOVSX_GV_EB:
	case OP2_MOVSX_GV_EW:
		in->kind = (op == OP2_MOVZX_GV_EB || op == OP2_MOVZX_GV_EW) ? INSN_KIND_MOVZX
									    : INSN_KIND_MOVSX;
		in->op_size = operand_size(in);
		in->mem_size = (op & 1) ? 2 : 1;
		return modrm_reg(c, in, false);
	case OP2_BT_EV_GV:
		in->kind = INSN_KIND_BT;
		in->mem_first = true;
		in->op_size = operand_size(in);
		in->mem_size = in->op_size;
		return modrm_reg(c, in, false);
	case OP2_GRP8_EV_IB:
		in->kind = INSN_KIND_BT;
		in->mem_first = true;
		in->op_size = operand_size(in);
		in->mem_size = in->op_size;
		st = modrm(c, in, &digit);
		if (st != INSN_OK)
			return st;
		if (digit != GRP8_BT)
			return unsupported(in, "0F BA other than BT /4");
		/* The bit offset is imm8 taken modulo the operand width, never
		 * sign-extended into an address offset (SDM Vol. 2A BT). */
		st = immediate(c, in, 1);
		in->imm &= 0xff;
		return st;
	default:
		return decode_system_two_byte(c, in, op);
	}
}

/* Prefix rules checked once the opcode is known (SDM Vol. 2A §2.1.1 and
 * the LOCK and REP pages of Vol. 2A/2B). */
static enum insn_status check_prefixes(struct insn *in, bool repe, bool repne)
{
	bool string = in->kind == INSN_KIND_STOS || in->kind == INSN_KIND_LODS ||
		      in->kind == INSN_KIND_MOVS;
	bool sys = in->kind == INSN_KIND_SYSTEM || in->kind == INSN_KIND_DTABLE;

	/* INS/OUTS take REP; in PAUSE the F3 is part of the opcode. */
	if (sys && !in->two_byte && in->opcode >= OP_INSB && in->opcode <= OP_OUTSV)
		string = true;
	if (sys && !in->two_byte && in->opcode == OP_NOP_PAUSE)
		return in->lock ? unsupported(in, "LOCK prefix on PAUSE") : INSN_OK;
	/* INS/OUTS repeat with F2 as with F3 (both are repeat prefixes,
	 * SDM Vol. 2A §2.1.1; only CMPS/SCAS tell them apart). */
	if (string && sys && repne) {
		repe = true;
		repne = false;
	}
	if (repne)
		return unsupported(in, "REPNE/F2 prefix");
	if (repe && !string)
		return unsupported(in, "REP prefix on a non-string instruction");
	in->rep = repe;
	if (in->lock && sys)
		return unsupported(in, "LOCK prefix on an instruction that cannot take it");
	if (in->lock) {
		bool rmw = (in->kind == INSN_KIND_ALU && in->mem_first && in->alu != INSN_ALU_CMP) ||
			   in->kind == INSN_KIND_XCHG;
		if (!rmw)
			return unsupported(in, "LOCK prefix on an instruction that cannot take it");
	}
	return INSN_OK;
}

enum insn_status insn_decode(struct insn *in, const uint8_t *buf, size_t avail, enum insn_mode mode)
{
	struct cursor c = { .buf = buf, .avail = avail };
	bool repe = false, repne = false;
	enum insn_status st;
	uint8_t b;

	*in = (struct insn){
		.mode = mode,
		.base = INSN_REG_NONE,
		.index = INSN_REG_NONE,
		.reg = INSN_REG_NONE,
		.ctl_reg = INSN_REG_NONE,
		.scale = 1,
		.seg = SEG_DS,
	};
	if (mode != INSN_MODE_16 && mode != INSN_MODE_32 && mode != INSN_MODE_64)
		return unsupported(in, "bad decoder mode");

	for (;;) {
		if (!next_byte(&c, &b))
			return c.err;
		/* A legacy prefix after REX cancels the REX (SDM Vol. 2A §2.2.1). */
		bool legacy = true;
		switch (b) {
		case PFX_LOCK:
			in->lock = true;
			break;
		case PFX_REPNE:
			repne = true;
			repe = false;
			break;
		case PFX_REP:
			repe = true;
			repne = false;
			break;
		case PFX_CS:
			in->seg = SEG_CS;
			in->seg_override = true;
			break;
		case PFX_SS:
			in->seg = SEG_SS;
			in->seg_override = true;
			break;
		case PFX_DS:
			in->seg = SEG_DS;
			in->seg_override = true;
			break;
		case PFX_ES:
			in->seg = SEG_ES;
			in->seg_override = true;
			break;
		case PFX_FS:
			in->seg = SEG_FS;
			in->seg_override = true;
			break;
		case PFX_GS:
			in->seg = SEG_GS;
			in->seg_override = true;
			break;
		case PFX_OPSIZE:
			in->opsize_prefix = true;
			break;
		case PFX_ADDRSIZE:
			in->addrsize_prefix = true;
			break;
		default:
			legacy = false;
			break;
		}
		if (legacy) {
			in->rex = 0;
			continue;
		}
		if (mode == INSN_MODE_64 && (b & REX_MASK) == REX_BASE) {
			in->rex = b;
			continue;
		}
		break;
	}
	in->addr_size = address_size(in);
	c.repe = repe;

	if (b == ESCAPE_0F) {
		in->two_byte = true;
		if (!next_byte(&c, &b))
			return c.err;
		in->opcode = b;
		st = decode_two_byte(&c, in, b);
	} else {
		in->opcode = b;
		st = decode_one_byte(&c, in, b);
	}
	if (st != INSN_OK)
		return st;
	st = check_prefixes(in, repe, repne);
	if (st != INSN_OK)
		return st;
	in->len = (uint8_t)c.pos;
	return INSN_OK;
}

bool insn_writes_mem(const struct insn *in)
{
	switch (in->kind) {
	case INSN_KIND_MOV:
		return in->mem_first;
	case INSN_KIND_ALU:
		return in->mem_first && in->alu != INSN_ALU_CMP;
	case INSN_KIND_XCHG:
	case INSN_KIND_STOS:
	case INSN_KIND_MOVS:
		return true;
	default:
		return false;
	}
}

bool insn_reads_mem(const struct insn *in)
{
	switch (in->kind) {
	case INSN_KIND_MOV:
		return !in->mem_first;
	case INSN_KIND_STOS:
	case INSN_KIND_NONE:
	case INSN_KIND_SYSTEM:
		return false;
	default:
		return true;
	}
}

bool insn_is_mov_to_cr(const struct insn *in)
{
	return in->kind == INSN_KIND_SYSTEM && in->two_byte && in->opcode == OP2_MOV_CR_R;
}

bool insn_is_mov_from_cr(const struct insn *in)
{
	return in->kind == INSN_KIND_SYSTEM && in->two_byte && in->opcode == OP2_MOV_R_CR;
}

const char *insn_status_name(enum insn_status st)
{
	switch (st) {
	case INSN_OK:
		return "ok";
	case INSN_TRUNCATED:
		return "truncated";
	case INSN_TOO_LONG:
		return "longer than 15 bytes";
	case INSN_UNSUPPORTED:
		return "unsupported";
	}
	return "?";
}

const char *insn_kind_name(enum insn_kind k)
{
	static const char *const names[] = {
		[INSN_KIND_NONE] = "none",        [INSN_KIND_MOV] = "mov",
		[INSN_KIND_MOVZX] = "movzx",      [INSN_KIND_MOVSX] = "movsx",
		[INSN_KIND_ALU] = "alu",          [INSN_KIND_TEST] = "test",
		[INSN_KIND_XCHG] = "xchg",        [INSN_KIND_BT] = "bt",
		[INSN_KIND_STOS] = "stos",        [INSN_KIND_LODS] = "lods",
		[INSN_KIND_MOVS] = "movs",        [INSN_KIND_SYSTEM] = "system",
		[INSN_KIND_DTABLE] = "lgdt/lidt",
	};
	if ((unsigned int)k < ARRAY_SIZE(names) && names[k])
		return names[k];
	return "?";
}
