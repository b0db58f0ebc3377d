/* SPDX-License-Identifier: BSD-2-Clause */
/* core/tlb_tag.c: ASIDs/VPIDs by generation per host CPU. The property
 * that matters: between two full flushes on a CPU, no tag serves two
 * vCPUs. */
#include <criterion/criterion.h>

#include "core/tlb_tag.h"

#define VCPUS 7

Test(tlb_tag, first_assignment_flushes)
{
	struct tlb_tag_cpu c;
	struct tlb_tag t;

	tlb_tag_cpu_init(&c, 15, 0);
	tlb_tag_init(&t);
	cr_assert_eq(c.max, 15);
	cr_assert_eq(tlb_tag_assign(&c, &t, 0), TLB_TAG_NEW_FLUSH);
	cr_assert_eq(t.tag, 1);
	cr_assert_eq(tlb_tag_assign(&c, &t, 0), TLB_TAG_KEEP);
	cr_assert_eq(t.tag, 1);
}

Test(tlb_tag, limit_cuts_max)
{
	struct tlb_tag_cpu c;

	tlb_tag_cpu_init(&c, 15, 2);
	cr_assert_eq(c.max, 2);
	tlb_tag_cpu_init(&c, 15, 100);
	cr_assert_eq(c.max, 15, "the option cannot raise the hardware's count");
	tlb_tag_cpu_init(&c, 0, 0);
	cr_assert_eq(c.max, 1);
}

Test(tlb_tag, enough_tags_no_more_flushes)
{
	struct tlb_tag_cpu c;
	struct tlb_tag t[3];

	tlb_tag_cpu_init(&c, 15, 0);
	for (int i = 0; i < 3; i++)
		tlb_tag_init(&t[i]);
	for (int round = 0; round < 100; round++)
		for (int i = 0; i < 3; i++)
			tlb_tag_assign(&c, &t[i], 0);
	cr_assert_eq(c.flushes, 1, "only the first assignment flushes");
	cr_assert_eq(t[0].tag, 1);
	cr_assert_eq(t[1].tag, 2);
	cr_assert_eq(t[2].tag, 3);
}

/* More vCPUs than tags, scheduled in a pseudo-random order: simulate the
 * TLB as "which vCPU last ran under each tag since the last flush" and
 * check no vCPU ever runs under a tag another used since the flush. */
Test(tlb_tag, exhaustion_never_shares_a_tag_between_flushes)
{
	for (uint32_t max = 1; max <= 4; max++) {
		struct tlb_tag_cpu c;
		struct tlb_tag t[VCPUS];
		int last_user[8];
		uint32_t seed = 12345 + max;

		tlb_tag_cpu_init(&c, 15, max);
		for (int i = 0; i < VCPUS; i++)
			tlb_tag_init(&t[i]);
		for (int i = 0; i < 8; i++)
			last_user[i] = -1;
		for (int step = 0; step < 5000; step++) {
			seed = seed * 1103515245u + 12345u;
			int v = (int)((seed >> 16) % VCPUS);
			enum tlb_tag_result r = tlb_tag_assign(&c, &t[v], 0);
			if (r == TLB_TAG_NEW_FLUSH)
				for (int i = 0; i < 8; i++)
					last_user[i] = -1;
			cr_assert(t[v].tag >= 1 && t[v].tag <= max, "tag %u outside 1..%u",
				  t[v].tag, max);
			if (r != TLB_TAG_KEEP)
				cr_assert_eq(last_user[t[v].tag], -1,
					     "max %u step %d: tag %u given to vCPU %d, used by vCPU %d since the flush",
					     max, step, t[v].tag, v, last_user[t[v].tag]);
			else
				cr_assert_eq(last_user[t[v].tag], v);
			last_user[t[v].tag] = v;
		}
		cr_assert_gt(c.flushes, 1);
	}
}

Test(tlb_tag, two_tags_three_vcpus_round_robin)
{
	struct tlb_tag_cpu c;
	struct tlb_tag a, b, d;

	tlb_tag_cpu_init(&c, 15, 2);
	tlb_tag_init(&a);
	tlb_tag_init(&b);
	tlb_tag_init(&d);
	cr_assert_eq(tlb_tag_assign(&c, &a, 0), TLB_TAG_NEW_FLUSH);
	cr_assert_eq(tlb_tag_assign(&c, &b, 0), TLB_TAG_NEW);
	cr_assert_eq(tlb_tag_assign(&c, &d, 0), TLB_TAG_NEW_FLUSH);
	cr_assert_eq(d.tag, 1);
	cr_assert_eq(tlb_tag_assign(&c, &a, 0), TLB_TAG_NEW, "a's generation is stale");
	cr_assert_eq(a.tag, 2);
	cr_assert_eq(tlb_tag_assign(&c, &d, 0), TLB_TAG_KEEP);
	cr_assert_eq(tlb_tag_assign(&c, &b, 0), TLB_TAG_NEW_FLUSH);
}

Test(tlb_tag, another_cpu_means_a_new_tag)
{
	struct tlb_tag_cpu c0, c1;
	struct tlb_tag t;

	tlb_tag_cpu_init(&c0, 15, 0);
	tlb_tag_cpu_init(&c1, 15, 0);
	tlb_tag_init(&t);
	tlb_tag_assign(&c0, &t, 0);
	cr_assert_neq(tlb_tag_assign(&c1, &t, 1), TLB_TAG_KEEP);
	cr_assert_eq(t.cpu, 1);
	/* Back on CPU 0, whose generation has not moved: its old tag may have
	 * been handed to someone else meanwhile, so a new one. */
	cr_assert_neq(tlb_tag_assign(&c0, &t, 0), TLB_TAG_KEEP);
	cr_assert_eq(t.tag, 2);
}
