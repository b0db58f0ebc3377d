/* SPDX-License-Identifier: BSD-2-Clause */
/* The Intel VMX backend (vmx_backend in core/vcpu.h) and the few VMX-only
 * calls core or the scheduler may make beyond the backend interface. */
#ifndef BULKHEAD_ARCH_X86_VMX_VMX_H
#define BULKHEAD_ARCH_X86_VMX_VMX_H

#include "core/vcpu.h"

/* Intercept these guest exceptions (bit n = vector n) as EXIT_EXCEPTION;
 * #MC is always intercepted. Takes effect at the next entry. */
void vmx_set_exception_bitmap(struct vcpu *v, uint32_t vectors);

/* Make the vCPU's VMCS inactive on the calling CPU (VMCLEAR) and write its
 * CR2/debug registers/syscall MSRs back to memory, so the vCPU can run on
 * another CPU next. A vCPU stays active on the CPU that last ran it; running
 * it elsewhere without this first fails with EXIT_ENTRY_FAILED. */
void vmx_vcpu_put(struct vcpu *v);

/* The guest's task priority as last written with MOV to CR8 (0-15); CR8
 * accesses exit and are emulated by the backend so the guest cannot change
 * the host APIC's TPR. */
uint8_t vmx_guest_tpr(const struct vcpu *v);

#endif
