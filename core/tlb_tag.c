/* SPDX-License-Identifier: BSD-2-Clause */
/* Generation-based TLB tags (core/tlb_tag.h). */
#include "core/tlb_tag.h"

void tlb_tag_cpu_init(struct tlb_tag_cpu *c, uint32_t max, uint32_t limit)
{
	if (limit && limit < max)
		max = limit;
	if (!max)
		max = 1; /* callers only enable tags when one exists */
	c->max = max;
	c->next = max + 1; /* exhausted: the first assignment flushes */
	c->generation = 0;
	c->flushes = 0;
}

void tlb_tag_init(struct tlb_tag *t)
{
	t->tag = 0;
	t->generation = 0;
	t->cpu = -1;
}

enum tlb_tag_result tlb_tag_assign(struct tlb_tag_cpu *c, struct tlb_tag *t, int cpu_id)
{
	enum tlb_tag_result r = TLB_TAG_NEW;

	if (t->cpu == cpu_id && t->generation == c->generation && t->generation)
		return TLB_TAG_KEEP;
	if (c->next > c->max) {
		c->generation++;
		c->next = 1;
		c->flushes++;
		r = TLB_TAG_NEW_FLUSH;
	}
	t->tag = c->next++;
	t->generation = c->generation;
	t->cpu = cpu_id;
	return r;
}
