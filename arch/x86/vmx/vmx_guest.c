/* SPDX-License-Identifier: BSD-2-Clause */
/* The VMX backend's guest register state (SDM Vol. 3C §25.4 guest-state
 * area, §26.3.1 checks on it) and how the guest's CR0/CR4 map onto the
 * hardware's: the guest/host masks and read shadows of §25.6.6 and the
 * IA32_VMX_CR0/CR4_FIXED0/1 bits (vmx_state.c). Whether a control-register
 * write is legal is core's to decide (core/cr_policy.h): a CR exit goes to
 * core/exits.c, which writes the result back through vmx_set_sregs. Split
 * from vmx.c, whose vCPU set-up calls vmx_set_sregs. */
#include "arch/x86/cpu/cpu.h"
#include "arch/x86/vmx/ept.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx.h"
#include "arch/x86/vmx/vmx_internal.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "arch/x86/vmx/vmx_state.h"
#include "core/lib/string.h"
#include "core/log.h"
#include "core/partition.h"

#define GUEST_PAT_DEFAULT 0x0007040600070406ULL /* power-on value (SDM Vol. 3A §11.12.4) */
#define DR7_RESET 0x400ULL

/* ---- guest state ----------------------------------------------------------------- */

const struct vmx_fixed_bits *vmx_fixed(void)
{
	return &vmx_hw.fixed;
}

uint64_t vmx_guest_cr0(void)
{
	uint64_t m = vmx_hw.cr0_mask;
	return (vmread(VMCS_GUEST_CR0) & ~m) | (vmread(VMCS_CR0_READ_SHADOW) & m);
}

static uint64_t guest_cr4(void)
{
	uint64_t m = vmx_hw.cr4_mask;
	return (vmread(VMCS_GUEST_CR4) & ~m) | (vmread(VMCS_CR4_READ_SHADOW) & m);
}

static void write_cr0_pair(uint64_t cr0)
{
	vmwrite(VMCS_CR0_READ_SHADOW, cr0);
	vmwrite(VMCS_GUEST_CR0, vmx_cr0_real(vmx_fixed(), cr0));
}

static void write_cr4_pair(uint64_t cr4)
{
	vmwrite(VMCS_CR4_READ_SHADOW, cr4);
	vmwrite(VMCS_GUEST_CR4, vmx_cr4_real(vmx_fixed(), cr4));
}

/* EFER.LMA and the "IA-32e mode guest" entry control must agree (§27.3.1.1). */
static void write_efer(struct vmx_vcpu *s, uint64_t efer)
{
	uint32_t entry = s->entry_ctls & ~ENTRY_IA32E_MODE_GUEST;
	if (efer & EFER_LMA)
		entry |= ENTRY_IA32E_MODE_GUEST;
	vmwrite(VMCS_GUEST_EFER, efer);
	if (entry != s->entry_ctls) {
		s->entry_ctls = entry;
		vmwrite(VMCS_ENTRY_CONTROLS, entry);
	}
}

void vmx_read_guest_state(struct vmx_guest_state *g)
{
	for (unsigned int i = 0; i < SEG_COUNT; i++) {
		g->seg[i].sel = (uint16_t)vmread(VMCS_GUEST_SEL(i));
		g->seg[i].limit = (uint32_t)vmread(VMCS_GUEST_LIMIT(i));
		g->seg[i].ar = (uint32_t)vmread(VMCS_GUEST_AR(i));
		g->seg[i].base = vmread(VMCS_GUEST_BASE(i));
	}
	g->cr0 = vmread(VMCS_GUEST_CR0);
	g->cr3 = vmread(VMCS_GUEST_CR3);
	g->cr4 = vmread(VMCS_GUEST_CR4);
	g->dr7 = vmread(VMCS_GUEST_DR7);
	g->efer = vmread(VMCS_GUEST_EFER);
	g->pat = vmread(VMCS_GUEST_PAT);
	g->rflags = vmread(VMCS_GUEST_RFLAGS);
	g->rip = vmread(VMCS_GUEST_RIP);
	g->sysenter_esp = vmread(VMCS_GUEST_SYSENTER_ESP);
	g->sysenter_eip = vmread(VMCS_GUEST_SYSENTER_EIP);
	g->gdtr_base = vmread(VMCS_GUEST_GDTR_BASE);
	g->idtr_base = vmread(VMCS_GUEST_IDTR_BASE);
	g->gdtr_limit = (uint32_t)vmread(VMCS_GUEST_GDTR_LIMIT);
	g->idtr_limit = (uint32_t)vmread(VMCS_GUEST_IDTR_LIMIT);
	g->interruptibility = (uint32_t)vmread(VMCS_GUEST_INTERRUPTIBILITY);
	g->activity = (uint32_t)vmread(VMCS_GUEST_ACTIVITY);
	g->pending_dbg = vmread(VMCS_GUEST_PENDING_DBG);
	g->link_pointer = vmread(VMCS_LINK_POINTER);
	g->entry_controls = (uint32_t)vmread(VMCS_ENTRY_CONTROLS);
	g->entry_intr_info = (uint32_t)vmread(VMCS_ENTRY_INTR_INFO);
}

static void validate_guest_state(struct vmx_vcpu *s)
{
	struct vmx_guest_state g;

	vmx_read_guest_state(&g);
	s->bad_state = vmx_check_guest_state(&g, vmx_fixed(), &s->bad_value);
}

void vmx_set_sregs(struct vcpu *v, const struct vcpu_sregs *r)
{
	struct vmx_vcpu *s = vmx_vmcs_get(v);
	uint64_t cr4;

	if (!s)
		return;
	for (unsigned int i = 0; i < SEG_COUNT; i++) {
		vmwrite(VMCS_GUEST_SEL(i), r->seg[i].sel);
		vmwrite(VMCS_GUEST_LIMIT(i), r->seg[i].limit);
		vmwrite(VMCS_GUEST_AR(i), vmx_ar_from_attr(r->seg[i].attr));
		vmwrite(VMCS_GUEST_BASE(i), r->seg[i].base);
	}
	vmwrite(VMCS_GUEST_GDTR_BASE, r->gdtr.base);
	vmwrite(VMCS_GUEST_GDTR_LIMIT, r->gdtr.limit);
	vmwrite(VMCS_GUEST_IDTR_BASE, r->idtr.base);
	vmwrite(VMCS_GUEST_IDTR_LIMIT, r->idtr.limit);
	write_cr0_pair(r->cr0);
	s->tpr = (uint8_t)(r->cr8 & CR8_MAX); /* CR8 exits: the backend keeps it */
	/* The guest never sees CR4.VMXE or bits this CPU cannot hold. */
	cr4 = r->cr4 & ~vmx_cr4_guest_forbidden(vmx_fixed());
	write_cr4_pair(cr4);
	vmwrite(VMCS_GUEST_CR3, r->cr3);
	vmwrite(VMCS_GUEST_DR7, r->dr7 ? r->dr7 : DR7_RESET);
	vmwrite(VMCS_GUEST_PAT, r->pat ? r->pat : GUEST_PAT_DEFAULT);
	write_efer(s, r->efer);
	if (vmx_this_cpu()->ctx_owner == v)
		write_cr2(r->cr2);
	else
		s->ctx.cr2 = r->cr2;

	vmwrite(VMCS_GUEST_RIP, v->rip);
	vmwrite(VMCS_GUEST_RSP, v->gpr[GPR_RSP]);
	vmwrite(VMCS_GUEST_RFLAGS, (v->rflags & ~RFLAGS_RESERVED) | RFLAGS_FIXED);
	s->vmcs_rip = v->rip;
	s->vmcs_rsp = v->gpr[GPR_RSP];
	s->vmcs_rflags = v->rflags;
	/* STI blocking with IF clear is an invalid state (§27.3.1.5). */
	if (!(v->rflags & RFLAGS_IF) && (s->intr_state & INTERRUPTIBILITY_STI)) {
		s->intr_state &= ~INTERRUPTIBILITY_STI;
		vmwrite(VMCS_GUEST_INTERRUPTIBILITY, s->intr_state);
	}
	/* New paging mode or tables: no stale guest translations. */
	s->work |= VMX_WORK_FLUSH_VPID;
	validate_guest_state(s);
	vmx_vmcs_put(v, s);
}

void vmx_get_sregs(struct vcpu *v, struct vcpu_sregs *r)
{
	struct vmx_vcpu *s = vmx_vmcs_get(v);

	bh_memset(r, 0, sizeof(*r));
	if (!s)
		return;
	for (unsigned int i = 0; i < SEG_COUNT; i++) {
		r->seg[i].sel = (uint16_t)vmread(VMCS_GUEST_SEL(i));
		r->seg[i].limit = (uint32_t)vmread(VMCS_GUEST_LIMIT(i));
		r->seg[i].attr = vmx_attr_from_ar((uint32_t)vmread(VMCS_GUEST_AR(i)), i == SEG_SS);
		r->seg[i].base = vmread(VMCS_GUEST_BASE(i));
	}
	r->gdtr.base = vmread(VMCS_GUEST_GDTR_BASE);
	r->gdtr.limit = (uint16_t)vmread(VMCS_GUEST_GDTR_LIMIT);
	r->idtr.base = vmread(VMCS_GUEST_IDTR_BASE);
	r->idtr.limit = (uint16_t)vmread(VMCS_GUEST_IDTR_LIMIT);
	r->cr0 = vmx_guest_cr0();
	r->cr4 = guest_cr4();
	r->cr3 = vmread(VMCS_GUEST_CR3);
	r->cr8 = s->tpr;
	r->cr2 = vmx_this_cpu()->ctx_owner == v ? read_cr2() : s->ctx.cr2;
	r->efer = vmread(VMCS_GUEST_EFER);
	r->dr7 = vmread(VMCS_GUEST_DR7);
	r->pat = vmread(VMCS_GUEST_PAT);
	vmx_vmcs_put(v, s);
}
