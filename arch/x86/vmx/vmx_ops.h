/* SPDX-License-Identifier: BSD-2-Clause */
/* VMX instructions (SDM Vol. 3C chapter 32, "VMX Instruction Reference").
 * Each reports success per the conventions of §31.2: CF=1 is VMfailInvalid,
 * ZF=1 is VMfailValid; "setna" catches both. Hypervisor only. */
#ifndef BULKHEAD_ARCH_X86_VMX_VMX_OPS_H
#define BULKHEAD_ARCH_X86_VMX_VMX_OPS_H

#include "arch/x86/vmx/vmcs.h"
#include "core/types.h"

static inline bool vmxon(paddr_t region)
{
	uint8_t fail;
	__asm__ volatile("vmxon %1; setna %0" : "=q"(fail) : "m"(region) : "cc", "memory");
	return !fail;
}

static inline bool vmclear(paddr_t vmcs)
{
	uint8_t fail;
	__asm__ volatile("vmclear %1; setna %0" : "=q"(fail) : "m"(vmcs) : "cc", "memory");
	return !fail;
}

static inline bool vmptrld(paddr_t vmcs)
{
	uint8_t fail;
	__asm__ volatile("vmptrld %1; setna %0" : "=q"(fail) : "m"(vmcs) : "cc", "memory");
	return !fail;
}

/* Reads and writes of fields this backend knows exist in the current VMCS
 * cannot fail, so the hot path does not test the flags. */
static inline uint64_t vmread(uint64_t field)
{
	uint64_t v;
	__asm__ volatile("vmread %1, %0" : "=r"(v) : "r"(field) : "cc");
	return v;
}

static inline void vmwrite(uint64_t field, uint64_t v)
{
	__asm__ volatile("vmwrite %1, %0" : : "r"(field), "rm"(v) : "cc");
}

/* Checked write, for set-up where a wrong field must not pass silently. */
static inline bool vmwrite_checked(uint64_t field, uint64_t v)
{
	uint8_t fail;
	__asm__ volatile("vmwrite %2, %1; setna %0" : "=q"(fail) : "r"(field), "rm"(v) : "cc");
	return !fail;
}

struct invept_desc {
	uint64_t eptp;
	uint64_t reserved;
};

struct invvpid_desc {
	uint64_t vpid; /* bits 15:0; the rest must be zero */
	uint64_t gla;
};

static inline bool invept(uint64_t type, uint64_t eptp)
{
	struct invept_desc d = { eptp, 0 };
	uint8_t fail;
	__asm__ volatile("invept %1, %2; setna %0"
			 : "=q"(fail)
			 : "m"(d), "r"(type)
			 : "cc", "memory");
	return !fail;
}

static inline bool invvpid(uint64_t type, uint16_t vpid, uint64_t gla)
{
	struct invvpid_desc d = { vpid, gla };
	uint8_t fail;
	__asm__ volatile("invvpid %1, %2; setna %0"
			 : "=q"(fail)
			 : "m"(d), "r"(type)
			 : "cc", "memory");
	return !fail;
}

#endif
