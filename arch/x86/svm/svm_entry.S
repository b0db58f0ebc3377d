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
#define GPR(n) (8 * (n))
#define RCX 1
#define RDX 2
#define RBX 3
#define RBP 5
#define RSI 6
#define RDI 7

	.text
	.global svm_vmrun
svm_vmrun:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	push %rdi			/* struct vcpu * */
	push %rdx			/* host VMCB */

	clgi
	mov %rsi, %rax			/* guest VMCB */
	mov GPR(RCX)(%rdi), %rcx
	mov GPR(RDX)(%rdi), %rdx
	mov GPR(RBX)(%rdi), %rbx
	mov GPR(RBP)(%rdi), %rbp
	mov GPR(RSI)(%rdi), %rsi
	mov GPR(8)(%rdi), %r8
	mov GPR(9)(%rdi), %r9
	mov GPR(10)(%rdi), %r10
	mov GPR(11)(%rdi), %r11
	mov GPR(12)(%rdi), %r12
	mov GPR(13)(%rdi), %r13
	mov GPR(14)(%rdi), %r14
	mov GPR(15)(%rdi), %r15
	mov GPR(RDI)(%rdi), %rdi
	vmload %rax
	vmrun %rax
	vmsave %rax

	push %rdi			/* guest RDI */
	mov 16(%rsp), %rdi		/* struct vcpu * */
	mov %rcx, GPR(RCX)(%rdi)
	mov %rdx, GPR(RDX)(%rdi)
	mov %rbx, GPR(RBX)(%rdi)
	mov %rbp, GPR(RBP)(%rdi)
	mov %rsi, GPR(RSI)(%rdi)
	mov %r8, GPR(8)(%rdi)
	mov %r9, GPR(9)(%rdi)
	mov %r10, GPR(10)(%rdi)
	mov %r11, GPR(11)(%rdi)
	mov %r12, GPR(12)(%rdi)
	mov %r13, GPR(13)(%rdi)
	mov %r14, GPR(14)(%rdi)
	mov %r15, GPR(15)(%rdi)
	popq GPR(RDI)(%rdi)

	pop %rax			/* host VMCB */
	vmload %rax
	stgi
	pop %rdi
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret
