/* SPDX-License-Identifier: BSD-2-Clause */
/* The AMD Virtual Machine Control Block (AMD APM Vol. 2, Appendix B, "Layout
 * of VMCB"): a 4 KiB page with the control area at 0x000 and the guest
 * state-save area at 0x400. Only the fields Bulkhead uses are named. */
#ifndef BULKHEAD_ARCH_X86_SVM_VMCB_H
#define BULKHEAD_ARCH_X86_SVM_VMCB_H

#include "core/types.h"

/* Segment attributes in the VMCB: descriptor bits 40-47 and 52-55 packed
 * into 12 bits (APM Vol. 2 §15.5.1); L, the 64-bit code flag, is bit 9. */
#define VMCB_SEG_ATTR_L (1u << 9)
#define VMCB_EFER_LMA (1ull << 10) /* APM Vol. 2 §3.1.7 */

struct __packed vmcb_seg {
	uint16_t sel;
	uint16_t attr;
	uint32_t limit;
	uint64_t base;
};

struct __packed vmcb_control {
	uint32_t intercept_cr;    /* 0x000: bits 0-15 reads, 16-31 writes */
	uint32_t intercept_dr;    /* 0x004 */
	uint32_t intercept_exc;   /* 0x008: one bit per exception vector */
	uint32_t intercept_misc1; /* 0x00c: INTERCEPT1_* */
	uint32_t intercept_misc2; /* 0x010: INTERCEPT2_* */
	uint32_t intercept_misc3; /* 0x014 */
	uint8_t reserved1[0x03c - 0x018];
	uint16_t pause_filter_thresh; /* 0x03c */
	uint16_t pause_filter_count;  /* 0x03e */
	uint64_t iopm_base_pa;        /* 0x040 */
	uint64_t msrpm_base_pa;       /* 0x048 */
	uint64_t tsc_offset;          /* 0x050 */
	uint32_t asid;                /* 0x058 */
	uint8_t tlb_control;          /* 0x05c */
	uint8_t reserved2[3];
	uint64_t int_ctl;       /* 0x060: V_TPR, V_IRQ, V_INTR_MASKING ... */
	uint64_t int_state;     /* 0x068: bit 0 interrupt shadow */
	uint64_t exit_code;     /* 0x070 */
	uint64_t exit_info1;    /* 0x078 */
	uint64_t exit_info2;    /* 0x080 */
	uint64_t exit_int_info; /* 0x088 */
	uint64_t np_enable;     /* 0x090: bit 0 nested paging */
	uint64_t avic_apic_bar; /* 0x098 */
	uint64_t ghcb_pa;       /* 0x0a0 */
	uint64_t event_inj;     /* 0x0a8 */
	uint64_t n_cr3;         /* 0x0b0 */
	uint64_t lbr_virt;      /* 0x0b8 */
	uint32_t clean_bits;    /* 0x0c0 */
	uint32_t reserved3;
	uint64_t next_rip;      /* 0x0c8 */
	uint8_t insn_len;       /* 0x0d0 */
	uint8_t insn_bytes[15]; /* 0x0d1 */
	uint8_t reserved4[0x400 - 0x0e0];
};

struct __packed vmcb_save {
	struct vmcb_seg es, cs, ss, ds, fs, gs; /* 0x400: same order as enum seg */
	struct vmcb_seg gdtr, ldtr, idtr, tr;   /* 0x460 */
	uint8_t reserved1[0x4cb - 0x4a0];
	uint8_t cpl; /* 0x4cb */
	uint32_t reserved2;
	uint64_t efer; /* 0x4d0 */
	uint8_t reserved3[0x548 - 0x4d8];
	uint64_t cr4; /* 0x548 */
	uint64_t cr3;
	uint64_t cr0;
	uint64_t dr7;
	uint64_t dr6;
	uint64_t rflags;
	uint64_t rip; /* 0x578 */
	uint8_t reserved4[0x5d8 - 0x580];
	uint64_t rsp; /* 0x5d8 */
	uint8_t reserved5[0x5f8 - 0x5e0];
	uint64_t rax; /* 0x5f8 */
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t cr2; /* 0x640 */
	uint8_t reserved6[0x668 - 0x648];
	uint64_t g_pat; /* 0x668 */
	uint8_t reserved7[0x1000 - 0x670];
};

struct vmcb {
	struct vmcb_control ctl;
	struct vmcb_save save;
};
STATIC_ASSERT(sizeof(struct vmcb_control) == 0x400, "VMCB control area is 1 KiB");
STATIC_ASSERT(__builtin_offsetof(struct vmcb_save, cpl) == 0xcb, "VMCB CPL offset");
STATIC_ASSERT(__builtin_offsetof(struct vmcb_save, efer) == 0xd0, "VMCB EFER offset");
STATIC_ASSERT(__builtin_offsetof(struct vmcb_save, cr4) == 0x148, "VMCB CR4 offset");
STATIC_ASSERT(__builtin_offsetof(struct vmcb_save, rsp) == 0x1d8, "VMCB RSP offset");
STATIC_ASSERT(__builtin_offsetof(struct vmcb_save, rax) == 0x1f8, "VMCB RAX offset");
STATIC_ASSERT(__builtin_offsetof(struct vmcb_save, cr2) == 0x240, "VMCB CR2 offset");
STATIC_ASSERT(__builtin_offsetof(struct vmcb_save, g_pat) == 0x268, "VMCB G_PAT offset");
STATIC_ASSERT(sizeof(struct vmcb) == 4096, "VMCB is one page");

/* Debug-register intercepts (control area 0x004), APM Vol. 2 Table B-1:
 * bit n intercepts reads of DRn, bit 16 + n writes. */
#define INTERCEPT_DR_READ(n) BIT(n)
#define INTERCEPT_DR_WRITE(n) BIT(16 + (n))
#define INTERCEPT_DR0_3                                                         \
	(INTERCEPT_DR_READ(0) | INTERCEPT_DR_READ(1) | INTERCEPT_DR_READ(2) |   \
	 INTERCEPT_DR_READ(3) | INTERCEPT_DR_WRITE(0) | INTERCEPT_DR_WRITE(1) | \
	 INTERCEPT_DR_WRITE(2) | INTERCEPT_DR_WRITE(3))
/* Control-register intercepts (control area 0x000), APM Vol. 2 Table B-1:
 * bit n intercepts reads of CRn, bit 16 + n writes. */
#define INTERCEPT_CR_READ(n) BIT(n)
#define INTERCEPT_CR_WRITE(n) BIT(16 + (n))

/* Intercept vector 3 (control area 0x00c), APM Vol. 2 Table B-1. */
#define INTERCEPT1_INTR BIT(0)
#define INTERCEPT1_NMI BIT(1)
#define INTERCEPT1_SMI BIT(2)
#define INTERCEPT1_INIT BIT(3)
#define INTERCEPT1_VINTR BIT(4)
#define INTERCEPT1_IDTR_WRITE BIT(10)
#define INTERCEPT1_GDTR_WRITE BIT(11)
#define INTERCEPT1_RDPMC BIT(15)
#define INTERCEPT1_CPUID BIT(18)
#define INTERCEPT1_IRET BIT(20)
#define INTERCEPT1_INVD BIT(22)
#define INTERCEPT1_HLT BIT(24)
#define INTERCEPT1_INVLPGA BIT(26)
#define INTERCEPT1_IOIO BIT(27)
#define INTERCEPT1_MSR BIT(28)
#define INTERCEPT1_TASK_SWITCH BIT(29)
#define INTERCEPT1_SHUTDOWN BIT(31)
/* Intercept vector 4 (0x010). */
#define INTERCEPT2_VMRUN BIT(0)
#define INTERCEPT2_VMMCALL BIT(1)
#define INTERCEPT2_VMLOAD BIT(2)
#define INTERCEPT2_VMSAVE BIT(3)
#define INTERCEPT2_STGI BIT(4)
#define INTERCEPT2_CLGI BIT(5)
#define INTERCEPT2_SKINIT BIT(6)
#define INTERCEPT2_WBINVD BIT(9)
#define INTERCEPT2_MONITOR BIT(10)
#define INTERCEPT2_MWAIT BIT(11)
#define INTERCEPT2_XSETBV BIT(13)

/* int_ctl (0x060). */
#define INT_CTL_V_IRQ BIT(8)
#define INT_CTL_V_IGN_TPR BIT(20)
#define INT_CTL_V_INTR_MASKING BIT(24)
#define INT_CTL_V_INTR_PRIO_SHIFT 16
#define INT_CTL_V_INTR_PRIO_MASK (0xfULL << INT_CTL_V_INTR_PRIO_SHIFT)
#define INT_CTL_V_INTR_VECTOR_SHIFT 32
#define INT_CTL_V_INTR_VECTOR_MASK (0xffULL << INT_CTL_V_INTR_VECTOR_SHIFT)
#define INT_STATE_SHADOW BIT(0)

/* tlb_control (0x05c), APM Vol. 2 §15.16.1. */
#define TLB_CONTROL_NONE 0
#define TLB_CONTROL_FLUSH_ALL 1
#define TLB_CONTROL_FLUSH_ASID 3

/* EVENTINJ and EXITINTINFO (APM Vol. 2 §15.20). */
#define EVENT_VECTOR_MASK 0xffULL
#define EVENT_TYPE_SHIFT 8
#define EVENT_TYPE_MASK (7ULL << EVENT_TYPE_SHIFT)
#define EVENT_TYPE_INTR (0ULL << EVENT_TYPE_SHIFT) /* external or virtual interrupt */
#define EVENT_ERROR_VALID BIT(11)
#define EVENT_VALID BIT(31)
#define EVENT_ERROR_SHIFT 32

/* Exit codes (APM Vol. 2 Appendix C). */
#define SVM_EXIT_CR0_READ 0x000
#define SVM_EXIT_CR0_WRITE 0x010
#define SVM_EXIT_CR_LAST 0x01f    /* 0x000-0x01f: MOV from/to CR0-CR15 */
#define SVM_EXIT_CR_NUM_MASK 0xfu /* the CR number in those codes */
/* EXITINFO1 of a CR exit with decode assists (APM Vol. 2 §15.8.1). */
#define SVM_EXITINFO1_CR_MOV BIT(63) /* a MOV CR (not CLTS/LMSW/SMSW) */
#define SVM_EXITINFO1_CR_GPR 0xfULL  /* its GPR */
#define SVM_EXIT_DR0_READ 0x020      /* 0x020-0x02f: MOV from DR0-DR15 */
#define SVM_EXIT_DR0_WRITE 0x030     /* 0x030-0x03f: MOV to DR0-DR15 */
#define SVM_EXIT_DR_LAST 0x03f
#define SVM_EXIT_EXCP_BASE 0x040
#define SVM_EXIT_INTR 0x060
#define SVM_EXIT_NMI 0x061
#define SVM_EXIT_SMI 0x062
#define SVM_EXIT_INIT 0x063
#define SVM_EXIT_VINTR 0x064
#define SVM_EXIT_IDTR_WRITE 0x06a
#define SVM_EXIT_GDTR_WRITE 0x06b
#define SVM_EXIT_RDTSC 0x06e
#define SVM_EXIT_RDPMC 0x06f
#define SVM_EXIT_IRET 0x074
#define SVM_EXIT_CPUID 0x072
#define SVM_EXIT_INVD 0x076
#define SVM_EXIT_PAUSE 0x077
#define SVM_EXIT_HLT 0x078
#define SVM_EXIT_INVLPG 0x079
#define SVM_EXIT_INVLPGA 0x07a
#define SVM_EXIT_IOIO 0x07b
#define SVM_EXIT_MSR 0x07c
#define SVM_EXIT_TASK_SWITCH 0x07d
#define SVM_EXIT_SHUTDOWN 0x07f
#define SVM_EXIT_VMRUN 0x080
#define SVM_EXIT_VMMCALL 0x081
#define SVM_EXIT_VMLOAD 0x082
#define SVM_EXIT_VMSAVE 0x083
#define SVM_EXIT_STGI 0x084
#define SVM_EXIT_CLGI 0x085
#define SVM_EXIT_SKINIT 0x086
#define SVM_EXIT_RDTSCP 0x087
#define SVM_EXIT_WBINVD 0x089
#define SVM_EXIT_MONITOR 0x08a
#define SVM_EXIT_MWAIT 0x08b
#define SVM_EXIT_XSETBV 0x08d
#define SVM_EXIT_NPF 0x400
#define SVM_EXIT_INVALID 0xffffffffffffffffULL

/* IOIO EXITINFO1 (APM Vol. 2 §15.10.2, Figure 15-2). */
#define IOIO_TYPE_IN BIT(0)
#define IOIO_STR BIT(2)
#define IOIO_REP BIT(3)
#define IOIO_SZ8 BIT(4)
#define IOIO_SZ16 BIT(5)
#define IOIO_SZ32 BIT(6)
#define IOIO_SIZE_SHIFT 4 /* SZ8/SZ16/SZ32 >> 4: 1, 2, 4 */
#define IOIO_A16 BIT(7)
#define IOIO_A32 BIT(8)
#define IOIO_A64 BIT(9)
#define IOIO_SEG_SHIFT 10
#define IOIO_PORT_SHIFT 16

/* #NPF EXITINFO1 (APM Vol. 2 §15.25.6): a page-fault error code. */
#define NPF_PRESENT BIT(0)
#define NPF_WRITE BIT(1)
#define NPF_USER BIT(2)
#define NPF_RESERVED BIT(3)
#define NPF_FETCH BIT(4)

#endif
