/* SPDX-License-Identifier: BSD-2-Clause */
/* cr-rules: the control-register rules a guest sees are the same on both
 * backends (issue 13; core/cr_policy.c decides every intercepted write,
 * the CPU the rest). From 64-bit mode:
 *   - MOV to CR4 with a reserved bit (40), VMXE, PAE cleared, or LA57
 *     changed (SDM Vol. 2B MOV CR, Vol. 3A §2.5): #GP(0), CR4 unchanged;
 *   - MOV to CR8: 5 reads back as 5; 16 (bits 63:4 reserved) is #GP(0)
 *     where CR8 is intercepted (VMX, Intel vendor only);
 *   - MOV to CR0 clearing NE reads back without NE (host-owned on VMX);
 *     with NW but not CD, with bit 32, or with PE cleared while PG stays
 *     set: #GP(0), CR0 unchanged (SDM Vol. 2B MOV CR; APM Vol. 2 §3.1.1);
 *   - LMSW of a register and of a word in memory loads CR0.EM and reads
 *     back (SDM Vol. 2A LMSW);
 *   - CLTS clears CR0.TS; MOV to CR3 of the current value works.
 * On SVM the CR4 writes exit and the CR0 writes that change a bit other
 * than TS or MP (the selective CR0 write intercept); on VMX also CR8 and
 * the host-owned CR0 and CR4 bits. Either way the answer must be the
 * SDM's. Under QEMU's TCG without Bulkhead the CR0 #GP tests are skipped:
 * TCG takes those values (its next VMRUN would fail). */
#include "rt.h"

/* CR0_PE, CR0_PG, CR4_PAE, CR4_VMXE come from abi.h. */
#define CR0_EM (1ul << 2)
#define CR0_TS (1ul << 3)
#define CR0_NE (1ul << 5)
#define CR0_NW (1ul << 29)
#define CR4_LA57 (1ul << 12)
#define CR4_RESERVED_40 (1ul << 40)
#define CR0_RESERVED_32 (1ul << 32)
#define CR8_MAX 15ul

static void try_cr4(const char *name, uintptr_t val)
{
	uintptr_t before = read_cr4();

	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "mov %0, %%cr4" RT_TRY_END : : "r"(val) : "memory");
	if (rt_expect_exc(name, VEC_GP, 0, RT_FAULT) && read_cr4() != before)
		rt_fail(name, "CR4 changed to 0x%lx", (unsigned long)read_cr4());
	if (read_cr4() != before)
		asm volatile("mov %0, %%cr4" : : "r"(before) : "memory");
}

static void try_cr0(const char *name, uintptr_t val)
{
	uintptr_t before = read_cr0();

	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "mov %0, %%cr0" RT_TRY_END : : "r"(val) : "memory");
	if (rt_expect_exc(name, VEC_GP, 0, RT_FAULT) && read_cr0() != before)
		rt_fail(name, "CR0 changed to 0x%lx", (unsigned long)read_cr0());
}

static uintptr_t read_cr8(void)
{
	uintptr_t v;
	asm volatile("mov %%cr8, %0" : "=r"(v));
	return v;
}

static void cr8_rules(bool amd)
{
	uintptr_t before = read_cr8(), val = 16;

	asm volatile("mov %0, %%cr8" : : "r"(5ul) : "memory");
	rt_check("cr8_roundtrip", read_cr8() == 5, "CR8 reads 0x%lx after writing 5",
		 (unsigned long)read_cr8());
	/* Only VMX intercepts CR8 (core's policy checks it); SVM leaves it to
	 * the VMCB's V_TPR, and QEMU's TCG neither faults on CR8's reserved
	 * bits nor survives the write (its next VMRUN fails). */
	if (amd) {
		rt_printf("cr-rules: cr8_reserved_gp skipped: CR8 not intercepted on SVM\n");
	} else {
		rt_exc_prepare();
		asm volatile(RT_TRY_BEGIN "mov %0, %%cr8" RT_TRY_END : : "r"(val) : "memory");
		rt_expect_exc("cr8_reserved_gp", VEC_GP, 0, RT_FAULT);
	}
	asm volatile("mov %0, %%cr8" : : "r"(before & CR8_MAX) : "memory");
}

/* LMSW sets EM (a change SVM's selective CR0 intercept sees) from a
 * register, then clears it from a word in memory. */
static void lmsw_em(uintptr_t cr0)
{
	uint16_t word = (uint16_t)(cr0 & ~CR0_EM);

	asm volatile("lmsw %w0" : : "r"((uint16_t)(cr0 | CR0_EM)) : "memory");
	rt_check("lmsw_reg_sets_em", read_cr0() == (cr0 | CR0_EM), "CR0 0x%lx",
		 (unsigned long)read_cr0());
	asm volatile("lmsw %0" : : "m"(word) : "memory");
	rt_check("lmsw_mem_clears_em", read_cr0() == (cr0 & ~CR0_EM), "CR0 0x%lx",
		 (unsigned long)read_cr0());
	asm volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
}

void guest_main(void)
{
	uintptr_t cr0 = read_cr0(), cr3 = read_cr3(), cr4 = read_cr4();
	bool amd = rt_vendor_amd();

	try_cr4("cr4_reserved_gp", cr4 | CR4_RESERVED_40);
	try_cr4("cr4_vmxe_gp", cr4 | (uintptr_t)CR4_VMXE);
	try_cr4("cr4_pae_clear_gp", cr4 & ~(uintptr_t)CR4_PAE);
	try_cr4("cr4_la57_change_gp", cr4 ^ CR4_LA57);
	cr8_rules(amd);
	/* CR0.NE is host-owned on VMX (IA32_VMX_CR0_FIXED0): clearing it exits
	 * to core's policy, and the guest must read back its own value. */
	asm volatile("mov %0, %%cr0" : : "r"(cr0 & ~CR0_NE) : "memory");
	rt_check("cr0_ne_clear_reads_back", read_cr0() == (cr0 & ~CR0_NE), "CR0 0x%lx",
		 (unsigned long)read_cr0());
	asm volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
	/* QEMU's TCG on its own does not fault on these (its next VMRUN
	 * fails instead); Bulkhead's CR policy does on both backends. */
	if (amd && !rt_hv_present()) {
		rt_printf("cr-rules: cr0 #GP tests skipped: no hypervisor on QEMU's TCG\n");
	} else {
		try_cr0("cr0_nw_without_cd_gp", cr0 | CR0_NW);
		try_cr0("cr0_reserved_gp", cr0 | CR0_RESERVED_32);
		try_cr0("cr0_pg_without_pe_gp", cr0 & ~(uintptr_t)CR0_PE);
	}
	lmsw_em(cr0);
	asm volatile("mov %0, %%cr0" : : "r"(cr0 | CR0_TS) : "memory");
	asm volatile("clts" : : : "memory");
	rt_check("clts_clears_ts", read_cr0() == (cr0 & ~CR0_TS), "CR0 0x%lx after CLTS",
		 (unsigned long)read_cr0());
	asm volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
	rt_check("cr3_reload", read_cr3() == cr3, "CR3 0x%lx", (unsigned long)read_cr3());
	rt_check("cr4_unchanged", read_cr4() == cr4, "CR4 0x%lx, was 0x%lx",
		 (unsigned long)read_cr4(), (unsigned long)cr4);
	rt_done();
}
