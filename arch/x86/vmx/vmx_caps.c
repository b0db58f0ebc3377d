/* SPDX-License-Identifier: BSD-2-Clause */
/* VMX capability probe (SDM Vol. 3C §24.6-§24.7, Vol. 3D Appendix A): is VMX
 * there and enabled, and which of the features this backend relies on (EPT,
 * unrestricted guest, VPID, ...) does the CPU offer. Also computes the
 * control values every vCPU starts with and builds the shared I/O and MSR
 * bitmaps. */
#include "arch/x86/cpu/cpu.h"
#include "arch/x86/cpu/features.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_internal.h"
#include "core/lib/string.h"
#include "core/log.h"
#include "core/mm/frame.h"

/* MSR bitmap layout (SDM Vol. 3C §25.6.9): four 1 KiB bitmaps. */
#define MSR_BITMAP_READ_LOW 0
#define MSR_BITMAP_READ_HIGH 1024
#define MSR_BITMAP_WRITE_LOW 2048
#define MSR_BITMAP_WRITE_HIGH 3072
#define MSR_LOW_LAST 0x1fffu
#define MSR_HIGH_FIRST 0xc0000000u
#define MSR_HIGH_LAST 0xc0001fffu

struct vmx_hw vmx_hw;

/* MSRs a guest reads and writes without an exit: the VMCS switches the
 * SYSENTER MSRs and FS/GS base (§25.4.2), vmx.c switches the rest lazily
 * between vCPUs. Everything else exits to core/msr.c. */
static const uint32_t msr_passthrough[] = {
	MSR_FS_BASE,
	MSR_GS_BASE,
	MSR_KERNEL_GS_BASE,
	MSR_IA32_SYSENTER_CS,
	MSR_IA32_SYSENTER_ESP,
	MSR_IA32_SYSENTER_EIP,
	MSR_STAR,
	MSR_LSTAR,
	MSR_CSTAR,
	MSR_SFMASK,
};

static void msr_bitmap_allow(uint8_t *bm, uint32_t msr)
{
	uint32_t rd, wr;

	if (msr <= MSR_LOW_LAST) {
		rd = MSR_BITMAP_READ_LOW, wr = MSR_BITMAP_WRITE_LOW;
	} else if (msr >= MSR_HIGH_FIRST && msr <= MSR_HIGH_LAST) {
		rd = MSR_BITMAP_READ_HIGH, wr = MSR_BITMAP_WRITE_HIGH;
		msr -= MSR_HIGH_FIRST;
	} else {
		return; /* outside both ranges every access exits anyway */
	}
	bm[rd + msr / 8] &= (uint8_t) ~(1u << (msr % 8));
	bm[wr + msr / 8] &= (uint8_t) ~(1u << (msr % 8));
}

static bool build_bitmaps(struct vmx_hw *hw)
{
	hw->io_bitmap_a = frame_alloc_zeroed();
	hw->io_bitmap_b = frame_alloc_zeroed();
	hw->msr_bitmap = frame_alloc_zeroed();
	if (!hw->io_bitmap_a || !hw->io_bitmap_b || !hw->msr_bitmap)
		return false;
	/* A set bit makes the access exit (§25.6.4): every port exits. */
	bh_memset(phys_to_virt(hw->io_bitmap_a), 0xff, PAGE_SIZE);
	bh_memset(phys_to_virt(hw->io_bitmap_b), 0xff, PAGE_SIZE);
	bh_memset(phys_to_virt(hw->msr_bitmap), 0xff, PAGE_SIZE);
	for (unsigned int i = 0; i < ARRAY_SIZE(msr_passthrough); i++)
		msr_bitmap_allow(phys_to_virt(hw->msr_bitmap), msr_passthrough[i]);
	if (hw->switch_tsc_aux)
		msr_bitmap_allow(phys_to_virt(hw->msr_bitmap), MSR_TSC_AUX);
	return true;
}

/* The controls every vCPU runs with; `need` bits are what this backend
 * cannot work without. Returns the reason if something is missing. */
static const char *compute_controls(struct vmx_hw *hw)
{
	uint32_t proc2_want = PROC2_RDTSCP | PROC2_INVPCID | PROC2_WBINVD_EXITING;

	/* Virtual NMIs (SDM Vol. 3C §25.3, §26.7.1): with NMI exiting on, IRET
	 * no longer unblocks NMIs, so a guest's NMI handler would block the
	 * guest's NMIs for good; with virtual NMIs the CPU tracks the guest's
	 * blocking and NMI-window exiting (§26.7.6) says when it ends. */
	if (!vmx_adjust_controls(hw->pin_cap, PIN_VIRTUAL_NMIS,
				 PIN_EXTINT_EXITING | PIN_NMI_EXITING, &hw->pin))
		return "no external-interrupt or NMI exiting";
	hw->guest_nmis = (hw->pin & PIN_VIRTUAL_NMIS) &&
			 ((uint32_t)(hw->proc_cap >> 32) & PROC_NMI_WINDOW_EXITING);
	/* CR8 exits keep the host APIC's TPR out of the guest's hands; MONITOR
	 * and MWAIT exit so they #UD instead of sleeping on host memory; RDPMC
	 * exits so it is #GP with no PMU offered (Bochs reads its counters). */
	if (!vmx_adjust_controls(hw->proc_cap,
				 PROC_MWAIT_EXITING | PROC_MONITOR_EXITING | PROC_RDPMC_EXITING,
				 PROC_HLT_EXITING | PROC_USE_IO_BITMAPS | PROC_USE_MSR_BITMAPS |
						 PROC_SECONDARY_CONTROLS | PROC_CR8_LOAD_EXITING |
						 PROC_CR8_STORE_EXITING,
				 &hw->proc))
		return "no HLT/CR8 exiting, I/O or MSR bitmaps or secondary controls";
	/* RDTSC, INVLPG, CR3 and MOV-DR exits are not asked for; CPUs without
	 * true controls may still force CR3 exits on (Appendix A.3.2), which
	 * vmx.c then emulates. */
	if (hw->vpid)
		proc2_want |= PROC2_VPID;
	if (!vmx_adjust_controls(hw->proc2_cap, proc2_want, PROC2_EPT | PROC2_UNRESTRICTED_GUEST,
				 &hw->proc2))
		return "no EPT or unrestricted guest";
	if (!vmx_adjust_controls(hw->exit_cap, EXIT_SAVE_DEBUG_CONTROLS,
				 EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_EFER | EXIT_LOAD_EFER |
						 EXIT_SAVE_PAT | EXIT_LOAD_PAT,
				 &hw->exit))
		return "no 64-bit host or IA32_EFER/IA32_PAT switching on VM exit";
	/* "Acknowledge interrupt on exit" stays 0: a host interrupt that made
	 * the guest exit stays pending in the APIC for the host's IDT. */
	if (!vmx_adjust_controls(hw->entry_cap, ENTRY_LOAD_DEBUG_CONTROLS,
				 ENTRY_LOAD_EFER | ENTRY_LOAD_PAT, &hw->entry))
		return "no IA32_EFER/IA32_PAT loading on VM entry";
	return NULL;
}

static void read_capability_msrs(struct vmx_hw *hw)
{
	bool true_ctls;

	hw->basic = rdmsr(MSR_IA32_VMX_BASIC);
	hw->revision = (uint32_t)(hw->basic & VMX_BASIC_REVISION_MASK);
	true_ctls = hw->basic & VMX_BASIC_TRUE_CTLS;
	hw->pin_cap = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS);
	hw->proc_cap = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS
				       : MSR_IA32_VMX_PROCBASED_CTLS);
	hw->exit_cap = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS);
	hw->entry_cap = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS);
	hw->misc = rdmsr(MSR_IA32_VMX_MISC);
	hw->fixed.cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	hw->fixed.cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	hw->fixed.cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	hw->fixed.cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	hw->fixed.phys_bits = boot_cpu.phys_addr_bits ? boot_cpu.phys_addr_bits : 36;
	/* The secondary controls and EPT/VPID capabilities exist only if the
	 * primary controls can activate them (Appendix A.3.3, A.10). */
	if ((hw->proc_cap >> 32) & PROC_SECONDARY_CONTROLS) {
		hw->proc2_cap = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
		if ((hw->proc2_cap >> 32) & (PROC2_EPT | PROC2_VPID))
			hw->ept_vpid_cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	}
}

static void fill_caps(struct vmx_hw *hw, struct virt_caps *c)
{
	uint32_t proc2_may = (uint32_t)(hw->proc2_cap >> 32);
	uint64_t ev = hw->ept_vpid_cap;

	c->revision = hw->revision;
	c->stage2 = (proc2_may & PROC2_EPT) && (ev & EPT_CAP_WALK4) && (ev & EPT_CAP_MEMTYPE_WB) &&
		    (ev & EPT_CAP_INVEPT) && (ev & (EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL));
	hw->vpid = (proc2_may & PROC2_VPID) && (ev & VPID_CAP_INVVPID) &&
		   (ev & (VPID_CAP_INVVPID_SINGLE | VPID_CAP_INVVPID_ALL));
	c->tagged_tlb = hw->vpid;
	c->nr_tags = hw->vpid ? VPID_MAX : 0;
	c->unrestricted_guest = proc2_may & PROC2_UNRESTRICTED_GUEST;
	c->stage2_2m = ev & EPT_CAP_2M;
	c->stage2_1g = ev & EPT_CAP_1G;
	c->next_rip = true; /* the VM-exit instruction-length field */
	c->decode_assists = false;
	hw->preempt_timer = ((hw->pin_cap >> 32) & PIN_PREEMPT_TIMER) &&
			    ((hw->exit_cap >> 32) & EXIT_SAVE_PREEMPT_TIMER);
	hw->preempt_rate = VMX_MISC_PREEMPT_RATE(hw->misc);
	c->preempt_timer = hw->preempt_timer;
	c->flush_by_asid = hw->vpid;
	c->pause_filter = proc2_may & PROC2_PAUSE_LOOP_EXITING;
}

static const char *why_unusable(struct vmx_hw *hw, const struct virt_caps *c)
{
	uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	const char *err;

	/* Locked with VMX off: only a firmware change helps (§24.7). Unlocked:
	 * cpu_enable sets and locks it. */
	if ((fc & FEATURE_CONTROL_LOCK) && !(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX))
		return "IA32_FEATURE_CONTROL locked with VMX off (enable VT-x in the firmware)";
	if (VMX_BASIC_REGION_SIZE(hw->basic) > PAGE_SIZE)
		return "VMCS region larger than 4 KiB";
	if (hw->basic & VMX_BASIC_32BIT_ADDR)
		return "VMX structures limited to 32-bit physical addresses";
	if (VMX_BASIC_MEMTYPE(hw->basic) != VMX_MEMTYPE_WB)
		return "VMCS memory type is not write-back";
	if (!c->unrestricted_guest)
		return "no unrestricted guest (IA32_VMX_PROCBASED_CTLS2 bit 7)";
	if (!c->stage2)
		return "no usable EPT (4-level walk, write-back, INVEPT)";
	if ((err = compute_controls(hw)))
		return err;
	return NULL;
}

void vmx_probe(struct virt_caps *c)
{
	struct vmx_hw *hw = &vmx_hw;
	const char *why;

	bh_memset(c, 0, sizeof(*c));
	bh_memset(hw, 0, sizeof(*hw));
	c->tech = "VMX";
	c->present = cpuid(1, 0).ecx & CPUID1_ECX_VMX;
	if (!c->present) {
		c->why_not = "CPUID.1:ECX.VMX is clear";
		return;
	}
	read_capability_msrs(hw);
	fill_caps(hw, c);
	why = why_unusable(hw, c);
	if (!why) {
		hw->fixed.unrestricted = true;
		hw->switch_tsc_aux = boot_cpu.has_tsc_aux;
		c->tsc_aux = hw->switch_tsc_aux; /* passed through, switched with the vCPU */
		hw->cr0_mask = vmx_cr0_host_mask(&hw->fixed);
		hw->cr4_mask = vmx_cr4_host_mask(&hw->fixed);
		/* For core's CR policy (core/cr_policy.h). */
		c->cr4_forbidden = vmx_cr4_guest_forbidden(&hw->fixed);
		c->phys_bits = hw->fixed.phys_bits;
		if (!build_bitmaps(hw))
			why = "out of memory for the I/O and MSR bitmaps";
	}
	if (why) {
		c->why_not = why;
		return;
	}
	c->usable = true;
	hw->caps = *c;
	pr_debug("vmx: revision %#x, controls pin %#x proc %#x proc2 %#x exit %#x entry %#x",
		 hw->revision, hw->pin, hw->proc, hw->proc2, hw->exit, hw->entry);
}
