/*
 * svm_vmrun(struct vcpu *v, paddr_t guest_vmcb, paddr_t host_vmcb)
 *
 * The world switch. Guest RAX, RSP, RIP and RFLAGS live in the VMCB; the other
 * guest GPRs live in v->gpr[] (offset 0 of struct vcpu, enum gpr order) and
 * are loaded here. VMRUN switches only part of the state (APM Vol. 2 §15.5);
 * FS, GS, TR, LDTR, KernelGSBase and the SYSCALL/SYSENTER MSRs are switched
 * with VMLOAD/VMSAVE, the host's copy being kept in a per-CPU host VMCB
 * (host GS base holds this CPU's percpu pointer, so it must come back).
 * GIF is cleared around the switch so no interrupt lands between the
 * VMLOADs and VMRUN.
 */
#include "arch/x86/cpu/guest_gprs.h"
#define GPR(n) (8 * (n))
#define RDI 7

	.text
	.global svm_vmrun
svm_vmrun:
	HOST_CALLEE_SAVED_PUSH
	push %rdi			/* struct vcpu * */
	push %rdx			/* host VMCB */

	clgi
	mov %rsi, %rax			/* guest VMCB */
	GUEST_GPRS_LOAD
	mov GPR(RDI)(%rdi), %rdi
	vmload %rax
	vmrun %rax
	vmsave %rax

	push %rdi			/* guest RDI */
	mov 16(%rsp), %rdi		/* struct vcpu * */
	GUEST_GPRS_SAVE
	popq GPR(RDI)(%rdi)

	pop %rax			/* host VMCB */
	vmload %rax
	stgi
	pop %rdi
	HOST_CALLEE_SAVED_POP
	ret
