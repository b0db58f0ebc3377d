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

/* The decoder itself, inline so the exit path pays no call (svm.c); the
 * out-of-line svm_decode_exit() above is the same code for tests. */
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

static inline __attribute__((always_inline)) void svm_decode_exit_inline(const struct svm_exit_raw *raw, struct vm_exit *e)
{
	uint64_t code = raw->exit_code;

	e->raw_reason = (uint32_t)code;
	e->raw_info1 = raw->info1;
	e->raw_info2 = raw->info2;
	e->rip = raw->rip;
	e->insn_len = 0;

	/* The common exits first: they skip the range checks below. */
	if (code == SVM_EXIT_CPUID) {
		e->reason = EXIT_CPUID;
		e->insn_len = svm_insn_length(raw, LEN_CPUID);
		return;
	}
	if (code == SVM_EXIT_IOIO) {
		svm_decode_io(raw, e);
		return;
	}
	if (code >= SVM_EXIT_EXCP_BASE && code < SVM_EXIT_EXCP_BASE + 32) {
		e->reason = EXIT_EXCEPTION;
		e->exc.vector = (uint8_t)(code - SVM_EXIT_EXCP_BASE);
		/* APM §15.12: EXITINFO1 holds the error code for exceptions
		 * that push one; EXITINFO2 the faulting address for #PF. */
		e->exc.error = (uint32_t)raw->info1;
		e->exc.has_error = e->exc.vector == 8 || (e->exc.vector >= 10 && e->exc.vector <= 14) ||
				   e->exc.vector == 17 || e->exc.vector == 21 || e->exc.vector == 29 ||
				   e->exc.vector == 30;
		e->exc.cr2 = raw->info2;
		return;
	}
	if (code < 0x20) {
		e->reason = EXIT_CR_ACCESS;
		e->cr.cr = code & 0xf;
		e->cr.write = code >= SVM_EXIT_CR0_WRITE;
		e->cr.gpr = (uint8_t)(raw->info1 & 0xf); /* valid with decode assists only */
		return;
	}
	if (svm_is_virt_insn(code)) {
		e->reason = EXIT_VIRT_INSN;
		e->insn_len = svm_insn_length(raw, LEN_SVM_INSN);
		return;
	}
	switch (code) {
	case SVM_EXIT_CPUID:
		e->reason = EXIT_CPUID;
		e->insn_len = svm_insn_length(raw, LEN_CPUID);
		break;
	case SVM_EXIT_MSR:
		e->reason = raw->info1 ? EXIT_MSR_WRITE : EXIT_MSR_READ;
		e->msr.index = raw->rcx;
		e->insn_len = svm_insn_length(raw, LEN_MSR);
		break;
	case SVM_EXIT_IOIO:
		svm_decode_io(raw, e);
		break;
	case SVM_EXIT_NPF:
		e->reason = EXIT_MMIO; /* core reclassifies by GPA */
		e->mem.gpa = raw->info2;
		e->mem.gla = ~0ULL;
		e->mem.write = raw->info1 & NPF_WRITE;
		e->mem.fetch = raw->info1 & NPF_FETCH;
		break;
	case SVM_EXIT_HLT:
		e->reason = EXIT_HLT;
		e->insn_len = svm_insn_length(raw, LEN_HLT);
		break;
	case SVM_EXIT_VMMCALL:
		e->reason = EXIT_HYPERCALL;
		e->insn_len = svm_insn_length(raw, LEN_VMMCALL);
		break;
	case SVM_EXIT_SHUTDOWN:
		e->reason = EXIT_TRIPLE_FAULT;
		break;
	case SVM_EXIT_VINTR:
		e->reason = EXIT_INTR_WINDOW;
		break;
	case SVM_EXIT_INTR:
		e->reason = EXIT_EXTINT;
		break;
	case SVM_EXIT_NMI:
		e->reason = EXIT_NMI;
		break;
	case SVM_EXIT_INIT:
		e->reason = EXIT_INIT;
		break;
	case SVM_EXIT_XSETBV:
		e->reason = EXIT_XSETBV;
		e->insn_len = svm_insn_length(raw, LEN_XSETBV);
		break;
	case SVM_EXIT_INVD:
	case SVM_EXIT_WBINVD:
		e->reason = EXIT_INVD;
		e->insn_len = svm_insn_length(raw, LEN_INVD);
		break;
	case SVM_EXIT_PAUSE:
		e->reason = EXIT_PAUSE;
		e->insn_len = svm_insn_length(raw, LEN_PAUSE);
		break;
	case SVM_EXIT_RDTSC:
		e->reason = EXIT_RDTSC;
		e->insn_len = svm_insn_length(raw, LEN_RDTSC);
		break;
	case SVM_EXIT_RDPMC:
		e->reason = EXIT_RDPMC;
		e->insn_len = svm_insn_length(raw, LEN_RDTSC);
		break;
	case SVM_EXIT_MONITOR:
	case SVM_EXIT_MWAIT:
		e->reason = EXIT_MONITOR_MWAIT;
		e->insn_len = svm_insn_length(raw, 3);
		break;
	case SVM_EXIT_TASK_SWITCH:
		e->reason = EXIT_TASK_SWITCH;
		break;
	case SVM_EXIT_INVLPG:
		e->reason = EXIT_INVLPG;
		break;
	case SVM_EXIT_INVALID:
	case SVM_EXIT_INVALID & 0xffffffffULL: /* QEMU's TCG stores -1 as 32 bits */
		e->reason = EXIT_ENTRY_FAILED;
		e->entry_fail.what = "VMRUN refused the VMCB (VMEXIT_INVALID: a guest-state consistency "
				     "check of APM Vol. 2 §15.5.1 failed)";
		e->entry_fail.value = 0;
		break;
	default:
		e->reason = EXIT_UNKNOWN;
		break;
	}
}

#endif
