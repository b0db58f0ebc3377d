/* SPDX-License-Identifier: BSD-2-Clause */
/* Extended page tables (Intel SDM Vol. 3C §29.3): the EPT entry encoding for
 * the shared stage-2 walker (arch/x86/paging/s2pt.h) and the EPTP layout.
 * ept_format.c is pure code (host unit tests: tests/unit/test_ept.c); ept.c
 * holds the backend's s2_* operations and INVEPT. */
#ifndef BULKHEAD_ARCH_X86_VMX_EPT_H
#define BULKHEAD_ARCH_X86_VMX_EPT_H

#include "arch/x86/paging/s2pt.h"
#include "core/types.h"

#define EPT_LEVELS 4

/* Leaves are write-back, "ignore PAT" clear, and always readable when
 * present: write-only is an EPT misconfiguration (§29.3.3.1) and execute-only
 * needs a capability we do not rely on, so S2_WRITE or S2_EXEC alone also
 * grant S2_READ. */
extern const struct s2pt_format ept_format;

/* EPT pointer (SDM Vol. 3C §25.6.11): write-back paging structures, a 4-level
 * walk, accessed/dirty flags off. */
uint64_t ept_make_eptp(paddr_t root);

/* The backend's per-partition stage-2 state (partition->s2). */
struct vmx_ept {
	struct s2pt pt;
	uint64_t eptp;
};

struct partition;
int ept_s2_init(struct partition *p);
int ept_s2_map(struct partition *p, gpa_t gpa, paddr_t hpa, uint64_t size, unsigned int prot);
void ept_s2_flush(struct partition *p);
void ept_s2_destroy(struct partition *p);

#endif
