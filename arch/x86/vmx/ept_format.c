/* SPDX-License-Identifier: BSD-2-Clause */
/* EPT entry encoding (SDM Vol. 3C §29.3.2, Tables 29-1 to 29-6) for the
 * shared stage-2 walker. Pure code. */
#include "arch/x86/vmx/ept.h"
#include "arch/x86/vmx/vmcs.h"
#include "core/vcpu.h"

/* S2_READ/S2_WRITE/S2_EXEC are EPT bits 0/1/2 already; checked here so a
 * change on either side cannot go unnoticed. */
STATIC_ASSERT(S2_READ == EPT_READ && S2_WRITE == EPT_WRITE && S2_EXEC == EPT_EXEC,
	      "S2_* must match EPT permission bits");

/* Non-leaf entries grant everything; the leaf decides (access rights are
 * the intersection along the walk, §29.3.3). Bits 7:3 must be 0 here. */
static uint64_t ept_table_entry(paddr_t next)
{
	return (next & EPT_ADDR_MASK) | EPT_RWX;
}

static uint64_t ept_leaf_entry(paddr_t hpa, unsigned int prot, unsigned int level)
{
	uint64_t e = (hpa & EPT_ADDR_MASK) | (EPT_MEMTYPE_WB << EPT_MEMTYPE_SHIFT);

	prot &= S2_RWX;
	if (!prot)
		return 0;
	e |= prot | EPT_READ;
	if (level > 1)
		e |= EPT_LARGE;
	return e;
}

/* With mode-based execute control off, an entry is present if any of bits
 * 2:0 is set (§29.3.2). */
static bool ept_present(uint64_t e)
{
	return e & EPT_RWX;
}

static bool ept_is_leaf(uint64_t e, unsigned int level)
{
	return level == 1 || (e & EPT_LARGE);
}

static paddr_t ept_addr(uint64_t e)
{
	return e & EPT_ADDR_MASK;
}

static unsigned int ept_prot(uint64_t e)
{
	return (unsigned int)(e & EPT_RWX);
}

const struct s2pt_format ept_format = {
	.name = "EPT",
	.table_entry = ept_table_entry,
	.leaf_entry = ept_leaf_entry,
	.present = ept_present,
	.is_leaf = ept_is_leaf,
	.addr = ept_addr,
	.prot = ept_prot,
};

uint64_t ept_make_eptp(paddr_t root)
{
	return (root & EPT_ADDR_MASK) | EPTP_MEMTYPE_WB |
	       ((uint64_t)(EPT_LEVELS - 1) << EPTP_WALK_LENGTH_SHIFT);
}
