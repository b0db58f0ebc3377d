/* SPDX-License-Identifier: BSD-2-Clause */
/* bench-hypercall: N HC_VERSION hypercalls (VMCALL or VMMCALL, by vendor)
 * against the same loop with NOP in place of the call (see bench.h). */
#include "bench.h"

static void loop_vmcall(unsigned long n)
{
	asm volatile("1: mov %1, %%eax\n\t"
		     "vmcall\n\t"
		     "dec %0\n\t"
		     "jnz 1b"
		     : "+D"(n)
		     : "i"(HC_VERSION)
		     : "rax", "memory");
}

static void loop_vmmcall(unsigned long n)
{
	asm volatile("1: mov %1, %%eax\n\t"
		     "vmmcall\n\t"
		     "dec %0\n\t"
		     "jnz 1b"
		     : "+D"(n)
		     : "i"(HC_VERSION)
		     : "rax", "memory");
}

static void loop_ref(unsigned long n)
{
	asm volatile("1: mov %1, %%eax\n\t"
		     "nop\n\t"
		     "dec %0\n\t"
		     "jnz 1b"
		     : "+D"(n)
		     : "i"(HC_VERSION)
		     : "rax", "memory");
}

void guest_main(void)
{
	if (!rt_hv_present()) {
		rt_fail("hypercall", "no hypervisor: nothing to measure");
		return;
	}
	bench_pair("hypercall", "hypercall_ref", rt_vendor_amd() ? loop_vmmcall : loop_vmcall,
		   loop_ref);
}
