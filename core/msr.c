/* SPDX-License-Identifier: BSD-2-Clause */
/* Guest MSR accesses that exit (the backends let the harmless ones through
 * their MSR bitmaps). Known MSRs are emulated; anything else raises #GP in
 * the guest and is logged once per partition. */
#include "arch/x86/cpu/cpu.h"
#include "arch/x86/cpu/features.h"
#include "core/exits.h"
#include "core/log.h"
#include "core/msr_policy.h"
#include "core/partition.h"
#include "core/percpu.h"
#include "core/platform.h"

#define MSR_PLATFORM_ID 0x17
#define MSR_IA32_TSC_ADJUST 0x3b /* CPUID.7.EBX[1]; guests see 0 and may only write 0 */
#define MSR_EBL_CR_POWERON 0x2a
#define MSR_BIOS_SIGN_ID 0x8b
#define MSR_MTRRCAP 0xfe
#define MSR_MCG_CAP 0x179
#define MSR_MCG_STATUS 0x17a
#define MSR_MTRR_FIRST 0x200
#define MSR_MTRR_LAST 0x2ff
#define MSR_TSC_DEADLINE 0x6e0
#define MSR_AMD_HWCR 0xc0010015
#define MSR_AMD_SYSCFG 0xc0010010
#define MSR_AMD_DE_CFG 0xc0011029          /* Linux sets LFENCE-serialising here */
#define MSR_AMD_INT_PENDING_MSG 0xc0010055 /* read by Linux's AMD E400 idle code */
#define MSR_AMD_PATCH_LEVEL 0x8b
/* The legacy AMD performance counters, PerfEvtSel0-3 then PerfCtr0-3 (APM
 * Vol. 2 §13.2.1), exist on every AMD64 CPU, so guests probe them without
 * asking CPUID. No PMU is virtualised: they read 0 and ignore writes, as
 * under KVM without a PMU (Linux then says "PMU not available due to
 * virtualization" and uses software events). */
#define MSR_AMD_PERF_FIRST 0xc0010000
#define MSR_AMD_PERF_LAST 0xc0010007

#define APIC_BASE_DEFAULT 0xfee00000ULL
#define APIC_BASE_BSP BIT(8)
#define APIC_BASE_ENABLE BIT(11)
#define FEATURE_CONTROL_LOCKED BIT(0)
#define VM_CR_SVMDIS BIT(4)
#define VM_CR_LOCK BIT(3)
/* EFER bits a guest may set (SDM Vol. 3A §2.2.1; SVME is refused). */
#define EFER_GUEST_ALLOWED (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)
/* Valid PAT memory types per byte: 0, 1, 4, 5, 6, 7 (SDM Vol. 3A §11.12.2). */
#define PAT_TYPE_VALID_MASK 0xf3u

static bool pat_valid(uint64_t v)
{
	for (unsigned int i = 0; i < 8; i++) {
		uint8_t t = (uint8_t)(v >> (8 * i));
		if (t > 7 || !(PAT_TYPE_VALID_MASK & (1u << t)))
			return false;
	}
	return true;
}

/* IA32_SPEC_CTRL, IA32_PRED_CMD, IA32_ARCH_CAPABILITIES, IA32_FLUSH_CMD
 * (core/msr_policy.h). A guest whose CPUID does not show one gets #GP, as
 * on a CPU without it. True if index is one of them; *ok says whether the
 * access succeeds. */
static bool spec_msr_read(struct vcpu *v, uint32_t index, uint64_t *val, bool *ok)
{
	const struct cpuid_table *t = &v->part->cpuid;
	switch (index) {
	case MSR_IA32_SPEC_CTRL:
		*ok = msr_guest_has_spec_ctrl(t);
		*val = v->spec_ctrl;
		return true;
	case MSR_IA32_ARCH_CAPABILITIES:
		*ok = msr_guest_has_arch_caps(t);
		*val = msr_arch_caps_for_guest(boot_cpu.arch_capabilities);
		return true;
	case MSR_IA32_PRED_CMD:
	case MSR_IA32_FLUSH_CMD:
		*ok = false; /* write-only */
		return true;
	default:
		return false;
	}
}

/* A command MSR: a set bit is carried out on this CPU (an IBPB or an L1D
 * flush protects the guest from what ran here before; it can do the host
 * no harm), 0 does nothing, any other bit is #GP. */
static bool command_msr(uint32_t index, bool offered, uint64_t valid, uint64_t val)
{
	if (!offered || (val & ~valid))
		return false;
	if (val)
		wrmsr(index, val);
	return true;
}

static bool spec_msr_write(struct vcpu *v, uint32_t index, uint64_t val, bool *ok)
{
	const struct cpuid_table *t = &v->part->cpuid;
	switch (index) {
	case MSR_IA32_SPEC_CTRL:
		*ok = msr_guest_has_spec_ctrl(t) && !(val & ~msr_spec_ctrl_writable(t));
		if (*ok) {
			v->spec_ctrl = val;
			this_cpu()->spec_ctrl = val;
			wrmsr(MSR_IA32_SPEC_CTRL, val);
		}
		return true;
	case MSR_IA32_PRED_CMD:
		*ok = command_msr(index, msr_guest_has_pred_cmd(t), PRED_CMD_IBPB, val);
		return true;
	case MSR_IA32_FLUSH_CMD:
		*ok = command_msr(index, msr_guest_has_flush_cmd(t), FLUSH_CMD_L1D, val);
		return true;
	case MSR_IA32_ARCH_CAPABILITIES:
		*ok = false; /* read-only */
		return true;
	default:
		return false;
	}
}

/* An MSR holding a linear address whose writes the backend intercepts
 * (SVM: the guest's are in the VMCB; VMX lets them through and the CPU
 * checks them). A non-canonical value is #GP (core/msr_policy.h). */
static bool address_msr_write(struct vcpu *v, uint32_t index, uint64_t val)
{
	if (!addr_is_canonical(val, msr_guest_la_bits(&v->part->cpuid)))
		return false;
	return vcpu_backend->write_guest_msr && vcpu_backend->write_guest_msr(v, index, val);
}

bool msr_is_known(uint32_t index)
{
	return index == MSR_IA32_SPEC_CTRL || index == MSR_IA32_PRED_CMD ||
	       index == MSR_IA32_ARCH_CAPABILITIES || index == MSR_IA32_FLUSH_CMD ||
	       msr_holds_address(index);
}

bool msr_read(struct vcpu *v, uint32_t index, uint64_t *val)
{
	struct vcpu_sregs s;
	bool gp, ok;

	if (platform_msr(v, index, false, val, &gp))
		return !gp;
	if (spec_msr_read(v, index, val, &ok))
		return ok;

	switch (index) {
	case MSR_EFER:
		vcpu_backend->get_sregs(v, &s);
		*val = s.efer;
		return true;
	case MSR_IA32_PAT:
		vcpu_backend->get_sregs(v, &s);
		*val = s.pat;
		return true;
	case MSR_IA32_TSC:
		*val = rdtsc();
		return true;
	case MSR_IA32_APIC_BASE:
		*val = APIC_BASE_DEFAULT | APIC_BASE_ENABLE | (v->id == 0 ? APIC_BASE_BSP : 0);
		return true;
	case MSR_IA32_FEATURE_CONTROL:
		*val = FEATURE_CONTROL_LOCKED; /* locked with VMX off */
		return true;
	case MSR_VM_CR:
		*val = VM_CR_SVMDIS | VM_CR_LOCK;
		return true;
	case MSR_IA32_MISC_ENABLE:
		*val = msr_misc_enable_value(msr_guest_has_pmu(&v->part->cpuid));
		return true;
	case MSR_PLATFORM_ID:
	case MSR_IA32_TSC_ADJUST:
	case MSR_EBL_CR_POWERON:
	case MSR_BIOS_SIGN_ID:
	case MSR_MTRRCAP:
	case MSR_MCG_CAP:
	case MSR_MCG_STATUS:
	case MSR_AMD_HWCR:
	case MSR_AMD_SYSCFG:
	case MSR_AMD_INT_PENDING_MSG:
	case MSR_AMD_DE_CFG:
		*val = 0;
		return true;
	default:
		if (index >= MSR_MTRR_FIRST && index <= MSR_MTRR_LAST) {
			*val = 0; /* MTRRs disabled: the hypervisor owns memory types */
			return true;
		}
		if (index >= MSR_AMD_PERF_FIRST && index <= MSR_AMD_PERF_LAST) {
			*val = 0;
			return true;
		}
		return false;
	}
}

bool msr_write(struct vcpu *v, uint32_t index, uint64_t val)
{
	struct vcpu_sregs s;
	bool gp, ok;

	if (platform_msr(v, index, true, &val, &gp))
		return !gp;
	if (spec_msr_write(v, index, val, &ok))
		return ok;
	if (msr_holds_address(index))
		return address_msr_write(v, index, val);

	switch (index) {
	case MSR_EFER:
		if (val & ~EFER_GUEST_ALLOWED)
			return false;
		vcpu_backend->get_sregs(v, &s);
		if (!efer_write_ok(s.efer, val, s.cr0))
			return false;
		/* LMA is the CPU's to set: keep the current value. */
		s.efer = (val & ~EFER_LMA) | (s.efer & EFER_LMA);
		vcpu_backend->set_sregs(v, &s);
		return true;
	case MSR_IA32_PAT:
		if (!pat_valid(val))
			return false;
		vcpu_backend->get_sregs(v, &s);
		s.pat = val;
		vcpu_backend->set_sregs(v, &s);
		return true;
	case MSR_IA32_TSC_ADJUST:
		return val == 0; /* an offset would need per-vCPU TSC offsetting: refuse */
	case MSR_IA32_MISC_ENABLE:
		return msr_misc_enable_write_ok(msr_misc_enable_value(
								msr_guest_has_pmu(&v->part->cpuid)),
						val);
	case MSR_IA32_APIC_BASE:
	case MSR_AMD_HWCR: /* Linux sets bits such as TscFreqSel: nothing to do */
	case MSR_AMD_DE_CFG:
	case MSR_BIOS_SIGN_ID:
	case MSR_MCG_STATUS:
	case MSR_IA32_TSC:
		return true; /* accepted and ignored */
	default:
		if (index >= MSR_MTRR_FIRST && index <= MSR_MTRR_LAST)
			return true;
		if (index >= MSR_AMD_PERF_FIRST && index <= MSR_AMD_PERF_LAST)
			return true; /* counters that do not count */
		return false;        /* incl. FEATURE_CONTROL and VM_CR: #GP */
	}
}
