/* SPDX-License-Identifier: BSD-2-Clause */
/* The arch-neutral VM-exit record.
 *
 * Each backend (arch/x86/svm, arch/x86/vmx) decodes its hardware exit
 * information exactly once into a struct vm_exit; everything in core/ works
 * on this record only. The raw code is kept for traces. */
#ifndef BULKHEAD_CORE_EXIT_H
#define BULKHEAD_CORE_EXIT_H

#include "core/cr_policy.h"
#include "core/types.h"

enum exit_reason {
	EXIT_NONE = 0,
	EXIT_CPUID,
	EXIT_MSR_READ,
	EXIT_MSR_WRITE,
	EXIT_IO,             /* IN/OUT/INS/OUTS */
	EXIT_MMIO,           /* nested-page fault / EPT violation on an MMIO hole */
	EXIT_PAGE_FAULT_GPA, /* NPF/EPT violation outside RAM and MMIO: bad access */
	EXIT_HLT,
	EXIT_HYPERCALL,    /* VMCALL / VMMCALL */
	EXIT_EXCEPTION,    /* an intercepted guest exception */
	EXIT_TRIPLE_FAULT, /* SVM shutdown, VMX triple fault */
	EXIT_INTR_WINDOW,  /* guest can take an interrupt now */
	EXIT_EXTINT,       /* a host interrupt arrived while the guest ran */
	EXIT_NMI,          /* a host NMI arrived while the guest ran */
	EXIT_PREEMPT,      /* time slice over (VMX preemption timer / host timer) */
	EXIT_VIRT_INSN,    /* guest executed VMX/SVM instructions: #UD them */
	EXIT_CR_ACCESS,
	EXIT_XSETBV,
	EXIT_INVD, /* INVD / WBINVD */
	EXIT_PAUSE,
	EXIT_INIT, /* INIT signal (VMX) */
	EXIT_SIPI, /* startup IPI (VMX) */
	EXIT_TASK_SWITCH,
	EXIT_RDTSC,
	EXIT_RDPMC,
	EXIT_MONITOR_MWAIT,
	EXIT_INVLPG,
	EXIT_ENTRY_FAILED, /* VM entry refused: see entry_fail */
	/* MOV to/from a debug register the backend intercepted and has
	 * already dealt with (SVM: the first access to DR0-DR3 turns on their
	 * switching, docs/cpu-state.md); core only resumes the guest, which
	 * executes the instruction again. */
	EXIT_DR_ACCESS,
	/* LGDT/LIDT (SVM descriptor-table write intercept): core emulates it
	 * to check the base (core/exits.c). */
	EXIT_DTABLE_WRITE,
	/* The guest's NMI blocking has ended (VMX NMI-window exit, SVM: the
	 * IRET that ends an NMI handler has completed): a held NMI can go. */
	EXIT_NMI_WINDOW,
	EXIT_UNKNOWN, /* anything else: the partition is stopped with raw info */
	EXIT_REASON_COUNT
};

/* x86 general-purpose registers in encoding order (SDM Vol. 2A Table 2-2), so
 * an instruction decoder can index them by the ModRM reg/rm number. */
enum gpr {
	GPR_RAX,
	GPR_RCX,
	GPR_RDX,
	GPR_RBX,
	GPR_RSP,
	GPR_RBP,
	GPR_RSI,
	GPR_RDI,
	GPR_R8,
	GPR_R9,
	GPR_R10,
	GPR_R11,
	GPR_R12,
	GPR_R13,
	GPR_R14,
	GPR_R15,
	GPR_COUNT
};

struct vm_exit {
	enum exit_reason reason;
	uint32_t raw_reason; /* VMX basic exit reason / SVM EXITCODE, for traces */
	uint64_t raw_info1;  /* VMX qualification / SVM EXITINFO1 */
	uint64_t raw_info2;  /* VMX guest-linear address / SVM EXITINFO2 */
	uint64_t rip;        /* guest RIP of the exiting instruction */
	uint8_t insn_len;    /* length of that instruction, 0 if not known */
	union {
		struct {
			uint16_t port;
			uint8_t size; /* 1, 2 or 4 */
			bool in;      /* IN/INS */
			bool string;  /* INS/OUTS */
			bool rep;
			uint8_t addr_size; /* 2, 4 or 8: for string I/O (RSI/RDI/RCX width) */
			uint8_t seg;       /* segment register of OUTS's source (SEG_*) */
			/* The value on the bus (the handlers' own: the
			 * device's answer to an IN, the operand of an OUT). */
			uint64_t data;
		} io;
		struct {
			uint64_t gpa;
			uint64_t gla; /* guest-linear address if the hardware gave it, else ~0 */
			bool write;
			bool fetch;
		} mem; /* EXIT_MMIO and EXIT_PAGE_FAULT_GPA */
		struct {
			uint32_t index;
		} msr;
		struct {
			uint8_t vector;
			bool has_error;
			uint32_t error;
			uint64_t cr2; /* for #PF */
		} exc;
		struct {
			uint8_t cr; /* 0, 3, 4, 8 (CLTS and LMSW: 0) */
			bool write; /* everything but MOV from CR */
			uint8_t op; /* enum cr_op (core/cr_policy.h) */
			/* The backend read the operands from the exit: gpr
			 * (MOV) and lmsw_src (LMSW) are valid (VMX's exit
			 * qualification, SDM Vol. 3C Table 28-3). Else, as on
			 * SVM without decode assists (APM Vol. 2 §15.8.1),
			 * core decodes the instruction at RIP with
			 * core/emul/insn.c. */
			bool decoded;
			uint8_t gpr; /* enum gpr of MOV to/from CR */
			uint16_t lmsw_src;
		} cr;
		struct {
			/* The caller's privilege level, 0-3, decoded by the
			 * backend: SVM's VMCB CPL field (AMD APM Vol. 2
			 * §15.5.1), VMX's SS access-rights DPL (SDM Vol. 3C
			 * §24.4.1). Only CPL 0 may make hypercalls. */
			uint8_t cpl;
			/* 64-bit mode (EFER.LMA and CS.L): else only the low
			 * 32 bits of RAX, RBX and RCX are the guest's, and the
			 * result is zero-extended from 32 bits, as KVM does. */
			bool long_mode;
		} hypercall;
		struct {
			uint8_t num; /* DR0-DR15 */
			bool write;
		} dr;
		struct {
			const char *what; /* the failing field or check, human readable */
			uint64_t value;
		} entry_fail;
	};
};

const char *exit_reason_name(enum exit_reason r);

#endif
