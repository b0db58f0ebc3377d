/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/x86/cpu/cpu.h"
#include "arch/x86/cpu/gdt.h"
#include "arch/x86/cpu/paging.h"
#include "core/log.h"
#include "core/mm/frame.h"
#include "core/percpu.h"

extern char __image_start[], __text_end[], __rodata_end[], __image_end[];
extern char boot_stack_guard[];

/* Root of the hypervisor's page tables; set once by the boot CPU. */
static paddr_t hv_pml4;
static uint64_t nx_bit;

static uint64_t *table(paddr_t pa)
{
	return phys_to_virt(pa);
}

/* The next-level table behind entry *e, created (and, if *e was a large
 * page, filled with the same mapping at the finer size) on demand. */
static uint64_t *next_table(uint64_t *e, uint64_t large_size)
{
	if ((*e & PTE_P) && !(*e & PTE_PS))
		return table(*e & PTE_ADDR_MASK);
	paddr_t pa = frame_alloc_zeroed();
	if (!pa)
		return NULL;
	uint64_t *t = table(pa);
	if (*e & PTE_P) {
		uint64_t base = *e & PTE_ADDR_MASK & ~(large_size - 1);
		uint64_t attrs = *e & ~PTE_ADDR_MASK;
		uint64_t step = large_size / 512;
		if (step == PAGE_SIZE)
			attrs &= ~PTE_PS; /* 4 KiB entries have no PS bit (it is PAT) */
		for (unsigned int i = 0; i < 512; i++)
			t[i] = (base + i * step) | attrs;
	}
	*e = pa | PTE_P | PTE_W;
	return t;
}

/* The 4 KiB entry for va, splitting large pages on the way. */
static uint64_t *pte_for(uint64_t va)
{
	uint64_t *pml4 = table(hv_pml4);
	uint64_t *pdpt = next_table(&pml4[(va >> 39) & 511], GiB(512));
	if (!pdpt)
		return NULL;
	uint64_t *pd = next_table(&pdpt[(va >> 30) & 511], GiB(1));
	if (!pd)
		return NULL;
	uint64_t *pt = next_table(&pd[(va >> 21) & 511], MiB(2));
	if (!pt)
		return NULL;
	return &pt[(va >> 12) & 511];
}

static bool map_image(void)
{
	uint64_t start = (uintptr_t)__image_start, end = (uintptr_t)__image_end;
	for (uint64_t va = start; va < end; va += PAGE_SIZE) {
		uint64_t *e = pte_for(va);
		if (!e)
			return false;
		uint64_t attrs = PTE_P;
		if (va < (uintptr_t)__text_end)
			attrs |= 0; /* text: read + execute */
		else if (va < (uintptr_t)__rodata_end)
			attrs |= nx_bit; /* rodata and the symbol table */
		else
			attrs |= PTE_W | nx_bit; /* data, bss, stacks */
		*e = va | attrs;
	}
	/* Guard pages: a stack overflow faults instead of corrupting memory. */
	uint64_t *g = pte_for((uintptr_t)boot_stack_guard);
	if (!g)
		return false;
	*g = 0;
	for (unsigned int i = 0; i < MAX_CPUS; i++) {
		g = pte_for((uintptr_t)percpu_stacks[i].guard);
		if (!g)
			return false;
		*g = 0;
	}
	for (unsigned int i = 0; i < MAX_CPUS; i++) {
		for (unsigned int k = 0; k < IST_STACKS; k++) {
			g = pte_for(gdt_ist_guard(i, k));
			if (!g)
				return false;
			*g = 0;
		}
	}
	/* Page 0 stays unmapped so a NULL dereference faults. */
	g = pte_for(0);
	if (!g)
		return false;
	*g = 0;
	return true;
}

bool paging_init(uint64_t highest_phys)
{
	struct cpuid_regs ext = cpuid(0x80000001, 0);
	bool gb_pages = ext.edx & BIT(26); /* Page1GB (SDM Vol. 2A, CPUID) */
	nx_bit = (ext.edx & BIT(20)) ? PTE_NX : 0;
	/* The UEFI path arrives with the firmware's EFER: NX must be on before
	 * any entry carries bit 63, or it is a reserved bit (SDM Vol. 3A §4.5). */
	if (nx_bit)
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);

	uint64_t top = ALIGN_UP(MAX(highest_phys, GiB(4)), GiB(1));
	hv_pml4 = frame_alloc_zeroed();
	if (!hv_pml4)
		return false;
	uint64_t *pml4 = table(hv_pml4);
	for (uint64_t gb = 0; gb < top; gb += GiB(1)) {
		uint64_t *pml4e = &pml4[(gb >> 39) & 511];
		uint64_t *pdpt = next_table(pml4e, GiB(512));
		if (!pdpt)
			return false;
		uint64_t *pdpte = &pdpt[(gb >> 30) & 511];
		if (gb_pages) {
			*pdpte = gb | PTE_P | PTE_W | PTE_PS | nx_bit;
			continue;
		}
		paddr_t pd_pa = frame_alloc_zeroed();
		if (!pd_pa)
			return false;
		uint64_t *pd = table(pd_pa);
		for (unsigned int i = 0; i < 512; i++)
			pd[i] = (gb + i * MiB(2)) | PTE_P | PTE_W | PTE_PS | nx_bit;
		*pdpte = pd_pa | PTE_P | PTE_W;
	}
	if (!map_image())
		return false;
	write_cr3(hv_pml4);
	return true;
}

void paging_load(void)
{
	write_cr3(hv_pml4);
}

uint64_t paging_root(void)
{
	return hv_pml4;
}

bool paging_set_exec(uint64_t pa)
{
	uint64_t *e = pte_for(pa);
	if (!e)
		return false;
	*e = ALIGN_DOWN(pa, PAGE_SIZE) | PTE_P | PTE_W;
	write_cr3(read_cr3());
	return true;
}

bool paging_set_noexec(uint64_t pa)
{
	uint64_t *e = pte_for(pa);
	if (!e)
		return false;
	*e = ALIGN_DOWN(pa, PAGE_SIZE) | PTE_P | PTE_W | nx_bit;
	invlpg(pa);
	return true;
}

bool paging_set_uncached(uint64_t pa)
{
	uint64_t *e = pte_for(pa);
	if (!e)
		return false;
	/* PCD|PWT selects UC through the default PAT (SDM Vol. 3A §11.12.3). */
	*e = ALIGN_DOWN(pa, PAGE_SIZE) | PTE_P | PTE_W | PTE_PCD | PTE_PWT | nx_bit;
	invlpg(pa);
	return true;
}
