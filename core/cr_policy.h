/* SPDX-License-Identifier: BSD-2-Clause */
/* The one control-register policy of both backends: is a guest's write to
 * CR0, CR3, CR4 or CR8 (MOV to CR, CLTS, LMSW) legal, and what do the
 * guest's registers hold afterwards?
 *
 * Each backend decodes a control-register exit once into the exit record
 * (core/exit.h, exit.cr); core/exits.c reads the guest's registers, asks
 * cr_apply, and either injects #GP(0) or writes the result back with the
 * backend's set_sregs. What goes to the hardware beyond the guest's value is
 * the backend's alone: VMX's IA32_VMX_CR0/CR4_FIXED0/1 bits, guest/host
 * masks and read shadows (arch/x86/vmx/vmx_state.c), SVM's EFER.SVME and CR
 * intercept bits (arch/x86/svm/svm.c).
 *
 * Rules: Intel SDM Vol. 2B "MOV-Move to/from Control Registers" (#GP(0)
 * conditions), Vol. 2A CLTS and LMSW, Vol. 3A §2.5 (control registers and
 * their reserved bits), §4.5 and §4.10.1 (CR3, PCIDs), §10.8.5 (entering
 * and leaving IA-32e mode); AMD APM Vol. 2 §3.1 (CR0, CR3, CR4, CR8, EFER),
 * §14.6.1 (activating long mode). Pure code: tests/unit/test_cr_policy.c. */
#ifndef BULKHEAD_CORE_CR_POLICY_H
#define BULKHEAD_CORE_CR_POLICY_H

#include "core/types.h"

/* The guest-visible registers the policy reads and writes. */
struct cr_regs {
	uint64_t cr0, cr3, cr4, cr8, efer;
};

/* What one vCPU may set: from its partition's CPUID and its backend. */
struct cr_limits {
	/* cpuid_table.cr4_allowed (the CR4 bits whose CPUID flag the guest
	 * was offered), less virt_caps.cr4_forbidden (the bits this CPU
	 * cannot hold for a guest, e.g. outside VMX's CR4_FIXED1). */
	uint64_t cr4_allowed;
	/* MAXPHYADDR: CR3 bits from here up are reserved (SDM Vol. 3A §4.5).
	 * 0 if unknown: then only bits 63:52 are. */
	uint8_t phys_bits;
};

/* The kind of access, as the exit record carries it. */
enum cr_op {
	CR_OP_MOV_TO = 0, /* MOV to CRn from a GPR */
	CR_OP_MOV_FROM,   /* MOV from CRn to a GPR */
	CR_OP_CLTS,       /* clears CR0.TS */
	CR_OP_LMSW,       /* loads CR0[3:0], never clears PE */
};

struct cr_access {
	uint8_t cr; /* 0, 3, 4, 8 */
	enum cr_op op;
	/* MOV to CR: the source GPR; LMSW: its 16-bit source operand. */
	uint64_t src;
	/* 64-bit mode (EFER.LMA and CS.L): MOV to CR takes the whole GPR,
	 * elsewhere its low 32 bits (SDM Vol. 2B MOV-Move to/from Control
	 * Registers); clearing CR0.PG is refused there. */
	bool long_mode;
};

/* The answer: CR_OK or the reason for #GP(0), or CR_UNHANDLED for an
 * access the policy does not emulate (the caller stops the partition). */
enum cr_verdict {
	CR_OK = 0,
	CR_GP_CR0_RESERVED,          /* CR0[63:32] set */
	CR_GP_CR0_PG_WITHOUT_PE,     /* PG=1 with PE=0 */
	CR_GP_CR0_NW_WITHOUT_CD,     /* NW=1 with CD=0 */
	CR_GP_CR0_LONG_WITHOUT_PAE,  /* PG=1 with EFER.LME=1 and CR4.PAE=0 */
	CR_GP_CR0_PG_OFF_IN_64BIT,   /* PG cleared in 64-bit mode */
	CR_GP_CR0_PG_OFF_WITH_PCIDE, /* PG cleared with CR4.PCIDE=1 */
	CR_GP_CR3_RESERVED,          /* a bit at or above MAXPHYADDR */
	CR_GP_CR4_RESERVED,          /* reserved, or a feature not offered */
	CR_GP_CR4_PAE_OFF_IN_LONG,   /* PAE cleared with EFER.LMA=1 */
	CR_GP_CR4_LA57_IN_LONG,      /* LA57 changed with EFER.LMA=1 */
	CR_GP_CR4_PCIDE,             /* PCIDE 0->1 outside long mode or with CR3[11:0] != 0 */
	CR_GP_CR8_RESERVED,          /* CR8[63:4] set */
	CR_UNHANDLED,
};

struct cr_result {
	enum cr_verdict verdict;
	/* CR_OK: the guest's registers after the access (EFER.LMA follows
	 * CR0.PG when EFER.LME is set). */
	struct cr_regs regs;
	/* CR_OK and CR_OP_MOV_FROM: the value for the destination GPR. */
	uint64_t read;
};

/* Apply the access a to the registers cur under the limits lim. */
struct cr_result cr_apply(const struct cr_limits *lim, const struct cr_regs *cur,
			  const struct cr_access *a);

/* A short reason for a verdict, for the log ("CR0.PG set with CR0.PE clear"). */
const char *cr_verdict_reason(enum cr_verdict v);

#endif
