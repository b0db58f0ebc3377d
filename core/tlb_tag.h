/* SPDX-License-Identifier: BSD-2-Clause */
/* TLB tags (SVM ASIDs, VMX VPIDs) handed out per host CPU by generation,
 * so any number of vCPUs can share a CPU with few tags (issue 12).
 *
 * A tag names the TLB entries a guest leaves behind (AMD APM Vol. 2
 * §15.16, Intel SDM Vol. 3C §29.1). Two vCPUs that run under one tag
 * without a flush in between see each other's translations: a partition
 * would read another's memory through a stale guest-virtual mapping. Tags
 * are therefore not owned by vCPUs for life. Each host CPU hands out tags
 * 1..max in order within a generation; a vCPU keeps its tag while its
 * generation is the CPU's current one. When the CPU runs out, it starts
 * a new generation, flushes every tag's entries once, and every vCPU that
 * runs there afterwards gets a fresh tag. So a tag never serves two vCPUs
 * between flushes, with 2 tags or 4096 (the same scheme as KVM's SVM
 * ASIDs). The CPU's state starts exhausted: the first assignment flushes
 * whatever firmware or an earlier kernel left.
 *
 * Pure; tests/unit/test_tlb_tag.c. */
#ifndef BULKHEAD_CORE_TLB_TAG_H
#define BULKHEAD_CORE_TLB_TAG_H

#include "core/types.h"

/* Per host CPU. */
struct tlb_tag_cpu {
	uint32_t max;        /* tags 1..max (0 is the host's) */
	uint32_t next;       /* next tag of this generation; > max: exhausted */
	uint64_t generation; /* starts at 1; 0 marks a vCPU that never had a tag */
	uint64_t flushes;    /* generations started (each flushed every tag) */
};

/* Per vCPU. */
struct tlb_tag {
	uint32_t tag;
	uint64_t generation; /* of the CPU below when tag was given */
	int cpu;             /* host CPU id the tag belongs to, -1 if none */
};

enum tlb_tag_result {
	TLB_TAG_KEEP,      /* the vCPU's tag is still valid here */
	TLB_TAG_NEW,       /* a tag unused since the last full flush */
	TLB_TAG_NEW_FLUSH, /* a new generation: flush every tag, then run */
};

/* max: how many tags the hardware offers beyond the host's (SVM:
 * CPUID 8000_000Ah EBX - 1, VMX: 65535), cut to limit if limit > 0
 * (the asid_max= option). */
void tlb_tag_cpu_init(struct tlb_tag_cpu *c, uint32_t max, uint32_t limit);
void tlb_tag_init(struct tlb_tag *t);
/* Before v runs on CPU cpu_id: is its tag still good? */
enum tlb_tag_result tlb_tag_assign(struct tlb_tag_cpu *c, struct tlb_tag *t, int cpu_id);

#endif
