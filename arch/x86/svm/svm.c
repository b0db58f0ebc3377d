/* SPDX-License-Identifier: BSD-2-Clause */
/* The AMD SVM backend (AMD APM Vol. 2, chapter 15): per-CPU enable, VMCB
 * set-up, the run loop step, event injection and nested paging. */
#include "arch/x86/cpu/cpu.h"
#include "arch/x86/cpu/features.h"
#include "arch/x86/svm/npt.h"
#include "arch/x86/svm/svm_decode.h"
#include "arch/x86/svm/svm_offsets.h"
#include "arch/x86/svm/vmcb.h"
#include "core/exc_reflect.h"
#include "core/exit_fast.h"
#include "core/exits.h"
#include "core/hv.h"
#include "core/lib/format.h"
#include "core/lib/string.h"
#include "core/log.h"
#include "core/mm/frame.h"
#include "core/mm/heap.h"
#include "core/partition.h"
#include "core/percpu.h"
#include "core/spinlock.h"
#include "core/tlb_tag.h"
#include "core/vcpu.h"

/* CPUID 8000_000Ah EDX feature bits (APM Vol. 3, Appendix E.4.9). */
#define SVM_FEAT_NP BIT(0)
#define SVM_FEAT_NRIPS BIT(3)
#define SVM_FEAT_VMCB_CLEAN BIT(5)
#define SVM_FEAT_FLUSH_BY_ASID BIT(6)
#define SVM_FEAT_DECODE_ASSISTS BIT(7)
#define SVM_FEAT_PAUSE_FILTER BIT(10)
#define VM_CR_SVMDIS BIT(4)

#define IOPM_SIZE (3 * PAGE_SIZE)               /* APM §15.10.1: 12 KiB, one bit per port */
#define MSRPM_SIZE (2 * PAGE_SIZE)              /* APM §15.11: 8 KiB, two bits per MSR */
#define GUEST_PAT_DEFAULT 0x0007040600070406ULL /* the reset value (SDM Vol. 3A §11.12.4) */
#define DR6_RESET 0xffff0ff0ULL
#define DR7_RESET 0x400ULL

#define GUEST_DRS 4 /* DR0-DR3 */

/* Guest registers neither VMRUN nor VMLOAD/VMSAVE switch (APM Vol. 2
 * §15.5.1, §15.5.2): DR0-DR3 and TSC_AUX. They stay in the CPU while the
 * vCPU that owns them is the last one to have run there, and are swapped
 * by svm_vcpu_load when another vCPU takes the CPU (docs/cpu-state.md). */
struct svm_lazy_regs {
	/* False until the guest first touches DR0-DR3: until then their
	 * accesses are intercepted and the registers are neither saved nor
	 * loaded (the guest's view is the reset value 0). */
	bool dr_used;
	uint64_t dr[GUEST_DRS];
	uint64_t tsc_aux;
};

struct svm_vcpu {
	struct vmcb *vmcb;
	paddr_t vmcb_pa;
	struct tlb_tag asid; /* given by the CPU it runs on (svm_asid_refresh) */
	struct svm_lazy_regs lazy;
	/* V_IRQ holds an external interrupt given to the guest (svm_inject),
	 * not an interrupt-window request; the CPU clears V_IRQ when the guest
	 * takes it. */
	bool virq_injected;
	/* The IRET intercept is on as that interrupt's window
	 * (svm_request_intr_window). */
	bool iret_window;
	/* NMIs (APM Vol. 2 §15.20, §15.21.x; no vNMI under QEMU's TCG): the
	 * guest runs an NMI handler we injected, so its NMIs are blocked until
	 * the IRET that ends it has completed. The IRET intercept comes before
	 * the IRET executes, so the IRET is single-stepped (RFLAGS.TF, #DB
	 * intercepted) and the blocking ends at that #DB, as in KVM without
	 * vNMI. */
	bool nmi_masked;
	bool nmi_iret_step;     /* stepping the IRET at nmi_iret_rip */
	bool nmi_step_guest_tf; /* the guest had TF set itself */
	uint64_t nmi_iret_rip;
	uint64_t nmi_step_dr6; /* the guest's DR6 before the step's #DB */
};

/* Per host CPU (percpu->backend_data). */
struct svm_cpu {
	struct vcpu *owner; /* whose DR0-DR3 and TSC_AUX the CPU holds, or NULL */
	bool drs_zero;      /* DR0-DR3 hold 0 (nobody's values) */
	struct tlb_tag_cpu asids;
	bool hsave_reported; /* check_hsave found VM_HSAVE_PA changed */
};

struct svm_partition {
	struct s2pt npt;
};

/* The run hook is the world switch (svm_entry.S); it calls svm_vmexit
 * after each #VMEXIT. */
void svm_run(struct vcpu *v);
bool svm_vmexit(struct vcpu *v);
static void svm_request_intr_window(struct vcpu *v, bool on);

/* svm_entry.S addresses these fields by the numbers in svm_offsets.h. */
STATIC_ASSERT(__builtin_offsetof(struct vcpu, gpr) == 0, "struct vcpu: gpr[] first");
STATIC_ASSERT(__builtin_offsetof(struct vcpu, rip) == VCPU_RIP, "svm_offsets.h: VCPU_RIP");
STATIC_ASSERT(__builtin_offsetof(struct vcpu, rflags) == VCPU_RFLAGS, "svm_offsets.h: VCPU_RFLAGS");
STATIC_ASSERT(__builtin_offsetof(struct vcpu, arch) == VCPU_ARCH, "svm_offsets.h: VCPU_ARCH");
STATIC_ASSERT(__builtin_offsetof(struct svm_vcpu, vmcb) == SVM_VCPU_VMCB,
	      "svm_offsets.h: SVM_VCPU_VMCB");
STATIC_ASSERT(__builtin_offsetof(struct svm_vcpu, vmcb_pa) == SVM_VCPU_VMCB_PA,
	      "svm_offsets.h: SVM_VCPU_VMCB_PA");
STATIC_ASSERT(__builtin_offsetof(struct vmcb, save.rflags) == VMCB_RFLAGS,
	      "svm_offsets.h: VMCB_RFLAGS");
STATIC_ASSERT(__builtin_offsetof(struct vmcb, save.rip) == VMCB_RIP, "svm_offsets.h: VMCB_RIP");
STATIC_ASSERT(__builtin_offsetof(struct vmcb, save.rsp) == VMCB_RSP, "svm_offsets.h: VMCB_RSP");
STATIC_ASSERT(__builtin_offsetof(struct vmcb, save.rax) == VMCB_RAX, "svm_offsets.h: VMCB_RAX");
STATIC_ASSERT(__builtin_offsetof(struct percpu, host_state_pa) == PERCPU_HOST_STATE_PA,
	      "svm_offsets.h: PERCPU_HOST_STATE_PA");

/* Shared by every vCPU: the I/O and MSR permission maps. Built once by the
 * boot CPU in svm_probe; read-only afterwards (the hardware only reads them). */
static paddr_t iopm_pa, msrpm_pa;
static struct virt_caps svm_caps;

/* MSRs a guest may read and write directly: their values are switched by
 * VMLOAD/VMSAVE or belong to the guest alone (APM §15.11). */
static const uint32_t msr_passthrough[] = {
	MSR_STAR,
	MSR_SFMASK,
	MSR_IA32_SYSENTER_CS,
};

/* MSRs that hold linear addresses, read directly. A CPU refuses a
 * non-canonical write with #GP (SDM Vol. 2B WRMSR), and then the guest
 * writes them directly too. QEMU's TCG takes such a value (measured:
 * cpu-conform-svm): where the boot probe (address_msr_write_checked) sees
 * that, writes exit and go through core/msr.c, which #GPs a non-canonical
 * value, and svm_write_guest_msr stores the rest in the VMCB, where VMLOAD
 * takes it from. */
static const uint32_t address_msrs[] = {
	MSR_FS_BASE, MSR_GS_BASE,           MSR_KERNEL_GS_BASE,    MSR_LSTAR,
	MSR_CSTAR,   MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
};
static const char *const address_msr_names[] = {
	"FS_BASE", "GS_BASE", "KERNEL_GS_BASE", "LSTAR", "CSTAR", "SYSENTER_ESP", "SYSENTER_EIP",
};
_Static_assert(ARRAY_SIZE(address_msrs) == ARRAY_SIZE(address_msr_names), "one name per MSR");

/* Bit 63 set, bit 47 clear: not canonical at 48 or 57 bits (SDM Vol. 1
 * §3.3.7.1). */
#define NONCANONICAL_PROBE 0x8000000000000000ULL

/* Does this CPU #GP a non-canonical write of msr? Boot CPU, in svm_probe,
 * before any guest runs. The host uses none of these MSRs except GS_BASE
 * (this_cpu), which is not probed: it follows FS_BASE, the same rule in
 * the same instruction. */
static bool address_msr_write_checked(uint32_t msr)
{
	uint64_t old = rdmsr(msr);
	if (!wrmsr_safe(msr, NONCANONICAL_PROBE))
		return true;
	wrmsr(msr, old); /* taken: an emulator; put the host's value back */
	return false;
}

/* Clear the read (write_too: and write) intercept bits of msr (APM
 * §15.11: two bits per MSR, read then write). */
static void msrpm_clear(uint8_t *pm, uint32_t msr, bool write_too)
{
	uint32_t base;
	if (msr <= 0x1fff)
		base = 0;
	else if (msr >= 0xc0000000 && msr <= 0xc0001fff)
		base = 0x800 * 8, msr -= 0xc0000000;
	else if (msr >= 0xc0010000 && msr <= 0xc0011fff)
		base = 0x1000 * 8, msr -= 0xc0010000;
	else
		return;
	uint32_t bit = base + msr * 2;
	pm[bit / 8] &= (uint8_t) ~((write_too ? 3u : 1u) << (bit % 8));
}

static void msrpm_allow(uint8_t *pm, uint32_t msr)
{
	msrpm_clear(pm, msr, true);
}

static bool build_permission_maps(void)
{
	iopm_pa = frame_alloc_pages(IOPM_SIZE, PAGE_SIZE);
	msrpm_pa = frame_alloc_pages(MSRPM_SIZE, PAGE_SIZE);
	if (!iopm_pa || !msrpm_pa)
		return false;
	bh_memset(phys_to_virt(iopm_pa), 0xff, IOPM_SIZE);   /* every port exits */
	bh_memset(phys_to_virt(msrpm_pa), 0xff, MSRPM_SIZE); /* every MSR exits ... */
	for (unsigned int i = 0; i < ARRAY_SIZE(msr_passthrough); i++)
		msrpm_allow(phys_to_virt(msrpm_pa), msr_passthrough[i]); /* ... but these */
	bool fs_checked = address_msr_write_checked(MSR_FS_BASE);
	char direct[96] = "", exiting[96] = "";
	for (unsigned int i = 0; i < ARRAY_SIZE(address_msrs); i++) {
		uint32_t msr = address_msrs[i];
		bool checked = fs_checked;
		if (msr != MSR_FS_BASE && msr != MSR_GS_BASE)
			checked = address_msr_write_checked(msr);
		msrpm_clear(phys_to_virt(msrpm_pa), msr, checked);
		char *list = checked ? direct : exiting;
		bh_snprintf(list + bh_strlen(list), sizeof(direct) - bh_strlen(list), " %s",
			    address_msr_names[i]);
	}
	if (direct[0])
		pr_info("svm: guests write%s directly: the CPU refuses a non-canonical value",
			direct);
	if (exiting[0])
		pr_info("svm: guest writes of%s exit: this CPU takes a non-canonical value, "
			"core/msr.c refuses it",
			exiting);
	/* TSC_AUX is switched by svm_vcpu_load: the guest may write it. */
	if (boot_cpu.has_tsc_aux)
		msrpm_allow(phys_to_virt(msrpm_pa), MSR_TSC_AUX);
	return true;
}

static void svm_probe(struct virt_caps *c)
{
	bh_memset(c, 0, sizeof(*c));
	c->tech = "SVM";
	c->present = boot_cpu.has_svm;
	if (!c->present) {
		c->why_not = "CPUID 8000_0001h ECX.SVM is clear";
		return;
	}
	/* VM_CR exists wherever CPUID offers SVM (APM §15.30.1), but an
	 * emulator may leave it out (Bochs 2.7's ryzen): no VM_CR, no lock. */
	uint64_t vm_cr = 0;
	if (rdmsr_safe(MSR_VM_CR, &vm_cr) && (vm_cr & VM_CR_SVMDIS)) {
		c->why_not = "disabled by firmware (VM_CR.SVMDIS)";
		return;
	}
	struct cpuid_regs r = cpuid(0x8000000a, 0);
	c->revision = r.eax & 0xff;
	c->nr_tags = r.ebx;
	c->stage2 = r.edx & SVM_FEAT_NP;
	c->tagged_tlb = r.ebx > 1;
	c->unrestricted_guest = true; /* SVM runs real mode natively with NPT */
	c->stage2_2m = true;
	c->stage2_1g = boot_cpu.has_1g_pages;
	c->next_rip = r.edx & SVM_FEAT_NRIPS;
	c->decode_assists = r.edx & SVM_FEAT_DECODE_ASSISTS;
	c->flush_by_asid = r.edx & SVM_FEAT_FLUSH_BY_ASID;
	c->pause_filter = r.edx & SVM_FEAT_PAUSE_FILTER;
	c->preempt_timer = false;
	c->tsc_aux = boot_cpu.has_tsc_aux; /* switched by svm_vcpu_load: RDTSCP/RDPID may be offered */
	/* For core's CR policy (core/cr_policy.h): a guest's CR4 is the
	 * hardware's as it is (no fixed bits on SVM). */
	c->cr4_forbidden = 0;
	c->phys_bits = boot_cpu.phys_addr_bits;
	if (!c->stage2) {
		c->why_not = "no nested paging (CPUID 8000_000Ah EDX.NP; QEMU needs +npt)";
		return;
	}
	if (!build_permission_maps()) {
		c->why_not = "out of memory for the I/O and MSR permission maps";
		return;
	}
	c->usable = true;
	svm_caps = *c;
}

static int svm_cpu_enable(struct percpu *cpu)
{
	paddr_t hsave = frame_alloc_zeroed(), host_vmcb = frame_alloc_zeroed();
	struct svm_cpu *c = kzalloc(sizeof(*c));
	if (!hsave || !host_vmcb || !c)
		return -1;
	cpu->backend_data = c;
	/* ASIDs 1..nr_tags-1 (0 is the host's), handed out per CPU by
	 * generation (core/tlb_tag.h), at most asid_max= of them. */
	tlb_tag_cpu_init(&c->asids, svm_caps.nr_tags > 1 ? svm_caps.nr_tags - 1 : 1,
			 hv_options.asid_max);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, hsave);
	cpu->virt_area = hsave;
	cpu->host_state_pa = host_vmcb;
	/* Capture this CPU's FS/GS base, TR, LDTR and syscall MSRs once. */
	__asm__ volatile("vmsave %0" : : "a"(host_vmcb) : "memory");
	return 0;
}

static void setup_controls(struct vmcb_control *c, paddr_t ncr3)
{
	/* DR0-DR3 until the guest first uses them (svm_dr_first_use). */
	c->intercept_dr = INTERCEPT_DR0_3;
	/* CR0 and CR4 writes are checked by core's CR policy
	 * (core/cr_policy.h): an illegal value (CR0: PG without PE, NW
	 * without CD, bits 63:32; CR4: reserved bits, e.g. VMXE on AMD, and
	 * features the guest was not offered) must #GP as on hardware (APM
	 * Vol. 2 §3.1.1, §3.1.3) rather than fail the next VMRUN (§15.5.1).
	 * CR0 takes the full write intercept (§15.9), with CLTS and LMSW:
	 * the selective one (INTERCEPT1_CR0_SEL_WRITE, only writes changing
	 * a bit other than TS and MP) would cost fewer exits, but QEMU 7.2's
	 * TCG drops CR0 bits 63:32 before it checks it (measured:
	 * cr0_reserved_gp got no #GP). Few guests write CR0 often: a Linux
	 * boot adds about ten exits per vCPU (docs/cpu-state.md). CR3 stays
	 * the guest's: nested paging needs no CR3 exits. */
	c->intercept_cr = INTERCEPT_CR_WRITE(0) | INTERCEPT_CR_WRITE(4);
	/* #DB and #AC: a guest could loop on them in microcode and hold the
	 * CPU for ever (core/exc_reflect.h); #MC is the machine's. */
	c->intercept_exc = EXC_INTERCEPTED;
	/* RDPMC: no PMU is offered, so it is #GP (core/exits.c; QEMU's TCG
	 * raises #UD). LGDT/LIDT: QEMU's TCG takes a non-canonical base in
	 * 64-bit mode (measured: cpu-conform-svm), so core emulates them. */
	c->intercept_misc1 = INTERCEPT1_INTR | INTERCEPT1_NMI | INTERCEPT1_SMI | INTERCEPT1_INIT |
			     INTERCEPT1_CPUID | INTERCEPT1_INVD | INTERCEPT1_HLT |
			     INTERCEPT1_RDPMC | INTERCEPT1_INVLPGA | INTERCEPT1_IOIO |
			     INTERCEPT1_MSR | INTERCEPT1_TASK_SWITCH | INTERCEPT1_SHUTDOWN |
			     INTERCEPT1_IDTR_WRITE | INTERCEPT1_GDTR_WRITE;
	c->intercept_misc2 = INTERCEPT2_VMRUN | INTERCEPT2_VMMCALL | INTERCEPT2_VMLOAD |
			     INTERCEPT2_VMSAVE | INTERCEPT2_STGI | INTERCEPT2_CLGI |
			     INTERCEPT2_SKINIT | INTERCEPT2_XSETBV | INTERCEPT2_MONITOR |
			     INTERCEPT2_MWAIT;
	c->iopm_base_pa = iopm_pa;
	c->msrpm_base_pa = msrpm_pa;
	c->asid = 1; /* a placeholder: svm_vcpu_load gives the real one before the first VMRUN */
	c->tlb_control = TLB_CONTROL_FLUSH_ALL; /* first run: nothing stale may survive */
	/* Physical interrupts stay with the host (they exit); the guest's
	 * RFLAGS.IF masks only virtual interrupts (APM §15.21.1). */
	c->int_ctl = INT_CTL_V_INTR_MASKING;
	c->np_enable = 1;
	c->n_cr3 = ncr3;
}

static int svm_vcpu_create(struct vcpu *v)
{
	struct svm_vcpu *s = kzalloc(sizeof(*s));
	struct svm_partition *sp = v->part->s2;
	if (!s || !sp)
		return -1;
	s->vmcb_pa = frame_alloc_zeroed();
	if (!s->vmcb_pa) {
		kfree(s);
		return -1;
	}
	s->vmcb = phys_to_virt(s->vmcb_pa);
	for (unsigned int i = 0; i < MAX_CPUS; i++)
		if (percpu_area[i].virt_area == s->vmcb_pa ||
		    percpu_area[i].host_state_pa == s->vmcb_pa)
			pr_err("svm: the VMCB at %#lx is also CPU %u's host save area or host VMCB",
			       s->vmcb_pa, i);
	tlb_tag_init(&s->asid);
	setup_controls(&s->vmcb->ctl, sp->npt.root);
	s->vmcb->save.g_pat = GUEST_PAT_DEFAULT;
	s->vmcb->save.dr6 = DR6_RESET;
	s->vmcb->save.dr7 = DR7_RESET;
	v->arch = s;
	return 0;
}

static void svm_vcpu_destroy(struct vcpu *v)
{
	struct svm_vcpu *s = v->arch;
	if (!s)
		return;
	/* No CPU may keep a pointer to v as the owner of its registers. */
	for (unsigned int i = 0; i < MAX_CPUS; i++) {
		struct svm_cpu *c = percpu_area[i].backend_data;
		if (c && c->owner == v)
			c->owner = NULL;
	}
	frame_free(s->vmcb_pa);
	kfree(s);
	v->arch = NULL;
}

/* ---- registers switched lazily: DR0-DR3, TSC_AUX ------------------------ */

static void read_drs(uint64_t dr[GUEST_DRS])
{
	__asm__ volatile("mov %%db0, %0" : "=r"(dr[0]));
	__asm__ volatile("mov %%db1, %0" : "=r"(dr[1]));
	__asm__ volatile("mov %%db2, %0" : "=r"(dr[2]));
	__asm__ volatile("mov %%db3, %0" : "=r"(dr[3]));
}

static void write_drs(const uint64_t dr[GUEST_DRS])
{
	__asm__ volatile("mov %0, %%db0" : : "r"(dr[0]));
	__asm__ volatile("mov %0, %%db1" : : "r"(dr[1]));
	__asm__ volatile("mov %0, %%db2" : : "r"(dr[2]));
	__asm__ volatile("mov %0, %%db3" : : "r"(dr[3]));
}

static void save_lazy(struct svm_lazy_regs *l)
{
	if (l->dr_used)
		read_drs(l->dr);
	if (boot_cpu.has_tsc_aux)
		l->tsc_aux = rdmsr(MSR_TSC_AUX);
}

/* A vCPU that never used DR0-DR3 finds them 0 (their reset value, SDM
 * Vol. 3B §18.2.1) even though it cannot read them: its own DR7 could arm
 * breakpoints on whatever addresses they hold. */
static void load_lazy(struct svm_cpu *c, const struct svm_lazy_regs *l)
{
	static const uint64_t zero[GUEST_DRS];

	if (l->dr_used) {
		write_drs(l->dr);
		c->drs_zero = false;
	} else if (!c->drs_zero) {
		write_drs(zero);
		c->drs_zero = true;
	}
	if (boot_cpu.has_tsc_aux)
		wrmsr(MSR_TSC_AUX, l->tsc_aux);
}

/* VMRUN saves the host state into the page VM_HSAVE_PA names (APM Vol. 2
 * §15.30.4); if it named any other page, e.g. a VMCB, the next VMRUN of
 * that VMCB would run the hypervisor's own state. Nothing here writes the
 * MSR after svm_cpu_enable, so a change is reported (once per CPU) and
 * undone. Once per time slice: one RDMSR. */
static void check_hsave(struct percpu *cpu, struct svm_cpu *c)
{
	uint64_t pa = rdmsr(MSR_VM_HSAVE_PA);
	if (likely(pa == cpu->virt_area))
		return;
	if (!c->hsave_reported)
		pr_err("svm: CPU %u: VM_HSAVE_PA is %#lx, not its host save area %#lx: restored",
		       cpu->id, pa, cpu->virt_area);
	c->hsave_reported = true;
	wrmsr(MSR_VM_HSAVE_PA, cpu->virt_area);
}

/* v's ASID on this CPU: still its own, or a fresh one (core/tlb_tag.h).
 * A new generation flushes every ASID's entries at this VMRUN (TLB_CONTROL
 * 1, APM Vol. 2 §15.16.1); a fresh ASID of the current generation has no
 * entries since that flush. */
static void svm_asid_refresh(struct svm_cpu *c, struct svm_vcpu *s)
{
	enum tlb_tag_result r = tlb_tag_assign(&c->asids, &s->asid, (int)this_cpu()->id);

	if (likely(r == TLB_TAG_KEEP))
		return;
	s->vmcb->ctl.asid = s->asid.tag;
	if (r == TLB_TAG_NEW_FLUSH)
		s->vmcb->ctl.tlb_control = TLB_CONTROL_FLUSH_ALL;
}

/* The backend's load hook, once per slice before the first VMRUN: v's
 * ASID, then v's DR0-DR3 and TSC_AUX. Only a vCPU running on this CPU can
 * start a new ASID generation, so a vCPU that keeps the CPU from slice to
 * slice keeps its ASID. */
static void svm_vcpu_load(struct vcpu *v)
{
	struct percpu *cpu = this_cpu();
	struct svm_cpu *c = cpu->backend_data;

	check_hsave(cpu, c);

	svm_asid_refresh(c, v->arch);
	if (c->owner == v)
		return;
	if (c->owner)
		save_lazy(&((struct svm_vcpu *)c->owner->arch)->lazy);
	load_lazy(c, &((struct svm_vcpu *)v->arch)->lazy);
	c->owner = v;
}

/* The guest's first MOV to or from DR0-DR3: from now on the registers are
 * its own and switched with it, so stop intercepting them; the guest then
 * executes the instruction again on the real registers. */
static void svm_dr_first_use(struct vcpu *v, struct vmcb *vmcb)
{
	struct svm_vcpu *s = v->arch;
	struct svm_cpu *c = this_cpu()->backend_data;

	svm_vcpu_load(v);
	s->lazy.dr_used = true;
	write_drs(s->lazy.dr);
	c->drs_zero = false;
	vmcb->ctl.intercept_dr &= ~INTERCEPT_DR0_3;
}

static void svm_set_sregs(struct vcpu *v, const struct vcpu_sregs *r)
{
	struct vmcb_save *g = &((struct svm_vcpu *)v->arch)->vmcb->save;
	struct vmcb_seg *segs[SEG_COUNT] = { &g->es, &g->cs, &g->ss,   &g->ds,
					     &g->fs, &g->gs, &g->ldtr, &g->tr };

	for (unsigned int i = 0; i < SEG_COUNT; i++)
		*segs[i] = (struct vmcb_seg){ r->seg[i].sel, r->seg[i].attr, r->seg[i].limit,
					      r->seg[i].base };
	g->gdtr = (struct vmcb_seg){ 0, 0, r->gdtr.limit, r->gdtr.base };
	g->idtr = (struct vmcb_seg){ 0, 0, r->idtr.limit, r->idtr.base };
	g->cr0 = r->cr0;
	g->cr2 = r->cr2;
	g->cr3 = r->cr3;
	g->cr4 = r->cr4;
	/* VMRUN requires EFER.SVME in the guest's EFER (APM §15.5.1); the MSR
	 * handler hides it from the guest. */
	g->efer = r->efer | EFER_SVME;
	g->dr7 = r->dr7 ? r->dr7 : DR7_RESET;
	g->g_pat = r->pat ? r->pat : GUEST_PAT_DEFAULT;
	g->cpl = (uint8_t)((r->seg[SEG_SS].attr >> 5) & 3);
	g->rip = v->rip;
	g->rflags = v->rflags;
	g->rsp = v->gpr[GPR_RSP];
	g->rax = v->gpr[GPR_RAX];
	((struct svm_vcpu *)v->arch)->vmcb->ctl.tlb_control = TLB_CONTROL_FLUSH_ALL;
}

/* The VMCB holds the guest's FS/GS base and the syscall MSRs (VMSAVE put
 * them there at the last #VMEXIT; VMLOAD takes them at the next VMRUN). */
static bool svm_write_guest_msr(struct vcpu *v, uint32_t index, uint64_t val)
{
	struct vmcb_save *g = &((struct svm_vcpu *)v->arch)->vmcb->save;

	switch (index) {
	case MSR_FS_BASE:
		g->fs.base = val;
		return true;
	case MSR_GS_BASE:
		g->gs.base = val;
		return true;
	case MSR_KERNEL_GS_BASE:
		g->kernel_gs_base = val;
		return true;
	case MSR_LSTAR:
		g->lstar = val;
		return true;
	case MSR_CSTAR:
		g->cstar = val;
		return true;
	case MSR_IA32_SYSENTER_ESP:
		g->sysenter_esp = val;
		return true;
	case MSR_IA32_SYSENTER_EIP:
		g->sysenter_eip = val;
		return true;
	default:
		return false;
	}
}

static void svm_get_sregs(struct vcpu *v, struct vcpu_sregs *r)
{
	const struct vmcb_save *g = &((struct svm_vcpu *)v->arch)->vmcb->save;
	const struct vmcb_seg *segs[SEG_COUNT] = { &g->es, &g->cs, &g->ss,   &g->ds,
						   &g->fs, &g->gs, &g->ldtr, &g->tr };

	for (unsigned int i = 0; i < SEG_COUNT; i++)
		r->seg[i] = (struct segment){ segs[i]->sel, segs[i]->attr, segs[i]->limit,
					      segs[i]->base };
	/* The CPL lives in the VMCB's CPL field (APM §15.5.1); the rest of core
	 * reads it as SS.DPL, as on VMX (SDM Vol. 3C §24.4.1). */
	r->seg[SEG_SS].attr =
			(uint16_t)((r->seg[SEG_SS].attr & ~SEG_ATTR_DPL(3)) | SEG_ATTR_DPL(g->cpl));
	r->gdtr = (struct dtable){ g->gdtr.base, (uint16_t)g->gdtr.limit };
	r->idtr = (struct dtable){ g->idtr.base, (uint16_t)g->idtr.limit };
	r->cr0 = g->cr0;
	r->cr2 = g->cr2;
	r->cr3 = g->cr3;
	r->cr4 = g->cr4;
	r->efer = g->efer & ~EFER_SVME;
	r->dr7 = g->dr7;
	r->pat = g->g_pat;
}

/* Which of the VMRUN consistency checks (AMD APM Vol. 2 §15.5.1) the guest
 * state fails: called when VMRUN reports VMEXIT_INVALID, so the stop line
 * names the check instead of just "invalid". */
static const char *svm_failed_check(const struct vmcb *vmcb)
{
	const struct vmcb_save *g = &vmcb->save;
	bool lme_pg = (g->efer & EFER_LME) && (g->cr0 & CR0_PG);

	if (!(g->efer & EFER_SVME))
		return "guest EFER.SVME is clear";
	if ((g->cr0 & CR0_CD) == 0 && (g->cr0 & CR0_NW))
		return "guest CR0.NW is set while CR0.CD is clear";
	if (g->cr0 >> 32)
		return "guest CR0 bits 63:32 are not zero";
	if (g->cr3 >> 52)
		return "guest CR3 has must-be-zero bits set";
	if (g->cr4 >> 32)
		return "guest CR4 bits 63:32 are not zero";
	if ((g->dr6 >> 32) || (g->dr7 >> 32))
		return "guest DR6/DR7 bits 63:32 are not zero";
	if ((g->efer >> 16) || (g->efer & 0x2feULL))
		return "guest EFER has must-be-zero bits set";
	if (lme_pg && !(g->cr4 & CR4_PAE))
		return "guest EFER.LME and CR0.PG set with CR4.PAE clear";
	if (lme_pg && !(g->cr0 & CR0_PE))
		return "guest EFER.LME and CR0.PG set with CR0.PE clear";
	if (lme_pg && (g->cs.attr & (1u << 9)) && (g->cs.attr & (1u << 10)))
		return "guest CS.L and CS.D both set in long mode";
	if (!(vmcb->ctl.intercept_misc2 & INTERCEPT2_VMRUN))
		return "the VMRUN intercept is clear";
	if (vmcb->ctl.asid == 0)
		return "the guest ASID is 0 (the host's)";
	return "a check this hypervisor does not model (see APM Vol. 2 §15.5.1)";
}

static inline struct svm_exit_raw exit_raw(const struct vcpu *v, const struct vmcb *vmcb)
{
	return (struct svm_exit_raw){
		.exit_code = vmcb->ctl.exit_code,
		.info1 = vmcb->ctl.exit_info1,
		.info2 = vmcb->ctl.exit_info2,
		.exit_int_info = vmcb->ctl.exit_int_info,
		.rip = v->rip,
		.next_rip = svm_caps.next_rip ? vmcb->ctl.next_rip : 0,
		.rcx = (uint32_t)v->gpr[GPR_RCX],
		.cpl = &vmcb->save.cpl,
		.save = &vmcb->save,
	};
}

extern char __text_start[], __text_end[];

/* The guest state the #VMEXIT stored is the hypervisor's own: RIP in the
 * hypervisor's code and CR3 its page tables. An exit of the guest can
 * never look like that. QEMU 7.2 with one TCG thread per CPU sometimes
 * takes a second #VMEXIT, a nested-page fault at the host's RIP and CR3,
 * right after a real one, and stores the host's registers over the
 * guest's (docs/testing.md); it is checked on NPF exits only. Says so,
 * with what is needed to tell how it got there, instead of the misleading
 * "write of unmapped guest-physical". */
static uint64_t host_cr3(void)
{
	uint64_t cr3;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	return cr3;
}

/* RIP in the hypervisor's code and CR3 its page tables. */
static bool vmcb_holds_host_state(const struct vmcb *vmcb)
{
	uint64_t rip = vmcb->save.rip;
	uint64_t page = ~(uint64_t)(PAGE_SIZE - 1);
	return rip >= (uint64_t)(uintptr_t)__text_start && rip < (uint64_t)(uintptr_t)__text_end &&
	       (vmcb->save.cr3 & page) == (host_cr3() & page);
}

static bool host_state_in_vmcb(struct vcpu *v, const struct vmcb *vmcb, uint64_t entered_rip,
			       enum exit_reason prev)
{
	uint64_t cr3 = host_cr3();
	uint64_t rip = vmcb->save.rip;
	uint64_t page = ~(uint64_t)(PAGE_SIZE - 1);
	if (!vmcb_holds_host_state(vmcb))
		return false;
	if (v->exit.reason == EXIT_MMIO && (v->exit.mem.gpa & page) != (cr3 & page))
		return false; /* an NPF elsewhere: not the signature */
	const struct svm_vcpu *s = v->arch;
	const struct percpu *me = this_cpu();
	pr_err("[%s] vCPU %u: the VMCB at %#lx holds the hypervisor's state after exit %#lx (info %#lx/%#lx): "
	       "RIP %#lx CR3 %#lx; last known RIP %#lx, after a %s exit; this CPU %u: host save area %#lx "
	       "(VM_HSAVE_PA %#lx), host VMCB %#lx",
	       v->part->name, v->id, s->vmcb_pa, vmcb->ctl.exit_code, vmcb->ctl.exit_info1,
	       vmcb->ctl.exit_info2, rip, vmcb->save.cr3, entered_rip, exit_reason_name(prev),
	       me->id, me->virt_area, rdmsr(MSR_VM_HSAVE_PA), me->host_state_pa);
	for (unsigned int i = 0; i < MAX_CPUS; i++)
		if (percpu_area[i].online && (percpu_area[i].virt_area == s->vmcb_pa ||
					      percpu_area[i].host_state_pa == s->vmcb_pa))
			pr_err("[%s] vCPU %u: its VMCB is also CPU %u's host save area or host VMCB",
			       v->part->name, v->id, i);
	return true;
}

/* The IRET intercept serves two users: the end of an NMI handler (until
 * its IRET is being stepped) and the interrupt window while V_IRQ is
 * busy. */
static void update_iret_intercept(struct svm_vcpu *s)
{
	struct vmcb_control *c = &s->vmcb->ctl;
	if ((s->nmi_masked && !s->nmi_iret_step) || s->iret_window)
		c->intercept_misc1 |= INTERCEPT1_IRET;
	else
		c->intercept_misc1 &= ~INTERCEPT1_IRET;
}

/* The IRET of the NMI handler is about to run: let it run one step. */
static void nmi_step_over_iret(struct vcpu *v, struct svm_vcpu *s)
{
	s->nmi_iret_step = true;
	s->nmi_iret_rip = v->rip;
	s->nmi_step_guest_tf = v->rflags & RFLAGS_TF;
	s->nmi_step_dr6 = s->vmcb->save.dr6;
	v->rflags |= RFLAGS_TF;
	update_iret_intercept(s);
}

/* The #DB after the stepped IRET. If RIP moved the IRET completed and NMIs
 * are unblocked (APM Vol. 2 §8.2.7 "NMI": blocked until the next IRET);
 * if not, it is waited for again. Unless the guest single-steps itself,
 * the #DB is ours: DR6 goes back and core sees an NMI window. */
static void nmi_step_done(struct vcpu *v, struct svm_vcpu *s)
{
	s->nmi_iret_step = false;
	if (v->rip != s->nmi_iret_rip)
		s->nmi_masked = false;
	else if (!s->nmi_step_guest_tf)
		v->rflags &= ~RFLAGS_TF;
	update_iret_intercept(s);
	if (s->nmi_step_guest_tf)
		return;
	s->vmcb->save.dr6 = s->nmi_step_dr6;
	v->exit.reason = EXIT_NMI_WINDOW;
}

/* The exits svm_decode_common leaves: out of line, so svm_vmexit stays a
 * leaf function on the common path. prev is the exit before this one
 * (svm_decode_common does not touch v->exit.reason when it declines). */
static __attribute__((noinline)) void decode_other(struct vcpu *v, struct vmcb *vmcb,
						   uint64_t entered_rip)
{
	struct svm_exit_raw raw = exit_raw(v, vmcb);
	enum exit_reason prev = v->exit.reason;

	svm_decode_exit_other(&raw, &v->exit);
	/* Only on an NPF: a VMRUN that fails its checks (VMEXIT_INVALID)
	 * leaves the host's registers in the VMCB too, under QEMU, with RIP
	 * at the VMRUN; that is a guest state the checks refused, named by
	 * svm_failed_check below. */
	if (unlikely(v->exit.reason == EXIT_MMIO && host_state_in_vmcb(v, vmcb, entered_rip, prev))) {
		v->exit.reason = EXIT_ENTRY_FAILED;
		v->exit.entry_fail.what =
				"the VMCB held the hypervisor's own state (see the line above)";
		v->exit.entry_fail.value = vmcb->save.rip;
		return;
	}
	/* QEMU's TCG stores the host's registers over the guest state when a
	 * check fails (its VMRUN had begun the switch): the check that failed
	 * can no longer be read from the VMCB. */
	if (unlikely(v->exit.reason == EXIT_ENTRY_FAILED))
		v->exit.entry_fail.what =
				vmcb_holds_host_state(vmcb)
						? "a VMRUN consistency check (APM Vol. 2 §15.5.1); the emulator "
						  "overwrote the guest state with the host's, so which one is not known"
						: svm_failed_check(vmcb);
	if (v->exit.reason == EXIT_DR_ACCESS)
		svm_dr_first_use(v, vmcb);
	struct svm_vcpu *s = v->arch;
	if (v->exit.reason == EXIT_EXCEPTION && v->exit.exc.vector == EXC_DB && s->nmi_iret_step) {
		nmi_step_done(v, s);
		if (v->exit.reason == EXIT_NMI_WINDOW)
			return;
	}
	/* An intercepted #DB has updated DR6 in the VMCB already (unlike
	 * VMX); clear DR7.GD as its delivery would (SDM Vol. 3B §18.2.4). */
	if (v->exit.reason == EXIT_EXCEPTION && v->exit.exc.vector == EXC_DB)
		vmcb->save.dr7 = exc_dr7_after_db(vmcb->save.dr7);
	/* VINTR or IRET: one window is one exit. The IRET intercept goes
	 * even while V_IRQ still holds an injected interrupt (an IRET with IF
	 * clear, in a handler of an exception delivered first): left on, the
	 * same IRET would exit again and again. */
	if (v->exit.reason == EXIT_INTR_WINDOW) {
		if (raw.exit_code == SVM_EXIT_IRET && s->nmi_masked && !s->nmi_iret_step)
			nmi_step_over_iret(v, s);
		s->iret_window = false;
		svm_request_intr_window(v, false);
	}
}

/* True while V_IRQ holds an interrupt svm_inject gave that the guest has
 * not taken yet. */
static bool virq_pending(const struct svm_vcpu *s)
{
	return s->virq_injected && (s->vmcb->ctl.int_ctl & INT_CTL_V_IRQ);
}

/* An external interrupt goes in as a virtual interrupt (V_IRQ with its
 * vector, APM Vol. 2 §15.21.4), which the CPU delivers at the first
 * instruction boundary where the guest's RFLAGS.IF and interrupt shadow
 * allow (core injects only then), as a real INTR would be. Not through
 * EVENTINJ: QEMU's TCG delivers an EVENTINJ interrupt inside VMRUN but
 * leaves its vector pending as an exception, and can deliver it a second
 * time, ignoring IF (docs/testing.md, "Overcommitted SMP"). Top priority
 * and V_IGN_TPR: the interrupt controller model has already decided it
 * may go now. */
static void inject_virq(struct svm_vcpu *s, uint8_t vector)
{
	struct vmcb_control *c = &s->vmcb->ctl;
	c->int_ctl &= ~(INT_CTL_V_INTR_VECTOR_MASK | INT_CTL_V_INTR_PRIO_MASK);
	c->int_ctl |= INT_CTL_V_IRQ | INT_CTL_V_IGN_TPR | INT_CTL_V_INTR_PRIO_MASK |
		      ((uint64_t)vector << INT_CTL_V_INTR_VECTOR_SHIFT);
	c->intercept_misc1 &= ~INTERCEPT1_VINTR; /* it must be taken, not exit */
	s->virq_injected = true;
}

/* An event whose delivery the exit interrupted goes in again; an external
 * interrupt as it went in the first time (inject_virq). */
static __attribute__((noinline)) void reinject(struct svm_vcpu *s, uint64_t info)
{
	if ((info & EVENT_TYPE_MASK) == EVENT_TYPE_INTR)
		inject_virq(s, (uint8_t)(info & EVENT_VECTOR_MASK));
	else
		s->vmcb->ctl.event_inj = info;
}

/* The instruction length of an exit whose instruction has a fixed
 * encoding: NRIP save's next RIP where the CPU has it (APM Vol. 2
 * §15.7.1), else the encoding's length (svm_decode.h). */
static inline uint8_t fixed_insn_len(const struct vmcb *vmcb, uint64_t rip, uint8_t known)
{
	if (svm_caps.next_rip) {
		uint64_t next = vmcb->ctl.next_rip;
		if (next > rip && next - rip <= 15)
			return (uint8_t)(next - rip);
	}
	return known;
}

/* Guest RAX, RSP, RIP and RFLAGS between the VMCB, where they are while
 * the guest runs, and struct vcpu, where core reads and writes them. */
static inline void regs_from_vmcb(struct vcpu *v, const struct vmcb *vmcb)
{
	v->gpr[GPR_RAX] = vmcb->save.rax;
	v->gpr[GPR_RSP] = vmcb->save.rsp;
	v->rip = vmcb->save.rip;
	v->rflags = vmcb->save.rflags;
}

static inline void regs_to_vmcb(const struct vcpu *v, struct vmcb *vmcb)
{
	vmcb->save.rax = v->gpr[GPR_RAX];
	vmcb->save.rsp = v->gpr[GPR_RSP];
	vmcb->save.rip = v->rip;
	vmcb->save.rflags = v->rflags;
}

/* Every exit the CPUID path below does not finish: the four registers
 * copied out, an interrupted event queued again, the exit decoded in full
 * and offered to core's fast path (vcpu_exit_fast); if it resumes here,
 * the registers a handler may have changed go back into the VMCB. */
static __attribute__((noinline)) bool svm_exit_full(struct vcpu *v, struct vmcb *vmcb)
{
	/* For the diagnosis of host_state_in_vmcb: the RIP of the last entry
	 * from the loop or from this path (the shortest path leaves v->rip
	 * as it was; v->exit.reason is that of the last exit of any path). */
	uint64_t entered_rip = v->rip;

	regs_from_vmcb(v, vmcb);
	/* #VMEXIT clears EVENTINJ (APM Vol. 2, VMRUN: "clear EVENTINJ field in
	 * VMCB"); an event whose delivery the exit interrupted is in
	 * EXITINTINFO and is delivered again on the next VMRUN (APM §15.7.2).
	 * Test bit 31 only: TCG can leave a stale vector with the valid bit
	 * clear (shared/platform-notes.md). */
	if (unlikely(vmcb->ctl.exit_int_info & EVENT_VALID))
		reinject(v->arch, vmcb->ctl.exit_int_info);

	struct svm_exit_raw raw = exit_raw(v, vmcb);
	if (unlikely(!svm_decode_common(&raw, &v->exit)))
		decode_other(v, vmcb, entered_rip);
	if (!vcpu_exit_fast(v))
		return false;
	regs_to_vmcb(v, vmcb);
	return true;
}

/* The end of an exit on the shortest path (core/exit_fast.h): RAX and the
 * next RIP went straight into the VMCB, and struct vcpu's RAX, RIP and
 * RFLAGS were not copied at all (svm_run copies them into the VMCB only
 * on its way from the run loop). Only when the exit goes back to the loop
 * (an interrupt to deliver, the scheduler's request) are the four copied
 * out, and the record completed, as the full path would have. */
static inline __attribute__((always_inline)) bool quick_exit_done(struct vcpu *v, struct vmcb *vmcb,
								  uint64_t rip)
{
	if (likely(vcpu_fast_finish(v, EXIT_ACTION_RESUME)))
		return true;
	regs_from_vmcb(v, vmcb);
	v->exit.rip = rip;
	v->exit.insn_len = (uint8_t)(v->rip - rip);
	return false;
}

/* CPUID, when the partition's table answers it with one load. */
static inline __attribute__((always_inline)) bool svm_cpuid_exit(struct vcpu *v, struct vmcb *vmcb,
								 const struct cpuid_result *r)
{
	uint64_t rip = vmcb->save.rip;

	vcpu_quick_record(v, EXIT_CPUID, SVM_EXIT_CPUID);
	vcpu_cpuid_quick_regs(v, r);
	vmcb->save.rax = r->eax; /* zero-extended (SDM Vol. 1 §3.4.1.1) */
	vmcb->save.rip = rip + fixed_insn_len(vmcb, rip, LEN_CPUID);
	return quick_exit_done(v, vmcb, rip);
}

/* VMMCALL, when the call is one answered with a value alone
 * (vcpu_hypercall_quick). Its number is RAX; outside 64-bit mode (EFER.LMA
 * with CS.L, APM Vol. 2 §4.8.1) its low 32 bits, and the result is
 * zero-extended from 32 bits, as hypercall_dispatch does. -1: not one of
 * those, nothing changed; else whether to enter the guest again. */
static inline __attribute__((always_inline)) int svm_hypercall_exit(struct vcpu *v, struct vmcb *vmcb)
{
	bool long_mode = (vmcb->save.efer & VMCB_EFER_LMA) && (vmcb->save.cs.attr & VMCB_SEG_ATTR_L);
	uint8_t cpl = vmcb->save.cpl & CPL_MASK;
	uint64_t nr = vmcb->save.rax, ret;

	if (!long_mode)
		nr = (uint32_t)nr;
	if (!vcpu_hypercall_quick(v, nr, cpl, &ret))
		return -1;
	if (!long_mode)
		ret = (uint32_t)ret;

	uint64_t rip = vmcb->save.rip;
	vcpu_quick_record(v, EXIT_HYPERCALL, SVM_EXIT_VMMCALL);
	v->exit.hypercall.cpl = cpl;
	v->exit.hypercall.long_mode = long_mode;
	vmcb->save.rax = ret;
	vmcb->save.rip = rip + fixed_insn_len(vmcb, rip, LEN_VMMCALL);
	return quick_exit_done(v, vmcb, rip);
}

/* IN or OUT, no string, whose next RIP EXITINFO2 holds (APM Vol. 2
 * §15.10.2): the access through vcpu_pio_quick, RAX in the VMCB. A
 * device's power request (reset, power-off) needs struct vcpu current:
 * copied out, the action taken as the loop would. Any other IOIO exit:
 * svm_exit_full. Out of line (it calls the device), so the CPUID and
 * hypercall paths keep a frame without saved registers. */
static __attribute__((noinline)) bool svm_pio_exit(struct vcpu *v, struct vmcb *vmcb)
{
	uint64_t info1 = vmcb->ctl.exit_info1, next = vmcb->ctl.exit_info2;
	uint64_t rip = vmcb->save.rip;

	/* SZ8, SZ16 and SZ32 are bits 4-6, one of them set (APM Vol. 2
	 * Figure 15-2): shifted down, the size in bytes. A next RIP 1 to 15
	 * bytes on (an x86 instruction's lengths, SDM Vol. 2A §2.3.11). */
	unsigned int size = (unsigned int)(info1 >> IOIO_SIZE_SHIFT) & 7;
	if ((info1 & IOIO_STR) || next - rip - 1 >= 15 || (size != 1 && size != 2 && size != 4))
		return svm_exit_full(v, vmcb);
	uint16_t port = (uint16_t)(info1 >> IOIO_PORT_SHIFT);
	bool in = info1 & IOIO_TYPE_IN;

	vcpu_quick_record(v, EXIT_IO, SVM_EXIT_IOIO);
	vmcb->save.rax = vcpu_pio_quick(v, port, size, in, vmcb->save.rax);
	vmcb->save.rip = next;
	if (likely(!vcpu_power_due(v)))
		return quick_exit_done(v, vmcb, rip);
	regs_from_vmcb(v, vmcb);
	v->exit.rip = rip;
	v->exit.insn_len = (uint8_t)(next - rip);
	if (!vcpu_fast_finish(v, vcpu_pio_power(v)))
		return false;
	regs_to_vmcb(v, vmcb);
	return true;
}

/* The C half of svm_run: svm_entry.S calls it after each #VMEXIT with the
 * host's FS, GS and TR back, interrupts off and GIF still 0. Handles the
 * exit or decodes it for the loop: true means handled, and guest RAX,
 * RSP, RIP and RFLAGS are in the VMCB again: enter the guest again. A
 * CPUID the partition's table answers, an IN or OUT, and a hypercall
 * answered with a value (the commonest exits) take the shortest path,
 * while the fast path is open and RFLAGS.TF/RF are clear. An intercepted
 * instruction is not an event's delivery (APM Vol. 2 §15.7.2), so
 * EXITINTINFO needs no test there. Anything else: svm_exit_full. */
bool svm_vmexit(struct vcpu *v)
{
	struct vmcb *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;
	uint64_t code = vmcb->ctl.exit_code;

	vmcb->ctl.tlb_control = TLB_CONTROL_NONE;
	if (likely(vcpu_fast_open(v)) && vcpu_quick_allowed(vmcb->save.rflags)) {
		if (likely(code == SVM_EXIT_CPUID)) {
			const struct cpuid_result *r = vcpu_cpuid_quick(v, vmcb->save.rax);
			if (likely(r))
				return svm_cpuid_exit(v, vmcb, r);
		} else if (code == SVM_EXIT_IOIO) {
			return svm_pio_exit(v, vmcb);
		} else if (code == SVM_EXIT_VMMCALL) {
			int again = svm_hypercall_exit(v, vmcb);
			if (again >= 0)
				return again;
		}
	}
	return svm_exit_full(v, vmcb);
}

static void svm_inject(struct vcpu *v, const struct vcpu_event *ev)
{
	struct svm_vcpu *s = v->arch;
	if (ev->type == VCPU_EVENT_EXTINT) {
		inject_virq(s, ev->vector);
		return;
	}
	if (ev->type == VCPU_EVENT_NMI) {
		/* EVENTINJ type NMI (APM Vol. 2 §15.20); the guest's NMIs are
		 * blocked from its delivery to the end of the handler's IRET. */
		s->nmi_masked = true;
		update_iret_intercept(s);
	}
	/* A #DB the hypervisor raises (a single step over an instruction it
	 * emulated): EVENTINJ does not update DR6 or DR7 (APM Vol. 2
	 * §15.20), so do what the delivery would (core/exc_reflect.h). */
	if (unlikely(ev->type == VCPU_EVENT_EXCEPTION && ev->vector == EXC_DB && ev->dr6)) {
		s->vmcb->save.dr6 = exc_dr6_after_db(s->vmcb->save.dr6, ev->dr6);
		s->vmcb->save.dr7 = exc_dr7_after_db(s->vmcb->save.dr7);
	}
	uint64_t e = ev->vector | ((uint64_t)ev->type << EVENT_TYPE_SHIFT) | EVENT_VALID;
	if (ev->has_error)
		e |= EVENT_ERROR_VALID | ((uint64_t)ev->error << EVENT_ERROR_SHIFT);
	s->vmcb->ctl.event_inj = e;
}

static bool svm_event_pending(struct vcpu *v)
{
	const struct svm_vcpu *s = v->arch;
	return (s->vmcb->ctl.event_inj & EVENT_VALID) || virq_pending(s);
}

static bool svm_interruptible(struct vcpu *v)
{
	const struct svm_vcpu *s = v->arch;
	const struct vmcb *vmcb = s->vmcb;
	return (v->rflags & RFLAGS_IF) && !(vmcb->ctl.int_state & INT_STATE_SHADOW) &&
	       !(vmcb->ctl.event_inj & EVENT_VALID) && !virq_pending(s);
}

/* An NMI can go unless one is being handled, the event slot is taken or
 * an interrupt shadow is in effect (which KVM also treats as blocking). */
static bool svm_nmi_allowed(struct vcpu *v)
{
	const struct svm_vcpu *s = v->arch;
	const struct vmcb_control *c = &s->vmcb->ctl;
	return !s->nmi_masked && !(c->event_inj & EVENT_VALID) && !(c->int_state & INT_STATE_SHADOW);
}

/* While an NMI handler runs, the IRET intercept and the step after it
 * bring the exit (EXIT_NMI_WINDOW). Blocked only by the event slot or a
 * shadow, the interrupt window stands in: both are over by the time the
 * guest can take an interrupt. A guest that keeps RFLAGS.IF clear then
 * gets its NMI at its next exit of any kind. */
static void svm_request_nmi_window(struct vcpu *v, bool on)
{
	const struct svm_vcpu *s = v->arch;
	if (on && !s->nmi_masked)
		svm_request_intr_window(v, true);
}

/* A virtual interrupt nobody will take (V_IGN_TPR, top priority) makes the
 * CPU exit with VINTR as soon as the guest could take one. V_IRQ is one
 * slot: while it holds an injected interrupt the guest has yet to take,
 * the window is the IRET that ends that interrupt's handler (intercepted
 * before it runs, APM Vol. 2 §15.9), where core asks again and V_IRQ is
 * free. */
static void svm_request_intr_window(struct vcpu *v, bool on)
{
	struct svm_vcpu *s = v->arch;
	struct vmcb_control *c = &s->vmcb->ctl;
	if (virq_pending(s)) {
		if (on)
			s->iret_window = true;
		update_iret_intercept(s);
		return;
	}
	s->virq_injected = false;
	s->iret_window = false;
	update_iret_intercept(s);
	if (on) {
		c->int_ctl |= INT_CTL_V_IRQ | INT_CTL_V_IGN_TPR | INT_CTL_V_INTR_PRIO_MASK;
		c->intercept_misc1 |= INTERCEPT1_VINTR;
	} else {
		c->int_ctl &= ~INT_CTL_V_IRQ;
		c->intercept_misc1 &= ~INTERCEPT1_VINTR;
	}
}

/* For HC_PRINT_STATS: the interrupt shadow (APM Vol. 2 §15.21.5), the event
 * slot (EVENTINJ, §15.20) and V_IRQ, and the NMI bookkeeping of the IRET
 * intercept. */
static void svm_describe_events(struct vcpu *v, char *buf, size_t len)
{
	const struct svm_vcpu *s = v->arch;
	const struct vmcb *vmcb = s->vmcb;
	bh_snprintf(buf, len,
		    "svm: shadow %u; EVENTINJ %#x; V_IRQ %u (injected %u); NMI masked %u, "
		    "stepping its IRET %u; IRET window %u",
		    !!(vmcb->ctl.int_state & INT_STATE_SHADOW), (unsigned int)vmcb->ctl.event_inj,
		    !!(vmcb->ctl.int_ctl & INT_CTL_V_IRQ), s->virq_injected, s->nmi_masked,
		    s->nmi_iret_step, s->iret_window);
}

static void svm_clear_events(struct vcpu *v)
{
	struct svm_vcpu *s = v->arch;
	struct vmcb_control *c = &s->vmcb->ctl;
	c->event_inj = 0;
	c->int_state &= ~INT_STATE_SHADOW;
	s->virq_injected = false;
	/* INIT and RESET leave no NMI blocking (SDM Vol. 3A §9.1.1). */
	s->nmi_masked = false;
	s->nmi_iret_step = false;
	svm_request_intr_window(v, false);
}

static paddr_t npt_alloc(void *ctx)
{
	return frame_alloc_zeroed();
}

static void npt_free(void *ctx, paddr_t pa)
{
	frame_free(pa);
}

static void *npt_ptr(void *ctx, paddr_t pa)
{
	return phys_to_virt(pa);
}

static int svm_s2_init(struct partition *p)
{
	struct svm_partition *sp = kzalloc(sizeof(*sp));
	if (!sp)
		return -1;
	sp->npt = (struct s2pt){
		.fmt = &npt_format,
		.alloc_table = npt_alloc,
		.free_table = npt_free,
		.table_ptr = npt_ptr,
		.allow_2m = true,
		.allow_1g = svm_caps.stage2_1g,
	};
	if (s2pt_init(&sp->npt)) {
		kfree(sp);
		return -1;
	}
	p->s2 = sp;
	return 0;
}

static int svm_s2_map(struct partition *p, gpa_t gpa, paddr_t hpa, uint64_t size, unsigned int prot)
{
	return s2pt_map(&((struct svm_partition *)p->s2)->npt, gpa, hpa, size, prot);
}

static void svm_s2_flush(struct partition *p)
{
	for (unsigned int i = 0; i < p->nr_vcpus; i++) {
		struct svm_vcpu *s = p->vcpu[i]->arch;
		s->vmcb->ctl.tlb_control = svm_caps.flush_by_asid ? TLB_CONTROL_FLUSH_ASID
								  : TLB_CONTROL_FLUSH_ALL;
	}
}

static void svm_s2_destroy(struct partition *p)
{
	struct svm_partition *sp = p->s2;
	if (!sp)
		return;
	s2pt_destroy(&sp->npt);
	kfree(sp);
	p->s2 = NULL;
}

const struct vcpu_backend svm_backend = {
	.name = "svm",
	.probe = svm_probe,
	.cpu_enable = svm_cpu_enable,
	.vcpu_create = svm_vcpu_create,
	.vcpu_destroy = svm_vcpu_destroy,
	.set_sregs = svm_set_sregs,
	.get_sregs = svm_get_sregs,
	.write_guest_msr = svm_write_guest_msr,
	.load = svm_vcpu_load,
	.run = svm_run,
	.inject = svm_inject,
	.event_pending = svm_event_pending,
	.interruptible = svm_interruptible,
	.request_intr_window = svm_request_intr_window,
	.nmi_allowed = svm_nmi_allowed,
	.request_nmi_window = svm_request_nmi_window,
	.clear_events = svm_clear_events,
	.describe_events = svm_describe_events,
	.s2_init = svm_s2_init,
	.s2_map = svm_s2_map,
	.s2_flush = svm_s2_flush,
	.s2_destroy = svm_s2_destroy,
};
