/* SPDX-License-Identifier: BSD-2-Clause */
/* State shared by the VMX backend's files (vmx_caps.c, vmx.c, ept.c).
 * Hypervisor only. */
#ifndef BULKHEAD_ARCH_X86_VMX_VMX_INTERNAL_H
#define BULKHEAD_ARCH_X86_VMX_VMX_INTERNAL_H

#include "arch/x86/vmx/vmx_state.h"
#include "core/percpu.h"
#include "core/tlb_tag.h"

#define VPID_MAX 0xffff /* VPIDs are 16 bits (SDM Vol. 3C §25.6.12); 0 is the host's */
#include "core/vcpu.h"

/* What the CPU offers and the control values derived from it. Filled once
 * by vmx_probe on the boot CPU before any other CPU starts; read-only
 * afterwards. */
struct vmx_hw {
	struct virt_caps caps;
	uint32_t revision;
	uint64_t basic, misc, ept_vpid_cap;
	struct vmx_fixed_bits fixed;
	/* Control values every vCPU starts with. */
	uint32_t pin, proc, proc2, exit, entry;
	uint64_t pin_cap, proc_cap, exit_cap, entry_cap, proc2_cap;
	bool vpid;          /* "enable VPID" and INVVPID single or all-context */
	bool preempt_timer; /* pin bit 6 and "save VMX-preemption timer value" */
	unsigned int preempt_rate;
	bool switch_tsc_aux; /* the CPU has IA32_TSC_AUX (RDTSCP/RDPID) */
	/* Virtual NMIs and NMI-window exiting: NMIs can be given to guests. */
	bool guest_nmis;
	uint64_t cr0_mask, cr4_mask; /* guest/host masks (vmx_state.h) */
	/* Shared by every vCPU; the CPU only reads them. */
	paddr_t io_bitmap_a, io_bitmap_b, msr_bitmap;
};

extern struct vmx_hw vmx_hw;

void vmx_probe(struct virt_caps *caps);

/* Per host CPU (percpu->backend_data). */
struct vmx_cpu {
	unsigned int id;
	paddr_t vmxon_pa;
	paddr_t current_vmcs;      /* the VMCS VMPTRLD'd here, 0 if none */
	struct vcpu *ctx_owner;    /* whose CR2/DR0-3/DR6/syscall MSRs the CPU holds */
	struct tlb_tag_cpu vpids;  /* VPIDs by generation (vpid_refresh) */
	uint64_t nmi_block_fixups; /* read_intr_state corrections on this CPU */
};

/* Guest registers VM entry and exit do not switch (SDM Vol. 3C §27.3.2,
 * §28.5): swapped lazily when a different vCPU runs on a CPU. */
struct vmx_guest_ctx {
	uint64_t cr2;
	uint64_t dr[4], dr6;
	uint64_t kernel_gs_base, star, lstar, cstar, sfmask, tsc_aux;
};

/* Work to do before the next VM entry (vmx_vcpu.work). */
#define VMX_WORK_EVENT BIT(0)      /* an event waits in vmx_vcpu.event */
#define VMX_WORK_CONTROLS BIT(1)   /* recompute pin/proc/exit controls */
#define VMX_WORK_FLUSH_EPT BIT(2)  /* INVEPT single-context */
#define VMX_WORK_FLUSH_VPID BIT(3) /* INVVPID single-context */
#define VMX_WORK_EXC_BITMAP BIT(4)

struct vmx_event {
	bool valid;
	uint32_t info; /* VM-entry interruption-information format */
	uint32_t error;
	uint8_t insn_len; /* software interrupts/exceptions */
};

/* Per vCPU (vcpu->arch). */
struct vmx_vcpu {
	paddr_t vmcs_pa;
	struct vmx_cpu *active_on; /* CPU where the VMCS is active, NULL if clear */
	bool launched;
	uint16_t vpid;      /* the VPID in the VMCS (0 before the first run) */
	struct tlb_tag tag; /* where vpid came from (core/tlb_tag.h) */
	uint32_t pin, proc, exit_ctls, entry_ctls; /* as in the VMCS */
	uint64_t vmcs_rip, vmcs_rsp, vmcs_rflags;  /* as in the VMCS */
	uint32_t intr_state;                       /* guest interruptibility at the last exit */
	bool nmi_injected;                         /* an NMI goes in at this entry (write_event) */
	uint32_t work;                             /* VMX_WORK_* */
	struct vmx_event event;
	bool want_window;       /* core asked for an interrupt window */
	bool event_window;      /* a deferred event needs one */
	bool want_nmi_window;   /* core holds an NMI until virtual-NMI blocking ends */
	uint32_t preempt_value; /* 0: timer off */
	uint32_t exc_bitmap;
	uint8_t tpr; /* CR8 */
	struct vmx_guest_ctx ctx;
	/* A guest state set_sregs loaded that VM entry would refuse. */
	const char *bad_state;
	uint64_t bad_value;
};

/* Invalidate EPT-derived translations for eptp on this CPU. */
void vmx_invept(uint64_t eptp);

#define RFLAGS_RESERVED (0xffffffffffc00000ULL | BIT(15) | BIT(5) | BIT(3))

/* Shared by vmx.c and vmx_guest.c. */
struct vmx_cpu *vmx_this_cpu(void);
/* v's VMCS made current on this CPU for VMREAD/VMWRITE, and put back. */
struct vmx_vcpu *vmx_vmcs_get(struct vcpu *v);
void vmx_vmcs_put(struct vcpu *v, struct vmx_vcpu *s);
void vmx_inject(struct vcpu *v, const struct vcpu_event *ev);
/* vmx_guest.c: the guest-state area and the CR0/CR4 shadows. */
const struct vmx_fixed_bits *vmx_fixed(void);
uint64_t vmx_guest_cr0(void);
void vmx_read_guest_state(struct vmx_guest_state *g);
void vmx_set_sregs(struct vcpu *v, const struct vcpu_sregs *r);
void vmx_get_sregs(struct vcpu *v, struct vcpu_sregs *r);

#endif
