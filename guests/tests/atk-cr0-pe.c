/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-cr0-pe: MOV to CR0 with CR0.PG set with CR0.PE clear, a combination the CPU refuses
 * with #GP (SDM Vol. 3A §2.5; APM Vol. 2 §3.1.1) and VM entry refuses too
 * (APM Vol. 2 §15.5.1; SDM Vol. 3C §27.3.1.1). Where the CPU raises the
 * #GP itself, the guest reports it and goes on. QEMU's TCG lets the write
 * through, and the next VMRUN fails: then the hypervisor must stop this
 * partition with one line and nothing else (issue 12, "guest states that
 * fail VM entry"). */
#include "atk.h"

void guest_main(void)
{
	uintptr_t cr0 = read_cr0(), bad = (cr0 & ~1ul) | (1ul << 31);
	atk_announce("CR0 <- CR0.PG set with CR0.PE clear");
	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "mov %0, %%cr0" RT_TRY_END : : "r"(bad) : "memory");
	int vec = atk_vector();
	cpuid(0, 0); /* an exit, and the entry after it */
	rt_check("cr0_pe", vec == VEC_GP && read_cr0() == cr0, "vector %d, CR0 %lx", vec,
		 (unsigned long)read_cr0());
}
