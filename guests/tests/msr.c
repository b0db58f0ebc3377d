/* SPDX-License-Identifier: BSD-2-Clause */
/* msr: the MSR policy (issue 3 "CPUID and MSRs"). Harmless MSRs read and
 * round-trip; unknown MSRs and the virtualisation-control MSRs raise #GP in
 * the guest, delivered to its own IDT. Runs in long mode. */
#include "rt.h"

#define UNKNOWN_MSR 0x12345678
/* AMD's legacy performance counter 0 (APM Vol. 2 §13.2.1). */
#define MSR_AMD_PERFCTR0 0xC0010004
#define KGS_TEST_VALUE 0x0000123456789abcull
#define LSTAR_TEST_VALUE 0xffffffff81234560ull
/* PA0..PA7 = WB, WC, UC-, UC, WB, WP, UC-, UC (all valid types, SDM Vol. 3A
 * §11.12.2), unlike the reset value. */
#define PAT_TEST_VALUE 0x0007040600070106ull

static void expect_gp(const char *name, int vec)
{
	struct rt_exc_record r = rt_exc_result();

	if (vec < 0)
		rt_fail(name, "no exception, want #GP");
	else if (vec != VEC_GP)
		rt_fail(name, "vector %d, want 13 (#GP)", vec);
	else
		rt_check_eq(name, "#GP error code", r.error, 0);
}

static void check_read(const char *name, uint32_t msr, uint64_t *val)
{
	int vec = rt_try_rdmsr(msr, val);

	rt_check(name, vec < 0, "rdmsr 0x%x raised vector %d", msr, vec);
}

static void check_round_trip(const char *name, uint32_t msr, uint64_t value)
{
	uint64_t old = 0, got = 0;
	int vec;

	vec = rt_try_rdmsr(msr, &old);
	if (vec >= 0) {
		rt_fail(name, "rdmsr 0x%x raised vector %d", msr, vec);
		return;
	}
	vec = rt_try_wrmsr(msr, value);
	if (vec >= 0) {
		rt_fail(name, "wrmsr 0x%x raised vector %d", msr, vec);
		return;
	}
	rt_try_rdmsr(msr, &got);
	rt_check_eq(name, "value read back", got, value);
	rt_try_wrmsr(msr, old);
}

/* Only "does not fault": QEMU 7.2's TCG does not implement RDMSR(IA32_TSC)
 * (it reads 0), so comparing it with RDTSC would test TCG. The values are
 * printed for people reading the log. */
static void check_tsc(void)
{
	uint64_t t0, m = 0, t1;

	t0 = rdtsc();
	check_read("tsc_read", MSR_IA32_TSC, &m);
	t1 = rdtsc();
	rt_printf("msr: rdtsc 0x%llx, rdmsr(IA32_TSC) 0x%llx, rdtsc 0x%llx\n",
		  (unsigned long long)t0, (unsigned long long)m, (unsigned long long)t1);
}

static void check_efer(void)
{
	uint64_t efer = 0;
	int vec;

	check_read("efer_read", MSR_EFER, &efer);
	rt_check("efer_long_mode", (efer & EFER_LME) && (efer & EFER_LMA), "EFER 0x%llx",
		 (unsigned long long)efer);
	/* SVM is hidden, so EFER.SVME reads as 0 and cannot be set. */
	rt_check("efer_svme_hidden", !(efer & EFER_SVME), "EFER 0x%llx has SVME",
		 (unsigned long long)efer);
	vec = rt_try_wrmsr(MSR_EFER, efer | EFER_SVME);
	expect_gp("efer_svme_set_gp", vec);
	if (vec < 0)
		rt_try_wrmsr(MSR_EFER, efer);
}

void guest_main(void)
{
	uint64_t v = 0;
	int vec;

	check_tsc();
	check_efer();
	check_round_trip("kernel_gs_base_round_trip", MSR_KERNEL_GS_BASE, KGS_TEST_VALUE);
	check_round_trip("lstar_round_trip", MSR_LSTAR, LSTAR_TEST_VALUE);
	check_round_trip("pat_round_trip", MSR_IA32_PAT, PAT_TEST_VALUE);

	vec = rt_try_rdmsr(UNKNOWN_MSR, &v);
	expect_gp("unknown_msr_read_gp", vec);
	vec = rt_try_wrmsr(UNKNOWN_MSR, 1);
	expect_gp("unknown_msr_write_gp", vec);
	/* The same unknown MSR again: still #GP (the log line is once only). */
	vec = rt_try_rdmsr(UNKNOWN_MSR, &v);
	expect_gp("unknown_msr_read_gp_again", vec);

	/* AMD's legacy performance counters exist but never count (no PMU is
	 * virtualised): a write is taken, a read gives 0. */
	vec = rt_try_wrmsr(MSR_AMD_PERFCTR0, 0xffff);
	rt_check("amd_perfctr_write_taken", vec < 0, "exception %d", vec);
	v = 1;
	vec = rt_try_rdmsr(MSR_AMD_PERFCTR0, &v);
	rt_check("amd_perfctr_reads_zero", vec < 0 && v == 0, "exception %d, value 0x%llx", vec,
		 (unsigned long long)v);

	/* Virtualisation controls are not the guest's. */
	vec = rt_try_wrmsr(MSR_IA32_FEATURE_CONTROL, 0x5);
	expect_gp("feature_control_write_gp", vec);
	vec = rt_try_wrmsr(MSR_VM_CR, 0);
	expect_gp("vm_cr_write_gp", vec);
	vec = rt_try_rdmsr(MSR_VM_HSAVE_PA, &v);
	expect_gp("vm_hsave_pa_read_gp", vec);
	vec = rt_try_wrmsr(MSR_VM_HSAVE_PA, 0x100000);
	expect_gp("vm_hsave_pa_write_gp", vec);
	vec = rt_try_rdmsr(MSR_IA32_VMX_BASIC, &v);
	expect_gp("vmx_basic_read_gp", vec);
}
