/* SPDX-License-Identifier: BSD-2-Clause */
/* The SVM exit decoder's out-of-line part (the exits svm_decode_common in
 * svm_decode.h leaves), and an out-of-line copy of the whole decoder for
 * the host unit tests and fuzzers. */
#include "arch/x86/svm/svm_decode.h"

void svm_decode_exit_other(const struct svm_exit_raw *raw, struct vm_exit *e)
{
	uint64_t code = raw->exit_code;

	e->insn_len = 0; /* unknown unless set below */
	if (code >= SVM_EXIT_EXCP_BASE && code < SVM_EXIT_EXCP_BASE + 32) {
		e->reason = EXIT_EXCEPTION;
		e->exc.vector = (uint8_t)(code - SVM_EXIT_EXCP_BASE);
		/* APM §15.12: EXITINFO1 holds the error code for exceptions
		 * that push one; EXITINFO2 the faulting address for #PF. */
		e->exc.error = (uint32_t)raw->info1;
		e->exc.has_error = e->exc.vector == 8 ||
				   (e->exc.vector >= 10 && e->exc.vector <= 14) ||
				   e->exc.vector == 17 || e->exc.vector == 21 ||
				   e->exc.vector == 29 || e->exc.vector == 30;
		e->exc.cr2 = raw->info2;
		return;
	}
	if (code <= SVM_EXIT_CR_LAST) {
		e->reason = EXIT_CR_ACCESS;
		e->cr.cr = code & SVM_EXIT_CR_NUM_MASK;
		e->cr.write = code >= SVM_EXIT_CR0_WRITE;
		e->cr.op = e->cr.write ? CR_OP_MOV_TO : CR_OP_MOV_FROM;
		/* The GPR is in EXITINFO1 only with decode assists (APM
		 * Vol. 2 §15.8.1), which QEMU's TCG lacks: core decodes the
		 * instruction (the CR exits are CR0 and CR4 writes, svm.c;
		 * a CR0 write exit may be LMSW or CLTS). */
		e->cr.decoded = false;
		e->cr.gpr = (uint8_t)(raw->info1 & SVM_EXITINFO1_CR_GPR);
		return;
	}
	if (code >= SVM_EXIT_DR0_READ && code <= SVM_EXIT_DR_LAST) {
		e->reason = EXIT_DR_ACCESS; /* the backend handles it (svm.c) */
		e->dr.num = code & 0xf;
		e->dr.write = code >= SVM_EXIT_DR0_WRITE;
		return;
	}
	if (svm_is_virt_insn(code)) {
		e->reason = EXIT_VIRT_INSN;
		e->insn_len = svm_insn_length(raw, LEN_SVM_INSN);
		return;
	}
	switch (code) {
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
	case SVM_EXIT_SHUTDOWN:
		e->reason = EXIT_TRIPLE_FAULT;
		break;
	case SVM_EXIT_VINTR:
	case SVM_EXIT_IRET: /* asked for as a window too (svm_request_intr_window) */
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
	case SVM_EXIT_IDTR_WRITE:
	case SVM_EXIT_GDTR_WRITE:
		e->reason = EXIT_DTABLE_WRITE; /* core decodes LGDT/LIDT itself */
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
		e->entry_fail.what =
				"VMRUN refused the VMCB (VMEXIT_INVALID: a guest-state consistency "
				"check of APM Vol. 2 §15.5.1 failed)";
		e->entry_fail.value = 0;
		break;
	default:
		e->reason = EXIT_UNKNOWN;
		break;
	}
}

void svm_decode_exit(const struct svm_exit_raw *raw, struct vm_exit *e)
{
	svm_decode_exit_inline(raw, e);
}
