/* SPDX-License-Identifier: BSD-2-Clause */
/* virt-insn: VMX and SVM instructions executed by a guest raise #UD in the
 * guest (VMX and SVM are hidden from it), whichever backend runs it: on VMX
 * the VMX instructions exit and the hypervisor injects #UD, while the SVM
 * ones are undefined opcodes; on SVM the SVM instructions are intercepted
 * and the VMX ones are undefined. Setting CR4.VMXE is #GP (a reserved bit
 * when VMX is not reported). Runs in long mode. */
#include "rt.h"

/* An aligned, zeroed 4 KiB region for memory operands (VMXON region, VMCS
 * pointer, INVEPT/INVVPID descriptors): nothing may ever use it. */
static uint8_t scratch[4096] __attribute__((aligned(4096)));

#define TRY_UD(name, insn, ...)                                                        \
	do {                                                                           \
		rt_exc_prepare();                                                      \
		asm volatile(RT_TRY_BEGIN insn RT_TRY_END : : __VA_ARGS__ : "memory"); \
		rt_expect_exc(name, VEC_UD, RT_NO_ERROR, RT_FAULT);                    \
	} while (0)

static void vmx_instructions(void)
{
	uint64_t field = 0, value = 0;
	uint64_t type = 1; /* single-context */

	TRY_UD("vmxon_ud", "vmxon (%0)", "r"(scratch));
	TRY_UD("vmptrld_ud", "vmptrld (%0)", "r"(scratch));
	TRY_UD("vmclear_ud", "vmclear (%0)", "r"(scratch));
	TRY_UD("vmptrst_ud", "vmptrst (%0)", "r"(scratch));
	TRY_UD("vmread_ud", "vmread %0, %1", "r"(field), "r"(value));
	TRY_UD("vmwrite_ud", "vmwrite %0, %1", "r"(value), "r"(field));
	TRY_UD("vmlaunch_ud", "vmlaunch", "r"(0));
	TRY_UD("vmresume_ud", "vmresume", "r"(0));
	TRY_UD("vmxoff_ud", "vmxoff", "r"(0));
	TRY_UD("invept_ud", "invept (%0), %1", "r"(scratch), "r"(type));
	TRY_UD("invvpid_ud", "invvpid (%0), %1", "r"(scratch), "r"(type));
	TRY_UD("vmfunc_ud", "vmfunc", "a"(0), "c"(0));
}

static void svm_instructions(void)
{
	uintptr_t pa = (uintptr_t)scratch;

	TRY_UD("vmrun_ud", "vmrun", "a"(pa));
	TRY_UD("vmload_ud", "vmload", "a"(pa));
	TRY_UD("vmsave_ud", "vmsave", "a"(pa));
	TRY_UD("stgi_ud", "stgi", "r"(0));
	TRY_UD("clgi_ud", "clgi", "r"(0));
	TRY_UD("skinit_ud", "skinit", "a"(pa));
	TRY_UD("invlpga_ud", "invlpga", "a"(pa), "c"(0));
}

/* The hypercall instruction of the other vendor: docs/hypercall-abi.md
 * allows either answer, a hypercall (the backend decoded it) or #UD, but
 * nothing else. */
static void wrong_hypercall_instruction(void)
{
	unsigned long ret = HC_VERSION;
	struct rt_exc_record r;

	rt_exc_prepare();
	if (rt_vendor_amd())
		asm volatile(RT_TRY_BEGIN "vmcall" RT_TRY_END : "+a"(ret) : : "memory");
	else
		asm volatile(RT_TRY_BEGIN "vmmcall" RT_TRY_END : "+a"(ret) : : "memory");
	r = rt_exc_result();
	if (r.hit)
		rt_check("wrong_hypercall_insn", r.vector == VEC_UD && r.ip == r.insn,
			 "vector %u at %p, want #UD at %p", r.vector, (void *)r.ip, (void *)r.insn);
	else
		rt_check("wrong_hypercall_insn", ret == HC_ABI_VERSION,
			 "no #UD, and RAX 0x%lx is not the ABI version", ret);
	rt_printf("virt-insn: %s on this CPU %s\n", rt_vendor_amd() ? "VMCALL" : "VMMCALL",
		  r.hit ? "raised #UD" : "worked as a hypercall");
}

/* QEMU 7.2's TCG does not raise #GP for a reserved CR4 bit: it makes an
 * SVM_EXIT_ERR #VMEXIT instead (even outside guest mode, where it wedges).
 * So on a bare machine this is skipped, and under Bulkhead on QEMU it passes
 * only if the SVM backend intercepts CR4 writes and injects the #GP itself;
 * real AMD CPUs and VMX (CR4 guest/host mask) raise #GP as the SDM says. */
static void cr4_vmxe(void)
{
	uintptr_t cr4 = read_cr4();

	if (!rt_hv_present()) {
		rt_puts("virt-insn: no hypervisor, CR4.VMXE test skipped\n");
		return;
	}

	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "mov %0, %%cr4" RT_TRY_END : : "r"(cr4 | CR4_VMXE) : "memory");
	rt_expect_exc("cr4_vmxe_gp", VEC_GP, 0, RT_FAULT);
	rt_check("cr4_vmxe_clear", !(read_cr4() & CR4_VMXE), "CR4 0x%lx reads with VMXE set",
		 (unsigned long)read_cr4());
}

void guest_main(void)
{
	vmx_instructions();
	svm_instructions();
	wrong_hypercall_instruction();
	cr4_vmxe();
}
