/* SPDX-License-Identifier: BSD-2-Clause */
/* Guest page-table walker: guest-linear -> guest-physical, in software.
 *
 * Needed because QEMU TCG's SVM has no decode assists: on a nested-page fault
 * we only learn the GPA, so the MMIO emulator must fetch the instruction from
 * guest-linear CS.base+RIP and check that the operand it decodes translates
 * to that GPA (the same code serves VMX EPT violations).
 *
 * Paging modes (Intel SDM Vol. 3A §4.1.1, Table 4-1): none (CR0.PG=0),
 * 32-bit 2-level with 4 MiB PSE pages (§4.3), PAE 3-level (§4.4), 4-level and
 * 5-level with CR4.LA57 (§4.5), with 2 MiB and 1 GiB pages. Access rights per
 * §4.6 (U/S, R/W with CR0.WP, NX with EFER.NXE, SMEP, SMAP with RFLAGS.AC).
 * A refused access yields the #PF error code the CPU would push (§4.7).
 *
 * Page-table entries are read only through core/gmem.h: an entry outside
 * guest RAM makes the walk fail (GW_BAD_TABLE), it is never dereferenced.
 *
 * Not modelled (documented limits): protection keys (CR4.PKE; the CPUID
 * policy hides PKU), the PDPTE registers PAE loads at MOV CR3 (we re-read
 * the PDPT from memory), the A20 gate, and setting A/D bits is done only
 * after a complete successful walk (GW_ACC_SET_AD) rather than level by
 * level. Pure code. */
#ifndef BULKHEAD_CORE_EMUL_GUEST_WALK_H
#define BULKHEAD_CORE_EMUL_GUEST_WALK_H

#include "core/gmem.h"
#include "core/types.h"
#include "core/vcpu.h"

/* Control-register, EFER and RFLAGS bits the walker reads (SDM Vol. 3A §2.5,
 * §2.2.1, §2.3). GW_ prefix: arch/x86/cpu/cpu.h has the unprefixed names. */
#define GW_CR0_PE BIT(0)
#define GW_CR0_WP BIT(16)
#define GW_CR0_PG BIT(31)
#define GW_CR4_PSE BIT(4)
#define GW_CR4_PAE BIT(5)
#define GW_CR4_LA57 BIT(12)
#define GW_CR4_SMEP BIT(20)
#define GW_CR4_SMAP BIT(21)
#define GW_EFER_LMA BIT(10)
#define GW_EFER_NXE BIT(11)
#define GW_RFLAGS_VM BIT(17)
#define GW_RFLAGS_AC BIT(18)

/* Paging-structure entry bits (SDM Vol. 3A Tables 4-4 .. 4-20). */
#define GW_PTE_P BIT(0)
#define GW_PTE_RW BIT(1)
#define GW_PTE_US BIT(2)
#define GW_PTE_A BIT(5)
#define GW_PTE_D BIT(6)
#define GW_PTE_PS BIT(7)
#define GW_PTE_XD BIT(63)

/* #PF error code bits (SDM Vol. 3A §4.7, Figure 4-12). */
#define GW_PFEC_P BIT(0)    /* 0: not present; 1: protection violation */
#define GW_PFEC_WR BIT(1)   /* the access was a write */
#define GW_PFEC_US BIT(2)   /* the access was a user-mode access */
#define GW_PFEC_RSVD BIT(3) /* a reserved bit was set in an entry */
#define GW_PFEC_ID BIT(4)   /* instruction fetch (with NXE+PAE or SMEP only) */

/* Widest physical address x86 defines (SDM Vol. 3A §4.1.4): the default when
 * the caller does not know the guest's CPUID.80000008H:EAX[7:0]. */
#define GW_MAXPHYADDR_ARCH 52

/* What the walk is for. User/supervisor comes from the CPL in the context. */
#define GW_ACC_WRITE BIT(0)
#define GW_ACC_FETCH BIT(1)
#define GW_ACC_SET_AD BIT(2) /* on success set A (and D for writes) like the CPU */

struct guest_walk_ctx {
	uint64_t cr0, cr3, cr4, efer;
	uint64_t rflags;    /* AC for SMAP */
	uint8_t cpl;        /* 0-3 */
	uint8_t maxphyaddr; /* guest physical-address width; 0 = GW_MAXPHYADDR_ARCH */
};

enum gw_status {
	GW_OK = 0,
	GW_PAGE_FAULT,   /* the CPU would raise #PF: see fault */
	GW_NONCANONICAL, /* long mode, address not canonical: the CPU raises #GP(0) */
	GW_BAD_TABLE,    /* a paging-structure entry lies outside guest RAM */
};

enum gw_mode {
	GW_MODE_NONE,  /* paging off: linear == physical (32-bit) */
	GW_MODE_32,    /* 2-level, 4 KiB / 4 MiB pages */
	GW_MODE_PAE,   /* 3-level */
	GW_MODE_LONG4, /* 4-level */
	GW_MODE_LONG5, /* 5-level (CR4.LA57) */
};

struct gw_result {
	gpa_t gpa;           /* GW_OK: the translation of gla */
	uint64_t page_size;  /* GW_OK: size of the mapping that holds gla */
	uint32_t error_code; /* GW_PAGE_FAULT: #PF error code to inject */
	uint64_t fault_addr; /* GW_PAGE_FAULT/NONCANONICAL: the linear address (CR2) */
	gpa_t bad_table_gpa; /* GW_BAD_TABLE: where the entry would have been */
	uint8_t level;       /* level (1 = PTE) where the walk stopped */
};

/* Build the walker context from the vCPU's segment/control state. The CPL is
 * 0 with CR0.PE clear, 3 in virtual-8086 mode and SS.DPL otherwise (SDM Vol.
 * 3C §24.4.1: SS.DPL always equals the CPL; CS.DPL does not for conforming
 * code). The SVM backend must therefore report the VMCB CPL field as SS's
 * DPL in get_sregs, as the VMCB SS attributes need not carry it. */
void guest_walk_ctx_from_sregs(struct guest_walk_ctx *ctx, const struct vcpu_sregs *s,
			       uint64_t rflags);

enum gw_mode guest_walk_mode(const struct guest_walk_ctx *ctx);

/* Translate gla for an access of kind acc (GW_ACC_*). Returns enum gw_status;
 * res is always filled. Never touches memory outside the gmem regions. */
enum gw_status guest_walk(const struct guest_walk_ctx *ctx, const struct gmem *mem, uint64_t gla,
			  unsigned int acc, struct gw_result *res);

const char *gw_status_name(enum gw_status st);

#endif
