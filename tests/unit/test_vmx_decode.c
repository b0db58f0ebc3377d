/* SPDX-License-Identifier: BSD-2-Clause */
/* arch/x86/vmx/vmx_decode.c: VMX exit information (SDM Vol. 3C §28.2, exit
 * reasons of Vol. 3D Appendix C) to struct vm_exit. */
#include <criterion/criterion.h>
#include <string.h>

#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_decode.h"
#include "core/vcpu.h"

#define RIP 0xfff0

static struct vm_exit decode(struct vmx_exit_raw raw)
{
	struct vm_exit e;
	memset(&e, 0xa5, sizeof(e)); /* stale junk must not leak through */
	if (!raw.rip)
		raw.rip = RIP;
	vmx_decode_exit(&raw, &e);
	return e;
}

static struct vm_exit decode_reason(uint32_t reason, uint32_t len)
{
	return decode((struct vmx_exit_raw){ .reason = reason, .insn_len = len });
}

Test(vmx_decode, cpuid_keeps_rip_and_length)
{
	struct vm_exit e = decode_reason(VMX_EXIT_CPUID, 2);
	cr_assert_eq(e.reason, EXIT_CPUID);
	cr_assert_eq(e.raw_reason, 10);
	cr_assert_eq(e.rip, RIP);
	cr_assert_eq(e.insn_len, 2);
}

Test(vmx_decode, instruction_length_out_of_range_is_unknown)
{
	cr_assert_eq(decode_reason(VMX_EXIT_HLT, 0).insn_len, 0);
	cr_assert_eq(decode_reason(VMX_EXIT_HLT, 16).insn_len, 0,
		     "no x86 instruction is longer than 15");
	cr_assert_eq(decode_reason(VMX_EXIT_HLT, 15).insn_len, 15);
}

Test(vmx_decode, simple_instruction_exits)
{
	static const struct {
		uint32_t basic;
		enum exit_reason r;
	} map[] = {
		{ VMX_EXIT_HLT, EXIT_HLT },
		{ VMX_EXIT_VMCALL, EXIT_HYPERCALL },
		{ VMX_EXIT_INVD, EXIT_INVD },
		{ VMX_EXIT_WBINVD, EXIT_INVD },
		{ VMX_EXIT_PAUSE, EXIT_PAUSE },
		{ VMX_EXIT_XSETBV, EXIT_XSETBV },
		{ VMX_EXIT_RDTSC, EXIT_RDTSC },
		{ VMX_EXIT_RDTSCP, EXIT_RDTSC },
		{ VMX_EXIT_RDPMC, EXIT_RDPMC },
		{ VMX_EXIT_MONITOR, EXIT_MONITOR_MWAIT },
		{ VMX_EXIT_MWAIT, EXIT_MONITOR_MWAIT },
	};
	for (unsigned int i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		struct vm_exit e = decode_reason(map[i].basic, 3);
		cr_assert_eq(e.reason, map[i].r, "basic %u", map[i].basic);
		cr_assert_eq(e.insn_len, 3, "basic %u", map[i].basic);
	}
}

Test(vmx_decode, every_vmx_instruction_is_virt_insn)
{
	static const uint32_t insns[] = {
		VMX_EXIT_VMCLEAR, VMX_EXIT_VMLAUNCH, VMX_EXIT_VMPTRLD, VMX_EXIT_VMPTRST,
		VMX_EXIT_VMREAD,  VMX_EXIT_VMRESUME, VMX_EXIT_VMWRITE, VMX_EXIT_VMXOFF,
		VMX_EXIT_VMXON,   VMX_EXIT_INVEPT,   VMX_EXIT_INVVPID, VMX_EXIT_VMFUNC,
		VMX_EXIT_GETSEC,
	};
	for (unsigned int i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
		struct vm_exit e = decode_reason(insns[i], 3);
		cr_assert_eq(e.reason, EXIT_VIRT_INSN, "basic %u", insns[i]);
		cr_assert_eq(e.insn_len, 3);
	}
}

Test(vmx_decode, events_and_timers)
{
	cr_assert_eq(decode_reason(VMX_EXIT_TRIPLE_FAULT, 0).reason, EXIT_TRIPLE_FAULT);
	cr_assert_eq(decode_reason(VMX_EXIT_INTR_WINDOW, 0).reason, EXIT_INTR_WINDOW);
	cr_assert_eq(decode_reason(VMX_EXIT_NMI_WINDOW, 0).reason, EXIT_NMI_WINDOW);
	cr_assert_eq(decode_reason(VMX_EXIT_EXTINT, 0).reason, EXIT_EXTINT);
	cr_assert_eq(decode_reason(VMX_EXIT_PREEMPT_TIMER, 0).reason, EXIT_PREEMPT);
	cr_assert_eq(decode_reason(VMX_EXIT_INIT, 0).reason, EXIT_INIT);
	cr_assert_eq(decode_reason(VMX_EXIT_SIPI, 0).reason, EXIT_SIPI);
	cr_assert_eq(decode_reason(VMX_EXIT_TASK_SWITCH, 0).reason, EXIT_TASK_SWITCH);
	/* Not asked for by the backend: the partition stops with raw info. */
	cr_assert_eq(decode_reason(VMX_EXIT_MOV_DR, 3).reason, EXIT_UNKNOWN);
	cr_assert_eq(decode_reason(0xffff, 0).reason, EXIT_UNKNOWN);
}

Test(vmx_decode, msr_index_comes_from_rcx)
{
	struct vm_exit e = decode((struct vmx_exit_raw){
			.reason = VMX_EXIT_RDMSR, .insn_len = 2, .rcx = 0xc0000080 });
	cr_assert_eq(e.reason, EXIT_MSR_READ);
	cr_assert_eq(e.msr.index, 0xc0000080);
	cr_assert_eq(e.insn_len, 2);
	e = decode((struct vmx_exit_raw){ .reason = VMX_EXIT_WRMSR, .insn_len = 2, .rcx = 0x277 });
	cr_assert_eq(e.reason, EXIT_MSR_WRITE);
	cr_assert_eq(e.msr.index, 0x277);
}

Test(vmx_decode, port_io_sizes_and_direction)
{
	/* out %al, %dx to 0x3f8 */
	struct vm_exit e = decode((struct vmx_exit_raw){
			.reason = VMX_EXIT_IO, .insn_len = 1, .qual = (0x3f8ULL << 16) | 0 });
	cr_assert_eq(e.reason, EXIT_IO);
	cr_assert_eq(e.io.port, 0x3f8);
	cr_assert_eq(e.io.size, 1);
	cr_assert_not(e.io.in);
	cr_assert_not(e.io.string);
	cr_assert_not(e.io.rep);
	cr_assert_eq(e.insn_len, 1);
	/* in $0x71, %ax (immediate operand) */
	e = decode((struct vmx_exit_raw){ .reason = VMX_EXIT_IO,
					  .insn_len = 3,
					  .qual = (0x71ULL << 16) | IOQ_IMMEDIATE | IOQ_IN | 1 });
	cr_assert_eq(e.io.port, 0x71);
	cr_assert_eq(e.io.size, 2);
	cr_assert(e.io.in);
	/* in %dx, %eax from 0xcfc */
	e = decode((struct vmx_exit_raw){ .reason = VMX_EXIT_IO,
					  .insn_len = 1,
					  .qual = (0xcfcULL << 16) | IOQ_IN | 3 });
	cr_assert_eq(e.io.size, 4);
	cr_assert_eq(e.io.port, 0xcfc);
}

Test(vmx_decode, undefined_io_size_encoding_is_unknown)
{
	cr_assert_eq(decode((struct vmx_exit_raw){ .reason = VMX_EXIT_IO, .qual = 2 }).reason,
		     EXIT_UNKNOWN);
	cr_assert_eq(decode((struct vmx_exit_raw){ .reason = VMX_EXIT_IO, .qual = 7 }).reason,
		     EXIT_UNKNOWN);
}

Test(vmx_decode, string_io_uses_instruction_information)
{
	/* rep outsw %fs:(%esi), %dx: address size 32 (1 << 7), segment FS (4 << 15) */
	struct vm_exit e = decode(
			(struct vmx_exit_raw){ .reason = VMX_EXIT_IO,
					       .insn_len = 3,
					       .qual = (0x1f0ULL << 16) | IOQ_STRING | IOQ_REP | 1,
					       .insn_info = (1u << 7) | (4u << 15),
					       .io_insn_info = true,
					       .default_addr_size = 8 });
	cr_assert_eq(e.reason, EXIT_IO);
	cr_assert(e.io.string);
	cr_assert(e.io.rep);
	cr_assert_eq(e.io.size, 2);
	cr_assert_eq(e.io.addr_size, 4, "instruction information wins over the CS default");
	cr_assert_eq(e.io.seg, SEG_FS);
	/* insb: always ES:[RDI], even if the field says otherwise */
	e = decode((struct vmx_exit_raw){ .reason = VMX_EXIT_IO,
					  .insn_len = 1,
					  .qual = (0x60ULL << 16) | IOQ_STRING | IOQ_IN,
					  .insn_info = (2u << 7) | (3u << 15),
					  .io_insn_info = true });
	cr_assert_eq(e.io.addr_size, 8);
	cr_assert_eq(e.io.seg, SEG_ES);
}

Test(vmx_decode, string_io_without_instruction_information_falls_back)
{
	struct vm_exit e = decode((struct vmx_exit_raw){ .reason = VMX_EXIT_IO,
							 .qual = IOQ_STRING,
							 .insn_info = (2u << 7) | (4u << 15),
							 .io_insn_info = false,
							 .default_addr_size = 2 });
	cr_assert_eq(e.io.addr_size, 2, "CS default when IA32_VMX_BASIC[54] is clear");
	cr_assert_eq(e.io.seg, SEG_DS);
	/* Reserved address-size encoding and no usable default: refuse. */
	e = decode((struct vmx_exit_raw){ .reason = VMX_EXIT_IO,
					  .qual = IOQ_STRING,
					  .insn_info = 3u << 7,
					  .io_insn_info = true,
					  .default_addr_size = 0 });
	cr_assert_eq(e.reason, EXIT_UNKNOWN);
	/* Reserved segment encoding: DS, not an out-of-range enum seg. */
	e = decode((struct vmx_exit_raw){ .reason = VMX_EXIT_IO,
					  .qual = IOQ_STRING,
					  .insn_info = 7u << 15,
					  .io_insn_info = true });
	cr_assert_eq(e.io.seg, SEG_DS);
}

Test(vmx_decode, ept_violation_is_mmio_for_core)
{
	struct vm_exit e = decode((struct vmx_exit_raw){ .reason = VMX_EXIT_EPT_VIOLATION,
							 .qual = EPTQ_WRITE | EPTQ_GLA_VALID |
								 EPTQ_GLA_TRANSLATION,
							 .gpa = 0xfee00030,
							 .gla = 0xffffffffff5fe030ULL,
							 .insn_len = 7 });
	cr_assert_eq(e.reason, EXIT_MMIO);
	cr_assert_eq(e.mem.gpa, 0xfee00030);
	cr_assert_eq(e.mem.gla, 0xffffffffff5fe030ULL);
	cr_assert(e.mem.write);
	cr_assert_not(e.mem.fetch);
	cr_assert_eq(e.insn_len, 0, "instruction length is undefined for EPT violations");

	e = decode((struct vmx_exit_raw){ .reason = VMX_EXIT_EPT_VIOLATION,
					  .qual = EPTQ_FETCH | EPTQ_READ,
					  .gpa = 0x40000000,
					  .gla = 0x1234 });
	cr_assert(e.mem.fetch);
	cr_assert_not(e.mem.write);
	cr_assert_eq(e.mem.gla, ~0ULL, "no guest-linear address without qualification bit 7");
}

Test(vmx_decode, ept_misconfiguration_stops_with_gpa)
{
	struct vm_exit e = decode(
			(struct vmx_exit_raw){ .reason = VMX_EXIT_EPT_MISCONFIG, .gpa = 0x5000 });
	cr_assert_eq(e.reason, EXIT_UNKNOWN);
	cr_assert_eq(e.raw_info2, 0x5000);
}

Test(vmx_decode, exceptions_with_error_code_and_cr2)
{
	uint32_t info = INTR_INFO_VALID | INTR_INFO_ERROR_VALID | (INTR_TYPE_HW_EXCEPTION << 8) |
			EXC_PF;
	struct vm_exit e = decode((struct vmx_exit_raw){ .reason = VMX_EXIT_EXCEPTION_NMI,
							 .intr_info = info,
							 .intr_error = 0x6,
							 .qual = 0xdead000 });
	cr_assert_eq(e.reason, EXIT_EXCEPTION);
	cr_assert_eq(e.exc.vector, EXC_PF);
	cr_assert(e.exc.has_error);
	cr_assert_eq(e.exc.error, 6);
	cr_assert_eq(e.exc.cr2, 0xdead000);

	info = INTR_INFO_VALID | (INTR_TYPE_HW_EXCEPTION << 8) | EXC_MC;
	e = decode((struct vmx_exit_raw){
			.reason = VMX_EXIT_EXCEPTION_NMI, .intr_info = info, .intr_error = 99 });
	cr_assert_eq(e.exc.vector, EXC_MC);
	cr_assert_not(e.exc.has_error);
	cr_assert_eq(e.exc.error, 0, "an error code the CPU did not report is not passed on");
	cr_assert_eq(e.exc.cr2, 0);
}

Test(vmx_decode, int3_carries_length_nmi_is_host_nmi)
{
	uint32_t info = INTR_INFO_VALID | (INTR_TYPE_SW_EXCEPTION << 8) | EXC_BP;
	struct vm_exit e = decode((struct vmx_exit_raw){
			.reason = VMX_EXIT_EXCEPTION_NMI, .intr_info = info, .insn_len = 1 });
	cr_assert_eq(e.reason, EXIT_EXCEPTION);
	cr_assert_eq(e.insn_len, 1);

	info = INTR_INFO_VALID | (INTR_TYPE_NMI << 8) | EXC_NMI;
	cr_assert_eq(decode((struct vmx_exit_raw){ .reason = VMX_EXIT_EXCEPTION_NMI,
						   .intr_info = info })
				     .reason,
		     EXIT_NMI);
	cr_assert_eq(decode((struct vmx_exit_raw){ .reason = VMX_EXIT_EXCEPTION_NMI,
						   .intr_info = EXC_GP })
				     .reason,
		     EXIT_UNKNOWN, "interruption information without the valid bit");
}

Test(vmx_decode, control_register_accesses)
{
	/* mov %rbx, %cr4 */
	struct vm_exit e = decode((struct vmx_exit_raw){
			.reason = VMX_EXIT_CR_ACCESS, .qual = 4 | (3 << 8), .insn_len = 3 });
	cr_assert_eq(e.reason, EXIT_CR_ACCESS);
	cr_assert_eq(e.cr.cr, 4);
	cr_assert(e.cr.write);
	cr_assert_eq(e.cr.gpr, GPR_RBX);
	cr_assert_eq(e.cr.op, CR_OP_MOV_TO);
	cr_assert(e.cr.decoded, "the qualification names the GPR: core need not decode");
	cr_assert_eq(e.insn_len, 3);
	/* mov %cr8, %r12 */
	e = decode((struct vmx_exit_raw){ .reason = VMX_EXIT_CR_ACCESS,
					  .qual = 8 | (1 << 4) | (12 << 8) });
	cr_assert_eq(e.cr.cr, 8);
	cr_assert_not(e.cr.write);
	cr_assert_eq(e.cr.gpr, GPR_R12);
	cr_assert_eq(e.cr.op, CR_OP_MOV_FROM);
	/* clts, lmsw: writes of CR0 */
	e = decode((struct vmx_exit_raw){ .reason = VMX_EXIT_CR_ACCESS, .qual = (2 << 4) });
	cr_assert_eq(e.cr.cr, 0);
	cr_assert(e.cr.write);
	cr_assert_eq(e.cr.op, CR_OP_CLTS);
	e = decode((struct vmx_exit_raw){ .reason = VMX_EXIT_CR_ACCESS,
					  .qual = (3 << 4) | (0x1ULL << 16) });
	cr_assert_eq(e.cr.cr, 0);
	cr_assert(e.cr.write);
	cr_assert_eq(e.cr.op, CR_OP_LMSW);
	cr_assert_eq(e.cr.lmsw_src, 1);
}

Test(vmx_decode, invalid_guest_state_entry_failure)
{
	struct vm_exit e = decode((struct vmx_exit_raw){ .reason = EXIT_REASON_ENTRY_FAILURE | 33 });
	cr_assert_eq(e.reason, EXIT_ENTRY_FAILED);
	cr_assert_not_null(strstr(e.entry_fail.what, "invalid guest state"));
	cr_assert_eq(e.raw_reason, 0x80000021);

	e = decode((struct vmx_exit_raw){ .reason = EXIT_REASON_ENTRY_FAILURE | 33,
					  .qual = ENTRYQ_LINK_POINTER });
	cr_assert_not_null(strstr(e.entry_fail.what, "link pointer"));
	cr_assert_eq(e.entry_fail.value, ENTRYQ_LINK_POINTER);
	e = decode((struct vmx_exit_raw){ .reason = EXIT_REASON_ENTRY_FAILURE | 33,
					  .qual = ENTRYQ_PDPTE });
	cr_assert_not_null(strstr(e.entry_fail.what, "PDPTE"));
}

Test(vmx_decode, msr_load_and_machine_check_entry_failures)
{
	struct vm_exit e = decode((struct vmx_exit_raw){ .reason = EXIT_REASON_ENTRY_FAILURE | 34,
							 .qual = 3 });
	cr_assert_eq(e.reason, EXIT_ENTRY_FAILED);
	cr_assert_not_null(strstr(e.entry_fail.what, "MSR"));
	cr_assert_eq(e.entry_fail.value, 3);
	e = decode((struct vmx_exit_raw){ .reason = EXIT_REASON_ENTRY_FAILURE | 41 });
	cr_assert_not_null(strstr(e.entry_fail.what, "machine-check"));
	/* Bit 31 with another basic reason (Bochs reports a bad guest CR4 as
	 * 0x80000008) is still an entry failure, never an NMI window. */
	e = decode((struct vmx_exit_raw){ .reason = EXIT_REASON_ENTRY_FAILURE | 8 });
	cr_assert_eq(e.reason, EXIT_ENTRY_FAILED);
	cr_assert_eq(e.entry_fail.value, 0x80000008);
}

Test(vmx_decode, vmfail_reports_the_instruction_error)
{
	struct vm_exit e = decode((struct vmx_exit_raw){ .enter_status = VMX_ENTER_FAIL_VALID,
							 .vm_insn_error = VMXERR_ENTRY_INVALID_HOST,
							 .reason = VMX_EXIT_CPUID });
	cr_assert_eq(e.reason, EXIT_ENTRY_FAILED);
	cr_assert_str_eq(e.entry_fail.what, "VM entry with invalid host-state field(s)");
	cr_assert_eq(e.entry_fail.value, 8);
	cr_assert_eq(e.raw_reason, 0, "no exit happened");

	e = decode((struct vmx_exit_raw){ .enter_status = VMX_ENTER_FAIL_VALID, .vm_insn_error = 7 });
	cr_assert_str_eq(e.entry_fail.what, "VM entry with invalid control field(s)");
	e = decode((struct vmx_exit_raw){ .enter_status = VMX_ENTER_FAIL_VALID,
					  .vm_insn_error = 12345 });
	cr_assert_str_eq(e.entry_fail.what, "unknown VM-instruction error");
	e = decode((struct vmx_exit_raw){ .enter_status = VMX_ENTER_FAIL_INVALID });
	cr_assert_not_null(strstr(e.entry_fail.what, "VMfailInvalid"));
}

Test(vmx_decode, every_reason_decodes_to_a_valid_record)
{
	for (uint32_t r = 0; r < 100; r++) {
		for (uint64_t q = 0; q < 64; q += 7) {
			struct vm_exit e =
					decode((struct vmx_exit_raw){ .reason = r,
								      .qual = q,
								      .intr_info = (uint32_t)q << 26,
								      .insn_len = (uint32_t)q });
			cr_assert_lt((unsigned)e.reason, EXIT_REASON_COUNT);
			cr_assert_neq(e.reason, EXIT_NONE, "reason %u", r);
			cr_assert_leq(e.insn_len, 15);
			cr_assert_not_null(exit_reason_name(e.reason));
		}
		cr_assert_not_null(vmx_exit_basic_name(r));
	}
	cr_assert_str_eq(vmx_exit_basic_name(VMX_EXIT_EPT_VIOLATION), "ept-violation");
}

/* VMCALL carries the caller's CPL: the DPL of SS's access rights (SDM Vol.
 * 3C §24.4.1), whatever the other access-rights bits say. */
Test(vmx_decode, vmcall_cpl_from_ss_dpl)
{
	/* Present, S, read/write accessed data, D/B, G: a flat data segment. */
	uint32_t flat = VMX_AR_P | VMX_AR_S | 0x3 | VMX_AR_DB | VMX_AR_G;
	for (uint32_t dpl = 0; dpl <= 3; dpl++) {
		struct vm_exit e = decode((struct vmx_exit_raw){ .reason = VMX_EXIT_VMCALL,
								 .insn_len = 3,
								 .ss_ar = flat | (dpl << 5) });
		cr_assert_eq(e.reason, EXIT_HYPERCALL);
		cr_assert_eq(e.hypercall.cpl, dpl, "SS.DPL %u", dpl);
		cr_assert_eq(e.insn_len, 3);
	}
	/* Real mode under unrestricted guest: SS.DPL is 0 (§26.3.1.2). */
	struct vm_exit e = decode((struct vmx_exit_raw){
			.reason = VMX_EXIT_VMCALL, .insn_len = 3, .ss_ar = 0x93 });
	cr_assert_eq(e.hypercall.cpl, 0);
}

/* 64-bit mode: an IA-32e mode guest (VM-entry control) running with CS.L. */
Test(vmx_decode, vmcall_long_mode_from_ia32e_and_cs_l)
{
	uint32_t code = VMX_AR_P | VMX_AR_S | 0xb;
	static const struct {
		bool ia32e;
		uint32_t cs_ar;
		bool want;
	} cases[] = {
		{ true, VMX_AR_L, true },
		{ true, VMX_AR_DB, false }, /* compatibility mode */
		{ false, VMX_AR_L, false },
		{ false, VMX_AR_DB, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vm_exit e = decode((struct vmx_exit_raw){ .reason = VMX_EXIT_VMCALL,
								 .insn_len = 3,
								 .ss_ar = 0x93,
								 .cs_ar = code | cases[i].cs_ar,
								 .ia32e_guest = cases[i].ia32e });
		cr_assert_eq(e.hypercall.long_mode, cases[i].want, "case %zu", i);
	}
}
