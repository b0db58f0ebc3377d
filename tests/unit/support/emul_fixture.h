/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared fixture for the core/emul tests: a small guest (RAM, segment state
 * for real/protected/long mode, identity page tables) and a fake MMIO device
 * that records every access. Header-only; used by test_emul_mmio.c and
 * test_guest_walk.c. */
#ifndef BULKHEAD_TESTS_EMUL_FIXTURE_H
#define BULKHEAD_TESTS_EMUL_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "core/emul/guest_walk.h"
#include "core/emul/mmio_emul.h"
#include "core/gmem.h"
#include "core/vcpu.h"

#define FX_RAM_SIZE 0x100000ULL /* 1 MiB of guest RAM at GPA 0 */
#define FX_CODE 0x10000ULL      /* where tests place instructions */
#define FX_DATA 0x20000ULL      /* RAM side of string tests */
#define FX_PML4 0x1000ULL       /* long-mode identity tables */
#define FX_PDPT 0x2000ULL
#define FX_LAPIC 0xfee00000ULL /* MMIO addresses used by tests */
#define FX_IOAPIC 0xfec00000ULL
#define FX_MAX_ACC 8192

/* Segment attributes in the vcpu_sregs (VMCB) packing. */
#define FX_ATTR_CODE (SEG_ATTR_TYPE(SEG_TYPE_CODE_RX_A) | SEG_ATTR_S | SEG_ATTR_P)
#define FX_ATTR_DATA (SEG_ATTR_TYPE(SEG_TYPE_DATA_RW_A) | SEG_ATTR_S | SEG_ATTR_P)

struct fx_access {
	uint64_t gpa;
	unsigned int size;
	bool write;
	uint64_t val;
};

struct fx {
	uint8_t *ram;
	struct gmem mem;
	struct vcpu_sregs s;
	uint64_t gpr[GPR_COUNT];
	uint64_t rip, rflags;
	struct emul_ctx ctx;
	struct fx_access acc[FX_MAX_ACC];
	unsigned int nacc;
	uint64_t read_val;   /* what device reads return (masked to size) */
	bool read_gpa;       /* ... or return the GPA itself */
	bool fail_device;    /* make every device access fail */
	uint64_t next_table; /* allocator for fx_map_4k() tables */
};

static inline int fx_mmio_read(void *opaque, uint64_t gpa, unsigned int size, uint64_t *val)
{
	struct fx *f = opaque;
	if (f->fail_device)
		return -1;
	uint64_t v = f->read_gpa ? gpa : f->read_val;
	*val = size == 8 ? v : v & ((1ULL << (8 * size)) - 1);
	if (f->nacc < FX_MAX_ACC)
		f->acc[f->nacc] = (struct fx_access){ gpa, size, false, *val };
	f->nacc++;
	return 0;
}

static inline int fx_mmio_write(void *opaque, uint64_t gpa, unsigned int size, uint64_t val)
{
	struct fx *f = opaque;
	if (f->fail_device)
		return -1;
	if (f->nacc < FX_MAX_ACC)
		f->acc[f->nacc] = (struct fx_access){ gpa, size, true, val };
	f->nacc++;
	return 0;
}

static inline void fx_seg(struct segment *sg, uint16_t sel, uint64_t base, uint32_t limit,
			  uint16_t attr)
{
	*sg = (struct segment){ .sel = sel, .attr = attr, .limit = limit, .base = base };
}

static inline void fx_real_mode(struct fx *f)
{
	memset(&f->s, 0, sizeof(f->s));
	fx_seg(&f->s.seg[SEG_CS], 0, 0, 0xffff, FX_ATTR_CODE);
	for (int i = SEG_ES; i <= SEG_GS; i++)
		if (i != SEG_CS)
			fx_seg(&f->s.seg[i], 0, 0, 0xffff, FX_ATTR_DATA);
}

/* Flat 32-bit protected mode, paging off. */
static inline void fx_prot32(struct fx *f)
{
	uint16_t big = SEG_ATTR_DB | SEG_ATTR_G;
	memset(&f->s, 0, sizeof(f->s));
	f->s.cr0 = GW_CR0_PE;
	fx_seg(&f->s.seg[SEG_CS], 0x08, 0, 0xffffffff, FX_ATTR_CODE | big);
	for (int i = SEG_ES; i <= SEG_GS; i++)
		if (i != SEG_CS)
			fx_seg(&f->s.seg[i], 0x10, 0, 0xffffffff, FX_ATTR_DATA | big);
}

/* Long mode, CPL 0, identity-mapped 0-4 GiB with 1 GiB pages. */
static inline void fx_long64(struct fx *f)
{
	memset(&f->s, 0, sizeof(f->s));
	f->s.cr0 = GW_CR0_PE | GW_CR0_PG | GW_CR0_WP;
	f->s.cr4 = GW_CR4_PAE;
	f->s.efer = BIT(8) | GW_EFER_LMA | GW_EFER_NXE;
	f->s.cr3 = FX_PML4;
	fx_seg(&f->s.seg[SEG_CS], 0x08, 0, 0xffffffff, FX_ATTR_CODE | SEG_ATTR_L | SEG_ATTR_G);
	for (int i = SEG_ES; i <= SEG_GS; i++)
		if (i != SEG_CS)
			fx_seg(&f->s.seg[i], 0x10, 0, 0xffffffff,
			       FX_ATTR_DATA | SEG_ATTR_DB | SEG_ATTR_G);
	uint64_t pml4e = FX_PDPT | GW_PTE_P | GW_PTE_RW;
	memcpy(f->ram + FX_PML4, &pml4e, 8);
	for (uint64_t i = 0; i < 4; i++) {
		uint64_t e = (i << 30) | GW_PTE_P | GW_PTE_RW | GW_PTE_PS;
		memcpy(f->ram + FX_PDPT + i * 8, &e, 8);
	}
}

static inline struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->ram = calloc(1, FX_RAM_SIZE);
	gmem_add_region(&f->mem, 0, FX_RAM_SIZE, f->ram);
	f->rip = FX_CODE;
	f->rflags = BIT(1);
	fx_long64(f);
	f->ctx = (struct emul_ctx){
		.gpr = f->gpr,
		.rip = &f->rip,
		.rflags = &f->rflags,
		.sregs = &f->s,
		.mem = &f->mem,
		.mmio_read = fx_mmio_read,
		.mmio_write = fx_mmio_write,
		.opaque = f,
		.name = "test",
	};
	return f;
}

static inline void fx_free(struct fx *f)
{
	free(f->ram);
	free(f);
}

/* Put instruction bytes at the current RIP (flat: CS base 0 or as set). */
static inline void fx_code(struct fx *f, const uint8_t *bytes, size_t n)
{
	uint64_t at = f->s.seg[SEG_CS].base + f->rip;
	memcpy(f->ram + at, bytes, n);
}

#define FX_CODE_BYTES(f, ...)                                \
	do {                                                 \
		static const uint8_t b_[] = { __VA_ARGS__ }; \
		fx_code((f), b_, sizeof(b_));                \
	} while (0)

static inline void fx_put64(struct fx *f, uint64_t gpa, uint64_t v)
{
	memcpy(f->ram + gpa, &v, 8);
}

static inline void fx_put32(struct fx *f, uint64_t gpa, uint32_t v)
{
	memcpy(f->ram + gpa, &v, 4);
}

static inline uint64_t fx_get64(struct fx *f, uint64_t gpa)
{
	uint64_t v;
	memcpy(&v, f->ram + gpa, 8);
	return v;
}

/* Map one 4 KiB page at linear la (long mode, 4 levels) with leaf flags;
 * upper levels get P|RW|US. Tables come from RAM at 0x80000 up; la must not
 * be in the first GiB (which the fixture maps with a 1 GiB page). */
#define FX_TABLES 0x80000ULL
static inline uint64_t fx_table_for(struct fx *f, uint64_t table, unsigned int idx)
{
	uint64_t e = fx_get64(f, table + idx * 8ULL);
	if (!(e & GW_PTE_P)) {
		if (!f->next_table)
			f->next_table = FX_TABLES;
		e = f->next_table | GW_PTE_P | GW_PTE_RW | GW_PTE_US;
		f->next_table += 0x1000;
		memset(f->ram + (e & ~0xfffULL), 0, 0x1000);
		fx_put64(f, table + idx * 8ULL, e);
	}
	return e & 0x000ffffffffff000ULL;
}

static inline void fx_map_4k(struct fx *f, uint64_t la, uint64_t gpa, uint64_t flags)
{
	uint64_t t = f->s.cr3 & ~0xfffULL;
	for (int level = 4; level > 1; level--)
		t = fx_table_for(f, t, (la >> (12 + 9 * (level - 1))) & 511);
	fx_put64(f, t + ((la >> 12) & 511) * 8, (gpa & ~0xfffULL) | flags);
}

#endif
