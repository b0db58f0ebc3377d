/* SPDX-License-Identifier: BSD-2-Clause */
/* Structure offsets the SVM world switch (svm_entry.S) uses. Plain numbers
 * so the assembler can read them; svm.c checks each against the C layout
 * at compile time, so a moved field fails the build instead of the guest. */
#ifndef BULKHEAD_ARCH_X86_SVM_SVM_OFFSETS_H
#define BULKHEAD_ARCH_X86_SVM_SVM_OFFSETS_H

/* struct vcpu (core/vcpu.h): gpr[] at 0, then rip, rflags; arch later. */
#define VCPU_RIP 0x80
#define VCPU_RFLAGS 0x88
#define VCPU_ARCH 0xa0

/* struct svm_vcpu (svm.c). */
#define SVM_VCPU_VMCB 0x00
#define SVM_VCPU_VMCB_PA 0x08

/* struct vmcb (vmcb.h; AMD APM Vol. 2 Table B-2): the save area at 0x400. */
#define VMCB_RFLAGS 0x570
#define VMCB_RIP 0x578
#define VMCB_RSP 0x5d8
#define VMCB_RAX 0x5f8

/* struct percpu (core/percpu.h), read through GS. */
#define PERCPU_HOST_STATE_PA 0x20

#endif
