/* SPDX-License-Identifier: BSD-2-Clause */
/* VMX exit decoding: the names for reports and traces, and an out-of-line
 * copy of the inline decoder of vmx_decode.h. Pure code, no VMREAD. */
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_decode.h"
#include "core/vcpu.h"

static const char *const insn_errors[] = {
	[1] = "VMCALL executed in VMX root operation",
	[2] = "VMCLEAR with invalid physical address",
	[3] = "VMCLEAR with VMXON pointer",
	[4] = "VMLAUNCH with non-clear VMCS",
	[5] = "VMRESUME with non-launched VMCS",
	[6] = "VMRESUME after VMXOFF",
	[7] = "VM entry with invalid control field(s)",
	[8] = "VM entry with invalid host-state field(s)",
	[9] = "VMPTRLD with invalid physical address",
	[10] = "VMPTRLD with VMXON pointer",
	[11] = "VMPTRLD with incorrect VMCS revision identifier",
	[12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
	[13] = "VMWRITE to read-only VMCS component",
	[15] = "VMXON executed in VMX root operation",
	[16] = "VM entry with invalid executive-VMCS pointer",
	[17] = "VM entry with non-launched executive VMCS",
	[18] = "VM entry with executive-VMCS pointer not VMXON pointer",
	[19] = "VMCALL with non-clear VMCS",
	[20] = "VMCALL with invalid VM-exit control fields",
	[22] = "VMCALL with incorrect MSEG revision identifier",
	[23] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
	[24] = "VMCALL with invalid SMM-monitor features",
	[25] = "VM entry with invalid VM-execution control fields in executive VMCS",
	[26] = "VM entry with events blocked by MOV SS",
	[28] = "invalid operand to INVEPT/INVVPID",
};

const char *vmx_insn_error_name(uint32_t err)
{
	if (err < ARRAY_SIZE(insn_errors) && insn_errors[err])
		return insn_errors[err];
	return "unknown VM-instruction error";
}

static const char *const basic_names[VMX_EXIT_MAX] = {
	[VMX_EXIT_EXCEPTION_NMI] = "exception-or-nmi",
	[VMX_EXIT_EXTINT] = "external-interrupt",
	[VMX_EXIT_TRIPLE_FAULT] = "triple-fault",
	[VMX_EXIT_INIT] = "init",
	[VMX_EXIT_SIPI] = "sipi",
	[VMX_EXIT_IO_SMI] = "io-smi",
	[VMX_EXIT_OTHER_SMI] = "other-smi",
	[VMX_EXIT_INTR_WINDOW] = "interrupt-window",
	[VMX_EXIT_NMI_WINDOW] = "nmi-window",
	[VMX_EXIT_TASK_SWITCH] = "task-switch",
	[VMX_EXIT_CPUID] = "cpuid",
	[VMX_EXIT_GETSEC] = "getsec",
	[VMX_EXIT_HLT] = "hlt",
	[VMX_EXIT_INVD] = "invd",
	[VMX_EXIT_INVLPG] = "invlpg",
	[VMX_EXIT_RDPMC] = "rdpmc",
	[VMX_EXIT_RDTSC] = "rdtsc",
	[VMX_EXIT_RSM] = "rsm",
	[VMX_EXIT_VMCALL] = "vmcall",
	[VMX_EXIT_VMCLEAR] = "vmclear",
	[VMX_EXIT_VMLAUNCH] = "vmlaunch",
	[VMX_EXIT_VMPTRLD] = "vmptrld",
	[VMX_EXIT_VMPTRST] = "vmptrst",
	[VMX_EXIT_VMREAD] = "vmread",
	[VMX_EXIT_VMRESUME] = "vmresume",
	[VMX_EXIT_VMWRITE] = "vmwrite",
	[VMX_EXIT_VMXOFF] = "vmxoff",
	[VMX_EXIT_VMXON] = "vmxon",
	[VMX_EXIT_CR_ACCESS] = "cr-access",
	[VMX_EXIT_MOV_DR] = "mov-dr",
	[VMX_EXIT_IO] = "io",
	[VMX_EXIT_RDMSR] = "rdmsr",
	[VMX_EXIT_WRMSR] = "wrmsr",
	[VMX_EXIT_ENTRY_FAIL_GUEST] = "entry-fail-guest-state",
	[VMX_EXIT_ENTRY_FAIL_MSR] = "entry-fail-msr-load",
	[VMX_EXIT_MWAIT] = "mwait",
	[VMX_EXIT_MTF] = "monitor-trap-flag",
	[VMX_EXIT_MONITOR] = "monitor",
	[VMX_EXIT_PAUSE] = "pause",
	[VMX_EXIT_ENTRY_FAIL_MC] = "entry-fail-machine-check",
	[VMX_EXIT_TPR_BELOW] = "tpr-below-threshold",
	[VMX_EXIT_APIC_ACCESS] = "apic-access",
	[VMX_EXIT_VIRT_EOI] = "virtualized-eoi",
	[VMX_EXIT_GDTR_IDTR] = "gdtr-idtr-access",
	[VMX_EXIT_LDTR_TR] = "ldtr-tr-access",
	[VMX_EXIT_EPT_VIOLATION] = "ept-violation",
	[VMX_EXIT_EPT_MISCONFIG] = "ept-misconfig",
	[VMX_EXIT_INVEPT] = "invept",
	[VMX_EXIT_RDTSCP] = "rdtscp",
	[VMX_EXIT_PREEMPT_TIMER] = "preemption-timer",
	[VMX_EXIT_INVVPID] = "invvpid",
	[VMX_EXIT_WBINVD] = "wbinvd",
	[VMX_EXIT_XSETBV] = "xsetbv",
	[VMX_EXIT_APIC_WRITE] = "apic-write",
	[VMX_EXIT_RDRAND] = "rdrand",
	[VMX_EXIT_INVPCID] = "invpcid",
	[VMX_EXIT_VMFUNC] = "vmfunc",
	[VMX_EXIT_ENCLS] = "encls",
	[VMX_EXIT_RDSEED] = "rdseed",
	[VMX_EXIT_PML_FULL] = "pml-full",
	[VMX_EXIT_XSAVES] = "xsaves",
	[VMX_EXIT_XRSTORS] = "xrstors",
};

const char *vmx_exit_basic_name(uint32_t basic)
{
	if (basic < VMX_EXIT_MAX && basic_names[basic])
		return basic_names[basic];
	return "?";
}

void vmx_decode_exit(const struct vmx_exit_raw *raw, struct vm_exit *e)
{
	vmx_decode_exit_inline(raw, e);
}
