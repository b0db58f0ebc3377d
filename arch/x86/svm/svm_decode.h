/* Decoding an SVM #VMEXIT into the arch-neutral record. Pure code. */
#ifndef BULKHEAD_ARCH_X86_SVM_SVM_DECODE_H
#define BULKHEAD_ARCH_X86_SVM_SVM_DECODE_H

#include "core/exit.h"

struct svm_exit_raw {
	uint64_t exit_code, info1, info2, exit_int_info;
	uint64_t rip;      /* guest RIP at the exit (the exiting instruction) */
	uint64_t next_rip; /* from the VMCB if NRIP save is supported, else 0 */
	uint32_t rcx;      /* for MSR exits: the MSR index */
};

void svm_decode_exit(const struct svm_exit_raw *raw, struct vm_exit *e);

#endif
