/* SPDX-License-Identifier: BSD-2-Clause */
/* Decoding a VMX VM exit (or a failed VM entry) into the arch-neutral record
 * of core/exit.h. Pure code: the caller VMREADs the fields and passes them
 * in, so the decoder runs in host unit tests. */
#ifndef BULKHEAD_ARCH_X86_VMX_VMX_DECODE_H
#define BULKHEAD_ARCH_X86_VMX_VMX_DECODE_H

#include "arch/x86/vmx/vmcs.h"
#include "core/exit.h"
#include "core/vcpu.h"

struct vmx_exit_raw {
	/* How the VMLAUNCH/VMRESUME ended: VMX_ENTER_EXITED (a VM exit, maybe
	 * a failed entry with exit-reason bit 31), or VMfailInvalid /
	 * VMfailValid (then vm_insn_error holds the VM-instruction error). */
	int enter_status;
	uint32_t vm_insn_error;

	uint32_t reason;     /* the full exit-reason field */
	uint64_t qual;       /* exit qualification */
	uint32_t insn_len;   /* VM-exit instruction length */
	uint32_t insn_info;  /* VM-exit instruction information */
	uint64_t gla;        /* guest-linear address */
	uint64_t gpa;        /* guest-physical address */
	uint32_t intr_info;  /* VM-exit interruption information */
	uint32_t intr_error; /* VM-exit interruption error code */
	uint32_t idt_info;   /* IDT-vectoring information (kept for traces) */
	uint64_t rip;        /* guest RIP */
	uint32_t rcx;        /* guest ECX: the MSR index of RDMSR/WRMSR */
	/* IA32_VMX_BASIC[54]: INS/OUTS report address size and segment in
	 * insn_info. Without it the decoder falls back on default_addr_size
	 * (2, 4 or 8 from the guest's CS) and DS. */
	bool io_insn_info;
	uint8_t default_addr_size;
	/* Guest SS access rights, read for VMCALL only: their DPL is the CPL
	 * (SDM Vol. 3C §24.4.1). */
	uint32_t ss_ar;
	/* For VMCALL too: 64-bit mode is an IA-32e mode guest whose CS has
	 * L set (SDM Vol. 3C §24.4.1, §25.8.1). */
	uint32_t cs_ar;
	bool ia32e_guest;
};

/* Out of line, for tests and fuzzing; vmx.c uses vmx_decode_exit_inline. */
void vmx_decode_exit(const struct vmx_exit_raw *raw, struct vm_exit *e);

/* Human-readable names, for entry-failure reports and traces. */
const char *vmx_insn_error_name(uint32_t err);
const char *vmx_exit_basic_name(uint32_t basic);

/* The decoder itself (one switch from the basic exit reason, SDM Vol. 3D
 * Appendix C, using the qualification layouts of Vol. 3C §28.2.1), inline so
 * the exit path pays no call. */
#define VMX_MAX_INSN_LEN 15 /* SDM Vol. 2A §2.3.11 */

/* The VM-exit instruction-length field is defined for exits caused by
 * executing an instruction (SDM Vol. 3C §28.2.5); anything else gets 0. */
static inline void vmx_set_insn_len(struct vm_exit *e, const struct vmx_exit_raw *raw)
{
	if (raw->insn_len >= 1 && raw->insn_len <= VMX_MAX_INSN_LEN)
		e->insn_len = (uint8_t)raw->insn_len;
}

static inline void vmx_entry_failed(struct vm_exit *e, const char *what, uint64_t value)
{
	e->reason = EXIT_ENTRY_FAILED;
	e->entry_fail.what = what;
	e->entry_fail.value = value;
}

static inline void vmx_decode_vmfail(const struct vmx_exit_raw *raw, struct vm_exit *e)
{
	if (raw->enter_status == VMX_ENTER_FAIL_INVALID)
		vmx_entry_failed(e, "VMLAUNCH/VMRESUME failed with VMfailInvalid (no current VMCS)",
				 0);
	else
		vmx_entry_failed(e, vmx_insn_error_name(raw->vm_insn_error), raw->vm_insn_error);
}

/* Exit reason with bit 31 set: VM entry failed during or after loading guest
 * state (SDM Vol. 3C §27.8). The backend may replace `what` with the exact
 * check its own validation found. */
static inline void vmx_decode_entry_failure(const struct vmx_exit_raw *raw, struct vm_exit *e)
{
	switch (EXIT_REASON_BASIC(raw->reason)) {
	case VMX_EXIT_ENTRY_FAIL_GUEST:
		switch (raw->qual) {
		case ENTRYQ_PDPTE:
			vmx_entry_failed(e, "invalid guest state: PDPTE load failed", raw->qual);
			return;
		case ENTRYQ_NMI_BLOCKED:
			vmx_entry_failed(e,
					 "invalid guest state: NMI injected while NMIs are blocked",
					 raw->qual);
			return;
		case ENTRYQ_LINK_POINTER:
			vmx_entry_failed(e, "invalid guest state: VMCS link pointer", raw->qual);
			return;
		default:
			vmx_entry_failed(e, "invalid guest state (SDM Vol. 3C §27.3.1)", raw->qual);
			return;
		}
	case VMX_EXIT_ENTRY_FAIL_MSR:
		/* The qualification is the 1-based index of the failing entry. */
		vmx_entry_failed(e, "MSR loading failed at VM entry (index in qualification)",
				 raw->qual);
		return;
	case VMX_EXIT_ENTRY_FAIL_MC:
		vmx_entry_failed(e, "machine-check event during VM entry", raw->qual);
		return;
	default:
		vmx_entry_failed(e, "VM entry failed with an unexpected exit reason", raw->reason);
		return;
	}
}

static inline void vmx_decode_exception(const struct vmx_exit_raw *raw, struct vm_exit *e)
{
	uint32_t info = raw->intr_info;
	unsigned int type = INTR_INFO_TYPE(info);

	if (!(info & INTR_INFO_VALID)) {
		e->reason = EXIT_UNKNOWN;
		return;
	}
	if (type == INTR_TYPE_NMI) {
		e->reason = EXIT_NMI;
		return;
	}
	e->reason = EXIT_EXCEPTION;
	e->exc.vector = INTR_INFO_VECTOR(info);
	e->exc.has_error = info & INTR_INFO_ERROR_VALID;
	e->exc.error = e->exc.has_error ? raw->intr_error : 0;
	/* #PF: the qualification is the faulting linear address (Table 28-1);
	 * #DB: it holds DR6-style bits. */
	e->exc.cr2 = e->exc.vector == EXC_PF ? raw->qual : 0;
	/* INT3/INTO and INT1 exits carry the instruction length. */
	if (type == INTR_TYPE_SW_EXCEPTION || type == INTR_TYPE_PRIV_SW_EXCEPTION)
		vmx_set_insn_len(e, raw);
}

static inline uint8_t vmx_io_addr_size(const struct vmx_exit_raw *raw)
{
	static const uint8_t addr_sizes[] = { 2, 4, 8 };
	if (raw->io_insn_info) {
		unsigned int a = INSN_INFO_ADDR_SIZE(raw->insn_info);
		if (a < ARRAY_SIZE(addr_sizes))
			return addr_sizes[a];
	}
	if (raw->default_addr_size == 2 || raw->default_addr_size == 4 || raw->default_addr_size == 8)
		return raw->default_addr_size;
	return 0;
}

static inline void vmx_decode_io(const struct vmx_exit_raw *raw, struct vm_exit *e)
{
	uint64_t q = raw->qual;
	static const uint8_t sizes[8] = { 1, 2, 0, 4, 0, 0, 0, 0 };
	uint8_t size = sizes[IOQ_SIZE(q)];

	if (!size) { /* encodings 2 and 4-7 are not defined (Table 28-5) */
		e->reason = EXIT_UNKNOWN;
		return;
	}
	e->reason = EXIT_IO;
	e->io.port = IOQ_PORT(q);
	e->io.size = size;
	e->io.in = q & IOQ_IN;
	e->io.string = q & IOQ_STRING;
	e->io.rep = q & IOQ_REP;
	e->io.addr_size = 0;
	e->io.seg = SEG_DS;
	vmx_set_insn_len(e, raw);
	if (!e->io.string)
		return;
	e->io.addr_size = vmx_io_addr_size(raw);
	if (!e->io.addr_size) {
		e->reason = EXIT_UNKNOWN;
		return;
	}
	/* INS always writes ES:[RDI]; the field is undefined for INS. */
	if (e->io.in)
		e->io.seg = SEG_ES;
	else if (raw->io_insn_info && INSN_INFO_SEG(raw->insn_info) <= SEG_GS)
		e->io.seg = (uint8_t)INSN_INFO_SEG(raw->insn_info);
}

static inline void vmx_decode_cr(const struct vmx_exit_raw *raw, struct vm_exit *e)
{
	uint64_t q = raw->qual;
	unsigned int type = CRQ_TYPE(q);

	e->reason = EXIT_CR_ACCESS;
	e->cr.cr = (uint8_t)CRQ_CR(q);
	e->cr.gpr = (uint8_t)CRQ_GPR(q);
	e->cr.lmsw_src = CRQ_LMSW_DATA(q);
	e->cr.decoded = true; /* the qualification has it all (SDM Vol. 3C Table 28-3) */
	/* CLTS and LMSW write CR0; only MOV from CR reads. */
	e->cr.write = type != CRQ_TYPE_MOV_FROM_CR;
	switch (type) {
	case CRQ_TYPE_MOV_TO_CR:
		e->cr.op = CR_OP_MOV_TO;
		break;
	case CRQ_TYPE_MOV_FROM_CR:
		e->cr.op = CR_OP_MOV_FROM;
		break;
	case CRQ_TYPE_CLTS:
		e->cr.op = CR_OP_CLTS;
		e->cr.cr = 0;
		break;
	default:
		e->cr.op = CR_OP_LMSW;
		e->cr.cr = 0;
		break;
	}
	vmx_set_insn_len(e, raw);
}

static inline void vmx_decode_ept(const struct vmx_exit_raw *raw, struct vm_exit *e,
				  enum exit_reason reason)
{
	e->reason = reason;
	e->mem.gpa = raw->gpa;
	e->mem.gla = (raw->qual & EPTQ_GLA_VALID) ? raw->gla : ~0ULL;
	e->mem.write = raw->qual & EPTQ_WRITE;
	e->mem.fetch = raw->qual & EPTQ_FETCH;
	if (reason != EXIT_MMIO) /* a misconfiguration has no access bits */
		e->mem.write = e->mem.fetch = false;
}

static inline bool vmx_is_vmx_insn(uint32_t basic)
{
	switch (basic) {
	case VMX_EXIT_VMCLEAR:
	case VMX_EXIT_VMLAUNCH:
	case VMX_EXIT_VMPTRLD:
	case VMX_EXIT_VMPTRST:
	case VMX_EXIT_VMREAD:
	case VMX_EXIT_VMRESUME:
	case VMX_EXIT_VMWRITE:
	case VMX_EXIT_VMXOFF:
	case VMX_EXIT_VMXON:
	case VMX_EXIT_INVEPT:
	case VMX_EXIT_INVVPID:
	case VMX_EXIT_VMFUNC:
	case VMX_EXIT_GETSEC: /* SMX: hidden from guests like VMX */
	case VMX_EXIT_RSM:    /* outside SMM: #UD */
	case VMX_EXIT_ENCLS:
		return true;
	default:
		return false;
	}
}

/* Exits that need nothing but a reason and an instruction length. */
static inline enum exit_reason vmx_simple_insn_exit(uint32_t basic)
{
	switch (basic) {
	case VMX_EXIT_CPUID:
		return EXIT_CPUID;
	case VMX_EXIT_HLT:
		return EXIT_HLT;
	case VMX_EXIT_VMCALL:
		return EXIT_HYPERCALL;
	case VMX_EXIT_INVD:
	case VMX_EXIT_WBINVD:
		return EXIT_INVD;
	case VMX_EXIT_PAUSE:
		return EXIT_PAUSE;
	case VMX_EXIT_XSETBV:
		return EXIT_XSETBV;
	case VMX_EXIT_RDTSC:
	case VMX_EXIT_RDTSCP:
		return EXIT_RDTSC;
	case VMX_EXIT_RDPMC:
		return EXIT_RDPMC;
	case VMX_EXIT_MONITOR:
	case VMX_EXIT_MWAIT:
		return EXIT_MONITOR_MWAIT;
	default:
		return EXIT_NONE;
	}
}

static inline __attribute__((always_inline)) void vmx_decode_exit_inline(const struct vmx_exit_raw *raw,
									 struct vm_exit *e)
{
	uint32_t basic = EXIT_REASON_BASIC(raw->reason);
	enum exit_reason simple;

	e->reason = EXIT_UNKNOWN;
	e->raw_reason = raw->reason;
	e->raw_info1 = raw->qual;
	e->raw_info2 = raw->gla;
	e->rip = raw->rip;
	e->insn_len = 0;

	if (raw->enter_status != VMX_ENTER_EXITED) {
		e->raw_reason = 0;
		e->raw_info1 = raw->vm_insn_error;
		vmx_decode_vmfail(raw, e);
		return;
	}
	if (raw->reason & EXIT_REASON_ENTRY_FAILURE) {
		vmx_decode_entry_failure(raw, e);
		return;
	}
	simple = vmx_simple_insn_exit(basic);
	if (simple != EXIT_NONE) {
		e->reason = simple;
		vmx_set_insn_len(e, raw);
		if (simple == EXIT_HYPERCALL) {
			e->hypercall.cpl = (uint8_t)VMX_AR_DPL(raw->ss_ar);
			e->hypercall.long_mode = raw->ia32e_guest && (raw->cs_ar & VMX_AR_L);
		}
		return;
	}
	if (vmx_is_vmx_insn(basic)) {
		e->reason = EXIT_VIRT_INSN;
		vmx_set_insn_len(e, raw);
		return;
	}
	switch (basic) {
	case VMX_EXIT_EXCEPTION_NMI:
		vmx_decode_exception(raw, e);
		return;
	case VMX_EXIT_EXTINT:
		e->reason = EXIT_EXTINT;
		return;
	case VMX_EXIT_TRIPLE_FAULT:
		e->reason = EXIT_TRIPLE_FAULT;
		return;
	case VMX_EXIT_INIT:
		e->reason = EXIT_INIT;
		return;
	case VMX_EXIT_SIPI: /* the vector is in qualification bits 7:0 */
		e->reason = EXIT_SIPI;
		return;
	case VMX_EXIT_INTR_WINDOW:
		e->reason = EXIT_INTR_WINDOW;
		return;
	case VMX_EXIT_NMI_WINDOW: /* virtual-NMI blocking ended (§26.7.6) */
		e->reason = EXIT_NMI_WINDOW;
		return;
	case VMX_EXIT_TASK_SWITCH:
		e->reason = EXIT_TASK_SWITCH;
		vmx_set_insn_len(e, raw);
		return;
	case VMX_EXIT_INVLPG:
		e->reason = EXIT_INVLPG;
		e->mem.gla = raw->qual; /* the linear-address operand */
		vmx_set_insn_len(e, raw);
		return;
	case VMX_EXIT_CR_ACCESS:
		vmx_decode_cr(raw, e);
		return;
	case VMX_EXIT_IO:
		vmx_decode_io(raw, e);
		return;
	case VMX_EXIT_RDMSR:
	case VMX_EXIT_WRMSR:
		e->reason = basic == VMX_EXIT_RDMSR ? EXIT_MSR_READ : EXIT_MSR_WRITE;
		e->msr.index = raw->rcx;
		vmx_set_insn_len(e, raw);
		return;
	case VMX_EXIT_EPT_VIOLATION:
		/* core decides between MMIO and an access to nothing. */
		vmx_decode_ept(raw, e, EXIT_MMIO);
		return;
	case VMX_EXIT_EPT_MISCONFIG:
		/* Our own tables are wrong: stop with the raw GPA. */
		vmx_decode_ept(raw, e, EXIT_UNKNOWN);
		e->raw_info2 = raw->gpa;
		return;
	case VMX_EXIT_PREEMPT_TIMER:
		e->reason = EXIT_PREEMPT;
		return;
	default:
		e->reason = EXIT_UNKNOWN;
		return;
	}
}

#endif
