/* SPDX-License-Identifier: BSD-2-Clause */
/* The Intel VMX backend (SDM Vol. 3C chapters 24-33): per-CPU VMXON, VMCS
 * set-up, the run step with exit decoding, event injection, VPIDs, and the
 * registers VMX does not switch. The guest-state area and the CR0/CR4 read
 * shadows live in vmx_guest.c (CR exits are judged by core's policy,
 * core/cr_policy.h), EPT in ept.c, the capability probe in vmx_caps.c.
 *
 * A VMCS is "active" on at most one CPU (§25.1). A vCPU's VMCS stays active
 * (and current) on the CPU that runs it, so a re-entry is a VMRESUME without
 * VMPTRLD. Calls made from another CPU while the vCPU has not run yet (the
 * boot CPU creating and loading partitions) leave it clear again. */
#include "arch/x86/cpu/cpu.h"
#include "arch/x86/cpu/gdt.h"
#include "arch/x86/cpu/spec.h"
#include "arch/x86/vmx/ept.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx.h"
#include "arch/x86/vmx/vmx_decode.h"
#include "arch/x86/vmx/vmx_internal.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "arch/x86/vmx/vmx_state.h"
#include "core/exc_reflect.h"
#include "core/exit_fast.h"
#include "core/exits.h"
#include "core/hv.h"
#include "core/lib/format.h"
#include "core/lib/string.h"
#include "core/log.h"
#include "core/mm/frame.h"
#include "core/mm/heap.h"
#include "core/partition.h"
#include "core/percpu.h"
#include "core/spinlock.h"
#include "core/tlb_tag.h"
#include "arch/x86/hostdev/lapic.h"

#define DR6_RESET 0xffff0ff0ULL /* SDM Vol. 3B §18.2.3 */
#define VMCS_LINK_NONE (~0ULL)  /* §27.3.1.5: no shadow VMCS */
/* Exceptions that push an error code (SDM Vol. 3A Table 6-1). */
#define EXC_WITH_ERROR                                                                       \
	(BIT(EXC_DF) | BIT(EXC_TS) | BIT(EXC_NP) | BIT(EXC_SS) | BIT(EXC_GP) | BIT(EXC_PF) | \
	 BIT(EXC_AC))
#define SOFTINT_DEFAULT_LEN 2 /* INT n is CD ib */

int vmx_enter(struct vcpu *v, bool resume);
void vmx_exit_landing(void);
bool vmx_vmexit(struct vcpu *v);

/* ---- VPIDs -----------------------------------------------------------------
 * Per host CPU by generation (core/tlb_tag.h): a vCPU's VPID is valid on
 * the CPU that gave it until that CPU starts a new generation, which
 * flushes every VPID's entries once. VPID 0 is the host's. */

/* Every VPID's linear and combined mappings on this CPU (§29.4.3.3): one
 * all-context INVVPID, or one single-context INVVPID per VPID in use. */
static void flush_all_vpids(const struct vmx_cpu *c)
{
	if (vmx_hw.ept_vpid_cap & VPID_CAP_INVVPID_ALL) {
		invvpid(INVVPID_ALL_CONTEXT, 0, 0);
		return;
	}
	for (uint32_t id = 1; id <= c->vpids.max; id++)
		invvpid(INVVPID_SINGLE_CONTEXT, (uint16_t)id, 0);
}

/* Before v runs here after another vCPU did (or first): its VPID is still
 * its own, or it gets a fresh one. Only a vCPU running on this CPU can
 * start a new generation, so one that keeps the CPU keeps its VPID. */
static void vpid_refresh(struct vmx_cpu *c, struct vmx_vcpu *s)
{
	enum tlb_tag_result r = tlb_tag_assign(&c->vpids, &s->tag, (int)c->id);

	if (r == TLB_TAG_KEEP)
		return;
	if (r == TLB_TAG_NEW_FLUSH)
		flush_all_vpids(c);
	s->vpid = (uint16_t)s->tag.tag;
	vmwrite(VMCS_VPID, s->vpid);
}

static void flush_vpid(uint16_t vpid)
{
	if (!vpid)
		return; /* VPID 0: every entry and exit flushes (§29.4.3.3) */
	if (vmx_hw.ept_vpid_cap & VPID_CAP_INVVPID_SINGLE)
		invvpid(INVVPID_SINGLE_CONTEXT, vpid, 0);
	else
		invvpid(INVVPID_ALL_CONTEXT, 0, 0);
}

void vmx_invept(uint64_t eptp)
{
	if (vmx_hw.ept_vpid_cap & EPT_CAP_INVEPT_SINGLE)
		invept(INVEPT_SINGLE_CONTEXT, eptp);
	else if (vmx_hw.ept_vpid_cap & EPT_CAP_INVEPT_ALL)
		invept(INVEPT_ALL_CONTEXT, 0);
}

/* ---- per-CPU enable --------------------------------------------------------- */

struct vmx_cpu *vmx_this_cpu(void)
{
	return this_cpu()->backend_data;
}

static int vmx_cpu_enable(struct percpu *cpu)
{
	const struct vmx_hw *hw = &vmx_hw;
	uint64_t fc, old_cr4 = read_cr4();
	struct vmx_cpu *c;
	paddr_t region;

	if (!hw->caps.usable)
		return -1;
	fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	if (!(fc & FEATURE_CONTROL_LOCK))
		wrmsr(MSR_IA32_FEATURE_CONTROL,
		      fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE_SMX);
	else if (!(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX))
		return -1;
	c = kzalloc(sizeof(*c));
	region = frame_alloc_zeroed();
	if (!c || !region) {
		kfree(c);
		if (region)
			frame_free(region);
		return -1;
	}
	/* VMXON region: revision identifier in the first 31 bits (§25.11.5). */
	*(uint32_t *)phys_to_virt(region) = hw->revision;
	/* CR0/CR4 must respect the fixed bits in VMX operation (§24.8). */
	write_cr0((read_cr0() | hw->fixed.cr0_fixed0) & hw->fixed.cr0_fixed1);
	write_cr4((old_cr4 | hw->fixed.cr4_fixed0 | CR4_VMXE) & hw->fixed.cr4_fixed1);
	if (!vmxon(region)) {
		pr_err("vmx: VMXON failed on CPU %u", cpu->id);
		write_cr4(old_cr4);
		frame_free(region);
		kfree(c);
		return -1;
	}
	c->id = cpu->id;
	c->vmxon_pa = region;
	tlb_tag_cpu_init(&c->vpids, VPID_MAX, hv_options.asid_max);
	cpu->virt_area = region;
	cpu->backend_data = c;
	/* Nothing from before VMXON (firmware, a previous kernel) may survive. */
	if (hw->ept_vpid_cap & EPT_CAP_INVEPT_ALL)
		invept(INVEPT_ALL_CONTEXT, 0);
	if (hw->vpid && (hw->ept_vpid_cap & VPID_CAP_INVVPID_ALL))
		invvpid(INVVPID_ALL_CONTEXT, 0, 0);
	return 0;
}

/* ---- VMCS activation ---------------------------------------------------------- */

static uint16_t host_sel(uint16_t s)
{
	return s & 0xfff8; /* RPL and TI must be 0 (§27.2.3) */
}

/* Host state is per CPU (§25.5): written whenever the VMCS becomes active
 * on a CPU. */
static void write_host_state(struct vmx_cpu *c)
{
	struct dtr64 gdtr, idtr;

	sgdt(&gdtr);
	sidt(&idtr);
	vmwrite(VMCS_HOST_CR0, read_cr0());
	vmwrite(VMCS_HOST_CR3, read_cr3());
	vmwrite(VMCS_HOST_CR4, read_cr4());
	vmwrite(VMCS_HOST_ES_SEL, host_sel(read_es()));
	vmwrite(VMCS_HOST_CS_SEL, host_sel(read_cs()));
	vmwrite(VMCS_HOST_SS_SEL, host_sel(read_ss()));
	vmwrite(VMCS_HOST_DS_SEL, host_sel(read_ds()));
	vmwrite(VMCS_HOST_FS_SEL, host_sel(read_fs()));
	vmwrite(VMCS_HOST_GS_SEL, host_sel(read_gs()));
	vmwrite(VMCS_HOST_TR_SEL, host_sel(read_tr()));
	vmwrite(VMCS_HOST_FS_BASE, rdmsr(MSR_FS_BASE));
	vmwrite(VMCS_HOST_GS_BASE, rdmsr(MSR_GS_BASE)); /* this CPU's struct percpu */
	vmwrite(VMCS_HOST_TR_BASE, tss_base(c->id));
	vmwrite(VMCS_HOST_GDTR_BASE, gdtr.base);
	vmwrite(VMCS_HOST_IDTR_BASE, idtr.base);
	vmwrite(VMCS_HOST_SYSENTER_CS, rdmsr(MSR_IA32_SYSENTER_CS));
	vmwrite(VMCS_HOST_SYSENTER_ESP, rdmsr(MSR_IA32_SYSENTER_ESP));
	vmwrite(VMCS_HOST_SYSENTER_EIP, rdmsr(MSR_IA32_SYSENTER_EIP));
	vmwrite(VMCS_HOST_PAT, rdmsr(MSR_IA32_PAT));
	vmwrite(VMCS_HOST_EFER, rdmsr(MSR_EFER));
	vmwrite(VMCS_HOST_RIP, (uint64_t)(uintptr_t)vmx_exit_landing);
}

/* Make s's VMCS current on this CPU. False if it is active elsewhere. */
static bool vmcs_activate(struct vmx_vcpu *s, struct vmx_cpu *c)
{
	if (c->current_vmcs == s->vmcs_pa)
		return true;
	if (s->active_on && s->active_on != c)
		return false;
	if (!vmptrld(s->vmcs_pa))
		return false;
	c->current_vmcs = s->vmcs_pa;
	if (!s->active_on) {
		/* Newly active here: VMCLEAR reset the launch state, and the
		 * TLB may hold translations tagged with a VPID or EPTP this
		 * vCPU inherited. */
		s->active_on = c;
		s->launched = false;
		write_host_state(c);
		s->work |= VMX_WORK_FLUSH_EPT | VMX_WORK_FLUSH_VPID;
	}
	return true;
}

static void vmcs_deactivate(struct vmx_vcpu *s, struct vmx_cpu *c)
{
	if (s->active_on != c)
		return;
	vmclear(s->vmcs_pa);
	if (c->current_vmcs == s->vmcs_pa)
		c->current_vmcs = 0;
	s->active_on = NULL;
	s->launched = false;
}

/* For calls outside run(): the VMCS of v, current on this CPU, or NULL. */
struct vmx_vcpu *vmx_vmcs_get(struct vcpu *v)
{
	struct vmx_vcpu *s = v->arch;
	struct vmx_cpu *c = vmx_this_cpu();

	if (!s || !c)
		return NULL;
	if (!vmcs_activate(s, c)) {
		pr_err("vmx: vCPU %u is active on CPU %u, not on CPU %u (vmx_vcpu_put missing)",
		       v->id, s->active_on ? s->active_on->id : ~0u, c->id);
		return NULL;
	}
	return s;
}

/* Leave the VMCS active only on the CPU that runs the vCPU. */
void vmx_vmcs_put(struct vcpu *v, struct vmx_vcpu *s)
{
	if (v->cpu != this_cpu())
		vmcs_deactivate(s, vmx_this_cpu());
}

/* ---- registers VMX does not switch ---------------------------------------------- */

static void save_guest_ctx(struct vmx_guest_ctx *x)
{
	x->cr2 = read_cr2();
	__asm__ volatile("mov %%db0, %0" : "=r"(x->dr[0]));
	__asm__ volatile("mov %%db1, %0" : "=r"(x->dr[1]));
	__asm__ volatile("mov %%db2, %0" : "=r"(x->dr[2]));
	__asm__ volatile("mov %%db3, %0" : "=r"(x->dr[3]));
	__asm__ volatile("mov %%db6, %0" : "=r"(x->dr6));
	x->kernel_gs_base = rdmsr(MSR_KERNEL_GS_BASE);
	x->star = rdmsr(MSR_STAR);
	x->lstar = rdmsr(MSR_LSTAR);
	x->cstar = rdmsr(MSR_CSTAR);
	x->sfmask = rdmsr(MSR_SFMASK);
	if (vmx_hw.switch_tsc_aux)
		x->tsc_aux = rdmsr(MSR_TSC_AUX);
}

static void load_guest_ctx(const struct vmx_guest_ctx *x)
{
	write_cr2(x->cr2);
	__asm__ volatile("mov %0, %%db0" : : "r"(x->dr[0]));
	__asm__ volatile("mov %0, %%db1" : : "r"(x->dr[1]));
	__asm__ volatile("mov %0, %%db2" : : "r"(x->dr[2]));
	__asm__ volatile("mov %0, %%db3" : : "r"(x->dr[3]));
	__asm__ volatile("mov %0, %%db6" : : "r"(x->dr6));
	wrmsr(MSR_KERNEL_GS_BASE, x->kernel_gs_base);
	wrmsr(MSR_STAR, x->star);
	wrmsr(MSR_LSTAR, x->lstar);
	wrmsr(MSR_CSTAR, x->cstar);
	wrmsr(MSR_SFMASK, x->sfmask);
	if (vmx_hw.switch_tsc_aux)
		wrmsr(MSR_TSC_AUX, x->tsc_aux);
}

/* Give the CPU v's copies; the previous owner's go back to its memory.
 * (One partition must not read another's CR2, breakpoints or LSTAR.) */
static void switch_guest_ctx(struct vmx_cpu *c, struct vcpu *v)
{
	if (c->ctx_owner)
		save_guest_ctx(&((struct vmx_vcpu *)c->ctx_owner->arch)->ctx);
	load_guest_ctx(&((struct vmx_vcpu *)v->arch)->ctx);
	c->ctx_owner = v;
}

/* ---- vCPU create / destroy ------------------------------------------------------- */

static bool write_controls(struct vmx_vcpu *s, const struct vmx_ept *ept, uint64_t cr4_allowed)
{
	const struct vmx_hw *hw = &vmx_hw;
	uint32_t proc2 = hw->proc2;
	bool ok = true;

	if (!hw->vpid)
		proc2 &= ~PROC2_VPID;
	s->pin = hw->pin;
	s->proc = hw->proc;
	s->exit_ctls = hw->exit;
	s->entry_ctls = hw->entry;
	s->exc_bitmap = EXC_INTERCEPTED;
	ok &= vmwrite_checked(VMCS_PIN_CONTROLS, s->pin);
	ok &= vmwrite_checked(VMCS_PROC_CONTROLS, s->proc);
	ok &= vmwrite_checked(VMCS_PROC2_CONTROLS, proc2);
	ok &= vmwrite_checked(VMCS_EXIT_CONTROLS, s->exit_ctls);
	ok &= vmwrite_checked(VMCS_ENTRY_CONTROLS, s->entry_ctls);
	ok &= vmwrite_checked(VMCS_EXCEPTION_BITMAP, s->exc_bitmap);
	ok &= vmwrite_checked(VMCS_PF_ERROR_MASK, 0);
	ok &= vmwrite_checked(VMCS_PF_ERROR_MATCH, 0);
	ok &= vmwrite_checked(VMCS_CR3_TARGET_COUNT, 0);
	ok &= vmwrite_checked(VMCS_EXIT_MSR_STORE_COUNT, 0);
	ok &= vmwrite_checked(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	ok &= vmwrite_checked(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	ok &= vmwrite_checked(VMCS_ENTRY_INTR_INFO, 0);
	ok &= vmwrite_checked(VMCS_TSC_OFFSET, 0);
	ok &= vmwrite_checked(VMCS_IO_BITMAP_A, hw->io_bitmap_a);
	ok &= vmwrite_checked(VMCS_IO_BITMAP_B, hw->io_bitmap_b);
	ok &= vmwrite_checked(VMCS_MSR_BITMAP, hw->msr_bitmap);
	ok &= vmwrite_checked(VMCS_EPT_POINTER, ept->eptp);
	/* A placeholder: vpid_refresh writes the real one before the first
	 * entry (a VPID of 0 with "enable VPID" would fail it, §27.2.1.1). */
	if (hw->vpid)
		ok &= vmwrite_checked(VMCS_VPID, 1);
	ok &= vmwrite_checked(VMCS_CR0_MASK, hw->cr0_mask);
	/* Every CR4 bit the guest may not set is owned by the host, so setting
	 * it exits to core's control-register policy (core/cr_policy.h); the
	 * rest are the guest's. */
	ok &= vmwrite_checked(VMCS_CR4_MASK, hw->cr4_mask | ~cr4_allowed);
	ok &= vmwrite_checked(VMCS_LINK_POINTER, VMCS_LINK_NONE);
	return ok;
}

/* The rest of the guest state set_sregs does not cover. */
static bool write_guest_misc(void)
{
	bool ok = true;

	ok &= vmwrite_checked(VMCS_GUEST_ACTIVITY, ACTIVITY_ACTIVE);
	ok &= vmwrite_checked(VMCS_GUEST_INTERRUPTIBILITY, 0);
	ok &= vmwrite_checked(VMCS_GUEST_PENDING_DBG, 0);
	ok &= vmwrite_checked(VMCS_GUEST_DEBUGCTL, 0);
	ok &= vmwrite_checked(VMCS_GUEST_SYSENTER_CS, 0);
	ok &= vmwrite_checked(VMCS_GUEST_SYSENTER_ESP, 0);
	ok &= vmwrite_checked(VMCS_GUEST_SYSENTER_EIP, 0);
	return ok;
}

static void vmx_vcpu_free(struct vmx_vcpu *s)
{
	if (s->vmcs_pa)
		frame_free(s->vmcs_pa);
	kfree(s);
}

static int vmx_vcpu_create(struct vcpu *v)
{
	const struct vmx_ept *ept = v->part ? v->part->s2 : NULL;
	struct vmx_cpu *c = vmx_this_cpu();
	struct vmx_vcpu *s;
	struct vcpu_sregs reset;

	if (!ept || !c)
		return -1;
	s = kzalloc(sizeof(*s));
	if (!s)
		return -1;
	s->vmcs_pa = frame_alloc_zeroed();
	if (!s->vmcs_pa) {
		vmx_vcpu_free(s);
		return -1;
	}
	tlb_tag_init(&s->tag);
	/* VMCS region: revision identifier, then VMCLEAR (§25.11.3). */
	*(uint32_t *)phys_to_virt(s->vmcs_pa) = vmx_hw.revision;
	if (!vmclear(s->vmcs_pa) || !vmcs_activate(s, c) ||
	    !write_controls(s, ept, v->part->cpuid.cr4_allowed) || !write_guest_misc()) {
		pr_err("vmx: VMCS set-up failed for vCPU %u", v->id);
		vmcs_deactivate(s, c);
		vmx_vcpu_free(s);
		return -1;
	}
	s->ctx.dr6 = DR6_RESET;
	v->arch = s;
	/* Architectural reset state until the loader sets its own. */
	vcpu_sregs_for_mode(&reset, VCPU_MODE_REAL, 0);
	if (!v->rflags)
		v->rflags = RFLAGS_FIXED;
	vmx_set_sregs(v, &reset);
	return 0;
}

static void vmx_vcpu_destroy(struct vcpu *v)
{
	struct vmx_vcpu *s = v->arch;
	struct vmx_cpu *c = vmx_this_cpu();

	if (!s)
		return;
	/* No CPU may keep a pointer to v as the owner of its registers. */
	for (unsigned int i = 0; i < MAX_CPUS; i++) {
		struct vmx_cpu *o = percpu_area[i].backend_data;
		if (o && o->ctx_owner == v)
			o->ctx_owner = NULL;
	}
	if (s->active_on && s->active_on != c) {
		/* Still active elsewhere: the CPU may write it back at any
		 * time, so the frame must not be reused. */
		pr_err("vmx: vCPU %u destroyed while active on CPU %u; its VMCS frame is leaked",
		       v->id, s->active_on->id);
		s->vmcs_pa = 0;
	} else if (c) {
		vmcs_deactivate(s, c);
	}
	vmx_vcpu_free(s);
	v->arch = NULL;
}

void vmx_vcpu_put(struct vcpu *v)
{
	struct vmx_vcpu *s = v->arch;
	struct vmx_cpu *c = vmx_this_cpu();

	if (!s || !c)
		return;
	if (c->ctx_owner == v) {
		save_guest_ctx(&s->ctx);
		c->ctx_owner = NULL;
	}
	vmcs_deactivate(s, c);
}

/* ---- events ------------------------------------------------------------------------ */

static bool shadow_blocks(const struct vmx_vcpu *s)
{
	return s->intr_state & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS);
}

/* A #DB the hypervisor injects (a single step over an instruction it
 * emulated): VM entry's event injection does not update DR6 or DR7 (SDM
 * Vol. 3C §27.6.1.2, "DR6 is not modified"), so do what the delivery would
 * (core/exc_reflect.h). A debug exception the exit left pending (a MOV SS
 * shadow with TF set, §28.3.4) is this same single step: it must not come
 * a second time after the injected one, so the field is cleared (§27.6.3:
 * pending debug exceptions are not delivered when an event is injected,
 * but VM entry checks them against the interruptibility state). The guest's
 * DR6 is in the CPU while its context is loaded here (switch_guest_ctx). */
static __attribute__((noinline)) void vmx_db_payload(struct vcpu *v, uint64_t bits)
{
	struct vmx_vcpu *s = vmx_vmcs_get(v);
	uint64_t dr6;

	if (!s)
		return;
	if (vmx_this_cpu()->ctx_owner == v) {
		__asm__ volatile("mov %%db6, %0" : "=r"(dr6));
		dr6 = exc_dr6_after_db(dr6, bits);
		__asm__ volatile("mov %0, %%db6" : : "r"(dr6));
	} else {
		s->ctx.dr6 = exc_dr6_after_db(s->ctx.dr6, bits);
	}
	vmwrite(VMCS_GUEST_DR7, exc_dr7_after_db(vmread(VMCS_GUEST_DR7)));
	vmwrite(VMCS_GUEST_PENDING_DBG, 0);
	/* An instruction (or REP iteration) has retired: no STI or MOV SS
	 * shadow is left, and §27.3.1.5 refuses one with TF set and no
	 * pending BS. */
	if (shadow_blocks(s)) {
		s->intr_state &= ~(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS);
		vmwrite(VMCS_GUEST_INTERRUPTIBILITY, s->intr_state);
	}
	vmx_vmcs_put(v, s);
}

void vmx_inject(struct vcpu *v, const struct vcpu_event *ev)
{
	struct vmx_vcpu *s = v->arch;
	uint32_t type;
	uint8_t vector = ev->vector;

	switch (ev->type) {
	case VCPU_EVENT_EXTINT:
		type = INTR_TYPE_EXTINT;
		break;
	case VCPU_EVENT_NMI:
		type = INTR_TYPE_NMI;
		vector = EXC_NMI;
		break;
	case VCPU_EVENT_EXCEPTION:
		type = vector == EXC_NMI ? INTR_TYPE_NMI : INTR_TYPE_HW_EXCEPTION;
		if (vector > 31) {
			pr_warn("vmx: refusing to inject exception vector %u (above 31)", vector);
			return;
		}
		if (unlikely(vector == EXC_DB && ev->dr6))
			vmx_db_payload(v, ev->dr6);
		break;
	case VCPU_EVENT_SOFTINT:
		type = INTR_TYPE_SW_INTERRUPT;
		break;
	default:
		pr_warn("vmx: refusing to inject event of unknown type %u", ev->type);
		return;
	}
	s->event.valid = true;
	s->event.info = vector | (type << INTR_INFO_TYPE_SHIFT) | INTR_INFO_VALID |
			(ev->has_error ? INTR_INFO_ERROR_VALID : 0);
	s->event.error = ev->error;
	s->event.insn_len = v->exit.insn_len ? v->exit.insn_len : SOFTINT_DEFAULT_LEN;
	s->work |= VMX_WORK_EVENT;
}

static bool vmx_event_pending(struct vcpu *v)
{
	return ((struct vmx_vcpu *)v->arch)->event.valid;
}

static bool vmx_interruptible(struct vcpu *v)
{
	const struct vmx_vcpu *s = v->arch;
	return (v->rflags & RFLAGS_IF) && !shadow_blocks(s) && !s->event.valid;
}

/* An NMI can go when the guest is not in an NMI handler (virtual-NMI
 * blocking, §24.4.2 Table 24-3), the event slot is free and no MOV SS or
 * STI shadow is in effect (the entry checks of §26.3.1.5 refuse an NMI
 * under MOV SS blocking, and may under STI blocking). Without virtual NMIs
 * an injected NMI would block the guest's NMIs for good (IRET does not
 * unblock them with NMI exiting on, §25.3): none is given. */
static bool vmx_nmi_allowed(struct vcpu *v)
{
	const struct vmx_vcpu *s = v->arch;
	return vmx_hw.guest_nmis && !s->event.valid && !(s->intr_state & INTERRUPTIBILITY_NMI) &&
	       !shadow_blocks(s);
}

static void vmx_request_nmi_window(struct vcpu *v, bool on)
{
	struct vmx_vcpu *s = v->arch;
	if (!vmx_hw.guest_nmis)
		return;
	s->want_nmi_window = on;
	s->work |= VMX_WORK_CONTROLS;
}

/* For HC_PRINT_STATS: the interruptibility the last exit saved (SDM Vol. 3C
 * §24.4.2, Table 24-3), the event queued for the next entry and the window
 * exits asked for. */
static void vmx_describe_events(struct vcpu *v, char *buf, size_t len)
{
	const struct vmx_vcpu *s = v->arch;
	bh_snprintf(buf, len,
		    "vmx: blocking by STI %u, MOV SS %u, NMI %u; event slot %s (info %#x); "
		    "windows asked: interrupt %u, for the slot %u, NMI %u",
		    !!(s->intr_state & INTERRUPTIBILITY_STI),
		    !!(s->intr_state & INTERRUPTIBILITY_MOV_SS),
		    !!(s->intr_state & INTERRUPTIBILITY_NMI), s->event.valid ? "taken" : "free",
		    s->event.valid ? s->event.info : 0, s->want_window, s->event_window,
		    s->want_nmi_window);
}

static void vmx_request_intr_window(struct vcpu *v, bool on)
{
	struct vmx_vcpu *s = v->arch;
	s->want_window = on;
	s->work |= VMX_WORK_CONTROLS;
}

/* The VMCS's entry-interruption field is written from s->event just
 * before each entry, and every VM exit clears its valid bit (SDM Vol. 3C
 * §24.8.3): dropping s->event is enough. */
static void vmx_clear_events(struct vcpu *v)
{
	struct vmx_vcpu *s = v->arch;
	s->event.valid = false;
	s->event_window = false;
	vmx_request_intr_window(v, false);
	vmx_request_nmi_window(v, false);
	/* INIT and RESET leave no NMI blocking (SDM Vol. 3A §9.1.1). */
	if ((s->intr_state & INTERRUPTIBILITY_NMI) && vmx_vmcs_get(v)) {
		s->intr_state &= ~INTERRUPTIBILITY_NMI;
		vmwrite(VMCS_GUEST_INTERRUPTIBILITY, s->intr_state);
		vmx_vmcs_put(v, s);
	}
}

/* Can the queued event be injected now without failing the entry checks of
 * §27.3.1.5 (IF and STI/MOV SS blocking for interrupts, MOV SS for NMIs)? */
static bool event_deliverable(const struct vcpu *v, const struct vmx_vcpu *s)
{
	switch (INTR_INFO_TYPE(s->event.info)) {
	case INTR_TYPE_EXTINT:
		return (v->rflags & RFLAGS_IF) && !shadow_blocks(s);
	case INTR_TYPE_NMI:
		return !shadow_blocks(s);
	default:
		return true;
	}
}

static void write_event(struct vmx_vcpu *s)
{
	uint32_t info = s->event.info & (INTR_INFO_VALID | INTR_INFO_ERROR_VALID | 0x7ff);
	unsigned int type = INTR_INFO_TYPE(info), vector = INTR_INFO_VECTOR(info);

	/* Error-code delivery is not a choice (§26.2.1.3): hardware exceptions
	 * that push one, in protected mode only. */
	info &= ~INTR_INFO_ERROR_VALID;
	if (type == INTR_TYPE_HW_EXCEPTION && (EXC_WITH_ERROR & BIT(vector)) &&
	    (vmx_guest_cr0() & CR0_PE)) {
		info |= INTR_INFO_ERROR_VALID;
		vmwrite(VMCS_ENTRY_EXCEPTION_ERROR, s->event.error);
	}
	if (type == INTR_TYPE_SW_INTERRUPT || type == INTR_TYPE_SW_EXCEPTION ||
	    type == INTR_TYPE_PRIV_SW_EXCEPTION)
		vmwrite(VMCS_ENTRY_INSN_LEN, s->event.insn_len ? s->event.insn_len : 1);
	vmwrite(VMCS_ENTRY_INTR_INFO, info);
	s->nmi_injected = type == INTR_TYPE_NMI;
	s->event.valid = false;
}

/* ---- before entry ------------------------------------------------------------------- */

static void update_controls(struct vmx_vcpu *s)
{
	uint32_t proc = s->proc & ~(PROC_INTR_WINDOW_EXITING | PROC_NMI_WINDOW_EXITING);
	uint32_t pin = s->pin & ~PIN_PREEMPT_TIMER;
	uint32_t exit = s->exit_ctls & ~EXIT_SAVE_PREEMPT_TIMER;

	if (s->want_window || s->event_window)
		proc |= PROC_INTR_WINDOW_EXITING;
	if (s->want_nmi_window)
		proc |= PROC_NMI_WINDOW_EXITING;
	if (s->preempt_value) {
		pin |= PIN_PREEMPT_TIMER;
		exit |= EXIT_SAVE_PREEMPT_TIMER;
	}
	if (proc != s->proc)
		vmwrite(VMCS_PROC_CONTROLS, s->proc = proc);
	if (pin != s->pin)
		vmwrite(VMCS_PIN_CONTROLS, s->pin = pin);
	if (exit != s->exit_ctls)
		vmwrite(VMCS_EXIT_CONTROLS, s->exit_ctls = exit);
}

/* Out of line: its INVEPT/INVVPID descriptors on the stack would give
 * prepare_entry, on every entry, a stack-protector canary. */
static __attribute__((noinline)) void do_entry_work(struct vcpu *v, struct vmx_vcpu *s)
{
	uint32_t work = s->work;

	s->work = 0;
	if (work & VMX_WORK_FLUSH_EPT)
		vmx_invept(((struct vmx_ept *)v->part->s2)->eptp);
	if (work & VMX_WORK_FLUSH_VPID)
		flush_vpid(s->vpid);
	if (work & VMX_WORK_EXC_BITMAP)
		vmwrite(VMCS_EXCEPTION_BITMAP, s->exc_bitmap);
	if (work & VMX_WORK_EVENT) {
		s->event_window = false;
		if (!s->event.valid) {
			/* withdrawn */
		} else if (event_deliverable(v, s)) {
			write_event(s);
		} else {
			/* Wait for the guest to open an interrupt window. */
			s->event_window = true;
			s->work |= VMX_WORK_EVENT;
		}
		work |= VMX_WORK_CONTROLS;
	}
	if (work & VMX_WORK_CONTROLS)
		update_controls(s);
}

/* The scheduler's deadline on this CPU (the end of the time slice, the
 * next device timer) is armed on the host LAPIC timer, whose interrupt makes
 * the guest exit through "external-interrupt exiting". The same deadline is
 * also given to the VMX-preemption timer (SDM Vol. 3C §26.5.1), which exits
 * (reason 52) when it counts down to zero in VMX non-root operation, whatever
 * the guest does: Bochs delivers no host interrupt to a guest spinning with
 * RFLAGS.IF clear (a PAUSE loop writing its APIC's ICR with interrupts off
 * kept its host CPU for good), and an exit that does not depend on interrupt
 * delivery is the safer design anyway. The timer does not count while the
 * hypervisor handles an exit, so it is set from the deadline before every
 * entry: the guest's exits are charged to its slice too. It counts at
 * TSC >> IA32_VMX_MISC[4:0]. */
static inline __attribute__((always_inline)) void mirror_host_timer(struct vmx_vcpu *s)
{
	uint64_t deadline = host_timer_armed();

	if (deadline == HOST_TIMER_OFF) {
		if (s->preempt_value) {
			s->preempt_value = 0;
			s->work |= VMX_WORK_CONTROLS;
		}
		return;
	}
	uint64_t now = rdtsc();
	uint64_t value = deadline > now ? (deadline - now) >> vmx_hw.preempt_rate : 0;
	/* 0 would exit before the first guest instruction: a deadline already
	 * due is the scheduler's to see at the next exit, so give the guest one
	 * tick (it makes progress, and exits right after). */
	if (!value)
		value = 1;
	if (!s->preempt_value)
		s->work |= VMX_WORK_CONTROLS;
	s->preempt_value = (uint32_t)MIN(value, 0xffffffffULL);
	vmwrite(VMCS_PREEMPT_TIMER_VALUE, s->preempt_value);
}

/* RIP moved: the instruction that set an STI or MOV-SS shadow has been
 * emulated past, and the shadow ends with it (SDM Vol. 3C §25.4.2
 * "Guest Non-Register State", interruptibility state). */
static inline void write_rip(struct vcpu *v, struct vmx_vcpu *s)
{
	vmwrite(VMCS_GUEST_RIP, v->rip);
	s->vmcs_rip = v->rip;
	if (shadow_blocks(s)) {
		s->intr_state &= ~(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS);
		vmwrite(VMCS_GUEST_INTERRUPTIBILITY, s->intr_state);
	}
}

static void prepare_entry(struct vcpu *v, struct vmx_vcpu *s)
{
	if (likely(vmx_hw.preempt_timer))
		mirror_host_timer(s);
	if (v->rip != s->vmcs_rip)
		write_rip(v, s);
	if (v->gpr[GPR_RSP] != s->vmcs_rsp) {
		vmwrite(VMCS_GUEST_RSP, v->gpr[GPR_RSP]);
		s->vmcs_rsp = v->gpr[GPR_RSP];
	}
	if (v->rflags != s->vmcs_rflags) {
		vmwrite(VMCS_GUEST_RFLAGS, (v->rflags & ~RFLAGS_RESERVED) | RFLAGS_FIXED);
		s->vmcs_rflags = v->rflags;
	}
	if (unlikely(s->work))
		do_entry_work(v, s);
}

/* ---- after exit ---------------------------------------------------------------------- */

/* An event whose delivery the exit interrupted goes in again at the next
 * entry (SDM Vol. 3C §28.2.4, §29.2.1). */
static void requeue_vectoring_event(struct vcpu *v, struct vmx_vcpu *s, uint32_t idt,
				    uint32_t insn_len)
{
	s->event.valid = true;
	s->event.info = idt & (INTR_INFO_VALID | INTR_INFO_ERROR_VALID | 0x7ff);
	s->event.error = (idt & INTR_INFO_ERROR_VALID) ? (uint32_t)vmread(VMCS_IDT_VECTORING_ERROR)
						       : 0;
	s->event.insn_len = (uint8_t)insn_len;
	s->work |= VMX_WORK_EVENT;
}

/* The guest interruptibility an exit saved (SDM Vol. 3C §24.4.2). With
 * virtual NMIs, blocking by NMI begins only when an NMI is delivered (§26.6.1
 * for an injected one) and ends at the handler's IRET; so if the vCPU was
 * entered unblocked and no NMI went in, an exit cannot report it blocked.
 * Bochs 2.7 does: its VM entry sets its internal virtual-NMI mask from a
 * VMCS that says "blocked" but never clears it for one that says
 * "unblocked", so the blocking of one vCPU's NMI handler leaked into the next
 * vCPU entered on that CPU, whose NMIs then waited for an NMI window that
 * never came (atk-nmi: 1,802 of 20,000 NMIs, then none). Later Bochs
 * versions clear the mask at entry. Such blocking is cleared again here;
 * on a CPU that follows the SDM this never triggers. */
static inline void read_intr_state(struct vmx_vcpu *s)
{
	uint32_t at_entry = s->intr_state;
	s->intr_state = (uint32_t)vmread(VMCS_GUEST_INTERRUPTIBILITY);
	if (unlikely((s->intr_state & INTERRUPTIBILITY_NMI) && !(at_entry & INTERRUPTIBILITY_NMI) &&
		     !s->nmi_injected)) {
		s->intr_state &= ~INTERRUPTIBILITY_NMI;
		vmwrite(VMCS_GUEST_INTERRUPTIBILITY, s->intr_state);
		struct vmx_cpu *c = vmx_this_cpu();
		if (!c->nmi_block_fixups++)
			pr_warn("vmx: CPU %u: an exit reported NMI blocking that no NMI delivery set "
				"(the CPU kept another VMCS's): cleared (further ones counted)",
				c->id);
	}
	s->nmi_injected = false;
}

/* An exit in the middle of an IRET that unblocked (virtual) NMIs must
 * leave them blocked again, since the IRET runs again (§28.2.3). */
static void reblock_nmi(struct vmx_vcpu *s)
{
	s->intr_state |= INTERRUPTIBILITY_NMI;
	vmwrite(VMCS_GUEST_INTERRUPTIBILITY, s->intr_state);
}

/* A host NMI that arrived while the guest ran made the VM exit instead of
 * being delivered (NMI exiting, SDM Vol. 3C §25.2); unlike SVM's NMI
 * intercept it is not left pending. The host's NMI handler is run here by
 * INT 2 on its IST stack: NMIs are blocked after a VM exit caused by an
 * NMI (SDM Vol. 3C, VM exits, "event blocking"), and the handler's IRET
 * unblocks them. */
static inline void host_nmi_again(void)
{
	__asm__ volatile("int $2" ::: "memory");
}

static uint8_t guest_addr_size(const struct vmx_vcpu *s)
{
	uint32_t cs_ar = (uint32_t)vmread(VMCS_GUEST_AR(SEG_CS));
	if ((s->entry_ctls & ENTRY_IA32E_MODE_GUEST) && (cs_ar & VMX_AR_L))
		return 8;
	return (cs_ar & VMX_AR_DB) ? 4 : 2;
}

/* VMLAUNCH/VMRESUME did not even start (VMfailInvalid/VMfailValid). */
static __attribute__((noinline, cold)) void read_vmfail(struct vcpu *v, int status)
{
	struct vmx_exit_raw raw = { .enter_status = status, .rip = v->rip };

	if (status == VMX_ENTER_FAIL_VALID)
		raw.vm_insn_error = (uint32_t)vmread(VMCS_VM_INSN_ERROR);
	vmx_decode_exit(&raw, &v->exit);
}

/* The hot path: eight VMREADs for a CPUID exit, more only where the exit
 * reason needs them. */
static inline void read_exit(struct vcpu *v, struct vmx_vcpu *s, uint32_t reason)
{
	struct vmx_exit_raw raw = { .enter_status = VMX_ENTER_EXITED };
	uint32_t basic, idt;

	raw.reason = reason;
	v->rip = s->vmcs_rip = vmread(VMCS_GUEST_RIP);
	v->gpr[GPR_RSP] = s->vmcs_rsp = vmread(VMCS_GUEST_RSP);
	v->rflags = s->vmcs_rflags = vmread(VMCS_GUEST_RFLAGS);
	read_intr_state(s);
	raw.qual = vmread(VMCS_EXIT_QUALIFICATION);
	raw.insn_len = (uint32_t)vmread(VMCS_EXIT_INSN_LEN);
	raw.rip = v->rip;
	raw.rcx = (uint32_t)v->gpr[GPR_RCX];
	basic = EXIT_REASON_BASIC(raw.reason);

	switch (basic) {
	case VMX_EXIT_EXCEPTION_NMI:
		raw.intr_info = (uint32_t)vmread(VMCS_EXIT_INTR_INFO);
		if (raw.intr_info & INTR_INFO_ERROR_VALID)
			raw.intr_error = (uint32_t)vmread(VMCS_EXIT_INTR_ERROR);
		if ((raw.intr_info & INTR_INFO_NMI_UNBLOCKING) &&
		    INTR_INFO_VECTOR(raw.intr_info) != EXC_DF)
			reblock_nmi(s);
		if (INTR_INFO_TYPE(raw.intr_info) == INTR_TYPE_NMI)
			host_nmi_again();
		break;
	case VMX_EXIT_IO:
		if (raw.qual & IOQ_STRING) {
			raw.insn_info = (uint32_t)vmread(VMCS_EXIT_INSN_INFO);
			raw.io_insn_info = vmx_hw.basic & VMX_BASIC_INOUT_INFO;
			raw.default_addr_size = guest_addr_size(s);
		}
		break;
	case VMX_EXIT_VMCALL:
		raw.ss_ar = (uint32_t)vmread(VMCS_GUEST_AR(SEG_SS));
		raw.cs_ar = (uint32_t)vmread(VMCS_GUEST_AR(SEG_CS));
		raw.ia32e_guest = s->entry_ctls & ENTRY_IA32E_MODE_GUEST;
		break;
	case VMX_EXIT_EPT_VIOLATION:
	case VMX_EXIT_EPT_MISCONFIG:
		raw.gpa = vmread(VMCS_GUEST_PHYSICAL_ADDRESS);
		raw.gla = vmread(VMCS_GUEST_LINEAR_ADDRESS);
		if (basic == VMX_EXIT_EPT_VIOLATION && (raw.qual & EPTQ_NMI_UNBLOCKING))
			reblock_nmi(s);
		break;
	default:
		break;
	}

	if (likely(!(raw.reason & EXIT_REASON_ENTRY_FAILURE))) {
		idt = (uint32_t)vmread(VMCS_IDT_VECTORING_INFO);
		raw.idt_info = idt;
		/* A task switch or triple fault consumed the event. */
		if (unlikely(idt & INTR_INFO_VALID) && basic != VMX_EXIT_TASK_SWITCH &&
		    basic != VMX_EXIT_TRIPLE_FAULT)
			requeue_vectoring_event(v, s, idt, raw.insn_len);
	}
	vmx_decode_exit_inline(&raw, &v->exit);
}

/* A failed entry on guest state: name the check ourselves (the CPU only
 * says "invalid guest state"; Bochs also logs the check in its log). */
static void explain_entry_failure(struct vmx_vcpu *s, struct vm_exit *e)
{
	struct vmx_guest_state g;
	uint64_t value;
	const char *what;

	vmx_read_guest_state(&g);
	what = vmx_check_guest_state(&g, vmx_fixed(), &value);
	if (what) {
		e->entry_fail.what = what;
		e->entry_fail.value = value;
	}
}

/* ---- intercepted #DB ---------------------------------------------------------------------- */

/* A #DB that exits has not been delivered, and unlike on SVM the CPU has
 * not updated the guest's DR6 or cleared DR7.GD either (SDM Vol. 3C
 * §27.1): do what delivery would have done before core reflects it. The
 * guest's DR6 is in the CPU's DR6 while it runs (switch_guest_ctx). INT1
 * (ICEBP) exits as a privileged software exception before it executes,
 * with its length: it is reflected as the trap it is, after the
 * instruction, and it sets no DR6 bit. */
static __attribute__((noinline)) void vmx_debug_exit(struct vcpu *v)
{
	uint64_t dr6;

	if (v->exit.insn_len) {
		v->rip += v->exit.insn_len;
		return;
	}
	__asm__ volatile("mov %%db6, %0" : "=r"(dr6));
	dr6 = exc_dr6_after_db(dr6, v->exit.raw_info1);
	__asm__ volatile("mov %0, %%db6" : : "r"(dr6));
	vmwrite(VMCS_GUEST_DR7, exc_dr7_after_db(vmread(VMCS_GUEST_DR7)));
}

/* ---- run --------------------------------------------------------------------------------- */

static void fail_without_entry(struct vcpu *v, const char *what, uint64_t value)
{
	bh_memset(&v->exit, 0, sizeof(v->exit));
	v->exit.reason = EXIT_ENTRY_FAILED;
	v->exit.rip = v->rip;
	v->exit.entry_fail.what = what;
	v->exit.entry_fail.value = value;
}

/* What every exit needs before core sees it: the exit read and decoded,
 * a failed entry named (and the VMCS cleared, so a fixed state starts
 * again with VMLAUNCH), an intercepted #DB given its DR6/DR7 effects. */
static inline void finish_exit(struct vcpu *v, struct vmx_vcpu *s, uint32_t reason)
{
	read_exit(v, s, reason);
	if (unlikely(v->exit.reason == EXIT_ENTRY_FAILED)) {
		explain_entry_failure(s, &v->exit);
		vmcs_deactivate(s, vmx_this_cpu());
		return;
	}
	s->launched = true;
	if (unlikely(v->exit.reason == EXIT_EXCEPTION) && v->exit.exc.vector == EXC_DB)
		vmx_debug_exit(v);
	/* Control-register exits go to core like every other exit: core
	 * applies the one policy of both backends (core/cr_policy.h). */
}

/* The checks vmx_run makes before each entry that a handler can change:
 * a set_sregs that left a guest state the entry checks refuse
 * (bad_state), a VMCS of another vCPU made current on this CPU (and
 * cleared again) by a handler that touched that vCPU, or the registers
 * VMX does not switch (switch_guest_ctx) no longer this vCPU's. */
static inline bool can_resume_here(const struct vcpu *v, const struct vmx_vcpu *s)
{
	const struct vmx_cpu *c = vmx_this_cpu();
	return likely(!s->bad_state && c->current_vmcs == s->vmcs_pa && c->ctx_owner == v);
}

/* RSP is not read on the shortest path: the VMCS holds it, and
 * v->gpr[GPR_RSP] and s->vmcs_rsp keep the same older value, so
 * prepare_entry writes nothing. Read before the exit goes to the loop. */
static inline void read_rsp(struct vcpu *v, struct vmx_vcpu *s)
{
	v->gpr[GPR_RSP] = s->vmcs_rsp = vmread(VMCS_GUEST_RSP);
}

/* A CPUID the partition's table answers with one load (core/exit_fast.h,
 * vcpu_cpuid_quick), while RFLAGS.TF/RF are clear: four VMREADs (RFLAGS,
 * RIP, the length, the interruptibility state, whose STI/MOV-SS blocking
 * ends as RIP moves past the instruction), none of the exit qualification
 * (CPUID has none), the IDT-vectoring information (an exit caused by an
 * instruction is not one during an event's delivery, SDM Vol. 3C
 * §28.2.4) or RSP (read_rsp). The entry needs only the timer, RIP and the
 * shadow (RSP and RFLAGS are the VMCS's), and none of can_resume_here's
 * checks: no handler ran that could change what they test (set_sregs,
 * another vCPU's VMCS, the register context). -1: not for this path,
 * nothing changed; else what vmx_vmexit returns. */
static inline __attribute__((always_inline)) int vmx_cpuid_exit(struct vcpu *v, struct vmx_vcpu *s,
								uint32_t reason)
{
	uint64_t rflags = vmread(VMCS_GUEST_RFLAGS);
	if (!vcpu_quick_allowed(rflags))
		return -1;
	const struct cpuid_result *r = vcpu_cpuid_quick(v, v->gpr[GPR_RAX]);
	if (unlikely(!r))
		return -1;

	uint64_t rip = vmread(VMCS_GUEST_RIP);
	uint8_t len = (uint8_t)vmread(VMCS_EXIT_INSN_LEN);
	read_intr_state(s);
	s->launched = true;
	v->rflags = s->vmcs_rflags = rflags;
	vcpu_quick_record(v, EXIT_CPUID, reason);
	v->gpr[GPR_RAX] = r->eax; /* zero-extended (SDM Vol. 1 §3.4.1.1) */
	vcpu_cpuid_quick_regs(v, r);
	v->rip = rip + len;
	if (unlikely(!vcpu_fast_finish(v, EXIT_ACTION_RESUME))) {
		s->vmcs_rip = rip; /* vmx_run's prepare_entry writes the new one */
		read_rsp(v, s);
		v->exit.rip = rip;
		v->exit.insn_len = len;
		return 0;
	}
	if (likely(vmx_hw.preempt_timer))
		mirror_host_timer(s);
	write_rip(v, s);
	if (unlikely(s->work))
		do_entry_work(v, s);
	spec_before_vmx_entry();
	return 1;
}

/* Every exit the CPUID path does not finish: read and decoded in full,
 * offered to core's fast path (vcpu_exit_fast). */
static __attribute__((noinline, no_stack_protector)) bool vmx_exit_full(struct vcpu *v,
									struct vmx_vcpu *s,
									uint32_t reason)
{
	finish_exit(v, s, reason);
	if (!vcpu_exit_fast(v))
		return false;
	if (unlikely(!can_resume_here(v, s))) {
		vcpu_exit_fast_unwind(v);
		return false;
	}
	prepare_entry(v, s);
	spec_before_vmx_entry();
	return true;
}

/* The C half of the world switch: vmx_exit_landing (vmx_entry.S) calls it
 * after each VM exit with the guest GPRs stored and interrupts disabled.
 * It finishes the exit and offers it to core's fast path; true means
 * handled, and the VMCS is ready for VMRESUME, as vmx_run would leave it
 * (prepare_entry: the preemption timer, RIP/RSP/RFLAGS, queued events and
 * controls; the L1D flush where it is on). A fast-path exit never skips
 * what the slow path does between exits: core returns false when an
 * interrupt is to be delivered, the scheduler wants the CPU (a kick) or
 * the turn's exit budget is spent. A CPUID the table answers takes the
 * shortest path (vmx_cpuid_exit). */
__attribute__((no_stack_protector)) bool vmx_vmexit(struct vcpu *v)
{
	struct vmx_vcpu *s = v->arch;
	uint32_t reason = (uint32_t)vmread(VMCS_EXIT_REASON);

	if (likely(reason == VMX_EXIT_CPUID) && likely(vcpu_fast_open(v))) {
		int again = vmx_cpuid_exit(v, s, reason);
		if (again >= 0)
			return again;
	}
	return vmx_exit_full(v, s, reason);
}

/* The exit path: no stack buffers here, only the exit record read into a
 * local struct, so no stack-protector canary either (each would cost every
 * exit; the functions it calls that do have buffers keep theirs). */
static __attribute__((no_stack_protector)) void vmx_run(struct vcpu *v)
{
	struct vmx_vcpu *s = v->arch;
	struct vmx_cpu *c = vmx_this_cpu();
	int status;

	if (unlikely(!c)) {
		fail_without_entry(v, "VMX is not enabled on this CPU (cpu_enable not called)",
				   this_cpu()->id);
		return;
	}
	if (unlikely(c->current_vmcs != s->vmcs_pa) && !vmcs_activate(s, c)) {
		fail_without_entry(v, "vCPU's VMCS is active on another CPU (vmx_vcpu_put missing)",
				   s->active_on ? s->active_on->id : 0);
		return;
	}
	if (unlikely(s->bad_state)) {
		fail_without_entry(v, s->bad_state, s->bad_value);
		return;
	}
	if (unlikely(c->ctx_owner != v)) {
		switch_guest_ctx(c, v);
		if (vmx_hw.vpid)
			vpid_refresh(c, s);
	}
	prepare_entry(v, s);
	spec_before_vmx_entry();
	/* Returns after the exit that ends the fast path's run (vmx_vmexit
	 * has finished it), or after an entry that failed. */
	status = vmx_enter(v, s->launched);
	if (unlikely(status != VMX_ENTER_EXITED))
		read_vmfail(v, status);
}

/* ---- VMX-only API (vmx.h) ------------------------------------------------------------------ */

void vmx_set_exception_bitmap(struct vcpu *v, uint32_t vectors)
{
	struct vmx_vcpu *s = v->arch;
	s->exc_bitmap = vectors | EXC_INTERCEPTED;
	s->work |= VMX_WORK_EXC_BITMAP;
}

uint8_t vmx_guest_tpr(const struct vcpu *v)
{
	return ((const struct vmx_vcpu *)v->arch)->tpr;
}

const struct vcpu_backend vmx_backend = {
	.name = "vmx",
	.probe = vmx_probe,
	.cpu_enable = vmx_cpu_enable,
	.vcpu_create = vmx_vcpu_create,
	.vcpu_destroy = vmx_vcpu_destroy,
	.set_sregs = vmx_set_sregs,
	.get_sregs = vmx_get_sregs,
	.run = vmx_run,
	.inject = vmx_inject,
	.event_pending = vmx_event_pending,
	.interruptible = vmx_interruptible,
	.request_intr_window = vmx_request_intr_window,
	.nmi_allowed = vmx_nmi_allowed,
	.request_nmi_window = vmx_request_nmi_window,
	.clear_events = vmx_clear_events,
	.describe_events = vmx_describe_events,
	.s2_init = ept_s2_init,
	.s2_map = ept_s2_map,
	.s2_flush = ept_s2_flush,
	.s2_destroy = ept_s2_destroy,
};
