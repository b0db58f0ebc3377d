/* SPDX-License-Identifier: BSD-2-Clause */
/* Guest page-table walker (see guest_walk.h). */
#include "core/emul/guest_walk.h"
#include "core/gmem.h"

#define GW_MAX_LEVELS 5

/* 4-level/5-level and PAE entries carry 9 index bits per level, 32-bit
 * paging 10 (SDM Vol. 3A §4.3, §4.4.2, §4.5.4). */
#define GW_IDX_BITS_64 9
#define GW_IDX_BITS_32 10

/* Address fields (SDM Vol. 3A Tables 4-3, 4-7, 4-12): CR3 bits that locate the
 * first table, and the page-frame field of an 8-byte entry (bits 51:12). */
#define GW_CR3_32_MASK 0xfffff000ULL
#define GW_CR3_PAE_MASK 0xffffffe0ULL
#define GW_ADDR_MASK_64 0x000ffffffffff000ULL
#define GW_ADDR_MASK_32 0xfffff000ULL
#define GW_PDE32_4M_MASK 0xffc00000ULL
/* PSE-36: a 4 MiB PDE holds physical address bits 39:32 in bits 20:13. */
#define GW_PDE32_HI_SHIFT 13
#define GW_PDE32_HI_BITS 8
#define GW_PDE32_RSVD_TOP 22 /* bit 21 is the highest reserved bit */
/* Reserved bits of a present PAE PDPTE besides 63:M (Table 4-8): 2:1, 8:5. */
#define GW_PAE_PDPTE_RSVD 0x1e6ULL
#define GW_PAE_PDPTES 4

/* First bit of a large page's frame after the PAT bit (bit 12). */
#define GW_LARGE_RSVD_LO 13

struct gw_walk {
	const struct guest_walk_ctx *ctx;
	const struct gmem *mem;
	enum gw_mode mode;
	unsigned int maxphy;
	bool nxe;
	/* Entries used, for A/D updates after success. */
	gpa_t entry_gpa[GW_MAX_LEVELS];
	uint8_t entry_level[GW_MAX_LEVELS];
	unsigned int nr_entries;
};

static uint64_t bits_range(unsigned int hi, unsigned int lo)
{
	/* bits hi..lo inclusive, hi <= 63 */
	uint64_t upper = hi >= 63 ? ~0ULL : BIT(hi + 1) - 1;
	return upper & ~(BIT(lo) - 1);
}

void guest_walk_ctx_from_sregs(struct guest_walk_ctx *ctx, const struct vcpu_sregs *s, uint64_t rflags)
{
	ctx->cr0 = s->cr0;
	ctx->cr3 = s->cr3;
	ctx->cr4 = s->cr4;
	ctx->efer = s->efer;
	ctx->rflags = rflags;
	ctx->maxphyaddr = 0;
	if (!(s->cr0 & GW_CR0_PE))
		ctx->cpl = 0;
	else if (rflags & GW_RFLAGS_VM)
		ctx->cpl = 3;
	else
		ctx->cpl = (s->seg[SEG_SS].attr >> 5) & 3;
}

enum gw_mode guest_walk_mode(const struct guest_walk_ctx *ctx)
{
	if (!(ctx->cr0 & GW_CR0_PG))
		return GW_MODE_NONE;
	if (ctx->efer & GW_EFER_LMA)
		return (ctx->cr4 & GW_CR4_LA57) ? GW_MODE_LONG5 : GW_MODE_LONG4;
	if (ctx->cr4 & GW_CR4_PAE)
		return GW_MODE_PAE;
	return GW_MODE_32;
}

const char *gw_status_name(enum gw_status st)
{
	switch (st) {
	case GW_OK:
		return "ok";
	case GW_PAGE_FAULT:
		return "page fault";
	case GW_NONCANONICAL:
		return "non-canonical address";
	case GW_BAD_TABLE:
		return "page-table entry outside guest RAM";
	}
	return "?";
}

static unsigned int top_level(enum gw_mode mode)
{
	switch (mode) {
	case GW_MODE_LONG5:
		return 5;
	case GW_MODE_LONG4:
		return 4;
	case GW_MODE_PAE:
		return 3;
	default:
		return 2;
	}
}

static unsigned int level_shift(enum gw_mode mode, unsigned int level)
{
	unsigned int bits = mode == GW_MODE_32 ? GW_IDX_BITS_32 : GW_IDX_BITS_64;
	return PAGE_SHIFT + bits * (level - 1);
}

static uint64_t first_table(const struct gw_walk *w)
{
	uint64_t cr3 = w->ctx->cr3;

	switch (w->mode) {
	case GW_MODE_32:
		return cr3 & GW_CR3_32_MASK;
	case GW_MODE_PAE:
		return cr3 & GW_CR3_PAE_MASK;
	default:
		return cr3 & GW_ADDR_MASK_64 & (BIT(w->maxphy) - 1);
	}
}

static uint64_t entry_index(const struct gw_walk *w, uint64_t gla, unsigned int level)
{
	if (w->mode == GW_MODE_PAE && level == 3)
		return (gla >> 30) & (GW_PAE_PDPTES - 1);
	unsigned int bits = w->mode == GW_MODE_32 ? GW_IDX_BITS_32 : GW_IDX_BITS_64;
	return (gla >> level_shift(w->mode, level)) & (BIT(bits) - 1);
}

static bool is_large(const struct gw_walk *w, unsigned int level, uint64_t e)
{
	if (!(e & GW_PTE_PS))
		return false;
	switch (w->mode) {
	case GW_MODE_32:
		return level == 2 && (w->ctx->cr4 & GW_CR4_PSE);
	case GW_MODE_PAE:
		return level == 2;
	default:
		return level == 2 || level == 3;
	}
}

/* Bits that must be zero in a present entry (SDM Vol. 3A Tables 4-5/4-6 for
 * 32-bit paging, 4-8..4-11 for PAE, 4-14..4-20 for 4/5-level paging). */
static uint64_t reserved_mask(const struct gw_walk *w, unsigned int level, uint64_t e)
{
	uint64_t xd = w->nxe ? 0 : GW_PTE_XD;
	uint64_t large = 0;

	if (w->mode == GW_MODE_32) {
		if (!is_large(w, level, e))
			return 0;
		unsigned int hi = MIN(w->maxphy, 32 + GW_PDE32_HI_BITS) - 32;
		return BIT(GW_PDE32_RSVD_TOP) - BIT(GW_PDE32_HI_SHIFT + hi);
	}
	if (is_large(w, level, e))
		large = bits_range(level_shift(w->mode, level) - 1, GW_LARGE_RSVD_LO);
	if (w->mode == GW_MODE_PAE) {
		if (level == 3)
			return bits_range(63, w->maxphy) | GW_PAE_PDPTE_RSVD;
		return bits_range(62, w->maxphy) | xd | large;
	}
	uint64_t phys = w->maxphy < 52 ? bits_range(51, w->maxphy) : 0;
	if (level >= 4)
		return phys | xd | GW_PTE_PS;
	return phys | xd | large;
}

/* Physical frame of a leaf entry. */
static uint64_t leaf_frame(const struct gw_walk *w, unsigned int level, uint64_t e)
{
	uint64_t size = BIT(level_shift(w->mode, level));

	if (w->mode != GW_MODE_32)
		return e & GW_ADDR_MASK_64 & ~(size - 1);
	if (level == 1)
		return e & GW_ADDR_MASK_32;
	uint64_t hi = (e >> GW_PDE32_HI_SHIFT) & (BIT(GW_PDE32_HI_BITS) - 1);
	return (e & GW_PDE32_4M_MASK) | (hi << 32);
}

static uint64_t next_table(const struct gw_walk *w, uint64_t e)
{
	return w->mode == GW_MODE_32 ? (e & GW_ADDR_MASK_32) : (e & GW_ADDR_MASK_64);
}

static bool canonical(enum gw_mode mode, uint64_t gla)
{
	unsigned int bits = mode == GW_MODE_LONG5 ? 57 : 48;
	int64_t s = (int64_t)(gla << (64 - bits)) >> (64 - bits);
	return (uint64_t)s == gla;
}

static uint32_t base_error_code(const struct gw_walk *w, unsigned int acc)
{
	const struct guest_walk_ctx *c = w->ctx;
	uint32_t ec = 0;

	if (acc & GW_ACC_WRITE)
		ec |= GW_PFEC_WR;
	if (c->cpl == 3)
		ec |= GW_PFEC_US;
	/* I/D is reported only when the fetch could have been refused for it
	 * (SDM Vol. 3A §4.7): SMEP on, or NX usable (PAE/long mode + NXE). */
	if ((acc & GW_ACC_FETCH) && ((c->cr4 & GW_CR4_SMEP) || (w->mode != GW_MODE_32 && w->nxe)))
		ec |= GW_PFEC_ID;
	return ec;
}

/* Access rights (SDM Vol. 3A §4.6.1) from the combined U/S, R/W and XD of
 * every level. */
static bool access_allowed(const struct gw_walk *w, unsigned int acc, bool us, bool rw, bool xd)
{
	const struct guest_walk_ctx *c = w->ctx;
	bool user = c->cpl == 3;

	if (acc & GW_ACC_FETCH) {
		if (xd && w->nxe && w->mode != GW_MODE_32)
			return false;
		if (user)
			return us;
		return !(us && (c->cr4 & GW_CR4_SMEP));
	}
	if (user)
		return us && (!(acc & GW_ACC_WRITE) || rw);
	/* Supervisor data access: SMAP refuses user pages unless RFLAGS.AC (we
	 * only emulate explicit accesses, for which AC counts). */
	if (us && (c->cr4 & GW_CR4_SMAP) && !(c->rflags & GW_RFLAGS_AC))
		return false;
	if ((acc & GW_ACC_WRITE) && (c->cr0 & GW_CR0_WP))
		return rw;
	return true;
}

static bool read_entry(const struct gw_walk *w, gpa_t gpa, uint64_t *e)
{
	if (w->mode == GW_MODE_32) {
		uint32_t v;
		if (!gmem_read(w->mem, gpa, &v, sizeof(v)))
			return false;
		*e = v;
		return true;
	}
	return gmem_read(w->mem, gpa, e, sizeof(*e));
}

/* The CPU sets A in every entry it used and D in the leaf on a write (SDM
 * Vol. 3A §4.8). PAE PDPTEs have no A bit. Atomic OR: other vCPUs may be
 * editing the same tables. */
static void set_accessed_dirty(const struct gw_walk *w, bool write)
{
	for (unsigned int i = 0; i < w->nr_entries; i++) {
		unsigned int level = w->entry_level[i];
		bool leaf = i + 1 == w->nr_entries;
		uint64_t bits = GW_PTE_A | ((leaf && write) ? GW_PTE_D : 0);

		if (w->mode == GW_MODE_PAE && level == 3)
			continue;
		if (w->mode == GW_MODE_32) {
			uint32_t *p = gmem_ptr(w->mem, w->entry_gpa[i], sizeof(uint32_t));
			if (p && (*p & bits) != bits)
				__atomic_fetch_or(p, (uint32_t)bits, __ATOMIC_SEQ_CST);
		} else {
			uint64_t *p = gmem_ptr(w->mem, w->entry_gpa[i], sizeof(uint64_t));
			if (p && (*p & bits) != bits)
				__atomic_fetch_or(p, bits, __ATOMIC_SEQ_CST);
		}
	}
}

static enum gw_status page_fault(struct gw_walk *w, struct gw_result *res, uint64_t gla,
				 unsigned int acc, uint32_t extra, unsigned int level)
{
	res->error_code = base_error_code(w, acc) | extra;
	res->fault_addr = gla;
	res->level = level;
	return GW_PAGE_FAULT;
}

enum gw_status guest_walk(const struct guest_walk_ctx *ctx, const struct gmem *mem, uint64_t gla,
			  unsigned int acc, struct gw_result *res)
{
	struct gw_walk w = { .ctx = ctx, .mem = mem };
	bool us = true, rw = true, xd = false;

	*res = (struct gw_result){ 0 };
	w.mode = guest_walk_mode(ctx);
	w.maxphy = ctx->maxphyaddr ? ctx->maxphyaddr : GW_MAXPHYADDR_ARCH;
	w.maxphy = MAX(32u, MIN(w.maxphy, (unsigned int)GW_MAXPHYADDR_ARCH));
	w.nxe = ctx->efer & GW_EFER_NXE;

	if (w.mode == GW_MODE_LONG4 || w.mode == GW_MODE_LONG5) {
		if (!canonical(w.mode, gla)) {
			res->fault_addr = gla;
			return GW_NONCANONICAL;
		}
	} else {
		gla &= 0xffffffffULL; /* linear addresses are 32-bit outside long mode */
	}
	if (w.mode == GW_MODE_NONE) {
		res->gpa = gla;
		res->page_size = PAGE_SIZE;
		return GW_OK;
	}

	uint64_t table = first_table(&w);
	unsigned int entry_size = w.mode == GW_MODE_32 ? 4 : 8;
	for (unsigned int level = top_level(w.mode); level >= 1; level--) {
		gpa_t egpa = table + entry_index(&w, gla, level) * entry_size;
		uint64_t e;

		if (!read_entry(&w, egpa, &e)) {
			res->bad_table_gpa = egpa;
			res->level = level;
			return GW_BAD_TABLE;
		}
		if (!(e & GW_PTE_P))
			return page_fault(&w, res, gla, acc, 0, level);
		if (e & reserved_mask(&w, level, e))
			return page_fault(&w, res, gla, acc, GW_PFEC_P | GW_PFEC_RSVD, level);
		w.entry_gpa[w.nr_entries] = egpa;
		w.entry_level[w.nr_entries++] = level;
		/* PAE PDPTEs carry no access rights (Table 4-8). */
		if (!(w.mode == GW_MODE_PAE && level == 3)) {
			us = us && (e & GW_PTE_US);
			rw = rw && (e & GW_PTE_RW);
			xd = xd || (e & GW_PTE_XD);
		}
		if (level == 1 || is_large(&w, level, e)) {
			uint64_t size = BIT(level_shift(w.mode, level));
			if (!access_allowed(&w, acc, us, rw, xd))
				return page_fault(&w, res, gla, acc, GW_PFEC_P, level);
			res->gpa = leaf_frame(&w, level, e) | (gla & (size - 1));
			res->page_size = size;
			res->level = level;
			if (acc & GW_ACC_SET_AD)
				set_accessed_dirty(&w, acc & GW_ACC_WRITE);
			return GW_OK;
		}
		table = next_table(&w, e);
	}
	return GW_BAD_TABLE; /* not reached: level 1 is always a leaf */
}
