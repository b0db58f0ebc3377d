/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/x86/cpu/paging.h"
#include "arch/x86/svm/npt.h"
#include "core/vcpu.h"

static uint64_t npt_table_entry(paddr_t next)
{
	return next | PTE_P | PTE_W | PTE_U;
}

static uint64_t npt_leaf_entry(paddr_t hpa, unsigned int prot, unsigned int level)
{
	uint64_t e = hpa | PTE_P | PTE_U;
	if (prot & S2_WRITE)
		e |= PTE_W;
	if (!(prot & S2_EXEC))
		e |= PTE_NX;
	if (level > 1)
		e |= PTE_PS;
	return e;
}

static bool npt_present(uint64_t e)
{
	return e & PTE_P;
}

static bool npt_is_leaf(uint64_t e, unsigned int level)
{
	return level == 1 || (e & PTE_PS);
}

static paddr_t npt_addr(uint64_t e)
{
	return e & PTE_ADDR_MASK;
}

static unsigned int npt_prot(uint64_t e)
{
	unsigned int p = S2_READ;
	if (e & PTE_W)
		p |= S2_WRITE;
	if (!(e & PTE_NX))
		p |= S2_EXEC;
	return p;
}

const struct s2pt_format npt_format = {
	.name = "NPT",
	.table_entry = npt_table_entry,
	.leaf_entry = npt_leaf_entry,
	.present = npt_present,
	.is_leaf = npt_is_leaf,
	.addr = npt_addr,
	.prot = npt_prot,
};
