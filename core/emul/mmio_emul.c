/* SPDX-License-Identifier: BSD-2-Clause */
/* MMIO instruction emulation (see mmio_emul.h). */
#include "core/emul/mmio_emul.h"
#include "core/lib/format.h"
#include "core/lib/string.h"
#include "core/log.h"

/* RFLAGS.VM: virtual-8086 mode (SDM Vol. 1 §3.4.3.3). */
#define EMUL_RFLAGS_VM BIT(17)

/* Segment type bits of a code/data descriptor (SDM Vol. 3A §3.4.5.1). */
#define SEG_TYPE_CODE BIT(3)
#define SEG_TYPE_DATA_EXPAND_DOWN BIT(2)
#define SEG_TYPE_DATA_WRITABLE BIT(1)
#define SEG_TYPE_CODE_READABLE BIT(1)

/* Log line size: prefix, reason, RIP, GPA and 15 bytes as hex. */
#define EMUL_LOG_BYTES_LEN (INSN_MAX_LEN * 3 + 1)

/* One memory operand after segmentation and paging: one piece, or two when
 * the access straddles a page boundary (only allowed on guest RAM). */
struct xlate {
	uint64_t la;
	unsigned int size;
	gpa_t gpa[2];
	unsigned int len[2];
	unsigned int pieces;
};

static uint64_t size_mask(unsigned int bytes)
{
	return bytes >= 8 ? ~0ULL : BIT(8 * bytes) - 1;
}

static uint64_t sign_extend(uint64_t v, unsigned int bytes)
{
	unsigned int shift = 64 - 8 * bytes;
	return (uint64_t)((int64_t)(v << shift) >> shift);
}

enum insn_mode emul_insn_mode(const struct vcpu_sregs *s, uint64_t rflags)
{
	uint16_t cs = s->seg[SEG_CS].attr;

	if (!(s->cr0 & GW_CR0_PE) || (rflags & EMUL_RFLAGS_VM))
		return INSN_MODE_16;
	if ((s->efer & GW_EFER_LMA) && (cs & SEG_ATTR_L))
		return INSN_MODE_64;
	return (cs & SEG_ATTR_DB) ? INSN_MODE_32 : INSN_MODE_16;
}

const char *emul_result_name(int rc)
{
	switch (rc) {
	case EMUL_OK:
		return "ok";
	case EMUL_E_FETCH:
		return "instruction fetch failed";
	case EMUL_E_DECODE:
		return "instruction longer than 15 bytes";
	case EMUL_E_UNSUPPORTED:
		return "unsupported instruction";
	case EMUL_E_MISMATCH:
		return "operand does not match the faulting access";
	case EMUL_E_FAULT:
		return "operand translation faults";
	case EMUL_E_TABLE:
		return "guest page table outside RAM";
	case EMUL_E_SPLIT:
		return "MMIO access straddles a page";
	case EMUL_E_MMIO:
		return "device access failed";
	}
	return "?";
}

/* ---- registers ---------------------------------------------------------- */

static uint64_t reg_read(const struct emul_ctx *ctx, uint8_t reg, bool high8, unsigned int size)
{
	uint64_t v = ctx->gpr[reg & (GPR_COUNT - 1)];

	if (high8)
		return (v >> 8) & 0xff;
	return v & size_mask(size);
}

/* Register write-back (SDM Vol. 1 §3.4.1.1): 8/16-bit results merge into the
 * register, 32-bit results zero-extend to 64 bits. */
static void reg_write(struct emul_ctx *ctx, uint8_t reg, bool high8, unsigned int size, uint64_t val)
{
	uint64_t *r = &ctx->gpr[reg & (GPR_COUNT - 1)];

	if (high8)
		*r = (*r & ~0xff00ULL) | ((val & 0xff) << 8);
	else if (size == 1)
		*r = (*r & ~0xffULL) | (val & 0xff);
	else if (size == 2)
		*r = (*r & ~0xffffULL) | (val & 0xffff);
	else if (size == 4)
		*r = val & 0xffffffffULL;
	else
		*r = val;
}

static void advance_rip(struct emul_ctx *ctx)
{
	*ctx->rip = (*ctx->rip + ctx->insn.len) & size_mask(ctx->insn.mode);
}

/* ---- flags -------------------------------------------------------------- */

/* PF: set when the low byte of the result has an even number of 1 bits.
 * 0x6996 is the 16-entry odd-parity table of a nibble. */
static uint64_t parity_flag(uint64_t r)
{
	uint8_t b = (uint8_t)r;
	b ^= b >> 4;
	return ((0x6996 >> (b & 0xf)) & 1) ? 0 : EMUL_RFLAGS_PF;
}

static uint64_t result_flags(uint64_t r, unsigned int size)
{
	uint64_t f = parity_flag(r);
	if ((r & size_mask(size)) == 0)
		f |= EMUL_RFLAGS_ZF;
	if (r & BIT(8 * size - 1))
		f |= EMUL_RFLAGS_SF;
	return f;
}

/* The ALU operations with the flags defined for them in SDM Vol. 2 (ADD,
 * ADC, SUB, SBB, CMP: CF OF SF ZF AF PF; AND, OR, XOR, TEST: CF=OF=0, SF ZF
 * PF from the result, AF undefined -> 0). Returns the result; *flags gets
 * the new arithmetic flags. */
static uint64_t alu_compute(enum insn_alu op, uint64_t a, uint64_t b, unsigned int size,
			    uint64_t rflags, uint64_t *flags)
{
	uint64_t mask = size_mask(size), msb = BIT(8 * size - 1);
	uint64_t cin = (rflags & EMUL_RFLAGS_CF) ? 1 : 0;
	uint64_t r, f = 0;

	a &= mask;
	b &= mask;
	switch (op) {
	case INSN_ALU_ADD:
	case INSN_ALU_ADC:
		r = (a + b + (op == INSN_ALU_ADC ? cin : 0)) & mask;
		/* carry out of the top bit, from its inputs and its sum */
		if (((a & b) | ((a | b) & ~r)) & msb)
			f |= EMUL_RFLAGS_CF;
		if ((a ^ r) & (b ^ r) & msb)
			f |= EMUL_RFLAGS_OF;
		break;
	case INSN_ALU_SUB:
	case INSN_ALU_SBB:
	case INSN_ALU_CMP:
		r = (a - b - (op == INSN_ALU_SBB ? cin : 0)) & mask;
		if (((~a & b) | (~(a ^ b) & r)) & msb)
			f |= EMUL_RFLAGS_CF;
		if ((a ^ b) & (a ^ r) & msb)
			f |= EMUL_RFLAGS_OF;
		break;
	case INSN_ALU_AND:
		*flags = result_flags(a & b, size);
		return a & b;
	case INSN_ALU_OR:
		*flags = result_flags(a | b, size);
		return a | b;
	default: /* INSN_ALU_XOR */
		*flags = result_flags(a ^ b, size);
		return a ^ b;
	}
	if ((a ^ b ^ r) & 0x10)
		f |= EMUL_RFLAGS_AF;
	*flags = f | result_flags(r, size);
	return r;
}

static void set_arith_flags(struct emul_ctx *ctx, uint64_t flags)
{
	*ctx->rflags = (*ctx->rflags & ~EMUL_RFLAGS_ARITH) | flags;
}

/* ---- logging ------------------------------------------------------------ */

static int fail(struct emul_ctx *ctx, int rc, gpa_t gpa, const char *detail)
{
	char hex[EMUL_LOG_BYTES_LEN];
	size_t pos = 0;

	hex[0] = '\0';
	for (unsigned int i = 0; i < ctx->nr_bytes && pos + 4 <= sizeof(hex); i++)
		pos += bh_snprintf(hex + pos, sizeof(hex) - pos, "%s%02x", i ? " " : "",
				   ctx->bytes[i]);
	pr_warn("[%s] mmio-emul: %s%s%s at rip %#lx (gpa %#lx), bytes [%s]",
		ctx->name ? ctx->name : "?", emul_result_name(rc), detail ? ": " : "",
		detail ? detail : "", *ctx->rip, gpa, hex);
	return rc;
}

static void set_fault(struct emul_ctx *ctx, uint8_t vector, bool has_error, uint32_t error,
		      uint64_t cr2)
{
	ctx->fault = (struct emul_fault){
		.valid = true, .vector = vector, .has_error = has_error, .error = error, .cr2 = cr2
	};
}

/* ---- address translation ------------------------------------------------ */

static void walk_ctx(const struct emul_ctx *ctx, struct guest_walk_ctx *w)
{
	guest_walk_ctx_from_sregs(w, ctx->sregs, *ctx->rflags);
	w->maxphyaddr = ctx->maxphyaddr;
}

/* Segment fault vector: #SS for the stack segment, #GP otherwise (SDM Vol.
 * 3A §6.15, "Interrupt 12/13"). */
static uint8_t seg_vector(enum seg s)
{
	return s == SEG_SS ? EXC_SS : EXC_GP;
}

/* Offset -> linear address (SDM Vol. 3A §3.4 and §5.3: limit and type checks
 * outside 64-bit mode, FS/GS bases only in 64-bit mode). */
static int seg_linear(struct emul_ctx *ctx, enum seg s, uint64_t off, unsigned int size, bool write,
		      uint64_t *la)
{
	const struct segment *sg = &ctx->sregs->seg[s];
	bool protected = (ctx->sregs->cr0 & GW_CR0_PE) && !(*ctx->rflags & EMUL_RFLAGS_VM);
	uint64_t last = off + size - 1;

	if (ctx->insn.mode == INSN_MODE_64) {
		*la = off + ((s == SEG_FS || s == SEG_GS) ? sg->base : 0);
		return EMUL_OK;
	}
	if (protected) {
		uint8_t type = SEG_ATTR_TYPE(sg->attr);
		if (!(sg->attr & SEG_ATTR_P) || !(sg->attr & SEG_ATTR_S))
			goto fault; /* null/unusable or system segment */
		if ((type & SEG_TYPE_CODE) && (write || !(type & SEG_TYPE_CODE_READABLE)))
			goto fault;
		if (!(type & SEG_TYPE_CODE) && write && !(type & SEG_TYPE_DATA_WRITABLE))
			goto fault;
		if (!(type & SEG_TYPE_CODE) && (type & SEG_TYPE_DATA_EXPAND_DOWN)) {
			uint64_t upper = (sg->attr & SEG_ATTR_DB) ? 0xffffffffULL : 0xffffULL;
			if (off <= sg->limit || last > upper)
				goto fault;
			*la = (sg->base + off) & 0xffffffffULL;
			return EMUL_OK;
		}
	}
	if (last > sg->limit)
		goto fault;
	*la = (sg->base + off) & 0xffffffffULL;
	return EMUL_OK;
fault:
	set_fault(ctx, seg_vector(s), true, 0, 0);
	return EMUL_E_FAULT;
}

static int walk_one(struct emul_ctx *ctx, uint64_t la, unsigned int acc, enum seg s, gpa_t *gpa)
{
	struct guest_walk_ctx w;
	struct gw_result res;

	walk_ctx(ctx, &w);
	switch (guest_walk(&w, ctx->mem, la, acc, &res)) {
	case GW_OK:
		*gpa = res.gpa;
		return EMUL_OK;
	case GW_PAGE_FAULT:
		set_fault(ctx, EXC_PF, true, res.error_code, res.fault_addr);
		return EMUL_E_FAULT;
	case GW_NONCANONICAL:
		set_fault(ctx, seg_vector(s), true, 0, 0);
		return EMUL_E_FAULT;
	default:
		return EMUL_E_TABLE;
	}
}

/* Segment offset -> one or two guest-physical pieces, with the data access
 * rights of a read or a write at the current CPL. Sets A/D bits as the
 * access would, unless ctx->probing (emul_operand_gpa). */
static int translate(struct emul_ctx *ctx, enum seg s, uint64_t off, unsigned int size, bool write,
		     struct xlate *x)
{
	unsigned int acc = (write ? GW_ACC_WRITE : 0) | (ctx->probing ? 0 : GW_ACC_SET_AD);
	int rc = seg_linear(ctx, s, off, size, write, &x->la);

	if (rc)
		return rc;
	x->size = size;
	x->len[0] = MIN(size, (unsigned int)(PAGE_SIZE - (x->la & (PAGE_SIZE - 1))));
	x->len[1] = size - x->len[0];
	x->pieces = x->len[1] ? 2 : 1;
	rc = walk_one(ctx, x->la, acc, s, &x->gpa[0]);
	if (rc || x->pieces == 1)
		return rc;
	uint64_t next = x->la + x->len[0];
	if (ctx->insn.mode != INSN_MODE_64)
		next &= 0xffffffffULL;
	return walk_one(ctx, next, acc, s, &x->gpa[1]);
}

/* ---- physical access ---------------------------------------------------- */

static int device_read(struct emul_ctx *ctx, gpa_t gpa, unsigned int size, uint64_t *val)
{
	uint64_t v = 0;

	if (!ctx->mmio_read || ctx->mmio_read(ctx->opaque, gpa, size, &v) < 0)
		return EMUL_E_MMIO;
	*val = v & size_mask(size);
	return EMUL_OK;
}

static int device_write(struct emul_ctx *ctx, gpa_t gpa, unsigned int size, uint64_t val)
{
	if (!ctx->mmio_write || ctx->mmio_write(ctx->opaque, gpa, size, val & size_mask(size)) < 0)
		return EMUL_E_MMIO;
	return EMUL_OK;
}

static bool in_ram(const struct emul_ctx *ctx, const struct xlate *x)
{
	for (unsigned int i = 0; i < x->pieces; i++)
		if (!gmem_ptr(ctx->mem, x->gpa[i], x->len[i]))
			return false;
	return true;
}

/* String operands: RAM through gmem (possibly in two pieces), anything else
 * through the device callbacks in one piece. Little-endian byte order. */
static int phys_read(struct emul_ctx *ctx, const struct xlate *x, uint64_t *val)
{
	if (in_ram(ctx, x)) {
		uint8_t b[8] = { 0 };
		gmem_read(ctx->mem, x->gpa[0], b, x->len[0]);
		if (x->pieces == 2)
			gmem_read(ctx->mem, x->gpa[1], b + x->len[0], x->len[1]);
		uint64_t v = 0;
		for (unsigned int i = 0; i < x->size; i++)
			v |= (uint64_t)b[i] << (8 * i);
		*val = v;
		return EMUL_OK;
	}
	if (x->pieces != 1)
		return EMUL_E_SPLIT;
	return device_read(ctx, x->gpa[0], x->size, val);
}

static int phys_write(struct emul_ctx *ctx, const struct xlate *x, uint64_t val)
{
	if (in_ram(ctx, x)) {
		uint8_t b[8];
		for (unsigned int i = 0; i < x->size; i++)
			b[i] = (uint8_t)(val >> (8 * i));
		gmem_write(ctx->mem, x->gpa[0], b, x->len[0]);
		if (x->pieces == 2)
			gmem_write(ctx->mem, x->gpa[1], b + x->len[0], x->len[1]);
		return EMUL_OK;
	}
	if (x->pieces != 1)
		return EMUL_E_SPLIT;
	return device_write(ctx, x->gpa[0], x->size, val);
}

/* ---- instruction fetch -------------------------------------------------- */

/* Copy up to len bytes at gpa that lie in guest RAM; returns how many. */
static unsigned int read_ram_prefix(const struct gmem *mem, gpa_t gpa, uint8_t *dst, unsigned int len)
{
	if (gmem_read(mem, gpa, dst, len))
		return len;
	unsigned int n = 0;
	while (n < len && gmem_read(mem, gpa + n, dst + n, 1))
		n++;
	return n;
}

int emul_fetch_insn(struct emul_ctx *ctx)
{
	const struct segment *cs = &ctx->sregs->seg[SEG_CS];
	enum insn_mode mode = emul_insn_mode(ctx->sregs, *ctx->rflags);
	uint64_t ip = *ctx->rip & size_mask(mode);
	unsigned int want = INSN_MAX_LEN;
	uint64_t la;

	ctx->nr_bytes = 0;
	ctx->fault = (struct emul_fault){ 0 };
	if (mode == INSN_MODE_64) {
		la = ip; /* CS base is ignored in 64-bit mode */
	} else {
		if (ip > cs->limit) {
			set_fault(ctx, EXC_GP, true, 0, 0);
			return EMUL_E_FETCH;
		}
		want = (unsigned int)MIN((uint64_t)want, cs->limit - ip + 1);
		la = (cs->base + ip) & 0xffffffffULL;
	}

	struct guest_walk_ctx w;
	walk_ctx(ctx, &w);
	while (ctx->nr_bytes < want) {
		unsigned int chunk = MIN(want - ctx->nr_bytes,
					 (unsigned int)(PAGE_SIZE - (la & (PAGE_SIZE - 1))));
		struct gw_result res;
		enum gw_status st = guest_walk(&w, ctx->mem, la, GW_ACC_FETCH, &res);

		if (st == GW_PAGE_FAULT)
			set_fault(ctx, EXC_PF, true, res.error_code, res.fault_addr);
		else if (st == GW_NONCANONICAL)
			set_fault(ctx, EXC_GP, true, 0, 0);
		if (st != GW_OK)
			break;
		unsigned int got = read_ram_prefix(ctx->mem, res.gpa, ctx->bytes + ctx->nr_bytes,
						   chunk);
		ctx->nr_bytes += got;
		if (got < chunk)
			break;
		la += chunk;
		if (mode != INSN_MODE_64)
			la &= 0xffffffffULL;
	}
	return ctx->nr_bytes ? EMUL_OK : EMUL_E_FETCH;
}

int emul_decode_at_rip(struct emul_ctx *ctx)
{
	enum insn_mode mode = emul_insn_mode(ctx->sregs, *ctx->rflags);
	int rc = emul_fetch_insn(ctx);

	if (rc) {
		ctx->insn = (struct insn){ .why = "no instruction bytes" };
		return rc;
	}
	switch (insn_decode(&ctx->insn, ctx->bytes, ctx->nr_bytes, mode)) {
	case INSN_OK:
		return EMUL_OK;
	case INSN_TRUNCATED:
		/* Fewer than 15 bytes were fetchable and the instruction needs
		 * more: its tail is on an unmapped page or beyond RAM. */
		ctx->insn.why = "instruction runs into an unfetchable page";
		return EMUL_E_FETCH;
	case INSN_TOO_LONG:
		ctx->insn.why = "longer than 15 bytes";
		return EMUL_E_DECODE;
	default:
		return EMUL_E_UNSUPPORTED;
	}
}

/* ---- single memory operand ---------------------------------------------- */

static uint64_t effective_address(const struct emul_ctx *ctx)
{
	const struct insn *in = &ctx->insn;
	uint64_t ea = (uint64_t)in->disp;

	if (in->rip_rel)
		ea += *ctx->rip + in->len;
	if (in->base != INSN_REG_NONE)
		ea += ctx->gpr[in->base];
	if (in->index != INSN_REG_NONE)
		ea += ctx->gpr[in->index] * in->scale;
	return ea & size_mask(in->addr_size);
}

/* BT with a register bit offset addresses a bit string: the offset is signed
 * and may select another operand-sized word (SDM Vol. 2A BT, "bit base"). */
static uint64_t bt_bit_and_ea(const struct emul_ctx *ctx, uint64_t *ea)
{
	const struct insn *in = &ctx->insn;
	unsigned int bits = 8 * in->op_size;

	if (in->has_imm)
		return in->imm & (bits - 1);
	int64_t off = (int64_t)sign_extend(reg_read(ctx, in->reg, false, in->op_size), in->op_size);
	int64_t words = off >> (in->op_size == 2 ? 4 : in->op_size == 4 ? 5 : 6);
	*ea = (*ea + (uint64_t)words * in->op_size) & size_mask(in->addr_size);
	return (uint64_t)off & (bits - 1);
}

static uint64_t other_operand(const struct emul_ctx *ctx)
{
	const struct insn *in = &ctx->insn;

	if (in->has_imm)
		return in->imm;
	return reg_read(ctx, in->reg, in->reg_high8, in->op_size);
}

static int emul_single(struct emul_ctx *ctx, gpa_t gpa, gpa_t *bad)
{
	const struct insn *in = &ctx->insn;
	bool write = insn_writes_mem(in);
	uint64_t ea = effective_address(ctx), bit = 0, m = 0, r, flags;
	struct xlate x;
	int rc;

	if (in->kind == INSN_KIND_BT)
		bit = bt_bit_and_ea(ctx, &ea);
	rc = translate(ctx, in->seg, ea, in->mem_size, write, &x);
	if (rc)
		return rc;
	*bad = x.gpa[0];
	if (x.pieces != 1)
		return EMUL_E_SPLIT;
	if (x.gpa[0] != gpa)
		return EMUL_E_MISMATCH;

	if (insn_reads_mem(in)) {
		rc = device_read(ctx, gpa, in->mem_size, &m);
		if (rc)
			return rc;
	}
	switch (in->kind) {
	case INSN_KIND_MOV:
		if (in->mem_first) {
			rc = device_write(ctx, gpa, in->mem_size, other_operand(ctx));
			if (rc)
				return rc;
		} else {
			reg_write(ctx, in->reg, in->reg_high8, in->op_size, m);
		}
		break;
	case INSN_KIND_MOVZX:
		reg_write(ctx, in->reg, false, in->op_size, m);
		break;
	case INSN_KIND_MOVSX:
		reg_write(ctx, in->reg, false, in->op_size,
			  sign_extend(m, in->mem_size) & size_mask(in->op_size));
		break;
	case INSN_KIND_ALU: {
		uint64_t o = other_operand(ctx);
		r = in->mem_first ? alu_compute(in->alu, m, o, in->op_size, *ctx->rflags, &flags)
				  : alu_compute(in->alu, o, m, in->op_size, *ctx->rflags, &flags);
		if (in->alu != INSN_ALU_CMP) {
			if (in->mem_first) {
				rc = device_write(ctx, gpa, in->mem_size, r);
				if (rc)
					return rc;
			} else {
				reg_write(ctx, in->reg, in->reg_high8, in->op_size, r);
			}
		}
		set_arith_flags(ctx, flags);
		break;
	}
	case INSN_KIND_TEST:
		alu_compute(INSN_ALU_AND, m, other_operand(ctx), in->op_size, *ctx->rflags, &flags);
		set_arith_flags(ctx, flags);
		break;
	case INSN_KIND_XCHG:
		rc = device_write(ctx, gpa, in->mem_size, other_operand(ctx));
		if (rc)
			return rc;
		reg_write(ctx, in->reg, in->reg_high8, in->op_size, m);
		break;
	case INSN_KIND_BT:
		/* Only CF is defined; the other arithmetic flags are left alone. */
		*ctx->rflags = (*ctx->rflags & ~EMUL_RFLAGS_CF) | ((m >> bit) & 1);
		break;
	default:
		return EMUL_E_UNSUPPORTED;
	}
	advance_rip(ctx);
	return EMUL_OK;
}

/* ---- string instructions ------------------------------------------------ */

/* rSI/rDI/rCX are used and updated at the address size (SDM Vol. 2B MOVS,
 * "REP"): a 16-bit update keeps bits 63:16, a 32-bit one zeroes 63:32. */
static uint64_t areg(const struct emul_ctx *ctx, uint8_t reg)
{
	return reg_read(ctx, reg, false, ctx->insn.addr_size);
}

static void areg_set(struct emul_ctx *ctx, uint8_t reg, uint64_t v)
{
	reg_write(ctx, reg, false, ctx->insn.addr_size, v);
}

/* One iteration; first says whether it must hit the faulting GPA. */
static int string_step(struct emul_ctx *ctx, gpa_t gpa, enum emul_access acc, bool first, gpa_t *bad)
{
	const struct insn *in = &ctx->insn;
	struct xlate src = { 0 }, dst = { 0 };
	bool has_src = in->kind != INSN_KIND_STOS, has_dst = in->kind != INSN_KIND_LODS;
	uint64_t v = 0;
	int rc;

	if (has_src) {
		rc = translate(ctx, in->seg, areg(ctx, GPR_RSI), in->op_size, false, &src);
		if (rc)
			return rc;
	}
	if (has_dst) {
		/* The destination is always ES:rDI, no override (SDM Vol. 2B STOS). */
		rc = translate(ctx, SEG_ES, areg(ctx, GPR_RDI), in->op_size, true, &dst);
		if (rc)
			return rc;
	}
	if (first) {
		bool src_hit = has_src && src.gpa[0] == gpa && acc != EMUL_ACCESS_WRITE;
		bool dst_hit = has_dst && dst.gpa[0] == gpa && acc != EMUL_ACCESS_READ;
		*bad = has_dst ? dst.gpa[0] : src.gpa[0];
		if (!src_hit && !dst_hit)
			return EMUL_E_MISMATCH;
	}
	if (has_src) {
		rc = phys_read(ctx, &src, &v);
		if (rc)
			return rc;
	} else {
		v = reg_read(ctx, GPR_RAX, false, in->op_size);
	}
	if (has_dst)
		return phys_write(ctx, &dst, v);
	reg_write(ctx, GPR_RAX, false, in->op_size, v);
	return EMUL_OK;
}

static void string_advance(struct emul_ctx *ctx)
{
	const struct insn *in = &ctx->insn;
	uint64_t step = (*ctx->rflags & EMUL_RFLAGS_DF) ? (uint64_t) - (int64_t)in->op_size
							: in->op_size;

	if (in->kind != INSN_KIND_STOS)
		areg_set(ctx, GPR_RSI, areg(ctx, GPR_RSI) + step);
	if (in->kind != INSN_KIND_LODS)
		areg_set(ctx, GPR_RDI, areg(ctx, GPR_RDI) + step);
	if (in->rep)
		areg_set(ctx, GPR_RCX, areg(ctx, GPR_RCX) - 1);
}

static int emul_string(struct emul_ctx *ctx, gpa_t gpa, enum emul_access acc, gpa_t *bad)
{
	const struct insn *in = &ctx->insn;
	uint64_t count = in->rep ? areg(ctx, GPR_RCX) : 1;
	/* One iteration at a time under single-step (mmio_emul.h). */
	uint64_t batch = MIN(count, (*ctx->rflags & EMUL_RFLAGS_TF) ? 1 : (uint64_t)EMUL_REP_BATCH);

	/* REP with rCX = 0 touches no memory, so it cannot have faulted. */
	if (count == 0)
		return EMUL_E_MISMATCH;
	for (uint64_t i = 0; i < batch; i++) {
		int rc = string_step(ctx, gpa, acc, i == 0, bad);
		if (rc && i == 0)
			return rc;
		if (rc == EMUL_E_FAULT || rc == EMUL_E_TABLE || rc == EMUL_E_SPLIT) {
			/* Later iteration: let the CPU re-execute and fault. */
			ctx->fault = (struct emul_fault){ 0 };
			ctx->rep_pending = true;
			return EMUL_OK;
		}
		if (rc)
			return rc;
		string_advance(ctx);
		ctx->reps_done++;
	}
	if (in->rep && areg(ctx, GPR_RCX) != 0) {
		ctx->rep_pending = true;
		return EMUL_OK;
	}
	advance_rip(ctx);
	return EMUL_OK;
}

/* ---- entry points ------------------------------------------------------- */

int emul_operand_gpa(struct emul_ctx *ctx, gpa_t *gpa, bool *write)
{
	const struct insn *in = &ctx->insn;
	uint64_t ea;
	enum seg s = in->seg;
	struct xlate x;
	int rc = emul_decode_at_rip(ctx);

	if (rc)
		return rc;
	switch (in->kind) {
	case INSN_KIND_SYSTEM:
	case INSN_KIND_DTABLE:
		return EMUL_E_UNSUPPORTED;
	case INSN_KIND_STOS:
	case INSN_KIND_MOVS:
		s = SEG_ES;
		ea = areg(ctx, GPR_RDI);
		break;
	case INSN_KIND_LODS:
		ea = areg(ctx, GPR_RSI);
		break;
	default:
		ea = effective_address(ctx);
		if (in->kind == INSN_KIND_BT)
			bt_bit_and_ea(ctx, &ea);
		break;
	}
	*write = insn_writes_mem(in);
	ctx->probing = true;
	rc = translate(ctx, s, ea, in->mem_size, *write, &x);
	ctx->probing = false;
	if (rc)
		return rc;
	*gpa = x.gpa[0];
	return EMUL_OK;
}

static bool access_kind_matches(const struct insn *in, enum emul_access acc)
{
	if (in->kind == INSN_KIND_MOVS || acc == EMUL_ACCESS_UNKNOWN)
		return true; /* MOVS: checked per side in string_step */
	if (acc == EMUL_ACCESS_WRITE)
		return insn_writes_mem(in);
	return insn_reads_mem(in);
}

int emul_mmio(struct emul_ctx *ctx, gpa_t gpa, enum emul_access acc)
{
	gpa_t bad = gpa;
	int rc;

	ctx->reps_done = 0;
	ctx->rep_pending = false;
	rc = emul_decode_at_rip(ctx);
	if (rc)
		return fail(ctx, rc, gpa, ctx->insn.why);
	if (ctx->insn.kind == INSN_KIND_SYSTEM || ctx->insn.kind == INSN_KIND_DTABLE)
		return fail(ctx, EMUL_E_UNSUPPORTED, gpa, "not a memory-access instruction");
	if (!access_kind_matches(&ctx->insn, acc))
		return fail(ctx, EMUL_E_MISMATCH, gpa,
			    acc == EMUL_ACCESS_WRITE
					    ? "hardware saw a write, instruction does not write"
					    : "hardware saw a read, instruction does not read");

	switch (ctx->insn.kind) {
	case INSN_KIND_STOS:
	case INSN_KIND_LODS:
	case INSN_KIND_MOVS:
		rc = emul_string(ctx, gpa, acc, &bad);
		break;
	default:
		rc = emul_single(ctx, gpa, &bad);
		break;
	}
	if (rc == EMUL_E_MISMATCH) {
		char why[64];
		bh_snprintf(why, sizeof(why), "%s operand translates to gpa %#lx",
			    insn_kind_name(ctx->insn.kind), bad);
		return fail(ctx, rc, gpa, why);
	}
	if (rc == EMUL_E_FAULT) {
		char why[64];
		bh_snprintf(why, sizeof(why), "vector %u error %#x cr2 %#lx", ctx->fault.vector,
			    ctx->fault.error, ctx->fault.cr2);
		return fail(ctx, rc, gpa, why);
	}
	if (rc)
		return fail(ctx, rc, gpa, insn_kind_name(ctx->insn.kind));
	return EMUL_OK;
}

/* ---- LGDT / LIDT ---------------------------------------------------------- */

/* Little-endian bytes of guest RAM at a translated operand. */
static int ram_read_bytes(struct emul_ctx *ctx, const struct xlate *x, uint8_t *dst)
{
	for (unsigned int i = 0; i < x->pieces; i++) {
		if (!gmem_read(ctx->mem, x->gpa[i], dst, x->len[i]))
			return EMUL_E_UNSUPPORTED; /* a descriptor in device memory */
		dst += x->len[i];
	}
	return EMUL_OK;
}

int emul_load_dtable(struct emul_ctx *ctx, struct dtable *dt, bool *idt)
{
	const struct insn *in = &ctx->insn;
	uint8_t buf[INSN_MAX_LEN] = { 0 };
	struct guest_walk_ctx w;
	struct xlate x;
	int rc = emul_decode_at_rip(ctx);

	if (rc)
		return rc;
	if (in->kind != INSN_KIND_DTABLE)
		return EMUL_E_UNSUPPORTED;
	/* SDM Vol. 2A LGDT/LIDT: #GP(0) at CPL > 0 (real mode has CPL 0). */
	walk_ctx(ctx, &w);
	if (w.cpl != 0) {
		set_fault(ctx, EXC_GP, true, 0, 0);
		return EMUL_E_FAULT;
	}
	rc = translate(ctx, in->seg, effective_address(ctx), in->mem_size, false, &x);
	if (rc)
		return rc;
	rc = ram_read_bytes(ctx, &x, buf);
	if (rc)
		return rc;
	dt->limit = (uint16_t)(buf[0] | buf[1] << 8);
	dt->base = 0;
	for (unsigned int i = 2; i < in->mem_size; i++)
		dt->base |= (uint64_t)buf[i] << (8 * (i - 2));
	/* A 16-bit operand size loads 24 bits of base outside 64-bit mode. */
	if (in->mode != INSN_MODE_64 && in->op_size == 2)
		dt->base &= 0xffffffULL;
	*idt = insn_dtable_is_idt(in);
	return EMUL_OK;
}

int emul_lmsw_source(struct emul_ctx *ctx, uint16_t *src)
{
	const struct insn *in = &ctx->insn;
	uint8_t buf[2];
	struct xlate x;
	int rc = emul_decode_at_rip(ctx);

	if (rc)
		return rc;
	if (!insn_is_lmsw(in))
		return EMUL_E_UNSUPPORTED;
	if (insn_lmsw_from_reg(in)) {
		*src = (uint16_t)ctx->gpr[in->reg];
		return EMUL_OK;
	}
	rc = translate(ctx, in->seg, effective_address(ctx), sizeof(buf), false, &x);
	if (rc)
		return rc;
	rc = ram_read_bytes(ctx, &x, buf);
	if (rc)
		return rc;
	*src = (uint16_t)(buf[0] | buf[1] << 8);
	return EMUL_OK;
}

void emul_advance_rip(struct emul_ctx *ctx)
{
	advance_rip(ctx);
}
