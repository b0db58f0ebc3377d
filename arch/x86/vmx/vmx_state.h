/* SPDX-License-Identifier: BSD-2-Clause */
/* Pure helpers of the VMX backend that need no VMX instruction, so host unit
 * tests can run them (tests/unit/test_vmx_state.c):
 *  - segment attribute conversion between core's VMCB-style attr and the
 *    VMCS access-rights format (SDM Vol. 3C §25.4.1, Table 25-2);
 *  - control-field values from the allowed-0/allowed-1 capability MSRs
 *    (SDM Vol. 3D Appendix A.3-A.5);
 *  - CR0/CR4 values the CPU must hold under VMX (IA32_VMX_CR*_FIXED*,
 *    Appendix A.7/A.8) and the guest/host masks that hide them;
 *  - the guest-state checks of SDM Vol. 3C §27.3.1 that a loader or guest
 *    could break, so a failed VM entry names the failing check. */
#ifndef BULKHEAD_ARCH_X86_VMX_VMX_STATE_H
#define BULKHEAD_ARCH_X86_VMX_VMX_STATE_H

#include "core/types.h"
#include "core/vcpu.h"

uint32_t vmx_ar_from_attr(uint16_t attr);
uint16_t vmx_attr_from_ar(uint32_t ar, bool keep_dpl);

/* Compute a 32-bit control value from its capability MSR: bits in `want`
 * are set where allowed, bits the MSR forces to 1 are set, bits it forbids
 * are cleared. Returns false if a bit of `need` cannot be set. */
bool vmx_adjust_controls(uint64_t cap_msr, uint32_t want, uint32_t need, uint32_t *out);

struct vmx_fixed_bits {
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	bool unrestricted; /* CR0.PE and CR0.PG are then free (SDM §27.3.1.1) */
	uint8_t phys_bits; /* MAXPHYADDR */
};

/* The bits of CR0/CR4 the guest does not own: they stay in the read shadow
 * as the guest wrote them while the CPU runs with the fixed value. CR4.VMXE
 * is always among them (the guest must not see VMX). */
uint64_t vmx_cr0_host_mask(const struct vmx_fixed_bits *f);
uint64_t vmx_cr4_host_mask(const struct vmx_fixed_bits *f);
/* The value the CPU runs with for a guest-visible CR0/CR4. */
uint64_t vmx_cr0_real(const struct vmx_fixed_bits *f, uint64_t guest_cr0);
uint64_t vmx_cr4_real(const struct vmx_fixed_bits *f, uint64_t guest_cr4);
/* Bits a guest may never set in CR4 (reserved here, or VMXE): #GP. */
uint64_t vmx_cr4_guest_forbidden(const struct vmx_fixed_bits *f);

struct vmx_seg_state {
	uint16_t sel;
	uint32_t limit;
	uint32_t ar; /* VMCS format */
	uint64_t base;
};

/* The guest state VM entry checks, as read back from the VMCS. */
struct vmx_guest_state {
	uint64_t cr0, cr3, cr4, dr7, efer, pat, rflags, rip;
	uint64_t sysenter_esp, sysenter_eip;
	struct vmx_seg_state seg[SEG_COUNT];
	uint64_t gdtr_base, idtr_base;
	uint32_t gdtr_limit, idtr_limit;
	uint32_t interruptibility, activity;
	uint64_t pending_dbg, link_pointer;
	uint32_t entry_controls;
	uint32_t entry_intr_info; /* the event being injected, if valid */
};

/* NULL if every implemented check passes; else a static string naming the
 * failing check (e.g. "guest CR0: PG set without PE") and *value set to the
 * offending value. */
const char *vmx_check_guest_state(const struct vmx_guest_state *g, const struct vmx_fixed_bits *f,
				  uint64_t *value);

#endif
