/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-cr0: MOV to CR0 with NW set and CD clear, then with PG set and PE
 * clear: combinations the CPU refuses with #GP (SDM Vol. 3A §2.5; APM
 * Vol. 2 §3.1.1) and VM entry refuses too (APM Vol. 2 §15.5.1; SDM Vol. 3C
 * §27.3.1.1). Where the CPU raises the #GP itself (Bochs), the guest
 * reports both and goes on. QEMU's TCG lets the writes through, so the SVM
 * backend intercepts CR0 writes and core's CR policy raises the #GP (issue
 * 14). Should a write ever get past both, the next VM entry fails: then
 * the hypervisor must stop this partition with one line and nothing else
 * (issue 12, "guest states that fail VM entry"). */
#include "atk.h"

#define CR0_NW (1ul << 29)
#define CR0_CD (1ul << 30)

static void try_cr0(const char *name, uintptr_t bad)
{
	uintptr_t cr0 = read_cr0();
	rt_printf("ATTACK %s: CR0 <- %lx; a #GP or a stop\n", name, (unsigned long)bad);
	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "mov %0, %%cr0" RT_TRY_END : : "r"(bad) : "memory");
	int vec = atk_vector();
	cpuid(0, 0); /* an exit, and the entry after it */
	rt_check(name, vec == VEC_GP && read_cr0() == cr0, "vector %d, CR0 %lx", vec,
		 (unsigned long)read_cr0());
}

void guest_main(void)
{
	uintptr_t cr0 = read_cr0();
	try_cr0("cr0_nw_without_cd", (cr0 & ~CR0_CD) | CR0_NW);
	try_cr0("cr0_pg_without_pe", (cr0 & ~(uintptr_t)CR0_PE) | CR0_PG);
}
