/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/x86/paging/s2pt.h"

#define ENTRIES 512
/* Four levels of 9 bits over a 4 KiB page translate 48 bits of GPA; index_at()
 * would silently alias anything above onto low addresses. */
#define GPA_LIMIT (1ULL << (PAGE_SHIFT + 9 * S2PT_LEVELS))

static uint64_t level_size(unsigned int level)
{
	return PAGE_SIZE << (9 * (level - 1));
}

static unsigned int index_at(gpa_t gpa, unsigned int level)
{
	return (gpa >> (PAGE_SHIFT + 9 * (level - 1))) & (ENTRIES - 1);
}

static uint64_t *table(const struct s2pt *pt, paddr_t pa)
{
	return pt->table_ptr(pt->ctx, pa);
}

static paddr_t new_table(struct s2pt *pt)
{
	paddr_t pa = pt->alloc_table(pt->ctx);
	if (pa)
		pt->nr_tables++;
	return pa;
}

int s2pt_init(struct s2pt *pt)
{
	pt->nr_tables = 0;
	pt->root = new_table(pt);
	return pt->root ? 0 : -1;
}

/* Replace the large leaf *e (at `level`) by a table of leaves one level
 * down that map the same range with the same rights. */
static int split_leaf(struct s2pt *pt, uint64_t *e, unsigned int level)
{
	paddr_t pa = new_table(pt);
	if (!pa)
		return -1;
	uint64_t *t = table(pt, pa);
	paddr_t base = pt->fmt->addr(*e);
	unsigned int prot = pt->fmt->prot(*e);
	for (unsigned int i = 0; i < ENTRIES; i++)
		t[i] = pt->fmt->leaf_entry(base + i * level_size(level - 1), prot, level - 1);
	*e = pt->fmt->table_entry(pa);
	return 0;
}

static bool can_use_leaf(const struct s2pt *pt, unsigned int level, gpa_t gpa, paddr_t hpa,
			 uint64_t left)
{
	uint64_t sz = level_size(level);
	if (level == 1)
		return true;
	if ((level == 2 && !pt->allow_2m) || (level == 3 && !pt->allow_1g) || level > 3)
		return false;
	return IS_ALIGNED(gpa, sz) && IS_ALIGNED(hpa, sz) && left >= sz;
}

static int map_one(struct s2pt *pt, gpa_t gpa, paddr_t hpa, uint64_t left, unsigned int prot,
		   uint64_t *mapped)
{
	uint64_t *t = table(pt, pt->root);
	for (unsigned int level = S2PT_LEVELS; level >= 1; level--) {
		uint64_t *e = &t[index_at(gpa, level)];
		if (can_use_leaf(pt, level, gpa, hpa, left)) {
			/* A table here would be orphaned: only replace leaves or
			 * empty slots. Tables below get walked instead. */
			if (!pt->fmt->present(*e) || level == 1 || pt->fmt->is_leaf(*e, level)) {
				*e = prot ? pt->fmt->leaf_entry(hpa, prot, level) : 0;
				*mapped = level_size(level);
				return 0;
			}
		}
		if (level == 1)
			break;
		if (!pt->fmt->present(*e)) {
			if (!prot) { /* unmapping something never mapped */
				*mapped = MIN(left,
					      level_size(level) - (gpa & (level_size(level) - 1)));
				return 0;
			}
			paddr_t pa = new_table(pt);
			if (!pa)
				return -1;
			*e = pt->fmt->table_entry(pa);
		} else if (pt->fmt->is_leaf(*e, level)) {
			if (split_leaf(pt, e, level))
				return -1;
		}
		t = table(pt, pt->fmt->addr(*e));
	}
	return -1;
}

int s2pt_map(struct s2pt *pt, gpa_t gpa, paddr_t hpa, uint64_t size, unsigned int prot)
{
	if (!IS_ALIGNED(gpa | hpa | size, PAGE_SIZE) || gpa + size < gpa || gpa + size > GPA_LIMIT)
		return -1;
	while (size) {
		uint64_t done = 0;
		if (map_one(pt, gpa, hpa, size, prot, &done))
			return -1;
		done = MIN(done, size);
		gpa += done;
		hpa += done;
		size -= done;
	}
	return 0;
}

bool s2pt_lookup(const struct s2pt *pt, gpa_t gpa, paddr_t *hpa, unsigned int *prot)
{
	if (gpa >= GPA_LIMIT)
		return false;
	const uint64_t *t = table(pt, pt->root);
	for (unsigned int level = S2PT_LEVELS; level >= 1; level--) {
		uint64_t e = t[index_at(gpa, level)];
		if (!pt->fmt->present(e))
			return false;
		if (level == 1 || pt->fmt->is_leaf(e, level)) {
			*hpa = pt->fmt->addr(e) + (gpa & (level_size(level) - 1));
			*prot = pt->fmt->prot(e);
			return true;
		}
		t = table(pt, pt->fmt->addr(e));
	}
	return false;
}

static void free_level(struct s2pt *pt, paddr_t pa, unsigned int level)
{
	uint64_t *t = table(pt, pa);
	if (level > 1) {
		for (unsigned int i = 0; i < ENTRIES; i++)
			if (pt->fmt->present(t[i]) && !pt->fmt->is_leaf(t[i], level))
				free_level(pt, pt->fmt->addr(t[i]), level - 1);
	}
	pt->free_table(pt->ctx, pa);
	pt->nr_tables--;
}

void s2pt_destroy(struct s2pt *pt)
{
	if (pt->root)
		free_level(pt, pt->root, S2PT_LEVELS);
	pt->root = 0;
}
