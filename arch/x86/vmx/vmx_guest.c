/* SPDX-License-Identifier: BSD-2-Clause */
/* The VMX backend's guest register state and the control-register accesses
 * it emulates itself (SDM Vol. 3C §25.4 guest-state area, §26.3.1 checks on
 * it, §25.6.6 CR0/CR4 guest/host masks, §28.1.3 MOV CR exits); split from
 * vmx.c, whose run loop calls vmx_handle_cr_exit and whose vCPU set-up calls
 * vmx_set_sregs. */
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
#define CR8_MAX 15

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
	r->cr2 = vmx_this_cpu()->ctx_owner == v ? read_cr2() : s->ctx.cr2;
	r->efer = vmread(VMCS_GUEST_EFER);
	r->dr7 = vmread(VMCS_GUEST_DR7);
	r->pat = vmread(VMCS_GUEST_PAT);
	vmx_vmcs_put(v, s);
}

/* ---- CR accesses the backend emulates (CR0/CR4 masked bits, CR8, CR3) ------------------ */

static bool in_long_mode_cs(const struct vmx_vcpu *s)
{
	return (s->entry_ctls & ENTRY_IA32E_MODE_GUEST) &&
	       ((uint32_t)vmread(VMCS_GUEST_AR(SEG_CS)) & VMX_AR_L);
}

static void inject_gp(struct vcpu *v)
{
	struct vcpu_event ev = { VCPU_EVENT_EXCEPTION, EXC_GP, true, 0 };
	vmx_inject(v, &ev);
}

/* MOV to CR0 with a masked bit changed (SDM Vol. 3A §2.5, Vol. 2B MOV-CR
 * faults; paging-mode switch per Vol. 3A §10.8.5). */
static bool emulate_cr0_write(struct vmx_vcpu *s, uint64_t val)
{
	uint64_t old = vmx_guest_cr0(), efer = vmread(VMCS_GUEST_EFER);

	if ((val >> 32) || ((val & CR0_PG) && !(val & CR0_PE)) || ((val & CR0_NW) && !(val & CR0_CD)))
		return false;
	if (!(old & CR0_PG) && (val & CR0_PG) && (efer & EFER_LME)) {
		if (!(guest_cr4() & CR4_PAE))
			return false;
		write_efer(s, efer | EFER_LMA);
	} else if ((old & CR0_PG) && !(val & CR0_PG) && (efer & EFER_LMA)) {
		if (in_long_mode_cs(s)) /* only from compatibility mode */
			return false;
		write_efer(s, efer & ~EFER_LMA);
	}
	write_cr0_pair(val);
	s->work |= VMX_WORK_FLUSH_VPID;
	return true;
}

/* The same policy as core/exits.c applies on SVM (cr4_write_ok), less the
 * bits this CPU cannot hold in VMX operation. */
static bool emulate_cr4_write(struct vcpu *v, struct vmx_vcpu *s, uint64_t val)
{
	uint64_t allowed = v->part->cpuid.cr4_allowed & ~vmx_cr4_guest_forbidden(vmx_fixed());

	if (!cr4_write_ok(allowed, guest_cr4(), val, vmread(VMCS_GUEST_EFER), vmread(VMCS_GUEST_CR3)))
		return false;
	write_cr4_pair(val);
	s->work |= VMX_WORK_FLUSH_VPID;
	return true;
}

/* Only reached on CPUs that force CR3 exits on. (With PAE paging the PDPTEs
 * would have to be loaded too; such CPUs also lack unrestricted guest.) */
static bool emulate_cr3_write(struct vmx_vcpu *s, uint64_t val)
{
	if (vmx_fixed()->phys_bits < 64 && (val >> vmx_fixed()->phys_bits))
		return false;
	vmwrite(VMCS_GUEST_CR3, val);
	s->work |= VMX_WORK_FLUSH_VPID;
	return true;
}

/* Returns true if the exit was handled here and the guest can go on. */
bool vmx_handle_cr_exit(struct vcpu *v, struct vmx_vcpu *s)
{
	uint64_t q = v->exit.raw_info1;
	unsigned int type = CRQ_TYPE(q);
	uint64_t *reg = &v->gpr[CRQ_GPR(q)];
	uint64_t val = 0;
	bool ok;

	if (type == CRQ_TYPE_MOV_TO_CR)
		val = in_long_mode_cs(s) ? *reg : (uint32_t)*reg;
	switch (v->exit.cr.cr) {
	case 0:
		if (type == CRQ_TYPE_CLTS)
			val = vmx_guest_cr0() & ~CR0_TS;
		else if (type == CRQ_TYPE_LMSW) /* LMSW sets PE but never clears it */
			val = (vmx_guest_cr0() & ~0xeULL) | (CRQ_LMSW_DATA(q) & 0xf);
		else if (type != CRQ_TYPE_MOV_TO_CR)
			return false;
		ok = emulate_cr0_write(s, val);
		break;
	case 3:
		if (type == CRQ_TYPE_MOV_FROM_CR) {
			*reg = vmread(VMCS_GUEST_CR3);
			ok = true;
		} else {
			ok = emulate_cr3_write(s, val);
		}
		break;
	case 4:
		if (type != CRQ_TYPE_MOV_TO_CR)
			return false;
		ok = emulate_cr4_write(v, s, val);
		break;
	case 8:
		if (type == CRQ_TYPE_MOV_FROM_CR) {
			*reg = s->tpr;
			ok = true;
		} else {
			ok = val <= CR8_MAX;
			if (ok)
				s->tpr = (uint8_t)val;
		}
		break;
	default:
		return false;
	}
	if (ok)
		v->rip += v->exit.insn_len;
	else
		inject_gp(v);
	return true;
}
