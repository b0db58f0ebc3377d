#include "core/cpuid_policy.h"
#include "core/lib/string.h"

/* Leaf 1 (SDM Vol. 2A, CPUID, Tables 3-10/3-11). */
#define L1_ECX_MONITOR BIT(3)
#define L1_ECX_DS_CPL BIT(4)
#define L1_ECX_VMX BIT(5)
#define L1_ECX_SMX BIT(6)
#define L1_ECX_EST BIT(7)
#define L1_ECX_TM2 BIT(8)
#define L1_ECX_PDCM BIT(15)
#define L1_ECX_X2APIC BIT(21)
#define L1_ECX_TSC_DEADLINE BIT(24)
#define L1_ECX_XSAVE BIT(26)
#define L1_ECX_OSXSAVE BIT(27)
#define L1_ECX_AVX BIT(28)
#define L1_ECX_HYPERVISOR BIT(31)
#define L1_EDX_ACPI BIT(22)
#define L1_EDX_DS BIT(21)
#define L1_EDX_TM BIT(29)
#define L1_EDX_PBE BIT(31)
#define L1_EDX_HTT BIT(28) /* EBX[23:16] counts logical processors */
/* CPUID Fn8000_0007 EDX[8] TscInvariant (APM Vol. 3 App. E.4.6; SDM
 * Vol. 2A CPUID 80000007H): the TSC ticks at a constant rate. Bulkhead
 * keeps all time by the TSC and needs that; guests are told so (Linux then
 * trusts its TSC and, on an SMP guest, copies loops_per_jiffy to the APs
 * instead of timing a delay loop against a time-sliced tick). */
#define LX7_EDX_TSC_INVARIANT BIT(8)
/* CPUID Fn8000_0008 ECX[7:0] NC: cores per package minus one (APM Vol. 3
 * App. E.4.7): the vCPUs are the cores of one package. */
#define LX8_ECX_NC_MASK 0xffu
#define L1_EBX_LOGICAL_SHIFT 16
/* Leaf 7 subleaf 0 EBX: AVX2 (5), AVX-512 family (16, 17, 21, 26-28, 30, 31),
 * which need XSAVE state the hypervisor does not switch yet. */
#define L7_EBX_AVX_MASK (BIT(5) | BIT(16) | BIT(17) | BIT(21) | BIT(26) | BIT(27) | BIT(28) | BIT(30) | BIT(31))
#define L7_EBX_SGX BIT(2)
#define L7_ECX_WAITPKG BIT(5)
#define L7_EDX_HYBRID BIT(15)
/* Leaf 7 subleaf 0 ECX PKU (3) and OSPKE (4): the PKRU register is switched
 * neither by VMRUN/VM entry nor by the scheduler's FXSAVE, so protection
 * keys are not offered (docs/cpu-state.md; CR4.PKE is refused on both
 * backends). CET shadow stacks (ECX 7) and indirect-branch tracking (EDX
 * 20) need MSRs and state that are not virtualised. */
#define L7_ECX_PKU BIT(3)
#define L7_ECX_OSPKE BIT(4)
#define L7_ECX_CET_SS BIT(7)
#define L7_EDX_CET_IBT BIT(20)
/* Leaf 7 EDX speculation controls (SDM Vol. 2A, CPUID leaf 07H): IBRS/IBPB
 * (26), STIBP (27), L1D_FLUSH (28), ARCH_CAPABILITIES (29),
 * CORE_CAPABILITIES (30), SSBD (31). Their MSRs (SPEC_CTRL 0x48, PRED_CMD
 * 0x49, FLUSH_CMD 0x10B, ARCH_CAPABILITIES 0x10A, CORE_CAPABILITIES 0xCF)
 * are neither passed through nor emulated (a guest access is #GP), so the
 * bits would promise what is not there. */
#define L7_EDX_SPEC_CTRL_MASK (BIT(26) | BIT(27) | BIT(28) | BIT(29) | BIT(30) | BIT(31))
/* The same for AMD, CPUID Fn8000_0008 EBX (APM Vol. 3 App. E.4.7): IBPB
 * (12), IBRS (14), STIBP (15), SSBD (24), VIRT_SSBD (25). */
#define LX8_EBX_SPEC_CTRL_MASK (BIT(12) | BIT(14) | BIT(15) | BIT(24) | BIT(25))
/* Leaf 8000_0001h ECX: SVM (2), SKINIT (12). */
#define LX1_ECX_SVM BIT(2)
#define LX1_ECX_SKINIT BIT(12)

static void signature(struct cpuid_result *r)
{
	/* "BulkheadHV\0\0" in EBX, ECX, EDX */
	static const char sig[12] = "BulkheadHV\0";
	bh_memcpy(&r->ebx, sig, 4);
	bh_memcpy(&r->ecx, sig + 4, 4);
	bh_memcpy(&r->edx, sig + 8, 4);
}

static void hypervisor_leaf(const struct cpuid_policy *p, uint32_t leaf, struct cpuid_result *r)
{
	*r = (struct cpuid_result){ 0, 0, 0, 0 };
	switch (leaf) {
	case HV_CPUID_BASE:
		r->eax = HV_CPUID_TIMING;
		signature(r);
		break;
	case HV_CPUID_VERSION:
		r->eax = HV_ABI_VERSION;
		break;
	case HV_CPUID_TIMING:
		r->eax = p->tsc_khz;
		r->ebx = p->lapic_khz;
		break;
	default:
		break;
	}
}

void cpuid_policy_apply(const struct cpuid_policy *p, uint32_t leaf, uint32_t subleaf,
			struct cpuid_result *r)
{
	if ((leaf & 0xffff0000u) == HV_CPUID_BASE) {
		hypervisor_leaf(p, leaf, r);
		return;
	}
	switch (leaf) {
	case 1:
		r->ecx &= ~(L1_ECX_MONITOR | L1_ECX_DS_CPL | L1_ECX_VMX | L1_ECX_SMX | L1_ECX_EST |
			    L1_ECX_TM2 | L1_ECX_PDCM | L1_ECX_X2APIC |
			    L1_ECX_XSAVE | L1_ECX_OSXSAVE | L1_ECX_AVX);
		/* Every vCPU's emulated LAPIC has the TSC-deadline timer
		 * (drivers/vdev/lapic.c): one MSR write per timer, no MMIO. */
		r->ecx |= L1_ECX_HYPERVISOR | L1_ECX_TSC_DEADLINE;
		r->edx &= ~(L1_EDX_ACPI | L1_EDX_DS | L1_EDX_TM | L1_EDX_PBE);
		r->ebx = (r->ebx & 0xffffu) | (p->vcpu_id << L1_EBX_APIC_ID_SHIFT) |
			 ((p->nr_vcpus & 0xff) << L1_EBX_LOGICAL_SHIFT);
		if (p->nr_vcpus > 1)
			r->edx |= L1_EDX_HTT;
		break;
	case 5: /* MONITOR/MWAIT: hidden */
	case 6: /* thermal and power management */
	case 0xa: /* performance monitoring: not virtualised */
	case 0xd: /* XSAVE: hidden with leaf 1's XSAVE bit */
		*r = (struct cpuid_result){ 0, 0, 0, 0 };
		break;
	case 7:
		if (subleaf == 0) {
			r->ebx &= ~(L7_EBX_AVX_MASK | L7_EBX_SGX);
			r->ecx &= ~(L7_ECX_WAITPKG | L7_ECX_PKU | L7_ECX_OSPKE | L7_ECX_CET_SS);
			r->edx &= ~(L7_EDX_HYBRID | L7_EDX_CET_IBT | L7_EDX_SPEC_CTRL_MASK);
		} else {
			*r = (struct cpuid_result){ 0, 0, 0, 0 };
		}
		break;
	case 0x80000001:
		r->ecx &= ~(LX1_ECX_SVM | LX1_ECX_SKINIT);
		break;
	case 0x80000007:
		r->edx |= LX7_EDX_TSC_INVARIANT;
		break;
	case 0x80000008:
		r->ecx = (r->ecx & ~LX8_ECX_NC_MASK) | ((p->nr_vcpus - 1) & LX8_ECX_NC_MASK);
		r->ebx &= ~LX8_EBX_SPEC_CTRL_MASK;
		break;
	case 0x8000000a: /* SVM features: none for guests */
		*r = (struct cpuid_result){ 0, 0, 0, 0 };
		break;
	default:
		break;
	}
}

void cpuid_table_build(struct cpuid_table *t, const struct cpuid_policy *p, cpuid_host_fn host)
{
	bh_memset(t, 0, sizeof(*t));
	struct cpuid_result r = host(0, 0);
	t->max_basic = MIN(r.eax, CPUID_BASIC_MAX - 1);
	for (uint32_t leaf = 0; leaf <= t->max_basic; leaf++) {
		bool indexed = cpuid_leaf_is_indexed(leaf);
		for (uint32_t sub = 0; sub < CPUID_SUBLEAVES; sub++) {
			if (indexed || sub == 0) {
				r = host(leaf, sub);
				cpuid_policy_apply(p, leaf, sub, &r);
				if (leaf == 0)
					r.eax = t->max_basic; /* what the table holds */
			}
			t->basic[leaf][sub] = r; /* not indexed: slot 0's answer */
		}
	}
	r = host(CPUID_EXT_BASE, 0);
	t->max_ext = r.eax >= CPUID_EXT_BASE ? MIN(r.eax, CPUID_EXT_BASE + CPUID_EXT_MAX - 1) : CPUID_EXT_BASE;
	for (uint32_t leaf = CPUID_EXT_BASE; leaf <= t->max_ext; leaf++) {
		r = host(leaf, 0);
		cpuid_policy_apply(p, leaf, 0, &r);
		t->ext[leaf - CPUID_EXT_BASE] = r;
	}
	t->ext[0].eax = t->max_ext;
	for (uint32_t i = 0; i < CPUID_HV_MAX; i++)
		hypervisor_leaf(p, HV_CPUID_BASE + i, &t->hv[i]);
}

struct cpuid_result cpuid_table_lookup_slow(const struct cpuid_table *t, uint32_t apic_id, uint32_t leaf,
					    uint32_t subleaf)
{
	struct cpuid_result r = { 0, 0, 0, 0 };
	if (leaf <= t->max_basic) {
		/* ECX >= 8: leaves that ignore it answer as for ECX = 0;
		 * indexed leaves have nothing there but the x2APIC ID. */
		if (subleaf < CPUID_SUBLEAVES)
			r = t->basic[leaf][subleaf];
		else if (!cpuid_leaf_is_indexed(leaf))
			r = t->basic[leaf][0];
		if ((CPUID_APIC_ID_LEAVES >> leaf) & 1)
			cpuid_patch_apic_id(&r, leaf, apic_id);
	} else if (leaf - CPUID_EXT_BASE <= t->max_ext - CPUID_EXT_BASE) {
		r = t->ext[leaf - CPUID_EXT_BASE];
	} else if (leaf - HV_CPUID_BASE < CPUID_HV_MAX) {
		r = t->hv[leaf - HV_CPUID_BASE];
	}
	return r;
}
