/* SPDX-License-Identifier: BSD-2-Clause */
/* core/emul/insn.c: the MMIO instruction decoder. Byte sequences come from
 * gas/objdump of hand-written asm and from gcc -O2 output of Linux-style
 * readb..q/writeb..q (see the comments next to each). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/emul/insn.h"
#include "core/vcpu.h"

#define NONE INSN_REG_NONE

static struct insn dec_mode(enum insn_mode mode, const uint8_t *b, size_t n, enum insn_status want)
{
	struct insn in;
	enum insn_status st = insn_decode(&in, b, n, mode);
	cr_assert_eq(st, want, "status %s (%s), want %s", insn_status_name(st),
		     in.why ? in.why : "-", insn_status_name(want));
	return in;
}

#define DEC64(...)                                               \
	({                                                       \
		static const uint8_t b_[] = { __VA_ARGS__ };     \
		dec_mode(INSN_MODE_64, b_, sizeof(b_), INSN_OK); \
	})
#define DEC32(...)                                               \
	({                                                       \
		static const uint8_t b_[] = { __VA_ARGS__ };     \
		dec_mode(INSN_MODE_32, b_, sizeof(b_), INSN_OK); \
	})
#define DEC16(...)                                               \
	({                                                       \
		static const uint8_t b_[] = { __VA_ARGS__ };     \
		dec_mode(INSN_MODE_16, b_, sizeof(b_), INSN_OK); \
	})
#define BAD(mode, want, ...)                                 \
	({                                                   \
		static const uint8_t b_[] = { __VA_ARGS__ }; \
		dec_mode(mode, b_, sizeof(b_), want);        \
	})

/* ---- MOV ---------------------------------------------------------------- */

Test(decode, linux_readl_64)
{
	struct insn in = DEC64(0x8b, 0x06); /* mov (%rsi),%eax: gcc -O2 readl() */
	cr_assert_eq(in.len, 2);
	cr_assert_eq(in.kind, INSN_KIND_MOV);
	cr_assert_not(in.mem_first);
	cr_assert_eq(in.op_size, 4);
	cr_assert_eq(in.mem_size, 4);
	cr_assert_eq(in.addr_size, 8);
	cr_assert_eq(in.base, GPR_RSI);
	cr_assert_eq(in.index, NONE);
	cr_assert_eq(in.disp, 0);
	cr_assert_eq(in.reg, GPR_RAX);
	cr_assert_eq(in.seg, SEG_DS);
	cr_assert(insn_reads_mem(&in));
	cr_assert_not(insn_writes_mem(&in));
}

Test(decode, linux_writel_disp32_64)
{
	struct insn in = DEC64(0x89, 0x90, 0xb0, 0x00, 0x00, 0x00); /* mov %edx,0xb0(%rax): lapic eoi */
	cr_assert_eq(in.len, 6);
	cr_assert(in.mem_first);
	cr_assert_eq(in.base, GPR_RAX);
	cr_assert_eq(in.disp, 0xb0);
	cr_assert_eq(in.reg, GPR_RDX);
	cr_assert(insn_writes_mem(&in));
	cr_assert_not(insn_reads_mem(&in));
}

Test(decode, linux_readb_writeb_readw_writew_64)
{
	struct insn in = DEC64(0x8a, 0x40, 0x14); /* mov 0x14(%rax),%al */
	cr_assert_eq(in.op_size, 1);
	cr_assert_eq(in.disp, 0x14);
	cr_assert_eq(in.reg, GPR_RAX);
	cr_assert_not(in.reg_high8);

	in = DEC64(0x40, 0x88, 0x70, 0x14); /* mov %sil,0x14(%rax): REX makes 6 = SIL */
	cr_assert_eq(in.len, 4);
	cr_assert_eq(in.rex, 0x40);
	cr_assert_eq(in.reg, GPR_RSI);
	cr_assert_not(in.reg_high8);

	in = DEC64(0x66, 0x8b, 0x40, 0x1e); /* mov 0x1e(%rax),%ax */
	cr_assert_eq(in.op_size, 2);
	cr_assert(in.opsize_prefix);
	in = DEC64(0x66, 0x89, 0x70, 0x1e); /* mov %si,0x1e(%rax) */
	cr_assert_eq(in.op_size, 2);
	cr_assert_eq(in.reg, GPR_RSI);
}

Test(decode, readq_writeq_rex_w)
{
	struct insn in = DEC64(0x48, 0x8b, 0x40, 0x28); /* mov 0x28(%rax),%rax */
	cr_assert_eq(in.op_size, 8);
	cr_assert_eq(in.disp, 0x28);
	in = DEC64(0x48, 0x89, 0x70, 0x28); /* mov %rsi,0x28(%rax) */
	cr_assert_eq(in.op_size, 8);
	cr_assert(in.mem_first);
}

Test(decode, high_byte_registers_without_rex)
{
	struct insn in = DEC64(0x88, 0x23); /* mov %ah,(%rbx) */
	cr_assert_eq(in.reg, GPR_RAX);
	cr_assert(in.reg_high8);
	cr_assert_eq(in.base, GPR_RBX);
	in = DEC64(0x8a, 0x2b); /* mov (%rbx),%ch */
	cr_assert_eq(in.reg, GPR_RCX);
	cr_assert(in.reg_high8);
}

Test(decode, rex_r_x_b_extend_registers)
{
	/* xor (%r8,%r9,8),%r10 */
	struct insn in = DEC64(0x4f, 0x33, 0x14, 0xc8);
	cr_assert_eq(in.kind, INSN_KIND_ALU);
	cr_assert_eq(in.alu, INSN_ALU_XOR);
	cr_assert_eq(in.base, GPR_R8);
	cr_assert_eq(in.index, GPR_R9);
	cr_assert_eq(in.scale, 8);
	cr_assert_eq(in.reg, GPR_R10);
	cr_assert_eq(in.op_size, 8);
	cr_assert_not(in.mem_first);

	/* xchg %r11,0x8(%r12): r12 as base needs a SIB */
	in = DEC64(0x4d, 0x87, 0x5c, 0x24, 0x08);
	cr_assert_eq(in.kind, INSN_KIND_XCHG);
	cr_assert_eq(in.base, GPR_R12);
	cr_assert_eq(in.index, NONE);
	cr_assert_eq(in.reg, GPR_R11);
	cr_assert_eq(in.disp, 8);
}

Test(decode, r13_base_is_not_rip_relative_and_r12_index_is_valid)
{
	struct insn in = DEC64(0x41, 0x8b, 0x45, 0x00); /* mov 0x0(%r13),%eax */
	cr_assert_eq(in.base, GPR_R13);
	cr_assert_not(in.rip_rel);
	cr_assert_eq(in.seg, SEG_DS, "r13 is not rBP: default segment stays DS");
	in = DEC64(0x41, 0x8b, 0x04, 0x24); /* mov (%r12),%eax */
	cr_assert_eq(in.base, GPR_R12);
	in = DEC64(0x42, 0x8b, 0x04, 0x65, 0x10, 0, 0, 0); /* mov 0x10(,%r12,2),%eax */
	cr_assert_eq(in.base, NONE);
	cr_assert_eq(in.index, GPR_R12, "REX.X turns index 4 into r12");
	cr_assert_eq(in.scale, 2);
	cr_assert_eq(in.disp, 0x10);
}

Test(decode, stack_base_defaults_to_ss)
{
	struct insn in = DEC64(0x8b, 0x44, 0x24, 0x20); /* mov 0x20(%rsp),%eax */
	cr_assert_eq(in.base, GPR_RSP);
	cr_assert_eq(in.seg, SEG_SS);
	in = DEC32(0x0f, 0xb6, 0x4d, 0x03); /* movzbl 0x3(%ebp),%ecx */
	cr_assert_eq(in.base, GPR_RBP);
	cr_assert_eq(in.seg, SEG_SS);
}

Test(decode, mov_immediates)
{
	/* movl $0x12345678,0x300(%rdi) */
	struct insn in = DEC64(0xc7, 0x87, 0x00, 0x03, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12);
	cr_assert_eq(in.len, 10);
	cr_assert(in.has_imm);
	cr_assert_eq(in.imm, 0x12345678);
	cr_assert_eq(in.disp, 0x300);
	/* movq $-1,(%rdi): imm32 sign-extended to 64 */
	in = DEC64(0x48, 0xc7, 0x07, 0xff, 0xff, 0xff, 0xff);
	cr_assert_eq(in.imm, ~0ULL);
	cr_assert_eq(in.op_size, 8);
	in = DEC64(0xc6, 0x07, 0x5a); /* movb $0x5a,(%rdi) */
	cr_assert_eq(in.imm, 0x5a);
	cr_assert_eq(in.op_size, 1);
	in = DEC64(0x66, 0xc7, 0x07, 0x34, 0x12); /* movw $0x1234,(%rdi): Iz is 16 bits */
	cr_assert_eq(in.len, 5);
	cr_assert_eq(in.imm, 0x1234);
}

Test(decode, rip_relative)
{
	struct insn in = DEC64(0x8b, 0x05, 0x00, 0x01, 0x00, 0x00); /* mov 0x100(%rip),%eax */
	cr_assert(in.rip_rel);
	cr_assert_eq(in.base, NONE);
	cr_assert_eq(in.disp, 0x100);
	cr_assert_eq(in.len, 6);
	in = DEC64(0x89, 0x05, 0xf0, 0xff, 0xff, 0xff); /* mov %eax,-0x10(%rip) */
	cr_assert(in.rip_rel);
	cr_assert_eq(in.disp, -0x10);
	in = DEC64(0x67, 0x8b, 0x05, 0x00, 0x01, 0x00, 0x00); /* mov 0x100(%eip),%eax */
	cr_assert(in.rip_rel);
	cr_assert_eq(in.addr_size, 4);
	/* The same ModRM in 32-bit code is an absolute disp32. */
	in = DEC32(0x8b, 0x05, 0xb0, 0x00, 0xe0, 0xfe);
	cr_assert_not(in.rip_rel);
	cr_assert_eq(in.base, NONE);
	cr_assert_eq((uint32_t)in.disp, 0xfee000b0);
}

Test(decode, moffs_forms)
{
	/* movabs 0xfee000b0,%eax: 8-byte offset in 64-bit mode */
	struct insn in = DEC64(0xa1, 0xb0, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00);
	cr_assert_eq(in.len, 9);
	cr_assert_eq(in.kind, INSN_KIND_MOV);
	cr_assert_not(in.mem_first);
	cr_assert_eq((uint64_t)in.disp, 0xfee000b0ULL);
	cr_assert_eq(in.reg, GPR_RAX);
	in = DEC64(0xa3, 0xb0, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00); /* movabs %eax,... */
	cr_assert(in.mem_first);
	/* 32-bit code: 4-byte offset, not sign-extended */
	in = DEC32(0xa1, 0x10, 0x00, 0xc0, 0xfe); /* mov 0xfec00010,%eax */
	cr_assert_eq(in.len, 5);
	cr_assert_eq((uint64_t)in.disp, 0xfec00010ULL);
	in = DEC16(0xa1, 0x34, 0x12); /* mov 0x1234,%ax */
	cr_assert_eq(in.len, 3);
	cr_assert_eq(in.op_size, 2);
	cr_assert_eq(in.disp, 0x1234);
	in = DEC64(0xa2, 0x10, 0, 0, 0, 0, 0, 0, 0); /* movabs %al,0x10 */
	cr_assert_eq(in.op_size, 1);
}

Test(decode, movzx_movsx_movsxd)
{
	struct insn in = DEC64(0x0f, 0xb6, 0x07); /* movzbl (%rdi),%eax */
	cr_assert_eq(in.kind, INSN_KIND_MOVZX);
	cr_assert_eq(in.op_size, 4);
	cr_assert_eq(in.mem_size, 1);
	cr_assert(in.two_byte);
	in = DEC64(0x0f, 0xb7, 0x07); /* movzwl */
	cr_assert_eq(in.mem_size, 2);
	in = DEC64(0x0f, 0xbe, 0x07); /* movsbl */
	cr_assert_eq(in.kind, INSN_KIND_MOVSX);
	cr_assert_eq(in.mem_size, 1);
	in = DEC64(0x48, 0x0f, 0xbf, 0x07); /* movswq */
	cr_assert_eq(in.op_size, 8);
	cr_assert_eq(in.mem_size, 2);
	in = DEC64(0x66, 0x0f, 0xb6, 0x07); /* movzbw (%rdi),%ax */
	cr_assert_eq(in.op_size, 2);
	in = DEC64(0x48, 0x63, 0x07); /* movslq (%rdi),%rax */
	cr_assert_eq(in.kind, INSN_KIND_MOVSX);
	cr_assert_eq(in.op_size, 8);
	cr_assert_eq(in.mem_size, 4);
	in = DEC64(0x63, 0x07); /* movsxd without REX.W: a 32-bit load */
	cr_assert_eq(in.kind, INSN_KIND_MOV);
	cr_assert_eq(in.op_size, 4);
	BAD(INSN_MODE_32, INSN_UNSUPPORTED, 0x63, 0x07); /* ARPL outside 64-bit mode */
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0x66, 0x63, 0x07);
}

/* ---- ALU, TEST, XCHG, BT ------------------------------------------------ */

Test(decode, alu_register_forms)
{
	static const struct {
		uint8_t op;
		enum insn_alu alu;
	} t[] = {
		{ 0x01, INSN_ALU_ADD }, { 0x09, INSN_ALU_OR },  { 0x11, INSN_ALU_ADC },
		{ 0x19, INSN_ALU_SBB }, { 0x21, INSN_ALU_AND }, { 0x29, INSN_ALU_SUB },
		{ 0x31, INSN_ALU_XOR }, { 0x39, INSN_ALU_CMP },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (uint8_t lo = 0; lo < 4; lo++) {
			uint8_t b[2] = { (uint8_t)((t[i].op & ~3) | lo), 0x07 };
			struct insn in = dec_mode(INSN_MODE_64, b, 2, INSN_OK);
			cr_assert_eq(in.kind, INSN_KIND_ALU);
			cr_assert_eq(in.alu, t[i].alu, "opcode %02x", b[0]);
			cr_assert_eq(in.op_size, (lo & 1) ? 4 : 1);
			cr_assert_eq(in.mem_first, !(lo & 2));
			cr_assert_eq(insn_writes_mem(&in), !(lo & 2) && t[i].alu != INSN_ALU_CMP);
			cr_assert(insn_reads_mem(&in));
		}
	}
	/* AL/rAX, imm forms (04, 05, ...) have no memory operand */
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0x05, 0x01, 0x00, 0x00, 0x00);
}

Test(decode, alu_immediate_groups)
{
	struct insn in = DEC64(0x83, 0x27, 0xfe); /* andl $0xfffffffe,(%rdi) */
	cr_assert_eq(in.alu, INSN_ALU_AND);
	cr_assert_eq(in.imm, 0xfffffffe, "imm8 sign-extended to the 32-bit operand");
	cr_assert(in.mem_first);
	in = DEC64(0x80, 0x47, 0x07, 0x01); /* addb $0x1,0x7(%rdi) */
	cr_assert_eq(in.alu, INSN_ALU_ADD);
	cr_assert_eq(in.op_size, 1);
	cr_assert_eq(in.imm, 1);
	cr_assert_eq(in.disp, 7);
	in = DEC64(0x83, 0x3f, 0x05); /* cmpl $0x5,(%rdi) */
	cr_assert_eq(in.alu, INSN_ALU_CMP);
	cr_assert_not(insn_writes_mem(&in));
	in = DEC64(0x48, 0x81, 0x0f, 0x00, 0x00, 0x00, 0x80); /* orq $-0x80000000,(%rdi) */
	cr_assert_eq(in.imm, 0xffffffff80000000ULL);
	in = DEC64(0x83, 0x1f, 0x01); /* sbbl $0x1,(%rdi) */
	cr_assert_eq(in.alu, INSN_ALU_SBB);
	in = DEC16(0x81, 0x49, 0x06, 0x00, 0x80); /* orw $0x8000,0x6(%bx,%di) */
	cr_assert_eq(in.op_size, 2);
	cr_assert_eq(in.imm, 0x8000);
	cr_assert_eq(in.base, GPR_RBX);
	cr_assert_eq(in.index, GPR_RDI);
	BAD(INSN_MODE_32, INSN_UNSUPPORTED, 0x82, 0x07, 0x01); /* 82 alias refused */
}

Test(decode, test_xchg_bt)
{
	struct insn in = DEC64(0xf7, 0x07, 0x80, 0x00, 0x00, 0x00); /* testl $0x80,(%rdi) */
	cr_assert_eq(in.kind, INSN_KIND_TEST);
	cr_assert_eq(in.imm, 0x80);
	cr_assert_eq(in.len, 6);
	in = DEC64(0x84, 0x07); /* test %al,(%rdi) */
	cr_assert_eq(in.kind, INSN_KIND_TEST);
	cr_assert_eq(in.op_size, 1);
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0xf7, 0x17);       /* not (%rdi) */
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0xf6, 0x0f, 0x01); /* undocumented /1 alias */

	in = DEC64(0x87, 0x07); /* xchg %eax,(%rdi) */
	cr_assert_eq(in.kind, INSN_KIND_XCHG);
	cr_assert(insn_reads_mem(&in) && insn_writes_mem(&in));

	in = DEC64(0x0f, 0xa3, 0x07); /* bt %eax,(%rdi) */
	cr_assert_eq(in.kind, INSN_KIND_BT);
	cr_assert_not(in.has_imm);
	in = DEC64(0x0f, 0xba, 0x27, 0x05); /* btl $0x5,(%rdi) */
	cr_assert(in.has_imm);
	cr_assert_eq(in.imm, 5);
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0x0f, 0xba, 0x2f, 0x05); /* bts */
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0x0f, 0xab, 0x07);       /* bts reg */
}

/* ---- string instructions ------------------------------------------------ */

Test(decode, string_ops)
{
	struct insn in = DEC64(0xf3, 0xaa); /* rep stosb */
	cr_assert_eq(in.kind, INSN_KIND_STOS);
	cr_assert(in.rep);
	cr_assert_eq(in.op_size, 1);
	cr_assert_eq(in.addr_size, 8);
	in = DEC64(0xf3, 0x48, 0xab); /* rep stosq */
	cr_assert_eq(in.op_size, 8);
	in = DEC64(0xf3, 0xa5); /* rep movsl */
	cr_assert_eq(in.kind, INSN_KIND_MOVS);
	cr_assert_eq(in.op_size, 4);
	in = DEC64(0xa4); /* movsb */
	cr_assert_not(in.rep);
	in = DEC64(0xad); /* lodsl */
	cr_assert_eq(in.kind, INSN_KIND_LODS);
	cr_assert_not(insn_writes_mem(&in));
	in = DEC64(0x64, 0xa4); /* movsb %fs:(%rsi),%es:(%rdi) */
	cr_assert_eq(in.seg, SEG_FS);
	in = DEC32(0xf3, 0xab); /* rep stosl in 32-bit code */
	cr_assert_eq(in.op_size, 4);
	cr_assert_eq(in.addr_size, 4);
	in = DEC16(0xf3, 0xab); /* rep stosw in 16-bit code */
	cr_assert_eq(in.op_size, 2);
	cr_assert_eq(in.addr_size, 2);
	in = DEC64(0x67, 0xf3, 0xaa); /* addr32 rep stosb */
	cr_assert_eq(in.addr_size, 4);
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0xf2, 0xaa); /* repne stos: not guessed */
}

/* ---- prefixes ------------------------------------------------------------ */

Test(decode, lock_rules)
{
	struct insn in = DEC64(0xf0, 0x83, 0x0f, 0x01); /* lock orl $1,(%rdi) */
	cr_assert(in.lock);
	in = DEC64(0xf0, 0x87, 0x07); /* lock xchg */
	cr_assert(in.lock);
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0xf0, 0x8b, 0x07);       /* lock mov: #UD */
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0xf0, 0x83, 0x3f, 0x01); /* lock cmp */
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0xf0, 0x03, 0x07);       /* lock add reg,mem */
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0xf0, 0x85, 0x07);       /* lock test */
}

Test(decode, rep_on_non_string_refused)
{
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0xf3, 0x8b, 0x07);
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0xf2, 0x89, 0x07);
}

Test(decode, segment_overrides)
{
	struct insn in = DEC64(0x64, 0x8b, 0x04, 0x25, 0x10, 0, 0, 0); /* mov %fs:0x10,%eax */
	cr_assert_eq(in.seg, SEG_FS);
	cr_assert(in.seg_override);
	cr_assert_eq(in.base, NONE);
	cr_assert_eq(in.index, NONE);
	cr_assert_eq(in.disp, 0x10);
	in = DEC64(0x65, 0x8b, 0x00); /* mov %gs:(%rax),%eax */
	cr_assert_eq(in.seg, SEG_GS);
	in = DEC32(0x26, 0xc6, 0x07, 0x01); /* movb $1,%es:(%edi) */
	cr_assert_eq(in.seg, SEG_ES);
	in = DEC32(0x2e, 0x8b, 0x00); /* mov %cs:(%eax),%eax */
	cr_assert_eq(in.seg, SEG_CS);
	in = DEC32(0x3e, 0x8b, 0x45, 0x00); /* mov %ds:(%ebp),%eax: override beats SS default */
	cr_assert_eq(in.seg, SEG_DS);
	in = DEC32(0x36, 0x8b, 0x00); /* mov %ss:(%eax) */
	cr_assert_eq(in.seg, SEG_SS);
	in = DEC32(0x26, 0x64, 0x8b, 0x00); /* two overrides: the last one wins */
	cr_assert_eq(in.seg, SEG_FS);
}

Test(decode, rex_must_directly_precede_opcode)
{
	/* 48 66 8b 07: REX then a legacy prefix: REX ignored, 16-bit load */
	struct insn in = DEC64(0x48, 0x66, 0x8b, 0x07);
	cr_assert_eq(in.rex, 0);
	cr_assert_eq(in.op_size, 2);
	/* 66 48 8b 07: REX.W wins over 66 */
	in = DEC64(0x66, 0x48, 0x8b, 0x07);
	cr_assert_eq(in.op_size, 8);
	/* two REX prefixes: only the last counts (41 then 48: no REX.B) */
	in = DEC64(0x41, 0x48, 0x8b, 0x07);
	cr_assert_eq(in.base, GPR_RDI);
	cr_assert_eq(in.op_size, 8);
	/* 40-4F are INC/DEC outside 64-bit mode */
	BAD(INSN_MODE_32, INSN_UNSUPPORTED, 0x48, 0x8b, 0x07);
}

Test(decode, address_size_override)
{
	struct insn in = DEC64(0x67, 0x8b, 0x08); /* mov (%eax),%ecx */
	cr_assert_eq(in.addr_size, 4);
	cr_assert(in.addrsize_prefix);
	in = DEC32(0x67, 0x8b, 0x00); /* 16-bit addressing in 32-bit code: (%bx,%si) */
	cr_assert_eq(in.addr_size, 2);
	cr_assert_eq(in.base, GPR_RBX);
	cr_assert_eq(in.index, GPR_RSI);
	cr_assert_eq(in.op_size, 4);
	in = DEC16(0x67, 0x66, 0x8b, 0x14, 0x88); /* mov (%eax,%ecx,4),%edx in 16-bit code */
	cr_assert_eq(in.addr_size, 4);
	cr_assert_eq(in.op_size, 4);
	cr_assert_eq(in.base, GPR_RAX);
	cr_assert_eq(in.index, GPR_RCX);
	cr_assert_eq(in.scale, 4);
	cr_assert_eq(in.len, 5);
}

/* ---- 32-bit and 16-bit code ---------------------------------------------- */

Test(decode, linux_i386_accessors)
{
	struct insn in = DEC32(0x89, 0x90, 0xb0, 0x00, 0x00, 0x00); /* mov %edx,0xb0(%eax) */
	cr_assert_eq(in.addr_size, 4);
	cr_assert_eq(in.op_size, 4);
	in = DEC32(0x66, 0x89, 0x50, 0x1e); /* mov %dx,0x1e(%eax) */
	cr_assert_eq(in.op_size, 2);
	in = DEC32(0x88, 0x50, 0x14); /* mov %dl,0x14(%eax) */
	cr_assert_eq(in.reg, GPR_RDX);
	cr_assert_not(in.reg_high8);
	in = DEC32(0x66, 0x89, 0x04, 0x73); /* mov %ax,(%ebx,%esi,2) */
	cr_assert_eq(in.base, GPR_RBX);
	cr_assert_eq(in.index, GPR_RSI);
	cr_assert_eq(in.scale, 2);
	in = DEC32(0xa3, 0xb0, 0x00, 0xe0, 0xfe); /* mov %eax,0xfee000b0 */
	cr_assert(in.mem_first);
	cr_assert_eq(in.len, 5);
}

Test(decode, sixteen_bit_forms)
{
	struct insn in = DEC16(0x8b, 0x00); /* mov (%bx,%si),%ax */
	cr_assert_eq(in.op_size, 2);
	cr_assert_eq(in.base, GPR_RBX);
	cr_assert_eq(in.index, GPR_RSI);
	cr_assert_eq(in.seg, SEG_DS);
	in = DEC16(0x89, 0x46, 0x10); /* mov %ax,0x10(%bp): SS default */
	cr_assert_eq(in.base, GPR_RBP);
	cr_assert_eq(in.index, NONE);
	cr_assert_eq(in.seg, SEG_SS);
	cr_assert_eq(in.disp, 0x10);
	in = DEC16(0x8b, 0x06, 0x34, 0x12); /* mov 0x1234,%ax: rm=6 mod=0 is disp16 */
	cr_assert_eq(in.base, NONE);
	cr_assert_eq(in.disp, 0x1234);
	cr_assert_eq(in.seg, SEG_DS);
	in = DEC16(0x8b, 0x42, 0xfe); /* mov -2(%bp,%si),%ax */
	cr_assert_eq(in.seg, SEG_SS);
	cr_assert_eq(in.disp, -2);
	in = DEC16(0xc6, 0x05, 0x41); /* movb $0x41,(%di) */
	cr_assert_eq(in.base, NONE);
	cr_assert_eq(in.index, GPR_RDI);
	in = DEC16(0x66, 0x89, 0x07); /* mov %eax,(%bx) */
	cr_assert_eq(in.op_size, 4);
	in = DEC16(0x64, 0x88, 0x07); /* mov %al,%fs:(%bx) */
	cr_assert_eq(in.seg, SEG_FS);
	in = DEC16(0x0f, 0xb6, 0x0c); /* movzbw (%si),%cx */
	cr_assert_eq(in.op_size, 2);
	cr_assert_eq(in.mem_size, 1);
	in = DEC16(0x8b, 0x87, 0x00, 0x80); /* mov -0x8000(%bx),%ax: disp16 sign-extended */
	cr_assert_eq(in.disp, -0x8000);
}

/* ---- hostile input -------------------------------------------------------- */

Test(decode, register_operand_refused)
{
	struct insn in = BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0x89, 0xc3); /* mov %eax,%ebx */
	cr_assert_not_null(in.why);
}

/* Exiting instructions decode for their length only (SVM without NRIP). */
Test(decode, system_instruction_lengths)
{
	static const struct {
		uint8_t b[8];
		uint8_t n;
	} t[] = {
		{ { 0x0f, 0xa2 }, 2 },                   /* cpuid */
		{ { 0x0f, 0x32 }, 2 },                   /* rdmsr */
		{ { 0x0f, 0x30 }, 2 },                   /* wrmsr */
		{ { 0x0f, 0x31 }, 2 },                   /* rdtsc */
		{ { 0x0f, 0x01, 0xf9 }, 3 },             /* rdtscp */
		{ { 0x0f, 0x33 }, 2 },                   /* rdpmc */
		{ { 0x0f, 0x08 }, 2 },                   /* invd */
		{ { 0x0f, 0x09 }, 2 },                   /* wbinvd */
		{ { 0xf4 }, 1 },                         /* hlt */
		{ { 0xf3, 0x90 }, 2 },                   /* pause */
		{ { 0x0f, 0x01, 0xc1 }, 3 },             /* vmcall */
		{ { 0x0f, 0x01, 0xd9 }, 3 },             /* vmmcall */
		{ { 0x0f, 0x01, 0xd1 }, 3 },             /* xsetbv */
		{ { 0x0f, 0x01, 0xc8 }, 3 },             /* monitor */
		{ { 0x0f, 0x01, 0xc9 }, 3 },             /* mwait */
		{ { 0xe4, 0x71 }, 2 },                   /* in $0x71,%al */
		{ { 0xe7, 0x80 }, 2 },                   /* out %eax,$0x80 */
		{ { 0x66, 0xed }, 2 },                   /* in (%dx),%ax */
		{ { 0xee }, 1 },                         /* out %al,(%dx) */
		{ { 0xf3, 0x6e }, 2 },                   /* rep outsb */
		{ { 0xf3, 0x6d }, 2 },                   /* rep insl */
		{ { 0x0f, 0x20, 0xc0 }, 3 },             /* mov %cr0,%rax */
		{ { 0x0f, 0x22, 0xd8 }, 3 },             /* mov %rax,%cr3 */
		{ { 0x45, 0x0f, 0x20, 0xc1 }, 4 },       /* mov %cr8,%r9 */
		{ { 0x0f, 0x06 }, 2 },                   /* clts */
		{ { 0x0f, 0x01, 0x78, 0x10 }, 4 },       /* invlpg 0x10(%rax) */
		{ { 0x0f, 0x01, 0x3d, 0, 0, 0, 0 }, 7 }, /* invlpg 0(%rip) */
		{ { 0x66, 0x0f, 0xa2 }, 3 },             /* cpuid with a stray 66 */
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct insn in = dec_mode(INSN_MODE_64, t[i].b, sizeof(t[i].b), INSN_OK);
		cr_assert_eq(in.kind, INSN_KIND_SYSTEM, "case %zu", i);
		cr_assert_eq(in.len, t[i].n, "case %zu: len %u want %u", i, in.len, t[i].n);
		cr_assert_not(insn_reads_mem(&in) || insn_writes_mem(&in));
	}
	struct insn in = DEC32(0x0f, 0xa2);
	cr_assert_eq(in.len, 2);
	in = DEC16(0xe5, 0x60); /* in $0x60,%ax */
	cr_assert_eq(in.imm, 0x60);
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0x90);             /* nop: never exits */
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0xf0, 0x0f, 0xa2); /* lock cpuid */
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0xf3, 0x0f, 0xa2); /* rep cpuid: not guessed */
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0xf0, 0xf3, 0x90); /* lock pause */
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0x0f, 0x01, 0xd0); /* xgetbv does not exit */
	BAD(INSN_MODE_64, INSN_TRUNCATED, 0x0f, 0x01);
	BAD(INSN_MODE_64, INSN_TRUNCATED, 0xe4);
}

/* MOV to/from CRn (SDM Vol. 2B): the CR from ModRM.reg (REX.R), the GPR
 * from ModRM.rm (REX.B), whatever the mod field says. core/exits.c reads
 * these for SVM's CR exits. */
Test(decode, mov_cr_operands)
{
	struct insn in = DEC64(0x0f, 0x22, 0xe0); /* mov %rax,%cr4 */
	cr_assert(insn_is_mov_to_cr(&in));
	cr_assert_not(insn_is_mov_from_cr(&in));
	cr_assert_eq(in.ctl_reg, 4);
	cr_assert_eq(in.reg, GPR_RAX);
	in = DEC64(0x41, 0x0f, 0x22, 0x27); /* mov %r15,%cr4 (mod 00 ignored) */
	cr_assert_eq(in.ctl_reg, 4);
	cr_assert_eq(in.reg, GPR_R15);
	cr_assert_eq(in.len, 4);
	in = DEC64(0x44, 0x0f, 0x20, 0xc1); /* mov %cr8,%rcx */
	cr_assert(insn_is_mov_from_cr(&in));
	cr_assert_eq(in.ctl_reg, 8);
	cr_assert_eq(in.reg, GPR_RCX);
	in = DEC32(0x66, 0x0f, 0x22, 0xde); /* mov %esi,%cr3 with an ignored 66 */
	cr_assert(insn_is_mov_to_cr(&in));
	cr_assert_eq(in.ctl_reg, 3);
	cr_assert_eq(in.reg, GPR_RSI);
	cr_assert_eq(in.len, 4);
	in = DEC64(0x0f, 0xa2); /* cpuid */
	cr_assert_not(insn_is_mov_to_cr(&in) || insn_is_mov_from_cr(&in));
	cr_assert_eq(in.ctl_reg, NONE);
}

/* INS/OUTS operands core/exits.c takes from the decoder for string I/O:
 * address size (67) and the source segment override; F2 repeats as F3. */
Test(decode, ins_outs_operands)
{
	struct insn in = DEC64(0x67, 0x26, 0xf3, 0x6f); /* rep outsl %es:(%esi),(%dx) */
	cr_assert_eq(in.kind, INSN_KIND_SYSTEM);
	cr_assert_eq(in.addr_size, 4);
	cr_assert_eq(in.seg, SEG_ES);
	cr_assert(in.rep);
	in = DEC16(0x67, 0x6e); /* outsb with 32-bit addresses in 16-bit code */
	cr_assert_eq(in.addr_size, 4);
	cr_assert_eq(in.seg, SEG_DS);
	in = DEC32(0x67, 0x6c); /* insb with 16-bit addresses */
	cr_assert_eq(in.addr_size, 2);
	in = DEC64(0xf2, 0x48, 0x6d); /* repne insl, REX ignored */
	cr_assert(in.rep);
	cr_assert_eq(in.addr_size, 8);
	cr_assert_eq(in.len, 3);
}

Test(decode, unsupported_opcodes_named)
{
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0x0f, 0x05);             /* syscall */
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0xff, 0x07);             /* inc (%rdi) */
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0x0f, 0xb1, 0x0f);       /* cmpxchg */
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0xc5, 0xf9, 0x6f, 0x07); /* vmovdqa (VEX) */
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0x0f, 0x38, 0xf0, 0x07); /* movbe */
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0xc7, 0xf8, 0, 0, 0, 0); /* xbegin */
}

Test(decode, exactly_15_bytes_ok_16_too_long)
{
	/* 4 prefixes + REX.W + C7 87 disp32 imm32 = 15 bytes */
	struct insn in = DEC64(0x2e, 0x3e, 0x2e, 0x3e, 0x48, 0xc7, 0x87, 0x00, 0x03, 0x00, 0x00,
			       0x78, 0x56, 0x34, 0x12);
	cr_assert_eq(in.len, 15);
	cr_assert_eq(in.imm, 0x12345678);
	BAD(INSN_MODE_64, INSN_TOO_LONG, 0x2e, 0x2e, 0x3e, 0x2e, 0x3e, 0x48, 0xc7, 0x87, 0x00, 0x03,
	    0x00, 0x00, 0x78, 0x56, 0x34, 0x12);
	/* 15 prefixes and nothing else */
	BAD(INSN_MODE_64, INSN_TOO_LONG, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	    0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66);
}

Test(decode, truncated_buffers)
{
	static const uint8_t full[] = { 0x48, 0xc7, 0x87, 0x00, 0x03, 0x00,
					0x00, 0x78, 0x56, 0x34, 0x12 };
	for (size_t n = 0; n < sizeof(full); n++) {
		/* exact-size heap copy: ASan catches any read past it */
		uint8_t *b = malloc(n ? n : 1);
		memcpy(b, full, n);
		struct insn in;
		cr_assert_eq(insn_decode(&in, b, n, INSN_MODE_64), INSN_TRUNCATED, "n=%zu", n);
		free(b);
	}
	struct insn in;
	cr_assert_eq(insn_decode(&in, full, sizeof(full), INSN_MODE_64), INSN_OK);
	/* SIB and disp are where truncation bites too */
	BAD(INSN_MODE_64, INSN_TRUNCATED, 0x8b, 0x04);
	BAD(INSN_MODE_64, INSN_TRUNCATED, 0x8b, 0x44, 0x24);
	BAD(INSN_MODE_64, INSN_TRUNCATED, 0x0f);
	BAD(INSN_MODE_64, INSN_TRUNCATED, 0xa1, 0, 0, 0, 0, 0, 0, 0);
}

Test(decode, bad_mode_refused)
{
	static const uint8_t b[] = { 0x8b, 0x07 };
	struct insn in;
	cr_assert_eq(insn_decode(&in, b, 2, (enum insn_mode)3), INSN_UNSUPPORTED);
}

Test(decode, every_single_byte_opcode_is_handled_without_overread)
{
	/* Each possible first byte followed by a pattern, in each mode, with an
	 * exact-size buffer: never crashes, status always one of the four. */
	for (int mode = 0; mode < 3; mode++) {
		enum insn_mode m = mode == 0   ? INSN_MODE_16
				   : mode == 1 ? INSN_MODE_32
					       : INSN_MODE_64;
		for (int op = 0; op < 256; op++) {
			for (size_t n = 1; n <= 6; n++) {
				uint8_t *b = malloc(n);
				for (size_t i = 0; i < n; i++)
					b[i] = i == 0 ? (uint8_t)op : (uint8_t)(0x04 + i);
				struct insn in;
				enum insn_status st = insn_decode(&in, b, n, m);
				cr_assert(st <= INSN_UNSUPPORTED);
				if (st == INSN_OK)
					cr_assert(in.len <= n);
				free(b);
			}
		}
	}
}

/* LGDT/LIDT (issue 14: the SVM descriptor-table write intercept). */
Test(decode, lgdt_lidt_memory_forms)
{
	struct insn in = DEC64(0x0f, 0x01, 0x17); /* lgdt (%rdi) */
	cr_assert_eq(in.kind, INSN_KIND_DTABLE);
	cr_assert_not(insn_dtable_is_idt(&in));
	cr_assert_eq(in.len, 3);
	cr_assert_eq(in.base, GPR_RDI);
	cr_assert_eq(in.mem_size, 10, "m16&64 in 64-bit mode");
	cr_assert(insn_reads_mem(&in));
	cr_assert_not(insn_writes_mem(&in));

	in = DEC64(0x66, 0x0f, 0x01, 0x5f, 0x08); /* lidt 8(%rdi): 66 changes nothing */
	cr_assert_eq(in.kind, INSN_KIND_DTABLE);
	cr_assert(insn_dtable_is_idt(&in));
	cr_assert_eq(in.len, 5);
	cr_assert_eq(in.disp, 8);
	cr_assert_eq(in.mem_size, 10);

	in = DEC64(0x0f, 0x01, 0x15, 0x10, 0, 0, 0); /* lgdt 0x10(%rip) */
	cr_assert(in.rip_rel);
	cr_assert_eq(in.len, 7);

	in = DEC32(0x0f, 0x01, 0x1d, 0x00, 0x20, 0, 0); /* lidt 0x2000 */
	cr_assert(insn_dtable_is_idt(&in));
	cr_assert_eq(in.mem_size, 6, "m16&32");
	cr_assert_eq(in.op_size, 4);
	in = DEC32(0x66, 0x0f, 0x01, 0x15, 0x00, 0x20, 0, 0); /* o16 lgdt 0x2000 */
	cr_assert_eq(in.op_size, 2, "24-bit base");

	in = DEC16(0x0f, 0x01, 0x16, 0x00, 0x20); /* lgdt [0x2000] */
	cr_assert_eq(in.kind, INSN_KIND_DTABLE);
	cr_assert_eq(in.len, 5);

	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0xf0, 0x0f, 0x01, 0x17); /* LOCK: #UD */
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0x0f, 0x01, 0x07);       /* sgdt: not here */
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0x0f, 0x01, 0x0f);       /* sidt */
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0x0f, 0x01, 0xd0);       /* xgetbv (register form) */
}

/* LMSW and CLTS (issue 14: SVM's CR0 write intercept takes them as CR0
 * writes, and core/exits.c decodes which one it was). */
Test(decode, lmsw_clts_operands)
{
	struct insn in = DEC64(0x0f, 0x01, 0xf0); /* lmsw %ax */
	cr_assert(insn_is_lmsw(&in));
	cr_assert(insn_lmsw_from_reg(&in));
	cr_assert_eq(in.reg, GPR_RAX);
	cr_assert_eq(in.len, 3);
	cr_assert_eq(in.op_size, 2);
	cr_assert_not(insn_is_mov_to_cr(&in) || insn_is_clts(&in));

	in = DEC64(0x41, 0x0f, 0x01, 0xf7); /* lmsw %r15w */
	cr_assert(insn_lmsw_from_reg(&in));
	cr_assert_eq(in.reg, GPR_R15);

	in = DEC64(0x0f, 0x01, 0x77, 0x08); /* lmsw 8(%rdi) */
	cr_assert(insn_is_lmsw(&in));
	cr_assert_not(insn_lmsw_from_reg(&in));
	cr_assert_eq(in.base, GPR_RDI);
	cr_assert_eq(in.disp, 8);
	cr_assert_eq(in.mem_size, 2, "a word");
	cr_assert_eq(in.len, 4);

	in = DEC16(0x0f, 0x01, 0x36, 0x00, 0x20); /* lmsw [0x2000] */
	cr_assert(insn_is_lmsw(&in));
	cr_assert_eq(in.len, 5);

	in = DEC64(0x0f, 0x06); /* clts */
	cr_assert(insn_is_clts(&in));
	cr_assert_not(insn_is_lmsw(&in));
	cr_assert_eq(in.len, 2);

	in = DEC64(0x0f, 0x01, 0x17); /* lgdt: neither */
	cr_assert_not(insn_is_lmsw(&in) || insn_is_clts(&in));
	/* smsw (0F 01 /4) does not exit and stays unknown here. */
	BAD(INSN_MODE_64, INSN_UNSUPPORTED, 0x0f, 0x01, 0xe0);
}
