/* SPDX-License-Identifier: BSD-2-Clause */
/* core/emul/mmio_emul.c: fetch + decode + verify + execute one MMIO
 * instruction against a recording fake device, in long, protected and real
 * mode; flags checked against the host CPU itself. */
#include <criterion/criterion.h>

#include "tests/unit/support/emul_fixture.h"
#include "tests/unit/support/host_log.h"

#define RF_CF EMUL_RFLAGS_CF
#define RF_PF EMUL_RFLAGS_PF
#define RF_AF EMUL_RFLAGS_AF
#define RF_ZF EMUL_RFLAGS_ZF
#define RF_SF EMUL_RFLAGS_SF
#define RF_OF EMUL_RFLAGS_OF
#define RF_DF EMUL_RFLAGS_DF
#define RF_FIXED BIT(1)

#define MMIO_HI 0x80000000ULL /* an MMIO GPA reachable RIP-relative from FX_CODE */
#define HI_LA 0x8000000000ULL /* PML4[1]: where fx_map_4k() builds 4 KiB pages */

static struct fx *f;

static void setup(void)
{
	f = fx_new();
	host_log_reset();
}

static void teardown(void)
{
	fx_free(f);
}

TestSuite(emul, .init = setup, .fini = teardown);

static int run(uint64_t gpa, enum emul_access acc)
{
	host_log_reset();
	f->nacc = 0;
	return emul_mmio(&f->ctx, gpa, acc);
}

static void run_ok(uint64_t gpa, enum emul_access acc)
{
	int rc = run(gpa, acc);
	cr_assert_eq(rc, EMUL_OK, "emul_mmio: %s; log: %s", emul_result_name(rc), host_log_line(0));
	cr_assert_eq(host_log_count(), 0);
}

static void run_fail(uint64_t gpa, enum emul_access acc, int want)
{
	uint64_t rip = f->rip, rflags = f->rflags, gpr[GPR_COUNT];
	memcpy(gpr, f->gpr, sizeof(gpr));
	int rc = run(gpa, acc);
	cr_assert_eq(rc, want, "got %s, want %s", emul_result_name(rc), emul_result_name(want));
	cr_assert_eq(host_log_count(), 1, "exactly one log line, got %u", host_log_count());
	cr_assert(host_log_contains("[test] mmio-emul: "), "%s", host_log_line(0));
	cr_assert_eq(f->rip, rip, "RIP must not move on failure");
	cr_assert_eq(f->rflags, rflags);
	cr_assert_eq(memcmp(gpr, f->gpr, sizeof(gpr)), 0, "registers must not change on failure");
}

static void expect_acc(unsigned int i, uint64_t gpa, unsigned int size, bool write, uint64_t val)
{
	cr_assert(i < f->nacc, "access %u missing (%u recorded)", i, f->nacc);
	struct fx_access *a = &f->acc[i];
	cr_assert_eq(a->gpa, gpa, "access %u gpa %#lx want %#lx", i, a->gpa, gpa);
	cr_assert_eq(a->size, size, "access %u size %u want %u", i, a->size, size);
	cr_assert_eq(a->write, write, "access %u direction", i);
	cr_assert_eq(a->val, val, "access %u value %#lx want %#lx", i, a->val, val);
}

/* ---- Linux readX/writeX in long mode ------------------------------------ */

Test(emul, readl_zero_extends_and_advances_rip)
{
	FX_CODE_BYTES(f, 0x8b, 0x06); /* mov (%rsi),%eax */
	f->gpr[GPR_RSI] = FX_LAPIC + 0x30;
	f->gpr[GPR_RAX] = ~0ULL;
	f->read_val = 0x50014;
	f->rflags = RF_FIXED | RF_CF | RF_ZF;
	run_ok(FX_LAPIC + 0x30, EMUL_ACCESS_READ);
	cr_assert_eq(f->gpr[GPR_RAX], 0x50014, "32-bit write zeroes bits 63:32");
	cr_assert_eq(f->rip, FX_CODE + 2);
	cr_assert_eq(f->rflags, RF_FIXED | RF_CF | RF_ZF, "MOV leaves flags alone");
	cr_assert_eq(f->nacc, 1);
	expect_acc(0, FX_LAPIC + 0x30, 4, false, 0x50014);
	cr_assert_eq(f->ctx.insn.len, 2);
}

Test(emul, writel_lapic_eoi)
{
	FX_CODE_BYTES(f, 0x89, 0x90, 0xb0, 0x00, 0x00, 0x00); /* mov %edx,0xb0(%rax) */
	f->gpr[GPR_RAX] = FX_LAPIC;
	f->gpr[GPR_RDX] = 0xdeadbeef00000000ULL;
	run_ok(FX_LAPIC + 0xb0, EMUL_ACCESS_WRITE);
	expect_acc(0, FX_LAPIC + 0xb0, 4, true, 0);
	cr_assert_eq(f->rip, FX_CODE + 6);
}

Test(emul, readb_readw_merge_into_register)
{
	FX_CODE_BYTES(f, 0x8a, 0x40, 0x14); /* mov 0x14(%rax),%al */
	f->gpr[GPR_RAX] = 0xd0000000;
	f->read_val = 0xabcd;
	run_ok(0xd0000014, EMUL_ACCESS_READ);
	cr_assert_eq(f->gpr[GPR_RAX], 0xd00000cd, "8-bit write keeps bits 63:8");
	expect_acc(0, 0xd0000014, 1, false, 0xcd);
}

Test(emul, readw_merges_16_bits)
{
	FX_CODE_BYTES(f, 0x66, 0x8b, 0x47, 0x1e); /* mov 0x1e(%rdi),%ax */
	f->gpr[GPR_RDI] = 0xd0000000;
	f->gpr[GPR_RAX] = 0x1122334455667788ULL;
	f->read_val = 0x9876;
	run_ok(0xd000001e, EMUL_ACCESS_READ);
	cr_assert_eq(f->gpr[GPR_RAX], 0x1122334455669876ULL);
	cr_assert_eq(f->rip, FX_CODE + 4);
}

Test(emul, readq_writeq)
{
	FX_CODE_BYTES(f, 0x48, 0x8b, 0x40, 0x28); /* mov 0x28(%rax),%rax */
	f->gpr[GPR_RAX] = 0xd0000000;
	f->read_val = 0x8877665544332211ULL;
	run_ok(0xd0000028, EMUL_ACCESS_READ);
	cr_assert_eq(f->gpr[GPR_RAX], 0x8877665544332211ULL);
	expect_acc(0, 0xd0000028, 8, false, 0x8877665544332211ULL);

	f->rip = FX_CODE;
	FX_CODE_BYTES(f, 0x48, 0x89, 0x70, 0x28); /* mov %rsi,0x28(%rax) */
	f->gpr[GPR_RAX] = 0xd0000000;
	f->gpr[GPR_RSI] = 0xfedcba9876543210ULL;
	run_ok(0xd0000028, EMUL_ACCESS_WRITE);
	expect_acc(0, 0xd0000028, 8, true, 0xfedcba9876543210ULL);
}

Test(emul, high_byte_and_rex_byte_registers)
{
	FX_CODE_BYTES(f, 0x88, 0x23); /* mov %ah,(%rbx) */
	f->gpr[GPR_RBX] = 0xd0000000;
	f->gpr[GPR_RAX] = 0x1234;
	run_ok(0xd0000000, EMUL_ACCESS_WRITE);
	expect_acc(0, 0xd0000000, 1, true, 0x12);

	f->rip = FX_CODE;
	FX_CODE_BYTES(f, 0x8a, 0x2b); /* mov (%rbx),%ch */
	f->gpr[GPR_RCX] = 0xffffffffffff1111ULL;
	f->read_val = 0x5a;
	run_ok(0xd0000000, EMUL_ACCESS_READ);
	cr_assert_eq(f->gpr[GPR_RCX], 0xffffffffffff5a11ULL);

	f->rip = FX_CODE;
	FX_CODE_BYTES(f, 0x40, 0x88, 0x33); /* mov %sil,(%rbx) */
	f->gpr[GPR_RSI] = 0x77;
	f->gpr[GPR_RDX] = 0x6600; /* DH would be 0x66 without REX */
	run_ok(0xd0000000, EMUL_ACCESS_WRITE);
	expect_acc(0, 0xd0000000, 1, true, 0x77);
}

Test(emul, mov_immediates)
{
	FX_CODE_BYTES(f, 0xc7, 0x87, 0x00, 0x03, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12);
	f->gpr[GPR_RDI] = FX_IOAPIC;
	run_ok(FX_IOAPIC + 0x300, EMUL_ACCESS_WRITE);
	expect_acc(0, FX_IOAPIC + 0x300, 4, true, 0x12345678);
	cr_assert_eq(f->rip, FX_CODE + 10);

	f->rip = FX_CODE;
	FX_CODE_BYTES(f, 0x48, 0xc7, 0x07, 0xff, 0xff, 0xff, 0xff); /* movq $-1,(%rdi) */
	run_ok(FX_IOAPIC, EMUL_ACCESS_WRITE);
	expect_acc(0, FX_IOAPIC, 8, true, ~0ULL);

	f->rip = FX_CODE;
	FX_CODE_BYTES(f, 0x66, 0xc7, 0x07, 0x34, 0x12); /* movw $0x1234,(%rdi) */
	run_ok(FX_IOAPIC, EMUL_ACCESS_WRITE);
	expect_acc(0, FX_IOAPIC, 2, true, 0x1234);
}

Test(emul, rip_relative)
{
	/* mov 0x7ffefffa(%rip),%eax at 0x10000: next RIP 0x10006 -> 0x80000000 */
	FX_CODE_BYTES(f, 0x8b, 0x05, 0xfa, 0xff, 0xfe, 0x7f);
	f->read_val = 42;
	run_ok(MMIO_HI, EMUL_ACCESS_READ);
	cr_assert_eq(f->gpr[GPR_RAX], 42);
	/* negative displacement: mov %eax,-6(%rip) addresses its own first byte */
	f->rip = 0x90000;
	FX_CODE_BYTES(f, 0x89, 0x05, 0xfa, 0xff, 0xff, 0xff);
	run_ok(0x90000, EMUL_ACCESS_WRITE);
	expect_acc(0, 0x90000, 4, true, 42);
	/* EIP-relative with 67: address truncated to 32 bits */
	f->rip = FX_CODE;
	FX_CODE_BYTES(f, 0x67, 0x8b, 0x05, 0xf9, 0xff, 0xfe, 0x7f); /* next 0x10007 */
	run_ok(MMIO_HI, EMUL_ACCESS_READ);
	cr_assert_eq(f->rip, FX_CODE + 7);
}

Test(emul, moffs_64)
{
	FX_CODE_BYTES(f, 0xa1, 0xb0, 0x00, 0xe0, 0xfe, 0, 0, 0, 0); /* movabs 0xfee000b0,%eax */
	f->read_val = 0x1000;
	run_ok(FX_LAPIC + 0xb0, EMUL_ACCESS_READ);
	cr_assert_eq(f->gpr[GPR_RAX], 0x1000);
	cr_assert_eq(f->rip, FX_CODE + 9);
	f->rip = FX_CODE;
	FX_CODE_BYTES(f, 0xa2, 0xb0, 0x00, 0xe0, 0xfe, 0, 0, 0, 0); /* movabs %al,0xfee000b0 */
	f->gpr[GPR_RAX] = 0x3344;
	run_ok(FX_LAPIC + 0xb0, EMUL_ACCESS_WRITE);
	expect_acc(0, FX_LAPIC + 0xb0, 1, true, 0x44);
}

Test(emul, movzx_movsx_movsxd)
{
	static const struct {
		uint8_t code[4];
		uint8_t len;
		uint64_t dev, before, after;
	} t[] = {
		{ { 0x0f, 0xb6, 0x07 }, 3, 0x80, ~0ULL, 0x80 },                      /* movzbl */
		{ { 0x0f, 0xb7, 0x07 }, 3, 0x8001, ~0ULL, 0x8001 },                  /* movzwl */
		{ { 0x0f, 0xbe, 0x07 }, 3, 0x80, ~0ULL, 0xffffff80 },                /* movsbl */
		{ { 0x48, 0x0f, 0xbf, 0x07 }, 4, 0x8000, 0, 0xffffffffffff8000ULL }, /* movswq */
		{ { 0x48, 0x63, 0x07 }, 3, 0x80000000, 0, 0xffffffff80000000ULL },   /* movslq */
		{ { 0x63, 0x07 }, 2, 0x80000000, ~0ULL, 0x80000000 }, /* movsxd r32 */
		{ { 0x66, 0x0f, 0xb6, 0x07 }, 4, 0x80, ~0ULL, 0xffffffffffff0080ULL }, /* movzbw */
		{ { 0x66, 0x0f, 0xbe, 0x07 }, 4, 0x80, 0, 0xff80 },                    /* movsbw */
		{ { 0x48, 0x0f, 0xb6, 0x07 }, 4, 0xff, ~0ULL, 0xff },                  /* movzbq */
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		f->rip = FX_CODE;
		fx_code(f, t[i].code, t[i].len);
		f->gpr[GPR_RDI] = 0xd0000000;
		f->gpr[GPR_RAX] = t[i].before;
		f->read_val = t[i].dev;
		run_ok(0xd0000000, EMUL_ACCESS_READ);
		cr_assert_eq(f->gpr[GPR_RAX], t[i].after, "case %zu: rax %#lx want %#lx", i,
			     f->gpr[GPR_RAX], t[i].after);
		cr_assert_eq(f->rip, FX_CODE + t[i].len);
	}
}

/* ---- ALU forms ------------------------------------------------------------ */

Test(emul, and_imm_read_modify_write)
{
	FX_CODE_BYTES(f, 0x83, 0x27, 0xfe); /* andl $0xfffffffe,(%rdi) */
	f->gpr[GPR_RDI] = 0xd0000010;
	f->read_val = 0x3;
	f->rflags = RF_FIXED | RF_CF | RF_OF | RF_AF | RF_ZF;
	run_ok(0xd0000010, EMUL_ACCESS_WRITE);
	cr_assert_eq(f->nacc, 2);
	expect_acc(0, 0xd0000010, 4, false, 3);
	expect_acc(1, 0xd0000010, 4, true, 2);
	cr_assert_eq(f->rflags, RF_FIXED, "AND: CF=OF=0, AF=0, ZF=0, SF=0, PF(0x02)=0");
}

Test(emul, or_with_sib_index)
{
	FX_CODE_BYTES(f, 0x09, 0x04, 0x8f); /* or %eax,(%rdi,%rcx,4) */
	f->gpr[GPR_RDI] = 0xd0000000;
	f->gpr[GPR_RCX] = 3;
	f->gpr[GPR_RAX] = 0x80000000;
	f->read_val = 0x1;
	run_ok(0xd000000c, EMUL_ACCESS_WRITE);
	expect_acc(1, 0xd000000c, 4, true, 0x80000001);
	cr_assert_eq(f->rflags & (RF_SF | RF_ZF | RF_PF), RF_SF,
		     "SF from bit 31; 0x01 has odd parity");
}

Test(emul, cmp_does_not_write)
{
	FX_CODE_BYTES(f, 0x83, 0x3f, 0x05); /* cmpl $5,(%rdi) */
	f->gpr[GPR_RDI] = 0xd0000000;
	f->read_val = 5;
	run_ok(0xd0000000, EMUL_ACCESS_READ);
	cr_assert_eq(f->nacc, 1);
	cr_assert_eq(f->rflags & (RF_ZF | RF_CF | RF_PF), RF_ZF | RF_PF);
	f->rip = FX_CODE;
	f->read_val = 3;
	run_ok(0xd0000000, EMUL_ACCESS_READ);
	cr_assert_eq(f->rflags & (RF_ZF | RF_CF | RF_SF | RF_AF), RF_CF | RF_SF | RF_AF);
	/* cmp (%rdi),%eax: register minus memory */
	f->rip = FX_CODE;
	FX_CODE_BYTES(f, 0x3b, 0x07);
	f->gpr[GPR_RAX] = 10;
	f->read_val = 3;
	run_ok(0xd0000000, EMUL_ACCESS_READ);
	cr_assert_eq(f->rflags & (RF_ZF | RF_CF | RF_SF), 0);
	cr_assert_eq(f->gpr[GPR_RAX], 10);
}

Test(emul, add_byte_carry_chain)
{
	FX_CODE_BYTES(f, 0x80, 0x47, 0x07, 0x01); /* addb $1,7(%rdi) */
	f->gpr[GPR_RDI] = 0xd0000000;
	f->read_val = 0xff;
	run_ok(0xd0000007, EMUL_ACCESS_WRITE);
	expect_acc(1, 0xd0000007, 1, true, 0);
	cr_assert_eq(f->rflags & EMUL_RFLAGS_ARITH, RF_CF | RF_ZF | RF_AF | RF_PF);
	f->rip = FX_CODE;
	f->read_val = 0x7f;
	run_ok(0xd0000007, EMUL_ACCESS_WRITE);
	expect_acc(1, 0xd0000007, 1, true, 0x80);
	cr_assert_eq(f->rflags & EMUL_RFLAGS_ARITH, RF_OF | RF_SF | RF_AF);
}

Test(emul, load_form_alu_writes_register)
{
	FX_CODE_BYTES(f, 0x4f, 0x33, 0x14, 0xc8); /* xor (%r8,%r9,8),%r10 */
	f->gpr[GPR_R8] = 0xd0000000;
	f->gpr[GPR_R9] = 2;
	f->gpr[GPR_R10] = 0xff00ff00ff00ff00ULL;
	f->read_val = 0xffffffffffffffffULL;
	run_ok(0xd0000010, EMUL_ACCESS_READ);
	cr_assert_eq(f->gpr[GPR_R10], 0x00ff00ff00ff00ffULL);
	cr_assert_eq(f->nacc, 1, "load form never writes memory");
}

Test(emul, test_xchg)
{
	FX_CODE_BYTES(f, 0xf7, 0x07, 0x80, 0x00, 0x00, 0x00); /* testl $0x80,(%rdi) */
	f->gpr[GPR_RDI] = 0xd0000000;
	f->read_val = 0x7f;
	f->rflags = RF_FIXED | RF_CF;
	run_ok(0xd0000000, EMUL_ACCESS_READ);
	cr_assert_eq(f->rflags, RF_FIXED | RF_ZF | RF_PF);
	cr_assert_eq(f->nacc, 1);

	f->rip = FX_CODE;
	FX_CODE_BYTES(f, 0x87, 0x07); /* xchg %eax,(%rdi) */
	f->gpr[GPR_RAX] = 0xffffffff00000011ULL;
	f->read_val = 0x22;
	run_ok(0xd0000000, EMUL_ACCESS_WRITE);
	expect_acc(0, 0xd0000000, 4, false, 0x22);
	expect_acc(1, 0xd0000000, 4, true, 0x11);
	cr_assert_eq(f->gpr[GPR_RAX], 0x22);

	f->rip = FX_CODE;
	FX_CODE_BYTES(f, 0xf0, 0x4d, 0x87, 0x5c, 0x24, 0x08); /* lock xchg %r11,8(%r12) */
	f->gpr[GPR_R12] = 0xd0000000;
	f->gpr[GPR_R11] = 0x1111222233334444ULL;
	f->read_val = 0x5555666677778888ULL;
	run_ok(0xd0000008, EMUL_ACCESS_WRITE);
	expect_acc(1, 0xd0000008, 8, true, 0x1111222233334444ULL);
	cr_assert_eq(f->gpr[GPR_R11], 0x5555666677778888ULL);
}

Test(emul, bt_register_offset_selects_word)
{
	FX_CODE_BYTES(f, 0x0f, 0xa3, 0x07); /* bt %eax,(%rdi) */
	f->gpr[GPR_RDI] = 0xd0000010;
	f->gpr[GPR_RAX] = 35; /* dword 1, bit 3 */
	f->read_val = 0x8;
	run_ok(0xd0000014, EMUL_ACCESS_READ);
	cr_assert(f->rflags & RF_CF);
	f->rip = FX_CODE;
	f->gpr[GPR_RAX] = 0xffffffff; /* -1: dword -1, bit 31 */
	f->read_val = 0x7fffffff;
	run_ok(0xd000000c, EMUL_ACCESS_READ);
	cr_assert_not(f->rflags & RF_CF);
	/* the wrong word is a mismatch, not a guess */
	f->rip = FX_CODE;
	f->gpr[GPR_RAX] = 35;
	run_fail(0xd0000010, EMUL_ACCESS_READ, EMUL_E_MISMATCH);

	f->rip = FX_CODE;
	FX_CODE_BYTES(f, 0x0f, 0xba, 0x27, 0x25); /* btl $0x25,(%rdi): imm mod 32 = 5 */
	f->read_val = 0x20;
	f->rflags = RF_FIXED | RF_ZF;
	run_ok(0xd0000010, EMUL_ACCESS_READ);
	cr_assert_eq(f->rflags, RF_FIXED | RF_ZF | RF_CF, "BT changes CF only");
}

/* ---- flags against the host CPU ------------------------------------------ */

/* Runs op on the host: x = x OP y with RFLAGS = fin before; returns RFLAGS.
 * Stack space below RSP is skipped so the red zone survives push/pop. */
#define HOST_ALU(mn, T, cons)                                                              \
	static uint64_t host_##mn##_##T(uint64_t a, uint64_t b, uint64_t fin, uint64_t *r) \
	{                                                                                  \
		T x = (T)a, y = (T)b;                                                      \
		uint64_t fl = fin;                                                         \
		__asm__ volatile("lea -128(%%rsp), %%rsp\n\t"                              \
				 "push %[fl]\n\tpopf\n\t" #mn " %[y], %[x]\n\t"            \
				 "pushf\n\tpop %[fl]\n\t"                                  \
				 "lea 128(%%rsp), %%rsp"                                   \
				 : [x] "+" cons(x), [fl] "+r"(fl)                          \
				 : [y] cons(y)                                             \
				 : "cc");                                                  \
		*r = x;                                                                    \
		return fl;                                                                 \
	}
#define HOST_ALU_ALL(mn)            \
	HOST_ALU(mn, uint8_t, "q")  \
	HOST_ALU(mn, uint16_t, "r") \
	HOST_ALU(mn, uint32_t, "r") \
	HOST_ALU(mn, uint64_t, "r")
HOST_ALU_ALL(add)
HOST_ALU_ALL(or)
HOST_ALU_ALL(adc)
HOST_ALU_ALL(sbb)
HOST_ALU_ALL(and)
HOST_ALU_ALL(sub)
HOST_ALU_ALL(xor)
HOST_ALU_ALL(cmp)

typedef uint64_t (*host_fn)(uint64_t, uint64_t, uint64_t, uint64_t *);
#define HOST_ROW(mn)                                                                                  \
	{                                                                                             \
		host_##mn##_uint8_t, host_##mn##_uint16_t, host_##mn##_uint32_t, host_##mn##_uint64_t \
	}
static const host_fn host_alu[8][4] = {
	HOST_ROW(add), HOST_ROW(or),  HOST_ROW(adc), HOST_ROW(sbb),
	HOST_ROW(and), HOST_ROW(sub), HOST_ROW(xor), HOST_ROW(cmp),
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint64_t interesting(unsigned int i, unsigned int size)
{
	uint64_t msb = 1ULL << (8 * size - 1);
	static const uint64_t small[] = { 0, 1, 2, 0x0f, 0x10, 0x7f, 0x80, 0xff };
	switch (i % 12) {
	case 0:
		return msb;
	case 1:
		return msb - 1;
	case 2:
		return ~0ULL;
	case 3:
		return msb | 1;
	default:
		return (i % 3) ? rnd() : small[rnd() % 8];
	}
}

/* Emulate op in both directions (op r/m,reg and op reg,r/m) for each size
 * and compare result and CF PF AF ZF SF OF with what the host CPU computed.
 * AF is undefined for AND/OR/XOR: we define it as 0 and the CPU agrees on
 * the machines we know, but only the defined flags are compared for them. */
Test(emul, alu_flags_match_the_cpu)
{
	static const unsigned int sizes[4] = { 1, 2, 4, 8 };
	unsigned int checked = 0;

	for (unsigned int op = 0; op < 8; op++) {
		bool logic = op == INSN_ALU_AND || op == INSN_ALU_OR || op == INSN_ALU_XOR;
		uint64_t cmp_mask = EMUL_RFLAGS_ARITH & ~(logic ? RF_AF : 0);
		for (unsigned int si = 0; si < 4; si++) {
			unsigned int size = sizes[si];
			uint64_t mask = size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
			for (unsigned int i = 0; i < 150; i++) {
				uint64_t a = interesting(i, size) & mask,
					 b = interesting(i / 2 + 5, size) & mask;
				uint64_t cin = (rnd() & 1) ? RF_CF : 0;
				for (int dir = 0; dir < 2; dir++) {
					uint8_t code[4];
					unsigned int n = 0;
					if (size == 2)
						code[n++] = 0x66;
					if (size == 8)
						code[n++] = 0x48;
					code[n++] = (uint8_t)((op << 3) | (dir ? 2 : 0) | (size > 1));
					code[n++] = 0x07; /* (%rdi), reg = rAX */
					f->rip = FX_CODE;
					fx_code(f, code, n);
					f->gpr[GPR_RDI] = 0xd0000000;
					f->gpr[GPR_RAX] = 0x5a5a5a5a5a5a5a5aULL & ~mask;
					uint64_t first = dir ? b : a, second = dir ? a : b;
					/* memory holds a (dir 0: first operand) */
					f->read_val = dir ? second : first;
					f->gpr[GPR_RAX] |= dir ? first : second;
					f->rflags = RF_FIXED | cin |
						    (rnd() & EMUL_RFLAGS_ARITH & ~RF_CF);
					uint64_t want_res;
					uint64_t want_fl =
							host_alu[op][si](first, second,
									 RF_FIXED | cin, &want_res);
					run_ok(0xd0000000, EMUL_ACCESS_UNKNOWN);
					cr_assert_eq(f->rflags & cmp_mask, want_fl & cmp_mask,
						     "op %u size %u dir %d a %#lx b %#lx cf %lu: flags %#lx want %#lx",
						     op, size, dir, first, second, cin,
						     f->rflags & cmp_mask, want_fl & cmp_mask);
					if (logic)
						cr_assert_not(f->rflags & RF_AF);
					uint64_t got;
					if (op == INSN_ALU_CMP) {
						cr_assert_eq(f->nacc, 1);
						got = want_res;
					} else if (dir == 0) {
						cr_assert_eq(f->nacc, 2);
						got = f->acc[1].val;
					} else {
						got = f->gpr[GPR_RAX] & mask;
						cr_assert_eq(f->gpr[GPR_RAX] & ~mask,
							     size == 4 ? 0
								       : 0x5a5a5a5a5a5a5a5aULL &
											     ~mask);
					}
					cr_assert_eq(got, want_res & mask, "op %u size %u result",
						     op, size);
					checked++;
				}
			}
		}
	}
	cr_assert_eq(checked, 8 * 4 * 150 * 2);
}

Test(emul, test_flags_match_the_cpu)
{
	for (unsigned int i = 0; i < 200; i++) {
		uint32_t a = (uint32_t)interesting(i, 4), b = (uint32_t)interesting(i + 7, 4);
		f->rip = FX_CODE;
		FX_CODE_BYTES(f, 0x85, 0x07); /* test %eax,(%rdi) */
		f->gpr[GPR_RDI] = 0xd0000000;
		f->gpr[GPR_RAX] = b;
		f->read_val = a;
		f->rflags = RF_FIXED | RF_CF | RF_OF;
		uint64_t res, fl = host_and_uint32_t(a, b, RF_FIXED, &res);
		run_ok(0xd0000000, EMUL_ACCESS_READ);
		cr_assert_eq(f->rflags & (EMUL_RFLAGS_ARITH & ~RF_AF),
			     fl & (EMUL_RFLAGS_ARITH & ~RF_AF));
		cr_assert_eq(f->nacc, 1);
		cr_assert_eq(f->gpr[GPR_RAX], b);
	}
}

/* ---- other modes ---------------------------------------------------------- */

Test(emul, protected_mode_32_with_segment_bases)
{
	fx_prot32(f);
	FX_CODE_BYTES(f, 0x89, 0x90, 0xb0, 0x00, 0x00, 0x00); /* mov %edx,0xb0(%eax) */
	f->gpr[GPR_RAX] = 0xfee00000;
	f->gpr[GPR_RDX] = 7;
	run_ok(FX_LAPIC + 0xb0, EMUL_ACCESS_WRITE);
	expect_acc(0, FX_LAPIC + 0xb0, 4, true, 7);

	/* CS base relocates the fetch, DS base the operand */
	f->s.seg[SEG_CS].base = 0x8000;
	f->s.seg[SEG_DS].base = 0x1000;
	f->rip = FX_CODE - 0x8000;
	FX_CODE_BYTES(f, 0xa1, 0x10, 0x00, 0xc0, 0xfe); /* mov 0xfebff010+DS,%eax */
	f->read_val = 0x11;
	run_ok(0xfec01010, EMUL_ACCESS_READ);
	cr_assert_eq(f->gpr[GPR_RAX], 0x11);
	cr_assert_eq(f->rip, FX_CODE - 0x8000 + 5);

	/* linear addresses wrap at 4 GiB */
	f->s.seg[SEG_DS].base = 0x20000000;
	f->rip = FX_CODE - 0x8000;
	FX_CODE_BYTES(f, 0x8b, 0x00); /* mov (%eax),%eax */
	f->gpr[GPR_RAX] = 0xe0000010;
	run_ok(0x10, EMUL_ACCESS_READ);
}

Test(emul, segment_limit_and_type_checked)
{
	fx_prot32(f);
	FX_CODE_BYTES(f, 0x8b, 0x00); /* mov (%eax),%eax */
	f->s.seg[SEG_DS].limit = 0xfff;
	f->gpr[GPR_RAX] = 0xffd; /* bytes 0xffd..0x1000: last one past the limit */
	run_fail(0xffd, EMUL_ACCESS_READ, EMUL_E_FAULT);
	cr_assert_eq(f->ctx.fault.vector, EXC_GP);
	f->gpr[GPR_RAX] = 0xffc;
	run_ok(0xffc, EMUL_ACCESS_READ);
	/* stack segment faults are #SS */
	f->rip = FX_CODE;
	FX_CODE_BYTES(f, 0x8b, 0x45, 0x00); /* mov (%ebp),%eax */
	f->s.seg[SEG_SS].limit = 0xff;
	f->gpr[GPR_RBP] = 0x100;
	run_fail(0x100, EMUL_ACCESS_READ, EMUL_E_FAULT);
	cr_assert_eq(f->ctx.fault.vector, EXC_SS);
	/* a write through a read-only data segment */
	f->rip = FX_CODE;
	FX_CODE_BYTES(f, 0x89, 0x03); /* mov %eax,(%ebx) */
	f->s.seg[SEG_DS].limit = 0xffffffff;
	f->s.seg[SEG_DS].attr &= ~SEG_ATTR_TYPE(2);
	f->gpr[GPR_RBX] = 0xfee00000;
	run_fail(0xfee00000, EMUL_ACCESS_WRITE, EMUL_E_FAULT);
	/* a null (unusable) DS */
	f->s.seg[SEG_DS].attr = 0;
	run_fail(0xfee00000, EMUL_ACCESS_WRITE, EMUL_E_FAULT);
	/* expand-down: offsets above the limit are the valid ones */
	f->s.seg[SEG_DS].attr = FX_ATTR_DATA | SEG_ATTR_TYPE(4) | SEG_ATTR_DB;
	f->s.seg[SEG_DS].limit = 0x0fffffff;
	run_ok(0xfee00000, EMUL_ACCESS_WRITE);
	f->rip = FX_CODE;
	f->gpr[GPR_RBX] = 0x100;
	run_fail(0x100, EMUL_ACCESS_WRITE, EMUL_E_FAULT);
}

Test(emul, real_mode_16bit_addressing)
{
	fx_real_mode(f);
	f->s.seg[SEG_CS].base = FX_CODE; /* CS = 0x1000, IP = 0 */
	f->s.seg[SEG_CS].sel = FX_CODE >> 4;
	f->rip = 0;
	f->s.seg[SEG_DS].base = 0xb8000; /* DS = 0xb800 */
	f->s.seg[SEG_DS].sel = 0xb800;
	FX_CODE_BYTES(f, 0x8b, 0x00); /* mov (%bx,%si),%ax */
	f->gpr[GPR_RBX] = 0x10;
	f->gpr[GPR_RSI] = 0x2;
	f->gpr[GPR_RAX] = 0xffff0000;
	f->read_val = 0x0741;
	run_ok(0xb8012, EMUL_ACCESS_READ);
	cr_assert_eq(f->gpr[GPR_RAX], 0xffff0741);
	expect_acc(0, 0xb8012, 2, false, 0x0741);
	cr_assert_eq(f->rip, 2);

	/* effective addresses wrap at 64 KiB */
	f->rip = 0;
	f->gpr[GPR_RBX] = 0xffff;
	run_ok(0xb8001, EMUL_ACCESS_READ);

	/* [bp+disp8] defaults to SS */
	f->rip = 0;
	f->s.seg[SEG_SS].base = 0x90000;
	FX_CODE_BYTES(f, 0x89, 0x46, 0x10); /* mov %ax,0x10(%bp) */
	f->gpr[GPR_RBP] = 0x100;
	run_ok(0x90110, EMUL_ACCESS_WRITE);
	expect_acc(0, 0x90110, 2, true, 0x0741);

	/* 66: 32-bit operand in 16-bit code */
	f->rip = 0;
	FX_CODE_BYTES(f, 0x66, 0x89, 0x07); /* mov %eax,(%bx) */
	f->gpr[GPR_RBX] = 0x20;
	f->gpr[GPR_RAX] = 0x12345678;
	run_ok(0xb8020, EMUL_ACCESS_WRITE);
	expect_acc(0, 0xb8020, 4, true, 0x12345678);

	/* IP wraps at 64 KiB */
	f->rip = 0xfffe;
	FX_CODE_BYTES(f, 0x89, 0x07);
	run_ok(0xb8020, EMUL_ACCESS_WRITE);
	cr_assert_eq(f->rip, 0);
}

Test(emul, pae_paging_32bit)
{
	fx_prot32(f);
	f->s.cr0 |= GW_CR0_PG;
	f->s.cr4 = GW_CR4_PAE;
	f->s.cr3 = 0x3000;
	/* PDPT[0] -> PD 0x4000; PD[0] 2 MiB identity (code); PDPT[3] -> PD 0x5000;
	 * PD[0x1f7] -> PT 0x6000; PT[0] maps 0xfee00000 */
	fx_put64(f, 0x3000, 0x4000 | GW_PTE_P);
	fx_put64(f, 0x4000, 0 | GW_PTE_P | GW_PTE_RW | GW_PTE_PS);
	fx_put64(f, 0x3018, 0x5000 | GW_PTE_P);
	fx_put64(f, 0x5000 + 0x1f7 * 8, 0x6000 | GW_PTE_P | GW_PTE_RW);
	fx_put64(f, 0x6000, FX_LAPIC | GW_PTE_P | GW_PTE_RW);
	FX_CODE_BYTES(f, 0x8b, 0x47, 0x10); /* mov 0x10(%edi),%eax */
	f->gpr[GPR_RDI] = 0xfee00000;
	run_ok(FX_LAPIC + 0x10, EMUL_ACCESS_READ);
	/* a different linear page mapped onto the same GPA also works */
	fx_put64(f, 0x6008, FX_LAPIC | GW_PTE_P | GW_PTE_RW);
	f->rip = FX_CODE;
	f->gpr[GPR_RDI] = 0xfee01000;
	run_ok(FX_LAPIC + 0x10, EMUL_ACCESS_READ);
	cr_assert(fx_get64(f, 0x6008) & GW_PTE_A, "A bit set by the walk");
}

Test(emul, long_mode_segments)
{
	FX_CODE_BYTES(f, 0x64, 0x8b, 0x04, 0x25, 0x10, 0, 0, 0); /* mov %fs:0x10,%eax */
	f->s.seg[SEG_FS].base = 0xfec00000;
	f->s.seg[SEG_DS].base = 0x1000; /* ignored in 64-bit mode */
	run_ok(FX_IOAPIC + 0x10, EMUL_ACCESS_READ);
	f->rip = FX_CODE;
	FX_CODE_BYTES(f, 0x8b, 0x07); /* DS base must not be added */
	f->gpr[GPR_RDI] = FX_LAPIC;
	run_ok(FX_LAPIC, EMUL_ACCESS_READ);
	f->rip = FX_CODE;
	FX_CODE_BYTES(f, 0x67, 0x8b, 0x08); /* mov (%eax),%ecx: 32-bit address */
	f->gpr[GPR_RAX] = 0x1fee00000ULL;
	run_ok(FX_LAPIC, EMUL_ACCESS_READ);
}

/* ---- string instructions -------------------------------------------------- */

Test(emul, rep_stosl_memset_io)
{
	FX_CODE_BYTES(f, 0xf3, 0xab); /* rep stos %eax,%es:(%rdi) */
	f->gpr[GPR_RDI] = 0xd0000000;
	f->gpr[GPR_RCX] = 4;
	f->gpr[GPR_RAX] = 0x11223344;
	run_ok(0xd0000000, EMUL_ACCESS_WRITE);
	cr_assert_eq(f->nacc, 4);
	for (unsigned int i = 0; i < 4; i++)
		expect_acc(i, 0xd0000000 + 4 * i, 4, true, 0x11223344);
	cr_assert_eq(f->gpr[GPR_RCX], 0);
	cr_assert_eq(f->gpr[GPR_RDI], 0xd0000010);
	cr_assert_eq(f->rip, FX_CODE + 2);
	cr_assert_eq(f->ctx.reps_done, 4);
	cr_assert_not(f->ctx.rep_pending);
}

Test(emul, rep_stosb_backwards_with_df)
{
	FX_CODE_BYTES(f, 0xf3, 0xaa); /* rep stosb */
	f->gpr[GPR_RDI] = 0xd0000003;
	f->gpr[GPR_RCX] = 3;
	f->gpr[GPR_RAX] = 0xab;
	f->rflags |= RF_DF;
	run_ok(0xd0000003, EMUL_ACCESS_WRITE);
	expect_acc(0, 0xd0000003, 1, true, 0xab);
	expect_acc(2, 0xd0000001, 1, true, 0xab);
	cr_assert_eq(f->gpr[GPR_RDI], 0xd0000000);
}

Test(emul, rep_movsb_memcpy_toio)
{
	for (unsigned int i = 0; i < 16; i++)
		f->ram[FX_DATA + i] = (uint8_t)(0xa0 + i);
	FX_CODE_BYTES(f, 0xf3, 0xa4); /* rep movsb */
	f->gpr[GPR_RSI] = FX_DATA;
	f->gpr[GPR_RDI] = 0xd0000100;
	f->gpr[GPR_RCX] = 16;
	run_ok(0xd0000100, EMUL_ACCESS_WRITE);
	cr_assert_eq(f->nacc, 16, "RAM reads do not reach the device");
	for (unsigned int i = 0; i < 16; i++)
		expect_acc(i, 0xd0000100 + i, 1, true, 0xa0 + i);
	cr_assert_eq(f->gpr[GPR_RSI], FX_DATA + 16);
	cr_assert_eq(f->gpr[GPR_RDI], 0xd0000110);
	cr_assert_eq(f->gpr[GPR_RCX], 0);
}

Test(emul, rep_movsq_memcpy_fromio_ram_side_crosses_page)
{
	FX_CODE_BYTES(f, 0xf3, 0x48, 0xa5); /* rep movsq */
	f->gpr[GPR_RSI] = 0xd0000000;
	f->gpr[GPR_RDI] = FX_DATA + 0xffc; /* first qword straddles 0x21000 */
	f->gpr[GPR_RCX] = 2;
	f->read_gpa = true;
	run_ok(0xd0000000, EMUL_ACCESS_READ);
	cr_assert_eq(fx_get64(f, FX_DATA + 0xffc), 0xd0000000);
	cr_assert_eq(fx_get64(f, FX_DATA + 0x1004), 0xd0000008);
	cr_assert_eq(f->rip, FX_CODE + 3);
}

Test(emul, lodsl_and_movs_without_rep)
{
	FX_CODE_BYTES(f, 0xad); /* lods %ds:(%rsi),%eax */
	f->gpr[GPR_RSI] = 0xd0000000;
	f->gpr[GPR_RCX] = 99;
	f->gpr[GPR_RAX] = ~0ULL;
	f->read_val = 0x12345678;
	run_ok(0xd0000000, EMUL_ACCESS_READ);
	cr_assert_eq(f->gpr[GPR_RAX], 0x12345678);
	cr_assert_eq(f->gpr[GPR_RSI], 0xd0000004);
	cr_assert_eq(f->gpr[GPR_RCX], 99, "no REP: RCX untouched");
	cr_assert_eq(f->rip, FX_CODE + 1);
}

Test(emul, long_rep_is_batched_and_resumes)
{
	FX_CODE_BYTES(f, 0xf3, 0xaa); /* rep stosb */
	f->gpr[GPR_RDI] = 0xd0000000;
	f->gpr[GPR_RCX] = 10000;
	unsigned int calls = 0, total = 0;
	do {
		run_ok(f->gpr[GPR_RDI], EMUL_ACCESS_WRITE);
		total += f->nacc;
		calls++;
		cr_assert_eq(f->rip == FX_CODE, f->ctx.rep_pending);
	} while (f->ctx.rep_pending && calls < 10);
	cr_assert_eq(calls, 3);
	cr_assert_eq(total, 10000);
	cr_assert_eq(f->gpr[GPR_RCX], 0);
	cr_assert_eq(f->gpr[GPR_RDI], 0xd0000000 + 10000);
	cr_assert_eq(f->rip, FX_CODE + 2);
}

Test(emul, rep_address_size_32_in_long_mode)
{
	FX_CODE_BYTES(f, 0x67, 0xf3, 0xaa); /* addr32 rep stosb */
	f->gpr[GPR_RDI] = 0xabcd0000d0000000ULL;
	f->gpr[GPR_RCX] = 0xffffffff00000002ULL; /* ECX = 2 */
	run_ok(0xd0000000, EMUL_ACCESS_WRITE);
	cr_assert_eq(f->nacc, 2);
	cr_assert_eq(f->gpr[GPR_RCX], 0, "32-bit ECX update zero-extends");
	cr_assert_eq(f->gpr[GPR_RDI], 0xd0000002);
}

Test(emul, rep_stosw_16bit_keeps_upper_halves)
{
	fx_real_mode(f);
	f->s.seg[SEG_CS].base = FX_CODE;
	f->rip = 0;
	f->s.seg[SEG_ES].base = 0xa0000;
	FX_CODE_BYTES(f, 0xf3, 0xab); /* rep stosw */
	f->gpr[GPR_RDI] = 0x12340010;
	f->gpr[GPR_RCX] = 0x56780002;
	f->gpr[GPR_RAX] = 0xbeef;
	run_ok(0xa0010, EMUL_ACCESS_WRITE);
	/* 0xa0000 is RAM in this fixture: string sides in RAM go through gmem */
	cr_assert_eq(f->nacc, 0);
	cr_assert_eq(fx_get64(f, 0xa0010), 0xbeefbeefULL);
	cr_assert_eq(f->gpr[GPR_RCX], 0x56780000);
	cr_assert_eq(f->gpr[GPR_RDI], 0x12340014);
}

Test(emul, rep_stops_before_an_unmapped_page)
{
	/* two linear pages: the first maps MMIO, the second is not present */
	fx_map_4k(f, HI_LA, 0xd0000000, GW_PTE_P | GW_PTE_RW);
	FX_CODE_BYTES(f, 0xf3, 0xab); /* rep stosl */
	f->gpr[GPR_RDI] = HI_LA + 0xff8;
	f->gpr[GPR_RCX] = 5;
	run_ok(0xd0000ff8, EMUL_ACCESS_WRITE);
	cr_assert_eq(f->nacc, 2);
	cr_assert(f->ctx.rep_pending);
	cr_assert_eq(f->rip, FX_CODE, "the CPU re-executes and takes the #PF itself");
	cr_assert_eq(f->gpr[GPR_RCX], 3);
	cr_assert_eq(f->gpr[GPR_RDI], HI_LA + 0x1000);
}

Test(emul, rep_with_zero_count_or_wrong_side_is_mismatch)
{
	FX_CODE_BYTES(f, 0xf3, 0xa4); /* rep movsb */
	f->gpr[GPR_RSI] = FX_DATA;
	f->gpr[GPR_RDI] = 0xd0000000;
	f->gpr[GPR_RCX] = 0;
	run_fail(0xd0000000, EMUL_ACCESS_WRITE, EMUL_E_MISMATCH);
	f->gpr[GPR_RCX] = 1;
	run_fail(0xd0001000, EMUL_ACCESS_WRITE, EMUL_E_MISMATCH);
	/* the MMIO side is the destination but the hardware reported a read */
	run_fail(0xd0000000, EMUL_ACCESS_READ, EMUL_E_MISMATCH);
	cr_assert_eq(f->nacc, 0);
}

/* ---- verification and hostile input --------------------------------------- */

Test(emul, gpa_mismatch_emulates_nothing)
{
	FX_CODE_BYTES(f, 0x89, 0x77, 0x10); /* mov %esi,0x10(%rdi) */
	f->gpr[GPR_RDI] = FX_LAPIC;
	run_fail(FX_LAPIC + 0x20, EMUL_ACCESS_WRITE, EMUL_E_MISMATCH);
	cr_assert_eq(f->nacc, 0);
	cr_assert(host_log_contains("gpa 0xfee00010"), "%s", host_log_line(0));
	cr_assert(host_log_contains("bytes [89 77 10"), "%s", host_log_line(0));
}

Test(emul, access_kind_mismatch)
{
	FX_CODE_BYTES(f, 0x8b, 0x07); /* a load */
	f->gpr[GPR_RDI] = FX_LAPIC;
	run_fail(FX_LAPIC, EMUL_ACCESS_WRITE, EMUL_E_MISMATCH);
	f->rip = FX_CODE;
	FX_CODE_BYTES(f, 0x89, 0x07); /* a store */
	run_fail(FX_LAPIC, EMUL_ACCESS_READ, EMUL_E_MISMATCH);
	/* read-modify-write may be reported either way */
	FX_CODE_BYTES(f, 0x01, 0x07);
	run_ok(FX_LAPIC, EMUL_ACCESS_READ);
	f->rip = FX_CODE;
	run_ok(FX_LAPIC, EMUL_ACCESS_WRITE);
}

Test(emul, unsupported_instruction_is_named_with_bytes)
{
	FX_CODE_BYTES(f, 0xff, 0x07, 0x90, 0x90); /* incl (%rdi) */
	f->gpr[GPR_RDI] = FX_LAPIC;
	run_fail(FX_LAPIC, EMUL_ACCESS_WRITE, EMUL_E_UNSUPPORTED);
	cr_assert(host_log_contains("unsupported instruction"), "%s", host_log_line(0));
	cr_assert(host_log_contains("bytes [ff 07 90 90"), "%s", host_log_line(0));
	cr_assert_eq(f->ctx.bytes[0], 0xff);
	cr_assert_eq(f->ctx.nr_bytes, 15);
}

Test(emul, sixteen_byte_instruction_refused)
{
	FX_CODE_BYTES(f, 0x2e, 0x2e, 0x3e, 0x2e, 0x3e, 0x48, 0xc7, 0x87, 0x00, 0x03, 0x00, 0x00,
		      0x78, 0x56, 0x34, 0x12);
	f->gpr[GPR_RDI] = FX_LAPIC;
	run_fail(FX_LAPIC + 0x300, EMUL_ACCESS_WRITE, EMUL_E_DECODE);
}

Test(emul, truncated_fetch_at_end_of_ram)
{
	fx_prot32(f);
	f->rip = FX_RAM_SIZE - 2;
	FX_CODE_BYTES(f, 0x8b, 0x87); /* needs a disp32 that is beyond RAM */
	f->gpr[GPR_RDI] = FX_LAPIC;
	run_fail(FX_LAPIC, EMUL_ACCESS_READ, EMUL_E_FETCH);
	cr_assert_eq(f->ctx.nr_bytes, 2);
	/* a complete instruction in the last bytes is fine */
	f->rip = FX_RAM_SIZE - 2;
	FX_CODE_BYTES(f, 0x8b, 0x07);
	run_ok(FX_LAPIC, EMUL_ACCESS_READ);
	cr_assert_eq(f->rip, FX_RAM_SIZE);
	/* RIP entirely outside RAM */
	f->rip = 0x40000000;
	run_fail(FX_LAPIC, EMUL_ACCESS_READ, EMUL_E_FETCH);
}

Test(emul, fetch_across_pages_to_distinct_frames)
{
	/* linear HI_LA+0xffe..: first page -> GPA 0x30000, next -> 0x50000 */
	fx_map_4k(f, HI_LA, 0x30000, GW_PTE_P);
	fx_map_4k(f, HI_LA + 0x1000, 0x50000, GW_PTE_P);
	static const uint8_t code[] = { 0x89, 0x90, 0xb0, 0x00, 0x00, 0x00 };
	memcpy(f->ram + 0x30ffe, code, 2);
	memcpy(f->ram + 0x50000, code + 2, 4);
	f->rip = HI_LA + 0xffe;
	f->gpr[GPR_RAX] = FX_LAPIC;
	f->gpr[GPR_RDX] = 0x55;
	run_ok(FX_LAPIC + 0xb0, EMUL_ACCESS_WRITE);
	expect_acc(0, FX_LAPIC + 0xb0, 4, true, 0x55);
	cr_assert_eq(f->rip, HI_LA + 0x1004);
	/* the second page not present: the fetch comes up short */
	fx_map_4k(f, HI_LA + 0x1000, 0x50000, 0);
	f->rip = HI_LA + 0xffe;
	run_fail(FX_LAPIC + 0xb0, EMUL_ACCESS_WRITE, EMUL_E_FETCH);
	cr_assert_eq(f->ctx.nr_bytes, 2);
	/* no translation for RIP at all: the fault is reported */
	f->rip = HI_LA + 0x1000;
	run_fail(FX_LAPIC + 0xb0, EMUL_ACCESS_WRITE, EMUL_E_FETCH);
	cr_assert(f->ctx.fault.valid);
	cr_assert_eq(f->ctx.fault.vector, EXC_PF);
	cr_assert_eq(f->ctx.fault.error, GW_PFEC_ID);
	cr_assert_eq(f->ctx.fault.cr2, HI_LA + 0x1000);
}

Test(emul, operand_page_table_changes)
{
	fx_map_4k(f, HI_LA, FX_LAPIC, GW_PTE_P | GW_PTE_RW);
	FX_CODE_BYTES(f, 0x89, 0x07); /* mov %eax,(%rdi) */
	f->gpr[GPR_RDI] = HI_LA + 0x80;
	run_ok(FX_LAPIC + 0x80, EMUL_ACCESS_WRITE);
	/* now read-only: with CR0.WP the store would fault */
	f->rip = FX_CODE;
	fx_map_4k(f, HI_LA, FX_LAPIC, GW_PTE_P);
	run_fail(FX_LAPIC + 0x80, EMUL_ACCESS_WRITE, EMUL_E_FAULT);
	cr_assert_eq(f->ctx.fault.vector, EXC_PF);
	cr_assert_eq(f->ctx.fault.error, GW_PFEC_P | GW_PFEC_WR);
	cr_assert_eq(f->ctx.fault.cr2, HI_LA + 0x80);
	/* remapped elsewhere: mismatch */
	fx_map_4k(f, HI_LA, FX_IOAPIC, GW_PTE_P | GW_PTE_RW);
	run_fail(FX_LAPIC + 0x80, EMUL_ACCESS_WRITE, EMUL_E_MISMATCH);
	cr_assert_eq(f->nacc, 0);
}

Test(emul, user_mode_access_to_supervisor_mmio)
{
	fx_map_4k(f, HI_LA, FX_LAPIC, GW_PTE_P | GW_PTE_RW);         /* supervisor */
	fx_map_4k(f, HI_LA + 0x1000, FX_CODE, GW_PTE_P | GW_PTE_US); /* user code */
	memcpy(f->ram + FX_CODE, (const uint8_t[]){ 0x8b, 0x07 }, 2);
	/* the fixture's first GiB is a supervisor 1 GiB page: run from HI_LA+0x1000 */
	f->rip = HI_LA + 0x1000;
	f->s.seg[SEG_SS].attr |= SEG_ATTR_DPL(3);
	f->s.seg[SEG_CS].attr |= SEG_ATTR_DPL(3);
	f->gpr[GPR_RDI] = HI_LA;
	run_fail(FX_LAPIC, EMUL_ACCESS_READ, EMUL_E_FAULT);
	cr_assert_eq(f->ctx.fault.error, GW_PFEC_P | GW_PFEC_US);
	fx_map_4k(f, HI_LA, FX_LAPIC, GW_PTE_P | GW_PTE_RW | GW_PTE_US);
	run_ok(FX_LAPIC, EMUL_ACCESS_READ);
}

Test(emul, operand_page_table_outside_ram)
{
	/* PML4[2] points outside RAM */
	fx_put64(f, FX_PML4 + 16, 0x40000000ULL | GW_PTE_P | GW_PTE_RW);
	FX_CODE_BYTES(f, 0x8b, 0x07);
	f->gpr[GPR_RDI] = 0x10000000000ULL; /* PML4[2] */
	run_fail(FX_LAPIC, EMUL_ACCESS_READ, EMUL_E_TABLE);
	/* and the same for CR3 itself: the fetch fails first */
	f->s.cr3 = 0x7ffff000;
	run_fail(FX_LAPIC, EMUL_ACCESS_READ, EMUL_E_FETCH);
}

Test(emul, non_canonical_operand)
{
	FX_CODE_BYTES(f, 0x8b, 0x07);
	f->gpr[GPR_RDI] = 0x0000800000000000ULL;
	run_fail(FX_LAPIC, EMUL_ACCESS_READ, EMUL_E_FAULT);
	cr_assert_eq(f->ctx.fault.vector, EXC_GP);
}

Test(emul, device_failure_and_page_split)
{
	FX_CODE_BYTES(f, 0x8b, 0x07);
	f->gpr[GPR_RDI] = FX_LAPIC;
	f->fail_device = true;
	run_fail(FX_LAPIC, EMUL_ACCESS_READ, EMUL_E_MMIO);
	f->fail_device = false;
	f->gpr[GPR_RDI] = FX_LAPIC + 0xffe; /* 4 bytes across 0xfee01000 */
	run_fail(FX_LAPIC + 0xffe, EMUL_ACCESS_READ, EMUL_E_SPLIT);
	cr_assert_eq(f->nacc, 0);
}

Test(emul, cs_limit_and_mode_detection)
{
	fx_prot32(f);
	f->s.seg[SEG_CS].limit = 0xffff;
	f->rip = 0x10000;
	FX_CODE_BYTES(f, 0x8b, 0x07);
	run_fail(FX_LAPIC, EMUL_ACCESS_READ, EMUL_E_FETCH);
	/* the limit also truncates the fetch window */
	f->rip = 0xffff;
	FX_CODE_BYTES(f, 0x8b, 0x07);
	run_fail(FX_LAPIC, EMUL_ACCESS_READ, EMUL_E_FETCH);
	cr_assert_eq(f->ctx.nr_bytes, 1);

	struct vcpu_sregs s = f->s;
	cr_assert_eq(emul_insn_mode(&s, 0), INSN_MODE_32);
	s.seg[SEG_CS].attr &= ~SEG_ATTR_DB;
	cr_assert_eq(emul_insn_mode(&s, 0), INSN_MODE_16);
	s.seg[SEG_CS].attr |= SEG_ATTR_L | SEG_ATTR_DB;
	cr_assert_eq(emul_insn_mode(&s, 0), INSN_MODE_32, "L without EFER.LMA");
	s.efer = GW_EFER_LMA;
	cr_assert_eq(emul_insn_mode(&s, 0), INSN_MODE_64);
	s.seg[SEG_CS].attr &= ~SEG_ATTR_L;
	cr_assert_eq(emul_insn_mode(&s, 0), INSN_MODE_32, "compatibility mode");
	cr_assert_eq(emul_insn_mode(&s, BIT(17)), INSN_MODE_16, "virtual-8086");
	s.cr0 = 0;
	cr_assert_eq(emul_insn_mode(&s, 0), INSN_MODE_16);
}

Test(emul, decode_at_rip_for_instruction_length)
{
	FX_CODE_BYTES(f, 0xc7, 0x87, 0x00, 0x03, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12);
	cr_assert_eq(emul_decode_at_rip(&f->ctx), EMUL_OK);
	cr_assert_eq(f->ctx.insn.len, 10);
	cr_assert_eq(f->rip, FX_CODE, "decoding alone changes nothing");
	FX_CODE_BYTES(f, 0x0f, 0xa2); /* cpuid: decoded for its length only */
	cr_assert_eq(emul_decode_at_rip(&f->ctx), EMUL_OK);
	cr_assert_eq(f->ctx.insn.kind, INSN_KIND_SYSTEM);
	cr_assert_eq(f->ctx.insn.len, 2);
	cr_assert_eq(f->ctx.bytes[1], 0xa2);
	FX_CODE_BYTES(f, 0x0f, 0x05); /* syscall: unsupported, bytes kept for the log */
	cr_assert_eq(emul_decode_at_rip(&f->ctx), EMUL_E_UNSUPPORTED);
	cr_assert_eq(f->ctx.bytes[0], 0x0f);
	cr_assert_eq(f->ctx.bytes[1], 0x05);
	cr_assert_eq(host_log_count(), 0, "emul_decode_at_rip logs nothing");
	/* without callbacks, as ensure_insn_len-style callers use it */
	f->ctx.mmio_read = NULL;
	f->ctx.mmio_write = NULL;
	FX_CODE_BYTES(f, 0xf3, 0x90);
	cr_assert_eq(emul_decode_at_rip(&f->ctx), EMUL_OK);
	cr_assert_eq(f->ctx.insn.len, 2);
}

Test(emul, system_instruction_is_never_emulated)
{
	FX_CODE_BYTES(f, 0x0f, 0x01, 0x78, 0x10); /* invlpg 0x10(%rax) */
	f->gpr[GPR_RAX] = FX_LAPIC;
	run_fail(FX_LAPIC + 0x10, EMUL_ACCESS_READ, EMUL_E_UNSUPPORTED);
	gpa_t gpa;
	bool write;
	cr_assert_eq(emul_operand_gpa(&f->ctx, &gpa, &write), EMUL_E_UNSUPPORTED);
}

Test(emul, callbacks_missing_fail_cleanly)
{
	f->ctx.mmio_read = NULL;
	FX_CODE_BYTES(f, 0x8b, 0x07);
	f->gpr[GPR_RDI] = FX_LAPIC;
	run_fail(FX_LAPIC, EMUL_ACCESS_READ, EMUL_E_MMIO);
}

Test(emul, result_names)
{
	cr_assert_str_eq(emul_result_name(EMUL_OK), "ok");
	cr_assert_str_eq(emul_result_name(EMUL_E_SPLIT), "MMIO access straddles a page");
	cr_assert_str_eq(emul_result_name(12345), "?");
}

Test(emul, operand_gpa_probe_has_no_side_effects)
{
	fx_map_4k(f, HI_LA, FX_LAPIC, GW_PTE_P | GW_PTE_RW);
	FX_CODE_BYTES(f, 0x89, 0x47, 0x10); /* mov %eax,0x10(%rdi) */
	f->gpr[GPR_RDI] = HI_LA;
	gpa_t gpa = 0;
	bool write = false;
	cr_assert_eq(emul_operand_gpa(&f->ctx, &gpa, &write), EMUL_OK);
	cr_assert_eq(gpa, FX_LAPIC + 0x10);
	cr_assert(write);
	cr_assert_eq(f->nacc, 0);
	cr_assert_eq(f->rip, FX_CODE);
	uint64_t pml4e = fx_get64(f, FX_PML4 + 8);
	cr_assert_not(pml4e & GW_PTE_A, "probe must not set accessed bits");
	run_ok(gpa, EMUL_ACCESS_WRITE);
	cr_assert(fx_get64(f, FX_PML4 + 8) & GW_PTE_A, "the real access does");
	/* string forms report the destination */
	f->rip = FX_CODE;
	FX_CODE_BYTES(f, 0xf3, 0xa4);
	f->gpr[GPR_RSI] = FX_DATA;
	f->gpr[GPR_RDI] = 0xd0000040;
	cr_assert_eq(emul_operand_gpa(&f->ctx, &gpa, &write), EMUL_OK);
	cr_assert_eq(gpa, 0xd0000040);
	cr_assert_eq(host_log_count(), 0);
}

/* ---- LGDT / LIDT (issue 14) ---- */

Test(emul, load_dtable_reads_the_pseudo_descriptor)
{
	struct dtable dt;
	bool idt;

	f->gpr[GPR_RDI] = FX_DATA;
	FX_CODE_BYTES(f, 0x0f, 0x01, 0x17); /* lgdt (%rdi) */
	fx_put32(f, FX_DATA, 0x00000027);   /* limit at +0, base from +2 */
	fx_put64(f, FX_DATA + 2, 0xffff800000001000ULL);
	cr_assert_eq(emul_load_dtable(&f->ctx, &dt, &idt), EMUL_OK);
	cr_assert_not(idt);
	cr_assert_eq(dt.limit, 0x27);
	cr_assert_eq(dt.base, 0xffff800000001000ULL);
	cr_assert_eq(f->rip, FX_CODE, "the caller advances RIP");
	emul_advance_rip(&f->ctx);
	cr_assert_eq(f->rip, FX_CODE + 3);

	/* A non-canonical base is read as it is: the caller checks it. */
	f->rip = FX_CODE;
	FX_CODE_BYTES(f, 0x0f, 0x01, 0x1f); /* lidt (%rdi) */
	fx_put64(f, FX_DATA + 2, 0x0000800000000000ULL);
	cr_assert_eq(emul_load_dtable(&f->ctx, &dt, &idt), EMUL_OK);
	cr_assert(idt);
	cr_assert_eq(dt.base, 0x0000800000000000ULL);
	cr_assert_eq(host_log_count(), 0);
}

Test(emul, load_dtable_faults)
{
	struct dtable dt;
	bool idt;

	FX_CODE_BYTES(f, 0x0f, 0x01, 0x17); /* lgdt (%rdi) */
	f->gpr[GPR_RDI] = FX_DATA;
	/* User pages, so the fetch works at CPL 3 (the CPU itself raises this
	 * #GP before the intercept; the emulator checks again). */
	fx_put64(f, FX_PML4, FX_PDPT | GW_PTE_P | GW_PTE_RW | GW_PTE_US);
	fx_put64(f, FX_PDPT, GW_PTE_P | GW_PTE_RW | GW_PTE_PS | GW_PTE_US);
	f->s.seg[SEG_SS].attr |= SEG_ATTR_DPL(3);
	cr_assert_eq(emul_load_dtable(&f->ctx, &dt, &idt), EMUL_E_FAULT, "CPL 3");
	cr_assert_eq(f->ctx.fault.vector, EXC_GP);
	cr_assert_eq(f->ctx.fault.error, 0);
	f->s.seg[SEG_SS].attr &= (uint16_t)~SEG_ATTR_DPL(3);

	f->gpr[GPR_RDI] = HI_LA; /* not mapped */
	cr_assert_eq(emul_load_dtable(&f->ctx, &dt, &idt), EMUL_E_FAULT);
	cr_assert_eq(f->ctx.fault.vector, EXC_PF);
	cr_assert_eq(f->ctx.fault.cr2, HI_LA);
	cr_assert_eq(f->ctx.fault.error, 0, "not present, supervisor read");

	f->gpr[GPR_RDI] = 0x0000800000000000ULL; /* non-canonical operand address */
	cr_assert_eq(emul_load_dtable(&f->ctx, &dt, &idt), EMUL_E_FAULT);
	cr_assert_eq(f->ctx.fault.vector, EXC_GP);

	f->gpr[GPR_RDI] = MMIO_HI; /* a descriptor in device memory: not emulated */
	cr_assert_eq(emul_load_dtable(&f->ctx, &dt, &idt), EMUL_E_UNSUPPORTED);

	FX_CODE_BYTES(f, 0x0f, 0xa2); /* cpuid */
	cr_assert_eq(emul_load_dtable(&f->ctx, &dt, &idt), EMUL_E_UNSUPPORTED);
	cr_assert_eq(f->rip, FX_CODE);
}

Test(emul, load_dtable_24_bit_base_with_o16)
{
	struct dtable dt;
	bool idt;

	fx_prot32(f);
	FX_CODE_BYTES(f, 0x66, 0x0f, 0x01, 0x15, 0x00, 0x00, 0x02, 0x00); /* o16 lgdt 0x20000 */
	fx_put32(f, FX_DATA, 0x5678ffff);
	fx_put32(f, FX_DATA + 4, 0x00001234); /* base bytes 78 56 34 12 */
	cr_assert_eq(emul_load_dtable(&f->ctx, &dt, &idt), EMUL_OK);
	cr_assert_eq(dt.limit, 0xffff);
	cr_assert_eq(dt.base, 0x345678, "24 bits of base with a 16-bit operand size");
	FX_CODE_BYTES(f, 0x0f, 0x01, 0x15, 0x00, 0x00, 0x02, 0x00); /* lgdt 0x20000 */
	cr_assert_eq(emul_load_dtable(&f->ctx, &dt, &idt), EMUL_OK);
	cr_assert_eq(dt.base, 0x12345678);
}

Test(emul, mmio_refuses_lgdt)
{
	FX_CODE_BYTES(f, 0x0f, 0x01, 0x17);
	f->gpr[GPR_RDI] = FX_LAPIC;
	run_fail(FX_LAPIC, EMUL_ACCESS_READ, EMUL_E_UNSUPPORTED);
}
