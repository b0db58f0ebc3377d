/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz core/emul/mmio_emul.c end to end: arbitrary instruction bytes,
 * registers and CPU mode against 64 KiB of guest RAM and an always-willing
 * fake device. The faulting GPA handed in is the one the emulator itself
 * computes (emul_operand_gpa), so the execute paths are reached, or a raw
 * GPA from the input. Invariants:
 *  - a failure changes no register, RIP or RFLAGS;
 *  - success advances RIP by the decoded length (or leaves it on an
 *    unfinished REP) and never performs more than a batch of accesses;
 *  - exactly one log line per failure (checked through host_log);
 *  - emul_load_dtable (LGDT/LIDT) changes nothing and logs nothing.
 * Input: [mode][flags][15 code bytes][16 registers x 8 bytes, optional]. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/emul/mmio_emul.h"
#include "tests/unit/support/host_log.h"

#define CHECK(c)                          \
	do {                              \
		if (!(c))                 \
			__builtin_trap(); \
	} while (0)
#define RAM_SIZE 0x10000u
#define CODE 0x8000u
#define PML4 0x1000u
#define PDPT 0x2000u

struct dev {
	unsigned long accesses;
	uint64_t seed;
};

static int dev_read(void *opaque, uint64_t gpa, unsigned int size, uint64_t *val)
{
	struct dev *d = opaque;
	d->accesses++;
	*val = (gpa * 0x9e3779b97f4a7c15ULL) ^ d->seed;
	if (size < 8)
		*val &= (1ULL << (8 * size)) - 1;
	return 0;
}

static int dev_write(void *opaque, uint64_t gpa, unsigned int size, uint64_t val)
{
	struct dev *d = opaque;
	d->accesses++;
	CHECK(size == 1 || size == 2 || size == 4 || size == 8);
	CHECK(size == 8 || val < (1ULL << (8 * size)));
	return 0;
}

static void set_mode(struct vcpu_sregs *s, uint8_t *ram, unsigned int mode)
{
	const uint16_t code = SEG_ATTR_TYPE(SEG_TYPE_CODE_RX_A) | SEG_ATTR_S | SEG_ATTR_P;
	const uint16_t data = SEG_ATTR_TYPE(SEG_TYPE_DATA_RW_A) | SEG_ATTR_S | SEG_ATTR_P;

	memset(s, 0, sizeof(*s));
	for (int i = SEG_ES; i <= SEG_GS; i++) {
		s->seg[i].attr = i == SEG_CS ? code : data;
		s->seg[i].limit = mode == 0 ? 0xffff : 0xffffffff;
	}
	if (mode == 0)
		return;
	s->cr0 = GW_CR0_PE;
	if (mode == 1) {
		for (int i = SEG_ES; i <= SEG_GS; i++)
			s->seg[i].attr |= SEG_ATTR_DB | SEG_ATTR_G;
		return;
	}
	/* long mode: identity 0-4 GiB with 1 GiB pages */
	s->cr0 |= GW_CR0_PG | GW_CR0_WP;
	s->cr4 = GW_CR4_PAE;
	s->efer = BIT(8) | GW_EFER_LMA | GW_EFER_NXE;
	s->cr3 = PML4;
	s->seg[SEG_CS].attr |= SEG_ATTR_L;
	uint64_t e = PDPT | GW_PTE_P | GW_PTE_RW;
	memcpy(ram + PML4, &e, 8);
	for (uint64_t i = 0; i < 4; i++) {
		e = (i << 30) | GW_PTE_P | GW_PTE_RW | GW_PTE_PS;
		memcpy(ram + PDPT + i * 8, &e, 8);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	struct gmem mem = { 0 };
	struct vcpu_sregs s;
	uint64_t gpr[GPR_COUNT], rip = CODE, rflags = BIT(1);
	struct dev dev = { 0 };

	if (size < 2 + INSN_MAX_LEN)
		return 0;
	if (!ram)
		ram = malloc(RAM_SIZE);
	memset(ram, 0, RAM_SIZE);
	gmem_add_region(&mem, 0, RAM_SIZE, ram);
	uint8_t mode = data[0] % 3, flags = data[1];
	set_mode(&s, ram, mode);
	memcpy(ram + CODE, data + 2, INSN_MAX_LEN);
	if (flags & 0x40)
		rip = RAM_SIZE - 1 - (flags & 7); /* instruction runs off the end of RAM */
	if (flags & 0x40)
		memcpy(ram + rip, data + 2, RAM_SIZE - rip);
	if (mode == 0) {
		s.seg[SEG_CS].base = rip & ~0xfffULL;
		rip &= 0xfff;
	}
	const uint8_t *regs = data + 2 + INSN_MAX_LEN;
	size_t nregs = (size - 2 - INSN_MAX_LEN) / 8;
	for (unsigned int i = 0; i < GPR_COUNT; i++) {
		uint64_t v = 0x100 * i;
		if (i < nregs)
			memcpy(&v, regs + 8 * i, 8);
		/* small values keep most operands inside the identity map */
		if (flags & 0x80)
			v &= 0xfffff;
		gpr[i] = v;
	}
	/* mostly short REP counts: a full batch per input slows the search */
	if (!(flags & 0x04))
		gpr[GPR_RCX] &= 0x3f;
	if (flags & 0x08)
		rflags |= EMUL_RFLAGS_DF;
	if (flags & 0x10)
		rflags |= EMUL_RFLAGS_CF;
	dev.seed = gpr[GPR_R15];

	struct emul_ctx ctx = {
		.gpr = gpr,
		.rip = &rip,
		.rflags = &rflags,
		.sregs = &s,
		.mem = &mem,
		.mmio_read = dev_read,
		.mmio_write = dev_write,
		.opaque = &dev,
		.name = "fuzz",
	};
	gpa_t gpa = gpr[GPR_R14];
	bool write = false;
	if (!(flags & 0x20) && emul_operand_gpa(&ctx, &gpa, &write) != EMUL_OK)
		gpa = gpr[GPR_R14];
	enum emul_access acc = (flags & 0x20) ? (enum emul_access)(flags % 3)
					      : (write ? EMUL_ACCESS_WRITE : EMUL_ACCESS_READ);

	uint64_t gpr0[GPR_COUNT], rip0 = rip, rflags0 = rflags;
	memcpy(gpr0, gpr, sizeof(gpr));
	host_log_reset();
	/* LGDT/LIDT (the SVM descriptor-table intercept): only LGDT/LIDT
	 * succeed, and nothing changes or is logged either way. */
	struct dtable dt;
	bool idt;
	int drc = emul_load_dtable(&ctx, &dt, &idt);
	CHECK(drc != EMUL_OK || ctx.insn.kind == INSN_KIND_DTABLE);
	CHECK(host_log_count() == 0);
	CHECK(rip == rip0 && rflags == rflags0);
	CHECK(memcmp(gpr, gpr0, sizeof(gpr)) == 0);
	int rc = emul_mmio(&ctx, gpa, acc);
	CHECK(dev.accesses <= 2 * EMUL_REP_BATCH);
	if (rc != EMUL_OK) {
		CHECK(rc >= EMUL_E_MMIO && rc < 0);
		CHECK(host_log_count() == 1);
		CHECK(rip == rip0 && rflags == rflags0);
		CHECK(memcmp(gpr, gpr0, sizeof(gpr)) == 0);
		return 0;
	}
	CHECK(host_log_count() == 0);
	CHECK(ctx.insn.len >= 1 && ctx.insn.len <= INSN_MAX_LEN);
	if (ctx.rep_pending) {
		CHECK(rip == rip0);
	} else {
		uint64_t mask = mode == 0 ? 0xffff : mode == 1 ? 0xffffffffULL : ~0ULL;
		CHECK(rip == ((rip0 + ctx.insn.len) & mask));
	}
	CHECK((rflags & ~(uint64_t)EMUL_RFLAGS_ARITH) == (rflags0 & ~(uint64_t)EMUL_RFLAGS_ARITH));
	return 0;
}
