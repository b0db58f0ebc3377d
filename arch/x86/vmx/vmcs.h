/* SPDX-License-Identifier: BSD-2-Clause */
/* The assembler reads this file too: clang-format would break its .S lines. */
/* clang-format off */
/* Intel VMX architectural constants: capability MSRs, VMCS field encodings
 * (SDM Vol. 3D Appendix B), execution/exit/entry control bits (Vol. 3C
 * chapter 25), exit reasons (Vol. 3D Appendix C), exit-qualification and
 * event-information layouts (Vol. 3C §28.2), EPT entry bits (§29.3) and
 * VM-instruction error numbers (§31.4).
 *
 * The field encodings are plain numbers so vmx_entry.S can use them too;
 * everything else is C only. Pure header: no inline assembly here. */
#ifndef BULKHEAD_ARCH_X86_VMX_VMCS_H
#define BULKHEAD_ARCH_X86_VMX_VMCS_H

/* ---- VMCS field encodings (SDM Vol. 3D Appendix B) ---------------------- */

/* 16-bit control fields (B.1.1) */
#define VMCS_VPID 0x0000
/* 16-bit guest-state fields (B.1.2): ES, CS, SS, DS, FS, GS, LDTR, TR in the
 * enum seg order of core/vcpu.h, two apart. */
#define VMCS_GUEST_ES_SEL 0x0800
#define VMCS_GUEST_CS_SEL 0x0802
#define VMCS_GUEST_SS_SEL 0x0804
#define VMCS_GUEST_DS_SEL 0x0806
#define VMCS_GUEST_FS_SEL 0x0808
#define VMCS_GUEST_GS_SEL 0x080a
#define VMCS_GUEST_LDTR_SEL 0x080c
#define VMCS_GUEST_TR_SEL 0x080e
/* 16-bit host-state fields (B.1.3) */
#define VMCS_HOST_ES_SEL 0x0c00
#define VMCS_HOST_CS_SEL 0x0c02
#define VMCS_HOST_SS_SEL 0x0c04
#define VMCS_HOST_DS_SEL 0x0c06
#define VMCS_HOST_FS_SEL 0x0c08
#define VMCS_HOST_GS_SEL 0x0c0a
#define VMCS_HOST_TR_SEL 0x0c0c

/* 64-bit control fields (B.2.1) */
#define VMCS_IO_BITMAP_A 0x2000
#define VMCS_IO_BITMAP_B 0x2002
#define VMCS_MSR_BITMAP 0x2004
#define VMCS_EXIT_MSR_STORE_ADDR 0x2006
#define VMCS_EXIT_MSR_LOAD_ADDR 0x2008
#define VMCS_ENTRY_MSR_LOAD_ADDR 0x200a
#define VMCS_TSC_OFFSET 0x2010
#define VMCS_EPT_POINTER 0x201a
/* 64-bit read-only data field (B.2.2) */
#define VMCS_GUEST_PHYSICAL_ADDRESS 0x2400
/* 64-bit guest-state fields (B.2.3) */
#define VMCS_LINK_POINTER 0x2800
#define VMCS_GUEST_DEBUGCTL 0x2802
#define VMCS_GUEST_PAT 0x2804
#define VMCS_GUEST_EFER 0x2806
#define VMCS_GUEST_PDPTE0 0x280a
/* 64-bit host-state fields (B.2.4) */
#define VMCS_HOST_PAT 0x2c00
#define VMCS_HOST_EFER 0x2c02

/* 32-bit control fields (B.3.1) */
#define VMCS_PIN_CONTROLS 0x4000
#define VMCS_PROC_CONTROLS 0x4002
#define VMCS_EXCEPTION_BITMAP 0x4004
#define VMCS_PF_ERROR_MASK 0x4006
#define VMCS_PF_ERROR_MATCH 0x4008
#define VMCS_CR3_TARGET_COUNT 0x400a
#define VMCS_EXIT_CONTROLS 0x400c
#define VMCS_EXIT_MSR_STORE_COUNT 0x400e
#define VMCS_EXIT_MSR_LOAD_COUNT 0x4010
#define VMCS_ENTRY_CONTROLS 0x4012
#define VMCS_ENTRY_MSR_LOAD_COUNT 0x4014
#define VMCS_ENTRY_INTR_INFO 0x4016
#define VMCS_ENTRY_EXCEPTION_ERROR 0x4018
#define VMCS_ENTRY_INSN_LEN 0x401a
#define VMCS_TPR_THRESHOLD 0x401c
#define VMCS_PROC2_CONTROLS 0x401e
/* 32-bit read-only data fields (B.3.2) */
#define VMCS_VM_INSN_ERROR 0x4400
#define VMCS_EXIT_REASON 0x4402
#define VMCS_EXIT_INTR_INFO 0x4404
#define VMCS_EXIT_INTR_ERROR 0x4406
#define VMCS_IDT_VECTORING_INFO 0x4408
#define VMCS_IDT_VECTORING_ERROR 0x440a
#define VMCS_EXIT_INSN_LEN 0x440c
#define VMCS_EXIT_INSN_INFO 0x440e
/* 32-bit guest-state fields (B.3.3) */
#define VMCS_GUEST_ES_LIMIT 0x4800
#define VMCS_GUEST_GDTR_LIMIT 0x4810
#define VMCS_GUEST_IDTR_LIMIT 0x4812
#define VMCS_GUEST_ES_AR 0x4814
#define VMCS_GUEST_INTERRUPTIBILITY 0x4824
#define VMCS_GUEST_ACTIVITY 0x4826
#define VMCS_GUEST_SYSENTER_CS 0x482a
#define VMCS_PREEMPT_TIMER_VALUE 0x482e
/* 32-bit host-state field (B.3.4) */
#define VMCS_HOST_SYSENTER_CS 0x4c00

/* Natural-width control fields (B.4.1) */
#define VMCS_CR0_MASK 0x6000
#define VMCS_CR4_MASK 0x6002
#define VMCS_CR0_READ_SHADOW 0x6004
#define VMCS_CR4_READ_SHADOW 0x6006
/* Natural-width read-only data fields (B.4.2) */
#define VMCS_EXIT_QUALIFICATION 0x6400
#define VMCS_GUEST_LINEAR_ADDRESS 0x640a
/* Natural-width guest-state fields (B.4.3) */
#define VMCS_GUEST_CR0 0x6800
#define VMCS_GUEST_CR3 0x6802
#define VMCS_GUEST_CR4 0x6804
#define VMCS_GUEST_ES_BASE 0x6806
#define VMCS_GUEST_GDTR_BASE 0x6816
#define VMCS_GUEST_IDTR_BASE 0x6818
#define VMCS_GUEST_DR7 0x681a
#define VMCS_GUEST_RSP 0x681c
#define VMCS_GUEST_RIP 0x681e
#define VMCS_GUEST_RFLAGS 0x6820
#define VMCS_GUEST_PENDING_DBG 0x6822
#define VMCS_GUEST_SYSENTER_ESP 0x6824
#define VMCS_GUEST_SYSENTER_EIP 0x6826
/* Natural-width host-state fields (B.4.4) */
#define VMCS_HOST_CR0 0x6c00
#define VMCS_HOST_CR3 0x6c02
#define VMCS_HOST_CR4 0x6c04
#define VMCS_HOST_FS_BASE 0x6c06
#define VMCS_HOST_GS_BASE 0x6c08
#define VMCS_HOST_TR_BASE 0x6c0a
#define VMCS_HOST_GDTR_BASE 0x6c0c
#define VMCS_HOST_IDTR_BASE 0x6c0e
#define VMCS_HOST_SYSENTER_ESP 0x6c10
#define VMCS_HOST_SYSENTER_EIP 0x6c12
#define VMCS_HOST_RSP 0x6c14
#define VMCS_HOST_RIP 0x6c16

/* Per-segment fields: base encoding + 2 * enum seg. */
#define VMCS_GUEST_SEL(s) (VMCS_GUEST_ES_SEL + 2 * (s))
#define VMCS_GUEST_LIMIT(s) (VMCS_GUEST_ES_LIMIT + 2 * (s))
#define VMCS_GUEST_AR(s) (VMCS_GUEST_ES_AR + 2 * (s))
#define VMCS_GUEST_BASE(s) (VMCS_GUEST_ES_BASE + 2 * (s))

/* vmx_enter() results (vmx_entry.S): the VM-instruction conventions of
 * SDM Vol. 3C §31.2 (CF = VMfailInvalid, ZF = VMfailValid). */
#define VMX_ENTER_EXITED 0
#define VMX_ENTER_FAIL_INVALID 1
#define VMX_ENTER_FAIL_VALID 2

#ifndef __ASSEMBLY__

#include "core/types.h"

/* ---- Capability MSRs (SDM Vol. 3D Appendix A) --------------------------- */
#define MSR_IA32_VMX_BASIC 0x480
#define MSR_IA32_VMX_PINBASED_CTLS 0x481
#define MSR_IA32_VMX_PROCBASED_CTLS 0x482
#define MSR_IA32_VMX_EXIT_CTLS 0x483
#define MSR_IA32_VMX_ENTRY_CTLS 0x484
#define MSR_IA32_VMX_MISC 0x485
#define MSR_IA32_VMX_CR0_FIXED0 0x486
#define MSR_IA32_VMX_CR0_FIXED1 0x487
#define MSR_IA32_VMX_CR4_FIXED0 0x488
#define MSR_IA32_VMX_CR4_FIXED1 0x489
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP 0x48c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS 0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS 0x490

#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176

/* IA32_FEATURE_CONTROL (SDM Vol. 3C §24.7) */
#define FEATURE_CONTROL_LOCK BIT(0)
#define FEATURE_CONTROL_VMX_IN_SMX BIT(1)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX BIT(2)

/* CPUID.1:ECX.VMX[bit 5] (SDM Vol. 3C §24.6) */
#define CPUID1_ECX_VMX BIT(5)

/* IA32_VMX_BASIC (Appendix A.1) */
#define VMX_BASIC_REVISION_MASK 0x7fffffffULL
#define VMX_BASIC_REGION_SIZE(b) (((b) >> 32) & 0x1fff)
#define VMX_BASIC_32BIT_ADDR BIT(48)
#define VMX_BASIC_MEMTYPE(b) (((b) >> 50) & 0xf)
#define VMX_BASIC_INOUT_INFO BIT(54)  /* INS/OUTS fill the instruction-information field */
#define VMX_BASIC_TRUE_CTLS BIT(55)
#define VMX_MEMTYPE_WB 6

/* IA32_VMX_MISC (Appendix A.6) */
#define VMX_MISC_PREEMPT_RATE(m) ((unsigned int)((m) & 0x1f)) /* timer ticks = TSC >> rate */
#define VMX_MISC_STORE_LMA BIT(5) /* exits store EFER.LMA into "IA-32e mode guest" */
#define VMX_MISC_ACT_HLT BIT(6)

/* IA32_VMX_EPT_VPID_CAP (Appendix A.10) */
#define EPT_CAP_EXEC_ONLY BIT(0)
#define EPT_CAP_WALK4 BIT(6)
#define EPT_CAP_MEMTYPE_WB BIT(14)
#define EPT_CAP_2M BIT(16)
#define EPT_CAP_1G BIT(17)
#define EPT_CAP_INVEPT BIT(20)
#define EPT_CAP_AD BIT(21)
#define EPT_CAP_INVEPT_SINGLE BIT(25)
#define EPT_CAP_INVEPT_ALL BIT(26)
#define VPID_CAP_INVVPID BIT(32)
#define VPID_CAP_INVVPID_ADDR BIT(40)
#define VPID_CAP_INVVPID_SINGLE BIT(41)
#define VPID_CAP_INVVPID_ALL BIT(42)
#define VPID_CAP_INVVPID_SINGLE_GLOBALS BIT(43)

/* INVEPT / INVVPID types (SDM Vol. 3C §30.3, INVEPT and INVVPID) */
#define INVEPT_SINGLE_CONTEXT 1
#define INVEPT_ALL_CONTEXT 2
#define INVVPID_ADDRESS 0
#define INVVPID_SINGLE_CONTEXT 1
#define INVVPID_ALL_CONTEXT 2
#define INVVPID_SINGLE_KEEP_GLOBALS 3

/* ---- Execution controls (SDM Vol. 3C §25.6) ----------------------------- */
/* Pin-based (Table 25-5) */
#define PIN_EXTINT_EXITING BIT(0)
#define PIN_NMI_EXITING BIT(3)
#define PIN_VIRTUAL_NMIS BIT(5)
#define PIN_PREEMPT_TIMER BIT(6)
/* Primary processor-based (Table 25-6) */
#define PROC_INTR_WINDOW_EXITING BIT(2)
#define PROC_TSC_OFFSETTING BIT(3)
#define PROC_HLT_EXITING BIT(7)
#define PROC_INVLPG_EXITING BIT(9)
#define PROC_MWAIT_EXITING BIT(10)
#define PROC_RDPMC_EXITING BIT(11)
#define PROC_RDTSC_EXITING BIT(12)
#define PROC_CR3_LOAD_EXITING BIT(15)
#define PROC_CR3_STORE_EXITING BIT(16)
#define PROC_CR8_LOAD_EXITING BIT(19)
#define PROC_CR8_STORE_EXITING BIT(20)
#define PROC_TPR_SHADOW BIT(21)
#define PROC_NMI_WINDOW_EXITING BIT(22)
#define PROC_MOV_DR_EXITING BIT(23)
#define PROC_UNCOND_IO_EXITING BIT(24)
#define PROC_USE_IO_BITMAPS BIT(25)
#define PROC_MONITOR_TRAP_FLAG BIT(27)
#define PROC_USE_MSR_BITMAPS BIT(28)
#define PROC_MONITOR_EXITING BIT(29)
#define PROC_PAUSE_EXITING BIT(30)
#define PROC_SECONDARY_CONTROLS BIT(31)
/* Secondary processor-based (Table 25-7) */
#define PROC2_VIRT_APIC_ACCESS BIT(0)
#define PROC2_EPT BIT(1)
#define PROC2_DESC_TABLE_EXITING BIT(2)
#define PROC2_RDTSCP BIT(3)
#define PROC2_VIRT_X2APIC BIT(4)
#define PROC2_VPID BIT(5)
#define PROC2_WBINVD_EXITING BIT(6)
#define PROC2_UNRESTRICTED_GUEST BIT(7)
#define PROC2_PAUSE_LOOP_EXITING BIT(10)
#define PROC2_INVPCID BIT(12)
#define PROC2_VMFUNC BIT(13)
#define PROC2_PML BIT(17)
#define PROC2_XSAVES BIT(20)

/* VM-exit controls (Table 25-13) */
#define EXIT_SAVE_DEBUG_CONTROLS BIT(2)
#define EXIT_HOST_ADDR_SPACE_SIZE BIT(9)
#define EXIT_ACK_INTR_ON_EXIT BIT(15)
#define EXIT_SAVE_PAT BIT(18)
#define EXIT_LOAD_PAT BIT(19)
#define EXIT_SAVE_EFER BIT(20)
#define EXIT_LOAD_EFER BIT(21)
#define EXIT_SAVE_PREEMPT_TIMER BIT(22)

/* VM-entry controls (Table 25-15) */
#define ENTRY_LOAD_DEBUG_CONTROLS BIT(2)
#define ENTRY_IA32E_MODE_GUEST BIT(9)
#define ENTRY_TO_SMM BIT(10)
#define ENTRY_LOAD_PAT BIT(14)
#define ENTRY_LOAD_EFER BIT(15)

/* ---- Exit reasons (SDM Vol. 3D Appendix C) ------------------------------ */
#define EXIT_REASON_BASIC(r) ((r) & 0xffff)
#define EXIT_REASON_ENTRY_FAILURE BIT(31)

enum vmx_exit_basic {
	VMX_EXIT_EXCEPTION_NMI = 0,
	VMX_EXIT_EXTINT = 1,
	VMX_EXIT_TRIPLE_FAULT = 2,
	VMX_EXIT_INIT = 3,
	VMX_EXIT_SIPI = 4,
	VMX_EXIT_IO_SMI = 5,
	VMX_EXIT_OTHER_SMI = 6,
	VMX_EXIT_INTR_WINDOW = 7,
	VMX_EXIT_NMI_WINDOW = 8,
	VMX_EXIT_TASK_SWITCH = 9,
	VMX_EXIT_CPUID = 10,
	VMX_EXIT_GETSEC = 11,
	VMX_EXIT_HLT = 12,
	VMX_EXIT_INVD = 13,
	VMX_EXIT_INVLPG = 14,
	VMX_EXIT_RDPMC = 15,
	VMX_EXIT_RDTSC = 16,
	VMX_EXIT_RSM = 17,
	VMX_EXIT_VMCALL = 18,
	VMX_EXIT_VMCLEAR = 19,
	VMX_EXIT_VMLAUNCH = 20,
	VMX_EXIT_VMPTRLD = 21,
	VMX_EXIT_VMPTRST = 22,
	VMX_EXIT_VMREAD = 23,
	VMX_EXIT_VMRESUME = 24,
	VMX_EXIT_VMWRITE = 25,
	VMX_EXIT_VMXOFF = 26,
	VMX_EXIT_VMXON = 27,
	VMX_EXIT_CR_ACCESS = 28,
	VMX_EXIT_MOV_DR = 29,
	VMX_EXIT_IO = 30,
	VMX_EXIT_RDMSR = 31,
	VMX_EXIT_WRMSR = 32,
	VMX_EXIT_ENTRY_FAIL_GUEST = 33,
	VMX_EXIT_ENTRY_FAIL_MSR = 34,
	VMX_EXIT_MWAIT = 36,
	VMX_EXIT_MTF = 37,
	VMX_EXIT_MONITOR = 39,
	VMX_EXIT_PAUSE = 40,
	VMX_EXIT_ENTRY_FAIL_MC = 41,
	VMX_EXIT_TPR_BELOW = 43,
	VMX_EXIT_APIC_ACCESS = 44,
	VMX_EXIT_VIRT_EOI = 45,
	VMX_EXIT_GDTR_IDTR = 46,
	VMX_EXIT_LDTR_TR = 47,
	VMX_EXIT_EPT_VIOLATION = 48,
	VMX_EXIT_EPT_MISCONFIG = 49,
	VMX_EXIT_INVEPT = 50,
	VMX_EXIT_RDTSCP = 51,
	VMX_EXIT_PREEMPT_TIMER = 52,
	VMX_EXIT_INVVPID = 53,
	VMX_EXIT_WBINVD = 54,
	VMX_EXIT_XSETBV = 55,
	VMX_EXIT_APIC_WRITE = 56,
	VMX_EXIT_RDRAND = 57,
	VMX_EXIT_INVPCID = 58,
	VMX_EXIT_VMFUNC = 59,
	VMX_EXIT_ENCLS = 60,
	VMX_EXIT_RDSEED = 61,
	VMX_EXIT_PML_FULL = 62,
	VMX_EXIT_XSAVES = 63,
	VMX_EXIT_XRSTORS = 64,
	VMX_EXIT_MAX = 70,
};

/* ---- Exit qualifications (SDM Vol. 3C §28.2.1) -------------------------- */
/* Control-register accesses (Table 28-3) */
#define CRQ_CR(q) ((unsigned int)((q) & 0xf))
#define CRQ_TYPE(q) ((unsigned int)(((q) >> 4) & 3))
#define CRQ_TYPE_MOV_TO_CR 0
#define CRQ_TYPE_MOV_FROM_CR 1
#define CRQ_TYPE_CLTS 2
#define CRQ_TYPE_LMSW 3
#define CRQ_LMSW_MEMORY BIT(6)
#define CRQ_GPR(q) ((unsigned int)(((q) >> 8) & 0xf))
#define CRQ_LMSW_DATA(q) ((uint16_t)((q) >> 16))

/* I/O instructions (Table 28-5) */
#define IOQ_SIZE(q) ((unsigned int)((q) & 7)) /* 0: 1 byte, 1: 2 bytes, 3: 4 bytes */
#define IOQ_IN BIT(3)
#define IOQ_STRING BIT(4)
#define IOQ_REP BIT(5)
#define IOQ_IMMEDIATE BIT(6)
#define IOQ_PORT(q) ((uint16_t)((q) >> 16))

/* EPT violations (Table 28-7) */
#define EPTQ_READ BIT(0)
#define EPTQ_WRITE BIT(1)
#define EPTQ_FETCH BIT(2)
#define EPTQ_READABLE BIT(3)
#define EPTQ_WRITABLE BIT(4)
#define EPTQ_EXECUTABLE BIT(5)
#define EPTQ_GLA_VALID BIT(7)
#define EPTQ_GLA_TRANSLATION BIT(8)
#define EPTQ_NMI_UNBLOCKING BIT(12)

/* VM-entry failure qualification for exit reason 33 (SDM Vol. 3C §27.8) */
#define ENTRYQ_DEFAULT 0
#define ENTRYQ_PDPTE 2
#define ENTRYQ_NMI_BLOCKED 3
#define ENTRYQ_LINK_POINTER 4

/* VM-exit instruction information for INS/OUTS (Table 28-8) */
#define INSN_INFO_ADDR_SIZE(i) (((i) >> 7) & 7) /* 0: 16-bit, 1: 32-bit, 2: 64-bit */
#define INSN_INFO_SEG(i) (((i) >> 15) & 7)     /* ES, CS, SS, DS, FS, GS */

/* ---- Event information (SDM Vol. 3C §25.8.3, §25.9.2, §25.9.3) ---------- */
#define INTR_INFO_VECTOR(i) ((uint8_t)((i) & 0xff))
#define INTR_INFO_TYPE(i) (((i) >> 8) & 7)
#define INTR_INFO_TYPE_SHIFT 8
#define INTR_INFO_ERROR_VALID BIT(11)
#define INTR_INFO_NMI_UNBLOCKING BIT(12)
#define INTR_INFO_VALID BIT(31)
#define INTR_TYPE_EXTINT 0
#define INTR_TYPE_NMI 2
#define INTR_TYPE_HW_EXCEPTION 3
#define INTR_TYPE_SW_INTERRUPT 4
#define INTR_TYPE_PRIV_SW_EXCEPTION 5 /* INT1 */
#define INTR_TYPE_SW_EXCEPTION 6      /* INT3, INTO */
#define INTR_TYPE_OTHER 7

/* Guest interruptibility state (Table 25-3) */
#define INTERRUPTIBILITY_STI BIT(0)
#define INTERRUPTIBILITY_MOV_SS BIT(1)
#define INTERRUPTIBILITY_SMI BIT(2)
#define INTERRUPTIBILITY_NMI BIT(3)
#define INTERRUPTIBILITY_RESERVED 0xffffffe0u

/* Guest activity state (§25.4.2) */
#define ACTIVITY_ACTIVE 0
#define ACTIVITY_HLT 1
#define ACTIVITY_SHUTDOWN 2
#define ACTIVITY_WAIT_SIPI 3

/* Segment access rights in the VMCS (Table 25-2): the descriptor's bits
 * 40-47 and 52-55 packed into bits 0-7 and 12-15, plus "unusable". */
#define VMX_AR_TYPE(a) ((a) & 0xf)
#define VMX_AR_S BIT(4)
#define VMX_AR_DPL(a) (((a) >> 5) & 3)
#define VMX_AR_P BIT(7)
#define VMX_AR_AVL BIT(12)
#define VMX_AR_L BIT(13)
#define VMX_AR_DB BIT(14)
#define VMX_AR_G BIT(15)
#define VMX_AR_UNUSABLE BIT(16)
#define VMX_AR_RESERVED 0xfffe0f00u

/* ---- EPT (SDM Vol. 3C §29.3.2, §29.3.3, §25.6.11) ----------------------- */
#define EPT_READ BIT(0)
#define EPT_WRITE BIT(1)
#define EPT_EXEC BIT(2)
#define EPT_RWX (EPT_READ | EPT_WRITE | EPT_EXEC)
#define EPT_MEMTYPE_SHIFT 3      /* leaf bits 5:3 */
#define EPT_MEMTYPE_WB 6ULL
#define EPT_IGNORE_PAT BIT(6)
#define EPT_LARGE BIT(7)         /* PDE maps 2 MiB, PDPTE maps 1 GiB */
#define EPT_ACCESSED BIT(8)
#define EPT_DIRTY BIT(9)
#define EPT_ADDR_MASK 0x000ffffffffff000ULL

#define EPTP_MEMTYPE_WB 6ULL
#define EPTP_WALK_LENGTH_SHIFT 3 /* bits 5:3 = levels - 1 */
#define EPTP_AD_ENABLE BIT(6)

/* ---- VM-instruction error numbers (SDM Vol. 3C §31.4, Table 31-1) ------- */
#define VMXERR_ENTRY_INVALID_CONTROL 7
#define VMXERR_ENTRY_INVALID_HOST 8
#define VMXERR_VMPTRLD_BAD_REVISION 11
#define VMXERR_ENTRY_MOV_SS 26

#endif /* !__ASSEMBLY__ */
#endif
