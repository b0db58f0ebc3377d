/* SPDX-License-Identifier: BSD-2-Clause */
/* The register dump a failed partition leaves in the log. Pure: it formats
 * a snapshot the caller took, so host unit tests check its lines. */
#include "core/log.h"
#include "core/vcpu_dump.h"

static const char *const gpr_names[GPR_COUNT] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15",
};

/* The VMCB attribute packing keeps the DPL in bits 5-6 (core/vcpu.h). */
static unsigned int seg_dpl(const struct segment *s)
{
	return (s->attr >> 5) & 3;
}

static void log_segment(const char *name, const char *what, const struct segment *s)
{
	pr_info("[%s]   %s sel=%04x base=%016lx limit=%08x attr=%03x", name, what, s->sel,
		(unsigned long)s->base, s->limit, s->attr);
}

void vcpu_log_snapshot(const char *name, unsigned int vcpu_id, const struct vcpu_snapshot *s)
{
	const struct vcpu_sregs *sr = s->sregs;

	pr_info("[%s] vcpu%u state: rip=%016lx rflags=%08lx cpl=%u", name, vcpu_id,
		(unsigned long)s->rip, (unsigned long)s->rflags, seg_dpl(&sr->seg[SEG_SS]));
	for (unsigned int r = 0; r < GPR_COUNT; r += 4)
		pr_info("[%s]   %-3s=%016lx %-3s=%016lx %-3s=%016lx %-3s=%016lx", name, gpr_names[r],
			(unsigned long)s->gpr[r], gpr_names[r + 1], (unsigned long)s->gpr[r + 1],
			gpr_names[r + 2], (unsigned long)s->gpr[r + 2], gpr_names[r + 3],
			(unsigned long)s->gpr[r + 3]);
	pr_info("[%s]   cr0=%08lx cr2=%016lx cr3=%016lx cr4=%08lx efer=%04lx", name,
		(unsigned long)sr->cr0, (unsigned long)sr->cr2, (unsigned long)sr->cr3,
		(unsigned long)sr->cr4, (unsigned long)sr->efer);
	log_segment(name, "cs", &sr->seg[SEG_CS]);
	log_segment(name, "ss", &sr->seg[SEG_SS]);
	log_segment(name, "tr", &sr->seg[SEG_TR]);
	pr_info("[%s]   gdtr=%016lx/%04x idtr=%016lx/%04x", name, (unsigned long)sr->gdtr.base,
		sr->gdtr.limit, (unsigned long)sr->idtr.base, sr->idtr.limit);
}
