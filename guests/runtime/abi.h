/* SPDX-License-Identifier: BSD-2-Clause */
/* The assembler reads this file too: clang-format would break its .S lines. */
/* clang-format off */
/* Constants the test guests share with the hypervisor and the hardware.
 *
 * Usable from C and from assembly (.S files are run through the C
 * preprocessor). The hypercall numbers and CPUID leaves follow
 * docs/hypercall-abi.md; the guests keep their own copy on purpose: they are
 * separate programs and test that document, not the hypervisor's headers. */
#ifndef BULKHEAD_GUEST_ABI_H
#define BULKHEAD_GUEST_ABI_H

/* Hypercall numbers (docs/hypercall-abi.md, "Calls"). */
#define HC_VERSION 0
#define HC_CONSOLE_WRITE 1
#define HC_PARTITION_STOP 2
#define HC_PARTITION_RESTART 3
#define HC_YIELD 4
#define HC_TIME_NS 5
#define HC_PRINT_STATS 6
#define HC_PARTITION_BOOTS 7

/* Hypercall errors (docs/hypercall-abi.md, "Calling convention"). */
#define HC_ENOSYS (-1)
#define HC_EINVAL (-2)
#define HC_EFAULT (-3)
#define HC_EPERM (-4)

#define HC_ABI_VERSION 0x00010000
#define HC_CONSOLE_MAX 4096

/* Hypervisor CPUID leaves (docs/hypercall-abi.md, "Detecting Bulkhead"). */
#define CPUID_HV_BASE 0x40000000
#define CPUID_HV_ABI 0x40000001
#define CPUID_HV_TIMING 0x40000010
/* "BulkheadHV\0\0" as EBX, ECX, EDX. */
#define BULKHEAD_SIG_EBX 0x6b6c7542 /* "Bulk" */
#define BULKHEAD_SIG_ECX 0x64616568 /* "head" */
#define BULKHEAD_SIG_EDX 0x00005648 /* "HV\0\0" */

/* CPUID vendor strings as EBX, EDX, ECX (SDM Vol. 2A CPUID leaf 0). */
#define VENDOR_INTEL_EBX 0x756e6547 /* "Genu" */
#define VENDOR_INTEL_EDX 0x49656e69 /* "ineI" */
#define VENDOR_INTEL_ECX 0x6c65746e /* "ntel" */
#define VENDOR_AMD_EBX 0x68747541   /* "Auth" */
#define VENDOR_AMD_EDX 0x69746e65   /* "enti" */
#define VENDOR_AMD_ECX 0x444d4163   /* "cAMD" */
#define VENDOR_HYGON_EBX 0x6f677948 /* "Hygo": AMD-derived, uses VMMCALL */

/* CPUID feature bits. */
#define CPUID1_ECX_VMX (1u << 5)          /* SDM Vol. 2A Table 3-10 */
#define CPUID1_ECX_HYPERVISOR (1u << 31)  /* reserved for hypervisors */
#define CPUID_EXT1_ECX_SVM (1u << 2)      /* APM Vol. 3 App. E.4.2 */

/* COM1, a 16550 UART (PC16550D datasheet: THR at +0, LSR at +5). */
#define COM1_BASE 0x3F8
#define UART_THR 0
#define UART_LSR 5
#define UART_LSR_THRE 0x20 /* transmit holding register empty */

/* QEMU isa-debug-exit, used only when no hypervisor is present (bare-machine
 * smoke runs): the value v written makes QEMU exit with (v << 1) | 1. */
#define BARE_EXIT_PORT 0xF4

/* Exception vectors (SDM Vol. 3A Table 6-1). */
#define VEC_DE 0
#define VEC_DB 1
#define VEC_BP 3
#define VEC_UD 6
#define VEC_DF 8
#define VEC_NP 11
#define VEC_SS 12
#define VEC_GP 13
#define VEC_PF 14

/* Control-register bits (SDM Vol. 3A §2.5). */
#define CR0_PE (1u << 0)
#define CR0_PG (1u << 31)
#define CR4_PAE (1u << 5)
#define CR4_VMXE (1u << 13)

/* MSRs (SDM Vol. 4; APM Vol. 2 App. A). */
#define MSR_IA32_TSC 0x10
#define MSR_IA32_FEATURE_CONTROL 0x3A
#define MSR_IA32_PAT 0x277
#define MSR_IA32_VMX_BASIC 0x480
#define MSR_EFER 0xC0000080
#define MSR_LSTAR 0xC0000082
#define MSR_KERNEL_GS_BASE 0xC0000102
#define MSR_VM_CR 0xC0010114
#define MSR_VM_HSAVE_PA 0xC0010117
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)
#define EFER_SVME (1u << 12)

/* The runtime's GDT (guests/runtime/gdt.S). */
#define SEL_CODE32 0x08
#define SEL_DATA 0x10
#define SEL_CODE64 0x18
#define SEL_NOT_PRESENT 0x20 /* a data segment with P = 0: loading it is #NP */
#define GDT_ENTRIES 5
#define SEL_BEYOND_GDT 0x38  /* past the GDT limit: loading it is #GP(0x38) */

/* The user-mode GDT (guests/runtime/user.c, 64-bit guests only): the
 * runtime's five entries, then CPL 3 data and 64-bit code and a 64-bit TSS
 * (16 bytes). Loaded only by guests that call rt_user_call(). */
#define SEL_USER_DATA 0x28
#define SEL_USER_CODE64 0x30
#define SEL_TSS 0x38
#define USER_GDT_ENTRIES 9  /* the TSS descriptor takes two slots */
#define USER_RPL 3
/* The interrupt gate user mode returns through (DPL 3, SDM Vol. 3A §6.12.1.1:
 * INT n from CPL 3 needs a gate with DPL 3). */
#define RT_USER_RETURN_VECTOR 0x81

/* Multiboot 1 (Multiboot 0.6.96 §3.1, §3.2): only for bare-machine smoke
 * builds of the guests (guests/smoke/). */
#define MB1_MAGIC 0x1BADB002
#define MB1_BOOT_MAGIC 0x2BADB002
#define MB1_F_ADDRESSES (1 << 16)

#endif
