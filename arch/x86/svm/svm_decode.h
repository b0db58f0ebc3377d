/* SPDX-License-Identifier: BSD-2-Clause */
/* Decoding an SVM #VMEXIT into the arch-neutral record. Pure code. */
#ifndef BULKHEAD_ARCH_X86_SVM_SVM_DECODE_H
#define BULKHEAD_ARCH_X86_SVM_SVM_DECODE_H

#include "core/exit.h"

struct vmcb_save;

struct svm_exit_raw {
	uint64_t exit_code, info1, info2, exit_int_info;
	uint64_t rip;      /* guest RIP at the exit (the exiting instruction) */
	uint64_t next_rip; /* from the VMCB if NRIP save is supported, else 0 */
	uint32_t rcx;      /* for MSR exits: the MSR index */
	/* The VMCB's CPL field (APM Vol. 2 §15.5.1), read only for VMMCALL: a
	 * pointer, so the other exits do not pay for the load. */
	const uint8_t *cpl;
	/* The VMCB's state save area, whose CS attributes and EFER are read
	 * only for VMMCALL (64-bit mode is EFER.LMA with CS.L); NULL reads as
	 * outside 64-bit mode. */
	const struct vmcb_save *save;
};

void svm_decode_exit(const struct svm_exit_raw *raw, struct vm_exit *e);

/* The decoder: the common exits inline so the exit path pays no call
 * (svm.c), the rest in svm_decode.c; svm_decode_exit() above is the two
 * together, for tests. */
#include "arch/x86/svm/vmcb.h"

/* Instruction lengths when NRIP save is missing (QEMU TCG): encodings (AMD APM Vol. 3): CPUID 0F A2, RDMSR 0F 32, WRMSR 0F 30, HLT F4,
 * VMMCALL 0F 01 D9, VMRUN 0F 01 D8, XSETBV 0F 01 D1, INVD 0F 08, WBINVD 0F 09,
 * PAUSE F3 90, RDTSC 0F 31, RDPMC 0F 33. */
#define LEN_CPUID 2
#define LEN_MSR 2
#define LEN_HLT 1
#define LEN_VMMCALL 3
#define LEN_SVM_INSN 3
#define LEN_XSETBV 3
#define LEN_INVD 2
#define LEN_PAUSE 2
#define LEN_RDTSC 2
#define CPL_MASK 3

static inline uint8_t svm_insn_length(const struct svm_exit_raw *raw, uint8_t known)
{
	if (raw->next_rip > raw->rip && raw->next_rip - raw->rip <= 15)
		return (uint8_t)(raw->next_rip - raw->rip);
	return known;
}

static inline void svm_decode_io(const struct svm_exit_raw *raw, struct vm_exit *e)
{
	uint64_t i = raw->info1;
	e->reason = EXIT_IO;
	e->io.port = (uint16_t)(i >> IOIO_PORT_SHIFT);
	e->io.in = i & IOIO_TYPE_IN;
	e->io.string = i & IOIO_STR;
	e->io.rep = i & IOIO_REP;
	e->io.size = (i & IOIO_SZ32) ? 4 : (i & IOIO_SZ16) ? 2 : 1;
	e->io.addr_size = (i & IOIO_A64) ? 8 : (i & IOIO_A32) ? 4 : 2;
	e->io.seg = (uint8_t)((i >> IOIO_SEG_SHIFT) & 7);
	/* EXITINFO2 holds the RIP of the next instruction (APM §15.10.2). */
	if (raw->info2 > raw->rip && raw->info2 - raw->rip <= 15)
		e->insn_len = (uint8_t)(raw->info2 - raw->rip);
}

static inline bool svm_is_virt_insn(uint64_t code)
{
	switch (code) {
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
		return true;
	default:
		return false;
	}
}

/* The exits a guest makes most often, decoded inline (the run loop's fast
 * path); false for any other, which svm_decode_exit_other() then decodes. */
static inline __attribute__((always_inline)) bool svm_decode_common(const struct svm_exit_raw *raw,
								    struct vm_exit *e)
{
	uint64_t code = raw->exit_code;

	e->raw_reason = (uint32_t)code;
	e->raw_info1 = raw->info1;
	e->raw_info2 = raw->info2;
	e->rip = raw->rip;

	if (code == SVM_EXIT_CPUID) {
		e->reason = EXIT_CPUID;
		e->insn_len = svm_insn_length(raw, LEN_CPUID);
		return true;
	}
	switch (code) {
	case SVM_EXIT_IOIO:
		e->insn_len = 0; /* unless EXITINFO2 has a plausible next RIP */
		svm_decode_io(raw, e);
		return true;
	case SVM_EXIT_MSR:
		e->reason = raw->info1 ? EXIT_MSR_WRITE : EXIT_MSR_READ;
		e->msr.index = raw->rcx;
		e->insn_len = svm_insn_length(raw, LEN_MSR);
		return true;
	case SVM_EXIT_VMMCALL:
		e->reason = EXIT_HYPERCALL;
		e->insn_len = svm_insn_length(raw, LEN_VMMCALL);
		e->hypercall.cpl = *raw->cpl & CPL_MASK;
		e->hypercall.long_mode = raw->save && (raw->save->efer & VMCB_EFER_LMA) &&
					 (raw->save->cs.attr & VMCB_SEG_ATTR_L);
		return true;
	default:
		return false;
	}
}

/* Every other exit, after svm_decode_common (svm_decode.c). */
void svm_decode_exit_other(const struct svm_exit_raw *raw, struct vm_exit *e);

static inline __attribute__((always_inline)) void svm_decode_exit_inline(const struct svm_exit_raw *raw,
									 struct vm_exit *e)
{
	if (!svm_decode_common(raw, e))
		svm_decode_exit_other(raw, e);
}

#endif
