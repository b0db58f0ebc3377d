/* SPDX-License-Identifier: BSD-2-Clause */
/* The speculation-barrier decision (core/spec_policy.h). */
#include "core/spec_policy.h"
#include "core/lib/string.h"
#include "core/msr_policy.h"

uint32_t spec_decide(const struct spec_host *h)
{
	uint64_t cap = h->has_arch_cap ? h->arch_cap : 0;
	uint32_t set = SPEC_RSB_FILL_ON_EXIT;

	if (h->ibpb)
		set |= SPEC_IBPB_ON_SWITCH;
	if (h->md_clear && !((cap & ARCH_CAP_MDS_NO) && (cap & ARCH_CAP_TAA_NO)))
		set |= SPEC_VERW_ON_ENTRY;
	if (h->intel && h->vmx && h->l1d_flush &&
	    !(cap & (ARCH_CAP_RDCL_NO | ARCH_CAP_SKIP_L1DFL_VMENTRY)))
		set |= SPEC_L1D_FLUSH_ON_ENTRY;
	return set;
}

void spec_describe(uint32_t set, char *buf, size_t size)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ SPEC_IBPB_ON_SWITCH, "ibpb-on-switch" },
		{ SPEC_VERW_ON_ENTRY, "verw-on-entry" },
		{ SPEC_L1D_FLUSH_ON_ENTRY, "l1d-flush-on-entry" },
		{ SPEC_RSB_FILL_ON_EXIT, "rsb-fill-on-exit" },
	};
	size_t used = 0;

	if (!size)
		return;
	buf[0] = '\0';
	for (unsigned int i = 0; i < ARRAY_SIZE(names); i++) {
		if (!(set & names[i].bit))
			continue;
		size_t n = bh_strlen(names[i].name);
		if (used + (used ? 1 : 0) + n + 1 > size)
			break;
		if (used)
			buf[used++] = ' ';
		bh_memcpy(buf + used, names[i].name, n);
		used += n;
		buf[used] = '\0';
	}
	if (!used && size >= 5)
		bh_memcpy(buf, "none", 5);
}
