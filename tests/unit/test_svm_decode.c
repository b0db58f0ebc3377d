/* SPDX-License-Identifier: BSD-2-Clause */
/* arch/x86/svm/svm_decode.c: SVM #VMEXIT (EXITCODE/EXITINFO1/EXITINFO2,
 * AMD APM Vol. 2 §15.6, Appendix C) -> struct vm_exit. */
#include <criterion/criterion.h>
#include <string.h>

#include "arch/x86/svm/svm_decode.h"
#include "arch/x86/svm/vmcb.h"
#include "core/vcpu.h"

#define GUEST_RIP 0x101000ULL

static const uint8_t cpl0; /* the VMCB CPL byte the decoder reads for VMMCALL */

/* Decodes into a record full of junk, so a field the decoder forgets to set
 * shows up. */
static struct vm_exit decode(uint64_t code, uint64_t info1, uint64_t info2, uint64_t next_rip,
			     uint32_t rcx)
{
	struct svm_exit_raw raw = {
		.exit_code = code,
		.info1 = info1,
		.info2 = info2,
		.rip = GUEST_RIP,
		.next_rip = next_rip,
		.rcx = rcx,
		.cpl = &cpl0,
	};
	struct vm_exit e;
	memset(&e, 0xa5, sizeof(e));
	svm_decode_exit(&raw, &e);
	return e;
}

static uint64_t ioio(uint16_t port, uint64_t bits, unsigned int seg)
{
	return ((uint64_t)port << IOIO_PORT_SHIFT) | ((uint64_t)seg << IOIO_SEG_SHIFT) | bits;
}

Test(svm_decode, raw_fields_are_kept)
{
	struct vm_exit e = decode(SVM_EXIT_NPF, 0x123456789ULL, 0xfeb00000ULL, 0, 0);
	cr_assert_eq(e.raw_reason, SVM_EXIT_NPF);
	cr_assert_eq(e.raw_info1, 0x123456789ULL);
	cr_assert_eq(e.raw_info2, 0xfeb00000ULL);
	cr_assert_eq(e.rip, GUEST_RIP);
}

Test(svm_decode, ioio_out_byte)
{
	/* out dx, al (EE): one byte, next RIP in EXITINFO2. */
	struct vm_exit e = decode(SVM_EXIT_IOIO, ioio(0x3f8, IOIO_SZ8 | IOIO_A64, SEG_DS),
				  GUEST_RIP + 1, 0, 0);
	cr_assert_eq(e.reason, EXIT_IO);
	cr_assert_eq(e.io.port, 0x3f8);
	cr_assert_eq(e.io.size, 1);
	cr_assert_not(e.io.in);
	cr_assert_not(e.io.string);
	cr_assert_not(e.io.rep);
	cr_assert_eq(e.insn_len, 1);
}

Test(svm_decode, ioio_in_sizes)
{
	struct vm_exit e = decode(SVM_EXIT_IOIO, ioio(0x60, IOIO_TYPE_IN | IOIO_SZ32 | IOIO_A32, 0),
				  GUEST_RIP + 2, 0, 0);
	cr_assert_eq(e.reason, EXIT_IO);
	cr_assert(e.io.in);
	cr_assert_eq(e.io.port, 0x60);
	cr_assert_eq(e.io.size, 4);
	cr_assert_eq(e.insn_len, 2);

	e = decode(SVM_EXIT_IOIO, ioio(0xcfc, IOIO_TYPE_IN | IOIO_SZ16 | IOIO_A32, 0),
		   GUEST_RIP + 3, 0, 0);
	cr_assert_eq(e.io.size, 2);
	cr_assert_eq(e.io.port, 0xcfc);
	cr_assert_eq(e.insn_len, 3,
		     "66 ED with a prefix is 2, 66 E5 ib is 3: whatever EXITINFO2 says");

	e = decode(SVM_EXIT_IOIO, ioio(0xffff, IOIO_SZ8 | IOIO_A16, 0), GUEST_RIP + 1, 0, 0);
	cr_assert_eq(e.io.port, 0xffff);
	cr_assert_eq(e.io.size, 1);
}

Test(svm_decode, ioio_string_rep_address_size_and_segment)
{
	/* rep outsw with an FS override in 16-bit code. */
	struct vm_exit e = decode(SVM_EXIT_IOIO,
				  ioio(0x1f0, IOIO_STR | IOIO_REP | IOIO_SZ16 | IOIO_A16, SEG_FS),
				  GUEST_RIP + 3, 0, 0);
	cr_assert_eq(e.reason, EXIT_IO);
	cr_assert(e.io.string);
	cr_assert(e.io.rep);
	cr_assert_not(e.io.in);
	cr_assert_eq(e.io.size, 2);
	cr_assert_eq(e.io.addr_size, 2);
	cr_assert_eq(e.io.seg, SEG_FS);
	cr_assert_eq(e.insn_len, 3);

	/* insd, 32-bit addressing (ES is architectural for INS). */
	e = decode(SVM_EXIT_IOIO, ioio(0x1f0, IOIO_TYPE_IN | IOIO_STR | IOIO_SZ32 | IOIO_A32, SEG_ES),
		   GUEST_RIP + 1, 0, 0);
	cr_assert(e.io.in);
	cr_assert(e.io.string);
	cr_assert_not(e.io.rep);
	cr_assert_eq(e.io.addr_size, 4);
	cr_assert_eq(e.io.seg, SEG_ES);

	/* rep outsb in 64-bit code with a GS override. */
	e = decode(SVM_EXIT_IOIO, ioio(0x80, IOIO_STR | IOIO_REP | IOIO_SZ8 | IOIO_A64, SEG_GS),
		   GUEST_RIP + 3, 0, 0);
	cr_assert_eq(e.io.addr_size, 8);
	cr_assert_eq(e.io.seg, SEG_GS);
	cr_assert_eq(e.io.size, 1);
}

Test(svm_decode, ioio_every_segment_encoding)
{
	for (unsigned int seg = 0; seg < 8; seg++) {
		struct vm_exit e = decode(SVM_EXIT_IOIO,
					  ioio(0x10, IOIO_STR | IOIO_SZ8 | IOIO_A32, seg),
					  GUEST_RIP + 1, 0, 0);
		cr_assert_eq(e.io.seg, seg);
		cr_assert_eq(e.io.port, 0x10, "segment bits leak into the port");
		cr_assert_eq(e.io.addr_size, 4, "segment bits leak into the address size");
	}
}

Test(svm_decode, ioio_ignores_bits_above_the_port)
{
	struct vm_exit e = decode(SVM_EXIT_IOIO,
				  0xffffffff00000000ULL | ioio(0x70, IOIO_SZ8 | IOIO_A64, 0),
				  GUEST_RIP + 2, 0, 0);
	cr_assert_eq(e.io.port, 0x70);
	cr_assert_eq(e.io.size, 1);
}

Test(svm_decode, ioio_insn_len_only_from_a_plausible_exitinfo2)
{
	uint64_t info1 = ioio(0x80, IOIO_SZ8 | IOIO_A64, 0);
	cr_assert_eq(decode(SVM_EXIT_IOIO, info1, GUEST_RIP + 15, 0, 0).insn_len, 15);
	cr_assert_eq(decode(SVM_EXIT_IOIO, info1, GUEST_RIP + 16, 0, 0).insn_len, 0,
		     "16 bytes is no instruction");
	cr_assert_eq(decode(SVM_EXIT_IOIO, info1, GUEST_RIP, 0, 0).insn_len, 0);
	cr_assert_eq(decode(SVM_EXIT_IOIO, info1, GUEST_RIP - 1, 0, 0).insn_len, 0);
	cr_assert_eq(decode(SVM_EXIT_IOIO, info1, 0, 0, 0).insn_len, 0);
	/* The next-RIP field does not override EXITINFO2 for IOIO. */
	cr_assert_eq(decode(SVM_EXIT_IOIO, info1, GUEST_RIP + 2, GUEST_RIP + 5, 0).insn_len, 2);
}

Test(svm_decode, msr_read_and_write)
{
	struct vm_exit e = decode(SVM_EXIT_MSR, 0, 0, 0, 0xc0000080u);
	cr_assert_eq(e.reason, EXIT_MSR_READ);
	cr_assert_eq(e.msr.index, 0xc0000080u);
	cr_assert_eq(e.insn_len, 2, "RDMSR 0F 32");

	e = decode(SVM_EXIT_MSR, 1, 0, 0, 0x1b);
	cr_assert_eq(e.reason, EXIT_MSR_WRITE);
	cr_assert_eq(e.msr.index, 0x1b);
	cr_assert_eq(e.insn_len, 2, "WRMSR 0F 30");

	e = decode(SVM_EXIT_MSR, 1, 0, GUEST_RIP + 3, 0xffffffffu);
	cr_assert_eq(e.msr.index, 0xffffffffu);
	cr_assert_eq(e.insn_len, 3, "NRIP save knows about prefixes");
}

Test(svm_decode, npf_write_fetch_and_gpa)
{
	struct vm_exit e = decode(SVM_EXIT_NPF, NPF_PRESENT | NPF_WRITE | NPF_USER, 0xfeb00004ULL,
				  0, 0);
	cr_assert_eq(e.reason, EXIT_MMIO);
	cr_assert_eq(e.mem.gpa, 0xfeb00004ULL);
	cr_assert(e.mem.write);
	cr_assert_not(e.mem.fetch);
	cr_assert_eq(e.mem.gla, ~0ULL, "SVM gives no linear address");
	cr_assert_eq(e.insn_len, 0, "NPF gives no length: the emulator decodes");

	e = decode(SVM_EXIT_NPF, NPF_USER | NPF_FETCH, 0x123456789000ULL, 0, 0);
	cr_assert(e.mem.fetch);
	cr_assert_not(e.mem.write);
	cr_assert_eq(e.mem.gpa, 0x123456789000ULL);

	/* A read; bits 32/33 (final translation / table walk, §15.25.6) and
	 * reserved-bit faults do not make it a write. */
	e = decode(SVM_EXIT_NPF, BIT(32) | BIT(33) | NPF_RESERVED | NPF_USER, 0x1000, 0, 0);
	cr_assert_not(e.mem.write);
	cr_assert_not(e.mem.fetch);
}

static bool pushes_error_code(unsigned int v)
{
	/* #DF #TS #NP #SS #GP #PF #AC #CP #VC #SX (APM Vol. 2 §8.2). */
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

Test(svm_decode, every_exception_vector)
{
	for (unsigned int v = 0; v < 32; v++) {
		struct vm_exit e = decode(SVM_EXIT_EXCP_BASE + v, 0x18, 0xdead000, 0, 0);
		cr_assert_eq(e.reason, EXIT_EXCEPTION, "vector %u", v);
		cr_assert_eq(e.exc.vector, v);
		cr_assert_eq(e.exc.has_error, pushes_error_code(v), "vector %u error-code flag", v);
		if (e.exc.has_error)
			cr_assert_eq(e.exc.error, 0x18);
	}
	cr_assert_neq(decode(SVM_EXIT_EXCP_BASE + 32, 0, 0, 0, 0).reason, EXIT_EXCEPTION);
	cr_assert_neq(decode(SVM_EXIT_EXCP_BASE - 1, 0, 0, 0, 0).reason, EXIT_EXCEPTION);
}

Test(svm_decode, page_fault_error_code_and_cr2)
{
	struct vm_exit e = decode(SVM_EXIT_EXCP_BASE + 14, 0x7, 0xffff800000001234ULL, 0, 0);
	cr_assert_eq(e.exc.vector, 14);
	cr_assert(e.exc.has_error);
	cr_assert_eq(e.exc.error, 0x7);
	cr_assert_eq(e.exc.cr2, 0xffff800000001234ULL);

	e = decode(SVM_EXIT_EXCP_BASE + 13, 0xfffe, 0, 0, 0);
	cr_assert_eq(e.exc.error, 0xfffe, "#GP selector error code");

	e = decode(SVM_EXIT_EXCP_BASE + 6, 0, 0, 0, 0);
	cr_assert_not(e.exc.has_error, "#UD has no error code");
	cr_assert_eq(e.insn_len, 0);
}

Test(svm_decode, svm_instructions_are_virt_insn)
{
	const uint64_t codes[] = { SVM_EXIT_VMRUN, SVM_EXIT_VMLOAD, SVM_EXIT_VMSAVE, SVM_EXIT_STGI,
				   SVM_EXIT_CLGI,  SVM_EXIT_SKINIT, SVM_EXIT_INVLPGA };
	for (unsigned int i = 0; i < ARRAY_SIZE(codes); i++) {
		struct vm_exit e = decode(codes[i], 0, 0, 0, 0);
		cr_assert_eq(e.reason, EXIT_VIRT_INSN, "code %#lx", (unsigned long)codes[i]);
		cr_assert_eq(e.insn_len, 3, "0F 01 Dx is three bytes");
		e = decode(codes[i], 0, 0, GUEST_RIP + 4, 0);
		cr_assert_eq(e.insn_len, 4, "NRIP wins (a prefix)");
	}
	cr_assert_eq(decode(SVM_EXIT_VMMCALL, 0, 0, 0, 0).reason, EXIT_HYPERCALL,
		     "VMMCALL is the hypercall");
	cr_assert_eq(decode(SVM_EXIT_VMMCALL, 0, 0, 0, 0).insn_len, 3);
}

Test(svm_decode, events_and_stops)
{
	cr_assert_eq(decode(SVM_EXIT_SHUTDOWN, 0, 0, 0, 0).reason, EXIT_TRIPLE_FAULT);
	cr_assert_eq(decode(SVM_EXIT_VINTR, 0, 0, 0, 0).reason, EXIT_INTR_WINDOW);
	cr_assert_eq(decode(SVM_EXIT_INTR, 0, 0, 0, 0).reason, EXIT_EXTINT);
	cr_assert_eq(decode(SVM_EXIT_NMI, 0, 0, 0, 0).reason, EXIT_NMI);
	cr_assert_eq(decode(SVM_EXIT_INIT, 0, 0, 0, 0).reason, EXIT_INIT);
	cr_assert_eq(decode(SVM_EXIT_TASK_SWITCH, 0, 0, 0, 0).reason, EXIT_TASK_SWITCH);
	cr_assert_eq(decode(SVM_EXIT_INVLPG, 0, 0, 0, 0).reason, EXIT_INVLPG);
	/* Nothing was executed: no length to skip. */
	cr_assert_eq(decode(SVM_EXIT_SHUTDOWN, 0, 0, GUEST_RIP + 2, 0).insn_len, 0);
	cr_assert_eq(decode(SVM_EXIT_VINTR, 0, 0, GUEST_RIP + 2, 0).insn_len, 0);
	/* An IRET exit comes before the IRET runs: it is not skipped. */
	cr_assert_eq(decode(SVM_EXIT_IRET, 0, 0, GUEST_RIP + 1, 0).reason, EXIT_INTR_WINDOW);
	cr_assert_eq(decode(SVM_EXIT_IRET, 0, 0, GUEST_RIP + 1, 0).insn_len, 0);
}

Test(svm_decode, vmrun_refused_is_entry_failure)
{
	struct vm_exit e = decode(SVM_EXIT_INVALID, 0, 0, 0, 0);
	cr_assert_eq(e.reason, EXIT_ENTRY_FAILED);
	cr_assert_not_null(e.entry_fail.what);
	cr_assert_gt(strlen(e.entry_fail.what), 10);
	cr_assert_eq(e.raw_reason, 0xffffffffu);
}

Test(svm_decode, unknown_codes)
{
	/* RDTSCP, AVIC, VMGEXIT, VMEXIT_BUSY (-2), and a code that only
	 * matches CPUID in its low 32 bits. */
	const uint64_t codes[] = { SVM_EXIT_RDTSCP,       0x3ff,          0x401,        0x403,
				   0xfffffffffffffffeULL, 0x100000072ULL, 0x7fffffffULL };
	for (unsigned int i = 0; i < ARRAY_SIZE(codes); i++)
		cr_assert_eq(decode(codes[i], 0, 0, GUEST_RIP + 2, 0).reason, EXIT_UNKNOWN,
			     "code %#lx", (unsigned long)codes[i]);
}

Test(svm_decode, cr_access)
{
	struct vm_exit e = decode(SVM_EXIT_CR0_WRITE + 4, BIT(63) | 3, 0, 0, 0);
	cr_assert_eq(e.reason, EXIT_CR_ACCESS);
	cr_assert_eq(e.cr.cr, 4);
	cr_assert(e.cr.write);
	cr_assert_eq(e.cr.gpr, GPR_RBX);
	cr_assert_eq(e.cr.op, CR_OP_MOV_TO);
	cr_assert_not(e.cr.decoded, "core decodes the instruction (no decode assists in TCG)");
	e = decode(SVM_EXIT_CR0_READ + 3, 0, 0, 0, 0);
	cr_assert_eq(e.cr.cr, 3);
	cr_assert_not(e.cr.write);
	cr_assert_eq(e.cr.op, CR_OP_MOV_FROM);
}

struct fixed_len {
	uint64_t code;
	enum exit_reason reason;
	uint8_t len;
};

Test(svm_decode, fixed_lengths_without_nrip)
{
	static const struct fixed_len t[] = {
		{ SVM_EXIT_CPUID, EXIT_CPUID, 2 },
		{ SVM_EXIT_HLT, EXIT_HLT, 1 },
		{ SVM_EXIT_VMMCALL, EXIT_HYPERCALL, 3 },
		{ SVM_EXIT_XSETBV, EXIT_XSETBV, 3 },
		{ SVM_EXIT_INVD, EXIT_INVD, 2 },
		{ SVM_EXIT_WBINVD, EXIT_INVD, 2 },
		{ SVM_EXIT_PAUSE, EXIT_PAUSE, 2 },
		{ SVM_EXIT_RDTSC, EXIT_RDTSC, 2 },
		{ SVM_EXIT_RDPMC, EXIT_RDPMC, 2 },
		{ SVM_EXIT_MONITOR, EXIT_MONITOR_MWAIT, 3 },
		{ SVM_EXIT_MWAIT, EXIT_MONITOR_MWAIT, 3 },
	};
	for (unsigned int i = 0; i < ARRAY_SIZE(t); i++) {
		struct vm_exit e = decode(t[i].code, 0, 0, 0, 0);
		cr_assert_eq(e.reason, t[i].reason, "code %#lx", (unsigned long)t[i].code);
		cr_assert_eq(e.insn_len, t[i].len, "code %#lx", (unsigned long)t[i].code);
	}
}

/* Issue 14: LGDT/LIDT intercepts go to core, which decodes the
 * instruction itself (no decode assists under QEMU's TCG). */
Test(svm_decode, descriptor_table_writes)
{
	cr_assert_eq(decode(SVM_EXIT_GDTR_WRITE, 0, 0, 0, 0).reason, EXIT_DTABLE_WRITE);
	cr_assert_eq(decode(SVM_EXIT_IDTR_WRITE, 0, 0, 0, 0).reason, EXIT_DTABLE_WRITE);
	cr_assert_eq(decode(SVM_EXIT_IDTR_WRITE, 0, 0, 0, 0).insn_len, 0, "length from core");
	cr_assert_str_eq(exit_reason_name(EXIT_DTABLE_WRITE), "dtable-write");
}

Test(svm_decode, nrip_only_when_1_to_15_bytes_ahead)
{
	cr_assert_eq(decode(SVM_EXIT_CPUID, 0, 0, GUEST_RIP + 1, 0).insn_len, 1);
	cr_assert_eq(decode(SVM_EXIT_CPUID, 0, 0, GUEST_RIP + 5, 0).insn_len, 5);
	cr_assert_eq(decode(SVM_EXIT_CPUID, 0, 0, GUEST_RIP + 15, 0).insn_len, 15);
	cr_assert_eq(decode(SVM_EXIT_CPUID, 0, 0, GUEST_RIP + 16, 0).insn_len, 2,
		     "too far: the known length");
	cr_assert_eq(decode(SVM_EXIT_CPUID, 0, 0, GUEST_RIP, 0).insn_len, 2,
		     "no progress: the known length");
	cr_assert_eq(decode(SVM_EXIT_CPUID, 0, 0, GUEST_RIP - 2, 0).insn_len, 2,
		     "behind: the known length");
	cr_assert_eq(decode(SVM_EXIT_CPUID, 0, 0, 0, 0).insn_len, 2, "no NRIP save");
	cr_assert_eq(decode(SVM_EXIT_HLT, 0, 0, GUEST_RIP + 2, 0).insn_len, 2);
	cr_assert_eq(decode(SVM_EXIT_PAUSE, 0, 0, UINT64_MAX, 0).insn_len, 2);
}

/* The inline part decodes the hot exits itself and, for any other, leaves
 * the raw fields and RIP for svm_decode_exit_other (which does not write
 * them again). */
Test(svm_decode, common_part_and_the_rest)
{
	static const uint64_t common[] = { SVM_EXIT_CPUID, SVM_EXIT_IOIO, SVM_EXIT_MSR,
					   SVM_EXIT_VMMCALL };
	static const uint64_t other[] = { SVM_EXIT_NPF,           SVM_EXIT_HLT,
					  SVM_EXIT_VINTR,         SVM_EXIT_EXCP_BASE + 14,
					  SVM_EXIT_CR0_WRITE + 4, SVM_EXIT_SHUTDOWN,
					  SVM_EXIT_INVALID,       0x3ff };
	/* EXITINFO2 = next RIP, as IOIO reports it */
	struct svm_exit_raw raw = {
		.info1 = 0x11,
		.info2 = GUEST_RIP + 2,
		.rip = GUEST_RIP,
		.next_rip = GUEST_RIP + 3,
		.cpl = &cpl0,
	};
	struct vm_exit e;

	for (unsigned int i = 0; i < sizeof(common) / sizeof(common[0]); i++) {
		raw.exit_code = common[i];
		memset(&e, 0xa5, sizeof(e));
		cr_assert(svm_decode_common(&raw, &e), "exit %#lx is decoded inline",
			  (unsigned long)common[i]);
		cr_assert_eq(e.raw_reason, (uint32_t)common[i]);
		cr_assert_neq(e.insn_len, 0);
	}
	for (unsigned int i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		raw.exit_code = other[i];
		memset(&e, 0xa5, sizeof(e));
		cr_assert_not(svm_decode_common(&raw, &e), "exit %#lx is not",
			      (unsigned long)other[i]);
		cr_assert_eq(e.raw_reason, (uint32_t)other[i]);
		cr_assert_eq(e.raw_info1, 0x11);
		cr_assert_eq(e.raw_info2, GUEST_RIP + 2);
		cr_assert_eq(e.rip, GUEST_RIP);
		svm_decode_exit_other(&raw, &e);
		struct vm_exit whole;
		memset(&whole, 0xa5, sizeof(whole));
		svm_decode_exit(&raw, &whole);
		cr_assert_eq(e.reason, whole.reason);
		cr_assert_eq(e.insn_len, whole.insn_len);
	}
}

/* VMMCALL carries the caller's CPL from the VMCB's CPL field (APM Vol. 2
 * §15.5.1); only its two low bits mean anything. */
Test(svm_decode, vmmcall_cpl_from_vmcb)
{
	for (uint8_t cpl = 0; cpl <= 3; cpl++) {
		struct svm_exit_raw raw = { .exit_code = SVM_EXIT_VMMCALL,
					    .rip = GUEST_RIP,
					    .cpl = &cpl };
		struct vm_exit e;
		memset(&e, 0xa5, sizeof(e));
		svm_decode_exit(&raw, &e);
		cr_assert_eq(e.reason, EXIT_HYPERCALL);
		cr_assert_eq(e.hypercall.cpl, cpl, "VMCB CPL %u", cpl);
		cr_assert_eq(e.insn_len, 3);
	}
	uint8_t junk = 0xfc;
	struct svm_exit_raw raw = { .exit_code = SVM_EXIT_VMMCALL, .rip = GUEST_RIP, .cpl = &junk };
	struct vm_exit e;
	memset(&e, 0xa5, sizeof(e));
	svm_decode_exit(&raw, &e);
	cr_assert_eq(e.hypercall.cpl, 0, "bits above the CPL are ignored");
}

/* MOV from/to DRn (exit codes 0x20-0x3f, APM Vol. 2 Appendix C): the backend
 * deals with them itself; the record says which register and direction. */
Test(svm_decode, debug_register_access)
{
	for (unsigned int n = 0; n < 16; n++) {
		struct vm_exit r = decode(SVM_EXIT_DR0_READ + n, 0, 0, 0, 0);
		struct vm_exit w = decode(SVM_EXIT_DR0_WRITE + n, 0, 0, 0, 0);
		cr_assert_eq(r.reason, EXIT_DR_ACCESS, "DR%u read", n);
		cr_assert_eq(r.dr.num, n);
		cr_assert_not(r.dr.write);
		cr_assert_eq(w.reason, EXIT_DR_ACCESS, "DR%u write", n);
		cr_assert_eq(w.dr.num, n);
		cr_assert(w.dr.write);
		cr_assert_eq(r.insn_len, 0, "re-executed, not skipped");
	}
	cr_assert_neq(decode(SVM_EXIT_DR0_READ - 1, 0, 0, 0, 0).reason, EXIT_DR_ACCESS);
	cr_assert_neq(decode(SVM_EXIT_DR_LAST + 1, 0, 0, 0, 0).reason, EXIT_DR_ACCESS);
}

/* 64-bit mode is EFER.LMA with CS.L (APM Vol. 2 §4.8.1): compatibility mode
 * (LMA without L) and legacy modes are not, so there the hypercall uses
 * only the registers' low halves. */
Test(svm_decode, vmmcall_long_mode_from_efer_and_cs)
{
	static const struct {
		uint64_t efer;
		uint16_t cs_attr;
		bool want;
	} cases[] = {
		{ VMCB_EFER_LMA, VMCB_SEG_ATTR_L, true },
		{ VMCB_EFER_LMA, 0, false },   /* compatibility mode */
		{ 0, VMCB_SEG_ATTR_L, false }, /* L without LMA means nothing */
		{ 0, 0, false },
	};
	static struct vmcb vmcb;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vmcb.save.efer = cases[i].efer;
		vmcb.save.cs.attr = cases[i].cs_attr;
		struct svm_exit_raw raw = { .exit_code = SVM_EXIT_VMMCALL,
					    .rip = GUEST_RIP,
					    .cpl = &cpl0,
					    .save = &vmcb.save };
		struct vm_exit e;
		memset(&e, 0xa5, sizeof(e));
		svm_decode_exit(&raw, &e);
		cr_assert_eq(e.hypercall.long_mode, cases[i].want, "case %zu", i);
	}
}
