/* SPDX-License-Identifier: BSD-2-Clause */
/* The VMX backend's stage-2 operations: EPT built by the shared walker
 * (arch/x86/paging/s2pt.c) with the encoding of ept_format.c, and EPT
 * invalidation (SDM Vol. 3C §29.4.3). */
#include "arch/x86/vmx/ept.h"
#include "arch/x86/vmx/vmx_internal.h"
#include "core/log.h"
#include "core/mm/frame.h"
#include "core/mm/heap.h"
#include "core/partition.h"

static paddr_t ept_alloc(void *ctx)
{
	return frame_alloc_zeroed();
}

static void ept_free(void *ctx, paddr_t pa)
{
	frame_free(pa);
}

static void *ept_ptr(void *ctx, paddr_t pa)
{
	return phys_to_virt(pa);
}

int ept_s2_init(struct partition *p)
{
	struct vmx_ept *ept = kzalloc(sizeof(*ept));

	if (!ept)
		return -1;
	ept->pt = (struct s2pt){
		.fmt = &ept_format,
		.alloc_table = ept_alloc,
		.free_table = ept_free,
		.table_ptr = ept_ptr,
		.allow_2m = vmx_hw.caps.stage2_2m,
		.allow_1g = vmx_hw.caps.stage2_1g,
	};
	if (s2pt_init(&ept->pt)) {
		kfree(ept);
		return -1;
	}
	ept->eptp = ept_make_eptp(ept->pt.root);
	p->s2 = ept;
	return 0;
}

/* Every vCPU of p flushes before its next entry (on whatever CPU it runs);
 * this CPU flushes now. CPUs where none of p's vCPUs runs again flush when
 * a vCPU using this EPTP next becomes active there (vmx.c). */
void ept_s2_flush(struct partition *p)
{
	struct vmx_ept *ept = p->s2;

	if (!ept)
		return;
	for (unsigned int i = 0; i < p->nr_vcpus; i++) {
		struct vmx_vcpu *s = p->vcpu[i] ? p->vcpu[i]->arch : NULL;
		if (s)
			s->work |= VMX_WORK_FLUSH_EPT;
	}
	if (this_cpu()->backend_data)
		vmx_invept(ept->eptp);
}

int ept_s2_map(struct partition *p, gpa_t gpa, paddr_t hpa, uint64_t size, unsigned int prot)
{
	struct vmx_ept *ept = p->s2;
	int rc;

	if (!ept)
		return -1;
	rc = s2pt_map(&ept->pt, gpa, hpa, size, prot);
	/* A changed or removed mapping must not live on in the TLB. */
	ept_s2_flush(p);
	return rc;
}

void ept_s2_destroy(struct partition *p)
{
	struct vmx_ept *ept = p->s2;

	if (!ept)
		return;
	/* The root frame, and so the EPTP, may be handed out again. */
	if (this_cpu()->backend_data)
		vmx_invept(ept->eptp);
	s2pt_destroy(&ept->pt);
	kfree(ept);
	p->s2 = NULL;
}
