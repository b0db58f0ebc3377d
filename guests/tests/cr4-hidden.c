/* SPDX-License-Identifier: BSD-2-Clause */
/* cr4-hidden: CR4 bits whose state no backend switches between partitions
 * must be refused (issue 12; docs/cpu-state.md; the isolation-cpu suite).
 * Setting CR4.OSXSAVE (18), CR4.PKE (22), CR4.CET (23) or CR4.PKS (24) must
 * raise #GP(0) and leave CR4 as it was, on SVM (core's CR4 check) and on
 * VMX (the bits are host-owned in the CR4 guest/host mask) alike; the
 * matching CPUID bits must read 0. A harmless bit (PGE) must still work. */
#include "rt.h"

#define CR4_PGE (1ul << 7)
#define CR4_OSXSAVE (1ul << 18)
#define CR4_PKE (1ul << 22)
#define CR4_CET (1ul << 23)
#define CR4_PKS (1ul << 24)
#define CPUID1_ECX_XSAVE (1u << 26)
#define CPUID7_ECX_PKU (1u << 3)
#define CPUID7_ECX_CET_SS (1u << 7)

static void try_set(const char *name, uintptr_t bit)
{
	uintptr_t before = read_cr4(), val = before | bit;

	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "mov %0, %%cr4" RT_TRY_END : : "r"(val) : "memory");
	rt_expect_exc(name, VEC_GP, 0, RT_FAULT);
	if (read_cr4() != before) {
		rt_fail(name, "CR4 changed to 0x%lx", (unsigned long)read_cr4());
		asm volatile("mov %0, %%cr4" : : "r"(before) : "memory");
	}
}

void guest_main(void)
{
	uintptr_t cr4 = read_cr4();

	rt_check("cpuid_no_xsave", !(cpuid(1, 0).ecx & CPUID1_ECX_XSAVE), "CPUID.1:ECX.XSAVE set");
	rt_check("cpuid_no_pku_cet", !(cpuid(7, 0).ecx & (CPUID7_ECX_PKU | CPUID7_ECX_CET_SS)),
		 "CPUID.7:ECX 0x%x", cpuid(7, 0).ecx);
	try_set("cr4_osxsave_gp", CR4_OSXSAVE);
	try_set("cr4_pke_gp", CR4_PKE);
	try_set("cr4_cet_gp", CR4_CET);
	try_set("cr4_pks_gp", CR4_PKS);
	/* A bit guests own: toggling it must work. */
	asm volatile("mov %0, %%cr4" : : "r"(cr4 ^ CR4_PGE) : "memory");
	rt_check("cr4_pge_toggles", read_cr4() == (cr4 ^ CR4_PGE), "CR4 0x%lx after toggling PGE",
		 (unsigned long)read_cr4());
	asm volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
	rt_done();
}
